/*
 * Copyright (C) ngx_http_azoai_module authors
 */


#include <string.h>

#include "azoai_ascii.h"
#include "azoai_pct.h"


static u_char azoai_pct_next(const u_char *src, size_t len, size_t *pos,
    unsigned plus);


int
azoai_pct_needs_decoding(const u_char *src, size_t len, unsigned plus)
{
    /* two memchr() beat one loop testing each byte twice */

    if (len == 0) {
        return 0;
    }

    if (memchr(src, '%', len) != NULL) {
        return 1;
    }

    return plus && memchr(src, '+', len) != NULL;
}


/* decodes one byte at *pos, advances *pos; returns the byte */

static u_char
azoai_pct_next(const u_char *src, size_t len, size_t *pos, unsigned plus)
{
    int     hi, lo;
    size_t  i;

    i = *pos;

    if (src[i] == '%' && i + 2 < len) {
        hi = azoai_hex_digit(src[i + 1]);
        lo = azoai_hex_digit(src[i + 2]);

        if (hi >= 0 && lo >= 0) {
            *pos = i + 3;
            return (u_char) (hi << 4 | lo);
        }
    }

    *pos = i + 1;

    if (plus && src[i] == '+') {
        return ' ';
    }

    return src[i];
}


size_t
azoai_pct_decode(u_char *dst, const u_char *src, size_t len, unsigned plus)
{
    size_t  pos, n;

    pos = 0;
    n = 0;

    while (pos < len) {
        dst[n++] = azoai_pct_next(src, len, &pos, plus);
    }

    return n;
}


int
azoai_pct_decode_str(azoai_str_t *out, const u_char *src, size_t len,
    unsigned plus, azoai_alloc_t *a)
{
    u_char  *dst;

    if (!azoai_pct_needs_decoding(src, len, plus)) {
        out->data = src;
        out->len = len;
        return AZOAI_OK;
    }

    dst = azoai_alloc(a, len + 1);
    if (dst == NULL) {
        return AZOAI_ERROR;
    }

    out->len = azoai_pct_decode(dst, src, len, plus);
    dst[out->len] = '\0';
    out->data = dst;

    return AZOAI_OK;
}


int
azoai_pct_equal_ci(const u_char *src, size_t len, unsigned plus,
    const char *name)
{
    u_char  c;
    size_t  pos;

    pos = 0;

    while (pos < len) {
        if (*name == '\0') {
            return 0;
        }

        c = azoai_ascii_lower(azoai_pct_next(src, len, &pos, plus));

        if (c != (u_char) *name++) {
            return 0;
        }
    }

    return *name == '\0';
}
