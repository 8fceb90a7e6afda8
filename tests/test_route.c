/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Route classification: every route family, every preview signal, every
 * kind of ambiguity.  Table-driven: each row is a request and what the
 * classifier must say about it.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "azoai_route.h"


/*
 * route flags as letters, in this order: Azure, V1, Known, Required
 * api-version, Preview feature, preview api-version (X), amBiguous,
 * Json body, Multipart
 */
#define FLAG_LETTERS  "AVKRPXBJM"


typedef struct {
    const char      *method;
    const char      *uri;          /* path?query */
    const char      *header;       /* "evals", "copy", "spill", "repeat" */
    const char      *operation;
    const char      *flags;
    unsigned         deployment_from;
    const char      *deployment;   /* NULL: empty */
    const char      *api_version;  /* NULL: empty */
} route_case_t;


#define V "?api-version=2024-10-21"
#define VP "?api-version=2025-04-01-preview"
#define DEP "/openai/deployments/chat-prod"


static const route_case_t  cases[] = {

    /* classic, deployment in the path */
    { "POST", DEP "/chat/completions" V, NULL, "chat.completions", "AKRJ",
      AZOAI_DEP_PATH, "chat-prod", "2024-10-21" },
    { "POST", DEP "/completions" V, NULL, "completions", "AKRJ",
      AZOAI_DEP_PATH, "chat-prod", "2024-10-21" },
    { "POST", DEP "/embeddings" V, NULL, "embeddings", "AKRJ",
      AZOAI_DEP_PATH, "chat-prod", "2024-10-21" },
    { "POST", DEP "/images/generations" V, NULL, "images.generations",
      "AKRJ", AZOAI_DEP_PATH, "chat-prod", "2024-10-21" },
    { "POST", DEP "/images/edits" V, NULL, "images.edits", "AKRM",
      AZOAI_DEP_PATH, "chat-prod", "2024-10-21" },
    { "POST", DEP "/audio/transcriptions" V, NULL, "audio.transcriptions",
      "AKRM", AZOAI_DEP_PATH, "chat-prod", "2024-10-21" },
    { "POST", DEP "/audio/translations" V, NULL, "audio.translations",
      "AKRM", AZOAI_DEP_PATH, "chat-prod", "2024-10-21" },
    { "POST", DEP "/audio/speech" V, NULL, "audio.speech", "AKRJM",
      AZOAI_DEP_PATH, "chat-prod", "2024-10-21" },
    { "POST", DEP "/extensions/chat/completions" V, NULL,
      "extensions.chat.completions", "AKRPJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-10-21" },

    /* classic, body model; Responses and Assistants are preview */
    { "POST", "/openai/responses" VP, NULL, "responses", "AKRPXJ",
      AZOAI_DEP_BODY, NULL, "2025-04-01-preview" },
    { "GET", "/openai/responses/resp_1" VP, NULL, "responses.item",
      "AKRPX", AZOAI_DEP_NONE, NULL, "2025-04-01-preview" },
    { "GET", "/openai/responses/resp_1/input_items" VP, NULL,
      "responses.input_items", "AKRPX", AZOAI_DEP_NONE, NULL,
      "2025-04-01-preview" },
    { "POST", "/openai/responses/resp_1/cancel" VP, NULL,
      "responses.cancel", "AKRPXJ", AZOAI_DEP_NONE, NULL,
      "2025-04-01-preview" },
    { "POST", "/openai/assistants" V, NULL, "assistants", "AKRPJ",
      AZOAI_DEP_BODY, NULL, "2024-10-21" },
    { "POST", "/openai/threads/runs" V, NULL, "threads.runs", "AKRPJ",
      AZOAI_DEP_BODY, NULL, "2024-10-21" },
    { "POST", "/openai/threads/thread_1/runs" V, NULL, "threads.runs",
      "AKRPJ", AZOAI_DEP_BODY, NULL, "2024-10-21" },
    { "GET", "/openai/threads/thread_1/messages" V, NULL, "threads",
      "AKRP", AZOAI_DEP_NONE, NULL, "2024-10-21" },
    { "POST", "/openai/vector_stores" V, NULL, "vector_stores", "AKRJ",
      AZOAI_DEP_BODY, NULL, "2024-10-21" },
    { "GET", "/openai/realtime" V "&deployment=rt-prod", NULL, "realtime",
      "AKR", AZOAI_DEP_QUERY, "rt-prod", "2024-10-21" },
    { "GET", "/openai/realtime?deployment=rt%2Dprod&api-version=2024-10-21",
      NULL, "realtime", "AKR", AZOAI_DEP_QUERY, "rt-prod", "2024-10-21" },
    { "POST", "/openai/realtimeapi/sessions" V, NULL, "realtime.sessions",
      "AKRJ", AZOAI_DEP_BODY, NULL, "2024-10-21" },

    /* classic, no deployment */
    { "POST", "/openai/files" V, NULL, "files", "AKRM", AZOAI_DEP_NONE,
      NULL, "2024-10-21" },
    { "GET", "/openai/files/file-1/content" V, NULL, "files", "AKR",
      AZOAI_DEP_NONE, NULL, "2024-10-21" },
    { "POST", "/openai/batches" V, NULL, "batches", "AKRJ", AZOAI_DEP_NONE,
      NULL, "2024-10-21" },
    { "POST", "/openai/fine_tuning/jobs" V, NULL, "fine_tuning.jobs",
      "AKRJ", AZOAI_DEP_BASE_MODEL, NULL, "2024-10-21" },
    { "GET", "/openai/fine_tuning/jobs" V, NULL, "fine_tuning.jobs", "AKR",
      AZOAI_DEP_NONE, NULL, "2024-10-21" },
    { "GET", "/openai/fine_tuning/jobs/ftjob-1/events" V, NULL,
      "fine_tuning", "AKR", AZOAI_DEP_NONE, NULL, "2024-10-21" },
    { "GET", "/openai/models" V, NULL, "models", "AKR", AZOAI_DEP_NONE,
      NULL, "2024-10-21" },
    { "POST", DEP "/chat/completions", NULL, "chat.completions", "AKRJ",
      AZOAI_DEP_PATH, "chat-prod", NULL },

    /* v1 GA */
    { "POST", "/openai/v1/chat/completions", NULL, "chat.completions",
      "AVKJ", AZOAI_DEP_BODY, NULL, NULL },
    { "POST", "/openai/v1/embeddings?api-version=v1", NULL, "embeddings",
      "AVKJ", AZOAI_DEP_BODY, NULL, "v1" },
    { "POST", "/openai/v1/responses", NULL, "responses", "AVKJ",
      AZOAI_DEP_BODY, NULL, NULL },
    { "POST", "/openai/v1/responses/compact", NULL, "responses.compact",
      "AVKJ", AZOAI_DEP_BODY, NULL, NULL },
    { "GET", "/openai/v1/responses/resp_1", NULL, "responses.item", "AVK",
      AZOAI_DEP_NONE, NULL, NULL },
    { "DELETE", "/openai/v1/responses/resp_1", NULL, "responses.item",
      "AVK", AZOAI_DEP_NONE, NULL, NULL },
    { "GET", "/openai/v1/responses/resp_1/input_items", NULL,
      "responses.input_items", "AVK", AZOAI_DEP_NONE, NULL, NULL },
    { "POST", "/openai/v1/files", NULL, "files", "AVKM", AZOAI_DEP_NONE,
      NULL, NULL },
    { "POST", "/openai/v1/fine_tuning/jobs", NULL, "fine_tuning.jobs",
      "AVKJ", AZOAI_DEP_BASE_MODEL, NULL, NULL },
    { "GET", "/openai/v1/models", NULL, "models", "AVK", AZOAI_DEP_NONE,
      NULL, NULL },
    { "POST", "/openai/v1/vector_stores", NULL, "vector_stores", "AVKJ",
      AZOAI_DEP_NONE, NULL, NULL },
    { "POST", "/openai/v1/batches", NULL, "batches", "AVKJ",
      AZOAI_DEP_NONE, NULL, NULL },
    { "GET", "/openai/v1/realtime?model=gpt-realtime", NULL, "realtime",
      "AVK", AZOAI_DEP_QUERY, "gpt-realtime", NULL },
    { "POST", "/openai/v1/realtime/client_secrets", NULL,
      "realtime.client_secrets", "AVKJ", AZOAI_DEP_BODY, NULL, NULL },
    { "POST", "/openai/v1/realtime/calls", NULL, "realtime.calls", "AVKM",
      AZOAI_DEP_FORM, NULL, NULL },
    { "POST", "/openai/v1/realtime/calls/rtc_1/accept", NULL,
      "realtime.calls.accept", "AVKJ", AZOAI_DEP_BODY, NULL, NULL },
    { "POST", "/openai/v1/chat/completions?api-version=2024-10-21", NULL,
      "chat.completions", "AVKJ", AZOAI_DEP_BODY, NULL, "2024-10-21" },

    /* v1 preview features */
    { "POST", "/openai/v1/evals", NULL, "evals", "AVKPJ", AZOAI_DEP_NONE,
      NULL, NULL },
    { "GET", "/openai/v1/models", "evals", "models", "AVKP",
      AZOAI_DEP_NONE, NULL, NULL },
    { "POST", "/openai/v1/fine_tuning/checkpoints/ck_1/copy", "copy",
      "fine_tuning", "AVKPJ", AZOAI_DEP_NONE, NULL, NULL },
    { "POST", "/openai/v1/fine_tuning/alpha/graders/run", NULL,
      "fine_tuning", "AVKPJ", AZOAI_DEP_NONE, NULL, NULL },
    { "POST", "/openai/deployments/alpha/embeddings" V, NULL, "embeddings",
      "AKRJ", AZOAI_DEP_PATH, "alpha", "2024-10-21" },
    { "POST", "/openai/v1/audio/transcriptions", NULL,
      "audio.transcriptions", "AVKPM", AZOAI_DEP_FORM, NULL, NULL },
    { "POST", "/openai/v1/audio/speech", NULL, "audio.speech", "AVKPJ",
      AZOAI_DEP_BODY, NULL, NULL },
    { "POST", "/openai/v1/images/generations?api-version=preview", NULL,
      "images.generations", "AVKPXJ", AZOAI_DEP_BODY, NULL, "preview" },
    { "POST", "/openai/v1/images/edits", NULL, "images.edits", "AVKPM",
      AZOAI_DEP_FORM, NULL, NULL },
    { "POST", "/openai/v1/video/generations/jobs", NULL, "video", "AVKPJ",
      AZOAI_DEP_BODY, NULL, NULL },

    /* preview api-versions, however written */
    { "POST", "/openai/v1/chat/completions?api-version=preview", NULL,
      "chat.completions", "AVKXJ", AZOAI_DEP_BODY, NULL, "preview" },
    { "POST", "/openai/v1/chat/completions" VP, NULL, "chat.completions",
      "AVKXJ", AZOAI_DEP_BODY, NULL, "2025-04-01-preview" },
    { "POST", DEP "/chat/completions?api-version=2024-12-01-PREVIEW", NULL,
      "chat.completions", "AKRXJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-12-01-PREVIEW" },
    { "POST", DEP "/chat/completions?api-version=2024-10-21%2Dpreview",
      NULL, "chat.completions", "AKRXJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-10-21-preview" },
    { "POST", DEP "/chat/completions?API-Version=2025-04-01-preview", NULL,
      "chat.completions", "AKRXJ", AZOAI_DEP_PATH, "chat-prod",
      "2025-04-01-preview" },
    { "POST", DEP "/chat/completions?api%2Dversion=2025-04-01-preview",
      NULL, "chat.completions", "AKRXJ", AZOAI_DEP_PATH, "chat-prod",
      "2025-04-01-preview" },
    { "POST", DEP "/chat/completions?x=1&api-version=2024-10-21+", NULL,
      "chat.completions", "AKRXJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-10-21 " },
    { "POST", DEP "/chat/completions?api-version=latest", NULL,
      "chat.completions", "AKRXJ", AZOAI_DEP_PATH, "chat-prod", "latest" },
    { "POST", DEP "/chat/completions?api-version=2024-1-21", NULL,
      "chat.completions", "AKRXJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-1-21" },
    { "POST", DEP "/chat/completions?api-version=2024-10-21&api-key=k",
      NULL, "chat.completions", "AKRJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-10-21" },

    /* ambiguity in the path */
    { "POST", "/openai/deployments/chat%2Dprod/chat/completions" V, NULL,
      "chat.completions", "AKRBJ", AZOAI_DEP_PATH, "chat%2Dprod",
      "2024-10-21" },
    { "POST", "/openai/deployments/./chat/completions" V, NULL,
      "chat.completions", "AKRBJ", AZOAI_DEP_PATH, ".", "2024-10-21" },
    { "POST", DEP "/../other/chat/completions" V, NULL, "unknown", "ARB",
      AZOAI_DEP_NONE, NULL, "2024-10-21" },
    { "POST", "/openai//deployments/chat-prod/chat/completions" V, NULL,
      "unknown", "ARB", AZOAI_DEP_NONE, NULL, "2024-10-21" },
    { "POST", DEP "/chat/completions/" V, NULL, "unknown", "ARB",
      AZOAI_DEP_NONE, NULL, "2024-10-21" },
    { "POST", "/openai/", NULL, "unknown", "ARB", AZOAI_DEP_NONE, NULL,
      NULL },
    { "POST", DEP "\\chat/completions" V, NULL, "completions", "AKRBJ",
      AZOAI_DEP_PATH, "chat-prod\\chat", "2024-10-21" },
    { "POST", DEP ";v=1/chat/completions" V, NULL, "chat.completions",
      "AKRBJ", AZOAI_DEP_PATH, "chat-prod;v=1", "2024-10-21" },
    { "POST", DEP "/chat/completions\x01" V, NULL, "unknown", "ARB",
      AZOAI_DEP_NONE, NULL, "2024-10-21" },

    /* ambiguity in the query and headers */
    { "POST", DEP "/chat/completions" V "&api-version=2024-10-21", NULL,
      "chat.completions", "AKRBJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-10-21" },
    { "POST", DEP "/chat/completions" V "&API-VERSION=2025-04-01-preview",
      NULL, "chat.completions", "AKRBJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-10-21" },
    { "POST", DEP "/chat/completions" V "&api%2dversion=2024-10-21", NULL,
      "chat.completions", "AKRBJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-10-21" },
    { "POST", DEP "/chat/completions" V "&api-version", NULL,
      "chat.completions", "AKRBJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-10-21" },
    { "GET", "/openai/realtime" V "&deployment=a&Deployment=b", NULL,
      "realtime", "AKRB", AZOAI_DEP_QUERY, "a", "2024-10-21" },
    { "GET", "/openai/v1/realtime?model=a&MODEL=b", NULL, "realtime",
      "AVKB", AZOAI_DEP_QUERY, "a", NULL },
    { "POST", DEP "/chat/completions" V, "repeat", "chat.completions",
      "AKRBJ", AZOAI_DEP_PATH, "chat-prod", "2024-10-21" },

    /* a '#' in the query: NGINX's args end there, proxy_pass sends it on */
    { "POST", DEP "/chat/completions" V "#&api-version=2025-04-01-preview",
      NULL, "chat.completions", "AKRXBJ", AZOAI_DEP_PATH, "chat-prod",
      "2024-10-21#" },
    { "POST", DEP "/chat/completions" V "&x=1#y", NULL, "chat.completions",
      "AKRBJ", AZOAI_DEP_PATH, "chat-prod", "2024-10-21" },
    { "POST", "/openai/v1/chat/completions?x=%23", NULL, "chat.completions",
      "AVKJ", AZOAI_DEP_BODY, NULL, NULL },

    /* Azure paths in disguise, and case */
    { "POST", "/%6Fpenai/deployments/x/chat/completions" V, NULL, "unknown",
      "AB", AZOAI_DEP_NONE, NULL, NULL },
    { "POST", "/openai%2Fdeployments/x/chat/completions" V, NULL,
      "unknown", "AB", AZOAI_DEP_NONE, NULL, NULL },
    { "POST", "/foo/../openai/deployments/x/chat/completions" V, NULL,
      "unknown", "AB", AZOAI_DEP_NONE, NULL, NULL },
    { "POST", "//openai/deployments/x/chat/completions" V, NULL, "unknown",
      "AB", AZOAI_DEP_NONE, NULL, NULL },
    { "POST", "\\openai\\deployments/x/chat/completions" V, NULL,
      "unknown", "AB", AZOAI_DEP_NONE, NULL, NULL },
    { "POST", "/OpenAI/Deployments/x/Chat/Completions" V, NULL,
      "chat.completions", "AKRJ", AZOAI_DEP_PATH, "x", "2024-10-21" },

    /* not Azure, and unknown Azure routes */
    { "GET", "/healthz", NULL, "unknown", "", AZOAI_DEP_NONE, NULL, NULL },
    { "GET", "/openaix/deployments" V, NULL, "unknown", "", AZOAI_DEP_NONE,
      NULL, NULL },
    { "GET", "/static/app.js", NULL, "unknown", "", AZOAI_DEP_NONE, NULL,
      NULL },
    { "GET", "/a/../b/%41", NULL, "unknown", "", AZOAI_DEP_NONE, NULL,
      NULL },
    { "GET", "/openai" V, NULL, "unknown", "AR", AZOAI_DEP_NONE, NULL,
      "2024-10-21" },
    { "POST", DEP "/unknown" V, NULL, "unknown", "AR", AZOAI_DEP_NONE, NULL,
      "2024-10-21" },
    { "POST", "/openai/v1/unknown", NULL, "unknown", "AV", AZOAI_DEP_NONE,
      NULL, NULL },
    { "POST", "/openai/v1", NULL, "unknown", "AV", AZOAI_DEP_NONE, NULL,
      NULL },
};


static void
route_flags(const azoai_route_t *r, char *buf)
{
    size_t          i;
    char           *p;
    const unsigned  set[] = { r->azure, r->v1, r->known,
                              r->api_version_required, r->preview_feature,
                              r->preview_api, r->ambiguous, r->json_body,
                              r->multipart };

    p = buf;

    for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
        if (set[i]) {
            *p++ = FLAG_LETTERS[i];
        }
    }

    *p = '\0';
}


static void
request_from(azoai_request_t *req, const route_case_t *c)
{
    const char  *q;

    memset(req, 0, sizeof(azoai_request_t));

    req->method.data = (const u_char *) c->method;
    req->method.len = strlen(c->method);

    q = strchr(c->uri, '?');

    req->path.data = (const u_char *) c->uri;
    req->path.len = q ? (size_t) (q - c->uri) : strlen(c->uri);

    if (q) {
        req->args.data = (const u_char *) q + 1;
        req->args.len = strlen(q + 1);
    }

    if (c->header == NULL) {
        return;
    }

    if (strcmp(c->header, "evals") == 0) {
        req->evals.data = (const u_char *) "preview";
        req->evals.len = 7;

    } else if (strcmp(c->header, "copy") == 0) {
        req->copy_checkpoints.data = (const u_char *) "preview";
        req->copy_checkpoints.len = 7;

    } else if (strcmp(c->header, "repeat") == 0) {
        req->header_repeated = 1;
    }
}


static void
assert_str(const char *what, const char *uri, const azoai_str_t *s,
    const char *expected)
{
    size_t  len;

    len = expected ? strlen(expected) : 0;

    if (s->len != len || (len && memcmp(s->data, expected, len) != 0)) {
        fail_msg("%s: %s is '%.*s', expected '%s'", uri, what, (int) s->len,
                 s->data ? (const char *) s->data : "",
                 expected ? expected : "");
    }
}


static void
test_route_table(void **state)
{
    char                 flags[16];
    size_t               i;
    test_arena_t         arena;
    azoai_route_t        r;
    azoai_alloc_t        a;
    azoai_request_t      req;
    const route_case_t  *c;

    memset(&arena, 0, sizeof(test_arena_t));
    a = test_arena_allocator(&arena);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        c = &cases[i];
        request_from(&req, c);

        assert_int_equal(azoai_route_classify(&req, &r, &a), AZOAI_OK);

        route_flags(&r, flags);

        if (strcmp(flags, c->flags) != 0) {
            fail_msg("%s %s: flags '%s', expected '%s' (%s)", c->method,
                     c->uri, flags, c->flags, r.detail ? r.detail : "");
        }

        if (strcmp(r.operation, c->operation) != 0) {
            fail_msg("%s: operation '%s', expected '%s'", c->uri,
                     r.operation, c->operation);
        }

        if (r.deployment_from != c->deployment_from) {
            fail_msg("%s %s: deployment_from %u, expected %u", c->method,
                     c->uri, r.deployment_from, c->deployment_from);
        }

        assert_str("deployment", c->uri, &r.deployment, c->deployment);
        assert_str("api_version", c->uri, &r.api_version, c->api_version);

        /* preview and ambiguous routes say why */
        if ((r.ambiguous || r.preview_feature) && r.detail == NULL) {
            fail_msg("%s: no detail", c->uri);
        }
    }

    test_arena_free(&arena);
}


static void
classify(const char *method, const char *uri, azoai_route_t *r,
    test_arena_t *arena)
{
    azoai_alloc_t    a;
    route_case_t     c;
    azoai_request_t  req;

    memset(&c, 0, sizeof(route_case_t));
    c.method = method;
    c.uri = uri;

    request_from(&req, &c);
    a = test_arena_allocator(arena);

    assert_int_equal(azoai_route_classify(&req, r, &a), AZOAI_OK);
}


static void
test_route_details(void **state)
{
    test_arena_t   arena;
    azoai_route_t  r;

    memset(&arena, 0, sizeof(test_arena_t));

    classify("POST", "/openai/responses" V, &r, &arena);
    assert_string_equal(r.detail, "Responses API on classic routes is"
                        " preview-only; use /openai/v1/responses");

    classify("POST", DEP "/chat/completions" V "&api-version=x", &r, &arena);
    assert_non_null(strstr(r.detail, "api-version"));

    classify("POST", "/openai/deployments/a%2Fb/chat/completions" V, &r,
             &arena);
    assert_non_null(strstr(r.detail, "percent-encoded"));

    classify("POST", "/openai/deployments/../chat/completions" V, &r,
             &arena);
    assert_non_null(strstr(r.detail, "dot segment"));

    classify("POST", "/openai/deployments//chat/completions" V, &r, &arena);
    assert_non_null(strstr(r.detail, "empty segment"));

    /* ambiguity wins over a preview detail */
    classify("POST", "/openai/assistants/" V, &r, &arena);
    assert_true(r.preview_feature && r.ambiguous);
    assert_non_null(strstr(r.detail, "empty segment"));

    /* where the deployment was found */
    classify("POST", DEP "/embeddings" V, &r, &arena);
    assert_string_equal(r.deployment_where, "path");
    classify("GET", "/openai/realtime" V "&deployment=x", &r, &arena);
    assert_string_equal(r.deployment_where, "query deployment");
    classify("GET", "/openai/v1/realtime?model=x", &r, &arena);
    assert_string_equal(r.deployment_where, "query model");

    /* '+' and %XX in a realtime deployment value are decoded */
    classify("GET", "/openai/v1/realtime?model=a+b%2Bc", &r, &arena);
    assert_int_equal(r.deployment.len, 5);
    assert_memory_equal(r.deployment.data, "a b+c", 5);

    test_arena_free(&arena);
}


/* file uploads and upload parts: the flags the body inspection goes by */

static void
test_route_uploads(void **state)
{
    size_t         i;
    test_arena_t   arena;
    azoai_route_t  r;

    static const struct {
        const char  *method;
        const char  *uri;
        const char  *operation;
        unsigned     upload;
        unsigned     part;
        unsigned     json;
    } cases[] = {
        { "POST", "/openai/files" V, "files", 1, 0, 0 },
        { "POST", "/openai/v1/files", "files", 1, 0, 0 },
        { "GET", "/openai/files" V, "files", 0, 0, 0 },
        { "POST", "/openai/files/file-1/content" V, "files", 0, 0, 1 },
        { "POST", "/openai/uploads" V, "uploads", 0, 0, 1 },
        { "POST", "/openai/uploads/upload_1/parts" V, "uploads.parts", 1, 1,
          0 },
        { "POST", "/openai/v1/uploads/upload_1/parts", "uploads.parts", 1, 1,
          0 },
        { "POST", "/openai/v1/uploads/upload_1/complete", "uploads", 0, 0,
          1 },
        { "POST", "/openai/v1/uploads/upload_1/cancel", "uploads", 0, 0, 1 },
        { "GET", "/openai/v1/uploads/upload_1/parts", "uploads.parts", 0, 0,
          0 },
    };

    memset(&arena, 0, sizeof(test_arena_t));

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        classify(cases[i].method, cases[i].uri, &r, &arena);

        if (!r.known || r.ambiguous || r.preview_feature
            || strcmp(r.operation, cases[i].operation) != 0
            || r.upload != cases[i].upload || r.upload_part != cases[i].part
            || r.json_body != cases[i].json
            || r.multipart != cases[i].upload
            || r.deployment_from != AZOAI_DEP_NONE)
        {
            fail_msg("%s %s: %s upload %u part %u json %u", cases[i].method,
                     cases[i].uri, r.operation, r.upload, r.upload_part,
                     r.json_body);
        }
    }

    test_arena_free(&arena);
}


static void
test_route_long_paths(void **state)
{
    char           uri[512];
    size_t         i, n;
    test_arena_t   arena;
    azoai_route_t  r;

    memset(&arena, 0, sizeof(test_arena_t));

    /* more segments than the classifier keeps: still a "**" route */
    n = (size_t) snprintf(uri, sizeof(uri), "/openai/threads");

    for (i = 0; i < AZOAI_ROUTE_MAX_SEGMENTS + 4; i++) {
        n += (size_t) snprintf(uri + n, sizeof(uri) - n, "/s%zu", i);
    }

    snprintf(uri + n, sizeof(uri) - n, V);

    classify("GET", uri, &r, &arena);
    assert_true(r.known);
    assert_string_equal(r.operation, "threads");

    /* but never an exact route */
    n = (size_t) snprintf(uri, sizeof(uri), DEP "/chat/completions");

    for (i = 0; i < AZOAI_ROUTE_MAX_SEGMENTS; i++) {
        n += (size_t) snprintf(uri + n, sizeof(uri) - n, "/x");
    }

    classify("POST", uri, &r, &arena);
    assert_false(r.known);

    test_arena_free(&arena);
}


/*
 * The splitter looks at 16 path bytes a step, and at the last 16 of a
 * path again for its end: a byte of every kind at every position of a
 * deployment name of 1 to 40 bytes, in the middle of the path and at its
 * end, is found (or, ordinary, passes) as the byte table says.
 */

static void
test_route_every_byte(void **state)
{
    char           uri[256];
    size_t         i, len, k;
    unsigned       last;
    test_arena_t   arena;
    azoai_route_t  r;
    char           name[64];

    static const struct {
        u_char       byte;
        const char  *detail;    /* NULL: an ordinary byte */
    } bytes[] = {
        { 'a', NULL }, { '!', NULL }, { '~', NULL }, { '-', NULL },
        { '%', "percent-encoded" }, { ';', "';'" },
        { '\\', "backslash" }, { 0x01, "control" }, { 0x1f, "control" },
        { ' ', "control" }, { 0x7f, "control" }, { 0x80, "control" },
        { 0xff, "control" }
    };

    memset(&arena, 0, sizeof(test_arena_t));

    for (i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
        for (len = 1; len <= 40; len++) {
            for (k = 0; k < len; k++) {
                for (last = 0; last < 2; last++) {
                    memset(name, 'n', len);
                    name[k] = (char) bytes[i].byte;
                    name[len] = '\0';

                    snprintf(uri, sizeof(uri),
                             last ? "/openai/deployments/%s" V
                                  : "/openai/deployments/%s/chat/completions"
                                    V, name);

                    classify("POST", uri, &r, &arena);

                    if (bytes[i].detail) {
                        assert_true(r.ambiguous);
                        assert_non_null(strstr(r.detail, bytes[i].detail));
                        continue;
                    }

                    assert_false(r.ambiguous);

                    if (!last) {
                        assert_true(r.known);
                        assert_int_equal(r.deployment.len, len);
                        assert_memory_equal(r.deployment.data, name, len);
                    }
                }
            }
        }
    }

    test_arena_free(&arena);
}


static void
test_route_nomem(void **state)
{
    test_arena_t     arena;
    azoai_route_t    r;
    azoai_alloc_t    a;
    route_case_t     c;
    azoai_request_t  req;

    memset(&arena, 0, sizeof(test_arena_t));
    arena.fail_after = 1;
    a = test_arena_allocator(&arena);

    memset(&c, 0, sizeof(route_case_t));
    c.method = "POST";
    c.uri = DEP "/chat/completions?api-version=2024-10-21%2Dpreview";
    request_from(&req, &c);

    assert_int_equal(azoai_route_classify(&req, &r, &a), AZOAI_ERROR);

    c.uri = "/%6Fpenai/x";
    request_from(&req, &c);

    assert_int_equal(azoai_route_classify(&req, &r, &a), AZOAI_ERROR);

    /* nothing to decode: no allocation at all */
    arena.calls = 0;
    c.uri = DEP "/chat/completions?api-version=2024-10-21";
    request_from(&req, &c);

    assert_int_equal(azoai_route_classify(&req, &r, &a), AZOAI_OK);
    assert_int_equal(arena.calls, 0);

    c.uri = "/healthz";
    request_from(&req, &c);

    assert_int_equal(azoai_route_classify(&req, &r, &a), AZOAI_OK);
    assert_int_equal(arena.calls, 0);

    test_arena_free(&arena);
}


/* routes whose body must name the deployment, and those where it may */

static void
test_route_body_names(void **state)
{
    size_t         i;
    test_arena_t   arena;
    azoai_route_t  r;

    static const struct {
        const char  *method;
        const char  *uri;
        unsigned     names;
    } rows[] = {
        { "POST", "/openai/v1/chat/completions", 1 },
        { "POST", "/openai/v1/embeddings", 1 },
        { "POST", "/openai/v1/responses", 1 },
        { "POST", "/openai/v1/responses/compact", 1 },
        { "POST", "/openai/v1/realtime/client_secrets", 1 },
        { "POST", "/openai/v1/audio/speech?api-version=preview", 1 },
        { "POST", "/openai/v1/images/generations?api-version=preview", 1 },
        { "POST", "/openai/v1/video/generations/jobs?api-version=preview",
          1 },
        { "POST", "/openai/v1/videos?api-version=preview", 1 },
        { "POST", "/openai/v1/fine_tuning/jobs", 1 },
        { "POST", "/openai/responses" VP, 1 },
        { "POST", "/openai/realtimeapi/sessions" V, 1 },
        { "POST", "/openai/fine_tuning/jobs" V, 1 },
        /* the model may be left out: it is the assistant's, or none */
        { "POST", "/openai/assistants/asst_1" V, 0 },
        { "POST", "/openai/threads/runs" V, 0 },
        { "POST", "/openai/threads/thread_1/runs" V, 0 },
        { "POST", "/openai/threads" V, 0 },
        { "POST", "/openai/vector_stores" V, 0 },
        { "POST", "/openai/v1/realtime/calls/call_1/accept", 0 },
        { "POST", "/openai/v1/videos/video_1/remix?api-version=preview",
          0 },
        { "POST", "/openai/v1/responses/resp_1/cancel", 0 },
        { "POST", DEP "/chat/completions" V, 0 },
        /* no body: nothing to name */
        { "GET", "/openai/v1/chat/completions", 0 },
        { "DELETE", "/openai/v1/videos?api-version=preview", 0 },
    };

    memset(&arena, 0, sizeof(test_arena_t));

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        classify(rows[i].method, rows[i].uri, &r, &arena);

        if (r.body_names_deployment != rows[i].names) {
            fail_msg("%s %s: body_names_deployment %u", rows[i].method,
                     rows[i].uri, r.body_names_deployment);
        }
    }

    test_arena_free(&arena);
}


static void
test_api_version_is_preview(void **state)
{
    size_t       i;
    const char  *ga[] = { "2022-12-01", "2023-05-15", "2024-02-01",
                          "2024-06-01", "2024-10-21", "v1", "V1", "" };
    const char  *preview[] = { "2024-12-01-preview", "2025-04-01-PREVIEW",
                               "preview", "Preview", "latest", "2024-10-21 ",
                               "2024-10-21x", "v2", "2024/10/21",
                               "2024-10-2", "-preview", "x" };

    for (i = 0; i < sizeof(ga) / sizeof(ga[0]); i++) {
        if (azoai_api_version_is_preview((const u_char *) ga[i],
                                         strlen(ga[i])))
        {
            fail_msg("'%s' taken for preview", ga[i]);
        }
    }

    for (i = 0; i < sizeof(preview) / sizeof(preview[0]); i++) {
        if (!azoai_api_version_is_preview((const u_char *) preview[i],
                                          strlen(preview[i])))
        {
            fail_msg("'%s' taken for GA", preview[i]);
        }
    }

    /* a byte just outside '0'-'9' (or not '-') at each of the 10 places */

    for (i = 0; i < 20; i++) {
        char  v[] = "2024-10-21";

        v[i / 2] = (i / 2 == 4 || i / 2 == 7) ? (i & 1 ? '.' : '/')
                                              : (i & 1 ? ':' : '/');

        if (!azoai_api_version_is_preview((const u_char *) v, 10)) {
            fail_msg("'%s' taken for GA", v);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_route_table),
        cmocka_unit_test(test_route_details),
        cmocka_unit_test(test_route_uploads),
        cmocka_unit_test(test_route_long_paths),
        cmocka_unit_test(test_route_every_byte),
        cmocka_unit_test(test_route_nomem),
        cmocka_unit_test(test_api_version_is_preview),
        cmocka_unit_test(test_route_body_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
