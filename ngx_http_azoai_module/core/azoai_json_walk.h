/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The JSON walker's state machine as an inline template, for the files
 * of the tokenizer only.  azoai_json.c makes the walks of azoai_json.h
 * from it for any visitor; a hot caller whose visitor is fixed (the
 * request body inspection, azoai_body.c) makes its own, the visitor
 * inlined: no call, no register saves per value.  The string scan past
 * a string's first 16 bytes stays out of line.
 */

#ifndef _AZOAI_JSON_WALK_H_INCLUDED_
#define _AZOAI_JSON_WALK_H_INCLUDED_


#include <string.h>

#include "azoai_json_int.h"

#if (AZOAI_JSON_SSE2)
#include <emmintrin.h>
#endif


/* the string scan past the first 16 bytes: out of line, azoai_json.c */
const u_char *azoai_json_scan_string(const u_char *input, const u_char *p,
    const u_char *end, unsigned *flags, azoai_json_status_t *st);
/* the same from p inside the string: adds to *flags */
const u_char *azoai_json_scan_string_more(const u_char *input,
    const u_char *p, const u_char *end, unsigned *flags,
    azoai_json_status_t *st);
/* the same, adding AZOAI_JSON_BRACKET when [p, the quote) holds a '[' */
const u_char *azoai_json_scan_string_brackets(const u_char *input,
    const u_char *p, const u_char *end, unsigned *flags,
    azoai_json_status_t *st);

static inline int azoai_json_quote_colon(const u_char *q);
static inline unsigned azoai_json_run(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *st,
    unsigned closings) __attribute__((always_inline));
static inline unsigned azoai_json_run_uncounted(const u_char *input,
    size_t len, azoai_json_visit_pt visit, void *data,
    azoai_json_status_t *st) __attribute__((always_inline));
static inline unsigned azoai_json_run_scan(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *st,
    unsigned closings, unsigned brackets, unsigned counts)
    __attribute__((always_inline));
static inline unsigned azoai_json_run_scan_as(const u_char *input,
    size_t len, azoai_json_visit_pt visit, void *data,
    azoai_json_status_t *st, unsigned closings, unsigned brackets,
    unsigned counts, unsigned offsets) __attribute__((always_inline));
static inline const u_char *azoai_json_value(const u_char *input,
    const u_char *p, const u_char *end, azoai_json_value_t *v,
    azoai_json_status_t *st, unsigned brackets, unsigned counts,
    unsigned offsets) __attribute__((always_inline));
static inline const u_char *azoai_json_literal(const u_char *input,
    const u_char *p, const u_char *end, azoai_json_value_t *v,
    azoai_json_status_t *st);
static inline void azoai_json_push(azoai_json_frame_t *f,
    const azoai_json_value_t *v);
static inline const u_char *azoai_json_member(const u_char *input,
    const u_char *p, const u_char *end, azoai_json_frame_t *f,
    azoai_json_status_t *st, unsigned counts);
static inline void azoai_json_closed(const u_char *input, const u_char *p,
    const azoai_json_frame_t *f, unsigned depth, azoai_json_value_t *v);
static inline unsigned azoai_json_fail(azoai_json_status_t *st,
    const u_char *input, const u_char *p, unsigned error, const char *why);
static inline const u_char *azoai_json_skip_ws(const u_char *p,
    const u_char *end);
#if (AZOAI_JSON_SSE2)
static inline const u_char *azoai_json_skip_plain16(const u_char *p);
#endif
static inline const u_char *azoai_json_string(const u_char *input,
    const u_char *p, const u_char *end, unsigned *flags,
    azoai_json_status_t *st, unsigned brackets);
static inline const u_char *azoai_json_scan_number(const u_char *input,
    const u_char *p, const u_char *end, azoai_json_status_t *st)
    __attribute__((always_inline));
static inline const u_char *azoai_json_skip_digits(const u_char *p,
    const u_char *end);
#if (AZOAI_JSON_SSE2)
static inline const u_char *azoai_json_number16(const u_char *p,
    u_char c, const u_char *end) __attribute__((always_inline));
#endif


static const u_char  azoai_json_space[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1
};


/* the literal s (a string constant) is at p: constant-size compares */
#define azoai_json_at_literal(p, end, s)                                      \
    ((size_t) ((end) - (p)) >= sizeof(s) - 1                                  \
     && memcmp(p, s, sizeof(s) - 1) == 0)


/*
 * '":' at q (2 bytes readable), in one 16-bit compare rather than a
 * compare and a branch per byte (1 KB chat body: ~12 instructions a
 * request less)
 */

static inline int
azoai_json_quote_colon(const u_char *q)
{
    uint16_t  w;

    memcpy(&w, q, 2);

#if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
    return w == ('"' | ':' << 8);
#else
    return w == ('"' << 8 | ':');
#endif
}


/* the walk of the requests: no AZOAI_JSON_BRACKET */

static inline unsigned
azoai_json_run(const u_char *input, size_t len, azoai_json_visit_pt visit,
    void *data, azoai_json_status_t *st, unsigned closings)
{
    return azoai_json_run_scan(input, len, visit, data, st, closings, 0, 1);
}


/*
 * The walk of azoai_json_walk_values() for a caller that reads neither
 * st->values nor st->lone_surrogates (left 0): no count per value; nor
 * the offset of a scalar or a string, left unset: its visitor takes
 * v->raw.data - input (the offset of a container is set)
 */

static inline unsigned
azoai_json_run_uncounted(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *st)
{
    return azoai_json_run_scan_as(input, len, visit, data, st, 0, 0, 0, 0);
}


static inline unsigned
azoai_json_run_scan(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *st,
    unsigned closings, unsigned brackets, unsigned counts)
{
    return azoai_json_run_scan_as(input, len, visit, data, st, closings,
                                  brackets, counts, 1);
}


/*
 * A state machine over an explicit stack of frames, not recursion, so
 * that a hostile body cannot exhaust the C stack: the labels are its
 * states (a value is due, a value has ended, a ',' follows it, a member
 * name is due, a container closes) and each state's work is a helper
 * below.  The gotos are the transitions; splitting the states into
 * functions would need the stack and the position in a shared structure
 * on the hot path.
 * Inlined per walk: with closings 0, closed containers are not reported;
 * with brackets 1, string values get AZOAI_JSON_BRACKET; with counts 0,
 * st->values and st->lone_surrogates stay 0; with offsets 0, v.offset
 * is set for containers alone.
 */

static inline unsigned
azoai_json_run_scan_as(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *st,
    unsigned closings, unsigned brackets, unsigned counts, unsigned offsets)
{
    unsigned             depth;
    const u_char        *p, *end;
#if (AZOAI_JSON_SSE2)
    const u_char        *q, *end19;
#endif
    azoai_json_frame_t  *top;
    azoai_json_value_t   v;
    azoai_json_frame_t   frames[AZOAI_JSON_MAX_DEPTH + 1];

    st->error = AZOAI_JSON_OK;
    st->offset = 0;
    st->reason = NULL;
    st->lone_surrogates = 0;
    st->values = 0;

    /*
     * top: frames[depth], the frame of the innermost open container
     * (frames[0], before the path, at the top level), kept in a register
     * and given to the visitor as v.parent: it found the frame again
     * from the depth, ~4 instructions a value
     */

    v.path = frames + 1;
    top = frames;
    v.closing = 0;
    depth = 0;
    end = input + len;
    p = azoai_json_skip_ws(input, end);

#if (AZOAI_JSON_SSE2)
    /*
     * the compact member's bound, end - p > 18, as one compare of p (GCC
     * keeps it on the stack: a load and a compare, where the difference
     * took a move, a subtraction and a compare): chat bodies, -2 / -2 /
     * -3 instructions at 1 KB / 4 KB / 64 KB.  A shorter body never takes
     * that way: p < input
     */

    end19 = (len > 18) ? end - 18 : input;
#endif

    /*
     * top->close: the closing byte of the innermost open container (an
     * object's is '}'), or 0x100 (no byte) at the top level: read where
     * it is tested, not kept in a variable that each container's opening
     * and closing set (and the walk kept on its stack)
     */

    frames[0].close = 0x100;

value:

    if (p == end) {
        return azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                               "expected a value");
    }

value_at:

    /*
     * p < end: the end test once here, skipped where the value's first
     * byte was read already (a compact member, the first value of a
     * container): 1 KB / 4 KB / 64 KB chat bodies, -6 instructions each
     * (bench_engine's inspection; once, GCC spilled more for it)
     */

    v.depth = depth;
    v.parent = top;

    p = azoai_json_value(input, p, end, &v, st, brackets, counts, offsets);
    if (p == NULL) {
        return st->error;
    }

    if (counts) {
        st->values++;
    }

    if (visit && visit(data, &v)) {
        goto stopped;
    }

    /*
     * A container's frame, its closing byte and its first member or
     * element, a way for each type: one test of the type, where a way
     * for both tested its closing byte again
     */

    if (v.type == AZOAI_JSON_OBJECT) {
        azoai_json_push(++top, &v);
        depth++;
        top->close = '}';

        /* compact JSON: the first member right after '{' */

        if (p < end && *p > ' ') {
            if (*p == '}') {
                goto close;
            }

            goto member;
        }

        p = azoai_json_skip_ws(p, end);

        if (p < end && *p == '}') {
            goto close;
        }

        goto key;
    }

    if (v.type == AZOAI_JSON_ARRAY) {
        azoai_json_push(++top, &v);
        depth++;
        top->close = ']';

        if (p < end && *p > ' ') {
            if (*p == ']') {
                goto close;
            }

            goto value_at;
        }

        p = azoai_json_skip_ws(p, end);

        if (p < end && *p == ']') {
            goto close;
        }

        goto value;
    }

next:

    /* compact JSON: the ',' or the closing byte right after the value */

    if (p < end) {
        if (*p == ',') {
            if (depth != 0) {
                goto comma;
            }

        } else if (*p == top->close) {
            goto close;
        }
    }

    p = azoai_json_skip_ws(p, end);

    if (depth == 0) {
        if (p != end) {
            return azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                                   "unexpected data after the value");
        }

        return AZOAI_JSON_OK;
    }

    if (p < end) {
        if (*p == ',') {
            goto comma;
        }

        if (*p == top->close) {
            goto close;
        }
    }

    return azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                           (top->close == '}') ? "expected ',' or '}'"
                                               : "expected ',' or ']'");

comma:

    /* p is at a ',' after a value in top */

    p++;

    if (top->close == '}') {

member:

        /*
         * Compact JSON: the member's quote, with the 19 bytes the short
         * name's way of azoai_json_member() needs, no test for space
         * before it.  That way taken here, straight to the value: the
         * compiler had not joined the two tests, and the frame was found
         * again in the member (1 KB chat body: ~8 instructions a request
         * less).  The value's byte is there: its end test is skipped
         * (value_at:).  The first member after '{' comes here too
         * (member:, p at its first byte): through azoai_json_member() it
         * took a few jumps and a compare more (1 KB / 4 KB / 64 KB chat
         * bodies: 12 / 12 / 35 instructions a request less)
         */

#if (AZOAI_JSON_SSE2)
        if (p < end19 && *p == '"') {
            q = azoai_json_skip_plain16(p + 1);

            if (q != NULL && azoai_json_quote_colon(q) && q[2] > ' ') {
                top->key.data = p + 1;
                top->key.len = q - (p + 1);
                top->key_flags = 0;
                p = q + 2;
                goto value_at;
            }

            goto key;
        }
#endif

        p = azoai_json_skip_ws(p, end);
        goto key;
    }

    if (p == end || *p <= ' ') {
        p = azoai_json_skip_ws(p, end);
    }

    top->index++;
    goto value;

key:

    p = azoai_json_member(input, p, end, top, st, counts);
    if (p == NULL) {
        return st->error;
    }

    goto value;

close:

    /* p is at the closing byte of top */

    depth--;
    top--;

    if (closings) {
        azoai_json_closed(input, p, top + 1, depth, &v);
        v.parent = top;

        if (visit && visit(data, &v)) {
            p++;
            goto stopped;
        }

        v.closing = 0;
    }

    p++;

    goto next;

stopped:

    /* v.offset, which offsets 0 leaves unset for scalars and strings */

    st->error = AZOAI_JSON_STOPPED;
    st->offset = v.raw.data - input;
    st->reason = "stopped";

    return AZOAI_JSON_STOPPED;
}


/*
 * The value at p (v->depth set, p < end): fills v and returns the byte
 * after it, after the opening byte of a container; NULL on error
 */

static inline const u_char *
azoai_json_value(const u_char *input, const u_char *p, const u_char *end,
    azoai_json_value_t *v, azoai_json_status_t *st, unsigned brackets,
    unsigned counts, unsigned offsets)
{
    u_char         c;
    unsigned       flags;
    const u_char  *q;

    /* the types by how often requests have them: strings first */

    c = *p;

    if (c == '"') {
        q = azoai_json_string(input, p + 1, end, &flags, st, brackets);
        if (q == NULL) {
            return NULL;
        }

        if (counts && (flags & AZOAI_JSON_LONE_SURROGATE)) {
            st->lone_surrogates++;
        }

        v->type = AZOAI_JSON_STRING;
        v->flags = flags;

        if (offsets) {
            v->offset = (p + 1) - input;
        }

        v->raw.data = p + 1;
        v->raw.len = q - (p + 1);
        return q + 1;
    }

    v->flags = 0;
    v->raw.data = p;

    if (c == '{' || c == '[') {
        if (v->depth == AZOAI_JSON_MAX_DEPTH) {
            azoai_json_fail(st, input, p, AZOAI_JSON_TOO_DEEP,
                            "nested too deeply");
            return NULL;
        }

        v->offset = p - input;
        v->type = (c == '{') ? AZOAI_JSON_OBJECT : AZOAI_JSON_ARRAY;
        v->raw.len = 1;
        return p + 1;
    }

    if (offsets) {
        v->offset = p - input;
    }

    if (c == '-' || (unsigned) (c - '0') < 10) {
#if (AZOAI_JSON_SSE2)
        q = (c != '-' && end - p >= 16) ? azoai_json_number16(p, c, end)
                                        : NULL;

        if (q == NULL)
#endif
        {
            q = azoai_json_scan_number(input, p, end, st);
            if (q == NULL) {
                return NULL;
            }
        }

        v->type = AZOAI_JSON_NUMBER;
        v->raw.len = q - p;
        return q;
    }

    return azoai_json_literal(input, p, end, v, st);
}


/* true, false or null at p */

static inline const u_char *
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


/*
 * A new frame for the container v opens.  An object's key is written by
 * its first member before any value in it is reported, and its index is
 * not read: an array's frame alone gets them (the empty key visitors
 * read as "no key"), 3 stores less per object
 */

static inline void
azoai_json_push(azoai_json_frame_t *f, const azoai_json_value_t *v)
{
    f->type = v->type;
    f->start = v->offset;

    if (v->type == AZOAI_JSON_ARRAY) {
        f->index = 0;
        f->key.len = 0;
        f->key.data = NULL;
        f->key_flags = 0;
    }
}


/* '"name" :' at p, the name into f; the byte after ':' and space */

static inline const u_char *
azoai_json_member(const u_char *input, const u_char *p, const u_char *end,
    azoai_json_frame_t *f, azoai_json_status_t *st, unsigned counts)
{
    unsigned       flags;
    const u_char  *q;

#if (AZOAI_JSON_SSE2)

    /*
     * Compact JSON with a short plain name, the common member: with 19
     * bytes left, the name's 16 and the two after its quote are there
     * without a bound test each (the two tests this saves, ~5
     * instructions a member); anything else takes the way below
     */

    if (end - p > 18 && *p == '"') {
        q = azoai_json_skip_plain16(p + 1);

        if (q != NULL && *q == '"') {
            f->key.data = p + 1;
            f->key.len = q - (p + 1);
            f->key_flags = 0;

            if (q[1] == ':' && q[2] > ' ') {
                return q + 2;
            }

            goto colon;
        }
    }

#endif

    if (p == end || *p != '"') {
        azoai_json_fail(st, input, p, AZOAI_JSON_INVALID,
                        "expected a member name");
        return NULL;
    }

    q = azoai_json_string(input, p + 1, end, &flags, st, 0);
    if (q == NULL) {
        return NULL;
    }

    if (counts && (flags & AZOAI_JSON_LONE_SURROGATE)) {
        st->lone_surrogates++;
    }

    f->key.data = p + 1;
    f->key.len = q - (p + 1);
    f->key_flags = flags;

    /* compact JSON: '"name":' and the value right after the colon */

    if (end - q > 2 && q[1] == ':' && q[2] > ' ') {
        return q + 2;
    }

#if (AZOAI_JSON_SSE2)
colon:
#endif

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


static inline unsigned
azoai_json_fail(azoai_json_status_t *st, const u_char *input,
    const u_char *p, unsigned error, const char *why)
{
    st->error = error;
    st->offset = p - input;
    st->reason = why;

    return error;
}


/*
 * Bodies are mostly compact: the first byte is not space.  A byte above
 * ' ' never is, told without the table (whose address a call site loads)
 */

static inline const u_char *
azoai_json_skip_ws(const u_char *p, const u_char *end)
{
    while (p < end && *p <= ' ' && azoai_json_space[*p]) {
        p++;
    }

    return p;
}


#if (AZOAI_JSON_SSE2)

/* the first of p[0 .. 15] that is not plain, or NULL (16 bytes readable) */

static inline const u_char *
azoai_json_skip_plain16(const u_char *p)
{
    unsigned  mask;
    __m128i   x, hit;

    x = _mm_loadu_si128((const __m128i *) p);

    /*
     * x ^ 2 is below 0x21 for '"' (0x20) and the bytes below 0x20 only;
     * signed, bytes >= 0x80 are negative: x ^ 2 - 0x21, saturated, is
     * negative for the three, whose sign bits movemask takes.  A compare
     * (0x21 > x ^ 2) became in GCC's hands a compare, a zero register and
     * a compare to invert it: 2 instructions more a string
     */
    hit = _mm_or_si128(_mm_subs_epi8(_mm_xor_si128(x, _mm_set1_epi8(2)),
                                     _mm_set1_epi8(0x21)),
                       _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));

    mask = _mm_movemask_epi8(hit);

    /* unsigned: the offset is not sign-extended */

    return mask ? p + (unsigned) __builtin_ctz(mask) : NULL;
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
    unsigned *flags, azoai_json_status_t *st, unsigned brackets)
{
    unsigned       scanned;
    const u_char  *q;
#if (AZOAI_JSON_AVX2)
    azoai_json_scan_t   r;
#endif
#if (AZOAI_JSON_SSE2)
    int            bracket;

    if (end - p >= 16) {
        q = azoai_json_skip_plain16(p);

        /* the '[' among the plain bytes stepped over */

        bracket = 0;

        if (brackets) {
            bracket = _mm_movemask_epi8(_mm_cmpeq_epi8(
                          _mm_loadu_si128((const __m128i *) p),
                          _mm_set1_epi8('[')))
                      & ((q == NULL) ? 0xffff : (1 << (q - p)) - 1);
        }

        if (q == NULL) {
            p += 16;

        } else if (*q == '"') {
            *flags = bracket ? AZOAI_JSON_BRACKET : 0;
            return q;

        } else {
            p = q;
        }

        if (bracket) {
            q = azoai_json_scan_string(input, p, end, &scanned, st);
            *flags = scanned | AZOAI_JSON_BRACKET;
            return q;
        }
    }
#endif

#if (AZOAI_JSON_AVX2)

    /*
     * A longer string of a request, where AVX2 is known to be there: its
     * scan called here, not through azoai_json_scan_string() (a call and
     * its set-up less); where it stops before the quote (an escape to
     * decode, a byte it leaves to the scalar scan), the full scan goes on
     */

    if (!brackets && end - p >= AZOAI_JSON_BLOCK && azoai_json_avx2_state > 0)
    {
        r = azoai_json_string_avx2(p, end, 0);

        if (r.stop == AZOAI_JSON_AT_QUOTE) {
            *flags = r.flags;
            return r.pos;
        }

        scanned = r.flags;
        q = azoai_json_scan_string_more(input, r.pos, end, &scanned, st);
        *flags = scanned;
        return q;
    }

#endif

    /*
     * the full scan writes its own variable: the caller's flags, whose
     * address no call takes, stays in a register
     */

    q = brackets
        ? azoai_json_scan_string_brackets(input, p, end, &scanned, st)
        : azoai_json_scan_string(input, p, end, &scanned, st);

    *flags = scanned;

    return q;
}


/*
 * Always inline: in the BMI build of azoai_body.c's walk GCC left it out
 * of line (chat-4k-pii: 137 instructions in its 4 calls, ~20 more than
 * inline); the other walks inlined it already
 */

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


#if (AZOAI_JSON_SSE2)

/*
 * The end of the number at p, whose first byte c is a digit (16 bytes
 * readable), when it is a valid one whose integer part, '.' and fraction
 * the first 16 bytes show, its integer part possibly longer; NULL for
 * anything else (a leading zero, a fraction past them, an exponent),
 * which azoai_json_scan_number() reads from p again, errors included.
 * One digit mask for the whole number instead of a test per part and
 * the digit loop's set-up: the chat bodies' three numbers (0.2, 512, a
 * 16-digit seed), -27 instructions a request (bench_engine, all three
 * bodies).  A '-' is left to the full reader: the sign's tests cost the
 * others ~20 instructions (requests rarely have negative numbers)
 */

static inline const u_char *
azoai_json_number16(const u_char *p, u_char c, const u_char *end)
{
    u_char         t;
    size_t         i, j;
    unsigned       nd;
    const u_char  *q;
    __m128i        x;

    x = _mm_loadu_si128((const __m128i *) p);

    /*
     * byte + 0x50 is -128 .. -119 for a digit alone: + 0x76, saturated,
     * negative for those only; nd: the bytes that are not digits, bits 16
     * and up set (its ctz at most 16), i: the integer part's end
     */

    nd = ~(unsigned) _mm_movemask_epi8(
             _mm_adds_epi8(_mm_add_epi8(x, _mm_set1_epi8(0x50)),
                           _mm_set1_epi8(0x76)));
    i = (unsigned) __builtin_ctz(nd);

    if (c == '0' && i != 1) {
        return NULL;
    }

    if (i == 16) {
        q = azoai_json_skip_digits(p + 16, end);

        if (q < end && (*q == '.' || (*q | 0x20) == 'e')) {
            return NULL;
        }

        return q;
    }

    t = p[i];

    if (t == '.') {
        nd &= nd - 1;
        j = (unsigned) __builtin_ctz(nd);

        if (j == i + 1 || j == 16) {
            return NULL;
        }

        t = p[j];
        i = j;
    }

    if ((t | 0x20) == 'e') {
        return NULL;
    }

    return p + i;
}

#endif


/* the first byte at or after p that is not a digit (or end) */

static inline const u_char *
azoai_json_skip_digits(const u_char *p, const u_char *end)
{
#if (AZOAI_JSON_SSE2)
    unsigned  mask;
    __m128i   d;
#elif (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
    uint64_t  x, y, bad;
#endif

    /* short numbers end at once (0.2, 1): no constants to load for them */

    if (p < end && (*p < '0' || *p > '9')) {
        return p;
    }

#if (AZOAI_JSON_SSE2)

    /*
     * 16 bytes at a time: byte - '0' is at most 9 (unsigned) for a digit
     * alone.  Two constants to load where the 8-byte way below built
     * four 64-bit ones per number (1 KB / 4 KB chat bodies, two numbers
     * that reach the loop: 28 / 26 instructions a request less)
     */

    while (end - p >= 16) {
        d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *) p),
                         _mm_set1_epi8('0'));

        mask = _mm_movemask_epi8(_mm_cmpeq_epi8(
                   _mm_min_epu8(d, _mm_set1_epi8(9)), d))
               ^ 0xffff;

        if (mask) {
            return p + (unsigned) __builtin_ctz(mask);
        }

        p += 16;
    }

#elif (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

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


#endif /* _AZOAI_JSON_WALK_H_INCLUDED_ */
