/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The precontent phase handler: classify the request, judge what the
 * request line and headers say, read the body when the decision or PII
 * masking needs it, then let the request go on or deny it.
 */


#include "ngx_http_azoai_module.h"


static ngx_int_t ngx_http_azoai_judge_route(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx);
static void ngx_http_azoai_request_view(ngx_http_request_t *r,
    azoai_request_t *req);
static ngx_uint_t ngx_http_azoai_needs_body(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx);
static void ngx_http_azoai_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_azoai_finish(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
static void ngx_http_azoai_log_decision(ngx_http_request_t *r,
    ngx_uint_t level, ngx_http_azoai_ctx_t *ctx, const char *what);


ngx_int_t
ngx_http_azoai_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
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

    ctx = ngx_http_azoai_create_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * the decision stays "none" until it is applied: a request that NGINX
     * itself ends (client_max_body_size, a client gone mid-body) logs none
     */
    ctx->verdict.status = NGX_HTTP_OK;

    rc = ngx_http_azoai_judge_route(r, alcf, ctx);

    if (rc == NGX_OK && !ctx->route.azure) {
        /* not Azure OpenAI traffic: no decision, headers or counts */
        ctx->judged = 1;
        ctx->phase_rc = NGX_DECLINED;
        return NGX_DECLINED;
    }

    if (rc != NGX_OK || !ngx_http_azoai_needs_body(r, alcf, ctx)) {
        ctx->judged = 1;
        return ngx_http_azoai_finish(r, ctx);
    }

    if (r->headers_in.content_length_n > (off_t) alcf->max_body_size) {
        azoai_decision_deny(&ctx->verdict, AZOAI_BODY_TOO_LARGE,
                            "request body of %lld bytes is larger than "
                            "azoai_max_body_size (%zu bytes)",
                            (long long) r->headers_in.content_length_n,
                            alcf->max_body_size);
        ctx->judged = 1;
        return ngx_http_azoai_finish(r, ctx);
    }

    ctx->reading_body = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_azoai_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);
    return NGX_DONE;
}


static void
ngx_http_azoai_body_handler(ngx_http_request_t *r)
{
    ngx_http_azoai_ctx_t  *ctx;

    ctx = ngx_http_azoai_get_ctx(r);

    ctx->reading_body = 0;
    ctx->judged = 1;

    if (r->request_body == NULL || r->request_body->rest > 0) {
        /* the client went away; NGINX finalizes the request */
        azoai_decision_deny(&ctx->verdict, AZOAI_INVALID_BODY,
                            "the request body was not received in full");

    } else if (ctx->verdict.reason == AZOAI_ALLOW
               && ngx_http_azoai_process_body(r, ctx) != NGX_OK)
    {
        azoai_decision_deny(&ctx->verdict, AZOAI_INTERNAL_ERROR,
                            "the request body could not be inspected");
    }

    r->preserve_body = 1;
    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/*
 * Applies the decision once: continue (allow, report), or send the error.
 */

static ngx_int_t
ngx_http_azoai_finish(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_http_azoai_loc_conf_t  *alcf;

    if (ctx->phase_rc) {
        return ctx->phase_rc;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

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

        rc = ngx_http_azoai_send_error(r, ctx);
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    ctx->phase_rc = NGX_DECLINED;

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


static ngx_int_t
ngx_http_azoai_judge_route(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx)
{
    azoai_alloc_t        *a;
    azoai_policy_conf_t   pc;

    ngx_http_azoai_request_view(r, &ctx->req);

    a = ngx_http_azoai_allocator(r);
    if (a == NULL
        || azoai_route_classify(&ctx->req, &ctx->route, a) != AZOAI_OK)
    {
        azoai_decision_deny(&ctx->verdict, AZOAI_INTERNAL_ERROR,
                            "the request could not be classified");
        return NGX_ERROR;
    }

    pc.catalog = alcf->catalog;
    pc.allow_preview_api = alcf->allow_preview_api;
    pc.allow_unknown = alcf->allow_unknown;

    azoai_policy_check_route(&pc, &ctx->req, &ctx->route, &ctx->verdict);

    return ctx->verdict.reason == AZOAI_ALLOW ? NGX_OK : NGX_DECLINED;
}


static ngx_uint_t
ngx_http_azoai_needs_body(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx)
{
    azoai_route_t  *route;

    route = &ctx->route;

    if (!route->azure) {
        return 0;
    }

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

    return alcf->pii || route->json_body;
}


static void
ngx_http_azoai_request_view(ngx_http_request_t *r, azoai_request_t *req)
{
    u_char           *q;
    ngx_uint_t        i;
    azoai_str_t      *slot;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    ngx_memzero(req, sizeof(azoai_request_t));

    req->method.data = r->method_name.data;
    req->method.len = r->method_name.len;

    /*
     * The raw request target as the client sent it, so that encoded,
     * dot and empty segments are seen; after a rewrite, the new URI.
     */

    if (r->valid_unparsed_uri && r->unparsed_uri.len) {
        /* memchr(), not a byte loop: the target can be long */
        q = memchr(r->unparsed_uri.data, '?', r->unparsed_uri.len);

        req->path.data = r->unparsed_uri.data;
        req->path.len = q ? (size_t) (q - r->unparsed_uri.data)
                          : r->unparsed_uri.len;

    } else {
        req->path.data = r->uri.data;
        req->path.len = r->uri.len;
    }

    req->args.data = r->args.data;
    req->args.len = r->args.len;

    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_azoai_next_header(&part, &i)) != NULL) {
        if (ngx_http_azoai_header_is(h, "x-ms-spillover-deployment")) {
            slot = &req->spillover;

        } else if (ngx_http_azoai_header_is(h,
                       "x-ms-oai-image-generation-deployment"))
        {
            slot = &req->image_deployment;

        } else if (ngx_http_azoai_header_is(h, "aoai-evals")) {
            slot = &req->evals;

        } else if (ngx_http_azoai_header_is(h,
                                            "aoai-copy-ft-checkpoints"))
        {
            slot = &req->copy_checkpoints;

        } else {
            continue;
        }

        if (slot->data) {
            req->header_repeated = 1;
        }

        /* a present but empty header still counts as present */
        slot->data = h->value.len ? h->value.data : (u_char *) "";
        slot->len = h->value.len;
    }
}
