/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of the strict JSON tokenizer and walker.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azoai_core.h"
#include "azoai_json.h"


static void errors_after_top(const char *doc, size_t offset);


typedef struct {
    const char      *text;
    size_t           len;
    unsigned         expect;
} json_case_t;


#define J(s, e)  { s, sizeof(s) - 1, e }

#define OK       AZOAI_JSON_OK
#define BAD      AZOAI_JSON_INVALID


static const json_case_t  json_cases[] = {

    /* scalars */
    J("0", OK), J("-0", OK), J("1", OK), J("-1", OK), J("10", OK),
    J("0.5", OK), J("-0.0e-0", OK), J("1E+2", OK), J("1e2", OK),
    J("1.5E-10", OK), J("2e0001", OK), J("9007199254740993", OK),
    J("123456789012345678901234567890123456789", OK),
    J("1e999999", OK), J("-123.456e+789", OK),
    J("\"\"", OK), J("\"x\"", OK), J("true", OK), J("false", OK),
    J("null", OK),

    /* whitespace: space, tab, CR, LF only */
    J(" \t\r\n[ ] \n", OK), J("\n\n1\n", OK),
    J("\f1", BAD), J("1\v", BAD), J("\xc2\xa0" "1", BAD),
    J("\xef\xbb\xbf{}", BAD),

    /* containers */
    J("{}", OK), J("[]", OK), J("{\"a\":1}", OK), J("[1,2,3]", OK),
    J("{\"a\":{\"b\":[true,false,null,\"s\",{},[]]}}", OK),
    J("{\"a\":1,\"a\":2}", OK), J("[[[]]]", OK),
    J("{ \"a\" : [ 1 , 2 ] , \"b\" : { } }", OK),

    /* strings, escapes */
    J("\"\\u00e9\"", OK), J("\"\\/\"", OK),
    J("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", OK), J("\"\\u0000\"", OK),
    J("\"\\uD83D\\uDE00\"", OK), J("\"\\ud800\"", OK),
    J("\"\\udc00\"", OK), J("\"\\ud800\\ud800\"", OK),
    J("\"\\uABCD\\uabcd\"", OK), J("\"a\x7f b\"", OK),

    /* UTF-8 */
    J("\"\xc3\xa9\"", OK), J("\"\xe2\x82\xac\"", OK),
    J("\"\xf0\x9f\x98\x80\"", OK), J("\"\xf4\x8f\xbf\xbf\"", OK),
    J("\"\xed\x9f\xbf\"", OK), J("\"\xee\x80\x80\"", OK),
    J("\"\xc2\x80\"", OK), J("\"\xe0\xa0\x80\"", OK),
    J("\"\xf0\x90\x80\x80\"", OK),
    J("\"\xc0\x80\"", BAD), J("\"\xc1\xbf\"", BAD),
    J("\"\xe0\x80\x80\"", BAD), J("\"\xe0\x9f\xbf\"", BAD),
    J("\"\xed\xa0\x80\"", BAD), J("\"\xed\xbf\xbf\"", BAD),
    J("\"\xf0\x80\x80\x80\"", BAD), J("\"\xf0\x8f\xbf\xbf\"", BAD),
    J("\"\xf4\x90\x80\x80\"", BAD), J("\"\xf5\x80\x80\x80\"", BAD),
    J("\"\xff\"", BAD), J("\"\xfe\"", BAD), J("\"\x80\"", BAD),
    J("\"\xbf\"", BAD), J("\"\xc3\"", BAD), J("\"\xe2\x82\"", BAD),
    J("\"\xf0\x9f\x98\"", BAD), J("\"\xc3", BAD), J("\"\xc3\x28\"", BAD),
    J("\"\xe2\x28\xa1\"", BAD), J("\xc3\xa9", BAD),

    /* bad strings */
    J("\"abc", BAD), J("\"\\x\"", BAD), J("\"\\u12\"", BAD),
    J("\"\\u12G4\"", BAD), J("\"\\U00e9\"", BAD), J("\"\\'\"", BAD),
    J("\"a\x01\"", BAD), J("\"a\tb\"", BAD), J("\"a\nb\"", BAD),
    J("\"a\0b\"", BAD), J("\"\\", BAD), J("\"\\u", BAD),
    J("'a'", BAD),

    /* bad numbers */
    J("01", BAD), J("-01", BAD), J("00", BAD), J("-", BAD), J("+1", BAD),
    J(".5", BAD), J("1.", BAD), J("1.e5", BAD), J("1e", BAD),
    J("1e+", BAD), J("1E-", BAD), J("0x10", BAD), J("NaN", BAD),
    J("Infinity", BAD), J("-Infinity", BAD), J("1.5.2", BAD),
    J("- 1", BAD), J("[01]", BAD), J("[1.]", BAD),

    /* digits eight at a time, and what ends them */
    J("[1234567890123456789.5e+123456789,0]", OK),
    J("{\"a\":12345678901234567}", OK), J("12345678901\xc3\xa9", BAD),
    J("1234567890:", BAD), J("12345678/", BAD), J("123456789A", BAD),
    J("1.2345678901234567\x80", BAD), J("1e123456789012.5", BAD),

    /* bad literals */
    J("tru", BAD), J("truex", BAD), J("nul", BAD), J("True", BAD),
    J("fals", BAD), J("nulll", BAD), J("[true false]", BAD),

    /* bad structure */
    J("", BAD), J(" ", BAD), J("{", BAD), J("}", BAD), J("[", BAD),
    J("]", BAD), J("[1,]", BAD), J("[,1]", BAD), J("{\"a\":1,}", BAD),
    J("{\"a\" 1}", BAD), J("{a:1}", BAD), J("{'a':1}", BAD),
    J("{\"a\":}", BAD), J("{\"a\"}", BAD), J("{1:1}", BAD),
    J("[1 2]", BAD), J("{\"a\":1}{}", BAD), J("1 2", BAD),
    J("[1]]", BAD), J("[1}", BAD), J("{\"a\":1]", BAD), J("[\0]", BAD),
    J("{\"a\":1 \"b\":2}", BAD), J("[1,,2]", BAD), J("//\n1", BAD),
    J("1 /* c */", BAD), J("[1]\0", BAD),
};


static void
test_json_cases(void **state)
{
    size_t               i;
    unsigned             rc;
    azoai_json_status_t  st;

    for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
        rc = azoai_json_walk((const u_char *) json_cases[i].text,
                             json_cases[i].len, NULL, NULL, &st);

        if (rc != json_cases[i].expect) {
            print_error("case %zu: got %u, want %u (%s at %zu)\n", i, rc,
                        json_cases[i].expect, st.reason ? st.reason : "-",
                        st.offset);
        }

        assert_int_equal(rc, json_cases[i].expect);
        assert_int_equal(st.error, rc);

        if (rc != AZOAI_JSON_OK) {
            assert_non_null(st.reason);
            assert_true(st.offset <= json_cases[i].len);
        }
    }
}


static size_t
nest(char *buf, unsigned depth, int objects)
{
    size_t    n;
    unsigned  i;

    n = 0;

    for (i = 0; i < depth; i++) {
        if (objects) {
            memcpy(buf + n, "{\"k\":", 5);
            n += 5;

        } else {
            buf[n++] = '[';
        }
    }

    buf[n++] = '1';

    for (i = 0; i < depth; i++) {
        buf[n++] = objects ? '}' : ']';
    }

    return n;
}


static void
test_json_depth(void **state)
{
    int                  objects;
    char                 buf[1024];
    size_t               n;
    azoai_json_status_t  st;

    for (objects = 0; objects < 2; objects++) {
        n = nest(buf, AZOAI_JSON_MAX_DEPTH, objects);
        assert_int_equal(azoai_json_walk((u_char *) buf, n, NULL, NULL, &st),
                         AZOAI_JSON_OK);

        n = nest(buf, AZOAI_JSON_MAX_DEPTH + 1, objects);
        assert_int_equal(azoai_json_walk((u_char *) buf, n, NULL, NULL, &st),
                         AZOAI_JSON_TOO_DEEP);
        assert_int_equal(st.offset,
                         (size_t) AZOAI_JSON_MAX_DEPTH * (objects ? 5 : 1));
    }

    /* deep but unbalanced input is an error without any recursion */

    memset(buf, '[', sizeof(buf));
    assert_int_equal(azoai_json_walk((u_char *) buf, sizeof(buf), NULL, NULL,
                                     &st),
                     AZOAI_JSON_TOO_DEEP);
}


static const char  sample_doc[] =
    "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":"
    "\"You are a helpful assistant that answers briefly.\"},{\"role\":"
    "\"user\",\"content\":\"caf\xc3\xa9 \\u00e9\\/\\uD83D\\uDE00 \\\"q\\\" "
    "and more text to cross a vector boundary or two\"}],\"temperature\":"
    "-0.5e-3,\"n\":1,\"stream\":false,\"stop\":null,\"logit_bias\":{}, "
    "\"x\" : [ true , 12 ] }";


static void
test_json_prefixes(void **state)
{
    size_t               n, len;
    azoai_json_status_t  st;

    len = sizeof(sample_doc) - 1;

    assert_int_equal(azoai_json_walk((u_char *) sample_doc, len, NULL, NULL,
                                     &st),
                     AZOAI_JSON_OK);

    for (n = 0; n < len; n++) {
        assert_int_equal(azoai_json_walk((u_char *) sample_doc, n, NULL,
                                         NULL, &st),
                         AZOAI_JSON_INVALID);
        assert_true(st.offset <= n);
    }
}


/*
 * a string of length len with byte c at pos, surrounded by 'a'; up to 300
 * bytes, so that each byte is found in the SSE2 steps and in the first and
 * second halves of the AVX2 128- and 64-byte steps
 */

static void
test_json_string_positions(void **state)
{
    size_t               len, pos, n;
    u_char               buf[304];
    unsigned             rc;
    azoai_json_status_t  st;

    for (len = 1; len < 300; len++) {
        for (pos = 0; pos < len; pos++) {
            buf[0] = '"';
            memset(buf + 1, 'a', len);
            buf[len + 1] = '"';
            n = len + 2;

            buf[1 + pos] = 0x1f;
            rc = azoai_json_walk(buf, n, NULL, NULL, &st);
            assert_int_equal(rc, AZOAI_JSON_INVALID);
            assert_int_equal(st.offset, 1 + pos);

            buf[1 + pos] = 0x80;
            rc = azoai_json_walk(buf, n, NULL, NULL, &st);
            assert_int_equal(rc, AZOAI_JSON_INVALID);
            assert_int_equal(st.offset, 1 + pos);

            buf[1 + pos] = '"';
            rc = azoai_json_walk(buf, n, NULL, NULL, &st);
            assert_int_equal(rc, AZOAI_JSON_INVALID);
            assert_int_equal(st.offset, 2 + pos);

            buf[1 + pos] = '\\';
            rc = azoai_json_walk(buf, n, NULL, NULL, &st);
            assert_int_equal(rc, AZOAI_JSON_INVALID);
            assert_int_equal(st.offset, pos + 1 < len ? 1 + pos : n);

            buf[1 + pos] = 0x7f;
            rc = azoai_json_walk(buf, n, NULL, NULL, &st);
            assert_int_equal(rc, AZOAI_JSON_OK);

            if (pos + 1 < len) {
                buf[1 + pos] = 0xc3;
                buf[2 + pos] = 0xa9;
                rc = azoai_json_walk(buf, n, NULL, NULL, &st);
                assert_int_equal(rc, AZOAI_JSON_OK);

                buf[2 + pos] = 'a';
                rc = azoai_json_walk(buf, n, NULL, NULL, &st);
                assert_int_equal(rc, AZOAI_JSON_INVALID);
                assert_int_equal(st.offset, 1 + pos);

                buf[1 + pos] = '\\';
                buf[2 + pos] = 'n';
                rc = azoai_json_walk(buf, n, NULL, NULL, &st);
                assert_int_equal(rc, AZOAI_JSON_OK);
            }
        }
    }
}


/* visitor events rendered as text */

typedef struct {
    char                 out[2048];
    size_t               n;
    const u_char        *input;
    int                  stop_at;
    int                  seen;
} trace_t;


static int
trace_visit(void *data, const azoai_json_value_t *v)
{
    trace_t                   *t;
    unsigned                   i;
    const azoai_json_frame_t  *f;

    t = data;

    /* the reported offset and span agree with the input */
    assert_ptr_equal(t->input + v->offset, v->raw.data);

    /* the parent's frame, closings included */
    if (v->depth) {
        assert_ptr_equal(v->parent, v->path + v->depth - 1);
    }

    t->n += snprintf(t->out + t->n, sizeof(t->out) - t->n, "%s%u",
                     t->n ? " " : "", v->type);

    for (i = 0; i < v->depth; i++) {
        f = &v->path[i];

        if (f->type == AZOAI_JSON_OBJECT) {
            t->n += snprintf(t->out + t->n, sizeof(t->out) - t->n, ".%.*s",
                             (int) f->key.len, f->key.data);

        } else {
            t->n += snprintf(t->out + t->n, sizeof(t->out) - t->n, "[%zu]",
                             f->index);
        }
    }

    t->n += snprintf(t->out + t->n, sizeof(t->out) - t->n, "%s=%.*s",
                     v->closing ? "/" : "", (int) v->raw.len, v->raw.data);

    if (v->flags) {
        t->n += snprintf(t->out + t->n, sizeof(t->out) - t->n, "#%u",
                         v->flags);
    }

    return ++t->seen == t->stop_at;
}


static void
test_json_visitor(void **state)
{
    trace_t              t;
    unsigned             rc;
    const char          *doc;
    azoai_json_status_t  st;

    doc = "{\"a\": [1, {\"b\": \"x\\n\"}], \"c\": null,"
          " \"d\\u0065\": [[true], \"\xc3\xa9\"]}";

    memset(&t, 0, sizeof(t));
    t.input = (const u_char *) doc;

    rc = azoai_json_walk((const u_char *) doc, strlen(doc), trace_visit, &t,
                         &st);
    assert_int_equal(rc, AZOAI_JSON_OK);
    assert_int_equal(st.values, 10);

    assert_string_equal(t.out,
        "1={ 2.a=[ 4.a[0]=1 1.a[1]={ 3.a[1].b=x\\n#1"
        " 1.a[1]/={\"b\": \"x\\n\"} 2.a/=[1, {\"b\": \"x\\n\"}]"
        " 7.c=null 2.d\\u0065=[ 2.d\\u0065[0]=[ 5.d\\u0065[0][0]=true"
        " 2.d\\u0065[0]/=[true] 3.d\\u0065[1]=\xc3\xa9#4"
        " 2.d\\u0065/=[[true], \"\xc3\xa9\"]"
        " 1/={\"a\": [1, {\"b\": \"x\\n\"}], \"c\": null,"
        " \"d\\u0065\": [[true], \"\xc3\xa9\"]}");

    /* a visitor may stop the walk */

    memset(&t, 0, sizeof(t));
    t.input = (const u_char *) doc;
    t.stop_at = 3;

    rc = azoai_json_walk((const u_char *) doc, strlen(doc), trace_visit, &t,
                         &st);
    assert_int_equal(rc, AZOAI_JSON_STOPPED);
    assert_int_equal(t.seen, 3);
    assert_int_equal(st.offset, 7);
}


/*
 * Member names: the compact '"name":value' (read without the whitespace
 * skips) and every spaced form give the same walk; what follows the colon
 * fails the same way on either path
 */

static void
test_json_member_colon(void **state)
{
    size_t               i;
    trace_t              t, c;
    unsigned             rc;
    azoai_json_status_t  st;

    static const char   *compact = "{\"a\":1,\"b\":{\"c\":\"x\"},"
                                   "\"d\":[true],\"e\":null}";

    static const char   *spaced[] = {
        "{\"a\" :1,\"b\": {\"c\" : \"x\"},\"d\":\t[true],\"e\":\r\nnull}",
        "{ \"a\"\n:\n1 , \"b\" :{ \"c\":\"x\" } ,\"d\" :[true],\"e\": null }",
        "{\"a\":1,\"b\":{\"c\":  \"x\"},\"d\":[true],\"e\":    null}"
    };

    static const struct {
        const char      *doc;
        size_t           offset;
        const char      *reason;
    } bad[] = {
        { "{\"a\":", 5, "expected a value" },
        { "{\"a\":}", 5, "expected a value" },
        { "{\"a\": ", 6, "expected a value" },
        { "{\"a\":\x01}", 5, "expected a value" },
        { "{\"a\":\xc3\xa9}", 5, "expected a value" },
        { "{\"a\":x}", 5, "expected a value" },
        { "{\"a\"", 4, "expected ':'" },
        { "{\"a\";1}", 4, "expected ':'" },
        { "{\"a\":1", 6, "expected ',' or '}'" },
        { "{\"a\":1,\"b\":", 11, "expected a value" },
        /* elements and the top level: a value due at the end */
        { "", 0, "expected a value" },
        { " \n", 2, "expected a value" },
        { "[", 1, "expected a value" },
        { "[ ", 2, "expected a value" },
        { "[1,", 3, "expected a value" },
        { "[1, ", 4, "expected a value" },
        { "{\"a\":[", 6, "expected a value" },
        { "{\"a\":[\"x\",\t", 11, "expected a value" }
    };

    memset(&c, 0, sizeof(c));
    c.input = (const u_char *) compact;

    rc = azoai_json_walk_values((const u_char *) compact, strlen(compact),
                                trace_visit, &c, &st);
    assert_int_equal(rc, AZOAI_JSON_OK);
    assert_string_equal(c.out, "1={ 4.a=1 1.b={ 3.b.c=x 2.d=[ 5.d[0]=true"
                               " 7.e=null");

    for (i = 0; i < sizeof(spaced) / sizeof(spaced[0]); i++) {
        memset(&t, 0, sizeof(t));
        t.input = (const u_char *) spaced[i];

        rc = azoai_json_walk_values((const u_char *) spaced[i],
                                    strlen(spaced[i]), trace_visit, &t, &st);
        assert_int_equal(rc, AZOAI_JSON_OK);
        assert_string_equal(t.out, c.out);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rc = azoai_json_walk_values((const u_char *) bad[i].doc,
                                    strlen(bad[i].doc), NULL, NULL, &st);
        assert_int_equal(rc, AZOAI_JSON_INVALID);
        assert_int_equal(st.offset, bad[i].offset);
        assert_string_equal(st.reason, bad[i].reason);
    }
}


/*
 * Members cut at every length, each prefix in a malloc() block of its
 * exact size (ASan sees a read past it): names of 1, 14, 15, 16 and 17
 * bytes around the 16-byte compact way of azoai_json_member(), escaped,
 * non-ASCII and spaced ones.  A prefix fails as it does with the rest of
 * the document after it in memory; the whole one walks the same.
 */

static void
test_json_member_cut(void **state)
{
    size_t               n, len;
    u_char              *buf;
    trace_t              t, c;
    unsigned             rc, rc2;
    azoai_json_status_t  st, st2;

    static const char    doc[] =
        "{\"a\":1,\"abcdefghijklmn\":\"x\",\"abcdefghijklmno\":[true],"
        "\"abcdefghijklmnop\":{\"b\":null},\"abcdefghijklmnopq\":2,"
        "\"a\\u0062\":\"y\",\"caf\xc3\xa9\":3,\"k\" :4,\"l\": 5,"
        "\"m\":\"z\"}";

    len = sizeof(doc) - 1;

    memset(&c, 0, sizeof(c));
    c.input = (const u_char *) doc;

    rc = azoai_json_walk((const u_char *) doc, len, trace_visit, &c, &st);
    assert_int_equal(rc, AZOAI_JSON_OK);

    buf = malloc(len);
    assert_non_null(buf);
    memcpy(buf, doc, len);

    memset(&t, 0, sizeof(t));
    t.input = buf;

    rc = azoai_json_walk(buf, len, trace_visit, &t, &st);
    assert_int_equal(rc, AZOAI_JSON_OK);
    assert_string_equal(t.out, c.out);

    free(buf);

    for (n = 0; n < len; n++) {
        buf = malloc(n ? n : 1);
        assert_non_null(buf);
        memcpy(buf, doc, n);

        rc = azoai_json_walk_values(buf, n, NULL, NULL, &st);
        rc2 = azoai_json_walk_values((const u_char *) doc, n, NULL, NULL,
                                     &st2);

        assert_int_equal(rc, AZOAI_JSON_INVALID);
        assert_int_equal(rc2, rc);
        assert_int_equal(st2.offset, st.offset);
        assert_string_equal(st2.reason, st.reason);
        assert_true(st.offset <= n);

        free(buf);
    }
}



static void
test_json_errors(void **state)
{
    azoai_json_status_t  st;

    assert_int_equal(azoai_json_walk((u_char *) "{\"a\":1 x}", 9, NULL,
                                     NULL, &st),
                     AZOAI_JSON_INVALID);
    assert_int_equal(st.offset, 7);
    assert_string_equal(st.reason, "expected ',' or '}'");

    assert_int_equal(azoai_json_walk((u_char *) "[1,2", 4, NULL, NULL, &st),
                     AZOAI_JSON_INVALID);
    assert_int_equal(st.offset, 4);
    assert_string_equal(st.reason, "expected ',' or ']'");

    assert_int_equal(azoai_json_walk((u_char *) "[\"ab\x01\"]", 7, NULL, NULL,
                                     &st),
                     AZOAI_JSON_INVALID);
    assert_int_equal(st.offset, 4);

    assert_int_equal(azoai_json_walk((u_char *) "{\"a\":012}", 9, NULL, NULL,
                                     &st),
                     AZOAI_JSON_INVALID);
    assert_int_equal(st.offset, 6);

    /* a ',' after the top-level value, right after it or after space */

    errors_after_top("1,2", 1);
    errors_after_top("[1],2", 3);
    errors_after_top("{},", 2);
    errors_after_top("{\"a\":[1,{}]},{}", 12);
    errors_after_top("\"x\" ,1", 4);
    errors_after_top("true,", 4);
}


static void
errors_after_top(const char *doc, size_t offset)
{
    unsigned             closings;
    azoai_json_status_t  st;

    for (closings = 0; closings < 2; closings++) {
        assert_int_equal((closings ? azoai_json_walk : azoai_json_walk_values)(
                             (u_char *) doc, strlen(doc), NULL, NULL, &st),
                         AZOAI_JSON_INVALID);
        assert_int_equal(st.offset, offset);
        assert_string_equal(st.reason, "unexpected data after the value");
    }
}


static void
test_json_surrogates(void **state)
{
    trace_t              t;
    azoai_json_status_t  st;

    memset(&t, 0, sizeof(t));
    t.input = (const u_char *) "[\"\\ud800\",\"\\uD83D\\uDE00\",\"\\udfff\"]";

    assert_int_equal(azoai_json_walk(t.input, strlen((char *) t.input),
                                     trace_visit, &t, &st),
                     AZOAI_JSON_OK);
    assert_int_equal(st.lone_surrogates, 2);
    assert_non_null(strstr(t.out, "\\ud800#3"));
    assert_non_null(strstr(t.out, "\\uD83D\\uDE00#1"));
    assert_non_null(strstr(t.out, "\\udfff#3"));
}


static void
test_json_decode(void **state)
{
    size_t         n;
    u_char         out[64];
    const char    *raw;
    const char    *want;

    raw = "a\\u00e9\\/\\n\\uD83D\\uDE00\\ud800x\\\"\\\\\\b\\f\\r\\t\\u0041";
    want = "a\xc3\xa9/\n\xf0\x9f\x98\x80\xef\xbf\xbdx\"\\\b\f\r\tA";

    assert_int_equal(azoai_json_decode_string((u_char *) raw, strlen(raw),
                                              out, sizeof(out), &n),
                     AZOAI_OK);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);

    /* too small a buffer */
    assert_int_equal(azoai_json_decode_string((u_char *) raw, strlen(raw),
                                              out, n - 1, &n),
                     AZOAI_ERROR);

    /* not valid content */
    assert_int_equal(azoai_json_decode_string((u_char *) "a\\", 2, out,
                                              sizeof(out), &n),
                     AZOAI_ERROR);
    assert_int_equal(azoai_json_decode_string((u_char *) "\\u12", 4, out,
                                              sizeof(out), &n),
                     AZOAI_ERROR);
    assert_int_equal(azoai_json_decode_string((u_char *) "\\q", 2, out,
                                              sizeof(out), &n),
                     AZOAI_ERROR);

    /* high surrogate at the very end */
    assert_int_equal(azoai_json_decode_string((u_char *) "\\ud83d", 6, out,
                                              sizeof(out), &n),
                     AZOAI_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\xef\xbf\xbd", 3);

    /* empty */
    assert_int_equal(azoai_json_decode_string((u_char *) "", 0, out, 0, &n),
                     AZOAI_OK);
    assert_int_equal(n, 0);
}


static void
test_json_str_eq(void **state)
{
    assert_true(azoai_json_str_eq((u_char *) "model", 5, 0, "model", 5));
    assert_false(azoai_json_str_eq((u_char *) "mode", 4, 0, "model", 5));
    assert_false(azoai_json_str_eq((u_char *) "models", 6, 0, "model", 5));
    assert_true(azoai_json_str_eq((u_char *) "mod\\u0065l", 10,
                                  AZOAI_JSON_ESCAPED, "model", 5));
    assert_true(azoai_json_str_eq((u_char *) "\\u006d\\u006F\\u0064el", 20,
                                  AZOAI_JSON_ESCAPED, "model", 5));
    assert_false(azoai_json_str_eq((u_char *) "mod\\u0065ls", 11,
                                   AZOAI_JSON_ESCAPED, "model", 5));
    assert_false(azoai_json_str_eq((u_char *) "mod\\u0066l", 10,
                                   AZOAI_JSON_ESCAPED, "model", 5));
}


/* numbers reported with their exact spelling */

static int
number_visit(void *data, const azoai_json_value_t *v)
{
    char  *out;

    out = data;

    if (v->type == AZOAI_JSON_NUMBER) {
        strncat(out, (const char *) v->raw.data, v->raw.len);
        strcat(out, "|");
    }

    return 0;
}


static void
test_json_numbers(void **state)
{
    char                 out[256];
    const char          *doc;
    azoai_json_status_t  st;

    doc = "[9007199254740993,1E+2,-0.0e-0,0,-0,1.50,"
          "123456789012345678901234567890]";
    out[0] = '\0';

    assert_int_equal(azoai_json_walk((u_char *) doc, strlen(doc),
                                     number_visit, out, &st),
                     AZOAI_JSON_OK);
    assert_string_equal(out, "9007199254740993|1E+2|-0.0e-0|0|-0|1.50|"
                             "123456789012345678901234567890|");
}


/*
 * Numbers of 1 to 40 digits, ended by each kind of byte at every place
 * of the 16-byte step and with 0 to 19 bytes after them: the exact
 * length, or the error at the byte that ends them
 */

static void
test_json_number_steps(void **state)
{
    char                 doc[96], out[96];
    size_t               n, pad, t, len, i;
    unsigned             rc;
    azoai_json_status_t  st;

    static const char  ends[] = { ']', ',', ' ', ':', '/', 'A', '.',
                                  (char) 0x80, (char) 0xc3, '\0' };

    for (n = 1; n <= 40; n++) {
        for (t = 0; t < sizeof(ends); t++) {
            for (pad = 0; pad < 20; pad++) {
                len = 0;
                doc[len++] = '[';
                doc[len++] = '1';

                for (i = 1; i < n; i++) {
                    doc[len++] = (char) ('0' + i % 10);
                }

                doc[len++] = ends[t];

                if (ends[t] == '.') {
                    doc[len++] = '5';
                }

                if (ends[t] == ',') {
                    doc[len++] = '7';
                }

                if (ends[t] != ']') {
                    doc[len++] = ']';
                }

                memset(doc + len, ' ', pad);
                len += pad;

                out[0] = '\0';
                rc = azoai_json_walk((u_char *) doc, len, number_visit,
                                     out, &st);

                if (ends[t] == ']' || ends[t] == ' ') {
                    assert_int_equal(rc, AZOAI_JSON_OK);
                    assert_int_equal(strlen(out), n + 1);
                    assert_memory_equal(out, doc + 1, n);

                } else if (ends[t] == ',') {
                    assert_int_equal(rc, AZOAI_JSON_OK);
                    assert_int_equal(strlen(out), n + 3);

                } else if (ends[t] == '.') {
                    assert_int_equal(rc, AZOAI_JSON_OK);
                    assert_int_equal(strlen(out), n + 3);
                    assert_memory_equal(out, doc + 1, n + 2);

                } else {
                    assert_int_equal(rc, AZOAI_JSON_INVALID);
                    assert_int_equal(st.offset, n + 1);
                }
            }
        }
    }
}


/*
 * The reference reader of a number at s (n bytes): its length, or the
 * offset and text of its error, as the walk's errors say them
 */

static size_t
number_reference(const char *s, size_t n, const char **why)
{
    size_t  i;

#define DIGIT(k)  ((k) < n && s[k] >= '0' && s[k] <= '9')

    if (n == 0 || (s[0] != '-' && !DIGIT(0))) {
        *why = "expected a value";
        return 0;
    }

    *why = NULL;
    i = (s[0] == '-') ? 1 : 0;

    if (DIGIT(i) && s[i] == '0') {
        if (DIGIT(i + 1)) {
            *why = "leading zero in number";
            return i + 1;
        }

        i++;

    } else if (DIGIT(i)) {
        while (DIGIT(i)) {
            i++;
        }

    } else {
        *why = "expected a digit in number";
        return i;
    }

    if (i < n && s[i] == '.') {
        if (!DIGIT(i + 1)) {
            *why = "expected a digit in number";
            return i + 1;
        }

        for (i++; DIGIT(i); i++) {
            /* void */
        }
    }

    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;

        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }

        if (!DIGIT(i)) {
            *why = "expected a digit in number";
            return i;
        }

        while (DIGIT(i)) {
            i++;
        }
    }

#undef DIGIT

    return i;
}


/* "[" s "]" and pad spaces: as the reference reads s, at every pad */

static void
number_check(const char *s, size_t n)
{
    char                 doc[128], out[128];
    size_t               pad, len, end;
    unsigned             rc;
    const char          *why;
    azoai_json_status_t  st;

    end = number_reference(s, n, &why);

    for (pad = 0; pad < 24; pad++) {
        doc[0] = '[';
        memcpy(doc + 1, s, n);
        doc[n + 1] = ']';
        memset(doc + n + 2, ' ', pad);
        len = n + 2 + pad;

        out[0] = '\0';
        rc = azoai_json_walk((u_char *) doc, len, number_visit, out, &st);

        if (why != NULL) {
            assert_int_equal(rc, AZOAI_JSON_INVALID);
            assert_int_equal(st.offset, 1 + end);
            assert_string_equal(st.reason, why);

        } else if (end < n) {
            assert_int_equal(rc, AZOAI_JSON_INVALID);
            assert_int_equal(st.offset, 1 + end);
            assert_string_equal(st.reason, "expected ',' or ']'");

        } else {
            assert_int_equal(rc, AZOAI_JSON_OK);
            assert_int_equal(strlen(out), n + 1);
            assert_memory_equal(out, s, n);
        }
    }
}


/*
 * Numbers against the reference, each followed by 0 to 23 spaces: the
 * 16-byte way of the walk (azoai_json_number16()) takes those with 16
 * bytes left, the full reader the others and what the way leaves to it.
 * Every string of up to 4 bytes of "-019.eE+x", and signs, integer
 * parts (leading zeros), fractions, exponents and stray bytes of every
 * length around 16
 */

static void
test_json_number_reference(void **state)
{
    char         s[96];
    size_t       n, k, m, a, b, c, e, x, len;

    static const char  alpha[] = "-019.eE+x";
    static const char *ints[] = { "0", "00", "1", "-", "-0", "-00", "-1" };
    static const char *exps[] = { "", "e", "E+", "e-5", "e12", "E0" };
    static const char *tails[] = { "", "x", ".", "e", "-", "0" };

    for (len = 1; len <= 4; len++) {
        for (k = 0; k < 6561; k++) {
            m = k;

            for (n = 0; n < len; n++) {
                s[n] = alpha[m % 9];
                m /= 9;
            }

            if (m == 0) {
                number_check(s, len);
            }
        }
    }

    for (a = 0; a < sizeof(ints) / sizeof(ints[0]); a++) {
        for (b = 0; b <= 20; b++) {
            for (c = 0; c <= 21; c++) {
                for (e = 0; e < sizeof(exps) / sizeof(exps[0]); e++) {
                    for (x = 0; x < sizeof(tails) / sizeof(tails[0]); x++) {
                        n = strlen(ints[a]);
                        memcpy(s, ints[a], n);

                        /* more digits of the integer part */

                        for (k = 0; k < b; k++) {
                            s[n++] = (char) ('1' + k % 9);
                        }

                        /* c 1: a '.' alone, c > 1: and c - 1 digits */

                        if (c > 0) {
                            s[n++] = '.';

                            for (k = 1; k < c; k++) {
                                s[n++] = (char) ('0' + k % 10);
                            }
                        }

                        memcpy(s + n, exps[e], strlen(exps[e]));
                        n += strlen(exps[e]);
                        memcpy(s + n, tails[x], strlen(tails[x]));
                        n += strlen(tails[x]);

                        number_check(s, n);
                    }
                }
            }
        }
    }
}


/* a record of the values a walk reported, up to a stop */

typedef struct {
    size_t    n;
    size_t    stop_at;      /* 0: never */
    unsigned  closings;
    char      seq[256];     /* type and depth of each, as letters */
} values_log_t;


static int
values_log_visit(void *data, const azoai_json_value_t *v)
{
    values_log_t  *l;

    l = data;

    if (v->closing) {
        l->closings++;
        return 0;
    }

    if (l->n + 2 < sizeof(l->seq)) {
        l->seq[l->n * 2] = (char) ('0' + v->type);
        l->seq[l->n * 2 + 1] = (char) ('a' + v->depth % 26);
    }

    return ++l->n == l->stop_at;
}


/*
 * azoai_json_walk_values() reports what azoai_json_walk() does but the
 * closing containers, with the same status, on valid and invalid input,
 * and stops where the visitor says
 */

static void
test_json_walk_values(void **state)
{
    size_t               i, stop;
    values_log_t         a, b;
    azoai_json_status_t  sa, sb;

    static const char  *docs[] = {
        "{\"a\":[1,{\"b\":[]},{}],\"c\":\"x\",\"d\":[[[null]]]}",
        " [ {} , [ ] , \"s\" , true , false , -1.5e3 ] ",
        "{\"a\":{\"b\":{\"c\":1}},\"d\":2}",
        "{\"a\":[1,2,}",
        "[[[[",
        "{\"a\":1}}",
        "\"only\"",
        "[]",
        ""
    };

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        for (stop = 0; stop < 12; stop++) {
            memset(&a, 0, sizeof(values_log_t));
            memset(&b, 0, sizeof(values_log_t));
            a.stop_at = stop;
            b.stop_at = stop;

            assert_int_equal(azoai_json_walk((const u_char *) docs[i],
                                             strlen(docs[i]),
                                             values_log_visit, &a, &sa),
                             azoai_json_walk_values((const u_char *) docs[i],
                                                    strlen(docs[i]),
                                                    values_log_visit, &b,
                                                    &sb));

            assert_int_equal(b.closings, 0);
            assert_int_equal(a.n, b.n);
            assert_string_equal(a.seq, b.seq);
            assert_int_equal(sa.error, sb.error);
            assert_int_equal(sa.offset, sb.offset);
            assert_ptr_equal(sa.reason, sb.reason);
            assert_int_equal(sa.values, sb.values);
        }
    }

    /* the first document has closings to leave out */
    memset(&a, 0, sizeof(values_log_t));
    azoai_json_walk((const u_char *) docs[0], strlen(docs[0]),
                    values_log_visit, &a, &sa);
    assert_int_equal(a.closings, 8);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_json_cases),
        cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_json_prefixes),
        cmocka_unit_test(test_json_string_positions),
        cmocka_unit_test(test_json_visitor),
        cmocka_unit_test(test_json_walk_values),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_json_member_colon),
        cmocka_unit_test(test_json_member_cut),
        cmocka_unit_test(test_json_surrogates),
        cmocka_unit_test(test_json_decode),
        cmocka_unit_test(test_json_str_eq),
        cmocka_unit_test(test_json_numbers),
        cmocka_unit_test(test_json_number_steps),
        cmocka_unit_test(test_json_number_reference),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
