/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The token estimate of a request body.  The body has been (or will be)
 * validated by the strict walker in azoai_body.c; this is a light scan
 * that only needs to tell strings, member names and the top level apart:
 * memchr() finds the end of each string, so long prompts cost a fraction
 * of an instruction per byte.
 */

#include <string.h>

#include "azoai_estimate.h"
#include "azoai_tlimit.h"


#define azoai_estimate_ws(ch)                                                 \
    ((ch) == ' ' || (ch) == '\n' || (ch) == '\r' || (ch) == '\t')


static const u_char *azoai_estimate_string(azoai_estimate_t *e,
    const u_char *s, const u_char *q, const u_char *end, size_t depth);
static const u_char *azoai_estimate_string_end(const u_char *p,
    const u_char *end);
static const u_char *azoai_estimate_member(azoai_estimate_t *e,
    const u_char *name, size_t len, const u_char *p, const u_char *end);
static int azoai_estimate_is_max(const u_char *name, size_t len);
static void azoai_estimate_stream_key(azoai_estimate_stream_t *s);
static void azoai_estimate_stream_open(azoai_estimate_stream_t *s,
    unsigned object);
static void azoai_estimate_stream_value(azoai_estimate_stream_t *s);
static void azoai_estimate_stream_piece(azoai_estimate_stream_t *s,
    const azoai_sse_piece_t *pc);
static void azoai_estimate_stream_json(azoai_estimate_stream_t *s,
    const u_char *p, size_t len);


/* states of the stream counter */
#define AZOAI_ESTIMATE_OUT         0
#define AZOAI_ESTIMATE_KEY         1    /* in a member name */
#define AZOAI_ESTIMATE_VALUE       2    /* in a string value */

/* members of the stream counter */
#define AZOAI_ESTIMATE_OTHER       0
#define AZOAI_ESTIMATE_TYPE        1
#define AZOAI_ESTIMATE_DELTA       2
#define AZOAI_ESTIMATE_TEXT        3    /* content, text, refusal, ... */


void
azoai_estimate_body(const u_char *body, size_t len, azoai_estimate_t *e)
{
    size_t         depth;
    const u_char  *p, *end, *s, *q;

    memset(e, 0, sizeof(azoai_estimate_t));

    p = body;
    end = body + len;

    while (p < end && azoai_estimate_ws(*p)) {
        p++;
    }

    if (p == end || (*p != '{' && *p != '[')) {
        /* not a JSON request: every byte may be text */
        e->invalid = 1;
        e->text_bytes = azoai_tlimit_add(len > (size_t) AZOAI_TLIMIT_MAX
                                         ? AZOAI_TLIMIT_MAX : (int64_t) len,
                                         0);
        goto done;
    }

    depth = 0;

    while (p < end) {
        switch (*p) {

        case '{':
        case '[':
            depth++;
            p++;
            continue;

        case '}':
        case ']':
            depth -= depth ? 1 : 0;
            p++;
            continue;

        case '"':
            break;

        default:
            p++;
            continue;
        }

        s = p + 1;
        q = azoai_estimate_string_end(s, end);

        if (q == NULL) {
            e->invalid = 1;
            break;
        }

        p = azoai_estimate_string(e, s, q, end, depth);
    }

done:

    e->prompt = (e->text_bytes + AZOAI_ESTIMATE_BYTES_PER_TOKEN - 1)
                / AZOAI_ESTIMATE_BYTES_PER_TOKEN;
    e->total = azoai_tlimit_add(e->prompt, e->max_output);
}


/*
 * A string from s to its closing quote q: a member name (not text; at
 * the top level maybe max_tokens) or a value.  Returns where the scan
 * goes on.
 */

static const u_char *
azoai_estimate_string(azoai_estimate_t *e, const u_char *s,
    const u_char *q, const u_char *end, size_t depth)
{
    const u_char  *p;

    p = q + 1;

    while (p < end && azoai_estimate_ws(*p)) {
        p++;
    }

    if (p < end && *p == ':') {
        p++;
        return depth == 1 ? azoai_estimate_member(e, s, q - s, p, end) : p;
    }

    if ((size_t) (q - s) < sizeof("data:") - 1
        || memcmp(s, "data:", sizeof("data:") - 1) != 0)
    {
        e->text_bytes = azoai_tlimit_add(e->text_bytes, q - s);
    }

    return p;
}


/* the closing quote of a string whose content starts at p, or NULL */

static const u_char *
azoai_estimate_string_end(const u_char *p, const u_char *end)
{
    const u_char  *q, *b;

    for ( ;; ) {
        q = memchr(p, '"', end - p);

        if (q == NULL) {
            return NULL;
        }

        /* escaped if an odd number of backslashes precede it */

        for (b = q; b > p && b[-1] == '\\'; b--) {
            /* void */
        }

        if (((q - b) & 1) == 0) {
            return q;
        }

        p = q + 1;
    }
}


/*
 * After "name": at the top level.  For max_tokens and its siblings, reads
 * a plain non-negative integer (13 digits and more are over the cap);
 * anything else given there is noted and left out.  Returns where the
 * scan goes on.
 */

static const u_char *
azoai_estimate_member(azoai_estimate_t *e, const u_char *name, size_t len,
    const u_char *p, const u_char *end)
{
    int64_t        n;
    const u_char  *start;

    if (!azoai_estimate_is_max(name, len)) {
        return p;
    }

    while (p < end && azoai_estimate_ws(*p)) {
        p++;
    }

    if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
        return p + 4;
    }

    n = 0;
    start = p;

    while (p < end && *p >= '0' && *p <= '9') {
        if (n < AZOAI_TLIMIT_MAX) {
            n = n * 10 + (*p - '0');
        }

        p++;
    }

    if (p == start
        || (p < end && *p != ',' && *p != '}' && !azoai_estimate_ws(*p)))
    {
        /* negative, a fraction, an exponent, a string, ... */
        e->max_ignored = 1;
        return p;
    }

    n = azoai_tlimit_add(n, 0);

    if (n > e->max_output) {
        e->max_output = n;
    }

    return p;
}


static int
azoai_estimate_is_max(const u_char *name, size_t len)
{
    switch (len) {

    case sizeof("max_tokens") - 1:
        return memcmp(name, "max_tokens", len) == 0;

    case sizeof("max_output_tokens") - 1:
        return memcmp(name, "max_output_tokens", len) == 0;

    case sizeof("max_completion_tokens") - 1:
        return memcmp(name, "max_completion_tokens", len) == 0;

    default:
        return 0;
    }
}


void
azoai_estimate_stream_init(azoai_estimate_stream_t *s)
{
    memset(s, 0, sizeof(azoai_estimate_stream_t));
}


int64_t
azoai_estimate_stream_tokens(const azoai_estimate_stream_t *s)
{
    return (s->text_bytes + AZOAI_ESTIMATE_BYTES_PER_TOKEN - 1)
           / AZOAI_ESTIMATE_BYTES_PER_TOKEN;
}


/*
 * The lines of the stream (azoai_sse_line.c): the data of each "data:"
 * line is a JSON document of its own; other lines are passed over.
 */

void
azoai_estimate_stream_feed(azoai_estimate_stream_t *s, const u_char *p,
    size_t len)
{
    const u_char       *last;
    azoai_sse_piece_t   pc;

    last = p + len;

    while (p < last) {
        p = azoai_sse_line_next(&s->lines, p, last, &pc);
        azoai_estimate_stream_piece(s, &pc);
    }
}


static void
azoai_estimate_stream_piece(azoai_estimate_stream_t *s,
    const azoai_sse_piece_t *pc)
{
    size_t         n;
    const u_char  *p, *last;

    static const u_char  field[] = "data:";

    p = pc->data;
    last = p + pc->len;

    if (pc->offset == 0) {
        s->field = 0;
        s->data = 0;
        s->other = 0;
    }

    if (!s->data && !s->other) {
        n = sizeof(field) - 1 - s->field;
        n = (size_t) (last - p) < n ? (size_t) (last - p) : n;

        if (memcmp(p, field + s->field, n) != 0) {
            s->other = 1;
            return;
        }

        p += n;
        s->field += n;

        if (s->field < sizeof(field) - 1) {
            return;
        }

        /* a new document */

        s->data = 1;
        s->state = AZOAI_ESTIMATE_OUT;
        s->depth = 0;
        s->esc = 0;
        s->expect_key = 0;
        s->counting = 0;
        s->key = AZOAI_ESTIMATE_OTHER;
    }

    if (s->data && p < last) {
        azoai_estimate_stream_json(s, p, last - p);
    }
}


/* a state machine over one JSON document, in pieces */

static void
azoai_estimate_stream_json(azoai_estimate_stream_t *s, const u_char *p,
    size_t len)
{
    u_char         ch;
    const u_char  *end, *q;

    end = p + len;

    while (p < end) {

        if (s->state == AZOAI_ESTIMATE_VALUE && !s->esc) {
            /* the bulk of the text: to the next quote or backslash */

            for (q = p; q < end && *q != '"' && *q != '\\'; q++) {
                /* void */
            }

            if (s->counting) {
                s->text_bytes = azoai_tlimit_add(s->text_bytes, q - p);
            }

            p = q;

            if (p == end) {
                break;
            }
        }

        ch = *p++;

        if (s->state != AZOAI_ESTIMATE_OUT) {
            if (s->esc) {
                s->esc = 0;

            } else if (ch == '\\') {
                s->esc = 1;

            } else if (ch == '"') {
                if (s->state == AZOAI_ESTIMATE_KEY) {
                    azoai_estimate_stream_key(s);
                }

                s->state = AZOAI_ESTIMATE_OUT;
                s->counting = 0;
                continue;
            }

            if (s->state == AZOAI_ESTIMATE_KEY) {
                if (s->key_len < AZOAI_ESTIMATE_KEY_MAX) {
                    s->key_buf[s->key_len] = ch;
                }

                if (s->key_len <= AZOAI_ESTIMATE_KEY_MAX) {
                    s->key_len++;
                }

            } else if (s->counting) {
                s->text_bytes = azoai_tlimit_add(s->text_bytes, 1);
            }

            continue;
        }

        switch (ch) {

        case '{':
        case '[':
            azoai_estimate_stream_open(s, ch == '{');
            break;

        case '}':
        case ']':
            if (s->depth) {
                s->depth--;
            }

            s->expect_key = 0;
            break;

        case ',':
            s->expect_key = s->depth && s->depth <= AZOAI_ESTIMATE_DEPTH_MAX
                            && (s->objects >> (s->depth - 1)) & 1;
            break;

        case ':':
            s->expect_key = 0;
            break;

        case '"':
            if (s->expect_key) {
                s->state = AZOAI_ESTIMATE_KEY;
                s->key_len = 0;

            } else {
                azoai_estimate_stream_value(s);
            }

            break;

        default:
            break;
        }
    }
}


static void
azoai_estimate_stream_open(azoai_estimate_stream_t *s, unsigned object)
{
    if (s->depth == 0) {
        s->typed = 0;                  /* a new document */
    }

    s->depth++;

    if (s->depth <= AZOAI_ESTIMATE_DEPTH_MAX) {
        if (object) {
            s->objects |= (uint64_t) 1 << (s->depth - 1);

        } else {
            s->objects &= ~((uint64_t) 1 << (s->depth - 1));
        }
    }

    s->expect_key = object && s->depth <= AZOAI_ESTIMATE_DEPTH_MAX;
    s->key = AZOAI_ESTIMATE_OTHER;
}


/* a string value starts: counted if its member names model text */

static void
azoai_estimate_stream_value(azoai_estimate_stream_t *s)
{
    s->state = AZOAI_ESTIMATE_VALUE;

    if (s->depth == 0) {
        s->counting = 0;

    } else if (s->key == AZOAI_ESTIMATE_DELTA) {
        s->counting = 1;

    } else {
        s->counting = (s->key == AZOAI_ESTIMATE_TEXT && !s->typed);
    }

    s->key = AZOAI_ESTIMATE_OTHER;
}


/* a member name ends: which one it is */

static void
azoai_estimate_stream_key(azoai_estimate_stream_t *s)
{
    size_t        len;
    const char   *k;

    len = s->key_len;
    k = (const char *) s->key_buf;
    s->key = AZOAI_ESTIMATE_OTHER;

    if (len > AZOAI_ESTIMATE_KEY_MAX) {
        return;
    }

    if (len == 4 && memcmp(k, "type", 4) == 0) {
        s->key = AZOAI_ESTIMATE_TYPE;

        if (s->depth == 1) {
            s->typed = 1;
        }

    } else if (len == 5 && memcmp(k, "delta", 5) == 0) {
        s->key = AZOAI_ESTIMATE_DELTA;

    } else if ((len == 7 && memcmp(k, "content", 7) == 0)
               || (len == 4 && memcmp(k, "text", 4) == 0)
               || (len == 7 && memcmp(k, "refusal", 7) == 0)
               || (len == 9 && memcmp(k, "arguments", 9) == 0))
    {
        s->key = AZOAI_ESTIMATE_TEXT;
    }
}
