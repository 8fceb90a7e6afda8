/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The request body: gather it (memory buffers, or the temp file NGINX
 * spooled it to), inspect it with the core, judge the deployment names it
 * carries, and splice the masked body into the request when PII was found.
 * When nothing matched, the original buffers go upstream untouched.
 */


#include "ngx_http_azoai_module.h"


static ngx_int_t ngx_http_azoai_gather(ngx_http_request_t *r,
    ngx_str_t *body, ngx_uint_t *copied);
static ngx_uint_t ngx_http_azoai_multipart(ngx_http_request_t *r,
    azoai_route_t *route);
static ngx_uint_t ngx_http_azoai_compressed(ngx_http_request_t *r);
static ngx_int_t ngx_http_azoai_replace_body(ngx_http_request_t *r,
    u_char *data, size_t len);
static void ngx_http_azoai_pii_blocked(ngx_http_azoai_ctx_t *ctx,
    const azoai_pii_engine_t *e, const azoai_body_result_t *res);


ngx_int_t
ngx_http_azoai_process_body(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    u_char                     *out;
    size_t                      out_len;
    unsigned                    kind;
    ngx_str_t                   body;
    ngx_uint_t                  i, invalid, copied;
    azoai_alloc_t              *a;
    azoai_route_t              *route;
    azoai_policy_conf_t         pc;
    azoai_body_result_t        *res;
    const azoai_pii_engine_t   *e;
    ngx_http_azoai_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);
    route = &ctx->route;

    if (ngx_http_azoai_gather(r, &body, &copied) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->body = body;
    ctx->body_seen = 1;

    if (body.len > alcf->max_body_size) {
        azoai_decision_deny(&ctx->verdict, AZOAI_BODY_TOO_LARGE,
                            "request body of %zu bytes is larger than "
                            "azoai_max_body_size (%zu bytes)",
                            body.len, alcf->max_body_size);
        return NGX_OK;
    }

    if (body.len == 0) {
        return NGX_OK;
    }

    invalid = 0;

    if (route->deployment_from == AZOAI_DEP_FORM
        || ngx_http_azoai_multipart(r, route))
    {
        if (route->deployment_from == AZOAI_DEP_FORM || alcf->pii) {
            invalid = 1;
            azoai_decision_deny(&ctx->verdict, AZOAI_INVALID_BODY,
                                "multipart request bodies cannot be "
                                "inspected on this route");
        }

    } else if (ngx_http_azoai_compressed(r)) {
        invalid = 1;
        azoai_decision_deny(&ctx->verdict, AZOAI_INVALID_BODY,
                            "compressed request bodies (Content-Encoding) "
                            "cannot be inspected");
    }

    if (invalid) {
        if (alcf->pass_invalid_body) {
            ngx_memzero(&ctx->verdict, sizeof(azoai_decision_t));
            ctx->verdict.status = NGX_HTTP_OK;
        }

        return NGX_OK;
    }

    a = ngx_http_azoai_allocator(r);
    if (a == NULL) {
        return NGX_ERROR;
    }

    res = ngx_palloc(r->pool, sizeof(azoai_body_result_t));
    if (res == NULL) {
        return NGX_ERROR;
    }

    e = alcf->pii ? alcf->engine : NULL;
    ctx->engine = e;

    if (azoai_body_inspect(e, body.data, body.len, a, res) != AZOAI_OK) {
        return NGX_ERROR;
    }

    switch (res->error) {

    case AZOAI_BODY_OK:
        break;

    case AZOAI_BODY_AMBIGUOUS:
        azoai_decision_deny(&ctx->verdict, AZOAI_AMBIGUOUS, "%s",
                            res->error_text);
        return NGX_OK;

    case AZOAI_BODY_NOMEM:
        return NGX_ERROR;

    default:
        if (!alcf->pass_invalid_body) {
            azoai_decision_deny(&ctx->verdict, AZOAI_INVALID_BODY,
                                "request body is not valid JSON: %s",
                                res->error_text);
        }

        return NGX_OK;
    }

    /* every deployment the body names must pass */

    pc.catalog = alcf->catalog;
    pc.allow_preview_api = alcf->allow_preview_api;
    pc.allow_unknown = alcf->allow_unknown;

    for (i = 0; i < res->nnames; i++) {
        kind = AZOAI_DEP_BODY;

        if (route->deployment_from == AZOAI_DEP_BASE_MODEL
            && res->names[i].origin == AZOAI_BODY_NAME_MODEL)
        {
            kind = AZOAI_DEP_BASE_MODEL;
        }

        azoai_policy_check_deployment(&pc, res->names[i].name.data,
                                      res->names[i].name.len, kind,
                                      azoai_body_name_where(
                                          res->names[i].origin),
                                      &ctx->verdict);

        if (ctx->verdict.reason != AZOAI_ALLOW) {
            return NGX_OK;
        }
    }

    if (e == NULL || res->nmatches == 0) {
        return NGX_OK;
    }

    ctx->pii_count = res->nmatches;
    ctx->pii_types = res->types_found;
    ngx_memcpy(ctx->pii_counts, res->counts, sizeof(ctx->pii_counts));

    if (res->types_blocked) {
        ngx_http_azoai_pii_blocked(ctx, e, res);
        return NGX_OK;
    }

    if (alcf->mode == NGX_HTTP_AZOAI_REPORT) {
        /* report: count what would be masked, change nothing */
        return NGX_OK;
    }

    if (copied) {

        /*
         * The copy is ours: mask it where it lies.  The buffers it was
         * gathered from still hold the body as received, for the digest.
         */

        ctx->body_chain = r->request_body->bufs;
        ngx_str_null(&ctx->body);

        if (azoai_body_rewrite_in_place(e, res, body.data, body.len, a, &out,
                                        &out_len)
            != AZOAI_OK)
        {
            return NGX_ERROR;
        }

    } else if (azoai_body_rewrite(e, res, body.data, body.len, a, &out,
                                  &out_len)
               != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_azoai_replace_body(r, out, out_len) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->masked = 1;

    return NGX_OK;
}


/*
 * One contiguous view of the body: the buffer itself when it is a single
 * memory buffer, else (*copied) a copy from the buffers and the temp file.
 * Over HTTP/1.1 a body larger than what came with the headers is usually
 * two buffers: NGINX keeps that first part in its header buffer.
 */

static ngx_int_t
ngx_http_azoai_gather(ngx_http_request_t *r, ngx_str_t *body,
    ngx_uint_t *copied)
{
    u_char       *p;
    off_t         len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_null(body);
    *copied = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? b->file_last - b->file_pos : b->last - b->pos;
    }

    if (len == 0) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;
    *copied = 1;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);

        if (n == NGX_ERROR || n != b->file_last - b->file_pos) {
            ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                     "azoai: cannot read request body "
                                     "from \"%V\"", &b->file->name);
            return NGX_ERROR;
        }

        p += n;
    }

    return NGX_OK;
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


static ngx_uint_t
ngx_http_azoai_compressed(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_azoai_next_header(&part, &i)) != NULL) {
        if (ngx_http_azoai_header_is(h, "content-encoding")
            && !(h->value.len == sizeof("identity") - 1
                 && ngx_strncasecmp(h->value.data, (u_char *) "identity",
                                    sizeof("identity") - 1) == 0))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The masked body replaces the request body: one memory buffer, and the
 * length the proxy module builds its Content-Length from.
 */

static ngx_int_t
ngx_http_azoai_replace_body(ngx_http_request_t *r, u_char *data, size_t len)
{
    u_char       *p;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->start = data;
    b->end = data + len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    r->request_body->bufs = cl;
    r->request_body->buf = b;
    r->headers_in.content_length_n = len;

    if (r->headers_in.content_length) {
        p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        r->headers_in.content_length->value.data = p;
        r->headers_in.content_length->value.len =
            ngx_http_azoai_format_uint(p, len) - p;
    }

    return NGX_OK;
}


static void
ngx_http_azoai_pii_blocked(ngx_http_azoai_ctx_t *ctx,
    const azoai_pii_engine_t *e, const azoai_body_result_t *res)
{
    u_char    types[256], *p, *last;
    unsigned  t, n;

    p = types;
    last = types + sizeof(types) - 1;

    n = azoai_pii_type_count(e);

    for (t = 0; t < n && t < AZOAI_PII_MAX_TYPES; t++) {
        if (!(res->types_blocked & ((uint64_t) 1 << t))) {
            continue;
        }

        p = ngx_slprintf(p, last, "%s%s", p == types ? "" : ", ",
                         azoai_pii_type_name(e, t));
    }

    *p = '\0';

    azoai_decision_deny(&ctx->verdict, AZOAI_PII_BLOCKED,
                        "the request body contains personal data of a "
                        "blocked type: %s", types);
}
