/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of data retention (azoai_store): what the body layer records
 * of "store" and "background", the judgement in each mode, and the
 * rewrite to "store": false with every other byte kept.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "azoai_store.h"


#define EMAIL       "alice@example.com"


static unsigned inspect(const azoai_pii_engine_t *e, const char *body,
    azoai_body_result_t *r, test_arena_t *arena);
static unsigned judge(unsigned mode, unsigned responses, const char *body,
    azoai_decision_t *d);
static void check_rewrite(unsigned responses, const char *body,
    const char *expect);


static unsigned
inspect(const azoai_pii_engine_t *e, const char *body,
    azoai_body_result_t *r, test_arena_t *arena)
{
    azoai_alloc_t  a;

    a = test_arena_allocator(arena);

    assert_int_equal(azoai_body_inspect(e, (const u_char *) body,
                                        strlen(body), &a, r),
                     AZOAI_OK);

    return r->error;
}


/* the judgement of a valid body; d is filled */

static unsigned
judge(unsigned mode, unsigned responses, const char *body,
    azoai_decision_t *d)
{
    unsigned             rc;
    test_arena_t         arena = { 0 };
    azoai_body_result_t  r;

    assert_int_equal(inspect(NULL, body, &r, &arena), AZOAI_BODY_OK);

    azoai_decision_init(d);
    rc = azoai_store_judge(mode, responses, &r, d);

    test_arena_free(&arena);

    return rc;
}


static void
check_rewrite(unsigned responses, const char *body, const char *expect)
{
    u_char              *out;
    size_t               out_len;
    test_arena_t         arena = { 0 };
    azoai_alloc_t        a;
    azoai_decision_t     d;
    azoai_body_result_t  r;

    assert_int_equal(inspect(NULL, body, &r, &arena), AZOAI_BODY_OK);

    azoai_decision_init(&d);
    assert_int_equal(azoai_store_judge(AZOAI_STORE_OFF, responses, &r, &d),
                     AZOAI_STORE_REWRITE);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    a = test_arena_allocator(&arena);
    assert_int_equal(azoai_store_rewrite(&r, (const u_char *) body,
                                         strlen(body), &a, &out, &out_len),
                     AZOAI_OK);

    assert_int_equal(out_len, strlen(expect));
    assert_memory_equal(out, expect, out_len);

    /* the result keeps Azure from storing: off passes it as it is */
    out[out_len] = '\0';
    assert_int_equal(judge(AZOAI_STORE_DENY, responses, (char *) out, &d),
                     AZOAI_STORE_PASS);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    test_arena_free(&arena);
}


static void
test_store_body(void **state)
{
    test_arena_t         arena = { 0 };
    azoai_body_result_t  r;

    assert_int_equal(inspect(NULL, "{\"store\":true}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.store, AZOAI_BODY_STORE_TRUE);
    assert_int_equal(r.store_start, 9);
    assert_int_equal(r.store_end, 13);
    assert_true(r.object);
    assert_int_equal(r.object_start, 0);

    /* a string keeps its quotes in the span */
    assert_int_equal(inspect(NULL, " {\"a\":1, \"store\" : \"true\"}", &r,
                             &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.store, AZOAI_BODY_STORE_SCALAR);
    assert_int_equal(r.store_start, 19);
    assert_int_equal(r.store_end, 25);
    assert_int_equal(r.object_start, 1);

    assert_int_equal(inspect(NULL, "{\"store\":null}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.store, AZOAI_BODY_STORE_SCALAR);

    assert_int_equal(inspect(NULL, "{\"store\":{\"a\":true}}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.store, AZOAI_BODY_STORE_CONTAINER);

    /* escaped keys are the same keys */
    assert_int_equal(inspect(NULL, "{\"st\\u006fre\":false}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.store, AZOAI_BODY_STORE_FALSE);

    /* only the top level counts */
    assert_int_equal(inspect(NULL, "{\"x\":{\"store\":true,"
                                   "\"background\":true}}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.store, AZOAI_BODY_STORE_ABSENT);
    assert_false(r.background);

    assert_int_equal(inspect(NULL, "[{\"store\":true}]", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.store, AZOAI_BODY_STORE_ABSENT);
    assert_false(r.object);

    assert_int_equal(inspect(NULL, "{\"background\":true}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_true(r.background);

    assert_int_equal(inspect(NULL, "{\"background\":\"true\"}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_false(r.background);

    /* twice: ambiguous, whatever the values */
    assert_int_equal(inspect(NULL, "{\"store\":false,\"store\":false}", &r,
                             &arena),
                     AZOAI_BODY_AMBIGUOUS);
    assert_string_equal(r.error_text, "'store' given more than once");

    assert_int_equal(inspect(NULL, "{\"store\":false,\"st\\u006fre\":true}",
                             &r, &arena),
                     AZOAI_BODY_AMBIGUOUS);

    assert_int_equal(inspect(NULL, "{\"background\":false,"
                                   "\"background\":true}", &r, &arena),
                     AZOAI_BODY_AMBIGUOUS);
    assert_string_equal(r.error_text, "'background' given more than once");

    test_arena_free(&arena);
}


/* the keys by their length, and escaped */

static void
test_store_keys(void **state)
{
    test_arena_t         arena;
    azoai_body_result_t  r;

    memset(&arena, 0, sizeof(test_arena_t));

    assert_int_equal(inspect(NULL, "{\"backgro\\u0075nd\":true}", &r,
                             &arena),
                     AZOAI_BODY_OK);
    assert_true(r.background);

    /* other keys of those lengths are neither */
    assert_int_equal(inspect(NULL, "{\"stora\":true,\"backgroune\":true,"
                                   "\"storesx\":true}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.store, AZOAI_BODY_STORE_ABSENT);
    assert_false(r.background);

    test_arena_free(&arena);
}


static void
test_store_judge(void **state)
{
    azoai_decision_t  d;

    /* allow: nothing is judged */
    assert_int_equal(judge(AZOAI_STORE_ALLOW, 1, "{\"background\":true}",
                           &d),
                     AZOAI_STORE_PASS);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    /* deny */
    judge(AZOAI_STORE_DENY, 0, "{\"store\":true}", &d);
    assert_int_equal(d.reason, AZOAI_DATA_RETENTION);
    assert_int_equal(d.status, 403);
    assert_non_null(strstr(d.message, "'store': true"));

    judge(AZOAI_STORE_DENY, 0, "{\"store\":\"true\"}", &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    judge(AZOAI_STORE_DENY, 0, "{\"store\":null}", &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    judge(AZOAI_STORE_DENY, 0, "{\"model\":\"x\"}", &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    judge(AZOAI_STORE_DENY, 1, "{\"model\":\"x\"}", &d);
    assert_int_equal(d.reason, AZOAI_DATA_RETENTION);
    assert_non_null(strstr(d.message, "do not say 'store': false"));

    judge(AZOAI_STORE_DENY, 1, "{\"store\":\"false\"}", &d);
    assert_int_equal(d.reason, AZOAI_DATA_RETENTION);

    judge(AZOAI_STORE_DENY, 1, "{\"store\":false}", &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    judge(AZOAI_STORE_DENY, 1, "{\"store\":false,\"background\":true}", &d);
    assert_int_equal(d.reason, AZOAI_DATA_RETENTION);
    assert_non_null(strstr(d.message, "'background': true"));

    judge(AZOAI_STORE_DENY, 0, "{\"background\":false}", &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    /* off: rewrite, or deny what cannot be rewritten */
    assert_int_equal(judge(AZOAI_STORE_OFF, 0, "{\"store\":true}", &d),
                     AZOAI_STORE_REWRITE);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    assert_int_equal(judge(AZOAI_STORE_OFF, 0, "{\"store\":\"true\"}", &d),
                     AZOAI_STORE_PASS);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    assert_int_equal(judge(AZOAI_STORE_OFF, 1, "{}", &d),
                     AZOAI_STORE_REWRITE);

    assert_int_equal(judge(AZOAI_STORE_OFF, 1, "{\"store\":false}", &d),
                     AZOAI_STORE_PASS);

    judge(AZOAI_STORE_OFF, 1, "{\"store\":false,\"background\":true}", &d);
    assert_int_equal(d.reason, AZOAI_DATA_RETENTION);

    judge(AZOAI_STORE_OFF, 1, "{\"store\":[true]}", &d);
    assert_int_equal(d.reason, AZOAI_DATA_RETENTION);

    judge(AZOAI_STORE_OFF, 1, "[1]", &d);
    assert_int_equal(d.reason, AZOAI_DATA_RETENTION);

    /* the first denial stands */
    {
        test_arena_t         arena = { 0 };
        azoai_body_result_t  r;

        assert_int_equal(inspect(NULL, "{\"store\":true}", &r, &arena),
                         AZOAI_BODY_OK);
        azoai_decision_init(&d);
        azoai_decision_deny(&d, AZOAI_PREVIEW_MODEL, "first");
        assert_int_equal(azoai_store_judge(AZOAI_STORE_OFF, 0, &r, &d),
                         AZOAI_STORE_PASS);
        assert_int_equal(d.reason, AZOAI_PREVIEW_MODEL);
        test_arena_free(&arena);
    }
}


static void
test_store_rewrite(void **state)
{
    check_rewrite(0, "{\"store\":true}", "{\"store\":false}");
    check_rewrite(0, "{\"a\":1,\n  \"store\" :  true ,\"b\":[2]}",
                  "{\"a\":1,\n  \"store\" :  false ,\"b\":[2]}");
    check_rewrite(1, "{\"store\":\"true\",\"x\":1}",
                  "{\"store\":false,\"x\":1}");
    check_rewrite(1, "{\"store\":null}", "{\"store\":false}");
    check_rewrite(1, "{\"store\":1e3}", "{\"store\":false}");
    check_rewrite(1, "{\"st\\u006fre\":true}", "{\"st\\u006fre\":false}");
    check_rewrite(1, "{}", "{\"store\":false}");
    check_rewrite(1, " { \r\n} ", " {\"store\":false \r\n} ");
    check_rewrite(1, "{\"model\":\"m\",\"input\":\"hi\"}",
                  "{\"store\":false,\"model\":\"m\",\"input\":\"hi\"}");
    check_rewrite(1, "\n{ \"model\":\"m\"}",
                  "\n{\"store\":false, \"model\":\"m\"}");
}


/* PII matches after the edit move with their bytes */

static void
test_store_rewrite_pii(void **state)
{
    char                 err[256];
    u_char              *out, *masked;
    size_t               out_len, masked_len;
    test_arena_t         arena = { 0 };
    azoai_alloc_t        a;
    azoai_body_result_t  r;
    azoai_pii_engine_t  *e;

    static const char  *bodies[] = {
        "{\"input\":\"" EMAIL "\",\"store\":true,\"x\":\"" EMAIL "\"}",
        "{\"input\":\"" EMAIL "\",\"x\":\"" EMAIL "\"}",
        "{\"store\":\"true\",\"x\":\"" EMAIL "\"}"
    };
    static const char  *expect[] = {
        "{\"input\":\"[EMAIL]\",\"store\":false,\"x\":\"[EMAIL]\"}",
        "{\"store\":false,\"input\":\"[EMAIL]\",\"x\":\"[EMAIL]\"}",
        "{\"store\":false,\"x\":\"[EMAIL]\"}"
    };
    size_t               i;

    e = azoai_pii_engine_create();
    assert_non_null(e);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_EMAIL,
                                             AZOAI_PII_ACTION_MASK),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    a = test_arena_allocator(&arena);

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        assert_int_equal(inspect(e, bodies[i], &r, &arena), AZOAI_BODY_OK);
        assert_int_equal(r.nmatches, i == 2 ? 1 : 2);

        assert_int_equal(azoai_store_rewrite(&r, (const u_char *) bodies[i],
                                             strlen(bodies[i]), &a, &out,
                                             &out_len),
                         AZOAI_OK);

        assert_int_equal(azoai_body_rewrite(e, &r, out, out_len, &a,
                                            &masked, &masked_len),
                         AZOAI_OK);

        assert_int_equal(masked_len, strlen(expect[i]));
        assert_memory_equal(masked, expect[i], masked_len);
    }

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_store_body),
        cmocka_unit_test(test_store_keys),
        cmocka_unit_test(test_store_judge),
        cmocka_unit_test(test_store_rewrite),
        cmocka_unit_test(test_store_rewrite_pii),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
