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
 *   - an error has an offset inside the body.
 */

#define _GNU_SOURCE

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../test_util.h"
#include "azoai_multipart.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_multipart_check(const u_char *body, size_t len,
    const azoai_str_t *b, const azoai_multipart_t *mp);


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

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);

    if (azoai_multipart_parse(nl + 1, size - (nl + 1 - data), &b, &a, &mp)
        != AZOAI_OK)
    {
        abort();
    }

    fuzz_multipart_check(nl + 1, size - (nl + 1 - data), &b, &mp);

    test_arena_free(&arena);

    return 0;
}
