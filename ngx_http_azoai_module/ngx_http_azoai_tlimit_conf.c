/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_token_limit_zone and azoai_token_limit: the zones' parameters,
 * their shared memory (kept across reloads, as limit_req_zone does), and
 * the list of zones a location counts against.
 */


#include "ngx_http_azoai_tlimit.h"


/* smallest zone: room for the tree and a few hundred keys */
#define NGX_HTTP_AZOAI_TLIMIT_MIN_PAGES   8


static char *ngx_http_azoai_tlimit_add_zone(ngx_conf_t *cf,
    ngx_http_azoai_main_conf_t *amcf, ngx_http_azoai_tlimit_zone_t *zone,
    ssize_t size);
static ngx_int_t ngx_http_azoai_tlimit_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static char *ngx_http_azoai_tlimit_zone_arg(ngx_conf_t *cf, ngx_str_t *arg,
    ngx_str_t *name, ssize_t *size);
static char *ngx_http_azoai_tlimit_number(ngx_conf_t *cf, ngx_str_t *arg,
    size_t skip, int64_t *n);


/* the tag of the module's token zones, apart from its metrics zone */
static ngx_uint_t  ngx_http_azoai_tlimit_tag;


char *
ngx_http_azoai_token_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char                              *rv;
    ssize_t                            size;
    ngx_str_t                         *value, name;
    ngx_uint_t                         i;
    ngx_http_azoai_main_conf_t        *amcf = conf;
    ngx_http_azoai_tlimit_zone_t      *zone;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_azoai_tlimit_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = &zone->key;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    size = 0;
    ngx_str_null(&name);

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            rv = ngx_http_azoai_tlimit_zone_arg(cf, &value[i], &name, &size);

        } else if (ngx_strncmp(value[i].data, "tokens_per_minute=", 18)
                   == 0)
        {
            rv = ngx_http_azoai_tlimit_number(cf, &value[i], 18,
                                              &zone->budget.per_minute);

        } else if (ngx_strncmp(value[i].data, "tokens_per_day=", 15) == 0) {
            rv = ngx_http_azoai_tlimit_number(cf, &value[i], 15,
                                              &zone->budget.per_day);

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"zone\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (zone->budget.per_minute == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"tokens_per_minute\" "
                           "parameter", &cmd->name);
        return NGX_CONF_ERROR;
    }

    zone->name = name;

    return ngx_http_azoai_tlimit_add_zone(cf, amcf, zone, size);
}


static char *
ngx_http_azoai_tlimit_add_zone(ngx_conf_t *cf,
    ngx_http_azoai_main_conf_t *amcf, ngx_http_azoai_tlimit_zone_t *zone,
    ssize_t size)
{
    ngx_shm_zone_t  *shm_zone, **zp;

    shm_zone = ngx_shared_memory_add(cf, &zone->name, size,
                                     &ngx_http_azoai_tlimit_tag);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_token_limit_zone \"%V\" is already "
                           "declared", &zone->name);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_azoai_tlimit_init_zone;
    shm_zone->data = zone;

    if (amcf->tlimit_zones == NULL) {
        amcf->tlimit_zones = ngx_array_create(cf->pool, 2,
                                              sizeof(ngx_shm_zone_t *));
        if (amcf->tlimit_zones == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    zp = ngx_array_push(amcf->tlimit_zones);
    if (zp == NULL) {
        return NGX_CONF_ERROR;
    }

    *zp = shm_zone;

    return NGX_CONF_OK;
}


/* zone=NAME:SIZE */

static char *
ngx_http_azoai_tlimit_zone_arg(ngx_conf_t *cf, ngx_str_t *arg,
    ngx_str_t *name, ssize_t *size)
{
    u_char     *p;
    ngx_str_t   s;

    name->data = arg->data + 5;

    p = (u_char *) ngx_strchr(name->data, ':');

    if (p == NULL || p == name->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\"", arg);
        return NGX_CONF_ERROR;
    }

    name->len = p - name->data;

    s.data = p + 1;
    s.len = arg->data + arg->len - s.data;

    *size = ngx_parse_size(&s);

    if (*size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", arg);
        return NGX_CONF_ERROR;
    }

    if (*size < (ssize_t) (NGX_HTTP_AZOAI_TLIMIT_MIN_PAGES * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", arg);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* NAME=N, 1 to AZOAI_TLIMIT_MAX */

static char *
ngx_http_azoai_tlimit_number(ngx_conf_t *cf, ngx_str_t *arg, size_t skip,
    int64_t *n)
{
    off_t  v;

    v = ngx_atoof(arg->data + skip, arg->len - skip);

    if (v <= 0 || v > AZOAI_TLIMIT_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": a whole number of tokens "
                           "from 1 to %L", arg, (int64_t) AZOAI_TLIMIT_MAX);
        return NGX_CONF_ERROR;
    }

    *n = v;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_azoai_tlimit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    size_t                         len;
    ngx_uint_t                     pages;
    ngx_http_azoai_tlimit_sh_t    *sh;
    ngx_http_azoai_tlimit_zone_t  *ozone = data;
    ngx_http_azoai_tlimit_zone_t  *zone;

    zone = shm_zone->data;

    if (ozone) {
        /* a reload: the budgets counted so far go on */
        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;
        return NGX_OK;
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        zone->sh = zone->shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_calloc(zone->shpool, sizeof(ngx_http_azoai_tlimit_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    len = sizeof(" in azoai_token_limit_zone \"\"") + shm_zone->shm.name.len;

    zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, len);
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx, " in azoai_token_limit_zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* the rest of the zone, less a page for the slab's own needs */

    pages = zone->shpool->pfree - 1;

    sh->nbuckets = pages * ngx_pagesize
                   / (NGX_HTTP_AZOAI_TLIMIT_WAYS
                      * sizeof(ngx_http_azoai_tlimit_slot_t));

    sh->slots = ngx_slab_calloc(zone->shpool,
                                sh->nbuckets * NGX_HTTP_AZOAI_TLIMIT_WAYS
                                * sizeof(ngx_http_azoai_tlimit_slot_t));
    if (sh->slots == NULL) {
        return NGX_ERROR;
    }

    zone->sh = sh;
    zone->shpool->data = sh;

    return NGX_OK;
}


/* azoai_token_limit zone=NAME; repeatable */

char *
ngx_http_azoai_token_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t                  *value, name;
    ngx_uint_t                  i;
    ngx_shm_zone_t             *shm_zone, **zp;
    ngx_http_azoai_loc_conf_t  *alcf = conf;

    value = cf->args->elts;

    if (ngx_strncmp(value[1].data, "zone=", 5) != 0 || value[1].len == 5) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data + 5;
    name.len = value[1].len - 5;

    shm_zone = ngx_shared_memory_add(cf, &name, 0,
                                     &ngx_http_azoai_tlimit_tag);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (alcf->token_limits == NGX_CONF_UNSET_PTR) {
        alcf->token_limits = ngx_array_create(cf->pool, 2,
                                              sizeof(ngx_shm_zone_t *));
        if (alcf->token_limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    zp = alcf->token_limits->elts;

    for (i = 0; i < alcf->token_limits->nelts; i++) {
        if (zp[i] == shm_zone) {
            return "is duplicate";
        }
    }

    zp = ngx_array_push(alcf->token_limits);
    if (zp == NULL) {
        return NGX_CONF_ERROR;
    }

    *zp = shm_zone;

    return NGX_CONF_OK;
}
