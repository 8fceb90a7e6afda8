/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Response headers to the client, and numbers for header values: inline
 * in their few callers (header filter, upstream headers, retirement,
 * token limits), which run on every request.
 */

#ifndef _NGX_HTTP_AZOAI_HEADER_OUT_H_INCLUDED_
#define _NGX_HTTP_AZOAI_HEADER_OUT_H_INCLUDED_


#include "ngx_http_azoai_module.h"

#include "azoai_ascii.h"


static ngx_inline ngx_table_elt_t *ngx_http_azoai_list_take(
    ngx_list_t *list, ngx_uint_t n);
static ngx_inline ngx_int_t ngx_http_azoai_add_header_out(
    ngx_http_request_t *r, ngx_str_t *key, ngx_str_t *value);
static ngx_inline void ngx_http_azoai_set_header_out(ngx_table_elt_t *h,
    ngx_str_t *key, ngx_str_t *value);
static ngx_inline ngx_int_t ngx_http_azoai_add_number_out(
    ngx_http_request_t *r, ngx_str_t *key, int64_t n);
static ngx_inline ngx_int_t ngx_http_azoai_number(ngx_pool_t *pool,
    int64_t n, ngx_str_t *value);
static ngx_inline void ngx_http_azoai_number_in(u_char *buf, uint64_t n,
    ngx_str_t *value);


/*
 * n headers' elements in a row at the end of a header list, from its
 * last part, or NULL when that part has fewer left (the caller pushes
 * them one by one then): the headers the module adds on every request
 * without a ngx_list_push() call each
 */

static ngx_inline ngx_table_elt_t *
ngx_http_azoai_list_take(ngx_list_t *list, ngx_uint_t n)
{
    ngx_table_elt_t  *h;

    if (list->last->nelts + n > list->nalloc) {
        return NULL;
    }

    h = (ngx_table_elt_t *) list->last->elts + list->last->nelts;
    list->last->nelts += n;

    return h;
}


/* a header of the response to the client */

static ngx_inline ngx_int_t
ngx_http_azoai_add_header_out(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_http_azoai_set_header_out(h, key, value);

    return NGX_OK;
}


static ngx_inline void
ngx_http_azoai_set_header_out(ngx_table_elt_t *h, ngx_str_t *key,
    ngx_str_t *value)
{
    h->hash = 1;
    h->key = *key;
    h->value = *value;
    h->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
}


/* a response header whose value is the decimal number n */

static ngx_inline ngx_int_t
ngx_http_azoai_add_number_out(ngx_http_request_t *r, ngx_str_t *key,
    int64_t n)
{
    ngx_str_t  value;

    if (ngx_http_azoai_number(r->pool, n, &value) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_azoai_add_header_out(r, key, &value);
}


/* n in decimal, for a header value; static text for one digit */

static ngx_inline ngx_int_t
ngx_http_azoai_number(ngx_pool_t *pool, int64_t n, ngx_str_t *value)
{
    u_char  *p;

    static u_char  digits[] = "0123456789";

    /* one digit (a clean request's PII count): no allocation, no format */

    if (n >= 0 && n <= 9) {
        value->data = &digits[n];
        value->len = 1;

        return NGX_OK;
    }

    p = ngx_pnalloc(pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value->data = p;
    value->len = (n >= 0) ? azoai_decimal((uint64_t) n, p) - p
                          : ngx_sprintf(p, "%L", n) - p;

    return NGX_OK;
}


/*
 * The same into buf, NGX_INT64_LEN bytes that live as long as the header
 * (the context's): no allocation
 */

static ngx_inline void
ngx_http_azoai_number_in(u_char *buf, uint64_t n, ngx_str_t *value)
{
    static u_char  digits[] = "0123456789";

    if (n <= 9) {
        value->data = &digits[n];
        value->len = 1;
        return;
    }

    value->data = buf;
    value->len = azoai_decimal(n, buf) - buf;
}


#endif /* _NGX_HTTP_AZOAI_HEADER_OUT_H_INCLUDED_ */
