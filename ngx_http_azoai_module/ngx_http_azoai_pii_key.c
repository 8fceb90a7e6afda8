/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_pii_hash_key FILE: the HMAC-SHA256 key of the "hash" action,
 * read once at configuration time.  The key never reaches a log line.
 */


#include "ngx_http_azoai_module.h"


#define NGX_HTTP_AZOAI_KEY_MAX  4096   /* bytes of a key file */
#define NGX_HTTP_AZOAI_KEY_MIN  16     /* bytes of key in it */


static ngx_int_t ngx_http_azoai_read_key(ngx_conf_t *cf, ngx_file_t *file,
    ngx_str_t *key);


char *
ngx_http_azoai_pii_hash_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_azoai_loc_conf_t *alcf = conf;

    ngx_int_t    rc;
    ngx_str_t   *value, path, key;
    ngx_file_t   file;

    if (alcf->pii.hash_key.data) {
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

    rc = ngx_http_azoai_read_key(cf, &file, &key);

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed", &path);
    }

    if (rc != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    alcf->pii.hash_key = key;
    alcf->pii.hash_key_file = path;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_azoai_read_key(ngx_conf_t *cf, ngx_file_t *file, ngx_str_t *key)
{
    u_char           *data;
    size_t            len;
    ssize_t           n;
    ngx_file_info_t   fi;

    if (ngx_fd_info(file->fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &file->name);
        return NGX_ERROR;
    }

    len = ngx_file_size(&fi);

    if (len > NGX_HTTP_AZOAI_KEY_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_pii_hash_key \"%V\" is larger than %d "
                           "bytes", &file->name, NGX_HTTP_AZOAI_KEY_MAX);
        return NGX_ERROR;
    }

    data = ngx_pnalloc(cf->pool, len + 1);
    if (data == NULL) {
        return NGX_ERROR;
    }

    n = ngx_read_file(file, data, len, 0);
    if (n == NGX_ERROR || (size_t) n != len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read azoai_pii_hash_key \"%V\"",
                           &file->name);
        return NGX_ERROR;
    }

    /* a trailing newline from "openssl rand -hex 32 > key" is not key */

    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r')) {
        len--;
    }

    if (len < NGX_HTTP_AZOAI_KEY_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "azoai_pii_hash_key \"%V\" must hold at least %d "
                           "bytes of key", &file->name,
                           NGX_HTTP_AZOAI_KEY_MIN);
        return NGX_ERROR;
    }

    key->data = data;
    key->len = len;

    return NGX_OK;
}
