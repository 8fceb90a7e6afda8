/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Module definition: directives, configuration create and merge, and the
 * registration of the phase handler, filters and variables.
 */


#include "ngx_http_azoai_module.h"


static void *ngx_http_azoai_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_azoai_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_azoai_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_azoai_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_azoai_postconfiguration(ngx_conf_t *cf);

static char *ngx_http_azoai_catalog(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_azoai_deployment(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_azoai_pii(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_azoai_pii_types(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_azoai_pii_action(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_azoai_pii_pattern(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_azoai_pii_hash_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_azoai_parse_action(ngx_str_t *value);


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
      offsetof(ngx_http_azoai_loc_conf_t, pii),
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
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, max_body_size),
      NULL },

    { ngx_string("azoai_invalid_body"),
      NGX_HTTP_AZOAI_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_azoai_loc_conf_t, pass_invalid_body),
      &ngx_http_azoai_deny_pass },

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
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_azoai_create_main_conf(ngx_conf_t *cf)
{
    char                         err[256];
    ngx_http_azoai_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_azoai_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    err[0] = '\0';

    amcf->builtin = ngx_http_azoai_catalog_keep(cf,
                        azoai_catalog_create_builtin(err, sizeof(err)));
    if (amcf->builtin == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai: built-in catalog: %s", err);
        return NULL;
    }

    if (ngx_array_init(&amcf->catalogs, cf->pool, 2,
                       sizeof(ngx_http_azoai_cached_catalog_t))
        != NGX_OK)
    {
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
     *     conf->catalog_file = { 0, NULL };
     *     conf->deployments = NULL;
     *     conf->catalog = NULL;
     *     conf->pii_actions = NULL;
     *     conf->pii_patterns = NULL;
     *     conf->pii_hash_key = { 0, NULL };
     *     conf->engine = NULL;
     *     conf->metrics = 0;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->allow_preview_api = NGX_CONF_UNSET_UINT;
    conf->allow_unknown = NGX_CONF_UNSET_UINT;
    conf->pass_invalid_body = NGX_CONF_UNSET_UINT;
    conf->audit_headers = NGX_CONF_UNSET;
    conf->max_body_size = NGX_CONF_UNSET_SIZE;
    conf->pii = NGX_CONF_UNSET;
    conf->pii_types = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_azoai_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_azoai_loc_conf_t *prev = parent;
    ngx_http_azoai_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_AZOAI_ENFORCE);
    ngx_conf_merge_uint_value(conf->allow_preview_api,
                              prev->allow_preview_api, 0);
    ngx_conf_merge_uint_value(conf->allow_unknown, prev->allow_unknown, 0);
    ngx_conf_merge_uint_value(conf->pass_invalid_body,
                              prev->pass_invalid_body, 0);
    ngx_conf_merge_value(conf->audit_headers, prev->audit_headers, 1);
    ngx_conf_merge_size_value(conf->max_body_size, prev->max_body_size,
                              8 * 1024 * 1024);

    if (ngx_http_azoai_merge_catalog(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_azoai_merge_pii(cf, prev, conf);
}


static ngx_int_t
ngx_http_azoai_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_azoai_add_variables(cf);
}


static ngx_int_t
ngx_http_azoai_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /*
     * PRECONTENT: after rewrites and access control (so unauthenticated
     * clients never make us read a body), before proxy_pass and mirror.
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_azoai_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_azoai_log_handler;

    return ngx_http_azoai_filter_init(cf);
}


static char *
ngx_http_azoai_catalog(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    char                             err[256];
    ngx_str_t                       *value, path;
    ngx_uint_t                       i;
    azoai_catalog_t                 *catalog;
    ngx_http_azoai_main_conf_t      *amcf;
    ngx_http_azoai_cached_catalog_t *cached;

    if (alcf->catalog_file.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    alcf->catalog_file = path;

    /* each file is read and checked once, here, so nginx -t names it */

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_azoai_module);

    cached = amcf->catalogs.elts;
    for (i = 0; i < amcf->catalogs.nelts; i++) {
        if (cached[i].path.len == path.len
            && ngx_strncmp(cached[i].path.data, path.data, path.len) == 0)
        {
            return NGX_CONF_OK;
        }
    }

    /* the file is merged on top of the built-in lifecycle table */

    catalog = ngx_http_azoai_catalog_keep(cf,
                  azoai_catalog_clone(amcf->builtin));
    if (catalog == NULL) {
        return NGX_CONF_ERROR;
    }

    if (azoai_catalog_load_file(catalog, (char *) path.data, err,
                                sizeof(err))
        != AZOAI_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_catalog \"%V\": %s", &path, err);
        return NGX_CONF_ERROR;
    }

    cached = ngx_array_push(&amcf->catalogs);
    if (cached == NULL) {
        return NGX_CONF_ERROR;
    }

    cached->path = path;
    cached->catalog = catalog;

    return NGX_CONF_OK;
}


static char *
ngx_http_azoai_deployment(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_str_t                  *value;
    ngx_uint_t                  i;
    ngx_http_azoai_dep_line_t  *line;

    value = cf->args->elts;

    for (i = 1; i < 4; i++) {
        if (!azoai_name_valid(value[i].data, value[i].len)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid azoai_deployment argument \"%V\": "
                               "use letters, digits, \".\", \"_\" or "
                               "\"-\", %d characters at most",
                               &value[i], AZOAI_NAME_MAX);
            return NGX_CONF_ERROR;
        }
    }

    if (alcf->deployments == NULL) {
        alcf->deployments = ngx_array_create(cf->pool, 4,
                                        sizeof(ngx_http_azoai_dep_line_t));
        if (alcf->deployments == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    line = ngx_array_push(alcf->deployments);
    if (line == NULL) {
        return NGX_CONF_ERROR;
    }

    line->name = value[1];
    line->model = value[2];
    line->version = value[3];

    return NGX_CONF_OK;
}


static char *
ngx_http_azoai_pii(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    char  *rv;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    alcf->conf_file = cf->conf_file->file.name.data;
    alcf->conf_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


static char *
ngx_http_azoai_pii_types(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_str_t   *value, *type;
    ngx_uint_t   i;

    if (alcf->pii_types != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    alcf->pii_types = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                       sizeof(ngx_str_t));
    if (alcf->pii_types == NULL) {
        return NGX_CONF_ERROR;
    }

    alcf->types_file = cf->conf_file->file.name.data;
    alcf->types_line = cf->conf_file->line;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        type = ngx_array_push(alcf->pii_types);
        if (type == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_strlow(value[i].data, value[i].data, value[i].len);
        *type = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_azoai_pii_action(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_int_t                 action;
    ngx_str_t                *value;
    ngx_http_azoai_action_t  *a;

    value = cf->args->elts;

    action = ngx_http_azoai_parse_action(&value[cf->args->nelts - 1]);
    if (action == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid azoai_pii_action \"%V\": use mask, "
                           "hash, partial or block",
                           &value[cf->args->nelts - 1]);
        return NGX_CONF_ERROR;
    }

    if (alcf->pii_actions == NULL) {
        alcf->pii_actions = ngx_array_create(cf->pool, 4,
                                          sizeof(ngx_http_azoai_action_t));
        if (alcf->pii_actions == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    a = ngx_array_push(alcf->pii_actions);
    if (a == NULL) {
        return NGX_CONF_ERROR;
    }

    a->action = action;
    a->file = cf->conf_file->file.name.data;
    a->line = cf->conf_file->line;
    ngx_str_null(&a->type);

    if (cf->args->nelts == 3) {
        ngx_strlow(value[1].data, value[1].data, value[1].len);
        a->type = value[1];
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_azoai_pii_pattern(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_str_t                 *value;
    ngx_uint_t                 i;
    ngx_http_azoai_pattern_t  *p;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 32) {
        goto invalid;
    }

    for (i = 0; i < value[1].len; i++) {
        u_char  c = value[1].data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            goto invalid;
        }
    }

    if (azoai_pii_builtin_by_name(value[1].data, value[1].len) >= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_pii_pattern \"%V\" has the name of a "
                           "built-in detector", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (value[2].len == 0) {
        return "needs a non-empty regular expression";
    }

    if (alcf->pii_patterns == NULL) {
        alcf->pii_patterns = ngx_array_create(cf->pool, 4,
                                         sizeof(ngx_http_azoai_pattern_t));
        if (alcf->pii_patterns == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    p = alcf->pii_patterns->elts;
    for (i = 0; i < alcf->pii_patterns->nelts; i++) {
        if (p[i].name.len == value[1].len
            && ngx_strncmp(p[i].name.data, value[1].data, value[1].len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate azoai_pii_pattern \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    p = ngx_array_push(alcf->pii_patterns);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    p->name = value[1];
    p->regex = value[2];
    p->file = cf->conf_file->file.name.data;
    p->line = cf->conf_file->line;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid azoai_pii_pattern name \"%V\": use 1 to 32 "
                       "lower-case letters, digits or \"_\"", &value[1]);
    return NGX_CONF_ERROR;
}


static char *
ngx_http_azoai_pii_hash_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    u_char           *key;
    size_t            len;
    ssize_t           n;
    ngx_str_t        *value, path;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    if (alcf->pii_hash_key.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = path;
    file.log = cf->log;

    file.fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &path);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &path);
        goto failed;
    }

    len = ngx_file_size(&fi);

    if (len > 4096) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_pii_hash_key \"%V\" is larger than 4096 "
                           "bytes", &path);
        goto failed;
    }

    key = ngx_pnalloc(cf->pool, len + 1);
    if (key == NULL) {
        goto failed;
    }

    n = ngx_read_file(&file, key, len, 0);
    if (n == NGX_ERROR || (size_t) n != len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read azoai_pii_hash_key \"%V\"", &path);
        goto failed;
    }

    /* a trailing newline from "openssl rand -hex 32 > key" is not key */

    while (len && (key[len - 1] == '\n' || key[len - 1] == '\r')) {
        len--;
    }

    if (len < 16) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_pii_hash_key \"%V\" must hold at least 16 "
                           "bytes of key", &path);
        goto failed;
    }

    ngx_close_file(file.fd);

    alcf->pii_hash_key.data = key;
    alcf->pii_hash_key.len = len;
    alcf->pii_hash_key_file = path;

    return NGX_CONF_OK;

failed:

    ngx_close_file(file.fd);
    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_azoai_parse_action(ngx_str_t *value)
{
    if (ngx_strcmp(value->data, "mask") == 0) {
        return AZOAI_PII_ACTION_MASK;
    }

    if (ngx_strcmp(value->data, "hash") == 0) {
        return AZOAI_PII_ACTION_HASH;
    }

    if (ngx_strcmp(value->data, "partial") == 0) {
        return AZOAI_PII_ACTION_PARTIAL;
    }

    if (ngx_strcmp(value->data, "block") == 0) {
        return AZOAI_PII_ACTION_BLOCK;
    }

    return NGX_ERROR;
}
