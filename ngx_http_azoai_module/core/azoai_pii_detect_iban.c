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

/* what a character multiplies the running value by: 10 or a letter's */

static const u_char  azoai_iban_factor[256] = {
    ['0' ... '9'] = 10,
    ['A' ... 'Z'] = AZOAI_IBAN_LETTER,
    ['a' ... 'z'] = AZOAI_IBAN_LETTER
};


static size_t azoai_pii_iban_length(u_char c0, u_char c1);
static inline size_t azoai_pii_iban_bban(const u_char *v, size_t len,
    size_t i, size_t want, uint64_t *acc);
static inline int azoai_pii_iban_group(const u_char *p, uint64_t *a);
static inline uint32_t azoai_pii_iban_value4(uint32_t w);
static inline int azoai_pii_iban_mixed4(const u_char *p, uint64_t *a);


/*
 * IBAN length by country code, 0 for none (SWIFT IBAN registry): one
 * byte per pair of letters, AZOAI_IBAN_CC(c0, c1) its index
 */

#define AZOAI_IBAN_CC(c0, c1)  (((c0) - 'A') * 26 + (c1) - 'A')
#define AZOAI_IBAN_LEN(c0, c1, n)  [AZOAI_IBAN_CC(c0, c1)] = n

static const u_char  azoai_iban_lengths[26 * 26] = {
    AZOAI_IBAN_LEN('A', 'D', 24), AZOAI_IBAN_LEN('A', 'E', 23),
    AZOAI_IBAN_LEN('A', 'L', 28), AZOAI_IBAN_LEN('A', 'T', 20),
    AZOAI_IBAN_LEN('A', 'Z', 28), AZOAI_IBAN_LEN('B', 'A', 20),
    AZOAI_IBAN_LEN('B', 'E', 16), AZOAI_IBAN_LEN('B', 'G', 22),
    AZOAI_IBAN_LEN('B', 'H', 22), AZOAI_IBAN_LEN('B', 'I', 27),
    AZOAI_IBAN_LEN('B', 'R', 29), AZOAI_IBAN_LEN('B', 'Y', 28),
    AZOAI_IBAN_LEN('C', 'H', 21), AZOAI_IBAN_LEN('C', 'R', 22),
    AZOAI_IBAN_LEN('C', 'Y', 28), AZOAI_IBAN_LEN('C', 'Z', 24),
    AZOAI_IBAN_LEN('D', 'E', 22), AZOAI_IBAN_LEN('D', 'J', 27),
    AZOAI_IBAN_LEN('D', 'K', 18), AZOAI_IBAN_LEN('D', 'O', 28),
    AZOAI_IBAN_LEN('E', 'E', 20), AZOAI_IBAN_LEN('E', 'G', 29),
    AZOAI_IBAN_LEN('E', 'S', 24), AZOAI_IBAN_LEN('F', 'I', 18),
    AZOAI_IBAN_LEN('F', 'K', 18), AZOAI_IBAN_LEN('F', 'O', 18),
    AZOAI_IBAN_LEN('F', 'R', 27), AZOAI_IBAN_LEN('G', 'B', 22),
    AZOAI_IBAN_LEN('G', 'E', 22), AZOAI_IBAN_LEN('G', 'I', 23),
    AZOAI_IBAN_LEN('G', 'L', 18), AZOAI_IBAN_LEN('G', 'R', 27),
    AZOAI_IBAN_LEN('G', 'T', 28), AZOAI_IBAN_LEN('H', 'R', 21),
    AZOAI_IBAN_LEN('H', 'U', 28), AZOAI_IBAN_LEN('I', 'E', 22),
    AZOAI_IBAN_LEN('I', 'L', 23), AZOAI_IBAN_LEN('I', 'Q', 23),
    AZOAI_IBAN_LEN('I', 'S', 26), AZOAI_IBAN_LEN('I', 'T', 27),
    AZOAI_IBAN_LEN('J', 'O', 30), AZOAI_IBAN_LEN('K', 'W', 30),
    AZOAI_IBAN_LEN('K', 'Z', 20), AZOAI_IBAN_LEN('L', 'B', 28),
    AZOAI_IBAN_LEN('L', 'C', 32), AZOAI_IBAN_LEN('L', 'I', 21),
    AZOAI_IBAN_LEN('L', 'T', 20), AZOAI_IBAN_LEN('L', 'U', 20),
    AZOAI_IBAN_LEN('L', 'V', 21), AZOAI_IBAN_LEN('L', 'Y', 25),
    AZOAI_IBAN_LEN('M', 'C', 27), AZOAI_IBAN_LEN('M', 'D', 24),
    AZOAI_IBAN_LEN('M', 'E', 22), AZOAI_IBAN_LEN('M', 'K', 19),
    AZOAI_IBAN_LEN('M', 'N', 20), AZOAI_IBAN_LEN('M', 'R', 27),
    AZOAI_IBAN_LEN('M', 'T', 31), AZOAI_IBAN_LEN('M', 'U', 30),
    AZOAI_IBAN_LEN('N', 'I', 28), AZOAI_IBAN_LEN('N', 'L', 18),
    AZOAI_IBAN_LEN('N', 'O', 15), AZOAI_IBAN_LEN('O', 'M', 23),
    AZOAI_IBAN_LEN('P', 'K', 24), AZOAI_IBAN_LEN('P', 'L', 28),
    AZOAI_IBAN_LEN('P', 'S', 29), AZOAI_IBAN_LEN('P', 'T', 25),
    AZOAI_IBAN_LEN('Q', 'A', 29), AZOAI_IBAN_LEN('R', 'O', 24),
    AZOAI_IBAN_LEN('R', 'S', 22), AZOAI_IBAN_LEN('R', 'U', 33),
    AZOAI_IBAN_LEN('S', 'A', 24), AZOAI_IBAN_LEN('S', 'C', 31),
    AZOAI_IBAN_LEN('S', 'D', 18), AZOAI_IBAN_LEN('S', 'E', 24),
    AZOAI_IBAN_LEN('S', 'I', 19), AZOAI_IBAN_LEN('S', 'K', 24),
    AZOAI_IBAN_LEN('S', 'M', 27), AZOAI_IBAN_LEN('S', 'O', 23),
    AZOAI_IBAN_LEN('S', 'T', 25), AZOAI_IBAN_LEN('S', 'V', 28),
    AZOAI_IBAN_LEN('T', 'L', 23), AZOAI_IBAN_LEN('T', 'N', 24),
    AZOAI_IBAN_LEN('T', 'R', 26), AZOAI_IBAN_LEN('U', 'A', 29),
    AZOAI_IBAN_LEN('V', 'A', 22), AZOAI_IBAN_LEN('V', 'G', 24),
    AZOAI_IBAN_LEN('X', 'K', 20), AZOAI_IBAN_LEN('Y', 'E', 30)
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
    uint32_t  check, last;
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

    /*
     * country letters and check digits, which the rearranged IBAN puts
     * last: one value kept over the BBAN's loop, not four bytes
     */

    last = (azoai_iban_letter(v[s]) * 100 + azoai_iban_letter(v[s + 1]))
           * 100
           + (v[at] - '0') * 10 + (v[at + 1] - '0');

    /* the BBAN after country and check digits */

    i = azoai_pii_iban_bban(v, len, at + 2, want, &acc);

    if (i == 0) {
        return 0;
    }

    if (i < len && (azoai_pii_alnum(v[i]) || v[i] == '_')) {
        return 0;
    }

    /* below 97 * 10^6 + 353,599: one more remainder in 32 bits */

    check = (uint32_t) (acc % 97) * 1000000 + last;

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
    uint64_t  a;

    a = 0;

    /* the characters after country and check digits */

    n = want - AZOAI_IBAN_GROUP;

    /*
     * one space between groups of four: skipped without looking past
     * it, as a group that starts with the space or with what follows it
     * fails alike when that is no letter or digit; with only four bytes
     * left it is not skipped, and fails as a group.  With room for every
     * group and a space before each (most IBANs in text), more than four
     * bytes are left at each group: no bounds to check.
     */

    if (len - i >= (AZOAI_IBAN_GROUP + 1) * (n / AZOAI_IBAN_GROUP)) {

        for ( /* void */ ; n >= AZOAI_IBAN_GROUP; n -= AZOAI_IBAN_GROUP) {
            i += (v[i] == ' ');

            if (!azoai_pii_iban_group(v + i, &a)) {
                return 0;
            }

            i += AZOAI_IBAN_GROUP;
        }
    }

    for ( /* void */ ; n >= AZOAI_IBAN_GROUP; n -= AZOAI_IBAN_GROUP) {
        if (len - i > AZOAI_IBAN_GROUP) {
            i += (v[i] == ' ');

        } else if (len - i < AZOAI_IBAN_GROUP) {
            return 0;
        }

        if (!azoai_pii_iban_group(v + i, &a)) {
            return 0;
        }

        i += AZOAI_IBAN_GROUP;
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

            a = a * azoai_iban_factor[v[i]] + x;
        }
    }

    *acc = a;

    return i;
}


/*
 * The group of four at p added to the running value *a: four digits in
 * one word (azoai_pii_digits4()), else by table; 0 when one is no digit
 * or letter
 */

static inline int
azoai_pii_iban_group(const u_char *p, uint64_t *a)
{
    uint32_t  x4;

    if (azoai_pii_digits4(p, &x4)) {
        *a = *a * AZOAI_IBAN_DIGITS4 + azoai_pii_iban_value4(x4);

    } else if (!azoai_pii_iban_mixed4(p, a)) {
        return 0;
    }

    if (*a >= AZOAI_IBAN_ACC_MAX) {
        *a %= 97;
    }

    return 1;
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
    r = r * azoai_iban_factor[p[0]] + x0;
    r = r * azoai_iban_factor[p[1]] + x1;
    r = r * azoai_iban_factor[p[2]] + x2;
    r = r * azoai_iban_factor[p[3]] + x3;
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
    if ((u_char) (c0 - 'A') >= 26 || (u_char) (c1 - 'A') >= 26) {
        return 0;
    }

    return azoai_iban_lengths[AZOAI_IBAN_CC(c0, c1)];
}
