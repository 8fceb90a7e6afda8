/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The GA decision.  Only Azure OpenAI traffic (paths under /openai) is
 * judged: anything else is allowed here and left to the NGINX
 * configuration, so "azoai on" in a server block does not break health
 * checks or other locations.  Everything unclear is denied (fail closed).
 *
 * Messages are JSON-safe and echo only the api-version and deployment,
 * model and version names, and those only when they look like names
 * (azoai_policy_echo); never other query values, headers or body text.
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "azoai_ascii.h"
#include "azoai_date.h"
#include "azoai_name.h"
#include "azoai_policy.h"
#include "azoai_catalog_int.h"


#define AZOAI_UNPRINTABLE       "(unprintable name)"

/* a version in a name: "-YYYY-MM-DD" at its end */
#define AZOAI_POLICY_DATE_LEN       10
#define AZOAI_POLICY_DATED_SUFFIX   (AZOAI_POLICY_DATE_LEN + 1)


typedef struct {
    int              len;
    const char      *data;
} azoai_echo_t;


static void azoai_decision_set(azoai_decision_t *d, unsigned reason);
static void azoai_policy_check_api(const azoai_policy_conf_t *pc,
    const azoai_route_t *route, azoai_decision_t *d);
static void azoai_policy_check_route_names(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d);
static inline void azoai_policy_deployment(const azoai_policy_conf_t *pc,
    const u_char *name, size_t len, unsigned kind, const char *where,
    azoai_decision_t *d) __attribute__((always_inline));
static inline void azoai_policy_check_name(const azoai_policy_conf_t *pc,
    const u_char *name, size_t len, const char *where, azoai_decision_t *d)
    __attribute__((always_inline));
static void azoai_policy_deny_status(const azoai_deployment_t *dep,
    unsigned status, const char *where, azoai_decision_t *d)
    __attribute__((noinline));
static inline void azoai_policy_check_retires(const azoai_policy_conf_t *pc,
    const azoai_deployment_t *dep, const char *where, azoai_decision_t *d);
static void azoai_policy_deny_retired(const azoai_deployment_t *dep,
    const char *where, azoai_decision_t *d) __attribute__((noinline));
static void azoai_policy_check_model(const azoai_policy_conf_t *pc,
    const u_char *name, size_t len, unsigned kind, const char *where,
    azoai_decision_t *d);
static void azoai_policy_check_dated_retires(
    const azoai_policy_conf_t *pc, const u_char *name, size_t len,
    const char *where, azoai_decision_t *d);
static unsigned azoai_policy_dated_status(const azoai_catalog_t *c,
    const u_char *name, size_t len);
static void azoai_policy_record(azoai_decision_t *d, const u_char *name,
    size_t len, const azoai_str_t *model, const azoai_str_t *version);
static azoai_echo_t azoai_policy_echo(const u_char *s, size_t len);
static void azoai_policy_sanitize(char *s, size_t len);


typedef struct {
    azoai_str_t      code;             /* NUL-terminated as well */
    unsigned         status;
} azoai_reason_info_t;


/* the error code and HTTP status of each reason, in one row */
static const azoai_reason_info_t  azoai_reasons[] = {
    [AZOAI_ALLOW]                = { azoai_string(""), 200 },
    [AZOAI_PREVIEW_API_VERSION]  =
        { azoai_string("PreviewApiVersionBlocked"), 403 },
    [AZOAI_PREVIEW_FEATURE]      =
        { azoai_string("PreviewFeatureBlocked"), 403 },
    [AZOAI_PREVIEW_MODEL]        =
        { azoai_string("PreviewModelBlocked"), 403 },
    [AZOAI_RETIRED_MODEL]        =
        { azoai_string("RetiredModelBlocked"), 403 },
    [AZOAI_UNKNOWN_DEPLOYMENT]   =
        { azoai_string("UnknownDeployment"), 403 },
    [AZOAI_AMBIGUOUS]            = { azoai_string("AmbiguousRequest"), 400 },
    [AZOAI_INVALID_BODY]         = { azoai_string("InvalidBody"), 400 },
    [AZOAI_BODY_TOO_LARGE]       = { azoai_string("BodyTooLarge"), 413 },
    [AZOAI_PII_BLOCKED]          = { azoai_string("PiiBlocked"), 403 },
    [AZOAI_INTERNAL_ERROR]       = { azoai_string("InternalError"), 500 },
    [AZOAI_TOKEN_LIMIT]          =
        { azoai_string("TokenLimitExceeded"), 429 },
    [AZOAI_DEPLOYMENT_NOT_ALLOWED] =
        { azoai_string("DeploymentNotAllowed"), 403 },
    [AZOAI_DATA_RETENTION]       =
        { azoai_string("DataRetentionBlocked"), 403 },
    [AZOAI_UNINSPECTABLE]        =
        { azoai_string("UninspectableContent"), 403 }
};


/* one row per reason: a reason added to the enum needs its row */
typedef char  azoai_reasons_complete[
    (sizeof(azoai_reasons) / sizeof(azoai_reasons[0]) == AZOAI_REASON_N)
    ? 1 : -1];


const char *
azoai_reason_code(unsigned reason)
{
    return (const char *) azoai_reason_code_str(reason)->data;
}


const azoai_str_t *
azoai_reason_code_str(unsigned reason)
{
    if (reason >= AZOAI_REASON_N) {
        return &azoai_reasons[AZOAI_INTERNAL_ERROR].code;
    }

    return &azoai_reasons[reason].code;
}


unsigned
azoai_reason_status(unsigned reason)
{
    if (reason >= AZOAI_REASON_N) {
        return azoai_reasons[AZOAI_INTERNAL_ERROR].status;
    }

    return azoai_reasons[reason].status;
}


/* reason and status of a denial; AZOAI_ALLOW or no reason: internal */

static void
azoai_decision_set(azoai_decision_t *d, unsigned reason)
{
    if (reason == AZOAI_ALLOW || reason >= AZOAI_REASON_N) {
        reason = AZOAI_INTERNAL_ERROR;
    }

    d->reason = reason;
    d->status = azoai_reasons[reason].status;
}


void
azoai_decision_deny(azoai_decision_t *d, unsigned reason, const char *fmt,
    ...)
{
    va_list  args;

    azoai_decision_set(d, reason);

    va_start(args, fmt);
    vsnprintf(d->message, sizeof(d->message), fmt, args);
    va_end(args);

    azoai_policy_sanitize(d->message, strlen(d->message));
}


void
azoai_decision_deny_str(azoai_decision_t *d, unsigned reason,
    const u_char *msg, size_t len)
{
    azoai_decision_set(d, reason);

    if (len > sizeof(d->message) - 1) {
        len = sizeof(d->message) - 1;
    }

    if (len) {
        memcpy(d->message, msg, len);
    }

    d->message[len] = '\0';

    azoai_policy_sanitize(d->message, len);
}


void
azoai_decision_init(azoai_decision_t *d)
{
    /* field by field: clearing the whole message buffer costs more */

    d->reason = AZOAI_ALLOW;
    d->status = 200;
    d->deployment.data = NULL;
    d->deployment.len = 0;
    d->model.data = NULL;
    d->model.len = 0;
    d->model_version.data = NULL;
    d->model_version.len = 0;
    d->retires = 0;
    d->message[0] = '\0';
}


/*
 * azoai_policy_check_fast() (azoai_policy_fast.h) decides the common
 * request as this does, inline in the judging, and hands it everything
 * else: a new denial here needs its condition there too (every request
 * of tests/test_policy.c and fuzz_route go through both and compare)
 */

void
azoai_policy_check_route(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d)
{
    azoai_decision_init(d);

    if (!route->azure) {
        return;
    }

    if (route->ambiguous) {
        azoai_decision_deny(d, AZOAI_AMBIGUOUS,
                            "ambiguous request: %s; Azure OpenAI could read"
                            " it differently than this gateway",
                            route->detail ? route->detail : "unclear");
        return;
    }

    if (!route->known) {
        azoai_decision_deny(d, AZOAI_AMBIGUOUS,
                            "unrecognized Azure OpenAI route");
        return;
    }

    if (route->api_version_required && route->api_version.len == 0) {
        azoai_decision_deny(d, AZOAI_AMBIGUOUS, "api-version is required");
        return;
    }

    azoai_policy_check_api(pc, route, d);

    if (d->reason == AZOAI_ALLOW) {
        azoai_policy_check_route_names(pc, req, route, d);
    }
}


/* the api-version and the features of the route */

static void
azoai_policy_check_api(const azoai_policy_conf_t *pc,
    const azoai_route_t *route, azoai_decision_t *d)
{
    azoai_echo_t  v;

    if (pc->allow_preview_api) {
        return;
    }

    if (route->preview_api) {
        v = azoai_policy_echo(route->api_version.data,
                              route->api_version.len);

        if (route->v1) {
            azoai_decision_deny(d, AZOAI_PREVIEW_API_VERSION,
                                "api-version '%.*s' is a preview API"
                                " version; omit it or use api-version=v1"
                                " on /openai/v1 routes", v.len, v.data);

        } else {
            azoai_decision_deny(d, AZOAI_PREVIEW_API_VERSION,
                                "api-version '%.*s' is a preview API"
                                " version; use a GA version such as"
                                " 2024-10-21 or the v1 API", v.len, v.data);
        }

        return;
    }

    if (route->preview_feature) {
        azoai_decision_deny(d, AZOAI_PREVIEW_FEATURE,
                            "%s; only generally available features are"
                            " allowed",
                            route->detail ? route->detail
                                          : "a preview feature");
    }
}


/* the deployments of the path or query and of the headers */

static void
azoai_policy_check_route_names(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d)
{
    const char  *where;

    if (route->deployment_from == AZOAI_DEP_PATH
        || route->deployment_from == AZOAI_DEP_QUERY)
    {
        where = route->deployment_where ? route->deployment_where
                                        : "path";

        if (route->deployment.len == 0) {
            azoai_decision_deny(d, AZOAI_AMBIGUOUS,
                                "the request names no deployment (%s)",
                                where);
            return;
        }

        azoai_policy_deployment(pc, route->deployment.data,
                                route->deployment.len,
                                route->deployment_from, where, d);
    }

    if (req->spillover.len) {
        azoai_policy_check_deployment(pc, req->spillover.data,
                                      req->spillover.len, AZOAI_DEP_NONE,
                                      "header x-ms-spillover-deployment", d);
    }

    if (req->image_deployment.len) {
        azoai_policy_check_deployment(pc, req->image_deployment.data,
                                      req->image_deployment.len,
                                      AZOAI_DEP_NONE,
                                      "header"
                                      " x-ms-oai-image-generation-deployment",
                                      d);
    }
}


void
azoai_policy_check_deployment(const azoai_policy_conf_t *pc,
    const u_char *name, size_t len, unsigned kind, const char *where,
    azoai_decision_t *d)
{
    if (d->reason != AZOAI_ALLOW) {
        /* the first denial stands */
        return;
    }

    if (where == NULL) {
        where = "request";
    }

    azoai_policy_deployment(pc, name, len, kind, where, d);
}


/*
 * The check of a deployment name while the decision allows, where given:
 * inline, with azoai_policy_check_name(), in the route's check of the
 * path's name, every request's, which has a frame of its own already
 * (the policy's instructions of the 1 KB chat request: 155 -> 121)
 */

static inline void
azoai_policy_deployment(const azoai_policy_conf_t *pc, const u_char *name,
    size_t len, unsigned kind, const char *where, azoai_decision_t *d)
{
    if (len == 0) {
        azoai_decision_deny(d, AZOAI_AMBIGUOUS,
                            "empty deployment name (%s)", where);
        return;
    }

    if (kind == AZOAI_DEP_BASE_MODEL) {
        azoai_policy_check_model(pc, name, len, AZOAI_DEP_BASE_MODEL, where,
                                 d);
        return;
    }

    azoai_policy_check_name(pc, name, len, where, d);
}


/*
 * Inline, the denials out of line: a GA deployment, most requests', takes
 * no frame of its own for the messages' names (~35 instructions a request
 * with the retirement's check)
 */

static inline void
azoai_policy_check_name(const azoai_policy_conf_t *pc, const u_char *name,
    size_t len, const char *where, azoai_decision_t *d)
{
    unsigned                   status;
    const azoai_deployment_t  *dep;

    dep = azoai_catalog_deployment_last(pc->catalog, name, len);

    if (dep == NULL) {
        dep = azoai_catalog_deployment(pc->catalog, name, len);
    }

    if (dep == NULL) {
        /* people name deployments after models */
        azoai_policy_check_model(pc, name, len, AZOAI_DEP_BODY, where, d);
        return;
    }

    /* resolved when the catalog was built (azoai_catalog.h) */
    status = dep->status;

    /* what was judged, allowed or not, is what the audit log shows */
    azoai_policy_record(d, name, len, &dep->model, &dep->version);

    if (status == AZOAI_STATUS_GA) {
        azoai_policy_check_retires(pc, dep, where, d);
        return;
    }

    if (status != AZOAI_STATUS_PREVIEW && status != AZOAI_STATUS_RETIRED
        && pc->allow_unknown)
    {
        return;
    }

    azoai_policy_deny_status(dep, status, where, d);
}


/* a deployment that is not GA, denied: the names as the message shows them */

static void
azoai_policy_deny_status(const azoai_deployment_t *dep, unsigned status,
    const char *where, azoai_decision_t *d)
{
    const char    *what;
    azoai_echo_t   n, m, v;

    n = azoai_policy_echo(dep->name.data, dep->name.len);
    m = azoai_policy_echo(dep->model.data, dep->model.len);

    if (dep->version.len) {
        v = azoai_policy_echo(dep->version.data, dep->version.len);

    } else {
        v.data = "(any version)";
        v.len = sizeof("(any version)") - 1;
    }

    switch (status) {

    case AZOAI_STATUS_PREVIEW:
        what = "a preview";
        break;

    case AZOAI_STATUS_RETIRED:
        what = "a retired";
        break;

    default:
        azoai_decision_deny(d, AZOAI_UNKNOWN_DEPLOYMENT,
                            "deployment '%.*s' maps to %.*s %.*s, which the"
                            " catalog does not list (from %s)",
                            n.len, n.data, m.len, m.data, v.len, v.data,
                            where);
        return;
    }

    azoai_decision_deny(d, status == AZOAI_STATUS_PREVIEW
                           ? AZOAI_PREVIEW_MODEL : AZOAI_RETIRED_MODEL,
                        "deployment '%.*s' (%.*s %.*s) is %s model; only"
                        " generally available models are allowed"
                        " (from %s)",
                        n.len, n.data, m.len, m.data, v.len, v.data, what,
                        where);
}


/*
 * A GA deployment whose version has a "retires" date: retired from that
 * day on (UTC), by the clock of the policy; until then the earliest date
 * is kept for the X-AzOAI-Retires header
 */

static inline void
azoai_policy_check_retires(const azoai_policy_conf_t *pc,
    const azoai_deployment_t *dep, const char *where, azoai_decision_t *d)
{
    int64_t  retires, now;

    /* resolved when the catalog was built (azoai_catalog.h) */
    retires = dep->retires;
    if (retires == 0) {
        return;
    }

    now = pc->now ? pc->now() : (int64_t) time(NULL);

    if (now < retires) {
        if (d->retires == 0 || retires < d->retires) {
            d->retires = retires;
        }

        return;
    }

    azoai_policy_deny_retired(dep, where, d);
}


/*
 * The deployment retired: out of line, so that the deployments still
 * ahead of their date take no frame and no stack guard for the message
 */

static void
azoai_policy_deny_retired(const azoai_deployment_t *dep, const char *where,
    azoai_decision_t *d)
{
    int64_t       retires;
    azoai_echo_t  n, m, v;
    u_char        date[AZOAI_DATE_LEN + 1];

    retires = dep->retires;

    azoai_date_format(retires, date);

    n = azoai_policy_echo(dep->name.data, dep->name.len);
    m = azoai_policy_echo(dep->model.data, dep->model.len);
    v = azoai_policy_echo(dep->version.data, dep->version.len);

    azoai_decision_deny(d, AZOAI_RETIRED_MODEL,
                        "deployment '%.*s' (%.*s %.*s) is a retired model:"
                        " it retired on %s; only generally available"
                        " models are allowed (from %s)",
                        n.len, n.data, m.len, m.data, v.len, v.data,
                        (const char *) date, where);
}


/*
 * name is a model (a base model, or a deployment the catalog does not
 * list): the model with any version, else "model-YYYY-MM-DD" as model and
 * version, else "-preview" names are preview, else unknown
 */

static void
azoai_policy_check_model(const azoai_policy_conf_t *pc, const u_char *name,
    size_t len, unsigned kind, const char *where, azoai_decision_t *d)
{
    unsigned      status, dated;
    const char   *what;
    azoai_str_t   empty, model;
    azoai_echo_t  n;

    what = (kind == AZOAI_DEP_BASE_MODEL) ? "base model" : "deployment";

    status = azoai_catalog_model_status(pc->catalog, name, len, NULL, 0);
    dated = 0;

    if (status == AZOAI_STATUS_UNKNOWN) {
        status = azoai_policy_dated_status(pc->catalog, name, len);
        dated = (status != AZOAI_STATUS_UNKNOWN);
    }

    /* a deployment named after its model; a base model is only a model */
    empty.len = 0;
    empty.data = NULL;
    model.data = name;
    model.len = len;

    if (kind == AZOAI_DEP_BASE_MODEL) {
        azoai_policy_record(d, NULL, 0, &model, &empty);

    } else {
        azoai_policy_record(d, name, len,
                            status == AZOAI_STATUS_UNKNOWN ? &empty : &model,
                            &empty);
    }

    if (status == AZOAI_STATUS_GA) {
        if (dated) {
            azoai_policy_check_dated_retires(pc, name, len, where, d);
        }

        return;
    }

    n = azoai_policy_echo(name, len);

    switch (status) {

    case AZOAI_STATUS_PREVIEW:
        azoai_decision_deny(d, AZOAI_PREVIEW_MODEL,
                            "%s '%.*s' is a preview model; only generally"
                            " available models are allowed (from %s)",
                            what, n.len, n.data, where);
        return;

    case AZOAI_STATUS_RETIRED:
        azoai_decision_deny(d, AZOAI_RETIRED_MODEL,
                            "%s '%.*s' is a retired model (or has retired"
                            " versions and its version is unknown); only"
                            " generally available models are allowed"
                            " (from %s)",
                            what, n.len, n.data, where);
        return;

    default:
        if (pc->allow_unknown) {
            return;
        }

        azoai_decision_deny(d, AZOAI_UNKNOWN_DEPLOYMENT,
                            "%s '%.*s' is not in the catalog; only"
                            " catalogued generally available models are"
                            " allowed (from %s)",
                            what, n.len, n.data, where);
        return;
    }
}


/*
 * A GA name that carries its version ("gpt-4o-2024-05-13", known from
 * the name, not from a catalog deployment): its version's "retires" date
 * applies as to a catalog deployment
 */

static void
azoai_policy_check_dated_retires(const azoai_policy_conf_t *pc,
    const u_char *name, size_t len, const char *where, azoai_decision_t *d)
{
    azoai_deployment_t  dep;

    memset(&dep, 0, sizeof(azoai_deployment_t));

    dep.name.data = name;
    dep.name.len = len;
    dep.model.data = name;
    dep.model.len = len - AZOAI_POLICY_DATED_SUFFIX;
    dep.version.data = name + len - AZOAI_POLICY_DATE_LEN;
    dep.version.len = AZOAI_POLICY_DATE_LEN;
    dep.retires = azoai_catalog_retires(pc->catalog, dep.model.data,
                                        dep.model.len, dep.version.data,
                                        dep.version.len);

    azoai_policy_check_retires(pc, &dep, where, d);
}


/* "gpt-4o-mini-2024-07-18": model "gpt-4o-mini", version "2024-07-18" */

static unsigned
azoai_policy_dated_status(const azoai_catalog_t *c, const u_char *name,
    size_t len)
{
    size_t         i;
    const u_char  *date;

    if (len <= AZOAI_POLICY_DATED_SUFFIX) {
        return AZOAI_STATUS_UNKNOWN;
    }

    date = name + len - AZOAI_POLICY_DATE_LEN;

    if (date[-1] != '-') {
        return AZOAI_STATUS_UNKNOWN;
    }

    for (i = 0; i < AZOAI_POLICY_DATE_LEN; i++) {
        if (i == 4 || i == 7) {
            if (date[i] != '-') {
                return AZOAI_STATUS_UNKNOWN;
            }

        } else if (date[i] < '0' || date[i] > '9') {
            return AZOAI_STATUS_UNKNOWN;
        }
    }

    return azoai_catalog_model_status(c, name,
                                      len - AZOAI_POLICY_DATED_SUFFIX, date,
                                      AZOAI_POLICY_DATE_LEN);
}


static void
azoai_policy_record(azoai_decision_t *d, const u_char *name, size_t len,
    const azoai_str_t *model, const azoai_str_t *version)
{
    if (d->deployment.len == 0 && len) {
        d->deployment.data = name;
        d->deployment.len = len;
    }

    if (d->model.len == 0 && model->len) {
        d->model = *model;
    }

    if (d->model_version.len == 0 && version->len) {
        d->model_version = *version;
    }
}


/* a name from the request as a message may show it */

static azoai_echo_t
azoai_policy_echo(const u_char *s, size_t len)
{
    azoai_echo_t  e;

    if (azoai_name_printable(s, len)) {
        e.data = (const char *) s;
        e.len = (int) len;

    } else {
        e.data = AZOAI_UNPRINTABLE;
        e.len = sizeof(AZOAI_UNPRINTABLE) - 1;
    }

    return e;
}


/* JSON-safe whatever was formatted in: no quote, backslash or control */

static void
azoai_policy_sanitize(char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!azoai_json_safe((u_char) s[i])) {
            s[i] = '?';
        }
    }
}
