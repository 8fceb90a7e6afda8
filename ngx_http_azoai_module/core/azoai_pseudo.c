/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The pseudonym map of one request.  A request holds few distinct
 * values, so entries sit in one array searched by a 32-bit hash first;
 * lookups by token compare the tag and n only.
 */

#include <string.h>

#include "azoai_ascii.h"
#include "azoai_pseudo.h"


#define AZOAI_PSEUDO_INIT         8
#define AZOAI_PSEUDO_FNV_BASIS    2166136261u
#define AZOAI_PSEUDO_FNV_PRIME    16777619u


typedef struct {
    uint32_t                 hash;     /* of tag and canonical value */
    unsigned                 n;
    azoai_str_t              tag;
    azoai_str_t              canon;
    azoai_str_t              value;
} azoai_pseudo_entry_t;


struct azoai_pseudo_s {
    azoai_alloc_t           *alloc;
    azoai_pseudo_entry_t    *entries;
    size_t                   nentries;
    size_t                   size;
};


static uint32_t azoai_pseudo_hash(const u_char *tag, size_t tag_len,
    const u_char *canon, size_t canon_len);
static const u_char *azoai_pseudo_copy(azoai_alloc_t *a, const u_char *s,
    size_t len);
static unsigned azoai_pseudo_next_n(const azoai_pseudo_t *p,
    const u_char *tag, size_t tag_len);
static int azoai_pseudo_grow(azoai_pseudo_t *p);


azoai_pseudo_t *
azoai_pseudo_create(azoai_alloc_t *a)
{
    azoai_pseudo_t  *p;

    p = azoai_alloc(a, sizeof(azoai_pseudo_t));
    if (p == NULL) {
        return NULL;
    }

    memset(p, 0, sizeof(azoai_pseudo_t));
    p->alloc = a;

    return p;
}


unsigned
azoai_pseudo_mint(azoai_pseudo_t *p, const u_char *tag, size_t tag_len,
    const u_char *canon, size_t canon_len, const u_char *value,
    size_t value_len)
{
    size_t                 i;
    uint32_t               hash;
    azoai_pseudo_entry_t  *e;

    if (tag_len == 0 || tag_len > AZOAI_PSEUDO_TAG_MAX) {
        return 0;
    }

    hash = azoai_pseudo_hash(tag, tag_len, canon, canon_len);

    for (i = 0; i < p->nentries; i++) {
        e = &p->entries[i];

        if (e->hash == hash
            && e->tag.len == tag_len
            && e->canon.len == canon_len
            && memcmp(e->tag.data, tag, tag_len) == 0
            && memcmp(e->canon.data, canon, canon_len) == 0)
        {
            return e->n;
        }
    }

    if (p->nentries == AZOAI_PSEUDO_MAX
        || (p->nentries == p->size && azoai_pseudo_grow(p) != AZOAI_OK))
    {
        return 0;
    }

    e = &p->entries[p->nentries];

    e->hash = hash;
    e->n = azoai_pseudo_next_n(p, tag, tag_len);
    e->tag.len = tag_len;
    e->tag.data = azoai_pseudo_copy(p->alloc, tag, tag_len);
    e->canon.len = canon_len;
    e->canon.data = azoai_pseudo_copy(p->alloc, canon, canon_len);
    e->value.len = value_len;
    e->value.data = azoai_pseudo_copy(p->alloc, value, value_len);

    if (e->tag.data == NULL || e->canon.data == NULL || e->value.data == NULL)
    {
        return 0;
    }

    p->nentries++;

    return e->n;
}


const azoai_str_t *
azoai_pseudo_find(const azoai_pseudo_t *p, const u_char *tag,
    size_t tag_len, unsigned n)
{
    size_t                       i;
    const azoai_pseudo_entry_t  *e;

    if (p == NULL) {
        return NULL;
    }

    for (i = 0; i < p->nentries; i++) {
        e = &p->entries[i];

        if (e->n == n && e->tag.len == tag_len
            && memcmp(e->tag.data, tag, tag_len) == 0)
        {
            return &e->value;
        }
    }

    return NULL;
}


int
azoai_pseudo_may_start(const azoai_pseudo_t *p, const u_char *s,
    size_t len)
{
    size_t                       i, n;
    const azoai_pseudo_entry_t  *e;
    u_char                       token[AZOAI_PSEUDO_TOKEN_MAX];

    if (p == NULL) {
        return 0;
    }

    for (i = 0; i < p->nentries; i++) {
        e = &p->entries[i];

        if (len <= e->tag.len) {
            if (memcmp(e->tag.data, s, len) == 0) {
                return 1;
            }

            continue;
        }

        /* "[tag_n]" without its brackets is n - 2 bytes long */

        n = azoai_pseudo_token(e->tag.data, e->tag.len, e->n, token);

        if (len < n - 1 && memcmp(token + 1, s, len) == 0) {
            return 1;
        }
    }

    return 0;
}


size_t
azoai_pseudo_count(const azoai_pseudo_t *p)
{
    return p ? p->nentries : 0;
}


size_t
azoai_pseudo_token(const u_char *tag, size_t tag_len, unsigned n,
    u_char *out)
{
    size_t  len;

    out[0] = '[';
    memcpy(out + 1, tag, tag_len);
    len = 1 + tag_len;
    out[len++] = '_';

    len = azoai_decimal(n, out + len) - out;

    out[len++] = ']';

    return len;
}


static unsigned
azoai_pseudo_next_n(const azoai_pseudo_t *p, const u_char *tag,
    size_t tag_len)
{
    size_t    i;
    unsigned  n;

    n = 0;

    for (i = 0; i < p->nentries; i++) {
        if (p->entries[i].tag.len == tag_len
            && memcmp(p->entries[i].tag.data, tag, tag_len) == 0
            && p->entries[i].n > n)
        {
            n = p->entries[i].n;
        }
    }

    return n + 1;
}


static uint32_t
azoai_pseudo_hash(const u_char *tag, size_t tag_len, const u_char *canon,
    size_t canon_len)
{
    size_t    i;
    uint32_t  h;

    h = AZOAI_PSEUDO_FNV_BASIS;

    for (i = 0; i < tag_len; i++) {
        h = (h ^ tag[i]) * AZOAI_PSEUDO_FNV_PRIME;
    }

    h = (h ^ ':') * AZOAI_PSEUDO_FNV_PRIME;

    for (i = 0; i < canon_len; i++) {
        h = (h ^ canon[i]) * AZOAI_PSEUDO_FNV_PRIME;
    }

    return h;
}


static const u_char *
azoai_pseudo_copy(azoai_alloc_t *a, const u_char *s, size_t len)
{
    u_char  *p;

    p = azoai_alloc(a, len + 1);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, s, len);
    p[len] = '\0';

    return p;
}


static int
azoai_pseudo_grow(azoai_pseudo_t *p)
{
    size_t                 n;
    azoai_pseudo_entry_t  *entries;

    n = p->size ? p->size * 2 : AZOAI_PSEUDO_INIT;

    entries = azoai_alloc(p->alloc, n * sizeof(azoai_pseudo_entry_t));
    if (entries == NULL) {
        return AZOAI_ERROR;
    }

    if (p->nentries) {
        memcpy(entries, p->entries,
               p->nentries * sizeof(azoai_pseudo_entry_t));
    }

    p->entries = entries;
    p->size = n;

    return AZOAI_OK;
}
