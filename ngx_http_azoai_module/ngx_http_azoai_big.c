/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Per-request buffers of 4 KB and more (a request body read in one
 * piece, a JSON response held whole, its rewrite, a masked body's copied
 * runs, the core's larger arrays), taken from buffers that the worker
 * keeps from one request to the next and given back when the request's
 * pool is destroyed.
 *
 * Why not the pool alone: a pool's allocations over 4 KB are malloc()ed
 * and freed with the request, and glibc gives the top of its heap back
 * to the kernel whenever more than M_TRIM_THRESHOLD (128 KB) is free
 * there.  A worker freeing ~200 KB at the end of every masked 64 KB
 * response, or 16 requests of 4 KB freeing a few buffers each at once,
 * shrank and regrew its heap again and again, and each page touched anew
 * was a page fault: ~4 faults per masked 64 KB response and 1.45 per 4 KB
 * request, a sixth to a half of the worker's time (perf: README,
 * Performance).
 *
 * Bounds: buffers from NGX_HTTP_AZOAI_BIG_MIN to NGX_HTTP_AZOAI_BIG_MAX
 * bytes only; at most NGX_HTTP_AZOAI_BIG_KEEP of them and
 * NGX_HTTP_AZOAI_BIG_TOTAL bytes kept per worker between requests; the
 * rest is freed as before.  Sizes are rounded up to an eighth of their
 * power of two, so that requests of about the same size share buffers.
 */


#include "ngx_http_azoai_module.h"


#define NGX_HTTP_AZOAI_BIG_MIN    (4 * 1024)
#define NGX_HTTP_AZOAI_BIG_MAX    (1024 * 1024)
#define NGX_HTTP_AZOAI_BIG_KEEP   64
#define NGX_HTTP_AZOAI_BIG_TOTAL  (4 * 1024 * 1024)


static void *ngx_http_azoai_big_take(ngx_pool_t *pool, size_t size)
    __attribute__((noinline));
static ngx_int_t ngx_http_azoai_big_get(ngx_http_azoai_big_t *big,
    size_t size, ngx_log_t *log);
static size_t ngx_http_azoai_big_round(size_t size);


/* kept by this worker, in no order */
static ngx_http_azoai_big_t  ngx_http_azoai_big_kept[NGX_HTTP_AZOAI_BIG_KEEP];
static ngx_uint_t            ngx_http_azoai_big_nkept;
static size_t                ngx_http_azoai_big_total;


/*
 * size bytes that live as long as the pool: small and huge ones from the
 * pool itself, the others from the buffers kept (the smallest that
 * fits) or new
 */

void *
ngx_http_azoai_big_alloc(ngx_pool_t *pool, size_t size)
{
    if (size < NGX_HTTP_AZOAI_BIG_MIN || size > NGX_HTTP_AZOAI_BIG_MAX) {
        return ngx_palloc(pool, size);
    }

    return ngx_http_azoai_big_take(pool, size);
}


/*
 * A kept buffer or a new one: out of line, so that the pool allocations
 * (most of them, small) go on to ngx_palloc() without a frame
 */

static void *
ngx_http_azoai_big_take(ngx_pool_t *pool, size_t size)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, sizeof(ngx_http_azoai_big_t));
    if (cln == NULL) {
        return NULL;
    }

    if (ngx_http_azoai_big_get(cln->data, size, pool->log) != NGX_OK) {
        return NULL;
    }

    cln->handler = ngx_http_azoai_big_release;

    return ((ngx_http_azoai_big_t *) cln->data)->data;
}


/*
 * The same, held in *big (zeroed before) by a caller that gives it back
 * itself (ngx_http_azoai_big_release(big)) from a cleanup of its own: no
 * cleanup of the pool added for it (the request body read in one piece,
 * released with the context: ~60 instructions a request).  Small and
 * huge ones from the pool, big->data left NULL.
 */

void *
ngx_http_azoai_big_alloc_held(ngx_pool_t *pool, size_t size,
    ngx_http_azoai_big_t *big)
{
    if (size < NGX_HTTP_AZOAI_BIG_MIN || size > NGX_HTTP_AZOAI_BIG_MAX) {
        return ngx_palloc(pool, size);
    }

    if (ngx_http_azoai_big_get(big, size, pool->log) != NGX_OK) {
        big->data = NULL;
        return NULL;
    }

    return big->data;
}


/* the smallest kept buffer that fits, or a new one, to *big */

static ngx_int_t
ngx_http_azoai_big_get(ngx_http_azoai_big_t *big, size_t size,
    ngx_log_t *log)
{
    ngx_uint_t             i, best;
    ngx_http_azoai_big_t  *kept;

    kept = ngx_http_azoai_big_kept;
    best = NGX_HTTP_AZOAI_BIG_KEEP;

    for (i = 0; i < ngx_http_azoai_big_nkept; i++) {
        if (kept[i].size >= size
            && (best == NGX_HTTP_AZOAI_BIG_KEEP
                || kept[i].size < kept[best].size))
        {
            best = i;
        }
    }

    if (best < NGX_HTTP_AZOAI_BIG_KEEP) {
        *big = kept[best];
        kept[best] = kept[--ngx_http_azoai_big_nkept];
        ngx_http_azoai_big_total -= big->size;

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                       "azoai: buffer of %uz bytes for %uz, kept",
                       big->size, size);

        return NGX_OK;
    }

    big->size = ngx_http_azoai_big_round(size);

    big->data = ngx_alloc(big->size, log);
    if (big->data == NULL) {
        return NGX_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "azoai: buffer of %uz bytes for %uz, new",
                   big->size, size);

    return NGX_OK;
}


/* up to the next eighth of size's power of two */

static size_t
ngx_http_azoai_big_round(size_t size)
{
    size_t  step;

    step = NGX_HTTP_AZOAI_BIG_MIN / 8;

    while (step * 8 < size) {
        step *= 2;
    }

    return (size + step - 1) & ~(step - 1);
}


/* the pool goes: the buffer is kept for the next request if room is left */

void
ngx_http_azoai_big_release(void *data)
{
    ngx_http_azoai_big_t  *big;

    big = data;

    if (ngx_http_azoai_big_nkept < NGX_HTTP_AZOAI_BIG_KEEP
        && ngx_http_azoai_big_total + big->size <= NGX_HTTP_AZOAI_BIG_TOTAL)
    {
        ngx_http_azoai_big_kept[ngx_http_azoai_big_nkept++] = *big;
        ngx_http_azoai_big_total += big->size;
        return;
    }

    ngx_free(big->data);
}


/* the worker exits: what it kept is freed */

void
ngx_http_azoai_big_exit(void)
{
    while (ngx_http_azoai_big_nkept) {
        ngx_free(ngx_http_azoai_big_kept[--ngx_http_azoai_big_nkept].data);
    }

    ngx_http_azoai_big_total = 0;
}
