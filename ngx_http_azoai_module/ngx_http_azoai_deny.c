/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Denials: the decision set with a message formatted the NGINX way, and
 * the Azure-shaped JSON error the module sends itself, so that a denied
 * request never reaches the upstream.
 *
 * HTTP/2 denials read the body first.  A request denied before its body
 * is read used to end with ngx_http_discard_request_body(), which on an
 * HTTP/2 stream only sets stream->skip_data (1.22 to 1.30 alike).  NGINX
 * then sends the error with END_STREAM and, as the client has not closed
 * its side of the stream yet, ngx_http_v2_close_stream() follows it with
 * RST_STREAM (NO_ERROR).  A client still uploading (curl 7.88 with
 * nghttp2 1.52, and SDKs on the same stacks) takes that reset as a failed
 * transfer, "curl: (92) Stream error in the HTTP/2 framing layer", and
 * never shows the error; whether the client's END_STREAM arrived before
 * the answer decided each try.  So the body of a denied HTTP/2 request is
 * read (and dropped) before the answer, within the bound the module
 * reads bodies anyway: a declared length of at most azoai_max_body_size,
 * else client_max_body_size; NGINX spools what client_body_buffer_size
 * does not hold.  The answer then follows the client's END_STREAM and no
 * reset is sent.  A body declared larger than azoai_max_body_size is
 * answered at once (413 BodyTooLarge) and may be followed by the reset,
 * as NGINX's own 413 is.
 */


#include "ngx_http_azoai_ctx.h"


static ngx_uint_t ngx_http_azoai_body_unread(ngx_http_request_t *r);
static void ngx_http_azoai_denied_body_read(ngx_http_request_t *r);


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


/*
 * Answers a denied request from a phase handler: reads what an HTTP/2
 * client is still sending (see above), then sends the error and
 * finalizes the request.  Returns NGX_DONE.
 */

ngx_int_t
ngx_http_azoai_send_denial(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    ngx_int_t  rc;

    if (ngx_http_azoai_body_unread(r)) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: reading the body of a denied HTTP/2 "
                       "request before answering");

        ctx->reading_body = 1;

        rc = ngx_http_read_client_request_body(r,
                                            ngx_http_azoai_denied_body_read);

        if (rc < NGX_HTTP_SPECIAL_RESPONSE) {
            ngx_http_finalize_request(r, NGX_DONE);
            return NGX_DONE;
        }

        /* NGINX skips the rest of the stream: answer now */

        ctx->reading_body = 0;
    }

    rc = ngx_http_azoai_send_error(r, ctx);
    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


static ngx_uint_t
ngx_http_azoai_body_unread(ngx_http_request_t *r)
{
#if (NGX_HTTP_V2)
    ngx_http_azoai_loc_conf_t  *alcf;

    if (r->stream == NULL || r->stream->in_closed
        || r->request_body || r->discard_body)
    {
        return 0;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    return r->headers_in.content_length_n <= (off_t) alcf->max_body_size;
#else
    return 0;
#endif
}


static void
ngx_http_azoai_denied_body_read(ngx_http_request_t *r)
{
    ngx_http_azoai_ctx_t  *ctx;

    ctx = ngx_http_azoai_get_ctx(r);

    ctx->reading_body = 0;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: denied request's body read, answering");

    ngx_http_finalize_request(r, ngx_http_azoai_send_error(r, ctx));
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
