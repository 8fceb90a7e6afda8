/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * SHA-256 of the request body as received, for $azoai_body_sha256: of
 * one span, or of the buffers and temp file parts NGINX read it into.
 */


#include "ngx_http_azoai_ctx.h"

#include <openssl/evp.h>


/* bytes of a temp file read at a time */
#define NGX_HTTP_AZOAI_DIGEST_CHUNK  4096


static ngx_int_t ngx_http_azoai_digest_bufs(ngx_http_request_t *r,
    EVP_MD_CTX *sha, ngx_chain_t *cl);
static ngx_int_t ngx_http_azoai_digest_file(ngx_http_request_t *r,
    EVP_MD_CTX *sha, ngx_buf_t *b);


/* writes 64 lower-case hex digits to hex */

ngx_int_t
ngx_http_azoai_body_sha256(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    u_char *hex)
{
    ngx_int_t      rc;
    EVP_MD_CTX    *sha;
    unsigned int   n;
    u_char         md[EVP_MAX_MD_SIZE];

    if (ctx->received_in == NGX_HTTP_AZOAI_RECEIVED_FLAT) {
        if (EVP_Digest(ctx->received.data, ctx->received.len, md, &n,
                       EVP_sha256(), NULL)
            != 1)
        {
            return NGX_ERROR;
        }

        ngx_hex_dump(hex, md, n);
        return NGX_OK;
    }

    sha = EVP_MD_CTX_new();
    if (sha == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (EVP_DigestInit_ex(sha, EVP_sha256(), NULL) == 1
        && ngx_http_azoai_digest_bufs(r, sha, ctx->received_bufs) == NGX_OK
        && EVP_DigestFinal_ex(sha, md, &n) == 1)
    {
        ngx_hex_dump(hex, md, n);
        rc = NGX_OK;
    }

    EVP_MD_CTX_free(sha);

    return rc;
}


static ngx_int_t
ngx_http_azoai_digest_bufs(ngx_http_request_t *r, EVP_MD_CTX *sha,
    ngx_chain_t *cl)
{
    ngx_buf_t  *b;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            if (ngx_http_azoai_digest_file(r, sha, b) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (EVP_DigestUpdate(sha, b->pos, b->last - b->pos) != 1) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * The temp file is still open in the log phase because the handler sets
 * r->preserve_body (the upstream module would close it once the
 * response starts otherwise).
 */

static ngx_int_t
ngx_http_azoai_digest_file(ngx_http_request_t *r, EVP_MD_CTX *sha,
    ngx_buf_t *b)
{
    off_t    pos;
    size_t   size;
    ssize_t  got;
    u_char   chunk[NGX_HTTP_AZOAI_DIGEST_CHUNK];

    for (pos = b->file_pos; pos < b->file_last; pos += got) {
        size = ngx_min((off_t) sizeof(chunk), b->file_last - pos);

        got = ngx_read_file(b->file, chunk, size, pos);

        if (got != (ssize_t) size) {
            ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                     "azoai: cannot read request body "
                                     "from \"%V\" for its digest",
                                     &b->file->name);
            return NGX_ERROR;
        }

        if (EVP_DigestUpdate(sha, chunk, size) != 1) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
