/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * One side of tools/engine-diff.sh: the core of one revision, reached
 * through ENGINE_DIFF_RUN() only (every other symbol is made local when
 * the side is linked), which inspects a body under one of the
 * configurations below and serializes what the rewrite would send: the
 * result's error, its matches and type bits, and the rewritten body.
 */

#include <stdlib.h>
#include <string.h>

#include "azoai_body.h"
#include "azoai_pseudo.h"


#define SIDE_VARIANTS  4


typedef struct side_chunk_s  side_chunk_t;

struct side_chunk_s {
    side_chunk_t       *next;
    uint64_t            align[1];
};


typedef struct {
    u_char             *data;
    size_t              len;
    size_t              size;
} side_out_t;


int ENGINE_DIFF_RUN(unsigned variant, const u_char *body, size_t len,
    u_char **out, size_t *out_len);

static void *side_alloc(void *pool, size_t size);
static azoai_pii_engine_t *side_engine(unsigned variant);
static void side_put(side_out_t *o, const void *p, size_t n);
static void side_result(side_out_t *o, const azoai_body_result_t *res);


static void *
side_alloc(void *pool, size_t size)
{
    side_chunk_t  **chunks = pool;
    side_chunk_t   *c;

    c = malloc(sizeof(side_chunk_t) + size + 32);
    if (c == NULL) {
        abort();
    }

    c->next = *chunks;
    *chunks = c;

    return (u_char *) c + 32;
}


/*
 * 0: every built-in detector masks; 1: hash, partial, mask and block by
 * turns; 2: pseudonyms; 3: masks and two custom patterns
 */

static azoai_pii_engine_t *
side_engine(unsigned variant)
{
    char                        err[256];
    unsigned                    type;
    azoai_pii_action_e          action;
    azoai_pii_engine_t         *e;

    static azoai_pii_engine_t  *engines[SIDE_VARIANTS];
    static const azoai_pii_action_e  turns[] = {
        AZOAI_PII_ACTION_HASH, AZOAI_PII_ACTION_PARTIAL,
        AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_BLOCK
    };

    if (engines[variant] != NULL) {
        return engines[variant];
    }

    e = azoai_pii_engine_create();
    if (e == NULL) {
        abort();
    }

    for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
        action = (variant == 1) ? turns[type % 4]
                 : (variant == 2) ? AZOAI_PII_ACTION_PSEUDONYM
                 : AZOAI_PII_ACTION_MASK;

        if (azoai_pii_engine_enable(e, type, action) != AZOAI_OK) {
            abort();
        }
    }

    if (variant == 3
        && (azoai_pii_engine_add_pattern(e, "employee",
                (const u_char *) "\\bEMP-[0-9]{6}\\b", 16,
                AZOAI_PII_ACTION_MASK, err, sizeof(err)) < 0
            || azoai_pii_engine_add_pattern(e, "ticket",
                (const u_char *) "TCK[0-9]{3,8}", 13,
                AZOAI_PII_ACTION_HASH, err, sizeof(err)) < 0))
    {
        abort();
    }

    if (azoai_pii_engine_set_hash_key(e, (const u_char *) "diff-key", 8)
        != AZOAI_OK
        || azoai_pii_engine_finalize(e, err, sizeof(err)) != AZOAI_OK)
    {
        abort();
    }

    engines[variant] = e;

    return e;
}


static void
side_put(side_out_t *o, const void *p, size_t n)
{
    if (o->len + n > o->size) {
        o->size = (o->len + n) * 2 + 256;
        o->data = realloc(o->data, o->size);
        if (o->data == NULL) {
            abort();
        }
    }

    memcpy(o->data + o->len, p, n);
    o->len += n;
}


/* what the glue acts on: error, names, store, matches, type bits */

static void
side_result(side_out_t *o, const azoai_body_result_t *res)
{
    size_t    i;
    uint64_t  word;

    word = res->error;
    side_put(o, &word, 8);
    word = res->nmatches;
    side_put(o, &word, 8);
    side_put(o, &res->types_found, 8);
    side_put(o, &res->types_blocked, 8);

    side_put(o, res->error_text, strlen(res->error_text) + 1);

    word = res->nnames | (uint64_t) res->model_present << 32;
    side_put(o, &word, 8);

    for (i = 0; i < res->nnames && res->error == AZOAI_BODY_OK; i++) {
        word = res->names[i].origin;
        side_put(o, &word, 8);
        word = res->names[i].name.len;
        side_put(o, &word, 8);
        side_put(o, res->names[i].name.data, res->names[i].name.len);
    }

    word = res->store | (uint64_t) res->object << 8
           | (uint64_t) res->background << 9
           | (uint64_t) res->nopaque << 32;
    side_put(o, &word, 8);

    if (res->error == AZOAI_BODY_OK && res->store != AZOAI_BODY_STORE_ABSENT) {
        side_put(o, &res->store_start, sizeof(size_t));
        side_put(o, &res->store_end, sizeof(size_t));
    }

    if (res->error == AZOAI_BODY_OK && res->object) {
        side_put(o, &res->object_start, sizeof(size_t));
    }

    for (i = 0; i < res->nmatches; i++) {
        word = res->matches[i].start;
        side_put(o, &word, 8);
        word = res->matches[i].end;
        side_put(o, &word, 8);
        word = res->matches[i].type;
        side_put(o, &word, 8);
    }
}


int
ENGINE_DIFF_RUN(unsigned variant, const u_char *body, size_t len,
    u_char **out, size_t *out_len)
{
    u_char               *rewritten;
    size_t                rlen;
    side_out_t            o;
    side_chunk_t         *chunks, *c, *next;
    azoai_alloc_t         a;
    azoai_pii_engine_t   *e;
    azoai_body_result_t   res;

    e = side_engine(variant % SIDE_VARIANTS);
    chunks = NULL;
    a.alloc = side_alloc;
    a.pool = &chunks;
    memset(&o, 0, sizeof(side_out_t));

    if (azoai_body_inspect(e, body, len, &a, &res) != AZOAI_OK) {
        return -1;
    }

    side_result(&o, &res);

    if (res.error == AZOAI_BODY_OK && res.nmatches != 0) {
        res.pseudo = azoai_pseudo_create(&a);

        if (res.pseudo == NULL
            || azoai_body_rewrite(e, &res, body, len, &a, &rewritten, &rlen)
               != AZOAI_OK)
        {
            return -1;
        }

        side_put(&o, rewritten, rlen);
    }

    for (c = chunks; c; c = next) {
        next = c->next;
        free(c);
    }

    *out = o.data;
    *out_len = o.len;

    return 0;
}
