/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * What the module's glue files share: the configuration of each level,
 * constants, the error-log macro, and the functions one file offers the
 * others, listed by the file that defines them.  The per-request context
 * is declared here and defined in ngx_http_azoai_ctx.h, so that only the
 * files that read it see the core types it holds.  Of the core, only
 * its common types (azoai_core.h) are included here; the files include
 * the core headers they use.
 */

#ifndef _NGX_HTTP_AZOAI_MODULE_H_INCLUDED_
#define _NGX_HTTP_AZOAI_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "azoai_core.h"


#define NGX_HTTP_AZOAI_ENFORCE               0
#define NGX_HTTP_AZOAI_REPORT                1

#define NGX_HTTP_AZOAI_DECISION_NONE         0
#define NGX_HTTP_AZOAI_DECISION_ALLOW        1
#define NGX_HTTP_AZOAI_DECISION_DENY         2
#define NGX_HTTP_AZOAI_DECISION_REPORT_DENY  3
#define NGX_HTTP_AZOAI_DECISION_N            4

/* 32 lower-case hex digits: 128 random bits */
#define NGX_HTTP_AZOAI_REQUEST_ID_LEN        32

#define NGX_HTTP_AZOAI_MAX_BODY_SIZE         (8 * 1024 * 1024)

/* azoai_retirement_notice: 30 days */
#define NGX_HTTP_AZOAI_RETIREMENT_NOTICE     (30 * 86400)


/*
 * The module's error.log lines go without the connection's log handler:
 * it would append the request line, and its query may carry a realtime
 * api-key.  The request id joins such a line to the access log.  Debug
 * lines (ngx_log_debug*) never call the handler.
 */
#define ngx_http_azoai_log_error(level, r, err, ...)                         \
    do {                                                                     \
        ngx_log_t           *log_ = (r)->connection->log;                    \
        ngx_log_handler_pt   handler_ = log_->handler;                       \
                                                                             \
        log_->handler = NULL;                                                \
        ngx_log_error(level, log_, err, __VA_ARGS__);                        \
        log_->handler = handler_;                                            \
    } while (0)


/* h is an ngx_table_elt_t of headers_in; name a lower-case literal */
#define ngx_http_azoai_header_is(h, name)                                    \
    ((h)->key.len == sizeof(name) - 1                                        \
     && ngx_strncmp((h)->lowcase_key, name, sizeof(name) - 1) == 0)


typedef struct ngx_http_azoai_ctx_s  ngx_http_azoai_ctx_t;
struct azoai_body_result_s;


/* ngx_http_azoai_catalog_conf.c: azoai_catalog, azoai_deployment */
typedef struct {
    ngx_str_t                     file;
    ngx_array_t                  *deployments;  /* ..._deployment_line_t */
    struct azoai_catalog_s       *catalog;      /* the effective one */
} ngx_http_azoai_catalog_conf_t;


/* ngx_http_azoai_pii_conf.c: azoai_pii* */
typedef struct {
    ngx_flag_t                    enable;
    ngx_array_t                  *types;        /* ngx_str_t, lower-case */
    ngx_array_t                  *actions;      /* ..._pii_action_t */
    ngx_array_t                  *patterns;     /* ..._pii_pattern_t */
    ngx_str_t                     hash_key_file;
    ngx_str_t                     hash_key;
    struct azoai_pii_engine_s    *engine;
    uint64_t                      pseudonym;    /* types pseudonymized */

    /* where azoai_pii and azoai_pii_types were set, for messages */
    u_char                       *file;
    ngx_uint_t                    line;
    u_char                       *types_file;
    ngx_uint_t                    types_line;
} ngx_http_azoai_pii_conf_t;


typedef struct {
    struct azoai_catalog_s       *builtin;      /* the compiled-in table */
    ngx_array_t                  *retire_warned; /* ngx_str_t, names */
    ngx_array_t                   catalogs;     /* ..._cached_catalog_t */
    ngx_shm_zone_t               *metrics_zone;
    ngx_array_t                  *tlimit_zones; /* ngx_shm_zone_t * */

    /* a location has azoai_pii_restore or azoai_pii_response on */
    ngx_uint_t                    response_filters;
} ngx_http_azoai_main_conf_t;


typedef struct {
    ngx_flag_t                    enable;
    ngx_uint_t                    mode;         /* NGX_HTTP_AZOAI_ENFORCE */
    ngx_uint_t                    allow_preview_api;
    ngx_uint_t                    allow_unknown;
    ngx_uint_t                    pass_invalid_body;
    ngx_uint_t                    pass_opaque;  /* azoai_pii_opaque pass */
    size_t                        max_body_size;
    ngx_flag_t                    audit_headers;
    ngx_flag_t                    pii_restore;  /* azoai_pii_restore */
    ngx_flag_t                    pii_response; /* azoai_pii_response */

    ngx_http_azoai_catalog_conf_t catalog;
    ngx_http_azoai_pii_conf_t     pii;

    /* the catalog and the allow flags above, as the core takes them */
    struct azoai_policy_conf_s   *policy;

    ngx_flag_t                    metrics;      /* azoai_metrics; here */

    ngx_array_t                  *token_limits; /* ngx_shm_zone_t * */

    /* azoai_allow_deployments: ngx_http_complex_value_t, NULL: none */
    ngx_array_t                  *allow_deployments;

    ngx_uint_t                    store;        /* AZOAI_STORE_* */
    time_t                        retirement_notice;
} ngx_http_azoai_loc_conf_t;


/* ngx_http_azoai_body.c: a new request body, linked piece by piece */
typedef struct {
    ngx_pool_t                   *pool;
    ngx_chain_t                  *head;
    ngx_chain_t                 **last;
    ngx_uint_t                    pieces;
    ngx_chain_t                  *spare;   /* links with their buffers */
    ngx_uint_t                    nspare;
} ngx_http_azoai_body_chain_t;


/* ngx_http_azoai_module.c */
extern ngx_module_t  ngx_http_azoai_module;

/* ngx_http_azoai_catalog_conf.c */
char *ngx_http_azoai_catalog(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_azoai_deployment(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_azoai_init_catalogs(ngx_conf_t *cf,
    ngx_http_azoai_main_conf_t *amcf);
char *ngx_http_azoai_merge_catalog(ngx_conf_t *cf,
    ngx_http_azoai_loc_conf_t *prev, ngx_http_azoai_loc_conf_t *conf);

/* ngx_http_azoai_pii_conf.c */
char *ngx_http_azoai_pii(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_azoai_pii_types(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_azoai_pii_action(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_azoai_pii_pattern(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_azoai_init_pii_conf(ngx_http_azoai_pii_conf_t *conf);
char *ngx_http_azoai_merge_pii(ngx_conf_t *cf,
    ngx_http_azoai_pii_conf_t *prev, ngx_http_azoai_pii_conf_t *conf);

/* ngx_http_azoai_pii_key.c */
char *ngx_http_azoai_pii_hash_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_azoai_size_conf.c */
char *ngx_http_azoai_max_body_size(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_azoai_metrics.c */
char *ngx_http_azoai_metrics_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_azoai_log_handler(ngx_http_request_t *r);

/* ngx_http_azoai_metrics_page.c */
char *ngx_http_azoai_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_azoai_tlimit_conf.c */
char *ngx_http_azoai_token_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_azoai_token_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_azoai_opaque.c */
ngx_int_t ngx_http_azoai_pii_opaque(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, const char *what, ngx_uint_t n);

/* ngx_http_azoai_tlimit.c */
void ngx_http_azoai_tlimit_estimate(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, ngx_str_t *body);
ngx_int_t ngx_http_azoai_tlimit_admit(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
size_t ngx_http_azoai_tlimit_metrics_size(ngx_http_request_t *r);
u_char *ngx_http_azoai_tlimit_metrics(ngx_http_request_t *r, u_char *p,
    u_char *last);

/* ngx_http_azoai_allow.c */
char *ngx_http_azoai_allow_deployments(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_azoai_allow_expand(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);

/* ngx_http_azoai_store.c */
extern ngx_conf_enum_t  ngx_http_azoai_store_modes[];
ngx_int_t ngx_http_azoai_store(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, struct azoai_body_result_s *res,
    ngx_str_t *body);

/* ngx_http_azoai_retire.c */
int64_t ngx_http_azoai_now(void);
void ngx_http_azoai_retire_warn(ngx_conf_t *cf,
    ngx_http_azoai_loc_conf_t *conf);
ngx_int_t ngx_http_azoai_retire_header(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
ngx_int_t ngx_http_azoai_var_retires(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

/* ngx_http_azoai_request_id.c */
ngx_int_t ngx_http_azoai_request_id_init(ngx_cycle_t *cycle);
void ngx_http_azoai_request_id_exit(ngx_cycle_t *cycle);

/* ngx_http_azoai_big.c */
typedef struct {
    u_char                       *data;
    size_t                        size;
} ngx_http_azoai_big_t;

void *ngx_http_azoai_big_alloc(ngx_pool_t *pool, size_t size);
void *ngx_http_azoai_big_alloc_held(ngx_pool_t *pool, size_t size,
    ngx_http_azoai_big_t *big);
void ngx_http_azoai_big_release(void *data);
void ngx_http_azoai_big_exit(void);

/* ngx_http_azoai_ctx.c */
ngx_http_azoai_ctx_t *ngx_http_azoai_find_ctx(ngx_http_request_t *r);
void ngx_http_azoai_ctx_exit(void);

/* ngx_http_azoai_handler.c */
ngx_int_t ngx_http_azoai_handler(ngx_http_request_t *r);

/* ngx_http_azoai_body.c */
ngx_int_t ngx_http_azoai_copy_body(ngx_http_request_t *r, ngx_str_t *body,
    off_t len) __attribute__((noinline));
ngx_int_t ngx_http_azoai_replace_body(ngx_http_request_t *r, u_char *data,
    size_t len);
ngx_int_t ngx_http_azoai_replace_body_chain(ngx_http_request_t *r,
    ngx_chain_t *in, size_t len);
void ngx_http_azoai_body_chain_init(ngx_http_azoai_body_chain_t *chain,
    ngx_pool_t *pool);
int ngx_http_azoai_body_link(void *data, const u_char *p, size_t len);

/* ngx_http_azoai_inspect.c */
ngx_int_t ngx_http_azoai_inspect_body(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
ngx_int_t ngx_http_azoai_check_body_name(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    const u_char *name, size_t len, ngx_uint_t kind, const char *where);
void ngx_http_azoai_pii_blocked(ngx_http_azoai_ctx_t *ctx, uint64_t blocked);

/* ngx_http_azoai_upload.c */
ngx_int_t ngx_http_azoai_inspect_upload(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    ngx_str_t *body);

/* ngx_http_azoai_upload_file.c */
ngx_uint_t ngx_http_azoai_upload_spooled(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
ngx_int_t ngx_http_azoai_inspect_upload_file(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx);

/* ngx_http_azoai_deny.c */
void ngx_http_azoai_deny(ngx_http_azoai_ctx_t *ctx, ngx_uint_t reason,
    const char *fmt, ...);
ngx_int_t ngx_http_azoai_send_denial(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
ngx_int_t ngx_http_azoai_send_error(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);

/* ngx_http_azoai_upstream.c */
ngx_int_t ngx_http_azoai_upstream_init(ngx_conf_t *cf);
void ngx_http_azoai_identity_encoding(ngx_http_request_t *r);

/* ngx_http_azoai_filter.c */
ngx_int_t ngx_http_azoai_filter_init(ngx_conf_t *cf);

/* ngx_http_azoai_restore_filter.c */
ngx_int_t ngx_http_azoai_restore_filter_init(ngx_conf_t *cf);

/* ngx_http_azoai_variables.c */
ngx_int_t ngx_http_azoai_add_variables(ngx_conf_t *cf);

/* ngx_http_azoai_digest.c */
ngx_int_t ngx_http_azoai_body_sha256(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, u_char *hex);
ngx_int_t ngx_http_azoai_digest_keep(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);

/* ngx_http_azoai_util.c */
#define NGX_HTTP_AZOAI_TYPE_SSE     0   /* text/event-stream */
#define NGX_HTTP_AZOAI_TYPE_JSON    1   /* application/json */
#define NGX_HTTP_AZOAI_TYPE_OTHER   2
extern ngx_str_t  ngx_http_azoai_decision_names[];
ngx_str_t *ngx_http_azoai_reason_code(ngx_uint_t reason);
ngx_int_t ngx_http_azoai_next_type(uint64_t types, ngx_int_t after);
ngx_array_t *ngx_http_azoai_concat(ngx_conf_t *cf, ngx_array_t *a,
    ngx_array_t *b);


/*
 * The response's type as the filters read it: an event stream, JSON
 * (parameters such as "; charset=utf-8" allowed), or another: inline in
 * the header filters (out of line, its call was ~10 instructions a
 * judged response)
 */

static ngx_inline ngx_uint_t
ngx_http_azoai_response_type(ngx_http_request_t *r)
{
    ngx_str_t  *type;

    static ngx_str_t  sse = ngx_string("text/event-stream");
    static ngx_str_t  json = ngx_string("application/json");

    type = &r->headers_out.content_type;

    if (type->len >= sse.len
        && ngx_strncasecmp(type->data, sse.data, sse.len) == 0)
    {
        return NGX_HTTP_AZOAI_TYPE_SSE;
    }

    if (type->len >= json.len
        && ngx_strncasecmp(type->data, json.data, json.len) == 0)
    {
        return NGX_HTTP_AZOAI_TYPE_JSON;
    }

    return NGX_HTTP_AZOAI_TYPE_OTHER;
}


/* "allow", "deny", "report-deny"; empty for none: inline, every response */

static ngx_inline ngx_str_t *
ngx_http_azoai_decision_name(ngx_uint_t decision)
{
    if (decision >= NGX_HTTP_AZOAI_DECISION_N) {
        decision = NGX_HTTP_AZOAI_DECISION_NONE;
    }

    return &ngx_http_azoai_decision_names[decision];
}


/*
 * The body's length in *len; 1 when its bytes are all in memory, one
 * buffer after the other from *start (empty buffers aside).
 */

static ngx_inline ngx_uint_t
ngx_http_azoai_body_length(ngx_chain_t *cl, off_t *len, u_char **start)
{
    u_char      *next;
    ngx_buf_t   *b;
    ngx_uint_t   adjacent;

    *len = 0;
    *start = NULL;
    next = NULL;
    adjacent = 1;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            *len += b->file_last - b->file_pos;
            adjacent = 0;
            continue;
        }

        if (b->last == b->pos) {
            continue;
        }

        if (*start == NULL) {
            *start = b->pos;

        } else if (b->pos != next) {
            adjacent = 0;
        }

        next = b->last;
        *len += b->last - b->pos;
    }

    return adjacent;
}


/*
 * One contiguous view of the body: the buffers themselves when they are
 * memory buffers one after the other (one buffer, or the pieces
 * ngx_http_azoai_body_prepare() made adjacent), else (*copied) a copy
 * from the buffers and the temp file.  Inline in its one caller
 * (ngx_http_azoai_inspect_body()), out of line only the copy: its call
 * and frame were ~15 instructions a request.
 */

static ngx_inline ngx_int_t
ngx_http_azoai_gather_body(ngx_http_request_t *r, ngx_str_t *body,
    ngx_uint_t *copied)
{
    u_char       *p, *last;
    off_t         len;
    ngx_buf_t    *b;
    ngx_uint_t    adjacent;
    ngx_chain_t  *cl;

    ngx_str_null(body);
    *copied = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    /*
     * Most bodies: memory buffers each starting where the one before
     * ends (empty ones too), as ngx_http_azoai_body_prepare() makes
     * them, read in one or a few pieces: the first buffer's start and
     * the last one's end, with one test a buffer (the general walk
     * below, which sums the lengths and skips the empty buffers, says
     * the same of them: ~20 instructions a request more)
     */

    cl = r->request_body->bufs;
    b = cl->buf;

    if (!b->in_file) {
        p = b->pos;
        last = b->last;

        for (cl = cl->next; cl; cl = cl->next) {
            b = cl->buf;

            if (b->in_file || b->pos != last) {
                break;
            }

            last = b->last;
        }

        if (cl == NULL) {
            if (last != p) {
                body->data = p;
                body->len = last - p;
            }

            return NGX_OK;
        }
    }

    adjacent = ngx_http_azoai_body_length(r->request_body->bufs, &len, &p);

    if (len == 0) {
        return NGX_OK;
    }

    if (adjacent) {
        body->data = p;
        body->len = len;
        return NGX_OK;
    }

    *copied = 1;

    return ngx_http_azoai_copy_body(r, body, len);
}


/*
 * Once the body is read (or its reading failed): the request's own header
 * buffer again, in place of the one ngx_http_azoai_body_prepare() gave it.
 * Nothing was read into it past the body, so it holds no pipelined bytes.
 * Inline: every body's handler runs it.
 */

static ngx_inline void
ngx_http_azoai_body_restore(ngx_http_request_t *r)
{
    ngx_buf_t  *b;

    b = r->header_in;

    if (b != NULL && b->tag == (ngx_buf_tag_t) &ngx_http_azoai_module
        && b->shadow != NULL)
    {
        r->header_in = b->shadow;
        b->shadow = NULL;
    }
}


/*
 * The next header of an NGINX header list, or NULL at its end; inline:
 * each request walks its headers and the response's with it
 *
 *     part = &r->headers_in.headers.part;
 *     i = 0;
 *
 *     while ((h = ngx_http_azoai_next_header(&part, &i)) != NULL) { ... }
 */

static ngx_inline ngx_table_elt_t *
ngx_http_azoai_next_header(ngx_list_part_t **part, ngx_uint_t *i)
{
    while (*i >= (*part)->nelts) {
        if ((*part)->next == NULL) {
            return NULL;
        }

        *part = (*part)->next;
        *i = 0;
    }

    return (ngx_table_elt_t *) (*part)->elts + (*i)++;
}


#endif /* _NGX_HTTP_AZOAI_MODULE_H_INCLUDED_ */
