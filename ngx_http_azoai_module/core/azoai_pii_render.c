/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Replacement text of one match: "[TAG]" (mask, block), "[TAG:h]" (hash:
 * the first 12 hex digits of HMAC-SHA256(key, TAG ":" canonical value))
 * or "[TAG:...1234]" (partial: the last 4 characters of a number), or
 * "[TAG_n]" (pseudonym, with a map: azoai_pseudo.h).  The canonical value
 * is computed from the raw span, decoded again.
 */

#include <string.h>

#include "azoai_ascii.h"
#include "azoai_json.h"
#include "azoai_pii_int.h"
#include "azoai_pseudo.h"


#define AZOAI_PII_HASH_HEX     12
#define AZOAI_PII_CHUNK        256
#define AZOAI_PII_KEEP         4


/* the canonical value as it streams out of the raw span */
typedef struct {
    u_char                  chunk[AZOAI_PII_CHUNK];
    size_t                  n;
    size_t                  total;
    u_char                  last[AZOAI_PII_KEEP];
    EVP_MAC_CTX            *mac;       /* NULL: partial, no hashing */
    u_char                 *copy;      /* pseudonym: the whole value */
    size_t                  copy_size;
    int                     failed;
} azoai_pii_canon_t;


static void azoai_pii_canon_run(unsigned type, const u_char *raw,
    size_t start, size_t end, azoai_pii_canon_t *c);
static void azoai_pii_canon_put(azoai_pii_canon_t *c, u_char b);
static void azoai_pii_canon_flush(azoai_pii_canon_t *c);
static inline size_t azoai_pii_render_mask(const azoai_pii_type_t *t,
    u_char *out);
static size_t azoai_pii_render_hash(const azoai_pii_engine_t *e,
    const azoai_pii_type_t *t, const azoai_pii_match_t *m,
    const u_char *raw, u_char *out);
static size_t azoai_pii_render_partial(const azoai_pii_type_t *t,
    unsigned type, const azoai_pii_match_t *m, const u_char *raw,
    u_char *out);
static size_t azoai_pii_render_mint(const azoai_pii_type_t *t,
    const azoai_pii_match_t *m, const u_char *raw, u_char *out,
    struct azoai_pseudo_s *p);


/*
 * "[TAG]", rendered by azoai_pii_make_tag().  A mask of 4 to 16 bytes
 * (all the built-in ones) in two moves of a fixed size that overlap in
 * its middle: no call to memcpy() for a few bytes on every match, and no
 * byte written past it.
 */

static inline size_t
azoai_pii_render_mask(const azoai_pii_type_t *t, u_char *out)
{
    size_t  n;

    n = t->mask_len;

    if (n >= 8 && n <= 16) {
        memcpy(out, t->mask, 8);
        memcpy(out + n - 8, t->mask + n - 8, 8);

    } else if (n >= 4 && n < 8) {
        memcpy(out, t->mask, 4);
        memcpy(out + n - 4, t->mask + n - 4, 4);

    } else {
        memcpy(out, t->mask, n);
    }

    return n;
}


size_t
azoai_pii_render(const azoai_pii_engine_t *e, const azoai_pii_match_t *m,
    const u_char *raw, u_char *out)
{
    const azoai_pii_type_t  *t;

    static const u_char  unknown[] = "[PII]";

    if (m->type >= e->ntypes) {
        memcpy(out, unknown, sizeof(unknown) - 1);
        return sizeof(unknown) - 1;
    }

    t = &e->types[m->type];

    switch (t->action) {

    case AZOAI_PII_ACTION_HASH:
        return azoai_pii_render_hash(e, t, m, raw, out);

    case AZOAI_PII_ACTION_PARTIAL:
        switch (m->type) {
        case AZOAI_PII_PHONE:
        case AZOAI_PII_CREDIT_CARD:
        case AZOAI_PII_IBAN:
        case AZOAI_PII_US_SSN:
            return azoai_pii_render_partial(t, m->type, m, raw, out);
        }

        return azoai_pii_render_mask(t, out);

    default:
        return azoai_pii_render_mask(t, out);
    }
}


size_t
azoai_pii_render_pseudo(const azoai_pii_engine_t *e,
    const azoai_pii_match_t *m, const u_char *raw, u_char *out,
    struct azoai_pseudo_s *p)
{
    const azoai_pii_type_t  *t;

    if (m->type >= e->ntypes) {
        return azoai_pii_render(e, m, raw, out);
    }

    t = &e->types[m->type];

    /* the usual action first: one call a match */

    if (t->action == AZOAI_PII_ACTION_MASK
        || t->action == AZOAI_PII_ACTION_BLOCK)
    {
        return azoai_pii_render_mask(t, out);
    }

    if (p == NULL || t->action != AZOAI_PII_ACTION_PSEUDONYM) {
        return azoai_pii_render(e, m, raw, out);
    }

    return azoai_pii_render_mint(t, m, raw, out, p);
}


/*
 * The same canonical value (as the detector sees it, after the view) gets
 * the same n; the value kept for restoring is the raw span decoded, as
 * the client wrote it.
 */

static size_t
azoai_pii_render_mint(const azoai_pii_type_t *t, const azoai_pii_match_t *m,
    const u_char *raw, u_char *out, struct azoai_pseudo_s *p)
{
    size_t             len, value_len;
    unsigned           n;
    azoai_pii_canon_t  c;
    u_char             canon[AZOAI_PII_PSEUDO_VALUE_MAX];
    u_char             value[AZOAI_PII_PSEUDO_VALUE_MAX];

    len = m->end - m->start;

    if (m->end < m->start || len > AZOAI_PII_PSEUDO_VALUE_MAX
        || azoai_json_decode_string(raw + m->start, len, value,
                                    sizeof(value), &value_len)
           != AZOAI_OK)
    {
        return azoai_pii_render_mask(t, out);
    }

    c.mac = NULL;
    c.copy = canon;
    c.copy_size = sizeof(canon);
    azoai_pii_canon_run(m->type, raw, m->start, m->end, &c);

    if (c.failed) {
        return azoai_pii_render_mask(t, out);
    }

    n = azoai_pseudo_mint(p, (const u_char *) t->tag, t->name_len, canon,
                          c.total, value, value_len);
    if (n == 0) {
        return azoai_pii_render_mask(t, out);
    }

    return azoai_pseudo_token((const u_char *) t->tag, t->name_len, n, out);
}


static size_t
azoai_pii_render_hash(const azoai_pii_engine_t *e,
    const azoai_pii_type_t *t, const azoai_pii_match_t *m,
    const u_char *raw, u_char *out)
{
    size_t             n, k, mac_len;
    azoai_pii_canon_t  c;
    u_char             mac[EVP_MAX_MD_SIZE];

    static const u_char  hex[] = "0123456789abcdef";

    if (e->mac_ctx == NULL
        || !EVP_MAC_init(e->mac_ctx, NULL, 0, NULL)
        || !EVP_MAC_update(e->mac_ctx, (const u_char *) t->tag, t->name_len)
        || !EVP_MAC_update(e->mac_ctx, (const u_char *) ":", 1))
    {
        return azoai_pii_render_mask(t, out);
    }

    c.mac = e->mac_ctx;
    c.copy = NULL;
    azoai_pii_canon_run(m->type, raw, m->start, m->end, &c);

    if (c.failed
        || !EVP_MAC_final(e->mac_ctx, mac, &mac_len, sizeof(mac))
        || mac_len < AZOAI_PII_HASH_HEX / 2)
    {
        return azoai_pii_render_mask(t, out);
    }

    n = t->name_len;

    out[0] = '[';
    memcpy(out + 1, t->tag, n);
    out[n + 1] = ':';
    n += 2;

    for (k = 0; k < AZOAI_PII_HASH_HEX / 2; k++) {
        out[n++] = hex[mac[k] >> 4];
        out[n++] = hex[mac[k] & 0x0f];
    }

    out[n++] = ']';

    return n;
}


static size_t
azoai_pii_render_partial(const azoai_pii_type_t *t, unsigned type,
    const azoai_pii_match_t *m, const u_char *raw, u_char *out)
{
    size_t             n;
    azoai_pii_canon_t  c;

    c.mac = NULL;
    c.copy = NULL;
    azoai_pii_canon_run(type, raw, m->start, m->end, &c);

    if (c.total < AZOAI_PII_KEEP) {
        return azoai_pii_render_mask(t, out);
    }

    n = t->name_len;

    out[0] = '[';
    memcpy(out + 1, t->tag, n);
    memcpy(out + n + 1, ":...", 4);
    n += 5;
    memcpy(out + n, c.last, AZOAI_PII_KEEP);
    n += AZOAI_PII_KEEP;
    out[n++] = ']';

    return n;
}


/*
 * Decodes raw[start, end) as the view does and keeps the canonical bytes:
 * e-mail lower-cased; phone, card and SSN digits (phone keeps a leading
 * '+'); IBAN and national identifiers upper-case letters and digits;
 * IPv6 lower-cased; the rest as the view shows it.
 */

static void
azoai_pii_canon_run(unsigned type, const u_char *raw, size_t start,
    size_t end, azoai_pii_canon_t *c)
{
    size_t  pos, n, k;
    u_char  b, out[4];

    c->n = 0;
    c->total = 0;
    c->failed = 0;

    /* national and health identifiers: letters and digits, as IBANs */
    if (type >= AZOAI_PII_NATID_FIRST && type <= AZOAI_PII_NATID_LAST) {
        type = AZOAI_PII_IBAN;
    }

    pos = start;

    while (pos < end) {
        n = azoai_pii_view_char(raw, end, &pos, out);

        for (k = 0; k < n; k++) {
            b = out[k];

            switch (type) {

            case AZOAI_PII_EMAIL:
            case AZOAI_PII_IPV6:
                b = azoai_ascii_lower(b);
                break;

            case AZOAI_PII_PHONE:
                if (b == '+' && c->total == 0) {
                    break;
                }

                /* fall through */

            case AZOAI_PII_CREDIT_CARD:
            case AZOAI_PII_US_SSN:
                if (!azoai_pii_digit(b)) {
                    continue;
                }
                break;

            case AZOAI_PII_IBAN:
                if (!azoai_pii_alnum(b)) {
                    continue;
                }

                if (b >= 'a' && b <= 'z') {
                    b &= ~0x20;
                }
                break;
            }

            azoai_pii_canon_put(c, b);
        }
    }

    azoai_pii_canon_flush(c);
}


static void
azoai_pii_canon_put(azoai_pii_canon_t *c, u_char b)
{
    memmove(c->last, c->last + 1, AZOAI_PII_KEEP - 1);
    c->last[AZOAI_PII_KEEP - 1] = b;

    if (c->copy) {
        if (c->total == c->copy_size) {
            c->failed = 1;
            return;
        }

        c->copy[c->total] = b;
    }

    c->total++;

    if (c->mac == NULL) {
        return;
    }

    if (c->n == AZOAI_PII_CHUNK) {
        azoai_pii_canon_flush(c);
    }

    c->chunk[c->n++] = b;
}


static void
azoai_pii_canon_flush(azoai_pii_canon_t *c)
{
    if (c->mac && c->n && !EVP_MAC_update(c->mac, c->chunk, c->n)) {
        c->failed = 1;
    }

    c->n = 0;
}
