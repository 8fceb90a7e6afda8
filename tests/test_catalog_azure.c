/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of azoai_catalog_from_azure(): Azure's Models - List and
 * deployments list into a catalog document, read back with the loader
 * the module uses.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include "azoai_catalog.h"
#include "azoai_catalog_azure.h"
#include "azoai_date.h"


#define S(s)        (const u_char *) s, sizeof(s) - 1

/* 2025-12-01T00:00:00Z, the "updated" date of every test */
#define NOW         1764547200

/* 2026-03-31T00:00:00Z and 2026-06-05T12:00:00Z */
#define MARCH_31    1774915200
#define JUNE_5_NOON 1780660800
#define JUNE_5      1780617600


#define MODELS                                                               \
    "{\"object\": \"list\", \"data\": ["                                     \
    "{\"id\": \"gpt-4o-2024-05-13\", \"status\": \"succeeded\","             \
    " \"lifecycle_status\": \"generally-available\","                        \
    " \"deprecation\": {\"fine_tune\": 1, \"inference\": 1774915200}},"      \
    "{\"id\": \"gpt-4o-2024-11-20\","                                        \
    " \"lifecycle_status\": \"generally-available\","                        \
    " \"deprecation\": {\"inference\": 1780660800}},"                        \
    "{\"id\": \"gpt-35-turbo-0125\","                                        \
    " \"lifecycle_status\": \"generally-available\"},"                       \
    "{\"id\": \"o3-deep-research-2025-06-26\","                              \
    " \"lifecycle_status\": \"preview\"},"                                   \
    "{\"id\": \"text-embedding-3-large-1\","                                 \
    " \"lifecycle_status\": \"generally-available\"},"                       \
    "{\"id\": \"curie\", \"lifecycle_status\": \"deprecated\"},"             \
    "{\"id\": \"gpt-4o-2024-05-13.ft-72a2\", \"model\":"                     \
    " \"gpt-4o-2024-05-13\", \"fine_tune\": \"ft-72a2\","                    \
    " \"lifecycle_status\": \"preview\"},"                                   \
    "{\"id\": \"davinci-002.ft-0001\", \"model\": \"davinci-002\","          \
    " \"lifecycle_status\": \"generally-available\"}"                        \
    "]}"

#define DEPLOYMENTS                                                          \
    "{\"value\": ["                                                          \
    "{\"name\": \"chat-old\", \"properties\": {\"model\": {\"format\":"      \
    " \"OpenAI\", \"name\": \"gpt-4o\", \"version\": \"2024-05-13\"}}},"     \
    "{\"name\": \"emb\", \"properties\": {\"model\": {\"name\":"             \
    " \"text-embedding-3-large\", \"version\": \"1\"}}},"                    \
    "{\"name\": \"bot\", \"properties\": {\"model\": {\"name\":"             \
    " \"gpt-4o-2024-05-13.ft-72a2\", \"version\": \"1\"}}},"                 \
    "{\"name\": \"CHAT-OLD\", \"properties\": {\"model\": {\"name\":"        \
    " \"gpt-4o\", \"version\": \"2024-11-20\"}}}"                            \
    "]}"


static azoai_catalog_t *convert(const char *models, const char *deps,
    char **doc);
static void check_error(const char *models, const char *deps,
    const char *want);
static unsigned status(const azoai_catalog_t *c, const char *model,
    const char *version);
static int64_t retires(const azoai_catalog_t *c, const char *model,
    const char *version);


/* converts, and loads the document as the module would */

static azoai_catalog_t *
convert(const char *models, const char *deps, char **doc)
{
    char                err[256], *out;
    azoai_catalog_t    *c;
    azoai_azure_page_t  page;

    err[0] = '\0';
    page.data = (const u_char *) deps;
    page.len = deps ? strlen(deps) : 0;

    if (azoai_catalog_from_azure((const u_char *) models, strlen(models),
                                 &page, deps ? 1 : 0, NOW, &out, err,
                                 sizeof(err))
        != AZOAI_OK)
    {
        fail_msg("from_azure: %s", err);
    }

    c = azoai_catalog_create();
    assert_non_null(c);
    assert_int_equal(azoai_catalog_load_json(c, (const u_char *) out,
                                             strlen(out), err, sizeof(err)),
                     AZOAI_OK);

    if (doc) {
        *doc = out;

    } else {
        free(out);
    }

    return c;
}


static void
check_error(const char *models, const char *deps, const char *want)
{
    char                err[256], *out;
    azoai_azure_page_t  page;

    err[0] = '\0';
    out = (char *) 1;
    page.data = (const u_char *) deps;
    page.len = deps ? strlen(deps) : 0;

    assert_int_equal(azoai_catalog_from_azure((const u_char *) models,
                                              strlen(models), &page,
                                              deps ? 1 : 0, NOW, &out, err,
                                              sizeof(err)),
                     AZOAI_ERROR);
    assert_null(out);
    assert_string_equal(err, want);
}


static unsigned
status(const azoai_catalog_t *c, const char *model, const char *version)
{
    return azoai_catalog_model_status(c, (const u_char *) model,
                                      strlen(model),
                                      (const u_char *) version,
                                      strlen(version));
}


static int64_t
retires(const azoai_catalog_t *c, const char *model, const char *version)
{
    return azoai_catalog_retires(c, (const u_char *) model, strlen(model),
                                 (const u_char *) version, strlen(version));
}


static void
test_models(void **state)
{
    char             *doc;
    azoai_catalog_t  *c;

    c = convert(MODELS, NULL, &doc);

    assert_non_null(strstr(doc, "\"updated\":\t\"2025-12-01\""));

    /* a trailing date or four digits is the version */
    assert_int_equal(status(c, "gpt-4o", "2024-05-13"), AZOAI_STATUS_GA);
    assert_int_equal(retires(c, "gpt-4o", "2024-05-13"), MARCH_31);
    assert_int_equal(status(c, "gpt-35-turbo", "0125"), AZOAI_STATUS_GA);
    assert_int_equal(retires(c, "gpt-35-turbo", "0125"), 0);
    assert_int_equal(status(c, "o3-deep-research", "2025-06-26"),
                     AZOAI_STATUS_PREVIEW);

    /* the day the deprecation time falls in */
    assert_int_equal(retires(c, "gpt-4o", "2024-11-20"), JUNE_5);
    (void) JUNE_5_NOON;

    /* no version known without a deployment: the id, any version */
    assert_int_equal(status(c, "text-embedding-3-large-1", "7"),
                     AZOAI_STATUS_GA);
    assert_int_equal(status(c, "text-embedding-3-large", "1"),
                     AZOAI_STATUS_UNKNOWN);

    /* neither GA nor preview: retired (fail closed) */
    assert_int_equal(status(c, "curie", "1"), AZOAI_STATUS_RETIRED);

    /* fine-tuned: the base model's status and date, not its own */
    assert_int_equal(status(c, "gpt-4o-2024-05-13.ft-72a2", "1"),
                     AZOAI_STATUS_GA);
    assert_int_equal(retires(c, "gpt-4o-2024-05-13.ft-72a2", "1"),
                     MARCH_31);

    /* a fine-tuned model whose base is not listed stays unknown */
    assert_int_equal(status(c, "davinci-002.ft-0001", "1"),
                     AZOAI_STATUS_UNKNOWN);
    assert_null(strstr(doc, "davinci"));

    free(doc);
    azoai_catalog_free(c);
}


static void
test_deployments(void **state)
{
    azoai_catalog_t           *c;
    const azoai_deployment_t  *d;

    c = convert(MODELS, DEPLOYMENTS, NULL);

    /* the deployment splits the id "text-embedding-3-large-1" */
    assert_int_equal(status(c, "text-embedding-3-large", "1"),
                     AZOAI_STATUS_GA);

    d = azoai_catalog_deployment(c, S("emb"));
    assert_non_null(d);
    assert_int_equal(d->status, AZOAI_STATUS_GA);

    d = azoai_catalog_deployment(c, S("bot"));
    assert_non_null(d);
    assert_int_equal(d->status, AZOAI_STATUS_GA);
    assert_int_equal(d->retires, MARCH_31);

    /* names that differ in case only: the last one listed */
    d = azoai_catalog_deployment(c, S("chat-old"));
    assert_non_null(d);
    assert_int_equal(d->version.len, sizeof("2024-11-20") - 1);
    assert_memory_equal(d->version.data, "2024-11-20", d->version.len);
    assert_int_equal(d->retires, JUNE_5);

    azoai_catalog_free(c);

    /* the bare array of "az cognitiveservices account deployment list" */
    c = convert(MODELS, "[{\"name\": \"emb\", \"properties\": {\"model\":"
                " {\"name\": \"text-embedding-3-large\", \"version\":"
                " \"1\"}}}]", NULL);
    d = azoai_catalog_deployment(c, S("emb"));
    assert_non_null(d);
    assert_int_equal(d->status, AZOAI_STATUS_GA);

    azoai_catalog_free(c);
}


/* the ARM list in pages, as its nextLink gives them: one list */

static void
test_pages(void **state)
{
    char                err[256], *whole, *paged;
    azoai_catalog_t    *c;
    azoai_azure_page_t  pages[3];

    static const char  page1[] =
        "{\"value\": [{\"name\": \"emb\", \"properties\": {\"model\":"
        " {\"name\": \"text-embedding-3-large\", \"version\": \"1\"}}}],"
        " \"nextLink\": \"https://management.azure.com/x?$skipToken=1\"}";
    static const char  page2[] =
        "{\"value\": [], \"nextLink\": \"https://management.azure.com/"
        "x?$skipToken=2\"}";
    static const char  page3[] =
        "{\"value\": [{\"name\": \"emb\", \"properties\": {\"model\":"
        " {\"name\": \"gpt-4o\", \"version\": \"2024-11-20\"}}},"
        " {\"name\": \"bot\", \"properties\": {\"model\": {\"name\":"
        " \"gpt-4o-2024-05-13.ft-72a2\", \"version\": \"1\"}}}],"
        " \"nextLink\": null}";

    (void) state;

    pages[0].data = (const u_char *) page1;
    pages[0].len = sizeof(page1) - 1;
    pages[1].data = (const u_char *) page2;
    pages[1].len = sizeof(page2) - 1;
    pages[2].data = (const u_char *) page3;
    pages[2].len = sizeof(page3) - 1;

    assert_int_equal(azoai_catalog_from_azure(S(MODELS), pages, 3, NOW,
                                              &paged, err, sizeof(err)),
                     AZOAI_OK);

    /* the same document as the list in one page; later pages win */
    c = convert(MODELS, "[{\"name\": \"emb\", \"properties\": {\"model\":"
                " {\"name\": \"text-embedding-3-large\", \"version\":"
                " \"1\"}}}, {\"name\": \"emb\", \"properties\":"
                " {\"model\": {\"name\": \"gpt-4o\", \"version\":"
                " \"2024-11-20\"}}}, {\"name\": \"bot\", \"properties\":"
                " {\"model\": {\"name\": \"gpt-4o-2024-05-13.ft-72a2\","
                " \"version\": \"1\"}}}]", &whole);
    assert_string_equal(paged, whole);
    assert_non_null(strstr(paged, "\"bot\""));
    azoai_catalog_free(c);
    free(whole);
    free(paged);

    /* the last page given says the list goes on: refused, not cut short */
    paged = (char *) 1;
    assert_int_equal(azoai_catalog_from_azure(S(MODELS), pages, 2, NOW,
                                              &paged, err, sizeof(err)),
                     AZOAI_ERROR);
    assert_null(paged);
    assert_string_equal(err, "deployments: page 2: the list goes on "
                        "(\"nextLink\"): give every page, in order");

    check_error("{\"data\": []}", page1, "deployments: the list goes on "
                "(\"nextLink\"): give every page, in order");

    /* a bad page is named */
    pages[1].data = (const u_char *) "{\"value\": {}}";
    pages[1].len = sizeof("{\"value\": {}}") - 1;
    assert_int_equal(azoai_catalog_from_azure(S(MODELS), pages, 3, NOW,
                                              &paged, err, sizeof(err)),
                     AZOAI_ERROR);
    assert_string_equal(err, "deployments: page 2: not a deployments list "
                        "(a JSON object with a \"value\" array, or an "
                        "array)");

    assert_int_equal(azoai_catalog_from_azure(S(MODELS), pages,
                                              AZOAI_AZURE_PAGES_MAX + 1, NOW,
                                              &paged, err, sizeof(err)),
                     AZOAI_ERROR);
    assert_string_equal(err, "deployments: more than 64 pages");
}


static void
test_errors(void **state)
{
    check_error("[]", NULL, "models: not a Models - List response (a JSON "
                "object with a \"data\" array)");
    check_error("{\"data\": {}}", NULL, "models: not a Models - List "
                "response (a JSON object with a \"data\" array)");
    check_error("{\"data\": [", NULL, "models: not a Models - List "
                "response (a JSON object with a \"data\" array)");
    check_error("{\"data\": []}", "{\"value\": 1}", "deployments: not a "
                "deployments list (a JSON object with a \"value\" array, "
                "or an array)");
    check_error("{\"data\": []}", "{\"value\": [{\"name\": \"x\"}]}",
                "deployments: value[0] needs \"name\" and \"properties\"."
                "\"model\".\"name\" strings");
    check_error("{\"data\": [{\"lifecycle_status\": \"preview\"}]}", NULL,
                "models: data[0].id must be a string of 1 to 64 "
                "characters");
    check_error("{\"data\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}", NULL,
                "models: data[0].lifecycle_status must be a string (of "
                "the model or of its base model)");
    check_error("{\"data\": [{\"id\": \"a\", \"lifecycle_status\": "
                "\"preview\", \"deprecation\": {\"inference\": \"soon\"}}]}",
                NULL, "models: data[0].deprecation.inference must be epoch "
                "seconds from 2000 to 9999");
    check_error("{\"data\": [{\"id\": \"a\", \"lifecycle_status\": "
                "\"preview\", \"deprecation\": {\"inference\": 5}}]}",
                NULL, "models: data[0].deprecation.inference must be epoch "
                "seconds from 2000 to 9999");

    /* what the catalog would refuse is refused here */
    check_error("{\"data\": [{\"id\": \"gpt 4o\", \"lifecycle_status\": "
                "\"preview\"}]}", NULL, "models.gpt 4o: a model name must be "
                "1 to 64 letters, digits, \".\", \"_\" or \"-\"");
}


static void
test_no_deprecation(void **state)
{
    char             *doc;
    azoai_catalog_t  *c;

    c = convert("{\"data\": [{\"id\": \"m-0001\", \"lifecycle_status\": "
                "\"generally-available\", \"deprecation\": {\"inference\": "
                "null}}]}", "{\"value\": []}", &doc);

    assert_int_equal(status(c, "m", "0001"), AZOAI_STATUS_GA);
    assert_int_equal(retires(c, "m", "0001"), 0);
    assert_non_null(strstr(doc, "\"0001\":\t\"ga\""));

    free(doc);
    azoai_catalog_free(c);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_models),
        cmocka_unit_test(test_deployments),
        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_no_deprecation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
