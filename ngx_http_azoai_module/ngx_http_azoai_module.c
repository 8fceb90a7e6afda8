/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Module definition: the directive table, configuration create and merge
 * (each concern merges its own part), the phase handlers, filters and
 * variables it registers, and the per-worker state it sets up.
 */


#include "ngx_http_azoai_module.h"

#include "azoai_policy.h"
#include "azoai_store.h"


static void *ngx_http_azoai_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_azoai_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_azoai_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_azoai_merge_policy(ngx_conf_t *cf,
    ngx_http_azoai_loc_conf_t *prev, ngx_http_azoai_loc_conf_t *conf);
static ngx_int_t ngx_http_azoai_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_azoai_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_azoai_init_process(ngx_cycle_t *cycle);
static void ngx_http_azoai_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_azoai_modes[] = {
    { ngx_string("enforce"), NGX_HTTP_AZOAI_ENFORCE },
    { ngx_string("report"), NGX_HTTP_AZOAI_REPORT },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_azoai_allow_deny[] = {
    { ngx_string("deny"), 0 },
    { ngx_string("allow"), 1 },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_azoai_deny_pass[] = {
    { ngx_string("deny"), 0 },
    { ngx_string("pass"), 1 },
    { ngx_null_string, 0 }
};


#define NGX_HTTP_AZOAI_CONF                                                  \
    (NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF)


static ngx_command_t  ngx_http_azoai_commands[] = {

    { ngx_string("azoai"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, enable),
      NULL },

    { ngx_string("azoai_mode"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, mode),
      &ngx_http_azoai_modes },

    { ngx_string("azoai_catalog"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_http_azoai_catalog,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("azoai_deployment"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE3,
      ngx_http_azoai_deployment,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("azoai_preview_api"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, allow_preview_api),
      &ngx_http_azoai_allow_deny },

    { ngx_string("azoai_unknown_deployment"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, allow_unknown),
      &ngx_http_azoai_allow_deny },

    { ngx_string("azoai_pii"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_FLAG,
      ngx_http_azoai_pii,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, pii.enable),
      NULL },

    { ngx_string("azoai_pii_types"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_1MORE,
      ngx_http_azoai_pii_types,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("azoai_pii_action"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE12,
      ngx_http_azoai_pii_action,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("azoai_pii_pattern"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE2,
      ngx_http_azoai_pii_pattern,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("azoai_pii_hash_key"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_http_azoai_pii_hash_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("azoai_max_body_size"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_http_azoai_max_body_size,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, max_body_size),
      NULL },

    { ngx_string("azoai_invalid_body"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, pass_invalid_body),
      &ngx_http_azoai_deny_pass },

    { ngx_string("azoai_pii_opaque"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, pass_opaque),
      &ngx_http_azoai_deny_pass },

    { ngx_string("azoai_pii_restore"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, pii_restore),
      NULL },

    { ngx_string("azoai_pii_response"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, pii_response),
      NULL },

    { ngx_string("azoai_audit_headers"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, audit_headers),
      NULL },

    { ngx_string("azoai_metrics_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_azoai_metrics_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("azoai_token_limit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_azoai_token_limit_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("azoai_token_limit"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_http_azoai_token_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("azoai_allow_deployments"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_1MORE,
      ngx_http_azoai_allow_deployments,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("azoai_store"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, store),
      ngx_http_azoai_store_modes },

    { ngx_string("azoai_retirement_notice"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, retirement_notice),
      NULL },

    { ngx_string("azoai_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_azoai_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_azoai_module_ctx = {
    ngx_http_azoai_preconfiguration,       /* preconfiguration */
    ngx_http_azoai_postconfiguration,      /* postconfiguration */

    ngx_http_azoai_create_main_conf,       /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_azoai_create_loc_conf,        /* create location configuration */
    ngx_http_azoai_merge_loc_conf          /* merge location configuration */
};


ngx_module_t  ngx_http_azoai_module = {
    NGX_MODULE_V1,
    &ngx_http_azoai_module_ctx,            /* module context */
    ngx_http_azoai_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_azoai_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_azoai_exit_process,           /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_azoai_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_azoai_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_azoai_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->metrics_zone = NULL;
     *     amcf->tlimit_zones = NULL;
     */

    if (ngx_http_azoai_init_catalogs(cf, amcf) != NGX_OK) {
        return NULL;
    }

    return amcf;
}


static void *
ngx_http_azoai_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_azoai_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_azoai_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->catalog.file = { 0, NULL };
     *     conf->catalog.deployments = NULL;
     *     conf->catalog.catalog = NULL;
     *     conf->policy = NULL;
     *     conf->metrics = 0;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->allow_preview_api = NGX_CONF_UNSET_UINT;
    conf->allow_unknown = NGX_CONF_UNSET_UINT;
    conf->pass_invalid_body = NGX_CONF_UNSET_UINT;
    conf->pass_opaque = NGX_CONF_UNSET_UINT;
    conf->max_body_size = NGX_CONF_UNSET_SIZE;
    conf->audit_headers = NGX_CONF_UNSET;
    conf->pii_restore = NGX_CONF_UNSET;
    conf->pii_response = NGX_CONF_UNSET;
    conf->token_limits = NGX_CONF_UNSET_PTR;
    conf->allow_deployments = NGX_CONF_UNSET_PTR;
    conf->store = NGX_CONF_UNSET_UINT;
    conf->retirement_notice = NGX_CONF_UNSET;

    ngx_http_azoai_init_pii_conf(&conf->pii);

    return conf;
}


static char *
ngx_http_azoai_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_azoai_loc_conf_t *prev = parent;
    ngx_http_azoai_loc_conf_t *conf = child;

    ngx_http_azoai_main_conf_t  *amcf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_AZOAI_ENFORCE);
    ngx_conf_merge_uint_value(conf->allow_preview_api,
                              prev->allow_preview_api, 0);
    ngx_conf_merge_uint_value(conf->allow_unknown, prev->allow_unknown, 0);
    ngx_conf_merge_uint_value(conf->pass_invalid_body,
                              prev->pass_invalid_body, 0);
    ngx_conf_merge_uint_value(conf->pass_opaque, prev->pass_opaque, 0);
    ngx_conf_merge_size_value(conf->max_body_size, prev->max_body_size,
                              NGX_HTTP_AZOAI_MAX_BODY_SIZE);
    ngx_conf_merge_value(conf->audit_headers, prev->audit_headers, 1);
    ngx_conf_merge_value(conf->pii_restore, prev->pii_restore, 0);
    ngx_conf_merge_value(conf->pii_response, prev->pii_response, 0);

    if (conf->pii_restore || conf->pii_response) {
        amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_azoai_module);
        amcf->response_filters = 1;
    }

    /* like limit_req: inherited only where a level sets none */
    ngx_conf_merge_ptr_value(conf->token_limits, prev->token_limits, NULL);
    ngx_conf_merge_ptr_value(conf->allow_deployments,
                             prev->allow_deployments, NULL);
    ngx_conf_merge_uint_value(conf->store, prev->store,
                              AZOAI_STORE_ALLOW);
    ngx_conf_merge_sec_value(conf->retirement_notice,
                             prev->retirement_notice,
                             NGX_HTTP_AZOAI_RETIREMENT_NOTICE);

    if (ngx_http_azoai_merge_catalog(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_azoai_merge_policy(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_http_azoai_retire_warn(cf, conf);

    return ngx_http_azoai_merge_pii(cf, &prev->pii, &conf->pii);
}


/* the core's view of the GA settings, shared while nothing differs */

static char *
ngx_http_azoai_merge_policy(ngx_conf_t *cf, ngx_http_azoai_loc_conf_t *prev,
    ngx_http_azoai_loc_conf_t *conf)
{
    azoai_policy_conf_t  *pc;

    pc = prev->policy;

    if (pc
        && pc->catalog == conf->catalog.catalog
        && pc->allow_preview_api == (conf->allow_preview_api != 0)
        && pc->allow_unknown == (conf->allow_unknown != 0))
    {
        conf->policy = pc;
        return NGX_CONF_OK;
    }

    pc = ngx_palloc(cf->pool, sizeof(azoai_policy_conf_t));
    if (pc == NULL) {
        return NGX_CONF_ERROR;
    }

    pc->catalog = conf->catalog.catalog;
    pc->now = ngx_http_azoai_now;
    pc->allow_preview_api = (conf->allow_preview_api != 0);
    pc->allow_unknown = (conf->allow_unknown != 0);

    conf->policy = pc;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_azoai_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_azoai_add_variables(cf);
}


static ngx_int_t
ngx_http_azoai_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt         *h;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_azoai_main_conf_t  *amcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_azoai_module);

    /*
     * PRECONTENT: after rewrites and access control (so unauthenticated
     * clients never make us read a body), before proxy_pass and mirror.
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_azoai_handler;

    /*
     * The log phase counts requests into the metrics zone: without
     * azoai_metrics_zone (an http{} directive, parsed by now) it would
     * be a call per request, every server's, that returns at once
     */

    if (amcf->metrics_zone != NULL) {
        h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        *h = ngx_http_azoai_log_handler;
    }

    if (ngx_http_azoai_upstream_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_azoai_filter_init(cf);
}


static ngx_int_t
ngx_http_azoai_init_process(ngx_cycle_t *cycle)
{
    return ngx_http_azoai_request_id_init(cycle);
}


static void
ngx_http_azoai_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_azoai_request_id_exit(cycle);
    ngx_http_azoai_big_exit();
    ngx_http_azoai_ctx_exit();
}
