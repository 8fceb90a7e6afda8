/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Glob patterns of allowed deployments, matched per request.  Names are
 * at most AZOAI_NAME_MAX bytes and patterns the same, so the matcher's
 * backtracking (to the last '*' only) stays within 64 * 64 steps.
 */


#include "azoai_allow.h"
#include "azoai_ascii.h"
#include "azoai_name.h"


#define azoai_allow_space(c)  ((c) == ' ' || (c) == '\t')


static int azoai_allow_glob(const u_char *pattern, size_t plen,
    const u_char *name, size_t nlen);


int
azoai_allow_match(const u_char *pattern, size_t plen, const u_char *name,
    size_t nlen)
{
    return azoai_name_valid(name, nlen)
           && azoai_allow_pattern_valid(pattern, plen)
           && azoai_allow_glob(pattern, plen, name, nlen);
}


/* both valid: the name checked once per list, not once per pattern */

static int
azoai_allow_glob(const u_char *pattern, size_t plen, const u_char *name,
    size_t nlen)
{
    size_t  p, n, star, mark;

    p = 0;
    n = 0;
    star = plen;               /* no '*' seen yet */
    mark = 0;

    while (n < nlen) {
        if (p < plen && pattern[p] == '*') {
            star = p++;
            mark = n;

        } else if (p < plen
                   && azoai_ascii_lower(pattern[p])
                      == azoai_ascii_lower(name[n]))
        {
            p++;
            n++;

        } else if (star != plen) {
            /* the last '*' takes one byte more */
            p = star + 1;
            n = ++mark;

        } else {
            return 0;
        }
    }

    while (p < plen && pattern[p] == '*') {
        p++;
    }

    return p == plen;
}


/* the runs between stars are names: one grammar check per run */

int
azoai_allow_pattern_valid(const u_char *p, size_t len)
{
    size_t  i, start;

    if (p == NULL || len == 0 || len > AZOAI_NAME_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (p[i] == '*') {
            continue;
        }

        for (start = i; i < len && p[i] != '*'; i++) {
            /* void */
        }

        if (!azoai_name_valid(p + start, i - start)) {
            return 0;
        }
    }

    return 1;
}


int
azoai_allow_list_match(const u_char *list, size_t len, const u_char *name,
    size_t nlen)
{
    size_t  i, start;

    if (!azoai_name_valid(name, nlen)) {
        return 0;
    }

    i = 0;

    while (i < len) {
        while (i < len && azoai_allow_space(list[i])) {
            i++;
        }

        start = i;

        while (i < len && !azoai_allow_space(list[i])) {
            i++;
        }

        if (i > start
            && azoai_allow_pattern_valid(list + start, i - start)
            && azoai_allow_glob(list + start, i - start, name, nlen))
        {
            return 1;
        }
    }

    return 0;
}


void
azoai_allow_check(const azoai_str_t *allow, const u_char *name, size_t len,
    const char *where, azoai_decision_t *d)
{
    if (allow == NULL || d->reason != AZOAI_ALLOW || len == 0) {
        return;
    }

    if (azoai_allow_list_match(allow->data, allow->len, name, len)) {
        return;
    }

    if (azoai_name_printable(name, len)) {
        azoai_decision_deny(d, AZOAI_DEPLOYMENT_NOT_ALLOWED,
                            "deployment '%.*s' is not among the deployments"
                            " allowed for this request (from %s)",
                            (int) len, (const char *) name,
                            where ? where : "request");
        return;
    }

    azoai_decision_deny(d, AZOAI_DEPLOYMENT_NOT_ALLOWED,
                        "a deployment the request names is not among the"
                        " deployments allowed for this request (from %s)",
                        where ? where : "request");
}


void
azoai_allow_check_route(const azoai_str_t *allow,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d)
{
    if (allow == NULL || !route->azure) {
        return;
    }

    if (route->deployment_from == AZOAI_DEP_PATH
        || route->deployment_from == AZOAI_DEP_QUERY)
    {
        azoai_allow_check(allow, route->deployment.data,
                          route->deployment.len,
                          route->deployment_where ? route->deployment_where
                                                  : "path", d);
    }

    azoai_allow_check(allow, req->spillover.data, req->spillover.len,
                      "header x-ms-spillover-deployment", d);

    azoai_allow_check(allow, req->image_deployment.data,
                      req->image_deployment.len,
                      "header x-ms-oai-image-generation-deployment", d);
}
