/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_allow_deployments: the directive's patterns, compiled as complex
 * values, and their expansion per request into the one list the core
 * matches (core/azoai_allow.c).  The arguments are joined with a space,
 * so an argument that expands to several names, or to none, is just
 * more, or no, patterns.
 */


#include "ngx_http_azoai_ctx.h"

#include "azoai_allow.h"


char *
ngx_http_azoai_allow_deployments(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_str_t                         *value;
    ngx_uint_t                         i;
    ngx_http_complex_value_t          *cv;
    ngx_http_compile_complex_value_t   ccv;

    if (alcf->allow_deployments != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    alcf->allow_deployments = ngx_array_create(cf->pool,
                                         cf->args->nelts - 1,
                                         sizeof(ngx_http_complex_value_t));
    if (alcf->allow_deployments == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        cv = ngx_array_push(alcf->allow_deployments);
        if (cv == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        /* a pattern without variables is checked now */
        if (cv->lengths == NULL
            && !azoai_allow_pattern_valid(value[i].data, value[i].len))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid deployment pattern \"%V\": 1 to %d "
                               "letters, digits, \".\", \"_\", \"-\" "
                               "and \"*\"", &value[i], AZOAI_NAME_MAX);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* ctx->allow: NULL without the directive, else the list (maybe empty) */

ngx_int_t
ngx_http_azoai_allow_expand(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    u_char                     *p;
    size_t                      len;
    ngx_str_t                  *vals;
    ngx_uint_t                  i, n;
    ngx_http_complex_value_t   *cv;
    ngx_http_azoai_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    ctx->allow = NULL;

    if (alcf->allow_deployments == NULL || !ctx->route.azure) {
        return NGX_OK;
    }

    cv = alcf->allow_deployments->elts;
    n = alcf->allow_deployments->nelts;

    vals = ngx_palloc(r->pool, n * sizeof(ngx_str_t));
    if (vals == NULL) {
        return NGX_ERROR;
    }

    len = 0;

    for (i = 0; i < n; i++) {
        if (ngx_http_complex_value(r, &cv[i], &vals[i]) != NGX_OK) {
            return NGX_ERROR;
        }

        len += vals[i].len + 1;
    }

    ctx->allow = ngx_palloc(r->pool, sizeof(azoai_str_t) + len);
    if (ctx->allow == NULL) {
        return NGX_ERROR;
    }

    p = (u_char *) (ctx->allow + 1);
    ctx->allow->data = p;

    for (i = 0; i < n; i++) {
        p = ngx_cpymem(p, vals[i].data, vals[i].len);
        *p++ = ' ';
    }

    ctx->allow->len = p - ctx->allow->data;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: %uz bytes of allowed deployment patterns",
                   ctx->allow->len);

    return NGX_OK;
}
