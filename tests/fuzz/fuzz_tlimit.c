/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target for token budgets.  Input: the first byte picks the
 * split; the bytes before it are a request body for the estimate, the
 * bytes after it a program of window operations (admit, settle, clock
 * jumps forward and back).  After every step: counts stay within
 * [0, AZOAI_TLIMIT_MAX], remaining is never negative, a denial names a
 * wait of 1 s to a day, and the sliding minute never exceeds the two
 * buckets; else abort().  Settlements go through the pending word (folded
 * at the next admission) or under the lock, as the program says.  The
 * body bytes are also an event stream for the completion estimate: split
 * in two, it must count what it counts whole, and no more than its size.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "azoai_estimate.h"
#include "azoai_tlimit.h"


#define FUZZ_TLIMIT_RESV  8


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_tlimit_check(const azoai_tlimit_t *w, int64_t now);
static int64_t fuzz_tlimit_num(const uint8_t **p, const uint8_t *end);


/* long: one interpreter of the program's operations */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                   split;
    int64_t                  now, remaining, retry, n, minute, delta;
    unsigned                 rc, nresv;
    const uint8_t           *p, *end;
    azoai_tlimit_t           w;
    azoai_estimate_t         e;
    azoai_tlimit_conf_t      conf;
    azoai_tlimit_resv_t      resv[FUZZ_TLIMIT_RESV];
    azoai_tlimit_pending_t   word, next;
    azoai_estimate_stream_t  whole, parts;

    if (size < 1) {
        return 0;
    }

    split = data[0] < size ? data[0] : size - 1;

    azoai_estimate_body(data + 1, split, &e);

    if (e.prompt < 0 || e.max_output < 0 || e.total < e.prompt
        || e.total > AZOAI_TLIMIT_MAX || e.max_output > AZOAI_TLIMIT_MAX)
    {
        abort();
    }

    azoai_estimate_stream_init(&whole);
    azoai_estimate_stream_feed(&whole, data + 1, split);
    azoai_estimate_stream_init(&parts);
    azoai_estimate_stream_feed(&parts, data + 1, split / 2);
    azoai_estimate_stream_feed(&parts, data + 1 + split / 2,
                               split - split / 2);

    if (whole.text_bytes != parts.text_bytes
        || whole.text_bytes > (int64_t) split)
    {
        abort();
    }

    p = data + 1 + split;
    word = 0;
    end = data + size;

    memset(&w, 0, sizeof(w));
    conf.per_minute = fuzz_tlimit_num(&p, end);
    conf.per_day = fuzz_tlimit_num(&p, end);
    now = (int64_t) 1796083200000 + fuzz_tlimit_num(&p, end);
    nresv = 0;

    while (p < end) {
        switch (*p++ % 5) {

        case 0:
            (void) azoai_tlimit_pending_fold(&w, now, word);
            word = 0;
            rc = azoai_tlimit_admit(&w, &conf, now,
                                    fuzz_tlimit_num(&p, end) ^ e.total,
                                    &resv[nresv % FUZZ_TLIMIT_RESV],
                                    &remaining, &retry);

            if (remaining < 0
                || (rc != AZOAI_TLIMIT_ADMITTED
                    && (retry < 1 || retry > AZOAI_TLIMIT_DAY_MS / 1000)))
            {
                abort();
            }

            if (rc == AZOAI_TLIMIT_ADMITTED) {
                nresv++;
            }

            break;

        case 1:
            if (nresv) {
                nresv--;
                azoai_tlimit_settle(&w, now,
                                    &resv[nresv % FUZZ_TLIMIT_RESV],
                                    fuzz_tlimit_num(&p, end));
            }

            break;

        case 2:
            now += fuzz_tlimit_num(&p, end);
            break;

        case 3:
            if (nresv) {
                nresv--;
                delta = azoai_tlimit_settle_delta(
                            &resv[nresv % FUZZ_TLIMIT_RESV], now,
                            fuzz_tlimit_num(&p, end), &minute);

                if (azoai_tlimit_pending_add(word, minute, delta, &next)
                    == 0)
                {
                    word = next;

                } else {
                    (void) azoai_tlimit_pending_fold(&w, now, word);
                    word = 0;
                    azoai_tlimit_settle(&w, now,
                                        &resv[nresv % FUZZ_TLIMIT_RESV],
                                        delta
                                        + resv[nresv % FUZZ_TLIMIT_RESV]
                                          .reserved);
                }
            }

            break;

        default:
            n = fuzz_tlimit_num(&p, end);
            now -= n % AZOAI_TLIMIT_DAY_MS;
            break;
        }

        fuzz_tlimit_check(&w, now);
    }

    return 0;
}


static void
fuzz_tlimit_check(const azoai_tlimit_t *w, int64_t now)
{
    int64_t  used;

    if (w->cur < 0 || w->cur > AZOAI_TLIMIT_MAX
        || w->prev < 0 || w->prev > AZOAI_TLIMIT_MAX
        || w->day_used < 0 || w->day_used > AZOAI_TLIMIT_MAX)
    {
        abort();
    }

    used = azoai_tlimit_used_minute(w, now);

    if (used < w->cur && w->cur < AZOAI_TLIMIT_MAX) {
        abort();
    }

    if (used > azoai_tlimit_add(w->cur, w->prev)) {
        abort();
    }
}


/* a varint of up to 6 bytes: 0 .. 2^42 */

static int64_t
fuzz_tlimit_num(const uint8_t **p, const uint8_t *end)
{
    int      i;
    int64_t  n;

    n = 0;

    for (i = 0; i < 6 && *p < end; i++) {
        n |= (int64_t) (**p & 0x7f) << (7 * i);

        if ((*(*p)++ & 0x80) == 0) {
            break;
        }
    }

    return n;
}
