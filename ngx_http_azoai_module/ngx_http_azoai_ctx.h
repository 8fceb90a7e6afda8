/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The per-request context: what the handler found, decided and counted,
 * kept for the filters, the variables and the log phase.
 */

#ifndef _NGX_HTTP_AZOAI_CTX_H_INCLUDED_
#define _NGX_HTTP_AZOAI_CTX_H_INCLUDED_


#include "ngx_http_azoai_module.h"

#include "azoai_route.h"
#include "azoai_body.h"
#include "azoai_policy.h"
#include "azoai_pii.h"
#include "azoai_usage.h"
#include "azoai_estimate.h"
#include "azoai_ascii.h"


/*
 * a body the context itself holds while it is read, with its spare room,
 * up to these bytes: a 4 KB body and the 6 KB of its masked copy (8 KB
 * sent it to a kept buffer: ~90 instructions a request)
 */
#define NGX_HTTP_AZOAI_BODY_ROOM  12288


/* where the body as received is kept, for $azoai_body_sha256 */
typedef enum {
    NGX_HTTP_AZOAI_RECEIVED_NONE = 0,  /* no body was read */
    NGX_HTTP_AZOAI_RECEIVED_FLAT,      /* ctx->received: one span */
    NGX_HTTP_AZOAI_RECEIVED_BUFS,      /* ctx->received_bufs: a chain */
    NGX_HTTP_AZOAI_RECEIVED_DIGEST     /* ctx->received: its SHA-256, hex */
} ngx_http_azoai_received_e;


struct ngx_http_azoai_ctx_s {
    /* in the request pool's cleanups: ngx_http_azoai_create_ctx() says why */
    ngx_pool_cleanup_t          cln;

    u_char                      request_id[NGX_HTTP_AZOAI_REQUEST_ID_LEN];

    ngx_uint_t                  decision;     /* NGX_HTTP_AZOAI_DECISION_* */
    ngx_int_t                   phase_rc;     /* what the handler returns */
    azoai_request_t             req;
    azoai_route_t               route;
    azoai_decision_t            verdict;

    /* azoai_allow_deployments expanded; NULL: no restriction */
    azoai_str_t                *allow;

    /* core allocations for this request come from r->pool */
    azoai_alloc_t               alloc;

    /*
     * The body as received: one span (memory, or the gathered copy when
     * nothing was rewritten in it), or the buffers it was gathered from
     * once that copy was masked in place.
     */
    ngx_http_azoai_received_e   received_in;
    ngx_str_t                   received;
    ngx_chain_t                *received_bufs;

    /* PII found (counted in report mode too) */
    ngx_uint_t                  pii_count;
    uint64_t                    pii_types;    /* a bit per type id */
    const azoai_pii_engine_t   *engine;       /* names the type ids */

    /*
     * The body's inspection result, here and not on the stack so that
     * its counts by type need no copy (~40 instructions a request with
     * PII): body_result.counts are the request's PII counts by type
     * (uploads copy their totals' in), read only for the types of
     * pii_types; the rest is read only within
     * ngx_http_azoai_inspect_body() (its matches are that call's)
     */
    azoai_body_result_t         body_result;

    azoai_usage_t               usage;

    /* pseudonyms minted for this request, and their restoring */
    struct azoai_pseudo_s      *pseudo;
    struct azoai_sse_s         *restore;
    ngx_uint_t                  pii_restored;
    ngx_uint_t                  pii_response_count; /* masked in it */
    ngx_uint_t                  pii_opaque;   /* not inspectable, passed */
    ngx_uint_t                  pii_unscanned; /* parts passed unread */

    /* token budgets (ngx_http_azoai_tlimit.c) */
    int64_t                     tokens_estimate;
    int64_t                     tokens_prompt;    /* its prompt part */
    int64_t                     tokens_remaining; /* -1: not limited */
    azoai_estimate_stream_t     completion;   /* text of a limited stream */

    /*
     * the first link and buffer of a masked body (most are one piece):
     * not from the pool, which each allocation walks
     */
    ngx_chain_t                 body_out;
    ngx_buf_t                   body_out_buf;

    /* the header buffer ngx_http_azoai_body_prepare() sets up */
    ngx_buf_t                   body_buf;

    /*
     * numbers of header values, written before they are read: a masked
     * body's Content-Length, X-AzOAI-PII-Masked up and down (each from
     * the pool was ~15 instructions, and its bytes made NGINX's later
     * allocations walk to a second pool block)
     */
    u_char                      body_length[NGX_OFF_T_LEN];
    u_char                      pii_up[NGX_INT64_LEN];
    u_char                      pii_down[NGX_INT64_LEN];

    /*
     * its memory for a body that fits here with its spare room (larger
     * ones: body_big), without a pool allocation or a kept buffer
     */
    u_char                      body_room[NGX_HTTP_AZOAI_BODY_ROOM];

    /* body_buf's memory when kept (ngx_http_azoai_big.c) */
    ngx_http_azoai_big_t        body_big;

    /* the spare room after body_buf, for the masked body's copied run */
    u_char                     *body_spare;
    size_t                      body_spare_len;

    /* from the one pass over the request headers */
    unsigned                    compressed:1; /* a Content-Encoding */
    unsigned                    audit_sent:1; /* X-AzOAI-... from client */

    unsigned                    judged:1;     /* decision made */
    unsigned                    reading_body:1;
    /* within the read call: the body handler leaves the phases to it */
    unsigned                    body_inline:1;
    unsigned                    masked:1;
    unsigned                    usage_on:1;   /* the body filter reads */
    unsigned                    completion_on:1; /* ... and counts text */
    unsigned                    counted:1;    /* metrics recorded */
    unsigned                    pii_refused:1; /* unscannable, not sent */
};


static ngx_inline ngx_http_azoai_ctx_t *ngx_http_azoai_get_ctx(
    ngx_http_request_t *r);
static ngx_inline ngx_uint_t ngx_http_azoai_retires_soon(
    ngx_http_azoai_ctx_t *ctx, ngx_http_azoai_loc_conf_t *alcf);
static ngx_inline ngx_int_t ngx_http_azoai_body_replaced(
    ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx, ngx_chain_t *in,
    ngx_chain_t *last, size_t len);


/*
 * The main request's context, or NULL: inline in its callers (handler,
 * filters, variables, log), the rare search after an internal redirect
 * out of line (ngx_http_azoai_ctx.c)
 */

static ngx_inline ngx_http_azoai_ctx_t *
ngx_http_azoai_get_ctx(ngx_http_request_t *r)
{
    ngx_http_azoai_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_http_get_module_ctx(r, ngx_http_azoai_module);

    if (ctx == NULL && (r->internal || r->filter_finalize)) {
        return ngx_http_azoai_find_ctx(r);
    }

    return ctx;
}


/*
 * The deployment judged retires within azoai_retirement_notice: inline in
 * the header filter, which asks on every response (most deployments are
 * not that close to their date), and in ngx_http_azoai_retire.c
 */

static ngx_inline ngx_uint_t
ngx_http_azoai_retires_soon(ngx_http_azoai_ctx_t *ctx,
    ngx_http_azoai_loc_conf_t *alcf)
{
    return ctx->verdict.retires != 0
           && ctx->verdict.retires - (int64_t) ngx_time()
              <= (int64_t) alcf->retirement_notice;
}


/*
 * The request body is now in (last its last link), len bytes; the
 * request's context (ctx, or looked up where it is NULL), if any, holds
 * its Content-Length's digits.  Inline in
 * ngx_http_azoai_replace_body_chain() and where a short body's one masked
 * buffer is put in place (ngx_http_azoai_inspect.c), whose frame has the
 * context: as a call of its own, with the chain's walk and the context's
 * lookup, ~20 instructions a request more.
 */

static ngx_inline ngx_int_t
ngx_http_azoai_body_replaced(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    ngx_chain_t *in, ngx_chain_t *last, size_t len)
{
    u_char  *p, *end;

    last->buf->last_buf = 1;
    last->buf->last_in_chain = 1;

    r->request_body->bufs = in;
    r->request_body->buf = last->buf;
    r->headers_in.content_length_n = len;

    if (r->headers_in.content_length) {

        if (ctx == NULL) {
            ctx = ngx_http_azoai_get_ctx(r);
        }

        if (ctx) {
            p = ctx->body_length;

        } else {
            p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
            if (p == NULL) {
                return NGX_ERROR;
            }
        }

        end = p + NGX_OFF_T_LEN;
        p = azoai_decimal_back(len, end);

        r->headers_in.content_length->value.data = p;
        r->headers_in.content_length->value.len = end - p;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: request body replaced, %uz bytes", len);

    return NGX_OK;
}


#endif /* _NGX_HTTP_AZOAI_CTX_H_INCLUDED_ */
