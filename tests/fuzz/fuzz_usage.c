/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target for token usage extraction.  Input: one byte of flags
 * (bit 0: event stream), one byte seeding the chunk sizes, then the body.
 * The body is scanned whole, byte by byte and in random chunks; the three
 * results must be the same, else abort().  An event stream is also read
 * by the completion estimate (azoai_estimate.c), under the same rule.  A
 * body that is valid JSON is also read by a walk (azoai_usage_visit(),
 * as the restore filter does): the same results again.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "azoai_json.h"
#include "azoai_usage.h"
#include "azoai_estimate.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_usage_check(const azoai_usage_t *u);
static void fuzz_usage_same(const azoai_usage_t *a, const azoai_usage_t *b);
static int fuzz_usage_visit(void *data, const azoai_json_value_t *v);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, n;
    unsigned        sse;
    uint32_t        seed;
    azoai_usage_t   whole, bytes, chunks, walked;

    azoai_json_status_t      status;

    azoai_estimate_stream_t  ew, eb, ec;

    if (size < 2) {
        return 0;
    }

    sse = data[0] & 1;
    seed = 0x9e3779b9u ^ data[1] ^ ((uint32_t) size << 8);
    data += 2;
    size -= 2;

    azoai_estimate_stream_init(&ew);
    azoai_estimate_stream_init(&eb);
    azoai_estimate_stream_init(&ec);
    azoai_estimate_stream_feed(&ew, data, size);

    azoai_usage_init(&whole, sse);
    azoai_usage_feed(&whole, data, size);
    azoai_usage_finish(&whole);
    fuzz_usage_check(&whole);

    azoai_usage_init(&bytes, sse);

    for (i = 0; i < size; i++) {
        azoai_usage_feed(&bytes, data + i, 1);
        azoai_estimate_stream_feed(&eb, data + i, 1);
    }

    azoai_usage_finish(&bytes);
    fuzz_usage_same(&whole, &bytes);

    azoai_usage_init(&chunks, sse);

    for (i = 0; i < size; i += n) {
        /* xorshift32 */
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;

        n = 1 + seed % 64;
        n = n < size - i ? n : size - i;

        azoai_usage_feed(&chunks, data + i, n);
        azoai_usage_feed(&chunks, data + i + n, 0);
        azoai_estimate_stream_feed(&ec, data + i, n);
    }

    azoai_usage_finish(&chunks);
    fuzz_usage_same(&whole, &chunks);

    if (!sse) {
        azoai_usage_init(&walked, 0);

        if (azoai_json_walk(data, size, fuzz_usage_visit, &walked, &status)
            == AZOAI_JSON_OK)
        {
            fuzz_usage_same(&whole, &walked);
        }
    }

    if (ew.text_bytes != eb.text_bytes || ew.text_bytes != ec.text_bytes
        || ew.text_bytes < 0 || ew.text_bytes > (int64_t) size)
    {
        abort();
    }

    return 0;
}


static void
fuzz_usage_check(const azoai_usage_t *u)
{
    if (u->prompt_tokens < -1 || u->completion_tokens < -1
        || u->total_tokens < -1)
    {
        abort();
    }

    if (!u->found
        && (u->prompt_tokens != -1 || u->completion_tokens != -1
            || u->total_tokens != -1))
    {
        abort();
    }

    if (u->found
        && u->prompt_tokens == -1 && u->completion_tokens == -1
        && u->total_tokens == -1)
    {
        abort();
    }
}


static void
fuzz_usage_same(const azoai_usage_t *a, const azoai_usage_t *b)
{
    if (a->found != b->found
        || a->prompt_tokens != b->prompt_tokens
        || a->completion_tokens != b->completion_tokens
        || a->total_tokens != b->total_tokens)
    {
        abort();
    }
}


static int
fuzz_usage_visit(void *data, const azoai_json_value_t *v)
{
    azoai_usage_visit(data, v);

    return 0;
}
