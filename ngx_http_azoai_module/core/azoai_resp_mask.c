/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Masking PII in one text field of a response: the bytes between matches
 * are copied, each match is replaced by its rendering (azoai_pii_render(),
 * where pseudonym and block render as mask).
 */

#include <string.h>

#include "azoai_resp_mask.h"


#define AZOAI_RESP_MASK_BUF_INIT  256


static int azoai_resp_mask_match(void *data, const azoai_pii_match_t *m);
static int azoai_resp_mask_append(azoai_resp_mask_t *m, const u_char *p,
    size_t len);


void
azoai_resp_mask_init(azoai_resp_mask_t *m, const azoai_pii_engine_t *e,
    azoai_alloc_t *a)
{
    memset(m, 0, sizeof(azoai_resp_mask_t));

    m->engine = e;
    m->alloc = a;
}


int
azoai_resp_mask_string(azoai_resp_mask_t *m, const u_char *raw, size_t len)
{
    m->raw = raw;
    m->from = 0;
    m->len = 0;

    if (azoai_pii_scan(m->engine, raw, len, m->alloc, azoai_resp_mask_match,
                       m)
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

    n = azoai_pii_render(m->engine, match, m->raw, tag);

    if (azoai_resp_mask_append(m, m->raw + m->from, match->start - m->from)
        != AZOAI_OK
        || azoai_resp_mask_append(m, tag, n) != AZOAI_OK)
    {
        return -1;
    }

    m->from = match->end;
    m->masked++;

    return 0;
}


static int
azoai_resp_mask_append(azoai_resp_mask_t *m, const u_char *p, size_t len)
{
    size_t   size;
    u_char  *buf;

    if (m->len + len > m->size) {
        size = m->size ? m->size : AZOAI_RESP_MASK_BUF_INIT;

        while (size < m->len + len) {
            size *= 2;
        }

        buf = azoai_alloc(m->alloc, size);
        if (buf == NULL) {
            return AZOAI_ERROR;
        }

        if (m->len) {
            memcpy(buf, m->buf, m->len);
        }

        m->buf = buf;
        m->size = size;
    }

    if (len) {
        memcpy(m->buf + m->len, p, len);
        m->len += len;
    }

    return AZOAI_OK;
}
