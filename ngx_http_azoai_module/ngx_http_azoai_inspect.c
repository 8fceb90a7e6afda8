/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Judging the request body: its shape (multipart, compressed), the core's
 * one pass over it (strict JSON, deployment names, PII spans), every
 * deployment it names, the PII outcome (block, report, mask), and the
 * masked body spliced into the request.  When nothing matched, the
 * original buffers go upstream untouched.
 */


#include "ngx_http_azoai_ctx.h"

#include "azoai_allow.h"
#include "azoai_body.h"
#include "azoai_body_refs.h"
#include "azoai_pseudo.h"
#include "azoai_store.h"


/* room for the names of the blocked types in a denial */
#define NGX_HTTP_AZOAI_TYPES_TEXT_LEN  256

/*
 * unchanged spans of a masked body at least this long go upstream as
 * buffers over the body as received; shorter ones are copied next to
 * the replacements around them (see the figures in the commit)
 */
#define NGX_HTTP_AZOAI_BODY_REF_MIN    8192

/*
 * the matches of a body held on the stack (1.5 KB): the 40 of a 64 KB
 * chat body; more go to the request pool
 */
#define NGX_HTTP_AZOAI_MATCH_ROOM      64


static ngx_int_t ngx_http_azoai_check_shape(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx);
static ngx_uint_t ngx_http_azoai_multipart(ngx_http_request_t *r,
    azoai_route_t *route);
static ngx_int_t ngx_http_azoai_check_result(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    azoai_body_result_t *res, ngx_str_t *body);
static ngx_uint_t ngx_http_azoai_names_deployment(
    const azoai_body_result_t *res);
static ngx_int_t ngx_http_azoai_mask(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, azoai_body_result_t *res, ngx_str_t *body,
    ngx_uint_t copied);
static ngx_int_t ngx_http_azoai_mask_refs(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, azoai_body_result_t *res, ngx_str_t *body);
static ngx_int_t ngx_http_azoai_mask_whole(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, azoai_body_result_t *res, ngx_str_t *body);
static void *ngx_http_azoai_spare_alloc(void *data, size_t size);


/*
 * NGX_OK with ctx->verdict set (allow, or a denial), NGX_ERROR when the
 * body could not be inspected (the caller denies: fail closed).  The body
 * result is the context's (ctx->body_result: its counts by type are the
 * request's), its first matches are on the stack: from the request pool
 * they made a 1 KB request outgrow the pool's first block (~350
 * instructions).
 * long: the one dispatch of every kind of body, kept in one place
 */

ngx_int_t
ngx_http_azoai_inspect_body(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_str_t                   body;
    ngx_uint_t                  copied;
    azoai_body_result_t        *res;
    ngx_http_azoai_loc_conf_t  *alcf;
    azoai_pii_match_t           matches[NGX_HTTP_AZOAI_MATCH_ROOM];

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    /* streamed, not gathered */
    if (ctx->route.upload && ngx_http_azoai_upload_spooled(r, ctx)) {
        return ngx_http_azoai_inspect_upload_file(r, alcf, ctx);
    }

    if (ngx_http_azoai_gather_body(r, &body, &copied) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->received = body;
    ctx->received_in = NGX_HTTP_AZOAI_RECEIVED_FLAT;

    if (body.len > alcf->max_body_size) {
        ngx_http_azoai_deny(ctx, AZOAI_BODY_TOO_LARGE,
                            "request body of %uz bytes is larger than "
                            "azoai_max_body_size (%uz bytes)",
                            body.len, alcf->max_body_size);
        return NGX_OK;
    }

    if (body.len == 0 || ctx->route.upload) {
        return ngx_http_azoai_inspect_upload(r, alcf, ctx, &body);
    }

    rc = ngx_http_azoai_check_shape(r, alcf, ctx);
    if (rc != NGX_OK) {
        return NGX_OK;
    }

    /* multipart and compressed bodies are not estimated: usage decides */

    if (alcf->token_limits != NULL) {
        ngx_http_azoai_tlimit_estimate(r, ctx, &body);
    }

    res = &ctx->body_result;

    ctx->engine = alcf->pii.enable ? alcf->pii.engine : NULL;

    if (azoai_body_inspect_into(ctx->engine, body.data, body.len,
                                &ctx->alloc, res, matches,
                                NGX_HTTP_AZOAI_MATCH_ROOM)
        != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    /* body becomes the "store": false copy if azoai_store rewrites it */
    rc = ngx_http_azoai_check_result(r, alcf, ctx, res, &body);
    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : NGX_ERROR;
    }

    if (ctx->engine == NULL || res->nmatches == 0) {
        return NGX_OK;
    }

    /* res->counts are the context's: no copy */
    ctx->pii_count = res->nmatches;
    ctx->pii_types = res->types_found;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: %ui PII value(s) found, types 0x%uxL",
                   ctx->pii_count, ctx->pii_types);

    if (res->types_blocked) {
        ngx_http_azoai_pii_blocked(ctx, res->types_blocked);
        return NGX_OK;
    }

    if (alcf->mode == NGX_HTTP_AZOAI_REPORT) {
        /* report: count what would be masked, change nothing */
        return NGX_OK;
    }

    return ngx_http_azoai_mask(r, ctx, res, &body, copied);
}


/*
 * Bodies the module cannot read (multipart where a name or PII must be
 * found, compressed ones): denied, or passed as azoai_invalid_body says.
 * NGX_OK to go on, NGX_DONE when the verdict is settled.
 */

static ngx_int_t
ngx_http_azoai_check_shape(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx)
{
    azoai_route_t  *route;

    route = &ctx->route;

    if (route->deployment_from == AZOAI_DEP_FORM
        || ngx_http_azoai_multipart(r, route))
    {
        if (route->deployment_from != AZOAI_DEP_FORM && !alcf->pii.enable) {
            /* nothing to find in it: the JSON check below decides */
            return NGX_OK;
        }

        ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                            "multipart request bodies cannot be inspected "
                            "on this route");

    } else if (ctx->compressed) {
        ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                            "compressed request bodies (Content-Encoding) "
                            "cannot be inspected");

    } else {
        return NGX_OK;
    }

    if (alcf->pass_invalid_body) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: body not inspected, passed "
                       "(azoai_invalid_body pass)");

        azoai_decision_init(&ctx->verdict);
    }

    return NGX_DONE;
}


/* routes that take both (audio/speech) are told apart by Content-Type */

static ngx_uint_t
ngx_http_azoai_multipart(ngx_http_request_t *r, azoai_route_t *route)
{
    ngx_table_elt_t  *ct;

    if (!route->multipart) {
        return 0;
    }

    if (!route->json_body) {
        return 1;
    }

    ct = r->headers_in.content_type;

    return ct && ct->value.len >= sizeof("multipart/") - 1
           && ngx_strncasecmp(ct->value.data, (u_char *) "multipart/",
                              sizeof("multipart/") - 1) == 0;
}


/*
 * The core's verdict on the body, then every deployment it names, each
 * as the policy judges a path deployment, then what it asks Azure to keep
 * (azoai_store).  NGX_OK to go on, NGX_DONE when the verdict is settled,
 * NGX_ERROR on allocation failure.
 */

static ngx_int_t
ngx_http_azoai_check_result(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    azoai_body_result_t *res, ngx_str_t *body)
{
    unsigned            kind;
    ngx_uint_t          i;
    azoai_body_name_t  *name;

    switch (res->error) {

    case AZOAI_BODY_OK:
        break;

    case AZOAI_BODY_AMBIGUOUS:
        ngx_http_azoai_deny(ctx, AZOAI_AMBIGUOUS, "%s", res->error_text);
        return NGX_DONE;

    case AZOAI_BODY_NOMEM:
        return NGX_ERROR;

    default:
        if (!alcf->pass_invalid_body) {
            ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                                "request body is not valid JSON: %s",
                                res->error_text);
        }

        return NGX_DONE;
    }

    for (i = 0; i < res->nnames; i++) {
        name = &res->names[i];
        kind = AZOAI_DEP_BODY;

        if (ctx->route.deployment_from == AZOAI_DEP_BASE_MODEL
            && name->origin == AZOAI_BODY_NAME_MODEL)
        {
            kind = AZOAI_DEP_BASE_MODEL;
        }

        if (ngx_http_azoai_check_body_name(r, alcf, ctx, name->name.data,
                                           name->name.len, kind,
                                           azoai_body_name_where(name->origin))
            != NGX_OK)
        {
            return NGX_DONE;
        }
    }

    if (ctx->route.body_names_deployment
        && !ngx_http_azoai_names_deployment(res))
    {
        /* Azure would answer from a deployment nobody judged, or fail */
        ngx_http_azoai_deny(ctx, AZOAI_AMBIGUOUS,
                            "a %s request names its deployment in the "
                            "body (\"model\"); this body names none",
                            ctx->route.operation);
        return NGX_DONE;
    }

    if (res->nopaque) {
        /* with PII on: base64 images, files, audio */
        if (ngx_http_azoai_pii_opaque(r, ctx, res->opaque_what,
                                      res->nopaque)
            != NGX_OK)
        {
            return NGX_DONE;
        }
    }

    if (alcf->store == AZOAI_STORE_ALLOW) {
        return NGX_OK;
    }

    return ngx_http_azoai_store(r, ctx, res, body);
}


/*
 * One deployment (or base model) name a body carries, judged as the
 * policy judges a path deployment, then by azoai_allow_deployments.
 * NGX_OK when allowed, NGX_DECLINED with ctx->verdict denying.
 */

ngx_int_t
ngx_http_azoai_check_body_name(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    const u_char *name, size_t len, ngx_uint_t kind, const char *where)
{
    azoai_policy_check_deployment(alcf->policy, name, len, kind, where,
                                  &ctx->verdict);

    azoai_allow_check(ctx->allow, name, len, where, &ctx->verdict);

    if (ctx->verdict.reason != AZOAI_ALLOW) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: a body deployment is denied: %s",
                       azoai_reason_code(ctx->verdict.reason));
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* a top-level "model" or a realtime "session.model" */

static ngx_uint_t
ngx_http_azoai_names_deployment(const azoai_body_result_t *res)
{
    ngx_uint_t  i;

    for (i = 0; i < res->nnames; i++) {
        if (res->names[i].origin == AZOAI_BODY_NAME_MODEL
            || res->names[i].origin == AZOAI_BODY_NAME_SESSION_MODEL)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The masked body replaces the request body.  A body gathered into a
 * copy of ours is masked where it lies; else the new body is a chain
 * over the body as received (ngx_http_azoai_mask_refs()).
 */

static ngx_int_t
ngx_http_azoai_mask(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    azoai_body_result_t *res, ngx_str_t *body, ngx_uint_t copied)
{
    u_char                     *out;
    size_t                      out_len;
    ngx_int_t                   rc;
    ngx_http_azoai_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    /*
     * pseudonyms live in request memory only; none where no value found
     * is pseudonymized (the set: ~35 instructions, chat-4k-pii)
     */

    if (ctx->pseudo == NULL && (res->types_found & alcf->pii.pseudonym)) {
        ctx->pseudo = azoai_pseudo_create(&ctx->alloc);
        if (ctx->pseudo == NULL) {
            return NGX_ERROR;
        }
    }

    res->pseudo = ctx->pseudo;

    if (!copied) {
        rc = ngx_http_azoai_mask_refs(r, ctx, res, body);
        ctx->masked = (rc == NGX_OK);
        return rc;
    }

    /*
     * The copy is ours: mask it where it lies.  The buffers it was
     * gathered from still hold the body as received, for the digest (or
     * it is taken now: ngx_http_azoai_digest_keep()).
     */

    if (ngx_http_azoai_digest_keep(r, ctx) != NGX_OK
        || azoai_body_rewrite_in_place(ctx->engine, res, body->data,
                                       body->len, &ctx->alloc, &out,
                                       &out_len)
           != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_azoai_replace_body(r, out, out_len);
    ctx->masked = (rc == NGX_OK);

    return rc;
}


/*
 * The masked body as a chain: the long unchanged spans are buffers over
 * the body as received (NGINX's buffers, or the "store": false copy),
 * which live as long as the request and are never written; the
 * replacements and the short spans around them are copied into one
 * small buffer.  The body as received stays as it is, for the digest.
 * A body shorter than NGX_HTTP_AZOAI_BODY_REF_MIN has no span that long:
 * ngx_http_azoai_mask_whole().
 */

static ngx_int_t
ngx_http_azoai_mask_refs(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    azoai_body_result_t *res, ngx_str_t *body)
{
    size_t                        len;
    azoai_alloc_t                 alloc, *a;
    ngx_http_azoai_body_chain_t   chain;

    ctx->body_out.buf = &ctx->body_out_buf;
    ctx->body_out.next = NULL;

    if (body->len < NGX_HTTP_AZOAI_BODY_REF_MIN) {
        return ngx_http_azoai_mask_whole(r, ctx, res, body);
    }

    a = &ctx->alloc;

    if (ctx->body_spare_len) {
        alloc.alloc = ngx_http_azoai_spare_alloc;
        alloc.pool = ctx;
        a = &alloc;
    }

    ngx_http_azoai_body_chain_init(&chain, r->pool);

    ngx_memzero(&ctx->body_out_buf, sizeof(ngx_buf_t));
    chain.spare = &ctx->body_out;
    chain.nspare = 1;

    if (azoai_body_splice_refs(ctx->engine, res, body->data, body->len,
                               NGX_HTTP_AZOAI_BODY_REF_MIN, a,
                               ngx_http_azoai_body_link, &chain, &len)
        != AZOAI_OK
        || chain.head == NULL)
    {
        return NGX_ERROR;
    }

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: body masked by reference, %uz to %uz bytes "
                   "in %ui buffers%s", body->len, len, chain.pieces,
                   (ctx->body_spare && ctx->body_spare_len == 0)
                   ? ", copied to the spare room after the body" : "");

    return ngx_http_azoai_replace_body_chain(r, chain.head, len);
}


/*
 * The masked body in one buffer, the context's link over it: the splice
 * loop of azoai_body_rewrite() called here, its run in the spare room
 * where it fits.  Through azoai_body_splice_refs() and the chain its
 * pieces build (ngx_http_azoai_body_link()) the one piece cost ~60
 * instructions more at 4 KB, through azoai_body_rewrite() ~35.
 */

static ngx_int_t
ngx_http_azoai_mask_whole(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    azoai_body_result_t *res, ngx_str_t *body)
{
    u_char            *start;
    size_t             room, len;
    ngx_buf_t         *b;
    azoai_body_run_t   run;

    room = azoai_body_copy_room(res, body->len);
    if (room == SIZE_MAX) {
        return NGX_ERROR;
    }

    start = ngx_http_azoai_spare_alloc(ctx, room);
    if (start == NULL) {
        return NGX_ERROR;
    }

    azoai_body_run_init(&run, start, SIZE_MAX, NULL, NULL);

    if (azoai_body_splice_run(ctx->engine, res, 0, body->data, body->len, 0,
                              &run)
        != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    len = run.last - run.start;

    b = &ctx->body_out_buf;
    ngx_memzero(b, sizeof(ngx_buf_t));

    b->start = run.start;
    b->pos = run.start;
    b->last = run.last;
    b->end = run.last;
    b->memory = 1;

    /* the message of ngx_http_azoai_mask_refs(): t/27-body-one-piece.t */

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: body masked by reference, %uz to %uz bytes "
                   "in %ui buffers%s", body->len, len, (ngx_uint_t) 1,
                   (ctx->body_spare && ctx->body_spare_len == 0)
                   ? ", copied to the spare room after the body" : "");

    /* ngx_http_azoai_replace_body_chain() of its one link */

    return ngx_http_azoai_body_replaced(r, ctx, &ctx->body_out,
                                        &ctx->body_out, len);
}


/*
 * The allocator of ngx_http_azoai_mask_refs(): the spare room after the
 * body (ngx_http_azoai_body_prepare()) once, where it is large enough,
 * else the request's
 */

static void *
ngx_http_azoai_spare_alloc(void *data, size_t size)
{
    ngx_http_azoai_ctx_t  *ctx = data;

    if (size <= ctx->body_spare_len) {
        ctx->body_spare_len = 0;
        return ctx->body_spare;
    }

    return azoai_alloc(&ctx->alloc, size);
}


/* PiiBlocked, naming the blocked types found (a bit per type id) */

void
ngx_http_azoai_pii_blocked(ngx_http_azoai_ctx_t *ctx, uint64_t blocked)
{
    u_char     *p, *last;
    ngx_int_t   t;
    u_char      types[NGX_HTTP_AZOAI_TYPES_TEXT_LEN];

    p = types;
    last = types + sizeof(types);

    for (t = ngx_http_azoai_next_type(blocked, -1);
         t != -1;
         t = ngx_http_azoai_next_type(blocked, t))
    {
        p = ngx_slprintf(p, last, "%s%s", p == types ? "" : ", ",
                         azoai_pii_type_name(ctx->engine, t));
    }

    ngx_http_azoai_deny(ctx, AZOAI_PII_BLOCKED,
                        "the request body contains personal data of a "
                        "blocked type: %*s", (size_t) (p - types), types);
}
