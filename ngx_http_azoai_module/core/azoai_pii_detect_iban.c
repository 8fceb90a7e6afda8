/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * IBAN detector: country code, the country's length (SWIFT IBAN
 * registry), ISO 7064 mod-97 check digits; written as one run or in
 * groups of four separated by single spaces.
 */

#include <string.h>

#include "azoai_pii_int.h"


/* a running remainder is reduced once it may outgrow 64 bits in a step */
#define AZOAI_IBAN_ACC_MAX    1000000000000000ULL

/* the value of a letter in the check: A (or a) is 10, Z is 35 */
#define azoai_iban_letter(c)  (((c) & ~0x20) - 'A' + 10)


static size_t azoai_pii_iban_length(u_char c0, u_char c1);
static inline size_t azoai_pii_iban_bban(const u_char *v, size_t len,
    size_t i, size_t want, uint64_t *acc);


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

    acc = (acc % 97) * 10000
          + azoai_iban_letter(v[s]) * 100 + azoai_iban_letter(v[s + 1]);
    acc = (acc % 97) * 100 + (v[at] - '0') * 10 + (v[at + 1] - '0');

    if (acc % 97 != 1) {
        return 0;
    }

    *start = s;
    *end = i;
    return 1;
}


/*
 * Reads the BBAN from i until the IBAN has want characters (one space
 * allowed between groups of four); the end, or 0 when it is cut short.
 * *acc: the BBAN's running remainder.
 */

static inline size_t
azoai_pii_iban_bban(const u_char *v, size_t len, size_t i, size_t want,
    uint64_t *acc)
{
    u_char    c, cls;
    size_t    n;
    uint64_t  a;

    n = 4;
    a = 0;

    while (n < want && i < len) {
        c = v[i];
        cls = azoai_pii_class[c];

        if (cls & AZOAI_PC_DIGIT) {
            a = a * 10 + (c - '0');

        } else if (cls & AZOAI_PC_ALPHA) {
            a = a * 100 + azoai_iban_letter(c);

        } else if (c == ' ' && n % 4 == 0 && i + 1 < len
                   && azoai_pii_alnum(v[i + 1]))
        {
            /* one space between groups of four */
            i++;
            continue;

        } else {
            break;
        }

        if (a >= AZOAI_IBAN_ACC_MAX) {
            a %= 97;
        }

        n++;
        i++;
    }

    *acc = a;

    return (n == want) ? i : 0;
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
