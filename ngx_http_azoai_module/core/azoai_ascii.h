/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The byte-level helpers every part of the core uses: ASCII case, hex
 * digits, JSON escapes, UTF-16 surrogates, UTF-8 encoding and the
 * JSON-safe byte.  All static inline: they sit in the tokenizer's, the
 * router's and the PII view's loops.
 */

#ifndef _AZOAI_ASCII_H_INCLUDED_
#define _AZOAI_ASCII_H_INCLUDED_


#include <string.h>

#include "azoai_core.h"


/* U+FFFD, what an unpaired surrogate decodes to */
#define AZOAI_UTF_REPLACEMENT  0xfffd

#define azoai_utf16_surrogate(cp)  ((cp) >= 0xd800 && (cp) <= 0xdfff)
#define azoai_utf16_high(cp)       ((cp) >= 0xd800 && (cp) <= 0xdbff)
#define azoai_utf16_low(cp)        ((cp) >= 0xdc00 && (cp) <= 0xdfff)


static inline u_char
azoai_ascii_lower(u_char c)
{
    return (c >= 'A' && c <= 'Z') ? (u_char) (c | 0x20) : c;
}


/* 1 if s (len bytes) equals lower, a lower-case literal, ignoring case */

static inline int
azoai_ascii_eq_lower(const u_char *s, const u_char *lower, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (azoai_ascii_lower(s[i]) != lower[i]) {
            return 0;
        }
    }

    return 1;
}


/*
 * 1 if a and b (n bytes each) are equal: for the short names the router
 * and the body visitor compare, two overlapping word loads instead of a
 * memcmp() call
 */

static inline int
azoai_bytes_eq(const u_char *a, const u_char *b, size_t n)
{
    uint32_t  a4, b4, c4, d4;
    uint64_t  a8, b8, c8, d8;

    if (n >= 8) {
        if (n > 16) {
            return memcmp(a, b, n) == 0;
        }

        memcpy(&a8, a, 8);
        memcpy(&b8, b, 8);
        memcpy(&c8, a + n - 8, 8);
        memcpy(&d8, b + n - 8, 8);

        return a8 == b8 && c8 == d8;
    }

    if (n >= 4) {
        memcpy(&a4, a, 4);
        memcpy(&b4, b, 4);
        memcpy(&c4, a + n - 4, 4);
        memcpy(&d4, b + n - 4, 4);

        return a4 == b4 && c4 == d4;
    }

    while (n--) {
        if (*a++ != *b++) {
            return 0;
        }
    }

    return 1;
}


/* compares a and b ignoring ASCII case: <0, 0, >0; shorter first */

static inline int
azoai_ascii_cmp_ci(const u_char *a, size_t alen, const u_char *b,
    size_t blen)
{
    size_t  i, n;
    u_char  ca, cb;

    n = alen < blen ? alen : blen;

    for (i = 0; i < n; i++) {
        ca = a[i];
        cb = b[i];

        if (ca == cb) {
            continue;
        }

        ca = azoai_ascii_lower(ca);
        cb = azoai_ascii_lower(cb);

        if (ca != cb) {
            return (int) ca - (int) cb;
        }
    }

    if (alen == blen) {
        return 0;
    }

    return alen < blen ? -1 : 1;
}


/* the value of a hex digit, or -1 */

static inline int
azoai_hex_digit(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* the value of the four hex digits at p, or -1 */

static inline int
azoai_hex4(const u_char *p)
{
    int  a, b, c, d;

    a = azoai_hex_digit(p[0]);
    b = azoai_hex_digit(p[1]);
    c = azoai_hex_digit(p[2]);
    d = azoai_hex_digit(p[3]);

    if ((a | b | c | d) < 0) {
        return -1;
    }

    return a << 12 | b << 8 | c << 4 | d;
}


/*
 * The byte the JSON escape "\c" stands for ('n': 0x0a, '"': '"', ...), or
 * -1: 'u' (see azoai_json_u_escape()) and bytes that are no JSON escape.
 */

static inline int
azoai_json_unescape(u_char c)
{
    switch (c) {
    case '"':  return '"';
    case '\\': return '\\';
    case '/':  return '/';
    case 'b':  return 0x08;
    case 'f':  return 0x0c;
    case 'n':  return 0x0a;
    case 'r':  return 0x0d;
    case 't':  return 0x09;
    default:   return -1;
    }
}


/*
 * The "\uXXXX" escape at p (p[0] is '\\', p[1] 'u'; end is the end of the
 * input): *cp is its code point, a surrogate pair "\uD83D\uDE00" read as
 * one.  Returns the bytes it spans, 6 or 12; 0 when fewer than four hex
 * digits follow.  An unpaired surrogate is returned as it is, for the
 * caller to flag or to replace with AZOAI_UTF_REPLACEMENT.
 */

static inline size_t
azoai_json_u_escape(const u_char *p, const u_char *end, uint32_t *cp)
{
    int  hi, lo;

    hi = (end - p >= 6) ? azoai_hex4(p + 2) : -1;

    if (hi < 0) {
        return 0;
    }

    *cp = (uint32_t) hi;

    if (!azoai_utf16_high(hi) || end - p < 12 || p[6] != '\\'
        || p[7] != 'u')
    {
        return 6;
    }

    lo = azoai_hex4(p + 8);

    if (!azoai_utf16_low(lo)) {
        return 6;
    }

    *cp = 0x10000 + ((uint32_t) (hi - 0xd800) << 10) + (lo - 0xdc00);

    return 12;
}


/* cp (U+10FFFF at most) as UTF-8 in out (4 bytes); returns its length */

static inline size_t
azoai_utf8_encode(uint32_t cp, u_char *out)
{
    if (cp < 0x80) {
        out[0] = (u_char) cp;
        return 1;
    }

    if (cp < 0x800) {
        out[0] = (u_char) (0xc0 | (cp >> 6));
        out[1] = (u_char) (0x80 | (cp & 0x3f));
        return 2;
    }

    if (cp < 0x10000) {
        out[0] = (u_char) (0xe0 | (cp >> 12));
        out[1] = (u_char) (0x80 | ((cp >> 6) & 0x3f));
        out[2] = (u_char) (0x80 | (cp & 0x3f));
        return 3;
    }

    out[0] = (u_char) (0xf0 | (cp >> 18));
    out[1] = (u_char) (0x80 | ((cp >> 12) & 0x3f));
    out[2] = (u_char) (0x80 | ((cp >> 6) & 0x3f));
    out[3] = (u_char) (0x80 | (cp & 0x3f));
    return 4;
}


/*
 * A byte that may stand in a JSON string and a log line as it is:
 * printable ASCII other than '"' and '\\' (space included)
 */

static inline int
azoai_json_safe(u_char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}


/* the most digits of a 64-bit number in decimal */
#define AZOAI_DECIMAL_MAX  (sizeof("18446744073709551615") - 1)


/*
 * n in decimal, written backward to end; its first digit.  Two digits a
 * step from a table: ~20 instructions for a 4-digit Content-Length where
 * a digit a step after a pass to count them took ~85.
 */

static inline u_char *
azoai_decimal_back(uint64_t n, u_char *end)
{
    uint64_t  q;

    static const u_char  pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930"
        "31323334353637383940414243444546474849505152535455565758596061"
        "62636465666768697071727374757677787980818283848586878889909192"
        "93949596979899";

    while (n >= 100) {
        q = n / 100;
        end -= 2;
        memcpy(end, &pairs[(n - q * 100) * 2], 2);
        n = q;
    }

    if (n >= 10) {
        end -= 2;
        memcpy(end, &pairs[n * 2], 2);
        return end;
    }

    *--end = (u_char) ('0' + n);

    return end;
}


/*
 * n in decimal at out (room for AZOAI_DECIMAL_MAX bytes); the end of
 * what was written.  The glue's numbers (counts in headers): ngx_sprintf()
 * took ~200 instructions for one.
 */

static inline u_char *
azoai_decimal(uint64_t n, u_char *out)
{
    size_t    len;
    uint64_t  m;

    len = 1;

    for (m = n; m >= 10; m /= 10) {
        len++;
    }

    azoai_decimal_back(n, out + len);

    return out + len;
}


#endif /* _AZOAI_ASCII_H_INCLUDED_ */
