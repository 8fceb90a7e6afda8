/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The per-request context.  Internal redirects (error_page, try_files,
 * named locations) clear r->ctx; the context is also anchored in a cleanup
 * of the request pool, which survives them, so a body is judged and masked
 * once and the log variables keep the request's results.
 */


#include "ngx_http_azoai_ctx.h"


/* where the decision's message starts and ends in the context */
#define NGX_HTTP_AZOAI_CTX_MESSAGE                                            \
    (offsetof(ngx_http_azoai_ctx_t, verdict)                                  \
     + offsetof(azoai_decision_t, message))
#define NGX_HTTP_AZOAI_CTX_AFTER_MESSAGE                                      \
    (NGX_HTTP_AZOAI_CTX_MESSAGE + sizeof(((azoai_decision_t *) 0)->message))


static void ngx_http_azoai_ctx_cleanup(void *data);
static void *ngx_http_azoai_palloc(void *pool, size_t size);


ngx_http_azoai_ctx_t *
ngx_http_azoai_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t    *cln;
    ngx_http_azoai_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_http_get_module_ctx(r, ngx_http_azoai_module);

    if (ctx == NULL && (r->internal || r->filter_finalize)) {

        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_azoai_ctx_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_azoai_module);
                break;
            }
        }
    }

    return ctx;
}


ngx_http_azoai_ctx_t *
ngx_http_azoai_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t    *cln;
    ngx_http_azoai_ctx_t  *ctx;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_azoai_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;

    /*
     * all but the decision's message, a NUL-terminated string only ever
     * read as one: zeroing its 512 bytes was a third of the context's
     * (a rep stos, one instruction per 8 bytes)
     */

    ngx_memzero(ctx, NGX_HTTP_AZOAI_CTX_MESSAGE);
    ctx->verdict.message[0] = '\0';
    ngx_memzero((u_char *) ctx + NGX_HTTP_AZOAI_CTX_AFTER_MESSAGE,
                sizeof(ngx_http_azoai_ctx_t)
                - NGX_HTTP_AZOAI_CTX_AFTER_MESSAGE);

    cln->handler = ngx_http_azoai_ctx_cleanup;

    /*
     * set by ngx_memzero():
     *
     *     ctx->decision = NGX_HTTP_AZOAI_DECISION_NONE;
     *     ctx->phase_rc = 0;
     *     ctx->verdict.reason = AZOAI_ALLOW;
     *     ctx->received_in = NGX_HTTP_AZOAI_RECEIVED_NONE;
     *     ctx->pii_count = 0;
     *     ctx->engine = NULL;
     *     ctx->tokens_estimate = 0;
     */

    /*
     * the decision stays "none" until it is applied: a request that NGINX
     * itself ends (client_max_body_size, a client gone mid-body) logs none
     */
    ctx->verdict.status = NGX_HTTP_OK;

    ctx->alloc.alloc = ngx_http_azoai_palloc;
    ctx->alloc.pool = r->pool;

    ctx->tokens_remaining = -1;

    /* token counts stay "not seen" until a response says otherwise */
    azoai_usage_init(&ctx->usage, 0);

    if (ngx_http_azoai_request_id(ctx->request_id) != NGX_OK) {
        ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                 "azoai: no random request id "
                                 "(OpenSSL AES failed)");
        return NULL;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_azoai_module);

    return ctx;
}


static void *
ngx_http_azoai_palloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


static void
ngx_http_azoai_ctx_cleanup(void *data)
{
    /* nothing to release: the anchor is what matters */
}
