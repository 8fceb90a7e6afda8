/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target for the multipart parser (azoai_multipart.c).  The
 * input is a Content-Type value, a newline, then the body.  Besides
 * crashes it checks, and abort()s on a violation:
 *
 *   - a boundary lies inside the Content-Type value and holds bchars;
 *   - a parsed body has 1 to AZOAI_MULTIPART_MAX_PARTS parts, in order,
 *     inside the body, each with a name, each content followed by CRLF
 *     "--" boundary; the preamble ends where the first delimiter starts;
 *   - the epilogue holds no "--" boundary;
 *   - an error has an offset inside the body;
 *   - the incremental parser, fed the body in pieces of sizes drawn from
 *     the input (1 byte to 4 KB), reports the same parts, the same
 *     content (concatenated) and the same result or error and offset;
 *   - the boundary search (azoai_multipart_find.c) finds every "--"
 *     boundary of the body where memmem() does.
 */

#define _GNU_SOURCE

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../test_util.h"
#include "azoai_multipart.h"


/* what the incremental parser reported */
typedef struct {
    azoai_multipart_part_t  parts[AZOAI_MULTIPART_MAX_PARTS];
    size_t                  nparts;
    u_char                 *content;
    size_t                  content_len;
} fuzz_reports_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_multipart_chunks(const u_char *body, size_t len,
    const azoai_str_t *b, azoai_alloc_t *a, const azoai_multipart_t *mp);
static void fuzz_multipart_compare(const fuzz_reports_t *rp,
    const azoai_multipart_t *mp, const u_char *body);
static int fuzz_on_part(void *data, const azoai_multipart_part_t *part);
static int fuzz_on_content(void *data, const u_char *p, size_t len);
static int fuzz_on_end(void *data, const azoai_multipart_part_t *part);
static int fuzz_same(azoai_str_t x, azoai_str_t y);

static void fuzz_multipart_check(const u_char *body, size_t len,
    const azoai_str_t *b, const azoai_multipart_t *mp);
static void fuzz_multipart_find(const u_char *body, size_t len,
    const azoai_str_t *b);


/* every occurrence of "--" boundary, found as memmem() finds it */

static void
fuzz_multipart_find(const u_char *body, size_t len, const azoai_str_t *b)
{
    size_t         k, m;
    u_char         dash[AZOAI_MULTIPART_BOUNDARY_MAX + 2];
    const u_char  *got, *want;

    dash[0] = '-';
    dash[1] = '-';
    memcpy(dash + 2, b->data, b->len);
    m = b->len + 2;

    for (k = 0; k <= len; k = got - body + 1) {
        got = azoai_multipart_find(body + k, len - k, dash, m);
        want = memmem(body + k, len - k, dash, m);

        if (got != want) {
            abort();
        }

        if (got == NULL) {
            break;
        }
    }
}


static void
fuzz_multipart_check(const u_char *body, size_t len, const azoai_str_t *b,
    const azoai_multipart_t *mp)
{
    size_t                         i, prev;
    const azoai_multipart_part_t  *p;

    if (mp->error) {
        if (mp->error_offset > len) {
            abort();
        }

        return;
    }

    if (mp->nparts == 0 || mp->nparts > AZOAI_MULTIPART_MAX_PARTS
        || mp->preamble_len + 2 + b->len > len
        || body[mp->preamble_len] != '-'
        || memcmp(body + mp->preamble_len + 2, b->data, b->len) != 0)
    {
        abort();
    }

    prev = mp->preamble_len;

    for (i = 0; i < mp->nparts; i++) {
        p = &mp->parts[i];

        if (p->header_start <= prev || p->content_start <= p->header_start
            || p->content_end < p->content_start
            || p->content_end + 4 + b->len > len
            || p->name.len == 0
            || memcmp(body + p->content_end, "\r\n--", 4) != 0
            || memcmp(body + p->content_end + 4, b->data, b->len) != 0)
        {
            abort();
        }

        prev = p->content_end;
    }

    if (mp->epilogue_start > len || mp->epilogue_start <= prev) {
        abort();
    }

    for (i = mp->epilogue_start; i + 2 + b->len <= len; i++) {
        if (body[i] == '-' && body[i + 1] == '-'
            && memcmp(body + i + 2, b->data, b->len) == 0)
        {
            abort();
        }
    }
}


static int
fuzz_on_part(void *data, const azoai_multipart_part_t *part)
{
    fuzz_reports_t  *rp = data;

    if (rp->nparts >= AZOAI_MULTIPART_MAX_PARTS) {
        abort();
    }

    rp->parts[rp->nparts] = *part;

    return AZOAI_OK;
}


static int
fuzz_on_content(void *data, const u_char *p, size_t len)
{
    fuzz_reports_t  *rp = data;

    memcpy(rp->content + rp->content_len, p, len);
    rp->content_len += len;

    return AZOAI_OK;
}


static int
fuzz_on_end(void *data, const azoai_multipart_part_t *part)
{
    fuzz_reports_t  *rp = data;

    rp->parts[rp->nparts++].content_end = part->content_end;

    return AZOAI_OK;
}


static int
fuzz_same(azoai_str_t x, azoai_str_t y)
{
    return x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
}


/* the parts the pieces reported are those of the whole-body parse */

static void
fuzz_multipart_compare(const fuzz_reports_t *rp, const azoai_multipart_t *mp,
    const u_char *body)
{
    size_t  i, off;

    if (rp->nparts != mp->nparts) {
        abort();
    }

    for (off = 0, i = 0; i < mp->nparts; i++) {
        if (!fuzz_same(rp->parts[i].name, mp->parts[i].name)
            || !fuzz_same(rp->parts[i].filename, mp->parts[i].filename)
            || !fuzz_same(rp->parts[i].content_type,
                          mp->parts[i].content_type)
            || rp->parts[i].header_start != mp->parts[i].header_start
            || rp->parts[i].content_start != mp->parts[i].content_start
            || rp->parts[i].content_end != mp->parts[i].content_end
            || memcmp(rp->content + off, body + mp->parts[i].content_start,
                      mp->parts[i].content_end - mp->parts[i].content_start)
               != 0)
        {
            abort();
        }

        off += mp->parts[i].content_end - mp->parts[i].content_start;
    }

    if (off != rp->content_len) {
        abort();
    }
}


/* the body in pieces, each size from the body's own bytes */

static void
fuzz_multipart_chunks(const u_char *body, size_t len, const azoai_str_t *b,
    azoai_alloc_t *a, const azoai_multipart_t *mp)
{
    size_t                     i, pos, n;
    uint32_t                   seed;
    fuzz_reports_t            *rp;
    azoai_multipart_stream_t   s;
    azoai_multipart_handler_t  h;

    rp = calloc(1, sizeof(fuzz_reports_t));
    if (rp == NULL || (rp->content = malloc(len + 1)) == NULL) {
        abort();
    }

    h.part = fuzz_on_part;
    h.content = fuzz_on_content;
    h.part_end = fuzz_on_end;
    h.data = rp;

    if (azoai_multipart_stream_init(&s, b, a, &h) != AZOAI_OK) {
        abort();
    }

    seed = (uint32_t) len * 2654435761u;

    for (i = 0; i < len && i < 8; i++) {
        seed = seed * 31 + body[i];
    }

    for (pos = 0; pos < len; pos += n) {
        seed = seed * 1103515245u + 12345;
        n = (seed >> 16) % 8 == 0 ? 1 + (seed >> 8) % 4096
                                  : 1 + (seed >> 16) % 97;
        n = n > len - pos ? len - pos : n;

        if (azoai_multipart_feed(&s, body + pos, n) != AZOAI_OK) {
            abort();
        }
    }

    if (azoai_multipart_finish(&s) != AZOAI_OK
        || (s.error == NULL) != (mp->error == NULL))
    {
        abort();
    }

    if (mp->error) {
        if (strcmp(s.error, mp->error) != 0
            || s.error_offset != mp->error_offset)
        {
            abort();
        }

        free(rp->content);
        free(rp);
        return;
    }

    if (s.preamble_len != mp->preamble_len
        || s.epilogue_start != mp->epilogue_start)
    {
        abort();
    }

    fuzz_multipart_compare(rp, mp, body);

    free(rp->content);
    free(rp);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 rc;
    size_t              i;
    const char         *error;
    const u_char       *nl;
    azoai_str_t         b;
    test_arena_t        arena;
    azoai_alloc_t       a;
    azoai_multipart_t   mp;

    nl = memchr(data, '\n', size);
    if (nl == NULL) {
        return 0;
    }

    rc = azoai_multipart_boundary(data, nl - data, &b, &error);

    if (rc == AZOAI_ERROR && error == NULL) {
        abort();
    }

    if (rc != AZOAI_OK) {
        return 0;
    }

    if (b.data < data || b.data + b.len > nl || b.len == 0
        || b.len > AZOAI_MULTIPART_BOUNDARY_MAX)
    {
        abort();
    }

    for (i = 0; i < b.len; i++) {
        if (b.data[i] == '"' || b.data[i] == '\\' || b.data[i] < ' ') {
            abort();
        }
    }

    fuzz_multipart_find(nl + 1, size - (nl + 1 - data), &b);

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);

    if (azoai_multipart_parse(nl + 1, size - (nl + 1 - data), &b, &a, &mp)
        != AZOAI_OK)
    {
        abort();
    }

    fuzz_multipart_check(nl + 1, size - (nl + 1 - data), &b, &mp);
    fuzz_multipart_chunks(nl + 1, size - (nl + 1 - data), &b, &a, &mp);

    test_arena_free(&arena);

    return 0;
}
