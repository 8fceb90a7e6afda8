/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Audit headers both ways, and the response body filter that reads token
 * usage from JSON responses and event streams as they pass, without
 * holding anything back.
 */


#include "ngx_http_azoai_module.h"


static ngx_int_t ngx_http_azoai_push_header_in(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *lowcase, ngx_uint_t hash, ngx_str_t *value);
static ngx_int_t ngx_http_azoai_add_header_out(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *value);
static void ngx_http_azoai_strip_headers_out(ngx_http_request_t *r);
static ngx_int_t ngx_http_azoai_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_azoai_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_str_t  ngx_http_azoai_h_request_id =
    ngx_string("X-AzOAI-Request-Id");
static ngx_str_t  ngx_http_azoai_h_request_id_low =
    ngx_string("x-azoai-request-id");
static ngx_str_t  ngx_http_azoai_h_pii =
    ngx_string("X-AzOAI-PII-Masked");
static ngx_str_t  ngx_http_azoai_h_pii_low =
    ngx_string("x-azoai-pii-masked");
static ngx_str_t  ngx_http_azoai_h_decision =
    ngx_string("X-AzOAI-Decision");

/* ngx_hash_key() of the lower-case names, for the proxy module's lookups */
static ngx_uint_t  ngx_http_azoai_h_request_id_hash;
static ngx_uint_t  ngx_http_azoai_h_pii_hash;


/*
 * The next header of an NGINX header list, or NULL at its end:
 *
 *     part = &r->headers_in.headers.part;
 *     i = 0;
 *
 *     while ((h = ngx_http_azoai_next_header(&part, &i)) != NULL) { ... }
 */

ngx_table_elt_t *
ngx_http_azoai_next_header(ngx_list_part_t **part, ngx_uint_t *i)
{
    while (*i >= (*part)->nelts) {
        if ((*part)->next == NULL) {
            return NULL;
        }

        *part = (*part)->next;
        *i = 0;
    }

    return (ngx_table_elt_t *) (*part)->elts + (*i)++;
}


ngx_int_t
ngx_http_azoai_filter_init(ngx_conf_t *cf)
{
    ngx_http_azoai_h_request_id_hash =
        ngx_hash_key(ngx_http_azoai_h_request_id_low.data,
                     ngx_http_azoai_h_request_id_low.len);
    ngx_http_azoai_h_pii_hash =
        ngx_hash_key(ngx_http_azoai_h_pii_low.data,
                     ngx_http_azoai_h_pii_low.len);

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_azoai_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_azoai_body_filter;

    return NGX_OK;
}


/*
 * X-AzOAI-Request-Id and X-AzOAI-PII-Masked to the upstream.  Whatever
 * the client sent under these names is overwritten: a client cannot
 * vouch for its own request.
 */

ngx_int_t
ngx_http_azoai_set_upstream_headers(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx)
{
    u_char            *p;
    ngx_str_t          id, pii;
    ngx_uint_t         i, found_id, found_pii;
    ngx_list_part_t   *part;
    ngx_table_elt_t   *h;

    id.data = ctx->request_id;
    id.len = NGX_HTTP_AZOAI_REQUEST_ID_LEN;

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    pii.data = p;
    pii.len = ngx_http_azoai_format_uint(p, ctx->masked ? ctx->pii_count : 0)
              - p;

    /* one pass for both names */

    found_id = 0;
    found_pii = 0;
    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_azoai_next_header(&part, &i)) != NULL) {
        if (h->key.len == ngx_http_azoai_h_request_id.len
            && ngx_strncasecmp(h->key.data, ngx_http_azoai_h_request_id.data,
                               h->key.len) == 0)
        {
            h->value = id;
            found_id = 1;

        } else if (h->key.len == ngx_http_azoai_h_pii.len
                   && ngx_strncasecmp(h->key.data, ngx_http_azoai_h_pii.data,
                                      h->key.len) == 0)
        {
            h->value = pii;
            found_pii = 1;
        }
    }

    if (!found_id
        && ngx_http_azoai_push_header_in(r, &ngx_http_azoai_h_request_id,
                                         &ngx_http_azoai_h_request_id_low,
                                         ngx_http_azoai_h_request_id_hash,
                                         &id)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!found_pii
        && ngx_http_azoai_push_header_in(r, &ngx_http_azoai_h_pii,
                                         &ngx_http_azoai_h_pii_low,
                                         ngx_http_azoai_h_pii_hash, &pii)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_azoai_push_header_in(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *lowcase, ngx_uint_t hash, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key = *key;
    h->lowcase_key = lowcase->data;
    h->hash = hash;
    h->value = *value;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


/* the decimal digits of n at p; returns their end */

u_char *
ngx_http_azoai_format_uint(u_char *p, ngx_uint_t n)
{
    u_char   digits[NGX_INT_T_LEN];
    size_t   len;

    len = 0;

    do {
        digits[len++] = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    while (len) {
        *p++ = digits[--len];
    }

    return p;
}


static ngx_int_t
ngx_http_azoai_header_filter(ngx_http_request_t *r)
{
    u_char                     *p;
    ngx_str_t                   value, *type;
    ngx_http_azoai_ctx_t       *ctx;
    ngx_http_azoai_loc_conf_t  *alcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_azoai_get_ctx(r);

    if (ctx == NULL || ctx->decision == NGX_HTTP_AZOAI_DECISION_NONE) {
        return ngx_http_next_header_filter(r);
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    /* token usage: JSON or event-stream responses, not compressed ones */

    if (ctx->decision != NGX_HTTP_AZOAI_DECISION_DENY
        && r->headers_out.content_encoding == NULL)
    {
        type = &r->headers_out.content_type;

        if (type->len >= sizeof("text/event-stream") - 1
            && ngx_strncasecmp(type->data, (u_char *) "text/event-stream",
                               sizeof("text/event-stream") - 1) == 0)
        {
            azoai_usage_init(&ctx->usage, 1);
            ctx->usage_on = 1;

        } else if (type->len >= sizeof("application/json") - 1
                   && ngx_strncasecmp(type->data,
                                      (u_char *) "application/json",
                                      sizeof("application/json") - 1) == 0)
        {
            azoai_usage_init(&ctx->usage, 0);
            ctx->usage_on = 1;
        }
    }

    if (ctx->usage_on) {
        /* responses buffered to a temp file are read back for the filter */
        r->filter_need_in_memory = 1;
    }

    if (!alcf->audit_headers) {
        return ngx_http_next_header_filter(r);
    }

    ngx_http_azoai_strip_headers_out(r);

    value.data = ctx->request_id;
    value.len = NGX_HTTP_AZOAI_REQUEST_ID_LEN;

    if (ngx_http_azoai_add_header_out(r, &ngx_http_azoai_h_request_id,
                                      &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    value.data = (u_char *) ngx_http_azoai_decision_name(ctx->decision);
    value.len = ngx_strlen(value.data);

    if (ngx_http_azoai_add_header_out(r, &ngx_http_azoai_h_decision, &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value.data = p;
    value.len = ngx_http_azoai_format_uint(p, ctx->pii_count) - p;

    if (ngx_http_azoai_add_header_out(r, &ngx_http_azoai_h_pii, &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_azoai_add_header_out(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = *key;
    h->value = *value;
    h->lowcase_key = NULL;

    return NGX_OK;
}


/* X-AzOAI-* headers from the upstream would be mistaken for ours */

static void
ngx_http_azoai_strip_headers_out(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_out.headers.part;
    i = 0;

    while ((h = ngx_http_azoai_next_header(&part, &i)) != NULL) {
        if (h->key.len > sizeof("X-AzOAI-") - 1
            && ngx_strncasecmp(h->key.data, (u_char *) "X-AzOAI-",
                               sizeof("X-AzOAI-") - 1) == 0)
        {
            h->hash = 0;
        }
    }
}


static ngx_int_t
ngx_http_azoai_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t           *cl;
    ngx_http_azoai_ctx_t  *ctx;

    if (r != r->main || in == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_azoai_module);

    if (ctx == NULL || !ctx->usage_on) {
        return ngx_http_next_body_filter(r, in);
    }

    /* read as the bytes pass; the chain goes on unchanged, flush and all */

    for (cl = in; cl; cl = cl->next) {
        if (ngx_buf_in_memory(cl->buf) && cl->buf->last > cl->buf->pos) {
            azoai_usage_feed(&ctx->usage, cl->buf->pos,
                             cl->buf->last - cl->buf->pos);
        }

        if (cl->buf->last_buf) {
            azoai_usage_finish(&ctx->usage);
            ctx->usage_on = 0;
            break;
        }
    }

    return ngx_http_next_body_filter(r, in);
}
