/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The query parameters the classifier cares about, found in the raw query
 * string.  Keys are compared percent-decoded and ignoring case, the way
 * Azure reads them; values stay raw (decode them with azoai_pct).
 */

#ifndef _AZOAI_ROUTE_QUERY_H_INCLUDED_
#define _AZOAI_ROUTE_QUERY_H_INCLUDED_


#include <stdint.h>
#include <string.h>

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


#define AZOAI_DATE_HIGH_BITS  0x8080808080808080ULL


/*
 * YYYY-MM-DD at v, which has 10 bytes.  The first 8 at once: XOR with
 * "0000-00-" leaves each digit 0-9 (and only a digit does) and each '-'
 * 0; no byte may then exceed its limit (9, or 0 at the dashes), which
 * one subtraction per byte tells, bytes >= 0x80 refused first so that
 * no byte borrows from the next.
 */

static inline int
azoai_api_version_is_date(const u_char *v)
{
    uint64_t  x, pattern, limit;

    memcpy(&x, v, sizeof(uint64_t));
    memcpy(&pattern, "0000-00-", sizeof(uint64_t));
    memcpy(&limit, "\x09\x09\x09\x09\x00\x09\x09\x00", sizeof(uint64_t));

    x ^= pattern;

    return (x & AZOAI_DATE_HIGH_BITS) == 0
           && (((limit | AZOAI_DATE_HIGH_BITS) - x) & AZOAI_DATE_HIGH_BITS)
              == AZOAI_DATE_HIGH_BITS
           && azoai_route_digit(v[8]) && azoai_route_digit(v[9]);
}


#endif /* _AZOAI_ROUTE_QUERY_H_INCLUDED_ */
