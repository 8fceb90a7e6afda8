/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The new body of a spooled upload whose lines are masked: the bytes of
 * the body as received between the rewritten lines, from the block the
 * reader has in hand or read again from the temp file, and the rewritten
 * lines, gathered in an output block of NGX_HTTP_AZOAI_UPLOAD_BLOCK bytes
 * and written to a new temp file in client_body_temp_path, which then
 * replaces the request body (Content-Length recomputed).
 */


#include "ngx_http_azoai_upload_out.h"


static ngx_int_t ngx_http_azoai_upout_create(ngx_http_azoai_upout_t *o);


/*
 * The body's bytes from o->copied up to to, into the new body: from the
 * block in hand when they are there, else read again (a line that was
 * cut across blocks, the envelope, the bytes before the first masked
 * line).  The new temp file is made with the first masked line.
 */

ngx_int_t
ngx_http_azoai_upout_copy(ngx_http_azoai_upout_t *o, off_t to)
{
    off_t         pos, start, end, at;
    size_t        n;
    ssize_t       got;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (o->out == NULL && ngx_http_azoai_upout_create(o) != NGX_OK) {
        return NGX_ERROR;
    }

    if (o->copied >= o->block_start
        && to <= o->block_start + (off_t) o->block_len)
    {
        if (ngx_http_azoai_upout_append(o, o->block_data
                                           + (o->copied - o->block_start),
                                        (size_t) (to - o->copied))
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        o->copied = to;
        return NGX_OK;
    }

    pos = 0;

    for (cl = o->in; cl && pos < to; cl = cl->next, pos = end) {
        b = cl->buf;
        start = pos;
        end = pos + (b->in_file ? b->file_last - b->file_pos
                                : b->last - b->pos);

        for (at = ngx_max(o->copied, start); at < end && at < to; at += n) {
            if (o->olen == NGX_HTTP_AZOAI_UPLOAD_BLOCK
                && ngx_http_azoai_upout_flush(o) != NGX_OK)
            {
                return NGX_ERROR;
            }

            n = ngx_min((size_t) (ngx_min(end, to) - at),
                        NGX_HTTP_AZOAI_UPLOAD_BLOCK - o->olen);

            if (!b->in_file) {
                ngx_memcpy(o->obuf + o->olen, b->pos + (at - start), n);
                o->olen += n;
                continue;
            }

            got = ngx_read_file(b->file, o->obuf + o->olen, n,
                                b->file_pos + (at - start));
            if (got != (ssize_t) n) {
                return NGX_ERROR;
            }

            o->olen += n;
        }
    }

    o->copied = to;

    return NGX_OK;
}


ngx_int_t
ngx_http_azoai_upout_append(ngx_http_azoai_upout_t *o, u_char *p,
    size_t len)
{
    size_t  n;

    while (len) {
        if (o->olen == NGX_HTTP_AZOAI_UPLOAD_BLOCK
            && ngx_http_azoai_upout_flush(o) != NGX_OK)
        {
            return NGX_ERROR;
        }

        n = ngx_min(len, NGX_HTTP_AZOAI_UPLOAD_BLOCK - o->olen);
        ngx_memcpy(o->obuf + o->olen, p, n);
        o->olen += n;
        p += n;
        len -= n;
    }

    return NGX_OK;
}


/*
 * The new body's temp file, set up as NGINX sets up the request body's
 * (client_body_temp_path, removed with the request), and its output
 * block; the first write creates the file.
 */

static ngx_int_t
ngx_http_azoai_upout_create(ngx_http_azoai_upout_t *o)
{
    ngx_temp_file_t           *tf;
    ngx_http_core_loc_conf_t  *clcf;

    tf = ngx_pcalloc(o->r->pool, sizeof(ngx_temp_file_t));
    o->obuf = ngx_pnalloc(o->r->pool, NGX_HTTP_AZOAI_UPLOAD_BLOCK);
    if (tf == NULL || o->obuf == NULL) {
        return NGX_ERROR;
    }

    clcf = ngx_http_get_module_loc_conf(o->r, ngx_http_core_module);

    tf->file.fd = NGX_INVALID_FILE;
    tf->file.log = o->r->connection->log;
    tf->path = clcf->client_body_temp_path;
    tf->pool = o->r->pool;
    tf->warn = "a masked upload body is written to a temporary file";
    tf->log_level = o->r->request_body_file_log_level;
    tf->persistent = o->r->request_body_in_persistent_file;
    tf->clean = o->r->request_body_in_clean_file;

    if (o->r->request_body_file_group_access) {
        tf->access = 0660;
    }

    o->out = tf;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, o->r->connection->log, 0,
                   "azoai: a masked line: the new body goes to a temp file");

    return NGX_OK;
}


/* the output block to the new temp file */

ngx_int_t
ngx_http_azoai_upout_flush(ngx_http_azoai_upout_t *o)
{
    ssize_t       n;
    ngx_buf_t     b;
    ngx_chain_t   cl;

    if (o->olen == 0) {
        return NGX_OK;
    }

    ngx_memzero(&b, sizeof(ngx_buf_t));
    b.pos = o->obuf;
    b.last = o->obuf + o->olen;
    b.start = b.pos;
    b.end = b.last;
    b.memory = 1;

    cl.buf = &b;
    cl.next = NULL;

    n = ngx_write_chain_to_temp_file(o->out, &cl);
    if (n != (ssize_t) o->olen) {
        return NGX_ERROR;
    }

    /* as ngx_http_write_request_body() does: the caller moves on */
    o->out->offset += n;
    o->out_len += n;
    o->olen = 0;

    return NGX_OK;
}


/* the new body: one buffer over the new temp file */

ngx_int_t
ngx_http_azoai_upout_replace(ngx_http_azoai_upout_t *o)
{
    ngx_buf_t    *b, *rb;
    ngx_chain_t  *cl;

    b = ngx_calloc_buf(o->r->pool);
    cl = ngx_alloc_chain_link(o->r->pool);
    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    b->in_file = 1;
    b->file = &o->out->file;
    b->file_pos = 0;
    b->file_last = o->out_len;

    cl->buf = b;
    cl->next = NULL;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, o->r->connection->log, 0,
                   "azoai: request body of %O bytes replaced by a temp "
                   "file of %O bytes", o->size, o->out_len);

    rb = o->r->request_body->buf;

    if (ngx_http_azoai_replace_body_chain(o->r, cl, (size_t) o->out_len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * The upstream module copies a body in a temp file through
     * request_body->buf (ngx_http_upstream_send_request): it stays the
     * memory buffer NGINX read the body with.
     */

    o->r->request_body->buf = rb;

    return NGX_OK;
}
