/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Denials: the decision set with a message formatted the NGINX way, and
 * the Azure-shaped JSON error the module sends itself, so that a denied
 * request never reaches the upstream.
 */


#include "ngx_http_azoai_ctx.h"


static ngx_str_t  ngx_http_azoai_error_head =
    ngx_string("{\"error\":{\"code\":\"");
static ngx_str_t  ngx_http_azoai_error_mid =
    ngx_string("\",\"message\":\"");
static ngx_str_t  ngx_http_azoai_error_tail =
    ngx_string("\",\"type\":\"azoai_policy\"}}\n");
static ngx_str_t  ngx_http_azoai_json_type =
    ngx_string("application/json");


/*
 * Sets the verdict to a denial.  The message is formatted with
 * ngx_vslprintf() (%V, %O, %uz, ...); it must name no PII value and no
 * credential, and the core makes it JSON-safe.
 */

void
ngx_http_azoai_deny(ngx_http_azoai_ctx_t *ctx, ngx_uint_t reason,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    msg[sizeof(ctx->verdict.message)];

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg), fmt, args);
    va_end(args);

    azoai_decision_deny_str(&ctx->verdict, reason, msg, p - msg);
}


ngx_int_t
ngx_http_azoai_send_error(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    u_char       *p, *msg;
    size_t        len, msg_len;
    ngx_int_t     rc;
    ngx_str_t     code;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    code = *ngx_http_azoai_reason_code(ctx->verdict.reason);

    msg = (u_char *) ctx->verdict.message;
    msg_len = ngx_strlen(msg);

    /* the request is answered here: no 100 Continue, no body wanted */

    r->expect_tested = 1;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    len = ngx_http_azoai_error_head.len + code.len
          + ngx_http_azoai_error_mid.len
          + msg_len + ngx_escape_json(NULL, msg, msg_len)
          + ngx_http_azoai_error_tail.len;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(b->last, ngx_http_azoai_error_head.data,
                   ngx_http_azoai_error_head.len);
    p = ngx_cpymem(p, code.data, code.len);
    p = ngx_cpymem(p, ngx_http_azoai_error_mid.data,
                   ngx_http_azoai_error_mid.len);
    p = (u_char *) ngx_escape_json(p, msg, msg_len);
    p = ngx_cpymem(p, ngx_http_azoai_error_tail.data,
                   ngx_http_azoai_error_tail.len);

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = ctx->verdict.status ? ctx->verdict.status
                                                : NGX_HTTP_FORBIDDEN;
    r->headers_out.content_length_n = b->last - b->pos;

    r->headers_out.content_type = ngx_http_azoai_json_type;
    r->headers_out.content_type_len = ngx_http_azoai_json_type.len;
    r->headers_out.content_type_lowcase = NULL;

    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
