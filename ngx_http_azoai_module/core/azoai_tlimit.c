/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Token budget windows: a sliding minute of two buckets and a UTC day.
 */

#include "azoai_tlimit.h"


#define AZOAI_TLIMIT_SECOND_MS    1000


static int64_t azoai_tlimit_retry_minute(const azoai_tlimit_t *w,
    int64_t budget, int64_t now_ms);
static int64_t azoai_tlimit_ms_to_s(int64_t ms);


void
azoai_tlimit_advance(azoai_tlimit_t *w, int64_t now_ms)
{
    int64_t  minute, day;

    now_ms = azoai_tlimit_clock(now_ms);

    minute = now_ms / AZOAI_TLIMIT_MINUTE_MS;
    day = now_ms / AZOAI_TLIMIT_DAY_MS;

    if (minute == (int64_t) w->minute + 1) {
        w->prev = w->cur;
        w->cur = 0;
        w->minute = (int32_t) minute;

    } else if (minute > w->minute) {
        w->prev = 0;
        w->cur = 0;
        w->minute = (int32_t) minute;
    }

    if (day > w->day) {
        w->day_used = 0;
        w->day = (int32_t) day;
    }
}


int64_t
azoai_tlimit_used_minute(const azoai_tlimit_t *w, int64_t now_ms)
{
    int64_t  elapsed, left;

    elapsed = azoai_tlimit_clock(now_ms)
              - (int64_t) w->minute * AZOAI_TLIMIT_MINUTE_MS;

    if (elapsed < 0) {
        elapsed = 0;                  /* the clock went back */

    } else if (elapsed > AZOAI_TLIMIT_MINUTE_MS) {
        elapsed = AZOAI_TLIMIT_MINUTE_MS;
    }

    left = AZOAI_TLIMIT_MINUTE_MS - elapsed;

    /* prev <= 2^40, left <= 60000 < 2^16: the product fits */

    return azoai_tlimit_add(w->cur, (w->prev * left
                                     + AZOAI_TLIMIT_MINUTE_MS - 1)
                                    / AZOAI_TLIMIT_MINUTE_MS);
}


int64_t
azoai_tlimit_remaining(const azoai_tlimit_t *w,
    const azoai_tlimit_conf_t *conf, int64_t now_ms)
{
    int64_t  left, day_left;

    left = AZOAI_TLIMIT_MAX;

    if (conf->per_minute) {
        left = conf->per_minute - azoai_tlimit_used_minute(w, now_ms);
    }

    if (conf->per_day) {
        day_left = conf->per_day - w->day_used;

        if (day_left < left) {
            left = day_left;
        }
    }

    return left < 0 ? 0 : left;
}


unsigned
azoai_tlimit_admit(azoai_tlimit_t *w, const azoai_tlimit_conf_t *conf,
    int64_t now_ms, int64_t estimate, azoai_tlimit_resv_t *resv,
    int64_t *remaining, int64_t *retry_after)
{
    int64_t  used, next_day;

    azoai_tlimit_advance(w, now_ms);

    now_ms = azoai_tlimit_clock(now_ms);
    *remaining = 0;
    *retry_after = 0;

    if (conf->per_day && w->day_used >= conf->per_day) {
        next_day = ((int64_t) w->day + 1) * AZOAI_TLIMIT_DAY_MS;
        *retry_after = azoai_tlimit_ms_to_s(next_day - now_ms);
        return AZOAI_TLIMIT_DAY;
    }

    if (conf->per_minute) {
        used = azoai_tlimit_used_minute(w, now_ms);

        if (used >= conf->per_minute) {
            *retry_after = azoai_tlimit_retry_minute(w, conf->per_minute,
                                                     now_ms);
            return AZOAI_TLIMIT_MINUTE;
        }
    }

    if (estimate < 0) {
        estimate = 0;
    }

    estimate = azoai_tlimit_add(estimate, 0);

    w->cur = azoai_tlimit_add(w->cur, estimate);
    w->day_used = azoai_tlimit_add(w->day_used, estimate);

    resv->minute = w->minute;
    resv->day = w->day;
    resv->reserved = estimate;

    *remaining = azoai_tlimit_remaining(w, conf, now_ms);

    return AZOAI_TLIMIT_ADMITTED;
}


/*
 * When the sliding minute falls below budget if nothing more is charged:
 * first prev's share decays over the rest of this minute; if cur alone
 * fills the budget, cur must decay as prev of the next minute.
 */

static int64_t
azoai_tlimit_retry_minute(const azoai_tlimit_t *w, int64_t budget,
    int64_t now_ms)
{
    int64_t  elapsed, at;

    elapsed = azoai_tlimit_clock(now_ms)
              - (int64_t) w->minute * AZOAI_TLIMIT_MINUTE_MS;

    if (elapsed < 0) {
        elapsed = 0;
    }

    if (w->cur < budget) {
        /* prev * (60000 - at) / 60000 < budget - cur */
        at = AZOAI_TLIMIT_MINUTE_MS
             - (budget - w->cur) * AZOAI_TLIMIT_MINUTE_MS / w->prev;

    } else {
        /* in the next minute: cur * (60000 - at') / 60000 < budget */
        at = 2 * AZOAI_TLIMIT_MINUTE_MS
             - budget * AZOAI_TLIMIT_MINUTE_MS / w->cur;
    }

    return azoai_tlimit_ms_to_s(at + 1 - elapsed);
}


static int64_t
azoai_tlimit_ms_to_s(int64_t ms)
{
    int64_t  s;

    s = (ms + AZOAI_TLIMIT_SECOND_MS - 1) / AZOAI_TLIMIT_SECOND_MS;

    if (s < 1) {
        return 1;
    }

    if (s > AZOAI_TLIMIT_DAY_MS / AZOAI_TLIMIT_SECOND_MS) {
        return AZOAI_TLIMIT_DAY_MS / AZOAI_TLIMIT_SECOND_MS;
    }

    return s;
}


void
azoai_tlimit_settle(azoai_tlimit_t *w, int64_t now_ms,
    const azoai_tlimit_resv_t *resv, int64_t cost)
{
    int64_t  delta;

    azoai_tlimit_advance(w, now_ms);

    cost = azoai_tlimit_add(cost, 0);
    delta = cost - resv->reserved;

    if (delta > 0) {
        w->cur = azoai_tlimit_add(w->cur, delta);
        w->day_used = azoai_tlimit_add(w->day_used, delta);
        return;
    }

    if (resv->minute == w->minute) {
        w->cur = azoai_tlimit_add(w->cur, delta);

    } else if (resv->minute + 1 == (int64_t) w->minute) {
        w->prev = azoai_tlimit_add(w->prev, delta);
    }

    if (resv->day == w->day) {
        w->day_used = azoai_tlimit_add(w->day_used, delta);
    }
}


int64_t
azoai_tlimit_settle_delta(const azoai_tlimit_resv_t *resv, int64_t now_ms,
    int64_t cost, int64_t *minute)
{
    int64_t  delta;

    delta = azoai_tlimit_add(cost, 0) - resv->reserved;

    /* more than reserved: charged now; less: given back where reserved */

    if (delta > 0) {
        *minute = azoai_tlimit_clock(now_ms) / AZOAI_TLIMIT_MINUTE_MS;

    } else {
        *minute = resv->minute;
    }

    return delta;
}


int64_t
azoai_tlimit_pending_value(azoai_tlimit_pending_t word)
{
    uint64_t  v;

    v = word & (((uint64_t) 1 << AZOAI_TLIMIT_PENDING_VALUE_BITS) - 1);

    /* sign-extend 40 bits */

    if (v & ((uint64_t) 1 << (AZOAI_TLIMIT_PENDING_VALUE_BITS - 1))) {
        return (int64_t) v - ((int64_t) 1 << AZOAI_TLIMIT_PENDING_VALUE_BITS);
    }

    return (int64_t) v;
}


int
azoai_tlimit_pending_add(azoai_tlimit_pending_t word, int64_t minute,
    int64_t delta, azoai_tlimit_pending_t *out)
{
    int64_t   value;
    uint64_t  tag, ended;

    tag = (uint64_t) minute & AZOAI_TLIMIT_PENDING_TAG_MASK;
    ended = azoai_tlimit_pending_ended(word);
    value = azoai_tlimit_pending_value(word);

    if (ended >= AZOAI_TLIMIT_PENDING_ENDED_MAX) {
        return -1;
    }

    if (value != 0
        && ((word >> AZOAI_TLIMIT_PENDING_VALUE_BITS)
            & AZOAI_TLIMIT_PENDING_TAG_MASK) != tag)
    {
        return -1;                     /* another minute's tokens */
    }

    if (delta <= -AZOAI_TLIMIT_PENDING_LIMIT
        || delta >= AZOAI_TLIMIT_PENDING_LIMIT)
    {
        return -1;
    }

    value += delta;

    if (value <= -AZOAI_TLIMIT_PENDING_LIMIT
        || value >= AZOAI_TLIMIT_PENDING_LIMIT)
    {
        return -1;
    }

    *out = ((ended + 1) << (AZOAI_TLIMIT_PENDING_VALUE_BITS
                            + AZOAI_TLIMIT_PENDING_TAG_BITS))
           | (tag << AZOAI_TLIMIT_PENDING_VALUE_BITS)
           | ((uint64_t) value
              & (((uint64_t) 1 << AZOAI_TLIMIT_PENDING_VALUE_BITS) - 1));

    return 0;
}


unsigned
azoai_tlimit_pending_fold(azoai_tlimit_t *w, int64_t now_ms,
    azoai_tlimit_pending_t word)
{
    int64_t   value, minute;
    uint64_t  tag, back;

    azoai_tlimit_advance(w, now_ms);

    value = azoai_tlimit_pending_value(word);

    if (value == 0) {
        return azoai_tlimit_pending_ended(word);
    }

    tag = (word >> AZOAI_TLIMIT_PENDING_VALUE_BITS)
          & AZOAI_TLIMIT_PENDING_TAG_MASK;

    /*
     * minutes before the current one; a minute ahead (another worker's
     * clock) counts as the current one
     */

    back = ((uint64_t) w->minute - tag) & AZOAI_TLIMIT_PENDING_TAG_MASK;

    if (back == AZOAI_TLIMIT_PENDING_TAG_MASK) {
        back = 0;
    }

    if (back == 0) {
        w->cur = azoai_tlimit_add(w->cur, value);

    } else if (back == 1) {
        w->prev = azoai_tlimit_add(w->prev, value);
    }

    minute = (int64_t) w->minute - (int64_t) back;

    if (minute * AZOAI_TLIMIT_MINUTE_MS / AZOAI_TLIMIT_DAY_MS == w->day) {
        w->day_used = azoai_tlimit_add(w->day_used, value);
    }

    return azoai_tlimit_pending_ended(word);
}
