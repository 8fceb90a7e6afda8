/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The request body as NGINX read it: one contiguous view of it (memory
 * buffers, or the temp file NGINX spooled it to), and the replacement of
 * the request body by a rewritten one.
 */


#include "ngx_http_azoai_module.h"
#include "ngx_http_azoai_ctx.h"

#include "azoai_ascii.h"


/* links and buffers of a new body allocated at a time */
#define NGX_HTTP_AZOAI_BODY_LINKS  8

/*
 * The body's len bytes from its buffers and temp file into one piece, for
 * ngx_http_azoai_gather_body() (ngx_http_azoai_module.h): out of line, so
 * that the view of a body in memory saves no registers
 */

ngx_int_t
ngx_http_azoai_copy_body(ngx_http_request_t *r, ngx_str_t *body, off_t len)
{
    u_char       *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = r->request_body->bufs;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);

        if (n == NGX_ERROR || n != b->file_last - b->file_pos) {
            ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                     "azoai: cannot read request body "
                                     "from \"%V\"", &b->file->name);
            return NGX_ERROR;
        }

        p += n;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: request body of %O bytes copied from its "
                   "buffers and temp file", len);

    return NGX_OK;
}


/*
 * The rewritten body replaces the request body: one memory buffer, and
 * the length the proxy module builds its Content-Length from.
 */

ngx_int_t
ngx_http_azoai_replace_body(ngx_http_request_t *r, u_char *data, size_t len)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->start = data;
    b->end = data + len;
    b->memory = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    return ngx_http_azoai_replace_body_chain(r, cl, len);
}


/*
 * The same with a chain of memory buffers (none empty, each with start
 * at pos, so that a retry to the next upstream sends it again) holding
 * len bytes: a large body rewritten in a few places is not copied.
 */

ngx_int_t
ngx_http_azoai_replace_body_chain(ngx_http_request_t *r, ngx_chain_t *in,
    size_t len)
{
    ngx_chain_t  *cl;

    for (cl = in; cl->next; cl = cl->next) {
        /* void */
    }

    return ngx_http_azoai_body_replaced(r, NULL, in, cl, len);
}


/* an empty chain for ngx_http_azoai_body_link() to build from pool */

void
ngx_http_azoai_body_chain_init(ngx_http_azoai_body_chain_t *chain,
    ngx_pool_t *pool)
{
    ngx_memzero(chain, sizeof(ngx_http_azoai_body_chain_t));

    chain->pool = pool;
    chain->last = &chain->head;
}


/*
 * A piece of a new body (the core's emit callback, with a chain from
 * ngx_http_azoai_body_chain_init()): a memory
 * buffer over it, start at pos so that a retry to the next upstream sends
 * it again, linked at the end.  Links and buffers are taken
 * NGX_HTTP_AZOAI_BODY_LINKS at a time: each allocation from the request
 * pool walks its blocks (callgrind: ~70 instructions a call at 64 KB).
 * The first is taken alone: a body shorter than the reference threshold
 * is one piece, and zeroing seven more pairs cost it ~80 instructions
 * (or the caller gives it one of its own, chain->spare).
 */

int
ngx_http_azoai_body_link(void *data, const u_char *p, size_t len)
{
    ngx_http_azoai_body_chain_t  *chain = data;

    ngx_buf_t    *b;
    ngx_uint_t    i, n;
    ngx_chain_t  *cl;

    if (chain->nspare == 0) {
        n = chain->pieces ? NGX_HTTP_AZOAI_BODY_LINKS : 1;

        cl = ngx_pcalloc(chain->pool,
                         n * (sizeof(ngx_chain_t) + sizeof(ngx_buf_t)));
        if (cl == NULL) {
            return AZOAI_ERROR;
        }

        b = (ngx_buf_t *) (cl + n);

        for (i = 0; i < n; i++) {
            cl[i].buf = &b[i];
        }

        chain->spare = cl;
        chain->nspare = n;
    }

    cl = chain->spare++;
    chain->nspare--;

    b = cl->buf;
    b->start = (u_char *) p;
    b->pos = b->start;
    b->last = b->start + len;
    b->end = b->last;
    b->memory = 1;

    *chain->last = cl;
    chain->last = &cl->next;
    chain->pieces++;

    return AZOAI_OK;
}
