/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Configuration merge: the effective catalog and the PII engine of each
 * level, built once at configuration time and shared by the levels below
 * that set nothing of their own.
 */


#include "ngx_http_azoai_module.h"


static azoai_catalog_t *ngx_http_azoai_cached_catalog(ngx_conf_t *cf,
    ngx_str_t *path);
static ngx_array_t *ngx_http_azoai_concat(ngx_conf_t *cf, ngx_array_t *a,
    ngx_array_t *b);
static ngx_int_t ngx_http_azoai_type_listed(ngx_array_t *types,
    const u_char *name, size_t len);
static ngx_int_t ngx_http_azoai_action_for(ngx_array_t *actions,
    const u_char *name, size_t len);
static char *ngx_http_azoai_check_type_names(ngx_conf_t *cf,
    ngx_http_azoai_loc_conf_t *conf);
static ngx_uint_t ngx_http_azoai_overridden(ngx_array_t *patterns,
    ngx_uint_t i);
static void ngx_http_azoai_engine_cleanup(void *data);
static void ngx_http_azoai_catalog_cleanup(void *data);


char *
ngx_http_azoai_merge_catalog(ngx_conf_t *cf, ngx_http_azoai_loc_conf_t *prev,
    ngx_http_azoai_loc_conf_t *conf)
{
    ngx_uint_t                   i, own;
    azoai_catalog_t             *base, *catalog;
    ngx_http_azoai_dep_line_t   *line;
    ngx_http_azoai_main_conf_t  *amcf;

    own = (conf->catalog_file.data != NULL || conf->deployments != NULL);

    ngx_conf_merge_str_value(conf->catalog_file, prev->catalog_file, "");

    if (conf->deployments == NULL) {
        conf->deployments = prev->deployments;

    } else if (prev->deployments) {
        /* inherited lines first, so that our own override them */
        conf->deployments = ngx_http_azoai_concat(cf, prev->deployments,
                                                  conf->deployments);
        if (conf->deployments == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (!own && prev->catalog) {
        conf->catalog = prev->catalog;
        return NGX_CONF_OK;
    }

    if (conf->catalog_file.len) {
        base = ngx_http_azoai_cached_catalog(cf, &conf->catalog_file);
        if (base == NULL) {
            return NGX_CONF_ERROR;
        }

    } else {
        amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_azoai_module);
        base = amcf->builtin;
    }

    if (conf->deployments == NULL) {
        conf->catalog = base;
        return NGX_CONF_OK;
    }

    catalog = ngx_http_azoai_catalog_keep(cf, azoai_catalog_clone(base));
    if (catalog == NULL) {
        return NGX_CONF_ERROR;
    }

    if (conf->deployments) {
        line = conf->deployments->elts;

        for (i = 0; i < conf->deployments->nelts; i++) {
            if (azoai_catalog_add_deployment(catalog,
                                             line[i].name.data,
                                             line[i].name.len,
                                             line[i].model.data,
                                             line[i].model.len,
                                             line[i].version.data,
                                             line[i].version.len)
                != AZOAI_OK)
            {
                return NGX_CONF_ERROR;
            }
        }
    }

    conf->catalog = catalog;

    return NGX_CONF_OK;
}


/*
 * c belongs to the configuration from now on: it is freed with the cycle's
 * pool (after a reload, with the old cycle).  On failure c is freed here.
 */

azoai_catalog_t *
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


char *
ngx_http_azoai_merge_pii(ngx_conf_t *cf, ngx_http_azoai_loc_conf_t *prev,
    ngx_http_azoai_loc_conf_t *conf)
{
    int                        type;
    char                       err[512];
    u_char                    *file;
    ngx_int_t                  action, dflt;
    ngx_uint_t                 i, own, line;
    ngx_str_t                 *name;
    ngx_pool_cleanup_t        *cln;
    azoai_pii_engine_t        *e;
    ngx_http_azoai_pattern_t  *p;

    own = (conf->pii_types != NGX_CONF_UNSET_PTR
           || conf->pii_actions != NULL
           || conf->pii_patterns != NULL
           || conf->pii_hash_key.data != NULL);

    ngx_conf_merge_value(conf->pii, prev->pii, 0);
    if (conf->pii_types == NGX_CONF_UNSET_PTR) {
        conf->types_file = prev->types_file;
        conf->types_line = prev->types_line;
    }

    ngx_conf_merge_ptr_value(conf->pii_types, prev->pii_types, NULL);
    ngx_conf_merge_str_value(conf->pii_hash_key, prev->pii_hash_key, "");
    ngx_conf_merge_str_value(conf->pii_hash_key_file,
                             prev->pii_hash_key_file, "");

    if (conf->conf_file == NULL) {
        conf->conf_file = prev->conf_file;
        conf->conf_line = prev->conf_line;
    }

    if (conf->pii_actions == NULL) {
        conf->pii_actions = prev->pii_actions;

    } else if (prev->pii_actions) {
        conf->pii_actions = ngx_http_azoai_concat(cf, prev->pii_actions,
                                                  conf->pii_actions);
        if (conf->pii_actions == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->pii_patterns == NULL) {
        conf->pii_patterns = prev->pii_patterns;

    } else if (prev->pii_patterns) {
        conf->pii_patterns = ngx_http_azoai_concat(cf, prev->pii_patterns,
                                                   conf->pii_patterns);
        if (conf->pii_patterns == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (!conf->pii) {
        return NGX_CONF_OK;
    }

    if (!own && prev->engine) {
        conf->engine = prev->engine;
        return NGX_CONF_OK;
    }

    if (ngx_http_azoai_check_type_names(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    e = azoai_pii_engine_create();
    if (e == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        azoai_pii_engine_free(e);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_azoai_engine_cleanup;
    cln->data = e;

    dflt = ngx_http_azoai_action_for(conf->pii_actions, NULL, 0);
    if (dflt == NGX_HTTP_AZOAI_ACTION_UNSET) {
        dflt = AZOAI_PII_ACTION_MASK;
    }

    file = conf->conf_file;
    line = conf->conf_line;

    for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
        const char  *tname = azoai_pii_type_name(e, type);

        if (conf->pii_types
            && ngx_http_azoai_type_listed(conf->pii_types,
                                          (u_char *) tname,
                                          ngx_strlen(tname))
               != NGX_OK)
        {
            continue;
        }

        action = ngx_http_azoai_action_for(conf->pii_actions,
                                           (u_char *) tname,
                                           ngx_strlen(tname));
        if (action == NGX_HTTP_AZOAI_ACTION_UNSET) {
            action = dflt;
        }

        if (azoai_pii_engine_enable(e, type, action) != AZOAI_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->pii_patterns) {
        p = conf->pii_patterns->elts;

        for (i = 0; i < conf->pii_patterns->nelts; i++) {

            if (conf->pii_types
                && ngx_http_azoai_type_listed(conf->pii_types,
                                              p[i].name.data, p[i].name.len)
                   != NGX_OK)
            {
                continue;
            }

            action = ngx_http_azoai_action_for(conf->pii_actions,
                                               p[i].name.data,
                                               p[i].name.len);
            if (action == NGX_HTTP_AZOAI_ACTION_UNSET) {
                action = dflt;
            }

            name = &p[i].name;

            if (ngx_http_azoai_overridden(conf->pii_patterns, i)) {
                continue;
            }

            if (azoai_pii_engine_add_pattern(e, (char *) name->data,
                                             p[i].regex.data, p[i].regex.len,
                                             action, err, sizeof(err))
                < 0)
            {
                ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                              "azoai_pii_pattern \"%V\": %s in %s:%ui",
                              name, err, p[i].file, p[i].line);
                return NGX_CONF_ERROR;
            }
        }
    }

    if (conf->pii_hash_key.len) {
        if (azoai_pii_engine_set_hash_key(e, conf->pii_hash_key.data,
                                          conf->pii_hash_key.len)
            != AZOAI_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (azoai_pii_engine_finalize(e, err, sizeof(err)) != AZOAI_OK) {
        if (file) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "azoai_pii: %s (see azoai_pii_action and "
                          "azoai_pii_hash_key; azoai_pii in %s:%ui)",
                          err, file, line);
        } else {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0, "azoai_pii: %s", err);
        }

        return NGX_CONF_ERROR;
    }

    conf->engine = e;

    return NGX_CONF_OK;
}


static azoai_catalog_t *
ngx_http_azoai_cached_catalog(ngx_conf_t *cf, ngx_str_t *path)
{
    ngx_uint_t                        i;
    ngx_http_azoai_main_conf_t       *amcf;
    ngx_http_azoai_cached_catalog_t  *cached;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_azoai_module);

    cached = amcf->catalogs.elts;
    for (i = 0; i < amcf->catalogs.nelts; i++) {
        if (cached[i].path.len == path->len
            && ngx_strncmp(cached[i].path.data, path->data, path->len) == 0)
        {
            return cached[i].catalog;
        }
    }

    /* cannot happen: azoai_catalog loads every file it is given */

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "azoai_catalog \"%V\" was not loaded", path);
    return NULL;
}


static ngx_array_t *
ngx_http_azoai_concat(ngx_conf_t *cf, ngx_array_t *a, ngx_array_t *b)
{
    ngx_array_t  *c;
    void         *p;

    c = ngx_array_create(cf->pool, a->nelts + b->nelts, a->size);
    if (c == NULL) {
        return NULL;
    }

    p = ngx_array_push_n(c, a->nelts + b->nelts);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, a->elts, a->nelts * a->size);
    ngx_memcpy((u_char *) p + a->nelts * a->size, b->elts,
               b->nelts * b->size);

    return c;
}


static ngx_int_t
ngx_http_azoai_type_listed(ngx_array_t *types, const u_char *name,
    size_t len)
{
    ngx_str_t   *t;
    ngx_uint_t   i;

    t = types->elts;
    for (i = 0; i < types->nelts; i++) {
        if (t[i].len == len && ngx_strncmp(t[i].data, name, len) == 0) {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/* the last matching line wins: inherited lines come first */

static ngx_int_t
ngx_http_azoai_action_for(ngx_array_t *actions, const u_char *name,
    size_t len)
{
    ngx_int_t                 action;
    ngx_uint_t                i;
    ngx_http_azoai_action_t  *a;

    action = NGX_HTTP_AZOAI_ACTION_UNSET;

    if (actions == NULL) {
        return action;
    }

    a = actions->elts;
    for (i = 0; i < actions->nelts; i++) {
        if (name == NULL) {
            if (a[i].type.len == 0) {
                action = a[i].action;
            }

            continue;
        }

        if (a[i].type.len == len
            && ngx_strncmp(a[i].type.data, name, len) == 0)
        {
            action = a[i].action;
        }
    }

    return action;
}


static char *
ngx_http_azoai_check_type_names(ngx_conf_t *cf,
    ngx_http_azoai_loc_conf_t *conf)
{
    u_char                    *file;
    ngx_str_t                 *t;
    ngx_uint_t                 i, j, k, n, line;
    ngx_array_t               *lists[2];
    ngx_http_azoai_action_t   *a;
    ngx_http_azoai_pattern_t  *p;

    lists[0] = conf->pii_types;
    lists[1] = conf->pii_actions;

    for (k = 0; k < 2; k++) {
        if (lists[k] == NULL) {
            continue;
        }

        for (i = 0; i < lists[k]->nelts; i++) {
            if (k == 0) {
                t = (ngx_str_t *) lists[k]->elts + i;
                file = conf->types_file;
                line = conf->types_line;

            } else {
                a = (ngx_http_azoai_action_t *) lists[k]->elts + i;
                t = &a->type;
                file = a->file;
                line = a->line;

                if (t->len == 0) {
                    continue;
                }
            }

            if (azoai_pii_builtin_by_name(t->data, t->len) >= 0) {
                continue;
            }

            n = 0;

            if (conf->pii_patterns) {
                p = conf->pii_patterns->elts;
                for (j = 0; j < conf->pii_patterns->nelts; j++) {
                    if (p[j].name.len == t->len
                        && ngx_strncmp(p[j].name.data, t->data, t->len) == 0)
                    {
                        n++;
                    }
                }
            }

            if (n == 0) {
                ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                              "%s: unknown PII type \"%V\" (built-in: "
                              "email, phone, credit_card, iban, us_ssn, "
                              "ipv4, ipv6; or an azoai_pii_pattern name) "
                              "in %s:%ui",
                              k == 0 ? "azoai_pii_types"
                                     : "azoai_pii_action", t, file, line);
                return NGX_CONF_ERROR;
            }
        }
    }

    return NGX_CONF_OK;
}


/* a pattern redefined further down the list (a lower level) is skipped */

static ngx_uint_t
ngx_http_azoai_overridden(ngx_array_t *patterns, ngx_uint_t i)
{
    ngx_uint_t                 j;
    ngx_http_azoai_pattern_t  *p;

    p = patterns->elts;

    for (j = i + 1; j < patterns->nelts; j++) {
        if (p[j].name.len == p[i].name.len
            && ngx_strncmp(p[j].name.data, p[i].name.data, p[i].name.len)
               == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_azoai_catalog_cleanup(void *data)
{
    azoai_catalog_free(data);
}


static void
ngx_http_azoai_engine_cleanup(void *data)
{
    azoai_pii_engine_free(data);
}
