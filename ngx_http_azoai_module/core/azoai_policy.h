/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The GA decision: does a classified request (and its body's deployment
 * names) stay within Generally Available models and API features?
 */

#ifndef _AZOAI_POLICY_H_INCLUDED_
#define _AZOAI_POLICY_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_route.h"
#include "azoai_catalog.h"


/* reasons; the names are the error codes of the contract */
#define AZOAI_ALLOW                    0
#define AZOAI_PREVIEW_API_VERSION      1
#define AZOAI_PREVIEW_FEATURE          2
#define AZOAI_PREVIEW_MODEL            3
#define AZOAI_RETIRED_MODEL            4
#define AZOAI_UNKNOWN_DEPLOYMENT       5
#define AZOAI_AMBIGUOUS                6
#define AZOAI_INVALID_BODY             7
#define AZOAI_BODY_TOO_LARGE           8
#define AZOAI_PII_BLOCKED              9
#define AZOAI_INTERNAL_ERROR           10
#define AZOAI_TOKEN_LIMIT              11
#define AZOAI_REASON_N                 12


typedef struct azoai_policy_conf_s {
    const azoai_catalog_t  *catalog;
    unsigned                allow_preview_api:1;
    unsigned                allow_unknown:1;
} azoai_policy_conf_t;


typedef struct {
    unsigned         reason;           /* AZOAI_ALLOW or a reason */
    unsigned         status;           /* 200, 400, 403, 413, 429, 500 */

    /* what the decision was about, for variables; may be empty */
    azoai_str_t      deployment;
    azoai_str_t      model;
    azoai_str_t      model_version;

    /* human-readable, JSON-safe, never a PII value or credential */
    char             message[512];
} azoai_decision_t;


/* the error code of a reason: "PreviewApiVersionBlocked", "" for allow */
const char *azoai_reason_code(unsigned reason);
unsigned azoai_reason_status(unsigned reason);

/*
 * whether a name from the request may be shown (messages, variables): 1 to
 * 64 of [A-Za-z0-9._-], no run of 9 digits, no dotted quad
 */
int azoai_name_printable(const u_char *s, size_t len);

/* sets d to a denial with reason and a formatted message */
void azoai_decision_deny(azoai_decision_t *d, unsigned reason,
    const char *fmt, ...);

/* d = allow (status 200), nothing named, empty message */
void azoai_decision_init(azoai_decision_t *d);

/*
 * checks what the request line and headers say: ambiguity, api-version,
 * preview features, the path/query/header deployments; initialises and
 * fills d.  Paths not under /openai are allowed: the module judges only
 * Azure OpenAI traffic and leaves the rest to the NGINX configuration.
 * Order: ambiguous, unrecognized route, api-version missing (classic),
 * preview api-version, preview feature, then each deployment.
 */
void azoai_policy_check_route(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d);

/*
 * checks one deployment (or, for AZOAI_DEP_BASE_MODEL, model) name the
 * request carries, wherever it came from ("path", "body model", "header
 * x-ms-spillover-deployment"); fills d when it denies and, on allow, the
 * deployment/model/version of d if they are still empty.  Does nothing if
 * d already denies (the first denial stands).  A name that is not a
 * catalog deployment is looked up as a model ("gpt-4o", or dated
 * "gpt-4o-mini-2024-07-18"); an empty name is AmbiguousRequest.
 */
void azoai_policy_check_deployment(const azoai_policy_conf_t *pc,
    const u_char *name, size_t len, unsigned kind, const char *where,
    azoai_decision_t *d);


#endif /* _AZOAI_POLICY_H_INCLUDED_ */
