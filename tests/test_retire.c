/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of retirement dates: YYYY-MM-DD parsing and formatting, the
 * catalog's version object form and its errors, the deployments that
 * retire by a given time, and the policy's judgement by its clock (the
 * fast check's of a request line too).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "test_policy_fast.h"
#include "azoai_date.h"
#include "azoai_policy.h"


#define S(s)        (const u_char *) s, sizeof(s) - 1

/* 2026-03-31T00:00:00Z */
#define RETIRES     1774915200


static int64_t  fake_now;


static int64_t now(void);
static azoai_catalog_t *load(const char *json, char *err, size_t errlen);
static void check_error(const char *json, const char *want);
static void on_retiring(void *data, const azoai_deployment_t *d,
    int64_t retires);


static int64_t
now(void)
{
    return fake_now;
}


static azoai_catalog_t *
load(const char *json, char *err, size_t errlen)
{
    azoai_catalog_t  *c;

    c = azoai_catalog_create();
    assert_non_null(c);

    if (azoai_catalog_load_json(c, (const u_char *) json, strlen(json), err,
                                errlen)
        != AZOAI_OK)
    {
        azoai_catalog_free(c);
        return NULL;
    }

    return c;
}


static void
check_error(const char *json, const char *want)
{
    char  err[256];

    err[0] = '\0';
    assert_null(load(json, err, sizeof(err)));
    assert_string_equal(err, want);
}


static void
test_date_parse(void **state)
{
    size_t    i;
    int64_t   t;
    u_char    buf[AZOAI_DATE_LEN + 1];

    static const struct {
        const char  *text;
        int64_t      t;
    } good[] = {
        { "2000-01-01", 946684800 },
        { "2026-03-31", RETIRES },
        { "2024-02-29", 1709164800 },
        { "2000-02-29", 951782400 },
        { "2026-12-31", 1798675200 },
        { "9999-12-31", 253402214400 }
    };

    static const char  *bad[] = {
        "", "2026-3-31", "2026-03-1", "2026/03/31", "26-03-31",
        "2026-03-31T00:00:00Z", "2026-03-31 ", " 2026-03-31", "2026-00-10",
        "2026-13-01", "2026-02-29", "2100-02-29", "2026-04-31",
        "2026-01-00", "2026-01-32", "1999-12-31", "+026-01-01",
        "2026-0a-01", "2026--3-01", "abcd-ef-gh"
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(azoai_date_parse((const u_char *) good[i].text,
                                          strlen(good[i].text), &t),
                         AZOAI_OK);
        assert_true(t == good[i].t);

        assert_int_equal(azoai_date_format(t, buf), AZOAI_DATE_LEN);
        assert_string_equal((char *) buf, good[i].text);

        /* any second of the day is that day */
        azoai_date_format(t + AZOAI_DATE_DAY - 1, buf);
        assert_string_equal((char *) buf, good[i].text);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = 42;
        assert_int_equal(azoai_date_parse((const u_char *) bad[i],
                                          strlen(bad[i]), &t),
                         AZOAI_ERROR);
        assert_true(t == 42);
    }

    /* every day of a leap year and the next round-trips */
    for (t = 1704067200; t < 1704067200 + 731 * AZOAI_DATE_DAY;
         t += AZOAI_DATE_DAY)
    {
        int64_t  back;

        azoai_date_format(t, buf);
        assert_int_equal(azoai_date_parse(buf, AZOAI_DATE_LEN, &back),
                         AZOAI_OK);
        assert_true(back == t);
    }
}


static void
test_catalog_retires(void **state)
{
    char              err[256];
    azoai_catalog_t  *c;

    c = load("{\"models\":{\"gpt-4o\":{"
             "\"2024-05-13\":{\"status\":\"ga\",\"retires\":\"2026-03-31\","
             "\"_comment\":\"source\"},"
             "\"2024-11-20\":\"ga\","
             "\"2024-08-06\":{\"status\":\"ga\"}},"
             "\"m\":{\"*\":{\"status\":\"ga\",\"retires\":\"2027-01-01\"}}}}",
             err, sizeof(err));
    assert_non_null(c);

    assert_true(azoai_catalog_retires(c, S("gpt-4o"), S("2024-05-13"))
                == RETIRES);
    assert_true(azoai_catalog_retires(c, S("GPT-4o"), S("2024-05-13"))
                == RETIRES);
    assert_true(azoai_catalog_retires(c, S("gpt-4o"), S("2024-11-20")) == 0);
    assert_true(azoai_catalog_retires(c, S("gpt-4o"), S("2024-08-06")) == 0);
    assert_true(azoai_catalog_retires(c, S("gpt-4o"), NULL, 0) == 0);
    assert_true(azoai_catalog_retires(c, S("gpt-4o"), S("1")) == 0);
    assert_true(azoai_catalog_retires(c, S("none"), S("1")) == 0);
    assert_true(azoai_catalog_retires(c, S("m"), S("v1")) == 1798761600);

    /* the object's status is the status */
    assert_int_equal(azoai_catalog_model_status(c, S("gpt-4o"),
                                                S("2024-05-13")),
                     AZOAI_STATUS_GA);

    /* a clone keeps the dates */
    {
        azoai_catalog_t  *k;

        k = azoai_catalog_clone(c);
        assert_non_null(k);
        assert_true(azoai_catalog_retires(k, S("gpt-4o"), S("2024-05-13"))
                    == RETIRES);
        azoai_catalog_free(k);
    }

    azoai_catalog_free(c);
}


static void
test_catalog_retires_errors(void **state)
{
    check_error("{\"models\":{\"gpt-4o\":{\"1\":{\"status\":\"ga\","
                "\"retires\":\"2026-02-30\"}}}}",
                "models.gpt-4o.1.retires: must be a date, \"YYYY-MM-DD\""
                " (years 2000 to 9999)");
    check_error("{\"models\":{\"gpt-4o\":{\"1\":{\"status\":\"ga\","
                "\"retires\":20260331}}}}",
                "models.gpt-4o.1.retires: must be a date, \"YYYY-MM-DD\""
                " (years 2000 to 9999)");
    check_error("{\"models\":{\"gpt-4o\":{\"1\":{\"retires\":"
                "\"2026-03-31\"}}}}",
                "models.gpt-4o.1.status: must be \"ga\", \"preview\" or"
                " \"retired\"");
    check_error("{\"models\":{\"gpt-4o\":{\"1\":{\"status\":\"GA\"}}}}",
                "models.gpt-4o.1.status: must be \"ga\", \"preview\" or"
                " \"retired\"");
    check_error("{\"models\":{\"gpt-4o\":{\"1\":{\"status\":\"ga\","
                "\"retire\":\"2026-03-31\"}}}}",
                "models.gpt-4o.1: unexpected or duplicate key \"retire\""
                " (a version object has \"status\" and \"retires\")");
    check_error("{\"models\":{\"gpt-4o\":{\"1\":{\"status\":\"ga\","
                "\"status\":\"ga\"}}}}",
                "models.gpt-4o.1: unexpected or duplicate key \"status\""
                " (a version object has \"status\" and \"retires\")");
    check_error("{\"models\":{\"gpt-4o\":{\"1\":[\"ga\"]}}}",
                "models.gpt-4o.1: status must be \"ga\", \"preview\" or"
                " \"retired\"");
}


typedef struct {
    char      names[256];
    unsigned  n;
} retiring_t;


static void
on_retiring(void *data, const azoai_deployment_t *d, int64_t retires)
{
    retiring_t  *r = data;
    size_t       len;
    u_char       date[AZOAI_DATE_LEN + 1];

    azoai_date_format(retires, date);
    len = strlen(r->names);
    snprintf(r->names + len, sizeof(r->names) - len, "%s%.*s@%s",
             len ? " " : "", (int) d->name.len, d->name.data, date);
    r->n++;
}


static const char  catalog_json[] =
    "{\"models\":{\"gpt-4o\":{"
    "\"old\":{\"status\":\"ga\",\"retires\":\"2026-03-31\"},"
    "\"new\":{\"status\":\"ga\",\"retires\":\"2027-06-30\"},"
    "\"plain\":\"ga\","
    "\"prev\":{\"status\":\"preview\",\"retires\":\"2026-03-31\"}}},"
    "\"deployments\":{"
    "\"a-old\":{\"model\":\"gpt-4o\",\"version\":\"old\"},"
    "\"b-new\":{\"model\":\"gpt-4o\",\"version\":\"new\"},"
    "\"c-plain\":{\"model\":\"gpt-4o\",\"version\":\"plain\"},"
    "\"d-prev\":{\"model\":\"gpt-4o\",\"version\":\"prev\"},"
    "\"e-any\":{\"model\":\"gpt-4o\"}}}";


static void
test_catalog_each_retiring(void **state)
{
    char              err[256];
    retiring_t        r;
    azoai_catalog_t  *c;

    c = load(catalog_json, err, sizeof(err));
    assert_non_null(c);

    memset(&r, 0, sizeof(r));
    azoai_catalog_each_retiring(c, RETIRES - 1, on_retiring, &r);
    assert_int_equal(r.n, 0);

    azoai_catalog_each_retiring(c, RETIRES, on_retiring, &r);
    /* d-prev is a preview version: denied as such, not reported */
    assert_string_equal(r.names, "a-old@2026-03-31");

    memset(&r, 0, sizeof(r));
    azoai_catalog_each_retiring(c, INT64_MAX, on_retiring, &r);
    assert_string_equal(r.names, "a-old@2026-03-31 b-new@2027-06-30");

    azoai_catalog_each_retiring(NULL, INT64_MAX, on_retiring, &r);

    azoai_catalog_free(c);
}


static void
test_policy_retires(void **state)
{
    char                 err[256];
    azoai_catalog_t     *c;
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;

    c = load(catalog_json, err, sizeof(err));
    assert_non_null(c);

    memset(&pc, 0, sizeof(pc));
    pc.catalog = c;
    pc.now = now;

    /* the day before: allowed, the date kept */
    fake_now = RETIRES - 1;
    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, S("a-old"), AZOAI_DEP_PATH, "path",
                                  &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);
    assert_true(d.retires == RETIRES);

    /* the earliest of two */
    azoai_policy_check_deployment(&pc, S("b-new"), AZOAI_DEP_BODY,
                                  "body model", &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);
    assert_true(d.retires == RETIRES);

    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, S("b-new"), AZOAI_DEP_BODY,
                                  "body model", &d);
    azoai_policy_check_deployment(&pc, S("a-old"), AZOAI_DEP_PATH, "path",
                                  &d);
    assert_true(d.retires == RETIRES);

    /* from the first second of the day: retired */
    fake_now = RETIRES;
    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, S("a-old"), AZOAI_DEP_PATH, "path",
                                  &d);
    assert_int_equal(d.reason, AZOAI_RETIRED_MODEL);
    assert_int_equal(d.status, 403);
    assert_string_equal(d.message,
                        "deployment 'a-old' (gpt-4o old) is a retired"
                        " model: it retired on 2026-03-31; only generally"
                        " available models are allowed (from path)");
    assert_int_equal(d.model_version.len, 3);

    /* no date, no retirement */
    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, S("c-plain"), AZOAI_DEP_PATH, "path",
                                  &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);
    assert_true(d.retires == 0);

    /* a preview version stays a preview denial */
    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, S("d-prev"), AZOAI_DEP_PATH, "path",
                                  &d);
    assert_int_equal(d.reason, AZOAI_PREVIEW_MODEL);

    /* the system clock when the policy has none: 2026-03-31 is past */
    pc.now = NULL;
    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, S("a-old"), AZOAI_DEP_PATH, "path",
                                  &d);
    assert_int_equal(d.reason, time(NULL) >= RETIRES ? AZOAI_RETIRED_MODEL
                                                     : AZOAI_ALLOW);

    azoai_catalog_free(c);
}


/* a name that carries its version, not a catalog deployment */

static void
test_policy_retires_versioned_name(void **state)
{
    char                 err[256];
    azoai_catalog_t     *c;
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;

    c = load("{\"models\":{\"gpt-4o\":{"
             "\"2024-05-13\":{\"status\":\"ga\",\"retires\":\"2026-03-31\"},"
             "\"2024-11-20\":\"ga\"}}}", err, sizeof(err));
    assert_non_null(c);

    memset(&pc, 0, sizeof(pc));
    pc.catalog = c;
    pc.now = now;
    fake_now = RETIRES - 1;
    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, S("gpt-4o-2024-05-13"),
                                  AZOAI_DEP_PATH, "path", &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);
    assert_true(d.retires == RETIRES);

    fake_now = RETIRES;
    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, S("gpt-4o-2024-05-13"),
                                  AZOAI_DEP_BODY, "body model", &d);
    assert_int_equal(d.reason, AZOAI_RETIRED_MODEL);
    assert_string_equal(d.message,
                        "deployment 'gpt-4o-2024-05-13' (gpt-4o 2024-05-13)"
                        " is a retired model: it retired on 2026-03-31;"
                        " only generally available models are allowed"
                        " (from body model)");

    /* a fine-tuning base model too; a version without a date is not */
    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, S("gpt-4o-2024-05-13"),
                                  AZOAI_DEP_BASE_MODEL, "body model", &d);
    assert_int_equal(d.reason, AZOAI_RETIRED_MODEL);
    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, S("gpt-4o-2024-11-20"),
                                  AZOAI_DEP_PATH, "path", &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);
    assert_true(d.retires == 0);

    azoai_catalog_free(c);
}


/*
 * The fast check (azoai_policy_fast.h) of request lines naming these
 * deployments, by the clock and by none, decides as the general one:
 * ahead of the date, on it, without a date, a preview version, a
 * deployment without a version, and one the catalog does not list
 */

static void
test_policy_fast_retires(void **state)
{
    char                 err[256], path[64];
    size_t               i, t;
    test_arena_t         arena;
    azoai_alloc_t        a;
    azoai_route_t        route;
    azoai_request_t      req;
    azoai_catalog_t     *c;
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;

    static const char   *names[] = {
        "a-old", "b-new", "c-plain", "d-prev", "e-any", "nobody", "a-old"
    };
    static const int64_t times[] = {
        RETIRES - 1, RETIRES, RETIRES + 86400, 0
    };

    c = load(catalog_json, err, sizeof(err));
    assert_non_null(c);

    memset(&pc, 0, sizeof(pc));
    pc.catalog = c;

    for (t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
        /* 0: the system clock */
        fake_now = times[t];
        pc.now = times[t] ? now : NULL;

        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            snprintf(path, sizeof(path),
                     "/openai/deployments/%s/chat/completions", names[i]);

            memset(&arena, 0, sizeof(test_arena_t));
            a = test_arena_allocator(&arena);

            memset(&req, 0, sizeof(azoai_request_t));
            req.method.data = (const u_char *) "POST";
            req.method.len = 4;
            req.path.data = (const u_char *) path;
            req.path.len = strlen(path);
            req.args.data = (const u_char *) "api-version=2024-10-21";
            req.args.len = strlen((const char *) req.args.data);

            assert_int_equal(azoai_route_classify(&req, &route, &a),
                             AZOAI_OK);

            test_policy_fast_same(&pc, &req, &route, &d);

            if (i == 0 && times[t] == RETIRES - 1) {
                assert_int_equal(d.reason, AZOAI_ALLOW);
                assert_true(d.retires == RETIRES);
            }

            if (i == 0 && times[t] == RETIRES) {
                assert_int_equal(d.reason, AZOAI_RETIRED_MODEL);
            }

            test_arena_free(&arena);
        }
    }

    azoai_catalog_free(c);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_catalog_retires),
        cmocka_unit_test(test_catalog_retires_errors),
        cmocka_unit_test(test_catalog_each_retiring),
        cmocka_unit_test(test_policy_retires),
        cmocka_unit_test(test_policy_retires_versioned_name),
        cmocka_unit_test(test_policy_fast_retires),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
