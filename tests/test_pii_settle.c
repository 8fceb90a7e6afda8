/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Masking is idempotent (azoai_pii_settle.c): a value refused because of
 * its neighbour, or too far from its context word until a longer
 * neighbour became a short tag, is masked by the first pass, so a second
 * pass over the masked text finds nothing; tag names are no context
 * words.  Each case is checked with every type masked, and again with
 * the hash and partial renderings.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azoai_pii.h"
#include "test_util.h"
#include "test_pii_util.h"


#define OUT_MAX     4096


typedef struct {
    const azoai_pii_engine_t  *e;
    const u_char              *raw;
    u_char                    *out;
    size_t                     o;
    size_t                     pos;
} mask_ctx_t;


typedef struct {
    const char                *in;
    const char                *out;     /* with every type masked */
} settle_case_t;


static int mask_one(void *data, const azoai_pii_match_t *m);
static size_t mask_text(const azoai_pii_engine_t *e, const char *in,
    size_t len, u_char *out);
static void check_idempotent(const azoai_pii_engine_t *e, const char *in,
    const char *expect);


static const settle_case_t  cases[] = {

    /* an SSN glued to a word by a comma: free once the e-mail is a tag */
    { "SSN 078-05-1120,jane@example.com", "SSN [US_SSN],[EMAIL]" },

    /* the same with an escape inside the e-mail (view offsets) */
    { "SSN 078-05-1120,j\\u0061ne@example.com", "SSN [US_SSN],[EMAIL]" },

    /* "phone" 56 bytes before the number, 13 once the e-mail is a tag */
    { "phone: jonathan.livingston.seagull.the.third@example.com "
      "020 7946 0958", "phone: [EMAIL] [PHONE]" },

    /* a tag's type name is no context word, raw or masked */
    { "[PHONE] order 020 7946 0958", "[PHONE] order 020 7946 0958" },

    /*
     * found by fuzz_body: "[PHONE:...0958]" was a context word, and the
     * tag, shorter than the number, brings "Phone" within 48 bytes of
     * the second number
     */
    { "Phone: +44 (0)20 7946 0958, +44 12, +49 30 123, order "
      "020 7946 0958", "Phone: [PHONE], +44 12, +49 30 123, order "
      "[PHONE]" },

    /* an SSN between two e-mails, each glued to it */
    { "a@example.com,078-05-1120,b@example.org",
      "[EMAIL],[US_SSN],[EMAIL]" },

    { "no PII here, 12,5 and v1.2.3", "no PII here, 12,5 and v1.2.3" }
};


static int
mask_one(void *data, const azoai_pii_match_t *m)
{
    mask_ctx_t  *c = data;

    assert_true(m->start >= c->pos && m->end > m->start);
    assert_true(c->o + (m->start - c->pos) + AZOAI_PII_TAG_MAX < OUT_MAX);

    memcpy(c->out + c->o, c->raw + c->pos, m->start - c->pos);
    c->o += m->start - c->pos;
    c->o += azoai_pii_render(c->e, m, c->raw, c->out + c->o);
    c->pos = m->end;

    return 0;
}


/* in (a JSON string's raw bytes) with every match rendered */

static size_t
mask_text(const azoai_pii_engine_t *e, const char *in, size_t len,
    u_char *out)
{
    mask_ctx_t     c;
    test_arena_t   arena;
    azoai_alloc_t  a;

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);

    c.e = e;
    c.raw = (const u_char *) in;
    c.out = out;
    c.o = 0;
    c.pos = 0;

    assert_int_equal(azoai_pii_scan(e, (const u_char *) in, len, &a,
                                    mask_one, &c),
                     AZOAI_OK);

    assert_true(c.o + len - c.pos < OUT_MAX);
    memcpy(out + c.o, in + c.pos, len - c.pos);

    test_arena_free(&arena);

    return c.o + len - c.pos;
}


static void
check_idempotent(const azoai_pii_engine_t *e, const char *in,
    const char *expect)
{
    size_t  n1, n2;
    u_char  once[OUT_MAX], twice[OUT_MAX];

    n1 = mask_text(e, in, strlen(in), once);

    if (expect != NULL) {
        once[n1] = '\0';
        assert_string_equal((char *) once, expect);
    }

    n2 = mask_text(e, (const char *) once, n1, twice);

    assert_int_equal(n2, n1);
    assert_memory_equal(twice, once, n1);
}


static void
test_settle_mask(void **state)
{
    size_t               i;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, "k");

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_idempotent(e, cases[i].in, cases[i].out);
    }

    azoai_pii_engine_free(e);
}


/* hash tags carry hex digits, partial ones the last digits of a number */

static void
test_settle_renderings(void **state)
{
    size_t               i, k;
    azoai_pii_engine_t  *e;

    static const azoai_pii_action_e  actions[] = {
        AZOAI_PII_ACTION_HASH, AZOAI_PII_ACTION_PARTIAL,
        AZOAI_PII_ACTION_BLOCK, AZOAI_PII_ACTION_PSEUDONYM
    };

    for (k = 0; k < sizeof(actions) / sizeof(actions[0]); k++) {
        e = test_pii_engine_all(actions[k], "k");

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            check_idempotent(e, cases[i].in, NULL);
        }

        azoai_pii_engine_free(e);
    }
}


/*
 * Many values in one long string, each refused for its neighbour until
 * that neighbour is masked: one pass masks them all.
 */

static void
test_settle_long(void **state)
{
    size_t               i, n;
    char                *in, *expect;
    azoai_pii_engine_t  *e;

    static const char  unit[] = "x 078-05-1120,jane@example.com ";
    static const char  tags[] = "x [US_SSN],[EMAIL] ";

    n = 60;
    in = malloc(n * (sizeof(unit) - 1) + 1);
    expect = malloc(n * (sizeof(tags) - 1) + 1);
    assert_non_null(in);
    assert_non_null(expect);

    for (i = 0; i < n; i++) {
        memcpy(in + i * (sizeof(unit) - 1), unit, sizeof(unit) - 1);
        memcpy(expect + i * (sizeof(tags) - 1), tags, sizeof(tags) - 1);
    }

    in[n * (sizeof(unit) - 1)] = '\0';
    expect[n * (sizeof(tags) - 1)] = '\0';

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, "k");

    check_idempotent(e, in, expect);

    azoai_pii_engine_free(e);
    free(in);
    free(expect);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_settle_mask),
        cmocka_unit_test(test_settle_renderings),
        cmocka_unit_test(test_settle_long),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
