/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Catalog: loading (and every kind of load error, with its message),
 * lookups, status rules, merging, cloning, and the shipped example.
 * Run from the repository root (paths are relative to it).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* configuration-time code: malloc, no arena (test_util.h) needed */
#include "azoai_catalog.h"
#include "azoai_catalog_int.h"


#define S(s)  (const u_char *) (s), strlen(s)


static azoai_catalog_t *
load(const char *path)
{
    char              err[256];
    azoai_catalog_t  *c;

    c = azoai_catalog_create();
    assert_non_null(c);

    if (azoai_catalog_load_file(c, path, err, sizeof(err)) != AZOAI_OK) {
        fail_msg("%s: %s", path, err);
    }

    return c;
}


static unsigned
status(const azoai_catalog_t *c, const char *model, const char *version)
{
    return azoai_catalog_model_status(c, S(model),
                                      (const u_char *) version,
                                      version ? strlen(version) : 0);
}


/* a document loaded later overrides what an earlier one said */

static void
test_catalog_later_load_wins(void **state)
{
    char              err[256];
    azoai_catalog_t  *c;

    static const char  preview[] =
        "{\"models\":{\"m-1\":{\"v1\":\"preview\"}}}";
    static const char  ga[] =
        "{\"models\":{\"m-1\":{\"v1\":\"ga\"}}}";

    c = azoai_catalog_create();
    assert_non_null(c);

    assert_int_equal(status(c, "m-1", "v1"), AZOAI_STATUS_UNKNOWN);

    assert_int_equal(azoai_catalog_load_json(c, (const u_char *) preview,
                                             sizeof(preview) - 1, err,
                                             sizeof(err)),
                     AZOAI_OK);
    assert_int_equal(status(c, "m-1", "v1"), AZOAI_STATUS_PREVIEW);

    assert_int_equal(azoai_catalog_load_json(c, (const u_char *) ga,
                                             sizeof(ga) - 1, err,
                                             sizeof(err)),
                     AZOAI_OK);
    assert_int_equal(status(c, "m-1", "v1"), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "m-1", NULL), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "m-1", "v2"), AZOAI_STATUS_UNKNOWN);

    azoai_catalog_free(c);
}


static void
test_catalog_lookups(void **state)
{
    azoai_catalog_t           *c;
    const azoai_deployment_t  *d;

    c = load("tests/data/catalog-valid.json");

    d = azoai_catalog_deployment(c, S("chat-prod"));
    assert_non_null(d);
    assert_int_equal(d->model.len, 6);
    assert_memory_equal(d->model.data, "gpt-4o", 6);
    assert_memory_equal(d->version.data, "2024-11-20", 10);

    /* deployment and model names ignore case */
    assert_ptr_equal(azoai_catalog_deployment(c, S("CHAT-Prod")), d);
    assert_int_equal(status(c, "GPT-4O", "2024-08-06"), AZOAI_STATUS_GA);

    assert_null(azoai_catalog_deployment(c, S("chat-pro")));
    assert_null(azoai_catalog_deployment(c, S("chat-prod2")));
    assert_null(azoai_catalog_deployment(c, S("")));

    /* a deployment without a version */
    d = azoai_catalog_deployment(c, S("auto"));
    assert_non_null(d);
    assert_int_equal(d->version.len, 0);

    /* model + version */
    assert_int_equal(status(c, "gpt-4o", "2024-11-20"), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "gpt-4o", "2024-05-13"),
                     AZOAI_STATUS_UNKNOWN);
    assert_int_equal(status(c, "gpt-4o-realtime-preview", "2024-12-17"),
                     AZOAI_STATUS_PREVIEW);
    assert_int_equal(status(c, "gpt-35-turbo", "0613"),
                     AZOAI_STATUS_RETIRED);
    assert_int_equal(status(c, "gpt-35-turbo", "0125"), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "nope", "1"), AZOAI_STATUS_UNKNOWN);

    /* "*" matches any version; an exact version wins over it */
    assert_int_equal(status(c, "gpt-5-chat", "2025-08-07"),
                     AZOAI_STATUS_PREVIEW);
    assert_int_equal(status(c, "mixed", "1"), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "mixed", "2"), AZOAI_STATUS_RETIRED);

    /* "-preview" names are preview whatever the catalog says */
    assert_int_equal(status(c, "sneaky-preview", "1"),
                     AZOAI_STATUS_PREVIEW);
    assert_int_equal(status(c, "not-listed-PREVIEW", NULL),
                     AZOAI_STATUS_PREVIEW);

    /* unknown version: GA only if every listed version is GA */
    assert_int_equal(status(c, "gpt-4o", NULL), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "gpt-4o", ""), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "gpt-5-chat", NULL), AZOAI_STATUS_PREVIEW);
    assert_int_equal(status(c, "gpt-35-turbo", NULL),
                     AZOAI_STATUS_RETIRED);
    assert_int_equal(status(c, "mixed", NULL), AZOAI_STATUS_RETIRED);
    assert_int_equal(status(c, "nope", NULL), AZOAI_STATUS_UNKNOWN);

    assert_string_equal(azoai_catalog_status_name(AZOAI_STATUS_GA), "ga");
    assert_string_equal(azoai_catalog_status_name(AZOAI_STATUS_PREVIEW),
                        "preview");
    assert_string_equal(azoai_catalog_status_name(AZOAI_STATUS_RETIRED),
                        "retired");
    assert_string_equal(azoai_catalog_status_name(AZOAI_STATUS_UNKNOWN),
                        "unknown");

    azoai_catalog_free(c);
}


static void
test_catalog_null(void **state)
{
    assert_null(azoai_catalog_deployment(NULL, S("x")));
    assert_int_equal(status(NULL, "gpt-4o", NULL), AZOAI_STATUS_UNKNOWN);
    assert_int_equal(status(NULL, "o1-preview", NULL),
                     AZOAI_STATUS_PREVIEW);
    azoai_catalog_free(NULL);
}


typedef struct {
    const char  *json;
    const char  *error;            /* expected substring */
} bad_case_t;


static const bad_case_t  bad_cases[] = {
    { "", "invalid JSON at line 1" },
    { "{\n\"models\": {\n\"a\": {\"1\": \"ga\",}}}", "invalid JSON at line 3" },
    { "{\"models\": {}} x", "unexpected data after the JSON document" },
    { "[]", "must be a JSON object" },
    { "{\"modles\": {}}", "modles: unknown key" },
    { "{\"updated\": 1}", "updated: must be a string" },
    { "{\"_comment\": []}", "_comment: must be a string" },
    { "{\"models\": {}, \"models\": {}}", "models: duplicate key" },
    { "{\"models\": []}", "models: must be an object" },
    { "{\"models\": {\"gpt-4o\": \"ga\"}}",
      "models.gpt-4o: must be an object" },
    { "{\"models\": {\"gpt-4o\": {}}}", "models.gpt-4o: lists no versions" },
    { "{\"models\": {\"gpt-4o\": {\"1\": \"GA\"}}}",
      "models.gpt-4o.1: status must be \"ga\", \"preview\" or \"retired\"" },
    { "{\"models\": {\"gpt-4o\": {\"1\": true}}}",
      "models.gpt-4o.1: status must be" },
    { "{\"models\": {\"gpt-4o\": {\"1\": \"ga\", \"1\": \"preview\"}}}",
      "models.gpt-4o.1: duplicate version" },
    { "{\"models\": {\"a\": {\"1\": \"ga\"}, \"a\": {\"1\": \"ga\"}}}",
      "models.a: duplicate model" },
    { "{\"models\": {\"a\": {\"1\": \"ga\"}, \"A\": {\"1\": \"ga\"}}}",
      "models.A: duplicate model (names are compared ignoring case)" },
    { "{\"models\": {\"a b\": {\"1\": \"ga\"}}}",
      "models.a b: a model name must be" },
    { "{\"models\": {\"\": {\"1\": \"ga\"}}}", "models.: a model name" },
    { "{\"models\": {\"a\\u0001\": {\"1\": \"ga\"}}}",
      "models.a?: a model name" },
    { "{\"models\": {\"a\": {\"x\\\"y\": \"ga\"}}}",
      "models.a.x?y: a version must be" },
    { "{\"deployments\": []}", "deployments: must be an object" },
    { "{\"deployments\": {\"d\": \"gpt-4o\"}}",
      "deployments.d: must be an object" },
    { "{\"deployments\": {\"d\": {}}}",
      "deployments.d: \"model\" is missing" },
    { "{\"deployments\": {\"d\": {\"version\": \"1\"}}}",
      "deployments.d: \"model\" is missing" },
    { "{\"deployments\": {\"d\": {\"model\": 4}}}",
      "deployments.d.model: must be a string" },
    { "{\"deployments\": {\"d\": {\"model\": \"\"}}}",
      "deployments.d.model: must be a string" },
    { "{\"deployments\": {\"d\": {\"model\": \"m\", \"vers\": \"1\"}}}",
      "deployments.d.vers: unknown key" },
    { "{\"deployments\": {\"d\": {\"model\": \"m\", \"model\": \"n\"}}}",
      "deployments.d.model: duplicate key" },
    { "{\"deployments\": {\"d\": {\"model\": \"m\"},"
      " \"D\": {\"model\": \"m\"}}}",
      "deployments.D: duplicate deployment" },
};


static void
test_catalog_load_errors(void **state)
{
    char                       err[256];
    size_t                     i;
    azoai_catalog_t           *c;
    const azoai_deployment_t  *d;
    const bad_case_t          *b;

    c = load("tests/data/catalog-valid.json");

    for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        b = &bad_cases[i];
        err[0] = '\0';

        if (azoai_catalog_load_json(c, S(b->json), err, sizeof(err))
            != AZOAI_ERROR)
        {
            fail_msg("accepted: %s", b->json);
        }

        if (strstr(err, b->error) == NULL) {
            fail_msg("%s: error '%s', expected '%s'", b->json, err,
                     b->error);
        }
    }

    /* a document that fails half-way changes nothing */
    assert_int_equal(azoai_catalog_load_json(c, S(
        "{\"deployments\": {\"chat-prod\": {\"model\": \"x\"}},"
        " \"models\": {\"gpt-4o\": {\"1\": \"bad\"}}}"), err, sizeof(err)),
        AZOAI_ERROR);

    d = azoai_catalog_deployment(c, S("chat-prod"));
    assert_non_null(d);
    assert_memory_equal(d->model.data, "gpt-4o", 6);
    assert_int_equal(status(c, "gpt-4o", "2024-11-20"), AZOAI_STATUS_GA);

    azoai_catalog_free(c);
}


static void
test_catalog_files(void **state)
{
    char              err[256];
    azoai_catalog_t  *c;

    c = azoai_catalog_create();
    assert_non_null(c);

    assert_int_equal(azoai_catalog_load_file(c, "tests/data/nonexistent.json",
                                             err, sizeof(err)),
                     AZOAI_ERROR);
    assert_string_equal(err, "cannot open: No such file or directory");

    assert_int_equal(azoai_catalog_load_file(c, "tests/data", err,
                                             sizeof(err)),
                     AZOAI_ERROR);
    assert_string_equal(err, "not a regular file");

    assert_int_equal(azoai_catalog_load_file(c,
                         "tests/data/catalog-bad-status.json", err,
                         sizeof(err)),
                     AZOAI_ERROR);
    assert_string_equal(err, "models.gpt-4o.2024-11-20: status must be"
                        " \"ga\", \"preview\" or \"retired\"");

    assert_int_equal(azoai_catalog_load_file(c,
                         "tests/data/catalog-missing-model.json", err,
                         sizeof(err)),
                     AZOAI_ERROR);
    assert_string_equal(err, "deployments.chat-prod: \"model\" is missing");

    assert_int_equal(azoai_catalog_load_file(c,
                         "tests/data/catalog-bad-json.json", err,
                         sizeof(err)),
                     AZOAI_ERROR);
    assert_non_null(strstr(err, "invalid JSON at line 3 (byte "));

    assert_int_equal(azoai_catalog_load_file(c,
                         "tests/data/catalog-duplicate-model.json", err,
                         sizeof(err)),
                     AZOAI_ERROR);
    assert_non_null(strstr(err, "models.GPT-4o: duplicate model"));

    /* an empty file is not a catalog */
    assert_int_equal(azoai_catalog_load_file(c, "/dev/null", err,
                                             sizeof(err)),
                     AZOAI_ERROR);

    azoai_catalog_free(c);
}


static void
test_catalog_example(void **state)
{
    azoai_catalog_t           *c;
    const azoai_deployment_t  *d;

    c = load("conf.example/azoai-catalog.json");

    /* the published GA and Preview tables */
    assert_int_equal(status(c, "gpt-4o", "2024-11-20"), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "gpt-4.1-nano", "2025-04-14"),
                     AZOAI_STATUS_GA);
    assert_int_equal(status(c, "o3-mini", "2025-01-31"), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "text-embedding-ada-002", "2"),
                     AZOAI_STATUS_GA);
    assert_int_equal(status(c, "gpt-5-chat", "2025-10-03"),
                     AZOAI_STATUS_PREVIEW);
    assert_int_equal(status(c, "gpt-image-1", "2025-04-15"),
                     AZOAI_STATUS_PREVIEW);
    assert_int_equal(status(c, "gpt-4o-realtime-preview", "2024-12-17"),
                     AZOAI_STATUS_PREVIEW);
    assert_int_equal(status(c, "gpt-oss-120b", "1"), AZOAI_STATUS_PREVIEW);
    assert_int_equal(status(c, "gpt-35-turbo", "0613"),
                     AZOAI_STATUS_RETIRED);

    d = azoai_catalog_deployment(c, S("chat-prod"));
    assert_non_null(d);
    assert_int_equal(status(c, (const char *) d->model.data,
                            (const char *) d->version.data),
                     AZOAI_STATUS_GA);

    azoai_catalog_free(c);
}


static void
test_catalog_merge_and_clone(void **state)
{
    char                       err[256];
    azoai_catalog_t           *c, *copy;
    const azoai_deployment_t  *d;

    c = load("tests/data/catalog-valid.json");

    copy = azoai_catalog_clone(c);
    assert_non_null(copy);

    /* a second document overrides models and deployments of its names */
    assert_int_equal(azoai_catalog_load_json(c, S(
        "{\"models\": {\"GPT-4o\": {\"2024-11-20\": \"retired\"},"
        "              \"new\": {\"1\": \"ga\"}},"
        " \"deployments\": {\"chat-prod\": {\"model\": \"new\","
        "                                  \"version\": \"1\"}}}"),
        err, sizeof(err)), AZOAI_OK);

    assert_int_equal(status(c, "gpt-4o", "2024-11-20"),
                     AZOAI_STATUS_RETIRED);
    assert_int_equal(status(c, "gpt-4o", "2024-08-06"),
                     AZOAI_STATUS_UNKNOWN);
    assert_int_equal(status(c, "new", "1"), AZOAI_STATUS_GA);

    d = azoai_catalog_deployment(c, S("chat-prod"));
    assert_non_null(d);
    assert_memory_equal(d->model.data, "new", 3);

    /* azoai_deployment NAME MODEL VERSION adds or overrides */
    assert_int_equal(azoai_catalog_add_deployment(c, S("Chat-Prod"),
                                                  S("gpt-4o"),
                                                  S("2024-08-06")),
                     AZOAI_OK);
    d = azoai_catalog_deployment(c, S("chat-prod"));
    assert_memory_equal(d->model.data, "gpt-4o", 6);
    assert_memory_equal(d->version.data, "2024-08-06", 10);

    assert_int_equal(azoai_catalog_add_deployment(c, S("zeta"), S("m"),
                                                  S("")),
                     AZOAI_OK);
    assert_int_equal(azoai_catalog_add_deployment(c, S("alpha"), S("m"),
                                                  S("1")),
                     AZOAI_OK);
    assert_non_null(azoai_catalog_deployment(c, S("ZETA")));
    assert_non_null(azoai_catalog_deployment(c, S("alpha")));
    assert_non_null(azoai_catalog_deployment(c, S("auto")));
    assert_int_equal(azoai_catalog_add_deployment(c, S(""), S("m"), S("1")),
                     AZOAI_ERROR);

    /* the clone kept the old state */
    assert_int_equal(status(copy, "gpt-4o", "2024-11-20"), AZOAI_STATUS_GA);
    d = azoai_catalog_deployment(copy, S("chat-prod"));
    assert_non_null(d);
    assert_memory_equal(d->version.data, "2024-11-20", 10);
    assert_null(azoai_catalog_deployment(copy, S("zeta")));

    azoai_catalog_free(c);
    azoai_catalog_free(copy);

    copy = azoai_catalog_clone(NULL);
    assert_non_null(copy);
    assert_null(azoai_catalog_deployment(copy, S("chat-prod")));
    azoai_catalog_free(copy);
}


/*
 * A deployment's status is resolved when the catalog changes, not per
 * request: it follows models added or replaced after it, and clones
 * keep their own
 */

static void
test_catalog_deployment_status(void **state)
{
    char                       err[256];
    azoai_catalog_t           *c, *copy;
    const azoai_deployment_t  *d;

    c = load("tests/data/catalog-valid.json");

    d = azoai_catalog_deployment(c, S("chat-prod"));
    assert_non_null(d);
    assert_int_equal(d->status, AZOAI_STATUS_GA);

    copy = azoai_catalog_clone(c);
    assert_non_null(copy);

    /* the model is not known yet */
    assert_int_equal(azoai_catalog_add_deployment(c, S("late"), S("m"),
                                                  S("1")),
                     AZOAI_OK);
    d = azoai_catalog_deployment(c, S("late"));
    assert_non_null(d);
    assert_int_equal(d->status, AZOAI_STATUS_UNKNOWN);

    assert_true(d->retires == 0);

    /* a new model resolves the deployments of its name, date included */
    assert_int_equal(azoai_catalog_load_json(c, S(
        "{\"models\": {\"m\": {\"1\": {\"status\": \"ga\", "
        "\"retires\": \"2030-01-02\"}}}}"),
        err, sizeof(err)), AZOAI_OK);
    d = azoai_catalog_deployment(c, S("late"));
    assert_int_equal(d->status, AZOAI_STATUS_GA);
    assert_true(d->retires == 1893542400);     /* 2030-01-02 00:00 UTC */

    /* a replaced model too */
    assert_int_equal(azoai_catalog_load_json(c, S(
        "{\"models\": {\"gpt-4o\": {\"2024-11-20\": \"preview\"}}}"),
        err, sizeof(err)), AZOAI_OK);
    d = azoai_catalog_deployment(c, S("chat-prod"));
    assert_int_equal(d->status, AZOAI_STATUS_PREVIEW);
    assert_true(d->retires == 0);

    /* the clone kept the status it was made with */
    d = azoai_catalog_deployment(copy, S("chat-prod"));
    assert_non_null(d);
    assert_int_equal(d->status, AZOAI_STATUS_GA);

    azoai_catalog_free(c);
    azoai_catalog_free(copy);
}


static void
test_catalog_many(void **state)
{
    char              name[32];
    size_t            i;
    azoai_catalog_t  *c;

    c = azoai_catalog_create();
    assert_non_null(c);

    /* inserted in scrambled order, found by binary search */
    for (i = 0; i < 500; i++) {
        snprintf(name, sizeof(name), "dep-%zu", (i * 7919) % 500);
        assert_int_equal(azoai_catalog_add_deployment(c, S(name), S("m"),
                                                      S("1")),
                         AZOAI_OK);
    }

    for (i = 0; i < 500; i++) {
        snprintf(name, sizeof(name), "DEP-%zu", i);
        assert_non_null(azoai_catalog_deployment(c, S(name)));
    }

    assert_null(azoai_catalog_deployment(c, S("dep-500")));

    azoai_catalog_free(c);
}

/*
 * The last deployment found is tried first: every lookup still gives what
 * the search gives, as the array grows around it and across cases
 */

static void
test_catalog_last_found(void **state)
{
    char                       name[32];
    size_t                     i, j;
    azoai_catalog_t           *c;
    const azoai_deployment_t  *d, *e;

    c = azoai_catalog_create();
    assert_non_null(c);

    for (i = 0; i < 64; i++) {
        snprintf(name, sizeof(name), "dep-%zu", (i * 37) % 64);
        assert_int_equal(azoai_catalog_add_deployment(c, S(name), S("m"),
                                                      S("1")),
                         AZOAI_OK);

        /* each name so far, twice in a row, then in upper case */
        for (j = 0; j <= i; j++) {
            snprintf(name, sizeof(name), "dep-%zu", (j * 37) % 64);
            d = azoai_catalog_deployment(c, S(name));
            assert_non_null(d);
            assert_int_equal(d->name.len, strlen(name));
            assert_memory_equal(d->name.data, name, strlen(name));
            assert_ptr_equal(azoai_catalog_deployment(c, S(name)), d);

            snprintf(name, sizeof(name), "DEP-%zu", (j * 37) % 64);
            assert_ptr_equal(azoai_catalog_deployment(c, S(name)), d);

            /* a prefix and a longer name of the one found last */
            e = azoai_catalog_deployment(c, (const u_char *) name,
                                         strlen(name) - 1);
            if (e != NULL) {
                assert_int_equal(e->name.len, strlen(name) - 1);
            }

            snprintf(name, sizeof(name), "dep-%zux", (j * 37) % 64);
            assert_null(azoai_catalog_deployment(c, S(name)));
        }
    }

    azoai_catalog_free(c);
}


/*
 * The hint the policy tries before the lookup: the deployment found last,
 * for its very bytes only; anything else is the lookup's to answer
 */

static void
test_catalog_deployment_last(void **state)
{
    azoai_catalog_t           *c;
    const azoai_deployment_t  *d, *e;

    assert_null(azoai_catalog_deployment_last(NULL, S("dep-1")));

    c = azoai_catalog_create();
    assert_non_null(c);

    /* nothing found yet, nothing in the catalog */
    assert_null(azoai_catalog_deployment_last(c, S("dep-1")));

    assert_int_equal(azoai_catalog_add_deployment(c, S("dep-1"), S("m"),
                                                  S("1")),
                     AZOAI_OK);
    assert_int_equal(azoai_catalog_add_deployment(c, S("dep-2"), S("m"),
                                                  S("2")),
                     AZOAI_OK);

    d = azoai_catalog_deployment(c, S("dep-1"));
    assert_non_null(d);
    assert_ptr_equal(azoai_catalog_deployment_last(c, S("dep-1")), d);

    /* other case, other bytes, a prefix, a longer name, no name */
    assert_null(azoai_catalog_deployment_last(c, S("DEP-1")));
    assert_null(azoai_catalog_deployment_last(c, S("dep-2")));
    assert_null(azoai_catalog_deployment_last(c, S("dep-")));
    assert_null(azoai_catalog_deployment_last(c, S("dep-11")));
    assert_null(azoai_catalog_deployment_last(c, (const u_char *) "dep-1",
                                              0));

    /* the lookup still finds what the hint does not, and moves it */
    e = azoai_catalog_deployment(c, S("DEP-2"));
    assert_non_null(e);
    assert_ptr_not_equal(e, d);
    assert_ptr_equal(azoai_catalog_deployment_last(c, S("dep-2")), e);
    assert_null(azoai_catalog_deployment_last(c, S("dep-1")));

    azoai_catalog_free(c);
}


/* the compiled-in table: conf.example's models, none of its deployments */

static void
test_catalog_builtin(void **state)
{
    char              err[256];
    azoai_catalog_t  *c;

    c = azoai_catalog_create_builtin(err, sizeof(err));
    assert_non_null(c);

    assert_int_equal(azoai_catalog_model_status(c, (u_char *) "gpt-4o", 6,
                                                (u_char *) "2024-11-20", 10),
                     AZOAI_STATUS_GA);
    assert_int_equal(azoai_catalog_model_status(c,
                         (u_char *) "gpt-4o-realtime-preview", 23,
                         (u_char *) "2024-12-17", 10),
                     AZOAI_STATUS_PREVIEW);
    assert_int_equal(azoai_catalog_model_status(c, (u_char *) "gpt-5-chat",
                                                10, (u_char *) "2025-08-07",
                                                10),
                     AZOAI_STATUS_PREVIEW);
    assert_int_equal(azoai_catalog_model_status(c, (u_char *) "gpt-4o", 6,
                                                (u_char *) "2099-01-01", 10),
                     AZOAI_STATUS_UNKNOWN);

    /* conf.example maps chat-prod as an example: not a default */
    assert_null(azoai_catalog_deployment(c, (u_char *) "chat-prod", 9));

    /* the same question twice, then others: each gets its own answer */
    assert_int_equal(status(c, "gpt-4o", "2024-11-20"), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "gpt-4o", "2024-11-20"), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "gpt-4o", "2099-01-01"),
                     AZOAI_STATUS_UNKNOWN);
    assert_int_equal(status(c, "GPT-4O", "2024-11-20"), AZOAI_STATUS_GA);
    assert_int_equal(status(c, "gpt-4o-2024-11-20", NULL),
                     AZOAI_STATUS_UNKNOWN);
    assert_int_equal(status(c, "gpt-4o2024-11-20", NULL),
                     AZOAI_STATUS_UNKNOWN);
    assert_int_equal(status(c, "gpt-4o", "2024-11-20"), AZOAI_STATUS_GA);

    azoai_catalog_free(c);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_catalog_lookups),
        cmocka_unit_test(test_catalog_later_load_wins),
        cmocka_unit_test(test_catalog_null),
        cmocka_unit_test(test_catalog_load_errors),
        cmocka_unit_test(test_catalog_files),
        cmocka_unit_test(test_catalog_example),
        cmocka_unit_test(test_catalog_merge_and_clone),
        cmocka_unit_test(test_catalog_deployment_status),
        cmocka_unit_test(test_catalog_many),
        cmocka_unit_test(test_catalog_last_found),
        cmocka_unit_test(test_catalog_deployment_last),
        cmocka_unit_test(test_catalog_builtin),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
