/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target: azoai-catalog from-azure input.  The input is split
 * at its first NUL byte into a Models - List response and a deployments
 * list (no NUL: models only); a document produced must load into a
 * catalog, and an error must be terminated text.
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
    char              err[256], lerr[256], *out;
    size_t            mlen;
    const u_char     *deps, *nul;
    azoai_catalog_t  *c;

    nul = memchr(data, '\0', size);
    mlen = nul ? (size_t) (nul - data) : size;
    deps = nul ? nul + 1 : NULL;

    memset(err, 'x', sizeof(err));

    if (azoai_catalog_from_azure(data, mlen, deps,
                                 nul ? size - mlen - 1 : 0, FUZZ_NOW, &out,
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
