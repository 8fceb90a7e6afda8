/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Token budgets in shared memory, as azoai_token_limit_zone declares them
 * (ngx_http_azoai_tlimit_conf.c) and requests spend them
 * (ngx_http_azoai_tlimit.c).
 *
 * The zone is one table of 64-byte slots in buckets of
 * NGX_HTTP_AZOAI_TLIMIT_WAYS: a key (up to 15 bytes as it is, a longer
 * one as its MD5) may sit in either of two buckets that its hash names,
 * and takes a free slot in the emptier one.  No allocation per key, no
 * tree to rebalance: a 1 MB zone holds about 15,900 keys, and a lookup
 * reads two buckets.  When both buckets are full, the least recently used
 * key of the two that no request holds is evicted.
 */

#ifndef _NGX_HTTP_AZOAI_TLIMIT_H_INCLUDED_
#define _NGX_HTTP_AZOAI_TLIMIT_H_INCLUDED_


#include "ngx_http_azoai_module.h"

#include "azoai_tlimit.h"


#define NGX_HTTP_AZOAI_TLIMIT_DIGEST   16
#define NGX_HTTP_AZOAI_TLIMIT_WAYS     8


/*
 * One key (64 bytes on 64-bit systems); used_at 0: a free slot.  The
 * requests held on it are inflight less the ended ones its pending word
 * counts (azoai_tlimit.h): a request ends without the lock.
 */
typedef struct {
    u_char                          digest[NGX_HTTP_AZOAI_TLIMIT_DIGEST];
    uint32_t                        used_at;  /* seconds, for LRU */
    uint32_t                        inflight; /* admitted: under the lock */
    azoai_tlimit_t                  window;
    ngx_atomic_t                    pending;  /* settled, not yet folded */
} ngx_http_azoai_tlimit_slot_t;


/* the zone's shared part: survives reloads while the size is the same */
typedef struct {
    ngx_http_azoai_tlimit_slot_t   *slots;
    ngx_uint_t                      nbuckets;

    /* metrics; written under the lock, read without it */
    ngx_atomic_t                    admitted;
    ngx_atomic_t                    ended;    /* admitted, then charged */
    ngx_atomic_t                    limited;
    ngx_atomic_t                    locked_settles; /* pending refused */
    ngx_atomic_t                    estimated; /* no usage: text counted */
    ngx_atomic_t                    tokens;
    ngx_atomic_t                    evicted;
    ngx_atomic_t                    keys;

    /* evictions not yet told in the error log, and when it last was */
    ngx_uint_t                      evicted_untold;
    time_t                          evicted_told;
} ngx_http_azoai_tlimit_sh_t;


/* the zone as one configuration cycle sees it (shm_zone->data) */
typedef struct {
    ngx_http_azoai_tlimit_sh_t     *sh;
    ngx_slab_pool_t                *shpool;
    ngx_http_complex_value_t        key;
    azoai_tlimit_conf_t             budget;
    ngx_str_t                       name;
} ngx_http_azoai_tlimit_zone_t;


#endif /* _NGX_HTTP_AZOAI_TLIMIT_H_INCLUDED_ */
