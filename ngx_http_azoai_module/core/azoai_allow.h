/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Per-consumer deployments (azoai_allow_deployments): a list of patterns,
 * the directive's expansion for one request, that every deployment the
 * request names must match.
 *
 *     list    = *( SP / HTAB ) [ pattern *( 1*( SP / HTAB ) pattern ) ]
 *     pattern = 1*64( ALPHA / DIGIT / "." / "_" / "-" / "*" )
 *
 * '*' matches any run of name bytes, the empty run included; the other
 * bytes match themselves ignoring ASCII case, as Azure and the catalog
 * compare deployment names.  Only a name of the grammar of azoai_name.h
 * can match; a pattern with any other byte matches nothing (a variable may
 * expand to anything).  An empty list allows nothing.
 */

#ifndef _AZOAI_ALLOW_H_INCLUDED_
#define _AZOAI_ALLOW_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_route.h"
#include "azoai_policy.h"


/* 1 if p is a pattern of the grammar above, else 0 */
int azoai_allow_pattern_valid(const u_char *p, size_t len);

/* 1 if name matches the glob pattern, else 0 */
int azoai_allow_match(const u_char *pattern, size_t plen, const u_char *name,
    size_t nlen);

/* 1 if name matches a pattern of the list, else 0 */
int azoai_allow_list_match(const u_char *list, size_t len,
    const u_char *name, size_t nlen);

/*
 * checks one name the request carries against allow (NULL: no
 * restriction); denies d with DeploymentNotAllowed if it matches no
 * pattern.  Does nothing if d already denies (the first denial stands) or
 * the name is empty (the policy judges that).
 */
void azoai_allow_check(const azoai_str_t *allow, const u_char *name,
    size_t len, const char *where, azoai_decision_t *d);

/*
 * azoai_allow_check() over the names of the request line and headers:
 * the path or query deployment and the x-ms-spillover-deployment and
 * x-ms-oai-image-generation-deployment headers; routes not under /openai
 * are not judged
 */
void azoai_allow_check_route(const azoai_str_t *allow,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d);


#endif /* _AZOAI_ALLOW_H_INCLUDED_ */
