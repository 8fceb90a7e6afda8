/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The per-request context.  Internal redirects (error_page, try_files,
 * named locations) clear r->ctx; the context is also anchored in a cleanup
 * of the request pool, which survives them, so a body is judged and masked
 * once and the log variables keep the request's results.
 */


#include <openssl/evp.h>
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

    /*
     * all but the 512-byte message, which is a C string: an empty one
     * reads the same as a cleared buffer
     */
    ngx_memzero(ctx, offsetof(ngx_http_azoai_ctx_t, verdict.message));
    ctx->verdict.message[0] = '\0';

    cln->handler = ngx_http_azoai_ctx_cleanup;

    /* token counts stay "not seen" until a response says otherwise */
    azoai_usage_init(&ctx->usage, 0);

    if (ngx_http_azoai_random(rnd, sizeof(rnd)) != NGX_OK) {
        ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                 "azoai: no random request id "
                                 "(OpenSSL RAND_bytes or AES failed)");
        return NULL;
    }

    ngx_hex_dump(ctx->request_id, rnd, sizeof(rnd));

    ngx_http_set_ctx(r, ctx, ngx_http_azoai_module);

    return ctx;
}


/*
 * Request ids: AES-128 in counter mode under a key and counter start
 * drawn from RAND_bytes() once per worker process, which is how OpenSSL's
 * own CTR-DRBG makes its output.  RAND_bytes() itself costs thousands of
 * instructions a call in a worker (its public DRBG is looked up and
 * checked each time); the key stream is made 16 ids at a time, which
 * spreads the cost of an EVP call.  A process that did not draw the key
 * (a new worker after fork) draws its own and drops what it inherited.
 */

#define NGX_HTTP_AZOAI_ID_BATCH  16

static ngx_int_t
ngx_http_azoai_random(u_char *buf, size_t len)
{
    int                      n;
    u_char                   seed[32];
    static size_t            used;
    static EVP_CIPHER_CTX   *aes;
    static ngx_pid_t         owner = -1;
    static u_char            stream[NGX_HTTP_AZOAI_ID_BATCH
                                    * NGX_HTTP_AZOAI_REQUEST_ID_LEN / 2];
    static const u_char      zero[sizeof(stream)];

    if (len > NGX_HTTP_AZOAI_REQUEST_ID_LEN / 2) {
        return NGX_ERROR;
    }

    if (aes == NULL || owner != ngx_pid) {
        if (aes == NULL) {
            aes = EVP_CIPHER_CTX_new();
            if (aes == NULL) {
                return NGX_ERROR;
            }
        }

        ngx_explicit_memzero(stream, sizeof(stream));
        used = sizeof(stream);
        owner = -1;

        if (RAND_bytes(seed, sizeof(seed)) != 1
            || EVP_EncryptInit_ex(aes, EVP_aes_128_ctr(), NULL, seed,
                                  seed + 16)
               != 1)
        {
            ngx_explicit_memzero(seed, sizeof(seed));
            return NGX_ERROR;
        }

        ngx_explicit_memzero(seed, sizeof(seed));
        owner = ngx_pid;
    }

    if (sizeof(stream) - used < len) {
        if (EVP_EncryptUpdate(aes, stream, &n, zero, sizeof(stream)) != 1
            || (size_t) n != sizeof(stream))
        {
            return NGX_ERROR;
        }

        used = 0;
    }

    /* each key stream byte is handed out once, then wiped */

    ngx_memcpy(buf, stream + used, len);
    ngx_memzero(stream + used, len);
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
