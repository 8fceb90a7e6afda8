/*
 * Copyright (C) ngx_http_azoai_module authors
 */


#include <string.h>

#include "azoai_pct.h"
#include "azoai_route.h"
#include "azoai_route_query.h"


static void azoai_route_query_count(azoai_str_t *value, unsigned *n,
    const u_char *v, size_t vlen);
static int azoai_api_version_is_date(const u_char *v, size_t len);
static int azoai_equal_ci(const u_char *s, size_t len, const char *lower);


void
azoai_route_query_parse(const u_char *args, size_t len,
    azoai_route_query_t *q)
{
    size_t         klen, vlen;
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

        if (klen == 0) {
            continue;
        }

        if (azoai_pct_equal_ci(key, klen, 1, "api-version")) {
            azoai_route_query_count(&q->api_version, &q->n_api_version,
                                    v, vlen);

        } else if (azoai_pct_equal_ci(key, klen, 1, "deployment")) {
            azoai_route_query_count(&q->deployment, &q->n_deployment,
                                    v, vlen);

        } else if (azoai_pct_equal_ci(key, klen, 1, "model")) {
            azoai_route_query_count(&q->model, &q->n_model, v, vlen);
        }
    }
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
    if (len == 0) {
        return 0;
    }

    if (azoai_equal_ci(v, len, "v1")) {
        return 0;
    }

    if (len == 10 && azoai_api_version_is_date(v, len)) {
        return 0;
    }

    /*
     * "preview", "latest" (whatever is newest, preview included),
     * YYYY-MM-DD-preview, and every format Azure does not document
     */

    return 1;
}


static int
azoai_api_version_is_date(const u_char *v, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (i == 4 || i == 7) {
            if (v[i] != '-') {
                return 0;
            }

        } else if (v[i] < '0' || v[i] > '9') {
            return 0;
        }
    }

    return 1;
}


static int
azoai_equal_ci(const u_char *s, size_t len, const char *lower)
{
    size_t  i;
    u_char  c;

    for (i = 0; i < len; i++) {
        if (lower[i] == '\0') {
            return 0;
        }

        c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (u_char) lower[i]) {
            return 0;
        }
    }

    return lower[len] == '\0';
}
