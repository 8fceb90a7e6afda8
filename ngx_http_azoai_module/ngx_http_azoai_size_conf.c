/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_max_body_size: a size with a k, m or g suffix.  NGINX's size slot
 * knows k and m only, and file uploads make 1g a natural limit.  The
 * value must fit in an off_t (ngx_parse_offset) and in a size_t, as the
 * size slot requires.
 */


#include "ngx_http_azoai_module.h"


char *
ngx_http_azoai_max_body_size(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    off_t       size;
    size_t     *sp;
    ngx_str_t  *value;

    sp = (size_t *) (p + cmd->offset);

    if (*sp != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_offset(&value[1]);

    if (size == NGX_ERROR || (uint64_t) size > NGX_MAX_SIZE_T_VALUE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive, "
                           "it must be a size in bytes with an optional "
                           "k, m or g suffix, such as 512k, 8m or 1g",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    *sp = (size_t) size;

    return NGX_CONF_OK;
}
