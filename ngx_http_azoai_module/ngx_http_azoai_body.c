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
 * the spare room after a body ngx_http_azoai_body_prepare() reads, where
 * it may be masked: the body, a quarter more and 1 KB (the copied run of
 * ngx_http_azoai_mask_refs() asks for the body and 96 bytes a match: 21
 * matches in 4 KB, 181 in 64 KB), for bodies up to
 * NGX_HTTP_AZOAI_BODY_SPARE_MAX bytes
 */
#define ngx_http_azoai_body_spare(len)  ((len) + (len) / 4 + 1024)
#define NGX_HTTP_AZOAI_BODY_SPARE_MAX   (256 * 1024)


/*
 * Over HTTP/1.x NGINX keeps the part of the body that came with the
 * headers in its header buffer and reads the rest into a second buffer:
 * joining the two would copy the whole body.  But NGINX reads the rest
 * right after that part when the header buffer has room for it.  So, for
 * a body the memory buffer takes (client_body_buffer_size), that part
 * alone is moved into a buffer the size of the body, which becomes this
 * request's header buffer (the original keeps the request line and
 * headers the request points into): the body arrives in one piece.
 * Called just before ngx_http_read_client_request_body(); the request
 * gets its own header buffer back once the body is read
 * (ngx_http_azoai_body_restore()): NGINX looks at it again after the
 * request, for pipelined requests, when this buffer is freed.
 *
 * The buffer is ctx->body_buf.  Where the body may be masked (mask), the
 * same memory has spare room after the body (ctx->body_spare, left NULL
 * else) for the masked body's copied run: a second buffer of 4 KB or more
 * was a kept buffer taken and given back, and a pool cleanup
 * (chat-4k-pii: ~120 instructions).
 */

ngx_int_t
ngx_http_azoai_body_prepare(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    ngx_uint_t mask)
{
    off_t                      len;
    size_t                     preread, extra;
    ngx_buf_t                 *b, *h;
    ngx_http_core_loc_conf_t  *clcf;

    h = r->header_in;
    len = r->headers_in.content_length_n;

    if (r != r->main || r->request_body || r->discard_body || h == NULL
        || r->headers_in.chunked || r->request_body_in_file_only
        || r->http_version >= NGX_HTTP_VERSION_20)
    {
        return NGX_OK;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    preread = h->last - h->pos;

    if (preread == 0
        || len <= (off_t) preread
        || len > (off_t) clcf->client_body_buffer_size
        || len - (off_t) preread <= h->end - h->last)
    {
        /* nothing came yet, all of it came, a temp file, or room enough */
        return NGX_OK;
    }

    /*
     * The context lives as long as the request's pool.  A body that
     * fits its room, with its spare room, goes there: from the request's
     * pool, a 1 KB body made NGINX's upstream take a second pool block
     * (-163 instructions a request); from a kept buffer
     * (ngx_http_azoai_big.c says why), a 4 KB body paid the search of
     * the kept ones (-194 with a pool cleanup then).  A larger body, a
     * kept buffer in ctx->body_big, given back by the context's cleanup.
     */

    b = &ctx->body_buf;
    ngx_memzero(b, sizeof(ngx_buf_t));

    extra = 0;

    if (mask && len <= NGX_HTTP_AZOAI_BODY_SPARE_MAX) {
        extra = ngx_http_azoai_body_spare((size_t) len);
    }

    if ((size_t) len + extra <= sizeof(ctx->body_room)) {
        b->start = ctx->body_room;

    } else {
        b->start = ngx_http_azoai_big_alloc_held(r->pool,
                                                 (size_t) len + extra,
                                                 &ctx->body_big);
        if (b->start == NULL) {
            return NGX_ERROR;
        }
    }

    if (extra) {
        ctx->body_spare = b->start + len;
        ctx->body_spare_len = extra;
    }

    b->pos = b->start;
    b->last = b->start;
    b->end = b->start + len;
    b->temporary = 1;

    b->last = ngx_cpymem(b->pos, h->pos, preread);
    b->tag = (ngx_buf_tag_t) &ngx_http_azoai_module;
    b->shadow = h;

    h->pos = h->last;
    r->header_in = b;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: %uz body bytes moved out of the header buffer, "
                   "the rest of %O read after them", preread, len);

    return NGX_OK;
}


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
    u_char                *p, *last;
    ngx_chain_t           *cl;
    ngx_http_azoai_ctx_t  *ctx;

    for (cl = in; cl->next; cl = cl->next) {
        /* void */
    }

    cl->buf->last_buf = 1;
    cl->buf->last_in_chain = 1;

    r->request_body->bufs = in;
    r->request_body->buf = cl->buf;
    r->headers_in.content_length_n = len;

    if (r->headers_in.content_length) {
        ctx = ngx_http_azoai_get_ctx(r);

        if (ctx) {
            p = ctx->body_length;

        } else {
            p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
            if (p == NULL) {
                return NGX_ERROR;
            }
        }

        last = p + NGX_OFF_T_LEN;
        p = azoai_decimal_back(len, last);

        r->headers_in.content_length->value.data = p;
        r->headers_in.content_length->value.len = last - p;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: request body replaced, %uz bytes", len);

    return NGX_OK;
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
