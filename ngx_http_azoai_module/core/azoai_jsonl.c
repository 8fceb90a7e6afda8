/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * JSONL masking: one body-layer pass per line, the lines with matches
 * kept (only those: a file of clean lines costs no memory per line); the
 * rewrite handed on in pieces (azoai_jsonl_splice(), which the module
 * links into a chain over the body as read) or gathered in one buffer
 * sized from them (azoai_jsonl_rewrite()).
 */

#include <string.h>

#include "azoai_batch.h"
#include "azoai_json.h"
#include "azoai_jsonl.h"
#include "azoai_pii_int.h"


/* the first room for lines with matches; doubled as needed */
#define AZOAI_JSONL_MASKED_FIRST  16


/* the pieces of a rewrite, gathered by azoai_jsonl_rewrite() */
typedef struct {
    azoai_str_t               *pieces;   /* at most 2 per masked line + 1 */
    size_t                     npieces;
} azoai_jsonl_gather_t;


/* what azoai_jsonl_match() adds matches to */
typedef struct {
    const azoai_pii_engine_t  *e;
    azoai_body_result_t       *res;
    azoai_alloc_t             *a;
    size_t                     base;     /* offset of the scanned string */
    size_t                     room;     /* of res->matches */
} azoai_jsonl_scan_t;


static int azoai_jsonl_add(azoai_jsonl_result_t *r, azoai_alloc_t *a,
    size_t start, size_t len, const azoai_body_result_t *res);
static void azoai_jsonl_sum(azoai_body_result_t *total,
    const azoai_body_result_t *res);
static int azoai_jsonl_scan_string(azoai_jsonl_scan_t *scan,
    const u_char *text, size_t start, size_t end, unsigned cut_start,
    unsigned cut_end);
static int azoai_jsonl_valid_string(const u_char *p, size_t len,
    azoai_alloc_t *a);
static int azoai_jsonl_match(void *data, const azoai_pii_match_t *m);
static int azoai_jsonl_emit(azoai_jsonl_emit_pt emit, void *data,
    const u_char *p, size_t len);
static int azoai_jsonl_gather(void *data, const u_char *p, size_t len);


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

    /* pieces may come before lines already added: keep the order */

    for (n = r->nmasked; n > 0 && r->masked[n - 1].start > start; n--) {
        /* void */
    }

    if (n < r->nmasked) {
        memmove(&r->masked[n + 1], &r->masked[n],
                (r->nmasked - n) * sizeof(azoai_jsonl_line_t));
    }

    r->nmasked++;

    l = &r->masked[n];
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

    if (res->nmatches == 0) {
        /* res->counts are not set (azoai_body_result_t) */
        return;
    }

    for (i = 0; i < AZOAI_PII_MAX_TYPES; i++) {
        total->counts[i] += res->counts[i];
    }
}


/*
 * The pieces in order: the stretch before each masked line as it is,
 * then the line's rewrite; the stretch after the last.  Pseudonyms are
 * minted in this order: the order of the text.
 */

int
azoai_jsonl_splice(const azoai_pii_engine_t *e, azoai_jsonl_result_t *r,
    const u_char *text, size_t len, azoai_alloc_t *a,
    azoai_jsonl_emit_pt emit, void *data, size_t *out_len)
{
    size_t               i, pos, total, line_len;
    u_char              *line_out;
    azoai_jsonl_line_t  *l;

    pos = 0;
    total = 0;

    for (i = 0; i < r->nmasked; i++) {
        l = &r->masked[i];

        if (l->start < pos || l->start > len || l->len > len - l->start) {
            return AZOAI_ERROR;
        }

        l->res.pseudo = r->pseudo;

        if (azoai_body_rewrite(e, &l->res, text + l->start, l->len, a,
                               &line_out, &line_len)
            != AZOAI_OK
            || azoai_jsonl_emit(emit, data, text + pos, l->start - pos)
               != AZOAI_OK
            || azoai_jsonl_emit(emit, data, line_out, line_len) != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        total += l->start - pos + line_len;
        pos = l->start + l->len;
    }

    if (azoai_jsonl_emit(emit, data, text + pos, len - pos) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    *out_len = total + len - pos;

    return AZOAI_OK;
}


static int
azoai_jsonl_emit(azoai_jsonl_emit_pt emit, void *data, const u_char *p,
    size_t len)
{
    return len ? emit(data, p, len) : AZOAI_OK;
}


/* the pieces azoai_jsonl_splice() hands on, gathered in one buffer */

int
azoai_jsonl_rewrite(const azoai_pii_engine_t *e, azoai_jsonl_result_t *r,
    const u_char *text, size_t len, azoai_alloc_t *a, u_char **out,
    size_t *out_len)
{
    size_t                 i, total;
    u_char                *buf, *o;
    azoai_jsonl_gather_t   g;

    g.pieces = azoai_alloc(a, (2 * r->nmasked + 1) * sizeof(azoai_str_t));
    if (g.pieces == NULL) {
        return AZOAI_ERROR;
    }

    g.npieces = 0;

    if (azoai_jsonl_splice(e, r, text, len, a, azoai_jsonl_gather, &g,
                           &total)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    buf = azoai_alloc(a, total + 1);
    if (buf == NULL) {
        return AZOAI_ERROR;
    }

    o = buf;

    for (i = 0; i < g.npieces; i++) {
        memcpy(o, g.pieces[i].data, g.pieces[i].len);
        o += g.pieces[i].len;
    }

    *out = buf;
    *out_len = o - buf;

    return AZOAI_OK;
}


static int
azoai_jsonl_gather(void *data, const u_char *p, size_t len)
{
    azoai_jsonl_gather_t  *g = data;

    g->pieces[g->npieces].data = p;
    g->pieces[g->npieces].len = len;
    g->npieces++;

    return AZOAI_OK;
}


int
azoai_jsonl_inspect_piece(const azoai_pii_engine_t *e, const u_char *text,
    size_t from, size_t to, unsigned cut_start, unsigned cut_end,
    azoai_alloc_t *a, azoai_jsonl_result_t *r)
{
    int                   rc;
    size_t                i, start;
    azoai_jsonl_scan_t    scan;
    azoai_body_result_t   res;

    static const char     cut[] = "a string cut at the part boundary is "
                                  "not valid JSON string content";

    if (from == to) {
        return AZOAI_OK;
    }

    if (azoai_body_inspect(e, text + from, to - from, a, &res) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    if (res.error != AZOAI_BODY_OK) {

        /* not a value by itself: scan what lies between quotes */

        memset(&res, 0, sizeof(azoai_body_result_t));
        scan.e = e;
        scan.res = &res;
        scan.a = a;
        scan.room = 0;
        start = from;

        for (i = from; i <= to; i++) {
            if (i < to && text[i] != '"') {
                continue;
            }

            rc = azoai_jsonl_scan_string(&scan, text + from, start - from,
                                         i - from,
                                         cut_start && start == from,
                                         cut_end && i == to);
            if (rc != AZOAI_OK) {
                if (rc == AZOAI_DECLINED) {
                    r->total.error = AZOAI_BODY_INVALID;
                    r->error_line = 0;
                    memcpy(r->total.error_text, cut, sizeof(cut));
                    return AZOAI_OK;
                }

                return AZOAI_ERROR;
            }

            start = i + 1;
        }
    }

    if (res.nmatches == 0) {
        return AZOAI_OK;
    }

    azoai_jsonl_sum(&r->total, &res);

    return azoai_jsonl_add(r, a, from, to - from, &res);
}


/*
 * text[start, end): valid string content, or made so by dropping at most
 * AZOAI_JSONL_CUT_MAX bytes at a cut end, is scanned; its matches are
 * added to res in text offsets.  AZOAI_DECLINED when it cannot be made
 * valid.
 */

static int
azoai_jsonl_scan_string(azoai_jsonl_scan_t *scan, const u_char *text,
    size_t start, size_t end, unsigned cut_start, unsigned cut_end)
{
    int                  rc;
    size_t               drop, s, t;

    for (drop = 0; drop <= AZOAI_JSONL_CUT_MAX; drop++) {
        s = start;
        t = end;

        if (cut_start) {
            s += drop;
        }

        if (cut_end) {
            t = (t >= s + drop) ? t - drop : s;
        }

        if (s > t) {
            return AZOAI_OK;
        }

        rc = azoai_jsonl_valid_string(text + s, t - s, scan->a);
        if (rc == AZOAI_ERROR) {
            return AZOAI_ERROR;
        }

        if (rc == AZOAI_OK) {
            scan->base = s;

            return azoai_pii_scan(scan->e, text + s, t - s, scan->a,
                                  azoai_jsonl_match, scan);
        }

        if (!cut_start && !cut_end) {
            break;
        }
    }

    return AZOAI_DECLINED;
}


/* AZOAI_OK when p is valid JSON string content, else AZOAI_DECLINED */

static int
azoai_jsonl_valid_string(const u_char *p, size_t len, azoai_alloc_t *a)
{
    u_char               *q;
    azoai_json_status_t   st;

    q = azoai_alloc(a, len + 2);
    if (q == NULL) {
        return AZOAI_ERROR;
    }

    q[0] = '"';
    memcpy(q + 1, p, len);
    q[len + 1] = '"';

    if (azoai_json_walk(q, len + 2, NULL, NULL, &st) != AZOAI_JSON_OK
        || st.lone_surrogates)
    {
        return AZOAI_DECLINED;
    }

    return AZOAI_OK;
}


static int
azoai_jsonl_match(void *data, const azoai_pii_match_t *m)
{
    size_t               n;
    azoai_pii_match_t   *matches;
    azoai_jsonl_scan_t  *scan;
    azoai_body_result_t *res;

    scan = data;
    res = scan->res;

    if (res->nmatches == scan->room) {
        n = scan->room ? scan->room * 2 : AZOAI_JSONL_MASKED_FIRST;

        matches = azoai_alloc(scan->a, n * sizeof(azoai_pii_match_t));
        if (matches == NULL) {
            return 1;
        }

        if (res->nmatches) {
            memcpy(matches, res->matches,
                   res->nmatches * sizeof(azoai_pii_match_t));
        }

        res->matches = matches;
        scan->room = n;
    }

    matches = &res->matches[res->nmatches++];
    matches->start = scan->base + m->start;
    matches->end = scan->base + m->end;
    matches->type = m->type;

    res->counts[m->type]++;
    res->types_found |= 1ULL << m->type;

    if (azoai_pii_type_action(scan->e, m->type) == AZOAI_PII_ACTION_BLOCK) {
        res->types_blocked |= 1ULL << m->type;
    }

    return 0;
}
