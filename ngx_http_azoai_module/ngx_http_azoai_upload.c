/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * File uploads (POST /openai/files, /openai/v1/files) and upload parts
 * (POST /openai/uploads/{id}/parts and the v1 form): the strict
 * multipart envelope, its "file" (or "data") and "purpose" fields, and
 * the lines of a batch file, each judged as a request: its url as a
 * route, its body's model as a body deployment (catalog,
 * azoai_unknown_deployment, azoai_allow_deployments).  One failing line
 * denies the upload, the message naming the line.  With azoai_pii on,
 * JSONL files (purpose fine-tune, batch, evals, or a *.jsonl name) are
 * masked line by line like request bodies, the envelope and every other
 * byte forwarded as received; other content, and upload parts, are
 * denied: they cannot be masked.
 */


#include "ngx_http_azoai_ctx.h"
#include "ngx_http_azoai_upload.h"

#include "azoai_batch.h"
#include "azoai_body.h"
#include "azoai_jsonl.h"
#include "azoai_pseudo.h"


static ngx_int_t ngx_http_azoai_upload_parse(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    ngx_str_t *body, azoai_multipart_t *mp);
static ngx_int_t ngx_http_azoai_judge_batch(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    const u_char *data, size_t len, ngx_uint_t part);
static void ngx_http_azoai_upload_value(ngx_str_t *body,
    azoai_multipart_part_t *part, ngx_str_t *value);
static ngx_int_t ngx_http_azoai_upload_inspect_part(
    ngx_http_azoai_ctx_t *ctx, ngx_str_t *body, azoai_multipart_part_t *file,
    azoai_jsonl_result_t *jr);
static ngx_int_t ngx_http_azoai_upload_mask(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    ngx_str_t *body, azoai_jsonl_result_t *jr);
static ngx_int_t ngx_http_azoai_upload_rewrite(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, ngx_str_t *body, azoai_jsonl_result_t *jr);


/*
 * NGX_OK with ctx->verdict set (allow, or a denial), NGX_ERROR when the
 * body could not be inspected (the caller denies: fail closed).  An
 * empty body, of any route, has nothing to judge.
 */

ngx_int_t
ngx_http_azoai_inspect_upload(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    ngx_str_t *body)
{
    ngx_int_t                rc;
    ngx_str_t                value;
    const char              *what;
    azoai_multipart_t        mp;
    azoai_jsonl_result_t    *jr;
    azoai_multipart_part_t  *file, *purpose;

    static ngx_str_t  batch = ngx_string("batch");

    if (body->len == 0) {
        return NGX_OK;
    }

    rc = ngx_http_azoai_upload_parse(r, alcf, ctx, body, &mp);
    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : NGX_ERROR;
    }

    if (ngx_http_azoai_upload_fields(ctx, &mp, &file, &purpose) != NGX_OK) {
        return NGX_OK;
    }

    ngx_http_azoai_upload_value(body, purpose, &value);

    if (ctx->route.upload_part
        || ngx_http_azoai_upload_purpose_is(&value, &batch))
    {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: judging the batch lines of %uz bytes in "
                       "part %uz", file->content_end - file->content_start,
                       (size_t) (file - mp.parts));

        rc = ngx_http_azoai_judge_batch(r, alcf, ctx,
                                        body->data + file->content_start,
                                        file->content_end
                                        - file->content_start,
                                        ctx->route.upload_part);

        if (rc != NGX_OK || ctx->verdict.reason != AZOAI_ALLOW) {
            return rc;
        }
    }

    if (!alcf->pii.enable) {
        return NGX_OK;
    }

    ctx->engine = alcf->pii.engine;

    jr = ngx_palloc(r->pool, sizeof(azoai_jsonl_result_t));
    if (jr == NULL) {
        return NGX_ERROR;
    }

    if (ctx->route.upload_part) {
        rc = ngx_http_azoai_upload_inspect_part(ctx, body, file, jr);

    } else if (ngx_http_azoai_upload_is_jsonl(&value, file)) {
        rc = azoai_jsonl_inspect(ctx->engine, body->data,
                                 file->content_start, file->content_end,
                                 &ctx->alloc, jr) == AZOAI_OK
             ? NGX_OK : NGX_ERROR;

    } else {
        rc = NGX_DECLINED;
    }

    if (rc == NGX_DECLINED) {
        /* a PDF, an image, audio: azoai_pii_opaque decides (deny) */
        what = ctx->route.upload_part ? "an upload part that is not JSON "
               "lines" : "a file that is not JSONL (files of purpose "
               "fine-tune, batch or evals, or named *.jsonl, are masked)";
        (void) ngx_http_azoai_pii_opaque(r, ctx, what, 1);
        return NGX_OK;
    }

    return rc == NGX_OK ? ngx_http_azoai_upload_mask(r, alcf, ctx, body, jr)
                        : NGX_ERROR;
}


/*
 * An upload part: a piece of a file cut anywhere.  JSONL when its
 * complete lines are JSON (at least one), or when it starts with '{';
 * the pieces of lines at its ends are scanned as text.  NGX_OK with jr
 * filled, NGX_DECLINED when it is not JSONL, NGX_ERROR on failure.
 */

static ngx_int_t
ngx_http_azoai_upload_inspect_part(ngx_http_azoai_ctx_t *ctx,
    ngx_str_t *body, azoai_multipart_part_t *file, azoai_jsonl_result_t *jr)
{
    size_t   cs, ce, first, last, i;
    u_char  *lf;

    cs = file->content_start;
    ce = file->content_end;

    lf = ngx_strlchr(body->data + cs, body->data + ce, LF);
    first = lf ? (size_t) (lf - body->data) : ce;

    for (last = ce; last > first && body->data[last - 1] != LF; last--) {
        /* void */
    }

    if (azoai_jsonl_inspect(ctx->engine, body->data,
                            first < ce ? first + 1 : ce, last, &ctx->alloc,
                            jr)
        != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    for (i = cs; i < ce && (body->data[i] == ' ' || body->data[i] == '\t');
         i++)
    {
        /* void */
    }

    if (jr->total.error != AZOAI_BODY_OK
        || (jr->lines == 0 && (i == ce || body->data[i] != '{')))
    {
        return NGX_DECLINED;
    }

    if (azoai_jsonl_inspect_piece(ctx->engine, body->data, cs, first, 1,
                                  first == ce, &ctx->alloc, jr)
        != AZOAI_OK
        || (first < ce
            && azoai_jsonl_inspect_piece(ctx->engine, body->data, last, ce,
                                         0, 1, &ctx->alloc, jr)
               != AZOAI_OK))
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The envelope: Content-Encoding, the boundary, the multipart grammar.
 * NGX_OK with mp filled, NGX_DONE when the verdict is settled,
 * NGX_ERROR on allocation failure.
 */

static ngx_int_t
ngx_http_azoai_upload_parse(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    ngx_str_t *body, azoai_multipart_t *mp)
{
    ngx_int_t     rc;
    azoai_str_t   boundary;

    rc = ngx_http_azoai_upload_boundary(r, alcf, ctx, &boundary);
    if (rc != NGX_OK) {
        return rc;
    }

    if (azoai_multipart_parse(body->data, body->len, &boundary, &ctx->alloc,
                              mp)
        != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    if (mp->error) {
        ngx_http_azoai_upload_grammar(r, alcf, ctx, mp->error,
                                      mp->error_offset);
        return NGX_DONE;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: multipart body of %uz bytes, %uz part(s)",
                   body->len, mp->nparts);

    return NGX_OK;
}


/*
 * Content-Encoding and the boundary of the Content-Type: NGX_OK with
 * boundary set, NGX_DONE when the verdict is settled.
 */

ngx_int_t
ngx_http_azoai_upload_boundary(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    azoai_str_t *boundary)
{
    int                rc;
    const char        *error;
    ngx_table_elt_t   *ct;

    if (ctx->compressed) {
        ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                            "compressed request bodies (Content-Encoding) "
                            "cannot be inspected");
        ngx_http_azoai_upload_invalid(r, alcf, ctx);
        return NGX_DONE;
    }

    ct = r->headers_in.content_type;

    rc = ct ? azoai_multipart_boundary(ct->value.data, ct->value.len,
                                       boundary, &error)
            : AZOAI_DECLINED;

    if (rc == AZOAI_DECLINED) {
        ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                            "file uploads must be multipart/form-data");
        ngx_http_azoai_upload_invalid(r, alcf, ctx);
        return NGX_DONE;
    }

    if (rc != AZOAI_OK) {
        ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                            "multipart Content-Type: %s", error);
        ngx_http_azoai_upload_invalid(r, alcf, ctx);
        return NGX_DONE;
    }

    return NGX_OK;
}


/* a body that breaks the multipart grammar: InvalidBody */

void
ngx_http_azoai_upload_grammar(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    const char *error, size_t offset)
{
    ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                        "multipart body at byte %uz: %s", offset, error);
    ngx_http_azoai_upload_invalid(r, alcf, ctx);
}


/*
 * The file ("file", or "data" for an upload part) and, for files, the
 * "purpose": each exactly once.  NGX_OK, or NGX_DECLINED with the
 * verdict denying.
 */

ngx_int_t
ngx_http_azoai_upload_fields(ngx_http_azoai_ctx_t *ctx,
    azoai_multipart_t *mp, azoai_multipart_part_t **file,
    azoai_multipart_part_t **purpose)
{
    size_t                   i;
    ngx_str_t                want;
    azoai_multipart_part_t  *part;

    if (ctx->route.upload_part) {
        ngx_str_set(&want, "data");

    } else {
        ngx_str_set(&want, "file");
    }

    *file = NULL;
    *purpose = NULL;

    for (i = 0; i < mp->nparts; i++) {
        part = &mp->parts[i];

        if (part->name.len == want.len
            && ngx_strncmp(part->name.data, want.data, want.len) == 0)
        {
            if (*file) {
                ngx_http_azoai_deny(ctx, AZOAI_AMBIGUOUS,
                                    "the multipart field \"%V\" is given "
                                    "more than once", &want);
                return NGX_DECLINED;
            }

            *file = part;

        } else if (part->name.len == sizeof("purpose") - 1
                   && ngx_strncmp(part->name.data, "purpose",
                                  sizeof("purpose") - 1) == 0)
        {
            if (*purpose) {
                ngx_http_azoai_deny(ctx, AZOAI_AMBIGUOUS,
                                    "the multipart field \"purpose\" is "
                                    "given more than once");
                return NGX_DECLINED;
            }

            *purpose = part;
        }
    }

    if (*file == NULL) {
        ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                            "the upload has no multipart field \"%V\"",
                            &want);
        return NGX_DECLINED;
    }

    if (*purpose == NULL && !ctx->route.upload_part) {
        ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                            "the upload has no multipart field \"purpose\"");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the value of a field, blanks and CR/LF around it trimmed */

static void
ngx_http_azoai_upload_value(ngx_str_t *body, azoai_multipart_part_t *part,
    ngx_str_t *value)
{
    u_char  *p, *last;

    ngx_str_null(value);

    if (part == NULL) {
        return;
    }

    p = body->data + part->content_start;
    last = body->data + part->content_end;

    while (p < last && (*p == ' ' || *p == '\t' || *p == CR || *p == LF)) {
        p++;
    }

    while (last > p
           && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == CR
               || last[-1] == LF))
    {
        last--;
    }

    value->data = p;
    value->len = last - p;
}


/* the purpose (trimmed) is want, ignoring ASCII case: fail closed */

ngx_uint_t
ngx_http_azoai_upload_purpose_is(ngx_str_t *value, ngx_str_t *want)
{
    return value->len == want->len
           && ngx_strncasecmp(value->data, want->data, want->len) == 0;
}


/* fine-tuning, batch and evaluation files, and any *.jsonl file name */

ngx_uint_t
ngx_http_azoai_upload_is_jsonl(ngx_str_t *purpose,
    azoai_multipart_part_t *file)
{
    ngx_uint_t  i;

    static ngx_str_t  jsonl = ngx_string(".jsonl");
    static ngx_str_t  purposes[] = {
        ngx_string("fine-tune"),
        ngx_string("batch"),
        ngx_string("evals")
    };

    for (i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++) {
        if (ngx_http_azoai_upload_purpose_is(purpose, &purposes[i])) {
            return 1;
        }
    }

    return file->has_filename && file->filename.len >= jsonl.len
           && ngx_strncasecmp((u_char *) file->filename.data
                              + file->filename.len - jsonl.len,
                              jsonl.data, jsonl.len) == 0;
}


/*
 * Masks the lines of the file part; the envelope and every other byte
 * go on as received.  NGX_OK with ctx->verdict set, NGX_ERROR when the
 * body could not be rewritten.
 */

static ngx_int_t
ngx_http_azoai_upload_mask(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    ngx_str_t *body, azoai_jsonl_result_t *jr)
{
    if (jr->total.error != AZOAI_BODY_OK) {
        if (jr->error_line == 0) {
            /* a piece of a line at an end of an upload part */
            ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY, "upload part: %s",
                                jr->total.error_text);
            return NGX_OK;
        }

        ngx_http_azoai_deny(ctx, jr->total.error == AZOAI_BODY_AMBIGUOUS
                                 ? AZOAI_AMBIGUOUS : AZOAI_INVALID_BODY,
                            "line %uz: %s", jr->error_line,
                            jr->total.error_text);
        return NGX_OK;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: JSONL file of %uz line(s), %uz PII value(s) "
                   "in %uz line(s)", jr->lines, jr->total.nmatches,
                   jr->nmasked);

    if (jr->total.nmatches == 0) {
        return NGX_OK;
    }

    ctx->pii_count = jr->total.nmatches;
    ctx->pii_types = jr->total.types_found;
    ngx_memcpy(ctx->body_result.counts, jr->total.counts,
               sizeof(ctx->body_result.counts));

    if (jr->total.types_blocked) {
        ngx_http_azoai_pii_blocked(ctx, jr->total.types_blocked);
        return NGX_OK;
    }

    if (alcf->mode == NGX_HTTP_AZOAI_REPORT) {
        return NGX_OK;
    }

    if (ctx->pseudo == NULL) {
        ctx->pseudo = azoai_pseudo_create(&ctx->alloc);
        if (ctx->pseudo == NULL) {
            return NGX_ERROR;
        }
    }

    jr->pseudo = ctx->pseudo;

    if (ngx_http_azoai_upload_rewrite(r, ctx, body, jr) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->masked = 1;

    return NGX_OK;
}


/*
 * The new body as a chain, from the pieces azoai_jsonl_splice() hands
 * on: the stretches between masked lines are buffers over the body as
 * read, each masked line a buffer of its own.  A file of hundreds of MB
 * with a few masked lines is neither copied nor held twice.
 */

static ngx_int_t
ngx_http_azoai_upload_rewrite(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, ngx_str_t *body, azoai_jsonl_result_t *jr)
{
    size_t                        len;
    ngx_http_azoai_body_chain_t   chain;

    ngx_http_azoai_body_chain_init(&chain, r->pool);

    if (azoai_jsonl_splice(ctx->engine, jr, body->data, body->len,
                           &ctx->alloc, ngx_http_azoai_body_link, &chain,
                           &len)
        != AZOAI_OK
        || chain.head == NULL)
    {
        return NGX_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: JSONL file rewritten in %uz line(s), %uz bytes",
                   jr->nmasked, len);

    return ngx_http_azoai_replace_body_chain(r, chain.head, len);
}


/*
 * Every line of a batch file; the first failing one denies.  In an
 * upload part (part), lines that are not JSON objects with a "body"
 * (pieces of lines, other files) are not batch lines and are skipped.
 */

static ngx_int_t
ngx_http_azoai_judge_batch(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    const u_char *data, size_t len, ngx_uint_t part)
{
    size_t                pos, number, lines;
    u_char               *msg;
    ngx_int_t             rc;
    azoai_str_t           line;
    azoai_body_result_t  *res;

    res = ngx_palloc(r->pool, sizeof(azoai_body_result_t));
    msg = ngx_pnalloc(r->pool, sizeof(ctx->verdict.message));
    if (res == NULL || msg == NULL) {
        return NGX_ERROR;
    }

    pos = 0;
    number = 0;
    lines = 0;

    while (azoai_jsonl_next(data, len, &pos, &number, &line)) {
        lines++;

        rc = ngx_http_azoai_judge_batch_line(r, alcf, ctx, &line, res,
                                             part, &ctx->alloc);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (ctx->verdict.reason != AZOAI_ALLOW) {
            ngx_cpystrn(msg, (u_char *) ctx->verdict.message,
                        sizeof(ctx->verdict.message));

            ngx_http_azoai_deny(ctx, ctx->verdict.reason, "%sline %uz: %s",
                                part ? "upload part " : "", number, msg);

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "azoai: batch file line %uz denied", number);
            return NGX_OK;
        }
    }

    if (lines == 0 && !part) {
        ngx_http_azoai_deny(ctx, AZOAI_INVALID_BODY,
                            "the batch file holds no request lines");
        return NGX_OK;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: batch file of %uz line(s) allowed", lines);

    return NGX_OK;
}


/*
 * One line: its shape, its url as a route, its body as a request body
 * (the model must be there), each name it carries as a body deployment.
 * NGX_OK with ctx->verdict set, NGX_ERROR on allocation failure.
 */

ngx_int_t
ngx_http_azoai_judge_batch_line(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    azoai_str_t *line, azoai_body_result_t *res, ngx_uint_t part,
    azoai_alloc_t *a)
{
    ngx_uint_t          i;
    azoai_batch_line_t  bl;

    azoai_batch_line(line->data, line->len, &bl);

    if (part && (bl.error == AZOAI_BATCH_INVALID || bl.bodies == 0)) {
        return NGX_OK;
    }

    if (bl.error != AZOAI_BATCH_OK) {
        ngx_http_azoai_deny(ctx, bl.error == AZOAI_BATCH_AMBIGUOUS
                                 ? AZOAI_AMBIGUOUS : AZOAI_INVALID_BODY,
                            "%s", bl.error_text);
        return NGX_OK;
    }

    if (azoai_batch_check_url(alcf->policy, &bl, a, &ctx->verdict)
        != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->verdict.reason != AZOAI_ALLOW) {
        return NGX_OK;
    }

    if (azoai_body_inspect(NULL, bl.body.data, bl.body.len, a, res)
        != AZOAI_OK
        || res->error == AZOAI_BODY_NOMEM)
    {
        return NGX_ERROR;
    }

    if (res->error != AZOAI_BODY_OK) {
        ngx_http_azoai_deny(ctx, res->error == AZOAI_BODY_AMBIGUOUS
                                 ? AZOAI_AMBIGUOUS : AZOAI_INVALID_BODY,
                            "body: %s", res->error_text);
        return NGX_OK;
    }

    if (!res->model_present) {
        ngx_http_azoai_deny(ctx, AZOAI_AMBIGUOUS,
                            "the body names no deployment (no \"model\")");
        return NGX_OK;
    }

    for (i = 0; i < res->nnames; i++) {
        if (ngx_http_azoai_check_body_name(r, alcf, ctx,
                                           res->names[i].name.data,
                                           res->names[i].name.len,
                                           AZOAI_DEP_BODY,
                                           azoai_body_name_where(
                                               res->names[i].origin))
            != NGX_OK)
        {
            return NGX_OK;
        }
    }

    return NGX_OK;
}


/* azoai_invalid_body pass: an envelope the module cannot read goes on */

void
ngx_http_azoai_upload_invalid(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx)
{
    if (!alcf->pass_invalid_body) {
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: upload not inspected, passed "
                   "(azoai_invalid_body pass)");

    azoai_decision_init(&ctx->verdict);
}
