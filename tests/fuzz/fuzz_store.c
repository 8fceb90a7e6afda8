/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target of data retention (azoai_store): the first byte picks
 * the route (Responses API or not); the rest is the body.  Whenever off
 * rewrites, the result must be valid JSON with a top-level "store":
 * false, pass deny, keep every byte before and after the edit, and keep
 * each PII match on the same bytes it had.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../test_util.h"
#include "azoai_json.h"
#include "azoai_store.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static azoai_pii_engine_t *fuzz_store_engine(void);
static void fuzz_store_check(const azoai_pii_engine_t *e, unsigned responses,
    const u_char *body, size_t len, azoai_alloc_t *a);


static azoai_pii_engine_t *
fuzz_store_engine(void)
{
    char                 err[256];
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();

    if (e == NULL
        || azoai_pii_engine_enable(e, AZOAI_PII_EMAIL, AZOAI_PII_ACTION_MASK)
           != AZOAI_OK
        || azoai_pii_engine_finalize(e, err, sizeof(err)) != AZOAI_OK)
    {
        abort();
    }

    return e;
}


static void
fuzz_store_check(const azoai_pii_engine_t *e, unsigned responses,
    const u_char *body, size_t len, azoai_alloc_t *a)
{
    u_char               *out;
    size_t                i, out_len, head, tail;
    azoai_decision_t      d;
    azoai_pii_match_t    *before;
    azoai_json_status_t   st;
    azoai_body_result_t   r, r2;

    if (azoai_body_inspect(e, body, len, a, &r) != AZOAI_OK
        || r.error != AZOAI_BODY_OK)
    {
        return;
    }

    azoai_decision_init(&d);

    if (azoai_store_judge(AZOAI_STORE_OFF, responses, &r, &d)
        != AZOAI_STORE_REWRITE)
    {
        return;
    }

    if (d.reason != AZOAI_ALLOW || r.background) {
        abort();
    }

    before = NULL;

    if (r.nmatches) {
        before = malloc(r.nmatches * sizeof(azoai_pii_match_t));
        if (before == NULL) {
            abort();
        }

        memcpy(before, r.matches, r.nmatches * sizeof(azoai_pii_match_t));
    }

    if (azoai_store_rewrite(&r, body, len, a, &out, &out_len) != AZOAI_OK) {
        abort();
    }

    /* the bytes before and after the edit are kept */

    head = r.store != AZOAI_BODY_STORE_ABSENT ? r.store_start
                                              : r.object_start + 1;
    tail = r.store != AZOAI_BODY_STORE_ABSENT ? len - r.store_end
                                              : len - head;

    if (out_len < head + tail || memcmp(out, body, head) != 0
        || memcmp(out + out_len - tail, body + len - tail, tail) != 0)
    {
        abort();
    }

    for (i = 0; i < r.nmatches; i++) {
        if (r.matches[i].end - r.matches[i].start
            != before[i].end - before[i].start
            || memcmp(out + r.matches[i].start, body + before[i].start,
                      before[i].end - before[i].start) != 0)
        {
            abort();
        }
    }

    free(before);

    if (azoai_json_walk(out, out_len, NULL, NULL, &st) != AZOAI_JSON_OK
        || azoai_body_inspect(NULL, out, out_len, a, &r2) != AZOAI_OK
        || r2.error != AZOAI_BODY_OK
        || r2.store != AZOAI_BODY_STORE_FALSE)
    {
        abort();
    }

    azoai_decision_init(&d);
    azoai_store_judge(AZOAI_STORE_DENY, responses, &r2, &d);

    if (d.reason != AZOAI_ALLOW) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    test_arena_t                 arena = { 0 };
    azoai_alloc_t                a;
    static azoai_pii_engine_t   *engine;

    if (size == 0) {
        return 0;
    }

    if (engine == NULL) {
        engine = fuzz_store_engine();
    }

    a = test_arena_allocator(&arena);

    fuzz_store_check(NULL, data[0] & 1, data + 1, size - 1, &a);
    fuzz_store_check(engine, data[0] & 1, data + 1, size - 1, &a);

    test_arena_free(&arena);

    return 0;
}
