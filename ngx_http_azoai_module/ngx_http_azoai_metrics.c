/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Counters in shared memory, so that all workers count together and the
 * counts survive reloads: requests by decision and reason, PII by type,
 * tokens by deployment.  The zone is set up here and each judged request
 * is counted in the log phase; ngx_http_azoai_metrics_page.c shows them.
 */


#include "ngx_http_azoai_ctx.h"
#include "ngx_http_azoai_metrics.h"

#include "azoai_sse.h"


/* what the slab allocator needs beside the counters */
#define NGX_HTTP_AZOAI_ZONE_SLAB_PAGES  8


static ngx_int_t ngx_http_azoai_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_azoai_count_details(ngx_http_azoai_metrics_zone_t *z,
    ngx_http_azoai_ctx_t *ctx);
static void ngx_http_azoai_count_response(ngx_http_azoai_metrics_zone_t *z,
    ngx_http_azoai_ctx_t *ctx);
static ngx_http_azoai_metric_pii_t *ngx_http_azoai_pii_slot(
    ngx_http_azoai_metrics_zone_t *z, const char *name);
static ngx_http_azoai_metric_dep_t *ngx_http_azoai_dep_slot(
    ngx_http_azoai_metrics_zone_t *z, const azoai_str_t *name);
static void ngx_http_azoai_publish_name(u_char *slot, u_char *name,
    size_t len);


char *
ngx_http_azoai_metrics_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_main_conf_t *amcf = conf;

    ssize_t                         size, min;
    ngx_str_t                      *value;
    ngx_http_azoai_metrics_zone_t  *z;

    if (amcf->metrics_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[2]);
    min = sizeof(ngx_http_azoai_metrics_t)
          + NGX_HTTP_AZOAI_ZONE_SLAB_PAGES * ngx_pagesize;

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid azoai_metrics_zone \"%V\" size \"%V\"",
                           &value[1], &value[2]);
        return NGX_CONF_ERROR;
    }

    if (size < min) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_metrics_zone \"%V\" size \"%V\" is too "
                           "small: it needs at least %zk", &value[1],
                           &value[2], min / 1024 + 1);
        return NGX_CONF_ERROR;
    }

    z = ngx_pcalloc(cf->pool, sizeof(ngx_http_azoai_metrics_zone_t));
    if (z == NULL) {
        return NGX_CONF_ERROR;
    }

    amcf->metrics_zone = ngx_shared_memory_add(cf, &value[1], size,
                                               &ngx_http_azoai_module);
    if (amcf->metrics_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (amcf->metrics_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_metrics_zone \"%V\" is already used",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    amcf->metrics_zone->init = ngx_http_azoai_init_zone;
    amcf->metrics_zone->data = z;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_azoai_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_azoai_metrics_zone_t  *oz = data;

    ngx_http_azoai_metrics_zone_t  *z;

    z = shm_zone->data;

    if (oz) {
        /* reload: the counters go on */
        z->shpool = oz->shpool;
        z->metrics = oz->metrics;
        return NGX_OK;
    }

    z->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        z->metrics = z->shpool->data;
        return NGX_OK;
    }

    z->metrics = ngx_slab_calloc(z->shpool, sizeof(ngx_http_azoai_metrics_t));
    if (z->metrics == NULL) {
        return NGX_ERROR;
    }

    z->shpool->data = z->metrics;

    return NGX_OK;
}


/* the log phase: each judged request is counted once */

ngx_int_t
ngx_http_azoai_log_handler(ngx_http_request_t *r)
{
    ngx_http_azoai_ctx_t           *ctx;
    ngx_http_azoai_main_conf_t     *amcf;
    ngx_http_azoai_metrics_zone_t  *z;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_azoai_module);

    if (amcf->metrics_zone == NULL || r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_azoai_get_ctx(r);

    if (ctx == NULL || ctx->counted
        || ctx->decision == NGX_HTTP_AZOAI_DECISION_NONE)
    {
        return NGX_OK;
    }

    ctx->counted = 1;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: counting request %*s: %V",
                   (size_t) NGX_HTTP_AZOAI_REQUEST_ID_LEN, ctx->request_id,
                   ngx_http_azoai_decision_name(ctx->decision));

    z = amcf->metrics_zone->data;

    ngx_http_azoai_count_details(z, ctx);

    /*
     * Last: the scrape prints azoai_requests_total first, so a request it
     * counts there is already in every other series it prints.
     */

    (void) ngx_atomic_fetch_add(
                &z->metrics->requests[ctx->decision][ctx->verdict.reason], 1);

    return NGX_OK;
}


/* masked, PII types, the deployment's requests and tokens */

static void
ngx_http_azoai_count_details(ngx_http_azoai_metrics_zone_t *z,
    ngx_http_azoai_ctx_t *ctx)
{
    ngx_int_t                       t;
    azoai_str_t                     name;
    ngx_http_azoai_metrics_t       *m;
    ngx_http_azoai_metric_pii_t    *ps;
    ngx_http_azoai_metric_dep_t    *ds;

    m = z->metrics;

    if (ctx->masked) {
        (void) ngx_atomic_fetch_add(&m->masked_requests, 1);
    }

    if (ctx->pii_opaque) {
        (void) ngx_atomic_fetch_add(&m->pii_opaque, ctx->pii_opaque);
    }

    if (ctx->pii_restored || ctx->pii_response_count || ctx->pii_unscanned
        || ctx->pii_refused)
    {
        ngx_http_azoai_count_response(z, ctx);
    }

    for (t = ngx_http_azoai_next_type(ctx->pii_types, -1);
         t != -1 && ctx->engine;
         t = ngx_http_azoai_next_type(ctx->pii_types, t))
    {
        ps = ngx_http_azoai_pii_slot(z, azoai_pii_type_name(ctx->engine, t));
        if (ps) {
            (void) ngx_atomic_fetch_add(&ps->count, ctx->body_result.counts[t]);
        }
    }

    name = ctx->verdict.deployment.len ? ctx->verdict.deployment
                                       : ctx->route.deployment;

    if (name.len == 0) {
        return;
    }

    ds = ngx_http_azoai_dep_slot(z, &name);
    if (ds == NULL) {
        (void) ngx_atomic_fetch_add(&m->deps_overflow, 1);
        return;
    }

    (void) ngx_atomic_fetch_add(&ds->requests, 1);

    if (ctx->usage.prompt_tokens > 0) {
        (void) ngx_atomic_fetch_add(&ds->prompt, ctx->usage.prompt_tokens);
    }

    if (ctx->usage.completion_tokens > 0) {
        (void) ngx_atomic_fetch_add(&ds->completion,
                                    ctx->usage.completion_tokens);
    }

    if (ctx->usage.total_tokens > 0) {
        (void) ngx_atomic_fetch_add(&ds->total, ctx->usage.total_tokens);
    }
}


/* restored, masked (in all and by type), passed unread, refused */

static void
ngx_http_azoai_count_response(ngx_http_azoai_metrics_zone_t *z,
    ngx_http_azoai_ctx_t *ctx)
{
    ngx_uint_t                    t;
    ngx_http_azoai_metrics_t     *m;
    azoai_resp_mask_t            *mask;
    ngx_http_azoai_metric_pii_t  *ps;

    m = z->metrics;

    (void) ngx_atomic_fetch_add(&m->pii_restored, ctx->pii_restored);
    (void) ngx_atomic_fetch_add(&m->pii_response, ctx->pii_response_count);
    (void) ngx_atomic_fetch_add(&m->pii_unscanned, ctx->pii_unscanned);
    (void) ngx_atomic_fetch_add(&m->pii_refused, ctx->pii_refused);

    mask = ctx->restore ? ctx->restore->mask : NULL;

    if (mask == NULL || mask->masked == 0) {
        return;
    }

    for (t = 0; t < AZOAI_PII_MAX_TYPES; t++) {
        if (mask->counts[t] == 0) {
            continue;
        }

        ps = ngx_http_azoai_pii_slot(z, azoai_pii_type_name(mask->engine, t));
        if (ps) {
            (void) ngx_atomic_fetch_add(&ps->response, mask->counts[t]);
        }
    }
}


static ngx_http_azoai_metric_pii_t *
ngx_http_azoai_pii_slot(ngx_http_azoai_metrics_zone_t *z, const char *name)
{
    size_t                        len;
    ngx_uint_t                    i;
    ngx_http_azoai_metric_pii_t  *slot;

    len = ngx_strlen(name);
    if (len > NGX_HTTP_AZOAI_METRIC_NAME_LEN) {
        return NULL;
    }

    slot = z->metrics->pii;

    for (i = 0; i < NGX_HTTP_AZOAI_METRIC_PII_TYPES; i++) {
        if (ngx_strcmp(slot[i].name, name) == 0) {
            return &slot[i];
        }

        if (slot[i].name[0] == '\0') {
            break;
        }
    }

    ngx_shmtx_lock(&z->shpool->mutex);

    for ( /* void */ ; i < NGX_HTTP_AZOAI_METRIC_PII_TYPES; i++) {
        if (slot[i].name[0] == '\0') {
            ngx_http_azoai_publish_name(slot[i].name, (u_char *) name, len);
            break;
        }

        if (ngx_strcmp(slot[i].name, name) == 0) {
            break;
        }
    }

    ngx_shmtx_unlock(&z->shpool->mutex);

    return i < NGX_HTTP_AZOAI_METRIC_PII_TYPES ? &slot[i] : NULL;
}


/*
 * Deployments seen are kept in a fixed table; names that are not safe to
 * print are counted under "-invalid-", and a full table counts in
 * azoai_deployments_overflow_total.
 */

static ngx_http_azoai_metric_dep_t *
ngx_http_azoai_dep_slot(ngx_http_azoai_metrics_zone_t *z,
    const azoai_str_t *name)
{
    u_char                        key[NGX_HTTP_AZOAI_METRIC_NAME_LEN + 1];
    ngx_uint_t                    i;
    ngx_http_azoai_metric_dep_t  *slot;

    if (azoai_name_printable(name->data, name->len)) {
        ngx_memcpy(key, name->data, name->len);
        key[name->len] = '\0';

    } else {
        ngx_memcpy(key, "-invalid-", sizeof("-invalid-"));
    }

    slot = z->metrics->deps;

    for (i = 0; i < NGX_HTTP_AZOAI_METRIC_DEPS; i++) {
        if (slot[i].name[0] == '\0') {
            break;
        }

        if (ngx_strcmp(slot[i].name, key) == 0) {
            return &slot[i];
        }
    }

    ngx_shmtx_lock(&z->shpool->mutex);

    for ( /* void */ ; i < NGX_HTTP_AZOAI_METRIC_DEPS; i++) {
        if (slot[i].name[0] == '\0') {
            ngx_http_azoai_publish_name(slot[i].name, key, ngx_strlen(key));
            break;
        }

        if (ngx_strcmp(slot[i].name, key) == 0) {
            break;
        }
    }

    ngx_shmtx_unlock(&z->shpool->mutex);

    return i < NGX_HTTP_AZOAI_METRIC_DEPS ? &slot[i] : NULL;
}


/*
 * Readers look at slots without the lock: the first byte goes in last, so
 * a name that is seen at all is seen whole.
 */

static void
ngx_http_azoai_publish_name(u_char *slot, u_char *name, size_t len)
{
    ngx_memcpy(slot + 1, name + 1, len - 1);
    slot[len] = '\0';
    ngx_memory_barrier();
    slot[0] = name[0];
}
