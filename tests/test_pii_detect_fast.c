/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The numeric detectors' fast paths against their general paths and
 * references: cards of 16 digits in one run or 4-4-4-4 against the card
 * reader (azoai_pii_card_general()), NANP phones "ddd-ddd-dddd" and "+1
 * ddd-ddd-dddd" against the phone reader (azoai_pii_phone_general()),
 * each with every separator, valid and invalid checksums, and what may
 * stand right before and after them; the SSN shape against a byte loop;
 * the IBAN's remainder (kept by small factors modulo 97) against a digit
 * by digit mod-97 of the rearranged IBAN, its vector reader against the
 * group-by-group reader; national ids after '+'; the
 * national id shapes refused before the call (azoai_pii_natid_shape_
 * refused()) against the call.  In a build without the word paths
 * (big-endian) the same tests check the general paths against themselves
 * and the references.
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
#define ROUNDS      100000


typedef int (*detect_pt)(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);

static void compare_at(detect_pt fast, detect_pt general, const u_char *t,
    size_t len, size_t at);
static size_t put_around(u_char *t, size_t len, uint32_t *rnd, int after);
static size_t put_card(u_char *t, size_t len, uint32_t *rnd);
static size_t put_nanp(u_char *t, size_t len, uint32_t *rnd);
static void compare_layout(size_t (*put)(u_char *t, size_t len,
    uint32_t *rnd), detect_pt fast, detect_pt general, uint32_t rnd);
static void luhn_fix(u_char *d, size_t n);
static int ssn_shape_ref(const u_char *d, u_char sep);
static int iban_ref(const u_char *t, size_t len);
static size_t put_iban_text(u_char *t, uint32_t *rnd);
static size_t put_natid_text(u_char *t, uint32_t *rnd);
static unsigned natid_shape_at(const u_char *t, size_t len, size_t at);


/* the detector at at against its general path behind the left check */

static void
compare_at(detect_pt fast, detect_pt general, const u_char *t, size_t len,
    size_t at)
{
    int      got, want;
    size_t   s1, e1, s2, e2;
    u_char  *u;

    s1 = e1 = s2 = e2 = 0;

    got = fast(t, len, at, &s1, &e1);
    want = azoai_pii_num_left_ok(t, at) && general(t, len, at, &s2, &e2);

    if (got != want || (got && (s1 != s2 || e1 != e2))) {
        print_error("'%.*s' at %zu: %d [%zu, %zu), general %d [%zu, %zu)\n",
                    (int) len, t, at, got, s1, e1, want, s2, e2);
        fail();
    }

    /*
     * and in an exact-size heap block: the vector and word reads stay
     * within len (the sanitizer build sees any read past it)
     */

    u = malloc(len);
    assert_non_null(u);
    memcpy(u, t, len);

    s2 = e2 = 0;
    want = fast(u, len, at, &s2, &e2);
    free(u);

    if (got != want || (got && (s1 != s2 || e1 != e2))) {
        print_error("'%.*s' at %zu: %d [%zu, %zu), exact size %d\n",
                    (int) len, t, at, got, s1, e1, want);
        fail();
    }
}


/* what may stand before (after == 0) or after a number */

static size_t
put_around(u_char *t, size_t len, uint32_t *rnd, int after)
{
    const char  *p;

    static const char  *before[] = {
        "", " ", "x", "-", "4", ". ", "1 ", "a.", "_", "+", "(", "1-", ","
    };
    static const char  *behind[] = {
        "", ".", " ", " 1234", "-5", "5", "x", "@", ".a", " 5", ".5",
        "-a", ",1", ")", "_", " (2"
    };

    p = after ? behind[test_random(rnd) % 16]
              : before[test_random(rnd) % 13];

    memcpy(t + len, p, strlen(p));

    return len + strlen(p);
}


/* issuer prefixes of every kind and none; Luhn valid three times in four */

static size_t
put_card(u_char *t, size_t len, uint32_t *rnd)
{
    u_char       d[16], sep;
    size_t       k, n;
    const char  *pre;

    static const char  *prefixes[] = {
        "4", "51", "55", "2221", "2720", "2200", "34", "37", "300", "36",
        "3528", "6011", "62", "50", "56", "1", "7", "9", "0"
    };

    pre = prefixes[test_random(rnd) % 19];
    n = strlen(pre);
    memcpy(d, pre, n);

    for (k = n; k < 16; k++) {
        d[k] = (u_char) ('0' + test_random(rnd) % 10);
    }

    if (test_random(rnd) % 4) {
        luhn_fix(d, 16);
    }

    sep = (u_char) " -./"[test_random(rnd) % 4];

    for (k = 0; k < 16; k++) {
        if (k && k % 4 == 0 && test_random(rnd) % 3) {
            t[len++] = (test_random(rnd) % 16) ? sep : ' ';
        }

        t[len++] = d[k];
    }

    return len;
}


/* "[+1 ]ddd-ddd-dddd", separators mostly alike, N11 and 0/1 starts too */

static size_t
put_nanp(u_char *t, size_t len, uint32_t *rnd)
{
    size_t       k;
    const char  *seps;

    seps = " -.x";

    if (test_random(rnd) % 2) {
        t[len++] = '+';
        t[len++] = (test_random(rnd) % 8) ? '1' : '7';
        t[len++] = (u_char) seps[test_random(rnd) % 4];
    }

    for (k = 0; k < 10; k++) {
        if (k == 3 || k == 6) {
            t[len++] = (u_char) seps[test_random(rnd) % 4];
        }

        t[len++] = (u_char) ((k == 1 || k == 2 || k == 4 || k == 5)
                             && test_random(rnd) % 4 == 0
                             ? '1' : '0' + test_random(rnd) % 10);
    }

    return len;
}


/* the last of n digits made the Luhn check digit */

static void
luhn_fix(u_char *d, size_t n)
{
    d[n - 1] = '0';
    d[n - 1] = (u_char) ('0' + (10 - test_luhn_sum(d, n) % 10) % 10);
}


/*
 * ROUNDS numbers of one layout (put) between random neighbours, the text
 * cut anywhere after the number's start: fast and general agree
 */

static void
compare_layout(size_t (*put)(u_char *t, size_t len, uint32_t *rnd),
    detect_pt fast, detect_pt general, uint32_t rnd)
{
    u_char  t[TEXT_MAX];
    size_t  r, len, at, k;

    for (r = 0; r < ROUNDS; r++) {
        len = put_around(t, 0, &rnd, 0);
        at = len;
        len = put(t, len, &rnd);
        len = put_around(t, len, &rnd, 1);

        for (k = at + 1; k <= len; k++) {
            if (k == len || test_random(&rnd) % 8 == 0) {
                compare_at(fast, general, t, k, at);
            }
        }
    }
}


static void
test_card_fast(void **state)
{
    compare_layout(put_card, azoai_pii_detect_card, azoai_pii_card_general,
                   2026);
}


static void
test_card_known(void **state)
{
    size_t       k, s, e;
    const char  *t;

    static const struct {
        const char  *text;
        size_t       end;
    } cases[] = {
        { "4111 1111 1111 1111", 19 },
        { "4111-1111-1111-1111.", 19 },
        { "4111.1111.1111.1111", 19 },
        { "4111111111111111", 16 },
        { "4111 1111 1111 1112", 0 },
        { "4111111111111112", 0 },
        { "4111 1111 1111 1111 1", 19 },
        { "4111 1111 1111 1111 1111", 19 },
        { "4111111111111111 1", 16 },
        { "4111 1111 1111 1111-1", 0 },
        { "4111 1111 1111 11111", 0 },
        { "4111-1111-1111-1111a", 0 },
        { "5500 0000 0000 0004", 19 },
        { "1111 1111 1111 1117", 0 },
        { "4111 1111 1114", 0 },
        { "6011 0000 0004", 14 },
        { "6011 0000 0004 0001", 14 },
        { "6011 0000 0004 0001x", 14 },
        { "6011-0000-0004-0001", 0 }
    };

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        t = cases[k].text;
        e = 0;

        if (azoai_pii_detect_card((const u_char *) t, strlen(t), 0, &s, &e)
            != (cases[k].end != 0)
            || (cases[k].end && e != cases[k].end))
        {
            print_error("'%s': end %zu, want %zu\n", t, e, cases[k].end);
            fail();
        }
    }
}


static void
test_phone_fast(void **state)
{
    compare_layout(put_nanp, azoai_pii_detect_phone,
                   azoai_pii_phone_general, 415);
}


/* the SSN shape as a byte loop, before the word test */

static int
ssn_shape_ref(const u_char *d, u_char sep)
{
    size_t  k;

    static const u_char  shape[] = "ddd-dd-dddd";

    for (k = 0; k < 11; k++) {
        if (shape[k] == 'd' ? !azoai_pii_digit(d[k]) : d[k] != sep) {
            return 0;
        }
    }

    return 1;
}


/*
 * Valid SSNs with one byte replaced by every value: found exactly when
 * the shape and the SSA rules hold
 */

static void
test_ssn_shape(void **state)
{
    int       want, got;
    u_char    t[20], sep;
    size_t    k, c, s, e, len;
    uint32_t  rnd;

    static const char  *base[] = { "536-22-1004", "123 45 6789" };

    rnd = 536;

    for (k = 0; k < 2 * 2 * 11 * 256; k++) {
        memcpy(t, base[k / (11 * 256) % 2], 11);
        c = (k / 256) % 11;
        t[c] = (u_char) (k % 256);

        /*
         * one random byte after it (12 bytes: the word test), or nine
         * (20: the vector test), a space and a digit among them often
         */
        len = (k < 2 * 11 * 256) ? 12 : 20;

        for (e = 11; e < len; e++) {
            t[e] = (test_random(&rnd) % 4 == 0)
                   ? (u_char) " 5"[test_random(&rnd) % 2]
                   : (u_char) (test_random(&rnd) % 128);
        }

        sep = t[3];

        want = (sep == '-' || sep == ' ') && ssn_shape_ref(t, sep)
               && azoai_pii_num_right_ok(t, len, 11)
               && !(sep == ' ' && len > 12 && t[11] == ' '
                    && azoai_pii_digit(t[12]))
               && memcmp(t, "000", 3) != 0 && memcmp(t, "666", 3) != 0
               && t[0] != '9' && memcmp(t + 4, "00", 2) != 0
               && memcmp(t + 7, "0000", 4) != 0;

        got = azoai_pii_detect_ssn(t, len, 0, &s, &e);

        if (got != want || (got && e != 11)) {
            print_error("'%.*s': %d, want %d\n", (int) len, t, got, want);
            fail();
        }
    }
}


/*
 * The mod-97 check digit by digit over the rearranged IBAN (BBAN, then
 * country and check digits; a letter as 10-35), spaces between groups of
 * four dropped; 1 when it holds.  Lengths and layout are not checked.
 */

static int
iban_ref(const u_char *t, size_t len)
{
    u_char    c[64];
    size_t    k, n;
    unsigned  r, x;

    for (n = 0, k = 0; k < len; k++) {
        if (t[k] != ' ') {
            c[n++] = t[k];
        }
    }

    r = 0;

    for (k = 0; k < n; k++) {
        x = c[(k + 4) % n];
        x = azoai_pii_digit(x) ? x - '0' : (x & ~0x20) - 'A' + 10;
        r = (x < 10) ? (r * 10 + x) % 97 : (r * 100 + x) % 97;
    }

    return r == 1;
}


/*
 * IBANs of countries with 15 to 32 characters, mostly digits, some
 * letters, spaced in fours or not, with check digits made right or
 * random: found exactly when the mod-97 check holds
 */

static void
test_iban_mod97(void **state)
{
    int       got, want;
    u_char    t[TEXT_MAX], c[40];
    size_t    r, k, n, len, s, e;
    uint32_t  rnd, chk;

    static const char  *countries[] = {
        "NO15", "BE16", "FI18", "LI21", "DE22", "RO24", "FR27", "MT31",
        "LC32", "RU33"
    };

    rnd = 97;

    for (r = 0; r < ROUNDS; r++) {
        k = test_random(&rnd) % 10;
        n = (countries[k][2] - '0') * 10 + countries[k][3] - '0';
        memcpy(c, countries[k], 2);

        for (k = 4; k < n; k++) {
            c[k] = (u_char) ((test_random(&rnd) % 3)
                             ? '0' + test_random(&rnd) % 10
                             : 'A' + test_random(&rnd) % 26);
        }

        for (chk = 0; chk < 100; chk++) {
            c[2] = (u_char) ('0' + chk / 10);
            c[3] = (u_char) ('0' + chk % 10);

            if (iban_ref(c, n)) {
                break;
            }
        }

        if (test_random(&rnd) % 4 == 0) {
            c[3] = (u_char) ('0' + test_random(&rnd) % 10);
        }

        for (len = 0, k = 0; k < n; k++) {
            if (k && k % 4 == 0 && (r & 1)) {
                t[len++] = ' ';
            }

            t[len++] = c[k];
        }

        want = iban_ref(t, len);
        got = azoai_pii_detect_iban(t, len, 2, &s, &e);

        if (got != want || (got && (s != 0 || e != len))) {
            print_error("'%.*s': %d, want %d\n", (int) len, t, got, want);
            fail();
        }
    }
}


/*
 * IBANs spaced and not, cut at every length and followed by other bytes
 * (the rest of the IBAN in memory past the text's end): found only whole,
 * with the bounds checked group by group or read without them (room for
 * every group)
 */

static void
test_iban_cut(void **state)
{
    int          want, got;
    u_char       t[TEXT_MAX];
    size_t       k, n, cut, tail, s, e;
    const char  *iban;

    static const char  *ibans[] = {
        "LI80 00O8 2714 1184 963M 8", "FI16 7X58 5I3X B983 91",
        "MT24 Q756 3072 Z310 54Y5 C1U5 14AL 732",
        "DE89 3704 0044 0532 0130 00", "DE89370400440532013000",
        "NO93 8601 1117 947", "NO9386011117947", "BE68 5390 0754 7034",
        "AT61 1904 3002 3457 3201"
    };
    static const char  *tails[] = { "", " ", ".", " 1234 5678", "  x" };

    for (k = 0; k < sizeof(ibans) / sizeof(ibans[0]); k++) {
        iban = ibans[k];
        n = strlen(iban);

        for (tail = 0; tail < 5; tail++) {
            for (cut = 3; cut <= n; cut++) {
                /* the rest of the IBAN after the text: not to be read */
                memcpy(t, iban, n);
                memcpy(t + cut, tails[tail], strlen(tails[tail]));

                want = (cut == n);
                got = azoai_pii_detect_iban(t, cut + strlen(tails[tail]), 2,
                                            &s, &e);

                if (got != want || (got && e != n)) {
                    print_error("'%.*s' + '%s': %d, want %d\n", (int) cut,
                                iban, tails[tail], got, want);
                    fail();
                }
            }
        }
    }
}


/*
 * The IBAN detector with its vector reader (AVX2, where the text leaves
 * room for its loads) against the group-by-group reader
 * (azoai_pii_iban_general()): IBANs of countries with 15 to 33
 * characters, check digits made right most of the time, letters from
 * none to all (8 in a row: a chunk's factor of 10^16), upper and lower
 * case, spaced in fours, in one run or partly spaced, some bytes made
 * another (a space, a dash, a byte past 0x7f, a double space), followed
 * by other bytes and by room of 0 to 80 bytes; found alike, with the
 * same bounds, and found exactly when the mod-97 check holds
 */

/*
 * The scan's entry (azoai_pii_detect_iban_lettered()) where its
 * pre-test holds (azoai_pii_iban_may_start(), a digit at at): as the
 * general reader, which found want and [s, e)
 */

static void
check_iban_lettered(const u_char *t, size_t len, size_t at, int want,
    size_t s, size_t e)
{
    int     got;
    size_t  s1, e1;

    if (!azoai_pii_iban_may_start(t, at) || !azoai_pii_digit(t[at])) {
        return;
    }

    got = azoai_pii_detect_iban_lettered(t, len, at, &s1, &e1);

    if (got != want || (got && (s1 != s || e1 != e))) {
        print_error("lettered '%.*s': %d, want %d\n", (int) len, t, got,
                    want);
        fail();
    }
}


static void
test_iban_vector(void **state)
{
    int       got, want;
    u_char    t[160];
    size_t    r, k, len, room, s1, e1, s2, e2, found;
    uint32_t  rnd;

    rnd = 4711;
    found = 0;

    for (r = 0; r < 400000; r++) {
        len = put_iban_text(t, &rnd);
        room = test_random(&rnd) % 81;

        for (k = 0; k < room; k++) {
            t[len + k] = (test_random(&rnd) % 4)
                         ? ' ' : (u_char) ('0' + test_random(&rnd) % 75);
        }

        got = azoai_pii_detect_iban(t, len + room, 3, &s1, &e1);
        want = azoai_pii_iban_general(t, len + room, 3, &s2, &e2);

        if (got != want || (got && (s1 != s2 || e1 != e2))) {
            print_error("'%.*s' (+%zu): %d, want %d\n", (int) len, t, room,
                        got, want);
            fail();
        }

        if (got && e1 == len) {
            assert_int_equal(iban_ref(t + 1, len - 1), 1);
        }

        check_iban_lettered(t, len + room, 3, want, s2, e2);

        found += got;
    }

    assert_true(found > 100000);
}


/*
 * The IBAN detector on texts that end anywhere in an IBAN, each in a heap
 * block of its exact length (unit-asan reports a byte read past it): as
 * the general reader, also when the text ends right after the check
 * digits (the vector reader then has no room, not even for b[0])
 */

static void
test_iban_text_end(void **state)
{
    int      got, want;
    u_char  *t;
    size_t   i, len, cut, s1, e1, s2, e2;

    static const char  *texts[] = {
        " DE89 3704 0044 0532 0130 00",
        " DE89370400440532013000",
        " MT84 MALT 0110 0001 2345 MTLC AST0 01S 12345678901234567890"
    };

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        len = strlen(texts[i]);

        for (cut = 5; cut <= len; cut++) {
            t = malloc(cut);
            assert_non_null(t);
            memcpy(t, texts[i], cut);

            got = azoai_pii_detect_iban(t, cut, 3, &s1, &e1);
            want = azoai_pii_iban_general(t, cut, 3, &s2, &e2);

            if (got != want || (got && (s1 != s2 || e1 != e2))) {
                print_error("'%.*s': %d, want %d\n", (int) cut, t, got,
                            want);
                fail();
            }

            check_iban_lettered(t, cut, 3, want, s2, e2);

            free(t);
        }
    }
}


/*
 * A space and an IBAN for test_iban_vector() at t (the country at t + 1),
 * as said there; its length
 */

static size_t
put_iban_text(u_char *t, uint32_t *rnd)
{
    u_char    c[40];
    size_t    k, n, len;
    uint32_t  chk, letters, layout;

    static const char  *countries[] = {
        "NO15", "BE16", "FI18", "LI21", "DE22", "RO24", "PT25", "FR27",
        "AL28", "MT31", "LC32", "RU33"
    };
    static const u_char  junk[] = { ' ', '-', '.', 0xc3, '_', 'x', '9' };

    k = test_random(rnd) % 12;
    n = (countries[k][2] - '0') * 10 + countries[k][3] - '0';
    memcpy(c, countries[k], 2);
    letters = test_random(rnd) % 5;

    for (k = 4; k < n; k++) {
        c[k] = (u_char) ((test_random(rnd) % 4 < letters)
                         ? ((test_random(rnd) & 1) ? 'A' : 'a')
                           + test_random(rnd) % 26
                         : '0' + test_random(rnd) % 10);
    }

    for (chk = 0; chk < 100; chk++) {
        c[2] = (u_char) ('0' + chk / 10);
        c[3] = (u_char) ('0' + chk % 10);

        if (iban_ref(c, n)) {
            break;
        }
    }

    if (test_random(rnd) % 8 == 0) {
        c[3] = (u_char) ('0' + test_random(rnd) % 10);
    }

    /* 0, 1: spaced; 2: one run; 3: spaces left out at random */
    layout = test_random(rnd) % 4;

    t[0] = ' ';

    for (len = 1, k = 0; k < n; k++) {
        if (k && k % 4 == 0
            && (layout < 2 || (layout == 3 && test_random(rnd) % 2)))
        {
            t[len++] = ' ';
        }

        t[len++] = c[k];
    }

    if (test_random(rnd) % 8 == 0) {
        t[1 + test_random(rnd) % (len - 1)] =
            junk[test_random(rnd) % sizeof(junk)];
    }

    if (test_random(rnd) % 16 == 0) {
        k = 5 + test_random(rnd) % (len - 5);
        memmove(t + k + 1, t + k, len - k);
        t[k] = ' ';
        len++;
    }

    return len;
}


/* a digit after '+' starts no national id; without it, it may */

static void
test_natid_plus(void **state)
{
    size_t       k, s, e;
    unsigned     type;
    const char  *t;

    static const char  *ids[] = {
        "+943 476 5919", "+9434765919", "+046 454 286", "+86 095 742 719"
    };

    for (k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
        t = ids[k];

        assert_int_equal(azoai_pii_detect_natid((const u_char *) t,
                             strlen(t), 1, AZOAI_PII_NATID_MASK, &type, &s,
                             &e),
                         0);
    }

    t = "nhs 943 476 5919";

    assert_int_equal(azoai_pii_detect_natid((const u_char *) t, strlen(t), 4,
                         AZOAI_PII_NATID_MASK, &type, &s, &e),
                     1);
    assert_int_equal(type, AZOAI_PII_UK_NHS);
}


/*
 * Texts around national ids (each layout, valid with its context word),
 * numbers of other kinds and digit soup, a byte or two changed at
 * random: wherever the shape test refuses a digit, the detector finds
 * nothing there
 */

static size_t
put_natid_text(u_char *t, uint32_t *rnd)
{
    size_t       len, k, n;
    const char  *p;

    static const char  *texts[] = {
        "NHS 943 476 5919", "NHS 943-476-5919", "NHS 9434765919",
        "ITIN 912 70 1234", "ITIN 912-70-1234", "MBI 1EG4-TE5-MK73",
        "SIN 130 692 544", "SIN 130.692.544", "Steuer-ID 86 095 742 719",
        "NIR 2 55 08 2A 004 123 69", "NIR 1 85 05 78 006 084 36",
        "DNI 12345678-Z", "DNI 12345678 Z", "NIE X-1234567-L",
        "NIE: Y 1234567 L.", "NIE X1234567L", "BSN 111.222.333",
        "BSN 1112.22.333", "Aadhaar 2341-2341-2346",
        "Aadhaar 2341 2341 2346.", "Aadhaar 234123412346",
        "CPF 111.444.777-35", "TFN 123 456 782", "NINO AB 12 34 56 C",
        "NPI 1234567893", "NPI: 1234567893.",
        "NINO AB123456C", "NRIC S1234567D", "CF RSSMRA85T10A562S",
        "4111 1111 1111 1111", "4111-1111-1111-1111 2", "536-22-1004",
        "LI80 0008 2714 1184 9630 8", "2024-01-15 10:30", "v1.22.1",
        "+1 415-555-0113", "12 34 56", "1 23 4", "99 100", "12.5%",
        "CF RSSMRAURTMLARS2W", "Ursula61@gmail.com", "Windows10 x",
        "ABCDEFGHIJKLMN12 x", "ABCDEFGHI1234567.", "xABCDEFGHIJKLM12"
    };

    static const char  soup[] = "0123456789 -./AZXa";

    len = 0;

    for (n = 1 + test_random(rnd) % 3; n > 0; n--) {
        p = texts[test_random(rnd) % (sizeof(texts) / sizeof(texts[0]))];
        memcpy(t + len, p, strlen(p));
        len += strlen(p);
        t[len++] = ' ';
    }

    for (n = test_random(rnd) % 24; n > 0; n--) {
        t[len++] = (u_char) soup[test_random(rnd) % (sizeof(soup) - 1)];
    }

    for (n = test_random(rnd) % 3; n > 0; n--) {
        k = test_random(rnd) % len;
        t[k] = (u_char) soup[test_random(rnd) % (sizeof(soup) - 1)];
    }

    return len;
}


/*
 * a refusal of the shape test at at is never a match of the detector;
 * the type found there as a bit (0: none), for the coverage test
 */

static unsigned
natid_shape_at(const u_char *t, size_t len, size_t at)
{
    int       refused;
    size_t    s, e;
    unsigned  type;

    /*
     * the half the scan calls, by the byte before at
     * (azoai_pii_scan_digit()), answers as the whole test
     */

    if (at > 0 && azoai_pii_is(t[at - 1], AZOAI_PC_ALPHA)) {
        refused = azoai_pii_natid_lettered_refused(t, len, at);

    } else {
        refused = azoai_pii_natid_number_refused(t, len, at,
                      azoai_pii_digit_run(t, len, at, len));
    }

    assert_int_equal(refused, azoai_pii_natid_shape_refused(t, len, at));

    if (!azoai_pii_natid_find(t, len, at, AZOAI_PII_NATID_MASK, &type, &s,
                              &e))
    {
        return 0;
    }

    if (azoai_pii_natid_shape_refused(t, len, at)) {
        print_error("'%.*s' at %zu: refused, found type %u [%zu, %zu)\n",
                    (int) len, t, at, type, s, e);
        fail();
    }

    return 1u << type;
}


static void
test_natid_shape(void **state)
{
    u_char       t[TEXT_MAX * 2];
    size_t       k, len, at, refused;
    unsigned     found;
    uint32_t     rnd;
    const char  *p;

    static const char  *known[] = {
        "4111 1111 1111 1111 x", "4111-1111-1111-1111 x",
        "536-22-1004 and more", "LI80 0008 2714 1184 9630 8",
        "2024-01-15 10:30 and", "12:30 in the morning", "3 bottles of milk",
        "15.5 percent of it", "Contact: Ursula61@gmail.com today"
    };

    /* the common shapes are refused, as the detector refuses them */

    for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
        p = known[k];
        at = (p[0] == 'L') ? 2 : (p[0] == 'C') ? 15 : 0;

        assert_true(azoai_pii_natid_shape_refused((const u_char *) p,
                                                  strlen(p), at)
                    || !AZOAI_PII_SWAR);
        natid_shape_at((const u_char *) p, strlen(p), at);
    }

    refused = 0;
    found = 0;
    rnd = 18;

    for (k = 0; k < ROUNDS; k++) {
        len = put_natid_text(t, &rnd);

        for (at = 0; at < len; at++) {
            if (azoai_pii_digit(t[at])) {
                refused += azoai_pii_natid_shape_refused(t, len, at);
                found |= natid_shape_at(t, len, at);
            }
        }
    }

    /* the random texts reach the refusals too */

    assert_true(refused > ROUNDS || !AZOAI_PII_SWAR);

    /*
     * and every national id type: a type added to the detector needs its
     * layouts in put_natid_text(), or the shape test is not checked
     * against it
     */

    if (found != AZOAI_PII_NATID_MASK) {
        print_error("types never found: 0x%x\n",
                    AZOAI_PII_NATID_MASK & ~found);
        fail();
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_card_fast),
        cmocka_unit_test(test_card_known),
        cmocka_unit_test(test_phone_fast),
        cmocka_unit_test(test_ssn_shape),
        cmocka_unit_test(test_iban_mod97),
        cmocka_unit_test(test_iban_cut),
        cmocka_unit_test(test_iban_vector),
        cmocka_unit_test(test_iban_text_end),
        cmocka_unit_test(test_natid_plus),
        cmocka_unit_test(test_natid_shape),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
