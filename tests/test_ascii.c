/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The core's shared helpers (azoai_ascii.h) and the name grammar
 * (azoai_name.h): valid and invalid names, the edge lengths, and the
 * display check of names from requests.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "azoai_ascii.h"
#include "azoai_name.h"


#define S(s)  (const u_char *) (s), strlen(s)
#define U(s)  ((const u_char *) (s))


static void
test_ascii_case(void **state)
{
    unsigned  c;

    for (c = 0; c < 256; c++) {
        if (c >= 'A' && c <= 'Z') {
            assert_int_equal(azoai_ascii_lower((u_char) c), c + 32);

        } else {
            assert_int_equal(azoai_ascii_lower((u_char) c), c);
        }
    }

    assert_true(azoai_ascii_eq_lower(U("OpenAI"), U("openai"), 6));
    assert_true(azoai_ascii_eq_lower(U("v1"), U("v1"), 2));
    assert_false(azoai_ascii_eq_lower(U("OpenAX"), U("openai"), 6));
    /* only ASCII letters fold: 0xc0 is not 0xe0, '@' is not '`' */
    assert_false(azoai_ascii_eq_lower(U("\xc0"), U("\xe0"), 1));
    assert_false(azoai_ascii_eq_lower(U("@"), U("`"), 1));
    assert_true(azoai_ascii_eq_lower(U(""), U(""), 0));

    assert_int_equal(azoai_ascii_cmp_ci(S("GPT-4o"), S("gpt-4O")), 0);
    assert_true(azoai_ascii_cmp_ci(S("a"), S("B")) < 0);
    assert_true(azoai_ascii_cmp_ci(S("b"), S("A")) > 0);
    assert_true(azoai_ascii_cmp_ci(S("gpt"), S("gpt-4o")) < 0);
    assert_true(azoai_ascii_cmp_ci(S("gpt-4o"), S("GPT")) > 0);
    assert_int_equal(azoai_ascii_cmp_ci(S(""), S("")), 0);
    /* '_' (0x5f) sorts before the letters, which compare in lower case */
    assert_true(azoai_ascii_cmp_ci(S("_"), S("a")) < 0);
}


static void
test_ascii_hex(void **state)
{
    unsigned  c;
    int       want;

    for (c = 0; c < 256; c++) {
        if (c >= '0' && c <= '9') {
            want = c - '0';

        } else if (c >= 'a' && c <= 'f') {
            want = c - 'a' + 10;

        } else if (c >= 'A' && c <= 'F') {
            want = c - 'A' + 10;

        } else {
            want = -1;
        }

        assert_int_equal(azoai_hex_digit((u_char) c), want);
    }

    assert_int_equal(azoai_hex4(U("0000")), 0);
    assert_int_equal(azoai_hex4(U("ffFF")), 0xffff);
    assert_int_equal(azoai_hex4(U("D83d")), 0xd83d);
    assert_int_equal(azoai_hex4(U("12g4")), -1);
    assert_int_equal(azoai_hex4(U("123 ")), -1);
    assert_int_equal(azoai_hex4(U("\xff" "123")), -1);
}


static void
test_ascii_escapes(void **state)
{
    uint32_t       cp;
    const u_char  *p;

    assert_int_equal(azoai_json_unescape('n'), '\n');
    assert_int_equal(azoai_json_unescape('t'), '\t');
    assert_int_equal(azoai_json_unescape('r'), '\r');
    assert_int_equal(azoai_json_unescape('b'), '\b');
    assert_int_equal(azoai_json_unescape('f'), '\f');
    assert_int_equal(azoai_json_unescape('"'), '"');
    assert_int_equal(azoai_json_unescape('\\'), '\\');
    assert_int_equal(azoai_json_unescape('/'), '/');
    assert_int_equal(azoai_json_unescape('u'), -1);
    assert_int_equal(azoai_json_unescape('x'), -1);
    assert_int_equal(azoai_json_unescape('N'), -1);

    p = U("\\u0041");
    assert_int_equal(azoai_json_u_escape(p, p + 6, &cp), 6);
    assert_int_equal(cp, 0x41);

    /* a pair is one code point */
    p = U("\\ud83d\\ude00");
    assert_int_equal(azoai_json_u_escape(p, p + 12, &cp), 12);
    assert_int_equal(cp, 0x1f600);

    /* a high half without its low half, cut short, or before a non-low */
    p = U("\\ud83d\\ude00");
    assert_int_equal(azoai_json_u_escape(p, p + 11, &cp), 6);
    assert_int_equal(cp, 0xd83d);
    p = U("\\ud83d\\u0041");
    assert_int_equal(azoai_json_u_escape(p, p + 12, &cp), 6);
    assert_int_equal(cp, 0xd83d);
    p = U("\\ud83dx");
    assert_int_equal(azoai_json_u_escape(p, p + 7, &cp), 6);

    /* a lone low half is returned as it is */
    p = U("\\ude00\\ude00");
    assert_int_equal(azoai_json_u_escape(p, p + 12, &cp), 6);
    assert_int_equal(cp, 0xde00);
    assert_true(azoai_utf16_surrogate(cp));
    assert_true(azoai_utf16_low(cp));
    assert_false(azoai_utf16_high(cp));

    /* not four hex digits, or not four bytes */
    p = U("\\u00g1");
    assert_int_equal(azoai_json_u_escape(p, p + 6, &cp), 0);
    p = U("\\u004");
    assert_int_equal(azoai_json_u_escape(p, p + 5, &cp), 0);
}


static void
test_ascii_utf8(void **state)
{
    u_char  out[4];

    assert_int_equal(azoai_utf8_encode(0x41, out), 1);
    assert_memory_equal(out, "A", 1);
    assert_int_equal(azoai_utf8_encode(0xe9, out), 2);
    assert_memory_equal(out, "\xc3\xa9", 2);
    assert_int_equal(azoai_utf8_encode(0x7ff, out), 2);
    assert_memory_equal(out, "\xdf\xbf", 2);
    assert_int_equal(azoai_utf8_encode(0x800, out), 3);
    assert_memory_equal(out, "\xe0\xa0\x80", 3);
    assert_int_equal(azoai_utf8_encode(AZOAI_UTF_REPLACEMENT, out), 3);
    assert_memory_equal(out, "\xef\xbf\xbd", 3);
    assert_int_equal(azoai_utf8_encode(0x1f600, out), 4);
    assert_memory_equal(out, "\xf0\x9f\x98\x80", 4);
    assert_int_equal(azoai_utf8_encode(0x10ffff, out), 4);
    assert_memory_equal(out, "\xf4\x8f\xbf\xbf", 4);
}


static void
test_ascii_json_safe(void **state)
{
    unsigned  c;
    int       want;

    for (c = 0; c < 256; c++) {
        want = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\');
        assert_int_equal(azoai_json_safe((u_char) c), want);
    }
}


/*
 * azoai_bytes_eq() against memcmp(): lengths 0 to 24 (bytes, one word,
 * two overlapping words, memcmp), equal and with one byte different at
 * every position, read from odd addresses
 */

static void
test_bytes_eq(void **state)
{
    size_t  n, k;
    u_char  a[32], b[32];

    for (n = 0; n <= 24; n++) {
        for (k = 0; k < n + 1; k++) {
            memset(a, 'x', sizeof(a));
            memset(b, 'x', sizeof(b));
            memcpy(a + 1, "abcdefghijklmnopqrstuvwx", n);
            memcpy(b + 3, "abcdefghijklmnopqrstuvwx", n);

            if (k < n) {
                b[3 + k] ^= 0x20;
            }

            assert_int_equal(azoai_bytes_eq(a + 1, b + 3, n),
                             memcmp(a + 1, b + 3, n) == 0);
            assert_int_equal(azoai_bytes_eq(a + 1, b + 3, n), k == n);
        }
    }
}


/*
 * azoai_decimal() and azoai_decimal_back() against snprintf(): 0, each
 * power of ten and its neighbours, the largest value, and random values
 * of every width
 */

static void
test_decimal(void **state)
{
    int       i, k;
    char      want[32];
    u_char    got[32], *end, *first;
    uint64_t  n, p;

    for (i = 0; i < 1000 + 20 * 3 + 1; i++) {
        if (i < 1000) {
            k = rand() % 64;
            n = ((uint64_t) rand() << 33 ^ (uint64_t) rand() << 11
                 ^ (uint64_t) rand()) >> k;

        } else if (i < 1060) {
            for (p = 1, k = 0; k < (i - 1000) / 3; k++) {
                p *= 10;
            }

            n = p + (uint64_t) ((i - 1000) % 3) - 1;

        } else {
            n = UINT64_MAX;
        }

        memset(got, 'x', sizeof(got));
        end = azoai_decimal(n, got);

        snprintf(want, sizeof(want), "%llu", (unsigned long long) n);

        assert_int_equal(end - got, strlen(want));
        assert_true((size_t) (end - got) <= AZOAI_DECIMAL_MAX);
        assert_memory_equal(got, want, strlen(want));
        assert_int_equal(*end, 'x');

        memset(got, 'x', sizeof(got));
        first = azoai_decimal_back(n, got + sizeof(got) - 1);

        assert_int_equal(got + sizeof(got) - 1 - first, strlen(want));
        assert_memory_equal(first, want, strlen(want));
        assert_int_equal(first[-1], 'x');
        assert_int_equal(got[sizeof(got) - 1], 'x');
    }
}


static void
test_name_grammar(void **state)
{
    size_t      i;
    unsigned    c;
    u_char      buf[AZOAI_NAME_MAX + 2];
    const char *valid[] = {
        "a", "0", "-", ".", "_", "gpt-4o", "chat-prod", "2024-11-20",
        "gpt-4o-mini-2024-07-18", "My_Deployment.v2", "o3"
    };
    const char *invalid[] = {
        "a b", "a:b", "*", "gpt-4o*", "a/b", "a\\b", "a\"b", "caf\xc3\xa9",
        "a\tb", "a\nb", "a@b", "a%2fb", "a+b", "(x)"
    };

    for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        if (!azoai_name_valid(S(valid[i]))) {
            fail_msg("'%s' is a name", valid[i]);
        }
    }

    for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        if (azoai_name_valid(S(invalid[i]))) {
            fail_msg("'%s' is no name", invalid[i]);
        }
    }

    /* every byte: letters, digits, '.', '_', '-' only */

    for (c = 0; c < 256; c++) {
        buf[0] = (u_char) c;

        assert_int_equal(azoai_name_valid(buf, 1),
                         (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                         || (c >= '0' && c <= '9') || c == '.' || c == '_'
                         || c == '-');
    }

    /* the edge lengths: 0 and 65 fail, 1 and 64 pass */

    memset(buf, 'a', sizeof(buf));

    assert_false(azoai_name_valid(buf, 0));
    assert_false(azoai_name_valid(NULL, 0));
    assert_false(azoai_name_valid(NULL, 3));
    assert_true(azoai_name_valid(buf, 1));
    assert_true(azoai_name_valid(buf, AZOAI_NAME_MAX - 1));
    assert_true(azoai_name_valid(buf, AZOAI_NAME_MAX));
    assert_false(azoai_name_valid(buf, AZOAI_NAME_MAX + 1));
    assert_int_equal(AZOAI_NAME_MAX, 64);

    /* a byte that is not a name's at either end */

    buf[0] = ' ';
    assert_false(azoai_name_valid(buf, AZOAI_NAME_MAX));
    buf[0] = 'a';
    buf[AZOAI_NAME_MAX - 1] = ':';
    assert_false(azoai_name_valid(buf, AZOAI_NAME_MAX));
}


static void
test_name_printable(void **state)
{
    size_t      i;
    u_char      buf[AZOAI_NAME_MAX + 1];
    const char *shown[] = {
        "gpt-4o", "chat-prod", "gpt-4o-mini-2024-07-18", "o3-2025-04-16",
        "2024-10-21-preview", "my_dep-1.2", "12345678", "1.2.3",
        "dep-12345678", "v1.1"
    };
    const char *hidden[] = {
        "123456789", "4111111111111111", "4111-1111-1111-1111",
        "555-123-4567", "10.0.0.1", "a10.0.0.1", "123-45-6789x",
        "dep-2024-10-21123", "a b", "a:b", "*", ""
    };

    for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        if (!azoai_name_printable(S(shown[i]))) {
            fail_msg("'%s' may be shown", shown[i]);
        }
    }

    for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
        if (azoai_name_printable(S(hidden[i]))) {
            fail_msg("'%s' may not be shown", hidden[i]);
        }
    }

    /* the display check never shows what the grammar rejects */

    memset(buf, 'a', sizeof(buf));
    assert_true(azoai_name_printable(buf, AZOAI_NAME_MAX));
    assert_false(azoai_name_printable(buf, AZOAI_NAME_MAX + 1));
    assert_false(azoai_name_printable(NULL, 0));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ascii_case),
        cmocka_unit_test(test_ascii_hex),
        cmocka_unit_test(test_ascii_escapes),
        cmocka_unit_test(test_ascii_utf8),
        cmocka_unit_test(test_ascii_json_safe),
        cmocka_unit_test(test_bytes_eq),
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_name_grammar),
        cmocka_unit_test(test_name_printable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
