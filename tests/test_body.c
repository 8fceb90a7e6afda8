/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of the body layer: validation, deployment names, which string
 * values are scanned for PII, and the byte-exact rewrite.
 *
 * The tests drive the real PII engine through its public interface and
 * look for e-mail addresses only, so that they do not depend on the finer
 * points of the other detectors.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "test_pii_util.h"
#include "test_body_refs.h"
#include "azoai_body.h"


#define EMAIL       "alice@example.com"


static unsigned inspect(const azoai_pii_engine_t *e, const char *body,
    azoai_body_result_t *r, test_arena_t *arena);
static void assert_name(const azoai_body_result_t *r, unsigned i,
    const char *name, const char *where);
static size_t count_matches(const azoai_pii_engine_t *e, const char *body,
    test_arena_t *arena);
static int check_in_place(const azoai_pii_engine_t *e, const char *body,
    size_t len);
static void check_fidelity(const azoai_pii_engine_t *e, const char *body,
    size_t len);


static unsigned
inspect(const azoai_pii_engine_t *e, const char *body,
    azoai_body_result_t *r, test_arena_t *arena)
{
    azoai_alloc_t  a;

    a = test_arena_allocator(arena);

    assert_int_equal(azoai_body_inspect(e, (const u_char *) body,
                                        strlen(body), &a, r),
                     AZOAI_OK);

    return r->error;
}


static void
assert_name(const azoai_body_result_t *r, unsigned i, const char *name,
    const char *where)
{
    assert_true(i < r->nnames);
    assert_int_equal(r->names[i].name.len, strlen(name));
    assert_memory_equal(r->names[i].name.data, name, strlen(name));
    assert_string_equal(azoai_body_name_where(r->names[i].origin), where);
}


static void
test_body_model(void **state)
{
    test_arena_t          arena = { 0 };
    azoai_body_result_t   r;

    assert_int_equal(inspect(NULL, "{\"model\":\"gpt-4o\",\"messages\":[]}",
                             &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nnames, 1);
    assert_true(r.model_present);
    assert_name(&r, 0, "gpt-4o", "body model");

    /* escapes decoded, in the key and in the value */
    assert_int_equal(inspect(NULL, " {\"mod\\u0065l\" : \"gpt\\u002d4o\\/x\"}",
                             &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nnames, 1);
    assert_name(&r, 0, "gpt-4o/x", "body model");

    /* "model" elsewhere is no deployment */
    assert_int_equal(inspect(NULL, "{\"metadata\":{\"model\":\"x\"},"
                                   "\"messages\":[{\"model\":\"y\"}],"
                                   "\"models\":\"z\"}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nnames, 0);
    assert_false(r.model_present);

    /* not an object at top level: valid, no names */
    assert_int_equal(inspect(NULL, "[{\"model\":\"x\"}]", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nnames, 0);

    /* v1 realtime client_secrets */
    assert_int_equal(inspect(NULL, "{\"session\":{\"type\":\"realtime\","
                                   "\"model\":\"rt-dep\"}}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nnames, 1);
    assert_false(r.model_present);
    assert_name(&r, 0, "rt-dep", "body session.model");

    /* "On your data" embedding deployments, one per data source */
    assert_int_equal(inspect(NULL,
        "{\"model\":\"chat\",\"data_sources\":[{\"type\":\"azure_search\","
        "\"parameters\":{\"endpoint\":\"https://s\",\"embedding_dependency\":"
        "{\"type\":\"deployment_name\",\"deployment_name\":\"emb-1\"}}},"
        "{\"parameters\":{\"embedding_dependency\":{\"deployment_name\":"
        "\"emb-2\"}}}],\"parameters\":{\"embedding_dependency\":"
        "{\"deployment_name\":\"no\"}}}", &r, &arena),
        AZOAI_BODY_OK);
    assert_int_equal(r.nnames, 3);
    assert_name(&r, 0, "chat", "body model");
    assert_name(&r, 1, "emb-1",
                "body data_sources embedding_dependency.deployment_name");
    assert_name(&r, 2, "emb-2",
                "body data_sources embedding_dependency.deployment_name");

    /* names are copies in pool memory */
    assert_true(arena.allocated >= 4);

    test_arena_free(&arena);
}


typedef struct {
    const char  *body;
    const char  *text;
} ambiguous_case_t;


static void
test_body_ambiguous(void **state)
{
    char                  big[4096];
    size_t                i, n;
    test_arena_t          arena = { 0 };
    azoai_body_result_t   r;

    static const ambiguous_case_t  cases[] = {
        { "{\"model\":\"a\",\"model\":\"b\"}",
          "'model' given more than once" },
        { "{\"model\":\"a\",\"x\":1,\"mod\\u0065l\":\"a\"}",
          "'model' given more than once" },
        { "{\"model\":1}", "'model' is not a string" },
        { "{\"model\":null}", "'model' is not a string" },
        { "{\"model\":{\"x\":\"a\"}}", "'model' is not a string" },
        { "{\"model\":[\"a\"]}", "'model' is not a string" },
        { "{\"model\":\"\\ud800\"}", "'model' is not valid Unicode" },
        { "{\"session\":{\"model\":\"a\",\"model\":\"a\"}}",
          "'session.model' given more than once" },
        { "{\"session\":{\"model\":\"a\"},\"session\":{\"model\":\"b\"}}",
          "'session.model' given more than once" },
        { "{\"session\":{\"model\":true}}",
          "'session.model' is not a string" },
        { "{\"data_sources\":[{\"parameters\":{\"embedding_dependency\":"
          "{\"deployment_name\":\"a\",\"deployment_name\":\"b\"}}}]}",
          "'embedding_dependency.deployment_name' given more than once" },
        { "{\"data_sources\":[{\"parameters\":{\"embedding_dependency\":"
          "{\"deployment_name\":7}}}]}",
          "'embedding_dependency.deployment_name' is not a string" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(inspect(NULL, cases[i].body, &r, &arena),
                         AZOAI_BODY_AMBIGUOUS);
        assert_string_equal(r.error_text, cases[i].text);
    }

    /* more names than AZOAI_BODY_MAX_NAMES */

    n = sprintf(big, "{\"model\":\"m\",\"data_sources\":[");

    for (i = 0; i < AZOAI_BODY_MAX_NAMES; i++) {
        n += sprintf(big + n, "%s{\"parameters\":{\"embedding_dependency\":"
                     "{\"deployment_name\":\"d%zu\"}}}", i ? "," : "", i);
    }

    strcpy(big + n, "]}");

    assert_int_equal(inspect(NULL, big, &r, &arena), AZOAI_BODY_AMBIGUOUS);
    assert_non_null(strstr(r.error_text, "too many"));

    /* one fewer is fine */

    n = sprintf(big, "{\"model\":\"m\",\"data_sources\":[");

    for (i = 0; i < AZOAI_BODY_MAX_NAMES - 1; i++) {
        n += sprintf(big + n, "%s{\"parameters\":{\"embedding_dependency\":"
                     "{\"deployment_name\":\"d%zu\"}}}", i ? "," : "", i);
    }

    strcpy(big + n, "]}");

    assert_int_equal(inspect(NULL, big, &r, &arena), AZOAI_BODY_OK);
    assert_int_equal(r.nnames, AZOAI_BODY_MAX_NAMES);
    assert_name(&r, AZOAI_BODY_MAX_NAMES - 1, "d14",
                "body data_sources embedding_dependency.deployment_name");

    test_arena_free(&arena);
}


static void
test_body_invalid(void **state)
{
    char                  deep[200];
    test_arena_t          arena = { 0 };
    azoai_alloc_t         a;
    azoai_body_result_t   r;
    azoai_pii_engine_t   *e;

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);
    a = test_arena_allocator(&arena);

    assert_int_equal(azoai_body_inspect(e, (u_char *) "", 0, &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.error, AZOAI_BODY_INVALID);
    assert_string_equal(r.error_text, "empty body");

    assert_int_equal(inspect(e, "model=gpt-4o", &r, &arena),
                     AZOAI_BODY_INVALID);
    assert_string_equal(r.error_text,
                        "malformed JSON at byte 0: expected a value");

    /* the error names a byte, never the content; nothing to mask */
    assert_int_equal(inspect(e, "{\"model\":\"x\",\"content\":\"" EMAIL
                             "\" \"secret\":1}", &r, &arena),
                     AZOAI_BODY_INVALID);
    assert_string_equal(r.error_text,
                        "malformed JSON at byte 43: expected ',' or '}'");
    assert_int_equal(r.nmatches, 0);

    assert_int_equal(inspect(e, "{\"a\":\"\xc0\xaf\"}", &r, &arena),
                     AZOAI_BODY_INVALID);
    assert_string_equal(r.error_text,
                        "malformed JSON at byte 6: invalid UTF-8");

    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';

    assert_int_equal(inspect(e, deep, &r, &arena), AZOAI_BODY_TOO_DEEP);
    assert_non_null(strstr(r.error_text, "at byte 64"));

    deep[64] = ' ';
    deep[129] = ' ';
    assert_int_equal(inspect(e, deep, &r, &arena), AZOAI_BODY_OK);

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


/* how many matches the body gives with e-mail detection on */

static size_t
count_matches(const azoai_pii_engine_t *e, const char *body,
    test_arena_t *arena)
{
    azoai_body_result_t  r;

    assert_int_equal(inspect(e, body, &r, arena), AZOAI_BODY_OK);

    return r.nmatches;
}


static void
test_body_scan_fields(void **state)
{
    char                 body[512];
    size_t               i;
    test_arena_t         arena = { 0 };
    azoai_pii_engine_t  *e;

    static const char  *skipped[] = {
        "model", "role", "type", "id", "object", "tool_call_id", "call_id",
        "previous_response_id", "response_id", "assistant_id", "thread_id",
        "run_id", "file_id", "vector_store_id", "voice", "encoding_format",
        "detail", "format", "service_tier", "reasoning_effort", "x_id",
        "deployment_name", "key", "api_key", "connection_string",
        "headers", "authentication", "store", "background", "ty\\u0070e"
    };

    static const char  *scanned[] = {
        "content", "text", "input", "prompt", "instructions", "user",
        "name", "description", "arguments", "output", "keys", "ids",
        "identity", "_i", "d", "safety_identifier", "my_id_card"
    };

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);

    for (i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
        snprintf(body, sizeof(body), "{\"%s\":\"mail " EMAIL "\"}",
                 skipped[i]);
        assert_int_equal(count_matches(e, body, &arena), 0);

        /* array elements go by the array's key ("model": [] is refused) */
        if (i == 0) {
            continue;
        }

        snprintf(body, sizeof(body), "{\"%s\":[\"" EMAIL "\"]}",
                 skipped[i]);
        assert_int_equal(count_matches(e, body, &arena), 0);
    }

    for (i = 0; i < sizeof(scanned) / sizeof(scanned[0]); i++) {
        snprintf(body, sizeof(body), "{\"%s\":\"mail " EMAIL "\"}",
                 scanned[i]);
        assert_int_equal(count_matches(e, body, &arena), 1);

        snprintf(body, sizeof(body), "{\"%s\":[[\"" EMAIL "\"]]}",
                 scanned[i]);
        assert_int_equal(count_matches(e, body, &arena), 1);
    }

    /* keys are not scanned; a top-level string is */
    assert_int_equal(count_matches(e, "{\"" EMAIL "\":1}", &arena), 0);
    assert_int_equal(count_matches(e, "\"" EMAIL "\"", &arena), 1);
    assert_int_equal(count_matches(e, "[\"" EMAIL "\"]", &arena), 1);

    /* a structural key only covers its own value */
    assert_int_equal(count_matches(e, "{\"type\":{\"text\":\"" EMAIL "\"}}",
                                   &arena),
                     1);

    /* credentials: the whole subtree */
    assert_int_equal(count_matches(e,
        "{\"data_sources\":[{\"parameters\":{\"authentication\":"
        "{\"type\":\"api_key\",\"note\":\"" EMAIL "\","
        "\"nested\":[{\"x\":\"" EMAIL "\"}]},\"query\":\"" EMAIL "\"}}],"
        "\"tools\":[{\"type\":\"mcp\",\"headers\":{\"Authorization\":"
        "\"Bearer " EMAIL "\"},\"server_label\":\"" EMAIL "\"}]}", &arena),
        2);

    /* base64 data: URIs are skipped, look-alikes are not */
    assert_int_equal(count_matches(e,
        "{\"image_url\":{\"url\":\"data:image/png;base64,"
        "iVBORw0KGgo+/=\"},\"t\":\"" EMAIL "\"}", &arena), 1);
    assert_int_equal(count_matches(e,
        "{\"image_url\":{\"url\":\"data:image/png;base64,"
        "iVBORw0KGgo\\/x" EMAIL "\"}}", &arena), 1);
    assert_int_equal(count_matches(e,
        "{\"text\":\"data:text/plain," EMAIL "\"}", &arena), 1);
    assert_int_equal(count_matches(e,
        "{\"text\":\"data: write to " EMAIL " ;base64,\"}", &arena), 1);

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


/*
 * Containers: only keys of a credential's length are looked up (or
 * escaped ones, decoded first); look-alikes of that length are text
 */

static void
test_body_secret_containers(void **state)
{
    test_arena_t         arena = { 0 };
    azoai_pii_engine_t  *e;

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);

    assert_int_equal(count_matches(e,
        "{\"he\\u0061ders\":{\"x\":\"" EMAIL "\"},"
        "\"\\u006b\\u0065y\":[\"" EMAIL "\"],"
        "\"connection_string\":[{\"v\":\"" EMAIL "\"}]}", &arena), 0);
    assert_int_equal(count_matches(e,
        "{\"headerz\":{\"x\":\"" EMAIL "\"},\"kez\":[\"" EMAIL "\"],"
        "\"messages\":[{\"content\":\"" EMAIL "\"}],"
        "\"api_kez\":{\"v\":\"" EMAIL "\"}}", &arena), 4);

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


static void
test_body_data_uri_head(void **state)
{
    char                 body[1024];
    size_t               n;
    test_arena_t         arena = { 0 };
    azoai_pii_engine_t  *e;

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);

    /* ";base64," ending at byte 100 of the content: skipped */
    n = sprintf(body, "{\"u\":\"data:");
    memset(body + n, 'a', 100 - 5 - 8);
    n += 100 - 5 - 8;
    n += sprintf(body + n, ";base64,QUJD\"}");
    assert_int_equal(count_matches(e, body, &arena), 0);

    /* one byte later: it is text, and the '@' in it is found */
    n = sprintf(body, "{\"u\":\"data:");
    memset(body + n, 'a', 100 - 5 - 8 + 1);
    n += 100 - 5 - 8 + 1;
    n += sprintf(body + n, ";base64,QUJD " EMAIL "\"}");
    assert_int_equal(count_matches(e, body, &arena), 1);

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


/* what the PII scan cannot read is counted and named, not scanned */

static void
test_body_opaque(void **state)
{
    size_t                i;
    test_arena_t          arena = { 0 };
    azoai_body_result_t   r;
    azoai_pii_engine_t   *e;

    static const struct {
        const char  *body;
        unsigned     n;
        const char  *what;        /* a part of opaque_what */
        size_t       matches;
    } rows[] = {
        { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
          "\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
          "iVBORw0KGgo=\"}},{\"type\":\"text\",\"text\":\"" EMAIL "\"}]}]}",
          1, "data: URI", 1 },
        { "{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
          "\"input_image\",\"image_url\":\"data:image/jpeg;base64,/9j/\"}]}]}",
          1, "data: URI", 0 },
        { "{\"input\":[{\"content\":[{\"type\":\"input_file\",\"filename\":"
          "\"a.pdf\",\"file_data\":\"data:application/pdf;base64,JVBERi0=\"}"
          "]}]}", 1, "file_data", 0 },
        /* raw base64, or anything at all, in file_data */
        { "{\"file_data\":\"JVBERi0xLjQ " EMAIL "\"}", 1, "file_data", 0 },
        { "{\"f\\u0069le_data\":\"JVBERi0=\"}", 1, "file_data", 0 },
        { "{\"messages\":[{\"content\":[{\"type\":\"input_audio\","
          "\"input_audio\":{\"data\":\"UklGRiQAAABXQVZF\",\"format\":"
          "\"wav\"}}]}]}", 1, "input_audio", 0 },
        /* two: the first is named */
        { "{\"a\":{\"input_audio\":{\"data\":\"UklG\"}},\"file_data\":\"x\"}",
          2, "input_audio", 0 },
        /* text that only looks so, a web image, "data" elsewhere */
        { "{\"image_url\":{\"url\":\"https://example.com/a.png\"},"
          "\"data\":\"" EMAIL "\",\"text\":\"data:text/plain," EMAIL "\"}",
          0, NULL, 2 },
    };

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(inspect(e, rows[i].body, &r, &arena),
                         AZOAI_BODY_OK);

        if (r.nopaque != rows[i].n || r.nmatches != rows[i].matches
            || (rows[i].what
                && (r.opaque_what == NULL
                    || strstr(r.opaque_what, rows[i].what) == NULL)))
        {
            fail_msg("row %zu: %u opaque (%s), %zu matches", i, r.nopaque,
                     r.opaque_what ? r.opaque_what : "-", r.nmatches);
        }
    }

    /* without PII scanning nothing is opaque */
    assert_int_equal(inspect(NULL, rows[2].body, &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nopaque, 0);

    /* the top-level value as well, with PII scanning only */
    assert_int_equal(inspect(e, "\"data:image/png;base64,iVBORw0KGgo=\"",
                             &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nopaque, 1);
    assert_int_equal(inspect(NULL, "\"data:image/png;base64,iVBORw0KGgo=\"",
                             &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nopaque, 0);
    assert_int_equal(inspect(NULL, "[\"data:image/png;base64,iVBORw0KGgo=\","
                                   "{\"file_data\":\"JVBERi0=\"}]",
                             &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nopaque, 0);

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


static void
test_body_matches(void **state)
{
    char                  *body;
    size_t                 i, n, len;
    test_arena_t           arena = { 0 };
    azoai_alloc_t          a;
    azoai_body_result_t    r;
    azoai_pii_engine_t    *e;

    e = test_pii_engine_email(AZOAI_PII_ACTION_BLOCK, TEST_PII_OFF);
    a = test_arena_allocator(&arena);

    /* enough matches to grow the array several times */

    body = malloc(100 * 64 + 64);
    assert_non_null(body);

    n = sprintf(body, "{\"model\":\"m\",\"input\":[");

    for (i = 0; i < 100; i++) {
        n += sprintf(body + n, "%s\"to u%zu@example.com\"", i ? "," : "", i);
    }

    n += sprintf(body + n, "]}");
    len = n;

    assert_int_equal(azoai_body_inspect(e, (u_char *) body, len, &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.error, AZOAI_BODY_OK);
    assert_int_equal(r.nmatches, 100);
    assert_int_equal(r.counts[AZOAI_PII_EMAIL], 100);
    assert_int_equal(r.types_found, 1 << AZOAI_PII_EMAIL);
    assert_int_equal(r.types_blocked, 1 << AZOAI_PII_EMAIL);

    for (i = 0; i < r.nmatches; i++) {
        assert_int_equal(r.matches[i].type, AZOAI_PII_EMAIL);
        assert_true(r.matches[i].end <= len);
        assert_memory_equal(body + r.matches[i].start, "u", 1);
        assert_memory_equal(body + r.matches[i].end - 12, "@example.com",
                            12);

        if (i) {
            assert_true(r.matches[i].start >= r.matches[i - 1].end);
        }
    }

    free(body);
    azoai_pii_engine_free(e);

    /* mask: found, not blocked */

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);
    assert_int_equal(inspect(e, "{\"a\":\"" EMAIL "\"}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.types_found, 1 << AZOAI_PII_EMAIL);
    assert_int_equal(r.types_blocked, 0);
    assert_int_equal(r.matches[0].start, 6);

    /* no engine: nothing scanned */
    assert_int_equal(inspect(NULL, "{\"a\":\"" EMAIL "\"}", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nmatches, 0);
    assert_int_equal(r.types_found, 0);

    /* ... at the top level and in arrays neither */
    assert_int_equal(inspect(NULL, "\"" EMAIL "\"", &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nmatches, 0);
    assert_int_equal(inspect(NULL,
                             "[[\"" EMAIL "\"],{\"b\":[\"" EMAIL "\"]}]",
                             &r, &arena),
                     AZOAI_BODY_OK);
    assert_int_equal(r.nmatches, 0);
    assert_int_equal(r.types_found, 0);

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


/*
 * azoai_body_inspect_into(): the caller's room filled, then grown from,
 * with the matches azoai_body_inspect() finds
 */

static void
test_body_matches_room(void **state)
{
    char                  *body;
    size_t                 i, k, n, len;
    test_arena_t           arena = { 0 };
    azoai_alloc_t          a;
    azoai_body_result_t    r, r2;
    azoai_pii_engine_t    *e;
    azoai_pii_match_t      room[128];
    static const size_t    rooms[] = { 0, 1, 16, 99, 100, 128 };

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);
    a = test_arena_allocator(&arena);

    body = malloc(100 * 64 + 64);
    assert_non_null(body);

    n = sprintf(body, "{\"input\":[");

    for (i = 0; i < 100; i++) {
        n += sprintf(body + n, "%s\"to u%zu@example.com\"", i ? "," : "", i);
    }

    n += sprintf(body + n, "]}");
    len = n;

    assert_int_equal(azoai_body_inspect(e, (u_char *) body, len, &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.nmatches, 100);

    for (k = 0; k < sizeof(rooms) / sizeof(rooms[0]); k++) {
        assert_int_equal(azoai_body_inspect_into(e, (u_char *) body, len,
                                                 &a, &r2, room, rooms[k]),
                         AZOAI_OK);
        assert_int_equal(r2.error, AZOAI_BODY_OK);
        assert_int_equal(r2.nmatches, 100);
        assert_int_equal(r2.counts[AZOAI_PII_EMAIL], 100);
        assert_int_equal(r2.types_found, 1 << AZOAI_PII_EMAIL);
        assert_true(rooms[k] >= 100 ? r2.matches == room
                                    : r2.matches != room);

        for (i = 0; i < 100; i++) {
            assert_int_equal(r2.matches[i].start, r.matches[i].start);
            assert_int_equal(r2.matches[i].end, r.matches[i].end);
            assert_int_equal(r2.matches[i].type, r.matches[i].type);
        }
    }

    free(body);
    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


/*
 * Rewrites body and checks that it is body with each match replaced by its
 * rendering, and still valid JSON without matches.
 */

static void
check_fidelity(const azoai_pii_engine_t *e, const char *body, size_t len)
{
    u_char               *out, tag[AZOAI_PII_TAG_MAX];
    size_t                i, pos, o, n, out_len;
    test_arena_t          arena = { 0 };
    azoai_alloc_t         a;
    azoai_body_result_t   r, r2;

    a = test_arena_allocator(&arena);

    assert_int_equal(azoai_body_inspect(e, (u_char *) body, len, &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.error, AZOAI_BODY_OK);
    assert_true(r.nmatches > 0);

    assert_int_equal(azoai_body_rewrite(e, &r, (u_char *) body, len, &a,
                                        &out, &out_len),
                     AZOAI_OK);

    pos = 0;
    o = 0;

    for (i = 0; i < r.nmatches; i++) {
        n = r.matches[i].start - pos;
        assert_true(o + n <= out_len);
        assert_memory_equal(out + o, body + pos, n);
        o += n;

        n = azoai_pii_render(e, &r.matches[i], (u_char *) body, tag);
        assert_true(o + n <= out_len);
        assert_memory_equal(out + o, tag, n);
        o += n;

        pos = r.matches[i].end;
    }

    assert_int_equal(out_len - o, len - pos);
    assert_memory_equal(out + o, body + pos, len - pos);

    /* the output is valid JSON, with the same names and nothing left */

    assert_int_equal(azoai_body_inspect(e, out, out_len, &a, &r2), AZOAI_OK);
    assert_int_equal(r2.error, AZOAI_BODY_OK);
    assert_int_equal(r2.nmatches, 0);
    assert_int_equal(r2.nnames, r.nnames);

    test_arena_free(&arena);

    check_in_place(e, body, len);
}


/*
 * The in-place rewrite gives what the copying one gives and writes
 * nothing past the body; returns whether the output stayed in place.
 */

static int
check_in_place(const azoai_pii_engine_t *e, const char *body, size_t len)
{
    int                   in_place;
    u_char               *copy, *out, *want;
    size_t                out_len, want_len, k;
    test_arena_t          arena = { 0 };
    azoai_alloc_t         a;
    azoai_body_result_t   r;

    a = test_arena_allocator(&arena);

    assert_int_equal(azoai_body_inspect(e, (u_char *) body, len, &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.error, AZOAI_BODY_OK);

    assert_int_equal(azoai_body_rewrite(e, &r, (u_char *) body, len, &a,
                                        &want, &want_len),
                     AZOAI_OK);

    /* the body with 64 guard bytes after it */

    copy = malloc(len + 64);
    assert_non_null(copy);
    memcpy(copy, body, len);
    memset(copy + len, 0xa5, 64);

    assert_int_equal(azoai_body_rewrite_in_place(e, &r, copy, len, &a, &out,
                                                 &out_len),
                     AZOAI_OK);

    assert_int_equal(out_len, want_len);
    assert_memory_equal(out, want, want_len);

    for (k = 0; k < 64; k++) {
        assert_int_equal(copy[len + k], 0xa5);
    }

    in_place = (out == copy);

    free(copy);
    test_arena_free(&arena);

    /* and by reference, at every span length of the body */
    test_body_refs_same(e, body, len);

    return in_place;
}


static const char  fidelity_body[] =
    "{ \"model\" :\"chat-prod\",\r\n\t\"seed\": 9007199254740993,"
    "\"n\":1E+2, \"t\" : -0.0e-0 ,\"big\":123456789012345678901234567890,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 \\/ "
    EMAIL " \\n\\\"q\\\"\"},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x "
    EMAIL ", bob@example.org\"}]}],"
    "\"z\":1,\"a\":2,\"z\":3,\"user\":\"" EMAIL "\", \"e\":\"\xc3\xa9\"}\n";


/*
 * The counts by type start at a body's first match: none is left from
 * what the result held before (bytes never set, an earlier body's), and
 * a body without a match does not read them
 */

static void
test_body_counts(void **state)
{
    test_arena_t           arena = { 0 };
    azoai_alloc_t          a;
    azoai_body_result_t    r;
    azoai_pii_engine_t    *e;
    static const char      both[] =
        "{\"input\":\"mail a@example.com, b@example.com from 10.1.2.3\"}";
    static const char      clean[] = "{\"input\":\"nothing to see\"}";
    static const char      one[] = "{\"input\":[\"x\",\"c@example.com\"]}";

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_MASK);
    a = test_arena_allocator(&arena);

    memset(&r, 0xa5, sizeof(r));

    assert_int_equal(azoai_body_inspect(e, (u_char *) both,
                                        sizeof(both) - 1, &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.nmatches, 3);
    assert_int_equal(r.counts[AZOAI_PII_EMAIL], 2);
    assert_int_equal(r.counts[AZOAI_PII_IPV4], 1);
    assert_int_equal(r.counts[AZOAI_PII_PHONE], 0);
    assert_int_equal(r.counts[AZOAI_PII_MAX_TYPES - 1], 0);

    assert_int_equal(azoai_body_inspect(e, (u_char *) clean,
                                        sizeof(clean) - 1, &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.nmatches, 0);
    assert_int_equal(r.types_found, 0);

    assert_int_equal(azoai_body_inspect(e, (u_char *) one, sizeof(one) - 1,
                                        &a, &r),
                     AZOAI_OK);
    assert_int_equal(r.nmatches, 1);
    assert_int_equal(r.types_found, 1 << AZOAI_PII_EMAIL);
    assert_int_equal(r.counts[AZOAI_PII_EMAIL], 1);
    assert_int_equal(r.counts[AZOAI_PII_IPV4], 0);

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


static void
test_body_fidelity(void **state)
{
    u_char               *out;
    size_t                out_len;
    test_arena_t          arena = { 0 };
    azoai_alloc_t         a;
    azoai_body_result_t   r;
    azoai_pii_engine_t   *e;

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);

    check_fidelity(e, fidelity_body, sizeof(fidelity_body) - 1);

    /* with the default "[EMAIL]" tag, the exact output */

    a = test_arena_allocator(&arena);

    assert_int_equal(inspect(e, fidelity_body, &r, &arena), AZOAI_BODY_OK);
    assert_int_equal(r.nmatches, 4);
    assert_int_equal(azoai_body_rewrite(e, &r, (u_char *) fidelity_body,
                                        sizeof(fidelity_body) - 1, &a, &out,
                                        &out_len),
                     AZOAI_OK);

    assert_int_equal(out_len, sizeof(fidelity_body) - 1
                              - 3 * (sizeof(EMAIL) - 1)
                              - (sizeof("bob@example.org") - 1) + 4 * 7);
    assert_memory_equal(out,
        "{ \"model\" :\"chat-prod\",\r\n\t\"seed\": 9007199254740993,"
        "\"n\":1E+2, \"t\" : -0.0e-0 ,\"big\":123456789012345678901234567890,"
        "\"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 \\/ "
        "[EMAIL] \\n\\\"q\\\"\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x "
        "[EMAIL], [EMAIL]\"}]}],"
        "\"z\":1,\"a\":2,\"z\":3,\"user\":\"[EMAIL]\", \"e\":\"\xc3\xa9\"}\n",
        out_len);

    /* nothing to replace: a plain copy */

    assert_int_equal(inspect(e, "{\"a\":1}", &r, &arena), AZOAI_BODY_OK);
    assert_int_equal(azoai_body_rewrite(e, &r, (u_char *) "{\"a\":1}", 7, &a,
                                        &out, &out_len),
                     AZOAI_OK);
    assert_int_equal(out_len, 7);
    assert_memory_equal(out, "{\"a\":1}", 7);

    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


/* every built-in detector, every action but block */

static void
test_body_fidelity_all(void **state)
{
    char                 err[256];
    unsigned             type;
    azoai_pii_engine_t  *e;

    static const azoai_pii_action_e  actions[] = {
        AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_HASH,
        AZOAI_PII_ACTION_PARTIAL
    };

    static const char  body[] =
        "{\"model\":\"chat-prod\",\"messages\":[{\"role\":\"user\","
        "\"content\":\"Jane (jane.doe@example.com, +1 425 555 0100), card "
        "4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, SSN "
        "078-05-1120, from 10.1.2.3 and 2001:db8::1\"}],"
        "\"seed\":9007199254740993,\"x\":[1E+2,-0.0e-0,\"\\u00e9\\/\"],"
        "\"user\":\"jane.doe@example.com\"}";

    e = azoai_pii_engine_create();
    assert_non_null(e);

    for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
        assert_int_equal(azoai_pii_engine_enable(e, type,
                                                 actions[type % 3]),
                         AZOAI_OK);
    }

    assert_int_equal(azoai_pii_engine_set_hash_key(e, (u_char *) "k", 1),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    check_fidelity(e, body, sizeof(body) - 1);

    azoai_pii_engine_free(e);
}


/*
 * Every length of the spans around a value, to past the 4 KB the AVX2
 * copy takes: each way into its jump to the 128-byte steps, its
 * 1024-byte steps, and memcpy() below and above
 */

static void
test_body_span_lengths(void **state)
{
    char                *body;
    size_t               i, n, before, after;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);

    body = malloc(2 * 4400 + 64);
    assert_non_null(body);

    /* letters that differ from byte to byte: a shifted copy shows */

    for (before = 0; before <= 4400; before++) {
        after = (before * 7) % 4400;

        n = sprintf(body, "{\"a\":\"");

        for (i = 0; i < before; i++) {
            body[n++] = 'a' + i % 23;
        }

        n += sprintf(body + n, " " EMAIL " ");

        for (i = 0; i < after; i++) {
            body[n++] = 'A' + i % 19;
        }

        n += sprintf(body + n, "\"}");

        check_fidelity(e, body, n);
    }

    free(body);
    azoai_pii_engine_free(e);
}


/*
 * Masks are shorter than what they replace and stay in the body; a hash
 * tag longer than its IPv4 address, once the bytes saved before run out,
 * sends the rest to a new buffer with the same result.
 */

static void
test_body_in_place(void **state)
{
    char                 err[256];
    azoai_pii_engine_t  *e;

    static const char  body[] =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"from "
        "jonathan.livingston.seagull@example.com at 10.1.2.3 and "
        "10.9.8.7, then 4111 1111 1111 1111\"}],\"n\":1}";

    static const char  first[] =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"10.1.2.3 "
        "jane@example.com\"}]}";

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);
    assert_int_equal(check_in_place(e, body, sizeof(body) - 1), 1);
    azoai_pii_engine_free(e);

    e = azoai_pii_engine_create();
    assert_non_null(e);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_EMAIL,
                                             AZOAI_PII_ACTION_HASH),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_IPV4,
                                             AZOAI_PII_ACTION_HASH),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_CREDIT_CARD,
                                             AZOAI_PII_ACTION_MASK),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_set_hash_key(e, (u_char *) "k", 1),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    /* the e-mail's savings cover the first address, not the second */
    assert_int_equal(check_in_place(e, body, sizeof(body) - 1), 0);

    /* a longer tag first: a new buffer from the start */
    assert_int_equal(check_in_place(e, first, sizeof(first) - 1), 0);

    azoai_pii_engine_free(e);
}


static void
test_body_nomem(void **state)
{
    int                   rc;
    u_char               *out;
    char                 *body;
    size_t                n, fail, out_len;
    unsigned              failures;
    test_arena_t          arena = { 0 };
    azoai_alloc_t         a;
    azoai_body_result_t   r;
    azoai_pii_engine_t   *e;

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, TEST_PII_OFF);

    /* 40 matches and two names: several allocations */

    body = malloc(4096);
    assert_non_null(body);

    n = sprintf(body, "{\"model\":\"m\",\"session\":{\"model\":\"s\"},"
                      "\"input\":[");

    for (fail = 0; fail < 40; fail++) {
        n += sprintf(body + n, "%s\"u%zu@example.com\"", fail ? "," : "",
                     fail);
    }

    n += sprintf(body + n, "]}");

    failures = 0;

    for (fail = 1; fail < 1000; fail++) {
        arena.fail_after = fail;
        a = test_arena_allocator(&arena);

        rc = azoai_body_inspect(e, (u_char *) body, n, &a, &r);

        if (rc == AZOAI_OK) {
            assert_int_equal(r.error, AZOAI_BODY_OK);
            assert_int_equal(r.nmatches, 40);
            test_arena_free(&arena);
            break;
        }

        assert_int_equal(rc, AZOAI_ERROR);
        assert_int_equal(r.error, AZOAI_BODY_NOMEM);
        failures++;
        test_arena_free(&arena);
    }

    /* two names and at least three match arrays (16, 32, 64) */
    assert_true(failures >= 5);

    /* the rewrite fails alone too */

    arena.fail_after = 0;
    a = test_arena_allocator(&arena);
    assert_int_equal(azoai_body_inspect(e, (u_char *) body, n, &a, &r),
                     AZOAI_OK);

    arena.fail_after = arena.calls + 1;
    assert_int_equal(azoai_body_rewrite(e, &r, (u_char *) body, n, &a, &out,
                                        &out_len),
                     AZOAI_ERROR);

    free(body);
    azoai_pii_engine_free(e);
    test_arena_free(&arena);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_body_model),
        cmocka_unit_test(test_body_ambiguous),
        cmocka_unit_test(test_body_invalid),
        cmocka_unit_test(test_body_scan_fields),
        cmocka_unit_test(test_body_secret_containers),
        cmocka_unit_test(test_body_data_uri_head),
        cmocka_unit_test(test_body_opaque),
        cmocka_unit_test(test_body_matches),
        cmocka_unit_test(test_body_matches_room),
        cmocka_unit_test(test_body_counts),
        cmocka_unit_test(test_body_fidelity),
        cmocka_unit_test(test_body_fidelity_all),
        cmocka_unit_test(test_body_span_lengths),
        cmocka_unit_test(test_body_in_place),
        cmocka_unit_test(test_body_nomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
