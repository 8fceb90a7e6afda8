/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The query parameters the classifier cares about, found in the raw query
 * string.  Keys are compared percent-decoded and ignoring case, the way
 * Azure reads them; values stay raw (decode them with azoai_pct).
 */

#ifndef _AZOAI_ROUTE_QUERY_H_INCLUDED_
#define _AZOAI_ROUTE_QUERY_H_INCLUDED_


#include "azoai_core.h"


typedef struct {
    azoai_str_t      api_version;      /* raw value of the first one */
    azoai_str_t      deployment;
    azoai_str_t      model;
    unsigned         n_api_version;    /* how many times, at most 2 */
    unsigned         n_deployment;
    unsigned         n_model;
} azoai_route_query_t;


void azoai_route_query_parse(const u_char *args, size_t len,
    azoai_route_query_t *q);
static inline int azoai_api_version_is_date(const u_char *v);


#define azoai_route_digit(c)  ((u_char) ((c) - '0') <= 9)


/* YYYY-MM-DD at v, which has 10 bytes */

static inline int
azoai_api_version_is_date(const u_char *v)
{
    /* unrolled: a loop over the digit positions was half the check */

    return v[4] == '-' && v[7] == '-'
           && azoai_route_digit(v[0]) && azoai_route_digit(v[1])
           && azoai_route_digit(v[2]) && azoai_route_digit(v[3])
           && azoai_route_digit(v[5]) && azoai_route_digit(v[6])
           && azoai_route_digit(v[8]) && azoai_route_digit(v[9]);
}


#endif /* _AZOAI_ROUTE_QUERY_H_INCLUDED_ */
