/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The rewrite of a masked body by reference.  A 64 KB body with 40
 * values masked was copied whole into a new buffer (about 7,500
 * instructions of memcpy and a 67 KB allocation per request); here only
 * the replacements and the short spans between them are copied, into
 * one small buffer, and the caller points at the rest of the body.
 */

#include <stdint.h>
#include <string.h>

#include "azoai_body_refs.h"
#include "azoai_pii_int.h"

/* AVX2 where the CPU has it, chosen at run time (built for baseline x86-64) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(AZOAI_NO_AVX2)
#include <immintrin.h>
#define AZOAI_BODY_COPY_AVX2  1
#endif

/*
 * spans this long and shorter than AZOAI_BODY_COPY_MAX are copied 256
 * bytes a step: the sizes glibc's memcpy() copies with a loop of vector
 * moves too; from 4 KB on it takes rep movsb (and non-temporal stores for
 * the largest), which the CPU runs faster than moves
 */
#define AZOAI_BODY_COPY_BIG   256
#define AZOAI_BODY_COPY_MAX   4096


static inline int azoai_body_splice_loop(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, size_t first, const u_char *body,
    size_t len, size_t pos, azoai_body_run_t *run, int avx2)
    __attribute__((always_inline));
static inline int azoai_body_refs_span(azoai_body_run_t *run,
    const u_char *p, size_t n, int avx2) __attribute__((always_inline));
static inline u_char *azoai_body_copy(u_char *dst, const u_char *src,
    size_t n, int avx2) __attribute__((always_inline));
#if (AZOAI_BODY_COPY_AVX2)
static int azoai_body_splice_run_avx2(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, size_t first, const u_char *body,
    size_t len, size_t pos, azoai_body_run_t *run);
static u_char *azoai_body_copy_avx2(u_char *dst, const u_char *src,
    size_t n);
static u_char *azoai_body_copy_out_avx2(u_char *dst, const u_char *src,
    size_t n);
#endif
static size_t azoai_body_refs_room(const azoai_body_result_t *result,
    size_t len, size_t ref_min);


int
azoai_body_splice_refs(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, const u_char *body, size_t len,
    size_t ref_min, azoai_alloc_t *a, azoai_body_emit_pt emit, void *data,
    size_t *out_len)
{
    u_char            *start;
    size_t             room;
    azoai_body_run_t   run;

    if ((result->nmatches && e == NULL) || ref_min == 0) {
        return AZOAI_ERROR;
    }

    room = azoai_body_refs_room(result, len, ref_min);
    if (room == SIZE_MAX) {
        return AZOAI_ERROR;
    }

    if (room == 0) {
        /* no matches, and the body empty or long enough: as it is */
        *out_len = len;
        return len ? emit(data, body, len) : AZOAI_OK;
    }

    start = azoai_alloc(a, room);
    if (start == NULL) {
        return AZOAI_ERROR;
    }

    azoai_body_run_init(&run, start, ref_min, emit, data);

    if (azoai_body_splice_run(e, result, 0, body, len, 0, &run) != AZOAI_OK
        || (run.last != run.start
            && emit(data, run.start, run.last - run.start) != AZOAI_OK))
    {
        return AZOAI_ERROR;
    }

    *out_len = run.emitted + (run.last - run.start);

    return AZOAI_OK;
}


/*
 * The loop twice: where the CPU has AVX2, asked once, a copy of it built
 * for AVX2 with azoai_body_copy_avx2() inlined (flatten); else with
 * memcpy().  The test before each span was 3 instructions (chat-64k-pii:
 * -119 a request); the call of the copy, its return and the registers
 * moved around it ~6 more (-234).  Inlined while the copy ended in loops
 * of 256 and 128, it cost more (+85): the loop's registers spilled.
 */

int
azoai_body_splice_run(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, size_t first, const u_char *body,
    size_t len, size_t pos, azoai_body_run_t *run)
{
#if (AZOAI_BODY_COPY_AVX2)
    if (__builtin_expect(__builtin_cpu_supports("avx2"), 1)) {
        return azoai_body_splice_run_avx2(e, result, first, body, len, pos,
                                          run);
    }
#endif

    return azoai_body_splice_loop(e, result, first, body, len, pos, run, 0);
}


#if (AZOAI_BODY_COPY_AVX2)

__attribute__((target("avx2"), flatten))
static int
azoai_body_splice_run_avx2(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, size_t first, const u_char *body,
    size_t len, size_t pos, azoai_body_run_t *run)
{
    return azoai_body_splice_loop(e, result, first, body, len, pos, run, 1);
}

#endif


/*
 * The write position is a local while the spans are copied and the tags
 * rendered, and goes to run->last only around an emitted span; a tag of
 * the mask and block actions is one move (azoai_pii_render_short()), the
 * others a call of azoai_pii_render_pseudo()
 */

static inline int
azoai_body_splice_loop(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, size_t first, const u_char *body,
    size_t len, size_t pos, azoai_body_run_t *run, int avx2)
{
    size_t                    n;
    u_char                   *o;
    const azoai_pii_match_t  *m, *last;

    /* in locals: the calls below could change them, for all GCC knows */

    o = run->last;
    m = result->matches;
    last = m;

    if (first < result->nmatches) {
        /* matches may be NULL where there are none: no offset from it */
        last = m + result->nmatches;
        m += first;
    }

    for ( /* void */ ; m < last; m++) {

        if (m->start < pos || m->end < m->start || m->end > len) {
            return AZOAI_ERROR;
        }

        n = m->start - pos;

        if (n < run->ref_min) {
            o = azoai_body_copy(o, body + pos, n, avx2);

        } else {
            run->last = o;

            if (azoai_body_refs_span(run, body + pos, n, avx2) != AZOAI_OK) {
                return AZOAI_ERROR;
            }

            o = run->last;
        }

        /* the room holds AZOAI_PII_TAG_MAX bytes for each match */

        n = azoai_pii_render_short(e, m->type, o);

        if (n == 0) {
            n = azoai_pii_render_pseudo(e, m, body, o, result->pseudo);

            if (n > AZOAI_PII_TAG_MAX) {
                return AZOAI_ERROR;
            }
        }

        o += n;
        pos = m->end;
    }

    run->last = o;

    return azoai_body_refs_span(run, body + pos, len - pos, avx2);
}


/*
 * The copy of the spans for other callers: the body's first bytes moved
 * out of NGINX's header buffer (~800 at chat-4k-pii) took glibc's memcpy()
 * 112 instructions, here 84 and the test (chat-4k-pii: -48 a request)
 */

u_char *
azoai_body_copy_out(u_char *dst, const u_char *src, size_t n)
{
#if (AZOAI_BODY_COPY_AVX2)
    if (__builtin_expect(__builtin_cpu_supports("avx2"), 1)) {
        return azoai_body_copy_out_avx2(dst, src, n);
    }
#endif

    memcpy(dst, src, n);

    return dst + n;
}


#if (AZOAI_BODY_COPY_AVX2)

__attribute__((target("avx2"), flatten))
static u_char *
azoai_body_copy_out_avx2(u_char *dst, const u_char *src, size_t n)
{
    return azoai_body_copy(dst, src, n, 1);
}

#endif


/*
 * An unchanged span: a piece of its own (after the run before it) when it
 * is long enough, else copied to the run
 */

static inline int
azoai_body_refs_span(azoai_body_run_t *run, const u_char *p, size_t n,
    int avx2)
{
    if (n < run->ref_min) {
        run->last = azoai_body_copy(run->last, p, n, avx2);
        return AZOAI_OK;
    }

    if (run->last != run->start) {
        if (run->emit(run->data, run->start, run->last - run->start)
            != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        run->emitted += run->last - run->start;
        run->start = run->last;
    }

    run->emitted += n;

    return run->emit(run->data, p, n);
}


/*
 * A span copied into the run (the two never overlap).  The spans between
 * values are a few hundred bytes to a few KB (~1.6 KB at 64 KB with 40
 * values, 41 a request): memcpy() costs ~40 instructions a call on top of
 * its 12 per 128 bytes (callgrind), azoai_body_copy_avx2() ~25 and 21 per
 * 256.  Short and long spans, and CPUs without AVX2 (avx2 0), take
 * memcpy().
 */

static inline u_char *
azoai_body_copy(u_char *dst, const u_char *src, size_t n, int avx2)
{
#if (AZOAI_BODY_COPY_AVX2)
    if (avx2
        && __builtin_expect(n - AZOAI_BODY_COPY_BIG
                            < AZOAI_BODY_COPY_MAX - AZOAI_BODY_COPY_BIG, 1))
    {
        return azoai_body_copy_avx2(dst, src, n);
    }
#endif

    memcpy(dst, src, n);

    return dst + n;
}


#if (AZOAI_BODY_COPY_AVX2)

/* 256 bytes at src to dst in eight 32-byte loads, then eight stores */

#define azoai_body_copy256(d, s)                                             \
    a0 = _mm256_loadu_si256((const __m256i *) (s));                          \
    a1 = _mm256_loadu_si256((const __m256i *) ((s) + 32));                   \
    a2 = _mm256_loadu_si256((const __m256i *) ((s) + 64));                   \
    a3 = _mm256_loadu_si256((const __m256i *) ((s) + 96));                   \
    a4 = _mm256_loadu_si256((const __m256i *) ((s) + 128));                  \
    a5 = _mm256_loadu_si256((const __m256i *) ((s) + 160));                  \
    a6 = _mm256_loadu_si256((const __m256i *) ((s) + 192));                  \
    a7 = _mm256_loadu_si256((const __m256i *) ((s) + 224));                  \
    _mm256_storeu_si256((__m256i *) (d), a0);                                \
    _mm256_storeu_si256((__m256i *) ((d) + 32), a1);                         \
    _mm256_storeu_si256((__m256i *) ((d) + 64), a2);                         \
    _mm256_storeu_si256((__m256i *) ((d) + 96), a3);                         \
    _mm256_storeu_si256((__m256i *) ((d) + 128), a4);                        \
    _mm256_storeu_si256((__m256i *) ((d) + 160), a5);                        \
    _mm256_storeu_si256((__m256i *) ((d) + 192), a6);                        \
    _mm256_storeu_si256((__m256i *) ((d) + 224), a7)


#define azoai_body_copy128(d, s)                                             \
    a0 = _mm256_loadu_si256((const __m256i *) (s));                          \
    a1 = _mm256_loadu_si256((const __m256i *) ((s) + 32));                   \
    a2 = _mm256_loadu_si256((const __m256i *) ((s) + 64));                   \
    a3 = _mm256_loadu_si256((const __m256i *) ((s) + 96));                   \
    _mm256_storeu_si256((__m256i *) (d), a0);                                \
    _mm256_storeu_si256((__m256i *) ((d) + 32), a1);                         \
    _mm256_storeu_si256((__m256i *) ((d) + 64), a2);                         \
    _mm256_storeu_si256((__m256i *) ((d) + 96), a3)


/*
 * n (AZOAI_BODY_COPY_BIG or more) bytes: 1024 a step while more than
 * 1024 are left, then a jump into the (rest - 1) / 128 steps of 128
 * before the last 128, which may overlap the step before (its bytes are
 * written twice, with the same values); returns dst + n.  1024 a step:
 * the loop's own five instructions per 1024 bytes, not per 256 (16 moves
 * per 256 either way; 64 KB copied: ~530 fewer).  The jump: ~10
 * instructions, where a loop of 256 and a 128 where needed took 4 a step
 * and 2 (64 KB: -78, 41 spans).
 */

__attribute__((target("avx2")))
static inline u_char *
azoai_body_copy_avx2(u_char *dst, const u_char *src, size_t n)
{
    size_t         i;
    u_char        *d;
    __m256i        a0, a1, a2, a3, a4, a5, a6, a7;
    const u_char  *s;

    for (i = 0; i + 1024 < n; i += 1024) {
        azoai_body_copy256(dst + i, src + i);
        azoai_body_copy256(dst + i + 256, src + i + 256);
        azoai_body_copy256(dst + i + 512, src + i + 512);
        azoai_body_copy256(dst + i + 768, src + i + 768);
    }

    /* (n - i - 1) / 128 steps of 128 (0 to 7): a jump into them */

    d = dst + i;
    s = src + i;

    switch (((n - i - 1) >> 7) & 7) {
    case 7:
        azoai_body_copy128(d + 768, s + 768);
        /* fall through */
    case 6:
        azoai_body_copy128(d + 640, s + 640);
        /* fall through */
    case 5:
        azoai_body_copy128(d + 512, s + 512);
        /* fall through */
    case 4:
        azoai_body_copy128(d + 384, s + 384);
        /* fall through */
    case 3:
        azoai_body_copy128(d + 256, s + 256);
        /* fall through */
    case 2:
        azoai_body_copy128(d + 128, s + 128);
        /* fall through */
    case 1:
        azoai_body_copy128(d, s);
        /* fall through */
    default:
        break;
    }

    azoai_body_copy128(dst + n - 128, src + n - 128);

    return dst + n;
}

#endif


/*
 * The bytes the copied runs need at most: AZOAI_PII_TAG_MAX for each
 * match and the spans shorter than ref_min (all of the body when it is
 * shorter), or SIZE_MAX on overflow.  A span of a match out of order
 * counts as long: the splice stops at that match.
 *
 * Up to AZOAI_BODY_ROOM_BOUND bytes of body the spans are not walked:
 * the short ones hold at most the body, and at most ref_min - 1 bytes
 * for each of the nmatches + 1 spans.  The walk cost ~9 instructions a
 * match (360 a 64 KB request with 40 values); the bound is what it
 * measured where the short spans and the values are all of the body
 * (chat-64k-pii: 66.5 KB plus the tags, ~1 KB of values over), and at
 * most a body of up to 128 KB more where long spans are referenced, for
 * a request that is masked.
 */

#define AZOAI_BODY_ROOM_BOUND  (128 * 1024)

static size_t
azoai_body_refs_room(const azoai_body_result_t *result, size_t len,
    size_t ref_min)
{
    size_t                    i, pos, room, span;
    const azoai_pii_match_t  *m;

    /* all of the body and the tags: the bound of the room, and its size */

    room = azoai_body_copy_room(result, len);

    if (room == SIZE_MAX || len < ref_min) {
        return room;
    }

    room -= len;

    if (len <= AZOAI_BODY_ROOM_BOUND) {
        if (__builtin_mul_overflow(result->nmatches + 1, ref_min - 1, &span)
            || span > len)
        {
            span = len;
        }

        return room + span;
    }

    pos = 0;

    for (i = 0; i < result->nmatches; i++) {
        m = &result->matches[i];
        span = m->start - pos;
        room += (span < ref_min) ? span : 0;
        pos = m->end;
    }

    span = len - pos;

    return room + ((span < ref_min) ? span : 0);
}
