/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Masking PII in one text field of a response: the bytes between matches
 * are copied, each match is replaced by its rendering (azoai_pii_render(),
 * where pseudonym and block render as mask).
 *
 * A streamed text is cut where nothing can still grow: before its last
 * word (an e-mail address grows until a space), before a trailing run of
 * digits, capitals, spaces and "+-()./" that holds a digit (phone, card
 * and IBAN numbers are written in groups), before a trailing "[TAG" that
 * may begin a pseudonym, and never inside a match.
 */

#include <string.h>

#include "azoai_json.h"
#include "azoai_pii_int.h"
#include "azoai_resp_mask.h"


#define AZOAI_RESP_MASK_BUF_INIT  256


static int azoai_resp_mask_match(void *data, const azoai_pii_match_t *m);
static int azoai_resp_mask_append(azoai_resp_mask_t *m, const u_char *p,
    size_t len);
static int azoai_resp_mask_put(azoai_resp_mask_t *m, const u_char *p,
    size_t len, const azoai_pii_match_t *match);
static int azoai_resp_mask_room(azoai_resp_mask_t *m, size_t len);
static int azoai_resp_mask_keep(void *data, const azoai_pii_match_t *match);
static size_t azoai_resp_mask_cut(const u_char *text, size_t len);
static size_t azoai_resp_mask_token(const u_char *text, size_t cut);


#define azoai_resp_mask_tag_char(c)                                           \
    (((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9') || (c) == '_')

#define azoai_resp_mask_digit(c)     ((c) >= '0' && (c) <= '9')

#define azoai_resp_mask_group_char(c)                                         \
    (azoai_resp_mask_digit(c) || ((c) >= 'A' && (c) <= 'Z') || (c) == ' '    \
     || (c) == '+' || (c) == '-' || (c) == '(' || (c) == ')' || (c) == '.'   \
     || (c) == '/')


void
azoai_resp_mask_init(azoai_resp_mask_t *m, const azoai_pii_engine_t *e,
    azoai_alloc_t *a)
{
    memset(m, 0, sizeof(azoai_resp_mask_t));

    m->engine = e;
    m->alloc = a;
}


int
azoai_resp_mask_string(azoai_resp_mask_t *m, const u_char *raw, size_t len,
    unsigned flags)
{
    unsigned  raw_flags;

    m->raw = raw;
    m->from = 0;
    m->len = 0;

    /* as in requests: plain text spares the engine its view passes */

    raw_flags = 0;

    if (flags & AZOAI_JSON_ESCAPED) {
        raw_flags |= AZOAI_PII_RAW_ESCAPED;
    }

    if (flags & AZOAI_JSON_NON_ASCII) {
        raw_flags |= AZOAI_PII_RAW_UTF8;
    }

    if (azoai_pii_scan_raw(m->engine, raw, len, raw_flags, m->alloc,
                           azoai_resp_mask_match, m)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    return azoai_resp_mask_append(m, raw + m->from, len - m->from);
}


static int
azoai_resp_mask_match(void *data, const azoai_pii_match_t *match)
{
    size_t              n;
    u_char              tag[AZOAI_PII_TAG_MAX];
    azoai_resp_mask_t  *m;

    m = data;

    if (m->out) {
        /*
         * the span before and the tag, each straight to the writer (not
         * through azoai_resp_mask_append(): ~36 instructions a match more,
         * +10.6k on the ~290-value response of bench/restore.sh)
         */

        if (match->start > m->from
            && m->out(m->out_data, m->raw + m->from, match->start - m->from)
               != 0)
        {
            return -1;
        }

        n = azoai_pii_render(m->engine, match, m->raw, tag);

        if (m->out(m->out_data, tag, n) != 0) {
            return -1;
        }

    } else if (azoai_resp_mask_put(m, m->raw + m->from,
                                   match->start - m->from, match)
               != AZOAI_OK)
    {
        return -1;
    }

    m->from = match->end;
    m->masked++;

    if (match->type < AZOAI_PII_MAX_TYPES) {
        m->counts[match->type]++;
    }

    return 0;
}


static int
azoai_resp_mask_append(azoai_resp_mask_t *m, const u_char *p, size_t len)
{
    if (m->out) {
        return (len == 0 || m->out(m->out_data, p, len) == 0) ? AZOAI_OK
                                                               : AZOAI_ERROR;
    }

    if (azoai_resp_mask_room(m, len) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    if (len) {
        memcpy(m->buf + m->len, p, len);
        m->len += len;
    }

    return AZOAI_OK;
}


/* the len bytes at p, then match rendered in place: no copy of the tag */

static int
azoai_resp_mask_put(azoai_resp_mask_t *m, const u_char *p, size_t len,
    const azoai_pii_match_t *match)
{
    if (azoai_resp_mask_room(m, len + AZOAI_PII_TAG_MAX) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    if (len) {
        memcpy(m->buf + m->len, p, len);
        m->len += len;
    }

    m->len += azoai_pii_render(m->engine, match, m->raw, m->buf + m->len);

    return AZOAI_OK;
}


/* m->buf holds len more bytes */

static int
azoai_resp_mask_room(azoai_resp_mask_t *m, size_t len)
{
    if (m->len + len <= m->size) {
        return AZOAI_OK;
    }

    m->buf = azoai_reserve(m->alloc, m->buf, m->len, &m->size, m->len + len,
                           AZOAI_RESP_MASK_BUF_INIT);

    return (m->buf != NULL) ? AZOAI_OK : AZOAI_ERROR;
}


int
azoai_resp_mask_prefix(azoai_resp_mask_t *m, const u_char *text, size_t len,
    size_t *final)
{
    size_t                    cut, i;
    unsigned                  capped;
    const azoai_pii_match_t  *x;

    m->nmatches = 0;

    if (azoai_pii_scan(m->engine, text, len, m->alloc, azoai_resp_mask_keep,
                       m)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    cut = azoai_resp_mask_token(text, azoai_resp_mask_cut(text, len));
    capped = 0;

    /* over the bound: cut there, but not inside a "[TAG_n]" */

    if (len - cut > AZOAI_RESP_MASK_HOLD) {
        cut = azoai_resp_mask_token(text, len - AZOAI_RESP_MASK_HOLD);
        capped = 1;
    }

    /* never inside a match: before it, or past it when over the bound */

    for (i = 0; i < m->nmatches; i++) {
        x = &m->matches[i];

        if (x->start < cut && cut < x->end) {
            capped |= (len - x->start > AZOAI_RESP_MASK_HOLD);
            cut = capped ? x->end : x->start;
            break;
        }
    }

    if (!capped) {
        cut = azoai_resp_mask_token(text, cut);
    }

    m->raw = text;
    m->from = 0;
    m->len = 0;

    for (i = 0; i < m->nmatches && m->matches[i].end <= cut; i++) {
        if (azoai_resp_mask_match(m, &m->matches[i]) != 0) {
            return AZOAI_ERROR;
        }
    }

    *final = cut;

    return azoai_resp_mask_append(m, text + m->from, cut - m->from);
}


static int
azoai_resp_mask_keep(void *data, const azoai_pii_match_t *match)
{
    size_t              size;
    azoai_resp_mask_t  *m;
    azoai_pii_match_t  *p;

    m = data;

    if (m->nmatches == m->matches_size) {
        size = m->matches_size ? m->matches_size * 2 : 8;

        p = azoai_alloc(m->alloc, size * sizeof(azoai_pii_match_t));
        if (p == NULL) {
            return -1;
        }

        if (m->nmatches) {
            memcpy(p, m->matches, m->nmatches * sizeof(azoai_pii_match_t));
        }

        m->matches = p;
        m->matches_size = size;
    }

    m->matches[m->nmatches++] = *match;

    return 0;
}


/* before the last word, and before a trailing group of a number */

static size_t
azoai_resp_mask_cut(const u_char *text, size_t len)
{
    size_t    cut, k, i;
    unsigned  digit;

    cut = len;

    while (cut > 0 && text[cut - 1] != ' ') {
        cut--;
    }

    k = len;
    digit = 0;

    while (k > 0 && azoai_resp_mask_group_char(text[k - 1])) {
        k--;
    }

    while (k < len && text[k] == ' ') {
        k++;
    }

    for (i = k; i < len; i++) {
        if (azoai_resp_mask_digit(text[i])) {
            digit = 1;
            break;
        }
    }

    if (digit && k < cut) {
        cut = k;

        /* the group may be the end of a word: "ID4711 0815" */

        while (cut > 0 && text[cut - 1] != ' ') {
            cut--;
        }
    }

    return cut;
}


/* before a "[TAG" that the cut would split */

static size_t
azoai_resp_mask_token(const u_char *text, size_t cut)
{
    size_t  b;

    b = cut;

    while (b > 0 && cut - b < AZOAI_PSEUDO_TOKEN_MAX
           && azoai_resp_mask_tag_char(text[b - 1]))
    {
        b--;
    }

    return (b > 0 && text[b - 1] == '[') ? b - 1 : cut;
}
