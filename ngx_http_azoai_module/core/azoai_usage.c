/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Token usage extraction: a streaming JSON scanner that follows only the
 * top-level object, its "response" object and the "usage" object, and
 * skips every other value by counting brackets outside strings (strings
 * are skipped with memchr() to their closing quote); and the "data:"
 * lines of an event stream (azoai_sse_line.c), each run through a fresh
 * scanner.  A whole line without "usage" in it is passed over unread:
 * only the last event of a stream carries usage.  A chunk boundary may
 * fall anywhere.
 */

#define _GNU_SOURCE             /* memrchr() */

#include <string.h>

#include "azoai_usage.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__SSE2__) && defined(__x86_64__) && defined(__GNUC__)            \
    && !defined(AZOAI_NO_AVX2)
#include <immintrin.h>
#define AZOAI_USAGE_AVX2  1
#endif

/* lines shorter than this are not worth the AVX2 set-up */
#define AZOAI_USAGE_AVX2_MIN      64


/* JSON scanner states */
#define AZOAI_UJ_VALUE            0   /* before a value */
#define AZOAI_UJ_KEY_OR_END       1   /* after '{' */
#define AZOAI_UJ_KEY_START        2   /* after ',' */
#define AZOAI_UJ_KEY              3   /* in a member name */
#define AZOAI_UJ_COLON            4
#define AZOAI_UJ_AFTER_VALUE      5   /* ',' or '}' */
#define AZOAI_UJ_SKIP_STRING      6
#define AZOAI_UJ_SKIP_CONTAINER   7
#define AZOAI_UJ_SKIP_SCALAR      8   /* true, false, null, numbers */
#define AZOAI_UJ_NUMBER           9   /* a usage field */
#define AZOAI_UJ_DONE             10  /* document over, or not JSON */

/* objects the scanner follows */
#define AZOAI_UF_TOP              0
#define AZOAI_UF_RESPONSE         1
#define AZOAI_UF_USAGE            2

/* what the next value is for */
#define AZOAI_UT_TOP              0
#define AZOAI_UT_SKIP             1
#define AZOAI_UT_RESPONSE         2
#define AZOAI_UT_USAGE            3
#define AZOAI_UT_FIELD            4   /* + AZOAI_USAGE_PROMPT, ... */

/* event-stream line states */
#define AZOAI_US_FIELD            0   /* matching "data:" */
#define AZOAI_US_DATA             1   /* after "data:" */
#define AZOAI_US_IGNORE           2   /* other fields, comments */


#define azoai_usage_ws(ch)                                                    \
    ((ch) == ' ' || (ch) == '\n' || (ch) == '\r' || (ch) == '\t')

#define azoai_usage_value_delim(ch)                                           \
    ((ch) == ',' || (ch) == '}' || (ch) == ']' || azoai_usage_ws(ch))

#define azoai_usage_structural(ch)                                            \
    ((ch) == '"' || (ch) == '{' || (ch) == '[' || (ch) == ':')


static void azoai_usage_json(azoai_usage_t *u, const u_char *p,
    const u_char *last);
static void azoai_usage_json_reset(azoai_usage_t *u);
static void azoai_usage_token_byte(azoai_usage_t *u, u_char ch);
static void azoai_usage_key_byte(azoai_usage_t *u, u_char ch);
static size_t azoai_usage_scalar_byte(azoai_usage_t *u, u_char ch);
static const u_char *azoai_usage_string_end(azoai_usage_t *u,
    const u_char *p, const u_char *last);
static const u_char *azoai_usage_skip_string(azoai_usage_t *u,
    const u_char *p, const u_char *last);
static const u_char *azoai_usage_skip_container(azoai_usage_t *u,
    const u_char *p, const u_char *last);
static void azoai_usage_value_start(azoai_usage_t *u, u_char ch);
static void azoai_usage_skip_start(azoai_usage_t *u, u_char ch);
static void azoai_usage_value_end(azoai_usage_t *u);
static void azoai_usage_open_object(azoai_usage_t *u, unsigned frame);
static void azoai_usage_close_object(azoai_usage_t *u);
static void azoai_usage_key_end(azoai_usage_t *u);
static unsigned azoai_usage_key_is(azoai_usage_t *u, const char *name,
    size_t len);
static void azoai_usage_number(azoai_usage_t *u, u_char ch);
static void azoai_usage_sse(azoai_usage_t *u, const u_char *p,
    const u_char *last);
static void azoai_usage_sse_piece(azoai_usage_t *u,
    const azoai_sse_piece_t *pc);
static size_t azoai_usage_backslashes(const u_char *start, const u_char *q);
static unsigned azoai_usage_has_key(const u_char *p, size_t len);
#if (AZOAI_USAGE_AVX2)
static const u_char *azoai_usage_key_avx2(const u_char *p, size_t len,
    unsigned *found);
#endif
static unsigned azoai_usage_frame_is(const azoai_json_frame_t *f,
    const char *name, size_t len);
static int azoai_usage_field_of(const azoai_json_frame_t *f);
static void azoai_usage_visit_number(azoai_usage_t *u, int field,
    const azoai_str_t *raw);


static const char  azoai_usage_data_field[] = "data:";


void
azoai_usage_init(azoai_usage_t *u, unsigned sse)
{
    memset(u, 0, sizeof(azoai_usage_t));

    azoai_usage_results_init(u);
    u->sse = sse ? 1 : 0;
    u->sse_state = AZOAI_US_FIELD;
    azoai_sse_line_init(&u->lines);

    azoai_usage_json_reset(u);
}


void
azoai_usage_feed(azoai_usage_t *u, const u_char *p, size_t len)
{
    if (u->finished || p == NULL || len == 0) {
        return;
    }

    if (u->sse) {
        azoai_usage_sse(u, p, p + len);

    } else {
        azoai_usage_json(u, p, p + len);
    }
}


void
azoai_usage_finish(azoai_usage_t *u)
{
    /*
     * Values are committed when their usage object closes, so a body cut
     * short leaves what was complete; later feeds are ignored.
     */

    u->finished = 1;
}


static void
azoai_usage_json_reset(azoai_usage_t *u)
{
    u->state = AZOAI_UJ_VALUE;
    u->target = AZOAI_UT_TOP;
    u->nframes = 0;
    u->esc = 0;
    u->skip_in_string = 0;
    u->skip_depth = 0;
    u->key_len = 0;
}


/*
 * The scanner: the states that skip whole runs (strings, containers) take
 * as many bytes as they can; the others take one byte at a time.
 */

static void
azoai_usage_json(azoai_usage_t *u, const u_char *p, const u_char *last)
{
    while (p < last) {

        switch (u->state) {

        case AZOAI_UJ_SKIP_STRING:
            /* the hot path: message contents */
            p = azoai_usage_skip_string(u, p, last);
            break;

        case AZOAI_UJ_SKIP_CONTAINER:
            p = azoai_usage_skip_container(u, p, last);
            break;

        case AZOAI_UJ_SKIP_SCALAR:
        case AZOAI_UJ_NUMBER:
            p += azoai_usage_scalar_byte(u, *p);
            break;

        case AZOAI_UJ_DONE:
            return;

        default:
            azoai_usage_token_byte(u, *p);
            p++;
            break;
        }
    }
}


/* one byte in the structure of a followed object */

static void
azoai_usage_token_byte(azoai_usage_t *u, u_char ch)
{
    switch (u->state) {

    case AZOAI_UJ_VALUE:
        if (!azoai_usage_ws(ch)) {
            azoai_usage_value_start(u, ch);
        }
        break;

    case AZOAI_UJ_KEY_OR_END:
    case AZOAI_UJ_KEY_START:
        if (azoai_usage_ws(ch)) {
            break;
        }

        if (ch == '"') {
            u->key_len = 0;
            u->esc = 0;
            u->state = AZOAI_UJ_KEY;

        } else if (ch == '}' && u->state == AZOAI_UJ_KEY_OR_END) {
            azoai_usage_close_object(u);

        } else {
            u->state = AZOAI_UJ_DONE;
        }

        break;

    case AZOAI_UJ_KEY:
        azoai_usage_key_byte(u, ch);
        break;

    case AZOAI_UJ_COLON:
        if (ch == ':') {
            u->state = AZOAI_UJ_VALUE;

        } else if (!azoai_usage_ws(ch)) {
            u->state = AZOAI_UJ_DONE;
        }

        break;

    default: /* AZOAI_UJ_AFTER_VALUE */
        if (ch == ',') {
            u->state = AZOAI_UJ_KEY_START;

        } else if (ch == '}') {
            azoai_usage_close_object(u);

        } else if (!azoai_usage_ws(ch)) {
            u->state = AZOAI_UJ_DONE;
        }

        break;
    }
}


/* one byte of a member name of a followed object: short, rare */

static void
azoai_usage_key_byte(azoai_usage_t *u, u_char ch)
{
    if (u->esc) {
        u->esc = 0;

    } else if (ch == '\\') {
        /* escaped names are not compared: none of ours has one */
        u->esc = 1;
        u->key_len = AZOAI_USAGE_KEY_MAX + 1;
        return;

    } else if (ch == '"') {
        azoai_usage_key_end(u);
        u->state = AZOAI_UJ_COLON;
        return;
    }

    if (u->key_len < AZOAI_USAGE_KEY_MAX) {
        u->key[u->key_len++] = ch;

    } else {
        u->key_len = AZOAI_USAGE_KEY_MAX + 1;
    }
}


/*
 * One byte of a skipped scalar or of a usage number; returns 0 for the
 * delimiter that ends it, which belongs to the enclosing object, else 1
 */

static size_t
azoai_usage_scalar_byte(azoai_usage_t *u, u_char ch)
{
    if (azoai_usage_value_delim(ch)) {
        if (u->state == AZOAI_UJ_NUMBER && !u->num_bad) {
            u->pending[u->target - AZOAI_UT_FIELD] = u->num;
        }

        azoai_usage_value_end(u);
        return 0;
    }

    if (azoai_usage_structural(ch)) {
        u->state = AZOAI_UJ_DONE;
        return 1;
    }

    if (u->state == AZOAI_UJ_NUMBER) {
        azoai_usage_number(u, ch);
    }

    return 1;
}


/*
 * The closing quote of a string, or last; follows escapes across calls.
 * memchr() to each quote: it closes the string unless an odd run of
 * backslashes stands before it (counted back to where this call began
 * reading, or to the quote before: a run never spans a quote).
 */

static const u_char *
azoai_usage_string_end(azoai_usage_t *u, const u_char *p,
    const u_char *last)
{
    const u_char  *start, *q;

    if (u->esc) {
        u->esc = 0;

        if (++p >= last) {
            return last;
        }
    }

    start = p;

    for ( ;; ) {
        q = memchr(p, '"', last - p);

        if (q == NULL) {
            u->esc = azoai_usage_backslashes(start, last) & 1;
            return last;
        }

        if ((azoai_usage_backslashes(start, q) & 1) == 0) {
            return q;
        }

        p = q + 1;
    }
}


/* the backslashes right before q, back to start at most */

static size_t
azoai_usage_backslashes(const u_char *start, const u_char *q)
{
    const u_char  *b;

    for (b = q; b > start && b[-1] == '\\'; b--) {
        /* void */
    }

    return q - b;
}


static const u_char *
azoai_usage_skip_string(azoai_usage_t *u, const u_char *p,
    const u_char *last)
{
    p = azoai_usage_string_end(u, p, last);

    if (p < last) {
        azoai_usage_value_end(u);
        p++;
    }

    return p;
}


static const u_char *
azoai_usage_skip_container(azoai_usage_t *u, const u_char *p,
    const u_char *last)
{
    u_char  ch;

    while (p < last) {

        if (u->skip_in_string) {
            p = azoai_usage_string_end(u, p, last);

            if (p < last) {
                u->skip_in_string = 0;
                p++;
            }

            continue;
        }

        ch = *p++;

        switch (ch) {

        case '"':
            u->skip_in_string = 1;
            break;

        case '{':
        case '[':
            u->skip_depth++;
            break;

        case '}':
        case ']':
            if (--u->skip_depth == 0) {
                azoai_usage_value_end(u);
                return p;
            }

            break;

        default:
            break;
        }
    }

    return p;
}


static void
azoai_usage_value_start(azoai_usage_t *u, u_char ch)
{
    switch (u->target) {

    case AZOAI_UT_TOP:
        if (ch == '{') {
            azoai_usage_open_object(u, AZOAI_UF_TOP);

        } else {
            /* arrays, scalars, "[DONE]": nothing to find */
            u->state = AZOAI_UJ_DONE;
        }

        return;

    case AZOAI_UT_RESPONSE:
    case AZOAI_UT_USAGE:
        if (ch == '{') {
            azoai_usage_open_object(u, u->target == AZOAI_UT_USAGE
                                       ? AZOAI_UF_USAGE : AZOAI_UF_RESPONSE);
            return;
        }

        break;

    case AZOAI_UT_SKIP:
        break;

    default: /* a usage field */
        if (ch >= '0' && ch <= '9') {
            u->num = ch - '0';
            u->num_bad = 0;
            u->state = AZOAI_UJ_NUMBER;
            return;
        }

        if (ch == '-') {
            u->num = 0;
            u->num_bad = 1;
            u->state = AZOAI_UJ_NUMBER;
            return;
        }

        break;
    }

    azoai_usage_skip_start(u, ch);
}


static void
azoai_usage_skip_start(azoai_usage_t *u, u_char ch)
{
    switch (ch) {

    case '"':
        u->esc = 0;
        u->state = AZOAI_UJ_SKIP_STRING;
        return;

    case '{':
    case '[':
        u->esc = 0;
        u->skip_in_string = 0;
        u->skip_depth = 1;
        u->state = AZOAI_UJ_SKIP_CONTAINER;
        return;

    case ',':
    case '}':
    case ']':
    case ':':
        u->state = AZOAI_UJ_DONE;
        return;

    default:
        u->state = AZOAI_UJ_SKIP_SCALAR;
        return;
    }
}


static void
azoai_usage_value_end(azoai_usage_t *u)
{
    u->state = u->nframes ? AZOAI_UJ_AFTER_VALUE : AZOAI_UJ_DONE;
}


static void
azoai_usage_open_object(azoai_usage_t *u, unsigned frame)
{
    int  i;

    if (u->nframes >= AZOAI_USAGE_MAX_FRAMES) {
        /* cannot happen: "usage" is only followed in the outer two */
        u->state = AZOAI_UJ_DONE;
        return;
    }

    u->frames[u->nframes++] = (uint8_t) frame;
    u->state = AZOAI_UJ_KEY_OR_END;

    if (frame == AZOAI_UF_USAGE) {
        for (i = 0; i < AZOAI_USAGE_NFIELDS; i++) {
            u->pending[i] = -1;
        }
    }
}


static void
azoai_usage_close_object(azoai_usage_t *u)
{
    int64_t  *v;

    if (u->frames[--u->nframes] == AZOAI_UF_USAGE) {
        v = u->pending;

        if (v[AZOAI_USAGE_PROMPT] >= 0 || v[AZOAI_USAGE_COMPLETION] >= 0
            || v[AZOAI_USAGE_TOTAL] >= 0)
        {
            /* the last usage object seen wins, as a whole */
            u->prompt_tokens = v[AZOAI_USAGE_PROMPT];
            u->completion_tokens = v[AZOAI_USAGE_COMPLETION];
            u->total_tokens = v[AZOAI_USAGE_TOTAL];
            u->found = 1;
        }
    }

    azoai_usage_value_end(u);
}


static void
azoai_usage_key_end(azoai_usage_t *u)
{
    u->target = AZOAI_UT_SKIP;

    switch (u->frames[u->nframes - 1]) {

    case AZOAI_UF_TOP:
        if (azoai_usage_key_is(u, "usage", 5)) {
            u->target = AZOAI_UT_USAGE;

        } else if (azoai_usage_key_is(u, "response", 8)) {
            u->target = AZOAI_UT_RESPONSE;
        }

        return;

    case AZOAI_UF_RESPONSE:
        if (azoai_usage_key_is(u, "usage", 5)) {
            u->target = AZOAI_UT_USAGE;
        }

        return;

    default: /* AZOAI_UF_USAGE */
        if (azoai_usage_key_is(u, "prompt_tokens", 13)
            || azoai_usage_key_is(u, "input_tokens", 12))
        {
            u->target = AZOAI_UT_FIELD + AZOAI_USAGE_PROMPT;

        } else if (azoai_usage_key_is(u, "completion_tokens", 17)
                   || azoai_usage_key_is(u, "output_tokens", 13))
        {
            u->target = AZOAI_UT_FIELD + AZOAI_USAGE_COMPLETION;

        } else if (azoai_usage_key_is(u, "total_tokens", 12)) {
            u->target = AZOAI_UT_FIELD + AZOAI_USAGE_TOTAL;
        }

        return;
    }
}


static unsigned
azoai_usage_key_is(azoai_usage_t *u, const char *name, size_t len)
{
    return u->key_len == len && memcmp(u->key, name, len) == 0;
}


static void
azoai_usage_number(azoai_usage_t *u, u_char ch)
{
    int64_t  digit;

    if (u->num_bad) {
        return;
    }

    if (ch < '0' || ch > '9') {
        /* fraction, exponent, or not a number at all */
        u->num_bad = 1;
        return;
    }

    digit = ch - '0';

    if (u->num > (INT64_MAX - digit) / 10) {
        u->num_bad = 1;
        return;
    }

    u->num = u->num * 10 + digit;
}


/*
 * A chunk of an event stream.  A chunk with no "usage" in it (all but
 * the last few of a stream) is passed over but for its last line, which
 * may go on in the next chunk: only the line left open by the previous
 * chunk and that one are read.
 */

static void
azoai_usage_sse(azoai_usage_t *u, const u_char *p, const u_char *last)
{
    const u_char       *lf, *cr;
    azoai_sse_piece_t   pc;

    while (p < last && (u->lines.len || u->lines.cr)) {
        p = azoai_sse_line_next(&u->lines, p, last, &pc);
        azoai_usage_sse_piece(u, &pc);

        if (pc.end) {
            break;
        }
    }

    if (p < last && !azoai_usage_has_key(p, last - p)) {
        lf = memrchr(p, '\n', last - p);
        cr = memrchr(lf ? lf : p, '\r', last - (lf ? lf : p));
        if (cr && (lf == NULL || cr > lf)) {
            lf = cr;
        }

        if (lf) {
            /* whole lines without "usage": nothing for us */

            azoai_sse_line_init(&u->lines);
            u->lines.cr = (*lf == '\r' && lf + 1 == last);
            p = lf + 1;
        }
    }

    while (p < last) {
        p = azoai_sse_line_next(&u->lines, p, last, &pc);
        azoai_usage_sse_piece(u, &pc);
    }
}


/* one chunk's part of a line */

static void
azoai_usage_sse_piece(azoai_usage_t *u, const azoai_sse_piece_t *pc)
{
    size_t         n, field;
    const u_char  *p, *last;

    p = pc->data;
    last = p + pc->len;
    field = sizeof(azoai_usage_data_field) - 1;

    if (pc->offset == 0) {
        u->sse_state = AZOAI_US_FIELD;
        u->sse_matched = 0;

        /* a whole data line without "usage" (all but the last): unread */

        if (pc->end && pc->len > field
            && memcmp(p, azoai_usage_data_field, field) == 0
            && !azoai_usage_has_key(p + field, pc->len - field))
        {
            u->sse_state = AZOAI_US_IGNORE;
        }
    }

    if (u->sse_state == AZOAI_US_FIELD) {
        n = field - u->sse_matched;
        n = (size_t) (last - p) < n ? (size_t) (last - p) : n;

        if (memcmp(p, azoai_usage_data_field + u->sse_matched, n) != 0) {
            u->sse_state = AZOAI_US_IGNORE;

        } else {
            p += n;
            u->sse_matched += n;

            if (u->sse_matched == field) {
                /* the optional space is JSON whitespace */
                azoai_usage_json_reset(u);
                u->sse_state = AZOAI_US_DATA;
            }
        }
    }

    if (u->sse_state == AZOAI_US_DATA && p < last) {
        azoai_usage_json(u, p, last);
    }
}


/*
 * Whether "usage" (with its quotes) is in p: each '"' followed by 'u' is
 * compared, found 16 bytes a step; that pair is rare in other members
 */

static unsigned
azoai_usage_has_key(const u_char *p, size_t len)
{
    const u_char  *q, *end;

    static const u_char  key[] = "\"usage\"";

#if defined(__SSE2__)
    int       mask;
    size_t    i;
    __m128i   quote, u;
#if (AZOAI_USAGE_AVX2)
    unsigned  found;

    if (len >= AZOAI_USAGE_AVX2_MIN && __builtin_cpu_supports("avx2")) {
        q = azoai_usage_key_avx2(p, len, &found);

        if (found) {
            return 1;
        }

        len -= q - p;
        p = q;
    }
#endif

    quote = _mm_set1_epi8('"');
    u = _mm_set1_epi8('u');

    while (len >= 16 + sizeof(key) - 1) {
        mask = _mm_movemask_epi8(_mm_and_si128(
                   _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *) p),
                                  quote),
                   _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *) (p + 1)),
                                  u)));

        while (mask) {
            i = __builtin_ctz(mask);

            if (memcmp(p + i, key, sizeof(key) - 1) == 0) {
                return 1;
            }

            mask &= mask - 1;
        }

        p += 16;
        len -= 16;
    }
#endif

    end = p + len;

    for (q = memchr(p, '"', len); q; q = memchr(q + 1, '"', end - q - 1)) {
        if ((size_t) (end - q) >= sizeof(key) - 1
            && memcmp(q, key, sizeof(key) - 1) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The walker's view of the same rules: "usage" is an object member of
 * the top-level object (depth 1) or of its "response" object (depth 2);
 * its fields are the values one level deeper.  Member names compare raw,
 * an escaped one matches nothing, as in azoai_usage_key_byte().
 */

void
azoai_usage_visit(azoai_usage_t *u, const azoai_json_value_t *v)
{
    int                        i, field;
    unsigned                   at;
    const azoai_json_frame_t  *path;

    path = v->path;

    if (v->depth == 0 || v->depth > 3 || path[0].type != AZOAI_JSON_OBJECT) {
        return;
    }

    /* at: the depth of the usage object, if v is in one or is one */

    if (azoai_usage_frame_is(&path[0], "usage", 5)) {
        at = 1;

    } else if (v->depth >= 2 && azoai_usage_frame_is(&path[0], "response", 8)
               && path[1].type == AZOAI_JSON_OBJECT
               && azoai_usage_frame_is(&path[1], "usage", 5))
    {
        at = 2;

    } else {
        return;
    }

    if (v->depth == at && v->type == AZOAI_JSON_OBJECT) {
        if (!v->closing) {
            for (i = 0; i < AZOAI_USAGE_NFIELDS; i++) {
                u->pending[i] = -1;
            }

            return;
        }

        if (u->pending[AZOAI_USAGE_PROMPT] >= 0
            || u->pending[AZOAI_USAGE_COMPLETION] >= 0
            || u->pending[AZOAI_USAGE_TOTAL] >= 0)
        {
            u->prompt_tokens = u->pending[AZOAI_USAGE_PROMPT];
            u->completion_tokens = u->pending[AZOAI_USAGE_COMPLETION];
            u->total_tokens = u->pending[AZOAI_USAGE_TOTAL];
            u->found = 1;
        }

        return;
    }

    if (v->depth != at + 1 || v->type != AZOAI_JSON_NUMBER
        || path[at].type != AZOAI_JSON_OBJECT)
    {
        return;
    }

    field = azoai_usage_field_of(&path[at]);

    if (field >= 0) {
        azoai_usage_visit_number(u, field, &v->raw);
    }
}


static unsigned
azoai_usage_frame_is(const azoai_json_frame_t *f, const char *name,
    size_t len)
{
    return !(f->key_flags & AZOAI_JSON_ESCAPED) && f->key.len == len
           && memcmp(f->key.data, name, len) == 0;
}


/* AZOAI_USAGE_PROMPT ... for the member name of f, or -1 */

static int
azoai_usage_field_of(const azoai_json_frame_t *f)
{
    if (azoai_usage_frame_is(f, "prompt_tokens", 13)
        || azoai_usage_frame_is(f, "input_tokens", 12))
    {
        return AZOAI_USAGE_PROMPT;
    }

    if (azoai_usage_frame_is(f, "completion_tokens", 17)
        || azoai_usage_frame_is(f, "output_tokens", 13))
    {
        return AZOAI_USAGE_COMPLETION;
    }

    if (azoai_usage_frame_is(f, "total_tokens", 12)) {
        return AZOAI_USAGE_TOTAL;
    }

    return -1;
}


/* a valid JSON number: kept when it is a non-negative integer in int64_t */

static void
azoai_usage_visit_number(azoai_usage_t *u, int field, const azoai_str_t *raw)
{
    size_t   i;
    int64_t  n, digit;

    n = 0;

    for (i = 0; i < raw->len; i++) {
        if (raw->data[i] < '0' || raw->data[i] > '9') {
            return;
        }

        digit = raw->data[i] - '0';

        if (n > (INT64_MAX - digit) / 10) {
            return;
        }

        n = n * 10 + digit;
    }

    u->pending[field] = n;
}


#if (AZOAI_USAGE_AVX2)

/*
 * The loop of azoai_usage_has_key(), 32 bytes a step (every data line of
 * a stream goes through it): *found, or where fewer than 32 + 6 bytes
 * are left for the SSE2 and scalar loops
 */

__attribute__((target("avx2")))
static const u_char *
azoai_usage_key_avx2(const u_char *p, size_t len, unsigned *found)
{
    size_t    i;
    uint32_t  mask;
    __m256i   quote, u;

    static const u_char  key[] = "\"usage\"";

    quote = _mm256_set1_epi8('"');
    u = _mm256_set1_epi8('u');
    *found = 0;

    while (len >= 32 + sizeof(key) - 1) {
        mask = (uint32_t) _mm256_movemask_epi8(_mm256_and_si256(
                   _mm256_cmpeq_epi8(
                       _mm256_loadu_si256((const __m256i *) p), quote),
                   _mm256_cmpeq_epi8(
                       _mm256_loadu_si256((const __m256i *) (p + 1)), u)));

        while (mask) {
            i = __builtin_ctz(mask);

            if (memcmp(p + i, key, sizeof(key) - 1) == 0) {
                *found = 1;
                return p;
            }

            mask &= mask - 1;
        }

        p += 32;
        len -= 32;
    }

    return p;
}

#endif
