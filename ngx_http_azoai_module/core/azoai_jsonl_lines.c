/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * JSONL lines from a text in pieces: memchr() to each LF, the line
 * handed on in place; the bytes after the last LF of a piece wait in a
 * buffer bounded by max for the rest of their line.
 */

#include <string.h>

#include "azoai_jsonl_lines.h"


static int azoai_jsonl_lines_hand(azoai_jsonl_lines_t *l, const u_char *p,
    size_t len, size_t start, unsigned lf);
static int azoai_jsonl_lines_keep(azoai_jsonl_lines_t *l, const u_char *p,
    size_t len);
static int azoai_jsonl_lines_too_long(azoai_jsonl_lines_t *l);


void
azoai_jsonl_lines_init(azoai_jsonl_lines_t *l, size_t max, azoai_alloc_t *a,
    azoai_jsonl_line_pt handler, void *data)
{
    memset(l, 0, sizeof(azoai_jsonl_lines_t));

    l->max = max;
    l->a = a;
    l->handler = handler;
    l->data = data;
}


int
azoai_jsonl_lines_feed(azoai_jsonl_lines_t *l, const u_char *p, size_t len)
{
    size_t         start;
    const u_char  *lf, *end;

    end = p + len;

    while (!l->done && p < end) {
        lf = memchr(p, '\n', end - p);

        if (lf == NULL) {
            l->offset += end - p;
            (void) azoai_jsonl_lines_keep(l, p, end - p);
            break;
        }

        if (l->len) {
            /* the end of a line cut across pieces */
            if (azoai_jsonl_lines_keep(l, p, lf - p) == AZOAI_OK) {
                start = l->offset - (l->len - (lf - p));
                l->offset += lf - p + 1;
                (void) azoai_jsonl_lines_hand(l, l->buf, l->len, start, 1);
                l->len = 0;
            }

        } else {
            if ((size_t) (lf - p) > l->max) {
                l->number++;
                (void) azoai_jsonl_lines_too_long(l);
                break;
            }

            start = l->offset;
            l->offset += lf - p + 1;
            (void) azoai_jsonl_lines_hand(l, p, lf - p, start, 1);
        }

        p = lf + 1;
    }

    return l->rc;
}


int
azoai_jsonl_lines_finish(azoai_jsonl_lines_t *l)
{
    if (!l->done && l->len) {
        (void) azoai_jsonl_lines_hand(l, l->buf, l->len, l->offset - l->len,
                                      0);
        l->len = 0;
    }

    return l->rc;
}


/* counts a line and hands it on unless it is blanks only */

static int
azoai_jsonl_lines_hand(azoai_jsonl_lines_t *l, const u_char *p, size_t len,
    size_t start, unsigned lf)
{
    int                  rc;
    size_t               i;
    azoai_jsonl_span_t   span;

    l->number++;

    for (i = 0; i < len; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') {
            break;
        }
    }

    if (i == len) {
        return AZOAI_OK;
    }

    span.data = p;
    span.len = len;
    span.number = l->number;
    span.start = start;
    span.lf = lf;

    rc = l->handler(l->data, &span);

    if (rc != AZOAI_OK) {
        l->rc = rc;
        l->done = 1;
    }

    return rc;
}


/* appends to the cut line, within max */

static int
azoai_jsonl_lines_keep(azoai_jsonl_lines_t *l, const u_char *p, size_t len)
{
    size_t   cap;
    u_char  *buf;

    if (len > l->max - l->len) {
        l->number++;
        return azoai_jsonl_lines_too_long(l);
    }

    if (l->len + len > l->cap) {
        cap = l->cap ? l->cap : AZOAI_JSONL_LINE_FIRST;

        while (cap < l->len + len) {
            cap *= 2;
        }

        cap = cap > l->max ? l->max : cap;

        buf = azoai_alloc(l->a, cap);
        if (buf == NULL) {
            l->rc = AZOAI_ERROR;
            l->done = 1;
            return AZOAI_ERROR;
        }

        if (l->len) {
            memcpy(buf, l->buf, l->len);
        }

        l->buf = buf;
        l->cap = cap;
    }

    if (len) {
        memcpy(l->buf + l->len, p, len);
        l->len += len;
    }

    return AZOAI_OK;
}


static int
azoai_jsonl_lines_too_long(azoai_jsonl_lines_t *l)
{
    l->error = "a line is longer than the JSONL line limit";
    l->error_line = l->number;
    l->done = 1;

    return AZOAI_DECLINED;
}
