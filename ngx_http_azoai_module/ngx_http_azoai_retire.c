/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Retirement dates of the catalog: the clock the policy judges them by
 * (NGINX's), the warnings at configuration time (start, reload, nginx -t)
 * once per deployment, and, within azoai_retirement_notice of the date,
 * the X-AzOAI-Retires header and $azoai_model_retires.
 */


#include "ngx_http_azoai_ctx.h"
#include "ngx_http_azoai_header_out.h"

#include "azoai_catalog.h"
#include "azoai_date.h"


typedef struct {
    ngx_conf_t                  *cf;
    ngx_http_azoai_main_conf_t  *amcf;
} ngx_http_azoai_retire_warn_t;


static void ngx_http_azoai_retire_warn_one(void *data,
    const azoai_deployment_t *d, int64_t retires);
static ngx_uint_t ngx_http_azoai_retire_warned(ngx_conf_t *cf,
    ngx_http_azoai_main_conf_t *amcf, const azoai_deployment_t *d);
static size_t ngx_http_azoai_retires(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, u_char *date);


static ngx_str_t  ngx_http_azoai_h_retires = ngx_string("X-AzOAI-Retires");


int64_t
ngx_http_azoai_now(void)
{
    return (int64_t) ngx_time();
}


/*
 * Warns about each deployment of the level's catalog that retires within
 * its azoai_retirement_notice, or has retired; each deployment once per
 * configuration, whatever the number of levels that share it.
 */

void
ngx_http_azoai_retire_warn(ngx_conf_t *cf, ngx_http_azoai_loc_conf_t *conf)
{
    ngx_http_azoai_retire_warn_t  w;

    if (conf->catalog.catalog == NULL) {
        return;
    }

    w.cf = cf;
    w.amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_azoai_module);

    azoai_catalog_each_retiring(conf->catalog.catalog,
                                (int64_t) ngx_time()
                                + (int64_t) conf->retirement_notice,
                                ngx_http_azoai_retire_warn_one, &w);
}


static void
ngx_http_azoai_retire_warn_one(void *data, const azoai_deployment_t *d,
    int64_t retires)
{
    ngx_http_azoai_retire_warn_t *w = data;

    int64_t  left;
    u_char   date[AZOAI_DATE_LEN + 1];

    if (ngx_http_azoai_retire_warned(w->cf, w->amcf, d)) {
        return;
    }

    azoai_date_format(retires, date);
    left = retires - (int64_t) ngx_time();

    if (left <= 0) {
        ngx_log_error(NGX_LOG_WARN, w->cf->log, 0,
                      "azoai: deployment \"%*s\" (%*s %*s) retired on %s: "
                      "requests to it are denied (RetiredModelBlocked)",
                      d->name.len, d->name.data, d->model.len,
                      d->model.data, d->version.len, d->version.data, date);
        return;
    }

    ngx_log_error(NGX_LOG_WARN, w->cf->log, 0,
                  "azoai: deployment \"%*s\" (%*s %*s) retires on %s, in "
                  "%L day(s): from then on requests to it are denied",
                  d->name.len, d->name.data, d->model.len, d->model.data,
                  d->version.len, d->version.data, date,
                  (left + AZOAI_DATE_DAY - 1) / AZOAI_DATE_DAY);
}


/* 1 if d was warned about already; else remembers it */

static ngx_uint_t
ngx_http_azoai_retire_warned(ngx_conf_t *cf,
    ngx_http_azoai_main_conf_t *amcf, const azoai_deployment_t *d)
{
    ngx_str_t   *name;
    ngx_uint_t   i;

    if (amcf->retire_warned == NULL) {
        amcf->retire_warned = ngx_array_create(cf->pool, 4,
                                               sizeof(ngx_str_t));
        if (amcf->retire_warned == NULL) {
            return 0;
        }
    }

    name = amcf->retire_warned->elts;

    for (i = 0; i < amcf->retire_warned->nelts; i++) {
        if (name[i].len == d->name.len
            && ngx_strncasecmp(name[i].data, (u_char *) d->name.data,
                               d->name.len) == 0)
        {
            return 1;
        }
    }

    name = ngx_array_push(amcf->retire_warned);
    if (name == NULL) {
        return 0;
    }

    /* catalog memory lives as long as the configuration */
    name->data = (u_char *) d->name.data;
    name->len = d->name.len;

    return 0;
}


/* X-AzOAI-Retires: DATE within the notice window */

ngx_int_t
ngx_http_azoai_retire_header(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    ngx_str_t  value;
    u_char     date[AZOAI_DATE_LEN + 1];

    value.len = ngx_http_azoai_retires(r, ctx, date);

    if (value.len == 0) {
        return NGX_OK;
    }

    value.data = ngx_pnalloc(r->pool, value.len);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(value.data, date, value.len);

    return ngx_http_azoai_add_header_out(r, &ngx_http_azoai_h_retires,
                                         &value);
}


/* $azoai_model_retires: the date within the notice window, else empty */

ngx_int_t
ngx_http_azoai_var_retires(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    size_t                 len;
    u_char                *p;
    ngx_http_azoai_ctx_t  *ctx;
    u_char                 date[AZOAI_DATE_LEN + 1];

    ctx = ngx_http_azoai_get_ctx(r);

    if (ctx == NULL || ctx->decision == NGX_HTTP_AZOAI_DECISION_NONE) {
        v->not_found = 1;
        return NGX_OK;
    }

    len = ngx_http_azoai_retires(r, ctx, date);

    p = ngx_pnalloc(r->pool, len ? len : 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, date, len);

    v->data = p;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/* the date into date (NUL-terminated) if within the window; its length */

static size_t
ngx_http_azoai_retires(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    u_char *date)
{
    ngx_http_azoai_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    if (!ngx_http_azoai_retires_soon(ctx, alcf)) {
        return 0;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: the deployment retires within the notice "
                   "window, at %L", ctx->verdict.retires);

    return azoai_date_format(ctx->verdict.retires, date);
}
