/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The GA decision: one case per reason, the deployment sources (path,
 * query, headers, body names, base models), the allow/deny switches, and
 * what messages may and may not echo; on each request the fast check
 * (azoai_policy_fast.h) decides as the general one (test_policy_fast.h).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "test_policy_fast.h"
#include "azoai_policy.h"


#define S(s)  (const u_char *) (s), strlen(s)


static const char  catalog_json[] =
    "{\"models\": {"
    "  \"gpt-4o\": {\"2024-08-06\": \"ga\", \"2024-11-20\": \"ga\"},"
    "  \"gpt-4o-mini\": {\"2024-07-18\": \"ga\"},"
    "  \"gpt-4o-realtime-preview\": {\"2024-12-17\": \"preview\"},"
    "  \"gpt-5-chat\": {\"*\": \"preview\"},"
    "  \"gpt-35-turbo\": {\"0613\": \"retired\"},"
    "  \"o3\": {\"2025-04-16\": \"ga\"}},"
    " \"deployments\": {"
    "  \"chat-prod\": {\"model\": \"gpt-4o\", \"version\": \"2024-11-20\"},"
    "  \"chat-prev\": {\"model\": \"gpt-4o-realtime-preview\","
    "                  \"version\": \"2024-12-17\"},"
    "  \"old\": {\"model\": \"gpt-35-turbo\", \"version\": \"0613\"},"
    "  \"orphan\": {\"model\": \"not-listed\", \"version\": \"1\"},"
    "  \"auto\": {\"model\": \"gpt-4o\"}}}";


static azoai_catalog_t  *catalog;


static int
setup(void **state)
{
    char  err[256];

    catalog = azoai_catalog_create();

    if (catalog == NULL
        || azoai_catalog_load_json(catalog, S(catalog_json), err,
                                   sizeof(err))
           != AZOAI_OK)
    {
        return -1;
    }

    return 0;
}


static int
teardown(void **state)
{
    azoai_catalog_free(catalog);
    return 0;
}


typedef struct {
    const char      *spillover;
    const char      *image;
    const char      *evals;
} headers_t;


static void
check(const azoai_policy_conf_t *pc, const char *method, const char *uri,
    const headers_t *h, azoai_decision_t *d)
{
    const char       *q;
    test_arena_t      arena;
    azoai_alloc_t     a;
    azoai_route_t     route;
    azoai_request_t   req;

    memset(&arena, 0, sizeof(test_arena_t));
    a = test_arena_allocator(&arena);

    memset(&req, 0, sizeof(azoai_request_t));
    req.method.data = (const u_char *) method;
    req.method.len = strlen(method);

    q = strchr(uri, '?');
    req.path.data = (const u_char *) uri;
    req.path.len = q ? (size_t) (q - uri) : strlen(uri);

    if (q) {
        req.args.data = (const u_char *) q + 1;
        req.args.len = strlen(q + 1);
    }

    if (h && h->spillover) {
        req.spillover.data = (const u_char *) h->spillover;
        req.spillover.len = strlen(h->spillover);
    }

    if (h && h->image) {
        req.image_deployment.data = (const u_char *) h->image;
        req.image_deployment.len = strlen(h->image);
    }

    if (h && h->evals) {
        req.evals.data = (const u_char *) h->evals;
        req.evals.len = strlen(h->evals);
    }

    assert_int_equal(azoai_route_classify(&req, &route, &a), AZOAI_OK);

    /* the general check into d, and the fast one deciding the same */
    test_policy_fast_same(pc, &req, &route, d);

    test_arena_free(&arena);
}


static void
expect(const azoai_decision_t *d, unsigned reason, const char *in_message)
{
    if (d->reason != reason) {
        fail_msg("reason %s, expected %s: %s", azoai_reason_code(d->reason),
                 azoai_reason_code(reason), d->message);
    }

    assert_int_equal(d->status, azoai_reason_status(reason));

    if (in_message && strstr(d->message, in_message) == NULL) {
        fail_msg("message '%s' lacks '%s'", d->message, in_message);
    }
}


static void
expect_str(const azoai_str_t *s, const char *expected)
{
    assert_int_equal(s->len, strlen(expected));
    assert_memory_equal(s->data, expected, s->len);
}


#define DEP  "/openai/deployments/"
#define V    "?api-version=2024-10-21"


static void
test_policy_reasons(void **state)
{
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;

    memset(&pc, 0, sizeof(azoai_policy_conf_t));
    pc.catalog = catalog;

    /* GA deployment: allowed, and the decision says what it ran on */
    check(&pc, "POST", DEP "chat-prod/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);
    assert_int_equal(d.status, 200);
    assert_string_equal(d.message, "");
    expect_str(&d.deployment, "chat-prod");
    expect_str(&d.model, "gpt-4o");
    expect_str(&d.model_version, "2024-11-20");

    /* not Azure OpenAI: not judged */
    check(&pc, "GET", "/healthz", NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);
    assert_int_equal(d.deployment.len, 0);

    check(&pc, "POST", DEP "chat%2Dprod/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_AMBIGUOUS, "percent-encoded byte");
    assert_int_equal(d.status, 400);

    check(&pc, "POST", "/%6Fpenai/deployments/x/chat/completions" V, NULL,
          &d);
    expect(&d, AZOAI_AMBIGUOUS, "only after decoding");

    check(&pc, "POST", DEP "chat-prod/chat/completions" V
          "&API-Version=2024-10-21", NULL, &d);
    expect(&d, AZOAI_AMBIGUOUS, "api-version is given more than once");

    check(&pc, "POST", DEP "chat-prod/whatever" V, NULL, &d);
    expect(&d, AZOAI_AMBIGUOUS, "unrecognized Azure OpenAI route");

    check(&pc, "POST", DEP "chat-prod/chat/completions", NULL, &d);
    expect(&d, AZOAI_AMBIGUOUS, "api-version is required");

    check(&pc, "POST", DEP "chat-prod/chat/completions"
          "?api-version=2025-04-01-preview", NULL, &d);
    expect(&d, AZOAI_PREVIEW_API_VERSION,
           "api-version '2025-04-01-preview' is a preview API version; use"
           " a GA version such as 2024-10-21 or the v1 API");
    assert_int_equal(d.status, 403);

    check(&pc, "POST", DEP "chat-prod/chat/completions"
          "?api-version=2024-10-21%2Dpreview", NULL, &d);
    expect(&d, AZOAI_PREVIEW_API_VERSION, "'2024-10-21-preview'");

    check(&pc, "POST", "/openai/v1/chat/completions?api-version=preview",
          NULL, &d);
    expect(&d, AZOAI_PREVIEW_API_VERSION, "'preview'");

    check(&pc, "POST", "/openai/v1/evals", NULL, &d);
    expect(&d, AZOAI_PREVIEW_FEATURE, "Evaluations API");

    check(&pc, "POST", "/openai/assistants" V, NULL, &d);
    expect(&d, AZOAI_PREVIEW_FEATURE, "Assistants API");
}


/* what the catalog says of the deployment: preview, retired, unknown */

static void
test_policy_models(void **state)
{
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;

    memset(&pc, 0, sizeof(azoai_policy_conf_t));
    pc.catalog = catalog;

    check(&pc, "POST", DEP "chat-prev/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_PREVIEW_MODEL,
           "deployment 'chat-prev' (gpt-4o-realtime-preview 2024-12-17) is"
           " a preview model; only generally available models are allowed");
    /* a denial still says what it judged, for the audit log */
    expect_str(&d.deployment, "chat-prev");
    expect_str(&d.model, "gpt-4o-realtime-preview");
    expect_str(&d.model_version, "2024-12-17");

    check(&pc, "POST", DEP "old/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_RETIRED_MODEL,
           "deployment 'old' (gpt-35-turbo 0613) is a retired model");

    check(&pc, "POST", DEP "nobody/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_UNKNOWN_DEPLOYMENT,
           "deployment 'nobody' is not in the catalog");
    assert_int_equal(d.status, 403);

    check(&pc, "POST", DEP "orphan/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_UNKNOWN_DEPLOYMENT,
           "deployment 'orphan' maps to not-listed 1, which the catalog"
           " does not list");

    /* realtime names its deployment in the query, and must name one */
    check(&pc, "GET", "/openai/realtime" V "&deployment=chat-prev", NULL,
          &d);
    expect(&d, AZOAI_PREVIEW_MODEL, "(from query deployment)");

    check(&pc, "GET", "/openai/realtime" V, NULL, &d);
    expect(&d, AZOAI_AMBIGUOUS, "names no deployment");

    check(&pc, "GET", "/openai/v1/realtime?model=gpt-4o", NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);
    expect_str(&d.deployment, "gpt-4o");
    expect_str(&d.model, "gpt-4o");
}


static void
test_policy_switches(void **state)
{
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;

    memset(&pc, 0, sizeof(azoai_policy_conf_t));
    pc.catalog = catalog;
    pc.allow_preview_api = 1;

    /* azoai_preview_api allow: preview versions and features pass ... */
    check(&pc, "POST", DEP "chat-prod/chat/completions"
          "?api-version=2025-04-01-preview", NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);

    check(&pc, "POST", "/openai/v1/evals", NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);

    /* ... but not preview models, ambiguity or unknown routes */
    check(&pc, "POST", DEP "chat-prev/chat/completions"
          "?api-version=2025-04-01-preview", NULL, &d);
    expect(&d, AZOAI_PREVIEW_MODEL, NULL);

    check(&pc, "POST", DEP "chat-prod/./chat/completions" V, NULL, &d);
    expect(&d, AZOAI_AMBIGUOUS, NULL);

    check(&pc, "POST", "/openai/v1/nothing", NULL, &d);
    expect(&d, AZOAI_AMBIGUOUS, NULL);

    /* azoai_unknown_deployment allow */
    pc.allow_preview_api = 0;
    pc.allow_unknown = 1;

    check(&pc, "POST", DEP "nobody/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);
    expect_str(&d.deployment, "nobody");

    check(&pc, "POST", DEP "orphan/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);
    expect_str(&d.model, "not-listed");

    check(&pc, "POST", DEP "chat-prev/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_PREVIEW_MODEL, NULL);

    check(&pc, "POST", DEP "my-thing-preview/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_PREVIEW_MODEL, NULL);

    /* no catalog: everything unknown, "-preview" still preview */
    pc.catalog = NULL;
    pc.allow_unknown = 0;

    check(&pc, "POST", DEP "chat-prod/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_UNKNOWN_DEPLOYMENT, NULL);

    check(&pc, "POST", DEP "o1-preview/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_PREVIEW_MODEL, "'o1-preview' is a preview model");
}


static void
test_policy_names(void **state)
{
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;

    memset(&pc, 0, sizeof(azoai_policy_conf_t));
    pc.catalog = catalog;

    /* deployments named after models */
    check(&pc, "POST", DEP "gpt-4o/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);
    expect_str(&d.model, "gpt-4o");

    check(&pc, "POST", DEP "GPT-4O/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);

    check(&pc, "POST", DEP "gpt-5-chat/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_PREVIEW_MODEL,
           "deployment 'gpt-5-chat' is a preview model");

    check(&pc, "POST", DEP "gpt-35-turbo/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_RETIRED_MODEL, NULL);

    check(&pc, "POST", DEP "gpt-4o-mini-2024-07-18/chat/completions" V,
          NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);

    check(&pc, "POST", DEP "o3-2025-04-16/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);

    check(&pc, "POST", DEP "gpt-4o-mini-2099-01-01/chat/completions" V,
          NULL, &d);
    expect(&d, AZOAI_UNKNOWN_DEPLOYMENT, "'gpt-4o-mini-2099-01-01'");

    check(&pc, "POST", DEP "gpt-4o-realtime-preview-2024-12-17/embeddings"
          V, NULL, &d);
    expect(&d, AZOAI_PREVIEW_MODEL, NULL);

    /* a deployment without a version: GA if every version is GA */
    check(&pc, "POST", DEP "auto/chat/completions" V, NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);
    expect_str(&d.model, "gpt-4o");
    assert_int_equal(d.model_version.len, 0);
}


static void
test_policy_headers(void **state)
{
    headers_t            h;
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;

    memset(&pc, 0, sizeof(azoai_policy_conf_t));
    pc.catalog = catalog;

    memset(&h, 0, sizeof(headers_t));
    h.spillover = "chat-prev";

    check(&pc, "POST", DEP "chat-prod/chat/completions" V, &h, &d);
    expect(&d, AZOAI_PREVIEW_MODEL,
           "(from header x-ms-spillover-deployment)");

    h.spillover = "gpt-4o";
    check(&pc, "POST", DEP "chat-prod/chat/completions" V, &h, &d);
    expect(&d, AZOAI_ALLOW, NULL);
    expect_str(&d.deployment, "chat-prod");

    memset(&h, 0, sizeof(headers_t));
    h.image = "nobody";

    check(&pc, "POST", "/openai/v1/responses", &h, &d);
    expect(&d, AZOAI_UNKNOWN_DEPLOYMENT,
           "(from header x-ms-oai-image-generation-deployment)");

    memset(&h, 0, sizeof(headers_t));
    h.evals = "preview";

    check(&pc, "GET", "/openai/v1/models", &h, &d);
    expect(&d, AZOAI_PREVIEW_FEATURE, "aoai-evals");
}


static void
test_policy_body_names(void **state)
{
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;

    memset(&pc, 0, sizeof(azoai_policy_conf_t));
    pc.catalog = catalog;

    /* what the glue does with the body's names after the route passed */
    check(&pc, "POST", "/openai/v1/chat/completions", NULL, &d);
    expect(&d, AZOAI_ALLOW, NULL);

    azoai_policy_check_deployment(&pc, S("chat-prod"), AZOAI_DEP_BODY,
                                  "body model", &d);
    expect(&d, AZOAI_ALLOW, NULL);
    expect_str(&d.deployment, "chat-prod");
    expect_str(&d.model_version, "2024-11-20");

    azoai_policy_check_deployment(&pc, S("chat-prev"), AZOAI_DEP_BODY,
                                  "body session.model", &d);
    expect(&d, AZOAI_PREVIEW_MODEL, "(from body session.model)");

    /* the first denial stands */
    azoai_policy_check_deployment(&pc, S("nobody"), AZOAI_DEP_BODY,
                                  "body model", &d);
    expect(&d, AZOAI_PREVIEW_MODEL, "chat-prev");

    check(&pc, "POST", "/openai/v1/chat/completions", NULL, &d);
    azoai_policy_check_deployment(&pc, S(""), AZOAI_DEP_BODY, "body model",
                                  &d);
    expect(&d, AZOAI_AMBIGUOUS, "empty deployment name (body model)");

    /* fine-tuning names a base model, never a deployment */
    check(&pc, "POST", "/openai/v1/fine_tuning/jobs", NULL, &d);
    azoai_policy_check_deployment(&pc, S("gpt-4o-mini-2024-07-18"),
                                  AZOAI_DEP_BASE_MODEL, "body model", &d);
    expect(&d, AZOAI_ALLOW, NULL);

    azoai_policy_check_deployment(&pc, S("gpt-4o-mini"),
                                  AZOAI_DEP_BASE_MODEL, "body model", &d);
    expect(&d, AZOAI_ALLOW, NULL);

    azoai_policy_check_deployment(&pc, S("chat-prod"),
                                  AZOAI_DEP_BASE_MODEL, "body model", &d);
    expect(&d, AZOAI_UNKNOWN_DEPLOYMENT,
           "base model 'chat-prod' is not in the catalog");

    check(&pc, "POST", "/openai/v1/fine_tuning/jobs", NULL, &d);
    azoai_policy_check_deployment(&pc, S("gpt-5-chat"),
                                  AZOAI_DEP_BASE_MODEL, "body model", &d);
    expect(&d, AZOAI_PREVIEW_MODEL, "base model 'gpt-5-chat'");
}


static void
test_policy_no_echo(void **state)
{
    size_t               i;
    const char          *p;
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;
    const char          *hidden[] = {
        "john@example.com", "4111111111111111", "4111-1111-1111-1111",
        "123-45-6789", "555-123-4567", "10.0.0.1", "fe80::1",
        "DE89370400440532013000", "a\"b", "a\\b", "x\ny", "caf\xc3\xa9",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    };

    memset(&pc, 0, sizeof(azoai_policy_conf_t));
    pc.catalog = catalog;

    for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
        memset(&d, 0, sizeof(azoai_decision_t));

        azoai_policy_check_deployment(&pc, S(hidden[i]), AZOAI_DEP_BODY,
                                      "body model", &d);
        expect(&d, AZOAI_UNKNOWN_DEPLOYMENT, "(unprintable name)");

        if (strstr(d.message, hidden[i])) {
            fail_msg("echoed '%s': %s", hidden[i], d.message);
        }

        for (p = d.message; *p; p++) {
            if ((u_char) *p < 0x20 || (u_char) *p >= 0x7f || *p == '"'
                || *p == '\\')
            {
                fail_msg("not JSON-safe: %s", d.message);
            }
        }
    }

    /* names that look like names are echoed */
    memset(&d, 0, sizeof(azoai_decision_t));
    azoai_policy_check_deployment(&pc, S("my_dep-1.2"), AZOAI_DEP_BODY,
                                  "body model", &d);
    expect(&d, AZOAI_UNKNOWN_DEPLOYMENT, "'my_dep-1.2'");

    /* the api-version is echoed, nothing else of the query */
    check(&pc, "POST", DEP "chat-prod/chat/completions?api-key=SECRETKEY"
          "&api-version=2024-10-21%22preview", NULL, &d);
    expect(&d, AZOAI_PREVIEW_API_VERSION, "'(unprintable name)'");
    assert_null(strstr(d.message, "SECRETKEY"));

    /* whatever is formatted in comes out JSON-safe */
    azoai_decision_deny(&d, AZOAI_INVALID_BODY, "a \"%s\" \\ %c", "q", 1);
    assert_string_equal(d.message, "a ?q? ? ?");
    assert_int_equal(d.status, 400);
}


static void
test_policy_codes(void **state)
{
    unsigned           r;
    azoai_decision_t   d;
    static const char *codes[] = {
        "", "PreviewApiVersionBlocked", "PreviewFeatureBlocked",
        "PreviewModelBlocked", "RetiredModelBlocked", "UnknownDeployment",
        "AmbiguousRequest", "InvalidBody", "BodyTooLarge", "PiiBlocked",
        "InternalError", "TokenLimitExceeded", "DeploymentNotAllowed",
        "DataRetentionBlocked",
        "UninspectableContent"
    };
    static const unsigned statuses[] = {
        200, 403, 403, 403, 403, 403, 400, 400, 413, 403, 500, 429, 403, 403,
        403
    };

    for (r = 0; r < AZOAI_REASON_N; r++) {
        assert_string_equal(azoai_reason_code(r), codes[r]);
        assert_int_equal(azoai_reason_status(r), statuses[r]);
    }

    assert_string_equal(azoai_reason_code(AZOAI_REASON_N), "InternalError");
    assert_int_equal(azoai_reason_status(99), 500);

    azoai_decision_deny(&d, AZOAI_BODY_TOO_LARGE, "body exceeds %d", 8);
    assert_int_equal(d.reason, AZOAI_BODY_TOO_LARGE);
    assert_int_equal(d.status, 413);
    assert_string_equal(d.message, "body exceeds 8");

    /* "deny with allow" is a bug: fail closed */
    azoai_decision_deny(&d, AZOAI_ALLOW, "x");
    assert_int_equal(d.reason, AZOAI_INTERNAL_ERROR);
    assert_int_equal(d.status, 500);

    /* init leaves nothing of an earlier decision behind */
    memset(&d, 0x5a, sizeof(azoai_decision_t));
    azoai_decision_init(&d);
    assert_int_equal(d.reason, AZOAI_ALLOW);
    assert_int_equal(d.status, 200);
    assert_null(d.deployment.data);
    assert_int_equal(d.deployment.len, 0);
    assert_null(d.model.data);
    assert_int_equal(d.model.len, 0);
    assert_null(d.model_version.data);
    assert_int_equal(d.model_version.len, 0);
    assert_string_equal(d.message, "");
}


static void
test_policy_deny_str(void **state)
{
    size_t            i;
    azoai_decision_t  d;
    u_char            big[sizeof(d.message) + 100];

    azoai_decision_init(&d);
    azoai_decision_deny_str(&d, AZOAI_PII_BLOCKED, S("blocked: email"));
    assert_int_equal(d.reason, AZOAI_PII_BLOCKED);
    assert_int_equal(d.status, 403);
    assert_string_equal(d.message, "blocked: email");

    /* the same sanitizing as azoai_decision_deny(), NUL included */
    azoai_decision_deny_str(&d, AZOAI_INVALID_BODY,
                            (const u_char *) "a\"b\\c\x01" "d\0e\x7f\xc3",
                            11);
    assert_int_equal(d.status, 400);
    assert_string_equal(d.message, "a?b?c?d?e??");

    /* cut to the buffer */
    memset(big, 'x', sizeof(big));
    azoai_decision_deny_str(&d, AZOAI_AMBIGUOUS, big, sizeof(big));
    assert_int_equal(strlen(d.message), sizeof(d.message) - 1);

    for (i = 0; i < sizeof(d.message) - 1; i++) {
        assert_int_equal(d.message[i], 'x');
    }

    /* empty, and allow or no reason: fail closed */
    azoai_decision_deny_str(&d, AZOAI_ALLOW, NULL, 0);
    assert_int_equal(d.reason, AZOAI_INTERNAL_ERROR);
    assert_int_equal(d.status, 500);
    assert_string_equal(d.message, "");

    azoai_decision_deny_str(&d, AZOAI_REASON_N + 3, S("x"));
    assert_int_equal(d.reason, AZOAI_INTERNAL_ERROR);
    assert_string_equal(d.message, "x");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_policy_reasons),
        cmocka_unit_test(test_policy_models),
        cmocka_unit_test(test_policy_switches),
        cmocka_unit_test(test_policy_names),
        cmocka_unit_test(test_policy_headers),
        cmocka_unit_test(test_policy_body_names),
        cmocka_unit_test(test_policy_no_echo),
        cmocka_unit_test(test_policy_codes),
        cmocka_unit_test(test_policy_deny_str),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
