/*
 * Copyright (C) ngx_http_azoai_module authors
 */


#include <string.h>

#include "azoai_ascii.h"
#include "azoai_pct.h"
#include "azoai_route.h"
#include "azoai_route_query.h"


static azoai_str_t *azoai_route_query_slot(azoai_route_query_t *q,
    const u_char *key, size_t klen, unsigned **n);
static int azoai_route_query_key_is(const u_char *key, size_t klen,
    const char *lower, size_t len);
static void azoai_route_query_count(azoai_str_t *value, unsigned *n,
    const u_char *v, size_t vlen);


void
azoai_route_query_parse(const u_char *args, size_t len,
    azoai_route_query_t *q)
{
    size_t         klen, vlen;
    unsigned      *n;
    azoai_str_t   *slot;
    const u_char  *p, *end, *key, *eq, *amp, *v;

    memset(q, 0, sizeof(azoai_route_query_t));

    if (len == 0) {
        return;
    }

    p = args;
    end = args + len;

    while (p < end) {
        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        key = p;
        eq = memchr(p, '=', amp - p);

        if (eq == NULL) {
            klen = amp - p;
            v = amp;
            vlen = 0;

        } else {
            klen = eq - p;
            v = eq + 1;
            vlen = amp - v;
        }

        p = amp + 1;

        slot = azoai_route_query_slot(q, key, klen, &n);

        if (slot) {
            azoai_route_query_count(slot, n, v, vlen);
        }
    }
}


/* where the value of a key goes, or NULL for a key of no interest */

static azoai_str_t *
azoai_route_query_slot(azoai_route_query_t *q, const u_char *key,
    size_t klen, unsigned **n)
{
    if (azoai_route_query_key_is(key, klen, "api-version",
                                 sizeof("api-version") - 1))
    {
        *n = &q->n_api_version;
        return &q->api_version;
    }

    if (azoai_route_query_key_is(key, klen, "deployment",
                                 sizeof("deployment") - 1))
    {
        *n = &q->n_deployment;
        return &q->deployment;
    }

    if (azoai_route_query_key_is(key, klen, "model", sizeof("model") - 1)) {
        *n = &q->n_model;
        return &q->model;
    }

    return NULL;
}


/*
 * Decoding only shortens a key, and a key of the literal's own length
 * equals it decoded only if it holds no escape or '+' (the literals have
 * neither '%' nor ' '): so the byte compare decides that case, shorter
 * keys never match, and only longer ones need decoding.
 */

static int
azoai_route_query_key_is(const u_char *key, size_t klen, const char *lower,
    size_t len)
{
    if (klen < len) {
        return 0;
    }

    if (klen == len) {
        return memcmp(key, lower, len) == 0
               || azoai_ascii_eq_lower(key, (const u_char *) lower, len);
    }

    return azoai_pct_equal_ci(key, klen, 1, lower);
}


static void
azoai_route_query_count(azoai_str_t *value, unsigned *n, const u_char *v,
    size_t vlen)
{
    if (*n == 0) {
        value->data = v;
        value->len = vlen;
    }

    if (*n < 2) {
        (*n)++;
    }
}


int
azoai_api_version_is_preview(const u_char *v, size_t len)
{
    if (len == 10) {
        /* the common case first: YYYY-MM-DD */
        return !azoai_api_version_is_date(v);
    }

    if (len == 0
        || (len == 2 && azoai_ascii_eq_lower(v, (const u_char *) "v1", 2)))
    {
        return 0;
    }

    /*
     * "preview", "latest" (whatever is newest, preview included),
     * YYYY-MM-DD-preview, and every format Azure does not document
     */

    return 1;
}
