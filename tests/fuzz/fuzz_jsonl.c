/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target for JSONL masking (azoai_jsonl.c) with the real PII
 * engine, all built-in detectors on.  Besides crashes it checks, and
 * abort()s on a violation:
 *
 *   - an error names a line and has a text;
 *   - masked lines are inside the text, in order, not overlapping, hold
 *     matches, and the summed counts equal the lines' matches;
 *   - the rewrite equals the input outside the masked lines, and each
 *     masked line's rewrite equals the body layer's rewrite of that line,
 *     in place and copying alike;
 *   - the rewrite is valid JSONL again, with as many lines;
 *   - azoai_jsonl_splice(), which the module links into a chain (and
 *     azoai_jsonl_rewrite() gathers), hands on no empty piece, every
 *     stretch kept by reference inside the text, and the rewrite's
 *     bytes;
 *   - the same as an upload part (odd sizes): complete lines inspected,
 *     the pieces at both ends with azoai_jsonl_inspect_piece(), the masked
 *     spans still in order and the rewrite equal to the input outside;
 *   - the line assembler (azoai_jsonl_lines.c), fed the text in pieces of
 *     sizes drawn from it and a small line limit, hands on the lines
 *     azoai_jsonl_next() finds, with their numbers and offsets, or stops
 *     with the first line over the limit.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../test_util.h"
#include "azoai_batch.h"
#include "azoai_jsonl.h"
#include "azoai_jsonl_lines.h"


/* the line limit of the assembler check: small, to be reached */
#define FUZZ_JSONL_LINE_MAX  64


/* azoai_jsonl_next() over the whole text, step by step */
typedef struct {
    const u_char  *text;
    size_t         len;
    size_t         pos;
    size_t         number;
} fuzz_jsonl_ref_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_jsonl_lines(const u_char *text, size_t len,
    azoai_alloc_t *a);
static int fuzz_jsonl_on_line(void *data, const azoai_jsonl_span_t *l);

static azoai_pii_engine_t *fuzz_jsonl_engine(void);
static void fuzz_jsonl_check(const azoai_pii_engine_t *e, const u_char *text,
    size_t len, azoai_alloc_t *a, unsigned part);
static void fuzz_jsonl_splice(const azoai_pii_engine_t *e,
    azoai_jsonl_result_t *r, const u_char *text, size_t len,
    azoai_alloc_t *a, const u_char *out, size_t out_len);
static int fuzz_jsonl_piece(void *data, const u_char *p, size_t len);
static int fuzz_jsonl_part(const azoai_pii_engine_t *e, const u_char *text,
    size_t len, azoai_alloc_t *a, azoai_jsonl_result_t *r);


static azoai_pii_engine_t *
fuzz_jsonl_engine(void)
{
    char                 err[256];
    unsigned             type;
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    if (e == NULL) {
        abort();
    }

    for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
        if (azoai_pii_engine_enable(e, type, AZOAI_PII_ACTION_MASK)
            != AZOAI_OK)
        {
            abort();
        }
    }

    if (azoai_pii_engine_finalize(e, err, sizeof(err)) != AZOAI_OK) {
        abort();
    }

    return e;
}


/* long: the properties listed at the top, checked in one walk */

static void
fuzz_jsonl_check(const azoai_pii_engine_t *e, const u_char *text,
    size_t len, azoai_alloc_t *a, unsigned part)
{
    u_char                *out, *line_out, *copy, *in_place;
    size_t                 i, pos, o, total, out_len, line_len, n;
    azoai_jsonl_line_t    *l;
    azoai_jsonl_result_t   r, r2;

    if ((part ? fuzz_jsonl_part(e, text, len, a, &r)
              : azoai_jsonl_inspect(e, text, 0, len, a, &r))
        != AZOAI_OK)
    {
        abort();
    }

    if (r.total.error) {
        if ((!part && r.error_line == 0) || r.total.error_text[0] == '\0') {
            abort();
        }

        return;
    }

    if (azoai_jsonl_rewrite(e, &r, text, len, a, &out, &out_len)
        != AZOAI_OK)
    {
        abort();
    }

    fuzz_jsonl_splice(e, &r, text, len, a, out, out_len);

    pos = 0;
    o = 0;
    total = 0;

    for (i = 0; i < r.nmasked; i++) {
        l = &r.masked[i];

        if (l->start < pos || l->start + l->len > len
            || l->res.nmatches == 0)
        {
            abort();
        }

        total += l->res.nmatches;
        n = l->start - pos;

        if (o + n > out_len || memcmp(out + o, text + pos, n) != 0) {
            abort();
        }

        o += n;

        if (azoai_body_rewrite(e, &l->res, text + l->start, l->len, a,
                               &line_out, &line_len)
            != AZOAI_OK
            || o + line_len > out_len
            || memcmp(out + o, line_out, line_len) != 0)
        {
            abort();
        }

        copy = malloc(l->len + 1);
        if (copy == NULL) {
            abort();
        }

        memcpy(copy, text + l->start, l->len);

        if (azoai_body_rewrite_in_place(e, &l->res, copy, l->len, a,
                                        &in_place, &n)
            != AZOAI_OK
            || n != line_len || memcmp(in_place, line_out, n) != 0)
        {
            abort();
        }

        free(copy);

        o += line_len;
        pos = l->start + l->len;
    }

    if (total != r.total.nmatches || out_len - o != len - pos
        || memcmp(out + o, text + pos, len - pos) != 0)
    {
        abort();
    }

    if (part) {
        return;
    }

    if (azoai_jsonl_inspect(e, out, 0, out_len, a, &r2) != AZOAI_OK
        || r2.total.error != 0 || r2.lines != r.lines)
    {
        abort();
    }
}


/* what the module's chain holds: the pieces of azoai_jsonl_splice() */

typedef struct {
    const u_char  *text;
    size_t         len;
    const u_char  *out;
    size_t         out_len;
    size_t         at;          /* bytes of out matched so far */
} fuzz_jsonl_pieces_t;


static void
fuzz_jsonl_splice(const azoai_pii_engine_t *e, azoai_jsonl_result_t *r,
    const u_char *text, size_t len, azoai_alloc_t *a, const u_char *out,
    size_t out_len)
{
    size_t               n;
    fuzz_jsonl_pieces_t  pc;

    pc.text = text;
    pc.len = len;
    pc.out = out;
    pc.out_len = out_len;
    pc.at = 0;

    if (azoai_jsonl_splice(e, r, text, len, a, fuzz_jsonl_piece, &pc, &n)
        != AZOAI_OK
        || n != out_len || pc.at != out_len)
    {
        abort();
    }
}


static int
fuzz_jsonl_piece(void *data, const u_char *p, size_t len)
{
    fuzz_jsonl_pieces_t  *pc = data;

    if (len == 0 || len > pc->out_len - pc->at
        || memcmp(pc->out + pc->at, p, len) != 0
        || (p >= pc->text && p < pc->text + pc->len
            && len > (size_t) (pc->text + pc->len - p)))
    {
        abort();
    }

    pc->at += len;

    return AZOAI_OK;
}


/* as the glue reads an upload part */

static int
fuzz_jsonl_part(const azoai_pii_engine_t *e, const u_char *text,
    size_t len, azoai_alloc_t *a, azoai_jsonl_result_t *r)
{
    size_t          first, last;
    const u_char   *lf;

    lf = memchr(text, '\n', len);
    first = lf ? (size_t) (lf - text) : len;

    for (last = len; last > first && text[last - 1] != '\n'; last--) {
        /* void */
    }

    if (azoai_jsonl_inspect(e, text, first < len ? first + 1 : len, last, a,
                            r)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    if (r->total.error) {
        return AZOAI_OK;
    }

    if (azoai_jsonl_inspect_piece(e, text, 0, first, 1, first == len, a, r)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    if (r->total.error || first == len) {
        return AZOAI_OK;
    }

    return azoai_jsonl_inspect_piece(e, text, last, len, 0, 1, a, r);
}


/* each line handed on must be the next azoai_jsonl_next() finds */

static int
fuzz_jsonl_on_line(void *data, const azoai_jsonl_span_t *l)
{
    fuzz_jsonl_ref_t  *ref = data;
    azoai_str_t        line;

    if (!azoai_jsonl_next(ref->text, ref->len, &ref->pos, &ref->number,
                          &line)
        || l->number != ref->number || l->len != line.len
        || l->start != (size_t) (line.data - ref->text)
        || memcmp(l->data, line.data, line.len) != 0
        || l->lf != (line.data + line.len < ref->text + ref->len))
    {
        abort();
    }

    return AZOAI_OK;
}


static void
fuzz_jsonl_lines(const u_char *text, size_t len, azoai_alloc_t *a)
{
    size_t                i, n, pos, longest, cur;
    uint32_t              seed;
    azoai_str_t           line;
    fuzz_jsonl_ref_t      ref;
    azoai_jsonl_lines_t   l;

    ref.text = text;
    ref.len = len;
    ref.pos = 0;
    ref.number = 0;

    azoai_jsonl_lines_init(&l, FUZZ_JSONL_LINE_MAX, a, fuzz_jsonl_on_line,
                           &ref);

    seed = (uint32_t) len;

    for (pos = 0; pos < len; pos += n) {
        seed = seed * 1103515245u + 12345;
        n = 1 + (seed >> 16) % 37;
        n = n > len - pos ? len - pos : n;

        if (azoai_jsonl_lines_feed(&l, text + pos, n) != AZOAI_OK) {
            abort();
        }
    }

    if (azoai_jsonl_lines_finish(&l) != AZOAI_OK) {
        abort();
    }

    /* the longest line decides whether the limit was reached */

    for (longest = 0, cur = 0, i = 0; i < len; i++) {
        cur = text[i] == '\n' ? 0 : cur + 1;
        longest = cur > longest ? cur : longest;
    }

    if ((longest > FUZZ_JSONL_LINE_MAX) != (l.error != NULL)) {
        abort();
    }

    if (l.error == NULL
        && azoai_jsonl_next(text, len, &ref.pos, &ref.number, &line))
    {
        /* a line was not handed on */
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    test_arena_t   arena;
    azoai_alloc_t  a;

    static azoai_pii_engine_t  *engine;

    if (engine == NULL) {
        engine = fuzz_jsonl_engine();
    }

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);

    fuzz_jsonl_check(engine, data, size, &a, size & 1);
    fuzz_jsonl_lines(data, size, &a);

    test_arena_free(&arena);

    return 0;
}
