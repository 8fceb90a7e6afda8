/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The per-request context's creation (ngx_http_azoai_ctx.c has its
 * lookup after redirects, its cleanup and the worker's kept contexts):
 * inline in the judging (ngx_http_azoai_handler.c).
 */

#ifndef _NGX_HTTP_AZOAI_CTX_CREATE_H_INCLUDED_
#define _NGX_HTTP_AZOAI_CTX_CREATE_H_INCLUDED_


#include "ngx_http_azoai_ctx.h"
#include "ngx_http_azoai_request_id.h"
#include "azoai_zero.h"


/*
 * The parts of the context that are written before they are read, and not
 * zeroed: its pool cleanup (first, before the request id), the request id
 * (written whole by ngx_http_azoai_request_id() right after), the
 * request's method, path and query and the route (written whole by
 * ngx_http_azoai_read_request() and azoai_route_classify(), which the
 * handler calls right after), the decision's message (a NUL-terminated
 * string, only ever read as one: its first byte is set), the body's
 * inspection result (written by the core before it is read; its counts
 * read only for the types of pii_types, which is set with all of them),
 * the usage state (results set here, the rest by
 * azoai_usage_init() where the header filter sets usage_on) and the
 * completion estimate (azoai_estimate_stream_init() where completion_on
 * is set, the only place it is read under), and the body's buffer (zeroed
 * where ngx_http_azoai_body_prepare() sets it up, read only from there
 * on) with the room that follows it (a body is copied and read into it
 * first).
 * Where each starts and ends in the context:
 */
#define NGX_HTTP_AZOAI_CTX_AFTER_ID                                           \
    (offsetof(ngx_http_azoai_ctx_t, request_id)                               \
     + sizeof(((ngx_http_azoai_ctx_t *) 0)->request_id))
#define NGX_HTTP_AZOAI_CTX_REQ                                                \
    offsetof(ngx_http_azoai_ctx_t, req)
#define NGX_HTTP_AZOAI_CTX_REQ_HEADERS                                        \
    (NGX_HTTP_AZOAI_CTX_REQ + offsetof(azoai_request_t, spillover))
#define NGX_HTTP_AZOAI_CTX_ROUTE                                              \
    offsetof(ngx_http_azoai_ctx_t, route)
#define NGX_HTTP_AZOAI_CTX_AFTER_ROUTE                                        \
    (NGX_HTTP_AZOAI_CTX_ROUTE + sizeof(azoai_route_t))
#define NGX_HTTP_AZOAI_CTX_MESSAGE                                            \
    (offsetof(ngx_http_azoai_ctx_t, verdict)                                  \
     + offsetof(azoai_decision_t, message))
#define NGX_HTTP_AZOAI_CTX_AFTER_MESSAGE                                      \
    (NGX_HTTP_AZOAI_CTX_MESSAGE + sizeof(((azoai_decision_t *) 0)->message))
#define NGX_HTTP_AZOAI_CTX_RESULT                                             \
    offsetof(ngx_http_azoai_ctx_t, body_result)
#define NGX_HTTP_AZOAI_CTX_AFTER_RESULT                                       \
    (NGX_HTTP_AZOAI_CTX_RESULT + sizeof(azoai_body_result_t))
#define NGX_HTTP_AZOAI_CTX_USAGE                                              \
    offsetof(ngx_http_azoai_ctx_t, usage)
#define NGX_HTTP_AZOAI_CTX_AFTER_USAGE                                        \
    (NGX_HTTP_AZOAI_CTX_USAGE + sizeof(azoai_usage_t))
#define NGX_HTTP_AZOAI_CTX_COMPLETION                                         \
    offsetof(ngx_http_azoai_ctx_t, completion)
#define NGX_HTTP_AZOAI_CTX_AFTER_COMPLETION                                   \
    (NGX_HTTP_AZOAI_CTX_COMPLETION + sizeof(azoai_estimate_stream_t))
#define NGX_HTTP_AZOAI_CTX_BODY_BUF                                           \
    offsetof(ngx_http_azoai_ctx_t, body_out)
#define NGX_HTTP_AZOAI_CTX_AFTER_BODY_BUF                                     \
    (offsetof(ngx_http_azoai_ctx_t, body_room)                                \
     + sizeof(((ngx_http_azoai_ctx_t *) 0)->body_room))

/*
 * Contexts kept by the worker from one request to the next: the context
 * (~14 KB with a small body's room) out of the request's pool leaves
 * room there for NGINX's own allocations (the upstream's), which took a
 * second pool block per request otherwise.
 */
#define NGX_HTTP_AZOAI_CTX_KEEP  64


/* bytes from to before, of the context */
#define ngx_http_azoai_ctx_zero(ctx, from, before)                            \
    azoai_zero((u_char *) (ctx) + (from), (before) - (from))

/* they come in this order */
typedef char  ngx_http_azoai_ctx_order[
    (NGX_HTTP_AZOAI_CTX_AFTER_ID <= NGX_HTTP_AZOAI_CTX_REQ
     && offsetof(azoai_request_t, method) < offsetof(azoai_request_t, path)
     && offsetof(azoai_request_t, path) < offsetof(azoai_request_t, args)
     && offsetof(azoai_request_t, args) < offsetof(azoai_request_t, spillover)
     && NGX_HTTP_AZOAI_CTX_AFTER_ROUTE <= NGX_HTTP_AZOAI_CTX_MESSAGE
     && NGX_HTTP_AZOAI_CTX_AFTER_MESSAGE <= NGX_HTTP_AZOAI_CTX_RESULT
     && NGX_HTTP_AZOAI_CTX_AFTER_RESULT <= NGX_HTTP_AZOAI_CTX_USAGE
     && NGX_HTTP_AZOAI_CTX_AFTER_USAGE <= NGX_HTTP_AZOAI_CTX_COMPLETION
     && NGX_HTTP_AZOAI_CTX_AFTER_COMPLETION <= NGX_HTTP_AZOAI_CTX_BODY_BUF
     && NGX_HTTP_AZOAI_CTX_BODY_BUF + sizeof(ngx_buf_t)
        <= offsetof(ngx_http_azoai_ctx_t, body_room))
    ? 1 : -1];


/* kept by this worker, free (ngx_http_azoai_ctx.c) */
extern ngx_http_azoai_ctx_t  *ngx_http_azoai_ctx_kept[NGX_HTTP_AZOAI_CTX_KEEP];
extern ngx_uint_t  ngx_http_azoai_ctx_nkept;

void ngx_http_azoai_ctx_cleanup(void *data);
void *ngx_http_azoai_palloc(void *pool, size_t size);


/*
 * The pool's cleanup is the context's own, linked in as
 * ngx_pool_cleanup_add() links one: that call and its allocation from the
 * pool were ~35 instructions a request.  The pool's walk reads it after
 * its handler ran: ngx_http_azoai_ctx_cleanup() frees no context at once.
 * It is linked last, so that no search finds a context half set.  Zeroed
 * are all but the parts written before they are read (above): zeroing
 * those was most of the context's bytes (900 of 1,416 when it held
 * neither the body's result nor its room; a rep stos, one instruction
 * per 8 bytes), then the route and the request line (another ~8).
 * Inline in its one caller, the judging, which has a frame of its own
 * already: as a call of its own, with its frame, ~10 instructions a
 * request more.
 */

static ngx_inline ngx_http_azoai_ctx_t *
ngx_http_azoai_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_t            *pool;
    ngx_http_azoai_ctx_t  *ctx;

    if (ngx_http_azoai_ctx_nkept) {
        ctx = ngx_http_azoai_ctx_kept[--ngx_http_azoai_ctx_nkept];

    } else {
        ctx = ngx_alloc(sizeof(ngx_http_azoai_ctx_t), r->connection->log);
        if (ctx == NULL) {
            return NULL;
        }
    }

    pool = r->pool;

    ngx_http_azoai_ctx_zero(ctx, NGX_HTTP_AZOAI_CTX_AFTER_ID,
                            NGX_HTTP_AZOAI_CTX_REQ);
    ngx_http_azoai_ctx_zero(ctx, NGX_HTTP_AZOAI_CTX_REQ_HEADERS,
                            NGX_HTTP_AZOAI_CTX_ROUTE);
    ngx_http_azoai_ctx_zero(ctx, NGX_HTTP_AZOAI_CTX_AFTER_ROUTE,
                            NGX_HTTP_AZOAI_CTX_MESSAGE);
    ctx->verdict.message[0] = '\0';
    ngx_http_azoai_ctx_zero(ctx, NGX_HTTP_AZOAI_CTX_AFTER_MESSAGE,
                            NGX_HTTP_AZOAI_CTX_RESULT);
    ngx_http_azoai_ctx_zero(ctx, NGX_HTTP_AZOAI_CTX_AFTER_RESULT,
                            NGX_HTTP_AZOAI_CTX_USAGE);
    ngx_http_azoai_ctx_zero(ctx, NGX_HTTP_AZOAI_CTX_AFTER_USAGE,
                            NGX_HTTP_AZOAI_CTX_COMPLETION);
    ngx_http_azoai_ctx_zero(ctx, NGX_HTTP_AZOAI_CTX_AFTER_COMPLETION,
                            NGX_HTTP_AZOAI_CTX_BODY_BUF);
    ngx_http_azoai_ctx_zero(ctx, NGX_HTTP_AZOAI_CTX_AFTER_BODY_BUF,
                            sizeof(ngx_http_azoai_ctx_t));

    /*
     * set by ngx_memzero():
     *
     *     ctx->decision = NGX_HTTP_AZOAI_DECISION_NONE;
     *     ctx->phase_rc = 0;
     *     ctx->verdict.reason = AZOAI_ALLOW;
     *     ctx->received_in = NGX_HTTP_AZOAI_RECEIVED_NONE;
     *     ctx->pii_count = 0;
     *     ctx->engine = NULL;
     *     ctx->tokens_estimate = 0;
     */

    /*
     * the decision stays "none" until it is applied: a request that NGINX
     * itself ends (client_max_body_size, a client gone mid-body) logs none
     */
    ctx->verdict.status = NGX_HTTP_OK;

    ctx->alloc.alloc = ngx_http_azoai_palloc;
    ctx->alloc.pool = pool;

    ctx->tokens_remaining = -1;

    /* "not seen"; the header filter inits the rest where it sets usage_on */
    azoai_usage_results_init(&ctx->usage);

    if (ngx_http_azoai_request_id(ctx->request_id) != NGX_OK) {
        ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                 "azoai: no random request id "
                                 "(OpenSSL AES failed)");
        ngx_http_azoai_ctx_cleanup(ctx);
        return NULL;
    }

    ctx->cln.handler = ngx_http_azoai_ctx_cleanup;
    ctx->cln.data = ctx;
    ctx->cln.next = pool->cleanup;
    pool->cleanup = &ctx->cln;

    ngx_http_set_ctx(r, ctx, ngx_http_azoai_module);

    return ctx;
}


#endif /* _NGX_HTTP_AZOAI_CTX_CREATE_H_INCLUDED_ */
