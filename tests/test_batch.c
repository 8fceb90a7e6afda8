/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * JSONL lines and batch lines: line splitting and numbering, the "body"
 * and "url" members (missing, repeated, of the wrong type), and the url
 * judged as a route.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "azoai_batch.h"


#define S(s)  (const u_char *) (s), strlen(s)


static test_arena_t  arena;
static azoai_alloc_t  alloc = { test_arena_alloc, &arena };


static void
test_jsonl_lines(void **state)
{
    size_t              pos, number;
    azoai_str_t         line;
    static const char   text[] = "{\"a\":1}\r\n\n  \t\r\n{\"b\":2}\n{\"c\":3}";

    pos = 0;
    number = 0;

    assert_int_equal(azoai_jsonl_next(S(text), &pos, &number, &line), 1);
    assert_int_equal(number, 1);
    assert_int_equal(line.len, 8);
    assert_memory_equal(line.data, "{\"a\":1}\r", 8);

    assert_int_equal(azoai_jsonl_next(S(text), &pos, &number, &line), 1);
    assert_int_equal(number, 4);
    assert_memory_equal(line.data, "{\"b\":2}", line.len);

    assert_int_equal(azoai_jsonl_next(S(text), &pos, &number, &line), 1);
    assert_int_equal(number, 5);
    assert_memory_equal(line.data, "{\"c\":3}", line.len);

    assert_int_equal(azoai_jsonl_next(S(text), &pos, &number, &line), 0);
    assert_int_equal(pos, strlen(text));

    pos = 0;
    number = 0;
    assert_int_equal(azoai_jsonl_next(S("\n\n"), &pos, &number, &line), 0);
    assert_int_equal(number, 2);
    assert_int_equal(azoai_jsonl_next(S(""), &pos, &number, &line), 0);
}


static unsigned
line_error(const char *line, const char **text)
{
    static azoai_batch_line_t  bl;

    azoai_batch_line(S(line), &bl);
    *text = bl.error_text;

    return bl.error;
}


static void
test_batch_line(void **state)
{
    const char          *text;
    azoai_batch_line_t   bl;
    static const char    line[] =
        "{\"custom_id\":\"1\",\"method\":\"POST\","
        "\"url\":\"/chat/completions\","
        "\"body\":{\"model\":\"chat-prod\",\"messages\":[]}}";

    azoai_batch_line(S(line), &bl);
    assert_int_equal(bl.error, AZOAI_BATCH_OK);
    assert_int_equal(bl.url.len, strlen("/chat/completions"));
    assert_memory_equal(bl.url.data, "/chat/completions", bl.url.len);
    assert_int_equal(bl.body_offset, strstr(line, "{\"model") - line);
    assert_memory_equal(bl.body.data, "{\"model\":\"chat-prod\","
                        "\"messages\":[]}", bl.body.len);

    /* nested "body" and "url" keys are not the line's */
    azoai_batch_line(S("{\"url\":\"/embeddings\",\"body\":{\"body\":{},"
                       "\"url\":1,\"model\":\"e\"}}"), &bl);
    assert_int_equal(bl.error, AZOAI_BATCH_OK);
    assert_int_equal(bl.body.len, strlen("{\"body\":{},\"url\":1,"
                                         "\"model\":\"e\"}"));

    /* escaped keys count as the same key */
    assert_int_equal(line_error("{\"url\":\"/x\",\"body\":{},"
                                "\"b\\u006fdy\":{}}", &text),
                     AZOAI_BATCH_AMBIGUOUS);
    assert_string_equal(text, "\"body\" given more than once");

    assert_int_equal(line_error("{\"url\":\"/x\",\"url\":\"/y\",\"body\":{}}",
                                &text), AZOAI_BATCH_AMBIGUOUS);
    assert_int_equal(line_error("{\"url\":\"/x\"}", &text),
                     AZOAI_BATCH_AMBIGUOUS);
    assert_string_equal(text, "no \"body\": the line names no deployment");

    /* how many "body" members: tells batch lines from other JSON lines */
    azoai_batch_line(S("{\"messages\":[]}"), &bl);
    assert_int_equal(bl.bodies, 0);
    azoai_batch_line(S("{\"body\":{}}"), &bl);
    assert_int_equal(bl.bodies, 1);
    azoai_batch_line(S("{\"body\":{},\"body\":{}}"), &bl);
    assert_int_equal(bl.bodies, 2);
    assert_int_equal(line_error("{\"body\":{}}", &text),
                     AZOAI_BATCH_AMBIGUOUS);
    assert_int_equal(line_error("{\"url\":1,\"body\":{}}", &text),
                     AZOAI_BATCH_AMBIGUOUS);
    assert_int_equal(line_error("{\"url\":\"/x\",\"body\":\"m\"}", &text),
                     AZOAI_BATCH_AMBIGUOUS);
    assert_int_equal(line_error("{\"url\":\"/x\",\"body\":[]}", &text),
                     AZOAI_BATCH_AMBIGUOUS);

    assert_int_equal(line_error("[]", &text), AZOAI_BATCH_INVALID);
    assert_string_equal(text, "the line is not a JSON object");
    assert_int_equal(line_error("\"x\"", &text), AZOAI_BATCH_INVALID);
    assert_int_equal(line_error("{\"url\":\"/x\",\"body\":{}", &text),
                     AZOAI_BATCH_INVALID);
    assert_int_equal(line_error("{\"url\":\"/x\",\"body\":{}}x", &text),
                     AZOAI_BATCH_INVALID);
    assert_int_equal(line_error("not json", &text), AZOAI_BATCH_INVALID);
    assert_non_null(strstr(text, "at byte 0"));
}


static unsigned
url_reason(const char *url)
{
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;
    azoai_batch_line_t   bl;

    memset(&pc, 0, sizeof(azoai_policy_conf_t));
    memset(&bl, 0, sizeof(azoai_batch_line_t));

    bl.url.data = (const u_char *) url;
    bl.url.len = strlen(url);
    bl.url_flags = strchr(url, '\\') ? 1 : 0;

    assert_int_equal(azoai_batch_check_url(&pc, &bl, &alloc, &d), AZOAI_OK);

    if (d.reason != AZOAI_ALLOW) {
        assert_true(d.message[0] != '\0');
    }

    return d.reason;
}


static void
test_batch_url(void **state)
{
    char  big[AZOAI_BATCH_URL_MAX + 8];

    assert_int_equal(url_reason("/chat/completions"), AZOAI_ALLOW);
    assert_int_equal(url_reason("/v1/chat/completions"), AZOAI_ALLOW);
    assert_int_equal(url_reason("\\/v1\\/chat\\/completions"), AZOAI_ALLOW);
    assert_int_equal(url_reason("/embeddings"), AZOAI_ALLOW);
    assert_int_equal(url_reason("/v1/responses"), AZOAI_ALLOW);
    assert_int_equal(url_reason("/v1/chat/completions?api-version=v1"),
                     AZOAI_ALLOW);

    /* preview features and API versions */
    assert_int_equal(url_reason("/v1/audio/speech"), AZOAI_PREVIEW_FEATURE);
    assert_int_equal(url_reason("/images/generations"),
                     AZOAI_PREVIEW_FEATURE);
    assert_int_equal(url_reason("/chat/completions?api-version="
                                "2025-04-01-preview"),
                     AZOAI_PREVIEW_API_VERSION);

    /* not a batch endpoint; not a route; not clear */
    assert_int_equal(url_reason("/files"), AZOAI_INVALID_BODY);
    assert_int_equal(url_reason("/v1/batches"), AZOAI_INVALID_BODY);
    assert_int_equal(url_reason("/nothing/here"), AZOAI_AMBIGUOUS);
    assert_int_equal(url_reason("/%63hat/completions"), AZOAI_AMBIGUOUS);
    assert_int_equal(url_reason("/chat/./completions"), AZOAI_AMBIGUOUS);
    assert_int_equal(url_reason("/v1x/chat/completions"), AZOAI_AMBIGUOUS);
    assert_int_equal(url_reason("chat/completions"), AZOAI_AMBIGUOUS);
    assert_int_equal(url_reason(""), AZOAI_AMBIGUOUS);
    assert_int_equal(url_reason("/chat/completions?api-version=1&"
                                "api-version=2"), AZOAI_AMBIGUOUS);

    big[0] = '/';
    memset(big + 1, 'a', AZOAI_BATCH_URL_MAX);
    big[AZOAI_BATCH_URL_MAX + 1] = '\0';
    assert_int_equal(url_reason(big), AZOAI_AMBIGUOUS);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_jsonl_lines),
        cmocka_unit_test(test_batch_line),
        test_with_arena(test_batch_url, &arena),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
