/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Request classification: which Azure OpenAI operation a request is, which
 * deployment and api-version it names, and whether Azure could read it
 * differently than we do (ambiguous).
 */

#ifndef _AZOAI_ROUTE_H_INCLUDED_
#define _AZOAI_ROUTE_H_INCLUDED_


#include "azoai_core.h"


/* where the route takes its deployment from */
#define AZOAI_DEP_NONE         0    /* no deployment (files, batches) */
#define AZOAI_DEP_PATH         1    /* /openai/deployments/{dep}/... */
#define AZOAI_DEP_BODY         2    /* JSON body "model" */
#define AZOAI_DEP_QUERY        3    /* realtime ?deployment= / ?model= */
#define AZOAI_DEP_BASE_MODEL   4    /* body "model" is a base model name */
#define AZOAI_DEP_FORM         5    /* multipart "model" field (v1 audio) */


/* what the glue hands over; all raw, as the client sent them */
typedef struct {
    azoai_str_t      method;
    azoai_str_t      path;             /* raw path, before '?' */
    azoai_str_t      args;             /* raw query, after '?' */
    azoai_str_t      spillover;        /* x-ms-spillover-deployment */
    azoai_str_t      image_deployment; /* x-ms-oai-image-generation-... */
    azoai_str_t      evals;            /* aoai-evals */
    azoai_str_t      copy_checkpoints; /* aoai-copy-ft-checkpoints */
    unsigned         header_repeated:1; /* one of those headers twice */
} azoai_request_t;


/*
 * For GET, HEAD, DELETE and OPTIONS requests json_body and multipart are 0
 * and a body-borne deployment_from (BODY, FORM, BASE_MODEL) becomes NONE;
 * any other method (unknown ones too) is taken to carry a body.
 */
typedef struct {
    const char      *operation;        /* "chat.completions", ... */
    azoai_str_t      deployment;       /* from path or query, decoded */
    azoai_str_t      api_version;      /* decoded; empty if absent */
    unsigned         deployment_from;  /* AZOAI_DEP_* */

    unsigned         azure:1;          /* the path is under /openai */
    unsigned         v1:1;             /* /openai/v1/... */
    unsigned         known:1;          /* a route the classifier knows */
    unsigned         api_version_required:1;
    unsigned         preview_feature:1; /* preview-only route or header */
    unsigned         ambiguous:1;
    unsigned         json_body:1;      /* the route takes a JSON body */
    unsigned         multipart:1;      /* the route takes multipart */
    unsigned         body_names_deployment:1; /* a body without one is
                                                 ambiguous */
    /* both json_body and multipart: either (audio speech); go by type */
    unsigned         upload:1;         /* a file upload (files, parts) */
    unsigned         upload_part:1;    /* an upload part: field "data" */

    const char      *detail;           /* why preview/ambiguous: static */

    /* added by the route piece; zero-initialised by the classifier */
    unsigned         preview_api:1;    /* api_version is a preview one */
    const char      *deployment_where; /* "path", "query deployment", ... */
} azoai_route_t;


/* the most path segments under /openai/ the classifier looks at */
#define AZOAI_ROUTE_MAX_SEGMENTS  16


/*
 * Classifies req into route; strings in route point into req or into
 * memory from a.  Returns AZOAI_OK, or AZOAI_ERROR on allocation failure.
 * An ambiguous request is AZOAI_OK with route->ambiguous set.
 */
static inline int azoai_route_classify(const azoai_request_t *req,
    azoai_route_t *route, azoai_alloc_t *a);

/*
 * azoai_route_classify() is azoai_route_fast() when that decides, else
 * azoai_route_classify_full(): the general classifier, which decides every
 * request (and the same as the fast path on those that path takes).
 */
int azoai_route_classify_full(const azoai_request_t *req,
    azoai_route_t *route, azoai_alloc_t *a);

/*
 * 1 if req is one of the common requests that the fast path knows, with
 * route filled in; 0 (route untouched) for azoai_route_classify_full()
 */
int azoai_route_fast(const azoai_request_t *req, azoai_route_t *route);

/*
 * 1 if a decoded api-version value is a preview one: "...-preview" or
 * "preview" in any case, "latest", or any value that is not YYYY-MM-DD,
 * YYYY-MM-DD-preview or v1 (fail closed); 0 for GA values and for an
 * empty (absent) value
 */
int azoai_api_version_is_preview(const u_char *v, size_t len);


/*
 * Inline in its callers (the handler classifies each request): a call of
 * its own only to make the next was ~12 instructions a request
 */

static inline int
azoai_route_classify(const azoai_request_t *req, azoai_route_t *route,
    azoai_alloc_t *a)
{
    if (azoai_route_fast(req, route)) {
        return AZOAI_OK;
    }

    return azoai_route_classify_full(req, route, a);
}


#endif /* _AZOAI_ROUTE_H_INCLUDED_ */
