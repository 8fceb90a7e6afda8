/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * JSONL masking: lines inspected as request bodies, counts summed, only
 * the lines with matches rewritten, every other byte kept; the failing
 * line named; pseudonyms shared across lines, minted in the order of the
 * text; the rewrite in pieces (kept stretches by reference) and gathered
 * alike; blocked types reported.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "test_pii_util.h"
#include "azoai_jsonl.h"
#include "azoai_pseudo.h"


#define S(s)  (const u_char *) (s), strlen(s)


static test_arena_t  arena;
static azoai_alloc_t  alloc = { test_arena_alloc, &arena };


/* inspects and rewrites text[from, to) inside text */

static const char *
mask(azoai_pii_engine_t *e, const char *text, size_t from, size_t to,
    azoai_jsonl_result_t *r)
{
    u_char         *out;
    size_t          out_len;
    static char     buf[4096];

    assert_int_equal(azoai_jsonl_inspect(e, (const u_char *) text, from, to,
                                         &alloc, r), AZOAI_OK);
    if (r->total.error) {
        return NULL;
    }

    r->pseudo = azoai_pseudo_create(&alloc);
    assert_non_null(r->pseudo);

    assert_int_equal(azoai_jsonl_rewrite(e, r, S(text), &alloc, &out,
                                         &out_len), AZOAI_OK);
    assert_true(out_len < sizeof(buf));
    memcpy(buf, out, out_len);
    buf[out_len] = '\0';

    return buf;
}


static void
test_jsonl_mask(void **state)
{
    azoai_pii_engine_t    *e;
    azoai_jsonl_result_t   r;
    const char            *text, *out;

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_MASK);

    text = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\r\n"
           "\n"
           "{ \"messages\" : [{\"role\":\"user\",\"content\":"
           "\"mail a@example.com or 10.1.2.3\"}], \"n\":1.50}\n"
           "{\"messages\":[],\"seed\":9007199254740993}";

    out = mask(e, text, 0, strlen(text), &r);
    assert_non_null(out);
    assert_string_equal(out,
           "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\r\n"
           "\n"
           "{ \"messages\" : [{\"role\":\"user\",\"content\":"
           "\"mail [EMAIL] or [IPV4]\"}], \"n\":1.50}\n"
           "{\"messages\":[],\"seed\":9007199254740993}");
    assert_int_equal(r.lines, 3);
    assert_int_equal(r.nmasked, 1);
    assert_int_equal(r.total.nmatches, 2);
    assert_int_equal(r.total.counts[AZOAI_PII_EMAIL], 1);
    assert_int_equal(r.total.counts[AZOAI_PII_IPV4], 1);
    assert_int_equal(r.total.types_blocked, 0);

    /* only [from, to) is inspected; the rest is copied */
    text = "HEAD a@example.com\r\n{\"content\":\"b@example.com\"}\nTAIL "
           "c@example.com";
    out = mask(e, text, 20, 48, &r);
    assert_string_equal(out, "HEAD a@example.com\r\n{\"content\":\"[EMAIL]\"}"
                        "\nTAIL c@example.com");

    /* no match: the text as it is */
    out = mask(e, "{}\n{}", 0, 5, &r);
    assert_string_equal(out, "{}\n{}");
    assert_int_equal(r.nmasked, 0);

    azoai_pii_engine_free(e);
}


static void
test_jsonl_errors(void **state)
{
    azoai_pii_engine_t    *e;
    azoai_jsonl_result_t   r;

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_MASK);

    assert_null(mask(e, "{}\n\n{\"a\":\n{}", 0, 12, &r));
    assert_int_equal(r.total.error, AZOAI_BODY_INVALID);
    assert_int_equal(r.error_line, 3);
    assert_true(r.total.error_text[0] != '\0');

    assert_null(mask(e, "{\"model\":\"a\",\"model\":\"b\"}", 0, 25, &r));
    assert_int_equal(r.total.error, AZOAI_BODY_AMBIGUOUS);
    assert_int_equal(r.error_line, 1);

    azoai_pii_engine_free(e);

    e = test_pii_engine_email(AZOAI_PII_ACTION_BLOCK, AZOAI_PII_ACTION_MASK);
    assert_non_null(mask(e, "{\"c\":\"x\"}\n{\"c\":\"a@example.com\"}", 0, 31,
                         &r));
    assert_true(r.total.types_blocked & (1ULL << AZOAI_PII_EMAIL));
    azoai_pii_engine_free(e);
}


static void
test_jsonl_pseudonyms(void **state)
{
    char                   line[64];
    char                   text[64 * 40];
    size_t                 i, n;
    azoai_pii_engine_t    *e;
    azoai_jsonl_result_t   r;
    const char            *out;

    e = test_pii_engine_email(AZOAI_PII_ACTION_PSEUDONYM,
                              AZOAI_PII_ACTION_MASK);

    /* 40 lines with matches: the list of lines grows past its first room */
    n = 0;
    for (i = 0; i < 40; i++) {
        snprintf(line, sizeof(line), "{\"c\":\"u%zu@example.com a@x.org\"}\n",
                 i % 2);
        memcpy(text + n, line, strlen(line));
        n += strlen(line);
    }
    text[n] = '\0';

    out = mask(e, text, 0, n, &r);
    assert_int_equal(r.nmasked, 40);
    assert_int_equal(r.total.nmatches, 80);
    assert_non_null(strstr(out, "{\"c\":\"[EMAIL_1] [EMAIL_2]\"}\n"
                                "{\"c\":\"[EMAIL_3] [EMAIL_2]\"}\n"
                                "{\"c\":\"[EMAIL_1] [EMAIL_2]\"}\n"));
    assert_null(strstr(out, "@"));

    azoai_pii_engine_free(e);
}


/* the whole text as a piece */

static int
piece(azoai_pii_engine_t *e, const char *text, unsigned cut_start,
    unsigned cut_end, azoai_jsonl_result_t *r)
{
    return azoai_jsonl_inspect_piece(e, (const u_char *) text, 0,
                                     strlen(text), cut_start, cut_end,
                                     &alloc, r);
}


/* an upload part: pieces cut at both ends, complete lines between */

static void
test_jsonl_pieces(void **state)
{
    u_char                *out;
    size_t                 out_len, first, last;
    azoai_pii_engine_t    *e;
    azoai_jsonl_result_t   r;
    const char            *text;

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_MASK);

    text = "t\":\"x a@example.com \\u00e9 b@example.com\"}]}\n"
           "{\"c\":\"c@example.com\"}\n"
           "{\"messages\":[{\"role\":\"user\",\"content\":"
           "\"d@example.com \\u00";
    first = strchr(text, '\n') - text;
    last = strrchr(text, '\n') - text;

    assert_int_equal(azoai_jsonl_inspect(e, (const u_char *) text, first + 1,
                                         last + 1, &alloc, &r), AZOAI_OK);
    assert_int_equal(r.total.error, 0);
    assert_int_equal(azoai_jsonl_inspect_piece(e, (const u_char *) text,
                                               last + 1, strlen(text), 0, 1,
                                               &alloc, &r), AZOAI_OK);
    assert_int_equal(azoai_jsonl_inspect_piece(e, (const u_char *) text, 0,
                                               first, 1, 0, &alloc, &r),
                     AZOAI_OK);
    assert_int_equal(r.total.error, 0);
    assert_int_equal(r.nmasked, 3);
    assert_int_equal(r.total.nmatches, 4);

    assert_int_equal(azoai_jsonl_rewrite(e, &r, S(text), &alloc, &out,
                                         &out_len), AZOAI_OK);
    assert_int_equal(out_len, strlen(text) - 4 * (13 - 7));
    assert_memory_equal(out,
           "t\":\"x [EMAIL] \\u00e9 [EMAIL]\"}]}\n"
           "{\"c\":\"[EMAIL]\"}\n"
           "{\"messages\":[{\"role\":\"user\",\"content\":"
           "\"[EMAIL] \\u00",
           out_len);

    /* a piece that is a JSON value by itself is a line */
    text = "{\"c\":\"a@example.com\"}";
    memset(&r, 0, sizeof(r));
    assert_int_equal(piece(e, text, 0, 1, &r), AZOAI_OK);
    assert_int_equal(r.total.nmatches, 1);

    /* a string invalid away from the cut: not inspectable */
    text = "xxxxxxxx\\q a@example.com\"}";
    memset(&r, 0, sizeof(r));
    assert_int_equal(piece(e, text, 1, 0, &r), AZOAI_OK);
    assert_int_equal(r.total.error, AZOAI_BODY_INVALID);

    /* a raw control byte inside */
    text = "{\"c\":\"a\x01b a@example.com";
    memset(&r, 0, sizeof(r));
    assert_int_equal(piece(e, text, 0, 1, &r), AZOAI_OK);
    assert_int_equal(r.total.error, AZOAI_BODY_INVALID);

    /* a UTF-8 character cut at the end is dropped, the rest scanned */
    text = "{\"c\":\"a@example.com \xc3";
    memset(&r, 0, sizeof(r));
    assert_int_equal(piece(e, text, 0, 1, &r), AZOAI_OK);
    assert_int_equal(r.total.error, 0);
    assert_int_equal(r.total.nmatches, 1);

    azoai_pii_engine_free(e);
}


/* what azoai_jsonl_splice() hands on, copied in order */

typedef struct {
    const u_char  *text;
    size_t         len;
    size_t         npieces;
    size_t         nkept;      /* pieces that point into text */
    u_char         out[1024];
    size_t         out_len;
} splice_t;


static int
splice_piece(void *data, const u_char *p, size_t len)
{
    splice_t  *s = data;

    assert_true(len > 0);
    assert_true(s->out_len + len <= sizeof(s->out));

    if (p >= s->text && p < s->text + s->len) {
        assert_true(len <= (size_t) (s->text + s->len - p));
        s->nkept++;
    }

    memcpy(s->out + s->out_len, p, len);
    s->out_len += len;
    s->npieces++;

    return AZOAI_OK;
}


/*
 * An upload part inspected as the module inspects it in memory (the
 * whole lines first, then the pieces at its ends): the rewrite hands on
 * the stretches between masked lines by reference and mints pseudonyms
 * in the order of the text, as the streamed path does line by line
 */

static void
test_jsonl_splice_order(void **state)
{
    size_t                 first, last, out_len;
    u_char                *out;
    splice_t               s;
    azoai_pii_engine_t    *e;
    azoai_jsonl_result_t   r;
    const char            *text;

    e = test_pii_engine_email(AZOAI_PII_ACTION_PSEUDONYM,
                              AZOAI_PII_ACTION_MASK);

    text = "t\":\"first@example.com\"}]}\n"
           "{\"c\":\"clean\"}\n"
           "{\"c\":\"second@example.com\"}\n"
           "{\"c\":\"first@example.com third@example.com\"}\n"
           "{\"c\":\"clean\"}\n"
           "{\"messages\":[{\"content\":\"fourth@example.com";
    first = strchr(text, '\n') - text;
    last = strrchr(text, '\n') - text;

    assert_int_equal(azoai_jsonl_inspect(e, (const u_char *) text, first + 1,
                                         last + 1, &alloc, &r), AZOAI_OK);
    assert_int_equal(azoai_jsonl_inspect_piece(e, (const u_char *) text, 0,
                                               first, 1, 0, &alloc, &r),
                     AZOAI_OK);
    assert_int_equal(azoai_jsonl_inspect_piece(e, (const u_char *) text,
                                               last + 1, strlen(text), 0, 1,
                                               &alloc, &r), AZOAI_OK);
    assert_int_equal(r.total.error, 0);
    assert_int_equal(r.nmasked, 4);

    r.pseudo = azoai_pseudo_create(&alloc);
    assert_non_null(r.pseudo);

    memset(&s, 0, sizeof(s));
    s.text = (const u_char *) text;
    s.len = strlen(text);

    assert_int_equal(azoai_jsonl_splice(e, &r, S(text), &alloc, splice_piece,
                                        &s, &out_len), AZOAI_OK);
    assert_int_equal(out_len, s.out_len);

    /* 4 masked lines (without their LF), 3 stretches kept between them */
    assert_int_equal(s.npieces, 7);
    assert_int_equal(s.nkept, 3);

    s.out[s.out_len] = '\0';
    assert_string_equal((char *) s.out,
           "t\":\"[EMAIL_1]\"}]}\n"
           "{\"c\":\"clean\"}\n"
           "{\"c\":\"[EMAIL_2]\"}\n"
           "{\"c\":\"[EMAIL_1] [EMAIL_3]\"}\n"
           "{\"c\":\"clean\"}\n"
           "{\"messages\":[{\"content\":\"[EMAIL_4]");

    /* gathered: the same bytes (the pseudonyms are known by now) */
    assert_int_equal(azoai_jsonl_rewrite(e, &r, S(text), &alloc, &out,
                                         &out_len), AZOAI_OK);
    assert_int_equal(out_len, s.out_len);
    assert_memory_equal(out, s.out, out_len);

    azoai_pii_engine_free(e);
}


/* masked lines out of order or outside the text: refused */

static void
test_jsonl_splice_refused(void **state)
{
    size_t                 out_len;
    splice_t               s;
    azoai_pii_engine_t    *e;
    azoai_jsonl_result_t   r;
    azoai_jsonl_line_t     l;
    static const char      text[] = "{\"c\":\"a@example.com\"}\n"
                                    "{\"c\":\"b@example.com\"}\n";

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_MASK);

    assert_int_equal(azoai_jsonl_inspect(e, (const u_char *) text, 0,
                                         strlen(text), &alloc, &r),
                     AZOAI_OK);
    assert_int_equal(r.nmasked, 2);

    memset(&s, 0, sizeof(s));
    s.text = (const u_char *) text;
    s.len = strlen(text);

    l = r.masked[0];
    r.masked[0] = r.masked[1];
    r.masked[1] = l;
    assert_int_equal(azoai_jsonl_splice(e, &r, S(text), &alloc, splice_piece,
                                        &s, &out_len), AZOAI_ERROR);

    r.masked[1] = r.masked[0];
    r.masked[0] = l;
    r.masked[1].len = strlen(text);
    assert_int_equal(azoai_jsonl_splice(e, &r, S(text), &alloc, splice_piece,
                                        &s, &out_len), AZOAI_ERROR);

    azoai_pii_engine_free(e);
}


static void
test_jsonl_nomem(void **state)
{
    size_t                 i;
    int                    rc;
    azoai_pii_engine_t    *e;
    azoai_jsonl_result_t   r;
    u_char                *out;
    size_t                 out_len;
    static const char      text[] = "{\"c\":\"a@example.com\"}\n"
                                    "{\"c\":\"b@example.com\"}\n";

    e = test_pii_engine_email(AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_MASK);

    for (i = 1; i < 12; i++) {
        test_arena_free(&arena);
        arena.fail_after = i;

        rc = azoai_jsonl_inspect(e, (const u_char *) text, 0,
                                 strlen(text), &alloc, &r);
        if (rc == AZOAI_OK && r.total.error == 0) {
            rc = azoai_jsonl_rewrite(e, &r, S(text), &alloc, &out, &out_len);
        }

        assert_true(rc == AZOAI_OK || rc == AZOAI_ERROR);
    }

    arena.fail_after = 0;
    azoai_pii_engine_free(e);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        test_with_arena(test_jsonl_mask, &arena),
        test_with_arena(test_jsonl_errors, &arena),
        test_with_arena(test_jsonl_pseudonyms, &arena),
        test_with_arena(test_jsonl_pieces, &arena),
        test_with_arena(test_jsonl_splice_order, &arena),
        test_with_arena(test_jsonl_splice_refused, &arena),
        test_with_arena(test_jsonl_nomem, &arena),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
