/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The new body of a spooled upload whose lines are masked: the bytes of
 * the body as received between the rewritten lines, and the rewritten
 * lines, written to a new temp file in client_body_temp_path, which then
 * replaces the request body (Content-Length recomputed).  Bytes in the
 * block the reader has in hand are written from there by reference
 * (one writev() with the output block's pieces, before the block is
 * read over: ngx_http_azoai_upout_release()); bytes read again from the
 * temp file and the rewritten lines are gathered in an output block of
 * NGX_HTTP_AZOAI_UPLOAD_BLOCK bytes.  Copying the unchanged bytes into
 * the output block cost ~1 instruction per byte of the upload.
 */


#include "ngx_http_azoai_upload_out.h"


static ngx_int_t ngx_http_azoai_upout_create(ngx_http_azoai_upout_t *o);
static ngx_int_t ngx_http_azoai_upout_ref(ngx_http_azoai_upout_t *o,
    u_char *p, size_t len);
static void ngx_http_azoai_upout_piece(ngx_http_azoai_upout_t *o,
    u_char *p, size_t len);


/*
 * The body's bytes from o->copied up to to, into the new body: from the
 * block in hand by reference when they are there, else read again into
 * the output block (a line that was cut across blocks, the envelope,
 * the bytes before the first masked line).  The new temp file is made
 * with the first masked line.
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
        if (ngx_http_azoai_upout_ref(o, o->block_data
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


/* bytes that stay where they are until the next write */

static ngx_int_t
ngx_http_azoai_upout_ref(ngx_http_azoai_upout_t *o, u_char *p, size_t len)
{
    if (len == 0) {
        return NGX_OK;
    }

    /*
     * room for the output block's stretch, this one and the stretch
     * appended after it, which the write closes
     */

    if (o->npieces + 3 > NGX_HTTP_AZOAI_UPOUT_PIECES
        && ngx_http_azoai_upout_flush(o) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (o->olen > o->omark) {
        ngx_http_azoai_upout_piece(o, o->obuf + o->omark, o->olen - o->omark);
        o->omark = o->olen;
    }

    ngx_http_azoai_upout_piece(o, p, len);

    return NGX_OK;
}


/* the next piece of the write, after those before it */

static void
ngx_http_azoai_upout_piece(ngx_http_azoai_upout_t *o, u_char *p, size_t len)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = &o->piece_bufs[o->npieces];
    cl = &o->pieces[o->npieces];

    ngx_memzero(b, sizeof(ngx_buf_t));
    b->start = p;
    b->pos = p;
    b->last = p + len;
    b->end = b->last;
    b->memory = 1;

    cl->buf = b;
    cl->next = NULL;

    if (o->npieces) {
        o->pieces[o->npieces - 1].next = cl;
    }

    o->npieces++;
}


/*
 * The block in hand is about to be read over: what refers to it is
 * written now.
 */

ngx_int_t
ngx_http_azoai_upout_release(ngx_http_azoai_upout_t *o)
{
    return o->npieces ? ngx_http_azoai_upout_flush(o) : NGX_OK;
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
    o->pieces = ngx_palloc(o->r->pool, NGX_HTTP_AZOAI_UPOUT_PIECES
                                       * sizeof(ngx_chain_t));
    o->piece_bufs = ngx_palloc(o->r->pool, NGX_HTTP_AZOAI_UPOUT_PIECES
                                           * sizeof(ngx_buf_t));
    if (tf == NULL || o->obuf == NULL || o->pieces == NULL
        || o->piece_bufs == NULL)
    {
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


/*
 * The pieces held (the output block's stretches, the bytes of the block
 * in hand between them) to the new temp file in one writev() (NGINX
 * splits it at 64 pieces)
 */

ngx_int_t
ngx_http_azoai_upout_flush(ngx_http_azoai_upout_t *o)
{
    off_t        size;
    ssize_t      n;
    ngx_uint_t   i;

    if (o->olen > o->omark) {
        ngx_http_azoai_upout_piece(o, o->obuf + o->omark, o->olen - o->omark);
    }

    if (o->npieces == 0) {
        return NGX_OK;
    }

    size = 0;

    for (i = 0; i < o->npieces; i++) {
        size += o->piece_bufs[i].last - o->piece_bufs[i].pos;
    }

    n = ngx_write_chain_to_temp_file(o->out, o->pieces);
    if (n != (ssize_t) size) {
        return NGX_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, o->r->connection->log, 0,
                   "azoai: masked upload: %O bytes written in %ui piece(s)",
                   size, o->npieces);

    /* as ngx_http_write_request_body() does: the caller moves on */
    o->out->offset += n;
    o->out_len += n;
    o->olen = 0;
    o->omark = 0;
    o->npieces = 0;

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
