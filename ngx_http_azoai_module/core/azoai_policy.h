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
#include "azoai_name.h"


/*
 * Reasons; their error codes are the contract's (azoai_reason_code()).
 * Each has one row, code and status, in azoai_policy.c, checked at
 * compile time; the values index the glue's metrics counters.
 */
typedef enum {
    AZOAI_ALLOW = 0,
    AZOAI_PREVIEW_API_VERSION,
    AZOAI_PREVIEW_FEATURE,
    AZOAI_PREVIEW_MODEL,
    AZOAI_RETIRED_MODEL,
    AZOAI_UNKNOWN_DEPLOYMENT,
    AZOAI_AMBIGUOUS,
    AZOAI_INVALID_BODY,
    AZOAI_BODY_TOO_LARGE,
    AZOAI_PII_BLOCKED,
    AZOAI_INTERNAL_ERROR,
    AZOAI_TOKEN_LIMIT,
    AZOAI_DEPLOYMENT_NOT_ALLOWED,
    AZOAI_DATA_RETENTION,
    AZOAI_UNINSPECTABLE,
    AZOAI_REASON_N
} azoai_reason_e;


typedef struct azoai_policy_conf_s {
    const azoai_catalog_t  *catalog;
    /* the time retirement dates are judged at; NULL: time(NULL) */
    int64_t               (*now)(void);
    unsigned                allow_preview_api:1;
    unsigned                allow_unknown:1;
} azoai_policy_conf_t;


typedef struct {
    unsigned         reason;           /* AZOAI_ALLOW or a reason */
    unsigned         status;           /* 200, 400, 403, 413, 429, 500 */

    /*
     * What the decision was about, for variables and logs; each may be
     * empty.  None is a copy, and none is NUL-terminated:
     *
     * deployment     the name as the request carries it: request memory
     *                (the URI or query buffer, a header value, or a
     *                decoded copy from the request's azoai_alloc_t), valid
     *                while the request lives;
     * model          the catalog deployment's model (catalog memory) when
     *                the deployment is in the catalog; else the name the
     *                request gave, a base model or a deployment named
     *                after its model (request memory, as deployment);
     * model_version  catalog memory only: the catalog deployment's
     *                version.
     *
     * Catalog memory is malloc()-ed by azoai_catalog_*() at configuration
     * time and freed with the configuration (the glue frees the catalog
     * from a cycle pool cleanup), so it outlives every request judged
     * against it.
     */
    azoai_str_t      deployment;
    azoai_str_t      model;
    azoai_str_t      model_version;

    /*
     * the earliest catalog "retires" date (UTC midnight) of the allowed
     * deployments the request names, still ahead; 0: none
     */
    int64_t          retires;

    /* human-readable, JSON-safe, never a PII value or credential */
    char             message[512];
} azoai_decision_t;


/* the error code of a reason: "PreviewApiVersionBlocked", "" for allow */
const char *azoai_reason_code(unsigned reason);
const azoai_str_t *azoai_reason_code_str(unsigned reason);
unsigned azoai_reason_status(unsigned reason);

/*
 * sets d to a denial with reason (AZOAI_ALLOW or an unknown reason:
 * AZOAI_INTERNAL_ERROR) and a formatted message, cut to the message
 * buffer; bytes that are not JSON-safe become '?'
 */
void azoai_decision_deny(azoai_decision_t *d, unsigned reason,
    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * azoai_decision_deny() with a message the caller formatted: len bytes of
 * msg are copied, cut to the message buffer, every byte that is not
 * JSON-safe (a NUL included) made '?'
 */
void azoai_decision_deny_str(azoai_decision_t *d, unsigned reason,
    const u_char *msg, size_t len);

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
