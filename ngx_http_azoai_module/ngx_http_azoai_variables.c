/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * $azoai_* variables for log_format, map, if and proxy_set_header.  They
 * carry decisions, names and counts, never a PII value or a credential.
 */


#include "ngx_http_azoai_ctx.h"


/* $azoai_body_sha256: SHA-256 in hex */
#define NGX_HTTP_AZOAI_SHA256_HEX    64


typedef enum {
    NGX_HTTP_AZOAI_VAR_REQUEST_ID = 0,
    NGX_HTTP_AZOAI_VAR_DECISION,
    NGX_HTTP_AZOAI_VAR_REASON,
    NGX_HTTP_AZOAI_VAR_OPERATION,
    NGX_HTTP_AZOAI_VAR_DEPLOYMENT,
    NGX_HTTP_AZOAI_VAR_MODEL,
    NGX_HTTP_AZOAI_VAR_MODEL_VERSION,
    NGX_HTTP_AZOAI_VAR_API_VERSION,
    NGX_HTTP_AZOAI_VAR_PII_COUNT,
    NGX_HTTP_AZOAI_VAR_PII_TYPES,
    NGX_HTTP_AZOAI_VAR_BODY_SHA256,
    NGX_HTTP_AZOAI_VAR_PROMPT_TOKENS,
    NGX_HTTP_AZOAI_VAR_COMPLETION_TOKENS,
    NGX_HTTP_AZOAI_VAR_TOTAL_TOKENS,
    NGX_HTTP_AZOAI_VAR_PII_RESTORED,
    NGX_HTTP_AZOAI_VAR_PII_RESPONSE_COUNT,
    NGX_HTTP_AZOAI_VAR_PII_OPAQUE,
    NGX_HTTP_AZOAI_VAR_PII_UNSCANNED,
    NGX_HTTP_AZOAI_VAR_TOKENS_REMAINING
} ngx_http_azoai_var_e;


static ngx_int_t ngx_http_azoai_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_azoai_var_string(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_http_azoai_ctx_t *ctx, uintptr_t data);
static ngx_int_t ngx_http_azoai_var_name(ngx_http_variable_value_t *v,
    const azoai_str_t *name);
static ngx_int_t ngx_http_azoai_var_number(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, int64_t n);
static ngx_int_t ngx_http_azoai_var_pii_types(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_http_azoai_ctx_t *ctx);
static ngx_int_t ngx_http_azoai_var_sha256(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_http_azoai_ctx_t *ctx);
static void ngx_http_azoai_var_set(ngx_http_variable_value_t *v,
    u_char *data, size_t len);


#define NGX_HTTP_AZOAI_VAR(name, id)                                         \
    { ngx_string(name), NULL, ngx_http_azoai_variable, id,                   \
      NGX_HTTP_VAR_NOCACHEABLE, 0 }


static ngx_http_variable_t  ngx_http_azoai_vars[] = {

    NGX_HTTP_AZOAI_VAR("azoai_request_id", NGX_HTTP_AZOAI_VAR_REQUEST_ID),
    NGX_HTTP_AZOAI_VAR("azoai_decision", NGX_HTTP_AZOAI_VAR_DECISION),
    NGX_HTTP_AZOAI_VAR("azoai_reason", NGX_HTTP_AZOAI_VAR_REASON),
    NGX_HTTP_AZOAI_VAR("azoai_operation", NGX_HTTP_AZOAI_VAR_OPERATION),
    NGX_HTTP_AZOAI_VAR("azoai_deployment", NGX_HTTP_AZOAI_VAR_DEPLOYMENT),
    NGX_HTTP_AZOAI_VAR("azoai_model", NGX_HTTP_AZOAI_VAR_MODEL),
    NGX_HTTP_AZOAI_VAR("azoai_model_version",
                       NGX_HTTP_AZOAI_VAR_MODEL_VERSION),
    NGX_HTTP_AZOAI_VAR("azoai_api_version", NGX_HTTP_AZOAI_VAR_API_VERSION),
    NGX_HTTP_AZOAI_VAR("azoai_pii_count", NGX_HTTP_AZOAI_VAR_PII_COUNT),
    NGX_HTTP_AZOAI_VAR("azoai_pii_types", NGX_HTTP_AZOAI_VAR_PII_TYPES),
    NGX_HTTP_AZOAI_VAR("azoai_body_sha256", NGX_HTTP_AZOAI_VAR_BODY_SHA256),
    NGX_HTTP_AZOAI_VAR("azoai_prompt_tokens",
                       NGX_HTTP_AZOAI_VAR_PROMPT_TOKENS),
    NGX_HTTP_AZOAI_VAR("azoai_completion_tokens",
                       NGX_HTTP_AZOAI_VAR_COMPLETION_TOKENS),
    NGX_HTTP_AZOAI_VAR("azoai_total_tokens", NGX_HTTP_AZOAI_VAR_TOTAL_TOKENS),
    NGX_HTTP_AZOAI_VAR("azoai_pii_restored", NGX_HTTP_AZOAI_VAR_PII_RESTORED),
    NGX_HTTP_AZOAI_VAR("azoai_pii_response_count",
                       NGX_HTTP_AZOAI_VAR_PII_RESPONSE_COUNT),
    NGX_HTTP_AZOAI_VAR("azoai_pii_opaque", NGX_HTTP_AZOAI_VAR_PII_OPAQUE),
    NGX_HTTP_AZOAI_VAR("azoai_pii_unscanned",
                       NGX_HTTP_AZOAI_VAR_PII_UNSCANNED),
    NGX_HTTP_AZOAI_VAR("azoai_tokens_remaining",
                       NGX_HTTP_AZOAI_VAR_TOKENS_REMAINING),

    /* ngx_http_azoai_retire.c */
    { ngx_string("azoai_model_retires"), NULL, ngx_http_azoai_var_retires,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_azoai_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_azoai_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_azoai_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_http_azoai_ctx_t  *ctx;

    ctx = ngx_http_azoai_get_ctx(r);

    if (ctx == NULL || ctx->decision == NGX_HTTP_AZOAI_DECISION_NONE) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_AZOAI_VAR_PII_COUNT:
        return ngx_http_azoai_var_number(r, v, ctx->pii_count);

    case NGX_HTTP_AZOAI_VAR_PII_TYPES:
        return ngx_http_azoai_var_pii_types(r, v, ctx);

    case NGX_HTTP_AZOAI_VAR_BODY_SHA256:
        return ngx_http_azoai_var_sha256(r, v, ctx);

    case NGX_HTTP_AZOAI_VAR_PROMPT_TOKENS:
        return ngx_http_azoai_var_number(r, v, ctx->usage.prompt_tokens);

    case NGX_HTTP_AZOAI_VAR_COMPLETION_TOKENS:
        return ngx_http_azoai_var_number(r, v,
                                         ctx->usage.completion_tokens);

    case NGX_HTTP_AZOAI_VAR_TOTAL_TOKENS:
        return ngx_http_azoai_var_number(r, v, ctx->usage.total_tokens);

    case NGX_HTTP_AZOAI_VAR_PII_RESTORED:
        return ngx_http_azoai_var_number(r, v, ctx->pii_restored);

    case NGX_HTTP_AZOAI_VAR_PII_RESPONSE_COUNT:
        return ngx_http_azoai_var_number(r, v, ctx->pii_response_count);

    case NGX_HTTP_AZOAI_VAR_PII_OPAQUE:
        return ngx_http_azoai_var_number(r, v, ctx->pii_opaque);
    case NGX_HTTP_AZOAI_VAR_PII_UNSCANNED:
        return ngx_http_azoai_var_number(r, v, ctx->pii_unscanned);

    case NGX_HTTP_AZOAI_VAR_TOKENS_REMAINING:
        return ngx_http_azoai_var_number(r, v, ctx->tokens_remaining);

    default:
        return ngx_http_azoai_var_string(r, v, ctx, data);
    }
}


/* the variables that show a string the request or the decision holds */

static ngx_int_t
ngx_http_azoai_var_string(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    ngx_http_azoai_ctx_t *ctx, uintptr_t data)
{
    const char  *s;
    ngx_str_t   *name;
    azoai_str_t  dep;

    switch (data) {

    case NGX_HTTP_AZOAI_VAR_REQUEST_ID:
        ngx_http_azoai_var_set(v, ctx->request_id,
                               NGX_HTTP_AZOAI_REQUEST_ID_LEN);
        return NGX_OK;

    case NGX_HTTP_AZOAI_VAR_DECISION:
        name = ngx_http_azoai_decision_name(ctx->decision);
        ngx_http_azoai_var_set(v, name->data, name->len);
        return NGX_OK;

    case NGX_HTTP_AZOAI_VAR_REASON:
        name = ngx_http_azoai_reason_code(ctx->verdict.reason);
        ngx_http_azoai_var_set(v, name->data, name->len);
        return NGX_OK;

    case NGX_HTTP_AZOAI_VAR_OPERATION:
        s = ctx->route.operation ? ctx->route.operation : "";
        ngx_http_azoai_var_set(v, (u_char *) s, ngx_strlen(s));
        return NGX_OK;

    case NGX_HTTP_AZOAI_VAR_DEPLOYMENT:
        dep = ctx->verdict.deployment.len ? ctx->verdict.deployment
                                          : ctx->route.deployment;
        return ngx_http_azoai_var_name(v, &dep);

    case NGX_HTTP_AZOAI_VAR_MODEL:
        return ngx_http_azoai_var_name(v, &ctx->verdict.model);

    case NGX_HTTP_AZOAI_VAR_MODEL_VERSION:
        return ngx_http_azoai_var_name(v, &ctx->verdict.model_version);

    case NGX_HTTP_AZOAI_VAR_API_VERSION:
        return ngx_http_azoai_var_name(v, &ctx->route.api_version);
    }

    v->not_found = 1;
    return NGX_OK;
}


/*
 * Names come from the client (path, body, query): only names that look
 * like deployment, model and version names are shown (no long digit runs,
 * no dotted quads), so that no stray value, PII or credential reaches a
 * log through them.
 */

static ngx_int_t
ngx_http_azoai_var_name(ngx_http_variable_value_t *v, const azoai_str_t *name)
{
    if (name->len == 0) {
        ngx_http_azoai_var_set(v, (u_char *) "", 0);
        return NGX_OK;
    }

    if (!azoai_name_printable(name->data, name->len)) {
        ngx_http_azoai_var_set(v, (u_char *) "-invalid-",
                               sizeof("-invalid-") - 1);
        return NGX_OK;
    }

    ngx_http_azoai_var_set(v, (u_char *) name->data, name->len);
    return NGX_OK;
}


static ngx_int_t
ngx_http_azoai_var_number(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    int64_t n)
{
    u_char  *p;

    if (n < 0) {
        ngx_http_azoai_var_set(v, (u_char *) "", 0);
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_azoai_var_set(v, p, ngx_sprintf(p, "%L", n) - p);

    return NGX_OK;
}


static ngx_int_t
ngx_http_azoai_var_pii_types(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_http_azoai_ctx_t *ctx)
{
    u_char     *p, *start, *last;
    size_t      len;
    ngx_int_t   t;

    if (ctx->pii_types == 0 || ctx->engine == NULL) {
        ngx_http_azoai_var_set(v, (u_char *) "", 0);
        return NGX_OK;
    }

    len = 0;

    for (t = ngx_http_azoai_next_type(ctx->pii_types, -1);
         t != -1;
         t = ngx_http_azoai_next_type(ctx->pii_types, t))
    {
        len += ngx_strlen(azoai_pii_type_name(ctx->engine, t))
               + sizeof(",:") - 1 + NGX_INT32_LEN;
    }

    start = ngx_pnalloc(r->pool, len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    p = start;
    last = start + len;

    for (t = ngx_http_azoai_next_type(ctx->pii_types, -1);
         t != -1;
         t = ngx_http_azoai_next_type(ctx->pii_types, t))
    {
        p = ngx_slprintf(p, last, "%s%s:%uD", p == start ? "" : ",",
                         azoai_pii_type_name(ctx->engine, t),
                         ctx->body_result.counts[t]);
    }

    ngx_http_azoai_var_set(v, start, p - start);

    return NGX_OK;
}


/* computed when asked for: most configurations never log it */

static ngx_int_t
ngx_http_azoai_var_sha256(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    ngx_http_azoai_ctx_t *ctx)
{
    u_char  *p;

    if (ctx->received_in == NGX_HTTP_AZOAI_RECEIVED_NONE) {
        ngx_http_azoai_var_set(v, (u_char *) "", 0);
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_HTTP_AZOAI_SHA256_HEX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_azoai_body_sha256(r, ctx, p) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_azoai_var_set(v, p, NGX_HTTP_AZOAI_SHA256_HEX);

    return NGX_OK;
}


static void
ngx_http_azoai_var_set(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
}
