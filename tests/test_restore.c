/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of pseudonyms (azoai_pseudo.c, the "pseudonym" action) and of
 * restoring them in JSON responses and event streams (azoai_restore.c,
 * azoai_sse.c): every split offset gives the output of one piece.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "azoai_body.h"
#include "azoai_pseudo.h"
#include "azoai_sse.h"


#define TEST_OUT_MAX  (256 * 1024)

/* a chat completion chunk of choice 0, and the end of a stream */
#define TEST_EV(text)                                                         \
    "data: {\"choices\":[{\"delta\":{\"content\":\"" text "\"},"            \
    "\"index\":0}]}\n\n"
#define TEST_END                                                              \
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\","         \
    "\"index\":0}]}\n\ndata: [DONE]\n\n"


/* azoai_pii_response: masking in JSON responses when set */
static const azoai_pii_engine_t  *test_engine;
static size_t                     test_masked;


typedef struct {
    u_char           data[TEST_OUT_MAX];
    size_t           len;
} test_out_t;


static int test_write(void *data, const u_char *p, size_t len);
static azoai_pseudo_t *test_map(azoai_alloc_t *a);
static size_t test_run(const azoai_pseudo_t *map, unsigned json,
    const char *in, size_t chunk, test_out_t *out);
static void test_expect_all_splits(const azoai_pseudo_t *map,
    unsigned json, const char *in, const char *want, size_t restored);
static void test_mint(void **state);
static void test_pseudonym_action(void **state);
static void test_json_restore(void **state);
static void test_json_escapes(void **state);
static void test_not_minted(void **state);
static void test_sse_split_token(void **state);
static void test_sse_interleaved(void **state);
static void test_sse_tail_released(void **state);
static void test_sse_responses_api(void **state);
static void test_sse_framing_kept(void **state);
static void test_sse_long_event(void **state);
static void test_start(azoai_sse_t *s, azoai_resp_mask_t *m,
    const azoai_pseudo_t *map, azoai_alloc_t *a, unsigned json,
    test_out_t *out);
static azoai_pii_engine_t *test_mask_engine(void);
static void test_json_mask(void **state);
static void test_json_mask_unscannable(void **state);
static void test_sse_mask_bound(void **state);
static void test_trace(void *data, unsigned outcome, size_t len);
static void test_sse_trace(void **state);
static void test_mask_counts(void **state);
static void test_sse_hostile_end(void **state);
static int test_ref(void *data, const u_char *p, size_t len);
static void test_sse_cr_framing(void **state);
static void test_sse_cr_masked(void **state);
static void test_by_reference(void **state);
static void test_sse_framed_lines(void **state);
static void test_sse_one_write(void **state);
static void test_mask_token_rendering(void **state);


/* azoai_sse_t.ref set: the bytes it was handed, checked and counted */
static unsigned            test_use_ref;
static size_t              test_refs;
static const azoai_sse_t  *test_sse;


/* calls of azoai_sse_t.write */
static size_t  test_writes;


/* the outcomes azoai_sse_t.trace was told of, in order */
static u_char  test_outcomes[16];
static size_t  test_noutcomes;


static int
test_write(void *data, const u_char *p, size_t len)
{
    test_out_t  *o = data;

    test_writes++;
    assert_true(o->len + len <= TEST_OUT_MAX);
    memcpy(o->data + o->len, p, len);
    o->len += len;

    return 0;
}


/* a reference: only into the JSON response's own buffer, as read */

static int
test_ref(void *data, const u_char *p, size_t len)
{
    assert_true(test_sse->json);
    assert_true(len > 0);
    assert_true(p >= test_sse->buf && p + len <= test_sse->buf + test_sse->len);

    test_refs++;

    return test_write(data, p, len);
}


static void
test_start(azoai_sse_t *s, azoai_resp_mask_t *m, const azoai_pseudo_t *map,
    azoai_alloc_t *a, unsigned json, test_out_t *out)
{
    out->len = 0;

    azoai_sse_init(s, map, a, json, test_write, out);
    azoai_resp_mask_init(m, test_engine, a);

    test_sse = s;

    if (test_use_ref) {
        s->ref = test_ref;
    }

    if (test_engine) {
        s->mask = m;
    }
}


/* [EMAIL_1] a@x.io, [EMAIL_2] b"q\\z@x.io, [PHONE_1] +1 555 0100 */

static azoai_pseudo_t *
test_map(azoai_alloc_t *a)
{
    azoai_pseudo_t  *p;

    p = azoai_pseudo_create(a);
    assert_non_null(p);

    assert_int_equal(azoai_pseudo_mint(p, (u_char *) "EMAIL", 5,
                                       (u_char *) "a@x.io", 6,
                                       (u_char *) "a@x.io", 6), 1);
    assert_int_equal(azoai_pseudo_mint(p, (u_char *) "EMAIL", 5,
                                       (u_char *) "b\"q\\z@x.io", 10,
                                       (u_char *) "b\"q\\z@x.io", 10), 2);
    assert_int_equal(azoai_pseudo_mint(p, (u_char *) "PHONE", 5,
                                       (u_char *) "+15550100", 9,
                                       (u_char *) "+1 555 0100", 11), 1);
    return p;
}


static size_t
test_run(const azoai_pseudo_t *map, unsigned json, const char *in,
    size_t chunk, test_out_t *out)
{
    size_t             len, pos, n;
    azoai_sse_t        s;
    test_arena_t       arena;
    azoai_alloc_t      a;
    azoai_resp_mask_t  m;

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);
    out->len = 0;

    test_start(&s, &m, map, &a, json, out);

    len = strlen(in);

    for (pos = 0; pos < len; pos += n) {
        n = (chunk && len - pos > chunk) ? chunk : len - pos;
        assert_int_equal(azoai_sse_feed(&s, (u_char *) in + pos, n),
                         AZOAI_OK);
    }

    assert_int_equal(azoai_sse_finish(&s), AZOAI_OK);
    assert_true(s.held <= AZOAI_SSE_EVENT_MAX + AZOAI_PSEUDO_TOKEN_MAX);
    test_masked = m.masked;

    test_arena_free(&arena);

    return s.restored;
}


/* whole, byte by byte, and every two-piece split give want */

static void
test_expect_all_splits(const azoai_pseudo_t *map, unsigned json,
    const char *in, const char *want, size_t restored)
{
    size_t             chunk, len, cut;
    char              *a, *b;
    static test_out_t  out;

    len = strlen(in);

    for (chunk = 0; chunk <= 3; chunk++) {
        assert_int_equal(test_run(map, json, in, chunk, &out), restored);
        out.data[out.len] = '\0';
        assert_string_equal((char *) out.data, want);
    }

    /* two pieces cut at every offset, fed as separate calls */

    for (cut = 1; cut < len; cut++) {
        a = strndup(in, len);
        assert_non_null(a);
        b = a + cut;

        {
            azoai_sse_t        s;
            test_arena_t       arena;
            azoai_alloc_t      al;
            azoai_resp_mask_t  m;

            memset(&arena, 0, sizeof(arena));
            al = test_arena_allocator(&arena);
            test_start(&s, &m, map, &al, json, &out);
            assert_int_equal(azoai_sse_feed(&s, (u_char *) a, cut),
                             AZOAI_OK);
            assert_int_equal(azoai_sse_feed(&s, (u_char *) b, len - cut),
                             AZOAI_OK);
            assert_int_equal(azoai_sse_finish(&s), AZOAI_OK);
            assert_int_equal(m.masked, test_masked);
            test_arena_free(&arena);
        }

        out.data[out.len] = '\0';
        assert_string_equal((char *) out.data, want);
        free(a);
    }
}


static void
test_mint(void **state)
{
    u_char             token[AZOAI_PSEUDO_TOKEN_MAX];
    azoai_alloc_t      a;
    azoai_pseudo_t    *p;
    const azoai_str_t *v;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    /* the same canonical value, the same n; numbering per type */
    assert_int_equal(azoai_pseudo_mint(p, (u_char *) "EMAIL", 5,
                                       (u_char *) "a@x.io", 6,
                                       (u_char *) "A@X.io", 6), 1);
    assert_int_equal(azoai_pseudo_count(p), 3);

    v = azoai_pseudo_find(p, (u_char *) "PHONE", 5, 1);
    assert_non_null(v);
    assert_memory_equal(v->data, "+1 555 0100", 11);
    assert_null(azoai_pseudo_find(p, (u_char *) "PHONE", 5, 2));
    assert_null(azoai_pseudo_find(p, (u_char *) "EMAI", 4, 1));

    assert_int_equal(azoai_pseudo_token((u_char *) "EMAIL", 5, 12, token),
                     10);
    assert_memory_equal(token, "[EMAIL_12]", 10);

    assert_true(azoai_pseudo_may_start(p, (u_char *) "", 0));
    assert_true(azoai_pseudo_may_start(p, (u_char *) "EMAIL_", 6));
    assert_true(azoai_pseudo_may_start(p, (u_char *) "PHONE_1", 7));
    assert_false(azoai_pseudo_may_start(p, (u_char *) "PHONE_2", 7));
    assert_false(azoai_pseudo_may_start(p, (u_char *) "X", 1));
}


/* the action through the request rewrite: [TYPE_n], values kept */

static void
test_pseudonym_action(void **state)
{
    u_char               *out;
    size_t                out_len;
    char                  err[128];
    azoai_alloc_t         a;
    azoai_pseudo_t       *p;
    azoai_pii_engine_t   *e;
    const azoai_str_t    *v;
    azoai_body_result_t   res;

    static const char  body[] =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Mail Ann@X.io, "
        "ann@x.io, bob@y.org or call +1 415 555 0199\"}]}";
    static const char  want[] =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Mail [EMAIL_1], "
        "[EMAIL_1], [EMAIL_2] or call [PHONE_1]\"}]}";

    a = test_arena_allocator(*state);

    e = azoai_pii_engine_create();
    assert_non_null(e);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_EMAIL,
                                             AZOAI_PII_ACTION_PSEUDONYM),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_PHONE,
                                             AZOAI_PII_ACTION_PSEUDONYM),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    assert_int_equal(azoai_body_inspect(e, (u_char *) body,
                                        sizeof(body) - 1, &a, &res),
                     AZOAI_OK);
    assert_int_equal(res.nmatches, 4);

    p = azoai_pseudo_create(&a);
    res.pseudo = p;

    assert_int_equal(azoai_body_rewrite(e, &res, (u_char *) body,
                                        sizeof(body) - 1, &a, &out,
                                        &out_len),
                     AZOAI_OK);
    assert_int_equal(out_len, sizeof(want) - 1);
    assert_memory_equal(out, want, out_len);

    v = azoai_pseudo_find(p, (u_char *) "EMAIL", 5, 1);
    assert_non_null(v);
    assert_memory_equal(v->data, "Ann@X.io", 8);

    /* without a map the action masks */
    res.pseudo = NULL;
    assert_int_equal(azoai_body_rewrite(e, &res, (u_char *) body,
                                        sizeof(body) - 1, &a, &out,
                                        &out_len),
                     AZOAI_OK);
    assert_non_null(strstr((char *) out, "Mail [EMAIL], [EMAIL]"));

    azoai_pii_engine_free(e);
}


static void
test_json_restore(void **state)
{
    azoai_alloc_t    a;
    azoai_pseudo_t  *p;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    test_expect_all_splits(p, 1,
        "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":\"Write to [EMAIL_1] or [PHONE_1].\"}}],"
        "\"model\":\"[EMAIL_1]\"}",
        "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":\"Write to a@x.io or +1 555 0100.\"}}],"
        "\"model\":\"[EMAIL_1]\"}", 2);

    /* Responses API output */
    test_expect_all_splits(p, 1,
        "{\"output\":[{\"content\":[{\"type\":\"output_text\",\"text\":"
        "\"[PHONE_1]\"}]}],\"output_text\":\"x[EMAIL_1]\"}",
        "{\"output\":[{\"content\":[{\"type\":\"output_text\",\"text\":"
        "\"+1 555 0100\"}]}],\"output_text\":\"xa@x.io\"}", 2);

    /* not JSON: as it is */
    test_expect_all_splits(p, 1, "{\"content\":\"[EMAIL_1]\"",
                           "{\"content\":\"[EMAIL_1]\"", 0);
}


/*
 * With azoai_sse_t.ref set, a JSON response's unchanged bytes are handed
 * out by reference and the output is the same at every split; an event
 * stream (its input is gone after each call) never is
 */

static void
test_by_reference(void **state)
{
    size_t               refs;
    azoai_alloc_t        a;
    azoai_pseudo_t      *p;
    azoai_pii_engine_t  *e;

    a = test_arena_allocator(*state);
    p = test_map(&a);
    test_use_ref = 1;
    test_refs = 0;

    test_json_restore(state);
    assert_true(test_refs > 0);

    e = test_mask_engine();
    test_engine = e;
    refs = test_refs;

    test_expect_all_splits(p, 1,
        "{\"id\":\"z@y.org\",\"choices\":[{\"message\":{\"content\":"
        "\"Mail z@y.org, [EMAIL_1] or call +1 415 555 0199.\"}}]}",
        "{\"id\":\"z@y.org\",\"choices\":[{\"message\":{\"content\":"
        "\"Mail [EMAIL], a@x.io or call [PHONE].\"}}]}", 1);
    assert_true(test_refs > refs);

    refs = test_refs;

    test_expect_all_splits(p, 0,
        TEST_EV("Mail z@") TEST_EV("y.org") TEST_EV(" or [EMA")
        TEST_EV("IL_1] call +1 415") TEST_EV(" 555 0199") TEST_EV(" now.")
        TEST_END,
        TEST_EV("Mail ") TEST_EV("") TEST_EV("[EMAIL] or ")
        TEST_EV("a@x.io call ") TEST_EV("") TEST_EV("[PHONE] ")
        TEST_EV("now.") TEST_END, 1);
    assert_int_equal(test_refs, refs);

    test_engine = NULL;
    test_use_ref = 0;
    azoai_pii_engine_free(e);
}


static void
test_json_escapes(void **state)
{
    azoai_alloc_t    a;
    azoai_pseudo_t  *p;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    /* once in content, twice in tool call arguments */
    test_expect_all_splits(p, 1,
        "{\"choices\":[{\"message\":{\"content\":\"[EMAIL_2]\","
        "\"tool_calls\":[{\"function\":{\"name\":\"send\",\"arguments\":"
        "\"{\\\"to\\\":\\\"[EMAIL_2]\\\"}\"}}]}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"b\\\"q\\\\z@x.io\","
        "\"tool_calls\":[{\"function\":{\"name\":\"send\",\"arguments\":"
        "\"{\\\"to\\\":\\\"b\\\\\\\"q\\\\\\\\z@x.io\\\"}\"}}]}}]}", 2);
}


static void
test_not_minted(void **state)
{
    azoai_alloc_t    a;
    azoai_pseudo_t  *p;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    test_expect_all_splits(p, 1,
        "{\"content\":\"[EMAIL_3] [PHONE_01] [SSN_1] [EMAIL_1 [EMAIL] "
        "[email_1] [[EMAIL_1]]\"}",
        "{\"content\":\"[EMAIL_3] [PHONE_01] [SSN_1] [EMAIL_1 [EMAIL] "
        "[email_1] [a@x.io]\"}", 1);

    /* an empty map restores nothing */
    test_expect_all_splits(azoai_pseudo_create(&a), 1,
                           "{\"content\":\"[EMAIL_1]\"}",
                           "{\"content\":\"[EMAIL_1]\"}", 0);
}


#define TEST_CHUNK(idx, text)                                                 \
    "data: {\"choices\":[{\"delta\":{\"content\":\"" text "\"},"             \
    "\"finish_reason\":null,\"index\":" #idx "}],\"id\":\"c1\"}\n\n"

#define TEST_FINISH(idx)                                                      \
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\","           \
    "\"index\":" #idx "}],\"id\":\"c1\"}\n\n"


static void
test_sse_split_token(void **state)
{
    azoai_alloc_t    a;
    azoai_pseudo_t  *p;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    test_expect_all_splits(p, 0,
        TEST_CHUNK(0, "Hi [EMA") TEST_CHUNK(0, "IL_1] and [")
        TEST_CHUNK(0, "PHONE_") TEST_CHUNK(0, "1]!") TEST_FINISH(0)
        "data: [DONE]\n\n",
        TEST_CHUNK(0, "Hi ") TEST_CHUNK(0, "a@x.io and ")
        TEST_CHUNK(0, "") TEST_CHUNK(0, "+1 555 0100!") TEST_FINISH(0)
        "data: [DONE]\n\n", 2);
}


static void
test_sse_interleaved(void **state)
{
    azoai_alloc_t    a;
    azoai_pseudo_t  *p;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    /* n = 2: each choice carries its own tail */
    test_expect_all_splits(p, 0,
        TEST_CHUNK(0, "x[EMAIL") TEST_CHUNK(1, "y[PHO")
        TEST_CHUNK(0, "_1]") TEST_CHUNK(1, "NE_1]") TEST_FINISH(0)
        TEST_FINISH(1) "data: [DONE]\n\n",
        TEST_CHUNK(0, "x") TEST_CHUNK(1, "y")
        TEST_CHUNK(0, "a@x.io") TEST_CHUNK(1, "+1 555 0100")
        TEST_FINISH(0) TEST_FINISH(1) "data: [DONE]\n\n", 2);

    /* tool call arguments, split, escaped twice */
    test_expect_all_splits(p, 0,
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"{\\\"to\\\":\\\"[EMAIL\"}}]},"
        "\"index\":0}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"_2]\\\"}\"}}]},\"index\":0}]}\n\n",
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"{\\\"to\\\":\\\"\"}}]},"
        "\"index\":0}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"b\\\\\\\"q\\\\\\\\z@x.io\\\"}\"}}]},"
        "\"index\":0}]}\n\n", 1);
}


static void
test_sse_tail_released(void **state)
{
    azoai_alloc_t    a;
    azoai_pseudo_t  *p;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    /* "[EMAIL_" then the finish: the tail comes back in its own event */
    test_expect_all_splits(p, 0,
        TEST_CHUNK(0, "see [EMAIL_") TEST_FINISH(0) "data: [DONE]\n\n",
        TEST_CHUNK(0, "see ") TEST_CHUNK(0, "[EMAIL_") TEST_FINISH(0)
        "data: [DONE]\n\n", 0);

    /* "[" then a text that is no token: released with it */
    test_expect_all_splits(p, 0,
        TEST_CHUNK(0, "a [") TEST_CHUNK(0, "link](u)"),
        TEST_CHUNK(0, "a ") TEST_CHUNK(0, "[link](u)"), 0);

    /* the end of the stream releases it too */
    test_expect_all_splits(p, 0, TEST_CHUNK(0, "[PH"),
                           TEST_CHUNK(0, "") TEST_CHUNK(0, "[PH"), 0);
}


#define TEST_RDELTA(text)                                                     \
    "event: response.output_text.delta\n"                                     \
    "data: {\"type\":\"response.output_text.delta\",\"item_id\":\"m1\","      \
    "\"output_index\":0,\"content_index\":0,\"delta\":\"" text "\"}\n\n"


static void
test_sse_responses_api(void **state)
{
    azoai_alloc_t    a;
    azoai_pseudo_t  *p;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    test_expect_all_splits(p, 0,
        TEST_RDELTA("to [EM") TEST_RDELTA("AIL_2]")
        "event: response.output_text.done\n"
        "data: {\"type\":\"response.output_text.done\",\"output_index\":0,"
        "\"content_index\":0,\"text\":\"to [EMAIL_2]\"}\n\n",
        TEST_RDELTA("to ") TEST_RDELTA("b\\\"q\\\\z@x.io")
        "event: response.output_text.done\n"
        "data: {\"type\":\"response.output_text.done\",\"output_index\":0,"
        "\"content_index\":0,\"text\":\"to b\\\"q\\\\z@x.io\"}\n\n", 2);
}


/* a chunk's data line with the line end eol, without the blank line */
#define TEST_LINE(idx, text, eol)                                             \
    "data: {\"choices\":[{\"delta\":{\"content\":\"" text "\"},"             \
    "\"finish_reason\":null,\"index\":" #idx "}],\"id\":\"c1\"}" eol


/*
 * Lines end with CR, LF or CRLF, as the event-stream grammar says, in any
 * mix (azoai_sse_line.c, as usage and the estimate read them): events
 * end where a client's parser ends them, a split token is restored
 * across them, and the framing is kept byte for byte, at every split
 * (a CRLF cut between its CR and LF included)
 */

static void
test_sse_cr_framing(void **state)
{
    azoai_alloc_t    a;
    azoai_pseudo_t  *p;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    test_expect_all_splits(p, 0,
        "event: chunk\r" TEST_LINE(0, "Hi [EMA", "\r\r")
        TEST_LINE(0, "IL_1] and [", "\r\n\r") TEST_LINE(0, "PHONE_", "\n\r\n")
        ": ping\r\r" TEST_LINE(0, "1]!", "\r\r\n")
        TEST_LINE(0, "[EMAIL_2]", "\r\n\r\n") "data: [DONE]\r\r",
        "event: chunk\r" TEST_LINE(0, "Hi ", "\r\r")
        TEST_LINE(0, "a@x.io and ", "\r\n\r") TEST_LINE(0, "", "\n\r\n")
        ": ping\r\r" TEST_LINE(0, "+1 555 0100!", "\r\r\n")
        TEST_LINE(0, "b\\\"q\\\\z@x.io", "\r\n\r\n") "data: [DONE]\r\r", 3);

    /*
     * a tail no piece carries on, released in a copy of its event: the
     * copy ends as the event did, its LF after a CR however it came
     */
    test_expect_all_splits(p, 0,
        TEST_LINE(0, "to [EMAIL", "\r\r\n") TEST_LINE(1, "x", "\r\r")
        "data: [DONE]\r\r",
        TEST_LINE(0, "to ", "\r\r\n") TEST_LINE(1, "x", "\r\r")
        TEST_LINE(0, "[EMAIL", "\r\r\n") "data: [DONE]\r\r", 0);

    /* the stream ends in an event without its blank line */
    test_expect_all_splits(p, 0,
        TEST_LINE(0, "to [EMAIL_1", "\r\r") TEST_LINE(0, "] x", "\r"),
        TEST_LINE(0, "to ", "\r\r") TEST_LINE(0, "a@x.io x", "\r"), 1);
}


/*
 * azoai_pii_response: an event framed with CRs alone is read and masked
 * like any other (it passed unscanned when only LF ended a line)
 */

static void
test_sse_cr_masked(void **state)
{
    azoai_alloc_t        a;
    azoai_pseudo_t      *p;
    azoai_pii_engine_t  *e;

    a = test_arena_allocator(*state);
    p = test_map(&a);
    e = test_mask_engine();
    test_engine = e;

    test_expect_all_splits(p, 0,
        "event: x\r" TEST_LINE(0, "Mail z@y.org now.", "\r\r")
        TEST_LINE(0, "Or [EMAIL_1].", "\r\n\r\n") "data: [DONE]\r\r",
        "event: x\r" TEST_LINE(0, "Mail [EMAIL] ", "\r\r")
        TEST_LINE(0, "now.Or ", "\r\n\r\n")
        TEST_LINE(0, "a@x.io.", "\r\n\r\n") "data: [DONE]\r\r", 1);
    assert_int_equal(test_masked, 1);

    test_engine = NULL;
    azoai_pii_engine_free(e);
}


static void
test_sse_framing_kept(void **state)
{
    azoai_alloc_t    a;
    azoai_pseudo_t  *p;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    /* CRLF, comments, several data lines, invalid JSON: kept */
    test_expect_all_splits(p, 0,
        ": ping\r\n\r\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"[EMAIL_1]\"},"
        "\"index\":0}]}\r\n\r\n"
        "data: {\"content\":\r\ndata: \"[EMAIL_1]\"}\n\n"
        "data: {\"content\":\"[EMAIL_1]\"\n\n"
        "data:{\"content\":\"[EMAIL_1]\"}\n\n",
        ": ping\r\n\r\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"a@x.io\"},"
        "\"index\":0}]}\r\n\r\n"
        "data: {\"content\":\r\ndata: \"[EMAIL_1]\"}\n\n"
        "data: {\"content\":\"[EMAIL_1]\"\n\n"
        "data:{\"content\":\"a@x.io\"}\n\n", 2);
}


/*
 * An event read whole in one input takes its data line from the framing
 * (azoai_sse_line_seen()), one fed in pieces is parsed again from its
 * bytes (azoai_sse_data()): test_expect_all_splits() feeds both ways, and
 * every kind of line around a data line must give the same event
 */

static void
test_sse_framed_lines(void **state)
{
    azoai_alloc_t    a;
    azoai_pseudo_t  *p;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    test_expect_all_splits(p, 0,
        "event: delta\nid: 7\n" TEST_CHUNK(0, "[EMAIL_1]")
        "retry: 5\n: note\n" TEST_CHUNK(0, "[PHONE_1]")
        "data\n" TEST_CHUNK(0, "[EMAIL_2]")
        "datum: {\"content\":\"[EMAIL_1]\"}\n\n"
        "data:\ndata:{\"content\":\"[EMAIL_1]\"}\n\n"
        "data:\n\n"
        "data: {\"content\":\"[EMAIL_1]\"}\nevent: after\n\n"
        " data: {\"content\":\"[EMAIL_1]\"}\n\n"
        "data: [DONE]\r\n\r\n",
        "event: delta\nid: 7\n" TEST_CHUNK(0, "a@x.io")
        "retry: 5\n: note\n" TEST_CHUNK(0, "+1 555 0100")
        "data\n" TEST_CHUNK(0, "b\\\"q\\\\z@x.io")
        "datum: {\"content\":\"[EMAIL_1]\"}\n\n"
        "data:\ndata:{\"content\":\"[EMAIL_1]\"}\n\n"
        "data:\n\n"
        "data: {\"content\":\"a@x.io\"}\nevent: after\n\n"
        " data: {\"content\":\"[EMAIL_1]\"}\n\n"
        "data: [DONE]\r\n\r\n", 4);
}


/* an event longer than the bound passes as it comes, nothing lost */

static void
test_sse_long_event(void **state)
{
    size_t              len, k;
    char               *in;
    azoai_alloc_t       a;
    azoai_pseudo_t     *p;
    static test_out_t   out;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    len = AZOAI_SSE_EVENT_MAX * 2;
    in = malloc(len + 128);
    assert_non_null(in);

    strcpy(in, "data: {\"content\":\"");
    k = strlen(in);
    memset(in + k, 'x', len - k);
    strcpy(in + len, "\"}\n\n" TEST_CHUNK(0, "[EMAIL_1]"));

    test_run(p, 0, in, 4096, &out);
    assert_int_equal(out.len, strlen(in) - 9 + 6);
    assert_memory_equal(out.data, in, len + 4);

    free(in);
}



/* e-mails masked, phones (pseudonym) as "[PHONE]" */

static azoai_pii_engine_t *
test_mask_engine(void)
{
    char                 err[128];
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    assert_non_null(e);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_EMAIL,
                                             AZOAI_PII_ACTION_MASK),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_PHONE,
                                             AZOAI_PII_ACTION_PSEUDONYM),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    return e;
}


/*
 * azoai_pii_response: text fields masked, a restored value not masked
 * again, other members untouched, at every split of the response
 */

static void
test_json_mask(void **state)
{
    azoai_alloc_t        a;
    azoai_pseudo_t      *p;
    azoai_pii_engine_t  *e;

    a = test_arena_allocator(*state);
    p = test_map(&a);
    e = test_mask_engine();
    test_engine = e;

    test_expect_all_splits(p, 1,
        "{\"id\":\"z@y.org\",\"choices\":[{\"message\":{\"content\":"
        "\"Mail z@y.org, [EMAIL_1] or call +1 415 555 0199.\","
        "\"tool_calls\":[{\"function\":{\"arguments\":"
        "\"{\\\"to\\\":\\\"q@r.net\\\"}\"}}]}}]}",
        "{\"id\":\"z@y.org\",\"choices\":[{\"message\":{\"content\":"
        "\"Mail [EMAIL], a@x.io or call [PHONE].\","
        "\"tool_calls\":[{\"function\":{\"arguments\":"
        "\"{\\\"to\\\":\\\"[EMAIL]\\\"}\"}}]}}]}", 1);
    assert_int_equal(test_masked, 3);

    /*
     * tokens in several pieces between matches, brackets that are none,
     * one piece ending in '[': the text is searched for '[' once, piece
     * by piece (azoai_sse_bracket())
     */
    test_expect_all_splits(p, 1,
        "{\"output_text\":\"[x] z@y.org [EMAIL_1][PHONE_1] q@r.net "
        "[EMAIL_2] [ [EMAIL_9] w@v.org[\"}",
        "{\"output_text\":\"[x] [EMAIL] a@x.io+1 555 0100 [EMAIL] "
        "b\\\"q\\\\z@x.io [ [EMAIL_9] [EMAIL][\"}", 3);
    assert_int_equal(test_masked, 3);

    /* without pseudonyms to restore */
    test_expect_all_splits(NULL, 1,
        "{\"output_text\":\"x z@y.org\"}",
        "{\"output_text\":\"x [EMAIL]\"}", 0);
    assert_int_equal(test_masked, 1);

    /*
     * a stream: values split across events are masked, a split token
     * restored and not masked again; only what may still grow is held
     */
    test_expect_all_splits(p, 0,
        TEST_EV("Mail z@") TEST_EV("y.org") TEST_EV(" or [EMA")
        TEST_EV("IL_1] call +1 415") TEST_EV(" 555 0199") TEST_EV(" now.")
        TEST_END,
        TEST_EV("Mail ") TEST_EV("") TEST_EV("[EMAIL] or ")
        TEST_EV("a@x.io call ") TEST_EV("") TEST_EV("[PHONE] ")
        TEST_EV("now.") TEST_END, 1);
    assert_int_equal(test_masked, 2);

    test_engine = NULL;
    azoai_pii_engine_free(e);
}


/*
 * A stream whose first text is empty (Azure's first chunk carries the
 * role and "content": ""), masked; a blank line of CRs ends an event
 * however the bytes arrive (both found by fuzz_restore)
 */

static void
test_sse_mask_empty_first(void **state)
{
    azoai_pii_engine_t  *e;

    e = test_mask_engine();
    test_engine = e;

    test_expect_all_splits(NULL, 0,
        TEST_EV("") TEST_EV("Mail z@y.org now.") TEST_END,
        TEST_EV("") TEST_EV("Mail [EMAIL] ") TEST_EV("now.") TEST_END, 0);

    test_engine = NULL;
    azoai_pii_engine_free(e);

    test_expect_all_splits(NULL, 0, ": a\n\r\r\n: b\n\n",
                           ": a\n\r\r\n: b\n\n", 0);
}


/* a JSON response that cannot be scanned does not pass: fail closed */

static void
test_json_mask_unscannable(void **state)
{
    test_out_t           out;
    azoai_sse_t          s;
    azoai_alloc_t        a;
    azoai_resp_mask_t    m;
    azoai_pii_engine_t  *e;

    static const char  bad[] = "{\"content\":\"z@y.org\"";

    a = test_arena_allocator(*state);
    e = test_mask_engine();
    test_engine = e;

    test_start(&s, &m, NULL, &a, 1, &out);
    assert_int_equal(azoai_sse_feed(&s, (u_char *) bad, sizeof(bad) - 1),
                     AZOAI_OK);
    assert_int_equal(azoai_sse_finish(&s), AZOAI_DECLINED);
    assert_int_equal(out.len, 0);

    /* longer than AZOAI_SSE_JSON_MAX */
    test_start(&s, &m, NULL, &a, 1, &out);
    s.len = AZOAI_SSE_JSON_MAX;
    assert_int_equal(azoai_sse_feed(&s, (u_char *) bad, 1), AZOAI_DECLINED);
    assert_int_equal(out.len, 0);

    /* events that cannot be read: several data lines, not JSON */
    test_start(&s, &m, NULL, &a, 0, &out);
    assert_int_equal(azoai_sse_feed(&s, (u_char *) ": ping\n\n", 8),
                     AZOAI_OK);
    assert_int_equal(azoai_sse_feed(&s, (u_char *) "data: x\ndata: y\n\n",
                                    18),
                     AZOAI_DECLINED);
    test_start(&s, &m, NULL, &a, 0, &out);
    assert_int_equal(azoai_sse_feed(&s, (u_char *) "data: {x\n\n", 11),
                     AZOAI_DECLINED);
    assert_int_equal(out.len, 0);

    test_engine = NULL;
    azoai_pii_engine_free(e);
}


/* a text of nothing but number groups: held back within the bound */

static void
test_sse_mask_bound(void **state)
{
    size_t               i;
    char                *in, *p;
    azoai_pii_engine_t  *e;
    static test_out_t    out;

    e = test_mask_engine();
    test_engine = e;

    in = malloc(64 * 1024);
    assert_non_null(in);
    p = in;

    for (i = 0; i < 200; i++) {
        p += sprintf(p, TEST_EV("1 2 3 4 5 "));
    }

    strcpy(p, TEST_END);

    test_run(NULL, 0, in, 7, &out);
    out.data[out.len] = '\0';

    /* every digit arrives, none lost, none invented */
    for (i = 0, p = (char *) out.data; *p; p++) {
        i += (*p >= '1' && *p <= '5');
    }

    assert_int_equal(i, 1000);

    test_engine = NULL;
    free(in);
    azoai_pii_engine_free(e);
}

static void
test_trace(void *data, unsigned outcome, size_t len)
{
    assert_true(len > 0);
    assert_true(test_noutcomes < sizeof(test_outcomes));
    test_outcomes[test_noutcomes++] = (u_char) outcome;
}


/*
 * each event's outcome reaches the trace: rewritten, passed (a comment,
 * invalid JSON), too long, the end; events that pass unread are counted
 */

static void
test_sse_trace(void **state)
{
    size_t              len, k;
    char               *in;
    azoai_sse_t         s;
    azoai_alloc_t       a;
    azoai_pseudo_t     *p;
    azoai_resp_mask_t   m;
    static test_out_t   out;

    static const u_char  want[] = {
        AZOAI_SSE_PASSED, AZOAI_SSE_REWRITTEN, AZOAI_SSE_PASSED,
        AZOAI_SSE_LONG, AZOAI_SSE_REWRITTEN, AZOAI_SSE_DONE
    };

    a = test_arena_allocator(*state);
    p = test_map(&a);

    len = AZOAI_SSE_EVENT_MAX * 2;
    in = malloc(len + 512);
    assert_non_null(in);

    strcpy(in, ": ping\n\n" TEST_EV("[EMAIL_1]") "data: {[EMAIL_1]\n\n"
               "data: {\"content\":\"");
    k = strlen(in);
    memset(in + k, 'x', len - k);
    strcpy(in + len, "\"}\n\n" TEST_EV("[PHONE_1]") "data: [DONE]\n\n");

    test_noutcomes = 0;
    test_start(&s, &m, p, &a, 0, &out);
    s.trace = test_trace;

    for (k = 0; k < strlen(in); k += 1000) {
        assert_int_equal(azoai_sse_feed(&s, (u_char *) in + k,
                                        strlen(in) - k < 1000
                                        ? strlen(in) - k : 1000),
                         AZOAI_OK);
    }

    assert_int_equal(azoai_sse_finish(&s), AZOAI_OK);
    assert_int_equal(test_noutcomes, sizeof(want));
    assert_memory_equal(test_outcomes, want, sizeof(want));
    assert_int_equal(s.events, sizeof(want));
    assert_int_equal(s.passed, 2);
    assert_int_equal(s.restored, 2);

    /* with masking, an event that cannot be read is refused */

    test_noutcomes = 0;
    test_engine = test_mask_engine();
    test_start(&s, &m, p, &a, 0, &out);
    s.trace = test_trace;
    assert_int_equal(azoai_sse_feed(&s, (u_char *) "data: {x\n\n", 10),
                     AZOAI_DECLINED);
    assert_int_equal(test_noutcomes, 1);
    assert_int_equal(test_outcomes[0], AZOAI_SSE_REFUSED);

    azoai_pii_engine_free((azoai_pii_engine_t *) test_engine);
    test_engine = NULL;
    free(in);
}


/* values masked in a response are counted by type */

static void
test_mask_counts(void **state)
{
    azoai_alloc_t        a;
    azoai_pii_engine_t  *e;
    azoai_resp_mask_t    m;

    static const char  text[] = "z@y.org, q@r.net or +1 415 555 0199";

    a = test_arena_allocator(*state);
    e = test_mask_engine();

    azoai_resp_mask_init(&m, e, &a);
    assert_int_equal(azoai_resp_mask_string(&m, (u_char *) text,
                                            sizeof(text) - 1,
                                            AZOAI_RESP_MASK_ANY),
                     AZOAI_OK);
    assert_int_equal(m.masked, 3);
    assert_int_equal(m.counts[AZOAI_PII_EMAIL], 2);
    assert_int_equal(m.counts[AZOAI_PII_PHONE], 1);
    assert_string_equal(azoai_pii_type_name(e, AZOAI_PII_EMAIL), "email");

    azoai_pii_engine_free(e);
}


/*
 * The end of a stream inside an event: its text is final (restored and
 * masked whole, nothing held); a tail another choice still holds becomes
 * an event after a blank line.  A token repeated past the masking hold
 * bound is never cut.  A refused event lets the held tails out first.
 */

static void
test_sse_hostile_end(void **state)
{
    size_t               i;
    char                *in;
    azoai_sse_t          s;
    azoai_alloc_t        a;
    azoai_pseudo_t      *p;
    azoai_resp_mask_t    m;
    static test_out_t    out;

    static const char  tokens[] =
        "[EMAIL_1][EMAIL_1][EMAIL_1][EMAIL_1][EMAIL_1][EMAIL_1]"
        "[EMAIL_1][EMAIL_1][EMAIL_1][EMAIL_1][EMAIL_1][EMAIL_1]";

    a = test_arena_allocator(*state);
    p = test_map(&a);

    test_expect_all_splits(p, 0,
        TEST_CHUNK(1, "x [EMA") TEST_EV("A [PHONE_1]")
        "data: {\"choices\":[{\"delta\":{\"content\":\" [EMAIL_1]\"},"
        "\"index\":0}]}",
        TEST_CHUNK(1, "x ") TEST_EV("A +1 555 0100")
        "data: {\"choices\":[{\"delta\":{\"content\":\" a@x.io\"},"
        "\"index\":0}]}\n\n" TEST_CHUNK(1, "[EMA"), 2);

    test_engine = test_mask_engine();

    test_expect_all_splits(p, 0,
        TEST_EV("A [EMAIL_1]")
        "data: {\"choices\":[{\"delta\":{\"content\":\" z@y.org "
        "[PHONE_1]\"},\"index\":0}]}\n",
        TEST_EV("A ")
        "data: {\"choices\":[{\"delta\":{\"content\":\"a@x.io [EMAIL] "
        "+1 555 0100\"},\"index\":0}]}\n", 2);

    /* 400 tokens in pieces of 97 bytes, no space: the bound cuts them */

    in = malloc(400 * 9 / 97 * 80 + 4096);
    assert_non_null(in);
    in[0] = '\0';

    for (i = 0; i < 400 * 9; i += 97) {
        sprintf(in + strlen(in), "data: {\"choices\":[{\"delta\":"
                "{\"content\":\"%.*s\"},\"index\":0}]}\n\n",
                (int) (400 * 9 - i < 97 ? 400 * 9 - i : 97), tokens + i % 9);
    }

    assert_int_equal(test_run(p, 0, in, 0, &out), 400);
    assert_int_equal(test_run(p, 0, in, 7, &out), 400);
    free(in);

    /* refused at an event that is not JSON: the held "[EMAIL_1]" first */

    test_start(&s, &m, p, &a, 0, &out);
    assert_int_equal(azoai_sse_feed(&s, (u_char *) TEST_EV("Hi [EMAIL_1]"),
                                    sizeof(TEST_EV("Hi [EMAIL_1]")) - 1),
                     AZOAI_OK);
    assert_int_equal(azoai_sse_feed(&s, (u_char *) "data: {x\n\n", 10),
                     AZOAI_DECLINED);
    out.data[out.len] = '\0';
    assert_string_equal((char *) out.data,
                        TEST_EV("Hi ") TEST_EV("a@x.io"));

    azoai_pii_engine_free((azoai_pii_engine_t *) test_engine);
    test_engine = NULL;
}


/*
 * Events passed unchanged, fed in one input, go out in one write, and
 * around a restored one in one write before and one after it (its
 * restored value is written on its own): the same bytes as fed byte by
 * byte, where each event is gathered and written by itself
 */

static void
test_sse_one_write(void **state)
{
    size_t             len;
    azoai_sse_t        s;
    azoai_alloc_t      a;
    azoai_pseudo_t    *p;
    azoai_resp_mask_t  m;

    static test_out_t  out, ref;

    static const char  passed[] =
        TEST_CHUNK(0, "Hello") ": keep-alive\n\n" TEST_CHUNK(0, "a [link]")
        "event: x\r\ndata: {\"choices\":[]}\r\n\r\n" TEST_CHUNK(0, "you");

    static const char  mixed[] =
        TEST_CHUNK(0, "Hi") TEST_CHUNK(0, "mail [EMAIL_1] now")
        TEST_CHUNK(0, "bye") TEST_FINISH(0) "data: [DONE]\n\n";

    a = test_arena_allocator(*state);
    p = test_map(&a);

    len = sizeof(passed) - 1;
    test_start(&s, &m, p, &a, 0, &out);
    test_writes = 0;
    assert_int_equal(azoai_sse_feed(&s, (u_char *) passed, len), AZOAI_OK);
    assert_int_equal(test_writes, 1);
    assert_int_equal(azoai_sse_finish(&s), AZOAI_OK);
    assert_int_equal(test_writes, 1);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, passed, len);

    test_run(p, 0, passed, 1, &ref);
    assert_int_equal(ref.len, out.len);
    assert_memory_equal(ref.data, out.data, out.len);

    /* the input's bytes, the value, the input's bytes */

    test_start(&s, &m, p, &a, 0, &out);
    test_writes = 0;
    assert_int_equal(azoai_sse_feed(&s, (u_char *) mixed, sizeof(mixed) - 1),
                     AZOAI_OK);
    assert_int_equal(azoai_sse_finish(&s), AZOAI_OK);
    assert_int_equal(test_writes, 3);
    assert_int_equal(s.restored, 1);

    assert_int_equal(test_run(p, 0, mixed, 1, &ref), 1);
    assert_int_equal(ref.len, out.len);
    assert_memory_equal(ref.data, out.data, out.len);
    out.data[out.len] = '\0';
    assert_string_equal((char *) out.data,
                        TEST_CHUNK(0, "Hi") TEST_CHUNK(0, "mail a@x.io now")
                        TEST_CHUNK(0, "bye") TEST_FINISH(0)
                        "data: [DONE]\n\n");
}


/*
 * A rendering is searched for a token like any piece (azoai_sse_masked(),
 * which takes a rendering's leading '[' as its first without memchr): a
 * pattern named "email_1" renders "[EMAIL_1]", which the map restores;
 * "[TICKET]" has no "_n" and stays.  (nginx -t refuses such a name: the
 * core is given one here as the one way a rendering can hold a token.)
 */

static void
test_mask_token_rendering(void **state)
{
    char                 err[128];
    azoai_alloc_t        a;
    azoai_pseudo_t      *p;
    azoai_pii_engine_t  *e;

    a = test_arena_allocator(*state);
    p = test_map(&a);

    e = azoai_pii_engine_create();
    assert_non_null(e);
    assert_true(azoai_pii_engine_add_pattern(e, "email_1",
                    (u_char *) "E#[0-9]+", 8, AZOAI_PII_ACTION_MASK, err,
                    sizeof(err)) >= 0);
    assert_true(azoai_pii_engine_add_pattern(e, "ticket",
                    (u_char *) "T#[0-9]+", 8, AZOAI_PII_ACTION_MASK, err,
                    sizeof(err)) >= 0);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);
    test_engine = e;

    test_expect_all_splits(p, 1,
        "{\"output_text\":\"x E#42 T#7 y\"}",
        "{\"output_text\":\"x a@x.io [TICKET] y\"}", 1);
    assert_int_equal(test_masked, 2);

    test_engine = NULL;
    azoai_pii_engine_free(e);
}


int
main(void)
{
    static test_arena_t  arena;

    const struct CMUnitTest  tests[] = {
        test_with_arena(test_mint, &arena),
        test_with_arena(test_pseudonym_action, &arena),
        test_with_arena(test_json_restore, &arena),
        test_with_arena(test_json_escapes, &arena),
        test_with_arena(test_not_minted, &arena),
        test_with_arena(test_sse_split_token, &arena),
        test_with_arena(test_sse_interleaved, &arena),
        test_with_arena(test_sse_tail_released, &arena),
        test_with_arena(test_sse_responses_api, &arena),
        test_with_arena(test_sse_framing_kept, &arena),
        test_with_arena(test_sse_long_event, &arena),
        test_with_arena(test_json_mask, &arena),
        test_with_arena(test_json_mask_unscannable, &arena),
        cmocka_unit_test(test_sse_mask_bound),
        cmocka_unit_test(test_sse_mask_empty_first),
        test_with_arena(test_sse_trace, &arena),
        test_with_arena(test_mask_counts, &arena),
        test_with_arena(test_sse_hostile_end, &arena),
        test_with_arena(test_by_reference, &arena),
        test_with_arena(test_sse_cr_framing, &arena),
        test_with_arena(test_sse_cr_masked, &arena),
        test_with_arena(test_sse_framed_lines, &arena),
        test_with_arena(test_sse_one_write, &arena),
        test_with_arena(test_mask_token_rendering, &arena),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
