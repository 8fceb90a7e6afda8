/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * What the PII unit tests share: an engine with every built-in type on,
 * a scan that collects the matches, and checks of one expected match.
 * Include after cmocka.h and test_util.h.
 */

#ifndef _TEST_PII_UTIL_H_INCLUDED_
#define _TEST_PII_UTIL_H_INCLUDED_


#include "azoai_pii.h"


/* every built-in type with ACTION; KEY, when not NULL, the hash key */

static inline azoai_pii_engine_t *
test_pii_engine_all(azoai_pii_action_e action, const char *key)
{
    char                 err[256];
    unsigned             type;
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    assert_non_null(e);

    for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
        assert_int_equal(azoai_pii_engine_enable(e, type, action), AZOAI_OK);
    }

    if (key != NULL) {
        assert_int_equal(azoai_pii_engine_set_hash_key(e,
                             (const u_char *) key, strlen(key)), AZOAI_OK);
    }

    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    return e;
}


/*
 * e-mail with EMAIL and, when IPV4 is not TEST_PII_OFF, IPv4 addresses
 * with IPV4; the hash key "k" when either hashes
 */

#define TEST_PII_OFF  -1

static inline azoai_pii_engine_t *
test_pii_engine_email(azoai_pii_action_e email, int ipv4)
{
    char                 err[256];
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    assert_non_null(e);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_EMAIL, email),
                     AZOAI_OK);

    if (ipv4 != TEST_PII_OFF) {
        assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_IPV4,
                                                 (azoai_pii_action_e) ipv4),
                         AZOAI_OK);
    }

    if (email == AZOAI_PII_ACTION_HASH || ipv4 == AZOAI_PII_ACTION_HASH) {
        assert_int_equal(azoai_pii_engine_set_hash_key(e, (u_char *) "k", 1),
                         AZOAI_OK);
    }

    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    return e;
}


#define TEST_PII_MAX_FOUND  64


typedef struct {
    azoai_pii_match_t   m[TEST_PII_MAX_FOUND];
    size_t              n;
    int                 stop_at;       /* >0: return non-zero then */
} test_pii_found_t;


typedef struct {
    const char          *raw;
    unsigned             type;
    const char          *value;        /* the raw span expected */
} test_pii_case_t;


static inline int
test_pii_collect(void *data, const azoai_pii_match_t *m)
{
    test_pii_found_t  *f = data;

    if (f->n < TEST_PII_MAX_FOUND) {
        f->m[f->n] = *m;
    }

    f->n++;

    return f->stop_at && (int) f->n >= f->stop_at;
}


static inline int
test_pii_scan(const azoai_pii_engine_t *e, const char *raw,
    test_pii_found_t *f)
{
    int             rc;
    test_arena_t    arena;
    azoai_alloc_t   a;

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);
    memset(f, 0, sizeof(test_pii_found_t));

    rc = azoai_pii_scan(e, (const u_char *) raw, strlen(raw), &a,
                        test_pii_collect, f);
    test_arena_free(&arena);

    return rc;
}


/* matches come in raw order and never overlap */

static inline void
test_pii_check_order(const test_pii_found_t *f, size_t len)
{
    size_t  i;

    for (i = 0; i < f->n && i < TEST_PII_MAX_FOUND; i++) {
        assert_true(f->m[i].start < f->m[i].end);
        assert_true(f->m[i].end <= len);

        if (i > 0) {
            assert_true(f->m[i - 1].end <= f->m[i].start);
        }
    }
}


static inline void
test_pii_expect_one(const azoai_pii_engine_t *e, const test_pii_case_t *c)
{
    size_t            vlen;
    const char       *at;
    test_pii_found_t  f;

    assert_int_equal(test_pii_scan(e, c->raw, &f), AZOAI_OK);
    test_pii_check_order(&f, strlen(c->raw));

    if (f.n != 1 || f.m[0].type != c->type) {
        print_error("input \"%s\": %zu matches, first type %u, want one "
                    "of type %u\n", c->raw, f.n,
                    f.n ? f.m[0].type : 99, c->type);
        fail();
    }

    at = strstr(c->raw, c->value);
    assert_non_null(at);
    vlen = strlen(c->value);

    if (f.m[0].start != (size_t) (at - c->raw)
        || f.m[0].end != (size_t) (at - c->raw) + vlen)
    {
        print_error("input \"%s\": span [%zu,%zu), want [%zu,%zu)\n",
                    c->raw, f.m[0].start, f.m[0].end,
                    (size_t) (at - c->raw), (size_t) (at - c->raw) + vlen);
        fail();
    }
}


static inline void
test_pii_expect_none(const azoai_pii_engine_t *e, const char *raw)
{
    test_pii_found_t  f;

    assert_int_equal(test_pii_scan(e, raw, &f), AZOAI_OK);

    if (f.n != 0) {
        print_error("look-alike \"%s\" matched type %u at [%zu,%zu)\n",
                    raw, f.m[0].type, f.m[0].start, f.m[0].end);
        fail();
    }
}


#endif /* _TEST_PII_UTIL_H_INCLUDED_ */
