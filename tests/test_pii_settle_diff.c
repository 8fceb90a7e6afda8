/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_pii_scan() settles only where a refused stop is within reach of a
 * match (azoai_pii_settle_needed()); the reference here settles always
 * (the stops taken as too many to keep, as a scan with more than the
 * stack's stops did before they grew).  Both must give the same matches
 * and the same masked text, over random texts dense with values, refused
 * numbers next to them, context words and tags, for each action.  The
 * response masker (azoai_resp_mask_string(), into its buffer and to a
 * writer) must write the same masked text.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azoai_pii_int.h"
#include "azoai_resp_mask.h"
#include "test_util.h"
#include "test_pii_util.h"


#define DIFF_TEXTS      3000
#define DIFF_TEXT_MAX   2400
#define DIFF_OUT_MAX    65536
#define DIFF_MATCHES    1024


typedef struct {
    azoai_pii_match_t  m[DIFF_MATCHES];
    size_t             n;
} diff_found_t;


typedef struct {
    u_char            *out;
    size_t             len;
    size_t             calls;
} diff_writer_t;


static int diff_collect(void *data, const azoai_pii_match_t *m);
static int diff_write(void *data, const u_char *p, size_t len);
static void diff_resp_mask(const azoai_pii_engine_t *e, const u_char *text,
    size_t len, const u_char *expect, size_t expect_len, size_t n,
    azoai_alloc_t *a);
static size_t diff_text(uint64_t *seed, u_char *out, size_t max);
static uint64_t diff_rand(uint64_t *seed);
static size_t diff_render(const azoai_pii_engine_t *e, const u_char *text,
    size_t len, const azoai_pii_match_t *m, size_t n, u_char *out);
static void diff_one(const azoai_pii_engine_t *e, const u_char *text,
    size_t len, size_t *matches);
static void diff_engine(azoai_pii_engine_t *e, uint64_t seed);


/* values, numbers that detectors refuse, context words, tags, glue */
static const char  *pieces[] = {
    "bob12@example.org", "ann@ex.com", "x9@a.io", "+1 415 555 0100",
    "415-555-0100", "078-05-1120", "SSN", "ssn:", "Phone:", "phone",
    "10.1.2.3", "0.1.2.3", "192.168.0.1", "12345", "99", "7", "2026",
    "4111 1111 1111 1111", "4111111111111111", "DE89 3704 0044 0532 0130 00",
    "IBAN", "card", "2001:db8::1", "fe80::1", "a1b2", "ID4711", "0815",
    "[PHONE]", "[EMAIL]", "[EMAIL_1]", "[IPV4]", "call", "the", "write to",
    "078-05-112", "1.2.3", "555 0100", "+49 30 1234567", "@", ":",
    "AKIAIOSFODNN7EXAMPLE", "tel", "Tel.", "no", "-", "(0)", "."
};

static const char  *glue[] = { " ", " ", " ", "", ",", ", ", "-", ":", "." };


static int
diff_collect(void *data, const azoai_pii_match_t *m)
{
    diff_found_t  *f = data;

    assert_true(f->n < DIFF_MATCHES);
    f->m[f->n++] = *m;

    return 0;
}


static int
diff_write(void *data, const u_char *p, size_t len)
{
    diff_writer_t  *w = data;

    assert_true(w->len + len <= DIFF_OUT_MAX);
    memcpy(w->out + w->len, p, len);
    w->len += len;
    w->calls++;

    return 0;
}


/* the response masker, into its buffer and to a writer, as the scan */

static void
diff_resp_mask(const azoai_pii_engine_t *e, const u_char *text, size_t len,
    const u_char *expect, size_t expect_len, size_t n, azoai_alloc_t *a)
{
    diff_writer_t      w;
    azoai_resp_mask_t  rm;
    static u_char      out[DIFF_OUT_MAX];

    azoai_resp_mask_init(&rm, e, a);

    assert_int_equal(azoai_resp_mask_string(&rm, text, len,
                                            AZOAI_RESP_MASK_ANY),
                     AZOAI_OK);
    assert_int_equal(rm.len, expect_len);
    assert_memory_equal(rm.buf, expect, expect_len);
    assert_int_equal(rm.masked, n);

    w.out = out;
    w.len = 0;
    w.calls = 0;
    rm.out = diff_write;
    rm.out_data = &w;

    assert_int_equal(azoai_resp_mask_string(&rm, text, len,
                                            AZOAI_RESP_MASK_ANY),
                     AZOAI_OK);
    assert_int_equal(w.len, expect_len);
    assert_memory_equal(out, expect, expect_len);
    assert_int_equal(rm.masked, 2 * n);

    /* a span and a tag a match at most, the tail, no empty pieces */
    assert_true(w.calls <= 2 * n + 1);
}


static uint64_t
diff_rand(uint64_t *seed)
{
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;

    return *seed;
}


static size_t
diff_text(uint64_t *seed, u_char *out, size_t max)
{
    size_t       len, want, n;
    const char  *p, *g;

    len = 0;
    want = 20 + diff_rand(seed) % (max - 100);

    while (len < want) {
        p = pieces[diff_rand(seed) % (sizeof(pieces) / sizeof(pieces[0]))];
        g = glue[diff_rand(seed) % (sizeof(glue) / sizeof(glue[0]))];
        n = strlen(p);

        if (len + n + strlen(g) > max) {
            break;
        }

        memcpy(out + len, p, n);
        len += n;
        memcpy(out + len, g, strlen(g));
        len += strlen(g);
    }

    return len;
}


static size_t
diff_render(const azoai_pii_engine_t *e, const u_char *text, size_t len,
    const azoai_pii_match_t *m, size_t n, u_char *out)
{
    size_t  i, pos, o;

    pos = 0;
    o = 0;

    for (i = 0; i < n; i++) {
        assert_true(m[i].start >= pos && m[i].end <= len);
        memcpy(out + o, text + pos, m[i].start - pos);
        o += m[i].start - pos;
        o += azoai_pii_render(e, &m[i], text, out + o);
        pos = m[i].end;
    }

    memcpy(out + o, text + pos, len - pos);

    return o + len - pos;
}


/* the scan against find + settle with every stop taken as near */

static void
diff_one(const azoai_pii_engine_t *e, const u_char *text, size_t len,
    size_t *matches)
{
    size_t              i, n, olen, rlen;
    test_arena_t        arena;
    azoai_alloc_t       a;
    diff_found_t        found;
    azoai_pii_view_t    view;
    azoai_pii_stops_t   all;
    azoai_pii_match_t  *m;
    static u_char       out[DIFF_OUT_MAX], ref[DIFF_OUT_MAX];

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);

    found.n = 0;
    assert_int_equal(azoai_pii_scan(e, text, len, &a, diff_collect, &found),
                     AZOAI_OK);

    assert_int_equal(azoai_pii_find_text(e, text, len, NULL, 0, &a, &m, &n),
                     AZOAI_OK);

    if (n) {
        azoai_pii_view_plain(&view, text, len);

        memset(&all, 0, sizeof(all));
        all.over = 1;

        assert_int_equal(azoai_pii_settle(e, &view, &all, &m, &n, &a),
                         AZOAI_OK);
    }

    if (found.n != n) {
        print_error("%zu matches, settled always %zu: %.*s\n", found.n, n,
                    (int) len, text);
    }

    assert_int_equal(found.n, n);

    for (i = 0; i < n; i++) {
        assert_int_equal(found.m[i].start, m[i].start);
        assert_int_equal(found.m[i].end, m[i].end);
        assert_int_equal(found.m[i].type, m[i].type);
    }

    olen = diff_render(e, text, len, found.m, found.n, out);
    rlen = diff_render(e, text, len, m, n, ref);

    assert_int_equal(olen, rlen);
    assert_memory_equal(out, ref, olen);

    diff_resp_mask(e, text, len, out, olen, n, &a);

    *matches += n;

    test_arena_free(&arena);
}


static void
diff_engine(azoai_pii_engine_t *e, uint64_t seed)
{
    size_t         i, len, matches;
    static u_char  text[DIFF_TEXT_MAX];

    matches = 0;

    for (i = 0; i < DIFF_TEXTS; i++) {
        len = diff_text(&seed, text, DIFF_TEXT_MAX);
        diff_one(e, text, len, &matches);
    }

    /* the texts are dense with values: a test that sees some */
    assert_true(matches > DIFF_TEXTS * 5);

    azoai_pii_engine_free(e);
}


static void
test_diff_mask(void **state)
{
    (void) state;
    diff_engine(test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL), 1);
}


static void
test_diff_hash(void **state)
{
    (void) state;
    diff_engine(test_pii_engine_all(AZOAI_PII_ACTION_HASH, "k"), 2);
}


static void
test_diff_partial(void **state)
{
    (void) state;
    diff_engine(test_pii_engine_all(AZOAI_PII_ACTION_PARTIAL, NULL), 3);
}


static void
test_diff_pseudonym(void **state)
{
    (void) state;
    diff_engine(test_pii_engine_all(AZOAI_PII_ACTION_PSEUDONYM, NULL), 4);
}


static void
test_diff_email_ipv4(void **state)
{
    (void) state;
    diff_engine(test_pii_engine_email(AZOAI_PII_ACTION_MASK,
                                      AZOAI_PII_ACTION_PARTIAL), 5);
}


/*
 * Far more refused stops than the stack holds, a match among them: the
 * stops grow, and past their bound all count as near; both settle.
 */

static void
test_diff_many_stops(void **state)
{
    size_t               len, matches, k, i;
    azoai_pii_engine_t  *e;
    static u_char        text[DIFF_TEXT_MAX * 16];

    static const char  *tails[] = {
        "x 078-05-1120,0.1.2.3", "ann@ex.com 078-05-1120,0.1.2.3 12",
        "12 ann@ex.com", "bob12@example.org 7"
    };

    (void) state;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);
    matches = 0;

    for (k = 0; k < sizeof(tails) / sizeof(tails[0]); k++) {
        for (i = 0; i < 3; i++) {
            /* 100, 1,000 and 9,000 refused numbers before the tail */
            len = 0;

            while (len < (i == 0 ? 400 : i == 1 ? 4000 : 36000)) {
                memcpy(text + len, "n7, ", 4);
                len += 4;
            }

            memcpy(text + len, tails[k], strlen(tails[k]));
            len += strlen(tails[k]);

            diff_one(e, text, len, &matches);
        }
    }

    assert_true(matches >= 9);

    azoai_pii_engine_free(e);
}


/*
 * Digits refused in an e-mail's local part are dropped from the stops
 * when the e-mail is found (they lie inside it): with no other stop the
 * string is not settled, with one before or after it still is
 */

static void
test_diff_local_part_stops(void **state)
{
    size_t               k, matches;
    azoai_pii_engine_t  *e;

    static const char  *texts[] = {
        "bob12@example.org",
        "Contact: Ursula61@gmail.com. 4111 1111 1111 1111.",
        "b0b1b2@ex.com 078-05-1120,0.1.2.3",
        "x 078-05-1120,0.1.2.3 bob12@example.org",
        "078-05-1120,bob12@ex.com",
        "n7, bob12@ex.com, x9@a.io n7, 12",
        "7bob12@ex.com",
        "a1b2c3d4e5f6g7h8@ex.com 1.2.3"
    };

    (void) state;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);
    matches = 0;

    for (k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
        diff_one(e, (const u_char *) texts[k], strlen(texts[k]), &matches);
    }

    assert_true(matches >= 8);

    azoai_pii_engine_free(e);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_diff_mask),
        cmocka_unit_test(test_diff_hash),
        cmocka_unit_test(test_diff_partial),
        cmocka_unit_test(test_diff_pseudonym),
        cmocka_unit_test(test_diff_email_ipv4),
        cmocka_unit_test(test_diff_many_stops),
        cmocka_unit_test(test_diff_local_part_stops),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
