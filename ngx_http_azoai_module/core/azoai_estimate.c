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
