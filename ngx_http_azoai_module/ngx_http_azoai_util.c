/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Small helpers the glue files share: walking NGINX header lists, the
 * names of decisions, the type ids of a PII type set, and joining the
 * directive lists of two configuration levels.
 */


#include "ngx_http_azoai_module.h"

#include "azoai_ascii.h"
#include "azoai_policy.h"


ngx_str_t  ngx_http_azoai_decision_names[] = {
    ngx_null_string,                       /* NONE */
    ngx_string("allow"),
    ngx_string("deny"),
    ngx_string("report-deny")
};


/* the core's strings are laid out as NGINX's: a length, then the bytes */
typedef char  ngx_http_azoai_str_layout[
    (sizeof(azoai_str_t) == sizeof(ngx_str_t)
     && offsetof(azoai_str_t, len) == offsetof(ngx_str_t, len)
     && offsetof(azoai_str_t, data) == offsetof(ngx_str_t, data))
    ? 1 : -1];


/*
 * The contract's error code of a reason ("PreviewApiVersionBlocked"):
 * the core's static table, read-only
 */

ngx_str_t *
ngx_http_azoai_reason_code(ngx_uint_t reason)
{
    return (ngx_str_t *) azoai_reason_code_str(reason);
}


/*
 * The lowest type id in a set of PII type bits above after, or -1:
 *
 *     for (t = ngx_http_azoai_next_type(set, -1);
 *          t != -1;
 *          t = ngx_http_azoai_next_type(set, t))
 *     { ... }
 */

ngx_int_t
ngx_http_azoai_next_type(uint64_t types, ngx_int_t after)
{
    if (after >= 63) {
        return -1;
    }

    types &= ~(uint64_t) 0 << (after + 1);

    return types ? (ngx_int_t) __builtin_ctzll(types) : -1;
}


/* a new array with a's elements, then b's: inherited lines come first */

ngx_array_t *
ngx_http_azoai_concat(ngx_conf_t *cf, ngx_array_t *a, ngx_array_t *b)
{
    void         *p;
    ngx_array_t  *c;

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
