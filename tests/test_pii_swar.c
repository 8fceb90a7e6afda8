/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The engine's word-at-a-time (SWAR) paths against byte loops: the
 * digit run (8 bytes a step), the credential pre-check before the digit
 * scan (a space or an '@' in the 8 bytes either side, or fewer than 16
 * bytes between the nearest such bytes) and both break tests themselves,
 * over every byte value at every offset and random text; and the card
 * reader (whose Luhn sums run for two possible ends at once) against a
 * digit-by-digit Luhn check of Visa numbers, unbroken and grouped: a
 * four-digit SWAR step of those sums was tried and cost more
 * instructions than the byte loop (31 for four digits).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azoai_pii_int.h"
#include "test_util.h"


#define TEXT_MAX    96
#define ROUNDS      20000


static size_t digit_run_ref(const u_char *v, size_t len, size_t i,
    size_t max);
static int secret_span_ref(const u_char *v, size_t len, size_t at);
static void random_text(u_char *t, size_t len, const char *alphabet);
static int luhn_ref(const u_char *d, size_t n);


/* the byte loop azoai_pii_digit_run() replaces */

static size_t
digit_run_ref(const u_char *v, size_t len, size_t i, size_t max)
{
    size_t  n;

    for (n = 0; n < max && i + n < len && azoai_pii_digit(v[i + n]); n++) {
        /* void */
    }

    return n;
}


/* azoai_pii_secret_may_span() as it was: the two loops alone */

static int
secret_span_ref(const u_char *v, size_t len, size_t at)
{
    size_t  b, f;

    for (f = at + 1; f < len && azoai_pii_secret_byte(v[f]); f++) {
        /* void */
    }

    for (b = at; b > 0 && azoai_pii_secret_byte(v[b - 1]); b--) {
        /* void */
    }

    return f - b >= AZOAI_PII_SECRET_MIN;
}


static void
random_text(u_char *t, size_t len, const char *alphabet)
{
    size_t  i, n;

    n = strlen(alphabet);

    for (i = 0; i < len; i++) {
        t[i] = (rand() % 16) ? (u_char) alphabet[rand() % n]
                             : (u_char) (rand() % 256);
    }
}


/* every byte value at every position of a run of digits, every max */

static void
test_digit_run_every_byte(void **state)
{
    size_t    len, at, i, max, want, got;
    u_char    t[40];
    unsigned  c;

    for (c = 0; c < 256; c++) {
        for (at = 0; at < sizeof(t); at++) {
            memset(t, '7', sizeof(t));
            t[at] = (u_char) c;

            for (len = at; len <= sizeof(t); len += 3) {
                for (i = 0; i <= len && i < 20; i++) {
                    for (max = 0; max < 30; max += 1 + max / 4) {
                        want = digit_run_ref(t, len, i, max);
                        got = azoai_pii_digit_run(t, len, i, max);

                        if (got != want) {
                            print_error("byte 0x%02x at %zu, len %zu, i "
                                        "%zu, max %zu: %zu, want %zu\n", c,
                                        at, len, i, max, got, want);
                            fail();
                        }
                    }
                }
            }
        }
    }
}


static void
test_digit_run_random(void **state)
{
    size_t  r, len, i, max, want, got;
    u_char  t[TEXT_MAX];

    srand(1818);

    for (r = 0; r < ROUNDS; r++) {
        len = (size_t) (rand() % TEXT_MAX);
        random_text(t, len, "0123456789012345678901234567890123/:. a");

        for (i = 0; i <= len; i++) {
            max = (rand() % 4) ? len + 1 : (size_t) (rand() % 20);
            want = digit_run_ref(t, len, i, max);
            got = azoai_pii_digit_run(t, len, i, max);

            if (got != want) {
                print_error("round %zu, len %zu, i %zu, max %zu: %zu, want "
                            "%zu\n", r, len, i, max, got, want);
                fail();
            }
        }
    }
}


/* the break test: one byte below '%' or an '@' among 8 */

static void
test_breaks8(void **state)
{
    size_t    at, k, want;
    u_char    t[8];
    unsigned  c, f;

    static const u_char  fill[] = { 'a', '%', '0', 0x80, 0xff, '?', 'A' };

    for (f = 0; f < sizeof(fill); f++) {
        for (c = 0; c < 256; c++) {
            for (at = 0; at < 8; at++) {
                memset(t, fill[f], sizeof(t));
                t[at] = (u_char) c;

                want = 0;

                for (k = 0; k < 8; k++) {
                    want |= (t[k] < '%' || t[k] == '@');
                }

                if ((size_t) azoai_pii_breaks8(t) != want) {
                    print_error("fill 0x%02x, byte 0x%02x at %zu: %d, want "
                                "%zu\n", fill[f], c, at,
                                azoai_pii_breaks8(t), want);
                    fail();
                }

                /* a break byte is never a credential byte */
                if ((c < '%' || c == '@') && azoai_pii_secret_byte(c)) {
                    fail();
                }
            }
        }
    }
}


/*
 * The exact break mask: the top bit of a byte exactly where it is below
 * '%' or '@', whatever the other bytes (every pair of byte values at
 * every pair of positions of a word, the rest filled)
 */

static void
test_breaks_at8(void **state)
{
    size_t    i, j, k;
    u_char    t[8];
    uint64_t  w, m, want;
    unsigned  c, d, f;

    static const u_char  fill[] = { 'a', '$', '%', '@', 0x80, 0xff, 0x00 };

    for (f = 0; f < sizeof(fill); f++) {
        for (c = 0; c < 256; c++) {
            for (d = 0; d < 256; d += (f < 2) ? 1 : 17) {
                for (i = 0; i < 8; i++) {
                    for (j = 0; j < 8; j++) {
                        memset(t, fill[f], sizeof(t));
                        t[i] = (u_char) c;
                        t[j] = (u_char) d;

                        want = 0;

                        for (k = 0; k < 8; k++) {
                            if (t[k] < '%' || t[k] == '@') {
                                want |= (uint64_t) 0x80 << (8 * k);
                            }
                        }

                        memcpy(&w, t, sizeof(uint64_t));
                        m = azoai_pii_breaks_at8(w);

                        if (m != want) {
                            print_error("fill 0x%02x, 0x%02x at %zu, 0x%02x "
                                        "at %zu\n", fill[f], c, i, d, j);
                            fail();
                        }
                    }
                }
            }
        }
    }
}


/* the pre-check never refuses a digit that the loops would let through */

static void
test_secret_may_span(void **state)
{
    int     want, got;
    size_t  r, len, at;
    u_char  t[TEXT_MAX];

    static const char  *alphabets[] = {
        "abcXYZ0123456789-_./+=%",
        "abcXYZ0123456789-_./+=% @",
        "aaaaaaaaaaaaaaaa00000 @\"",
        "0123456789 -",
        "0123456789-.\n",
        "0123456789-.= @",
        "0123456789-._/+% \t"
    };

    srand(1919);

    for (r = 0; r < ROUNDS; r++) {
        len = 1 + (size_t) (rand() % (TEXT_MAX - 1));
        random_text(t, len,
                    alphabets[r % (sizeof(alphabets) / sizeof(char *))]);

        for (at = 0; at < len; at++) {
            want = secret_span_ref(t, len, at);
            got = azoai_pii_secret_may_span(t, len, at);

            if (got != want) {
                print_error("round %zu, len %zu, at %zu: %d, want %d\n", r,
                            len, at, got, want);
                fail();
            }
        }
    }
}


/* the Luhn check, digit by digit from the right */

static int
luhn_ref(const u_char *d, size_t n)
{
    return test_luhn_sum(d, n) % 10 == 0;
}


/*
 * Visa numbers ("4", 13, 16 or 19 digits) of random digits, as one run
 * and in groups of four: the whole number is found exactly when the
 * Luhn check holds for it; grouped, else its first 16 digits when they
 * hold it (a group-aligned prefix); other lengths never
 */

static void
test_card_luhn(void **state)
{
    int     got;
    size_t  r, n, k, len, s, e, sep, want, pos[24];
    u_char  d[24], t[40];

    srand(2020);

    for (r = 0; r < 200000; r++) {
        n = 12 + (size_t) (rand() % 8);
        d[0] = '4';

        for (k = 1; k < n; k++) {
            d[k] = (u_char) ('0' + rand() % 10);
        }

        for (sep = 0; sep < 2; sep++) {
            len = 0;
            t[len++] = ' ';

            for (k = 0; k < n; k++) {
                if (sep && k && k % 4 == 0) {
                    t[len++] = ' ';
                }

                t[len++] = d[k];
                pos[k] = len;
            }

            t[len++] = '.';

            want = 0;

            if (luhn_ref(d, n) && (n == 13 || n == 16 || n == 19)) {
                want = pos[n - 1];

            } else if (sep && n > 16 && luhn_ref(d, 16)) {
                want = pos[15];
            }

            got = azoai_pii_detect_card(t, len, 1, &s, &e);

            if ((size_t) got != (want != 0) || (got && (s != 1 || e != want)))
            {
                print_error("round %zu, %zu digits%s: %d (end %zu), want "
                            "end %zu\n", r, n, sep ? " grouped" : "", got,
                            got ? e : 0, want);
                fail();
            }
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_digit_run_every_byte),
        cmocka_unit_test(test_digit_run_random),
        cmocka_unit_test(test_breaks8),
        cmocka_unit_test(test_breaks_at8),
        cmocka_unit_test(test_secret_may_span),
        cmocka_unit_test(test_card_luhn),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
