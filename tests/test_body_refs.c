/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of the rewrite by reference (azoai_body_splice_refs()):
 * against the copying rewrite on bodies whose spans between values are
 * just under, at and over the size that is pointed at, with e-mail
 * masks, pseudonyms and hash tags longer than what they replace; spans
 * of every length around the copy's steps against the body and the tags
 * put together by hand, and as the one run of a short body in its copy
 * room; the copy room's overflow; bodies without matches; a refused emit
 * or allocation at every step; matches out of order; the copy for other
 * callers (azoai_body_copy_out()) at every length around its steps.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "test_pii_util.h"
#include "test_body_refs.h"


#define REFS_BODY_MAX  65536


static size_t refs_body(char *buf, const size_t *gaps, size_t n);
static void refs_copy_gap(const azoai_pii_engine_t *e, char *body,
    char *want, size_t gap, uint32_t *seed);
static void refs_whole(const azoai_pii_engine_t *e,
    const azoai_body_result_t *r, const char *body, size_t len,
    const char *want, size_t wlen, azoai_alloc_t *a);
static void refs_bad_matches(const azoai_pii_engine_t *e,
    azoai_body_result_t *r, test_body_refs_t *t, azoai_alloc_t *a);


/*
 * A chat body whose content holds n values (an e-mail, then an IPv4
 * address, by turns), the i-th after about gaps[i] bytes of words; the
 * span after the last value runs to the end of the body
 */

static size_t
refs_body(char *buf, const size_t *gaps, size_t n)
{
    size_t  i, k, len;

    len = sprintf(buf, "{\"model\":\"chat-prod\",\"messages\":[{\"role\":"
                       "\"user\",\"content\":\"");

    for (i = 0; i < n; i++) {
        for (k = 0; k < gaps[i]; k++) {
            buf[len++] = (k % 6 == 5) ? ' ' : "lorem"[k % 6];
        }

        len += sprintf(buf + len, (i % 2) ? " 10.1.%zu.7 " : " u%zu@x.org ",
                       i % 250);
        assert_true(len < REFS_BODY_MAX - 256);
    }

    len += sprintf(buf + len, "\"}]}");

    return len;
}


/* spans every length around a few sizes; every action's tags */

static void
test_refs_same(void **state)
{
    char                  *body;
    size_t                 len, n, i;
    unsigned               k;
    azoai_pii_engine_t    *e;

    static const size_t  gaps[][8] = {
        { 0, 0, 0, 0, 0, 0, 0, 0 },
        { 1, 2, 3, 4, 5, 6, 7, 8 },
        { 255, 256, 257, 1, 1023, 1024, 1025, 0 },
        { 8191, 8192, 8193, 2, 4000, 20000, 3, 1 },
    };

    static const azoai_pii_action_e  actions[] = {
        AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_PSEUDONYM,
        AZOAI_PII_ACTION_HASH, AZOAI_PII_ACTION_PARTIAL
    };

    body = malloc(REFS_BODY_MAX);
    assert_non_null(body);

    for (k = 0; k < sizeof(actions) / sizeof(actions[0]); k++) {
        e = test_pii_engine_email(actions[k], actions[k]);

        for (i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
            for (n = 1; n <= 8; n++) {
                len = refs_body(body, gaps[i], n);
                test_body_refs_same(e, body, len);
            }
        }

        azoai_pii_engine_free(e);
    }

    free(body);
}


/*
 * A body of three e-mail addresses, each after gap bytes of random
 * letters and spaces (no two spans alike, so that a byte taken from the
 * wrong place shows), and "[EMAIL]" for each put in by hand: the
 * rewrite and the copied runs of splice_refs() must be that
 */

static void
refs_copy_gap(const azoai_pii_engine_t *e, char *body, char *want,
    size_t gap, uint32_t *seed)
{
    u_char               *out;
    size_t                len, wlen, i, k, out_len, o;
    uint32_t              x;
    test_arena_t          arena = { 0 };
    azoai_alloc_t         a;
    azoai_body_result_t   r;
    test_body_refs_t     *t;

    len = sprintf(body, "{\"messages\":[{\"role\":\"user\",\"content\":\"");
    memcpy(want, body, len);
    wlen = len;

    for (i = 0; i < 3; i++) {
        for (k = 0; k < gap; k++) {
            x = test_random(seed) % 27;
            body[len++] = (x == 26) ? ' ' : (char) ('a' + x);
            want[wlen++] = body[len - 1];
        }

        len += sprintf(body + len, " u%zu@x.org ", i);
        wlen += sprintf(want + wlen, " [EMAIL] ");
    }

    len += sprintf(body + len, "\"}]}");
    wlen += sprintf(want + wlen, "\"}]}");

    a = test_arena_allocator(&arena);

    assert_int_equal(azoai_body_inspect(e, (u_char *) body, len, &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.error, AZOAI_BODY_OK);
    assert_int_equal(r.nmatches, 3);

    assert_int_equal(azoai_body_rewrite(e, &r, (u_char *) body, len, &a,
                                        &out, &out_len),
                     AZOAI_OK);
    assert_int_equal(out_len, wlen);
    assert_memory_equal(out, want, wlen);

    /* nothing referenced: one run, copied */

    t = calloc(1, sizeof(test_body_refs_t));
    assert_non_null(t);
    t->body = (u_char *) body;
    t->len = len;

    assert_int_equal(azoai_body_splice_refs(e, &r, (u_char *) body, len,
                                            len + 1, &a,
                                            test_body_refs_emit, t,
                                            &out_len),
                     AZOAI_OK);
    assert_int_equal(out_len, wlen);

    for (i = 0, o = 0; i < t->npieces; i++) {
        assert_true(o + t->pieces[i].len <= wlen);
        assert_memory_equal(t->pieces[i].data, want + o, t->pieces[i].len);
        o += t->pieces[i].len;
    }

    assert_int_equal(o, wlen);

    refs_whole(e, &r, body, len, want, wlen, &a);

    free(t);
    test_arena_free(&arena);
}


static void
test_refs_copy(void **state)
{
    char                *body, *want;
    size_t               gap, i;
    uint32_t             seed;
    azoai_pii_engine_t  *e;

    /*
     * around 256 bytes (the 256-byte steps), 384 and 1152 (the last 256
     * as one 128 or two), 1 and 2 KB (the 1024-byte steps, with 256-byte
     * ones after) and 4 KB (memcpy() again)
     */

    static const size_t  from[] = { 0, 200, 350, 500, 760, 1000, 1120,
                                    1260, 1600, 2030, 4050, 8180 };

    body = malloc(REFS_BODY_MAX);
    want = malloc(REFS_BODY_MAX);
    assert_non_null(body);
    assert_non_null(want);

    seed = 99;
    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);

    for (i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
        for (gap = from[i]; gap < from[i] + 70; gap++) {
            refs_copy_gap(e, body, want, gap, &seed);
        }
    }

    azoai_pii_engine_free(e);
    free(body);
    free(want);
}


/* the copy room: the body and a tag per match, or SIZE_MAX past size_t */

static void
test_refs_copy_room(void **state)
{
    azoai_body_result_t  r;

    memset(&r, 0, sizeof(r));

    assert_int_equal(azoai_body_copy_room(&r, 0), 0);
    assert_int_equal(azoai_body_copy_room(&r, 4096), 4096);

    r.nmatches = 5;
    assert_int_equal(azoai_body_copy_room(&r, 4096),
                     4096 + 5 * AZOAI_PII_TAG_MAX);

    r.nmatches = (SIZE_MAX - 4096) / AZOAI_PII_TAG_MAX;
    assert_int_equal(azoai_body_copy_room(&r, 4096),
                     4096 + r.nmatches * AZOAI_PII_TAG_MAX);

    r.nmatches++;
    assert_int_equal(azoai_body_copy_room(&r, 4096), SIZE_MAX);

    r.nmatches = 1;
    assert_int_equal(azoai_body_copy_room(&r, SIZE_MAX - 1), SIZE_MAX);

    /* the matches left to the rewrite in place: any count, no body */

    assert_int_equal(azoai_body_tags_room(0, 0), 0);
    assert_int_equal(azoai_body_tags_room(3, 10),
                     10 + 3 * AZOAI_PII_TAG_MAX);
    assert_int_equal(azoai_body_tags_room(0, SIZE_MAX), SIZE_MAX);
    assert_int_equal(azoai_body_tags_room(SIZE_MAX / AZOAI_PII_TAG_MAX + 1,
                                          0),
                     SIZE_MAX);
}


/*
 * The whole body as one run in its copy room, as the glue masks a short
 * body (ngx_http_azoai_mask_whole()): want, and nothing emitted
 */

static void
refs_whole(const azoai_pii_engine_t *e, const azoai_body_result_t *r,
    const char *body, size_t len, const char *want, size_t wlen,
    azoai_alloc_t *a)
{
    u_char            *out;
    size_t             room;
    azoai_body_run_t   run;

    room = azoai_body_copy_room(r, len);
    assert_int_equal(room, len + r->nmatches * AZOAI_PII_TAG_MAX);

    out = azoai_alloc(a, room);
    assert_non_null(out);
    azoai_body_run_init(&run, out, SIZE_MAX, NULL, NULL);

    assert_int_equal(azoai_body_splice_run(e, r, 0, (const u_char *) body,
                                           len, 0, &run),
                     AZOAI_OK);
    assert_ptr_equal(run.start, out);
    assert_int_equal(run.emitted, 0);
    assert_int_equal(run.last - run.start, wlen);
    assert_memory_equal(out, want, wlen);
}


/* nothing to replace: the body as one reference, or one copied run */

static void
test_refs_none(void **state)
{
    size_t                out_len;
    test_arena_t          arena = { 0 };
    azoai_alloc_t         a;
    azoai_body_result_t   r;
    test_body_refs_t      t = { 0 };
    azoai_pii_engine_t   *e;

    static const u_char  body[] = "{\"messages\":[]}";

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_MASK);
    a = test_arena_allocator(&arena);

    assert_int_equal(azoai_body_inspect(e, body, sizeof(body) - 1, &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.nmatches, 0);

    t.body = body;
    t.len = sizeof(body) - 1;

    assert_int_equal(azoai_body_splice_refs(e, &r, body, t.len, t.len, &a,
                                            test_body_refs_emit, &t,
                                            &out_len),
                     AZOAI_OK);
    assert_int_equal(t.npieces, 1);
    assert_ptr_equal(t.pieces[0].data, body);
    assert_int_equal(out_len, t.len);

    t.npieces = 0;
    assert_int_equal(azoai_body_splice_refs(e, &r, body, t.len, t.len + 1,
                                            &a, test_body_refs_emit, &t,
                                            &out_len),
                     AZOAI_OK);
    assert_int_equal(t.npieces, 1);
    assert_false(test_body_refs_inside(&t, &t.pieces[0]));
    assert_memory_equal(t.pieces[0].data, body, t.len);

    /* an empty body: no piece */

    t.npieces = 0;
    assert_int_equal(azoai_body_splice_refs(e, &r, body, 0, 1, &a,
                                            test_body_refs_emit, &t,
                                            &out_len),
                     AZOAI_OK);
    assert_int_equal(t.npieces, 0);
    assert_int_equal(out_len, 0);

    /* ref_min 0 would hand on empty pieces */

    assert_int_equal(azoai_body_splice_refs(e, &r, body, t.len, 0, &a,
                                            test_body_refs_emit, &t,
                                            &out_len),
                     AZOAI_ERROR);

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


/* an emit that refuses any piece, or no memory: AZOAI_ERROR */

static void
test_refs_fail(void **state)
{
    char                 *body;
    size_t                len, out_len, fail, pieces;
    test_arena_t          arena = { 0 };
    azoai_alloc_t         a;
    azoai_body_result_t   r;
    test_body_refs_t     *t;
    azoai_pii_engine_t   *e;

    static const size_t  gaps[] = { 300, 10, 300, 300, 10, 10 };

    body = malloc(REFS_BODY_MAX);
    t = calloc(1, sizeof(test_body_refs_t));
    assert_non_null(body);
    assert_non_null(t);

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_MASK);
    len = refs_body(body, gaps, 6);
    a = test_arena_allocator(&arena);

    assert_int_equal(azoai_body_inspect(e, (u_char *) body, len, &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.nmatches, 6);

    t->body = (u_char *) body;
    t->len = len;

    assert_int_equal(azoai_body_splice_refs(e, &r, t->body, len, 256, &a,
                                            test_body_refs_emit, t,
                                            &out_len),
                     AZOAI_OK);

    /* the head, a run, a ref, a run, a ref, a run with the tail */
    pieces = t->npieces;
    assert_int_equal(pieces, 6);

    for (fail = 1; fail <= pieces; fail++) {
        t->npieces = 0;
        t->fail_at = fail;
        assert_int_equal(azoai_body_splice_refs(e, &r, t->body, len, 256,
                                                &a, test_body_refs_emit, t,
                                                &out_len),
                         AZOAI_ERROR);
        assert_int_equal(t->npieces, fail - 1);
    }

    t->fail_at = 0;
    arena.fail_after = arena.calls + 1;
    assert_int_equal(azoai_body_splice_refs(e, &r, t->body, len, 256, &a,
                                            test_body_refs_emit, t,
                                            &out_len),
                     AZOAI_ERROR);
    arena.fail_after = 0;

    refs_bad_matches(e, &r, t, &a);

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
    free(t);
    free(body);
}


/* a match before the one ahead of it, past the body, or no engine */

static void
refs_bad_matches(const azoai_pii_engine_t *e, azoai_body_result_t *r,
    test_body_refs_t *t, azoai_alloc_t *a)
{
    size_t  out_len;

    r->matches[3].start = r->matches[2].start;
    t->npieces = 0;
    assert_int_equal(azoai_body_splice_refs(e, r, t->body, t->len, 256, a,
                                            test_body_refs_emit, t,
                                            &out_len),
                     AZOAI_ERROR);

    r->matches[3].start = r->matches[2].end;
    r->matches[5].end = t->len + 1;
    assert_int_equal(azoai_body_splice_refs(e, r, t->body, t->len, 256, a,
                                            test_body_refs_emit, t,
                                            &out_len),
                     AZOAI_ERROR);

    r->matches[5].end = r->matches[5].start + 1;
    assert_int_equal(azoai_body_splice_refs(NULL, r, t->body, t->len, 256,
                                            a, test_body_refs_emit, t,
                                            &out_len),
                     AZOAI_ERROR);
}


/*
 * azoai_body_copy_out(): every length up to 5 KB (around the 128 steps,
 * the 1024 loop, the vector copy's bounds of 256 and 4096), at offsets
 * off alignment; the bytes around the copy left alone
 */

static void
test_refs_copy_out(void **state)
{
    size_t    n, k, off;
    u_char   *src, *dst, *p;

    (void) state;

    src = test_malloc(5200);
    dst = test_malloc(5200);

    for (k = 0; k < 5200; k++) {
        src[k] = (u_char) (k * 131 + 7);
    }

    for (n = 0; n <= 5120; n++) {
        off = n % 7;

        memset(dst, 0xa5, 5200);

        p = azoai_body_copy_out(dst + off, src + 3 + off, n);

        assert_ptr_equal(p, dst + off + n);
        if (n) {
            assert_memory_equal(dst + off, src + 3 + off, n);
        }

        for (k = 0; k < off; k++) {
            assert_int_equal(dst[k], 0xa5);
        }

        for (k = off + n; k < 5200; k++) {
            assert_int_equal(dst[k], 0xa5);
        }
    }

    test_free(src);
    test_free(dst);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_refs_same),
        cmocka_unit_test(test_refs_copy),
        cmocka_unit_test(test_refs_copy_room),
        cmocka_unit_test(test_refs_none),
        cmocka_unit_test(test_refs_fail),
        cmocka_unit_test(test_refs_copy_out),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
