/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target: catalog documents.  Loads the input into an empty
 * catalog and into a populated one (merge), checks that a failed load
 * leaves the catalog as it was and that errors are terminated text, then
 * looks up, clones and frees.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "azoai_catalog.h"
#include "azoai_date.h"


static const char  fuzz_base_json[] =
    "{\"models\": {\"gpt-4o\": {\"2024-11-20\": \"ga\"}},"
    " \"deployments\": {\"chat-prod\": {\"model\": \"gpt-4o\","
    " \"version\": \"2024-11-20\"}}}";


static void fuzz_catalog_check_deployment(const azoai_catalog_t *c,
    const azoai_deployment_t *d);
static void fuzz_catalog_retiring(void *data, const azoai_deployment_t *d,
    int64_t retires);


/* a deployment's status is one of the four, its date a UTC midnight */

static void
fuzz_catalog_check_deployment(const azoai_catalog_t *c,
    const azoai_deployment_t *d)
{
    int64_t   t;
    unsigned  s;

    s = azoai_catalog_model_status(c, d->model.data, d->model.len,
                                   d->version.data, d->version.len);
    if (s > AZOAI_STATUS_RETIRED) {
        abort();
    }

    /* years 2000 to 9999 */
    t = azoai_catalog_retires(c, d->model.data, d->model.len,
                              d->version.data, d->version.len);
    if (t != 0 && (t % AZOAI_DATE_DAY != 0 || t < 946684800
                   || t > 253402214400))
    {
        abort();
    }
}


/* each deployment reported retires on a date */

static void
fuzz_catalog_retiring(void *data, const azoai_deployment_t *d,
    int64_t retires)
{
    u_char  date[AZOAI_DATE_LEN + 1];
    int64_t back;

    azoai_date_format(retires, date);

    if (d->name.len == 0
        || azoai_date_parse(date, AZOAI_DATE_LEN, &back) != AZOAI_OK
        || back != retires)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                       err[256];
    size_t                     i, n;
    unsigned                   s;
    azoai_catalog_t           *c, *copy;
    const azoai_deployment_t  *d;

    c = azoai_catalog_create();
    if (c == NULL) {
        return 0;
    }

    memset(err, 'x', sizeof(err));

    if (azoai_catalog_load_json(c, data, size, err, sizeof(err))
        != AZOAI_OK)
    {
        if (memchr(err, '\0', sizeof(err)) == NULL) {
            abort();
        }
    }

    /* lookups of names taken from the input */
    for (i = 0; i < size; i += n + 1) {
        n = size - i < 24 ? size - i : 24;

        d = azoai_catalog_deployment(c, data + i, n);
        if (d) {
            fuzz_catalog_check_deployment(c, d);
        }

        azoai_catalog_each_retiring(c, INT64_MAX, fuzz_catalog_retiring,
                                    NULL);

        s = azoai_catalog_model_status(c, data + i, n, NULL, 0);
        if (s > AZOAI_STATUS_RETIRED) {
            abort();
        }
    }

    copy = azoai_catalog_clone(c);
    azoai_catalog_free(c);
    azoai_catalog_free(copy);

    /* merge into a populated catalog: on failure nothing changes */
    c = azoai_catalog_create();
    if (c == NULL) {
        return 0;
    }

    if (azoai_catalog_load_json(c, (const u_char *) fuzz_base_json,
                                sizeof(fuzz_base_json) - 1, err, sizeof(err))
        != AZOAI_OK)
    {
        abort();
    }

    if (azoai_catalog_load_json(c, data, size, err, sizeof(err))
        != AZOAI_OK)
    {
        d = azoai_catalog_deployment(c, (const u_char *) "chat-prod", 9);

        if (d == NULL
            || azoai_catalog_model_status(c, d->model.data, d->model.len,
                                          d->version.data, d->version.len)
               != AZOAI_STATUS_GA)
        {
            abort();
        }
    }

    azoai_catalog_free(c);

    return 0;
}
