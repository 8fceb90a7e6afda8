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

#include "azoai_policy.h"


#define AZOAI_ECHO_MAX          64
#define AZOAI_UNPRINTABLE       "(unprintable name)"


typedef struct {
    int              len;
    const char      *data;
} azoai_echo_t;


static void azoai_policy_check_name(const azoai_policy_conf_t *pc,
    const u_char *name, size_t len, const char *where, azoai_decision_t *d);
static void azoai_policy_check_model(const azoai_policy_conf_t *pc,
    const u_char *name, size_t len, unsigned kind, const char *where,
    azoai_decision_t *d);
static unsigned azoai_policy_dated_status(const azoai_catalog_t *c,
    const u_char *name, size_t len);
static void azoai_policy_record(azoai_decision_t *d, const u_char *name,
    size_t len, const azoai_str_t *model, const azoai_str_t *version);
static azoai_echo_t azoai_policy_echo(const u_char *s, size_t len);
static int azoai_policy_is_date(const u_char *s, size_t len, size_t i);
static void azoai_policy_sanitize(char *s);


static const char  *azoai_reason_codes[] = {
    "",
    "PreviewApiVersionBlocked",
    "PreviewFeatureBlocked",
    "PreviewModelBlocked",
    "RetiredModelBlocked",
    "UnknownDeployment",
    "AmbiguousRequest",
    "InvalidBody",
    "BodyTooLarge",
    "PiiBlocked",
    "InternalError",
    "TokenLimitExceeded"
};


static const unsigned  azoai_reason_statuses[] = {
    200, 403, 403, 403, 403, 403, 400, 400, 413, 403, 500, 429
};


const char *
azoai_reason_code(unsigned reason)
{
    if (reason >= AZOAI_REASON_N) {
        return azoai_reason_codes[AZOAI_INTERNAL_ERROR];
    }

    return azoai_reason_codes[reason];
}


unsigned
azoai_reason_status(unsigned reason)
{
    if (reason >= AZOAI_REASON_N) {
        return 500;
    }

    return azoai_reason_statuses[reason];
}


void
azoai_decision_deny(azoai_decision_t *d, unsigned reason, const char *fmt,
    ...)
{
    va_list  args;

    if (reason == AZOAI_ALLOW || reason >= AZOAI_REASON_N) {
        reason = AZOAI_INTERNAL_ERROR;
    }

    d->reason = reason;
    d->status = azoai_reason_status(reason);

    va_start(args, fmt);
    vsnprintf(d->message, sizeof(d->message), fmt, args);
    va_end(args);

    azoai_policy_sanitize(d->message);
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
    d->message[0] = '\0';
}


void
azoai_policy_check_route(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d)
{
    const char    *where;
    azoai_echo_t   v;

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

    if (route->preview_api && !pc->allow_preview_api) {
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

    if (route->preview_feature && !pc->allow_preview_api) {
        azoai_decision_deny(d, AZOAI_PREVIEW_FEATURE,
                            "%s; only generally available features are"
                            " allowed",
                            route->detail ? route->detail
                                          : "a preview feature");
        return;
    }

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

        azoai_policy_check_deployment(pc, route->deployment.data,
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


static void
azoai_policy_check_name(const azoai_policy_conf_t *pc, const u_char *name,
    size_t len, const char *where, azoai_decision_t *d)
{
    unsigned                   status;
    const char                *what;
    azoai_echo_t               n, m, v;
    const azoai_deployment_t  *dep;

    dep = azoai_catalog_deployment(pc->catalog, name, len);

    if (dep == NULL) {
        /* people name deployments after models */
        azoai_policy_check_model(pc, name, len, AZOAI_DEP_BODY, where, d);
        return;
    }

    status = azoai_catalog_model_status(pc->catalog, dep->model.data,
                                        dep->model.len, dep->version.data,
                                        dep->version.len);

    /* what was judged, allowed or not, is what the audit log shows */
    azoai_policy_record(d, name, len, &dep->model, &dep->version);

    if (status == AZOAI_STATUS_GA
        || (status != AZOAI_STATUS_PREVIEW && status != AZOAI_STATUS_RETIRED
            && pc->allow_unknown))
    {
        return;
    }

    /* denied: the names as the message may show them */

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
 * name is a model (a base model, or a deployment the catalog does not
 * list): the model with any version, else "model-YYYY-MM-DD" as model and
 * version, else "-preview" names are preview, else unknown
 */

static void
azoai_policy_check_model(const azoai_policy_conf_t *pc, const u_char *name,
    size_t len, unsigned kind, const char *where, azoai_decision_t *d)
{
    unsigned      status;
    const char   *what;
    azoai_str_t   empty, model;
    azoai_echo_t  n;

    what = (kind == AZOAI_DEP_BASE_MODEL) ? "base model" : "deployment";

    status = azoai_catalog_model_status(pc->catalog, name, len, NULL, 0);

    if (status == AZOAI_STATUS_UNKNOWN) {
        status = azoai_policy_dated_status(pc->catalog, name, len);
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


/* "gpt-4o-mini-2024-07-18": model "gpt-4o-mini", version "2024-07-18" */

static unsigned
azoai_policy_dated_status(const azoai_catalog_t *c, const u_char *name,
    size_t len)
{
    size_t         i;
    const u_char  *date;

    if (len < 12) {
        return AZOAI_STATUS_UNKNOWN;
    }

    date = name + len - 10;

    if (date[-1] != '-') {
        return AZOAI_STATUS_UNKNOWN;
    }

    for (i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (date[i] != '-') {
                return AZOAI_STATUS_UNKNOWN;
            }

        } else if (date[i] < '0' || date[i] > '9') {
            return AZOAI_STATUS_UNKNOWN;
        }
    }

    return azoai_catalog_model_status(c, name, len - 11, date, 10);
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


/*
 * A name is echoed only if it is 1 to 64 of [A-Za-z0-9._-], has no run of
 * 9 or more digits (separators '-' and '.' aside, YYYY-MM-DD dates not
 * counted: card, phone, account numbers) and no 4 dot-separated numbers
 * (an IPv4 address); else "(unprintable name)".
 */

int
azoai_name_printable(const u_char *s, size_t len)
{
    return azoai_policy_echo(s, len).data == (const char *) s;
}


static azoai_echo_t
azoai_policy_echo(const u_char *s, size_t len)
{
    size_t        i, digits, dots;
    u_char        c;
    azoai_echo_t  e;

    e.data = AZOAI_UNPRINTABLE;
    e.len = sizeof(AZOAI_UNPRINTABLE) - 1;

    if (s == NULL || len == 0 || len > AZOAI_ECHO_MAX) {
        return e;
    }

    digits = 0;
    dots = 0;

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c >= '0' && c <= '9' && azoai_policy_is_date(s, len, i)) {
            /* "o3-2025-04-16", "2024-10-21-preview": a date, no digits */
            i += 9;
            continue;
        }

        if (c >= '0' && c <= '9') {
            if (++digits >= 9) {
                return e;
            }

            continue;
        }

        if (c == '.') {
            if (digits && ++dots >= 3) {
                return e;
            }

            continue;
        }

        if (c == '-') {
            continue;
        }

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
            digits = 0;
            dots = 0;
            continue;
        }

        return e;
    }

    e.data = (const char *) s;
    e.len = (int) len;

    return e;
}


/* YYYY-MM-DD at s + i, not part of a longer number */

static int
azoai_policy_is_date(const u_char *s, size_t len, size_t i)
{
    size_t  k;

    if (len - i < 10 || (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
        || (len - i > 10 && s[i + 10] >= '0' && s[i + 10] <= '9'))
    {
        return 0;
    }

    for (k = 0; k < 10; k++) {
        if (k == 4 || k == 7) {
            if (s[i + k] != '-') {
                return 0;
            }

        } else if (s[i + k] < '0' || s[i + k] > '9') {
            return 0;
        }
    }

    return 1;
}


/* JSON-safe whatever was formatted in: no quote, backslash or control */

static void
azoai_policy_sanitize(char *s)
{
    for ( /* void */ ; *s; s++) {
        if ((u_char) *s < 0x20 || (u_char) *s >= 0x7f
            || *s == '"' || *s == '\\')
        {
            *s = '?';
        }
    }
}
