/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_pii_restore: the filters that put pseudonyms minted for this
 * request back into the response, as NGINX's sub filter does its
 * replacements: the core (azoai_sse.c) reads the bytes as they pass and
 * writes the restored response into buffers of our own, reused once the
 * next filters are done with them (a JSON response, read whole into pool
 * memory that lives as long as the request, goes out by reference where
 * it is unchanged: only renderings and restored values are copied);
 * flush and last_buf go on as they came, so a stream keeps streaming.
 * Only the tail of a streamed text that may still begin a token, or an
 * incomplete event, is held back.
 * Compressed responses, errors and types other than JSON and event
 * streams pass as they are.
 *
 * azoai_pii_response: the text fields of a response are masked with the
 * location's detectors before pseudonyms are put back; a JSON or event
 * stream response that cannot be scanned (compressed, not valid JSON, an
 * event too long) is not sent, or a stream is cut there (fail closed):
 * passing it would hand the client PII that nobody looked at.
 *
 * What passes unread (errors, other types, compressed responses without
 * masking, events that are not JSON or too long) is counted in
 * $azoai_pii_unscanned; what is refused, in the metrics.
 */


#include "ngx_http_azoai_ctx.h"

#include "azoai_pseudo.h"
#include "azoai_sse.h"
#include "azoai_resp_mask.h"


#define NGX_HTTP_AZOAI_RESTORE_BUF      4096

/*
 * shorter unchanged spans of a JSON response are copied, not pointed at:
 * each buffer costs the filters after us a few chain links, and a copy
 * ~0.1 instruction per byte (callgrind: a 64 KB completion with 40 values
 * masked took 27k more instructions with spans of 512 bytes and up
 * pointed at than with all copied)
 */
#define NGX_HTTP_AZOAI_RESTORE_REF_MIN  (16 * 1024)


typedef struct {
    ngx_http_request_t         *request;
    ngx_chain_t                *out;
    ngx_chain_t               **last_out;
    ngx_chain_t                *free;
    ngx_chain_t                *busy;
    ngx_buf_t                  *buf;       /* being written */
    unsigned                    refused:1; /* nothing more goes out */
    unsigned                    split:1;   /* a reference follows buf */
    unsigned                    whole:1;   /* a JSON-sized buffer taken */

    /* set by their own init functions, not zeroed twice */
    azoai_sse_t                 sse;
    azoai_usage_t               usage;     /* of a JSON response */
    azoai_resp_mask_t           mask;
} ngx_http_azoai_restore_t;


static ngx_int_t ngx_http_azoai_restore_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_azoai_restore_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_azoai_restore_start(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, ngx_uint_t restore, ngx_uint_t mask);
static ngx_http_azoai_restore_t *ngx_http_azoai_restore_create(
    ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx, ngx_uint_t restore,
    ngx_uint_t mask, ngx_uint_t json);
static ngx_int_t ngx_http_azoai_restore_feed(ngx_http_azoai_restore_t *rs,
    ngx_buf_t *b);
static int ngx_http_azoai_restore_write(void *data, const u_char *p,
    size_t len);
static int ngx_http_azoai_restore_ref(void *data, const u_char *p,
    size_t len);
static ngx_int_t ngx_http_azoai_restore_split(ngx_http_azoai_restore_t *rs);
static size_t ngx_http_azoai_restore_size(ngx_http_azoai_restore_t *rs,
    size_t len);
static ngx_int_t ngx_http_azoai_restore_special(ngx_http_azoai_restore_t *rs,
    ngx_buf_t *in);
static void ngx_http_azoai_restore_trace(void *data, unsigned outcome,
    size_t len);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/* azoai_sse_outcome_e */
static char  *ngx_http_azoai_restore_outcomes[] = {
    "rewritten", "passed as it came", "too long, passed as it comes",
    "the end of the stream", "refused: it cannot be scanned"
};


ngx_int_t
ngx_http_azoai_restore_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_azoai_restore_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_azoai_restore_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_azoai_restore_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                  restore, mask;
    ngx_http_azoai_ctx_t       *ctx;
    ngx_http_azoai_loc_conf_t  *alcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_azoai_module);
    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    if (ctx == NULL) {
        return ngx_http_next_header_filter(r);
    }

    restore = alcf->pii_restore && azoai_pseudo_count(ctx->pseudo);

    /* report mode changes nothing, in responses either */

    mask = alcf->pii_response && alcf->pii.enable && alcf->pii.engine
           && alcf->mode == NGX_HTTP_AZOAI_ENFORCE;

    if (!restore && !mask) {
        return ngx_http_next_header_filter(r);
    }

    if (ngx_http_azoai_restore_start(r, ctx, restore, mask) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_azoai_restore_start(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    ngx_uint_t restore, ngx_uint_t mask)
{
    ngx_uint_t                  type, json, zipped;
    ngx_http_azoai_restore_t   *rs;

    type = ngx_http_azoai_response_type(r);
    json = (type == NGX_HTTP_AZOAI_TYPE_JSON);
    zipped = r->headers_out.content_encoding
             && r->headers_out.content_encoding->value.len;

    if (r->headers_out.status != NGX_HTTP_OK
        || type == NGX_HTTP_AZOAI_TYPE_OTHER || zipped)
    {

        /* unread: passed as it is and counted, or refused (masking) */

        ctx->pii_unscanned = 1;

        if (mask && type != NGX_HTTP_AZOAI_TYPE_OTHER && zipped
            && r->headers_out.status == NGX_HTTP_OK)
        {
            ctx->pii_refused = 1;
            ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                     "azoai: a compressed response cannot "
                                     "be scanned for PII and is not sent "
                                     "(azoai_pii_response)");
            return NGX_ERROR;
        }

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: response of status %ui passed unread: "
                       "compressed %ui, of another type %ui",
                       r->headers_out.status, zipped,
                       type == NGX_HTTP_AZOAI_TYPE_OTHER);
        return NGX_OK;
    }

    rs = ngx_http_azoai_restore_create(r, ctx, restore, mask, json);
    if (rs == NULL) {
        return NGX_ERROR;
    }

    if (json && r->headers_out.content_length_n > 0
        && azoai_sse_expect(&rs->sse,
                            (size_t) r->headers_out.content_length_n)
           != AZOAI_OK)
    {
        return NGX_ERROR;
    }

    /* the body changes: its length is no longer known */

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_weak_etag(r);

    r->filter_need_in_memory = 1;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: restoring %uz pseudonyms in a %s response, "
                   "masking PII: %ui",
                   restore ? azoai_pseudo_count(ctx->pseudo) : 0,
                   json ? "JSON" : "event-stream", rs->sse.mask != NULL);

    return NGX_OK;
}


/* the filter's state, the core's rewriter and masker set up in it */

static ngx_http_azoai_restore_t *
ngx_http_azoai_restore_create(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    ngx_uint_t restore, ngx_uint_t mask, ngx_uint_t json)
{
    ngx_http_azoai_restore_t   *rs;
    ngx_http_azoai_loc_conf_t  *alcf;

    rs = ngx_palloc(r->pool, sizeof(ngx_http_azoai_restore_t));
    if (rs == NULL) {
        return NULL;
    }

    ngx_memzero(rs, offsetof(ngx_http_azoai_restore_t, sse));

    rs->request = r;
    azoai_sse_init(&rs->sse, restore ? ctx->pseudo : NULL, &ctx->alloc,
                   json, ngx_http_azoai_restore_write, rs);

    rs->sse.ref = json ? ngx_http_azoai_restore_ref : NULL;
    rs->sse.usage = json ? &rs->usage : NULL;
    rs->sse.trace = (r->connection->log->log_level & NGX_LOG_DEBUG_HTTP)
                    ? ngx_http_azoai_restore_trace : NULL;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    /* without masking, only its count (0) is read */

    azoai_resp_mask_init(&rs->mask, mask ? alcf->pii.engine : NULL,
                         &ctx->alloc);

    if (mask) {
        rs->sse.mask = &rs->mask;
    }

    ctx->restore = &rs->sse;

    return rs;
}



static ngx_int_t
ngx_http_azoai_restore_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t                  rc, fed;
    ngx_chain_t               *cl;
    ngx_http_azoai_ctx_t      *ctx;
    ngx_http_azoai_restore_t  *rs;

    ctx = (r == r->main) ? ngx_http_get_module_ctx(r, ngx_http_azoai_module)
                         : NULL;

    if (ctx == NULL || ctx->restore == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    rs = (ngx_http_azoai_restore_t *)
             ((u_char *) ctx->restore
              - offsetof(ngx_http_azoai_restore_t, sse));

    if (rs->refused) {
        return NGX_ERROR;
    }

    rs->out = NULL;
    rs->last_out = &rs->out;
    rs->buf = NULL;
    rs->split = 0;

    fed = NGX_OK;

    for (cl = in; cl; cl = cl->next) {
        fed = ngx_http_azoai_restore_feed(rs, cl->buf);

        /* refused: what was written before it still goes out */

        if (fed == NGX_DECLINED) {
            if (rs->buf) {
                rs->buf->flush = 1;
            }

            break;
        }

        if (fed != NGX_OK
            || ngx_http_azoai_restore_special(rs, cl->buf) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ctx->pii_restored = rs->sse.restored;
    ctx->pii_response_count = rs->mask.masked;
    ctx->pii_unscanned = rs->sse.passed;

    /*
     * the usage filter after us would walk the JSON response again: the
     * walk that found its text fields read the usage too
     */

    if (rs->sse.usage_read && ctx->usage_on && !ctx->usage.finished) {
        ctx->usage = rs->usage;
        azoai_usage_finish(&ctx->usage);

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: token usage read with the restore walk");
    }

    if (rs->out == NULL && rs->busy == NULL) {
        return (fed == NGX_DECLINED) ? NGX_ERROR : NGX_OK;
    }

    rc = ngx_http_next_body_filter(r, rs->out);

    ngx_chain_update_chains(r->pool, &rs->free, &rs->busy, &rs->out,
                            (ngx_buf_tag_t) &ngx_http_azoai_module);

    return (fed == NGX_DECLINED) ? NGX_ERROR : rc;
}


/*
 * one buffer into the core; NGX_DECLINED for a response it cannot scan
 * (masking): it is not sent further
 */

static ngx_int_t
ngx_http_azoai_restore_feed(ngx_http_azoai_restore_t *rs, ngx_buf_t *b)
{
    int                    rc;
    size_t                 size;
    ngx_http_azoai_ctx_t  *ctx;

    size = ngx_buf_in_memory(b) ? b->last - b->pos : 0;
    rc = size ? azoai_sse_feed(&rs->sse, b->pos, size) : AZOAI_OK;

    b->pos = b->last;

    if (b->in_file) {
        b->file_pos = b->file_last;
    }

    if (rc == AZOAI_OK && b->last_buf) {
        rc = azoai_sse_finish(&rs->sse);
    }

    if (rc == AZOAI_DECLINED) {
        ctx = ngx_http_get_module_ctx(rs->request, ngx_http_azoai_module);
        ctx->pii_refused = 1;

        ngx_http_azoai_log_error(NGX_LOG_ERR, rs->request, 0,
                                 "azoai: a response that cannot be scanned "
                                 "for PII is not sent further "
                                 "(azoai_pii_response)");
        rs->refused = 1;
        return NGX_DECLINED;
    }

    return (rc == AZOAI_OK) ? NGX_OK : NGX_ERROR;
}


/* flush, last_buf and sync go on after the bytes that came before them */

static ngx_int_t
ngx_http_azoai_restore_special(ngx_http_azoai_restore_t *rs, ngx_buf_t *in)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (!in->flush && !in->last_buf && !in->sync) {
        return NGX_OK;
    }

    /* the last buffer out carries them: not one a reference followed */

    if (rs->buf && !rs->split) {
        b = rs->buf;
        rs->buf = NULL;

    } else {
        rs->buf = NULL;
        rs->split = 0;

        cl = ngx_chain_get_free_buf(rs->request->pool, &rs->free);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        b = cl->buf;
        ngx_memzero(b, sizeof(ngx_buf_t));
        b->tag = (ngx_buf_tag_t) &ngx_http_azoai_module;

        *rs->last_out = cl;
        rs->last_out = &cl->next;
    }

    b->flush = in->flush;
    b->last_buf = in->last_buf;
    b->last_in_chain = in->last_in_chain;
    b->sync = (b->last == b->pos) ? 1 : in->sync;

    if (in->last_buf) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rs->request->connection->log, 0,
                       "azoai: %uz pseudonyms restored, %uz bytes held back "
                       "at most", rs->sse.restored, rs->sse.held);
    }

    return NGX_OK;
}


/* the core's output: copied into our buffers, new ones as they fill */

static int
ngx_http_azoai_restore_write(void *data, const u_char *p, size_t len)
{
    size_t                     n, size;
    ngx_buf_t                 *b;
    ngx_chain_t               *cl;
    ngx_http_azoai_restore_t  *rs;

    rs = data;

    if (rs->split && ngx_http_azoai_restore_split(rs) != NGX_OK) {
        return -1;
    }

    while (len) {
        b = rs->buf;

        if (b == NULL || b->last == b->end) {
            cl = ngx_chain_get_free_buf(rs->request->pool, &rs->free);
            if (cl == NULL) {
                return -1;
            }

            b = cl->buf;

            if (b->start == NULL) {
                size = ngx_http_azoai_restore_size(rs, len);

                b->start = ngx_http_azoai_big_alloc(rs->request->pool,
                                                    size);
                if (b->start == NULL) {
                    return -1;
                }

                b->end = b->start + size;
            }

            b->pos = b->start;
            b->last = b->start;
            b->temporary = 1;
            b->recycled = 1;
            b->flush = 0;
            b->last_buf = 0;
            b->last_in_chain = 0;
            b->sync = 0;
            b->tag = (ngx_buf_tag_t) &ngx_http_azoai_module;

            *rs->last_out = cl;
            rs->last_out = &cl->next;
            rs->buf = b;
        }

        n = ngx_min(len, (size_t) (b->end - b->last));
        b->last = ngx_cpymem(b->last, p, n);
        p += n;
        len -= n;
    }

    return 0;
}


/*
 * A new buffer: 4 KB for a stream, reused as it goes; a JSON response
 * being rewritten (held whole, rs->sse.len bytes) goes out in one, an
 * eighth larger than it for values restored or masked longer (more
 * follows in 4 KB ones), not in 4 KB pieces that each cost a malloc()
 * and the filters after us links
 */

static size_t
ngx_http_azoai_restore_size(ngx_http_azoai_restore_t *rs, size_t len)
{
    size_t  size;

    if (!rs->sse.json || rs->sse.passing || rs->whole) {
        return NGX_HTTP_AZOAI_RESTORE_BUF;
    }

    rs->whole = 1;
    size = rs->sse.len + rs->sse.len / 8;

    return ngx_max(size, ngx_max(len, NGX_HTTP_AZOAI_RESTORE_BUF));
}


/*
 * bytes of the JSON response's own buffer (pool memory, kept until the
 * request ends): a buffer that points at them, not a copy
 */

static int
ngx_http_azoai_restore_ref(void *data, const u_char *p, size_t len)
{
    ngx_buf_t                 *b;
    ngx_chain_t               *cl;
    ngx_http_azoai_restore_t  *rs;

    rs = data;

    if (len < NGX_HTTP_AZOAI_RESTORE_REF_MIN) {
        return ngx_http_azoai_restore_write(data, p, len);
    }

    b = ngx_calloc_buf(rs->request->pool);
    if (b == NULL) {
        return -1;
    }

    cl = ngx_alloc_chain_link(rs->request->pool);
    if (cl == NULL) {
        return -1;
    }

    b->start = (u_char *) p;
    b->pos = b->start;
    b->last = b->start + len;
    b->end = b->last;
    b->memory = 1;

    cl->buf = b;
    cl->next = NULL;

    *rs->last_out = cl;
    rs->last_out = &cl->next;

    /* what is copied next goes after it, into a buffer of its own */

    rs->split = (rs->buf != NULL);

    return 0;
}


/*
 * After a reference: the rest of the buffer being written becomes a
 * buffer of its own, after the reference, so that no two buffers share
 * memory (either is reused on its own once sent)
 */

static ngx_int_t
ngx_http_azoai_restore_split(ngx_http_azoai_restore_t *rs)
{
    ngx_buf_t    *b, *old;
    ngx_chain_t  *cl;

    rs->split = 0;
    old = rs->buf;
    rs->buf = NULL;

    if (old == NULL || old->last == old->end) {
        return NGX_OK;
    }

    b = ngx_calloc_buf(rs->request->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    cl = ngx_alloc_chain_link(rs->request->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    b->start = old->last;
    b->pos = b->start;
    b->last = b->start;
    b->end = old->end;
    b->temporary = 1;
    b->recycled = 1;
    b->tag = (ngx_buf_tag_t) &ngx_http_azoai_module;

    old->end = old->last;

    cl->buf = b;
    cl->next = NULL;

    *rs->last_out = cl;
    rs->last_out = &cl->next;
    rs->buf = b;

    return NGX_OK;
}


/* each event in the debug log: what became of it, never what it said */

static void
ngx_http_azoai_restore_trace(void *data, unsigned outcome, size_t len)
{
    ngx_http_azoai_restore_t  *rs;

    rs = data;

    if (outcome > AZOAI_SSE_REFUSED) {
        return;
    }

    ngx_log_debug7(NGX_LOG_DEBUG_HTTP, rs->request->connection->log, 0,
                   "azoai: %s %uz of %uz bytes %s; so far %uz restored, "
                   "%uz masked, %uz passed unread",
                   rs->sse.json ? "response" : "event", rs->sse.events, len,
                   ngx_http_azoai_restore_outcomes[outcome],
                   rs->sse.restored, rs->mask.masked, rs->sse.passed);
}
