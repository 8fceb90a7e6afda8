/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target: azoai-catalog from-azure input.  The input is split
 * at its NUL bytes into a Models - List response and the pages of a
 * deployments list (no NUL: models only); a document produced must load
 * into a catalog, and an error must be terminated text.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "azoai_catalog.h"
#include "azoai_catalog_azure.h"


/* 2025-12-01T00:00:00Z */
#define FUZZ_NOW  1764547200


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                err[256], lerr[256], *out;
    size_t              mlen, npages;
    const u_char       *p, *end, *nul;
    azoai_catalog_t    *c;
    azoai_azure_page_t  pages[AZOAI_AZURE_PAGES_MAX + 1];

    end = data + size;
    nul = memchr(data, '\0', size);
    mlen = nul ? (size_t) (nul - data) : size;
    npages = 0;

    for (p = nul; p != NULL && npages <= AZOAI_AZURE_PAGES_MAX; /* void */) {
        p++;
        nul = memchr(p, '\0', end - p);
        pages[npages].data = p;
        pages[npages].len = (nul ? nul : end) - p;
        npages++;
        p = nul;
    }

    memset(err, 'x', sizeof(err));

    if (azoai_catalog_from_azure(data, mlen, pages, npages, FUZZ_NOW, &out,
                                 err, sizeof(err))
        != AZOAI_OK)
    {
        if (out != NULL || memchr(err, '\0', sizeof(err)) == NULL) {
            abort();
        }

        return 0;
    }

    c = azoai_catalog_create();
    if (c == NULL) {
        abort();
    }

    if (azoai_catalog_load_json(c, (const u_char *) out, strlen(out), lerr,
                                sizeof(lerr))
        != AZOAI_OK)
    {
        abort();
    }

    azoai_catalog_free(c);
    free(out);

    return 0;
}
