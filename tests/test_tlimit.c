/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of token budget windows (azoai_tlimit.c) and the token
 * estimate of a request body (azoai_estimate.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "azoai_tlimit.h"
#include "azoai_estimate.h"


/* 2026-12-01T00:00:00Z: a minute and a day boundary */
#define T0            ((int64_t) 1796083200000)
#define MIN           AZOAI_TLIMIT_MINUTE_MS
#define DAY           AZOAI_TLIMIT_DAY_MS


typedef struct {
    const char      *name;
    const char      *body;
    int64_t          prompt;
    int64_t          max_output;
    unsigned         max_ignored;
    unsigned         invalid;
} test_estimate_case_t;


static void test_admit_until_spent(void **state);
static void test_sliding_edge(void **state);
static void test_retry_after(void **state);
static void test_settle(void **state);
static void test_settle_after_rotation(void **state);
static void test_day(void **state);
static void test_clock_edges(void **state);
static void test_saturation(void **state);
static void test_estimate(void **state);
static unsigned test_admit(azoai_tlimit_t *w, const azoai_tlimit_conf_t *c,
    int64_t now, int64_t estimate, azoai_tlimit_resv_t *resv,
    int64_t *retry);


static unsigned
test_admit(azoai_tlimit_t *w, const azoai_tlimit_conf_t *c, int64_t now,
    int64_t estimate, azoai_tlimit_resv_t *resv, int64_t *retry)
{
    int64_t              remaining, r;
    azoai_tlimit_resv_t  dummy;

    return azoai_tlimit_admit(w, c, now, estimate, resv ? resv : &dummy,
                              &remaining, retry ? retry : &r);
}


static void
test_admit_until_spent(void **state)
{
    int64_t              remaining, retry;
    azoai_tlimit_t       w;
    azoai_tlimit_resv_t  resv;
    azoai_tlimit_conf_t  c = { 100, 0 };

    memset(&w, 0, sizeof(w));

    assert_int_equal(azoai_tlimit_admit(&w, &c, T0 + 1000, 60, &resv,
                                        &remaining, &retry),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(remaining, 40);
    assert_int_equal(resv.reserved, 60);

    /* budget left (40): admitted, even though 60 more overshoot it */
    assert_int_equal(azoai_tlimit_admit(&w, &c, T0 + 2000, 60, &resv,
                                        &remaining, &retry),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(remaining, 0);
    assert_int_equal(w.cur, 120);

    assert_int_equal(azoai_tlimit_admit(&w, &c, T0 + 3000, 1, &resv,
                                        &remaining, &retry),
                     AZOAI_TLIMIT_MINUTE);
    assert_int_equal(w.cur, 120);
    assert_int_equal(remaining, 0);
}


/* a full minute's budget spent at 59.9 s still weighs at 0.1 s */

static void
test_sliding_edge(void **state)
{
    azoai_tlimit_t       w;
    azoai_tlimit_conf_t  c = { 1000, 0 };

    memset(&w, 0, sizeof(w));

    assert_int_equal(test_admit(&w, &c, T0 + MIN - 100, 1000, NULL, NULL),
                     AZOAI_TLIMIT_ADMITTED);

    /* 0.1 s into the next minute, 999 of them still count */
    azoai_tlimit_advance(&w, T0 + MIN + 100);
    assert_int_equal(azoai_tlimit_used_minute(&w, T0 + MIN + 100), 999);
    assert_int_equal(test_admit(&w, &c, T0 + MIN + 100, 1, NULL, NULL),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(test_admit(&w, &c, T0 + MIN + 100, 1, NULL, NULL),
                     AZOAI_TLIMIT_MINUTE);

    /* half way into the next minute, half the budget is free again */
    assert_int_equal(azoai_tlimit_used_minute(&w, T0 + MIN + MIN / 2), 501);
    assert_int_equal(test_admit(&w, &c, T0 + MIN + MIN / 2, 399, NULL,
                                NULL),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(azoai_tlimit_used_minute(&w, T0 + MIN + MIN / 2), 900);

    /* two minutes on, everything is forgotten */
    azoai_tlimit_advance(&w, T0 + 2 * MIN);
    assert_int_equal(azoai_tlimit_used_minute(&w, T0 + 2 * MIN), 400);
    azoai_tlimit_advance(&w, T0 + 3 * MIN);
    assert_int_equal(azoai_tlimit_used_minute(&w, T0 + 3 * MIN), 0);
}


static void
test_retry_after(void **state)
{
    int64_t              retry, at;
    azoai_tlimit_t       w;
    azoai_tlimit_conf_t  c = { 1000, 0 };

    /* cur alone fills the budget: wait for the next minute, then decay */
    memset(&w, 0, sizeof(w));
    assert_int_equal(test_admit(&w, &c, T0 + 10000, 2000, NULL, NULL),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(test_admit(&w, &c, T0 + 10000, 1, NULL, &retry),
                     AZOAI_TLIMIT_MINUTE);
    /* 50 s to the edge, then 2000 * (1 - t/60) < 1000: 30 s more */
    assert_int_equal(retry, 81);

    at = T0 + 10000 + retry * 1000;
    assert_int_equal(test_admit(&w, &c, at - 2000, 1, NULL, NULL),
                     AZOAI_TLIMIT_MINUTE);
    assert_int_equal(test_admit(&w, &c, at, 1, NULL, NULL),
                     AZOAI_TLIMIT_ADMITTED);

    /* prev's share decays within this minute */
    memset(&w, 0, sizeof(w));
    w.minute = T0 / MIN;
    w.prev = 1200;
    w.cur = 400;
    assert_int_equal(test_admit(&w, &c, T0 + 6000, 1, NULL, &retry),
                     AZOAI_TLIMIT_MINUTE);
    /* 1200 * (60 - t) / 60 < 600 from t = 30 s: 24 s after 6 s */
    assert_int_equal(retry, 25);
    assert_int_equal(test_admit(&w, &c, T0 + 6000 + retry * 1000, 1, NULL,
                                NULL),
                     AZOAI_TLIMIT_ADMITTED);
}


static void
test_settle(void **state)
{
    int64_t              remaining, retry;
    azoai_tlimit_t       w;
    azoai_tlimit_resv_t  resv;
    azoai_tlimit_conf_t  c = { 1000, 5000 };

    memset(&w, 0, sizeof(w));

    assert_int_equal(azoai_tlimit_admit(&w, &c, T0, 300, &resv, &remaining,
                                        &retry),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(remaining, 700);

    /* cheaper than reserved: the difference comes back */
    azoai_tlimit_settle(&w, T0 + 1000, &resv, 120);
    assert_int_equal(w.cur, 120);
    assert_int_equal(w.day_used, 120);

    /* dearer: charged on top */
    assert_int_equal(azoai_tlimit_admit(&w, &c, T0, 100, &resv, &remaining,
                                        &retry),
                     AZOAI_TLIMIT_ADMITTED);
    azoai_tlimit_settle(&w, T0 + 1000, &resv, 350);
    assert_int_equal(w.cur, 470);
    assert_int_equal(w.day_used, 470);
    assert_int_equal(azoai_tlimit_remaining(&w, &c, T0 + 1000), 530);

    /* released whole (client gone, upstream error) */
    assert_int_equal(azoai_tlimit_admit(&w, &c, T0, 500, &resv, &remaining,
                                        &retry),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(remaining, 30);
    azoai_tlimit_settle(&w, T0 + 1000, &resv, 0);
    assert_int_equal(w.cur, 470);
}


/* a reservation that outlives its minute gives back to prev, or nothing */

static void
test_settle_after_rotation(void **state)
{
    int64_t              remaining, retry;
    azoai_tlimit_t       w;
    azoai_tlimit_resv_t  resv;
    azoai_tlimit_conf_t  c = { 1000, 0 };

    memset(&w, 0, sizeof(w));

    assert_int_equal(azoai_tlimit_admit(&w, &c, T0 + MIN - 10, 800, &resv,
                                        &remaining, &retry),
                     AZOAI_TLIMIT_ADMITTED);
    azoai_tlimit_settle(&w, T0 + MIN + 10, &resv, 100);
    assert_int_equal(w.prev, 100);
    assert_int_equal(w.cur, 0);

    assert_int_equal(azoai_tlimit_admit(&w, &c, T0 + MIN + 20, 800, &resv,
                                        &remaining, &retry),
                     AZOAI_TLIMIT_ADMITTED);
    azoai_tlimit_settle(&w, T0 + 5 * MIN, &resv, 0);
    assert_int_equal(w.prev, 0);
    assert_int_equal(w.cur, 0);

    /* dearer after rotation: the extra is charged to the current minute */
    assert_int_equal(azoai_tlimit_admit(&w, &c, T0 + 5 * MIN, 10, &resv,
                                        &remaining, &retry),
                     AZOAI_TLIMIT_ADMITTED);
    azoai_tlimit_settle(&w, T0 + 6 * MIN, &resv, 110);
    assert_int_equal(w.prev, 10);
    assert_int_equal(w.cur, 100);
}


static void
test_day(void **state)
{
    int64_t              retry;
    azoai_tlimit_t       w;
    azoai_tlimit_conf_t  c = { 0, 1000 };

    memset(&w, 0, sizeof(w));

    assert_int_equal(test_admit(&w, &c, T0 + 5000, 1000, NULL, NULL),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(test_admit(&w, &c, T0 + DAY - 1500, 1, NULL, &retry),
                     AZOAI_TLIMIT_DAY);
    assert_int_equal(retry, 2);

    /* midnight UTC: a new day */
    assert_int_equal(test_admit(&w, &c, T0 + DAY, 1, NULL, NULL),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(w.day_used, 1);

    /* the day and the minute together: the tighter one denies */
    c.per_minute = 10;
    assert_int_equal(test_admit(&w, &c, T0 + DAY + 1, 20, NULL, NULL),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(test_admit(&w, &c, T0 + DAY + 2, 1, NULL, &retry),
                     AZOAI_TLIMIT_MINUTE);
    assert_int_equal(azoai_tlimit_remaining(&w, &c, T0 + DAY + 2), 0);
}


static void
test_clock_edges(void **state)
{
    azoai_tlimit_t       w;
    azoai_tlimit_conf_t  c = { 100, 0 };

    memset(&w, 0, sizeof(w));

    /* the clock goes back a minute: nothing rotates, nothing is lost */
    assert_int_equal(test_admit(&w, &c, T0 + MIN + 10, 100, NULL, NULL),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(test_admit(&w, &c, T0 + 10, 1, NULL, NULL),
                     AZOAI_TLIMIT_MINUTE);
    assert_int_equal(w.cur, 100);
    assert_int_equal(w.minute, (T0 + MIN) / MIN);

    /* exact boundaries: 59.999 s is this minute, 60.000 s the next */
    memset(&w, 0, sizeof(w));
    azoai_tlimit_advance(&w, T0 + MIN - 1);
    assert_int_equal(w.minute, T0 / MIN);
    azoai_tlimit_advance(&w, T0 + MIN);
    assert_int_equal(w.minute, T0 / MIN + 1);

    /* before the epoch: treated as the epoch */
    memset(&w, 0, sizeof(w));
    assert_int_equal(test_admit(&w, &c, -5, 10, NULL, NULL),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(w.minute, 0);

    /* a jump of years */
    assert_int_equal(test_admit(&w, &c, INT64_MAX / 2, 10, NULL, NULL),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(w.prev, 0);
    assert_int_equal(w.cur, 10);
}


static void
test_saturation(void **state)
{
    int64_t              remaining, retry;
    azoai_tlimit_t       w;
    azoai_tlimit_resv_t  resv;
    azoai_tlimit_conf_t  c = { AZOAI_TLIMIT_MAX, AZOAI_TLIMIT_MAX };

    memset(&w, 0, sizeof(w));

    assert_int_equal(azoai_tlimit_add(INT64_MAX, INT64_MAX),
                     AZOAI_TLIMIT_MAX);
    assert_int_equal(azoai_tlimit_add(5, INT64_MIN), 0);
    assert_int_equal(azoai_tlimit_add(-7, 3), 0);

    assert_int_equal(azoai_tlimit_admit(&w, &c, T0, INT64_MAX, &resv,
                                        &remaining, &retry),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(resv.reserved, AZOAI_TLIMIT_MAX);
    assert_int_equal(w.cur, AZOAI_TLIMIT_MAX);

    azoai_tlimit_settle(&w, T0 + MIN + 1, &resv, INT64_MAX);
    assert_int_equal(w.prev, AZOAI_TLIMIT_MAX);
    assert_true(azoai_tlimit_used_minute(&w, T0 + MIN + 1)
                <= AZOAI_TLIMIT_MAX);
    assert_int_equal(test_admit(&w, &c, T0 + MIN + 2, 1, NULL, &retry),
                     AZOAI_TLIMIT_DAY);

    /* negative costs and estimates count as nothing */
    memset(&w, 0, sizeof(w));
    assert_int_equal(azoai_tlimit_admit(&w, &c, T0, -50, &resv, &remaining,
                                        &retry),
                     AZOAI_TLIMIT_ADMITTED);
    assert_int_equal(resv.reserved, 0);
    azoai_tlimit_settle(&w, T0, &resv, -1000);
    assert_int_equal(w.cur, 0);
}


static const test_estimate_case_t  test_estimates[] = {
    { "chat", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
      "\"content\":\"abcdefgh\"}],\"max_tokens\":50}",
      /* "m" "user" "abcdefgh": 13 bytes */ 4, 50, 0, 0 },
    { "three maxima, the largest",
      "{\"max_tokens\":5,\"max_completion_tokens\":70,"
      "\"max_output_tokens\":9}", 0, 70, 0, 0 },
    { "nested max_tokens is not the request's",
      "{\"x\":{\"max_tokens\":500}}", 0, 0, 0, 0 },
    { "huge", "{\"max_tokens\":1000000000000000000000000000000}",
      0, AZOAI_TLIMIT_MAX, 0, 0 },
    { "negative", "{\"max_tokens\":-5}", 0, 0, 1, 0 },
    { "fraction", "{\"max_tokens\":1.5}", 0, 0, 1, 0 },
    { "exponent", "{\"max_tokens\":1e3}", 0, 0, 1, 0 },
    { "string", "{\"max_tokens\":\"100\"}", 1, 0, 1, 0 },
    { "null", "{\"max_tokens\":null}", 0, 0, 0, 0 },
    { "data URI not counted",
      "{\"u\":\"data:image/png;base64,AAAAAAAAAAAAAAAAAAAA\",\"t\":\"ab\"}",
      1, 0, 0, 0 },
    { "escapes count raw", "{\"t\":\"\\u00e9\\n\"}", 2, 0, 0, 0 },
    { "an escaped quote does not end a string",
      "{\"t\":\"ab\\\"cd\\\"\",\"max_tokens\":3}", 2, 3, 0, 0 },
    { "an escaped backslash before the end",
      "{\"t\":\"abcd\\\\\",\"max_tokens\":3}", 2, 3, 0, 0 },
    { "spaces around the colon", "{\"max_tokens\" : 42 }", 0, 42, 0, 0 },
    { "an array at the top", "[\"abcd\",{\"max_tokens\":4}]", 1, 0, 0, 0 },
    { "an unterminated string", "{\"t\":\"abcd", 0, 0, 0, 1 },
    { "not JSON: whole body", "max_tokens=5&prompt=hello", 7, 0, 0, 1 },
    { "empty", "", 0, 0, 0, 1 },
};


static void
test_estimate(void **state)
{
    size_t                       i;
    azoai_estimate_t             e;
    const test_estimate_case_t  *c;

    for (i = 0; i < sizeof(test_estimates) / sizeof(test_estimates[0]);
         i++)
    {
        c = &test_estimates[i];

        azoai_estimate_body((const u_char *) c->body, strlen(c->body), &e);

        if (e.prompt != c->prompt || e.max_output != c->max_output
            || e.max_ignored != c->max_ignored || e.invalid != c->invalid)
        {
            fail_msg("%s: prompt %lld max %lld ignored %u invalid %u",
                     c->name, (long long) e.prompt,
                     (long long) e.max_output, e.max_ignored, e.invalid);
        }

        assert_int_equal(e.total,
                         azoai_tlimit_add(c->prompt, c->max_output));
    }
}


/* a pseudo-random sequence that every run repeats */

static uint32_t
test_next(uint32_t *seed)
{
    *seed = *seed * 1103515245 + 12345;

    return *seed >> 8;
}


/*
 * Settling through the pending word, folded at the next admission, ends
 * in the very windows that settling under the lock gives: admissions and
 * settlements at random times over days, some across minute edges.
 */

static void
test_pending_matches_locked(void **state)
{
    int64_t                 now, remaining, retry, minute, delta, cost;
    uint32_t                seed;
    unsigned                i, k, n, a, b, refused;
    azoai_tlimit_t          wl, wp;
    azoai_tlimit_resv_t     rl[64], rp[64];
    azoai_tlimit_conf_t     c = { 5000, 200000 };
    azoai_tlimit_pending_t  word, next;

    memset(&wl, 0, sizeof(wl));
    memset(&wp, 0, sizeof(wp));
    word = 0;
    n = 0;
    refused = 0;
    seed = 7;
    now = T0 - 3 * MIN;

    for (i = 0; i < 50000; i++) {
        now += test_next(&seed) % 9000;

        if (n < 64 && (n == 0 || test_next(&seed) % 2)) {
            (void) azoai_tlimit_pending_fold(&wp, now, word);
            word = 0;
            azoai_tlimit_advance(&wl, now);
            assert_memory_equal(&wl, &wp, sizeof(wl));

            cost = test_next(&seed) % 700;
            a = azoai_tlimit_admit(&wl, &c, now, cost, &rl[n], &remaining,
                                   &retry);
            b = azoai_tlimit_admit(&wp, &c, now, cost, &rp[n], &remaining,
                                   &retry);
            assert_int_equal(a, b);
            n += (a == AZOAI_TLIMIT_ADMITTED);
            continue;
        }

        k = test_next(&seed) % n;
        cost = test_next(&seed) % 1000;

        azoai_tlimit_settle(&wl, now, &rl[k], cost);

        delta = azoai_tlimit_settle_delta(&rp[k], now, cost, &minute);

        if (azoai_tlimit_pending_add(word, minute, delta, &next) == 0) {
            word = next;

        } else {
            refused++;
            (void) azoai_tlimit_pending_fold(&wp, now, word);
            word = 0;
            azoai_tlimit_settle(&wp, now, &rp[k], cost);
        }

        n--;
        rl[k] = rl[n];
        rp[k] = rp[n];
    }

    /* the other minute's tokens were met, and settled under the lock */
    assert_true(refused > 0);
    assert_true(refused < 5000);
}


static void
test_pending_word(void **state)
{
    unsigned                ended;
    azoai_tlimit_t          w;
    azoai_tlimit_pending_t  word, next;

    /* sign, tag, count */
    assert_int_equal(azoai_tlimit_pending_add(0, 70000, -5, &word), 0);
    assert_int_equal(azoai_tlimit_pending_value(word), -5);
    assert_int_equal(azoai_tlimit_pending_ended(word), 1);
    assert_int_equal(azoai_tlimit_pending_add(word, 70000, 9, &word), 0);
    assert_int_equal(azoai_tlimit_pending_value(word), 4);
    assert_int_equal(azoai_tlimit_pending_ended(word), 2);

    /* another minute's tokens: refused */
    assert_int_equal(azoai_tlimit_pending_add(word, 70001, 1, &next), -1);

    /* a word at zero takes any minute */
    assert_int_equal(azoai_tlimit_pending_add(word, 70000, -4, &word), 0);
    assert_int_equal(azoai_tlimit_pending_add(word, 70001, 1, &word), 0);
    assert_int_equal(azoai_tlimit_pending_ended(word), 4);

    /* sums kept inside 2^38, counts inside 255 */
    assert_int_equal(azoai_tlimit_pending_add(0, 1,
                         AZOAI_TLIMIT_PENDING_LIMIT, &next), -1);
    assert_int_equal(azoai_tlimit_pending_add(0, 1,
                         AZOAI_TLIMIT_PENDING_LIMIT - 1, &word), 0);
    assert_int_equal(azoai_tlimit_pending_add(word, 1, 1, &next), -1);
    assert_int_equal(azoai_tlimit_pending_add(word, 1,
                         -(AZOAI_TLIMIT_PENDING_LIMIT - 1), &word), 0);
    assert_int_equal(azoai_tlimit_pending_add(word, 1,
                         -(AZOAI_TLIMIT_PENDING_LIMIT - 1), &word), 0);
    assert_int_equal(azoai_tlimit_pending_value(word),
                     -(AZOAI_TLIMIT_PENDING_LIMIT - 1));

    word = 0;

    for (ended = 0; ended < AZOAI_TLIMIT_PENDING_ENDED_MAX; ended++) {
        assert_int_equal(azoai_tlimit_pending_add(word, 1, 0, &word), 0);
    }

    assert_int_equal(azoai_tlimit_pending_add(word, 1, 0, &next), -1);

    /* folded: this minute, the one before, older (the day only) */
    memset(&w, 0, sizeof(w));
    azoai_tlimit_advance(&w, T0 + 2 * MIN);
    w.cur = 100;
    w.prev = 100;
    w.day_used = 1000;

    assert_int_equal(azoai_tlimit_pending_add(0, T0 / MIN + 2, 7, &word), 0);
    assert_int_equal(azoai_tlimit_pending_fold(&w, T0 + 2 * MIN, word), 1);
    assert_int_equal(w.cur, 107);
    assert_int_equal(w.day_used, 1007);

    assert_int_equal(azoai_tlimit_pending_add(0, T0 / MIN + 1, -7, &word), 0);
    (void) azoai_tlimit_pending_fold(&w, T0 + 2 * MIN, word);
    assert_int_equal(w.prev, 93);
    assert_int_equal(w.day_used, 1000);

    assert_int_equal(azoai_tlimit_pending_add(0, T0 / MIN, -50, &word), 0);
    (void) azoai_tlimit_pending_fold(&w, T0 + 2 * MIN, word);
    assert_int_equal(w.cur, 107);
    assert_int_equal(w.prev, 93);
    assert_int_equal(w.day_used, 950);

    /* a minute ahead (another worker's clock): this minute */
    assert_int_equal(azoai_tlimit_pending_add(0, T0 / MIN + 3, 3, &word), 0);
    (void) azoai_tlimit_pending_fold(&w, T0 + 2 * MIN, word);
    assert_int_equal(w.cur, 110);

    /* given back for yesterday: today's count stays */
    memset(&w, 0, sizeof(w));
    azoai_tlimit_advance(&w, (T0 / DAY + 1) * DAY + 10);
    w.cur = 40;
    w.day_used = 40;
    assert_int_equal(azoai_tlimit_pending_add(0,
                         (T0 / DAY + 1) * DAY / MIN - 1, -30, &word), 0);
    (void) azoai_tlimit_pending_fold(&w, (T0 / DAY + 1) * DAY + 10, word);
    assert_int_equal(w.day_used, 40);
    assert_int_equal(w.prev, 0);
}


/* the completion text of event streams without usage */

typedef struct {
    const char  *name;
    const char  *stream;
    int64_t      text_bytes;
} test_stream_case_t;


static const test_stream_case_t  test_streams[] = {
    { "chat",
      "data: {\"id\":\"c1\",\"choices\":[],\"prompt_filter_results\":[{"
      "\"prompt_index\":0,\"content_filter_results\":{\"hate\":{"
      "\"filtered\":false,\"severity\":\"safe\"}}}]}\n\n"
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
      "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
      "\"content\":\"Hello\"}}]}\r\n\r\n"
      "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{"
      "\"content\":\" wo\\\"rld\"},\"finish_reason\":null}]}\n\n"
      "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{"
      "\"content\":null},\"finish_reason\":\"stop\"}]}\n\n"
      "data: [DONE]\n\n", 13 },
    { "chat tool call",
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
      "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":"
      "\"get\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
      "\"function\":{\"arguments\":\"1}\"}}]}}]}\n\n", 9 },
    { "responses",
      "event: response.created\n"
      "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r\","
      "\"instructions\":\"be brief\",\"text\":{\"format\":{\"type\":"
      "\"text\"}},\"output\":[]}}\n\n"
      "event: response.output_text.delta\n"
      "data: {\"type\":\"response.output_text.delta\",\"item_id\":\"m\","
      "\"output_index\":0,\"content_index\":0,\"delta\":\"Hi \"}\n\n"
      "data: {\"type\":\"response.output_text.delta\",\"delta\":\"there\"}"
      "\n\n"
      "data: {\"type\":\"response.output_text.done\",\"text\":"
      "\"Hi there\"}\n\n"
      "data: {\"type\":\"response.content_part.done\",\"part\":{\"type\":"
      "\"output_text\",\"text\":\"Hi there\"}}\n\n", 8 },
    { "completions",
      "data: {\"id\":\"x\",\"choices\":[{\"text\":\"abcd\",\"index\":0}]}"
      "\n\ndata: {\"choices\":[{\"text\":\"ef\"}]}\n\ndata: [DONE]\n\n", 6 },
    { "nothing",
      "data: {\"id\":\"content\",\"model\":\"text\"}\n\n: comment \"x\"\n\n",
      0 },
    /* CR line ends; a document cut by its line end does not run on */
    { "CR, cut document",
      "data: {\"choices\":[{\"delta\":{\"content\":\"ab\r\r"
      "data: {\"choices\":[{\"delta\":{\"content\":\"cd\"}}]}\r\r"
      "data: [DONE]\r\r", 4 },
    /* a quote in a comment or another field is not a string */
    { "comment quote",
      ": comment \"x\n\nevent: \"y\ndata: {\"choices\":[{\"text\":\"ef\"}]}"
      "\r\n\r\n", 2 },
};


static void
test_stream_estimate(void **state)
{
    size_t                     i, j, len;
    azoai_estimate_stream_t    s;
    const test_stream_case_t  *c;

    for (i = 0; i < sizeof(test_streams) / sizeof(test_streams[0]); i++) {
        c = &test_streams[i];
        len = strlen(c->stream);

        /* whole, then split at every byte, then byte by byte */

        azoai_estimate_stream_init(&s);
        azoai_estimate_stream_feed(&s, (const u_char *) c->stream, len);

        if (s.text_bytes != c->text_bytes) {
            fail_msg("%s: %lld bytes", c->name, (long long) s.text_bytes);
        }

        for (j = 0; j <= len; j++) {
            azoai_estimate_stream_init(&s);
            azoai_estimate_stream_feed(&s, (const u_char *) c->stream, j);
            azoai_estimate_stream_feed(&s, (const u_char *) c->stream + j,
                                       len - j);

            if (s.text_bytes != c->text_bytes) {
                fail_msg("%s split at %zu: %lld bytes", c->name, j,
                         (long long) s.text_bytes);
            }
        }

        azoai_estimate_stream_init(&s);

        for (j = 0; j < len; j++) {
            azoai_estimate_stream_feed(&s, (const u_char *) c->stream + j, 1);
        }

        assert_int_equal(s.text_bytes, c->text_bytes);
        assert_int_equal(azoai_estimate_stream_tokens(&s),
                         (c->text_bytes + 3) / 4);
    }

    /* nesting deeper than followed: nothing counted there, no harm */
    azoai_estimate_stream_init(&s);
    azoai_estimate_stream_feed(&s, (const u_char *) "data: ", 6);

    for (j = 0; j < 100; j++) {
        azoai_estimate_stream_feed(&s, (const u_char *) "{\"a\":[", 6);
    }

    azoai_estimate_stream_feed(&s, (const u_char *) "{\"text\":\"xy\"}", 13);
    assert_int_equal(s.text_bytes, 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_admit_until_spent),
        cmocka_unit_test(test_sliding_edge),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_settle),
        cmocka_unit_test(test_settle_after_rotation),
        cmocka_unit_test(test_day),
        cmocka_unit_test(test_clock_edges),
        cmocka_unit_test(test_saturation),
        cmocka_unit_test(test_estimate),
        cmocka_unit_test(test_stream_estimate),
        cmocka_unit_test(test_pending_word),
        cmocka_unit_test(test_pending_matches_locked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
