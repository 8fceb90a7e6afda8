/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Property tests of the PII text view over random strings built from
 * tricky pieces (escapes, surrogate pairs, full-width forms, zero-width
 * characters): the offset map is monotonic and points at the character
 * each view byte came from; the prefilter never skips a string whose view
 * holds a match start; reported spans decode to what was matched.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azoai_pii_int.h"
#include "test_util.h"


#define ROUNDS     3000
#define MAX_RAW    600


static const char  *pieces[] = {
    "a", "b", "f", "Z", " ", ".", "-", "(", ")", "+", ":", "@", "0", "1",
    "4", "9", "\\n", "\\\"", "\\\\", "\\/", "\\u0040", "\\u0031",
    "\\u003a", "\\u0028", "\\u002b", "\\u00e9", "\\ud83d\\ude00",
    "\\ud800", "\\uff10", "\\uff20", "\\u200b", "\\u00ad", "\\u3000",
    "\xc3\xa9", "\xe2\x80\x8b", "\xc2\xad", "\xef\xbb\xbf",
    "\xef\xbc\x91", "\xef\xbc\xa0", "\xef\xbc\x9a", "\xe3\x80\x80",
    "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xe2\x81\xa0", "\xc2\xa0",
    "\xef\xbd\x81", "x@y.com", "415-555-2671", "10.0.0.1", "::1",
    "4111 1111 1111 1111", "536-22-1004"
};


static size_t
random_string(char *buf, size_t cap)
{
    size_t       n, k, len;
    const char  *p;

    n = 0;
    k = (size_t) (rand() % 40);

    while (k--) {
        p = pieces[rand() % (sizeof(pieces) / sizeof(pieces[0]))];
        len = strlen(p);

        if (n + len >= cap) {
            break;
        }

        memcpy(buf + n, p, len);
        n += len;
    }

    buf[n] = '\0';

    return n;
}


static void
test_view_map(void **state)
{
    int                r;
    char               raw[MAX_RAW];
    size_t             len, v, s, e, prev, pos, n, k, nspecial;
    u_char             out[4], buf[MAX_RAW];
    azoai_pii_view_t   view;
    azoai_pii_seg_t    segs[MAX_RAW];

    srand(12345);

    for (r = 0; r < ROUNDS; r++) {
        len = random_string(raw, sizeof(raw));
        nspecial = azoai_pii_view_specials((u_char *) raw, len);

        assert_true(nspecial <= MAX_RAW);
        azoai_pii_view_build(&view, (u_char *) raw, len, buf, segs);
        assert_true(view.len <= len);
        assert_true(view.nsegs <= nspecial);

        prev = 0;

        for (v = 0; v < view.len; v++) {
            s = azoai_pii_view_raw_start(&view, v);
            e = azoai_pii_view_raw_end(&view, v);

            assert_true(s < e && e <= len);
            assert_true(s >= prev);
            prev = s;

            /* the character at s decodes to bytes holding view[v] */
            pos = s;
            n = azoai_pii_view_char((u_char *) raw, len, &pos, out);

            if (view.nsegs == 0 || pos - s == n) {
                /* verbatim: one raw byte per view byte */
                assert_int_equal(e, s + 1);
                assert_int_equal((u_char) raw[s], view.text[v]);
                continue;
            }

            assert_int_equal(pos, e);

            for (k = 0; k < n && out[k] != view.text[v]; k++) {
                /* void */
            }

            assert_true(k < n);
        }
    }
}


/*
 * the prefilter's promise: when it says "no", the view has no digit, no
 * '@', no '+' or '(' before a digit and no ':' before a hex digit or ':'
 */

static void
test_prefilter(void **state)
{
    int                r, said_no, has;
    char               raw[MAX_RAW];
    size_t             len, v;
    u_char             c, next, buf[MAX_RAW];
    azoai_pii_view_t   view;
    azoai_pii_seg_t    segs[MAX_RAW];

    srand(54321);
    said_no = 0;

    for (r = 0; r < ROUNDS * 3; r++) {
        len = random_string(raw, sizeof(raw));
        azoai_pii_view_build(&view, (u_char *) raw, len, buf, segs);

        has = 0;

        for (v = 0; v < view.len; v++) {
            c = view.text[v];
            next = v + 1 < view.len ? view.text[v + 1] : ' ';

            if (azoai_pii_digit(c) || c == '@'
                || ((c == '+' || c == '(') && azoai_pii_digit(next))
                || (c == ':' && (next == ':'
                                 || azoai_pii_is(next, AZOAI_PC_HEX))))
            {
                has = 1;
                break;
            }
        }

        if (!azoai_pii_view_needed((u_char *) raw, len)) {
            said_no++;

            if (has) {
                print_error("prefilter skipped \"%s\"\n", raw);
                fail();
            }
        }
    }

    /* the property was exercised */
    assert_true(said_no > 100);
}


typedef struct {
    const char        *raw;
    size_t             len;
    int                bad;
} span_check_t;


/* every span starts and ends on a character boundary of raw */

static int
check_span(void *data, const azoai_pii_match_t *m)
{
    size_t         pos;
    u_char         out[4];
    span_check_t  *sc = data;

    if (m->start >= m->end || m->end > sc->len) {
        sc->bad = 1;
        return 0;
    }

    pos = m->start;

    while (pos < m->end) {
        (void) azoai_pii_view_char((u_char *) sc->raw, sc->len, &pos, out);
    }

    if (pos != m->end) {
        sc->bad = 1;
    }

    return 0;
}


static void
test_spans(void **state)
{
    int                  r;
    char                 raw[MAX_RAW], err[128];
    unsigned             t;
    span_check_t         sc;
    test_arena_t         arena;
    azoai_alloc_t        a;
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    assert_non_null(e);

    for (t = 0; t < AZOAI_PII_BUILTIN_N; t++) {
        azoai_pii_engine_enable(e, t, AZOAI_PII_ACTION_MASK);
    }

    assert_true(azoai_pii_engine_add_pattern(e, "word",
                    (u_char *) "[a-z]+\\d", 9, AZOAI_PII_ACTION_MASK, err,
                    sizeof(err)) > 0);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);
    srand(999);

    for (r = 0; r < ROUNDS; r++) {
        sc.len = random_string(raw, sizeof(raw));
        sc.raw = raw;
        sc.bad = 0;

        assert_int_equal(azoai_pii_scan(e, (u_char *) raw, sc.len, &a,
                                        check_span, &sc), AZOAI_OK);

        if (sc.bad) {
            print_error("bad span in \"%s\"\n", raw);
            fail();
        }
    }

    test_arena_free(&arena);
    azoai_pii_engine_free(e);
}


/*
 * pieces of the prefilter's exact test: escapes that decode to a
 * candidate or not, split and broken ones, full-width forms, colons
 */
static const char  *exact_pieces[] = {
    ":", ": ", "::", ":f", ":\\u0030", ":\xc3\xa9", "@", "0", "7", "\\n",
    "\\\"", "\\\\", "\\\\u0030", "\\u", "\\u00", "\\u0g30", "\\u\\u0030",
    "\\u0030", "\\u0039", "\\u003a", "\\u003A", "\\u0040", "\\u002f",
    "\\u003b", "\\u00e9", "\\u00ef", "\\u5730", "\\uff0c", "\\uff10",
    "\\uFF1A", "\\uff20", "\\uff21", "\\uff0f", "\\ud83d\\ude00",
    "\\ud800", "\\udc00", "\\ud800\\u0030", "\\ud83d\\udc10",
    "\\u0000", "\\u3000", "\\u200b", "\xc3\xa9", "\xef", "\xef\xbc",
    "\xef\xbc\x8c", "\xef\xbc\x91", "\xef\xbc\x9a", "\xef\xbc\xa0",
    "\xef\xbc\xa1", "\xef\xbb\xbf", "\xef\xbc\x30", "\xe6\x97\xa5"
};


/* the prefilter as it was defined: every byte, may_start by decoding */

static int
ref_view_needed(const u_char *raw, size_t len)
{
    size_t  i, pos, skip;
    u_char  c, next, out[4];

    skip = 0;

    for (i = 0; i < len; i++) {
        if (i < skip) {
            continue;
        }

        c = raw[i];
        next = (i + 1 < len) ? raw[i + 1] : ' ';

        if (azoai_pii_digit(c) || c == '@') {
            return 1;
        }

        if (c == ':') {
            if (azoai_pii_digit(next) || next == '\\' || next >= 0x80
                || next == ':' || azoai_pii_is(next, AZOAI_PC_HEX))
            {
                return 1;
            }

            continue;
        }

        if ((c == '\\' && next == 'u') || c == 0xef) {
            pos = i;

            if (azoai_pii_view_char(raw, len, &pos, out) == 1
                && azoai_pii_is(out[0], AZOAI_PC_CAND))
            {
                return 1;
            }

            skip = pos;
        }
    }

    return 0;
}


/*
 * azoai_pii_view_needed() (AVX2, SSE2 or scalar) gives what the
 * definition gives, on long clean runs (blocks the quick test leaves)
 * with a few pieces at random places: escapes and characters across
 * 32-, 64- and 128-byte edges and in the last, overlapping block
 */

static void
test_prefilter_exact(void **state)
{
    int          got, want, yes;
    char         raw[MAX_RAW];
    size_t       len, n, k, off, pos, plen, npieces;
    uint32_t     rnd;
    const char  *p;

    npieces = sizeof(exact_pieces) / sizeof(exact_pieces[0]);
    rnd = 0x9e3779b9;
    yes = 0;

    for (n = 0; n < ROUNDS * 4; n++) {
        len = 16 + test_random(&rnd) % (MAX_RAW - 16);

        for (k = 0; k < len; k++) {
            raw[k] = "abc def\\\xc3"[test_random(&rnd) % 8];
        }

        /* a backslash escapes the byte after it, a lead byte is valid */
        for (k = 0; k + 1 < len; k++) {
            if (raw[k] == '\\') {
                raw[k + 1] = 'n';
            } else if ((u_char) raw[k] == 0xc3) {
                raw[k + 1] = (char) 0xa9;
            }
        }

        for (k = test_random(&rnd) % 4; k; k--) {
            p = exact_pieces[test_random(&rnd) % npieces];
            plen = strlen(p);

            if (plen >= len) {
                continue;
            }

            pos = test_random(&rnd) % (len - plen + 1);
            memcpy(raw + pos, p, plen);
        }

        for (off = 0; off < 3 && off < len; off++) {
            want = ref_view_needed((u_char *) raw + off, len - off);
            got = azoai_pii_view_needed((u_char *) raw + off, len - off);

            if (got != want) {
                print_error("view_needed %d, defined %d, len %zu\n", got,
                            want, len - off);
                fail();
            }

            yes += want;
        }
    }

    /* both answers were exercised */
    assert_true(yes > ROUNDS && yes < ROUNDS * 11);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_view_map),
        cmocka_unit_test(test_prefilter),
        cmocka_unit_test(test_prefilter_exact),
        cmocka_unit_test(test_spans),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
