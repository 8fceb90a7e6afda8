/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * X-AzOAI-Request-Id and X-AzOAI-PII-Masked to the upstream
 * (ngx_http_azoai_upstream.c): inline where the decision is applied,
 * which has a frame of its own already (as a call of its own, with its
 * frame, ~8 instructions a request more); the client's X-AzOAI-* headers
 * overwritten out of line.
 */

#ifndef _NGX_HTTP_AZOAI_UPSTREAM_H_INCLUDED_
#define _NGX_HTTP_AZOAI_UPSTREAM_H_INCLUDED_


#include "ngx_http_azoai_ctx.h"
#include "ngx_http_azoai_header_out.h"


typedef struct {
    ngx_str_t                   key;
    ngx_str_t                   lowcase_key;
    ngx_uint_t                  hash;      /* of lowcase_key */
} ngx_http_azoai_header_name_t;


#define NGX_HTTP_AZOAI_UP_REQUEST_ID  0
#define NGX_HTTP_AZOAI_UP_PII         1
#define NGX_HTTP_AZOAI_UP_N           2


extern ngx_http_azoai_header_name_t  ngx_http_azoai_up_headers[];


ngx_int_t ngx_http_azoai_headers_in(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, ngx_str_t pii) __attribute__((noinline));
static ngx_inline ngx_int_t ngx_http_azoai_set_upstream_headers(
    ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx);
static ngx_inline void ngx_http_azoai_set_header_in(ngx_table_elt_t *h,
    ngx_http_azoai_header_name_t *name, ngx_str_t *value);


static ngx_inline ngx_int_t
ngx_http_azoai_set_upstream_headers(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx)
{
    ngx_str_t         id, pii;
    ngx_table_elt_t  *h;

    ngx_http_azoai_number_in(ctx->pii_up, ctx->masked ? ctx->pii_count : 0,
                             &pii);

    /*
     * The request headers were read once: walk them again only if the
     * client sent X-AzOAI-* headers.  Without them, both headers from the
     * list's last part when it has room for both (most requests have far
     * fewer headers than a part holds), not with a ngx_list_push() each.
     */

    h = ctx->audit_sent ? NULL
                        : ngx_http_azoai_list_take(&r->headers_in.headers,
                                                   NGX_HTTP_AZOAI_UP_N);

    if (h == NULL) {
        return ngx_http_azoai_headers_in(r, ctx, pii);
    }

    id.data = ctx->request_id;
    id.len = NGX_HTTP_AZOAI_REQUEST_ID_LEN;

    ngx_http_azoai_set_header_in(&h[NGX_HTTP_AZOAI_UP_REQUEST_ID],
        &ngx_http_azoai_up_headers[NGX_HTTP_AZOAI_UP_REQUEST_ID], &id);
    ngx_http_azoai_set_header_in(&h[NGX_HTTP_AZOAI_UP_PII],
        &ngx_http_azoai_up_headers[NGX_HTTP_AZOAI_UP_PII], &pii);

    return NGX_OK;
}


static ngx_inline void
ngx_http_azoai_set_header_in(ngx_table_elt_t *h,
    ngx_http_azoai_header_name_t *name, ngx_str_t *value)
{
    h->key = name->key;
    h->lowcase_key = name->lowcase_key.data;
    h->hash = name->hash;
    h->value = *value;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
}


#endif /* _NGX_HTTP_AZOAI_UPSTREAM_H_INCLUDED_ */
