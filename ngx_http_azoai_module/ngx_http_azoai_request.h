/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The request as the core sees it: method, raw path and query, and the
 * headers that name deployments or preview features, gathered in one
 * pass over the request headers that also notes what the body reader and
 * the upstream headers need (Content-Encoding, client X-AzOAI-* headers).
 * Inline in the one caller, the judging (ngx_http_azoai_handler.c), whose
 * frame it shares: out of line, with its call, frame and six saved
 * registers, the two took 228 instructions a request, now 216.
 */

#ifndef _NGX_HTTP_AZOAI_REQUEST_H_INCLUDED_
#define _NGX_HTTP_AZOAI_REQUEST_H_INCLUDED_


#include "ngx_http_azoai_ctx.h"


#define NGX_HTTP_AZOAI_AUDIT_PREFIX  "x-azoai-"


static ngx_inline void ngx_http_azoai_read_request(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
static ngx_inline u_char *ngx_http_azoai_query_mark(ngx_http_request_t *r);
static ngx_inline void ngx_http_azoai_read_headers(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
static ngx_uint_t ngx_http_azoai_is_identity(ngx_str_t *value);


static ngx_inline void
ngx_http_azoai_read_request(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    u_char           *q;
    azoai_request_t  *req;

    req = &ctx->req;

    req->method.data = r->method_name.data;
    req->method.len = r->method_name.len;

    /*
     * The raw request target as the client sent it, so that encoded,
     * dot and empty segments are seen; after a rewrite, the new URI.  The
     * query too: NGINX's r->args ends at a '#', proxy_pass sends what
     * follows it.
     */

    if (r->valid_unparsed_uri && r->unparsed_uri.len) {
        q = ngx_http_azoai_query_mark(r);

        req->path.data = r->unparsed_uri.data;

        if (q) {
            req->path.len = q - r->unparsed_uri.data;
            req->args.data = q + 1;
            req->args.len = r->unparsed_uri.len - req->path.len - 1;

        } else {
            req->path.len = r->unparsed_uri.len;
            req->args.data = NULL;
            req->args.len = 0;
        }

    } else {
        req->path.data = r->uri.data;
        req->path.len = r->uri.len;
        req->args.data = r->args.data;
        req->args.len = r->args.len;
    }

    ngx_http_azoai_read_headers(r, ctx);
}


/*
 * The first '?' of the raw target, or NULL.  NGINX's parsers (request
 * line, complex URI, HTTP/2 and HTTP/3 paths) leave args_start after the
 * first '?' they meet, and they stop at none before it: that byte, when
 * it is a '?' inside the target, is the one a search finds.  Without it
 * (no query, or a '?' after a '#'), the search.
 */

static ngx_inline u_char *
ngx_http_azoai_query_mark(ngx_http_request_t *r)
{
    u_char  *q;

    if (r->args_start != NULL) {
        q = r->args_start - 1;

        if (q >= r->unparsed_uri.data
            && q < r->unparsed_uri.data + r->unparsed_uri.len
            && *q == '?')
        {
            return q;
        }
    }

    /* memchr(), not a byte loop: the target can be long */
    return memchr(r->unparsed_uri.data, '?', r->unparsed_uri.len);
}


static ngx_inline void
ngx_http_azoai_read_headers(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    ngx_uint_t        i;
    azoai_str_t      *slot;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;
    azoai_request_t  *req;

    req = &ctx->req;
    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_azoai_next_header(&part, &i)) != NULL) {

        /*
         * by length first: one jump a header, where each name's length
         * tested in turn cost ~12 instructions a header
         */

        slot = NULL;

        switch (h->key.len) {

        case sizeof("x-ms-spillover-deployment") - 1:
            if (ngx_http_azoai_header_is(h, "x-ms-spillover-deployment")) {
                slot = &req->spillover;
            }
            break;

        case sizeof("x-ms-oai-image-generation-deployment") - 1:
            if (ngx_http_azoai_header_is(h,
                    "x-ms-oai-image-generation-deployment"))
            {
                slot = &req->image_deployment;
            }
            break;

        case sizeof("aoai-evals") - 1:
            if (ngx_http_azoai_header_is(h, "aoai-evals")) {
                slot = &req->evals;
            }
            break;

        case sizeof("aoai-copy-ft-checkpoints") - 1:
            if (ngx_http_azoai_header_is(h, "aoai-copy-ft-checkpoints")) {
                slot = &req->copy_checkpoints;
            }
            break;

        case sizeof("content-encoding") - 1:
            if (ngx_http_azoai_header_is(h, "content-encoding")) {
                ctx->compressed |= !ngx_http_azoai_is_identity(&h->value);
                continue;
            }
            break;

        default:
            break;
        }

        if (slot == NULL) {
            if (h->key.len > sizeof(NGX_HTTP_AZOAI_AUDIT_PREFIX) - 1
                && h->lowcase_key[0] == 'x'
                && ngx_strncmp(h->lowcase_key, NGX_HTTP_AZOAI_AUDIT_PREFIX,
                               sizeof(NGX_HTTP_AZOAI_AUDIT_PREFIX) - 1)
                   == 0)
            {
                ctx->audit_sent = 1;
            }

            continue;
        }

        if (slot->data) {
            req->header_repeated = 1;
        }

        /* a present but empty header still counts as present */
        slot->data = h->value.len ? h->value.data : (u_char *) "";
        slot->len = h->value.len;
    }
}


static ngx_uint_t
ngx_http_azoai_is_identity(ngx_str_t *value)
{
    return value->len == sizeof("identity") - 1
           && ngx_strncasecmp(value->data, (u_char *) "identity",
                              sizeof("identity") - 1) == 0;
}


#endif /* _NGX_HTTP_AZOAI_REQUEST_H_INCLUDED_ */
