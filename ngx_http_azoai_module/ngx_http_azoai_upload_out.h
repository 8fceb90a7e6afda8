/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The new body of a spooled upload whose lines are masked
 * (ngx_http_azoai_upload_out.c), written by ngx_http_azoai_upload_file.c:
 * the original bytes written from the block in hand by reference (no
 * copy) or read again into the output block, the rewritten lines
 * appended to it, in writev() calls to a new temp file in
 * client_body_temp_path that replaces the body.
 */

#ifndef _NGX_HTTP_AZOAI_UPLOAD_OUT_H_INCLUDED_
#define _NGX_HTTP_AZOAI_UPLOAD_OUT_H_INCLUDED_


#include "ngx_http_azoai_ctx.h"


/* the blocks the body is read in and the new body written in */
#define NGX_HTTP_AZOAI_UPLOAD_BLOCK      (256 * 1024)

/* pieces of the new body held for one write: output block and refs */
#define NGX_HTTP_AZOAI_UPOUT_PIECES      64


typedef struct {
    ngx_http_request_t          *r;
    ngx_chain_t                 *in;          /* the body as received */
    off_t                        size;
    off_t                        block_start; /* body offset of the bytes */
    u_char                      *block_data;  /*   the reader handed on */
    size_t                       block_len;   /*   last */

    ngx_temp_file_t             *out;         /* made by the first copy */
    u_char                      *obuf;
    size_t                       olen;
    size_t                       omark;       /* obuf up to: in a piece */

    /* the next write: obuf stretches and bytes of the block in hand */
    ngx_chain_t                 *pieces;
    ngx_buf_t                   *piece_bufs;
    ngx_uint_t                   npieces;
    off_t                        copied;      /* body bytes written up to */
    off_t                        out_len;
} ngx_http_azoai_upout_t;


ngx_int_t ngx_http_azoai_upout_copy(ngx_http_azoai_upout_t *o, off_t to);
ngx_int_t ngx_http_azoai_upout_append(ngx_http_azoai_upout_t *o, u_char *p,
    size_t len);
ngx_int_t ngx_http_azoai_upout_flush(ngx_http_azoai_upout_t *o);
ngx_int_t ngx_http_azoai_upout_release(ngx_http_azoai_upout_t *o);
ngx_int_t ngx_http_azoai_upout_replace(ngx_http_azoai_upout_t *o);


#endif /* _NGX_HTTP_AZOAI_UPLOAD_OUT_H_INCLUDED_ */
