/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of the AVX2 string scan (azoai_json_avx2.c): its UTF-8
 * validator against a scalar one at every position of a 64-byte block,
 * and the whole tokenizer with the AVX2 scan against the scalar scan
 * (same result, error offset, reason and string flags) for escapes,
 * UTF-8 and errors at every offset around block boundaries, and for
 * random strings; azoai_json_walk_brackets() against both, its flag
 * AZOAI_JSON_BRACKET against memchr().  Without AVX2 (built without it,
 * or the CPU) the comparisons still run: both sides are then the scalar
 * scan.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azoai_core.h"
#include "azoai_json_int.h"


#define TEST_BLOCK  64


/* one walk: its status and a digest of every value it saw */

typedef struct {
    azoai_json_status_t  st;
    unsigned             rc;
    uint64_t             digest;
    unsigned             flags;     /* all string flags seen, ORed */
    unsigned             brackets;  /* azoai_json_walk_brackets() */
} walk_t;


static int
digest_visit(void *data, const azoai_json_value_t *v)
{
    walk_t  *w;

    w = data;

    /* the brackets walk: exactly the strings with a '[', all else equal */

    if (w->brackets) {
        assert_int_equal((v->flags & AZOAI_JSON_BRACKET) != 0,
                         v->type == AZOAI_JSON_STRING
                         && memchr(v->raw.data, '[', v->raw.len) != NULL);
    }

    w->digest = (w->digest * 1099511628211ULL)
                ^ (v->type | (v->flags & ~AZOAI_JSON_BRACKET) << 4
                   | v->closing << 8
                   | (uint64_t) v->offset << 16
                   | (uint64_t) v->raw.len << 40);
    w->flags |= v->flags;

    return 0;
}


static void
walk(const u_char *p, size_t len, int simd, walk_t *w)
{
    memset(w, 0, sizeof(walk_t));

    azoai_json_simd(simd);
    w->rc = azoai_json_walk(p, len, digest_visit, w, &w->st);
    azoai_json_simd(1);
}


static void
walk_brackets(const u_char *p, size_t len, int simd, walk_t *w)
{
    memset(w, 0, sizeof(walk_t));

    w->brackets = 1;

    azoai_json_simd(simd);
    w->rc = azoai_json_walk_brackets(p, len, digest_visit, w, &w->st);
    azoai_json_simd(1);
}


static void
same_status(const walk_t *a, const walk_t *b, size_t len)
{
    if (a->rc != b->rc || a->st.offset != b->st.offset
        || a->st.reason != b->st.reason || a->digest != b->digest
        || a->st.lone_surrogates != b->st.lone_surrogates
        || a->st.values != b->st.values)
    {
        print_error("differ on %zu bytes: rc %u/%u offset %zu/%zu "
                    "reason %s/%s\n", len, a->rc, b->rc, a->st.offset,
                    b->st.offset, a->st.reason ? a->st.reason : "-",
                    b->st.reason ? b->st.reason : "-");
        fail();
    }
}


/* the AVX2 scan and the scalar scan agree on p; returns the result */

static unsigned
same_walk(const u_char *p, size_t len)
{
    walk_t  a, b;

    walk(p, len, 1, &a);
    walk(p, len, 0, &b);
    same_status(&a, &b, len);

    /* the responses' instance: same walk, its flag checked per value */

    walk_brackets(p, len, 1, &b);
    same_status(&a, &b, len);
    walk_brackets(p, len, 0, &b);
    same_status(&a, &b, len);

    return a.rc;
}


#if (AZOAI_JSON_AVX2)

/*
 * The scalar reference: the offset of the first sequence of p[0 .. len)
 * that is not UTF-8 (RFC 3629), or len; a sequence cut at len is none.
 */

static size_t
utf8_first_error(const u_char *p, size_t len)
{
    size_t  i, n, k;
    u_char  c, lo, hi;

    for (i = 0; i < len; i += n) {
        c = p[i];
        lo = 0x80;
        hi = 0xbf;

        if (c < 0x80) {
            n = 1;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            lo = (c == 0xe0) ? 0xa0 : 0x80;
            hi = (c == 0xed) ? 0x9f : 0xbf;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            lo = (c == 0xf0) ? 0x90 : 0x80;
            hi = (c == 0xf4) ? 0x8f : 0xbf;

        } else {
            /* C0, C1, F5..FF show as errors with the byte after them */
            return (i + 1 == len && c >= 0xc0) ? len : i;
        }

        for (k = 1; k < n; k++) {
            if (i + k == len) {
                return len;                 /* cut at the end */
            }

            if (p[i + k] < (k == 1 ? lo : 0x80)
                || p[i + k] > (k == 1 ? hi : 0xbf))
            {
                return i;
            }
        }
    }

    return len;
}

#endif


typedef struct {
    const char  *bytes;
    size_t       len;
} snippet_t;

#define S(s)  { s, sizeof(s) - 1 }


/* UTF-8, valid and not: overlongs, surrogates, above U+10FFFF, cut */

static const snippet_t  utf8_snippets[] = {
    S("\xc3\xa9"), S("\xe2\x82\xac"), S("\xf0\x9f\x98\x80"),
    S("\xc2\x80"), S("\xdf\xbf"), S("\xe0\xa0\x80"), S("\xef\xbf\xbf"),
    S("\xed\x9f\xbf"), S("\xee\x80\x80"), S("\xf0\x90\x80\x80"),
    S("\xf4\x8f\xbf\xbf"), S("\xe3\x81\x82\xe3\x81\x84"),
    S("\xc0\x80"), S("\xc1\xbf"), S("\xe0\x80\x80"), S("\xe0\x9f\xbf"),
    S("\xed\xa0\x80"), S("\xed\xbf\xbf"), S("\xf0\x80\x80\x80"),
    S("\xf0\x8f\xbf\xbf"), S("\xf4\x90\x80\x80"), S("\xf5\x80\x80\x80"),
    S("\xf8\x88\x80\x80\x80"), S("\xff"), S("\xfe"), S("\x80"), S("\xbf"),
    S("\xc3"), S("\xe2\x82"), S("\xf0\x9f\x98"), S("\xc3\x28"),
    S("\xe2\x28\xa1"), S("\xc3\xa9\xa9"), S("\xf0\x9f\x98\x80\x80"),
    S("\xe2\x82\xac\xc3"), S("\xc3\xc3\xa9")
};


/* escapes and what ends strings: the stops of the scan */

static const snippet_t  json_snippets[] = {
    S("\\n"), S("\\\\"), S("\\\""), S("\\/"), S("\\b\\f\\r\\t"),
    S("\\\\\\\\\\n"), S("\\\\\\\""), S("\\u00e9"), S("\\u0041x"),
    S("\\uD83D\\uDE00"), S("\\ud800"), S("\\udc00x"), S("\\ud800\\u0041"),
    S("\\x"), S("\\u12"), S("\\u12G4"), S("\\'"), S("\\\xc3\xa9"),
    S("\\\x01"), S("\x01"), S("\x1f"), S("\t"), S("\""), S("\"]"),
    S("\x7f"), S("a\\"), S("\\\\\\"), S("\xc3\\n"), S("\xc3\""),
    S("\xe2\x82\""), S("\xc3\xa9\\n\xc3\xa9")
};


/*
 * size bytes at block of ASCII (fill 0) or of valid 2-byte characters
 * (else), the snippet sn over them from pos, cut at TEST_BLOCK (it may
 * cut a character there)
 */

#if (AZOAI_JSON_AVX2)

static void
snippet_block(u_char *block, size_t size, size_t fill, const snippet_t *sn,
    size_t pos)
{
    size_t  i, n;

    if (fill == 0) {
        memset(block, 'a', size);

    } else {
        for (i = 0; i + 1 < size; i += 2) {
            block[i] = 0xc3;
            block[i + 1] = 0xa9;
        }
    }

    n = sn->len;
    if (pos + n > TEST_BLOCK) {
        n = TEST_BLOCK - pos;
    }

    memcpy(block + pos, sn->bytes, n);
}

#endif


/*
 * azoai_json_utf8_errors() on every snippet at every offset of a block
 * of ASCII, or of valid 2-byte characters (the snippet overwrites them,
 * and may cut one): no error bit exactly when the scalar validator finds
 * none, and the first bit at most 3 bytes after the scalar error
 */

static void
test_utf8_every_position(void **state)
{
#if (AZOAI_JSON_AVX2)
    size_t    i, k, pos, first, ref;
    u_char    block[TEST_BLOCK];
    uint64_t  err;

    if (!azoai_json_avx2_usable()) {
        skip();
    }

    for (k = 0; k < 2; k++) {
        for (i = 0; i < sizeof(utf8_snippets) / sizeof(snippet_t); i++) {
            for (pos = 0; pos < TEST_BLOCK; pos++) {
                snippet_block(block, TEST_BLOCK, k, &utf8_snippets[i], pos);

                ref = utf8_first_error(block, TEST_BLOCK);
                err = azoai_json_utf8_errors(block);

                if ((err == 0) != (ref == TEST_BLOCK)) {
                    print_error("snippet %zu at %zu (fill %zu): errors "
                                "%llx, scalar %zu\n", i, pos, k,
                                (unsigned long long) err, ref);
                    fail();
                }

                if (err) {
                    first = __builtin_ctzll(err);
                    assert_true(first >= ref && first <= ref + 3);
                }
            }
        }
    }
#else
    skip();
#endif
}


/*
 * azoai_json_utf8_pairs_only(), the short way of valid 2-byte text: 1
 * exactly when the scalar validator finds no error and every byte >= 0x80
 * is a continuation or a lead C2..DF, on every snippet at every position
 * (over ASCII, over 2-byte text, over 2-byte text shifted by one so that
 * the block starts inside a character); test_utf8_pairs_random() on
 * random blocks of valid pairs and ASCII with some invalid bytes
 */

#if (AZOAI_JSON_AVX2)

static int
pairs_expected(const u_char *p)
{
    size_t  i;

    for (i = 0; i < TEST_BLOCK; i++) {
        if (p[i] >= 0xc0 && (p[i] < 0xc2 || p[i] > 0xdf)) {
            return 0;
        }
    }

    return utf8_first_error(p, TEST_BLOCK) == TEST_BLOCK;
}

#endif


static void
test_utf8_pairs(void **state)
{
#if (AZOAI_JSON_AVX2)
    size_t    i, k, pos, j, valid;
    u_char    block[TEST_BLOCK + 2];

    if (!azoai_json_avx2_usable()) {
        skip();
    }

    valid = 0;

    for (k = 0; k < 3; k++) {
        for (i = 0; i < sizeof(utf8_snippets) / sizeof(snippet_t); i++) {
            for (pos = 0; pos < TEST_BLOCK; pos++) {
                snippet_block(block, TEST_BLOCK + 2, k, &utf8_snippets[i],
                              pos);

                j = (k == 2);

                if (azoai_json_utf8_pairs_only(block + j)
                    != pairs_expected(block + j))
                {
                    print_error("snippet %zu at %zu (fill %zu)\n",
                                i, pos, k);
                    fail();
                }

                valid += pairs_expected(block + j);
            }
        }
    }

    /* the short way was taken, not only refused */

    assert_true(valid > 300);
#else
    skip();
#endif
}


static void
test_utf8_pairs_random(void **state)
{
#if (AZOAI_JSON_AVX2)
    size_t    i, j, valid;
    u_char    block[TEST_BLOCK];
    uint64_t  seed;

    static const u_char  bytes[] = {
        'a', 'a', 'a', 0x80, 0xa9, 0xbf, 0xc2, 0xc3, 0xdf, 0xc0, 0xc1,
        0xe2, 0xed, 0xf0, 0xf4, 0xff
    };

    if (!azoai_json_avx2_usable()) {
        skip();
    }

    valid = 0;
    seed = 88172645463325252ULL;

    for (i = 0; i < 200000; i++) {
        for (j = 0; j < TEST_BLOCK; j++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;

            /* valid pairs and ASCII, a noise byte one time in 128 */

            if ((seed & 0xff) < 0x80) {
                block[j] = 0xc2 + (seed >> 9) % 30;

                if (j + 1 < TEST_BLOCK) {
                    block[++j] = 0x80 + (seed >> 20) % 64;
                }

            } else if ((seed & 0xff) < 0xfe) {
                block[j] = 'a';

            } else {
                block[j] = bytes[(seed >> 32) % sizeof(bytes)];
            }
        }

        if (azoai_json_utf8_pairs_only(block) != pairs_expected(block)) {
            print_error("random block %zu\n", i);
            fail();
        }

        valid += pairs_expected(block);
    }

    /* the short way was taken, not only refused */

    assert_true(valid > 1000);
#else
    skip();
#endif
}


/*
 * A string of ASCII with one snippet at every offset from 0 to 200 and
 * with the string's end at every distance: the scans agree, on valid
 * and on invalid input
 */

static void
test_scan_every_offset(void **state)
{
    size_t            i, pos, len, n, set;
    u_char            buf[400];
    const snippet_t  *sn;

    for (set = 0; set < 2; set++) {
        n = set ? sizeof(json_snippets) / sizeof(snippet_t)
                : sizeof(utf8_snippets) / sizeof(snippet_t);

        for (i = 0; i < n; i++) {
            sn = set ? &json_snippets[i] : &utf8_snippets[i];

            for (pos = 0; pos < 200; pos += 1) {
                for (len = pos + sn->len; len < pos + sn->len + 70;
                     len += 7)
                {
                    buf[0] = '[';
                    buf[1] = '"';
                    memset(buf + 2, 'x', len);
                    memcpy(buf + 2 + pos, sn->bytes, sn->len);
                    memcpy(buf + 2 + len, "\",\"\xc3\xa9\"]", 7);

                    same_walk(buf, len + 9);
                }
            }
        }
    }
}


/* the flags of a long string: exact, stepped over in blocks */

static void
test_scan_flags(void **state)
{
    size_t    i;
    u_char    buf[1024];
    walk_t    w;

    static const struct {
        const char  *unit;
        unsigned     flags;
    } units[] = {
        { "plain text ", 0 },
        { "caf\xc3\xa9 ", AZOAI_JSON_NON_ASCII },
        { "a\\nb ", AZOAI_JSON_ESCAPED },
        { "\\u00e9 ", AZOAI_JSON_ESCAPED },
        { "\\ud800 ", AZOAI_JSON_ESCAPED|AZOAI_JSON_LONE_SURROGATE },
        { "\xe2\x82\xac\\t", AZOAI_JSON_ESCAPED|AZOAI_JSON_NON_ASCII }
    };

    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t  n, ulen;

        ulen = strlen(units[i].unit);
        buf[0] = '"';

        for (n = 1; n + ulen < sizeof(buf) - 1; n += ulen) {
            memcpy(buf + n, units[i].unit, ulen);
        }

        buf[n++] = '"';

        walk(buf, n, 1, &w);
        assert_int_equal(w.rc, AZOAI_JSON_OK);
        assert_int_equal(w.flags, units[i].flags);
        assert_int_equal(same_walk(buf, n), AZOAI_JSON_OK);
    }
}


/*
 * A non-ASCII character first, so that a block starts there, then a
 * character or escape at every offset up to the next block and past it:
 * one cut at the end of a block starts the next one
 */

static void
test_scan_block_ends(void **state)
{
    size_t   i, pre, n;
    u_char   buf[256];
    walk_t   w;

    static const struct {
        const char  *unit;
        unsigned     flags;
    } units[] = {
        { "\xc3\xa9", 0 },
        { "\xe2\x82\xac", 0 },
        { "\xf0\x9f\x98\x80", 0 },
        { "\\n", AZOAI_JSON_ESCAPED },
        { "\\\\", AZOAI_JSON_ESCAPED },
        { "\\\"", AZOAI_JSON_ESCAPED },
        { "\\\\\\/", AZOAI_JSON_ESCAPED },
        { "\\u00e9", AZOAI_JSON_ESCAPED },
        { "\\ud83d\\ude00", AZOAI_JSON_ESCAPED }
    };

    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        for (pre = 0; pre < 140; pre++) {
            n = 0;
            buf[n++] = '"';
            buf[n++] = 0xc3;
            buf[n++] = 0xa9;
            memset(buf + n, 'a', pre);
            n += pre;
            memcpy(buf + n, units[i].unit, strlen(units[i].unit));
            n += strlen(units[i].unit);
            memset(buf + n, 'b', 80);
            n += 80;
            buf[n++] = '"';

            walk(buf, n, 1, &w);
            assert_int_equal(w.rc, AZOAI_JSON_OK);
            assert_int_equal(w.flags, units[i].flags | AZOAI_JSON_NON_ASCII);
            assert_int_equal(same_walk(buf, n), AZOAI_JSON_OK);

            /* the same unit repeated: every phase at once */

            n = 1 + 2 + pre;
            while (n + 16 < sizeof(buf) - 1) {
                memcpy(buf + n, units[i].unit, strlen(units[i].unit));
                n += strlen(units[i].unit);
            }

            buf[n++] = '"';

            assert_int_equal(same_walk(buf, n), AZOAI_JSON_OK);
        }
    }
}


/*
 * After a block without a stop, the next stop is looked for 64 bytes a
 * test (up to three tests, while 128 bytes are left), then by the
 * plain-text search: a 2-byte character first (a block starts there),
 * then every snippet after a gap of every length up to 300 and with
 * the string's end at several distances after it
 */

static void
test_scan_after_block(void **state)
{
    size_t            i, gap, tail, n, set, count;
    u_char            buf[512];
    const snippet_t  *sn;

    for (set = 0; set < 2; set++) {
        count = set ? sizeof(json_snippets) / sizeof(snippet_t)
                    : sizeof(utf8_snippets) / sizeof(snippet_t);

        for (i = 0; i < count; i++) {
            sn = set ? &json_snippets[i] : &utf8_snippets[i];

            for (gap = 0; gap <= 300; gap++) {
                for (tail = 0; tail < 140; tail += 23) {
                    n = 0;
                    buf[n++] = '"';
                    buf[n++] = 0xc3;
                    buf[n++] = 0xa9;
                    memset(buf + n, 'a', gap);
                    n += gap;
                    memcpy(buf + n, sn->bytes, sn->len);
                    n += sn->len;
                    memset(buf + n, 'b', tail);
                    n += tail;
                    buf[n++] = '"';

                    same_walk(buf, n);
                }
            }
        }
    }

    (void) state;
}


/* what the first string value of a walk was */

typedef struct {
    size_t    len;
    unsigned  flags;
    unsigned  seen;
} first_t;


static int
first_string(void *data, const azoai_json_value_t *v)
{
    first_t  *f;

    f = data;

    if (v->type == AZOAI_JSON_STRING && !f->seen) {
        f->seen = 1;
        f->len = v->raw.len;
        f->flags = v->flags;
    }

    return 0;
}


/*
 * {"k":"<x * pos><unit><x * (len - pos)>"} or, as a member name,
 * {"<the same>":1}; with tail, a 20-byte member more; returns its length
 */

static size_t
short_input(u_char *buf, const snippet_t *unit, size_t pos, size_t len,
    unsigned member, unsigned tail)
{
    size_t  n;

    n = 0;
    buf[n++] = '{';

    if (!member) {
        memcpy(buf + n, "\"k\":", 4);
        n += 4;
    }

    buf[n++] = '"';
    memset(buf + n, 'x', pos);
    memcpy(buf + n + pos, unit->bytes, unit->len);
    memset(buf + n + pos + unit->len, 'x', len - pos);
    n += len + unit->len;
    buf[n++] = '"';

    if (member) {
        memcpy(buf + n, ":1", 2);
        n += 2;
    }

    if (tail) {
        memcpy(buf + n, ",\"y\":\"yyyyyyyyyyyyyy\"", 21);
        n += 21;
    }

    buf[n++] = '}';

    return n;
}


/*
 * Short strings (member names, ids, short values) end in the first 16
 * bytes, found without the full scan: strings of 0 to 40 bytes with a
 * plain tail, an escape, UTF-8, a control byte or nothing at every
 * position, as a member name and as a value, with 16 readable bytes
 * after the opening quote or fewer: the length, flags and error offset
 * are what the bytes say.
 */

static void
test_scan_short(void **state)
{
    size_t               i, n, pos, len, k;
    u_char               buf[128];
    first_t              first;
    unsigned             rc, member;
    azoai_json_status_t  st;

    static const struct {
        snippet_t  s;
        unsigned   flags;
        int        error;    /* the string is invalid at the snippet */
    } units[] = {
        { S(""), 0, 0 },
        { S("\\n"), AZOAI_JSON_ESCAPED, 0 },
        { S("\\\""), AZOAI_JSON_ESCAPED, 0 },
        { S("\\u00e9"), AZOAI_JSON_ESCAPED, 0 },
        { S("\xc3\xa9"), AZOAI_JSON_NON_ASCII, 0 },
        { S("\xe2\x82\xac"), AZOAI_JSON_NON_ASCII, 0 },
        { S("\x01"), 0, 1 },
        { S("\\x"), 0, 1 },
        { S("\xc3("), 0, 1 }
    };

    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        for (len = 0; len <= 40; len++) {
            for (pos = 0; pos <= len; pos++) {
                for (k = 0; k < 4; k++) {
                    member = k & 1;
                    n = short_input(buf, &units[i].s, pos, len, member,
                                    k >> 1);

                    memset(&first, 0, sizeof(first_t));
                    rc = azoai_json_walk(buf, n, first_string, &first, &st);

                    if (units[i].error) {
                        assert_int_equal(rc, AZOAI_JSON_INVALID);
                        assert_int_equal(st.offset, (member ? 2 : 6) + pos);
                        continue;
                    }

                    assert_int_equal(rc, AZOAI_JSON_OK);
                    assert_int_equal(same_walk(buf, n), AZOAI_JSON_OK);

                    if (!member) {
                        /* a member's value 1 is no string */
                        assert_true(first.seen);
                        assert_int_equal(first.len, len + units[i].s.len);
                        assert_int_equal(first.flags, units[i].flags);
                    }
                }
            }
        }
    }
}


/* random strings over the bytes that matter: the scans agree */

static void
test_scan_random(void **state)
{
    size_t    i, k, len;
    u_char    buf[512];
    uint32_t  r;

    static const u_char  alphabet[] = {
        'a', 'a', 'a', 'a', ' ', '"', '\\', '\\', 'n', 'u', '0', 'D', '8',
        'c', '/', '[', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80,
        0xed, 0xa0, 0xbf, 0x1f, 0x7f, 0xf4, 0x90, 0xc0
    };

    r = 12345;

    for (i = 0; i < 60000; i++) {
        r = r * 1103515245 + 12345;
        len = 60 + (r >> 8) % 300;

        buf[0] = '"';

        for (k = 1; k <= len; k++) {
            r = r * 1103515245 + 12345;

            /* mostly one kind of byte for a while: runs, not noise */
            buf[k] = ((r >> 16) % 8 < 5) ? 'a'
                     : alphabet[(r >> 8) % sizeof(alphabet)];
        }

        buf[len + 1] = '"';

        same_walk(buf, len + 2);
    }
}


/*
 * One '[' at every offset of strings of 0 to 300 bytes, alone, after an
 * accent or an escape, or two of them: each scan path (the first 16
 * bytes, the 32-byte and 128/256-byte tests, the 64-byte blocks, the
 * scalar tail) must report it, and no '[' none.
 */

static void
test_scan_brackets(void **state)
{
    size_t        len, at, k;
    unsigned      rc;
    u_char        buf[320];

    static const char  *before[] = { "", "\xc3\xa9", "\\n", "\\u00e9" };

    for (k = 0; k < sizeof(before) / sizeof(before[0]); k++) {
        for (len = 0; len <= 300; len++) {
            for (at = 0; at <= len; at++) {
                buf[0] = '"';
                memset(buf + 1, 'a', len);
                memcpy(buf + 1, before[k], strlen(before[k]));

                /* at == len: no bracket */

                if (at < len && at >= strlen(before[k])) {
                    buf[1 + at] = '[';
                }

                buf[len + 1] = '"';

                if (len < strlen(before[k])) {
                    continue;
                }

                rc = same_walk(buf, len + 2);
                assert_int_equal(rc, AZOAI_JSON_OK);

                /* a second '[' 70 bytes on: the first found is enough */

                if (at + 70 < len) {
                    buf[1 + at + 70] = '[';
                    assert_int_equal(same_walk(buf, len + 2),
                                     AZOAI_JSON_OK);
                }
            }
        }
    }

    (void) state;
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_utf8_every_position),
        cmocka_unit_test(test_utf8_pairs),
        cmocka_unit_test(test_utf8_pairs_random),
        cmocka_unit_test(test_scan_every_offset),
        cmocka_unit_test(test_scan_flags),
        cmocka_unit_test(test_scan_block_ends),
        cmocka_unit_test(test_scan_after_block),
        cmocka_unit_test(test_scan_short),
        cmocka_unit_test(test_scan_random),
        cmocka_unit_test(test_scan_brackets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
