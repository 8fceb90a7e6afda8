/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The per-request context.  Internal redirects (error_page, try_files,
 * named locations) clear r->ctx; the context is also anchored in a cleanup
 * of the request pool, which survives them, so a body is judged and masked
 * once and the log variables keep the request's results.
 */


#include <openssl/rand.h>

#include "ngx_http_azoai_module.h"


static ngx_int_t ngx_http_azoai_random(u_char *buf, size_t len);
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
    u_char                 rnd[NGX_HTTP_AZOAI_REQUEST_ID_LEN / 2];
    ngx_pool_cleanup_t    *cln;
    ngx_http_azoai_ctx_t  *ctx;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_azoai_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_azoai_ctx_t));

    cln->handler = ngx_http_azoai_ctx_cleanup;

    /* token counts stay "not seen" until a response says otherwise */
    azoai_usage_init(&ctx->usage, 0);

    if (ngx_http_azoai_random(rnd, sizeof(rnd)) != NGX_OK) {
        ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                 "azoai: RAND_bytes() failed");
        return NULL;
    }

    ngx_hex_dump(ctx->request_id, rnd, sizeof(rnd));

    ngx_http_set_ctx(r, ctx, ngx_http_azoai_module);

    return ctx;
}


/*
 * Request ids come from OpenSSL's generator, drawn 4 KB at a time: one
 * RAND_bytes() call (and the getpid() it makes to detect forks) per 256
 * requests.  The stock belongs to the process that drew it, so a worker
 * never hands out bytes drawn before the fork.
 */

static ngx_int_t
ngx_http_azoai_random(u_char *buf, size_t len)
{
    static u_char      stock[4096];
    static size_t      used = sizeof(stock);
    static ngx_pid_t   owner = -1;

    if (used + len > sizeof(stock) || owner != ngx_pid) {
        if (RAND_bytes(stock, sizeof(stock)) != 1) {
            return NGX_ERROR;
        }

        used = 0;
        owner = ngx_pid;
    }

    ngx_memcpy(buf, stock + used, len);
    ngx_explicit_memzero(stock + used, len);
    used += len;

    return NGX_OK;
}


azoai_alloc_t *
ngx_http_azoai_allocator(ngx_http_request_t *r)
{
    azoai_alloc_t  *a;

    a = ngx_palloc(r->pool, sizeof(azoai_alloc_t));
    if (a == NULL) {
        return NULL;
    }

    a->alloc = ngx_http_azoai_palloc;
    a->pool = r->pool;

    return a;
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
