/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Built-in detectors for addresses: e-mail (local part, dotted domain with
 * an alphabetic top-level label), IPv4 (four octets 0-255, not part of a
 * longer dotted number) and IPv6 (all compressed forms, embedded IPv4).
 */

#include <string.h>

#include "azoai_pii_int.h"


#define AZOAI_EMAIL_LOCAL_MAX   64
#define AZOAI_EMAIL_LABEL_MAX   63
#define AZOAI_EMAIL_DOMAIN_MAX  253
#define AZOAI_IPV6_TEXT_MAX     45
#define AZOAI_IPV6_NONE         ((size_t) -1)


static size_t azoai_pii_ipv4_end(const u_char *v, size_t len, size_t at);
static int azoai_pii_tld_ok(const u_char *label, size_t n);
static int azoai_pii_addr_right_ok(const u_char *v, size_t len, size_t end);
static inline size_t azoai_pii_ipv6_start(const u_char *v, size_t at);
static inline int azoai_pii_ipv6_ok(const u_char *v, size_t len,
    size_t groups, int compressed, int digit, size_t last);


/*
 * at is the '@'.  The local part is read once, backwards: it remembers
 * the rightmost ".." on the way, which rejects the address unless the
 * leading punctuation trimmed afterwards holds it.
 */

int
azoai_pii_detect_email(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t  s, i, ls, n, labels, best, lim, dots;

    /* local part */

    lim = (at > AZOAI_EMAIL_LOCAL_MAX) ? at - AZOAI_EMAIL_LOCAL_MAX : 0;
    dots = at;                      /* none */
    s = at;

    while (s > lim && azoai_pii_is(v[s - 1], AZOAI_PC_LOCAL)) {
        s--;

        if (v[s] == '.' && v[s + 1] == '.' && dots == at) {
            dots = s;
        }
    }

    if (s > 0 && s == lim && azoai_pii_is(v[s - 1], AZOAI_PC_LOCAL)) {
        return 0;                   /* longer than 64 */
    }

    while (s < at && !azoai_pii_alnum(v[s]) && v[s] != '_') {
        s++;
    }

    if (s == at || v[at - 1] == '.' || (dots < at && dots >= s)) {
        return 0;
    }

    /* domain: labels, the last one a top-level domain */

    i = at + 1;
    labels = 0;
    best = 0;

    for ( ;; ) {
        ls = i;

        while (i < len && azoai_pii_is(v[i], AZOAI_PC_DOMAIN)) {
            i++;
        }

        /* "a@b.com-": the label ends before trailing dashes */
        while (i > ls && v[i - 1] == '-') {
            i--;
        }

        n = i - ls;

        if (n == 0 || n > AZOAI_EMAIL_LABEL_MAX || v[ls] == '-'
            || i - at - 1 > AZOAI_EMAIL_DOMAIN_MAX)
        {
            break;
        }

        labels++;

        if (labels >= 2 && azoai_pii_tld_ok(v + ls, n)) {
            best = i;
        }

        if (i + 1 < len && v[i] == '.'
            && azoai_pii_is(v[i + 1], AZOAI_PC_DOMAIN))
        {
            i++;
            continue;
        }

        break;
    }

    if (best == 0 || (best < len && (v[best] == '_' || v[best] == '@'))) {
        return 0;
    }

    *start = s;
    *end = best;
    return 1;
}


/* letters only, 2 or more; or an IDN "xn--" label */

static int
azoai_pii_tld_ok(const u_char *label, size_t n)
{
    size_t  i;

    if (n >= 5 && (label[0] | 0x20) == 'x' && (label[1] | 0x20) == 'n'
        && label[2] == '-' && label[3] == '-')
    {
        return 1;
    }

    if (n < 2) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (!azoai_pii_is(label[i], AZOAI_PC_ALPHA)) {
            return 0;
        }
    }

    return 1;
}


/* at is the first digit */

int
azoai_pii_detect_ipv4(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t  e;
    u_char  c;

    if (at > 0) {
        c = v[at - 1];

        if (c == '.' || c == '-') {
            return 0;
        }
    }

    /* as the other numbers: "1120,0.1.2.3" does not start at the 0 */
    if (!azoai_pii_num_left_ok(v, at)) {
        return 0;
    }

    e = azoai_pii_ipv4_end(v, len, at);

    if (e == 0 || !azoai_pii_addr_right_ok(v, len, e)) {
        return 0;
    }

    *start = at;
    *end = e;
    return 1;
}


/* end of a dotted quad at at, or 0; no leading zeros */

static size_t
azoai_pii_ipv4_end(const u_char *v, size_t len, size_t at)
{
    size_t    i, k, octet;
    unsigned  val;

    i = at;

    for (octet = 0; octet < 4; octet++) {

        if (octet > 0) {
            if (i >= len || v[i] != '.') {
                return 0;
            }

            i++;
        }

        val = 0;

        for (k = 0; k < 3 && i < len && azoai_pii_digit(v[i]); k++, i++) {
            val = val * 10 + (v[i] - '0');
        }

        if (k == 0 || val > 255 || (k > 1 && v[i - k] == '0')) {
            return 0;
        }

        if (i < len && azoai_pii_digit(v[i])) {
            return 0;
        }
    }

    return i;
}


/* not followed by a word character or more of a dotted number */

static int
azoai_pii_addr_right_ok(const u_char *v, size_t len, size_t end)
{
    u_char  c;

    if (end >= len) {
        return 1;
    }

    c = v[end];

    if (azoai_pii_alnum(c) || c == '_' || c == '@') {
        return 0;
    }

    if (c == '.' && end + 1 < len && azoai_pii_digit(v[end + 1])) {
        return 0;
    }

    return 1;
}


/* where an address around the ':' at at starts, or AZOAI_IPV6_NONE */

static inline size_t
azoai_pii_ipv6_start(const u_char *v, size_t at)
{
    size_t  s;

    s = at;

    while (s > 0 && at - s < AZOAI_IPV6_TEXT_MAX
           && (azoai_pii_is(v[s - 1], AZOAI_PC_HEX) || v[s - 1] == ':'))
    {
        s--;
    }

    if (s > 0 && (azoai_pii_alnum(v[s - 1]) || v[s - 1] == '_'
                  || v[s - 1] == '.'))
    {
        return AZOAI_IPV6_NONE;
    }

    return s;
}


/* whether the groups read make an address that ends at last */

static inline int
azoai_pii_ipv6_ok(const u_char *v, size_t len, size_t groups,
    int compressed, int digit, size_t last)
{
    if (groups == 0 || groups > 8 || (compressed ? groups > 7 : groups != 8))
    {
        return 0;
    }

    /* "ab::cd" is more often code than an address */
    if (compressed && groups <= 2 && !digit) {
        return 0;
    }

    if (last < len && (v[last] == ':' || !azoai_pii_addr_right_ok(v, len,
                                                                  last)))
    {
        return 0;
    }

    return 1;
}


/*
 * at is a ':'; the address may start before it.  Groups of 1-4 hex
 * digits; eight of them, or fewer with one "::"; an IPv4 may take the
 * place of the last two.
 */

int
azoai_pii_detect_ipv6(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    int     compressed, digit;
    size_t  s, i, j, groups, last, e4;

    s = azoai_pii_ipv6_start(v, at);

    if (s == AZOAI_IPV6_NONE) {
        return 0;
    }

    groups = 0;
    digit = 0;

    /* a leading ":" opens a "::" */

    compressed = (s + 1 < len && v[s] == ':');

    if (compressed && v[s + 1] != ':') {
        return 0;
    }

    i = compressed ? s + 2 : s;
    last = compressed ? i : 0;

    while (groups < 8) {
        j = i;

        while (j < len && j - i < 5 && azoai_pii_is(v[j], AZOAI_PC_HEX)) {
            digit |= azoai_pii_digit(v[j]);
            j++;
        }

        if (j == i || j - i > 4) {
            break;
        }

        if (j + 1 < len && v[j] == '.' && azoai_pii_digit(v[j + 1])) {
            e4 = (groups <= 6) ? azoai_pii_ipv4_end(v, len, i) : 0;

            if (e4 == 0) {
                return 0;
            }

            groups += 2;
            last = e4;
            digit = 1;
            break;
        }

        groups++;
        i = j;
        last = j;

        if (groups == 8 || i + 1 >= len || v[i] != ':') {
            break;
        }

        if (v[i + 1] == ':') {
            if (compressed) {
                break;
            }

            compressed = 1;
            i += 2;
            last = i;
            continue;
        }

        if (!azoai_pii_is(v[i + 1], AZOAI_PC_HEX)) {
            break;
        }

        i++;
    }

    *start = s;
    *end = last;

    return azoai_pii_ipv6_ok(v, len, groups, compressed, digit, last);
}
