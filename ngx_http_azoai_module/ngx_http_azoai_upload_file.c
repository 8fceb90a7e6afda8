/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * File uploads and upload parts whose body NGINX spooled to a temp file,
 * without holding the body in memory: the body is read block by block
 * through the incremental multipart parser (the envelope, the fields,
 * the purpose).  When the purpose comes before the file, as clients
 * send it, the file field's content goes from that same read to the
 * JSONL line assembler, else a second read feeds it; an upload part's
 * field "data" (no purpose: JSONL or not by its content, the pieces of
 * lines at its ends scanned as text) always goes from the first.  Each
 * line is judged (batch) and inspected (azoai_pii on) as in
 * ngx_http_azoai_upload.c.  From the first line that is masked on, the
 * new body is written to a new temp file in client_body_temp_path
 * (ngx_http_azoai_upload_out.c): the original bytes between masked
 * lines, from the block just read, and each masked line's rewrite; it
 * replaces the request body, Content-Length recomputed.  The worker
 * holds a read block, an output block, one line cut across blocks (at
 * most AZOAI_JSONL_LINE_MAX) and one line's inspection, whatever the
 * size of the file.  Nothing goes upstream before the last line is
 * judged: one failing line denies the whole upload.
 */


#include "ngx_http_azoai_ctx.h"
#include "ngx_http_azoai_upload.h"
#include "ngx_http_azoai_upload_out.h"

#include "azoai_jsonl.h"
#include "azoai_jsonl_lines.h"
#include "azoai_pseudo.h"


/* a purpose longer than this (blanks aside) names no purpose we know */
#define NGX_HTTP_AZOAI_PURPOSE_MAX       64


typedef struct ngx_http_azoai_upfile_s  ngx_http_azoai_upfile_t;

/* what a read of the body hands its bytes to */
typedef ngx_int_t (*ngx_http_azoai_upfile_pt)(ngx_http_azoai_upfile_t *u,
    u_char *p, size_t len);


struct ngx_http_azoai_upfile_s {
    ngx_http_request_t          *r;
    ngx_http_azoai_loc_conf_t   *alcf;
    ngx_http_azoai_ctx_t        *ctx;
    ngx_chain_t                 *in;          /* the body as received */
    off_t                        size;
    u_char                      *block;       /* a block read from file */

    /* first read: the envelope */
    azoai_multipart_t            mp;
    azoai_multipart_stream_t     mps;
    ngx_uint_t                   in_purpose;  /* the part being read */
    u_char                       purpose[NGX_HTTP_AZOAI_PURPOSE_MAX];
    size_t                       purpose_len;
    ngx_uint_t                   purpose_long;
    ngx_uint_t                   purposes;    /* purpose parts ended */
    ngx_uint_t                   files;       /* file parts begun */

    /* the file's lines in the first read: the verdict before them */
    ngx_uint_t                   streamed;
    ngx_uint_t                   in_file;     /* the streamed part */
    ngx_uint_t                   stopped;     /* its lines stopped */
    azoai_decision_t             before;

    /* an upload part (field "data"): JSONL or not, by its content */
    ngx_uint_t                   part;
    ngx_uint_t                   complete;    /* whole lines inspected */
    ngx_uint_t                   opaque;      /* one is not JSON */
    ngx_uint_t                   piece_error; /* an end cannot be read */
    ngx_uint_t                   first_seen;
    u_char                       first;       /* first byte, not blank */

    /* second read: the lines of the file */
    off_t                        content_start;
    ngx_uint_t                   batch;       /* judge batch lines */
    ngx_uint_t                   mask;        /* inspect for PII */
    ngx_uint_t                   write;       /* masked lines rewritten */
    ngx_uint_t                   lines;
    azoai_jsonl_lines_t          jl;
    ngx_pool_t                  *scratch;     /* one block's lines */
    azoai_alloc_t                scratch_alloc;
    azoai_alloc_t               *keep_alloc;  /* request memory */
    azoai_body_result_t          res;
    azoai_body_result_t          total;
    size_t                       pii_error_line;
    ngx_uint_t                   pii_error;   /* inspection stopped */
    ngx_uint_t                   denied;      /* a batch line failed */

    /* the new body, and where the bytes handed on last are */
    ngx_http_azoai_upout_t       o;
};


static ngx_http_azoai_upfile_t *ngx_http_azoai_upfile_create_ctx(
    ngx_http_request_t *r, ngx_http_azoai_loc_conf_t *alcf,
    ngx_http_azoai_ctx_t *ctx);
static ngx_int_t ngx_http_azoai_upfile_envelope(ngx_http_azoai_upfile_t *u);
static ngx_int_t ngx_http_azoai_upfile_parse(ngx_http_azoai_upfile_t *u,
    u_char *p, size_t len);
static int ngx_http_azoai_upfile_on_part(void *data,
    const azoai_multipart_part_t *part);
static int ngx_http_azoai_upfile_on_content(void *data, const u_char *p,
    size_t len);
static int ngx_http_azoai_upfile_on_end(void *data,
    const azoai_multipart_part_t *part);
static void ngx_http_azoai_upfile_purpose(ngx_http_azoai_upfile_t *u,
    ngx_str_t *value);
static ngx_int_t ngx_http_azoai_upfile_stream(ngx_http_azoai_upfile_t *u,
    azoai_multipart_part_t *file);
static ngx_int_t ngx_http_azoai_upfile_lines(ngx_http_azoai_upfile_t *u,
    azoai_multipart_part_t *file);
static ngx_int_t ngx_http_azoai_upfile_lines_init(
    ngx_http_azoai_upfile_t *u, azoai_multipart_part_t *file);
static ngx_int_t ngx_http_azoai_upfile_lines_end(ngx_http_azoai_upfile_t *u);
static void ngx_http_azoai_upfile_scratch_free(void *data);
static ngx_int_t ngx_http_azoai_upfile_feed(ngx_http_azoai_upfile_t *u,
    u_char *p, size_t len);
static int ngx_http_azoai_upfile_on_line(void *data,
    const azoai_jsonl_span_t *l);
static ngx_int_t ngx_http_azoai_upfile_judge(ngx_http_azoai_upfile_t *u,
    const azoai_jsonl_span_t *l);
static ngx_int_t ngx_http_azoai_upfile_keep(ngx_http_azoai_upfile_t *u,
    azoai_str_t *name, const azoai_jsonl_span_t *l);
static ngx_int_t ngx_http_azoai_upfile_inspect(ngx_http_azoai_upfile_t *u,
    const azoai_jsonl_span_t *l);
static ngx_int_t ngx_http_azoai_upfile_piece(ngx_http_azoai_upfile_t *u,
    const azoai_jsonl_span_t *l);
static ngx_int_t ngx_http_azoai_upfile_mask(ngx_http_azoai_upfile_t *u,
    const azoai_jsonl_span_t *l, azoai_body_result_t *res);
static ngx_int_t ngx_http_azoai_upfile_part_verdict(
    ngx_http_azoai_upfile_t *u);
static ngx_int_t ngx_http_azoai_upfile_verdict(ngx_http_azoai_upfile_t *u);
static ngx_int_t ngx_http_azoai_upfile_read(ngx_http_azoai_upfile_t *u,
    off_t from, off_t to, ngx_http_azoai_upfile_pt handler);
static void *ngx_http_azoai_upfile_palloc(void *pool, size_t size);


/*
 * A file upload or an upload part whose body is in a temp file, in part
 * or whole
 */

ngx_uint_t
ngx_http_azoai_upload_spooled(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx)
{
    ngx_chain_t  *cl;

    if (!ctx->route.upload || r->request_body == NULL) {
        return 0;
    }

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (cl->buf->in_file) {
            return 1;
        }
    }

    return 0;
}


/*
 * NGX_OK with ctx->verdict set (allow, or a denial), NGX_ERROR when the
 * body could not be inspected (the caller denies: fail closed).
 */

ngx_int_t
ngx_http_azoai_inspect_upload_file(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_str_t                 value;
    azoai_decision_t          lines;
    ngx_http_azoai_upfile_t  *u;
    azoai_multipart_part_t   *file, *purpose;

    static ngx_str_t  batch = ngx_string("batch");

    u = ngx_http_azoai_upfile_create_ctx(r, alcf, ctx);
    if (u == NULL) {
        return NGX_ERROR;
    }

    if (u->size > (off_t) alcf->max_body_size) {
        ngx_http_azoai_deny(ctx, AZOAI_BODY_TOO_LARGE,
                            "request body of %O bytes is larger than "
                            "azoai_max_body_size (%uz bytes)",
                            u->size, alcf->max_body_size);
        return NGX_OK;
    }

    rc = ngx_http_azoai_upfile_envelope(u);
    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : NGX_ERROR;
    }

    if (u->streamed) {
        /* the envelope's verdicts come first, as in a second read */
        lines = ctx->verdict;
        ctx->verdict = u->before;
    }

    if (ngx_http_azoai_upload_fields(ctx, &u->mp, &file, &purpose)
        != NGX_OK)
    {
        return NGX_OK;
    }

    if (u->streamed) {
        ctx->verdict = lines;
    }

    if (u->part) {
        return ngx_http_azoai_upfile_part_verdict(u);
    }

    ngx_http_azoai_upfile_purpose(u, &value);

    u->batch = ngx_http_azoai_upload_purpose_is(&value, &batch);

    if (alcf->pii.enable) {
        if (!ngx_http_azoai_upload_is_jsonl(&value, file)) {
            /* a PDF, an image, audio: azoai_pii_opaque decides (deny) */
            (void) ngx_http_azoai_pii_opaque(r, ctx, "a file that is not "
                       "JSONL (files of purpose fine-tune, batch or evals, "
                       "or named *.jsonl, are masked)", 1);
            return NGX_OK;
        }

        u->mask = 1;
        ctx->engine = alcf->pii.engine;
    }

    if (!u->batch && !u->mask) {
        return NGX_OK;
    }

    rc = u->streamed ? ngx_http_azoai_upfile_lines_end(u)
                     : ngx_http_azoai_upfile_lines(u, file);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (u->denied) {
        return NGX_OK;
    }

    return ngx_http_azoai_upfile_verdict(u);
}


/* the state of one upload, the body's length and first read block */

static ngx_http_azoai_upfile_t *
ngx_http_azoai_upfile_create_ctx(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx)
{
    ngx_chain_t              *cl;
    ngx_http_azoai_upfile_t  *u;

    u = ngx_pcalloc(r->pool, sizeof(ngx_http_azoai_upfile_t));
    if (u == NULL) {
        return NULL;
    }

    u->r = r;
    u->alcf = alcf;
    u->ctx = ctx;
    u->in = r->request_body->bufs;
    u->part = ctx->route.upload_part;

    for (cl = u->in; cl; cl = cl->next) {
        u->size += cl->buf->in_file ? cl->buf->file_last - cl->buf->file_pos
                                    : cl->buf->last - cl->buf->pos;
    }

    u->o.r = r;
    u->o.in = u->in;
    u->o.size = u->size;

    /* the body as received, for $azoai_body_sha256: the buffers */
    ctx->received_bufs = u->in;
    ctx->received_in = NGX_HTTP_AZOAI_RECEIVED_BUFS;

    u->block = ngx_pnalloc(r->pool, NGX_HTTP_AZOAI_UPLOAD_BLOCK);

    return u->block ? u : NULL;
}


/*
 * The first read: the envelope through the incremental parser.  NGX_OK
 * with u->mp filled, NGX_DONE when the verdict is settled, NGX_ERROR.
 */

static ngx_int_t
ngx_http_azoai_upfile_envelope(ngx_http_azoai_upfile_t *u)
{
    ngx_int_t                  rc;
    azoai_str_t                boundary;
    azoai_multipart_handler_t  h;

    rc = ngx_http_azoai_upload_boundary(u->r, u->alcf, u->ctx, &boundary);
    if (rc != NGX_OK) {
        return rc;
    }

    u->mp.parts = ngx_palloc(u->r->pool, AZOAI_MULTIPART_MAX_PARTS
                                         * sizeof(azoai_multipart_part_t));
    if (u->mp.parts == NULL) {
        return NGX_ERROR;
    }

    h.part = ngx_http_azoai_upfile_on_part;
    h.content = ngx_http_azoai_upfile_on_content;
    h.part_end = ngx_http_azoai_upfile_on_end;
    h.data = u;

    if (azoai_multipart_stream_init(&u->mps, &boundary, &u->ctx->alloc, &h)
        != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    /* NGX_DONE: the parser stopped at an error */
    rc = ngx_http_azoai_upfile_read(u, 0, u->size,
                                    ngx_http_azoai_upfile_parse);

    if (rc == NGX_ERROR || azoai_multipart_finish(&u->mps) != AZOAI_OK) {
        return NGX_ERROR;
    }

    if (u->mps.error) {
        if (u->streamed) {
            u->ctx->verdict = u->before;
        }

        ngx_http_azoai_upload_grammar(u->r, u->alcf, u->ctx, u->mps.error,
                                      u->mps.error_offset);
        return NGX_DONE;
    }

    u->mp.preamble_len = u->mps.preamble_len;
    u->mp.epilogue_start = u->mps.epilogue_start;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, u->r->connection->log, 0,
                   "azoai: multipart body of %O bytes in a temp file, "
                   "%uz part(s)", u->size, u->mp.nparts);

    return NGX_OK;
}


static ngx_int_t
ngx_http_azoai_upfile_parse(ngx_http_azoai_upfile_t *u, u_char *p,
    size_t len)
{
    if (azoai_multipart_feed(&u->mps, p, len) != AZOAI_OK) {
        return NGX_ERROR;
    }

    return u->mps.error ? NGX_DONE : NGX_OK;
}


static int
ngx_http_azoai_upfile_on_part(void *data, const azoai_multipart_part_t *part)
{
    ngx_http_azoai_upfile_t  *u = data;

    ngx_str_t  want;

    u->mp.parts[u->mp.nparts] = *part;

    u->in_purpose = part->name.len == sizeof("purpose") - 1
                    && ngx_strncmp(part->name.data, "purpose",
                                   sizeof("purpose") - 1) == 0;

    if (u->in_purpose) {
        /* a second one is refused by the fields check */
        u->purpose_len = 0;
        u->purpose_long = 0;
        return AZOAI_OK;
    }

    if (u->part) {
        ngx_str_set(&want, "data");

    } else {
        ngx_str_set(&want, "file");
    }

    if (part->name.len != want.len
        || ngx_strncmp(part->name.data, want.data, want.len) != 0
        || u->files++ || (!u->part && u->purposes == 0))
    {
        return AZOAI_OK;
    }

    /* the first file, after the purpose (a part has none): in this read */

    if (ngx_http_azoai_upfile_stream(u, &u->mp.parts[u->mp.nparts])
        != NGX_OK)
    {
        return AZOAI_ERROR;
    }

    return AZOAI_OK;
}


/*
 * The file's lines from the first read, when the purpose says they are
 * read at all (a file that is not JSONL under azoai_pii on waits for
 * the envelope's end and azoai_pii_opaque).  A line that denies stops
 * the lines, not the parser: a grammar error or a field given twice
 * further on is the verdict, as with a second read.
 */

static ngx_int_t
ngx_http_azoai_upfile_stream(ngx_http_azoai_upfile_t *u,
    azoai_multipart_part_t *file)
{
    ngx_str_t  value;

    static ngx_str_t  batch = ngx_string("batch");

    ngx_http_azoai_upfile_purpose(u, &value);

    /* the lines of an upload part are judged when they are batch lines */
    u->batch = u->part || ngx_http_azoai_upload_purpose_is(&value, &batch);

    if (u->alcf->pii.enable) {
        if (!u->part && !ngx_http_azoai_upload_is_jsonl(&value, file)) {
            return NGX_OK;
        }

        u->mask = 1;
        u->ctx->engine = u->alcf->pii.engine;
    }

    if (!u->batch && !u->mask) {
        return NGX_OK;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, u->r->connection->log, 0,
                   "azoai: the purpose comes first: the file's lines are "
                   "read with the envelope");

    u->before = u->ctx->verdict;
    u->streamed = 1;
    u->in_file = 1;

    return ngx_http_azoai_upfile_lines_init(u, file);
}


/*
 * The purpose's content: leading blanks dropped, the rest kept up to
 * NGX_HTTP_AZOAI_PURPOSE_MAX bytes; a byte after that which is not a
 * blank makes it long (it names no purpose: fail closed is not needed
 * there, every purpose we act on is short).
 */

static int
ngx_http_azoai_upfile_on_content(void *data, const u_char *p, size_t len)
{
    ngx_http_azoai_upfile_t  *u = data;

    size_t     i;
    ngx_int_t  rc;

    if (u->in_file) {
        for (i = 0; !u->first_seen && i < len; i++) {
            if (p[i] != ' ' && p[i] != '\t') {
                u->first = p[i];
                u->first_seen = 1;
            }
        }

        if (u->stopped) {
            return AZOAI_OK;
        }

        rc = ngx_http_azoai_upfile_feed(u, (u_char *) p, len);
        if (rc == NGX_ERROR) {
            return AZOAI_ERROR;
        }

        u->stopped = rc != NGX_OK;

        return AZOAI_OK;
    }

    if (!u->in_purpose) {
        return AZOAI_OK;
    }

    for (i = 0; i < len; i++) {
        if (u->purpose_len == 0
            && (p[i] == ' ' || p[i] == '\t' || p[i] == CR || p[i] == LF))
        {
            continue;
        }

        if (u->purpose_len < NGX_HTTP_AZOAI_PURPOSE_MAX) {
            u->purpose[u->purpose_len++] = p[i];

        } else if (p[i] != ' ' && p[i] != '\t' && p[i] != CR && p[i] != LF) {
            u->purpose_long = 1;
        }
    }

    return AZOAI_OK;
}


static int
ngx_http_azoai_upfile_on_end(void *data, const azoai_multipart_part_t *part)
{
    ngx_http_azoai_upfile_t  *u = data;

    u->mp.parts[u->mp.nparts++].content_end = part->content_end;

    if (u->in_purpose) {
        u->purposes++;
        u->in_purpose = 0;
    }

    if (u->in_file) {
        u->in_file = 0;

        if (!u->stopped && azoai_jsonl_lines_finish(&u->jl) == AZOAI_ERROR)
        {
            return AZOAI_ERROR;
        }
    }

    return AZOAI_OK;
}


/* the purpose read, trimmed as ngx_http_azoai_upload.c trims it */

static void
ngx_http_azoai_upfile_purpose(ngx_http_azoai_upfile_t *u, ngx_str_t *value)
{
    value->data = u->purpose;
    value->len = u->purpose_long ? 0 : u->purpose_len;

    while (value->len
           && (value->data[value->len - 1] == ' '
               || value->data[value->len - 1] == '\t'
               || value->data[value->len - 1] == CR
               || value->data[value->len - 1] == LF))
    {
        value->len--;
    }
}


/*
 * The second read: the file's content, line by line.  NGX_OK (the
 * outcome in u), NGX_ERROR.
 */

static ngx_int_t
ngx_http_azoai_upfile_lines(ngx_http_azoai_upfile_t *u,
    azoai_multipart_part_t *file)
{
    ngx_int_t  rc;

    if (ngx_http_azoai_upfile_lines_init(u, file) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, u->r->connection->log, 0,
                   "azoai: reading the %O bytes of the file from its temp "
                   "file, batch %ui, mask %ui",
                   (off_t) (file->content_end - file->content_start),
                   u->batch, u->mask);

    rc = ngx_http_azoai_upfile_read(u, file->content_start, file->content_end,
                                    ngx_http_azoai_upfile_feed);

    if (rc == NGX_OK && azoai_jsonl_lines_finish(&u->jl) == AZOAI_ERROR) {
        rc = NGX_ERROR;
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    return ngx_http_azoai_upfile_lines_end(u);
}


/* what reading the lines needs: memory, pseudonyms, the assembler */

static ngx_int_t
ngx_http_azoai_upfile_lines_init(ngx_http_azoai_upfile_t *u,
    azoai_multipart_part_t *file)
{
    ngx_pool_cleanup_t    *cln;
    ngx_http_request_t    *r;
    ngx_http_azoai_ctx_t  *ctx;

    r = u->r;
    ctx = u->ctx;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    u->keep_alloc = ngx_palloc(r->pool, sizeof(azoai_alloc_t));
    if (cln == NULL || u->keep_alloc == NULL) {
        return NGX_ERROR;
    }

    u->scratch = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, r->connection->log);
    if (u->scratch == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_azoai_upfile_scratch_free;
    cln->data = u->scratch;

    u->scratch_alloc.alloc = ngx_http_azoai_upfile_palloc;
    u->scratch_alloc.pool = u->scratch;
    u->keep_alloc->alloc = ngx_http_azoai_upfile_palloc;
    u->keep_alloc->pool = r->pool;

    if (u->mask && ctx->pseudo == NULL) {
        /* pseudonyms outlive the scratch pool: request memory */
        ctx->pseudo = azoai_pseudo_create(u->keep_alloc);
        if (ctx->pseudo == NULL) {
            return NGX_ERROR;
        }
    }

    u->content_start = file->content_start;
    u->write = u->mask && u->alcf->mode != NGX_HTTP_AZOAI_REPORT;

    azoai_jsonl_lines_init(&u->jl, AZOAI_JSONL_LINE_MAX, u->keep_alloc,
                           ngx_http_azoai_upfile_on_line, u);

    return NGX_OK;
}


/* the line limit and an empty batch file, after the last line */

static ngx_int_t
ngx_http_azoai_upfile_lines_end(ngx_http_azoai_upfile_t *u)
{
    if (u->jl.error && !u->denied) {
        ngx_http_azoai_deny(u->ctx, AZOAI_INVALID_BODY,
                            "line %uz is longer than %uz bytes (the line "
                            "limit of files read from a temp file)",
                            u->jl.error_line, (size_t) AZOAI_JSONL_LINE_MAX);
        u->denied = 1;
        return NGX_OK;
    }

    if (!u->denied && u->batch && u->lines == 0 && !u->part) {
        ngx_http_azoai_deny(u->ctx, AZOAI_INVALID_BODY,
                            "the batch file holds no request lines");
        u->denied = 1;
    }

    return NGX_OK;
}


static void
ngx_http_azoai_upfile_scratch_free(void *data)
{
    ngx_destroy_pool(data);
}


/*
 * A block of the file's content to the line assembler; then the bytes
 * up to the line it holds back are written on, and the block's line
 * memory is freed.  NGX_OK, NGX_DONE to stop, NGX_ERROR.
 */

static ngx_int_t
ngx_http_azoai_upfile_feed(ngx_http_azoai_upfile_t *u, u_char *p,
    size_t len)
{
    int    rc;
    off_t  held;

    rc = azoai_jsonl_lines_feed(&u->jl, p, len);

    if (rc == AZOAI_ERROR) {
        return NGX_ERROR;
    }

    if (rc != AZOAI_OK || u->jl.error) {
        return NGX_DONE;
    }

    if (u->o.out) {
        /* everything before the line held back (its bytes in jl) */
        held = u->content_start + u->jl.offset - u->jl.len;

        /* written before the block they may lie in is read over */
        if ((held > u->o.copied
             && ngx_http_azoai_upout_copy(&u->o, held) != NGX_OK)
            || ngx_http_azoai_upout_release(&u->o) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ngx_reset_pool(u->scratch);

    return NGX_OK;
}


/* one line: judged (batch), inspected and rewritten (PII) */

static int
ngx_http_azoai_upfile_on_line(void *data, const azoai_jsonl_span_t *l)
{
    ngx_http_azoai_upfile_t  *u = data;

    ngx_int_t  rc;

    u->lines++;

    if (u->batch) {
        rc = ngx_http_azoai_upfile_judge(u, l);
        if (rc != NGX_OK) {
            return rc == NGX_ERROR ? AZOAI_ERROR : AZOAI_DECLINED;
        }
    }

    if (u->part && (l->start == 0 || !l->lf)) {
        /* the pieces of lines at the ends of an upload part: as text */
        if (u->mask && !u->piece_error && !u->opaque
            && ngx_http_azoai_upfile_piece(u, l) != NGX_OK)
        {
            return AZOAI_ERROR;
        }

    } else if (u->mask && !u->pii_error && !u->opaque) {
        rc = ngx_http_azoai_upfile_inspect(u, l);

        if (rc == NGX_ERROR) {
            return AZOAI_ERROR;
        }

        if (u->pii_error && !u->batch) {
            return AZOAI_DECLINED;
        }
    }

    return AZOAI_OK;
}


/*
 * A batch line as ngx_http_azoai_upload.c judges it.  NGX_OK, NGX_DONE
 * when it denies (u->denied), NGX_ERROR.
 */

static ngx_int_t
ngx_http_azoai_upfile_judge(ngx_http_azoai_upfile_t *u,
    const azoai_jsonl_span_t *l)
{
    u_char                 msg[sizeof(((azoai_decision_t *) 0)->message)];
    azoai_str_t            line;
    ngx_http_azoai_ctx_t  *ctx;

    ctx = u->ctx;
    line.data = l->data;
    line.len = l->len;

    if (ngx_http_azoai_judge_batch_line(u->r, u->alcf, ctx, &line, &u->res,
                                        u->part, &u->scratch_alloc)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->verdict.reason != AZOAI_ALLOW) {
        ngx_cpystrn(msg, (u_char *) ctx->verdict.message, sizeof(msg));
        ngx_http_azoai_deny(ctx, ctx->verdict.reason, "%sline %uz: %s",
                            u->part ? "upload part " : "", l->number, msg);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, u->r->connection->log, 0,
                       "azoai: batch file line %uz denied", l->number);

        u->denied = 1;
        return NGX_DONE;
    }

    /*
     * The first names the verdict records point into this block or
     * line memory: copied to request memory (catalog memory stays).
     */

    if (ngx_http_azoai_upfile_keep(u, &ctx->verdict.deployment, l)
           != NGX_OK
        || ngx_http_azoai_upfile_keep(u, &ctx->verdict.model, l) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a name that points into the line, copied to request memory */

static ngx_int_t
ngx_http_azoai_upfile_keep(ngx_http_azoai_upfile_t *u, azoai_str_t *name,
    const azoai_jsonl_span_t *l)
{
    ngx_str_t  s;

    if (name->len == 0 || name->data < l->data
        || name->data >= l->data + l->len)
    {
        return NGX_OK;
    }

    s.data = (u_char *) name->data;
    s.len = name->len;

    name->data = ngx_pstrdup(u->r->pool, &s);

    return name->data ? NGX_OK : NGX_ERROR;
}


/*
 * A line through the body layer.  A line with matches is rewritten into
 * the new body (when masking writes): the original bytes up to it are
 * copied first.  The first failing line stops inspection
 * (u->pii_error).  NGX_OK, NGX_ERROR.
 */

static ngx_int_t
ngx_http_azoai_upfile_inspect(ngx_http_azoai_upfile_t *u,
    const azoai_jsonl_span_t *l)
{
    azoai_body_result_t  *res;

    res = &u->res;

    if (azoai_body_inspect(u->ctx->engine, l->data, l->len,
                           &u->scratch_alloc, res)
        != AZOAI_OK
        || res->error == AZOAI_BODY_NOMEM)
    {
        return NGX_ERROR;
    }

    u->complete++;

    if (res->error != AZOAI_BODY_OK && u->part) {
        /* a whole line that is not JSON: the part is not JSONL */
        u->opaque = 1;
        return NGX_OK;
    }

    if (res->error != AZOAI_BODY_OK) {
        u->total.error = res->error;
        ngx_memcpy(u->total.error_text, res->error_text,
                   sizeof(res->error_text));
        u->pii_error_line = l->number;
        u->pii_error = 1;
        return NGX_OK;
    }

    if (res->nmatches == 0) {
        return NGX_OK;
    }

    return ngx_http_azoai_upfile_mask(u, l, res);
}


/*
 * A piece of a line at an end of an upload part, cut anywhere: scanned
 * as text as ngx_http_azoai_upload.c scans it.  A piece that cannot be
 * read is remembered (u->piece_error): whole lines that are not JSON
 * come first (not JSONL).  NGX_OK, NGX_ERROR.
 */

static ngx_int_t
ngx_http_azoai_upfile_piece(ngx_http_azoai_upfile_t *u,
    const azoai_jsonl_span_t *l)
{
    azoai_jsonl_result_t  jr;

    ngx_memzero(&jr, sizeof(azoai_jsonl_result_t));

    if (azoai_jsonl_inspect_piece(u->ctx->engine, l->data, 0, l->len,
                                  l->start == 0, !l->lf, &u->scratch_alloc,
                                  &jr)
        != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    if (jr.total.error != AZOAI_BODY_OK) {
        u->total.error = jr.total.error;
        ngx_memcpy(u->total.error_text, jr.total.error_text,
                   sizeof(jr.total.error_text));
        u->piece_error = 1;
        return NGX_OK;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, u->r->connection->log, 0,
                   "azoai: upload part: a piece of %uz bytes, %ui masked",
                   l->len, jr.nmasked);

    if (jr.nmasked == 0) {
        return NGX_OK;
    }

    return ngx_http_azoai_upfile_mask(u, l, &jr.masked[0].res);
}


/*
 * A line's matches summed; the line rewritten into the new body (when
 * masking writes), the original bytes up to it copied first.  NGX_OK,
 * NGX_ERROR.
 */

static ngx_int_t
ngx_http_azoai_upfile_mask(ngx_http_azoai_upfile_t *u,
    const azoai_jsonl_span_t *l, azoai_body_result_t *res)
{
    u_char  *out;
    size_t   i, out_len;
    off_t    start;

    u->total.nmatches += res->nmatches;
    u->total.types_found |= res->types_found;
    u->total.types_blocked |= res->types_blocked;

    /* res->counts are set from its first match (azoai_body_result_t) */

    for (i = 0; res->nmatches && i < AZOAI_PII_MAX_TYPES; i++) {
        u->total.counts[i] += res->counts[i];
    }

    if (!u->write || u->total.types_blocked) {
        /* report, or blocked: nothing is rewritten */
        return NGX_OK;
    }

    start = u->content_start + (off_t) l->start;
    res->pseudo = u->ctx->pseudo;

    if (azoai_body_rewrite(u->ctx->engine, res, l->data, l->len,
                           &u->scratch_alloc, &out, &out_len)
        != AZOAI_OK
        || ngx_http_azoai_upout_copy(&u->o, start) != NGX_OK
        || ngx_http_azoai_upout_append(&u->o, out, out_len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    u->o.copied = start + (off_t) l->len;

    return NGX_OK;
}


/*
 * After the last line of an upload part, as ngx_http_azoai_upload.c
 * decides: a whole line that is not JSON, or no whole line and content
 * that does not start with '{', is not JSONL (azoai_pii_opaque); a piece
 * at an end that cannot be read as JSON text is InvalidBody.
 */

static ngx_int_t
ngx_http_azoai_upfile_part_verdict(ngx_http_azoai_upfile_t *u)
{
    if (ngx_http_azoai_upfile_lines_end(u) != NGX_OK) {
        return NGX_ERROR;
    }

    if (u->denied || !u->mask) {
        return NGX_OK;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, u->r->connection->log, 0,
                   "azoai: upload part from a temp file: %ui whole "
                   "line(s), opaque %ui, first byte 0x%02xd",
                   u->complete, u->opaque, (ngx_uint_t) u->first);

    if (u->opaque || (u->complete == 0 && u->first != '{')) {
        (void) ngx_http_azoai_pii_opaque(u->r, u->ctx, "an upload part "
                                         "that is not JSON lines", 1);
        return NGX_OK;
    }

    if (u->piece_error) {
        ngx_http_azoai_deny(u->ctx, AZOAI_INVALID_BODY, "upload part: %s",
                            u->total.error_text);
        return NGX_OK;
    }

    return ngx_http_azoai_upfile_verdict(u);
}


/*
 * After the last line: the PII outcome, as ngx_http_azoai_upload.c
 * reaches it, and the new body in place of the old.
 */

static ngx_int_t
ngx_http_azoai_upfile_verdict(ngx_http_azoai_upfile_t *u)
{
    ngx_http_azoai_ctx_t  *ctx;

    ctx = u->ctx;

    if (!u->mask) {
        return NGX_OK;
    }

    if (u->pii_error) {
        ngx_http_azoai_deny(ctx, u->total.error == AZOAI_BODY_AMBIGUOUS
                                 ? AZOAI_AMBIGUOUS : AZOAI_INVALID_BODY,
                            "line %uz: %s", u->pii_error_line,
                            u->total.error_text);
        return NGX_OK;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, u->r->connection->log, 0,
                   "azoai: JSONL file of %ui line(s) in a temp file, %uz "
                   "PII value(s), %O bytes rewritten",
                   u->lines, u->total.nmatches, u->o.out_len);

    if (u->total.nmatches == 0) {
        return NGX_OK;
    }

    ctx->pii_count = u->total.nmatches;
    ctx->pii_types = u->total.types_found;
    ngx_memcpy(ctx->body_result.counts, u->total.counts,
               sizeof(ctx->body_result.counts));

    if (u->total.types_blocked) {
        ngx_http_azoai_pii_blocked(ctx, u->total.types_blocked);
        return NGX_OK;
    }

    if (!u->write) {
        return NGX_OK;
    }

    if (ngx_http_azoai_upout_copy(&u->o, u->size) != NGX_OK
        || ngx_http_azoai_upout_flush(&u->o) != NGX_OK
        || ngx_http_azoai_upout_replace(&u->o) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->masked = 1;

    return NGX_OK;
}


/*
 * Hands the body's bytes [from, to) to handler, memory buffers where
 * they lie, the temp file in blocks; u->o.block_start and block_data say
 * where the bytes handed on last are.  NGX_OK, NGX_DONE when the
 * handler stopped, NGX_ERROR.
 */

static ngx_int_t
ngx_http_azoai_upfile_read(ngx_http_azoai_upfile_t *u, off_t from, off_t to,
    ngx_http_azoai_upfile_pt handler)
{
    off_t         pos, start, end, at;
    size_t        n;
    ssize_t       got;
    u_char       *p;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    pos = 0;

    for (cl = u->in; cl && pos < to; cl = cl->next, pos = end) {
        b = cl->buf;
        start = pos;
        end = pos + (b->in_file ? b->file_last - b->file_pos
                                : b->last - b->pos);

        for (at = from > start ? from : start; at < end && at < to;
             at += n)
        {
            n = (size_t) (ngx_min(end, to) - at);

            if (b->in_file) {
                n = ngx_min(n, NGX_HTTP_AZOAI_UPLOAD_BLOCK);
                got = ngx_read_file(b->file, u->block, n,
                                    b->file_pos + (at - start));

                if (got != (ssize_t) n) {
                    ngx_http_azoai_log_error(NGX_LOG_ERR, u->r, 0,
                                             "azoai: cannot read request "
                                             "body from \"%V\"",
                                             &b->file->name);
                    return NGX_ERROR;
                }

                p = u->block;

            } else {
                p = b->pos + (at - start);
            }

            u->o.block_start = at;
            u->o.block_data = p;
            u->o.block_len = n;

            rc = handler(u, p, n);
            if (rc != NGX_OK) {
                return rc;
            }
        }
    }

    return NGX_OK;
}












static void *
ngx_http_azoai_upfile_palloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}
