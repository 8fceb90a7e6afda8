/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Counters in shared memory, so that all workers count together and the
 * counts survive reloads: requests by decision and reason, PII by type,
 * tokens by deployment.  azoai_metrics answers in Prometheus text format.
 */


#include "ngx_http_azoai_module.h"


#define NGX_HTTP_AZOAI_METRIC_NAME_LEN   64
#define NGX_HTTP_AZOAI_METRIC_PII_TYPES  AZOAI_PII_MAX_TYPES
#define NGX_HTTP_AZOAI_METRIC_DEPS       256


typedef struct {
    u_char                      name[NGX_HTTP_AZOAI_METRIC_NAME_LEN + 1];
    ngx_atomic_t                count;
} ngx_http_azoai_metric_pii_t;


typedef struct {
    u_char                      name[NGX_HTTP_AZOAI_METRIC_NAME_LEN + 1];
    ngx_atomic_t                requests;
    ngx_atomic_t                prompt;
    ngx_atomic_t                completion;
    ngx_atomic_t                total;
} ngx_http_azoai_metric_dep_t;


struct ngx_http_azoai_metrics_s {
    ngx_atomic_t                requests[4][AZOAI_REASON_N];
    ngx_atomic_t                masked_requests;
    ngx_http_azoai_metric_pii_t pii[NGX_HTTP_AZOAI_METRIC_PII_TYPES];
    ngx_http_azoai_metric_dep_t deps[NGX_HTTP_AZOAI_METRIC_DEPS];
    ngx_atomic_t                deps_overflow;
};


typedef struct {
    ngx_slab_pool_t            *shpool;
    ngx_http_azoai_metrics_t   *metrics;
} ngx_http_azoai_metrics_zone_t;


static ngx_int_t ngx_http_azoai_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_azoai_metrics_handler(ngx_http_request_t *r);
static void ngx_http_azoai_count_details(ngx_http_azoai_metrics_zone_t *z,
    ngx_http_azoai_ctx_t *ctx);
static ngx_http_azoai_metric_pii_t *ngx_http_azoai_pii_slot(
    ngx_http_azoai_metrics_zone_t *z, const char *name);
static ngx_http_azoai_metric_dep_t *ngx_http_azoai_dep_slot(
    ngx_http_azoai_metrics_zone_t *z, const azoai_str_t *name);
static ngx_uint_t ngx_http_azoai_printable(const azoai_str_t *name);
static void ngx_http_azoai_publish_name(u_char *slot, u_char *name,
    size_t len);
static u_char *ngx_http_azoai_metrics_print(u_char *p, u_char *last,
    ngx_http_azoai_metrics_t *m);


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
    min = sizeof(ngx_http_azoai_metrics_t) + 8 * ngx_pagesize;

    if (size == NGX_ERROR || size < min) {
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


char *
ngx_http_azoai_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_azoai_loc_conf_t  *alcf = conf;

    if (alcf->metrics) {
        return "is duplicate";
    }

    alcf->metrics = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_azoai_metrics_handler;

    return NGX_CONF_OK;
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
    unsigned                        t, n;
    azoai_str_t                     name;
    ngx_http_azoai_metrics_t       *m;
    ngx_http_azoai_metric_pii_t    *ps;
    ngx_http_azoai_metric_dep_t    *ds;

    m = z->metrics;

    if (ctx->masked) {
        (void) ngx_atomic_fetch_add(&m->masked_requests, 1);
    }

    if (ctx->pii_types && ctx->engine) {
        n = azoai_pii_type_count(ctx->engine);

        for (t = 0; t < n && t < AZOAI_PII_MAX_TYPES; t++) {
            if (!(ctx->pii_types & ((uint64_t) 1 << t))) {
                continue;
            }

            ps = ngx_http_azoai_pii_slot(z,
                                         azoai_pii_type_name(ctx->engine, t));
            if (ps) {
                (void) ngx_atomic_fetch_add(&ps->count, ctx->pii_counts[t]);
            }
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

    if (ngx_http_azoai_printable(name)) {
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


static ngx_uint_t
ngx_http_azoai_printable(const azoai_str_t *name)
{
    return name->len <= NGX_HTTP_AZOAI_METRIC_NAME_LEN
           && azoai_name_printable(name->data, name->len);
}


static ngx_int_t
ngx_http_azoai_metrics_handler(ngx_http_request_t *r)
{
    size_t                          size;
    ngx_int_t                       rc;
    ngx_buf_t                      *b;
    ngx_chain_t                     out;
    ngx_http_azoai_main_conf_t     *amcf;
    ngx_http_azoai_metrics_zone_t  *z;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_azoai_module);

    if (amcf->metrics_zone == NULL) {
        ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                 "azoai_metrics: no azoai_metrics_zone "
                                 "is configured");
        return NGX_HTTP_NOT_FOUND;
    }

    z = amcf->metrics_zone->data;

    size = 4096 + 4 * AZOAI_REASON_N * 128
           + NGX_HTTP_AZOAI_METRIC_PII_TYPES * 160
           + NGX_HTTP_AZOAI_METRIC_DEPS * 4 * 200;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_http_azoai_metrics_print(b->pos, b->end, z->metrics);
    b->last_buf = 1;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static u_char *
ngx_http_azoai_metrics_print(u_char *p, u_char *last,
    ngx_http_azoai_metrics_t *m)
{
    ngx_uint_t                    d, i;
    ngx_http_azoai_metric_dep_t  *ds;

    p = ngx_slprintf(p, last,
            "# HELP azoai_requests_total Requests judged, by decision "
            "and reason.\n"
            "# TYPE azoai_requests_total counter\n");

    for (d = NGX_HTTP_AZOAI_DECISION_ALLOW;
         d <= NGX_HTTP_AZOAI_DECISION_REPORT_DENY;
         d++)
    {
        for (i = 0; i < AZOAI_REASON_N; i++) {
            if (m->requests[d][i] == 0
                && !(d == NGX_HTTP_AZOAI_DECISION_ALLOW && i == 0))
            {
                continue;
            }

            p = ngx_slprintf(p, last,
                    "azoai_requests_total{decision=\"%s\",reason=\"%s\"} "
                    "%uA\n",
                    ngx_http_azoai_decision_name(d), azoai_reason_code(i),
                    m->requests[d][i]);
        }
    }

    p = ngx_slprintf(p, last,
            "# HELP azoai_masked_requests_total Requests whose body was "
            "masked.\n"
            "# TYPE azoai_masked_requests_total counter\n"
            "azoai_masked_requests_total %uA\n"
            "# HELP azoai_pii_total PII values found, by type.\n"
            "# TYPE azoai_pii_total counter\n", m->masked_requests);

    for (i = 0; i < NGX_HTTP_AZOAI_METRIC_PII_TYPES; i++) {
        if (m->pii[i].name[0] == '\0') {
            break;
        }

        p = ngx_slprintf(p, last, "azoai_pii_total{type=\"%s\"} %uA\n",
                         m->pii[i].name, m->pii[i].count);
    }

    p = ngx_slprintf(p, last,
            "# HELP azoai_deployment_requests_total Requests, by "
            "deployment.\n"
            "# TYPE azoai_deployment_requests_total counter\n");

    for (i = 0; i < NGX_HTTP_AZOAI_METRIC_DEPS; i++) {
        ds = &m->deps[i];

        if (ds->name[0] == '\0') {
            break;
        }

        p = ngx_slprintf(p, last,
                "azoai_deployment_requests_total{deployment=\"%s\"} %uA\n",
                ds->name, ds->requests);
    }

    p = ngx_slprintf(p, last,
            "# HELP azoai_tokens_total Tokens from response usage, by "
            "deployment and kind.\n"
            "# TYPE azoai_tokens_total counter\n");

    for (i = 0; i < NGX_HTTP_AZOAI_METRIC_DEPS; i++) {
        ds = &m->deps[i];

        if (ds->name[0] == '\0') {
            break;
        }

        p = ngx_slprintf(p, last,
                "azoai_tokens_total{deployment=\"%s\",kind=\"prompt\"} %uA\n"
                "azoai_tokens_total{deployment=\"%s\",kind=\"completion\"} "
                "%uA\n"
                "azoai_tokens_total{deployment=\"%s\",kind=\"total\"} %uA\n",
                ds->name, ds->prompt, ds->name, ds->completion,
                ds->name, ds->total);
    }

    p = ngx_slprintf(p, last,
            "# HELP azoai_deployments_overflow_total Requests whose "
            "deployment did not fit the table.\n"
            "# TYPE azoai_deployments_overflow_total counter\n"
            "azoai_deployments_overflow_total %uA\n", m->deps_overflow);

    return p;
}
