/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Token budget windows: the arithmetic of one key's counts, with no
 * locking and no clock of its own (the caller passes the time in
 * milliseconds since the Unix epoch and holds the zone's lock).
 *
 * Per minute, a sliding window made of two buckets: the tokens charged in
 * the current calendar minute (cur) and in the one before (prev).  At a
 * time e milliseconds into the current minute the window holds
 *
 *     used = cur + prev * (60000 - e) / 60000     (rounded up)
 *
 * so a burst at the end of one minute still weighs on the start of the
 * next: no edge lets twice the budget through.  Per day, one bucket per
 * calendar day (UTC), reset at midnight.
 *
 * A request is admitted while used < budget (both windows), and then
 * reserves its estimate; when it ends, the reservation is replaced by
 * what it really cost.  Counts saturate at AZOAI_TLIMIT_MAX.  A clock
 * that goes back never rotates a window back: the counts stay where they
 * are until the clock passes them again.
 */

#ifndef _AZOAI_TLIMIT_H_INCLUDED_
#define _AZOAI_TLIMIT_H_INCLUDED_


#include "azoai_core.h"


/* every count and budget is capped here (about 1.1e12 tokens) */
#define AZOAI_TLIMIT_MAX          ((int64_t) 1 << 40)

#define AZOAI_TLIMIT_MINUTE_MS    60000
#define AZOAI_TLIMIT_DAY_MS       86400000

/* which window denied a request */
#define AZOAI_TLIMIT_ADMITTED     0
#define AZOAI_TLIMIT_MINUTE       1
#define AZOAI_TLIMIT_DAY          2


/*
 * the clock is taken up to here (minute indexes fit 31 bits: the year
 * 6053); later times count as this one
 */
#define AZOAI_TLIMIT_CLOCK_MAX                                               \
    ((int64_t) INT32_MAX * AZOAI_TLIMIT_MINUTE_MS - 1)


/* one key's counts (32 bytes); all zero is a fresh key */
typedef struct {
    int32_t          minute;       /* index of the current minute */
    int32_t          day;          /* index of the current UTC day */
    int64_t          cur;          /* tokens charged in that minute */
    int64_t          prev;         /* in the minute before */
    int64_t          day_used;     /* tokens charged that day */
} azoai_tlimit_t;


/* the budgets of a zone; 0: no budget of that kind */
typedef struct {
    int64_t          per_minute;
    int64_t          per_day;
} azoai_tlimit_conf_t;


/* what an admitted request holds until it ends */
typedef struct {
    int64_t          minute;
    int64_t          day;
    int64_t          reserved;
} azoai_tlimit_resv_t;


/* rotates the windows to now */
void azoai_tlimit_advance(azoai_tlimit_t *w, int64_t now_ms);

/* the sliding-minute count at now (after azoai_tlimit_advance) */
int64_t azoai_tlimit_used_minute(const azoai_tlimit_t *w, int64_t now_ms);

/*
 * Admits (AZOAI_TLIMIT_ADMITTED: estimate reserved into *resv) or denies
 * (AZOAI_TLIMIT_MINUTE or AZOAI_TLIMIT_DAY: *retry_after set to the whole
 * seconds, at least 1, until that window would admit again if nothing
 * else were charged).  *remaining: the budget left in the tighter window
 * after the reservation, never negative.
 */
unsigned azoai_tlimit_admit(azoai_tlimit_t *w,
    const azoai_tlimit_conf_t *conf, int64_t now_ms, int64_t estimate,
    azoai_tlimit_resv_t *resv, int64_t *remaining, int64_t *retry_after);

/*
 * Replaces a reservation by what the request cost (0 releases it all).
 * Tokens given back leave the buckets they were reserved in (if those are
 * still counted); tokens beyond the reservation are charged now.
 */
void azoai_tlimit_settle(azoai_tlimit_t *w, int64_t now_ms,
    const azoai_tlimit_resv_t *resv, int64_t cost);

/*
 * Settling without the lock.  An ended request's settlement is one delta
 * of tokens for one minute (azoai_tlimit_settle_delta): tokens beyond its
 * reservation for the minute it ends in, tokens given back for the minute
 * they were reserved in.  The delta is added to the key's pending word
 * (azoai_tlimit_pending_add, the step of a compare-and-swap loop): 16 bits
 * of that minute's index, 8 bits counting the requests ended, 40 bits of
 * signed tokens.  The key's next admission folds the word into its
 * windows under the lock it takes anyway (azoai_tlimit_pending_fold),
 * with the effect azoai_tlimit_settle would have had: the minute gets the
 * delta while it is still counted (cur or prev), its day gets it if that
 * is the current day.  A word holding another minute's tokens, or full,
 * refuses the add: the caller then settles under the lock.
 */
typedef uint64_t  azoai_tlimit_pending_t;

#define AZOAI_TLIMIT_PENDING_VALUE_BITS  40
#define AZOAI_TLIMIT_PENDING_TAG_BITS    16
#define AZOAI_TLIMIT_PENDING_TAG_MASK    0xffff
#define AZOAI_TLIMIT_PENDING_ENDED_MAX   0xff

/* a pending sum stays strictly within +/- this */
#define AZOAI_TLIMIT_PENDING_LIMIT       ((int64_t) 1 << 38)

/* the delta (*minute: its minute index) that settles a reservation */
int64_t azoai_tlimit_settle_delta(const azoai_tlimit_resv_t *resv,
    int64_t now_ms, int64_t cost, int64_t *minute);

/* 0: *out is word plus the delta and one ended request; -1: refused */
int azoai_tlimit_pending_add(azoai_tlimit_pending_t word, int64_t minute,
    int64_t delta, azoai_tlimit_pending_t *out);

/* folds a word taken from a key (rotating to now); returns its ended */
unsigned azoai_tlimit_pending_fold(azoai_tlimit_t *w, int64_t now_ms,
    azoai_tlimit_pending_t word);

/* the signed tokens a word holds */
int64_t azoai_tlimit_pending_value(azoai_tlimit_pending_t word);

/* the requests a word counts as ended */

static inline unsigned
azoai_tlimit_pending_ended(azoai_tlimit_pending_t word)
{
    return (unsigned) (word >> (AZOAI_TLIMIT_PENDING_VALUE_BITS
                                + AZOAI_TLIMIT_PENDING_TAG_BITS));
}


/* the budget left in the tighter window, never negative */
int64_t azoai_tlimit_remaining(const azoai_tlimit_t *w,
    const azoai_tlimit_conf_t *conf, int64_t now_ms);

/* a time in milliseconds as the windows take it */

static inline int64_t
azoai_tlimit_clock(int64_t now_ms)
{
    if (now_ms < 0) {
        return 0;
    }

    return now_ms > AZOAI_TLIMIT_CLOCK_MAX ? AZOAI_TLIMIT_CLOCK_MAX : now_ms;
}


/* a + b capped to [0, AZOAI_TLIMIT_MAX]; any int64_t values */

static inline int64_t
azoai_tlimit_add(int64_t a, int64_t b)
{
    int64_t  s;

    if (a > AZOAI_TLIMIT_MAX) {
        a = AZOAI_TLIMIT_MAX;

    } else if (a < -AZOAI_TLIMIT_MAX) {
        a = -AZOAI_TLIMIT_MAX;
    }

    if (b > AZOAI_TLIMIT_MAX) {
        b = AZOAI_TLIMIT_MAX;

    } else if (b < -AZOAI_TLIMIT_MAX) {
        b = -AZOAI_TLIMIT_MAX;
    }

    s = a + b;

    if (s < 0) {
        return 0;
    }

    return s > AZOAI_TLIMIT_MAX ? AZOAI_TLIMIT_MAX : s;
}


#endif /* _AZOAI_TLIMIT_H_INCLUDED_ */
