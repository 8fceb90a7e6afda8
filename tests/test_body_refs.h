/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The check that azoai_body_splice_refs() hands on what
 * azoai_body_rewrite() writes, for test_body.c's bodies and
 * test_body_refs.c's: pieces in order, none empty, every unchanged span
 * of ref_min bytes and more a piece of its own pointing into the body,
 * everything else copied into runs outside it, no two runs in a row, and
 * the pieces end to end the rewrite, pseudonyms included.
 */

#ifndef _TEST_BODY_REFS_H_INCLUDED_
#define _TEST_BODY_REFS_H_INCLUDED_


#include "test_util.h"
#include "azoai_body_refs.h"
#include "azoai_pseudo.h"


#define TEST_BODY_REFS_MAX  4096


typedef struct {
    const u_char  *body;
    size_t         len;
    azoai_str_t    pieces[TEST_BODY_REFS_MAX];
    size_t         npieces;
    size_t         fail_at;      /* 1 + the piece emit refuses, 0: none */
} test_body_refs_t;


static int
test_body_refs_emit(void *data, const u_char *p, size_t len)
{
    test_body_refs_t  *t = data;

    assert_true(len > 0);
    assert_true(t->npieces < TEST_BODY_REFS_MAX);

    if (t->fail_at && t->npieces + 1 == t->fail_at) {
        return AZOAI_ERROR;
    }

    t->pieces[t->npieces].data = p;
    t->pieces[t->npieces].len = len;
    t->npieces++;

    return AZOAI_OK;
}


static int
test_body_refs_inside(const test_body_refs_t *t, const azoai_str_t *piece)
{
    return piece->data >= t->body && piece->data < t->body + t->len;
}


/* the pieces against the rewrite and the spans between the matches */

static void
test_body_refs_check(const azoai_body_result_t *r, const u_char *body,
    size_t len, size_t ref_min, const test_body_refs_t *t,
    const u_char *want, size_t want_len, size_t out_len)
{
    size_t              i, k, o, pos, end, refs;
    const azoai_str_t  *p;

    o = 0;
    refs = 0;

    for (k = 0; k < t->npieces; k++) {
        p = &t->pieces[k];

        assert_true(o + p->len <= want_len);
        assert_memory_equal(p->data, want + o, p->len);
        o += p->len;

        if (test_body_refs_inside(t, p)) {
            assert_true(p->len >= ref_min);
            assert_true(p->data + p->len <= body + len);
            refs++;

        } else if (k > 0) {
            /* a run is never next to a run */
            assert_true(test_body_refs_inside(t, &t->pieces[k - 1]));
        }
    }

    assert_int_equal(o, want_len);
    assert_int_equal(out_len, want_len);

    /* each span of ref_min and more is a reference: it is exactly one */

    pos = 0;

    for (i = 0; i <= r->nmatches; i++) {
        end = (i < r->nmatches) ? r->matches[i].start : len;

        if (end - pos >= ref_min) {
            for (k = 0; k < t->npieces; k++) {
                if (t->pieces[k].data == body + pos) {
                    break;
                }
            }

            assert_true(k < t->npieces);
            assert_int_equal(t->pieces[k].len, end - pos);
            refs--;
        }

        if (i < r->nmatches) {
            pos = r->matches[i].end;
        }
    }

    assert_int_equal(refs, 0);
}


/*
 * azoai_body_splice_refs() of body with ref_min against
 * azoai_body_rewrite(), each with pseudonyms of its own minted from zero
 */

static void
test_body_refs_same_at(const azoai_pii_engine_t *e, const u_char *body,
    size_t len, size_t ref_min)
{
    u_char               *want;
    size_t                want_len, out_len;
    test_arena_t          arena = { 0 };
    azoai_alloc_t         a;
    azoai_body_result_t   r;
    test_body_refs_t     *t;

    a = test_arena_allocator(&arena);

    t = calloc(1, sizeof(test_body_refs_t));
    assert_non_null(t);
    t->body = body;
    t->len = len;

    assert_int_equal(azoai_body_inspect(e, body, len, &a, &r), AZOAI_OK);
    assert_int_equal(r.error, AZOAI_BODY_OK);

    r.pseudo = azoai_pseudo_create(&a);
    assert_non_null(r.pseudo);
    assert_int_equal(azoai_body_rewrite(e, &r, body, len, &a, &want,
                                        &want_len),
                     AZOAI_OK);

    r.pseudo = azoai_pseudo_create(&a);
    assert_non_null(r.pseudo);
    assert_int_equal(azoai_body_splice_refs(e, &r, body, len, ref_min, &a,
                                            test_body_refs_emit, t,
                                            &out_len),
                     AZOAI_OK);

    test_body_refs_check(&r, body, len, ref_min, t, want, want_len,
                         out_len);

    free(t);
    test_arena_free(&arena);
}


/* every span length of body as ref_min, and 1, and past the body */

static void
test_body_refs_same(const azoai_pii_engine_t *e, const char *body,
    size_t len)
{
    size_t                i, pos, end;
    test_arena_t          arena = { 0 };
    azoai_alloc_t         a;
    azoai_body_result_t   r;

    a = test_arena_allocator(&arena);

    assert_int_equal(azoai_body_inspect(e, (const u_char *) body, len, &a,
                                        &r),
                     AZOAI_OK);
    assert_int_equal(r.error, AZOAI_BODY_OK);

    test_body_refs_same_at(e, (const u_char *) body, len, 1);
    test_body_refs_same_at(e, (const u_char *) body, len, len + 1);

    pos = 0;

    for (i = 0; i <= r.nmatches; i++) {
        end = (i < r.nmatches) ? r.matches[i].start : len;

        if (end > pos) {
            test_body_refs_same_at(e, (const u_char *) body, len, end - pos);
            test_body_refs_same_at(e, (const u_char *) body, len,
                                   end - pos + 1);
        }

        if (i < r.nmatches) {
            pos = r.matches[i].end;
        }
    }

    test_arena_free(&arena);
}


#endif /* _TEST_BODY_REFS_H_INCLUDED_ */
