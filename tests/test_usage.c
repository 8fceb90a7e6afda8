/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of token usage extraction (azoai_usage.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "azoai_json.h"
#include "azoai_usage.h"


typedef struct {
    const char      *name;
    const char      *text;
    unsigned         sse;
    unsigned         found;
    int64_t          prompt;
    int64_t          completion;
    int64_t          total;
} test_usage_case_t;


static void test_usage_run(azoai_usage_t *u, const u_char *p, size_t len,
    unsigned sse, size_t chunk);
static void test_usage_expect(const azoai_usage_t *u,
    const test_usage_case_t *c);
static void test_usage_same(const azoai_usage_t *a, const azoai_usage_t *b);
static size_t test_usage_crlf(const char *in, u_char *out, size_t size,
    const char *eol);
static uint32_t test_usage_rand(uint32_t *state);
static void test_json_responses(void **state);
static void test_nested_details(void **state);
static void test_usage_in_strings(void **state);
static void test_bad_numbers(void **state);
static void test_sse_streams(void **state);
static void test_every_split(void **state);
static void test_random_splits(void **state);
static void test_line_endings(void **state);
static void test_last_usage_wins(void **state);
static void test_truncated(void **state);
static void test_finish(void **state);
static void test_garbage(void **state);
static void test_size(void **state);
static int test_usage_visitor(void *data, const azoai_json_value_t *v);
static void test_walk_same(void **state);
static void test_key_every_offset(void **state);


#define TEST_CHAT_JSON                                                        \
    "{\"choices\":[{\"content_filter_results\":{\"hate\":{\"filtered\":"      \
    "false,\"severity\":\"safe\"}},\"finish_reason\":\"stop\",\"index\":0,"   \
    "\"message\":{\"content\":\"Caf\xc3\xa9 \xf0\x9f\x98\x80 \\\"ok\\\" "     \
    "{[\",\"role\":\"assistant\"}}],\"created\":1727200000,\"id\":"          \
    "\"chatcmpl-A1\",\"model\":\"gpt-4o-2024-11-20\",\"object\":"             \
    "\"chat.completion\",\"prompt_filter_results\":[{\"prompt_index\":0,"     \
    "\"content_filter_results\":{}}],\"system_fingerprint\":\"fp_1\","        \
    "\"usage\":{\"completion_tokens\":7,\"completion_tokens_details\":"       \
    "{\"accepted_prediction_tokens\":0,\"audio_tokens\":0,"                   \
    "\"reasoning_tokens\":0,\"rejected_prediction_tokens\":0},"               \
    "\"prompt_tokens\":13,\"prompt_tokens_details\":{\"audio_tokens\":0,"     \
    "\"cached_tokens\":0},\"total_tokens\":20}}\n"

#define TEST_CHAT_SSE                                                         \
    "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\","         \
    "\"object\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,"         \
    "\"content_filter_results\":{\"hate\":{\"filtered\":false,"               \
    "\"severity\":\"safe\"}}}]}\n"                                            \
    "\n"                                                                      \
    "data: {\"choices\":[{\"delta\":{\"content\":\"\",\"role\":"              \
    "\"assistant\"},\"finish_reason\":null,\"index\":0}],\"created\":"        \
    "1727200000,\"id\":\"chatcmpl-A1\",\"model\":\"gpt-4o\",\"object\":"      \
    "\"chat.completion.chunk\",\"usage\":null}\n"                             \
    "\n"                                                                      \
    ": keep-alive comment with \"usage\":{\"prompt_tokens\":1}\n"             \
    "\n"                                                                      \
    "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"usage\\\":{"           \
    "\\\"prompt_tokens\\\":99} Gr\xc3\xbc\xc3\x9f\xe2\x82\xac\"},"            \
    "\"finish_reason\":null,\"index\":0}],\"id\":\"chatcmpl-A1\","            \
    "\"usage\":null}\n"                                                       \
    "\n"                                                                      \
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\","           \
    "\"index\":0}],\"id\":\"chatcmpl-A1\",\"usage\":null}\n"                  \
    "\n"                                                                      \
    "data: {\"choices\":[],\"created\":1727200000,\"id\":\"chatcmpl-A1\","    \
    "\"model\":\"gpt-4o\",\"object\":\"chat.completion.chunk\",\"usage\":"    \
    "{\"completion_tokens\":42,\"completion_tokens_details\":"                \
    "{\"reasoning_tokens\":0},\"prompt_tokens\":1234,"                        \
    "\"prompt_tokens_details\":{\"cached_tokens\":1024},"                     \
    "\"total_tokens\":1276}}\n"                                               \
    "\n"                                                                      \
    "data: [DONE]\n"                                                          \
    "\n"

#define TEST_RESPONSES_SSE                                                    \
    "event: response.created\n"                                               \
    "data: {\"type\":\"response.created\",\"sequence_number\":0,"             \
    "\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":"     \
    "\"in_progress\",\"output\":[],\"usage\":null}}\n"                        \
    "\n"                                                                      \
    "event: response.output_text.delta\n"                                     \
    "data: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\","   \
    "\"output_index\":0,\"content_index\":0,\"delta\":\"usage\"}\n"           \
    "\n"                                                                      \
    "event: response.completed\n"                                             \
    "data: {\"type\":\"response.completed\",\"sequence_number\":9,"           \
    "\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":"     \
    "\"completed\",\"output\":[{\"type\":\"message\",\"content\":[{\"type\":" \
    "\"output_text\",\"text\":\"usage\",\"annotations\":[]}]}],"              \
    "\"metadata\":{\"usage\":{\"input_tokens\":5}},"                          \
    "\"usage\":{\"input_tokens\":36,\"input_tokens_details\":"                \
    "{\"cached_tokens\":0},\"output_tokens\":87,\"output_tokens_details\":"   \
    "{\"reasoning_tokens\":64},\"total_tokens\":123}}}\n"                     \
    "\n"


static const test_usage_case_t  test_cases[] = {

    { "chat completion", TEST_CHAT_JSON, 0, 1, 13, 7, 20 },

    { "embeddings",
      "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
      "\"embedding\":[-0.0069,0.0013,-1.5e-05]}],\"model\":"
      "\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":8,"
      "\"total_tokens\":8}}",
      0, 1, 8, -1, 8 },

    { "responses",
      "  {\"id\":\"resp_1\",\"object\":\"response\",\"output\":[{\"type\":"
      "\"message\",\"content\":[{\"type\":\"output_text\",\"text\":"
      "\"{\\\"usage\\\":{\\\"input_tokens\\\":1}}\"}]}],\"usage\":"
      "{\"input_tokens\":328,\"input_tokens_details\":{\"cached_tokens\":0},"
      "\"output_tokens\":52,\"output_tokens_details\":"
      "{\"reasoning_tokens\":0},\"total_tokens\":380},\"user\":null} ",
      0, 1, 328, 52, 380 },

    { "whitespace everywhere",
      "\r\n{ \"usage\" :\t{\n \"prompt_tokens\" : 3 ,\r\n"
      " \"completion_tokens\":4\t, \"total_tokens\" :7 } }",
      0, 1, 3, 4, 7 },

    { "escaped backslash before a closing quote",
      "{\"a\":\"x\\\\\",\"b\":[\"\\\\\",\"\\\\\\\\\\\\\\\\\"],"
      "\"usage\":{\"prompt_tokens\":5}}",
      0, 1, 5, -1, -1 },

    { "chat stream", TEST_CHAT_SSE, 1, 1, 1234, 42, 1276 },

    { "responses stream", TEST_RESPONSES_SSE, 1, 1, 36, 87, 123 },

    { "chat stream without usage",
      "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"},\"index\":0}],"
      "\"usage\":null}\n\ndata: [DONE]\n\n",
      1, 0, -1, -1, -1 },

    { "sse body read as JSON", TEST_CHAT_SSE, 0, 0, -1, -1, -1 },

    { "JSON body read as sse", TEST_CHAT_JSON, 1, 0, -1, -1, -1 },

    { "data without space, unterminated last line",
      "data:{\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}",
      1, 1, 2, -1, 2 },

    { "other fields ignored",
      "id: {\"usage\":{\"prompt_tokens\":2}}\n"
      "event: {\"usage\":{\"prompt_tokens\":2}}\n"
      "dat: {\"usage\":{\"prompt_tokens\":2}}\n"
      "datA: {\"usage\":{\"prompt_tokens\":2}}\n"
      " data: {\"usage\":{\"prompt_tokens\":2}}\n\n",
      1, 0, -1, -1, -1 },

    { "usage of an error body", "{\"error\":{\"code\":\"429\",\"message\":"
      "\"Requests to the ChatCompletions_Create Operation have exceeded "
      "call rate limit.\"}}", 0, 0, -1, -1, -1 },

    { "empty", "", 0, 0, -1, -1, -1 },
    { "empty stream", "", 1, 0, -1, -1, -1 },
};


static void
test_usage_run(azoai_usage_t *u, const u_char *p, size_t len, unsigned sse,
    size_t chunk)
{
    size_t  n;

    azoai_usage_init(u, sse);

    while (len) {
        n = len < chunk ? len : chunk;
        azoai_usage_feed(u, p, n);
        p += n;
        len -= n;
    }

    azoai_usage_finish(u);
}


static void
test_usage_expect(const azoai_usage_t *u, const test_usage_case_t *c)
{
    if (u->found != c->found || u->prompt_tokens != c->prompt
        || u->completion_tokens != c->completion
        || u->total_tokens != c->total)
    {
        print_error("case \"%s\": found %u %lld/%lld/%lld, want %u "
                    "%lld/%lld/%lld\n", c->name, u->found,
                    (long long) u->prompt_tokens,
                    (long long) u->completion_tokens,
                    (long long) u->total_tokens, c->found,
                    (long long) c->prompt, (long long) c->completion,
                    (long long) c->total);
        fail();
    }
}


static void
test_usage_same(const azoai_usage_t *a, const azoai_usage_t *b)
{
    assert_int_equal(a->found, b->found);
    assert_true(a->prompt_tokens == b->prompt_tokens);
    assert_true(a->completion_tokens == b->completion_tokens);
    assert_true(a->total_tokens == b->total_tokens);
}


/* copies in with each "\n" replaced by eol */
static size_t
test_usage_crlf(const char *in, u_char *out, size_t size, const char *eol)
{
    size_t  n, eol_len;

    n = 0;
    eol_len = strlen(eol);

    for ( /* void */ ; *in; in++) {
        assert_true(n + eol_len < size);

        if (*in == '\n') {
            memcpy(out + n, eol, eol_len);
            n += eol_len;

        } else {
            out[n++] = (u_char) *in;
        }
    }

    return n;
}


static uint32_t
test_usage_rand(uint32_t *state)
{
    /* xorshift32: reproducible on every libc */
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;

    return *state;
}


static void
test_json_responses(void **state)
{
    size_t          i;
    azoai_usage_t   u;

    for (i = 0; i < sizeof(test_cases) / sizeof(test_cases[0]); i++) {
        test_usage_run(&u, (const u_char *) test_cases[i].text,
                       strlen(test_cases[i].text), test_cases[i].sse,
                       SIZE_MAX);
        test_usage_expect(&u, &test_cases[i]);
    }
}


static void
test_nested_details(void **state)
{
    azoai_usage_t  u;

    static const test_usage_case_t  nested = {
        "nested details", "{\"usage\":{\"prompt_tokens_details\":"
        "{\"prompt_tokens\":900,\"total_tokens\":901,\"x\":[{\"total_tokens\":"
        "902}],\"usage\":{\"prompt_tokens\":903}},\"prompt_tokens\":10,"
        "\"completion_tokens_details\":{\"completion_tokens\":904,"
        "\"reasoning_tokens\":5},\"completion_tokens\":11,\"extra\":"
        "[1,{\"total_tokens\":905}],\"total_tokens\":21,"
        "\"total_tokens_x\":906,\"xtotal_tokens\":907}}",
        0, 1, 10, 11, 21 };

    static const test_usage_case_t  deep = {
        "usage deeper than followed", "{\"choices\":[{\"usage\":"
        "{\"prompt_tokens\":1}}],\"metadata\":{\"usage\":"
        "{\"prompt_tokens\":2}},"
        "\"data\":{\"response\":{\"usage\":{\"prompt_tokens\":3}}},"
        "\"response\":{\"output\":{\"usage\":{\"prompt_tokens\":4}}},"
        "\"response\":{\"stats\":{\"prompt_tokens\":4,\"total_tokens\":4}},"
        "\"response_x\":{\"usage\":{\"prompt_tokens\":5}},"
        "\"usag\\e\":{\"prompt_tokens\":6},"
        "\"usages\":{\"prompt_tokens\":6},\"Usage\":{\"prompt_tokens\":7},"
        "\"usage_with_a_very_long_name_beyond_the_carry\":"
        "{\"prompt_tokens\":8}}",
        0, 0, -1, -1, -1 };

    static const test_usage_case_t  values = {
        "usage fields of other types", "{\"usage\":{\"prompt_tokens\":"
        "\"12\",\"completion_tokens\":null,\"total_tokens\":[3],"
        "\"input_tokens\":true,\"output_tokens\":{\"a\":4}}}",
        0, 0, -1, -1, -1 };

    test_usage_run(&u, (const u_char *) nested.text, strlen(nested.text), 0,
                   SIZE_MAX);
    test_usage_expect(&u, &nested);

    test_usage_run(&u, (const u_char *) deep.text, strlen(deep.text), 0,
                   SIZE_MAX);
    test_usage_expect(&u, &deep);

    test_usage_run(&u, (const u_char *) values.text, strlen(values.text), 0,
                   SIZE_MAX);
    test_usage_expect(&u, &values);
}


static void
test_usage_in_strings(void **state)
{
    size_t         i;
    azoai_usage_t  u;

    static const char  *texts[] = {
        /* a message that talks about usage, with escaped quotes */
        "{\"choices\":[{\"message\":{\"content\":\"\\\"usage\\\":"
        "{\\\"prompt_tokens\\\":5,\\\"total_tokens\\\":5}\"}}]}",

        /* an escaped quote does not end a string at top level ... */
        "{\"a\":\"x\\\",\"usage\":{\"prompt_tokens\":5}}",

        /* ... nor in a skipped container */
        "{\"a\":[\"x\\\"],\"usage\":{\"prompt_tokens\":5}}",

        /* the key "usage" inside a string value of the top object */
        "{\"note\":\"usage\",\"text\":\"{\\\"usage\\\":{\\\"prompt_tokens\\\":"
        "5}}\"}",

        /* usage in a tool call's arguments string */
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":"
        "{\"arguments\":\"{\\\"usage\\\":{\\\"prompt_tokens\\\":5}}\"}}]}}]}",
    };

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        test_usage_run(&u, (const u_char *) texts[i], strlen(texts[i]), 0,
                       SIZE_MAX);
        assert_int_equal(u.found, 0);
        assert_true(u.prompt_tokens == -1);

        test_usage_run(&u, (const u_char *) texts[i], strlen(texts[i]), 0, 1);
        assert_int_equal(u.found, 0);
    }
}


static void
test_bad_numbers(void **state)
{
    size_t         i;
    azoai_usage_t  u;

    static const test_usage_case_t  cases[] = {
        { "negative", "{\"usage\":{\"prompt_tokens\":-5,\"total_tokens\":5}}",
          0, 1, -1, -1, 5 },
        { "int64 max", "{\"usage\":{\"prompt_tokens\":9223372036854775807}}",
          0, 1, INT64_MAX, -1, -1 },
        { "overflow", "{\"usage\":{\"prompt_tokens\":9223372036854775808,"
          "\"completion_tokens\":1}}", 0, 1, -1, 1, -1 },
        { "huge", "{\"usage\":{\"total_tokens\":"
          "123456789012345678901234567890,\"completion_tokens\":2}}",
          0, 1, -1, 2, -1 },
        { "fraction", "{\"usage\":{\"prompt_tokens\":1.5,"
          "\"completion_tokens\":2.0,\"total_tokens\":3}}", 0, 1, -1, -1, 3 },
        { "exponent", "{\"usage\":{\"prompt_tokens\":1e3,"
          "\"completion_tokens\":4E0,\"total_tokens\":5}}", 0, 1, -1, -1, 5 },
        { "letters", "{\"usage\":{\"prompt_tokens\":12ab,"
          "\"total_tokens\":6}}", 0, 1, -1, -1, 6 },
        { "zero", "{\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,"
          "\"total_tokens\":0}}", 0, 1, 0, 0, 0 },
        { "nothing usable", "{\"usage\":{\"prompt_tokens\":-1}}",
          0, 0, -1, -1, -1 },
        { "empty usage", "{\"usage\":{}}", 0, 0, -1, -1, -1 },
        { "duplicate member", "{\"usage\":{\"prompt_tokens\":1,"
          "\"prompt_tokens\":2}}", 0, 1, 2, -1, -1 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        test_usage_run(&u, (const u_char *) cases[i].text,
                       strlen(cases[i].text), 0, SIZE_MAX);
        test_usage_expect(&u, &cases[i]);

        test_usage_run(&u, (const u_char *) cases[i].text,
                       strlen(cases[i].text), 0, 1);
        test_usage_expect(&u, &cases[i]);
    }
}


static void
test_sse_streams(void **state)
{
    azoai_usage_t  u;
    const char    *s;

    /* an event carries usage only once its object closes */
    s = "data: {\"usage\":{\"prompt_tokens\":7,\"total_tokens\":9}";

    azoai_usage_init(&u, 1);
    azoai_usage_feed(&u, (const u_char *) s, strlen(s) - 1);
    assert_int_equal(u.found, 0);
    azoai_usage_feed(&u, (const u_char *) s + strlen(s) - 1, 1);
    assert_int_equal(u.found, 1);
    assert_true(u.prompt_tokens == 7);
    assert_true(u.total_tokens == 9);

    /* a data line cut short does not leak into the next one */
    s = "data: {\"usage\":{\"prompt_tokens\":7\n"
        "data: ,\"total_tokens\":9}}\n\n"
        "data: \"usage\":{\"prompt_tokens\":7}}\n\n";

    test_usage_run(&u, (const u_char *) s, strlen(s), 1, SIZE_MAX);
    assert_int_equal(u.found, 0);

    /* the stream's usage survives a later garbage line */
    s = "data: {\"usage\":{\"prompt_tokens\":7}}\n\ndata: {\"usage\":{\n\n"
        "data: \x01\x02{{{\n\ndata: [DONE]\n\n";

    test_usage_run(&u, (const u_char *) s, strlen(s), 1, SIZE_MAX);
    assert_int_equal(u.found, 1);
    assert_true(u.prompt_tokens == 7);
    assert_true(u.completion_tokens == -1);
}


static void
test_every_split(void **state)
{
    size_t                    i, at, len;
    const u_char             *p;
    azoai_usage_t             whole, split;
    const test_usage_case_t  *c;

    for (i = 0; i < sizeof(test_cases) / sizeof(test_cases[0]); i++) {
        c = &test_cases[i];
        p = (const u_char *) c->text;
        len = strlen(c->text);

        test_usage_run(&whole, p, len, c->sse, SIZE_MAX);
        test_usage_expect(&whole, c);

        for (at = 1; at < len; at++) {
            azoai_usage_init(&split, c->sse);
            azoai_usage_feed(&split, p, at);
            azoai_usage_feed(&split, p + at, 0);
            azoai_usage_feed(&split, p + at, len - at);
            azoai_usage_finish(&split);

            test_usage_expect(&split, c);
        }

        for (at = 1; at <= len; at++) {
            test_usage_run(&split, p, len, c->sse, at);
            test_usage_expect(&split, c);
        }
    }
}


static void
test_random_splits(void **state)
{
    size_t                    i, n, off, len, round;
    uint32_t                  seed;
    const u_char             *p;
    azoai_usage_t             u;
    const test_usage_case_t  *c;

    seed = 2463534242u;

    for (i = 0; i < sizeof(test_cases) / sizeof(test_cases[0]); i++) {
        c = &test_cases[i];
        p = (const u_char *) c->text;
        len = strlen(c->text);

        for (round = 0; round < 200; round++) {
            azoai_usage_init(&u, c->sse);

            for (off = 0; off < len; off += n) {
                n = 1 + test_usage_rand(&seed) % 17;
                n = n < len - off ? n : len - off;
                azoai_usage_feed(&u, p + off, n);
            }

            azoai_usage_finish(&u);
            test_usage_expect(&u, c);
        }
    }
}


static void
test_line_endings(void **state)
{
    size_t         len, at, i;
    u_char         buf[4096];
    const char    *s;
    azoai_usage_t  u, whole;

    static const char  *eols[] = { "\r\n", "\r", "\n" };

    static const test_usage_case_t  chat = {
        "chat stream", TEST_CHAT_SSE, 1, 1, 1234, 42, 1276 };
    static const test_usage_case_t  responses = {
        "responses stream", TEST_RESPONSES_SSE, 1, 1, 36, 87, 123 };

    for (i = 0; i < sizeof(eols) / sizeof(eols[0]); i++) {
        len = test_usage_crlf(TEST_CHAT_SSE, buf, sizeof(buf), eols[i]);

        test_usage_run(&whole, buf, len, 1, SIZE_MAX);
        test_usage_expect(&whole, &chat);

        for (at = 1; at <= len; at++) {
            test_usage_run(&u, buf, len, 1, at);
            test_usage_same(&u, &whole);
        }

        len = test_usage_crlf(TEST_RESPONSES_SSE, buf, sizeof(buf), eols[i]);

        for (at = 1; at <= len; at++) {
            test_usage_run(&u, buf, len, 1, at);
            test_usage_expect(&u, &responses);
        }
    }

    /* mixed terminators, split everywhere */
    s = "data: {\"usage\":{\"total_tokens\":1}}\r"
        "data: {\"x\":1}\n"
        "data: {\"x\":2}\r\n"
        "data: {\"x\":3}\n"
        "data: {\"usage\":{\"total_tokens\":2}}\n\r\n\r";

    for (at = 1; at <= strlen(s); at++) {
        test_usage_run(&u, (const u_char *) s, strlen(s), 1, at);
        assert_int_equal(u.found, 1);
        assert_true(u.total_tokens == 2);
    }

    /* a CR at the end of a chunk: the next chunk's LF is swallowed ... */
    for (i = 0; i < 2; i++) {
        azoai_usage_init(&u, 1);

        for (at = 0; at < 2; at++) {
            s = "data: {\"usage\":{\"total_tokens\":3}}\r";
            azoai_usage_feed(&u, (const u_char *) s, strlen(s));

            /* ... but a "d" after a lone CR starts the next line */
            s = i ? "\n" : "\r";
            azoai_usage_feed(&u, (const u_char *) s, 1);
        }

        s = "data: {\"usage\":{\"total_tokens\":4}}\r";
        azoai_usage_feed(&u, (const u_char *) s, strlen(s));
        azoai_usage_finish(&u);

        assert_int_equal(u.found, 1);
        assert_true(u.total_tokens == 4);
    }
}


static void
test_last_usage_wins(void **state)
{
    azoai_usage_t  u;
    const char    *s;

    s = "data: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
        "\"total_tokens\":3}}\n\n"
        "data: {\"usage\":null}\n\n"
        "data: {\"usage\":{\"prompt_tokens\":10,\"total_tokens\":30}}\n\n";

    test_usage_run(&u, (const u_char *) s, strlen(s), 1, SIZE_MAX);
    assert_int_equal(u.found, 1);
    assert_true(u.prompt_tokens == 10);
    assert_true(u.completion_tokens == -1);
    assert_true(u.total_tokens == 30);

    s = "{\"usage\":{\"prompt_tokens\":1},\"usage\":{\"prompt_tokens\":2},"
        "\"response\":{\"usage\":{\"prompt_tokens\":3}}}";

    test_usage_run(&u, (const u_char *) s, strlen(s), 0, SIZE_MAX);
    assert_int_equal(u.found, 1);
    assert_true(u.prompt_tokens == 3);

    /* a JSON body is one document: what follows it is not read */
    s = "{\"usage\":{\"prompt_tokens\":1}} {\"usage\":{\"prompt_tokens\":2}}";

    test_usage_run(&u, (const u_char *) s, strlen(s), 0, SIZE_MAX);
    assert_int_equal(u.found, 1);
    assert_true(u.prompt_tokens == 1);
}


static void
test_truncated(void **state)
{
    size_t         len, cut;
    azoai_usage_t  u;

    len = strlen(TEST_CHAT_JSON);

    /* every prefix that stops before the usage object closes */
    for (cut = 0; cut < len; cut++) {
        test_usage_run(&u, (const u_char *) TEST_CHAT_JSON, cut, 0, SIZE_MAX);

        if (cut < len - 2) {
            assert_int_equal(u.found, 0);
            assert_true(u.prompt_tokens == -1);

        } else {
            assert_int_equal(u.found, 1);
            assert_true(u.total_tokens == 20);
        }
    }
}


static void
test_finish(void **state)
{
    azoai_usage_t  u;
    const char    *s;

    s = "{\"usage\":{\"prompt_tokens\":5}}";

    azoai_usage_init(&u, 0);
    azoai_usage_feed(&u, (const u_char *) s, 10);
    azoai_usage_finish(&u);
    azoai_usage_feed(&u, (const u_char *) s + 10, strlen(s) - 10);
    assert_int_equal(u.found, 0);

    azoai_usage_init(&u, 0);
    azoai_usage_feed(&u, NULL, 0);
    azoai_usage_feed(&u, (const u_char *) s, strlen(s));
    azoai_usage_finish(&u);
    azoai_usage_finish(&u);
    assert_int_equal(u.found, 1);
    assert_true(u.prompt_tokens == 5);
}


static void
test_garbage(void **state)
{
    size_t         i, len, round, chunk;
    u_char         buf[2048];
    uint32_t       seed;
    azoai_usage_t  u, whole;

    static const char  *texts[] = {
        "}}}]]]{{{", "{\"usage\"", "{\"usage\":", "{\"usage\":{\"",
        "{\"usage\":{\"prompt_tokens\"", "{\"usage\":{\"prompt_tokens\":",
        "{\"usage\":{\"prompt_tokens\":5", "{\"usage\":{\"prompt_tokens\":5,",
        "{\"usage\":{\"prompt_tokens\":5,}}", "{\"usage\":{,}}",
        "{\"usage\"{\"prompt_tokens\":5}}", "{\"usage\":{\"prompt_tokens\"5}}",
        "{\"usage\":{\"prompt_tokens\":5]}", "{usage:{prompt_tokens:5}}",
        "{'usage':{'prompt_tokens':5}}", "[{\"usage\":{\"prompt_tokens\":5}}]",
        "\"usage\":{\"prompt_tokens\":5}", "{\"usage\":{\"prompt_tokens\":5:}}",
        "{\"a\":tr\"ue,\"usage\":{\"prompt_tokens\":5}}",
        "{\"a\"::1,\"usage\":{\"prompt_tokens\":5}}",
        "{\"a\":1 2,\"usage\":{\"prompt_tokens\":5}}",
        "{\"usage\":{\"prompt_tokens\":5 6}}", "\\", "\"", "{\"\\",
        "data: \xff\xfe\x00\x01{\"\n\n:\r\r\r\n\n\ndata",
    };

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        for (chunk = 1; chunk <= 3; chunk += 2) {
            test_usage_run(&u, (const u_char *) texts[i], strlen(texts[i]), 0,
                           chunk);
            assert_int_equal(u.found, 0);
            assert_true(u.prompt_tokens == -1);

            test_usage_run(&u, (const u_char *) texts[i], strlen(texts[i]), 1,
                           chunk);
            assert_int_equal(u.found, 0);
        }
    }

    seed = 88172645u;

    for (round = 0; round < 300; round++) {
        len = test_usage_rand(&seed) % sizeof(buf);

        for (i = 0; i < len; i++) {
            /* biased towards the bytes the scanners care about */
            buf[i] = (round & 1) ? "{}[]\":,\\ \r\nd0-e"[test_usage_rand(&seed)
                                                        % 15]
                                 : (u_char) test_usage_rand(&seed);
        }

        test_usage_run(&whole, buf, len, round & 2 ? 1 : 0, SIZE_MAX);
        assert_int_equal(whole.found, 0);

        test_usage_run(&u, buf, len, round & 2 ? 1 : 0, 1);
        test_usage_same(&u, &whole);
    }
}


static void
test_size(void **state)
{
    size_t          calls;
    azoai_alloc_t   a;
    test_arena_t    arena;
    azoai_usage_t  *u;

    /* embedded in every request context: keep it small */
    assert_true(sizeof(azoai_usage_t) <= 128);

    /* as the glue does: one context from the pool, no more allocations */
    memset(&arena, 0, sizeof(test_arena_t));
    a = test_arena_allocator(&arena);

    u = azoai_alloc(&a, sizeof(azoai_usage_t));
    assert_non_null(u);
    memset(u, 0x5a, sizeof(azoai_usage_t));
    calls = arena.calls;

    azoai_usage_init(u, 1);
    assert_int_equal(u->found, 0);
    assert_true(u->prompt_tokens == -1);
    assert_true(u->completion_tokens == -1);
    assert_true(u->total_tokens == -1);

    azoai_usage_feed(u, (const u_char *) TEST_CHAT_SSE,
                     strlen(TEST_CHAT_SSE));
    azoai_usage_finish(u);
    assert_int_equal(u->found, 1);
    assert_true(u->total_tokens == 1276);
    assert_int_equal(arena.calls, calls);

    test_arena_free(&arena);
}


static int
test_usage_visitor(void *data, const azoai_json_value_t *v)
{
    azoai_usage_visit(data, v);

    return 0;
}


/*
 * azoai_usage_visit() over a walk gives what the scanner gives, on every
 * valid JSON body here (the restore filter reads usage that way)
 */

static void
test_walk_same(void **state)
{
    size_t               i, len, valid;
    azoai_usage_t        fed, walked;
    azoai_json_status_t  status;

    static const test_usage_case_t  docs[] = {
        { "two usage objects, the last wins",
          "{\"usage\":{\"prompt_tokens\":1,\"total_tokens\":2},\"x\":1,"
          "\"usage\":{\"completion_tokens\":3}}", 0, 1, -1, 3, -1 },
        { "an empty usage after one: the first stays",
          "{\"usage\":{\"prompt_tokens\":1},\"usage\":{}}",
          0, 1, 1, -1, -1 },
        { "a bad repeat keeps the good value",
          "{\"usage\":{\"prompt_tokens\":4,\"prompt_tokens\":1.5,"
          "\"total_tokens\":-2,\"completion_tokens\":1e3,"
          "\"total_tokens\":6}}", 0, 1, 4, -1, 6 },
        { "int64 limits",
          "{\"usage\":{\"prompt_tokens\":9223372036854775807,"
          "\"total_tokens\":9223372036854775808,\"completion_tokens\":0}}",
          0, 1, INT64_MAX, 0, -1 },
        { "response.usage, the top one after it",
          "{\"response\":{\"usage\":{\"input_tokens\":7,"
          "\"output_tokens\":8}},\"usage\":{\"total_tokens\":9}}",
          0, 1, -1, -1, 9 },
        { "usage not an object",
          "{\"usage\":[{\"prompt_tokens\":1}],\"response\":[{\"usage\":"
          "{\"prompt_tokens\":2}}],\"response\":{\"usage\":5}}",
          0, 0, -1, -1, -1 },
        { "escaped names match nothing",
          "{\"usag\\u0065\":{\"prompt_tokens\":1},\"usage\":"
          "{\"prompt_token\\u0073\":2,\"total_tokens\":3}}",
          0, 1, -1, -1, 3 },
        { "a top-level array", "[{\"usage\":{\"prompt_tokens\":1}}]",
          0, 0, -1, -1, -1 },
        { "usage in usage and in response.response",
          "{\"usage\":{\"usage\":{\"prompt_tokens\":1},"
          "\"total_tokens\":{\"total_tokens\":2}},\"response\":"
          "{\"response\":{\"usage\":{\"prompt_tokens\":3}}}}",
          0, 0, -1, -1, -1 },
    };

    valid = 0;

    for (i = 0; i < sizeof(test_cases) / sizeof(test_cases[0])
                    + sizeof(docs) / sizeof(docs[0]); i++)
    {
        const test_usage_case_t  *c;

        c = (i < sizeof(test_cases) / sizeof(test_cases[0]))
            ? &test_cases[i]
            : &docs[i - sizeof(test_cases) / sizeof(test_cases[0])];
        len = strlen(c->text);

        test_usage_run(&fed, (const u_char *) c->text, len, 0, SIZE_MAX);

        azoai_usage_init(&walked, 0);

        if (azoai_json_walk((const u_char *) c->text, len,
                            test_usage_visitor, &walked, &status)
            != AZOAI_JSON_OK)
        {
            continue;
        }

        valid++;
        test_usage_same(&walked, &fed);

        if (!c->sse) {
            test_usage_expect(&walked, c);
        }
    }

    /*
     * valid JSON: the six JSON cases that are, the JSON body read as a
     * stream, and every doc above
     */
    assert_int_equal(valid, 7 + sizeof(docs) / sizeof(docs[0]));
}


/*
 * "usage" at every offset of a data line and of a stream, after runs of
 * '"u' pairs that are not it: the key search (32 and 16 bytes a step,
 * then byte by byte; unit-nosimd runs the scalar one) finds it wherever
 * a block boundary falls; a line it missed would be passed over unread
 */

static void
test_key_every_offset(void **state)
{
    size_t         off, len, k, n;
    u_char         buf[512];
    azoai_usage_t  u;

    static const char  miss[] = "\\\"u\\\"usag\\\"usagE";

    for (off = 0; off < 140; off++) {
        for (k = 0; k < 2; k++) {
            n = 0;

            /* an event before it in the same input, for the chunk test */
            if (k) {
                memcpy(buf, "data: {\"a\":1}\n\n", 15);
                n = 15;
            }

            len = (size_t) sprintf((char *) buf + n, "data: {\"x\":\"");
            n += len;

            memset(buf + n, 'a', off);

            /* near misses in the filler: "u, "usag, "usage' */
            if (off > 24) {
                memcpy(buf + n + 2, miss, sizeof(miss) - 1);
            }

            n += off;
            n += (size_t) sprintf((char *) buf + n,
                                  "\",\"usage\":{\"prompt_tokens\":%zu}}\n\n",
                                  off + 1);

            test_usage_run(&u, buf, n, 1, SIZE_MAX);
            assert_int_equal(u.found, 1);
            assert_true(u.prompt_tokens == (int64_t) (off + 1));

            test_usage_run(&u, buf, n, 1, 7);
            assert_int_equal(u.found, 1);
            assert_true(u.prompt_tokens == (int64_t) (off + 1));
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_json_responses),
        cmocka_unit_test(test_nested_details),
        cmocka_unit_test(test_usage_in_strings),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_sse_streams),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_random_splits),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_last_usage_wins),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_finish),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_walk_same),
        cmocka_unit_test(test_key_every_offset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
