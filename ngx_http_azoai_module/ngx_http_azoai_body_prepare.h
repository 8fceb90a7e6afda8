/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The request body's buffer, set up before NGINX reads the body: the
 * part that came with the headers moved out of the header buffer, with
 * spare room after the body where it may be masked.  Inline in its one
 * caller, the body's reading (ngx_http_azoai_handler.c): its call, frame
 * and six saved registers were ~22 instructions a request.
 */

#ifndef _NGX_HTTP_AZOAI_BODY_PREPARE_H_INCLUDED_
#define _NGX_HTTP_AZOAI_BODY_PREPARE_H_INCLUDED_


#include "ngx_http_azoai_ctx.h"

#include "azoai_body_refs.h"


/*
 * the spare room after a body ngx_http_azoai_body_prepare() reads, where
 * it may be masked: the body, a quarter more and 1 KB (the copied run of
 * ngx_http_azoai_mask_refs() asks for the body and 96 bytes a match: 21
 * matches in 4 KB, 181 in 64 KB), for bodies up to
 * NGX_HTTP_AZOAI_BODY_SPARE_MAX bytes
 */
#define ngx_http_azoai_body_spare(len)  ((len) + (len) / 4 + 1024)
#define NGX_HTTP_AZOAI_BODY_SPARE_MAX   (256 * 1024)


static ngx_inline ngx_int_t ngx_http_azoai_body_prepare(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, ngx_uint_t mask);


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

static ngx_inline ngx_int_t
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

    b->last = azoai_body_copy_out(b->pos, h->pos, preread);
    b->tag = (ngx_buf_tag_t) &ngx_http_azoai_module;
    b->shadow = h;

    h->pos = h->last;
    r->header_in = b;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: %uz body bytes moved out of the header buffer, "
                   "the rest of %O read after them", preread, len);

    return NGX_OK;
}


#endif /* _NGX_HTTP_AZOAI_BODY_PREPARE_H_INCLUDED_ */
