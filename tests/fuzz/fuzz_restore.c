/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target for the response rewriter (azoai_sse.c, azoai_restore.c)
 * with a fixed pseudonym map.  Input: one byte of flags (bit 0: JSON
 * response, else event stream; bit 1: azoai_pii_response masking with
 * e-mails masked and phones as pseudonyms; bit 2: the byte-by-byte and
 * chunked runs take a JSON response's unchanged bytes by reference,
 * azoai_sse_t.ref, checked to point into its buffer), one byte seeding
 * the chunk sizes, then the body.  It is rewritten whole, byte by byte
 * and in random chunks; the three outputs and results must be the same,
 * else abort().
 *
 * Per input, only what the rewriter allocates is allocated: the output
 * buffers, the pseudonym map and the engine are made once (fresh 1 MB
 * buffers per run cost ASan an mmap and page faults each time, which held
 * the target to about 25 runs a second).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "azoai_sse.h"


#define FUZZ_OUT_MAX  (1024 * 1024)


typedef struct {
    u_char          *data;
    size_t           len;
    int              rc;
} fuzz_out_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *fuzz_alloc(void *pool, size_t size);
static int fuzz_write(void *data, const u_char *p, size_t len);
static int fuzz_ref(void *data, const u_char *p, size_t len);
static void fuzz_run(const azoai_pseudo_t *map, unsigned json,
    unsigned mask, unsigned ref, const uint8_t *data, size_t size,
    uint32_t seed, fuzz_out_t *out);
static const azoai_pii_engine_t *fuzz_engine(void);
static const azoai_pseudo_t *fuzz_map(void);
static void *fuzz_alloc_kept(void *pool, size_t size);
static void fuzz_trace(void *data, unsigned outcome, size_t len);


/* freed when the input is done: a list of blocks, as a pool would */

typedef struct fuzz_block_s  fuzz_block_t;

struct fuzz_block_s {
    fuzz_block_t    *next;
    max_align_t      data[];
};

static fuzz_block_t  *fuzz_blocks;

/* the rewriter of the run, for fuzz_ref() */
static const azoai_sse_t  *fuzz_sse;


static void *
fuzz_alloc(void *pool, size_t size)
{
    fuzz_block_t  *b;

    b = malloc(sizeof(fuzz_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = fuzz_blocks;
    fuzz_blocks = b;

    return b->data;
}


static int
fuzz_write(void *data, const u_char *p, size_t len)
{
    fuzz_out_t  *o = data;

    if (o->len + len > FUZZ_OUT_MAX) {
        abort();
    }

    memcpy(o->data + o->len, p, len);
    o->len += len;

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned               json, mask, ref;
    uint32_t               seed;
    fuzz_block_t          *b;
    const azoai_pseudo_t  *map;

    static fuzz_out_t      whole, bytes, chunks;

    if (size < 2 || size > 64 * 1024) {
        return 0;
    }

    json = data[0] & 1;
    mask = data[0] & 2;
    ref = data[0] & 4;
    seed = 0x9e3779b9u ^ data[1] ^ ((uint32_t) size << 8);
    data += 2;
    size -= 2;

    map = fuzz_map();

    if (whole.data == NULL) {
        whole.data = malloc(FUZZ_OUT_MAX);
        bytes.data = malloc(FUZZ_OUT_MAX);
        chunks.data = malloc(FUZZ_OUT_MAX);

        if (whole.data == NULL || bytes.data == NULL || chunks.data == NULL)
        {
            abort();
        }
    }

    fuzz_run(map, json, mask, 0, data, size, 0, &whole);
    fuzz_run(map, json, mask, ref, data, size, 1, &bytes);
    fuzz_run(map, json, mask, ref, data, size, seed | 2, &chunks);

    if (whole.rc != bytes.rc || whole.rc != chunks.rc
        || whole.len != bytes.len || whole.len != chunks.len
        || memcmp(whole.data, bytes.data, whole.len) != 0
        || memcmp(whole.data, chunks.data, whole.len) != 0)
    {
        abort();
    }

    while (fuzz_blocks) {
        b = fuzz_blocks;
        fuzz_blocks = b->next;
        free(b);
    }

    return 0;
}


/* the map of every run: two values that need escaping, made once */

static const azoai_pseudo_t *
fuzz_map(void)
{
    azoai_alloc_t          a;
    static azoai_pseudo_t  *map;

    if (map) {
        return map;
    }

    a.alloc = fuzz_alloc_kept;
    a.pool = NULL;

    map = azoai_pseudo_create(&a);
    if (map == NULL
        || !azoai_pseudo_mint(map, (u_char *) "EMAIL", 5,
                              (u_char *) "a@b.c", 5,
                              (u_char *) "a\"@b.c", 6)
        || !azoai_pseudo_mint(map, (u_char *) "PHONE", 5,
                              (u_char *) "1", 1, (u_char *) "\\1\n", 3))
    {
        abort();
    }

    return map;
}


/* for the map: kept for the life of the process */

static void *
fuzz_alloc_kept(void *pool, size_t size)
{
    return malloc(size);
}


/* seed 0: one piece; 1: byte by byte; else random pieces of 1 to 64 */

/* a reference: into the JSON response's own buffer only, as read */

static int
fuzz_ref(void *data, const u_char *p, size_t len)
{
    if (!fuzz_sse->json || len == 0 || p < fuzz_sse->buf
        || p + len > fuzz_sse->buf + fuzz_sse->len)
    {
        abort();
    }

    return fuzz_write(data, p, len);
}


static void
fuzz_run(const azoai_pseudo_t *map, unsigned json, unsigned mask,
    unsigned ref, const uint8_t *data, size_t size, uint32_t seed,
    fuzz_out_t *out)
{
    int                rc;
    size_t             i, n;
    azoai_sse_t        s;
    azoai_alloc_t      a;
    azoai_resp_mask_t  m;

    a.alloc = fuzz_alloc;
    a.pool = NULL;
    out->len = 0;

    azoai_sse_init(&s, map, &a, json, fuzz_write, out);
    s.trace = fuzz_trace;
    s.ref = ref ? fuzz_ref : NULL;
    fuzz_sse = &s;

    if (mask) {
        azoai_resp_mask_init(&m, fuzz_engine(), &a);
        s.mask = &m;
    }

    for (i = 0; i < size; i += n) {
        if (seed == 0) {
            n = size;

        } else if (seed == 1) {
            n = 1;

        } else {
            /* xorshift32 */
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            n = 1 + seed % 64;
        }

        n = n < size - i ? n : size - i;

        rc = azoai_sse_feed(&s, data + i, n);

        /* refused (masking): what came before it is the output */

        if (rc == AZOAI_DECLINED && mask) {
            out->rc = rc;
            return;
        }

        if (rc != AZOAI_OK) {
            abort();
        }
    }

    rc = azoai_sse_finish(&s);

    if (rc != AZOAI_OK && !(rc == AZOAI_DECLINED && mask)) {
        abort();
    }

    out->rc = rc;
}


/* an event's outcome is one of the five, its length within the input */

static void
fuzz_trace(void *data, unsigned outcome, size_t len)
{
    if (outcome > AZOAI_SSE_REFUSED || len == 0 || len > 64 * 1024 + 64) {
        abort();
    }
}


/* built once, kept for the life of the process */

static const azoai_pii_engine_t *
fuzz_engine(void)
{
    char                       err[128];
    static azoai_pii_engine_t  *e;

    if (e) {
        return e;
    }

    e = azoai_pii_engine_create();

    if (e == NULL
        || azoai_pii_engine_enable(e, AZOAI_PII_EMAIL, AZOAI_PII_ACTION_MASK)
           != AZOAI_OK
        || azoai_pii_engine_enable(e, AZOAI_PII_PHONE,
                                   AZOAI_PII_ACTION_PSEUDONYM)
           != AZOAI_OK
        || azoai_pii_engine_finalize(e, err, sizeof(err)) != AZOAI_OK)
    {
        abort();
    }

    return e;
}
