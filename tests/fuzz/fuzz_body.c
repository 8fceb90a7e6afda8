/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target for the body layer (azoai_body.c) with the real PII
 * engine, all built-in detectors on.  Besides crashes it checks, and
 * abort()s on a violation:
 *
 *   - inspect agrees with the tokenizer on validity, and a refused body
 *     has no matches;
 *   - matches are in order, not overlapping, inside the body, counted;
 *   - the rewrite equals the input outside the reported spans and each
 *     span's rendering inside them;
 *   - the rewrite is valid JSON (re-inspect has no error) and carries the
 *     same deployment names;
 *   - the in-place rewrite gives the same bytes and writes nothing past
 *     the body;
 *   - the rewrite by reference (azoai_body_splice_refs()) hands on the
 *     same bytes in pieces, at several sizes that are pointed at: none
 *     empty, a reference only inside the body and as long as that size,
 *     never two copied runs in a row;
 *   - masking is idempotent: inspecting the rewritten body again finds
 *     nothing (mask(mask(x)) == mask(x), every detector on, with the
 *     mask, hash, partial and block renderings), not even a value that
 *     was refused because of a neighbour that is now a tag
 *     (azoai_pii_settle.c); and nothing inside or across a tag.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../test_util.h"
#include "azoai_json.h"
#include "azoai_body.h"
#include "azoai_body_refs.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static azoai_pii_engine_t *fuzz_body_engine(unsigned variant);
static int fuzz_body_check_result(const azoai_body_result_t *r,
    const u_char *body, size_t len);
static void fuzz_body_check_rewrite(const azoai_pii_engine_t *e,
    const azoai_body_result_t *r, const u_char *body, size_t len,
    const u_char *out, size_t out_len, size_t *tag_start, size_t *tag_end);
static void fuzz_body_check_in_place(const azoai_pii_engine_t *e,
    const azoai_body_result_t *r, const u_char *body, size_t len,
    azoai_alloc_t *a, const u_char *out, size_t out_len);
static void fuzz_body_check_refs(const azoai_pii_engine_t *e,
    const azoai_body_result_t *r, const u_char *body, size_t len,
    azoai_alloc_t *a, const u_char *out, size_t out_len);
static int fuzz_body_refs_piece(void *data, const u_char *p, size_t len);
static void fuzz_body_check(const azoai_pii_engine_t *e, const u_char *body,
    size_t len, azoai_alloc_t *a);
static void fuzz_body_tags_stay(const azoai_body_result_t *r2,
    const size_t *tag_start, const size_t *tag_end, size_t ntags);


static azoai_pii_engine_t *
fuzz_body_engine(unsigned variant)
{
    char                 err[256];
    unsigned             type;
    azoai_pii_engine_t  *e;

    static const azoai_pii_action_e  actions[] = {
        AZOAI_PII_ACTION_HASH, AZOAI_PII_ACTION_PARTIAL,
        AZOAI_PII_ACTION_MASK, AZOAI_PII_ACTION_BLOCK
    };

    e = azoai_pii_engine_create();
    if (e == NULL) {
        abort();
    }

    for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
        if (azoai_pii_engine_enable(e, type,
                                    variant ? actions[type % 4]
                                            : AZOAI_PII_ACTION_MASK)
            != AZOAI_OK)
        {
            abort();
        }
    }

    if (variant
        && azoai_pii_engine_set_hash_key(e, (const u_char *) "fuzz-key", 8)
           != AZOAI_OK)
    {
        abort();
    }

    if (azoai_pii_engine_finalize(e, err, sizeof(err)) != AZOAI_OK) {
        abort();
    }

    return e;
}


/*
 * the result agrees with the tokenizer; a refused body has no matches;
 * matches are in order, inside the body, counted per type.  Returns 0
 * when the body was refused (nothing more to check).
 */

static int
fuzz_body_check_result(const azoai_body_result_t *r, const u_char *body,
    size_t len)
{
    size_t               i, pos, total;
    unsigned             json;
    azoai_json_status_t  st;

    json = azoai_json_walk(body, len, NULL, NULL, &st);

    if (r->error != AZOAI_BODY_OK) {
        if (r->nmatches != 0 || r->error_text[0] == '\0') {
            abort();
        }

        if (r->error == AZOAI_BODY_INVALID && json == AZOAI_JSON_OK
            && len != 0)
        {
            abort();
        }

        if (r->error == AZOAI_BODY_TOO_DEEP && json != AZOAI_JSON_TOO_DEEP) {
            abort();
        }

        return 0;
    }

    if (json != AZOAI_JSON_OK || r->nnames > AZOAI_BODY_MAX_NAMES) {
        abort();
    }

    /* the counts are set from the first match (azoai_body_result_t) */

    total = 0;

    for (i = 0; r->nmatches && i < AZOAI_PII_MAX_TYPES; i++) {
        total += r->counts[i];

        if ((r->counts[i] != 0) != ((r->types_found >> i) & 1)) {
            abort();
        }
    }

    if (total != r->nmatches || (r->types_blocked & ~r->types_found)
        || (r->nmatches == 0 && r->types_found))
    {
        abort();
    }

    pos = 0;

    for (i = 0; i < r->nmatches; i++) {
        if (r->matches[i].start < pos
            || r->matches[i].end <= r->matches[i].start
            || r->matches[i].end > len)
        {
            abort();
        }

        pos = r->matches[i].end;
    }

    return 1;
}


/*
 * the rewrite equals the input outside the spans and each span's
 * rendering inside them; notes where each tag lies in the output
 */

static void
fuzz_body_check_rewrite(const azoai_pii_engine_t *e,
    const azoai_body_result_t *r, const u_char *body, size_t len,
    const u_char *out, size_t out_len, size_t *tag_start, size_t *tag_end)
{
    u_char  tag[AZOAI_PII_TAG_MAX];
    size_t  i, pos, o, n;

    pos = 0;
    o = 0;

    for (i = 0; i < r->nmatches; i++) {
        n = r->matches[i].start - pos;

        if (o + n > out_len || memcmp(out + o, body + pos, n) != 0) {
            abort();
        }

        o += n;

        n = azoai_pii_render(e, &r->matches[i], body, tag);
        tag_start[i] = o;
        tag_end[i] = o + n;

        if (n > AZOAI_PII_TAG_MAX || o + n > out_len
            || memcmp(out + o, tag, n) != 0)
        {
            abort();
        }

        o += n;
        pos = r->matches[i].end;
    }

    if (out_len - o != len - pos
        || memcmp(out + o, body + pos, len - pos) != 0)
    {
        abort();
    }
}


/* the in-place rewrite gives the same bytes and writes nothing past */

static void
fuzz_body_check_in_place(const azoai_pii_engine_t *e,
    const azoai_body_result_t *r, const u_char *body, size_t len,
    azoai_alloc_t *a, const u_char *out, size_t out_len)
{
    u_char  *copy, *out2;
    size_t   i, out2_len;

    copy = malloc(len + 16);
    if (copy == NULL) {
        abort();
    }

    memcpy(copy, body, len);
    memset(copy + len, 0x5a, 16);

    if (azoai_body_rewrite_in_place(e, r, copy, len, a, &out2, &out2_len)
        != AZOAI_OK
        || out2_len != out_len || memcmp(out2, out, out_len) != 0)
    {
        abort();
    }

    for (i = 0; i < 16; i++) {
        if (copy[len + i] != 0x5a) {
            abort();
        }
    }

    free(copy);
}


/* what fuzz_body_refs_piece() compares the pieces with */
typedef struct {
    const u_char  *body;
    size_t         len;
    const u_char  *out;         /* the copying rewrite */
    size_t         out_len;
    size_t         at;          /* bytes of it seen */
    size_t         ref_min;
    unsigned       run:1;       /* the last piece was a copied run */
} fuzz_body_refs_t;


static int
fuzz_body_refs_piece(void *data, const u_char *p, size_t len)
{
    fuzz_body_refs_t  *f = data;

    unsigned  inside;

    inside = (p >= f->body && p < f->body + f->len);

    if (len == 0 || len > f->out_len - f->at
        || memcmp(p, f->out + f->at, len) != 0
        || (inside && (len < f->ref_min || len > f->body + f->len - p))
        || (!inside && f->run))
    {
        abort();
    }

    f->at += len;
    f->run = !inside;

    return AZOAI_OK;
}


/* the rewrite by reference hands on the bytes of the copying one */

static void
fuzz_body_check_refs(const azoai_pii_engine_t *e,
    const azoai_body_result_t *r, const u_char *body, size_t len,
    azoai_alloc_t *a, const u_char *out, size_t out_len)
{
    size_t            i, n;
    fuzz_body_refs_t  f;

    static const size_t  ref_mins[] = { 1, 2, 7, 64, 1024 };

    for (i = 0; i < sizeof(ref_mins) / sizeof(ref_mins[0]); i++) {
        f.body = body;
        f.len = len;
        f.out = out;
        f.out_len = out_len;
        f.at = 0;
        f.ref_min = ref_mins[i];
        f.run = 0;

        if (azoai_body_splice_refs(e, r, body, len, f.ref_min, a,
                                   fuzz_body_refs_piece, &f, &n)
            != AZOAI_OK
            || n != out_len || f.at != out_len)
        {
            abort();
        }
    }
}


static void
fuzz_body_check(const azoai_pii_engine_t *e, const u_char *body, size_t len,
    azoai_alloc_t *a)
{
    u_char               *out;
    size_t                i, out_len;
    size_t               *tag_start, *tag_end;
    azoai_body_result_t   r, r2;

    if (azoai_body_inspect(e, body, len, a, &r) != AZOAI_OK) {
        abort();
    }

    if (!fuzz_body_check_result(&r, body, len)) {
        return;
    }

    if (azoai_body_rewrite(e, &r, body, len, a, &out, &out_len) != AZOAI_OK) {
        abort();
    }

    tag_start = malloc(2 * (r.nmatches + 1) * sizeof(size_t));
    if (tag_start == NULL) {
        abort();
    }

    tag_end = tag_start + r.nmatches + 1;

    fuzz_body_check_rewrite(e, &r, body, len, out, out_len, tag_start,
                            tag_end);
    fuzz_body_check_in_place(e, &r, body, len, a, out, out_len);
    fuzz_body_check_refs(e, &r, body, len, a, out, out_len);

    if (azoai_body_inspect(e, out, out_len, a, &r2) != AZOAI_OK
        || r2.error != AZOAI_BODY_OK || r2.nnames != r.nnames)
    {
        abort();
    }

    fuzz_body_tags_stay(&r2, tag_start, tag_end, r.nmatches);

    if (r2.nmatches != 0) {
        abort();                     /* not idempotent */
    }

    free(tag_start);

    for (i = 0; i < r.nnames; i++) {
        if (r.names[i].name.len != r2.names[i].name.len
            || memcmp(r.names[i].name.data, r2.names[i].name.data,
                      r.names[i].name.len) != 0
            || r.names[i].origin != r2.names[i].origin)
        {
            abort();
        }
    }
}


/* no match of the second pass lies inside or across a tag of the first */

static void
fuzz_body_tags_stay(const azoai_body_result_t *r2, const size_t *tag_start,
    const size_t *tag_end, size_t ntags)
{
    size_t  i, k;

    k = 0;

    for (i = 0; i < r2->nmatches; i++) {
        while (k < ntags && tag_end[k] <= r2->matches[i].start) {
            k++;
        }

        if (k < ntags && tag_start[k] < r2->matches[i].end) {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    test_arena_t        arena;
    azoai_alloc_t       a;

    static azoai_pii_engine_t  *engines[2];

    if (engines[0] == NULL) {
        engines[0] = fuzz_body_engine(0);
        engines[1] = fuzz_body_engine(1);
    }

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);

    fuzz_body_check(engines[size & 1], data, size, &a);

    test_arena_free(&arena);

    return 0;
}
