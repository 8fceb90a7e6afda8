/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The response filters.  The header filter adds the client audit headers
 * and decides whether the body filter reads token usage; the body filter
 * reads it from JSON responses and event streams as the bytes pass,
 * without holding anything back: the chain goes on unchanged.
 */


#include "ngx_http_azoai_ctx.h"
#include "ngx_http_azoai_header_out.h"


static ngx_int_t ngx_http_azoai_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_azoai_header_filter_judged(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx) __attribute__((noinline));
static ngx_int_t ngx_http_azoai_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_azoai_read_usage(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, ngx_chain_t *in) __attribute__((noinline));
static void ngx_http_azoai_start_usage(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
static ngx_int_t ngx_http_azoai_add_audit_headers(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx);
static void ngx_http_azoai_strip_headers_out(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_str_t  ngx_http_azoai_h_request_id =
    ngx_string("X-AzOAI-Request-Id");
static ngx_str_t  ngx_http_azoai_h_decision =
    ngx_string("X-AzOAI-Decision");
static ngx_str_t  ngx_http_azoai_h_pii =
    ngx_string("X-AzOAI-PII-Masked");
static ngx_str_t  ngx_http_azoai_h_tokens =
    ngx_string("X-AzOAI-Tokens-Remaining");
static ngx_str_t  ngx_http_azoai_h_prefix =
    ngx_string("X-AzOAI-");


ngx_int_t
ngx_http_azoai_filter_init(ngx_conf_t *cf)
{
    ngx_http_azoai_main_conf_t  *amcf;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_azoai_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_azoai_body_filter;

    /*
     * The restore filters pass every response of a configuration where
     * no location restores or masks responses (two calls per response
     * buffer and one per header for nothing): left out of such chains.
     * All locations are merged before the postconfiguration.
     */

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_azoai_module);

    if (!amcf->response_filters) {
        return NGX_OK;
    }

    /* on top: token usage is read from the restored response */
    return ngx_http_azoai_restore_filter_init(cf);
}


/*
 * Most responses a worker sends are not judged: subrequests, other
 * locations, the module's own upstream when it runs in the same NGINX.
 * Those take the tests alone and a jump to the next filter, without the
 * frame and the saved registers of the audit headers' work (~15
 * instructions a response)
 */

static ngx_int_t
ngx_http_azoai_header_filter(ngx_http_request_t *r)
{
    ngx_http_azoai_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_azoai_get_ctx(r);

    if (ctx == NULL || ctx->decision == NGX_HTTP_AZOAI_DECISION_NONE) {
        return ngx_http_next_header_filter(r);
    }

    return ngx_http_azoai_header_filter_judged(r, ctx);
}


static ngx_int_t
ngx_http_azoai_header_filter_judged(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx)
{
    ngx_http_azoai_loc_conf_t  *alcf;

    if (ctx->decision != NGX_HTTP_AZOAI_DECISION_DENY) {
        ngx_http_azoai_start_usage(r, ctx);
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    if (alcf->audit_headers
        && ngx_http_azoai_add_audit_headers(r, alcf, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


/* token usage: JSON or event-stream responses, not compressed ones */

static void
ngx_http_azoai_start_usage(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    ngx_uint_t  type;

    if (r->headers_out.content_encoding) {
        return;
    }

    type = ngx_http_azoai_response_type(r);

    if (type == NGX_HTTP_AZOAI_TYPE_SSE) {
        azoai_usage_init(&ctx->usage, 1);

        if (ctx->tokens_remaining >= 0) {
            /* under a token limit: the charge if no usage comes */
            azoai_estimate_stream_init(&ctx->completion);
            ctx->completion_on = 1;
        }

    } else if (type == NGX_HTTP_AZOAI_TYPE_JSON) {
        /* ngx_http_azoai_create_ctx() set the results only */
        azoai_usage_init(&ctx->usage, 0);

    } else {
        return;
    }

    ctx->usage_on = 1;

    /* responses buffered to a temp file are read back for the filter */
    r->filter_need_in_memory = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: reading token usage from a \"%V\" response",
                   &r->headers_out.content_type);
}


static ngx_int_t
ngx_http_azoai_add_audit_headers(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx)
{
    ngx_str_t         id, count, *decision;
    ngx_table_elt_t  *h;

    ngx_http_azoai_strip_headers_out(r);

    id.data = ctx->request_id;
    id.len = NGX_HTTP_AZOAI_REQUEST_ID_LEN;

    decision = ngx_http_azoai_decision_name(ctx->decision);

    ngx_http_azoai_number_in(ctx->pii_down, ctx->pii_count, &count);

    /* the three of every response, in this order */

    h = ngx_http_azoai_list_take(&r->headers_out.headers, 3);

    if (h != NULL) {
        ngx_http_azoai_set_header_out(&h[0], &ngx_http_azoai_h_request_id,
                                      &id);
        ngx_http_azoai_set_header_out(&h[1], &ngx_http_azoai_h_decision,
                                      decision);
        ngx_http_azoai_set_header_out(&h[2], &ngx_http_azoai_h_pii, &count);

    } else if (ngx_http_azoai_add_header_out(r, &ngx_http_azoai_h_request_id,
                                             &id)
               != NGX_OK
               || ngx_http_azoai_add_header_out(r, &ngx_http_azoai_h_decision,
                                                decision)
                  != NGX_OK
               || ngx_http_azoai_add_header_out(r, &ngx_http_azoai_h_pii,
                                                &count)
                  != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_azoai_retires_soon(ctx, alcf)
        && ngx_http_azoai_retire_header(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->tokens_remaining < 0) {
        return NGX_OK;
    }

    /* the tightest zone, as it stood when the request was admitted */

    return ngx_http_azoai_add_number_out(r, &ngx_http_azoai_h_tokens,
                                         ctx->tokens_remaining);
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
        if (h->key.len > ngx_http_azoai_h_prefix.len
            && ngx_strncasecmp(h->key.data, ngx_http_azoai_h_prefix.data,
                               ngx_http_azoai_h_prefix.len) == 0)
        {
            h->hash = 0;
        }
    }
}


/*
 * Most responses are not read (no context, not JSON, usage read): the
 * test alone, a jump to the next filter without a frame of its own
 */

static ngx_int_t
ngx_http_azoai_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_http_azoai_ctx_t  *ctx;

    if (r != r->main || in == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_azoai_module);

    if (ctx == NULL || !ctx->usage_on) {
        return ngx_http_next_body_filter(r, in);
    }

    return ngx_http_azoai_read_usage(r, ctx, in);
}


static ngx_int_t
ngx_http_azoai_read_usage(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    ngx_chain_t *in)
{
    ngx_chain_t  *cl;

    for (cl = in; cl; cl = cl->next) {
        if (ngx_buf_in_memory(cl->buf) && cl->buf->last > cl->buf->pos) {
            azoai_usage_feed(&ctx->usage, cl->buf->pos,
                             cl->buf->last - cl->buf->pos);

            if (ctx->completion_on) {
                azoai_estimate_stream_feed(&ctx->completion, cl->buf->pos,
                                           cl->buf->last - cl->buf->pos);
            }
        }

        if (cl->buf->last_buf) {
            azoai_usage_finish(&ctx->usage);
            ctx->usage_on = 0;

            ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "azoai: token usage prompt %L, completion %L, "
                           "total %L",
                           (int64_t) ctx->usage.prompt_tokens,
                           (int64_t) ctx->usage.completion_tokens,
                           (int64_t) ctx->usage.total_tokens);
            break;
        }
    }

    return ngx_http_next_body_filter(r, in);
}
