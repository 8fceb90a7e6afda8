/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The catalog store: sorted arrays built at configuration time (malloc),
 * looked up per request without allocation.
 */


#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "azoai_ascii.h"
#include "azoai_catalog_int.h"
#include "azoai_name.h"


/* models and deployments are searched as azoai_catalog_entry_t */
typedef char  azoai_catalog_entry_layout_ok[
    (offsetof(azoai_model_t, name) == offsetof(azoai_catalog_entry_t, name)
     && offsetof(azoai_model_t, key) == offsetof(azoai_catalog_entry_t, key)
     && offsetof(azoai_deployment_t, name)
        == offsetof(azoai_catalog_entry_t, name)
     && offsetof(azoai_deployment_t, key)
        == offsetof(azoai_catalog_entry_t, key))
    ? 1 : -1];


static size_t azoai_catalog_model_pos(const azoai_catalog_t *c,
    const u_char *name, size_t len, int *found);
static const azoai_deployment_t *azoai_catalog_deployment_find(
    const azoai_catalog_t *c, const u_char *name, size_t len)
    __attribute__((noinline));
static size_t azoai_catalog_deployment_pos(const azoai_catalog_t *c,
    const u_char *name, size_t len, int *found);
static size_t azoai_catalog_search(const void *base, size_t n, size_t size,
    const u_char *name, size_t len, int *found);
static int azoai_catalog_name_eq(const u_char *a, size_t alen,
    const u_char *b, size_t blen);
static int azoai_catalog_ends_preview(const u_char *name, size_t len);
static int azoai_catalog_clone_model(azoai_model_t *dst,
    const azoai_model_t *src);
static void azoai_catalog_resolve(azoai_catalog_t *c);
static int azoai_catalog_clone_deployment(azoai_deployment_t *dst,
    const azoai_deployment_t *src);


azoai_catalog_t *
azoai_catalog_create(void)
{
    return calloc(1, sizeof(azoai_catalog_t));
}


azoai_catalog_t *
azoai_catalog_clone(const azoai_catalog_t *c)
{
    size_t            i;
    azoai_catalog_t  *n;

    n = azoai_catalog_create();
    if (n == NULL || c == NULL) {
        return n;
    }

    if (c->nmodels) {
        n->models = calloc(c->nmodels, sizeof(azoai_model_t));
        if (n->models == NULL) {
            goto failed;
        }

        for (i = 0; i < c->nmodels; i++) {
            if (azoai_catalog_clone_model(&n->models[i], &c->models[i])
                != AZOAI_OK)
            {
                goto failed;
            }

            n->nmodels++;
        }
    }

    if (c->ndeployments) {
        n->deployments = calloc(c->ndeployments, sizeof(azoai_deployment_t));
        if (n->deployments == NULL) {
            goto failed;
        }

        for (i = 0; i < c->ndeployments; i++) {
            if (azoai_catalog_clone_deployment(&n->deployments[i],
                                               &c->deployments[i])
                != AZOAI_OK)
            {
                goto failed;
            }

            n->ndeployments++;
        }
    }

    return n;

failed:

    azoai_catalog_free(n);
    return NULL;
}


static int
azoai_catalog_clone_model(azoai_model_t *dst, const azoai_model_t *src)
{
    size_t  i;

    memset(dst, 0, sizeof(azoai_model_t));

    if (azoai_catalog_str_dup(&dst->name, src->name.data, src->name.len)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    dst->key = src->key;

    dst->versions = calloc(src->nversions ? src->nversions : 1,
                           sizeof(azoai_model_version_t));
    if (dst->versions == NULL) {
        azoai_catalog_model_free(dst);
        return AZOAI_ERROR;
    }

    for (i = 0; i < src->nversions; i++) {
        if (azoai_catalog_str_dup(&dst->versions[i].version,
                                  src->versions[i].version.data,
                                  src->versions[i].version.len)
            != AZOAI_OK)
        {
            azoai_catalog_model_free(dst);
            return AZOAI_ERROR;
        }

        dst->versions[i].status = src->versions[i].status;
        dst->versions[i].retires = src->versions[i].retires;
        dst->nversions++;
    }

    return AZOAI_OK;
}


static int
azoai_catalog_clone_deployment(azoai_deployment_t *dst,
    const azoai_deployment_t *src)
{
    memset(dst, 0, sizeof(azoai_deployment_t));

    if (azoai_catalog_str_dup(&dst->name, src->name.data, src->name.len)
            != AZOAI_OK
        || azoai_catalog_str_dup(&dst->model, src->model.data,
                                 src->model.len)
            != AZOAI_OK
        || azoai_catalog_str_dup(&dst->version, src->version.data,
                                 src->version.len)
            != AZOAI_OK)
    {
        azoai_catalog_deployment_free(dst);
        return AZOAI_ERROR;
    }

    dst->key = src->key;
    dst->status = src->status;
    dst->retires = src->retires;

    return AZOAI_OK;
}


void
azoai_catalog_free(azoai_catalog_t *c)
{
    size_t  i;

    if (c == NULL) {
        return;
    }

    for (i = 0; i < c->nmodels; i++) {
        azoai_catalog_model_free(&c->models[i]);
    }

    for (i = 0; i < c->ndeployments; i++) {
        azoai_catalog_deployment_free(&c->deployments[i]);
    }

    free(c->models);
    free(c->deployments);
    free(c);
}


void
azoai_catalog_model_free(azoai_model_t *m)
{
    size_t  i;

    free((u_char *) m->name.data);

    if (m->versions) {
        for (i = 0; i < m->nversions; i++) {
            free((u_char *) m->versions[i].version.data);
        }

        free(m->versions);
    }

    memset(m, 0, sizeof(azoai_model_t));
}


void
azoai_catalog_deployment_free(azoai_deployment_t *d)
{
    free((u_char *) d->name.data);
    free((u_char *) d->model.data);
    free((u_char *) d->version.data);

    memset(d, 0, sizeof(azoai_deployment_t));
}


int
azoai_catalog_str_dup(azoai_str_t *s, const u_char *data, size_t len)
{
    u_char  *p;

    p = malloc(len + 1);
    if (p == NULL) {
        s->data = NULL;
        s->len = 0;
        return AZOAI_ERROR;
    }

    if (len) {
        memcpy(p, data, len);
    }

    p[len] = '\0';

    s->data = p;
    s->len = len;

    return AZOAI_OK;
}


/*
 * The index of name in a sorted array of models or deployments (both
 * start with their name), or where it would be inserted.
 */

static size_t
azoai_catalog_search(const void *base, size_t n, size_t size,
    const u_char *name, size_t len, int *found)
{
    int                           rc;
    size_t                        lo, hi, mid;
    uint64_t                      key;
    const azoai_catalog_entry_t  *entry;

    key = azoai_catalog_key(name, len);

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        entry = (const azoai_catalog_entry_t *) ((const u_char *) base
                                                 + mid * size);

        if (entry->key != key) {
            rc = entry->key < key ? -1 : 1;

        } else if (entry->name.len == len && len <= sizeof(uint64_t)) {
            /* the key holds the whole of both names */
            rc = 0;

        } else if (entry->name.len >= sizeof(uint64_t)
                   && len >= sizeof(uint64_t))
        {
            /* the first 8 bytes are equal: compare the rest */
            rc = azoai_ascii_cmp_ci(entry->name.data + sizeof(uint64_t),
                                    entry->name.len - sizeof(uint64_t),
                                    name + sizeof(uint64_t),
                                    len - sizeof(uint64_t));

        } else {
            rc = azoai_ascii_cmp_ci(entry->name.data, entry->name.len,
                                    name, len);
        }

        if (rc == 0) {
            *found = 1;
            return mid;
        }

        if (rc < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    *found = 0;
    return lo;
}


uint64_t
azoai_catalog_key(const u_char *name, size_t len)
{
    u_char    b[sizeof(uint64_t)];
    uint64_t  key, low, upper;

    if (len >= sizeof(uint64_t)) {
        /* most names: one load, no padding */
        memcpy(&key, name, sizeof(uint64_t));

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        key = __builtin_bswap64(key);
#endif

    } else {
        memset(b, 0, sizeof(b));
        memcpy(b, name, len);

        key = (uint64_t) b[0] << 56 | (uint64_t) b[1] << 48
              | (uint64_t) b[2] << 40 | (uint64_t) b[3] << 32
              | (uint64_t) b[4] << 24 | (uint64_t) b[5] << 16
              | (uint64_t) b[6] << 8 | (uint64_t) b[7];
    }

    /*
     * all 8 bytes to lower case at once: the low 7 bits of a byte plus
     * 0x3f reach 0x80 from 'A' on, plus 0x25 from past 'Z' on; bytes
     * with the top bit set are no letters
     */

    low = key & 0x7f7f7f7f7f7f7f7fULL;
    upper = (low + 0x3f3f3f3f3f3f3f3fULL) & ~(low + 0x2525252525252525ULL)
            & ~key & 0x8080808080808080ULL;

    return key | upper >> 2;
}


/*
 * equality only: names of other lengths cost no byte compare, and
 * versions ("2024-05-13", "2024-11-20") mostly differ in the last byte
 */

static int
azoai_catalog_name_eq(const u_char *a, size_t alen, const u_char *b,
    size_t blen)
{
    u_char  ca, cb;

    if (alen != blen) {
        return 0;
    }

    if (alen == 0) {
        return 1;
    }

    ca = a[alen - 1];
    cb = b[blen - 1];

    if (ca != cb && (ca | 0x20) != (cb | 0x20)) {
        /* unequal even if they are letters in either case */
        return 0;
    }

    return azoai_ascii_cmp_ci(a, alen, b, blen) == 0;
}


static size_t
azoai_catalog_model_pos(const azoai_catalog_t *c, const u_char *name,
    size_t len, int *found)
{
    return azoai_catalog_search(c->models, c->nmodels, sizeof(azoai_model_t),
                                name, len, found);
}


static size_t
azoai_catalog_deployment_pos(const azoai_catalog_t *c, const u_char *name,
    size_t len, int *found)
{
    return azoai_catalog_search(c->deployments, c->ndeployments,
                                sizeof(azoai_deployment_t), name, len, found);
}


int
azoai_catalog_put_model(azoai_catalog_t *c, azoai_model_t *m)
{
    int             found;
    size_t          pos;
    azoai_model_t  *models;

    m->key = azoai_catalog_key(m->name.data, m->name.len);

    pos = azoai_catalog_model_pos(c, m->name.data, m->name.len, &found);

    if (found) {
        azoai_catalog_model_free(&c->models[pos]);
        c->models[pos] = *m;
        azoai_catalog_resolve(c);
        return AZOAI_OK;
    }

    models = realloc(c->models, (c->nmodels + 1) * sizeof(azoai_model_t));
    if (models == NULL) {
        return AZOAI_ERROR;
    }

    c->models = models;

    memmove(&models[pos + 1], &models[pos],
            (c->nmodels - pos) * sizeof(azoai_model_t));
    models[pos] = *m;
    c->nmodels++;

    azoai_catalog_resolve(c);

    return AZOAI_OK;
}


/*
 * the status and retirement date of every deployment, after a change to
 * the models
 */

static void
azoai_catalog_resolve(azoai_catalog_t *c)
{
    size_t               i;
    azoai_deployment_t  *d;

    for (i = 0; i < c->ndeployments; i++) {
        d = &c->deployments[i];
        d->status = azoai_catalog_model_status(c, d->model.data, d->model.len,
                                               d->version.data,
                                               d->version.len);
        d->retires = azoai_catalog_retires(c, d->model.data, d->model.len,
                                           d->version.data, d->version.len);
    }
}


int
azoai_catalog_put_deployment(azoai_catalog_t *c, azoai_deployment_t *d)
{
    int                  found;
    size_t               pos;
    azoai_deployment_t  *deployments;

    d->key = azoai_catalog_key(d->name.data, d->name.len);
    d->status = azoai_catalog_model_status(c, d->model.data, d->model.len,
                                           d->version.data, d->version.len);
    d->retires = azoai_catalog_retires(c, d->model.data, d->model.len,
                                       d->version.data, d->version.len);

    pos = azoai_catalog_deployment_pos(c, d->name.data, d->name.len, &found);

    if (found) {
        azoai_catalog_deployment_free(&c->deployments[pos]);
        c->deployments[pos] = *d;
        return AZOAI_OK;
    }

    deployments = realloc(c->deployments,
                          (c->ndeployments + 1) * sizeof(azoai_deployment_t));
    if (deployments == NULL) {
        return AZOAI_ERROR;
    }

    c->deployments = deployments;

    memmove(&deployments[pos + 1], &deployments[pos],
            (c->ndeployments - pos) * sizeof(azoai_deployment_t));
    deployments[pos] = *d;
    c->ndeployments++;

    return AZOAI_OK;
}


int
azoai_catalog_add_deployment(azoai_catalog_t *c, const u_char *name,
    size_t name_len, const u_char *model, size_t model_len,
    const u_char *version, size_t version_len)
{
    azoai_deployment_t  d;

    memset(&d, 0, sizeof(azoai_deployment_t));

    if (c == NULL || !azoai_name_valid(name, name_len)
        || !azoai_name_valid(model, model_len)
        || (version_len && !azoai_name_valid(version, version_len)))
    {
        return AZOAI_ERROR;
    }

    if (azoai_catalog_str_dup(&d.name, name, name_len) != AZOAI_OK
        || azoai_catalog_str_dup(&d.model, model, model_len) != AZOAI_OK
        || azoai_catalog_str_dup(&d.version, version, version_len)
           != AZOAI_OK
        || azoai_catalog_put_deployment(c, &d) != AZOAI_OK)
    {
        azoai_catalog_deployment_free(&d);
        return AZOAI_ERROR;
    }

    return AZOAI_OK;
}


const azoai_deployment_t *
azoai_catalog_deployment(const azoai_catalog_t *c, const u_char *name,
    size_t len)
{
    const azoai_deployment_t  *dep;

    if (c == NULL || len == 0) {
        return NULL;
    }

    dep = azoai_catalog_deployment_last(c, name, len);
    if (dep != NULL) {
        return dep;
    }

    return azoai_catalog_deployment_find(c, name, len);
}


/*
 * The search, and the hint for the next lookup: out of line, so that a
 * lookup the hint answers takes no frame for the search's variables
 */

static const azoai_deployment_t *
azoai_catalog_deployment_find(const azoai_catalog_t *c, const u_char *name,
    size_t len)
{
    int     found;
    size_t  pos;

    pos = azoai_catalog_deployment_pos(c, name, len, &found);

    if (!found) {
        return NULL;
    }

    ((azoai_catalog_t *) c)->last_deployment = pos;

    return &c->deployments[pos];
}


const azoai_model_t *
azoai_catalog_model(const azoai_catalog_t *c, const u_char *name,
    size_t len)
{
    int     found;
    size_t  pos;

    if (c == NULL || len == 0) {
        return NULL;
    }

    pos = azoai_catalog_model_pos(c, name, len, &found);

    return found ? &c->models[pos] : NULL;
}


unsigned
azoai_catalog_model_status(const azoai_catalog_t *c, const u_char *model,
    size_t model_len, const u_char *version, size_t version_len)
{
    size_t                        i;
    unsigned                      status, any;
    const azoai_model_t          *m;
    const azoai_model_version_t  *v;

    if (azoai_catalog_ends_preview(model, model_len)) {
        return AZOAI_STATUS_PREVIEW;
    }

    m = azoai_catalog_model(c, model, model_len);
    if (m == NULL || m->nversions == 0) {
        return AZOAI_STATUS_UNKNOWN;
    }

    if (version != NULL && version_len != 0) {
        any = AZOAI_STATUS_UNKNOWN;

        for (i = 0; i < m->nversions; i++) {
            v = &m->versions[i];

            if (v->version.len == 1 && v->version.data[0] == '*') {
                any = v->status;
                continue;
            }

            if (azoai_catalog_name_eq(v->version.data, v->version.len,
                                      version, version_len))
            {
                return v->status;
            }
        }

        return any;
    }

    /*
     * the version is not known: GA only if every listed version is GA;
     * otherwise preview if any version is preview, else retired
     */

    status = AZOAI_STATUS_GA;

    for (i = 0; i < m->nversions; i++) {
        switch (m->versions[i].status) {

        case AZOAI_STATUS_GA:
            break;

        case AZOAI_STATUS_PREVIEW:
            return AZOAI_STATUS_PREVIEW;

        default:
            status = AZOAI_STATUS_RETIRED;
            break;
        }
    }

    return status;
}


static int
azoai_catalog_ends_preview(const u_char *name, size_t len)
{
    static const char  suffix[] = "-preview";

    /* most names fail on the last letter */

    if (len < sizeof(suffix) - 1 || (name[len - 1] | 0x20) != 'w') {
        return 0;
    }

    return azoai_catalog_name_eq(name + len - (sizeof(suffix) - 1),
                                 sizeof(suffix) - 1,
                                 (const u_char *) suffix, sizeof(suffix) - 1);
}


int64_t
azoai_catalog_retires(const azoai_catalog_t *c, const u_char *model,
    size_t model_len, const u_char *version, size_t version_len)
{
    size_t                        i;
    int64_t                       any;
    const azoai_model_t          *m;
    const azoai_model_version_t  *v;

    m = azoai_catalog_model(c, model, model_len);
    if (m == NULL || version == NULL || version_len == 0) {
        return 0;
    }

    any = 0;

    for (i = 0; i < m->nversions; i++) {
        v = &m->versions[i];

        if (v->version.len == 1 && v->version.data[0] == '*') {
            any = v->retires;
            continue;
        }

        if (azoai_catalog_name_eq(v->version.data, v->version.len,
                                  version, version_len))
        {
            return v->retires;
        }
    }

    return any;
}


void
azoai_catalog_each_retiring(const azoai_catalog_t *c, int64_t until,
    azoai_catalog_retiring_pt handler, void *data)
{
    size_t                     i;
    int64_t                    retires;
    const azoai_deployment_t  *d;

    if (c == NULL) {
        return;
    }

    for (i = 0; i < c->ndeployments; i++) {
        d = &c->deployments[i];

        retires = azoai_catalog_retires(c, d->model.data, d->model.len,
                                        d->version.data, d->version.len);

        /* a date matters to GA versions only: the rest are denied anyway */

        if (retires != 0 && retires <= until
            && azoai_catalog_model_status(c, d->model.data, d->model.len,
                                          d->version.data, d->version.len)
               == AZOAI_STATUS_GA)
        {
            handler(data, d, retires);
        }
    }
}


const char *
azoai_catalog_status_name(unsigned status)
{
    switch (status) {

    case AZOAI_STATUS_GA:
        return "ga";

    case AZOAI_STATUS_PREVIEW:
        return "preview";

    case AZOAI_STATUS_RETIRED:
        return "retired";

    default:
        return "unknown";
    }
}
