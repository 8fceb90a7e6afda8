/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * PII settings: azoai_pii, azoai_pii_types, azoai_pii_action and
 * azoai_pii_pattern (azoai_pii_hash_key reads its file in
 * ngx_http_azoai_pii_key.c), and the merge that builds each level's
 * engine once, at configuration time.  A level that sets nothing of its
 * own shares its parent's engine.
 */


#include "ngx_http_azoai_module.h"

#include "azoai_pii.h"


/* azoai_pii_pattern names: 1 to 32 of [a-z0-9_] */
#define NGX_HTTP_AZOAI_PATTERN_NAME_MAX  32

/* room for the core's error text about a pattern or the engine */
#define NGX_HTTP_AZOAI_PII_ERR_LEN       512

/* room for the list of built-in type names in a message */
#define NGX_HTTP_AZOAI_PII_NAMES_LEN     512

#define NGX_HTTP_AZOAI_ACTION_UNSET      -1


typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   regex;
    u_char                     *file;      /* where it was defined */
    ngx_uint_t                  line;
} ngx_http_azoai_pii_pattern_t;


typedef struct {
    ngx_str_t                   type;      /* "" for the default action */
    ngx_uint_t                  action;    /* azoai_pii_action_e */
    u_char                     *file;      /* where it was set */
    ngx_uint_t                  line;
} ngx_http_azoai_pii_action_t;


static ngx_conf_enum_t  ngx_http_azoai_pii_actions[] = {
    { ngx_string("mask"), AZOAI_PII_ACTION_MASK },
    { ngx_string("hash"), AZOAI_PII_ACTION_HASH },
    { ngx_string("partial"), AZOAI_PII_ACTION_PARTIAL },
    { ngx_string("block"), AZOAI_PII_ACTION_BLOCK },
    { ngx_string("pseudonym"), AZOAI_PII_ACTION_PSEUDONYM },
    { ngx_null_string, 0 }
};


static ngx_int_t ngx_http_azoai_parse_action(ngx_str_t *value);
static ngx_int_t ngx_http_azoai_valid_pattern_name(ngx_str_t *name);
static ngx_uint_t ngx_http_azoai_pseudonym_like(ngx_str_t *name);
static ngx_int_t ngx_http_azoai_pattern_defined(ngx_array_t *patterns,
    ngx_str_t *name);
static char *ngx_http_azoai_merge_list(ngx_conf_t *cf, ngx_array_t **conf,
    ngx_array_t *prev);
static char *ngx_http_azoai_merge_pii_lists(ngx_conf_t *cf,
    ngx_http_azoai_pii_conf_t *prev, ngx_http_azoai_pii_conf_t *conf);
static azoai_pii_engine_t *ngx_http_azoai_create_engine(ngx_conf_t *cf);
static char *ngx_http_azoai_check_type(ngx_conf_t *cf,
    ngx_http_azoai_pii_conf_t *conf, azoai_pii_engine_t *e, ngx_str_t *type,
    const char *directive, u_char *file, ngx_uint_t line);
static char *ngx_http_azoai_check_types(ngx_conf_t *cf,
    ngx_http_azoai_pii_conf_t *conf, azoai_pii_engine_t *e);
static ngx_int_t ngx_http_azoai_type_on(ngx_http_azoai_pii_conf_t *conf,
    ngx_str_t *name, ngx_int_t builtin, ngx_int_t dflt, ngx_int_t *action);
static ngx_int_t ngx_http_azoai_action_for(ngx_array_t *actions,
    ngx_str_t *type, ngx_int_t builtin);
static char *ngx_http_azoai_enable_builtins(ngx_conf_t *cf,
    ngx_http_azoai_pii_conf_t *conf, azoai_pii_engine_t *e, ngx_int_t dflt);
static char *ngx_http_azoai_add_patterns(ngx_conf_t *cf,
    ngx_http_azoai_pii_conf_t *conf, azoai_pii_engine_t *e, ngx_int_t dflt);
static ngx_uint_t ngx_http_azoai_overridden(ngx_array_t *patterns,
    ngx_uint_t i);
static void ngx_http_azoai_engine_cleanup(void *data);


char *
ngx_http_azoai_pii(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    char  *rv;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    alcf->pii.file = cf->conf_file->file.name.data;
    alcf->pii.line = cf->conf_file->line;

    return NGX_CONF_OK;
}


char *
ngx_http_azoai_pii_types(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_str_t   *value, *type;
    ngx_uint_t   i;

    if (alcf->pii.types != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    alcf->pii.types = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                       sizeof(ngx_str_t));
    if (alcf->pii.types == NULL) {
        return NGX_CONF_ERROR;
    }

    alcf->pii.types_file = cf->conf_file->file.name.data;
    alcf->pii.types_line = cf->conf_file->line;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        type = ngx_array_push(alcf->pii.types);
        if (type == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_strlow(value[i].data, value[i].data, value[i].len);
        *type = value[i];
    }

    return NGX_CONF_OK;
}


char *
ngx_http_azoai_pii_action(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_int_t                     action;
    ngx_str_t                    *value;
    ngx_http_azoai_pii_action_t  *a;

    value = cf->args->elts;

    action = ngx_http_azoai_parse_action(&value[cf->args->nelts - 1]);
    if (action == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid azoai_pii_action \"%V\": use mask, "
                           "hash, partial, pseudonym or block",
                           &value[cf->args->nelts - 1]);
        return NGX_CONF_ERROR;
    }

    if (alcf->pii.actions == NULL) {
        alcf->pii.actions = ngx_array_create(cf->pool, 4,
                                       sizeof(ngx_http_azoai_pii_action_t));
        if (alcf->pii.actions == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    a = ngx_array_push(alcf->pii.actions);
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


char *
ngx_http_azoai_pii_pattern(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_str_t                     *value;
    ngx_http_azoai_pii_pattern_t  *p;

    value = cf->args->elts;

    if (ngx_http_azoai_valid_pattern_name(&value[1]) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid azoai_pii_pattern name \"%V\": use 1 to "
                           "%d lower-case letters, digits or \"_\"",
                           &value[1], NGX_HTTP_AZOAI_PATTERN_NAME_MAX);
        return NGX_CONF_ERROR;
    }

    if (azoai_pii_builtin_by_name(value[1].data, value[1].len) >= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_pii_pattern \"%V\" has the name of a "
                           "built-in detector", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_azoai_pseudonym_like(&value[1])) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_pii_pattern \"%V\": a name cannot end "
                           "in \"_\" and digits, its tag would read as a "
                           "pseudonym", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (value[2].len == 0) {
        return "needs a non-empty regular expression";
    }

    if (alcf->pii.patterns == NULL) {
        alcf->pii.patterns = ngx_array_create(cf->pool, 4,
                                      sizeof(ngx_http_azoai_pii_pattern_t));
        if (alcf->pii.patterns == NULL) {
            return NGX_CONF_ERROR;
        }

    } else if (ngx_http_azoai_pattern_defined(alcf->pii.patterns, &value[1])) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate azoai_pii_pattern \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    p = ngx_array_push(alcf->pii.patterns);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    p->name = value[1];
    p->regex = value[2];
    p->file = cf->conf_file->file.name.data;
    p->line = cf->conf_file->line;

    return NGX_CONF_OK;
}


void
ngx_http_azoai_init_pii_conf(ngx_http_azoai_pii_conf_t *conf)
{
    /*
     * set by ngx_pcalloc() with the location configuration:
     *
     *     conf->actions = NULL;
     *     conf->patterns = NULL;
     *     conf->hash_key = { 0, NULL };
     *     conf->hash_key_file = { 0, NULL };
     *     conf->engine = NULL;
     *     conf->pseudonym = 0;
     *     conf->file = NULL;
     *     conf->types_file = NULL;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->types = NGX_CONF_UNSET_PTR;
}


char *
ngx_http_azoai_merge_pii(ngx_conf_t *cf, ngx_http_azoai_pii_conf_t *prev,
    ngx_http_azoai_pii_conf_t *conf)
{
    ngx_int_t            dflt;
    ngx_uint_t           own, t;
    azoai_pii_engine_t  *e;
    char                 err[NGX_HTTP_AZOAI_PII_ERR_LEN];

    own = (conf->types != NGX_CONF_UNSET_PTR
           || conf->actions != NULL
           || conf->patterns != NULL
           || conf->hash_key.data != NULL);

    if (ngx_http_azoai_merge_pii_lists(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    if (!own && prev->engine) {
        conf->engine = prev->engine;
        conf->pseudonym = prev->pseudonym;
        return NGX_CONF_OK;
    }

    e = ngx_http_azoai_create_engine(cf);
    if (e == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_azoai_check_types(cf, conf, e) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    dflt = ngx_http_azoai_action_for(conf->actions, NULL, -1);
    if (dflt == NGX_HTTP_AZOAI_ACTION_UNSET) {
        dflt = AZOAI_PII_ACTION_MASK;
    }

    if (ngx_http_azoai_enable_builtins(cf, conf, e, dflt) != NGX_CONF_OK
        || ngx_http_azoai_add_patterns(cf, conf, e, dflt) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->hash_key.len
        && azoai_pii_engine_set_hash_key(e, conf->hash_key.data,
                                         conf->hash_key.len)
           != AZOAI_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (azoai_pii_engine_finalize(e, err, sizeof(err)) != AZOAI_OK) {
        if (conf->file) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "azoai_pii: %s (see azoai_pii_action and "
                          "azoai_pii_hash_key; azoai_pii in %s:%ui)",
                          err, conf->file, conf->line);
        } else {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0, "azoai_pii: %s", err);
        }

        return NGX_CONF_ERROR;
    }

    conf->engine = e;

    /* a request whose values are all masked mints no pseudonyms */

    for (t = 0; t < azoai_pii_type_count(e) && t < 64; t++) {
        if (azoai_pii_type_action(e, t) == AZOAI_PII_ACTION_PSEUDONYM) {
            conf->pseudonym |= (uint64_t) 1 << t;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_azoai_merge_pii_lists(ngx_conf_t *cf,
    ngx_http_azoai_pii_conf_t *prev, ngx_http_azoai_pii_conf_t *conf)
{
    ngx_conf_merge_value(conf->enable, prev->enable, 0);

    if (conf->types == NGX_CONF_UNSET_PTR) {
        conf->types_file = prev->types_file;
        conf->types_line = prev->types_line;
    }

    ngx_conf_merge_ptr_value(conf->types, prev->types, NULL);
    ngx_conf_merge_str_value(conf->hash_key, prev->hash_key, "");
    ngx_conf_merge_str_value(conf->hash_key_file, prev->hash_key_file, "");

    if (conf->file == NULL) {
        conf->file = prev->file;
        conf->line = prev->line;
    }

    if (ngx_http_azoai_merge_list(cf, &conf->actions, prev->actions)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    return ngx_http_azoai_merge_list(cf, &conf->patterns, prev->patterns);
}


/* inherited lines first, so that the lower level's own override them */

static char *
ngx_http_azoai_merge_list(ngx_conf_t *cf, ngx_array_t **conf,
    ngx_array_t *prev)
{
    if (*conf == NULL) {
        *conf = prev;
        return NGX_CONF_OK;
    }

    if (prev == NULL) {
        return NGX_CONF_OK;
    }

    *conf = ngx_http_azoai_concat(cf, prev, *conf);

    return *conf ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static azoai_pii_engine_t *
ngx_http_azoai_create_engine(ngx_conf_t *cf)
{
    azoai_pii_engine_t  *e;
    ngx_pool_cleanup_t  *cln;

    e = azoai_pii_engine_create();
    if (e == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        azoai_pii_engine_free(e);
        return NULL;
    }

    cln->handler = ngx_http_azoai_engine_cleanup;
    cln->data = e;

    return e;
}


/*
 * Every name in azoai_pii_types and azoai_pii_action must exist.  Merge
 * runs after the whole file was read: messages name the directive's own
 * line, not the end of the http block (ngx_log_error, not
 * ngx_conf_log_error).
 */

static char *
ngx_http_azoai_check_types(ngx_conf_t *cf, ngx_http_azoai_pii_conf_t *conf,
    azoai_pii_engine_t *e)
{
    ngx_str_t                    *t;
    ngx_uint_t                    i;
    ngx_http_azoai_pii_action_t  *a;

    if (conf->types) {
        t = conf->types->elts;

        for (i = 0; i < conf->types->nelts; i++) {
            if (azoai_pii_group_by_name(t[i].data, t[i].len)) {
                continue;
            }

            if (ngx_http_azoai_check_type(cf, conf, e, &t[i],
                                          "azoai_pii_types",
                                          conf->types_file,
                                          conf->types_line)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }
        }
    }

    if (conf->actions) {
        a = conf->actions->elts;

        for (i = 0; i < conf->actions->nelts; i++) {
            if (a[i].type.len
                && !azoai_pii_group_by_name(a[i].type.data, a[i].type.len)
                && ngx_http_azoai_check_type(cf, conf, e, &a[i].type,
                                             "azoai_pii_action", a[i].file,
                                             a[i].line)
                   != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_azoai_check_type(ngx_conf_t *cf, ngx_http_azoai_pii_conf_t *conf,
    azoai_pii_engine_t *e, ngx_str_t *type, const char *directive,
    u_char *file, ngx_uint_t line)
{
    u_char      *p, *last;
    ngx_uint_t   t;
    u_char       names[NGX_HTTP_AZOAI_PII_NAMES_LEN];

    if (azoai_pii_builtin_by_name(type->data, type->len) >= 0
        || (conf->patterns
            && ngx_http_azoai_pattern_defined(conf->patterns, type)))
    {
        return NGX_CONF_OK;
    }

    p = names;
    last = names + sizeof(names);

    for (t = 0; t < AZOAI_PII_BUILTIN_N; t++) {
        p = ngx_slprintf(p, last, "%s%s", t ? ", " : "",
                         azoai_pii_type_name(e, t));
    }

    p = ngx_slprintf(p, last, "; groups:");

    for (t = 0; azoai_pii_group_name(t); t++) {
        p = ngx_slprintf(p, last, "%s %s", t ? "," : "",
                         azoai_pii_group_name(t));
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "%s: unknown PII type \"%V\" (built-in: %*s; or an "
                  "azoai_pii_pattern name) in %s:%ui",
                  directive, type, (size_t) (p - names), names, file, line);

    return NGX_CONF_ERROR;
}


/*
 * whether a type is on at this level, and with which action; builtin is
 * its built-in id, which groups name too, or -1 for a pattern
 */

static ngx_int_t
ngx_http_azoai_type_on(ngx_http_azoai_pii_conf_t *conf, ngx_str_t *name,
    ngx_int_t builtin, ngx_int_t dflt, ngx_int_t *action)
{
    ngx_str_t   *t;
    ngx_uint_t   i;

    if (conf->types) {
        t = conf->types->elts;

        for (i = 0; i < conf->types->nelts; i++) {
            if (t[i].len == name->len
                && ngx_strncmp(t[i].data, name->data, name->len) == 0)
            {
                break;
            }

            if (builtin >= 0
                && (azoai_pii_group_by_name(t[i].data, t[i].len)
                    & (1u << builtin)))
            {
                break;
            }
        }

        if (i == conf->types->nelts) {
            return 0;
        }
    }

    *action = ngx_http_azoai_action_for(conf->actions, name, builtin);
    if (*action == NGX_HTTP_AZOAI_ACTION_UNSET) {
        *action = dflt;
    }

    return 1;
}


/*
 * The last matching line wins (inherited lines come first); a line naming
 * the type itself wins over one naming a group it is in (builtin: its
 * built-in id, -1 for a pattern).
 */

static ngx_int_t
ngx_http_azoai_action_for(ngx_array_t *actions, ngx_str_t *type,
    ngx_int_t builtin)
{
    ngx_int_t                     action, group_action;
    ngx_uint_t                    i;
    ngx_http_azoai_pii_action_t  *a;

    action = NGX_HTTP_AZOAI_ACTION_UNSET;
    group_action = NGX_HTTP_AZOAI_ACTION_UNSET;

    if (actions == NULL) {
        return action;
    }

    a = actions->elts;

    for (i = 0; i < actions->nelts; i++) {
        if (type == NULL) {
            if (a[i].type.len == 0) {
                action = a[i].action;
            }

            continue;
        }

        if (a[i].type.len == type->len
            && ngx_strncmp(a[i].type.data, type->data, type->len) == 0)
        {
            action = a[i].action;

        } else if (builtin >= 0 && a[i].type.len
                   && (azoai_pii_group_by_name(a[i].type.data,
                                               a[i].type.len)
                       & (1u << builtin)))
        {
            group_action = a[i].action;
        }
    }

    return (action != NGX_HTTP_AZOAI_ACTION_UNSET) ? action : group_action;
}


static char *
ngx_http_azoai_enable_builtins(ngx_conf_t *cf,
    ngx_http_azoai_pii_conf_t *conf, azoai_pii_engine_t *e, ngx_int_t dflt)
{
    ngx_int_t   action;
    ngx_str_t   name;
    ngx_uint_t  t;

    for (t = 0; t < AZOAI_PII_BUILTIN_N; t++) {
        name.data = (u_char *) azoai_pii_type_name(e, t);
        name.len = ngx_strlen(name.data);

        if (!ngx_http_azoai_type_on(conf, &name, (ngx_int_t) t, dflt,
                                    &action))
        {
            continue;
        }

        if (azoai_pii_engine_enable(e, t, action) != AZOAI_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_azoai_add_patterns(ngx_conf_t *cf, ngx_http_azoai_pii_conf_t *conf,
    azoai_pii_engine_t *e, ngx_int_t dflt)
{
    ngx_int_t                      action;
    ngx_uint_t                     i;
    ngx_http_azoai_pii_pattern_t  *p;
    char                           err[NGX_HTTP_AZOAI_PII_ERR_LEN];

    if (conf->patterns == NULL) {
        return NGX_CONF_OK;
    }

    p = conf->patterns->elts;

    for (i = 0; i < conf->patterns->nelts; i++) {

        if (ngx_http_azoai_overridden(conf->patterns, i)
            || !ngx_http_azoai_type_on(conf, &p[i].name, -1, dflt,
                                       &action))
        {
            continue;
        }

        /* the name is NUL-terminated: it came from the parser */

        if (azoai_pii_engine_add_pattern(e, (char *) p[i].name.data,
                                         p[i].regex.data, p[i].regex.len,
                                         action, err, sizeof(err))
            < 0)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "azoai_pii_pattern \"%V\": %s in %s:%ui",
                          &p[i].name, err, p[i].file, p[i].line);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_azoai_parse_action(ngx_str_t *value)
{
    ngx_conf_enum_t  *a;

    for (a = ngx_http_azoai_pii_actions; a->name.len; a++) {
        if (a->name.len == value->len
            && ngx_strncmp(a->name.data, value->data, value->len) == 0)
        {
            return a->value;
        }
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_azoai_valid_pattern_name(ngx_str_t *name)
{
    u_char      c;
    ngx_uint_t  i;

    if (name->len == 0 || name->len > NGX_HTTP_AZOAI_PATTERN_NAME_MAX) {
        return NGX_ERROR;
    }

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * "emp_1" would be masked as "[EMP_1]", the pseudonym token of a type
 * "emp" (or of a built-in type: "email_2"), which the restore would put
 * a value of this request in place of
 */

static ngx_uint_t
ngx_http_azoai_pseudonym_like(ngx_str_t *name)
{
    ngx_uint_t  i;

    for (i = name->len; i > 0; i--) {
        if (name->data[i - 1] < '0' || name->data[i - 1] > '9') {
            break;
        }
    }

    return i > 0 && i < name->len && name->data[i - 1] == '_';
}


static ngx_int_t
ngx_http_azoai_pattern_defined(ngx_array_t *patterns, ngx_str_t *name)
{
    ngx_uint_t                     i;
    ngx_http_azoai_pii_pattern_t  *p;

    p = patterns->elts;

    for (i = 0; i < patterns->nelts; i++) {
        if (p[i].name.len == name->len
            && ngx_strncmp(p[i].name.data, name->data, name->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* a pattern redefined further down the list (a lower level) is skipped */

static ngx_uint_t
ngx_http_azoai_overridden(ngx_array_t *patterns, ngx_uint_t i)
{
    ngx_uint_t                     j;
    ngx_http_azoai_pii_pattern_t  *p;

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
ngx_http_azoai_engine_cleanup(void *data)
{
    azoai_pii_engine_free(data);
}
