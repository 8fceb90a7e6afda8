/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * X-AzOAI-Request-Id and X-AzOAI-PII-Masked to the upstream.  Whatever
 * the client sent under these names is overwritten: a client cannot
 * vouch for its own request.  With response inspection on, Azure is
 * asked for a response it does not compress.
 */


#include "ngx_http_azoai_upstream.h"


static void ngx_http_azoai_overwrite_sent(ngx_http_request_t *r,
    ngx_str_t *values, ngx_uint_t *found);
static ngx_int_t ngx_http_azoai_push_header_in(ngx_http_request_t *r,
    ngx_http_azoai_header_name_t *name, ngx_str_t *value);


/* the hashes are computed once, at configuration time */
ngx_http_azoai_header_name_t  ngx_http_azoai_up_headers[] = {
    { ngx_string("X-AzOAI-Request-Id"), ngx_string("x-azoai-request-id"),
      0 },
    { ngx_string("X-AzOAI-PII-Masked"), ngx_string("x-azoai-pii-masked"),
      0 }
};


ngx_int_t
ngx_http_azoai_upstream_init(ngx_conf_t *cf)
{
    ngx_uint_t                     i;
    ngx_http_azoai_header_name_t  *h;

    for (i = 0; i < NGX_HTTP_AZOAI_UP_N; i++) {
        h = &ngx_http_azoai_up_headers[i];
        h->hash = ngx_hash_key(h->lowcase_key.data, h->lowcase_key.len);
    }

    return NGX_OK;
}


/*
 * The client's X-AzOAI-* headers overwritten, the missing ones pushed one
 * by one: out of line (its arrays need a stack frame and its guard)
 */

ngx_int_t
ngx_http_azoai_headers_in(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    ngx_str_t pii)
{
    ngx_uint_t  i, found[NGX_HTTP_AZOAI_UP_N];
    ngx_str_t   values[NGX_HTTP_AZOAI_UP_N];

    values[NGX_HTTP_AZOAI_UP_REQUEST_ID].data = ctx->request_id;
    values[NGX_HTTP_AZOAI_UP_REQUEST_ID].len = NGX_HTTP_AZOAI_REQUEST_ID_LEN;
    values[NGX_HTTP_AZOAI_UP_PII] = pii;

    found[NGX_HTTP_AZOAI_UP_REQUEST_ID] = 0;
    found[NGX_HTTP_AZOAI_UP_PII] = 0;

    if (ctx->audit_sent) {
        ngx_http_azoai_overwrite_sent(r, values, found);
    }

    for (i = 0; i < NGX_HTTP_AZOAI_UP_N; i++) {
        if (!found[i]
            && ngx_http_azoai_push_header_in(r, &ngx_http_azoai_up_headers[i],
                                             &values[i])
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_azoai_overwrite_sent(ngx_http_request_t *r, ngx_str_t *values,
    ngx_uint_t *found)
{
    ngx_uint_t                     i, n;
    ngx_list_part_t               *part;
    ngx_table_elt_t               *h;
    ngx_http_azoai_header_name_t  *name;

    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_azoai_next_header(&part, &i)) != NULL) {
        for (n = 0; n < NGX_HTTP_AZOAI_UP_N; n++) {
            name = &ngx_http_azoai_up_headers[n];

            if (h->key.len == name->lowcase_key.len
                && ngx_strncmp(h->lowcase_key, name->lowcase_key.data,
                               h->key.len) == 0)
            {
                ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                               "azoai: client's \"%V\" header overwritten",
                               &name->key);
                h->value = values[n];
                found[n] = 1;
            }
        }
    }
}


static ngx_int_t
ngx_http_azoai_push_header_in(ngx_http_request_t *r,
    ngx_http_azoai_header_name_t *name, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_http_azoai_set_header_in(h, name, value);

    return NGX_OK;
}


/* Accept-Encoding: identity, so that the response can be read */

void
ngx_http_azoai_identity_encoding(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    static ngx_str_t  name = ngx_string("accept-encoding");
    static ngx_str_t  identity = ngx_string("identity");

    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_azoai_next_header(&part, &i)) != NULL) {
        if (h->key.len == name.len
            && ngx_strncmp(h->lowcase_key, name.data, name.len) == 0)
        {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "azoai: identity encoding asked of the upstream");
            h->value = identity;
        }
    }
}
