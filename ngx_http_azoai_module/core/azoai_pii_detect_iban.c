/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * IBAN detector: country code, the country's length (SWIFT IBAN
 * registry), ISO 7064 mod-97 check digits; written as one run or in
 * groups of four separated by single spaces.
 */

#include <string.h>

#include "azoai_pii_int.h"


#define AZOAI_IBAN_MAX        34


static size_t azoai_pii_iban_length(u_char c0, u_char c1);


/*
 * country code and IBAN length, two letters and two digits each, sorted
 * by code: azoai_pii_iban_length() searches it by halves
 */

static const char  azoai_iban_countries[] =
    "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24"
    "DE22DJ27DK18DO28EE20EG29ES24FI18FK18FO18FR27GB22GE22GI23GL18GR27"
    "GT28HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20"
    "LV21LY25MC27MD24ME22MK19MN20MR27MT31MU30NI28NL18NO15OM23PK24PL28"
    "PS29PT25QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28"
    "TL23TN24TR26UA29VA22VG24XK20YE30";


int
azoai_pii_detect_iban(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    u_char  chars[AZOAI_IBAN_MAX];
    size_t  s, i, n, want;

    /* at is the first check digit, after the two country letters */

    if (at < 2 || at + 2 > len) {
        return 0;
    }

    s = at - 2;

    if (!azoai_pii_is(v[s], AZOAI_PC_ALPHA)
        || !azoai_pii_is(v[s + 1], AZOAI_PC_ALPHA)
        || !azoai_pii_digit(v[at + 1]))
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

    i = s;
    n = 0;

    while (n < want && i < len) {

        if (azoai_pii_alnum(v[i])) {
            chars[n++] = v[i++];
            continue;
        }

        /* one space between groups of four */
        if (v[i] == ' ' && n % 4 == 0 && i + 1 < len
            && azoai_pii_alnum(v[i + 1]))
        {
            i++;
            continue;
        }

        break;
    }

    if (n != want) {
        return 0;
    }

    if (i < len && (azoai_pii_alnum(v[i]) || v[i] == '_')) {
        return 0;
    }

    if (!azoai_pii_iban_valid(chars, n)) {
        return 0;
    }

    *start = s;
    *end = i;
    return 1;
}


/* mod-97 of the rearranged IBAN (BBAN, country, check digits) is 1 */

int
azoai_pii_iban_valid(const u_char *chars, size_t n)
{
    size_t    i, k;
    u_char    c;
    unsigned  rem, val;

    if (n < 5) {
        return 0;
    }

    rem = 0;

    for (k = 0; k < n; k++) {
        i = (k + 4) % n;
        c = chars[i];

        if (azoai_pii_digit(c)) {
            rem = (rem * 10 + (c - '0')) % 97;
            continue;
        }

        c &= ~0x20;                 /* upper case */

        if (c < 'A' || c > 'Z') {
            return 0;
        }

        val = c - 'A' + 10;
        rem = (rem * 100 + val) % 97;
    }

    return rem == 1;
}


static size_t
azoai_pii_iban_length(u_char c0, u_char c1)
{
    size_t       lo, hi, mid;
    const char  *e;

    /* the table is sorted by country code: a binary search */

    lo = 0;
    hi = (sizeof(azoai_iban_countries) - 1) / 4;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        e = &azoai_iban_countries[mid * 4];

        if ((u_char) e[0] < c0 || ((u_char) e[0] == c0 && (u_char) e[1] < c1)) {
            lo = mid + 1;
            continue;
        }

        if ((u_char) e[0] == c0 && (u_char) e[1] == c1) {
            return (e[2] - '0') * 10 + (e[3] - '0');
        }

        hi = mid;
    }

    return 0;
}
