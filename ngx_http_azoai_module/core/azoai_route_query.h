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


#endif /* _AZOAI_ROUTE_QUERY_H_INCLUDED_ */
