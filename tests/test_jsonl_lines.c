/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The JSONL line assembler: at every split offset, byte by byte and in
 * random pieces it hands on the lines azoai_jsonl_next() finds in the
 * whole text, with their numbers and offsets; a line longer than the
 * limit is an error wherever it is cut; a handler can stop it.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "azoai_batch.h"
#include "azoai_jsonl_lines.h"


#define MAX_LINES  64


typedef struct {
    size_t   n;
    size_t   number[MAX_LINES];
    size_t   start[MAX_LINES];
    size_t   len[MAX_LINES];
    char     text[MAX_LINES][128];
    size_t   stop_at;          /* stop at this line number (0: never) */
} seen_t;


static test_arena_t   arena;
static azoai_alloc_t  alloc = { test_arena_alloc, &arena };


static int
on_line(void *data, const azoai_jsonl_span_t *l)
{
    seen_t  *sn = data;

    assert_true(sn->n < MAX_LINES);
    assert_true(l->len < sizeof(sn->text[0]));

    sn->number[sn->n] = l->number;
    sn->start[sn->n] = l->start;
    sn->len[sn->n] = l->len;
    memcpy(sn->text[sn->n], l->data, l->len);
    sn->text[sn->n][l->len] = '\0';
    sn->n++;

    return l->number == sn->stop_at ? AZOAI_DECLINED : AZOAI_OK;
}


/* the text fed in pieces ending at cuts[], then the rest */

static void
feed(const char *text, const size_t *cuts, size_t ncuts, size_t step,
    size_t max, seen_t *sn, azoai_jsonl_lines_t *l)
{
    size_t  i, pos, end, len;

    len = strlen(text);
    azoai_jsonl_lines_init(l, max, &alloc, on_line, sn);

    for (pos = 0, i = 0; pos < len; pos = end, i++) {
        end = step ? pos + step : (i < ncuts ? cuts[i] : len);
        end = end > len ? len : end;
        (void) azoai_jsonl_lines_feed(l, (const u_char *) text + pos,
                                      end - pos);
    }

    (void) azoai_jsonl_lines_finish(l);
}


/* the lines of text, as azoai_jsonl_next() finds them in one piece */

static void
compare(const char *text, const seen_t *sn)
{
    size_t       pos, number, i;
    azoai_str_t  line;

    pos = 0;
    number = 0;
    i = 0;

    while (azoai_jsonl_next((const u_char *) text, strlen(text), &pos,
                            &number, &line))
    {
        assert_true(i < sn->n);
        assert_int_equal(sn->number[i], number);
        assert_int_equal(sn->start[i], (size_t) (line.data
                                                 - (const u_char *) text));
        assert_int_equal(sn->len[i], line.len);
        assert_memory_equal(sn->text[i], line.data, line.len);
        i++;
    }

    assert_int_equal(i, sn->n);
}


static void
test_lines_splits(void **state)
{
    size_t                t, k, step, cuts[2];
    seen_t                sn;
    azoai_jsonl_lines_t   l;

    static const char  *texts[] = {
        "",
        "\n",
        "{\"a\":1}",
        "{\"a\":1}\n",
        "{\"a\":1}\n{\"b\":2}\n",
        "{\"a\":1}\r\n\r\n  \t\n{\"b\":22}\r\n{\"c\":333}",
        "\n\n\n{}\n\n",
        "x\ny\nz",
        " \t\r",
        "{\"long\":\"0123456789012345678901234567890123456789\"}\n{}\n",
    };

    for (t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        for (k = 0; k <= strlen(texts[t]); k++) {
            memset(&sn, 0, sizeof(seen_t));
            cuts[0] = k;
            cuts[1] = k + 1;
            feed(texts[t], cuts, 2, 0, AZOAI_JSONL_LINE_MAX, &sn, &l);
            assert_null(l.error);
            compare(texts[t], &sn);
        }

        for (step = 1; step < 9; step++) {
            memset(&sn, 0, sizeof(seen_t));
            feed(texts[t], NULL, 0, step, AZOAI_JSONL_LINE_MAX, &sn, &l);
            assert_null(l.error);
            compare(texts[t], &sn);
            assert_int_equal(l.offset, strlen(texts[t]));
        }
    }
}


/* a line longer than max: in one piece or cut anywhere, with its number */

static void
test_lines_too_long(void **state)
{
    size_t                k, cuts[1];
    seen_t                sn;
    azoai_jsonl_lines_t   l;
    static const char     text[] = "{}\n\n0123456789\n{}\n";

    for (k = 0; k <= sizeof(text) - 1; k++) {
        memset(&sn, 0, sizeof(seen_t));
        cuts[0] = k;
        feed(text, cuts, 1, 0, 9, &sn, &l);
        assert_string_equal(l.error,
                            "a line is longer than the JSONL line limit");
        assert_int_equal(l.error_line, 3);
        assert_int_equal(sn.n, 1);

        /* a line of exactly max bytes is taken */
        memset(&sn, 0, sizeof(seen_t));
        feed(text, cuts, 1, 0, 10, &sn, &l);
        assert_null(l.error);
        assert_int_equal(sn.n, 3);
    }

    /* 50 MB without a newline, 1 MB at a time: refused at the limit */
    {
        u_char  *mb;
        size_t   i;

        mb = malloc(1024 * 1024);
        assert_non_null(mb);
        memset(mb, 'a', 1024 * 1024);
        memset(&sn, 0, sizeof(seen_t));
        azoai_jsonl_lines_init(&l, AZOAI_JSONL_LINE_MAX, &alloc, on_line,
                               &sn);

        for (i = 0; i < 50; i++) {
            assert_int_equal(azoai_jsonl_lines_feed(&l, mb, 1024 * 1024),
                             AZOAI_OK);
        }

        assert_int_equal(azoai_jsonl_lines_finish(&l), AZOAI_OK);
        assert_non_null(l.error);
        assert_int_equal(l.error_line, 1);
        assert_int_equal(sn.n, 0);
        assert_true(arena.allocated <= 2 * AZOAI_JSONL_LINE_MAX);
        free(mb);
    }
}


static void
test_lines_stop(void **state)
{
    seen_t                sn;
    azoai_jsonl_lines_t   l;
    static const char     text[] = "{}\n{}\n{}\n";

    memset(&sn, 0, sizeof(seen_t));
    sn.stop_at = 2;
    azoai_jsonl_lines_init(&l, 100, &alloc, on_line, &sn);

    assert_int_equal(azoai_jsonl_lines_feed(&l, (const u_char *) text,
                                            sizeof(text) - 1),
                     AZOAI_DECLINED);
    assert_int_equal(sn.n, 2);
    assert_int_equal(azoai_jsonl_lines_finish(&l), AZOAI_DECLINED);
    assert_null(l.error);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        test_with_arena(test_lines_splits, &arena),
        test_with_arena(test_lines_too_long, &arena),
        test_with_arena(test_lines_stop, &arena),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
