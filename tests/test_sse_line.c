/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of the event-stream line splitter (azoai_sse_line.c): CRLF,
 * LF and CR line ends, blank lines, at every split offset.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "azoai_sse_line.h"


#define TEST_LINES_MAX   64
#define TEST_LINE_MAX    256


/* the lines as a splitter gave them: content, and whether blank */
typedef struct {
    size_t           n;
    size_t           len[TEST_LINES_MAX];
    unsigned         blank[TEST_LINES_MAX];
    u_char           text[TEST_LINES_MAX][TEST_LINE_MAX];
    size_t           open;     /* bytes of the line not yet ended */
} test_lines_t;


static void test_lines_feed(azoai_sse_line_t *l, test_lines_t *t,
    const u_char *p, size_t len);
static void test_lines_split(const char *stream, const char **want,
    size_t nwant, size_t cut1, size_t cut2);
static void test_lines_expect(const test_lines_t *t, const char **want,
    size_t nwant);
static void test_line_ends(void **state);
static void test_blank_crs(void **state);
static void test_every_split(void **state);
static void test_long_line(void **state);


/* the stream and its lines ("" is a blank line) */

static const char  test_stream[] =
    "data: {\"a\":1}\r\n\r\n"
    "event: x\rdata: b\r\r"
    "data: c\n\n"
    ": comment\r\n"
    "\r\r\n"
    "data: 0123456789abcdef0123456789abcdef\n"
    "id: 7\r";

static const char  *test_stream_lines[] = {
    "data: {\"a\":1}", "",
    "event: x", "data: b", "",
    "data: c", "",
    ": comment",
    "", "",
    "data: 0123456789abcdef0123456789abcdef",
    "id: 7"
};


static void
test_lines_feed(azoai_sse_line_t *l, test_lines_t *t, const u_char *p,
    size_t len)
{
    const u_char       *last;
    azoai_sse_piece_t   pc;

    last = p + len;

    while (p < last) {
        p = azoai_sse_line_next(l, p, last, &pc);

        assert_true(p <= last);
        assert_int_equal(pc.offset, t->open);
        assert_true(t->n < TEST_LINES_MAX);
        assert_true(t->open + pc.len <= TEST_LINE_MAX);

        memcpy(t->text[t->n] + t->open, pc.data, pc.len);
        t->open += pc.len;

        if (pc.end) {
            t->len[t->n] = t->open;
            t->blank[t->n] = pc.blank;
            assert_int_equal(pc.blank, t->open == 0);
            t->n++;
            t->open = 0;
        }
    }
}


static void
test_lines_expect(const test_lines_t *t, const char **want, size_t nwant)
{
    size_t  i;

    assert_int_equal(t->n, nwant);
    assert_int_equal(t->open, 0);

    for (i = 0; i < nwant; i++) {
        assert_int_equal(t->len[i], strlen(want[i]));
        assert_memory_equal(t->text[i], want[i], t->len[i]);
        assert_int_equal(t->blank[i], want[i][0] == '\0');
    }
}


/* the stream in three chunks: [0, cut1), [cut1, cut2), [cut2, end) */

static void
test_lines_split(const char *stream, const char **want, size_t nwant,
    size_t cut1, size_t cut2)
{
    size_t             len;
    test_lines_t       t;
    azoai_sse_line_t   l;

    len = strlen(stream);
    memset(&t, 0, sizeof(t));
    azoai_sse_line_init(&l);

    test_lines_feed(&l, &t, (const u_char *) stream, cut1);
    test_lines_feed(&l, &t, (const u_char *) stream + cut1, cut2 - cut1);
    test_lines_feed(&l, &t, (const u_char *) stream + cut2, len - cut2);

    test_lines_expect(&t, want, nwant);
}


static void
test_line_ends(void **state)
{
    size_t  len;

    (void) state;

    len = strlen(test_stream);

    test_lines_split(test_stream, test_stream_lines,
                     sizeof(test_stream_lines) / sizeof(char *), len, len);
}


/*
 * "\r\r\n" is two blank lines, whether its bytes come together or one by
 * one (the bug a fuzzer found in the restore filter's own framing)
 */

static void
test_blank_crs(void **state)
{
    size_t             i;
    test_lines_t       t;
    azoai_sse_line_t   l;

    static const char  *want[] = { "data: x", "", "" };
    static const char   stream[] = "data: x\n\r\r\n";

    (void) state;

    test_lines_split(stream, want, 3, sizeof(stream) - 1,
                     sizeof(stream) - 1);

    memset(&t, 0, sizeof(t));
    azoai_sse_line_init(&l);

    for (i = 0; i < sizeof(stream) - 1; i++) {
        test_lines_feed(&l, &t, (const u_char *) stream + i, 1);
    }

    test_lines_expect(&t, want, 3);
}


/* every pair of split offsets gives the same lines */

static void
test_every_split(void **state)
{
    size_t  len, i, j;

    (void) state;

    len = strlen(test_stream);

    for (i = 0; i <= len; i++) {
        for (j = i; j <= len; j++) {
            test_lines_split(test_stream, test_stream_lines,
                             sizeof(test_stream_lines) / sizeof(char *),
                             i, j);
        }
    }
}


/* lines longer than the vector steps (16, 32 bytes), ends at each offset */

static void
test_long_line(void **state)
{
    size_t   n, k;
    char     stream[TEST_LINE_MAX];
    char     line[TEST_LINE_MAX];

    const char  *want[2];

    (void) state;

    for (n = 0; n < 200; n++) {
        for (k = 0; k < n; k++) {
            line[k] = (char) ('a' + k % 26);
        }

        line[n] = '\0';
        memcpy(stream, line, n);
        memcpy(stream + n, "\r\n\n", sizeof("\r\n\n"));

        want[0] = line;
        want[1] = "";

        test_lines_split(stream, want, 2, n / 2, n + 1);

        /* whole, and LF alone: the 32-byte steps (AVX2) find it too */

        test_lines_split(stream, want, 2, 0, 0);
        memcpy(stream + n, "\n\n", sizeof("\n\n"));
        test_lines_split(stream, want, 2, 0, 0);
        test_lines_split(stream, want, 2, n / 3, n);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_blank_crs),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_long_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
