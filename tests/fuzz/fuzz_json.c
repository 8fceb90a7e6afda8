/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target for the JSON tokenizer (azoai_json.c).  Besides
 * crashes it checks, and abort()s on a violation:
 *
 *   - every value the visitor sees lies inside the input, in document
 *     order, with a path (types, starts, keys, array indexes) that matches
 *     an independent bracket stack kept here;
 *   - strings are quoted, decode, and compare equal to their decoding;
 *     numbers follow the RFC 8259 grammar; literals are spelled right;
 *   - a valid input is exactly one value, and cJSON parses it too;
 *   - the walk is deterministic, and a visitor that stops gets STOPPED;
 *   - the AVX2 string scan and the scalar one give the same result,
 *     error offset and reason, values and string flags;
 *   - azoai_json_walk_brackets(), with either scan, gives the same, its
 *     AZOAI_JSON_BRACKET set on exactly the strings holding a '[';
 *   - azoai_json_walk_values() reports the same values as
 *     azoai_json_walk() but the closing ones, with the same status.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "azoai_json_int.h"


/* cJSON copies numbers into a 64-byte buffer: longer ones it rejects */
#define FUZZ_JSON_CJSON_NUMBER_MAX  63

/* the longest literal azoai_json_str_eq() compares after decoding */
#define FUZZ_JSON_STR_EQ_MAX        64


typedef struct {
    const u_char    *input;
    size_t           len;
    u_char          *decoded;          /* len bytes */

    size_t           starts[AZOAI_JSON_MAX_DEPTH];
    size_t           next_index[AZOAI_JSON_MAX_DEPTH];
    unsigned         types[AZOAI_JSON_MAX_DEPTH];
    unsigned         depth;

    size_t           last_offset;
    size_t           visits;
    size_t           stop_at;          /* 0: never */
    unsigned         top_values;
    unsigned         long_number:1;
    unsigned         any:1;
} fuzz_json_ctx_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_json_visit(void *data, const azoai_json_value_t *v);
static void fuzz_json_check_closing(fuzz_json_ctx_t *ctx,
    const azoai_json_value_t *v);
static void fuzz_json_check_path(fuzz_json_ctx_t *ctx,
    const azoai_json_value_t *v);
static void fuzz_json_check_string(fuzz_json_ctx_t *ctx,
    const azoai_json_value_t *v);
static void fuzz_json_check_number(const azoai_str_t *raw);
static void fuzz_json_check_literal(const azoai_str_t *raw, const char *lit);
static void fuzz_json_check_cjson(const u_char *input, size_t len);
static int fuzz_json_stop_visit(void *data, const azoai_json_value_t *v);
static void fuzz_json_check_simd(const u_char *input, size_t len);
static int fuzz_json_digest_visit(void *data, const azoai_json_value_t *v);
static int fuzz_json_bracket_visit(void *data, const azoai_json_value_t *v);
static void fuzz_json_check_values(const u_char *input, size_t len);
static int fuzz_json_opened_visit(void *data, const azoai_json_value_t *v);
static void fuzz_json_same_status(const azoai_json_status_t *a,
    const azoai_json_status_t *b);


#define fuzz_json_assert(c)   do { if (!(c)) { abort(); } } while (0)


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned             error;
    fuzz_json_ctx_t      ctx;
    azoai_json_status_t  st, st2;

    memset(&ctx, 0, sizeof(fuzz_json_ctx_t));

    ctx.input = data;
    ctx.len = size;
    ctx.decoded = malloc(size ? size : 1);

    if (ctx.decoded == NULL) {
        return 0;
    }

    error = azoai_json_walk(data, size, fuzz_json_visit, &ctx, &st);

    fuzz_json_assert(error == st.error);
    fuzz_json_assert(error == AZOAI_JSON_OK || error == AZOAI_JSON_INVALID
                     || error == AZOAI_JSON_TOO_DEEP);

    if (error == AZOAI_JSON_OK) {
        fuzz_json_assert(ctx.depth == 0);
        fuzz_json_assert(ctx.top_values == 1);

        if (st.lone_surrogates == 0 && !ctx.long_number) {
            fuzz_json_check_cjson(data, size);
        }

    } else {
        fuzz_json_assert(st.offset <= size);
        fuzz_json_assert(st.reason != NULL);
    }

    /* the same answer without a visitor */

    azoai_json_walk(data, size, NULL, NULL, &st2);

    fuzz_json_assert(st2.error == st.error);
    fuzz_json_assert(st2.offset == st.offset || st.error == AZOAI_JSON_OK);
    fuzz_json_assert(st2.lone_surrogates == st.lone_surrogates);

    fuzz_json_check_simd(data, size);
    fuzz_json_check_values(data, size);

    /* a visitor that stops at one of the values it saw */

    if (ctx.visits) {
        ctx.stop_at = 1 + (size * 7919) % ctx.visits;
        ctx.visits = 0;

        error = azoai_json_walk(data, size, fuzz_json_stop_visit, &ctx, &st2);

        fuzz_json_assert(error == AZOAI_JSON_STOPPED);
        fuzz_json_assert(ctx.visits == ctx.stop_at);
    }

    free(ctx.decoded);

    return 0;
}


static int
fuzz_json_visit(void *data, const azoai_json_value_t *v)
{
    fuzz_json_ctx_t  *ctx = data;

    ctx->visits++;

    fuzz_json_assert(v->type >= AZOAI_JSON_OBJECT
                     && v->type <= AZOAI_JSON_NULL);
    fuzz_json_assert(v->offset <= ctx->len);
    fuzz_json_assert(v->raw.len <= ctx->len - v->offset);
    fuzz_json_assert(v->raw.data == ctx->input + v->offset);

    if (!v->closing) {
        /* document order */
        fuzz_json_assert(!ctx->any || v->offset > ctx->last_offset);
        ctx->any = 1;
        ctx->last_offset = v->offset;
    }

    if (v->closing) {
        fuzz_json_check_closing(ctx, v);
    }

    fuzz_json_check_path(ctx, v);

    if (v->closing) {
        return 0;
    }

    if (v->depth == 0) {
        ctx->top_values++;
    }

    switch (v->type) {

    case AZOAI_JSON_OBJECT:
    case AZOAI_JSON_ARRAY:
        fuzz_json_assert(v->raw.len >= 1);
        fuzz_json_assert(v->raw.data[0]
                         == (v->type == AZOAI_JSON_OBJECT ? '{' : '['));
        fuzz_json_assert(ctx->depth < AZOAI_JSON_MAX_DEPTH);

        ctx->types[ctx->depth] = v->type;
        ctx->starts[ctx->depth] = v->offset;
        ctx->next_index[ctx->depth] = 0;
        ctx->depth++;
        break;

    case AZOAI_JSON_STRING:
        fuzz_json_check_string(ctx, v);
        break;

    case AZOAI_JSON_NUMBER:
        fuzz_json_check_number(&v->raw);

        if (v->raw.len > FUZZ_JSON_CJSON_NUMBER_MAX) {
            ctx->long_number = 1;
        }

        break;

    case AZOAI_JSON_TRUE:
        fuzz_json_check_literal(&v->raw, "true");
        break;

    case AZOAI_JSON_FALSE:
        fuzz_json_check_literal(&v->raw, "false");
        break;

    default: /* AZOAI_JSON_NULL */
        fuzz_json_check_literal(&v->raw, "null");
        break;
    }

    return 0;
}


/* a closing value ends the container on top of the stack kept here */

static void
fuzz_json_check_closing(fuzz_json_ctx_t *ctx, const azoai_json_value_t *v)
{
    fuzz_json_assert(v->type == AZOAI_JSON_OBJECT
                     || v->type == AZOAI_JSON_ARRAY);
    fuzz_json_assert(ctx->depth > 0);

    ctx->depth--;

    fuzz_json_assert(ctx->types[ctx->depth] == v->type);
    fuzz_json_assert(ctx->starts[ctx->depth] == v->offset);
    fuzz_json_assert(v->raw.len >= 2);
    fuzz_json_assert(v->raw.data[v->raw.len - 1]
                     == (v->type == AZOAI_JSON_OBJECT ? '}' : ']'));
}


/* the walker's path against the stack kept here */
static void
fuzz_json_check_path(fuzz_json_ctx_t *ctx, const azoai_json_value_t *v)
{
    unsigned                   i;
    const azoai_json_frame_t  *f;

    fuzz_json_assert(v->depth == ctx->depth);
    fuzz_json_assert(v->depth == 0 || v->path != NULL);

    for (i = 0; i < v->depth; i++) {
        f = &v->path[i];

        fuzz_json_assert(f->type == ctx->types[i]);
        fuzz_json_assert(f->start == ctx->starts[i]);
    }

    if (v->depth == 0 || v->closing) {
        return;
    }

    f = &v->path[v->depth - 1];

    if (f->type == AZOAI_JSON_ARRAY) {
        fuzz_json_assert(f->index == ctx->next_index[v->depth - 1]);
        ctx->next_index[v->depth - 1]++;
        return;
    }

    /* the member's key: a quoted span before the value */
    fuzz_json_assert(f->key.data > ctx->input);
    fuzz_json_assert((size_t) (f->key.data - ctx->input) + f->key.len
                     < v->offset);
    fuzz_json_assert(f->key.data[-1] == '"');
    fuzz_json_assert(f->key.data[f->key.len] == '"');
}


static void
fuzz_json_check_string(fuzz_json_ctx_t *ctx, const azoai_json_value_t *v)
{
    size_t  i, n;

    fuzz_json_assert(v->offset >= 1);
    fuzz_json_assert(v->offset + v->raw.len < ctx->len);
    fuzz_json_assert(ctx->input[v->offset - 1] == '"');
    fuzz_json_assert(ctx->input[v->offset + v->raw.len] == '"');

    for (i = 0; i < v->raw.len; i++) {
        if (v->raw.data[i] == '\\') {
            fuzz_json_assert(v->flags & AZOAI_JSON_ESCAPED);
        }

        if (v->raw.data[i] >= 0x80) {
            fuzz_json_assert(v->flags & AZOAI_JSON_NON_ASCII);
        }

        /* control characters must be escaped */
        fuzz_json_assert(v->raw.data[i] >= 0x20);
    }

    fuzz_json_assert(azoai_json_decode_string(v->raw.data, v->raw.len,
                                              ctx->decoded, v->raw.len, &n)
                     == AZOAI_OK);
    fuzz_json_assert(n <= v->raw.len);

    if (!(v->flags & AZOAI_JSON_ESCAPED)) {
        fuzz_json_assert(n == v->raw.len);
        fuzz_json_assert(memcmp(ctx->decoded, v->raw.data, n) == 0);
    }

    /* str_eq is for short literals (keys, names): it says no from 64 on */
    if (n < FUZZ_JSON_STR_EQ_MAX) {
        fuzz_json_assert(azoai_json_str_eq(v->raw.data, v->raw.len, v->flags,
                                           (const char *) ctx->decoded, n));
    }
}


/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static void
fuzz_json_check_number(const azoai_str_t *raw)
{
    size_t         i, digits;
    const u_char  *p;

    p = raw->data;
    i = 0;

    if (i < raw->len && p[i] == '-') {
        i++;
    }

    fuzz_json_assert(i < raw->len);

    if (p[i] == '0') {
        i++;

    } else {
        for (digits = 0; i < raw->len && p[i] >= '0' && p[i] <= '9'; i++) {
            digits++;
        }

        fuzz_json_assert(digits > 0);
    }

    if (i < raw->len && p[i] == '.') {
        for (i++, digits = 0; i < raw->len && p[i] >= '0' && p[i] <= '9';
             i++)
        {
            digits++;
        }

        fuzz_json_assert(digits > 0);
    }

    if (i < raw->len && (p[i] == 'e' || p[i] == 'E')) {
        i++;

        if (i < raw->len && (p[i] == '+' || p[i] == '-')) {
            i++;
        }

        for (digits = 0; i < raw->len && p[i] >= '0' && p[i] <= '9'; i++) {
            digits++;
        }

        fuzz_json_assert(digits > 0);
    }

    fuzz_json_assert(i == raw->len);
}


static void
fuzz_json_check_literal(const azoai_str_t *raw, const char *lit)
{
    fuzz_json_assert(raw->len == strlen(lit));
    fuzz_json_assert(memcmp(raw->data, lit, raw->len) == 0);
}


/* what the strict walker accepts, the lenient cJSON accepts too */
static void
fuzz_json_check_cjson(const u_char *input, size_t len)
{
    cJSON  *root;

    root = cJSON_ParseWithLength((const char *) input, len);

    fuzz_json_assert(root != NULL);

    cJSON_Delete(root);
}


static int
fuzz_json_stop_visit(void *data, const azoai_json_value_t *v)
{
    fuzz_json_ctx_t  *ctx = data;

    return ++ctx->visits == ctx->stop_at;
}


/* what the walk saw: the values' types, flags, offsets and lengths */

static int
fuzz_json_digest_visit(void *data, const azoai_json_value_t *v)
{
    uint64_t  *h = data;

    *h = (*h * 1099511628211ULL)
         ^ (v->type | (v->flags & ~AZOAI_JSON_BRACKET) << 4 | v->closing << 8
            | (uint64_t) v->offset << 16 | (uint64_t) v->raw.len << 40);

    return 0;
}


/* the digest, after checking AZOAI_JSON_BRACKET against memchr() */

static int
fuzz_json_bracket_visit(void *data, const azoai_json_value_t *v)
{
    fuzz_json_assert(((v->flags & AZOAI_JSON_BRACKET) != 0)
                     == (v->type == AZOAI_JSON_STRING
                         && memchr(v->raw.data, '[', v->raw.len) != NULL));

    return fuzz_json_digest_visit(data, v);
}


static void
fuzz_json_check_simd(const u_char *input, size_t len)
{
    int                  simd;
    uint64_t             h1, h2;
    azoai_json_status_t  st1, st2;

    h1 = 0;
    h2 = 0;

    azoai_json_walk(input, len, fuzz_json_digest_visit, &h1, &st1);

    azoai_json_simd(0);
    azoai_json_walk(input, len, fuzz_json_digest_visit, &h2, &st2);
    azoai_json_simd(1);

    fuzz_json_same_status(&st1, &st2);
    fuzz_json_assert(h1 == h2);

    for (simd = 0; simd <= 1; simd++) {
        h2 = 0;

        azoai_json_simd(simd);
        azoai_json_walk_brackets(input, len, fuzz_json_bracket_visit, &h2,
                                 &st2);
        azoai_json_simd(1);

        fuzz_json_same_status(&st1, &st2);
        fuzz_json_assert(h1 == h2);
    }
}


static void
fuzz_json_check_values(const u_char *input, size_t len)
{
    uint64_t             h1, h2;
    azoai_json_status_t  st1, st2;

    h1 = 0;
    h2 = 0;

    azoai_json_walk(input, len, fuzz_json_opened_visit, &h1, &st1);
    azoai_json_walk_values(input, len, fuzz_json_digest_visit, &h2, &st2);

    fuzz_json_same_status(&st1, &st2);

    /* a closing value in the second walk changes its digest */
    fuzz_json_assert(h1 == h2);
}


/* the digest of the values that are not closing ones */

static int
fuzz_json_opened_visit(void *data, const azoai_json_value_t *v)
{
    if (v->closing) {
        return 0;
    }

    return fuzz_json_digest_visit(data, v);
}


/* two walks of the same input ended alike */

static void
fuzz_json_same_status(const azoai_json_status_t *a,
    const azoai_json_status_t *b)
{
    fuzz_json_assert(a->error == b->error);
    fuzz_json_assert(a->offset == b->offset);
    fuzz_json_assert(a->reason == b->reason);
    fuzz_json_assert(a->values == b->values);
    fuzz_json_assert(a->lone_surrogates == b->lone_surrogates);
}
