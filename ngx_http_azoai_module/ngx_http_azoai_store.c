/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_store: the core's judgement of what a body asks Azure to keep,
 * applied to the request.  "off" rewrites the body to "store": false
 * (report mode logs what it would rewrite and leaves the body as it is).
 */


#include "ngx_http_azoai_ctx.h"

#include "azoai_body.h"
#include "azoai_store.h"


ngx_conf_enum_t  ngx_http_azoai_store_modes[] = {
    { ngx_string("allow"), AZOAI_STORE_ALLOW },
    { ngx_string("deny"), AZOAI_STORE_DENY },
    { ngx_string("off"), AZOAI_STORE_OFF },
    { ngx_null_string, 0 }
};


/*
 * NGX_OK with ctx->verdict set, NGX_DONE when it denies, NGX_ERROR on
 * allocation failure.  When "store" is set to false, *body is the
 * rewritten body: the request body already if no PII is to be masked in
 * it, else the caller masks it and replaces the request body with that.
 */

ngx_int_t
ngx_http_azoai_store(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    azoai_body_result_t *res, ngx_str_t *body)
{
    u_char                     *out;
    size_t                      out_len;
    unsigned                    responses;
    ngx_http_azoai_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    if (alcf->store == AZOAI_STORE_ALLOW) {
        return NGX_OK;
    }

    responses = ctx->route.operation != NULL
                && ngx_strcmp(ctx->route.operation, "responses") == 0;

    if (azoai_store_judge(alcf->store, responses, res, &ctx->verdict)
        != AZOAI_STORE_REWRITE)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: store: %s",
                       ctx->verdict.reason == AZOAI_ALLOW
                       ? "nothing kept" : "denied");

        return ctx->verdict.reason == AZOAI_ALLOW ? NGX_OK : NGX_DONE;
    }

    if (alcf->mode == NGX_HTTP_AZOAI_REPORT) {
        ngx_http_azoai_log_error(NGX_LOG_WARN, r, 0,
                                 "azoai: request %*s report-only, would "
                                 "rewrite the body to \"store\": false "
                                 "(azoai_store off)",
                                 (size_t) NGX_HTTP_AZOAI_REQUEST_ID_LEN,
                                 ctx->request_id);
        return NGX_OK;
    }

    if (azoai_store_rewrite(res, body->data, body->len, &ctx->alloc, &out,
                            &out_len)
        != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: store: body rewritten to \"store\": false, "
                   "%uz to %uz bytes", body->len, out_len);

    body->data = out;
    body->len = out_len;

    if (ctx->engine && res->nmatches) {
        /* masked next, from the rewritten body */
        return NGX_OK;
    }

    return ngx_http_azoai_replace_body(r, out, out_len);
}
