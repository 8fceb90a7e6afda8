/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * NGINX glue shared by the module's files: configuration, the per-request
 * context, and the functions one file offers the others.
 */

#ifndef _NGX_HTTP_AZOAI_MODULE_H_INCLUDED_
#define _NGX_HTTP_AZOAI_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "azoai_core.h"
#include "azoai_route.h"
#include "azoai_catalog.h"
#include "azoai_policy.h"
#include "azoai_pii.h"
#include "azoai_body.h"
#include "azoai_usage.h"


#define NGX_HTTP_AZOAI_ENFORCE        0
#define NGX_HTTP_AZOAI_REPORT         1

#define NGX_HTTP_AZOAI_ACTION_UNSET   -1

#define NGX_HTTP_AZOAI_DECISION_NONE         0
#define NGX_HTTP_AZOAI_DECISION_ALLOW        1
#define NGX_HTTP_AZOAI_DECISION_DENY         2
#define NGX_HTTP_AZOAI_DECISION_REPORT_DENY  3

#define NGX_HTTP_AZOAI_REQUEST_ID_LEN 32


/*
 * The module's error.log lines go without the connection's log handler:
 * it would append the request line, and its query may carry a realtime
 * api-key.  The request id joins such a line to the access log.
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


typedef struct ngx_http_azoai_metrics_s  ngx_http_azoai_metrics_t;


typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   regex;
    u_char                     *file;     /* where it was defined */
    ngx_uint_t                  line;
} ngx_http_azoai_pattern_t;


typedef struct {
    ngx_str_t                   type;      /* "" for the default action */
    ngx_uint_t                  action;    /* azoai_pii_action_e */
    u_char                     *file;     /* where it was set */
    ngx_uint_t                  line;
} ngx_http_azoai_action_t;


typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   model;
    ngx_str_t                   version;
} ngx_http_azoai_dep_line_t;


typedef struct {
    ngx_str_t                   path;
    azoai_catalog_t            *catalog;
} ngx_http_azoai_cached_catalog_t;


typedef struct {
    azoai_catalog_t            *builtin;   /* the compiled-in table */
    ngx_array_t                 catalogs;  /* ngx_http_azoai_cached_... */
    ngx_shm_zone_t             *metrics_zone;
} ngx_http_azoai_main_conf_t;


typedef struct {
    ngx_flag_t                  enable;
    ngx_uint_t                  mode;
    ngx_uint_t                  allow_preview_api;
    ngx_uint_t                  allow_unknown;
    ngx_uint_t                  pass_invalid_body;
    ngx_flag_t                  audit_headers;
    size_t                      max_body_size;

    /* catalog: the file, azoai_deployment lines, and the result */
    ngx_str_t                   catalog_file;
    ngx_array_t                *deployments;  /* ngx_http_azoai_dep_line_t */
    azoai_catalog_t            *catalog;

    /* PII */
    ngx_flag_t                  pii;
    ngx_array_t                *pii_types;    /* ngx_str_t, lower-case */
    u_char                     *types_file;   /* where pii_types was set */
    ngx_uint_t                  types_line;
    ngx_array_t                *pii_actions;  /* ngx_http_azoai_action_t */
    ngx_array_t                *pii_patterns; /* ngx_http_azoai_pattern_t */
    ngx_str_t                   pii_hash_key_file;
    ngx_str_t                   pii_hash_key;
    azoai_pii_engine_t         *engine;

    ngx_flag_t                  metrics;      /* azoai_metrics; here */

    u_char                     *conf_file;    /* where azoai_pii was set */
    ngx_uint_t                  conf_line;
} ngx_http_azoai_loc_conf_t;


typedef struct {
    u_char                      request_id[NGX_HTTP_AZOAI_REQUEST_ID_LEN];

    ngx_uint_t                  decision;     /* NGX_HTTP_AZOAI_DECISION_* */
    azoai_route_t               route;
    azoai_request_t             req;

    /*
     * The body as received, for the digest: contiguous, or, once a copy
     * was masked in place, the buffers it was gathered from
     */
    ngx_str_t                   body;
    ngx_chain_t                *body_chain;
    ngx_uint_t                  body_seen;

    /* PII found (counted in report mode too) */
    ngx_uint_t                  pii_count;
    uint32_t                    pii_counts[AZOAI_PII_MAX_TYPES];
    uint64_t                    pii_types;
    const azoai_pii_engine_t   *engine;

    azoai_usage_t               usage;
    unsigned                    usage_on:1;

    unsigned                    judged:1;     /* decision made */
    unsigned                    reading_body:1;
    unsigned                    masked:1;
    unsigned                    counted:1;    /* metrics recorded */
    ngx_int_t                   phase_rc;     /* what the handler returns */

    /* last: its message buffer is not cleared (ngx_http_azoai_create_ctx) */
    azoai_decision_t            verdict;
} ngx_http_azoai_ctx_t;


/* ngx_http_azoai_module.c */
extern ngx_module_t  ngx_http_azoai_module;

/* ngx_http_azoai_ctx.c */
ngx_http_azoai_ctx_t *ngx_http_azoai_get_ctx(ngx_http_request_t *r);
ngx_http_azoai_ctx_t *ngx_http_azoai_create_ctx(ngx_http_request_t *r);
azoai_alloc_t *ngx_http_azoai_allocator(ngx_http_request_t *r);

/* ngx_http_azoai_handler.c */
ngx_int_t ngx_http_azoai_handler(ngx_http_request_t *r);

/* ngx_http_azoai_deny.c */
ngx_int_t ngx_http_azoai_send_error(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);

/* ngx_http_azoai_body.c */
ngx_int_t ngx_http_azoai_process_body(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);

/* ngx_http_azoai_headers.c */
ngx_int_t ngx_http_azoai_set_upstream_headers(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx);
ngx_int_t ngx_http_azoai_filter_init(ngx_conf_t *cf);
u_char *ngx_http_azoai_format_uint(u_char *p, ngx_uint_t n);
ngx_table_elt_t *ngx_http_azoai_next_header(ngx_list_part_t **part,
    ngx_uint_t *i);

/* ngx_http_azoai_variables.c */
ngx_int_t ngx_http_azoai_add_variables(ngx_conf_t *cf);
const char *ngx_http_azoai_decision_name(ngx_uint_t decision);

/* ngx_http_azoai_conf.c */
char *ngx_http_azoai_merge_catalog(ngx_conf_t *cf,
    ngx_http_azoai_loc_conf_t *prev, ngx_http_azoai_loc_conf_t *conf);
char *ngx_http_azoai_merge_pii(ngx_conf_t *cf,
    ngx_http_azoai_loc_conf_t *prev, ngx_http_azoai_loc_conf_t *conf);
azoai_catalog_t *ngx_http_azoai_catalog_keep(ngx_conf_t *cf,
    azoai_catalog_t *c);

/* ngx_http_azoai_metrics.c */
char *ngx_http_azoai_metrics_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_azoai_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_azoai_log_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_AZOAI_MODULE_H_INCLUDED_ */
