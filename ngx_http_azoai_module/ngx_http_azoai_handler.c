/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The precontent phase handler: classify the request, judge what the
 * request line and headers say, read the body when the decision or PII
 * masking needs it (as the mirror module does), then let the request go
 * on or deny it.
 */


#include "ngx_http_azoai_ctx_create.h"
#include "ngx_http_azoai_request.h"
#include "ngx_http_azoai_body_prepare.h"
#include "ngx_http_azoai_upstream.h"

#include "azoai_allow.h"
#include "azoai_route_fast.h"
#include "azoai_policy_fast.h"


static ngx_int_t ngx_http_azoai_judge(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf) __attribute__((noinline));
static ngx_int_t ngx_http_azoai_judge_route(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx);
static ngx_uint_t ngx_http_azoai_needs_body(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx);
static ngx_int_t ngx_http_azoai_read_body(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx);
static void ngx_http_azoai_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_azoai_finish(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
static ngx_inline ngx_int_t ngx_http_azoai_finish_inline(
    ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
    __attribute__((always_inline));
static void ngx_http_azoai_log_decision(ngx_http_request_t *r,
    ngx_uint_t level, ngx_http_azoai_ctx_t *ctx, const char *what);


/*
 * The phase handler runs for every request of every location: those the
 * module is off in take the tests alone, without the frame and saved
 * registers of the judging (~8 instructions a request)
 */

ngx_int_t
ngx_http_azoai_handler(ngx_http_request_t *r)
{
    ngx_http_azoai_ctx_t       *ctx;
    ngx_http_azoai_loc_conf_t  *alcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_azoai_get_ctx(r);

    if (ctx) {
        if (ctx->reading_body) {
            return NGX_DONE;
        }

        if (ctx->judged) {
            return ngx_http_azoai_finish(r, ctx);
        }
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    if (!alcf->enable) {
        return NGX_DECLINED;
    }

    return ngx_http_azoai_judge(r, alcf);
}


static ngx_int_t
ngx_http_azoai_judge(ngx_http_request_t *r, ngx_http_azoai_loc_conf_t *alcf)
{
    ngx_int_t              rc;
    ngx_http_azoai_ctx_t  *ctx;

    ctx = ngx_http_azoai_create_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_azoai_judge_route(r, alcf, ctx);

    if (rc == NGX_OK && !ctx->route.azure) {
        /* not Azure OpenAI traffic: no decision, headers or counts */
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: not an Azure OpenAI path, not judged");
        ctx->judged = 1;
        ctx->phase_rc = NGX_DECLINED;
        return NGX_DECLINED;
    }

    if (rc != NGX_OK || !ngx_http_azoai_needs_body(r, alcf, ctx)) {
        ctx->judged = 1;
        return ngx_http_azoai_finish(r, ctx);
    }

    return ngx_http_azoai_read_body(r, alcf, ctx);
}


static ngx_int_t
ngx_http_azoai_judge_route(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx)
{
    ngx_http_azoai_read_request(r, ctx);

    /* azoai_route_classify(), its fast path inline (azoai_route_fast.h) */

    if (!azoai_route_fast_inline(&ctx->req, &ctx->route)
        && azoai_route_classify_full(&ctx->req, &ctx->route, &ctx->alloc)
           != AZOAI_OK)
    {
        ngx_http_azoai_deny(ctx, AZOAI_INTERNAL_ERROR,
                            "the request could not be classified");
        return NGX_ERROR;
    }

    /*
     * the context was created allowing: the check's fast path inline, by
     * the clock the policy's own (ngx_http_azoai_now()) reads
     */

    azoai_policy_check_fast(alcf->policy, &ctx->req, &ctx->route,
                            &ctx->verdict, (int64_t) ngx_time());

    /* without the directive ctx->allow stays NULL: nothing to check */

    if (alcf->allow_deployments != NULL) {

        if (ngx_http_azoai_allow_expand(r, ctx) != NGX_OK) {
            ngx_http_azoai_deny(ctx, AZOAI_INTERNAL_ERROR,
                                "azoai_allow_deployments could not be "
                                "expanded");
            return NGX_ERROR;
        }

        azoai_allow_check_route(ctx->allow, &ctx->req, &ctx->route,
                                &ctx->verdict);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: route \"%s\", deployment from %ui: %s",
                   ctx->route.operation ? ctx->route.operation : "",
                   (ngx_uint_t) ctx->route.deployment_from,
                   ctx->verdict.reason == AZOAI_ALLOW
                   ? "allowed so far"
                   : azoai_reason_code(ctx->verdict.reason));

    return ctx->verdict.reason == AZOAI_ALLOW ? NGX_OK : NGX_DECLINED;
}


static ngx_uint_t
ngx_http_azoai_needs_body(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx)
{
    azoai_route_t  *route;

    route = &ctx->route;

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked
#if (NGX_HTTP_V2)
        && (r->stream == NULL || r->headers_in.content_length_n == 0)
#endif
       )
    {
        return 0;
    }

    if (route->deployment_from == AZOAI_DEP_BODY
        || route->deployment_from == AZOAI_DEP_BASE_MODEL
        || route->deployment_from == AZOAI_DEP_FORM)
    {
        return 1;
    }

    /* uploads: batch files are judged line by line, PII or not */
    return alcf->pii.enable || route->json_body || route->upload;
}


static ngx_int_t
ngx_http_azoai_read_body(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx)
{
    ngx_int_t  rc;

    if (r->headers_in.content_length_n > (off_t) alcf->max_body_size) {
        ngx_http_azoai_deny(ctx, AZOAI_BODY_TOO_LARGE,
                            "request body of %O bytes is larger than "
                            "azoai_max_body_size (%uz bytes)",
                            r->headers_in.content_length_n,
                            alcf->max_body_size);
        ctx->judged = 1;
        return ngx_http_azoai_finish(r, ctx);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: reading the request body, content length %O",
                   r->headers_in.content_length_n);

    ctx->reading_body = 1;

    if (ngx_http_azoai_body_prepare(r, ctx,
                                    alcf->pii.enable && !ctx->route.upload
                                    && alcf->mode != NGX_HTTP_AZOAI_REPORT)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->body_inline = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_azoai_body_handler);

    ctx->body_inline = 0;

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ngx_http_azoai_body_restore(r);
        return rc;
    }

    if (ctx->reading_body) {
        /* drops the reference the read took; the body handler resumes */
        ngx_http_finalize_request(r, NGX_DONE);
        return NGX_DONE;
    }

    /*
     * The whole body was there: the body handler judged it within the
     * call; the phases go on from here instead of being run again from
     * the body handler (the handler, the phase loop and a finalization
     * once more per request).  The reference the read took is dropped
     * as ngx_http_finalize_connection() drops it while the request holds
     * another and no body is discarded: one decrement, as
     * ngx_http_read_client_request_body() itself does on errors.
     */

    if (r->main->count > 1 && !r->discard_body) {
        r->main->count--;

    } else {
        ngx_http_finalize_request(r, NGX_DONE);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: request body read at once, phases go on, "
                   "count %d", (int) r->main->count);

    return ngx_http_azoai_finish_inline(r, ctx);
}


static void
ngx_http_azoai_body_handler(ngx_http_request_t *r)
{
    ngx_http_azoai_ctx_t  *ctx;

    ngx_http_azoai_body_restore(r);

    ctx = ngx_http_azoai_get_ctx(r);

    ctx->reading_body = 0;
    ctx->judged = 1;

    if (r->request_body == NULL || r->request_body->rest > 0) {
        /* the client went away; NGINX finalizes the request */
        ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                            "the request body was not received in full");

    } else if (ctx->verdict.reason == AZOAI_ALLOW
               && ngx_http_azoai_inspect_body(r, ctx) != NGX_OK)
    {
        ngx_http_azoai_deny(ctx, AZOAI_INTERNAL_ERROR,
                            "the request body could not be inspected");
    }

    r->preserve_body = 1;
    r->write_event_handler = ngx_http_core_run_phases;

    if (ctx->body_inline) {
        /* ngx_http_azoai_read_body() goes on when the read returns */
        return;
    }

    ngx_http_core_run_phases(r);
}


/* ngx_http_azoai_finish_inline() for the body handler */

static ngx_int_t
ngx_http_azoai_finish(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    return ngx_http_azoai_finish_inline(r, ctx);
}


/*
 * Applies the decision once: continue (allow, report), or send the error.
 * Inline where the body came whole (most requests), whose judging has a
 * frame of its own already: the jump to this one and its frame were ~10
 * instructions a request.
 */

static ngx_inline ngx_int_t
ngx_http_azoai_finish_inline(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    ngx_http_azoai_loc_conf_t  *alcf;

    if (ctx->phase_rc) {
        return ctx->phase_rc;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    if (ctx->verdict.reason == AZOAI_ALLOW
        && alcf->token_limits != NULL
        && ngx_http_azoai_tlimit_admit(r, ctx) != NGX_OK)
    {
        ngx_http_azoai_deny(ctx, AZOAI_INTERNAL_ERROR,
                            "the request could not be counted against "
                            "its token budget");
    }

    if (ctx->verdict.reason == AZOAI_ALLOW) {
        ctx->decision = NGX_HTTP_AZOAI_DECISION_ALLOW;

    } else if (alcf->mode == NGX_HTTP_AZOAI_REPORT
               && ctx->verdict.reason != AZOAI_INTERNAL_ERROR)
    {
        ctx->decision = NGX_HTTP_AZOAI_DECISION_REPORT_DENY;

        ngx_http_azoai_log_decision(r, NGX_LOG_WARN, ctx,
                                    "report-only, would deny");

    } else {
        ctx->decision = NGX_HTTP_AZOAI_DECISION_DENY;
        ctx->phase_rc = NGX_DONE;

        ngx_http_azoai_log_decision(r, NGX_LOG_INFO, ctx, "denied");

        return ngx_http_azoai_send_denial(r, ctx);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: request %*s allowed, %ui PII value(s)",
                   (size_t) NGX_HTTP_AZOAI_REQUEST_ID_LEN, ctx->request_id,
                   ctx->pii_count);

    ctx->phase_rc = NGX_DECLINED;

    if (alcf->pii_response || alcf->pii_restore) {
        ngx_http_azoai_identity_encoding(r);
    }

    if (alcf->audit_headers
        && ngx_http_azoai_set_upstream_headers(r, ctx) != NGX_OK)
    {
        ctx->phase_rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ctx->phase_rc;
}


static void
ngx_http_azoai_log_decision(ngx_http_request_t *r, ngx_uint_t level,
    ngx_http_azoai_ctx_t *ctx, const char *what)
{
    ngx_http_azoai_log_error(level, r, 0, "azoai: request %*s %s: %s: %s",
                             (size_t) NGX_HTTP_AZOAI_REQUEST_ID_LEN,
                             ctx->request_id, what,
                             azoai_reason_code(ctx->verdict.reason),
                             ctx->verdict.message);
}
