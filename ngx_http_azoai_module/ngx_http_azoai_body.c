/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The request body as NGINX read it: one contiguous view of it (memory
 * buffers, or the temp file NGINX spooled it to), and the replacement of
 * the request body by a rewritten one.
 */


#include "ngx_http_azoai_module.h"


/*
 * One contiguous view of the body: the buffer itself when it is a single
 * memory buffer, else (*copied) a copy from the buffers and the temp file.
 * Over HTTP/1.1 a body larger than what came with the headers is usually
 * two buffers: NGINX keeps that first part in its header buffer.
 */

ngx_int_t
ngx_http_azoai_gather_body(ngx_http_request_t *r, ngx_str_t *body,
    ngx_uint_t *copied)
{
    u_char       *p;
    off_t         len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_null(body);
    *copied = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? b->file_last - b->file_pos : b->last - b->pos;
    }

    if (len == 0) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;
    *copied = 1;

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
    u_char       *p;
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
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    r->request_body->bufs = cl;
    r->request_body->buf = b;
    r->headers_in.content_length_n = len;

    if (r->headers_in.content_length) {
        p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        r->headers_in.content_length->value.data = p;
        r->headers_in.content_length->value.len =
            ngx_sprintf(p, "%uz", len) - p;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: request body replaced, %uz bytes", len);

    return NGX_OK;
}
