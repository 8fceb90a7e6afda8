/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Strict JSON tokenizer and walker: a state machine over an explicit stack
 * of frames (no recursion), with a vectorised scan of string content.
 */

#include <string.h>

#include "azoai_ascii.h"
#include "azoai_json_int.h"

#if (AZOAI_JSON_SSE2)
#include <emmintrin.h>
#endif


/* classes of bytes inside a string */
#define AZOAI_JSON_C_PLAIN     0    /* printable ASCII */
#define AZOAI_JSON_C_QUOTE     1
#define AZOAI_JSON_C_BSLASH    2
#define AZOAI_JSON_C_CONTROL   3    /* < 0x20 */
#define AZOAI_JSON_C_UTF8      4    /* >= 0x80 */


static const u_char *azoai_json_skip_ws(const u_char *p, const u_char *end);
static const u_char *azoai_json_skip_plain(const u_char *p,
    const u_char *end);
#if (AZOAI_JSON_SSE2)
static inline const u_char *azoai_json_skip_plain16(const u_char *p);
#endif
static inline const u_char *azoai_json_string(const u_char *input,
    const u_char *p, const u_char *end, unsigned *flags,
    azoai_json_status_t *st);
#if (AZOAI_JSON_AVX2)
static inline const u_char *azoai_json_scan_string_avx2(
    const u_char *input, const u_char **pos, const u_char *end,
    unsigned *flags, azoai_json_status_t *st);
#endif
static const u_char *azoai_json_scan_string(const u_char *input,
    const u_char *p, const u_char *end, unsigned *flags,
    azoai_json_status_t *st);
static const u_char *azoai_json_scan_escape(const u_char *input,
    const u_char *p, const u_char *end, unsigned *flags,
    azoai_json_status_t *st);
static const u_char *azoai_json_scan_utf8(const u_char *p,
    const u_char *end);
static inline const u_char *azoai_json_skip_digits(const u_char *p,
    const u_char *end);
static inline const u_char *azoai_json_scan_number(const u_char *input,
    const u_char *p, const u_char *end, azoai_json_status_t *st);
static inline unsigned azoai_json_run(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *st,
    unsigned closings) __attribute__((always_inline));
static inline const u_char *azoai_json_value(const u_char *input,
    const u_char *p, const u_char *end, azoai_json_value_t *v,
    azoai_json_status_t *st) __attribute__((always_inline));
static const u_char *azoai_json_literal(const u_char *input,
    const u_char *p, const u_char *end, azoai_json_value_t *v,
    azoai_json_status_t *st);
static inline void azoai_json_push(azoai_json_frame_t *f,
    const azoai_json_value_t *v);
static inline const u_char *azoai_json_member(const u_char *input,
    const u_char *p, const u_char *end, azoai_json_frame_t *f,
    azoai_json_status_t *st);
static inline void azoai_json_closed(const u_char *input, const u_char *p,
    const azoai_json_frame_t *f, unsigned depth, azoai_json_value_t *v);
static size_t azoai_json_decode_escape(const u_char *p, const u_char *end,
    uint32_t *cp);
static unsigned azoai_json_fail(azoai_json_status_t *st,
    const u_char *input, const u_char *p, unsigned error, const char *why);


static const u_char  azoai_json_class[256] = {
    [0x00 ... 0x1f] = AZOAI_JSON_C_CONTROL,
    ['"'] = AZOAI_JSON_C_QUOTE,
    ['\\'] = AZOAI_JSON_C_BSLASH,
    [0x80 ... 0xff] = AZOAI_JSON_C_UTF8
};


static const u_char  azoai_json_space[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1
};


/* the literal s (a string constant) is at p: constant-size compares */
#define azoai_json_at_literal(p, end, s)                                      \
    ((size_t) ((end) - (p)) >= sizeof(s) - 1                                  \
     && memcmp(p, s, sizeof(s) - 1) == 0)


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


/*
 * A state machine over an explicit stack of frames, not recursion, so
 * that a hostile body cannot exhaust the C stack: the labels are its
 * states (a value is due, a value has ended, a member name is due, a
 * container closes) and each state's work is a helper below.  The gotos
 * are the transitions; splitting the states into functions would need
 * the stack and the position in a shared structure on the hot path.
 * Inlined twice: with closings 0, closed containers are not reported.
 */

static inline unsigned
azoai_json_run(const u_char *input, size_t len, azoai_json_visit_pt visit,
    void *data, azoai_json_status_t *st, unsigned closings)
{
    unsigned             depth, object;
    const u_char        *p, *end;
    azoai_json_frame_t  *f;
    azoai_json_value_t   v;
    azoai_json_frame_t   frames[AZOAI_JSON_MAX_DEPTH];

    st->error = AZOAI_JSON_OK;
    st->offset = 0;
    st->reason = NULL;
    st->lone_surrogates = 0;
    st->values = 0;

    v.path = frames;
    depth = 0;
    end = input + len;
    p = azoai_json_skip_ws(input, end);

value:

    v.depth = depth;

    p = azoai_json_value(input, p, end, &v, st);
    if (p == NULL) {
        return st->error;
    }

    st->values++;

    if (visit && visit(data, &v)) {
        goto stopped;
    }

    if (v.type == AZOAI_JSON_OBJECT || v.type == AZOAI_JSON_ARRAY) {
        azoai_json_push(&frames[depth++], &v);

        object = (v.type == AZOAI_JSON_OBJECT);
        p = azoai_json_skip_ws(p, end);

        if (p < end && *p == (object ? '}' : ']')) {
            goto close;
        }

        if (object) {
            goto key;
        }

        goto value;
    }

next:

    p = azoai_json_skip_ws(p, end);

    if (depth == 0) {
        if (p != end) {
            return azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                                   "unexpected data after the value");
        }

        return AZOAI_JSON_OK;
    }

    f = &frames[depth - 1];
    object = (f->type == AZOAI_JSON_OBJECT);

    if (p < end) {
        if (*p == ',') {
            p = azoai_json_skip_ws(p + 1, end);

            if (object) {
                goto key;
            }

            f->index++;
            goto value;
        }

        if (*p == (object ? '}' : ']')) {
            goto close;
        }
    }

    return azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                           object ? "expected ',' or '}'"
                                  : "expected ',' or ']'");

key:

    p = azoai_json_member(input, p, end, &frames[depth - 1], st);
    if (p == NULL) {
        return st->error;
    }

    goto value;

close:

    /* p is at the closing byte of frames[depth - 1] */

    depth--;

    if (closings) {
        azoai_json_closed(input, p, &frames[depth], depth, &v);

        if (visit && visit(data, &v)) {
            p++;
            goto stopped;
        }
    }

    p++;

    goto next;

stopped:

    st->error = AZOAI_JSON_STOPPED;
    st->offset = v.offset;
    st->reason = "stopped";

    return AZOAI_JSON_STOPPED;
}


/*
 * The value at p (v->depth set): fills v and returns the byte after it,
 * after the opening byte of a container; NULL on error
 */

static inline const u_char *
azoai_json_value(const u_char *input, const u_char *p, const u_char *end,
    azoai_json_value_t *v, azoai_json_status_t *st)
{
    unsigned       flags;
    const u_char  *q;

    if (p == end) {
        azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                        "expected a value");
        return NULL;
    }

    v->closing = 0;
    v->flags = 0;
    v->offset = p - input;
    v->raw.data = p;

    switch (*p) {

    case '{':
    case '[':
        if (v->depth == AZOAI_JSON_MAX_DEPTH) {
            azoai_json_fail(st, input, p, AZOAI_JSON_TOO_DEEP,
                            "nested too deeply");
            return NULL;
        }

        v->type = (*p == '{') ? AZOAI_JSON_OBJECT : AZOAI_JSON_ARRAY;
        v->raw.len = 1;
        return p + 1;

    case '"':
        q = azoai_json_string(input, p + 1, end, &flags, st);
        if (q == NULL) {
            return NULL;
        }

        if (flags & AZOAI_JSON_LONE_SURROGATE) {
            st->lone_surrogates++;
        }

        v->type = AZOAI_JSON_STRING;
        v->flags = flags;
        v->offset++;
        v->raw.data = p + 1;
        v->raw.len = q - (p + 1);
        return q + 1;

    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        q = azoai_json_scan_number(input, p, end, st);
        if (q == NULL) {
            return NULL;
        }

        v->type = AZOAI_JSON_NUMBER;
        v->raw.len = q - p;
        return q;

    default:
        return azoai_json_literal(input, p, end, v, st);
    }
}


/* true, false or null at p */

static const u_char *
azoai_json_literal(const u_char *input, const u_char *p, const u_char *end,
    azoai_json_value_t *v, azoai_json_status_t *st)
{
    switch (*p) {

    case 't':
        if (!azoai_json_at_literal(p, end, "true")) {
            break;
        }

        v->type = AZOAI_JSON_TRUE;
        v->raw.len = sizeof("true") - 1;
        return p + v->raw.len;

    case 'f':
        if (!azoai_json_at_literal(p, end, "false")) {
            break;
        }

        v->type = AZOAI_JSON_FALSE;
        v->raw.len = sizeof("false") - 1;
        return p + v->raw.len;

    case 'n':
        if (!azoai_json_at_literal(p, end, "null")) {
            break;
        }

        v->type = AZOAI_JSON_NULL;
        v->raw.len = sizeof("null") - 1;
        return p + v->raw.len;

    default:
        azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                        "expected a value");
        return NULL;
    }

    azoai_json_fail(st, input, p, AZOAI_JSON_INVALID, "invalid literal");

    return NULL;
}


/* a new frame for the container v opens */

static inline void
azoai_json_push(azoai_json_frame_t *f, const azoai_json_value_t *v)
{
    f->type = v->type;
    f->start = v->offset;
    f->index = 0;
    f->key.len = 0;
    f->key.data = NULL;
    f->key_flags = 0;
}


/* '"name" :' at p, the name into f; the byte after ':' and space */

static inline const u_char *
azoai_json_member(const u_char *input, const u_char *p, const u_char *end,
    azoai_json_frame_t *f, azoai_json_status_t *st)
{
    unsigned       flags;
    const u_char  *q;

    if (p == end || *p != '"') {
        azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                        "expected a member name");
        return NULL;
    }

    q = azoai_json_string(input, p + 1, end, &flags, st);
    if (q == NULL) {
        return NULL;
    }

    if (flags & AZOAI_JSON_LONE_SURROGATE) {
        st->lone_surrogates++;
    }

    f->key.data = p + 1;
    f->key.len = q - (p + 1);
    f->key_flags = flags;

    p = azoai_json_skip_ws(q + 1, end);

    if (p == end || *p != ':') {
        azoai_json_fail(st, input, p, AZOAI_JSON_INVALID, "expected ':'");
        return NULL;
    }

    return azoai_json_skip_ws(p + 1, end);
}


/* v = the container of frame f, closed at p, now at depth */

static inline void
azoai_json_closed(const u_char *input, const u_char *p,
    const azoai_json_frame_t *f, unsigned depth, azoai_json_value_t *v)
{
    v->type = f->type;
    v->flags = 0;
    v->closing = 1;
    v->depth = depth;
    v->offset = f->start;
    v->raw.data = input + f->start;
    v->raw.len = (p + 1) - v->raw.data;
}


static unsigned
azoai_json_fail(azoai_json_status_t *st, const u_char *input,
    const u_char *p, unsigned error, const char *why)
{
    st->error = error;
    st->offset = p - input;
    st->reason = why;

    return error;
}


static const u_char *
azoai_json_skip_ws(const u_char *p, const u_char *end)
{
    while (p < end && azoai_json_space[*p]) {
        p++;
    }

    return p;
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


#if (AZOAI_JSON_SSE2)

/* the first of p[0 .. 15] that is not plain, or NULL (16 bytes readable) */

static inline const u_char *
azoai_json_skip_plain16(const u_char *p)
{
    int      mask;
    __m128i  x, hit;

    x = _mm_loadu_si128((const __m128i *) p);

    /* signed compare: bytes >= 0x80 are negative, hence "< 0x20" */
    hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                       _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));

    mask = _mm_movemask_epi8(hit);

    return mask ? p + __builtin_ctz(mask) : NULL;
}

#endif


/*
 * p is after the opening quote; returns the closing quote or NULL.  Most
 * strings of a request are member names and short values in plain ASCII:
 * those end in the first 16 bytes, found here without the call and the
 * set-up of the full scan, which goes on after the plain bytes otherwise.
 */

static inline const u_char *
azoai_json_string(const u_char *input, const u_char *p, const u_char *end,
    unsigned *flags, azoai_json_status_t *st)
{
#if (AZOAI_JSON_SSE2)
    const u_char  *q;

    if (end - p >= 16) {
        q = azoai_json_skip_plain16(p);

        if (q == NULL) {
            p += 16;

        } else if (*q == '"') {
            *flags = 0;
            return q;

        } else {
            p = q;
        }
    }
#endif

    return azoai_json_scan_string(input, p, end, flags, st);
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
    const u_char *end, unsigned *flags, azoai_json_status_t *st)
{
    const u_char  *p;

    /* short strings ended in azoai_json_string(): no AVX2 set-up */

    p = *pos;

    for ( ;; ) {
        switch (azoai_json_string_avx2(&p, end, flags)) {

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

static const u_char *
azoai_json_scan_string(const u_char *input, const u_char *p,
    const u_char *end, unsigned *flags, azoai_json_status_t *st)
{
    const u_char  *q;

    *flags = 0;

#if (AZOAI_JSON_AVX2)
    if (end - p >= AZOAI_JSON_BLOCK
        && (azoai_json_avx2_state > 0
            || (azoai_json_avx2_state < 0 && azoai_json_avx2_usable())))
    {
        q = azoai_json_scan_string_avx2(input, &p, end, flags, st);

        if (q != NULL || p == NULL) {
            return q;
        }
    }
#endif

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


static inline const u_char *
azoai_json_scan_number(const u_char *input, const u_char *p,
    const u_char *end, azoai_json_status_t *st)
{
    if (*p == '-') {
        p++;
    }

    if (p == end) {
        goto digit;
    }

    if (*p == '0') {
        p++;

        if (p < end && *p >= '0' && *p <= '9') {
            azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                            "leading zero in number");
            return NULL;
        }

    } else if (*p >= '1' && *p <= '9') {
        p = azoai_json_skip_digits(p + 1, end);

    } else {
        goto digit;
    }

    if (p < end && *p == '.') {
        p++;

        if (p == end || *p < '0' || *p > '9') {
            goto digit;
        }

        p = azoai_json_skip_digits(p + 1, end);
    }

    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == end || *p < '0' || *p > '9') {
            goto digit;
        }

        p = azoai_json_skip_digits(p + 1, end);
    }

    return p;

digit:

    azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                    "expected a digit in number");
    return NULL;
}


/* the first byte at or after p that is not a digit (or end) */

static inline const u_char *
azoai_json_skip_digits(const u_char *p, const u_char *end)
{
#if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
    uint64_t  x, y, bad;

    /*
     * eight bytes at a time: with y = x & 0x7f.., byte + 0x46 reaches
     * 0x80 from ':' up, byte + 0x50 from '0' up, and no byte carries
     */

    while (end - p >= 8) {
        memcpy(&x, p, 8);

        y = x & 0x7f7f7f7f7f7f7f7fULL;
        bad = (x | (y + 0x4646464646464646ULL)
               | ~(y + 0x5050505050505050ULL))
              & 0x8080808080808080ULL;

        if (bad) {
            return p + (__builtin_ctzll(bad) >> 3);
        }

        p += 8;
    }
#endif

    while (p < end && *p >= '0' && *p <= '9') {
        p++;
    }

    return p;
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
