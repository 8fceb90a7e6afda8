/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * $azoai_* variables for log_format, map, if and proxy_set_header.  They
 * carry decisions, names and counts, never a PII value or a credential.
 */


#include <openssl/evp.h>

#include "ngx_http_azoai_module.h"


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
    NGX_HTTP_AZOAI_VAR_TOTAL_TOKENS
} ngx_http_azoai_var_e;


static ngx_int_t ngx_http_azoai_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_azoai_var_name(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, const azoai_str_t *name);
static ngx_int_t ngx_http_azoai_var_number(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, int64_t n);
static ngx_int_t ngx_http_azoai_var_pii_types(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_http_azoai_ctx_t *ctx);
static ngx_int_t ngx_http_azoai_digest_chain(ngx_http_request_t *r,
    ngx_chain_t *cl, u_char *md, unsigned int *n);
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


const char *
ngx_http_azoai_decision_name(ngx_uint_t decision)
{
    switch (decision) {

    case NGX_HTTP_AZOAI_DECISION_ALLOW:
        return "allow";

    case NGX_HTTP_AZOAI_DECISION_DENY:
        return "deny";

    case NGX_HTTP_AZOAI_DECISION_REPORT_DENY:
        return "report-deny";

    default:
        return "";
    }
}


static ngx_int_t
ngx_http_azoai_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    const char            *s;
    azoai_str_t            name;
    ngx_http_azoai_ctx_t  *ctx;

    ctx = ngx_http_azoai_get_ctx(r);

    if (ctx == NULL || ctx->decision == NGX_HTTP_AZOAI_DECISION_NONE) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_AZOAI_VAR_REQUEST_ID:
        ngx_http_azoai_var_set(v, ctx->request_id,
                               NGX_HTTP_AZOAI_REQUEST_ID_LEN);
        return NGX_OK;

    case NGX_HTTP_AZOAI_VAR_DECISION:
        s = ngx_http_azoai_decision_name(ctx->decision);
        ngx_http_azoai_var_set(v, (u_char *) s, ngx_strlen(s));
        return NGX_OK;

    case NGX_HTTP_AZOAI_VAR_REASON:
        s = azoai_reason_code(ctx->verdict.reason);
        ngx_http_azoai_var_set(v, (u_char *) s, ngx_strlen(s));
        return NGX_OK;

    case NGX_HTTP_AZOAI_VAR_OPERATION:
        s = ctx->route.operation ? ctx->route.operation : "";
        ngx_http_azoai_var_set(v, (u_char *) s, ngx_strlen(s));
        return NGX_OK;

    case NGX_HTTP_AZOAI_VAR_DEPLOYMENT:
        name = ctx->verdict.deployment.len ? ctx->verdict.deployment
                                           : ctx->route.deployment;
        return ngx_http_azoai_var_name(r, v, &name);

    case NGX_HTTP_AZOAI_VAR_MODEL:
        return ngx_http_azoai_var_name(r, v, &ctx->verdict.model);

    case NGX_HTTP_AZOAI_VAR_MODEL_VERSION:
        return ngx_http_azoai_var_name(r, v, &ctx->verdict.model_version);

    case NGX_HTTP_AZOAI_VAR_API_VERSION:
        return ngx_http_azoai_var_name(r, v, &ctx->route.api_version);

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
ngx_http_azoai_var_name(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    const azoai_str_t *name)
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
    u_char    *p, *start, *last;
    size_t     len;
    unsigned   t, n;

    if (ctx->pii_types == 0 || ctx->engine == NULL) {
        ngx_http_azoai_var_set(v, (u_char *) "", 0);
        return NGX_OK;
    }

    n = azoai_pii_type_count(ctx->engine);
    len = 0;

    for (t = 0; t < n && t < AZOAI_PII_MAX_TYPES; t++) {
        if (ctx->pii_types & ((uint64_t) 1 << t)) {
            len += ngx_strlen(azoai_pii_type_name(ctx->engine, t))
                   + 1 + NGX_INT32_LEN + 1;
        }
    }

    start = ngx_pnalloc(r->pool, len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    p = start;
    last = start + len;

    for (t = 0; t < n && t < AZOAI_PII_MAX_TYPES; t++) {
        if (ctx->pii_types & ((uint64_t) 1 << t)) {
            p = ngx_slprintf(p, last, "%s%s:%uD", p == start ? "" : ",",
                             azoai_pii_type_name(ctx->engine, t),
                             ctx->pii_counts[t]);
        }
    }

    ngx_http_azoai_var_set(v, start, p - start);

    return NGX_OK;
}


static ngx_int_t
ngx_http_azoai_var_sha256(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    ngx_http_azoai_ctx_t *ctx)
{
    u_char        *p;
    unsigned int   n;
    u_char         md[EVP_MAX_MD_SIZE];

    if (!ctx->body_seen) {
        ngx_http_azoai_var_set(v, (u_char *) "", 0);
        return NGX_OK;
    }

    /* computed when asked for: most configurations never log it */

    if (ctx->body_chain) {
        if (ngx_http_azoai_digest_chain(r, ctx->body_chain, md, &n)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (EVP_Digest(ctx->body.data, ctx->body.len, md, &n,
                          EVP_sha256(), NULL)
               != 1)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, n * 2);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_azoai_var_set(v, p, ngx_hex_dump(p, md, n) - p);

    return NGX_OK;
}


/*
 * SHA-256 of the buffers and temp file parts of a request body.  The temp
 * file is still open in the log phase because the handler sets
 * r->preserve_body (the upstream module would close it once the
 * response starts otherwise).
 */

static ngx_int_t
ngx_http_azoai_digest_chain(ngx_http_request_t *r, ngx_chain_t *cl,
    u_char *md, unsigned int *n)
{
    off_t        pos;
    size_t       size;
    ssize_t      got;
    ngx_int_t    rc;
    ngx_buf_t   *b;
    EVP_MD_CTX  *sha;
    u_char       chunk[4096];

    sha = EVP_MD_CTX_new();
    if (sha == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
        goto done;
    }

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            if (EVP_DigestUpdate(sha, b->pos, b->last - b->pos) != 1) {
                goto done;
            }

            continue;
        }

        for (pos = b->file_pos; pos < b->file_last; pos += got) {
            size = ngx_min((off_t) sizeof(chunk), b->file_last - pos);

            got = ngx_read_file(b->file, chunk, size, pos);

            if (got != (ssize_t) size) {
                ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                         "azoai: cannot read request body "
                                         "from \"%V\" for its digest",
                                         &b->file->name);
                goto done;
            }

            if (EVP_DigestUpdate(sha, chunk, size) != 1) {
                goto done;
            }
        }
    }

    if (EVP_DigestFinal_ex(sha, md, n) == 1) {
        rc = NGX_OK;
    }

done:

    EVP_MD_CTX_free(sha);

    return rc;
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
