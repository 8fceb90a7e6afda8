/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The per-request context.  Internal redirects (error_page, try_files,
 * named locations) clear r->ctx; the context is also anchored in a cleanup
 * of the request pool, which survives them, so a body is judged and masked
 * once and the log variables keep the request's results.
 */


#include "ngx_http_azoai_ctx_create.h"


/* kept by this worker, free */
ngx_http_azoai_ctx_t  *ngx_http_azoai_ctx_kept[NGX_HTTP_AZOAI_CTX_KEEP];
ngx_uint_t             ngx_http_azoai_ctx_nkept;

/* one not kept, freed at the next such cleanup (its own cleanup was read) */
static ngx_http_azoai_ctx_t  *ngx_http_azoai_ctx_dropped;


/*
 * ngx_http_azoai_get_ctx() (ngx_http_azoai_ctx.h) found none in r->ctx
 * of the main request r after an internal redirect: the one its pool
 * anchors, if any, set again
 */

ngx_http_azoai_ctx_t *
ngx_http_azoai_find_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t    *cln;
    ngx_http_azoai_ctx_t  *ctx;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_azoai_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_azoai_module);
            return ctx;
        }
    }

    return NULL;
}


void *
ngx_http_azoai_palloc(void *pool, size_t size)
{
    return ngx_http_azoai_big_alloc(pool, size);
}


/*
 * The request's pool goes (its other cleanups, added later, ran first):
 * the context is kept for the next request, or freed at the next context
 * that is not kept (ngx_destroy_pool() goes on from the cleanup in it)
 */

void
ngx_http_azoai_ctx_cleanup(void *data)
{
    ngx_http_azoai_ctx_t  *ctx = data;

    if (ctx->body_big.data) {
        ngx_http_azoai_big_release(&ctx->body_big);
    }

    if (ngx_http_azoai_ctx_nkept < NGX_HTTP_AZOAI_CTX_KEEP) {
        ngx_http_azoai_ctx_kept[ngx_http_azoai_ctx_nkept++] = data;
        return;
    }

    if (ngx_http_azoai_ctx_dropped != NULL) {
        ngx_free(ngx_http_azoai_ctx_dropped);
    }

    ngx_http_azoai_ctx_dropped = data;
}


/* the worker exits: the contexts it kept are freed */

void
ngx_http_azoai_ctx_exit(void)
{
    while (ngx_http_azoai_ctx_nkept) {
        ngx_free(ngx_http_azoai_ctx_kept[--ngx_http_azoai_ctx_nkept]);
    }

    if (ngx_http_azoai_ctx_dropped != NULL) {
        ngx_free(ngx_http_azoai_ctx_dropped);
        ngx_http_azoai_ctx_dropped = NULL;
    }
}
