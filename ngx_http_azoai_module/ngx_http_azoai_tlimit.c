/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Token budgets per request: the estimate when the body is judged, one
 * lock per zone to admit (and reserve) when the decision is applied, and
 * no lock to settle when the request ends (the request pool's cleanup: it
 * runs whether the response came, the client went away or the upstream
 * failed).  The settlement is added to the key's pending word with a
 * compare-and-swap; the key's next admission folds it in under its lock.
 * Only a word that holds another minute's tokens (a request that spans a
 * minute edge) makes a settlement take the lock: the zone counts those.
 */


#include <ngx_md5.h>

#include "ngx_http_azoai_ctx.h"
#include "ngx_http_azoai_tlimit.h"
#include "ngx_http_azoai_header_out.h"

#include "azoai_estimate.h"


/* the error log tells of evictions at most this often, per zone */
#define NGX_HTTP_AZOAI_TLIMIT_TELL_EVERY  60

/* the metrics page: fixed text, then lines per zone, each with its name */
#define NGX_HTTP_AZOAI_TLIMIT_PAGE_FIXED  1024
#define NGX_HTTP_AZOAI_TLIMIT_PAGE_LINES  8
#define NGX_HTTP_AZOAI_TLIMIT_PAGE_LINE   (64 + NGX_ATOMIC_T_LEN)

/* 2^32 / the golden ratio: scrambles the second bucket choice */
#define NGX_HTTP_AZOAI_TLIMIT_GOLDEN      0x9e3779b1

/* a cost not known: the reservation stands */
#define NGX_HTTP_AZOAI_TLIMIT_RESERVED    -1


typedef struct {
    ngx_http_azoai_tlimit_zone_t   *zone;
    ngx_http_azoai_tlimit_slot_t   *slot;
    azoai_tlimit_resv_t             resv;
} ngx_http_azoai_tlimit_hold_t;


/* what a request holds, in a cleanup of its pool */
typedef struct {
    ngx_http_request_t             *request;
    ngx_http_azoai_ctx_t           *ctx;
    ngx_uint_t                      nholds;
    ngx_http_azoai_tlimit_hold_t    holds[1];
} ngx_http_azoai_tlimit_set_t;


/* a denial: which zone, which window, how long to wait */
typedef struct {
    ngx_http_azoai_tlimit_zone_t   *zone;
    unsigned                        window;
    int64_t                         retry_after;
} ngx_http_azoai_tlimit_denial_t;


static ngx_int_t ngx_http_azoai_tlimit_take(ngx_http_request_t *r,
    ngx_http_azoai_tlimit_zone_t *zone, int64_t now, int64_t estimate,
    ngx_http_azoai_tlimit_hold_t *hold, int64_t *left,
    ngx_http_azoai_tlimit_denial_t *denial);
static void ngx_http_azoai_tlimit_digest(ngx_str_t *key, u_char *digest);
static ngx_http_azoai_tlimit_slot_t *ngx_http_azoai_tlimit_find(
    ngx_http_azoai_tlimit_zone_t *zone, u_char *digest, int64_t now,
    ngx_uint_t *evicted);
static ngx_http_azoai_tlimit_slot_t *ngx_http_azoai_tlimit_claim(
    ngx_http_azoai_tlimit_sh_t *sh, ngx_http_azoai_tlimit_slot_t *free,
    ngx_http_azoai_tlimit_slot_t *idle, ngx_http_azoai_tlimit_slot_t *lru,
    u_char *digest, uint32_t seconds, ngx_uint_t *evicted);
static ngx_uint_t ngx_http_azoai_tlimit_idle(
    ngx_http_azoai_tlimit_zone_t *zone, ngx_http_azoai_tlimit_slot_t *s,
    int64_t now);
static void ngx_http_azoai_tlimit_tell_evictions(ngx_http_request_t *r,
    ngx_http_azoai_tlimit_zone_t *zone);
static ngx_int_t ngx_http_azoai_tlimit_deny(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, ngx_http_azoai_tlimit_denial_t *denial);
static void ngx_http_azoai_tlimit_cleanup(void *data);
static void ngx_http_azoai_tlimit_settle(ngx_http_request_t *r,
    ngx_http_azoai_tlimit_hold_t *hold, int64_t now, int64_t charged);
static ngx_uint_t ngx_http_azoai_tlimit_post(
    ngx_http_azoai_tlimit_slot_t *slot, int64_t minute, int64_t delta);
static void ngx_http_azoai_tlimit_fold(ngx_http_azoai_tlimit_slot_t *slot,
    int64_t now);
static int64_t ngx_http_azoai_tlimit_cost(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, ngx_uint_t *estimated);
static int64_t ngx_http_azoai_tlimit_now(void);


static ngx_str_t  ngx_http_azoai_retry_after = ngx_string("Retry-After");


/* called with the body as received, before any masking */

void
ngx_http_azoai_tlimit_estimate(ngx_http_request_t *r,
    ngx_http_azoai_ctx_t *ctx, ngx_str_t *body)
{
    azoai_estimate_t            e;
    ngx_http_azoai_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    if (alcf->token_limits == NULL) {
        return;
    }

    azoai_estimate_body(body->data, body->len, &e);

    ctx->tokens_estimate = e.total;
    ctx->tokens_prompt = e.prompt;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: token estimate %L: prompt %L (%L text bytes), "
                   "max output %L", e.total, e.prompt, e.text_bytes,
                   e.max_output);
}


/*
 * NGX_OK: admitted by every zone (or limited by none), or denied with
 * ctx->verdict set; NGX_ERROR: the request cannot be counted (the caller
 * denies: fail closed).
 */

ngx_int_t
ngx_http_azoai_tlimit_admit(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx)
{
    int64_t                          now, left, remaining;
    ngx_int_t                        rc;
    ngx_uint_t                       i, n;
    ngx_shm_zone_t                 **zones;
    ngx_pool_cleanup_t              *cln;
    ngx_http_azoai_loc_conf_t       *alcf;
    ngx_http_azoai_tlimit_set_t     *set;
    ngx_http_azoai_tlimit_denial_t   denial;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    if (alcf->token_limits == NULL) {
        return NGX_OK;
    }

    zones = alcf->token_limits->elts;
    n = alcf->token_limits->nelts;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_azoai_tlimit_set_t)
                               + n * sizeof(ngx_http_azoai_tlimit_hold_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    set = cln->data;
    set->request = r;
    set->ctx = ctx;
    set->nholds = 0;

    cln->handler = ngx_http_azoai_tlimit_cleanup;

    now = ngx_http_azoai_tlimit_now();
    remaining = AZOAI_TLIMIT_MAX;

    for (i = 0; i < n; i++) {
        rc = ngx_http_azoai_tlimit_take(r, zones[i]->data, now,
                                        ctx->tokens_estimate,
                                        &set->holds[set->nholds], &left,
                                        &denial);

        if (rc == NGX_DECLINED) {
            /* not limited by this zone: an empty key */
            continue;
        }

        if (rc == NGX_BUSY) {
            ctx->tokens_remaining = 0;
            return ngx_http_azoai_tlimit_deny(r, ctx, &denial);
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        set->nholds++;

        if (left < remaining) {
            remaining = left;
        }
    }

    if (set->nholds == 0) {
        return NGX_OK;
    }

    for (i = 0; i < set->nholds; i++) {
        (void) ngx_atomic_fetch_add(&set->holds[i].zone->sh->admitted, 1);
    }

    ctx->tokens_remaining = remaining;

    return NGX_OK;
}


/*
 * One zone, under its lock: find or make the key's slot, admit and
 * reserve.  NGX_OK (held), NGX_BUSY (denied), NGX_DECLINED (empty key),
 * NGX_ERROR.
 */

static ngx_int_t
ngx_http_azoai_tlimit_take(ngx_http_request_t *r,
    ngx_http_azoai_tlimit_zone_t *zone, int64_t now, int64_t estimate,
    ngx_http_azoai_tlimit_hold_t *hold, int64_t *left,
    ngx_http_azoai_tlimit_denial_t *denial)
{
    unsigned                       rc;
    ngx_str_t                      key;
    ngx_uint_t                     evicted;
    ngx_http_azoai_tlimit_slot_t  *slot;
    u_char                         digest[NGX_HTTP_AZOAI_TLIMIT_DIGEST];

    if (ngx_http_complex_value(r, &zone->key, &key) != NGX_OK) {
        return NGX_ERROR;
    }

    if (key.len == 0) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: token zone \"%V\": empty key, not limited",
                       &zone->name);
        return NGX_DECLINED;
    }

    ngx_http_azoai_tlimit_digest(&key, digest);

    ngx_shmtx_lock(&zone->shpool->mutex);

    slot = ngx_http_azoai_tlimit_find(zone, digest, now, &evicted);

    if (slot == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);

        ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                 "azoai: token zone \"%V\" is full: every "
                                 "key that could make room is in use",
                                 &zone->name);
        return NGX_ERROR;
    }

    ngx_http_azoai_tlimit_fold(slot, now);

    rc = azoai_tlimit_admit(&slot->window, &zone->budget, now, estimate,
                            &hold->resv, left, &denial->retry_after);

    if (rc == AZOAI_TLIMIT_ADMITTED) {
        slot->inflight++;
        hold->zone = zone;
        hold->slot = slot;

    } else {
        zone->sh->limited++;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (evicted) {
        ngx_http_azoai_tlimit_tell_evictions(r, zone);
    }

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: token zone \"%V\": %s, estimate %L, "
                   "%L left, retry after %L s", &zone->name,
                   rc == AZOAI_TLIMIT_ADMITTED ? "admitted"
                   : (rc == AZOAI_TLIMIT_DAY ? "day budget spent"
                                             : "minute budget spent"),
                   estimate, *left, denial->retry_after);

    if (rc == AZOAI_TLIMIT_ADMITTED) {
        return NGX_OK;
    }

    denial->zone = zone;
    denial->window = rc;

    return NGX_BUSY;
}


/*
 * What a slot keeps of a key: short keys (up to 15 bytes) as they are,
 * after their length; longer ones as their MD5, its first byte made 16 or
 * more so that no short key looks the same.
 */

static void
ngx_http_azoai_tlimit_digest(ngx_str_t *key, u_char *digest)
{
    ngx_md5_t  md5;

    if (key->len < NGX_HTTP_AZOAI_TLIMIT_DIGEST) {
        ngx_memzero(digest, NGX_HTTP_AZOAI_TLIMIT_DIGEST);
        digest[0] = (u_char) key->len;
        ngx_memcpy(digest + 1, key->data, key->len);
        return;
    }

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, key->data, key->len);
    ngx_md5_final(digest, &md5);

    digest[0] |= NGX_HTTP_AZOAI_TLIMIT_DIGEST;
}


/*
 * The key's slot in either of its two buckets; else a free or idle slot
 * in them; else the least recently used one that nobody holds (evicted).
 * Called with the zone locked.
 */

static ngx_http_azoai_tlimit_slot_t *
ngx_http_azoai_tlimit_find(ngx_http_azoai_tlimit_zone_t *zone,
    u_char *digest, int64_t now, ngx_uint_t *evicted)
{
    uint32_t                       h[2], seconds;
    ngx_uint_t                     b, i, nfree[2];
    ngx_atomic_uint_t              word;
    ngx_http_azoai_tlimit_sh_t    *sh;
    ngx_http_azoai_tlimit_slot_t  *s, *bucket, *free, *idle, *lru;
    ngx_http_azoai_tlimit_slot_t  *first[2];

    sh = zone->sh;
    seconds = (uint32_t) (now / 1000);

    /* two bucket choices from one hash: its halves swapped, scrambled */

    h[0] = ngx_murmur_hash2(digest, NGX_HTTP_AZOAI_TLIMIT_DIGEST);
    h[1] = ((h[0] >> 16) | (h[0] << 16)) * NGX_HTTP_AZOAI_TLIMIT_GOLDEN;

    idle = NULL;
    lru = NULL;
    *evicted = 0;
    nfree[0] = 0;
    nfree[1] = 0;
    first[0] = NULL;
    first[1] = NULL;

    for (b = 0; b < 2; b++) {
        bucket = &sh->slots[(h[b] % sh->nbuckets)
                            * NGX_HTTP_AZOAI_TLIMIT_WAYS];

        for (i = 0; i < NGX_HTTP_AZOAI_TLIMIT_WAYS; i++) {
            s = &bucket[i];

            if (s->used_at == 0) {
                if (nfree[b]++ == 0) {
                    first[b] = s;
                }

                continue;
            }

            if (ngx_memcmp(s->digest, digest, NGX_HTTP_AZOAI_TLIMIT_DIGEST)
                == 0)
            {
                s->used_at = seconds;
                return s;
            }

            /* held: admitted, not all ended (ended only grows) */

            word = s->pending;

            if (s->inflight != azoai_tlimit_pending_ended(word)) {
                continue;
            }

            if (idle == NULL && azoai_tlimit_pending_value(word) == 0
                && ngx_http_azoai_tlimit_idle(zone, s, now))
            {
                idle = s;

            } else if (lru == NULL || s->used_at < lru->used_at) {
                lru = s;
            }
        }
    }

    /* a new key goes to the emptier bucket: both fill evenly */

    free = (nfree[1] > nfree[0]) ? first[1] : first[0];

    return ngx_http_azoai_tlimit_claim(sh, free, idle, lru, digest, seconds,
                                       evicted);
}


/*
 * A slot for a new key: a free one, else one whose windows are empty,
 * else the least recently used (evicted); NULL when every candidate is
 * held by a request in flight.
 */

static ngx_http_azoai_tlimit_slot_t *
ngx_http_azoai_tlimit_claim(ngx_http_azoai_tlimit_sh_t *sh,
    ngx_http_azoai_tlimit_slot_t *free, ngx_http_azoai_tlimit_slot_t *idle,
    ngx_http_azoai_tlimit_slot_t *lru, u_char *digest, uint32_t seconds,
    ngx_uint_t *evicted)
{
    if (free == NULL) {
        if (idle) {
            free = idle;

        } else if (lru) {
            free = lru;
            *evicted = 1;
            sh->evicted++;
            sh->evicted_untold++;

        } else {
            return NULL;
        }

        sh->keys--;
    }

    ngx_memzero(free, sizeof(ngx_http_azoai_tlimit_slot_t));
    ngx_memcpy(free->digest, digest, NGX_HTTP_AZOAI_TLIMIT_DIGEST);
    free->used_at = seconds ? seconds : 1;
    sh->keys++;

    return free;
}


/* a key whose windows have forgotten everything: its slot may be reused */

static ngx_uint_t
ngx_http_azoai_tlimit_idle(ngx_http_azoai_tlimit_zone_t *zone,
    ngx_http_azoai_tlimit_slot_t *s, int64_t now)
{
    if (s->window.minute + 1 >= now / AZOAI_TLIMIT_MINUTE_MS) {
        return 0;
    }

    return zone->budget.per_day == 0
           || s->window.day < now / AZOAI_TLIMIT_DAY_MS;
}


static void
ngx_http_azoai_tlimit_tell_evictions(ngx_http_request_t *r,
    ngx_http_azoai_tlimit_zone_t *zone)
{
    time_t                       now;
    ngx_uint_t                   n;
    ngx_http_azoai_tlimit_sh_t  *sh;

    sh = zone->sh;
    now = ngx_time();
    n = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    if (now - sh->evicted_told >= NGX_HTTP_AZOAI_TLIMIT_TELL_EVERY) {
        n = sh->evicted_untold;
        sh->evicted_untold = 0;
        sh->evicted_told = now;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (n) {
        ngx_http_azoai_log_error(NGX_LOG_WARN, r, 0,
                                 "azoai: token zone \"%V\" is full: %ui "
                                 "least recently used key(s) evicted; "
                                 "their budgets start again",
                                 &zone->name, n);
    }
}


static ngx_int_t
ngx_http_azoai_tlimit_deny(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    ngx_http_azoai_tlimit_denial_t *denial)
{
    ngx_http_azoai_loc_conf_t  *alcf;

    if (denial->window == AZOAI_TLIMIT_DAY) {
        ngx_http_azoai_deny(ctx, AZOAI_TOKEN_LIMIT,
                            "the token budget of zone %V for the day "
                            "(UTC) is spent (tokens_per_day=%L); retry in "
                            "%L seconds", &denial->zone->name,
                            denial->zone->budget.per_day,
                            denial->retry_after);
    } else {
        ngx_http_azoai_deny(ctx, AZOAI_TOKEN_LIMIT,
                            "the token budget of zone %V for the "
                            "sliding minute is spent (tokens_per_minute=%L); "
                            "retry in %L seconds", &denial->zone->name,
                            denial->zone->budget.per_minute,
                            denial->retry_after);
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    if (alcf->mode == NGX_HTTP_AZOAI_REPORT) {
        return NGX_OK;
    }

    return ngx_http_azoai_add_number_out(r, &ngx_http_azoai_retry_after,
                                         denial->retry_after);
}


/* the request ends: each reservation is replaced by what it cost */

static void
ngx_http_azoai_tlimit_cleanup(void *data)
{
    ngx_http_azoai_tlimit_set_t *set = data;

    int64_t                        now, cost, charged;
    ngx_uint_t                     i, estimated;
    ngx_http_azoai_tlimit_hold_t  *hold;

    if (set->nholds == 0) {
        return;
    }

    estimated = 0;
    cost = ngx_http_azoai_tlimit_cost(set->request, set->ctx, &estimated);
    now = ngx_http_azoai_tlimit_now();

    for (i = 0; i < set->nholds; i++) {
        hold = &set->holds[i];

        charged = (cost == NGX_HTTP_AZOAI_TLIMIT_RESERVED)
                  ? hold->resv.reserved : cost;

        ngx_http_azoai_tlimit_settle(set->request, hold, now, charged);

        (void) ngx_atomic_fetch_add(&hold->zone->sh->tokens,
                                    (ngx_atomic_int_t) charged);
        (void) ngx_atomic_fetch_add(&hold->zone->sh->ended, 1);

        if (estimated) {
            (void) ngx_atomic_fetch_add(&hold->zone->sh->estimated, 1);
        }
    }
}


/* one zone: without the lock if the key's pending word takes it */

static void
ngx_http_azoai_tlimit_settle(ngx_http_request_t *r,
    ngx_http_azoai_tlimit_hold_t *hold, int64_t now, int64_t charged)
{
    int64_t                        minute, delta;
    ngx_http_azoai_tlimit_slot_t  *slot;

    slot = hold->slot;

    delta = azoai_tlimit_settle_delta(&hold->resv, now, charged, &minute);

    if (ngx_http_azoai_tlimit_post(slot, minute, delta)) {
        ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: token zone \"%V\": reserved %L, charged %L, "
                       "%L pending", &hold->zone->name, hold->resv.reserved,
                       charged, delta);
        return;
    }

    ngx_shmtx_lock(&hold->zone->shpool->mutex);

    ngx_http_azoai_tlimit_fold(slot, now);
    azoai_tlimit_settle(&slot->window, now, &hold->resv, charged);
    slot->inflight--;

    ngx_shmtx_unlock(&hold->zone->shpool->mutex);

    (void) ngx_atomic_fetch_add(&hold->zone->sh->locked_settles, 1);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: token zone \"%V\": reserved %L, charged %L "
                   "under the lock", &hold->zone->name, hold->resv.reserved,
                   charged);
}


/* adds a settlement to the key's pending word; 0: refused, take the lock */

static ngx_uint_t
ngx_http_azoai_tlimit_post(ngx_http_azoai_tlimit_slot_t *slot,
    int64_t minute, int64_t delta)
{
    ngx_atomic_uint_t       word;
    azoai_tlimit_pending_t  next;

    if (sizeof(ngx_atomic_uint_t) < sizeof(azoai_tlimit_pending_t)) {
        return 0;                      /* no 64-bit atomics: always locked */
    }

    for ( ;; ) {
        word = slot->pending;

        if (azoai_tlimit_pending_add(word, minute, delta, &next) != 0) {
            return 0;
        }

        if (ngx_atomic_cmp_set(&slot->pending, word,
                               (ngx_atomic_uint_t) next))
        {
            return 1;
        }
    }
}


/* takes the key's pending word into its windows; with the zone locked */

static void
ngx_http_azoai_tlimit_fold(ngx_http_azoai_tlimit_slot_t *slot, int64_t now)
{
    ngx_atomic_uint_t  word;

    do {
        word = slot->pending;

        if (word == 0) {
            return;
        }

    } while (!ngx_atomic_cmp_set(&slot->pending, word, 0));

    slot->inflight -= azoai_tlimit_pending_fold(&slot->window, now, word);
}


/*
 * What the request cost: the response's usage (total_tokens, else prompt
 * plus completion, capped); without usage, for a 2xx response: an event
 * stream's prompt estimate plus the completion text it carried
 * (*estimated set), any other answer's reservation; nothing for any
 * other end (an error, the client gone before the response, the upstream
 * unreachable).
 */

static int64_t
ngx_http_azoai_tlimit_cost(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    ngx_uint_t *estimated)
{
    int64_t          cost, completion;
    azoai_usage_t   *u;

    u = &ctx->usage;

    if (u->found) {
        if (u->total_tokens >= 0) {
            return azoai_tlimit_add(u->total_tokens, 0);
        }

        cost = 0;

        if (u->prompt_tokens >= 0) {
            cost = azoai_tlimit_add(cost, u->prompt_tokens);
        }

        if (u->completion_tokens >= 0) {
            cost = azoai_tlimit_add(cost, u->completion_tokens);
        }

        return cost;
    }

    if (r->headers_out.status < NGX_HTTP_OK
        || r->headers_out.status >= NGX_HTTP_SPECIAL_RESPONSE)
    {
        return 0;
    }

    if (ctx->completion_on) {
        completion = azoai_estimate_stream_tokens(&ctx->completion);
        *estimated = 1;

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: no usage in the stream: charging an "
                       "estimate, prompt %L + completion %L (%L text "
                       "bytes seen)", ctx->tokens_prompt, completion,
                       ctx->completion.text_bytes);

        return azoai_tlimit_add(ctx->tokens_prompt, completion);
    }

    return NGX_HTTP_AZOAI_TLIMIT_RESERVED;

    return 0;
}


static int64_t
ngx_http_azoai_tlimit_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}


/* azoai_metrics: the series of every token zone */

size_t
ngx_http_azoai_tlimit_metrics_size(ngx_http_request_t *r)
{
    size_t                         size;
    ngx_uint_t                     i;
    ngx_shm_zone_t               **zones;
    ngx_http_azoai_main_conf_t    *amcf;
    ngx_http_azoai_tlimit_zone_t  *zone;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_azoai_module);

    if (amcf->tlimit_zones == NULL) {
        return 0;
    }

    zones = amcf->tlimit_zones->elts;
    size = NGX_HTTP_AZOAI_TLIMIT_PAGE_FIXED;

    for (i = 0; i < amcf->tlimit_zones->nelts; i++) {
        zone = zones[i]->data;
        size += NGX_HTTP_AZOAI_TLIMIT_PAGE_LINES
                * (NGX_HTTP_AZOAI_TLIMIT_PAGE_LINE + zone->name.len);
    }

    return size;
}


/* a series of every token zone: one counter of the zone's shared part */
typedef struct {
    char                       *name;
    char                       *help;      /* NULL: the family goes on */
    char                       *type;
    char                       *labels;    /* after the zone's label */
    size_t                      offset;    /* in ..._tlimit_sh_t */
} ngx_http_azoai_tlimit_series_t;


#define ngx_http_azoai_tlimit_counter(name, help, type, labels, field)       \
    { name, help, type, labels, offsetof(ngx_http_azoai_tlimit_sh_t, field) }

static ngx_http_azoai_tlimit_series_t  ngx_http_azoai_tlimit_series[] = {
    ngx_http_azoai_tlimit_counter("azoai_token_limit_requests_total",
        "Requests judged by a token zone, by result.", "counter",
        ",result=\"admitted\"", admitted),
    ngx_http_azoai_tlimit_counter("azoai_token_limit_requests_total",
        NULL, NULL, ",result=\"limited\"", limited),
    ngx_http_azoai_tlimit_counter("azoai_token_limit_ended_total",
        "Admitted requests that ended and were charged.", "counter", "",
        ended),
    ngx_http_azoai_tlimit_counter("azoai_token_limit_locked_settles_total",
        "Ended requests settled under the zone's lock (the key's pending "
        "tokens were another minute's).", "counter", "", locked_settles),
    ngx_http_azoai_tlimit_counter("azoai_token_limit_estimated_total",
        "Ended requests charged by an estimate: an event stream without "
        "usage (the prompt estimate plus the completion text seen).",
        "counter", "", estimated),
    ngx_http_azoai_tlimit_counter("azoai_token_limit_tokens_total",
        "Tokens charged to a token zone (usage, or the estimate where "
        "none came).", "counter", "", tokens),
    ngx_http_azoai_tlimit_counter("azoai_token_limit_keys",
        "Keys a token zone holds.", "gauge", "", keys),
    ngx_http_azoai_tlimit_counter("azoai_token_limit_evictions_total",
        "Keys evicted from a full token zone.", "counter", "", evicted)
};


u_char *
ngx_http_azoai_tlimit_metrics(ngx_http_request_t *r, u_char *p, u_char *last)
{
    ngx_uint_t                       i, s;
    ngx_atomic_t                    *count;
    ngx_shm_zone_t                 **zones;
    ngx_http_azoai_main_conf_t      *amcf;
    ngx_http_azoai_tlimit_zone_t    *zone;
    ngx_http_azoai_tlimit_series_t  *series;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_azoai_module);

    if (amcf->tlimit_zones == NULL) {
        return p;
    }

    zones = amcf->tlimit_zones->elts;

    for (s = 0; s < sizeof(ngx_http_azoai_tlimit_series)
                    / sizeof(ngx_http_azoai_tlimit_series[0]); s++)
    {
        series = &ngx_http_azoai_tlimit_series[s];

        if (series->help) {
            p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s %s\n",
                             series->name, series->help, series->name,
                             series->type);
        }

        for (i = 0; i < amcf->tlimit_zones->nelts; i++) {
            zone = zones[i]->data;
            count = (ngx_atomic_t *) ((u_char *) zone->sh + series->offset);

            p = ngx_slprintf(p, last, "%s{zone=\"%V\"%s} %uA\n",
                             series->name, &zone->name, series->labels,
                             *count);
        }
    }

    return p;
}
