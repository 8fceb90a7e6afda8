/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * SHA-256 of the request body as received, for $azoai_body_sha256: of
 * one span, or of the buffers and temp file parts NGINX read it into, or
 * taken when a temp-file body was read, before it was masked in its copy.
 */


#include "ngx_http_azoai_ctx.h"

#include <openssl/evp.h>


/* bytes of a temp file read at a time */
#define NGX_HTTP_AZOAI_DIGEST_CHUNK  4096

/* 64 lower-case hex digits */
#define NGX_HTTP_AZOAI_DIGEST_HEX    64


static ngx_uint_t ngx_http_azoai_digest_wanted(ngx_http_request_t *r);
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

    if (ctx->received_in == NGX_HTTP_AZOAI_RECEIVED_DIGEST) {
        ngx_memcpy(hex, ctx->received.data, NGX_HTTP_AZOAI_DIGEST_HEX);
        return NGX_OK;
    }

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


/*
 * The gathered copy (ctx->received) is about to be masked in place.  When
 * part of the body came from a temp file and the configuration uses
 * $azoai_body_sha256 (a log_format or any directive indexed it), the copy
 * is hashed now, as it was just read; else the buffers are kept, and the
 * file is read again only if the variable is ever asked for.
 */

ngx_int_t
ngx_http_azoai_digest_keep(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    u_char       *hex;
    ngx_chain_t  *cl;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (cl->buf->in_file) {
            break;
        }
    }

    if (cl == NULL || !ngx_http_azoai_digest_wanted(r)) {
        ctx->received_bufs = r->request_body->bufs;
        ctx->received_in = NGX_HTTP_AZOAI_RECEIVED_BUFS;
        ngx_str_null(&ctx->received);
        return NGX_OK;
    }

    hex = ngx_pnalloc(r->pool, NGX_HTTP_AZOAI_DIGEST_HEX);
    if (hex == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_azoai_body_sha256(r, ctx, hex) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: temp-file body hashed as read, "
                   "for $azoai_body_sha256");

    ctx->received.data = hex;
    ctx->received.len = NGX_HTTP_AZOAI_DIGEST_HEX;
    ctx->received_in = NGX_HTTP_AZOAI_RECEIVED_DIGEST;

    return NGX_OK;
}


/*
 * Whether a directive of this configuration refers to $azoai_body_sha256:
 * NGINX flags a variable indexed once any directive uses it by name.
 */

static ngx_uint_t
ngx_http_azoai_digest_wanted(ngx_http_request_t *r)
{
    ngx_uint_t                  key;
    ngx_http_variable_t        *v;
    ngx_http_core_main_conf_t  *cmcf;

    static ngx_str_t  name = ngx_string("azoai_body_sha256");

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    key = ngx_hash_key(name.data, name.len);
    v = ngx_hash_find(&cmcf->variables_hash, key, name.data, name.len);

    return v != NULL && (v->flags & NGX_HTTP_VAR_INDEXED);
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
