/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The default catalog: Azure's published lifecycle table, compiled in from
 * conf.example/azoai-catalog.json (tools/catalog2c.sh), so that a
 * configuration with azoai_deployment lines alone judges models as Azure
 * publishes them.  azoai_catalog files are merged on top.
 */


#include <stdlib.h>

#include "azoai_catalog_int.h"


extern const char    azoai_catalog_builtin_json[];
extern const size_t  azoai_catalog_builtin_len;


azoai_catalog_t *
azoai_catalog_create_builtin(char *err, size_t errlen)
{
    size_t            i;
    azoai_catalog_t  *c;

    c = azoai_catalog_create();
    if (c == NULL) {
        return NULL;
    }

    if (azoai_catalog_load_json(c, (const u_char *) azoai_catalog_builtin_json,
                                azoai_catalog_builtin_len, err, errlen)
        != AZOAI_OK)
    {
        azoai_catalog_free(c);
        return NULL;
    }

    /* the example's deployments are examples, not defaults */

    for (i = 0; i < c->ndeployments; i++) {
        azoai_catalog_deployment_free(&c->deployments[i]);
    }

    c->ndeployments = 0;

    return c;
}
