/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Denials: an Azure-shaped JSON error, sent by the module itself so that
 * the request never reaches the upstream.
 */


#include "ngx_http_azoai_module.h"


ngx_int_t
ngx_http_azoai_send_error(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    u_char       *p;
    size_t        len, msg_len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;
    const char   *code;

    static u_char  head[] = "{\"error\":{\"code\":\"";
    static u_char  mid[] = "\",\"message\":\"";
    static u_char  tail[] = "\",\"type\":\"azoai_policy\"}}\n";

    code = azoai_reason_code(ctx->verdict.reason);
    msg_len = ngx_strlen(ctx->verdict.message);

    /* the request is answered here: no 100 Continue, no body wanted */

    r->expect_tested = 1;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    len = sizeof(head) - 1 + ngx_strlen(code) + sizeof(mid) - 1
          + msg_len + ngx_escape_json(NULL, (u_char *) ctx->verdict.message,
                                      msg_len)
          + sizeof(tail) - 1;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(b->last, head, sizeof(head) - 1);
    p = ngx_cpymem(p, code, ngx_strlen(code));
    p = ngx_cpymem(p, mid, sizeof(mid) - 1);
    p = (u_char *) ngx_escape_json(p, (u_char *) ctx->verdict.message,
                                   msg_len);
    p = ngx_cpymem(p, tail, sizeof(tail) - 1);

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = ctx->verdict.status ? ctx->verdict.status
                                                : NGX_HTTP_FORBIDDEN;
    r->headers_out.content_length_n = b->last - b->pos;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
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
