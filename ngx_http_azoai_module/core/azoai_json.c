/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Strict JSON tokenizer and walker: a state machine over an explicit stack
 * of frames (no recursion), with a vectorised scan of string content.
 */

#include <string.h>

#include "azoai_ascii.h"
#include "azoai_json_walk.h"


/* classes of bytes inside a string */
#define AZOAI_JSON_C_PLAIN     0    /* printable ASCII */
#define AZOAI_JSON_C_QUOTE     1
#define AZOAI_JSON_C_BSLASH    2
#define AZOAI_JSON_C_CONTROL   3    /* < 0x20 */
#define AZOAI_JSON_C_UTF8      4    /* >= 0x80 */


static const u_char *azoai_json_skip_plain(const u_char *p,
    const u_char *end);
static inline const u_char *azoai_json_scan_string_in(const u_char *input,
    const u_char *p, const u_char *end, unsigned *flags,
    azoai_json_status_t *st, unsigned brackets)
    __attribute__((always_inline));
#if (AZOAI_JSON_AVX2)
static inline const u_char *azoai_json_scan_string_avx2(
    const u_char *input, const u_char **pos, const u_char *end,
    unsigned *flags, azoai_json_status_t *st, unsigned brackets)
    __attribute__((always_inline));
#endif
static inline const u_char *azoai_json_scan_scalar(const u_char *input,
    const u_char *p, const u_char *end, unsigned *flags,
    azoai_json_status_t *st) __attribute__((always_inline));
static const u_char *azoai_json_scan_escape(const u_char *input,
    const u_char *p, const u_char *end, unsigned *flags,
    azoai_json_status_t *st);
static const u_char *azoai_json_scan_utf8(const u_char *p,
    const u_char *end);
static size_t azoai_json_decode_escape(const u_char *p, const u_char *end,
    uint32_t *cp);


static const u_char  azoai_json_class[256] = {
    [0x00 ... 0x1f] = AZOAI_JSON_C_CONTROL,
    ['"'] = AZOAI_JSON_C_QUOTE,
    ['\\'] = AZOAI_JSON_C_BSLASH,
    [0x80 ... 0xff] = AZOAI_JSON_C_UTF8
};


unsigned
azoai_json_walk(const u_char *input, size_t len, azoai_json_visit_pt visit,
    void *data, azoai_json_status_t *st)
{
    return azoai_json_run(input, len, visit, data, st, 1);
}


unsigned
azoai_json_walk_values(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *st)
{
    return azoai_json_run(input, len, visit, data, st, 0);
}


unsigned
azoai_json_walk_brackets(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *st)
{
    return azoai_json_run_scan(input, len, visit, data, st, 1, 1, 1);
}


/*
 * Returns the first byte at or after p that is not printable ASCII other
 * than '"' and '\\' (or end): the hot loop of the tokenizer.
 */

static const u_char *
azoai_json_skip_plain(const u_char *p, const u_char *end)
{
#if (AZOAI_JSON_SSE2)
    int       mask;
    __m128i   x, quote, bslash, low, hit;

    quote = _mm_set1_epi8('"');
    bslash = _mm_set1_epi8('\\');
    low = _mm_set1_epi8(0x20);

    while (end - p >= 16) {
        x = _mm_loadu_si128((const __m128i *) p);

        /* signed compare: bytes >= 0x80 are negative, hence "< 0x20" */
        hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
                                        _mm_cmpeq_epi8(x, bslash)),
                           _mm_cmplt_epi8(x, low));

        mask = _mm_movemask_epi8(hit);
        if (mask) {
            return p + __builtin_ctz(mask);
        }

        p += 16;
    }
#else
    uint64_t  x, ones, high;

    ones = 0x0101010101010101ULL;
    high = 0x8080808080808080ULL;

    while (end - p >= 8) {
        memcpy(&x, p, 8);

        /* any byte >= 0x80, < 0x20, == '"' or == '\\' */
        if ((x & high)
            || ((x - ones * 0x20) & ~x & high)
            || (((x ^ (ones * '"')) - ones) & ~(x ^ (ones * '"')) & high)
            || (((x ^ (ones * '\\')) - ones) & ~(x ^ (ones * '\\')) & high))
        {
            break;
        }

        p += 8;
    }
#endif

    while (p < end && azoai_json_class[*p] == AZOAI_JSON_C_PLAIN) {
        p++;
    }

    return p;
}


#if (AZOAI_JSON_AVX2)

/*
 * 64 bytes a step up to the quote, stopping only at the escapes that
 * are not simple: the closing quote; or NULL, with *pos NULL after an
 * error, else where the scalar scan goes on (the last bytes of the input,
 * and the exact offset of an error)
 */

static inline const u_char *
azoai_json_scan_string_avx2(const u_char *input, const u_char **pos,
    const u_char *end, unsigned *flags, azoai_json_status_t *st,
    unsigned brackets)
{
    const u_char       *p;
    azoai_json_scan_t   r;

    /* short strings ended in azoai_json_string(): no AVX2 set-up */

    p = *pos;

    for ( ;; ) {
        r = brackets ? azoai_json_string_avx2_brackets(p, end, *flags)
                     : azoai_json_string_avx2(p, end, *flags);

        p = r.pos;
        *flags = r.flags;

        switch (r.stop) {

        case AZOAI_JSON_AT_QUOTE:
            return p;

        case AZOAI_JSON_AT_ESCAPE:
            p = azoai_json_scan_escape(input, p, end, flags, st);
            if (p == NULL) {
                *pos = NULL;
                return NULL;
            }

            continue;
        }

        *pos = p;

        return NULL;
    }
}

#endif


/* p is after the opening quote; returns the closing quote or NULL */

const u_char *
azoai_json_scan_string(const u_char *input, const u_char *p,
    const u_char *end, unsigned *flags, azoai_json_status_t *st)
{
    *flags = 0;

    return azoai_json_scan_string_in(input, p, end, flags, st, 0);
}


/* the same from p inside the string, the flags of the bytes before kept */

const u_char *
azoai_json_scan_string_more(const u_char *input, const u_char *p,
    const u_char *end, unsigned *flags, azoai_json_status_t *st)
{
    return azoai_json_scan_string_in(input, p, end, flags, st, 0);
}


const u_char *
azoai_json_scan_string_brackets(const u_char *input, const u_char *p,
    const u_char *end, unsigned *flags, azoai_json_status_t *st)
{
    *flags = 0;

    return azoai_json_scan_string_in(input, p, end, flags, st, 1);
}


/*
 * The string scan; with brackets, the AVX2 scan reports the '[' it steps
 * over and the bytes the scalar loop scans are searched once it has
 * found the quote (escapes hold no '[').  The scalar loop is the state
 * machine of the string's content.
 */

static inline const u_char *
azoai_json_scan_string_in(const u_char *input, const u_char *p,
    const u_char *end, unsigned *flags, azoai_json_status_t *st,
    unsigned brackets)
{
    const u_char  *q;

#if (AZOAI_JSON_AVX2)
    if (end - p >= AZOAI_JSON_BLOCK
        && (azoai_json_avx2_state > 0
            || (azoai_json_avx2_state < 0 && azoai_json_avx2_usable())))
    {
        q = azoai_json_scan_string_avx2(input, &p, end, flags, st,
                                        brackets);

        if (q != NULL || p == NULL) {
            return q;
        }
    }
#endif

    q = azoai_json_scan_scalar(input, p, end, flags, st);

    if (brackets && q != NULL && !(*flags & AZOAI_JSON_BRACKET)
        && memchr(p, '[', q - p) != NULL)
    {
        *flags |= AZOAI_JSON_BRACKET;
    }

    return q;
}


/* the scalar scan from p, adding to *flags; the closing quote or NULL */

static inline const u_char *
azoai_json_scan_scalar(const u_char *input, const u_char *p,
    const u_char *end, unsigned *flags, azoai_json_status_t *st)
{
    const u_char  *q;

    for ( ;; ) {
        p = azoai_json_skip_plain(p, end);

        if (p == end) {
            azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                            "unterminated string");
            return NULL;
        }

        switch (azoai_json_class[*p]) {

        case AZOAI_JSON_C_QUOTE:
            return p;

        case AZOAI_JSON_C_BSLASH:
            p = azoai_json_scan_escape(input, p, end, flags, st);
            if (p == NULL) {
                return NULL;
            }

            break;

        case AZOAI_JSON_C_CONTROL:
            azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                            "control character in string");
            return NULL;

        default: /* AZOAI_JSON_C_UTF8 */
            *flags |= AZOAI_JSON_NON_ASCII;

            do {
                q = azoai_json_scan_utf8(p, end);
                if (q == NULL) {
                    azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                                    "invalid UTF-8");
                    return NULL;
                }

                p = q;

            } while (p < end && *p >= 0x80);

            break;
        }
    }
}


/* p is at a backslash; returns the byte after the escape or NULL */

static const u_char *
azoai_json_scan_escape(const u_char *input, const u_char *p,
    const u_char *end, unsigned *flags, azoai_json_status_t *st)
{
    size_t    n;
    uint32_t  cp;

    if (end - p < 2) {
        azoai_json_fail(st, input, end, AZOAI_JSON_INVALID,
                        "unterminated string");
        return NULL;
    }

    *flags |= AZOAI_JSON_ESCAPED;

    if (p[1] != 'u') {
        if (azoai_json_unescape(p[1]) < 0) {
            azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                            "invalid escape in string");
            return NULL;
        }

        return p + 2;
    }

    n = azoai_json_u_escape(p, end, &cp);

    if (n == 0) {
        azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                        "invalid \\u escape in string");
        return NULL;
    }

    if (n == 6 && azoai_utf16_surrogate(cp)) {
        /* accepted, as RFC 8259 allows, but reported */
        *flags |= AZOAI_JSON_LONE_SURROGATE;
    }

    return p + n;
}


/* p is at a byte >= 0x80; returns the byte after the sequence or NULL */

static const u_char *
azoai_json_scan_utf8(const u_char *p, const u_char *end)
{
    u_char  c, lo, hi;
    size_t  n, i;

    c = p[0];
    lo = 0x80;
    hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;

        if (c == 0xe0) {
            lo = 0xa0;              /* overlong */

        } else if (c == 0xed) {
            hi = 0x9f;              /* UTF-16 surrogates */
        }

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;

        if (c == 0xf0) {
            lo = 0x90;              /* overlong */

        } else if (c == 0xf4) {
            hi = 0x8f;              /* above U+10FFFF */
        }

    } else {
        return NULL;                /* continuation, overlong C0/C1, F5+ */
    }

    if ((size_t) (end - p) < n || p[1] < lo || p[1] > hi) {
        return NULL;
    }

    for (i = 2; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return NULL;
        }
    }

    return p + n;
}


int
azoai_json_decode_string(const u_char *raw, size_t len, u_char *out,
    size_t size, size_t *out_len)
{
    size_t         n;
    u_char        *o, *oend;
    uint32_t       cp;
    const u_char  *p, *end, *run;
    u_char         utf8[4];

    p = raw;
    end = raw + len;
    o = out;
    oend = out + size;

    while (p < end) {
        run = p;

        while (p < end && *p != '\\') {
            p++;
        }

        n = p - run;

        if ((size_t) (oend - o) < n) {
            return AZOAI_ERROR;
        }

        memcpy(o, run, n);
        o += n;

        if (p == end) {
            break;
        }

        n = azoai_json_decode_escape(p, end, &cp);
        if (n == 0) {
            return AZOAI_ERROR;
        }

        p += n;

        n = azoai_utf8_encode(cp, utf8);

        if ((size_t) (oend - o) < n) {
            return AZOAI_ERROR;
        }

        memcpy(o, utf8, n);
        o += n;
    }

    *out_len = o - out;

    return AZOAI_OK;
}


/*
 * The escape at p (a backslash) decoded: *cp, an unpaired surrogate as
 * U+FFFD; returns the bytes it spans, 0 for an invalid escape
 */

static size_t
azoai_json_decode_escape(const u_char *p, const u_char *end, uint32_t *cp)
{
    int     c;
    size_t  n;

    if (end - p < 2) {
        return 0;
    }

    if (p[1] == 'u') {
        n = azoai_json_u_escape(p, end, cp);

        if (n == 6 && azoai_utf16_surrogate(*cp)) {
            *cp = AZOAI_UTF_REPLACEMENT;
        }

        return n;
    }

    c = azoai_json_unescape(p[1]);
    if (c < 0) {
        return 0;
    }

    *cp = (uint32_t) c;

    return 2;
}


int
azoai_json_str_eq(const u_char *raw, size_t len, unsigned flags,
    const char *lit, size_t lit_len)
{
    size_t  n;
    u_char  buf[64];

    if (!(flags & AZOAI_JSON_ESCAPED)) {
        return len == lit_len && memcmp(raw, lit, len) == 0;
    }

    /* decoding only shortens */

    if (len < lit_len || lit_len >= sizeof(buf)) {
        return 0;
    }

    if (azoai_json_decode_string(raw, len, buf, lit_len + 1, &n)
        != AZOAI_OK)
    {
        return 0;
    }

    return n == lit_len && memcmp(buf, lit, n) == 0;
}
