/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Strict multipart/form-data: the boundary parameter, the delimiters,
 * preamble and epilogue, part headers, Content-Disposition parameters in
 * token, quoted and escaped forms, and every grammar error.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "azoai_multipart.h"


#define S(s)  (const u_char *) (s), strlen(s)

#define CD    "Content-Disposition: form-data; "


/* every split offset is tried for bodies up to this size */
#define SPLIT_ALL_MAX  4096


/* what the incremental parser reported */
typedef struct {
    azoai_multipart_part_t  parts[AZOAI_MULTIPART_MAX_PARTS];
    size_t                  nparts;
    u_char                 *content;     /* all parts' content in a row */
    size_t                  content_len;
    int                     stop;        /* returned by the content handler */
} reports_t;


static test_arena_t  arena;
static azoai_alloc_t  alloc = { test_arena_alloc, &arena };

static void stream_check(const char *body, size_t len,
    const azoai_multipart_t *mp);


/* the boundary of ct, or "!" plus the error, or "-" if not form-data */

static const char *
boundary_of(const char *ct)
{
    int           rc;
    const char   *error;
    azoai_str_t   b;
    static char   out[128];

    rc = azoai_multipart_boundary(S(ct), &b, &error);

    if (rc == AZOAI_DECLINED) {
        return "-";
    }

    if (rc != AZOAI_OK) {
        assert_non_null(error);
        return "!";
    }

    snprintf(out, sizeof(out), "%.*s", (int) b.len, b.data);
    return out;
}


/* parses body with boundary "XyZ": NULL when valid, else the error */

static const char *
parse_len(const char *body, size_t len, azoai_multipart_t *mp)
{
    azoai_str_t  b = azoai_string("XyZ");

    assert_int_equal(azoai_multipart_parse((const u_char *) body, len, &b,
                                           &alloc, mp), AZOAI_OK);
    if (mp->error) {
        assert_true(mp->error_offset <= len);
    }

    stream_check(body, len, mp);

    return mp->error;
}


static int
on_part(void *data, const azoai_multipart_part_t *part)
{
    reports_t  *rp = data;

    assert_true(rp->nparts < AZOAI_MULTIPART_MAX_PARTS);
    rp->parts[rp->nparts] = *part;

    return AZOAI_OK;
}


static int
on_content(void *data, const u_char *p, size_t len)
{
    reports_t  *rp = data;

    assert_true(len > 0);
    memcpy(rp->content + rp->content_len, p, len);
    rp->content_len += len;

    return rp->stop;
}


static int
on_part_end(void *data, const azoai_multipart_part_t *part)
{
    reports_t  *rp = data;

    rp->parts[rp->nparts++].content_end = part->content_end;

    return AZOAI_OK;
}


static void
assert_same_str(azoai_str_t a, azoai_str_t b)
{
    assert_int_equal(a.len, b.len);

    if (a.len) {
        assert_memory_equal(a.data, b.data, a.len);
    }
}


/*
 * Feeds body to the incremental parser in pieces ending at the offsets
 * cuts[0 .. ncuts) (then the rest) or, with step, step bytes at a time;
 * the reports and the result must be those of the whole-body parse mp.
 */

static void
stream_compare(const char *body, size_t len, const size_t *cuts,
    size_t ncuts, size_t step, const azoai_multipart_t *mp)
{
    size_t                     i, pos, end, off;
    reports_t                  rp;
    azoai_str_t                b = azoai_string("XyZ");
    azoai_multipart_stream_t   s;
    azoai_multipart_handler_t  h = { on_part, on_content, on_part_end, &rp };

    memset(&rp, 0, sizeof(reports_t));
    rp.content = malloc(len + 1);
    assert_non_null(rp.content);

    assert_int_equal(azoai_multipart_stream_init(&s, &b, &alloc, &h),
                     AZOAI_OK);

    for (pos = 0, i = 0; pos < len; pos = end, i++) {
        end = step ? pos + step : (i < ncuts ? cuts[i] : len);
        end = end > len ? len : end;
        assert_int_equal(azoai_multipart_feed(&s, (const u_char *) body + pos,
                                              end - pos), AZOAI_OK);
    }

    assert_int_equal(azoai_multipart_finish(&s), AZOAI_OK);

    if (mp->error) {
        assert_non_null(s.error);
        assert_string_equal(s.error, mp->error);
        assert_int_equal(s.error_offset, mp->error_offset);
        free(rp.content);
        return;
    }

    assert_null(s.error);
    assert_int_equal(rp.nparts, mp->nparts);
    assert_int_equal(s.nparts, mp->nparts);
    assert_int_equal(s.preamble_len, mp->preamble_len);
    assert_int_equal(s.epilogue_start, mp->epilogue_start);

    for (off = 0, i = 0; i < mp->nparts; i++) {
        assert_same_str(rp.parts[i].name, mp->parts[i].name);
        assert_same_str(rp.parts[i].filename, mp->parts[i].filename);
        assert_same_str(rp.parts[i].content_type, mp->parts[i].content_type);
        assert_int_equal(rp.parts[i].has_filename, mp->parts[i].has_filename);
        assert_int_equal(rp.parts[i].header_start, mp->parts[i].header_start);
        assert_int_equal(rp.parts[i].content_start,
                         mp->parts[i].content_start);
        assert_int_equal(rp.parts[i].content_end, mp->parts[i].content_end);

        assert_memory_equal(rp.content + off,
                            body + mp->parts[i].content_start,
                            mp->parts[i].content_end
                            - mp->parts[i].content_start);
        off += mp->parts[i].content_end - mp->parts[i].content_start;
    }

    assert_int_equal(rp.content_len, off);

    free(rp.content);
}


/*
 * Every body the tests parse whole is also fed in two pieces at every
 * split offset (or, for large ones, at a few), and byte by byte.
 */

static void
stream_check(const char *body, size_t len, const azoai_multipart_t *mp)
{
    size_t  k, cuts[2];

    for (k = 0; k <= len; k++) {
        if (len > SPLIT_ALL_MAX && k % 997 != 0) {
            continue;
        }

        cuts[0] = k;
        stream_compare(body, len, cuts, 1, 0, mp);

        /* and a third piece: a 1-byte piece after the cut */
        cuts[1] = k + 1;
        stream_compare(body, len, cuts, 2, 0, mp);
    }

    stream_compare(body, len, NULL, 0, 1, mp);
    stream_compare(body, len, NULL, 0, 7, mp);
    stream_compare(body, len, NULL, 0, 65536, mp);
}


static const char *
parse(const char *body, azoai_multipart_t *mp)
{
    return parse_len(body, strlen(body), mp);
}


static void
assert_str(azoai_str_t s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.data, want, s.len);
}


static void
test_multipart_boundary(void **state)
{
    assert_string_equal(boundary_of("multipart/form-data; boundary=abc"),
                        "abc");
    assert_string_equal(boundary_of("Multipart/Form-Data;boundary=abc"),
                        "abc");
    assert_string_equal(boundary_of("multipart/form-data; charset=utf-8;"
                                    " BOUNDARY=\"a b'()+_,-./:=?\""),
                        "a b'()+_,-./:=?");
    assert_string_equal(boundary_of("  multipart/form-data ; boundary=x  "),
                        "x");
    assert_string_equal(boundary_of("multipart/form-data; boundary="
                                    "----WebKitFormBoundary7MA4YWxkTrZu0gW"),
                        "----WebKitFormBoundary7MA4YWxkTrZu0gW");

    /* not form-data */
    assert_string_equal(boundary_of("application/json"), "-");
    assert_string_equal(boundary_of("multipart/mixed; boundary=a"), "-");
    assert_string_equal(boundary_of("multipart/form-datax; boundary=a"), "-");
    assert_string_equal(boundary_of(""), "-");
    assert_string_equal(boundary_of("multipart"), "-");

    /* form-data with bad parameters */
    assert_string_equal(boundary_of("multipart/form-data"), "!");
    assert_string_equal(boundary_of("multipart/form-data;"), "!");
    assert_string_equal(boundary_of("multipart/form-data; boundary="), "!");
    assert_string_equal(boundary_of("multipart/form-data; boundary=\"\""),
                        "!");
    assert_string_equal(boundary_of("multipart/form-data; boundary=a;"
                                    " boundary=a"), "!");
    assert_string_equal(boundary_of("multipart/form-data; boundary=\"a \""),
                        "!");
    assert_string_equal(boundary_of("multipart/form-data; boundary=\"a\\b\""),
                        "!");
    assert_string_equal(boundary_of("multipart/form-data; boundary=a{b"),
                        "!");
    assert_string_equal(boundary_of("multipart/form-data; boundary=a*b"),
                        "!");
    assert_string_equal(boundary_of("multipart/form-data; boundary=\"a"),
                        "!");
    assert_string_equal(boundary_of("multipart/form-data; boundary = a"),
                        "!");
    assert_string_equal(boundary_of("multipart/form-data boundary=a"), "!");
    assert_string_equal(boundary_of(
        "multipart/form-data; boundary="
        "12345678901234567890123456789012345678901234567890123456789012345678"
        "901"), "!");
    assert_string_equal(boundary_of(
        "multipart/form-data; boundary="
        "12345678901234567890123456789012345678901234567890123456789012345678"
        "90"),
        "12345678901234567890123456789012345678901234567890"
        "12345678901234567890");
}


static void
test_multipart_parts(void **state)
{
    azoai_multipart_t  mp;
    const char        *body;

    body = "--XyZ\r\n"
           CD "name=\"purpose\"\r\n"
           "\r\n"
           "fine-tune\r\n"
           "--XyZ\r\n"
           CD "name=\"file\"; filename=\"train.jsonl\"\r\n"
           "Content-Type: application/octet-stream\r\n"
           "\r\n"
           "{\"a\":1}\n{\"b\":2}\n\r\n"
           "--XyZ--\r\n";

    assert_null(parse(body, &mp));
    assert_int_equal(mp.nparts, 2);
    assert_int_equal(mp.preamble_len, 0);
    assert_int_equal(mp.epilogue_start, strlen(body));

    assert_str(mp.parts[0].name, "purpose");
    assert_false(mp.parts[0].has_filename);
    assert_int_equal(mp.parts[0].content_type.len, 0);
    assert_int_equal(mp.parts[0].header_start, 7);
    assert_int_equal(mp.parts[0].content_end - mp.parts[0].content_start, 9);
    assert_memory_equal(body + mp.parts[0].content_start, "fine-tune", 9);

    assert_str(mp.parts[1].name, "file");
    assert_true(mp.parts[1].has_filename);
    assert_str(mp.parts[1].filename, "train.jsonl");
    assert_str(mp.parts[1].content_type, "application/octet-stream");
    assert_int_equal(mp.parts[1].content_end - mp.parts[1].content_start, 16);
    assert_memory_equal(body + mp.parts[1].content_start,
                        "{\"a\":1}\n{\"b\":2}\n", 16);

    /* no CRLF after the closing delimiter, blanks after delimiters */
    assert_null(parse("--XyZ \t\r\n" CD "name=a\r\n\r\nv\r\n--XyZ-- ", &mp));
    assert_int_equal(mp.nparts, 1);
    assert_str(mp.parts[0].name, "a");

    /* empty content; content that is only CRLF */
    assert_null(parse("--XyZ\r\n" CD "name=a\r\n\r\n\r\n--XyZ\r\n"
                      CD "name=b\r\n\r\n\r\n\r\n--XyZ--", &mp));
    assert_int_equal(mp.nparts, 2);
    assert_int_equal(mp.parts[0].content_end, mp.parts[0].content_start);
    assert_int_equal(mp.parts[1].content_end - mp.parts[1].content_start, 2);

    /* header names and form-data in any case, other headers ignored */
    assert_null(parse("--XyZ\r\ncontent-DISPOSITION:Form-Data;NAME=a\r\n"
                      "X-Other: 1\r\nContent-Transfer-Encoding: BINARY\r\n"
                      "content-type: text/plain; charset=utf-8 \r\n"
                      "\r\nv\r\n--XyZ--\r\n", &mp));
    assert_str(mp.parts[0].name, "a");
    assert_str(mp.parts[0].content_type, "text/plain; charset=utf-8");
}


static void
test_multipart_names(void **state)
{
    azoai_multipart_t  mp;

    /* quoted-pairs undone; ';' and '=' inside quotes are content */
    assert_null(parse("--XyZ\r\n" CD "name=\"a\\\"b\\\\c\"; "
                      "filename=\"x;y=z \\\"q\\\".jsonl\"\r\n\r\n"
                      "v\r\n--XyZ--\r\n", &mp));
    assert_str(mp.parts[0].name, "a\"b\\c");
    assert_str(mp.parts[0].filename, "x;y=z \"q\".jsonl");

    /* an empty filename is a filename */
    assert_null(parse("--XyZ\r\n" CD "name=f; filename=\"\"\r\n\r\n"
                      "v\r\n--XyZ--\r\n", &mp));
    assert_true(mp.parts[0].has_filename);
    assert_int_equal(mp.parts[0].filename.len, 0);

    /* non-ASCII (UTF-8) in quoted names */
    assert_null(parse("--XyZ\r\n" CD "name=f; filename=\"\xc3\xa9.jsonl\""
                      "\r\n\r\nv\r\n--XyZ--\r\n", &mp));
    assert_str(mp.parts[0].filename, "\xc3\xa9.jsonl");

    assert_non_null(parse("--XyZ\r\n" CD "name=a; name=b\r\n\r\n"
                          "v\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a; filename=b; filename=c"
                          "\r\n\r\nv\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a; filename*=UTF-8''b"
                          "\r\n\r\nv\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "filename=b\r\n\r\n"
                          "v\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=\"\"\r\n\r\n"
                          "v\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=\"a\r\n\r\n"
                          "v\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=\"a\\\"\r\n\r\n"
                          "v\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=\"a\"x\r\n\r\n"
                          "v\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a b\r\n\r\n"
                          "v\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=\r\n\r\n"
                          "v\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name\r\n\r\n"
                          "v\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\nContent-Disposition: attachment; "
                          "name=a\r\n\r\nv\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=\"a\tb\x01\"\r\n\r\n"
                          "v\r\n--XyZ--\r\n", &mp));
}


static void
test_multipart_preamble_epilogue(void **state)
{
    azoai_multipart_t  mp;

    assert_null(parse("preamble --XyZ text\r\n--XyZ\r\n" CD "name=a\r\n"
                      "\r\nv\r\n--XyZ--\r\nepilogue\r\nmore", &mp));
    assert_int_equal(mp.preamble_len, 21);
    assert_int_equal(mp.nparts, 1);

    assert_null(parse("\r\n--XyZ\r\n" CD "name=a\r\n\r\nv\r\n--XyZ--",
                      &mp));
    assert_int_equal(mp.preamble_len, 2);

    /* the boundary again after the closing delimiter */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nv\r\n--XyZ--\r\n"
                          "--XyZ\r\n" CD "name=b\r\n\r\nw\r\n--XyZ--\r\n",
                          &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nv\r\n--XyZ--\r\n"
                          "--XyZ--\r\n", &mp));

    /* the closing delimiter followed by bytes on its line */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nv\r\n--XyZ--x\r\n",
                          &mp));

    /* preamble boundary after a bare LF */
    assert_non_null(parse("pre\n--XyZ\r\n" CD "name=a\r\n\r\nv\r\n--XyZ--",
                          &mp));
}


static void
test_multipart_delimiters(void **state)
{
    azoai_multipart_t  mp;
    const char        *error;

    /* no delimiter at all, empty body, only the closing one */
    assert_non_null(parse("", &mp));
    assert_non_null(parse("{\"model\":\"x\"}", &mp));
    assert_non_null(parse("--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZ", &mp));

    /* never closing */
    error = parse("--XyZ\r\n" CD "name=a\r\n\r\nv\r\n", &mp);
    assert_non_null(error);
    assert_string_equal(error, "missing closing boundary delimiter");
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nv\r\n--XyZ", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nv\r\n--XyZ\r\n",
                          &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nv\r\n--XyZ-", &mp));

    /* a longer boundary that starts with ours: inside content */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nv\r\n--XyZW\r\n"
                          CD "name=b\r\n\r\nw\r\n--XyZ--\r\n", &mp));
    assert_non_null(parse("--XyZW\r\n" CD "name=a\r\n\r\nv\r\n--XyZ--\r\n",
                          &mp));

    /* the boundary in content, not at a line start: content */
    assert_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nx--XyZ\r\ny--XyZ--"
                      "\r\n--XyZ--\r\n", &mp));
    assert_int_equal(mp.nparts, 1);
    assert_int_equal(mp.parts[0].content_end - mp.parts[0].content_start,
                     strlen("x--XyZ\r\ny--XyZ--"));

    /* at a line start, followed by other bytes: an error */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nx\r\n--XyZ y"
                          "\r\n--XyZ--\r\n", &mp));

    /* the boundary after a bare LF or CR in content */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nv\n--XyZ--\r\n",
                          &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\nv\r--XyZ--\r\n",
                          &mp));

    /* straight after the blank line of the headers */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\r\n--XyZ--\r\n", &mp));

    /* first delimiter line without CRLF */
    assert_non_null(parse("--XyZ" CD "name=a\r\n\r\nv\r\n--XyZ--", &mp));
    assert_non_null(parse("--XyZ\n" CD "name=a\r\n\r\nv\r\n--XyZ--", &mp));
}


static void
test_multipart_headers(void **state)
{
    char               *big;
    size_t              n;
    azoai_multipart_t   mp;

    /* part without Content-Disposition, without headers */
    assert_non_null(parse("--XyZ\r\nContent-Type: text/plain\r\n\r\n"
                          "v\r\n--XyZ--", &mp));
    assert_non_null(parse("--XyZ\r\n\r\nv\r\n--XyZ--", &mp));

    /* repeated header fields */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n" CD "name=a\r\n\r\n"
                          "v\r\n--XyZ--", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\nContent-Type: a/b\r\n"
                          "content-type: a/b\r\n\r\nv\r\n--XyZ--", &mp));

    /* nested multipart, bad types */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\nContent-Type: "
                          "Multipart/mixed; boundary=q\r\n\r\nv\r\n--XyZ--",
                          &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\nContent-Type: text"
                          "\r\n\r\nv\r\n--XyZ--", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\nContent-Type: text/"
                          "\r\n\r\nv\r\n--XyZ--", &mp));

    /* transfer encodings that hide the content */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n"
                          "Content-Transfer-Encoding: base64\r\n\r\n"
                          "dg==\r\n--XyZ--", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n"
                          "\r\nv\r\n--XyZ--", &mp));

    /* CR without LF, LF without CR, NUL, folding, no colon */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\rX: 1\r\n\r\nv\r\n--XyZ--",
                          &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\nX: 1\r\n\r\nv\r\n--XyZ--",
                          &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n\n\r\nv\r\n--XyZ--",
                          &mp));
    assert_non_null(parse_len("--XyZ\r\n" CD "name=a\0\r\n\r\nv\r\n--XyZ--",
                              sizeof("--XyZ\r\n" CD "name=a\0\r\n\r\n"
                                     "v\r\n--XyZ--") - 1, &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n X: 1\r\n\r\nv\r\n"
                          "--XyZ--", &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\nX 1\r\n\r\nv\r\n--XyZ--",
                          &mp));
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\nX : 1\r\n\r\nv\r\n"
                          "--XyZ--", &mp));
    assert_non_null(parse("--XyZ\r\n: 1\r\n" CD "name=a\r\n\r\nv\r\n--XyZ--",
                          &mp));

    /* headers that never end */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n", &mp));

    /* NUL and bare CR in content are content */
    assert_null(parse_len("--XyZ\r\n" CD "name=a\r\n\r\n\0\r\r\n--XyZ--",
                          sizeof("--XyZ\r\n" CD "name=a\r\n\r\n\0\r\r\n"
                                 "--XyZ--") - 1, &mp));
    assert_int_equal(mp.parts[0].content_end - mp.parts[0].content_start, 2);

    /* a 60 KB part header */
    n = 60 * 1024;
    big = malloc(n + 64);
    assert_non_null(big);
    n = strlen("--XyZ\r\n" CD "name=a\r\nX-Big: ");
    memcpy(big, "--XyZ\r\n" CD "name=a\r\nX-Big: ", n);
    memset(big + n, 'a', 60 * 1024 - n);
    strcpy(big + 60 * 1024, "\r\n\r\nv\r\n--XyZ--");
    assert_string_equal(parse(big, &mp), "part headers larger than 8192 "
                                         "bytes");
    free(big);

    /* 17 header fields */
    assert_non_null(parse("--XyZ\r\n" CD "name=a\r\n"
                          "A: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\n"
                          "A: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\n"
                          "A: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\n"
                          "\r\nv\r\n--XyZ--", &mp));
}


static void
test_multipart_many_parts(void **state)
{
    char               *body, *p;
    size_t              i, n;
    azoai_multipart_t   mp;
    static const char   part[] = "--XyZ\r\n" CD "name=a\r\n\r\nv\r\n";

    n = 10000;
    body = malloc(n * (sizeof(part) - 1) + 16);
    assert_non_null(body);

    for (p = body, i = 0; i < n; i++) {
        memcpy(p, part, sizeof(part) - 1);
        p += sizeof(part) - 1;
    }

    strcpy(p, "--XyZ--\r\n");

    assert_string_equal(parse(body, &mp), "too many multipart parts");

    /* the most parts still accepted */
    p = body + AZOAI_MULTIPART_MAX_PARTS * (sizeof(part) - 1);
    strcpy(p, "--XyZ--\r\n");
    assert_null(parse(body, &mp));
    assert_int_equal(mp.nparts, AZOAI_MULTIPART_MAX_PARTS);

    free(body);
}


static void
test_multipart_nomem(void **state)
{
    azoai_str_t        b = azoai_string("XyZ");
    azoai_multipart_t  mp;
    static const char  body[] = "--XyZ\r\n" CD "name=\"a\\\"\"\r\n\r\n"
                                "v\r\n--XyZ--";
    size_t             i;
    int                rc;

    for (i = 1; i < 5; i++) {
        test_arena_free(&arena);
        arena.fail_after = i;
        rc = azoai_multipart_parse((const u_char *) body, sizeof(body) - 1,
                                   &b, &alloc, &mp);
        assert_true(rc == AZOAI_ERROR || (rc == AZOAI_OK && !mp.error));
    }

    arena.fail_after = 0;
}


/* a handler that stops the parser: its value comes back, nothing more */

static void
test_multipart_stream_stop(void **state)
{
    reports_t                  rp;
    azoai_str_t                b = azoai_string("XyZ");
    azoai_multipart_stream_t   s;
    azoai_multipart_handler_t  h = { on_part, on_content, on_part_end, &rp };
    static const char          body[] = "--XyZ\r\n" CD "name=a\r\n\r\n"
                                        "value\r\n--XyZ--\r\n";

    memset(&rp, 0, sizeof(reports_t));
    rp.content = malloc(sizeof(body));
    assert_non_null(rp.content);
    rp.stop = AZOAI_DECLINED;

    assert_int_equal(azoai_multipart_stream_init(&s, &b, &alloc, &h),
                     AZOAI_OK);
    assert_int_equal(azoai_multipart_feed(&s, (const u_char *) body,
                                          sizeof(body) - 1),
                     AZOAI_DECLINED);
    assert_int_equal(rp.content_len, 5);
    assert_int_equal(rp.nparts, 0);
    assert_int_equal(azoai_multipart_feed(&s, (const u_char *) "x", 1),
                     AZOAI_DECLINED);
    assert_int_equal(azoai_multipart_finish(&s), AZOAI_DECLINED);
    assert_null(s.error);

    /* a boundary of 71 bytes is refused before any byte */
    b.len = AZOAI_MULTIPART_BOUNDARY_MAX + 1;
    b.data = (const u_char *) "12345678901234567890123456789012345678901234"
                              "567890123456789012345678901";
    assert_int_equal(azoai_multipart_stream_init(&s, &b, &alloc, &h),
                     AZOAI_OK);
    assert_string_equal(s.error, "bad boundary");
    assert_int_equal(azoai_multipart_feed(&s, (const u_char *) body, 4),
                     AZOAI_OK);

    free(rp.content);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_multipart_boundary),
        test_with_arena(test_multipart_parts, &arena),
        test_with_arena(test_multipart_names, &arena),
        test_with_arena(test_multipart_preamble_epilogue, &arena),
        test_with_arena(test_multipart_delimiters, &arena),
        test_with_arena(test_multipart_headers, &arena),
        test_with_arena(test_multipart_many_parts, &arena),
        test_with_arena(test_multipart_nomem, &arena),
        test_with_arena(test_multipart_stream_stop, &arena),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
