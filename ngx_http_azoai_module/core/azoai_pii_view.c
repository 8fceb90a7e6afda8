/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The text view of one JSON string: escapes decoded, full-width forms
 * folded to ASCII, zero-width characters and soft hyphens dropped, with a
 * map from each view byte back to the raw character it came from.  Also
 * the byte-class table and the prefilter that skips bytes no detector can
 * start on.
 */

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* AVX2 where the CPU has it, chosen at run time (built for baseline x86-64) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(AZOAI_NO_AVX2)
#include <immintrin.h>
#define AZOAI_PII_AVX2  1
#endif

#include "azoai_ascii.h"
#include "azoai_pii_int.h"


#define AZOAI_PC_D  (AZOAI_PC_DIGIT|AZOAI_PC_HEX|AZOAI_PC_CAND|AZOAI_PC_RAW \
                     |AZOAI_PC_LOCAL|AZOAI_PC_DOMAIN|AZOAI_PC_SECRET)
#define AZOAI_PC_X  (AZOAI_PC_ALPHA|AZOAI_PC_HEX|AZOAI_PC_LOCAL               \
                     |AZOAI_PC_DOMAIN|AZOAI_PC_SECRET)
#define AZOAI_PC_A  (AZOAI_PC_ALPHA|AZOAI_PC_LOCAL|AZOAI_PC_DOMAIN          \
                     |AZOAI_PC_SECRET)
#define AZOAI_PC_S  (AZOAI_PC_CAND|AZOAI_PC_RAW)


#if (AZOAI_PII_AVX2)
static size_t azoai_pii_find_cand_avx2(const u_char *text, size_t i,
    size_t len);
static inline size_t azoai_pii_cand_window_avx2(const u_char *text,
    size_t i, size_t len, uint64_t *mask);
static size_t azoai_pii_cursor_scan_avx2(azoai_pii_cursor_t *c,
    size_t from);
static size_t azoai_pii_cursor_tail_avx2(azoai_pii_cursor_t *c,
    size_t from);
static inline __m256i azoai_pii_avx2_near_min(const u_char *p,
    __m256i top);
static inline int azoai_pii_avx2_near(__m256i m, const u_char *k);
static inline __m256i azoai_pii_avx2_near_tail(const u_char *text,
    size_t from, size_t len, const u_char *k);
static inline uint64_t azoai_pii_avx2_cand64(const u_char *p,
    const u_char *k);
static inline size_t azoai_pii_avx2_exact128(const u_char *p,
    const u_char *k, uint64_t *mask);
static inline size_t azoai_pii_avx2_flagged512(const u_char *p,
    const u_char *k, __m256i m0, __m256i m1, __m256i m2, __m256i m3,
    uint64_t *mask);
static int azoai_pii_view_needed_avx2(const u_char *raw, size_t len,
    size_t *base, size_t *skip);
static size_t azoai_pii_find_special_avx2(const u_char *raw, size_t i,
    size_t len);
static size_t azoai_pii_view_specials_avx2(const u_char *raw, size_t len,
    size_t *end);
#endif
static inline size_t azoai_pii_cursor_tail(azoai_pii_cursor_t *c,
    size_t from);
static int azoai_pii_may_start(const u_char *raw, size_t len, size_t i,
    size_t *skip);
#if (AZOAI_PII_AVX2)
static size_t azoai_pii_needed_at(const u_char *raw, size_t len, size_t i);
#endif
static size_t azoai_pii_find_special(const u_char *raw, size_t from,
    size_t len);
static inline size_t azoai_pii_find_cand_tail(const u_char *text, size_t i,
    size_t len);
static const azoai_pii_seg_t *azoai_pii_view_seg(
    const azoai_pii_view_t *view, size_t v);
static inline size_t azoai_pii_view_escape(const u_char *raw, size_t len,
    size_t *pos, u_char *out);
static inline size_t azoai_pii_view_utf8(const u_char *raw, size_t len,
    size_t *pos, u_char *out);
static size_t azoai_pii_fold(uint32_t cp, u_char *out);


const u_char  azoai_pii_class[256] = {
    ['0' ... '9'] = AZOAI_PC_D,
    ['A' ... 'F'] = AZOAI_PC_X,
    ['a' ... 'f'] = AZOAI_PC_X,
    ['G' ... 'Z'] = AZOAI_PC_A,
    ['g' ... 'z'] = AZOAI_PC_A,
    ['@'] = AZOAI_PC_S,
    [':'] = AZOAI_PC_S,
    ['+'] = AZOAI_PC_LOCAL|AZOAI_PC_SECRET,
    ['-'] = AZOAI_PC_LOCAL|AZOAI_PC_DOMAIN|AZOAI_PC_SECRET,
    ['.'] = AZOAI_PC_LOCAL|AZOAI_PC_SECRET,
    ['_'] = AZOAI_PC_LOCAL|AZOAI_PC_SECRET,
    ['%'] = AZOAI_PC_LOCAL|AZOAI_PC_SECRET,
    ['/'] = AZOAI_PC_SECRET,
    ['='] = AZOAI_PC_SECRET,
    ['\\'] = AZOAI_PC_RAW,
    [0x80 ... 0xff] = AZOAI_PC_RAW
};


#if defined(__SSE2__)

/*
 * 0xff per byte where a detector may be started: '0'..'9', ':', '@'.  A
 * phone's "+" or "(" is looked for from the digit after it.  '0'..':'
 * plus 0x50 are the eleven lowest signed bytes, -128..-118.
 */

static inline __m128i
azoai_pii_sse_cand(__m128i x)
{
    __m128i  hit;

    hit = _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8(0x50)),
                         _mm_set1_epi8((char) 0x8b));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8('@')));

    return hit;
}


/* bit per candidate byte of p[0 .. 63]; one test when there is none */

static inline uint64_t
azoai_pii_sse_cand64(const u_char *p)
{
    __m128i  a, b, c, d;

    a = azoai_pii_sse_cand(_mm_loadu_si128((const __m128i *) p));
    b = azoai_pii_sse_cand(_mm_loadu_si128((const __m128i *) (p + 16)));
    c = azoai_pii_sse_cand(_mm_loadu_si128((const __m128i *) (p + 32)));
    d = azoai_pii_sse_cand(_mm_loadu_si128((const __m128i *) (p + 48)));

    if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b),
                                       _mm_or_si128(c, d)))
        == 0)
    {
        return 0;
    }

    return (uint64_t) (unsigned) _mm_movemask_epi8(a)
           | (uint64_t) (unsigned) _mm_movemask_epi8(b) << 16
           | (uint64_t) (unsigned) _mm_movemask_epi8(c) << 32
           | (uint64_t) (unsigned) _mm_movemask_epi8(d) << 48;
}


/*
 * bit per byte where the view may differ from raw: '\\' and the lead
 * bytes of U+00A0..U+00BF, U+2000..U+2FFF, U+3000..U+3FFF, U+F000..U+FFFF
 */

static inline __m128i
azoai_pii_sse_special(__m128i x)
{
    __m128i  hit;

    hit = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8((char) 0xc2)));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8((char) 0xe2)));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8((char) 0xe3)));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8((char) 0xef)));

    return hit;
}

#endif


#if (AZOAI_PII_AVX2)

/*
 * The constants of the window search (azoai_pii_cand_window_avx2()), 32
 * bytes each: the quick test's top and lift (azoai_pii_avx2_near_min(),
 * azoai_pii_avx2_near()) and azoai_pii_avx2_cand()'s two.  The search
 * reads them from memory through a pointer GCC cannot see through
 * (azoai_pii_avx2_consts()): a load, or an operand of the instruction
 * that uses it, where GCC built each from an immediate in three
 * instructions, again after every call and in each flagged block (~12
 * a search, 48 searches a 64 KB request).
 */
#define AZOAI_PII_K_TOP     0
#define AZOAI_PII_K_LIFT    32
#define AZOAI_PII_K_SHIFT   64
#define AZOAI_PII_K_BELOW   96
#define AZOAI_PII_K_HIGH    128
#define AZOAI_PII_K_EF      160
#define AZOAI_PII_K_EE      192

static const u_char  azoai_pii_avx2_k[224] __attribute__((aligned(32))) = {
    [AZOAI_PII_K_TOP ... AZOAI_PII_K_TOP + 31] = 0x40,
    [AZOAI_PII_K_LIFT ... AZOAI_PII_K_LIFT + 31] = 0x7f - 0x10,
    [AZOAI_PII_K_SHIFT ... AZOAI_PII_K_SHIFT + 31] = 0x50,
    [AZOAI_PII_K_BELOW ... AZOAI_PII_K_BELOW + 31] = 0x8b,
    [AZOAI_PII_K_HIGH ... AZOAI_PII_K_HIGH + 31] = 0x80,
    [AZOAI_PII_K_EF ... AZOAI_PII_K_EF + 31] = 0xef,
    [AZOAI_PII_K_EE ... AZOAI_PII_K_EE + 31] = 0xee
};

#define azoai_pii_k(k, at)  _mm256_load_si256((const __m256i *) ((k) + (at)))
#define azoai_pii_ld(p)     _mm256_loadu_si256((const __m256i *) (p))


/* azoai_pii_avx2_k, its values hidden from the compiler */

static inline const u_char *
azoai_pii_avx2_consts(void)
{
    const u_char  *k;

    k = azoai_pii_avx2_k;

    __asm__ ("" : "+r" (k));

    return k;
}


/* azoai_pii_sse_cand() on 32 bytes */

__attribute__((target("avx2")))
static inline __m256i
azoai_pii_avx2_cand(__m256i x)
{
    __m256i  hit;

    hit = _mm256_cmpgt_epi8(_mm256_set1_epi8((char) 0x8b),
                            _mm256_add_epi8(x, _mm256_set1_epi8(0x50)));
    hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(x, _mm256_set1_epi8('@')));

    return hit;
}


/* azoai_pii_avx2_cand() with the constants of k */

__attribute__((target("avx2"), always_inline))
static inline __m256i
azoai_pii_avx2_cand_k(__m256i x, const u_char *k)
{
    __m256i  hit;

    hit = _mm256_cmpgt_epi8(azoai_pii_k(k, AZOAI_PII_K_BELOW),
                            _mm256_add_epi8(x, azoai_pii_k(k,
                                                     AZOAI_PII_K_SHIFT)));
    hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(x, azoai_pii_k(k,
                                                     AZOAI_PII_K_TOP)));

    return hit;
}


/*
 * The one AVX2 search loop, inlined into each caller with its classifier:
 * from i, 64 bytes a step while 64 are left, the first step where cls
 * flags a byte; its offset, and its flags (bit k: byte k) in *mask.  Else
 * the offset where fewer than 64 bytes are left, *mask 0.
 */

__attribute__((target("avx2"), always_inline))
static inline size_t
azoai_pii_avx2_search(const u_char *p, size_t i, size_t len,
    __m256i (*cls)(__m256i x), uint64_t *mask)
{
    uint64_t  lo, hi;
    __m256i   a, b;

    while (i + 64 <= len) {
        a = cls(_mm256_loadu_si256((const __m256i *) (p + i)));
        b = cls(_mm256_loadu_si256((const __m256i *) (p + i + 32)));

        if (_mm256_movemask_epi8(_mm256_or_si256(a, b))) {
            lo = (uint32_t) _mm256_movemask_epi8(a);
            hi = (uint32_t) _mm256_movemask_epi8(b);
            *mask = lo | hi << 32;
            return i;
        }

        i += 64;
    }

    *mask = 0;

    return i;
}


/*
 * The first candidate offset >= i in whole 64-byte blocks; else the
 * offset where fewer than 64 bytes are left
 */

__attribute__((target("avx2")))
static size_t
azoai_pii_find_cand_avx2(const u_char *text, size_t i, size_t len)
{
    uint64_t  mask;

    i = azoai_pii_avx2_search(text, i, len, azoai_pii_avx2_cand, &mask);

    return mask ? i + __builtin_ctzll(mask) : i;
}


/*
 * The quick test of blocks without candidates.  0x40 - x puts the bytes
 * 0x30..0x40 at 0x10..0: the candidates '0'..'9', ':' and '@', and the
 * five bytes ";<=>?" between them; every other byte lands above 0x10.
 * The unsigned minimum of p[0 .. 127] so mapped, per byte lane: at most
 * 0x10 in some lane when any of those bytes is there.  The subtraction
 * takes its operand from memory: two operations per 32 bytes.
 */

__attribute__((target("avx2")))
static inline __m256i
azoai_pii_avx2_near_min(const u_char *p, __m256i top)
{
    __m256i  a, b, c, d;

    a = _mm256_sub_epi8(top, _mm256_loadu_si256((const __m256i *) p));
    b = _mm256_sub_epi8(top, _mm256_loadu_si256((const __m256i *) (p + 32)));
    c = _mm256_sub_epi8(top, _mm256_loadu_si256((const __m256i *) (p + 64)));
    d = _mm256_sub_epi8(top, _mm256_loadu_si256((const __m256i *) (p + 96)));

    return _mm256_min_epu8(_mm256_min_epu8(a, b), _mm256_min_epu8(c, d));
}


/*
 * Whether a minimum of azoai_pii_avx2_near_min() flags a lane: adding
 * 0x6f with unsigned saturation leaves the top bit clear exactly for the
 * lanes at most 0x10, so one vptest tells (its carry: all top bits set;
 * a movemask took a compare more)
 */

__attribute__((target("avx2"), always_inline))
static inline int
azoai_pii_avx2_near(__m256i m, const u_char *k)
{
    return !_mm256_testc_si256(_mm256_adds_epu8(m, azoai_pii_k(k,
                                                       AZOAI_PII_K_LIFT)),
                               azoai_pii_k(k, AZOAI_PII_K_HIGH));
}


/*
 * azoai_pii_avx2_near_min() of the bytes from from to len (64 <= len,
 * len - from < 128) and some before from: the 64 bytes from from while
 * 64 are left, and the last 64
 */

__attribute__((target("avx2"), always_inline))
static inline __m256i
azoai_pii_avx2_near_tail(const u_char *text, size_t from, size_t len,
    const u_char *k)
{
    __m256i        top, m;
    const u_char  *p;

    top = azoai_pii_k(k, AZOAI_PII_K_TOP);
    p = text + len - 64;

    m = _mm256_min_epu8(
            _mm256_sub_epi8(top, _mm256_loadu_si256((const __m256i *) p)),
            _mm256_sub_epi8(top, _mm256_loadu_si256((const __m256i *)
                                                    (p + 32))));

    if (from + 64 <= len) {
        p = text + from;

        m = _mm256_min_epu8(m, _mm256_min_epu8(
                _mm256_sub_epi8(top, _mm256_loadu_si256((const __m256i *) p)),
                _mm256_sub_epi8(top, _mm256_loadu_si256((const __m256i *)
                                                        (p + 32)))));
    }

    return m;
}


/* the exact candidate bits of p[0 .. 63] */

__attribute__((target("avx2"), always_inline))
static inline uint64_t
azoai_pii_avx2_cand64(const u_char *p, const u_char *k)
{
    uint64_t  lo, hi;

    lo = (uint32_t) _mm256_movemask_epi8(azoai_pii_avx2_cand_k(
             _mm256_loadu_si256((const __m256i *) p), k));
    hi = (uint32_t) _mm256_movemask_epi8(azoai_pii_avx2_cand_k(
             _mm256_loadu_si256((const __m256i *) (p + 32)), k));

    return lo | hi << 32;
}


/*
 * The first candidate window in the 128 bytes at p whose quick test
 * flagged them: its offset from p (0 or 64) and bits in *mask; else 128
 * (";<=>?" alone)
 */

__attribute__((target("avx2"), always_inline))
static inline size_t
azoai_pii_avx2_exact128(const u_char *p, const u_char *k, uint64_t *mask)
{
    uint64_t  m;

    m = azoai_pii_avx2_cand64(p, k);

    if (m) {
        *mask = m;
        return 0;
    }

    m = azoai_pii_avx2_cand64(p + 64, k);

    if (m) {
        *mask = m;
        return 64;
    }

    return 128;
}


/*
 * The first candidate window of the 512 bytes at p whose joined quick
 * test flagged them, given the minima of their four 128-byte blocks:
 * its offset from p and bits in *mask; else 512 (";<=>?" alone).  Not
 * inlined, so that the compiler keeps none of the loads of the search
 * loop in registers for this rare path.
 */

__attribute__((target("avx2"), always_inline))
static inline size_t
azoai_pii_avx2_flagged512(const u_char *p, const u_char *k, __m256i m0,
    __m256i m1, __m256i m2, __m256i m3, uint64_t *mask)
{
    size_t  at;

    /*
     * memory "changes" here: the compiler reloads these bytes rather than
     * keep the search loop's loads in registers (and spill them) for
     * this rare path
     */
    __asm__ __volatile__ ("" ::: "memory");

    if (azoai_pii_avx2_near(m0, k)
        && (at = azoai_pii_avx2_exact128(p, k, mask)) < 128)
    {
        return at;
    }

    if (azoai_pii_avx2_near(m1, k)
        && (at = azoai_pii_avx2_exact128(p + 128, k, mask)) < 128)
    {
        return 128 + at;
    }

    if (azoai_pii_avx2_near(m2, k)
        && (at = azoai_pii_avx2_exact128(p + 256, k, mask)) < 128)
    {
        return 256 + at;
    }

    if (azoai_pii_avx2_near(m3, k)
        && (at = azoai_pii_avx2_exact128(p + 384, k, mask)) < 128)
    {
        return 384 + at;
    }

    return 512;
}


/*
 * The first 64-byte window from i with a candidate and its candidate bits
 * in *mask; else the offset where fewer than 128 bytes are left, *mask 0
 * (the rest is azoai_pii_cursor_tail_avx2()'s).
 *
 * 512 bytes a test where candidates are rare: the four 128-byte minima
 * of azoai_pii_avx2_near_min() joined and tested once; a flagged block
 * tests its minima in order and looks at the exact bits of the flagged
 * ones only.  Then 128 bytes a test.  At 64 KB with 40 values
 * (bench body, callgrind): 10.4k instructions per request with 256-byte
 * tests (a load, a subtract and a min per 32 bytes, a compare per test),
 * 8.6k with these.
 */

__attribute__((target("avx2"), always_inline))
static inline size_t
azoai_pii_cand_window_avx2(const u_char *text, size_t i, size_t len,
    uint64_t *mask)
{
    size_t         at;
    __m256i        top, m0, m1, m2, m3;
    const u_char  *k, *p, *last;

    k = azoai_pii_avx2_consts();
    top = azoai_pii_k(k, AZOAI_PII_K_TOP);

    /*
     * by pointer up to the last 512-byte block: the step is an add and
     * a compare, where the offset and the pointer both went on (six)
     */

    if (i + 512 <= len) {
        p = text + i;
        last = text + len - 512;

        do {
            m0 = azoai_pii_avx2_near_min(p, top);
            m1 = azoai_pii_avx2_near_min(p + 128, top);
            m2 = azoai_pii_avx2_near_min(p + 256, top);
            m3 = azoai_pii_avx2_near_min(p + 384, top);

            if (azoai_pii_avx2_near(_mm256_min_epu8(_mm256_min_epu8(m0, m1),
                                                    _mm256_min_epu8(m2, m3)),
                                    k))
            {
                at = azoai_pii_avx2_flagged512(p, k, m0, m1, m2, m3, mask);

                if (at < 512) {
                    return (size_t) (p - text) + at;
                }
            }

            p += 512;

        } while (p <= last);

        i = p - text;
    }

    while (i + 128 <= len) {
        if (azoai_pii_avx2_near(azoai_pii_avx2_near_min(text + i, top), k)) {
            at = azoai_pii_avx2_exact128(text + i, k, mask);

            if (at < 128) {
                return i + at;
            }
        }

        i += 128;
    }

    /* fewer than 128 bytes left: azoai_pii_cursor_tail_avx2() */

    *mask = 0;

    return i;
}


/* azoai_pii_sse_special() on 32 bytes */

__attribute__((target("avx2")))
static inline __m256i
azoai_pii_avx2_special(__m256i x)
{
    __m256i  hit;

    hit = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'));
    hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(x,
                                   _mm256_set1_epi8((char) 0xc2)));
    hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(x,
                                   _mm256_set1_epi8((char) 0xe2)));
    hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(x,
                                   _mm256_set1_epi8((char) 0xe3)));
    hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(x,
                                   _mm256_set1_epi8((char) 0xef)));

    return hit;
}


/* azoai_pii_find_cand_avx2() for the special bytes */

__attribute__((target("avx2")))
static size_t
azoai_pii_find_special_avx2(const u_char *raw, size_t i, size_t len)
{
    uint64_t  mask;

    i = azoai_pii_avx2_search(raw, i, len, azoai_pii_avx2_special, &mask);

    return mask ? i + __builtin_ctzll(mask) : i;
}


/* the special bytes of whole 32-byte blocks; *end: where they end */

__attribute__((target("avx2")))
static size_t
azoai_pii_view_specials_avx2(const u_char *raw, size_t len, size_t *end)
{
    size_t    i, k;
    uint64_t  lanes[4];
    __m256i   acc, sum;

    i = 0;
    sum = _mm256_setzero_si256();

    /* as in azoai_pii_view_specials(): count per byte lane, then psadbw */

    while (i + 32 <= len) {
        acc = _mm256_setzero_si256();

        for (k = 0; k < 255 && i + 32 <= len; k++, i += 32) {
            acc = _mm256_sub_epi8(acc, azoai_pii_avx2_special(
                      _mm256_loadu_si256((const __m256i *) (raw + i))));
        }

        sum = _mm256_add_epi64(sum, _mm256_sad_epu8(acc,
                                                    _mm256_setzero_si256()));
    }

    _mm256_storeu_si256((__m256i *) lanes, sum);
    *end = i;

    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

#endif


#define azoai_pii_special(c)                                                 \
    ((c) == '\\' || (c) == 0xc2 || (c) == 0xe2 || (c) == 0xe3 || (c) == 0xef)


/*
 * The cursor's scan for this CPU, chosen once when the library is loaded
 * (azoai_pii_cursor_init() is inline: its call and the CPU's test cost
 * ~10 instructions a string)
 */

azoai_pii_cursor_scan_pt  azoai_pii_cursor_scan_cpu = azoai_pii_cursor_scan;


#if (AZOAI_PII_AVX2)

static void azoai_pii_cursor_setup(void) __attribute__((constructor));


static void
azoai_pii_cursor_setup(void)
{
    __builtin_cpu_init();

    if (__builtin_cpu_supports("avx2")) {
        azoai_pii_cursor_scan_cpu = azoai_pii_cursor_scan_avx2;
    }
}

#endif


/*
 * azoai_pii_cursor_next() past the kept window: the next window with a
 * candidate is searched from from and kept.  One function per CPU, the
 * cursor's scan, called by pointer: no call between it and the vector
 * search, which is inlined.
 */

size_t
azoai_pii_cursor_scan(azoai_pii_cursor_t *c, size_t from)
{
#if defined(__SSE2__)
    uint64_t  mask;

    while (from + 64 <= c->len) {
        mask = azoai_pii_sse_cand64(c->text + from);

        if (mask) {
            c->base = from;
            c->mask = mask;

            return from + azoai_pii_cursor_bit(mask);
        }

        from += 64;
    }
#endif

    return azoai_pii_cursor_tail(c, from);
}


#if (AZOAI_PII_AVX2)

/*
 * the window's bits go straight into the cursor: a local whose address
 * is passed would cost a stack canary on every call
 */

__attribute__((target("avx2")))
static size_t
azoai_pii_cursor_scan_avx2(azoai_pii_cursor_t *c, size_t from)
{
    from = azoai_pii_cand_window_avx2(c->text, from, c->len, &c->mask);

    if (c->mask) {
        c->base = from;

        return from + azoai_pii_cursor_bit(c->mask);
    }

    return azoai_pii_cursor_tail_avx2(c, from);
}


/*
 * Fewer than 128 bytes left from from: a whole window, then the last 64
 * bytes of the text as azoai_pii_cursor_tail() takes them, both with the
 * search's constants from memory.  The 64-byte step of
 * azoai_pii_avx2_search() built its constants from immediates (nine
 * instructions), the SSE2 tail too, in four 16-byte steps: at the end
 * of every string.  Not inlined into azoai_pii_cursor_scan_avx2(): there
 * it cost the search a register copy at every call (bench_engine
 * iteration, 64 KB: +40 instructions inlined, -77 out of line).
 */

__attribute__((target("avx2"), noinline))
static size_t
azoai_pii_cursor_tail_avx2(azoai_pii_cursor_t *c, size_t from)
{
    size_t         base;
    uint64_t       mask;
    const u_char  *k;

    k = azoai_pii_avx2_consts();

    /*
     * Most strings end without a candidate: the quick test of
     * azoai_pii_avx2_near_min() on the 64 bytes from from (while 64 are
     * left) and the last 64, which hold all that is left, says so at
     * once (~48 instructions a string for the two exact windows, ~22
     * with it); the last 64 may hold bytes before from too, and a
     * candidate there sends the scan on as before
     */

    if (c->len >= 64
        && !azoai_pii_avx2_near(azoai_pii_avx2_near_tail(c->text, from,
                                                         c->len, k), k))
    {
        return c->len;
    }

    if (from + 64 <= c->len) {
        /* fewer than 128 bytes left: one whole window at most */

        mask = azoai_pii_avx2_cand64(c->text + from, k);

        if (mask) {
            c->base = from;
            c->mask = mask;

            return from + azoai_pii_cursor_bit(mask);
        }

        from += 64;
    }

    if (c->len >= 64 && from < c->len) {
        /* from - base is 1 .. 63 */

        base = c->len - 64;
        mask = azoai_pii_avx2_cand64(c->text + base, k)
               & (~(uint64_t) 0 << (from - base));

        if (mask == 0) {
            return c->len;
        }

        c->base = base;
        c->mask = mask;

        return base + azoai_pii_cursor_bit(mask);
    }

    return azoai_pii_find_cand(c->text, from, c->len);
}

#endif


/*
 * Fewer than 64 bytes left from from: the window is the last 64 bytes of
 * the text, with the bits before from cleared, kept like any other (one
 * test, and the stops after the first one in it are found inline, where
 * azoai_pii_find_cand() took ~60 instructions a string for the tail, and
 * a call for each stop in it)
 */

static inline size_t
azoai_pii_cursor_tail(azoai_pii_cursor_t *c, size_t from)
{
#if defined(__SSE2__)
    size_t    base;
    uint64_t  mask;

    if (c->len >= 64 && from < c->len) {
        /* from - base is 1 .. 63 */

        base = c->len - 64;
        mask = azoai_pii_sse_cand64(c->text + base)
               & (~(uint64_t) 0 << (from - base));

        if (mask == 0) {
            return c->len;
        }

        c->base = base;
        c->mask = mask;

        return base + azoai_pii_cursor_bit(mask);
    }
#endif

    return azoai_pii_find_cand(c->text, from, c->len);
}


size_t
azoai_pii_find_cand(const u_char *text, size_t from, size_t len)
{
    int       bits;
    size_t    i;
    uint64_t  bits64;

    i = from;

#if (AZOAI_PII_AVX2)
    if (__builtin_cpu_supports("avx2")) {
        i = azoai_pii_find_cand_avx2(text, i, len);

        if (i + 64 <= len) {
            return i;
        }
    }
#endif

#if defined(__SSE2__)
    while (i + 64 <= len) {
        bits64 = azoai_pii_sse_cand64(text + i);
        if (bits64) {
            return i + __builtin_ctzll(bits64);
        }

        i += 64;
    }

    while (i + 16 <= len) {
        bits = _mm_movemask_epi8(azoai_pii_sse_cand(
                   _mm_loadu_si128((const __m128i *) (text + i))));
        if (bits) {
            return i + __builtin_ctz(bits);
        }

        i += 16;
    }
#endif

    (void) bits;
    (void) bits64;

    return azoai_pii_find_cand_tail(text, i, len);
}


/*
 * The fewer than 16 bytes left from i: one test of the string's last 16
 * bytes, those before i shifted out, where the string has 16 (the byte
 * loop took ~110 instructions per 1 KB request, two strings)
 */

static inline size_t
azoai_pii_find_cand_tail(const u_char *text, size_t i, size_t len)
{
#if defined(__SSE2__)
    unsigned  bits;

    if (len >= 16 && i < len) {
        bits = (unsigned) _mm_movemask_epi8(azoai_pii_sse_cand(
                   _mm_loadu_si128((const __m128i *) (text + len - 16))));
        bits >>= 16 - (len - i);

        return bits ? i + __builtin_ctz(bits) : len;
    }
#endif

    while (i < len && !azoai_pii_is(text[i], AZOAI_PC_CAND)) {
        i++;
    }

    return i;
}


static size_t
azoai_pii_find_special(const u_char *raw, size_t from, size_t len)
{
    int      bits;
    size_t   i;

    i = from;

#if (AZOAI_PII_AVX2)
    if (len - i >= 80 && __builtin_cpu_supports("avx2")) {
        i = azoai_pii_find_special_avx2(raw, i, len);

        if (i + 64 <= len) {
            return i;
        }
    }
#endif

#if defined(__SSE2__)
    while (i + 16 <= len) {
        bits = _mm_movemask_epi8(azoai_pii_sse_special(
                   _mm_loadu_si128((const __m128i *) (raw + i))));
        if (bits) {
            return i + __builtin_ctz(bits);
        }

        i += 16;
    }
#endif

    (void) bits;

    while (i < len && !azoai_pii_special(raw[i])) {
        i++;
    }

    return i;
}


/*
 * An upper bound of the characters where the view differs from raw; 0:
 * the view is raw itself.
 */

size_t
azoai_pii_view_specials(const u_char *raw, size_t len)
{
    size_t  i, n;

    i = 0;
    n = 0;

#if (AZOAI_PII_AVX2)
    if (__builtin_cpu_supports("avx2")) {
        n = azoai_pii_view_specials_avx2(raw, len, &i);
    }
#endif

#if defined(__SSE2__)
    {
        size_t    k;
        uint64_t  lanes[2];
        __m128i   acc, sum;

        /*
         * a hit byte is 0xff (-1): subtracting counts it per byte lane; the
         * lanes are summed (psadbw) before they can wrap at 255
         */

        sum = _mm_setzero_si128();

        while (i + 16 <= len) {
            acc = _mm_setzero_si128();

            for (k = 0; k < 255 && i + 16 <= len; k++, i += 16) {
                acc = _mm_sub_epi8(acc, azoai_pii_sse_special(
                          _mm_loadu_si128((const __m128i *) (raw + i))));
            }

            sum = _mm_add_epi64(sum, _mm_sad_epu8(acc, _mm_setzero_si128()));
        }

        _mm_storeu_si128((__m128i *) lanes, sum);
        n += lanes[0] + lanes[1];
    }
#endif

    for ( /* void */ ; i < len; i++) {
        n += azoai_pii_special(raw[i]);
    }

    return n;
}


/*
 * 1 when the view of raw may hold the start of a match; a string without
 * one needs no view and no scan (one prefilter pass).  It may say 1 for
 * a string without a match, never 0 for one with a match.
 */

int
azoai_pii_view_needed(const u_char *raw, size_t len)
{
    int     bits;
    size_t  i, base, skip;

    base = 0;
    skip = 0;

#if (AZOAI_PII_AVX2)
    if (__builtin_cpu_supports("avx2")
        && azoai_pii_view_needed_avx2(raw, len, &base, &skip))
    {
        return 1;
    }
#endif

#if defined(__SSE2__)
    {
        __m128i  x, next, esc;

        /*
         * flag candidates, "\\u" and 0xef (U+F000..U+FFFF, the full-width
         * forms); look at each flagged byte of a block, not one stop each
         */

        for ( /* void */ ; base + 17 <= len; base += 16) {
            x = _mm_loadu_si128((const __m128i *) (raw + base));
            next = _mm_loadu_si128((const __m128i *) (raw + base + 1));

            esc = _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')),
                                _mm_cmpeq_epi8(next, _mm_set1_epi8('u')));
            esc = _mm_or_si128(esc, _mm_cmpeq_epi8(x,
                                                   _mm_set1_epi8((char) 0xef)));

            bits = _mm_movemask_epi8(_mm_or_si128(azoai_pii_sse_cand(x), esc));

            while (bits) {
                i = base + __builtin_ctz(bits);
                bits &= bits - 1;

                if (i >= skip && azoai_pii_may_start(raw, len, i, &skip)) {
                    return 1;
                }
            }
        }
    }
#endif

    (void) bits;

    for (i = base > skip ? base : skip; i < len; i++) {
        if (azoai_pii_is(raw[i], AZOAI_PC_RAW)
            && i >= skip && azoai_pii_may_start(raw, len, i, &skip))
        {
            return 1;
        }
    }

    return 0;
}


#if (AZOAI_PII_AVX2)

/*
 * The candidates (azoai_pii_avx2_cand_k()) and 0xef of p[0 .. 63]: the
 * flags of the exact step (azoai_pii_view_needed_avx2()) without "\\u"
 */

__attribute__((target("avx2")))
static inline uint64_t
azoai_pii_avx2_needed64(const u_char *p)
{
    __m256i        a, b, ef;
    const u_char  *k;

    k = azoai_pii_avx2_consts();
    ef = azoai_pii_k(k, AZOAI_PII_K_EF);

    a = _mm256_loadu_si256((const __m256i *) p);
    b = _mm256_loadu_si256((const __m256i *) (p + 32));

    return (uint32_t) _mm256_movemask_epi8(
               _mm256_or_si256(azoai_pii_avx2_cand_k(a, k),
                               _mm256_cmpeq_epi8(a, ef)))
           | (uint64_t) (uint32_t) _mm256_movemask_epi8(
               _mm256_or_si256(azoai_pii_avx2_cand_k(b, k),
                               _mm256_cmpeq_epi8(b, ef))) << 32;
}


/*
 * The flagged bytes of the 128 bytes at raw + b, bit k of m[] byte b + k,
 * from from on: whether one may start a match (azoai_pii_needed_at())
 */

static int
azoai_pii_needed_bits(const u_char *raw, size_t len, size_t b,
    const uint64_t *m, size_t from)
{
    size_t    i, h, next;
    uint64_t  bits;

    next = from;

    for (h = 0; h < 2; h++) {
        for (bits = m[h]; bits; bits &= bits - 1) {
            i = b + 64 * h + __builtin_ctzll(bits);

            if (i >= next) {
                next = azoai_pii_needed_at(raw, len, i);

                if (next == 0) {
                    return 1;
                }
            }
        }
    }

    return 0;
}


/*
 * The quick test 128 bytes a step from b while 128 are left, and the
 * flagged bytes of a flagged block; *end: where fewer than 128 are left.
 *
 * The digits and ':' folded over the four vectors before one compare
 * (the signed minimum of x + 0x50: below 0x8b where one is), 0xef as
 * the unsigned maximum: above 0xee where one is, or 0xf0 .. 0xff (rare
 * outside emoji; the exact bits of the block then tell).  Each of the
 * three takes its bytes from memory, an operand of its instruction
 * (the empty asm on p keeps GCC from loading each vector once into a
 * register, an instruction more per vector).  27 instructions per 128
 * bytes; 36 with the three compares per vector ORed, 30 with the
 * vectors loaded (clean-1m 1.968, 1.921, now 1.905 instr/byte).
 */

__attribute__((target("avx2")))
static int
azoai_pii_avx2_needed_blocks(const u_char *raw, size_t b, size_t len,
    size_t *end)
{
    uint64_t       m[2];
    __m256i        d, a, h, bel, sh, at, ee;
    const u_char  *k, *p, *last;

    k = azoai_pii_avx2_consts();
    bel = azoai_pii_k(k, AZOAI_PII_K_BELOW);
    sh = azoai_pii_k(k, AZOAI_PII_K_SHIFT);
    at = azoai_pii_k(k, AZOAI_PII_K_TOP);
    ee = azoai_pii_k(k, AZOAI_PII_K_EE);

    p = raw + b;
    last = raw + len - 128;

    do {
        d = _mm256_min_epi8(
                _mm256_min_epi8(_mm256_add_epi8(sh, azoai_pii_ld(p)),
                                _mm256_add_epi8(sh, azoai_pii_ld(p + 32))),
                _mm256_min_epi8(_mm256_add_epi8(sh, azoai_pii_ld(p + 64)),
                                _mm256_add_epi8(sh, azoai_pii_ld(p + 96))));

        __asm__ ("" : "+r" (p));

        a = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpeq_epi8(at, azoai_pii_ld(p)),
                                _mm256_cmpeq_epi8(at, azoai_pii_ld(p + 32))),
                _mm256_or_si256(_mm256_cmpeq_epi8(at, azoai_pii_ld(p + 64)),
                                _mm256_cmpeq_epi8(at, azoai_pii_ld(p + 96))));

        __asm__ ("" : "+r" (p));

        h = _mm256_max_epu8(azoai_pii_ld(p), azoai_pii_ld(p + 32));
        h = _mm256_max_epu8(h, azoai_pii_ld(p + 64));
        h = _mm256_max_epu8(h, azoai_pii_ld(p + 96));

        __asm__ ("" : "+r" (p));

        a = _mm256_or_si256(a, _mm256_cmpgt_epi8(bel, d));
        a = _mm256_or_si256(a, _mm256_subs_epu8(h, ee));

        if (!_mm256_testz_si256(a, a)) {
            m[0] = azoai_pii_avx2_needed64(p);
            m[1] = azoai_pii_avx2_needed64(p + 64);

            if ((m[0] | m[1])
                && azoai_pii_needed_bits(raw, len, p - raw, m, p - raw))
            {
                return 1;
            }
        }

        p += 128;

    } while (p <= last);

    *end = p - raw;

    return 0;
}


/*
 * azoai_pii_view_needed() of raw: all of it where it has 128 bytes, else
 * while 33 bytes are left; *base and *skip say where it stopped.
 *
 * The exact step (candidates, "\\u" and 0xef flagged, each flagged byte
 * judged in order by azoai_pii_may_start()) took ~25 instructions per 32
 * bytes: 0.81 per byte of a 1 MB prompt without digits.  From 128 bytes
 * on, 128 bytes a test of the candidates and 0xef alone (0.23 a byte),
 * and each flagged byte of a flagged block judged alone
 * (azoai_pii_needed_at()), with the same answer: a "\\u" escape decodes
 * to a candidate only with a digit among its hex digits ("0030" ..
 * "003a", "0040", "ff10" .. "ff1a", "ff20"), and that digit is flagged.
 */

__attribute__((target("avx2")))
static int
azoai_pii_view_needed_avx2(const u_char *raw, size_t len, size_t *base,
    size_t *skip)
{
    size_t         i, b, s;
    uint32_t       bits;
    uint64_t       m[2];
    __m256i        x, next, esc;
    const u_char  *p;

    if (len >= 128) {
        if (azoai_pii_avx2_needed_blocks(raw, 0, len, &b)) {
            return 1;
        }

        /* the last 128 bytes, those looked at cleared */

        if (b < len) {
            p = raw + len - 128;

            m[0] = azoai_pii_avx2_needed64(p);
            m[1] = azoai_pii_avx2_needed64(p + 64);

            if (azoai_pii_needed_bits(raw, len, len - 128, m, b)) {
                return 1;
            }
        }

        *base = len;

        return 0;
    }

    s = *skip;

    for (b = *base; b + 33 <= len; b += 32) {
        x = _mm256_loadu_si256((const __m256i *) (raw + b));
        next = _mm256_loadu_si256((const __m256i *) (raw + b + 1));

        esc = _mm256_and_si256(
                  _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\')),
                  _mm256_cmpeq_epi8(next, _mm256_set1_epi8('u')));
        esc = _mm256_or_si256(esc, _mm256_cmpeq_epi8(x,
                                       _mm256_set1_epi8((char) 0xef)));

        bits = (uint32_t) _mm256_movemask_epi8(
                   _mm256_or_si256(azoai_pii_avx2_cand(x), esc));

        while (bits) {
            i = b + __builtin_ctz(bits);
            bits &= bits - 1;

            if (i >= s && azoai_pii_may_start(raw, len, i, &s)) {
                return 1;
            }
        }
    }

    *base = b;
    *skip = s;

    return 0;
}

#endif


/*
 * Whether the "\uXXXX" at i may start a match: a candidate or a
 * full-width one (U+FF10..U+FF1A, U+FF20) from its code point, else
 * *skip is set past it.  A surrogate pair's first half is no candidate;
 * its second half, looked at alone, is a lone surrogate: no candidate
 * either.  Decoding the escape (azoai_pii_view_char()) took ~60
 * instructions more.
 */

static inline int
azoai_pii_u_may_start(const u_char *raw, size_t len, size_t i,
    size_t *skip)
{
    int  cp;

    cp = (len - i >= 6) ? azoai_hex4(raw + i + 2) : -1;

    if (cp < 0) {
        *skip = i + 2;
        return 0;
    }

    if (cp >= 0xff00) {
        cp -= 0xfee0;
    }

    if (cp < 0x80 && azoai_pii_is(cp, AZOAI_PC_CAND)) {
        return 1;
    }

    *skip = i + 6;
    return 0;
}


/* whether a ':' before next may start a match: an IPv6 has ":f" or "::" */

static inline int
azoai_pii_colon_may_start(u_char next)
{
    return azoai_pii_digit(next) || next == '\\' || next >= 0x80
           || next == ':' || azoai_pii_is(next, AZOAI_PC_HEX);
}


/*
 * Whether the flagged byte at i may give the view a match start; *skip is
 * set past the escape or character that starts there.
 */

static int
azoai_pii_may_start(const u_char *raw, size_t len, size_t i, size_t *skip)
{
    size_t  pos;
    u_char  c, next, out[4];

    c = raw[i];
    *skip = i + 1;

    if (azoai_pii_digit(c) || c == '@') {
        return 1;
    }

    next = (i + 1 < len) ? raw[i + 1] : ' ';

    if (c == ':') {
        return azoai_pii_colon_may_start(next);
    }

    if (c == '\\' && next == 'u') {
        return azoai_pii_u_may_start(raw, len, i, skip);
    }

    /* U+F000..U+FFFF: what does it decode to? */

    if (c == 0xef) {
        pos = i;

        if (azoai_pii_view_char(raw, len, &pos, out) == 1
            && azoai_pii_is(out[0], AZOAI_PC_CAND))
        {
            return 1;
        }

        *skip = pos;
        return 0;
    }

    /* other escapes and characters */
    return 0;
}


#if (AZOAI_PII_AVX2)

/*
 * azoai_pii_may_start() of a candidate or 0xef at i, judged without the
 * bytes before: 0 when it may start a match, else where the next flagged
 * byte to judge may be.  The in-order judgement skips a candidate only
 * inside an escape or character judged before it, and of those only a
 * "\\uXXXX" holds one: a digit among its hex digits (a surrogate pair's
 * second half is a "\\uXXXX" too, a lone surrogate when judged alone).
 * The escape is found in the five bytes before the digit, and what it
 * decodes to is the answer.
 */

static size_t
azoai_pii_needed_at(const u_char *raw, size_t len, size_t i)
{
    size_t  e, lo, skip;

    if (azoai_pii_digit(raw[i])) {
        lo = (i >= 5) ? i - 5 : 0;

        for (e = i - 2; i >= 2 && e >= lo; e--) {
            if (raw[e] == '\\' && raw[e + 1] == 'u') {
                if (azoai_pii_u_may_start(raw, len, e, &skip)) {
                    return 0;
                }

                /* without four hex digits the escape ends before i */
                return (skip > i) ? skip : 0;
            }

            if (e == 0) {
                break;
            }
        }

        return 0;
    }

    /* the colons of prose without a call (~30 instructions each) */

    if (raw[i] == ':') {
        return azoai_pii_colon_may_start((i + 1 < len) ? raw[i + 1] : ' ')
               ? 0 : i + 1;
    }

    return azoai_pii_may_start(raw, len, i, &skip) ? 0 : i + 1;
}
#endif


/*
 * Builds the view of raw into buf (len bytes: the view is never longer)
 * and segs (azoai_pii_view_specials() entries at most).
 */

void
azoai_pii_view_build(azoai_pii_view_t *view, const u_char *raw,
    size_t len, u_char *buf, azoai_pii_seg_t *segs)
{
    size_t  i, j, o, n, ns;
    u_char  out[4];

    i = 0;
    o = 0;
    ns = 0;

    for ( ;; ) {
        j = azoai_pii_find_special(raw, i, len);

        memcpy(buf + o, raw + i, j - i);
        o += j - i;
        i = j;

        if (i >= len) {
            break;
        }

        n = azoai_pii_view_char(raw, len, &i, out);

        if (n != i - j || memcmp(out, raw + j, n) != 0) {
            segs[ns].view = (uint32_t) o;
            segs[ns].raw = (uint32_t) j;
            ns++;
        }

        memcpy(buf + o, out, n);
        o += n;
    }

    view->text = buf;
    view->len = o;
    view->raw = raw;
    view->raw_len = len;
    view->segs = segs;
    view->nsegs = ns;
}


/*
 * The segment view offset v falls in or after: the last one whose view
 * offset is <= v; NULL when v comes before the first.
 */

static const azoai_pii_seg_t *
azoai_pii_view_seg(const azoai_pii_view_t *view, size_t v)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = view->nsegs;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (view->segs[mid].view <= v) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo ? &view->segs[lo - 1] : NULL;
}


/* the raw offset of the character behind view byte v */

size_t
azoai_pii_view_raw_start(const azoai_pii_view_t *view, size_t v)
{
    size_t                  pos, n;
    u_char                  out[4];
    const azoai_pii_seg_t  *seg;

    seg = azoai_pii_view_seg(view, v);

    if (seg == NULL) {
        return v;
    }

    pos = seg->raw;
    n = azoai_pii_view_char(view->raw, view->raw_len, &pos, out);

    if (v < seg->view + n) {
        return seg->raw;
    }

    return pos + (v - seg->view - n);
}


/* the raw offset just past the character behind view byte v */

size_t
azoai_pii_view_raw_end(const azoai_pii_view_t *view, size_t v)
{
    size_t                  pos, n;
    u_char                  out[4];
    const azoai_pii_seg_t  *seg;

    seg = azoai_pii_view_seg(view, v);

    if (seg == NULL) {
        return v + 1;
    }

    pos = seg->raw;
    n = azoai_pii_view_char(view->raw, view->raw_len, &pos, out);

    if (v < seg->view + n) {
        return pos;
    }

    return pos + (v - seg->view - n) + 1;
}


/*
 * Decodes the character at *pos (an escape, a UTF-8 sequence or a byte),
 * advances *pos past it and writes its view bytes to out (4 at most);
 * returns how many, 0 for characters the view ignores.
 */

size_t
azoai_pii_view_char(const u_char *raw, size_t len, size_t *pos,
    u_char *out)
{
    size_t  p;
    u_char  c;

    p = *pos;
    c = raw[p];

    if (c < 0x80 && c != '\\') {
        *pos = p + 1;
        out[0] = c;
        return 1;
    }

    if (c == '\\') {
        return azoai_pii_view_escape(raw, len, pos, out);
    }

    return azoai_pii_view_utf8(raw, len, pos, out);
}


/* azoai_pii_view_char() of the backslash at *pos */

static inline size_t
azoai_pii_view_escape(const u_char *raw, size_t len, size_t *pos,
    u_char *out)
{
    int       e;
    size_t    p, n;
    u_char    c;
    uint32_t  cp;

    p = *pos;

    if (p + 1 >= len) {
        *pos = p + 1;
        out[0] = '\\';
        return 1;
    }

    c = raw[p + 1];

    /* a \uXXXX escape of JSON nested in this string */

    if (c == '\\' && p + 7 <= len && raw[p + 2] == 'u') {
        e = azoai_hex4(raw + p + 3);

        if (e >= 0 && !azoai_utf16_surrogate(e)) {
            *pos = p + 7;
            return azoai_pii_fold((uint32_t) e, out);
        }
    }

    n = (c == 'u') ? azoai_json_u_escape(raw + p, raw + len, &cp) : 0;

    if (n == 0) {
        /* other escapes stand for their byte, unknown ones for their own */
        *pos = p + 2;
        e = azoai_json_unescape(c);
        out[0] = (e < 0) ? c : (u_char) e;
        return 1;
    }

    if (n == 6 && azoai_utf16_surrogate(cp)) {
        cp = AZOAI_UTF_REPLACEMENT;
    }

    *pos = p + n;

    return azoai_pii_fold(cp, out);
}


/* azoai_pii_view_char() of the byte >= 0x80 at *pos */

static inline size_t
azoai_pii_view_utf8(const u_char *raw, size_t len, size_t *pos,
    u_char *out)
{
    size_t    p, n, k;
    u_char    c;
    uint32_t  cp;

    p = *pos;
    c = raw[p];

    /* invalid sequences pass as single bytes */

    if (c >= 0xf0 && c < 0xf5) {
        n = 4;
        cp = c & 0x07;

    } else if (c >= 0xe0) {
        n = 3;
        cp = c & 0x0f;

    } else if (c >= 0xc2) {
        n = 2;
        cp = c & 0x1f;

    } else {
        n = 1;
        cp = 0;
    }

    if (n == 1 || p + n > len) {
        *pos = p + 1;
        out[0] = c;
        return 1;
    }

    for (k = 1; k < n; k++) {
        if ((raw[p + k] & 0xc0) != 0x80) {
            *pos = p + 1;
            out[0] = c;
            return 1;
        }

        cp = (cp << 6) | (raw[p + k] & 0x3f);
    }

    *pos = p + n;

    return azoai_pii_fold(cp, out);
}


/* a code point as the view shows it: folded, ignored or UTF-8 */

static size_t
azoai_pii_fold(uint32_t cp, u_char *out)
{
    if (cp >= 0xff01 && cp <= 0xff5e) {
        out[0] = (u_char) (cp - 0xfee0);
        return 1;
    }

    switch (cp) {

    /* zero-width space, non-joiner, joiner, word joiner, BOM, soft hyphen */
    case 0x200b: case 0x200c: case 0x200d: case 0x2060: case 0xfeff:
    case 0x00ad:
        return 0;

    /* ideographic, no-break and other spaces */
    case 0x3000: case 0x00a0: case 0x2000: case 0x2001: case 0x2002:
    case 0x2003: case 0x2004: case 0x2005: case 0x2006: case 0x2007:
    case 0x2008: case 0x2009: case 0x200a: case 0x202f:
        out[0] = ' ';
        return 1;

    /* hyphens and dashes, minus sign */
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2212:
        out[0] = '-';
        return 1;
    }

    return azoai_utf8_encode(cp, out);
}
