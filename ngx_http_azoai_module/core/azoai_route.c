/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Request classification from the raw path and query, as the client sent
 * them.  Route literals, the "/openai" prefix and query keys are matched
 * ignoring ASCII case, because Azure's front end routes them that way; a
 * path that only becomes "/openai/..." after decoding or normalisation is
 * ambiguous, so that "/%6Fpenai/..." cannot slip past the classifier.
 */


#include <string.h>

#include "azoai_pct.h"
#include "azoai_route.h"
#include "azoai_route_query.h"


#define AZOAI_RULE_JSON        0x01
#define AZOAI_RULE_MULTIPART   0x02
#define AZOAI_RULE_PREVIEW     0x04

#define AZOAI_RULE_SEGMENTS    6


typedef struct {
    /* NULL-terminated; "*" is one segment, "**" (last) any number */
    const char      *segment[AZOAI_RULE_SEGMENTS + 1];
    const char      *operation;
    unsigned         deployment_from;
    unsigned         flags;
    const char      *detail;
} azoai_route_rule_t;


typedef struct {
    azoai_str_t      segment[AZOAI_ROUTE_MAX_SEGMENTS];
    size_t           n;
    unsigned         truncated:1;
} azoai_route_path_t;


static int azoai_route_is_azure(const u_char *path, size_t len);
static int azoai_route_check_disguised(const azoai_request_t *req,
    azoai_route_t *route, azoai_alloc_t *a);
static size_t azoai_route_normalize(u_char *out, u_char *buf, size_t len);
static void azoai_route_split(const u_char *p, size_t len,
    azoai_route_path_t *path, azoai_route_t *route);
static void azoai_route_check_bytes(const u_char *p, size_t len,
    azoai_route_t *route);
static void azoai_route_match(const azoai_route_path_t *path,
    const azoai_request_t *req, azoai_route_t *route);
static int azoai_route_rule_matches(const azoai_route_rule_t *rule,
    const azoai_str_t *segment, size_t n, unsigned truncated);
static int azoai_route_query(const azoai_request_t *req,
    azoai_route_t *route, azoai_alloc_t *a);
static void azoai_route_preview_signals(const azoai_route_path_t *path,
    const azoai_request_t *req, azoai_route_t *route);
static int azoai_route_has_body(const azoai_str_t *method);
static void azoai_route_set_ambiguous(azoai_route_t *route,
    const char *detail);
static void azoai_route_set_preview(azoai_route_t *route,
    const char *detail);
static int azoai_route_segment_is(const azoai_str_t *s, const char *lower);


static const char  azoai_responses_classic[] =
    "Responses API on classic routes is preview-only; use /openai/v1/responses";
static const char  azoai_assistants[] =
    "Assistants API (assistants, threads, runs) is a preview feature";
static const char  azoai_extensions[] =
    "extensions/chat/completions (On Your Data, legacy) is preview-only";
static const char  azoai_v1_evals[] =
    "Evaluations API (/openai/v1/evals) is preview-only";
static const char  azoai_v1_audio[] =
    "audio routes on /openai/v1 are preview-only";
static const char  azoai_v1_images[] =
    "image routes on /openai/v1 are preview-only";
static const char  azoai_v1_video[] =
    "video routes on /openai/v1 are preview-only";


/* under /openai/, first match wins */

static const azoai_route_rule_t  azoai_classic_rules[] = {

    { { "deployments", "*", "chat", "completions", NULL },
      "chat.completions", AZOAI_DEP_PATH, AZOAI_RULE_JSON, NULL },
    { { "deployments", "*", "completions", NULL },
      "completions", AZOAI_DEP_PATH, AZOAI_RULE_JSON, NULL },
    { { "deployments", "*", "embeddings", NULL },
      "embeddings", AZOAI_DEP_PATH, AZOAI_RULE_JSON, NULL },
    { { "deployments", "*", "images", "generations", NULL },
      "images.generations", AZOAI_DEP_PATH, AZOAI_RULE_JSON, NULL },
    { { "deployments", "*", "images", "edits", NULL },
      "images.edits", AZOAI_DEP_PATH, AZOAI_RULE_MULTIPART, NULL },
    { { "deployments", "*", "audio", "transcriptions", NULL },
      "audio.transcriptions", AZOAI_DEP_PATH, AZOAI_RULE_MULTIPART, NULL },
    { { "deployments", "*", "audio", "translations", NULL },
      "audio.translations", AZOAI_DEP_PATH, AZOAI_RULE_MULTIPART, NULL },
    { { "deployments", "*", "audio", "speech", NULL },
      "audio.speech", AZOAI_DEP_PATH,
      AZOAI_RULE_JSON|AZOAI_RULE_MULTIPART, NULL },
    { { "deployments", "*", "extensions", "chat", "completions", NULL },
      "extensions.chat.completions", AZOAI_DEP_PATH,
      AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW, azoai_extensions },

    { { "responses", NULL },
      "responses", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_responses_classic },
    { { "responses", "*", NULL },
      "responses.item", AZOAI_DEP_NONE, AZOAI_RULE_PREVIEW,
      azoai_responses_classic },
    { { "responses", "*", "input_items", NULL },
      "responses.input_items", AZOAI_DEP_NONE, AZOAI_RULE_PREVIEW,
      azoai_responses_classic },
    { { "responses", "*", "cancel", NULL },
      "responses.cancel", AZOAI_DEP_NONE,
      AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW, azoai_responses_classic },

    { { "assistants", "**", NULL },
      "assistants", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_assistants },
    { { "threads", "runs", "**", NULL },
      "threads.runs", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_assistants },
    { { "threads", "*", "runs", "**", NULL },
      "threads.runs", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_assistants },
    { { "threads", "**", NULL },
      "threads", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_assistants },
    { { "vector_stores", "**", NULL },
      "vector_stores", AZOAI_DEP_BODY, AZOAI_RULE_JSON, NULL },

    { { "realtime", NULL },
      "realtime", AZOAI_DEP_QUERY, 0, NULL },
    { { "realtimeapi", "sessions", NULL },
      "realtime.sessions", AZOAI_DEP_BODY, AZOAI_RULE_JSON, NULL },

    { { "files", NULL },
      "files", AZOAI_DEP_NONE, AZOAI_RULE_MULTIPART, NULL },
    { { "files", "**", NULL },
      "files", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { "batches", "**", NULL },
      "batches", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { "fine_tuning", "jobs", NULL },
      "fine_tuning.jobs", AZOAI_DEP_BASE_MODEL, AZOAI_RULE_JSON, NULL },
    { { "fine_tuning", "**", NULL },
      "fine_tuning", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { "models", "**", NULL },
      "models", AZOAI_DEP_NONE, 0, NULL },

    { { NULL }, NULL, 0, 0, NULL }
};


/* under /openai/v1/ */

static const azoai_route_rule_t  azoai_v1_rules[] = {

    { { "chat", "completions", NULL },
      "chat.completions", AZOAI_DEP_BODY, AZOAI_RULE_JSON, NULL },
    { { "embeddings", NULL },
      "embeddings", AZOAI_DEP_BODY, AZOAI_RULE_JSON, NULL },

    { { "responses", NULL },
      "responses", AZOAI_DEP_BODY, AZOAI_RULE_JSON, NULL },
    { { "responses", "compact", NULL },
      "responses.compact", AZOAI_DEP_BODY, AZOAI_RULE_JSON, NULL },
    { { "responses", "*", NULL },
      "responses.item", AZOAI_DEP_NONE, 0, NULL },
    { { "responses", "*", "input_items", NULL },
      "responses.input_items", AZOAI_DEP_NONE, 0, NULL },
    { { "responses", "*", "cancel", NULL },
      "responses.cancel", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },

    { { "files", NULL },
      "files", AZOAI_DEP_NONE, AZOAI_RULE_MULTIPART, NULL },
    { { "files", "**", NULL },
      "files", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { "fine_tuning", "jobs", NULL },
      "fine_tuning.jobs", AZOAI_DEP_BASE_MODEL, AZOAI_RULE_JSON, NULL },
    { { "fine_tuning", "**", NULL },
      "fine_tuning", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { "models", "**", NULL },
      "models", AZOAI_DEP_NONE, 0, NULL },
    { { "vector_stores", "**", NULL },
      "vector_stores", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { "batches", "**", NULL },
      "batches", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },

    { { "realtime", NULL },
      "realtime", AZOAI_DEP_QUERY, 0, NULL },
    { { "realtime", "client_secrets", NULL },
      "realtime.client_secrets", AZOAI_DEP_BODY, AZOAI_RULE_JSON, NULL },
    /* WebRTC offer: the session (and model) is a multipart field */
    { { "realtime", "calls", NULL },
      "realtime.calls", AZOAI_DEP_FORM, AZOAI_RULE_MULTIPART, NULL },
    { { "realtime", "calls", "*", "accept", NULL },
      "realtime.calls.accept", AZOAI_DEP_BODY, AZOAI_RULE_JSON, NULL },
    { { "realtime", "calls", "**", NULL },
      "realtime.calls", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },

    { { "evals", "**", NULL },
      "evals", AZOAI_DEP_NONE, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_v1_evals },

    { { "audio", "transcriptions", NULL },
      "audio.transcriptions", AZOAI_DEP_FORM,
      AZOAI_RULE_MULTIPART|AZOAI_RULE_PREVIEW, azoai_v1_audio },
    { { "audio", "translations", NULL },
      "audio.translations", AZOAI_DEP_FORM,
      AZOAI_RULE_MULTIPART|AZOAI_RULE_PREVIEW, azoai_v1_audio },
    { { "audio", "speech", NULL },
      "audio.speech", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_v1_audio },
    { { "audio", "**", NULL },
      "audio", AZOAI_DEP_FORM, AZOAI_RULE_MULTIPART|AZOAI_RULE_PREVIEW,
      azoai_v1_audio },

    { { "images", "generations", NULL },
      "images.generations", AZOAI_DEP_BODY,
      AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW, azoai_v1_images },
    { { "images", "edits", NULL },
      "images.edits", AZOAI_DEP_FORM,
      AZOAI_RULE_MULTIPART|AZOAI_RULE_PREVIEW, azoai_v1_images },
    { { "images", "**", NULL },
      "images", AZOAI_DEP_FORM, AZOAI_RULE_MULTIPART|AZOAI_RULE_PREVIEW,
      azoai_v1_images },

    { { "video", "**", NULL },
      "video", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_v1_video },
    { { "videos", "**", NULL },
      "video", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_v1_video },

    { { NULL }, NULL, 0, 0, NULL }
};


int
azoai_route_classify(const azoai_request_t *req, azoai_route_t *route,
    azoai_alloc_t *a)
{
    azoai_route_path_t  path;

    memset(route, 0, sizeof(azoai_route_t));
    route->operation = "unknown";
    route->deployment_from = AZOAI_DEP_NONE;

    if (!azoai_route_is_azure(req->path.data, req->path.len)) {
        return azoai_route_check_disguised(req, route, a);
    }

    route->azure = 1;

    /* the Azure part: everything after "/openai" */

    azoai_route_split(req->path.data + 7, req->path.len - 7, &path, route);

    azoai_route_match(&path, req, route);

    if (azoai_route_query(req, route, a) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    azoai_route_preview_signals(&path, req, route);

    if (req->header_repeated) {
        azoai_route_set_ambiguous(route, "a deployment or preview header"
                                         " is given more than once");
    }

    return AZOAI_OK;
}


/* "/openai" or "/openai/...", ignoring case */

static int
azoai_route_is_azure(const u_char *path, size_t len)
{
    static const char  prefix[] = "/openai";
    size_t             i;
    u_char             c;

    if (len < 7) {
        return 0;
    }

    for (i = 0; i < 7; i++) {
        c = path[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (u_char) prefix[i]) {
            return 0;
        }
    }

    return len == 7 || path[7] == '/';
}


/*
 * A path that is not "/openai..." as sent, but would be once decoded,
 * with '\' read as '/', slashes merged and dot segments resolved, is an
 * Azure path in disguise: ambiguous.
 */

static int
azoai_route_check_disguised(const azoai_request_t *req,
    azoai_route_t *route, azoai_alloc_t *a)
{
    size_t         len, n;
    u_char        *buf, *out;
    const u_char  *p;

    p = req->path.data;
    len = req->path.len;

    if (len == 0
        || (memchr(p, '%', len) == NULL && memchr(p, '\\', len) == NULL
            && memchr(p, '.', len) == NULL
            && (len < 2 || p[0] != '/' || p[1] != '/')))
    {
        return AZOAI_OK;
    }

    buf = azoai_alloc(a, 2 * len + 2);
    if (buf == NULL) {
        return AZOAI_ERROR;
    }

    out = buf + len + 1;

    n = azoai_pct_decode(buf, p, len, 0);
    n = azoai_route_normalize(out, buf, n);

    if (azoai_route_is_azure(out, n)) {
        route->azure = 1;
        azoai_route_set_ambiguous(route, "the path is under /openai only"
                                         " after decoding or normalisation");
    }

    return AZOAI_OK;
}


/* out (len + 1 bytes): buf with '\' as '/', slashes merged, dots resolved */

static size_t
azoai_route_normalize(u_char *out, u_char *buf, size_t len)
{
    size_t  i, o, start, n;

    for (i = 0; i < len; i++) {
        if (buf[i] == '\\') {
            buf[i] = '/';
        }
    }

    o = 0;
    i = 0;

    while (i < len) {
        if (buf[i] == '/') {
            i++;
            continue;
        }

        start = i;

        while (i < len && buf[i] != '/') {
            i++;
        }

        n = i - start;

        if (n == 1 && buf[start] == '.') {
            continue;
        }

        if (n == 2 && buf[start] == '.' && buf[start + 1] == '.') {
            while (o > 0 && out[o - 1] != '/') {
                o--;
            }

            if (o > 0) {
                o--;
            }

            continue;
        }

        out[o++] = '/';
        memcpy(out + o, buf + start, n);
        o += n;
    }

    return o;
}


/* p is "" or "/..." (the path after "/openai") */

static void
azoai_route_split(const u_char *p, size_t len, azoai_route_path_t *path,
    azoai_route_t *route)
{
    size_t         n;
    const u_char  *end, *seg, *next;

    path->n = 0;
    path->truncated = 0;

    azoai_route_check_bytes(p, len, route);

    end = p + len;

    while (p < end) {
        /* p points at a '/' */
        seg = p + 1;
        next = memchr(seg, '/', end - seg);
        if (next == NULL) {
            next = end;
        }

        n = next - seg;

        if (n == 0) {
            azoai_route_set_ambiguous(route,
                          "empty segment in the Azure OpenAI path");

        } else if ((n == 1 && seg[0] == '.')
                   || (n == 2 && seg[0] == '.' && seg[1] == '.'))
        {
            azoai_route_set_ambiguous(route,
                          "dot segment in the Azure OpenAI path");
        }

        if (path->n < AZOAI_ROUTE_MAX_SEGMENTS) {
            path->segment[path->n].data = seg;
            path->segment[path->n].len = n;
            path->n++;

        } else {
            path->truncated = 1;
        }

        p = next;
    }
}


static void
azoai_route_check_bytes(const u_char *p, size_t len, azoai_route_t *route)
{
    size_t  i;
    u_char  c;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (c == '%') {
            azoai_route_set_ambiguous(route,
                      "percent-encoded byte in the Azure OpenAI path");
            return;
        }

        if (c == '\\') {
            azoai_route_set_ambiguous(route,
                      "backslash in the Azure OpenAI path");
            return;
        }

        if (c == ';') {
            azoai_route_set_ambiguous(route,
                      "';' in the Azure OpenAI path");
            return;
        }

        if (c <= 0x20 || c >= 0x7f) {
            azoai_route_set_ambiguous(route, "control, space or non-ASCII"
                                      " byte in the Azure OpenAI path");
            return;
        }
    }
}


static void
azoai_route_match(const azoai_route_path_t *path, const azoai_request_t *req,
    azoai_route_t *route)
{
    size_t                     n;
    const azoai_str_t         *segment;
    const azoai_route_rule_t  *rule;

    segment = path->segment;
    n = path->n;
    rule = azoai_classic_rules;

    if (n > 0 && azoai_route_segment_is(&segment[0], "v1")) {
        route->v1 = 1;
        segment++;
        n--;
        rule = azoai_v1_rules;
    }

    route->api_version_required = !route->v1;

    for ( /* void */ ; rule->operation; rule++) {
        if (azoai_route_rule_matches(rule, segment, n, path->truncated)) {
            break;
        }
    }

    if (rule->operation == NULL) {
        return;
    }

    route->known = 1;
    route->operation = rule->operation;
    route->deployment_from = rule->deployment_from;

    if (rule->flags & AZOAI_RULE_PREVIEW) {
        azoai_route_set_preview(route, rule->detail);
    }

    if (rule->deployment_from == AZOAI_DEP_PATH) {
        route->deployment = segment[1];
        route->deployment_where = "path";
    }

    if (!azoai_route_has_body(&req->method)) {

        if (rule->deployment_from == AZOAI_DEP_BODY
            || rule->deployment_from == AZOAI_DEP_FORM
            || rule->deployment_from == AZOAI_DEP_BASE_MODEL)
        {
            route->deployment_from = AZOAI_DEP_NONE;
        }

        return;
    }

    route->json_body = (rule->flags & AZOAI_RULE_JSON) ? 1 : 0;
    route->multipart = (rule->flags & AZOAI_RULE_MULTIPART) ? 1 : 0;
}


static int
azoai_route_rule_matches(const azoai_route_rule_t *rule,
    const azoai_str_t *segment, size_t n, unsigned truncated)
{
    size_t       i;
    const char  *pattern;

    for (i = 0; i < AZOAI_RULE_SEGMENTS; i++) {
        pattern = rule->segment[i];

        if (pattern == NULL) {
            return i == n && !truncated;
        }

        if (pattern[0] == '*' && pattern[1] == '*') {
            return 1;
        }

        if (i == n) {
            return 0;
        }

        if (pattern[0] == '*') {
            continue;
        }

        if (!azoai_route_segment_is(&segment[i], pattern)) {
            return 0;
        }
    }

    return 0;
}


static int
azoai_route_query(const azoai_request_t *req, azoai_route_t *route,
    azoai_alloc_t *a)
{
    unsigned             n;
    azoai_str_t         *raw;
    const char          *where;
    azoai_route_query_t  q;

    azoai_route_query_parse(req->args.data, req->args.len, &q);

    if (q.n_api_version > 1) {
        azoai_route_set_ambiguous(route, "api-version is given more than once");
    }

    if (azoai_pct_decode_str(&route->api_version, q.api_version.data,
                             q.api_version.len, 1, a)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    route->preview_api = azoai_api_version_is_preview(route->api_version.data,
                                                      route->api_version.len);

    if (route->deployment_from != AZOAI_DEP_QUERY) {
        return AZOAI_OK;
    }

    if (route->v1) {
        raw = &q.model;
        n = q.n_model;
        where = "query model";

    } else {
        raw = &q.deployment;
        n = q.n_deployment;
        where = "query deployment";
    }

    if (n > 1) {
        azoai_route_set_ambiguous(route,
                          "the realtime deployment (or model) query parameter"
                          " is given more than once");
    }

    route->deployment_where = where;

    return azoai_pct_decode_str(&route->deployment, raw->data, raw->len, 1, a);
}


static void
azoai_route_preview_signals(const azoai_route_path_t *path,
    const azoai_request_t *req, azoai_route_t *route)
{
    size_t  i;

    /* v1 only: on classic routes a deployment may be called "alpha" */

    for (i = 0; route->v1 && i < path->n; i++) {
        if (azoai_route_segment_is(&path->segment[i], "alpha")) {
            azoai_route_set_preview(route,
                         "an \"alpha\" path segment marks a preview API");
            break;
        }
    }

    if (req->evals.len) {
        azoai_route_set_preview(route, "the aoai-evals header asks for the"
                                       " preview Evaluations API");
    }

    if (req->copy_checkpoints.len) {
        azoai_route_set_preview(route,
                     "the aoai-copy-ft-checkpoints header asks for the preview"
                     " checkpoint copy API");
    }
}


static int
azoai_route_has_body(const azoai_str_t *method)
{
    static const char  *bodiless[] = { "GET", "HEAD", "DELETE", "OPTIONS",
                                       NULL };
    const char        **m;

    for (m = bodiless; *m; m++) {
        if (method->len == strlen(*m)
            && memcmp(method->data, *m, method->len) == 0)
        {
            return 0;
        }
    }

    /* POST, PUT, PATCH and anything unknown: fail closed */

    return 1;
}


static void
azoai_route_set_ambiguous(azoai_route_t *route, const char *detail)
{
    if (!route->ambiguous) {
        route->ambiguous = 1;
        route->detail = detail;
    }
}


static void
azoai_route_set_preview(azoai_route_t *route, const char *detail)
{
    if (!route->ambiguous && !route->preview_feature) {
        route->detail = detail;
    }

    route->preview_feature = 1;
}


static int
azoai_route_segment_is(const azoai_str_t *s, const char *lower)
{
    size_t  i;
    u_char  c;

    for (i = 0; i < s->len; i++) {
        if (lower[i] == '\0') {
            return 0;
        }

        c = s->data[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (u_char) lower[i]) {
            return 0;
        }
    }

    return lower[s->len] == '\0';
}
