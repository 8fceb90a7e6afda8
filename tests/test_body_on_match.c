/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of azoai_body_on_match(), the static callback that takes a
 * string's matches into the body's result (azoai_body.c is compiled in
 * here for it): the scan never reports a bad match, so its fail-closed
 * paths are reached only from here.  A bad match keeps the matches
 * before it, counted, and only those, as a test per match would: past
 * the string (tested once after the loop, azoai_body_on_match_cut()),
 * empty, out of order, of no type.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "azoai_body.c"


#define ON_MATCH_ROOM  16


typedef struct {
    azoai_body_ctx_t     ctx;
    azoai_body_result_t  r;
    azoai_pii_match_t    store[ON_MATCH_ROOM];
} on_match_t;


static void
on_match_init(on_match_t *t, size_t base, size_t raw_len)
{
    memset(t, 0, sizeof(on_match_t));

    t->r.matches = t->store;
    t->ctx.result = &t->r;
    t->ctx.matches_size = ON_MATCH_ROOM;
    t->ctx.base = base;
    t->ctx.raw_len = raw_len;
}


static void
on_match_set(azoai_pii_match_t *m, size_t start, size_t end, unsigned type)
{
    m->start = start;
    m->end = end;
    m->type = type;
}


/* good matches: in body offsets, counted, their types found */

static void
test_on_match_good(void **state)
{
    on_match_t         t;
    azoai_pii_match_t  in[3];

    (void) state;

    on_match_init(&t, 100, 50);

    on_match_set(&in[0], 0, 5, AZOAI_PII_EMAIL);
    on_match_set(&in[1], 10, 20, AZOAI_PII_PHONE);
    on_match_set(&in[2], 30, 50, AZOAI_PII_PHONE);

    assert_int_equal(azoai_body_on_match(&t.ctx, in, 3), 0);
    assert_int_equal(t.r.nmatches, 3);
    assert_int_equal(t.r.matches[0].start, 100);
    assert_int_equal(t.r.matches[2].end, 150);
    assert_int_equal(t.r.counts[AZOAI_PII_EMAIL], 1);
    assert_int_equal(t.r.counts[AZOAI_PII_PHONE], 2);
    assert_int_equal(t.r.types_found,
                     (1ULL << AZOAI_PII_EMAIL) | (1ULL << AZOAI_PII_PHONE));

    /* the next string's: after the last end */

    t.ctx.base = 200;
    t.ctx.raw_len = 10;
    on_match_set(&in[0], 0, 10, AZOAI_PII_CREDIT_CARD);

    assert_int_equal(azoai_body_on_match(&t.ctx, in, 1), 0);
    assert_int_equal(t.r.nmatches, 4);
    assert_int_equal(t.r.counts[AZOAI_PII_CREDIT_CARD], 1);
    assert_int_equal(t.r.counts[AZOAI_PII_PHONE], 2);
}


/* a match past the string, at each place among four */

static void
test_on_match_past(void **state)
{
    size_t             bad, k;
    on_match_t         t;
    azoai_pii_match_t  in[4];

    (void) state;

    for (bad = 0; bad < 4; bad++) {
        on_match_init(&t, 100, 50);

        for (k = 0; k < 4; k++) {
            on_match_set(&in[k], k * 10, k * 10 + 5,
                         (k & 1) ? AZOAI_PII_PHONE : AZOAI_PII_EMAIL);
        }

        /* past the end by one; the ones after it past it too */

        for (k = bad; k < 4; k++) {
            on_match_set(&in[k], 45 + k * 10, 51 + k * 10, in[k].type);
        }

        assert_int_equal(azoai_body_on_match(&t.ctx, in, 4), -1);
        assert_int_equal(t.r.nmatches, bad);
        assert_int_equal(t.r.counts[AZOAI_PII_EMAIL], (bad + 1) / 2);
        assert_int_equal(t.r.counts[AZOAI_PII_PHONE], bad / 2);
        assert_int_equal(t.r.types_found,
                         (bad > 0 ? 1ULL << AZOAI_PII_EMAIL : 0)
                         | (bad > 1 ? 1ULL << AZOAI_PII_PHONE : 0));

        for (k = 0; k < bad; k++) {
            assert_int_equal(t.r.matches[k].start, 100 + k * 10);
            assert_int_equal(t.r.matches[k].end, 105 + k * 10);
        }
    }

    /* past the string after a match kept by an earlier call */

    on_match_init(&t, 100, 50);
    on_match_set(&in[0], 0, 5, AZOAI_PII_EMAIL);

    assert_int_equal(azoai_body_on_match(&t.ctx, in, 1), 0);

    t.ctx.base = 200;
    t.ctx.raw_len = 20;
    on_match_set(&in[0], 0, 10, AZOAI_PII_PHONE);
    on_match_set(&in[1], 15, 21, AZOAI_PII_EMAIL);

    assert_int_equal(azoai_body_on_match(&t.ctx, in, 2), -1);
    assert_int_equal(t.r.nmatches, 2);
    assert_int_equal(t.r.counts[AZOAI_PII_EMAIL], 1);
    assert_int_equal(t.r.counts[AZOAI_PII_PHONE], 1);
}


/*
 * empty, out of order or of no type: the loop stops there; one past the
 * string before it stops the matches there instead
 */

static void
test_on_match_bad(void **state)
{
    size_t             k, nbad;
    on_match_t         t;
    azoai_pii_match_t  in[3];

    (void) state;

    nbad = 3;

    for (k = 0; k < nbad; k++) {
        on_match_init(&t, 100, 50);

        on_match_set(&in[0], 0, 5, AZOAI_PII_EMAIL);
        on_match_set(&in[1], 10, 20, AZOAI_PII_PHONE);
        on_match_set(&in[2], 30, 40, AZOAI_PII_PHONE);

        if (k == 0) {
            on_match_set(&in[1], 10, 10, AZOAI_PII_PHONE);

        } else if (k == 1) {
            on_match_set(&in[1], 4, 20, AZOAI_PII_PHONE);

        } else {
            on_match_set(&in[1], 10, 20, AZOAI_PII_MAX_TYPES);
        }

        assert_int_equal(azoai_body_on_match(&t.ctx, in, 3), -1);
        assert_int_equal(t.r.nmatches, 1);
        assert_int_equal(t.r.counts[AZOAI_PII_EMAIL], 1);
        assert_int_equal(t.r.counts[AZOAI_PII_PHONE], 0);
        assert_int_equal(t.r.types_found, 1ULL << AZOAI_PII_EMAIL);

        /* the first past the string: nothing kept */

        on_match_init(&t, 100, 50);
        on_match_set(&in[0], 0, 60, AZOAI_PII_EMAIL);

        assert_int_equal(azoai_body_on_match(&t.ctx, in, 3), -1);
        assert_int_equal(t.r.nmatches, 0);
        assert_int_equal(t.r.counts[AZOAI_PII_EMAIL], 0);
        assert_int_equal(t.r.types_found, 0);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_on_match_good),
        cmocka_unit_test(test_on_match_past),
        cmocka_unit_test(test_on_match_bad),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
