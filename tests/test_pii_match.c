/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The engine's shortcuts per match give what the general paths give:
 * azoai_pii_render_pseudo() copies the "[TAG]" rendered once per type for
 * the mask and block actions, byte for byte what azoai_pii_render()
 * writes, and nothing past it, for every built-in type and custom names
 * of every length, with and without a pseudonym map; azoai_pii_find()
 * skips sorting and joining candidates that came in order and apart, so
 * what it returns over random texts dense with values, glued and
 * overlapping ones among them, must be sorted, apart and left as it is
 * by azoai_pii_cands_sort() and azoai_pii_resolve().  The splicing
 * loop's azoai_pii_render_short() gives render_pseudo()'s bytes where it
 * renders at all, and does for every mask and block tag of 16 bytes or
 * fewer; azoai_pii_blocked_types() is the block action, whatever the
 * actions set before.  (That the scan
 * settles exactly when it must, glued matches included, is
 * test_pii_settle_diff.c's.)
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azoai_pii_int.h"
#include "azoai_pseudo.h"
#include "test_util.h"
#include "test_pii_util.h"


#define MATCH_TEXTS     4000
#define MATCH_TEXT_MAX  600
#define MATCH_FILL      '#'
#define MATCH_N(a)      (sizeof(a) / sizeof((a)[0]))


static void match_render_same(const azoai_pii_engine_t *e, unsigned type,
    azoai_pseudo_t *p);
static void match_short_same(const azoai_pii_engine_t *e, unsigned type);
static size_t match_text(uint32_t *seed, u_char *out, size_t max);
static void match_find_fixed(const azoai_pii_engine_t *e, uint32_t seed,
    size_t *total);


/* values that overlap, glue to words and follow each other closely */
static const char  *pieces[] = {
    "ann@ex.com", "bob12@example.org", "x@mail.xn--p1ai-GB82 WEST 1234",
    "+1 415 555 0100", "415-555-0100", "078-05-1120", "SSN", "10.1.2.3",
    "4111 1111 1111 1111", "4111111111111111", "GB82 WEST 1234 5698 7654 32",
    "2001:db8::1", "NHS 943 476 5919", "TFN 123 456 782", "a1b2", "7",
    "AKIAIOSFODNN7EXAMPLE", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "(415) 555-0100", "+(44) 20 7946 0958", "[EMAIL]", "Contact:", "x",
    "1-800-555-0199", "EMP-1234"
};

static const char  *glue[] = { " ", " ", "", ",", "-", ":", ".", "a", "1" };


/* render_pseudo() of a mask or block type is render(), to the byte */

static void
match_render_same(const azoai_pii_engine_t *e, unsigned type,
    azoai_pseudo_t *p)
{
    size_t             n, k;
    azoai_pii_match_t  m;
    u_char             out[AZOAI_PII_TAG_MAX + 8], ref[AZOAI_PII_TAG_MAX];

    m.start = 0;
    m.end = 4;
    m.type = type;

    n = azoai_pii_render(e, &m, (const u_char *) "1234", ref);
    assert_true(n >= 3 && n <= AZOAI_PII_TAG_MAX);

    memset(out, MATCH_FILL, sizeof(out));
    assert_int_equal(azoai_pii_render_pseudo(e, &m, (const u_char *) "1234",
                                             out, p),
                     n);
    assert_memory_equal(out, ref, n);

    for (k = n; k < sizeof(out); k++) {
        assert_int_equal(out[k], MATCH_FILL);
    }
}


static void
test_render_pseudo_mask(void **state)
{
    int                  id;
    char                 err[256], name[AZOAI_PII_NAME_MAX + 1];
    size_t               len, k;
    unsigned             type;
    test_arena_t         arena;
    azoai_alloc_t        a;
    azoai_pseudo_t      *p;
    azoai_pii_engine_t  *e;
    azoai_pii_action_e   action;

    (void) state;

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);
    p = azoai_pseudo_create(&a);
    assert_non_null(p);

    for (action = AZOAI_PII_ACTION_MASK; action <= AZOAI_PII_ACTION_BLOCK;
         action += AZOAI_PII_ACTION_BLOCK)
    {
        e = test_pii_engine_all(action, NULL);

        for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
            match_render_same(e, type, NULL);
            match_render_same(e, type, p);
        }

        azoai_pii_engine_free(e);
    }

    /* custom names of every length: the short moves and memcpy() */

    for (len = 1; len <= AZOAI_PII_NAME_MAX; len++) {
        for (k = 0; k < len; k++) {
            name[k] = (char) ('a' + (k * 5 + len) % 26);
        }

        name[len] = '\0';

        e = azoai_pii_engine_create();
        assert_non_null(e);

        id = azoai_pii_engine_add_pattern(e, name, (u_char *) "x+", 2,
                                          (len & 1) ? AZOAI_PII_ACTION_MASK
                                                    : AZOAI_PII_ACTION_BLOCK,
                                          err, sizeof(err));
        assert_true(id >= 0);
        assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                         AZOAI_OK);

        match_render_same(e, (unsigned) id, NULL);
        match_render_same(e, (unsigned) id, p);

        /* a type the engine does not have: "[PII]" either way */
        match_render_same(e, (unsigned) id + 1, p);

        azoai_pii_engine_free(e);
    }

    test_arena_free(&arena);
}


/*
 * render_short() of type against render_pseudo(): the same bytes where
 * it renders; it must for a mask or block tag that fits its move
 */

static void
match_short_same(const azoai_pii_engine_t *e, unsigned type)
{
    size_t              n, ns;
    azoai_pii_match_t   m;
    azoai_pii_action_e  action;
    u_char              out[AZOAI_PII_TAG_MAX], ref[AZOAI_PII_TAG_MAX];

    m.start = 0;
    m.end = 4;
    m.type = type;

    n = azoai_pii_render_pseudo(e, &m, (const u_char *) "1234", ref, NULL);
    ns = azoai_pii_render_short(e, type, out);

    if (ns) {
        assert_int_equal(ns, n);
        assert_memory_equal(out, ref, n);
    }

    action = azoai_pii_type_action(e, type);

    if (type < azoai_pii_type_count(e)
        && (action == AZOAI_PII_ACTION_MASK
            || action == AZOAI_PII_ACTION_BLOCK)
        && n <= AZOAI_PII_SHORT_TAG)
    {
        assert_int_equal(ns, n);
    }

    if (type < AZOAI_PII_MAX_TYPES) {
        assert_int_equal((azoai_pii_blocked_types(e) >> type) & 1,
                         type < azoai_pii_type_count(e)
                         && action == AZOAI_PII_ACTION_BLOCK);
    }
}


static void
test_render_short(void **state)
{
    int                  id;
    char                 err[256], name[AZOAI_PII_NAME_MAX + 1];
    size_t               len, k;
    unsigned             type, round;
    azoai_pii_engine_t  *e;
    azoai_pii_action_e   action;

    (void) state;

    /* every action on every built-in type, set over the ones before */

    e = azoai_pii_engine_create();
    assert_non_null(e);

    for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
        match_short_same(e, type);
    }

    for (round = 0; round < 3; round++) {
        for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
            action = (azoai_pii_action_e) ((type + round * 2)
                                           % (AZOAI_PII_ACTION_LAST + 1));

            assert_int_equal(azoai_pii_engine_enable(e, type, action),
                             AZOAI_OK);
        }

        for (type = 0; type < AZOAI_PII_MAX_TYPES + 2; type++) {
            match_short_same(e, type);
        }
    }

    assert_int_equal(azoai_pii_engine_set_hash_key(e, (u_char *) "k", 1),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
        match_short_same(e, type);
    }

    azoai_pii_engine_free(e);

    /* custom names of every length, each action */

    for (len = 1; len <= AZOAI_PII_NAME_MAX; len++) {
        for (k = 0; k < len; k++) {
            name[k] = (char) ('a' + (k * 7 + len) % 26);
        }

        name[len] = '\0';

        e = azoai_pii_engine_create();
        assert_non_null(e);

        id = azoai_pii_engine_add_pattern(e, name, (u_char *) "x+", 2,
                                          (azoai_pii_action_e)
                                          (len % (AZOAI_PII_ACTION_LAST + 1)),
                                          err, sizeof(err));
        assert_true(id >= 0);

        match_short_same(e, (unsigned) id);
        match_short_same(e, (unsigned) id + 1);

        azoai_pii_engine_free(e);
    }
}


static size_t
match_text(uint32_t *seed, u_char *out, size_t max)
{
    size_t       len, want, n, g;
    const char  *piece, *sep;

    len = 0;
    want = 1 + test_random(seed) % max;

    for ( ;; ) {
        piece = pieces[test_random(seed) % MATCH_N(pieces)];
        sep = glue[test_random(seed) % MATCH_N(glue)];
        n = strlen(piece);
        g = strlen(sep);

        if (len >= want || len + n + g > max) {
            return len;
        }

        memcpy(out + len, piece, n);
        memcpy(out + len + n, sep, g);
        len += n + g;
    }
}


/* find's spans are sorted, apart, and sort + resolve leave them be */

static void
match_find_fixed(const azoai_pii_engine_t *e, uint32_t seed, size_t *total)
{
    size_t              i, k, len, n, n2;
    test_arena_t        arena;
    azoai_alloc_t       a;
    azoai_pii_match_t  *m, *copy;
    u_char              text[MATCH_TEXT_MAX];

    for (i = 0; i < MATCH_TEXTS; i++) {
        len = match_text(&seed, text, sizeof(text));

        memset(&arena, 0, sizeof(arena));
        a = test_arena_allocator(&arena);

        assert_int_equal(azoai_pii_find_text(e, text, len, NULL, 0, &a, &m,
                                             &n),
                         AZOAI_OK);

        for (k = 0; k < n; k++) {
            assert_true(m[k].start < m[k].end && m[k].end <= len);
            assert_true(k == 0 || m[k - 1].end <= m[k].start);
        }

        if (n) {
            copy = test_arena_alloc(&arena, n * sizeof(azoai_pii_match_t));
            assert_non_null(copy);
            memcpy(copy, m, n * sizeof(azoai_pii_match_t));

            azoai_pii_cands_sort(copy, n);
            n2 = azoai_pii_resolve(copy, n);

            assert_int_equal(n2, n);
            assert_memory_equal(copy, m, n * sizeof(azoai_pii_match_t));
        }

        *total += n;
        test_arena_free(&arena);
    }
}


static void
test_find_in_order(void **state)
{
    char                 err[256];
    size_t               total;
    azoai_pii_engine_t  *e;

    (void) state;

    total = 0;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);
    match_find_fixed(e, 11, &total);
    azoai_pii_engine_free(e);

    /* a custom pattern adds its candidates after the built-in ones */

    e = azoai_pii_engine_create();
    assert_non_null(e);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_EMAIL,
                                             AZOAI_PII_ACTION_MASK),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_PHONE,
                                             AZOAI_PII_ACTION_MASK),
                     AZOAI_OK);
    assert_true(azoai_pii_engine_add_pattern(e, "emp",
                                             (u_char *) "EMP-[0-9]+|x", 12,
                                             AZOAI_PII_ACTION_MASK, err,
                                             sizeof(err))
                >= 0);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);
    match_find_fixed(e, 12, &total);
    azoai_pii_engine_free(e);

    /* the texts are dense with values: a test that sees many */
    assert_true(total > MATCH_TEXTS * 4);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_render_pseudo_mask),
        cmocka_unit_test(test_render_short),
        cmocka_unit_test(test_find_in_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
