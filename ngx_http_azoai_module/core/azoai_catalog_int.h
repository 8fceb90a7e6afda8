/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Catalog internals shared by the store (azoai_catalog.c) and the JSON
 * loader (azoai_catalog_load.c).  Models and deployments live in arrays
 * kept sorted by name ignoring ASCII case: Azure treats deployment names
 * case-insensitively, and model names are matched the same way so that
 * "GPT-4o" cannot dodge a "gpt-4o" entry.  Lookups are binary searches
 * that allocate nothing.
 */

#ifndef _AZOAI_CATALOG_INT_H_INCLUDED_
#define _AZOAI_CATALOG_INT_H_INCLUDED_


#include "azoai_ascii.h"
#include "azoai_catalog.h"


typedef struct {
    azoai_str_t              version;  /* "*" matches any version */
    unsigned                 status;   /* AZOAI_STATUS_* */
    int64_t                  retires;  /* UTC midnight; 0: no date */
} azoai_model_version_t;


/*
 * How models and deployments start.  key is the name's first 8 bytes in
 * lower case, big-endian, zero-padded: keys order as the names do, so a
 * search compares whole names only between entries whose keys are equal.
 */
typedef struct {
    azoai_str_t              name;
    uint64_t                 key;
} azoai_catalog_entry_t;


/* the key of a name: see azoai_catalog_entry_t */
uint64_t azoai_catalog_key(const u_char *name, size_t len);


typedef struct {
    azoai_str_t              name;     /* first: azoai_catalog_entry_t */
    uint64_t                 key;
    azoai_model_version_t   *versions;
    size_t                   nversions;
} azoai_model_t;


struct azoai_catalog_s {
    azoai_model_t           *models;
    size_t                   nmodels;
    azoai_deployment_t      *deployments;
    size_t                   ndeployments;

    /*
     * where azoai_catalog_deployment() found a name last: a hint, tried
     * first and checked against the array as it is (the worker's own
     * copy of the catalog writes it)
     */
    size_t                   last_deployment;
};


/*
 * Requests name the same few deployments over and over: the one found
 * last, when the name (len > 0) is its very bytes, is the one the search
 * finds (names are unique ignoring case), without the key and the search;
 * NULL otherwise.  Inline in azoai_catalog_deployment() and in the
 * policy's check of each request, which calls that only when this misses
 * (the call's frame was ~12 instructions a request).
 */

static inline const azoai_deployment_t *
azoai_catalog_deployment_last(const azoai_catalog_t *c, const u_char *name,
    size_t len)
{
    const azoai_deployment_t  *dep;

    if (c == NULL || c->last_deployment >= c->ndeployments) {
        return NULL;
    }

    dep = &c->deployments[c->last_deployment];

    if (len != 0 && dep->name.len == len
        && azoai_bytes_eq(dep->name.data, name, len))
    {
        return dep;
    }

    return NULL;
}


/* malloc()-ed NUL-terminated copy into s; AZOAI_OK or AZOAI_ERROR */
int azoai_catalog_str_dup(azoai_str_t *s, const u_char *data, size_t len);

/* NULL if the catalog has no such model */
const azoai_model_t *azoai_catalog_model(const azoai_catalog_t *c,
    const u_char *name, size_t len);

/* inserts or replaces; takes over the strings and versions of m */
int azoai_catalog_put_model(azoai_catalog_t *c, azoai_model_t *m);
/* inserts or replaces; takes over the strings of d */
int azoai_catalog_put_deployment(azoai_catalog_t *c, azoai_deployment_t *d);

void azoai_catalog_model_free(azoai_model_t *m);
void azoai_catalog_deployment_free(azoai_deployment_t *d);


#endif /* _AZOAI_CATALOG_INT_H_INCLUDED_ */
