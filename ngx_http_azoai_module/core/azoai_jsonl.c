/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * JSONL masking: one body-layer pass per line, the lines with matches
 * kept (only those: a file of clean lines costs no memory per line), and
 * one output buffer sized from their rewrites.
 */

#include <string.h>

#include "azoai_batch.h"
#include "azoai_jsonl.h"


/* the first room for lines with matches; doubled as needed */
#define AZOAI_JSONL_MASKED_FIRST  16


static int azoai_jsonl_add(azoai_jsonl_result_t *r, azoai_alloc_t *a,
    size_t start, size_t len, const azoai_body_result_t *res);
static void azoai_jsonl_sum(azoai_body_result_t *total,
    const azoai_body_result_t *res);


int
azoai_jsonl_inspect(const azoai_pii_engine_t *e, const u_char *text,
    size_t from, size_t to, azoai_alloc_t *a, azoai_jsonl_result_t *r)
{
    size_t                pos, number;
    azoai_str_t           line;
    azoai_body_result_t   res;

    memset(r, 0, sizeof(azoai_jsonl_result_t));

    pos = 0;
    number = 0;

    while (azoai_jsonl_next(text + from, to - from, &pos, &number, &line)) {
        r->lines++;

        if (azoai_body_inspect(e, line.data, line.len, a, &res) != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        if (res.error != AZOAI_BODY_OK) {
            r->total.error = res.error;
            memcpy(r->total.error_text, res.error_text,
                   sizeof(res.error_text));
            r->error_line = number;
            return res.error == AZOAI_BODY_NOMEM ? AZOAI_ERROR : AZOAI_OK;
        }

        if (res.nmatches == 0) {
            continue;
        }

        azoai_jsonl_sum(&r->total, &res);

        if (azoai_jsonl_add(r, a, line.data - text, line.len, &res)
            != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }
    }

    return AZOAI_OK;
}


static int
azoai_jsonl_add(azoai_jsonl_result_t *r, azoai_alloc_t *a, size_t start,
    size_t len, const azoai_body_result_t *res)
{
    size_t               n;
    azoai_jsonl_line_t  *lines, *l;

    if (r->nmasked == r->amasked) {
        n = r->amasked ? r->amasked * 2 : AZOAI_JSONL_MASKED_FIRST;

        lines = azoai_alloc(a, n * sizeof(azoai_jsonl_line_t));
        if (lines == NULL) {
            return AZOAI_ERROR;
        }

        if (r->nmasked) {
            memcpy(lines, r->masked, r->nmasked * sizeof(azoai_jsonl_line_t));
        }

        r->masked = lines;
        r->amasked = n;
    }

    l = &r->masked[r->nmasked++];
    l->start = start;
    l->len = len;
    l->res = *res;

    return AZOAI_OK;
}


static void
azoai_jsonl_sum(azoai_body_result_t *total, const azoai_body_result_t *res)
{
    size_t  i;

    total->nmatches += res->nmatches;
    total->types_found |= res->types_found;
    total->types_blocked |= res->types_blocked;

    for (i = 0; i < AZOAI_PII_MAX_TYPES; i++) {
        total->counts[i] += res->counts[i];
    }
}


int
azoai_jsonl_rewrite(const azoai_pii_engine_t *e, azoai_jsonl_result_t *r,
    const u_char *text, size_t len, azoai_alloc_t *a, u_char **out,
    size_t *out_len)
{
    size_t               i, total, pos;
    u_char              *buf, *o, **line_out;
    size_t              *line_len;
    azoai_jsonl_line_t  *l;

    line_out = azoai_alloc(a, (r->nmasked + 1) * sizeof(u_char *));
    line_len = azoai_alloc(a, (r->nmasked + 1) * sizeof(size_t));
    if (line_out == NULL || line_len == NULL) {
        return AZOAI_ERROR;
    }

    total = len;

    for (i = 0; i < r->nmasked; i++) {
        l = &r->masked[i];

        if (l->start + l->len > len) {
            return AZOAI_ERROR;
        }

        l->res.pseudo = r->pseudo;

        if (azoai_body_rewrite(e, &l->res, text + l->start, l->len, a,
                               &line_out[i], &line_len[i])
            != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        total = total - l->len + line_len[i];
    }

    buf = azoai_alloc(a, total + 1);
    if (buf == NULL) {
        return AZOAI_ERROR;
    }

    o = buf;
    pos = 0;

    for (i = 0; i < r->nmasked; i++) {
        l = &r->masked[i];

        memcpy(o, text + pos, l->start - pos);
        o += l->start - pos;
        memcpy(o, line_out[i], line_len[i]);
        o += line_len[i];
        pos = l->start + l->len;
    }

    memcpy(o, text + pos, len - pos);
    o += len - pos;

    *out = buf;
    *out_len = o - buf;

    return AZOAI_OK;
}
