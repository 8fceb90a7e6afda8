/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * IBAN detector: country code, the country's length (SWIFT IBAN
 * registry), ISO 7064 mod-97 check digits; written as one run or in
 * groups of four separated by single spaces.
 */

#include <string.h>

#include "azoai_pii_int.h"


/* the country code and check digits, then groups of this many */
#define AZOAI_IBAN_GROUP      4

/*
 * Only the BBAN's remainder modulo 97 counts, so a group of four digits
 * multiplies the running value by 9 (10^4 modulo 97) and a letter by 3
 * (100 modulo 97), not by 10^4 and 100: it grows by 3,000 at most in a
 * group (three digits and a letter) and is reduced after a group once it
 * passes AZOAI_IBAN_ACC_MAX, which 3,000 times leaves within 64 bits
 */
#define AZOAI_IBAN_DIGITS4    9
#define AZOAI_IBAN_LETTER     3
#define AZOAI_IBAN_ACC_MAX    (1ULL << 50)

/* azoai_iban_value[] of a byte that is no digit or ASCII letter */
#define AZOAI_IBAN_NONE       0xff

/* the value of a letter in the check: A (or a) is 10, Z is 35 */
#define azoai_iban_letter(c)  (((c) & ~0x20) - 'A' + 10)


/*
 * The value of a character in the check: a digit its own, a letter 10
 * (A or a) to 35 (Z or z), AZOAI_IBAN_NONE for any other byte
 */

#define AZOAI_IBAN_LETTERS(base)                                             \
    [base + 0] = 10, [base + 1] = 11, [base + 2] = 12, [base + 3] = 13,     \
    [base + 4] = 14, [base + 5] = 15, [base + 6] = 16, [base + 7] = 17,     \
    [base + 8] = 18, [base + 9] = 19, [base + 10] = 20, [base + 11] = 21,   \
    [base + 12] = 22, [base + 13] = 23, [base + 14] = 24, [base + 15] = 25, \
    [base + 16] = 26, [base + 17] = 27, [base + 18] = 28, [base + 19] = 29, \
    [base + 20] = 30, [base + 21] = 31, [base + 22] = 32, [base + 23] = 33, \
    [base + 24] = 34, [base + 25] = 35

static const u_char  azoai_iban_value[256] = {
    [0 ... '0' - 1] = AZOAI_IBAN_NONE,
    ['9' + 1 ... 'A' - 1] = AZOAI_IBAN_NONE,
    ['Z' + 1 ... 'a' - 1] = AZOAI_IBAN_NONE,
    ['z' + 1 ... 255] = AZOAI_IBAN_NONE,
    ['0'] = 0, ['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4,
    ['5'] = 5, ['6'] = 6, ['7'] = 7, ['8'] = 8, ['9'] = 9,
    AZOAI_IBAN_LETTERS('A'),
    AZOAI_IBAN_LETTERS('a')
};


static size_t azoai_pii_iban_length(u_char c0, u_char c1);
static inline size_t azoai_pii_iban_bban(const u_char *v, size_t len,
    size_t i, size_t want, uint64_t *acc);
static inline uint32_t azoai_pii_iban_value4(uint32_t w);
static inline int azoai_pii_iban_mixed4(const u_char *p, uint64_t *a);


/*
 * IBAN length by country code: per first letter, the second letters in
 * order, each with two digits of length (SWIFT IBAN registry)
 */

static const char  *const azoai_iban_countries[26] = {
    /* A */ "D24E23L28T20Z28",
    /* B */ "A20E16G22H22I27R29Y28",
    /* C */ "H21R22Y28Z24",
    /* D */ "E22J27K18O28",
    /* E */ "E20G29S24",
    /* F */ "I18K18O18R27",
    /* G */ "B22E22I23L18R27T28",
    /* H */ "R21U28",
    /* I */ "E22L23Q23S26T27",
    /* J */ "O30",
    /* K */ "W30Z20",
    /* L */ "B28C32I21T20U20V21Y25",
    /* M */ "C27D24E22K19N20R27T31U30",
    /* N */ "I28L18O15",
    /* O */ "M23",
    /* P */ "K24L28S29T25",
    /* Q */ "A29",
    /* R */ "O24S22U33",
    /* S */ "A24C31D18E24I19K24M27O23T25V28",
    /* T */ "L23N24R26",
    /* U */ "A29",
    /* V */ "A22G24",
    /* W */ "",
    /* X */ "K20",
    /* Y */ "E30",
    /* Z */ ""
};


/*
 * The mod-97 check runs as the characters are read: the remainder of the
 * BBAN (a digit is one decimal digit, a letter the two of 10..35), then
 * the country letters and the check digits, which the rearranged IBAN
 * puts last, must leave 1.
 */

int
azoai_pii_detect_iban(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t    s, i, want;
    uint32_t  check;
    uint64_t  acc;

    /* at is the first check digit, after the two country letters */

    if (at < 2 || at + 2 > len) {
        return 0;
    }

    s = at - 2;

    if (!azoai_pii_is(v[s], AZOAI_PC_ALPHA)
        || !azoai_pii_is(v[s + 1], AZOAI_PC_ALPHA)
        || !azoai_pii_digit(v[at]) || !azoai_pii_digit(v[at + 1]))
    {
        return 0;
    }

    if (s > 0 && (azoai_pii_alnum(v[s - 1]) || v[s - 1] == '_')) {
        return 0;
    }

    want = azoai_pii_iban_length(v[s] & ~0x20, v[s + 1] & ~0x20);

    if (want == 0) {
        return 0;
    }

    /* the BBAN after country and check digits */

    i = azoai_pii_iban_bban(v, len, at + 2, want, &acc);

    if (i == 0) {
        return 0;
    }

    if (i < len && (azoai_pii_alnum(v[i]) || v[i] == '_')) {
        return 0;
    }

    /* below 97 * 10^6 + 353,599: one more remainder in 32 bits */

    check = (uint32_t) (acc % 97) * 1000000
            + (azoai_iban_letter(v[s]) * 100 + azoai_iban_letter(v[s + 1]))
              * 100
            + (v[at] - '0') * 10 + (v[at + 1] - '0');

    if (check % 97 != 1) {
        return 0;
    }

    *start = s;
    *end = i;
    return 1;
}


/*
 * Reads the BBAN from i until the IBAN has want characters (one space
 * allowed between groups of four); the end, or 0 when it is cut short.
 * *acc: a number with the BBAN's remainder modulo 97.  A group of four
 * at a time: four digits in one word (azoai_pii_digits4()), else the
 * four characters' values by table, without a loop
 * (azoai_pii_iban_mixed4()); a shorter last group a character at a time.
 * The value is reduced only after a group that leaves it above
 * AZOAI_IBAN_ACC_MAX.
 */

static inline size_t
azoai_pii_iban_bban(const u_char *v, size_t len, size_t i, size_t want,
    uint64_t *acc)
{
    size_t    n, last;
    u_char    x;
    uint32_t  x4;
    uint64_t  a;

    a = 0;

    /* the characters after country and check digits */

    for (n = want - AZOAI_IBAN_GROUP; n >= AZOAI_IBAN_GROUP;
         n -= AZOAI_IBAN_GROUP)
    {
        /*
         * one space between groups of four: skipped without looking
         * past it, as a group that starts with the space or with what
         * follows it fails alike when that is no letter or digit
         */

        if (len - i < AZOAI_IBAN_GROUP) {
            return 0;
        }

        if (v[i] == ' ') {
            i++;

            if (len - i < AZOAI_IBAN_GROUP) {
                return 0;
            }
        }

        if (azoai_pii_digits4(v + i, &x4)) {
            a = a * AZOAI_IBAN_DIGITS4 + azoai_pii_iban_value4(x4);

        } else if (!azoai_pii_iban_mixed4(v + i, &a)) {
            return 0;
        }

        i += AZOAI_IBAN_GROUP;

        if (a >= AZOAI_IBAN_ACC_MAX) {
            a %= 97;
        }
    }

    if (n != 0) {
        if (i < len && v[i] == ' ') {
            i++;
        }

        if (len - i < n) {
            return 0;
        }

        for (last = i + n; i < last; i++) {
            x = azoai_iban_value[v[i]];

            if (x == AZOAI_IBAN_NONE) {
                return 0;
            }

            a = a * (x < 10 ? 10 : AZOAI_IBAN_LETTER) + x;
        }
    }

    *acc = a;

    return i;
}


/*
 * Four characters at p, digits and letters, added to the running value
 * *a (a letter multiplies it by AZOAI_IBAN_LETTER); 0 when one is neither
 */

static inline int
azoai_pii_iban_mixed4(const u_char *p, uint64_t *a)
{
    u_char    x0, x1, x2, x3;
    uint64_t  r;

    x0 = azoai_iban_value[p[0]];
    x1 = azoai_iban_value[p[1]];
    x2 = azoai_iban_value[p[2]];
    x3 = azoai_iban_value[p[3]];

    /* AZOAI_IBAN_NONE has the top bit, no value does */

    if ((x0 | x1 | x2 | x3) & 0x80) {
        return 0;
    }

    r = *a;
    r = r * (x0 < 10 ? 10 : AZOAI_IBAN_LETTER) + x0;
    r = r * (x1 < 10 ? 10 : AZOAI_IBAN_LETTER) + x1;
    r = r * (x2 < 10 ? 10 : AZOAI_IBAN_LETTER) + x2;
    r = r * (x3 < 10 ? 10 : AZOAI_IBAN_LETTER) + x3;
    *a = r;

    return 1;
}


/*
 * The value of four digits (azoai_pii_digits4() said so) in the word w,
 * the first digit in its lowest byte: two 2-digit numbers, then one
 */

static inline uint32_t
azoai_pii_iban_value4(uint32_t w)
{
    uint32_t  d;

    d = w - 0x30303030u;
    d = (d * 10 + (d >> 8)) & 0x00ff00ffu;

    return (d & 0xff) * 100 + (d >> 16);
}


static size_t
azoai_pii_iban_length(u_char c0, u_char c1)
{
    const char  *e;

    if (c0 < 'A' || c0 > 'Z') {
        return 0;
    }

    for (e = azoai_iban_countries[c0 - 'A']; *e; e += 3) {
        if ((u_char) e[0] == c1) {
            return (e[1] - '0') * 10 + (e[2] - '0');
        }
    }

    return 0;
}
