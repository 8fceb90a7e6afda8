/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The catalog of models and deployments: the compiled-in lifecycle
 * table, azoai_catalog files (each read and checked once, at
 * configuration time, so that nginx -t names the file), azoai_deployment
 * lines, and the effective catalog of each level, shared by the levels
 * below it that add nothing of their own.
 */


#include "ngx_http_azoai_module.h"

#include "azoai_catalog.h"
#include "azoai_name.h"


/* room for the core's error text about a catalog */
#define NGX_HTTP_AZOAI_CATALOG_ERR_LEN  256


typedef struct {
    ngx_str_t                   path;
    azoai_catalog_t            *catalog;
} ngx_http_azoai_cached_catalog_t;


typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   model;
    ngx_str_t                   version;
} ngx_http_azoai_deployment_line_t;


static azoai_catalog_t *ngx_http_azoai_catalog_keep(ngx_conf_t *cf,
    azoai_catalog_t *c);
static azoai_catalog_t *ngx_http_azoai_cached_catalog(
    ngx_http_azoai_main_conf_t *amcf, ngx_str_t *path);
static azoai_catalog_t *ngx_http_azoai_load_catalog(ngx_conf_t *cf,
    ngx_http_azoai_main_conf_t *amcf, ngx_str_t *path);
static char *ngx_http_azoai_merge_deployments(ngx_conf_t *cf,
    ngx_http_azoai_catalog_conf_t *prev, ngx_http_azoai_catalog_conf_t *conf);
static void ngx_http_azoai_catalog_cleanup(void *data);


ngx_int_t
ngx_http_azoai_init_catalogs(ngx_conf_t *cf, ngx_http_azoai_main_conf_t *amcf)
{
    char  err[NGX_HTTP_AZOAI_CATALOG_ERR_LEN];

    err[0] = '\0';

    amcf->builtin = ngx_http_azoai_catalog_keep(cf,
                        azoai_catalog_create_builtin(err, sizeof(err)));
    if (amcf->builtin == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai: built-in catalog: %s", err);
        return NGX_ERROR;
    }

    return ngx_array_init(&amcf->catalogs, cf->pool, 2,
                          sizeof(ngx_http_azoai_cached_catalog_t));
}


char *
ngx_http_azoai_catalog(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_str_t                   *value, path;
    ngx_http_azoai_main_conf_t  *amcf;

    if (alcf->catalog.file.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    alcf->catalog.file = path;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_azoai_module);

    if (ngx_http_azoai_cached_catalog(amcf, &path)) {
        return NGX_CONF_OK;
    }

    if (ngx_http_azoai_load_catalog(cf, amcf, &path) == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_azoai_deployment(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_str_t                         *value;
    ngx_uint_t                         i;
    ngx_http_azoai_deployment_line_t  *line;

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

    if (alcf->catalog.deployments == NULL) {
        alcf->catalog.deployments = ngx_array_create(cf->pool, 4,
                                    sizeof(ngx_http_azoai_deployment_line_t));
        if (alcf->catalog.deployments == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    line = ngx_array_push(alcf->catalog.deployments);
    if (line == NULL) {
        return NGX_CONF_ERROR;
    }

    line->name = value[1];
    line->model = value[2];
    line->version = value[3];

    return NGX_CONF_OK;
}


/*
 * The catalog of a level: its own file, or the inherited one, or the
 * built-in table; with every azoai_deployment line down to this level
 * added on top, inherited lines first so that a lower level overrides.
 */

char *
ngx_http_azoai_merge_catalog(ngx_conf_t *cf, ngx_http_azoai_loc_conf_t *prev,
    ngx_http_azoai_loc_conf_t *conf)
{
    ngx_uint_t                         i, own;
    azoai_catalog_t                   *base, *catalog;
    ngx_http_azoai_main_conf_t        *amcf;
    ngx_http_azoai_deployment_line_t  *line;

    own = (conf->catalog.file.data != NULL
           || conf->catalog.deployments != NULL);

    ngx_conf_merge_str_value(conf->catalog.file, prev->catalog.file, "");

    if (ngx_http_azoai_merge_deployments(cf, &prev->catalog, &conf->catalog)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (!own && prev->catalog.catalog) {
        conf->catalog.catalog = prev->catalog.catalog;
        return NGX_CONF_OK;
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_azoai_module);

    if (conf->catalog.file.len) {
        base = ngx_http_azoai_cached_catalog(amcf, &conf->catalog.file);
        if (base == NULL) {
            /* cannot happen: azoai_catalog loads every file it is given */
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "azoai_catalog \"%V\" was not loaded",
                          &conf->catalog.file);
            return NGX_CONF_ERROR;
        }

    } else {
        base = amcf->builtin;
    }

    if (conf->catalog.deployments == NULL) {
        conf->catalog.catalog = base;
        return NGX_CONF_OK;
    }

    catalog = ngx_http_azoai_catalog_keep(cf, azoai_catalog_clone(base));
    if (catalog == NULL) {
        return NGX_CONF_ERROR;
    }

    line = conf->catalog.deployments->elts;

    for (i = 0; i < conf->catalog.deployments->nelts; i++) {
        if (azoai_catalog_add_deployment(catalog,
                                         line[i].name.data, line[i].name.len,
                                         line[i].model.data,
                                         line[i].model.len,
                                         line[i].version.data,
                                         line[i].version.len)
            != AZOAI_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    conf->catalog.catalog = catalog;

    return NGX_CONF_OK;
}


static char *
ngx_http_azoai_merge_deployments(ngx_conf_t *cf,
    ngx_http_azoai_catalog_conf_t *prev, ngx_http_azoai_catalog_conf_t *conf)
{
    if (conf->deployments == NULL) {
        conf->deployments = prev->deployments;
        return NGX_CONF_OK;
    }

    if (prev->deployments == NULL) {
        return NGX_CONF_OK;
    }

    conf->deployments = ngx_http_azoai_concat(cf, prev->deployments,
                                              conf->deployments);

    return conf->deployments ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static azoai_catalog_t *
ngx_http_azoai_cached_catalog(ngx_http_azoai_main_conf_t *amcf,
    ngx_str_t *path)
{
    ngx_uint_t                        i;
    ngx_http_azoai_cached_catalog_t  *cached;

    cached = amcf->catalogs.elts;

    for (i = 0; i < amcf->catalogs.nelts; i++) {
        if (cached[i].path.len == path->len
            && ngx_strncmp(cached[i].path.data, path->data, path->len) == 0)
        {
            return cached[i].catalog;
        }
    }

    return NULL;
}


/* a file is merged on top of the built-in lifecycle table */

static azoai_catalog_t *
ngx_http_azoai_load_catalog(ngx_conf_t *cf, ngx_http_azoai_main_conf_t *amcf,
    ngx_str_t *path)
{
    char                              err[NGX_HTTP_AZOAI_CATALOG_ERR_LEN];
    azoai_catalog_t                  *catalog;
    ngx_http_azoai_cached_catalog_t  *cached;

    catalog = ngx_http_azoai_catalog_keep(cf,
                  azoai_catalog_clone(amcf->builtin));
    if (catalog == NULL) {
        return NULL;
    }

    if (azoai_catalog_load_file(catalog, (char *) path->data, err,
                                sizeof(err))
        != AZOAI_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_catalog \"%V\": %s", path, err);
        return NULL;
    }

    cached = ngx_array_push(&amcf->catalogs);
    if (cached == NULL) {
        return NULL;
    }

    cached->path = *path;
    cached->catalog = catalog;

    return catalog;
}


/*
 * c belongs to the configuration from now on: it is freed with the cycle's
 * pool (after a reload, with the old cycle).  On failure c is freed here.
 */

static azoai_catalog_t *
ngx_http_azoai_catalog_keep(ngx_conf_t *cf, azoai_catalog_t *c)
{
    ngx_pool_cleanup_t  *cln;

    if (c == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        azoai_catalog_free(c);
        return NULL;
    }

    cln->handler = ngx_http_azoai_catalog_cleanup;
    cln->data = c;

    return c;
}


static void
ngx_http_azoai_catalog_cleanup(void *data)
{
    azoai_catalog_free(data);
}
