/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The tokenizer's string scan with AVX2, 64 bytes a step.  Only the
 * closing quote, escapes other than the simple ones and errors stop it:
 * multi-byte UTF-8 is validated in the vector registers with the lookup
 * method of Keiser and Lemire ("Validating UTF-8 in less than one
 * instruction per byte", 2021, as simdjson does), and the simple escapes
 * are found with the backslash-run carry of simdjson, so that text with
 * accents and "\n" runs at the speed of plain ASCII.  Errors are left to
 * the scalar scan in azoai_json.c, which reports their exact offset.
 */

#include <string.h>

#include "azoai_json_int.h"

#if (AZOAI_JSON_AVX2)
#include <immintrin.h>
#endif


/* -1: the CPU not asked yet */
int  azoai_json_avx2_state = -1;


int
azoai_json_avx2_usable(void)
{
    if (azoai_json_avx2_state < 0) {
#if (AZOAI_JSON_AVX2)
        azoai_json_avx2_state = __builtin_cpu_supports("avx2") ? 1 : 0;
#else
        azoai_json_avx2_state = 0;
#endif
    }

    return azoai_json_avx2_state;
}


void
azoai_json_simd(int on)
{
    azoai_json_avx2_state = -1;

    if (!on) {
        azoai_json_avx2_state = 0;
    }
}


#if (AZOAI_JSON_AVX2)

/*
 * The error classes of the lookup method: a pair of bytes (the previous
 * one, this one) is invalid when the three tables, indexed by the high
 * and low nibble of the previous byte and the high nibble of this one,
 * share a class.  TOO_LARGE_1000 and OVERLONG_4 share a bit: they need
 * different lead bytes (F5+ and F0) and the same second nibble (1000).
 */
#define AZOAI_U8_TOO_SHORT       0x01   /* lead, then no continuation */
#define AZOAI_U8_TOO_LONG        0x02   /* ASCII, then continuation */
#define AZOAI_U8_OVERLONG_3      0x04   /* E0 80..9F */
#define AZOAI_U8_TOO_LARGE       0x08   /* F4 90+, F5+ 90+ */
#define AZOAI_U8_SURROGATE       0x10   /* ED A0..BF */
#define AZOAI_U8_OVERLONG_2      0x20   /* C0, C1 */
#define AZOAI_U8_TOO_LARGE_1000  0x40   /* F5+ 80..8F */
#define AZOAI_U8_OVERLONG_4      0x40   /* F0 80..8F */
#define AZOAI_U8_TWO_CONTS       0x80   /* continuation, continuation */
#define AZOAI_U8_CARRY                                                        \
    (AZOAI_U8_TOO_SHORT|AZOAI_U8_TOO_LONG|AZOAI_U8_TWO_CONTS)
#define AZOAI_U8_LARGE                                                        \
    (AZOAI_U8_CARRY|AZOAI_U8_TOO_LARGE|AZOAI_U8_TOO_LARGE_1000)

/* a 16-byte lookup table in both lanes (values above 0x7f as char) */
#define azoai_json_c(x)  ((char) (unsigned char) (x))
#define azoai_json_table16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)   \
    _mm256_setr_epi8(                                                         \
        azoai_json_c(a), azoai_json_c(b), azoai_json_c(c), azoai_json_c(d),   \
        azoai_json_c(e), azoai_json_c(f), azoai_json_c(g), azoai_json_c(h),   \
        azoai_json_c(i), azoai_json_c(j), azoai_json_c(k), azoai_json_c(l),   \
        azoai_json_c(m), azoai_json_c(n), azoai_json_c(o), azoai_json_c(p),   \
        azoai_json_c(a), azoai_json_c(b), azoai_json_c(c), azoai_json_c(d),   \
        azoai_json_c(e), azoai_json_c(f), azoai_json_c(g), azoai_json_c(h),   \
        azoai_json_c(i), azoai_json_c(j), azoai_json_c(k), azoai_json_c(l),   \
        azoai_json_c(m), azoai_json_c(n), azoai_json_c(o), azoai_json_c(p))


/*
 * The constants of the plain-text tests, read from memory through a
 * pointer the compiler cannot see through (azoai_json_string_scan()):
 * GCC built them from immediates again at every stop, three
 * instructions each
 */
typedef struct {
    __m256i  two;       /* x ^ 2 */
    __m256i  k21;       /* below 0x21 */
    __m256i  bs;        /* '\\' */
    __m256i  high;      /* the top bits */
    __m256i  quote;     /* '"' */
    __m256i  cont;      /* continuations: signed below 0xc0 */
    __m256i  k42;       /* x - 0x42: the 2-byte leads C2..DF first */
    __m256i  lead2;     /* (x - 0x42) signed below 0x9e: C2..DF */
    __m256i  nib;       /* azoai_json_utf8_check(): the low nibble */
    __m256i  must2;     /* 0xe0 - 0x80 */
    __m256i  must3;     /* 0xf0 - 0x80 */
    __m256i  n;         /* 'n' */
} azoai_json_k_t;

#define azoai_json_k4(x)                                                      \
    { (long long) (x), (long long) (x), (long long) (x), (long long) (x) }

static const azoai_json_k_t  azoai_json_k = {
    .two = azoai_json_k4(0x0202020202020202ULL),
    .k21 = azoai_json_k4(0x2121212121212121ULL),
    .bs = azoai_json_k4(0x5c5c5c5c5c5c5c5cULL),
    .high = azoai_json_k4(0x8080808080808080ULL),
    .quote = azoai_json_k4(0x2222222222222222ULL),
    .cont = azoai_json_k4(0xc0c0c0c0c0c0c0c0ULL),
    .k42 = azoai_json_k4(0x4242424242424242ULL),
    .lead2 = azoai_json_k4(0x9e9e9e9e9e9e9e9eULL),
    .nib = azoai_json_k4(0x0f0f0f0f0f0f0f0fULL),
    .must2 = azoai_json_k4(0x6060606060606060ULL),
    .must3 = azoai_json_k4(0x7070707070707070ULL),
    .n = azoai_json_k4(0x6e6e6e6e6e6e6e6eULL)
};


static inline uint64_t azoai_json_mask64(__m256i lo, __m256i hi);
static inline __m256i azoai_json_special(__m256i x,
    const azoai_json_k_t *k);
static azoai_json_scan_t azoai_json_string_stop(const u_char *pos,
    const u_char *end, unsigned flags);
static inline azoai_json_scan_t azoai_json_string_scan(const u_char *p,
    const u_char *end, unsigned flags, unsigned brackets);
static inline const u_char *azoai_json_find_special(const u_char *p,
    const u_char *end, unsigned brackets, const azoai_json_k_t *k);
static inline uint64_t azoai_json_special64(const u_char *p,
    const azoai_json_k_t *k);
static inline const u_char *azoai_json_near_special(const u_char **pos,
    const u_char *end, const azoai_json_k_t *k);
static inline int azoai_json_any_special(const u_char *p, size_t n,
    unsigned brackets, const azoai_json_k_t *k);
static inline size_t azoai_json_clean512(const u_char *p,
    unsigned brackets, const azoai_json_k_t *k);
static inline int azoai_json_flagged(const __m256i *lo,
    const __m256i *back, unsigned brackets, const azoai_json_k_t *k);
static inline void azoai_json_special128(const u_char *p, __m256i *lo,
    __m256i *back, unsigned brackets, const azoai_json_k_t *k);
static inline __m256i azoai_json_utf8_check(__m256i x, __m256i prev,
    const azoai_json_k_t *k);
static inline uint64_t azoai_json_utf8_errors64(__m256i a, __m256i b,
    const azoai_json_k_t *k);
static inline int azoai_json_utf8_pairs(__m256i a, __m256i b,
    const azoai_json_k_t *k);
static inline uint64_t azoai_json_escaped(uint64_t bs, unsigned *carry);
static inline unsigned azoai_json_block_stop(const u_char *p,
    unsigned *flags, unsigned brackets, const azoai_json_k_t *k);
static inline unsigned azoai_json_block_first(const u_char *p,
    __m256i a, __m256i b, uint64_t bs, uint64_t stops, unsigned *carry,
    const azoai_json_k_t *k);
static inline unsigned azoai_json_block_cut(const u_char *p);


/* azoai_json_block_stop(): the scalar scan must judge the block */
#define AZOAI_JSON_SCALAR_BLOCK  (2 * AZOAI_JSON_BLOCK + 1)


/* the escapes stepped over inline: \" \\ \/ \b \f \n \r \t */

static const u_char  azoai_json_simple_escape[256] = {
    ['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1, ['f'] = 1, ['n'] = 1,
    ['r'] = 1, ['t'] = 1
};


/* the bits k of the bytes k < n of a block (n <= 64) */
#define azoai_json_below(n)                                                   \
    ((n) >= 64 ? ~(uint64_t) 0 : ((uint64_t) 1 << (n)) - 1)


__attribute__((target("avx2")))
static inline uint64_t
azoai_json_mask64(__m256i lo, __m256i hi)
{
    return (uint64_t) (uint32_t) _mm256_movemask_epi8(lo)
           | (uint64_t) (uint32_t) _mm256_movemask_epi8(hi) << 32;
}


/* the top bit set per byte that is '"', '\\', < 0x20 or >= 0x80 */

__attribute__((target("avx2")))
static inline __m256i
azoai_json_special(__m256i x, const azoai_json_k_t *k)
{
    /*
     * x ^ 2 < 0x21, signed: exactly 0x00..0x1f, '"' (0x22 ^ 2 is 0x20)
     * and the bytes >= 0x80, which are negative; the saturating subtract
     * of 0x21 leaves them negative (one instruction, where the compare
     * became a minimum and a compare)
     */
    return _mm256_or_si256(
               _mm256_subs_epi8(_mm256_xor_si256(x, k->two), k->k21),
               _mm256_cmpeq_epi8(x, k->bs));
}


/*
 * Non-zero bytes where x (32 bytes after prev) breaks UTF-8: the pair
 * tables, then the third and fourth bytes of 3- and 4-byte sequences,
 * which must be continuations (and only they may be after a
 * continuation: the TWO_CONTS class cancels against them).
 */

__attribute__((target("avx2")))
static inline __m256i
azoai_json_utf8_check(__m256i x, __m256i prev, const azoai_json_k_t *k)
{
    __m256i  t, prev1, prev2, prev3, nib, sc, must23;

    nib = k->nib;

    t = _mm256_permute2x128_si256(prev, x, 0x21);
    prev1 = _mm256_alignr_epi8(x, t, 15);
    prev2 = _mm256_alignr_epi8(x, t, 14);
    prev3 = _mm256_alignr_epi8(x, t, 13);

    sc = _mm256_shuffle_epi8(
             azoai_json_table16(
                 AZOAI_U8_TOO_LONG, AZOAI_U8_TOO_LONG, AZOAI_U8_TOO_LONG,
                 AZOAI_U8_TOO_LONG, AZOAI_U8_TOO_LONG, AZOAI_U8_TOO_LONG,
                 AZOAI_U8_TOO_LONG, AZOAI_U8_TOO_LONG,
                 AZOAI_U8_TWO_CONTS, AZOAI_U8_TWO_CONTS, AZOAI_U8_TWO_CONTS,
                 AZOAI_U8_TWO_CONTS,
                 AZOAI_U8_TOO_SHORT|AZOAI_U8_OVERLONG_2,
                 AZOAI_U8_TOO_SHORT,
                 AZOAI_U8_TOO_SHORT|AZOAI_U8_OVERLONG_3|AZOAI_U8_SURROGATE,
                 AZOAI_U8_TOO_SHORT|AZOAI_U8_TOO_LARGE
                 |AZOAI_U8_TOO_LARGE_1000|AZOAI_U8_OVERLONG_4),
             _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nib));

    sc = _mm256_and_si256(sc, _mm256_shuffle_epi8(
             azoai_json_table16(
                 AZOAI_U8_CARRY|AZOAI_U8_OVERLONG_3|AZOAI_U8_OVERLONG_2
                 |AZOAI_U8_OVERLONG_4,
                 AZOAI_U8_CARRY|AZOAI_U8_OVERLONG_2,
                 AZOAI_U8_CARRY, AZOAI_U8_CARRY,
                 AZOAI_U8_CARRY|AZOAI_U8_TOO_LARGE,
                 AZOAI_U8_LARGE, AZOAI_U8_LARGE, AZOAI_U8_LARGE,
                 AZOAI_U8_LARGE, AZOAI_U8_LARGE, AZOAI_U8_LARGE,
                 AZOAI_U8_LARGE, AZOAI_U8_LARGE,
                 AZOAI_U8_LARGE|AZOAI_U8_SURROGATE,
                 AZOAI_U8_LARGE, AZOAI_U8_LARGE),
             _mm256_and_si256(prev1, nib)));

    sc = _mm256_and_si256(sc, _mm256_shuffle_epi8(
             azoai_json_table16(
                 AZOAI_U8_TOO_SHORT, AZOAI_U8_TOO_SHORT, AZOAI_U8_TOO_SHORT,
                 AZOAI_U8_TOO_SHORT, AZOAI_U8_TOO_SHORT, AZOAI_U8_TOO_SHORT,
                 AZOAI_U8_TOO_SHORT, AZOAI_U8_TOO_SHORT,
                 AZOAI_U8_TOO_LONG|AZOAI_U8_OVERLONG_2|AZOAI_U8_TWO_CONTS
                 |AZOAI_U8_OVERLONG_3|AZOAI_U8_TOO_LARGE_1000
                 |AZOAI_U8_OVERLONG_4,
                 AZOAI_U8_TOO_LONG|AZOAI_U8_OVERLONG_2|AZOAI_U8_TWO_CONTS
                 |AZOAI_U8_OVERLONG_3|AZOAI_U8_TOO_LARGE,
                 AZOAI_U8_TOO_LONG|AZOAI_U8_OVERLONG_2|AZOAI_U8_TWO_CONTS
                 |AZOAI_U8_SURROGATE|AZOAI_U8_TOO_LARGE,
                 AZOAI_U8_TOO_LONG|AZOAI_U8_OVERLONG_2|AZOAI_U8_TWO_CONTS
                 |AZOAI_U8_SURROGATE|AZOAI_U8_TOO_LARGE,
                 AZOAI_U8_TOO_SHORT, AZOAI_U8_TOO_SHORT, AZOAI_U8_TOO_SHORT,
                 AZOAI_U8_TOO_SHORT),
             _mm256_and_si256(_mm256_srli_epi16(x, 4), nib)));

    /* only 111xxxxx two back and 1111xxxx three back reach 0x80 */

    must23 = _mm256_or_si256(_mm256_subs_epu8(prev2, k->must2),
                             _mm256_subs_epu8(prev3, k->must3));
    must23 = _mm256_and_si256(must23, k->high);

    return _mm256_xor_si256(must23, sc);
}


/* the error bits of 64 bytes a, b after ASCII */

__attribute__((target("avx2")))
static inline uint64_t
azoai_json_utf8_errors64(__m256i a, __m256i b, const azoai_json_k_t *k)
{
    __m256i  zero, ea, eb;

    zero = _mm256_setzero_si256();

    ea = azoai_json_utf8_check(a, zero, k);
    eb = azoai_json_utf8_check(b, a, k);

    return ~azoai_json_mask64(_mm256_cmpeq_epi8(ea, zero),
                              _mm256_cmpeq_epi8(eb, zero));
}


/*
 * Whether the 64 bytes a, b after ASCII hold only ASCII and valid 2-byte
 * characters (a lead at the end may be cut): every continuation follows
 * a lead C2..DF and every lead is followed by one, and no byte >= 0x80
 * is neither.  Accented Latin text passes it at ~20 instructions, where
 * azoai_json_utf8_errors64() takes ~70; whatever fails it goes there.
 * In vectors, one vptest (the masks, continuations == leads << 1 and
 * high == leads | continuations, took 9k instructions more on the 1 MB
 * prompt).
 */

__attribute__((target("avx2"), always_inline))
static inline int
azoai_json_utf8_pairs(__m256i a, __m256i b, const azoai_json_k_t *k)
{
    __m256i  ca, cb, la, lb, pa, pb, bad;

    ca = _mm256_cmpgt_epi8(k->cont, a);
    cb = _mm256_cmpgt_epi8(k->cont, b);
    la = _mm256_cmpgt_epi8(k->lead2, _mm256_sub_epi8(a, k->k42));
    lb = _mm256_cmpgt_epi8(k->lead2, _mm256_sub_epi8(b, k->k42));

    /* the leads one byte on (ASCII before a) */

    pa = _mm256_alignr_epi8(la, _mm256_permute2x128_si256(la, la, 0x08), 15);
    pb = _mm256_alignr_epi8(lb, _mm256_permute2x128_si256(la, lb, 0x21), 15);

    bad = _mm256_or_si256(
              _mm256_or_si256(_mm256_xor_si256(ca, pa),
                              _mm256_xor_si256(cb, pb)),
              _mm256_or_si256(_mm256_andnot_si256(_mm256_or_si256(ca, la), a),
                              _mm256_andnot_si256(_mm256_or_si256(cb, lb),
                                                  b)));

    return _mm256_testz_si256(bad, k->high);
}


__attribute__((target("avx2")))
uint64_t
azoai_json_utf8_errors(const u_char *p)
{
    return azoai_json_utf8_errors64(
               _mm256_loadu_si256((const __m256i *) p),
               _mm256_loadu_si256((const __m256i *) (p + 32)),
               &azoai_json_k);
}


__attribute__((target("avx2")))
int
azoai_json_utf8_pairs_only(const u_char *p)
{
    __m256i  a, b;

    a = _mm256_loadu_si256((const __m256i *) p);
    b = _mm256_loadu_si256((const __m256i *) (p + 32));

    return azoai_json_utf8_pairs(a, b, &azoai_json_k);
}


/*
 * The escaped bytes of a block that starts outside an escape, given its
 * backslashes: the byte after each backslash that starts an escape (runs
 * of backslashes pair up from their first).  *carry: the last byte starts
 * an escape.  simdjson's find_escaped().
 */

static inline uint64_t
azoai_json_escaped(uint64_t bs, unsigned *carry)
{
    uint64_t  even, follows, odd_starts, seq;

    even = 0x5555555555555555ULL;

    follows = bs << 1;
    odd_starts = bs & ~even & ~follows;
    *carry = __builtin_add_overflow(odd_starts, bs, &seq);

    return (even ^ (seq << 1)) & follows;
}


/*
 * azoai_json_block_stop()'s first stop in the block a, b at p, given its
 * backslashes bs and its unescaped quotes and controls (stops, escaped
 * ones taken out here); *carry: the last byte starts an escape
 */

__attribute__((target("avx2"), always_inline))
static inline unsigned
azoai_json_block_first(const u_char *p, __m256i a, __m256i b, uint64_t bs,
    uint64_t stops, unsigned *carry, const azoai_json_k_t *k)
{
    unsigned  s, e;
    uint64_t  escaped, bad;

    escaped = 0;
    *carry = 0;

    if (bs) {

        /* no backslash after a backslash: each one starts an escape */

        if ((bs & (bs << 1)) == 0) {
            escaped = bs << 1;
            *carry = bs >> 63;

        } else {
            escaped = azoai_json_escaped(bs, carry);
        }

        stops &= ~escaped;
    }

    s = stops ? (unsigned) __builtin_ctzll(stops) : AZOAI_JSON_BLOCK;

    /*
     * an escape that is not simple stops at its backslash; \n and \"
     * (most escapes in prompts) are taken out of the loop's bytes with
     * two compares a half: 9 instructions an escape before, 1.3 escapes
     * a block on bench_engine's 1 MB prompt
     */

    bad = escaped & ~bs & azoai_json_below(s);

    if (bad) {
        bad &= ~azoai_json_mask64(
                   _mm256_or_si256(_mm256_cmpeq_epi8(a, k->n),
                                   _mm256_cmpeq_epi8(a, k->quote)),
                   _mm256_or_si256(_mm256_cmpeq_epi8(b, k->n),
                                   _mm256_cmpeq_epi8(b, k->quote)));
    }

    for ( /* void */ ; bad; bad &= bad - 1) {
        e = __builtin_ctzll(bad);

        if (!azoai_json_simple_escape[p[e]]) {
            s = e - 1;
            *carry = 0;
            break;
        }
    }

    return s;
}


/*
 * The first stop in the 64-byte block at p, with *flags for what comes
 * before it; AZOAI_JSON_SCALAR_BLOCK: the scalar scan must judge the
 * block (a control byte or invalid UTF-8 before the stop).  Without a
 * stop, AZOAI_JSON_BLOCK + where the next block starts: a character or
 * an escape cut at the end starts it.  With brackets, AZOAI_JSON_BRACKET
 * for a '[' among the bytes stepped over.
 */

__attribute__((target("avx2"), always_inline))
static inline unsigned
azoai_json_block_stop(const u_char *p, unsigned *flags, unsigned brackets,
    const azoai_json_k_t *k)
{
    unsigned  s, carry, advance;
    uint64_t  bs, high, stops, open;
    __m256i   a, b;

    a = _mm256_loadu_si256((const __m256i *) p);
    b = _mm256_loadu_si256((const __m256i *) (p + 32));

    open = 0;

    if (brackets) {
        open = azoai_json_mask64(_mm256_cmpeq_epi8(a, _mm256_set1_epi8('[')),
                                 _mm256_cmpeq_epi8(b, _mm256_set1_epi8('[')));
    }

    bs = azoai_json_mask64(_mm256_cmpeq_epi8(a, k->bs),
                           _mm256_cmpeq_epi8(b, k->bs));
    high = azoai_json_mask64(a, b);

    /*
     * unescaped quotes and controls: azoai_json_special() without the
     * backslashes and the bytes >= 0x80 (two operations per 32 bytes,
     * where a compare with '"', one with min(x, 0x1f) and their or took
     * four)
     */

    stops = azoai_json_mask64(
                _mm256_subs_epi8(_mm256_xor_si256(a, k->two), k->k21),
                _mm256_subs_epi8(_mm256_xor_si256(b, k->two), k->k21))
            & ~high;

    s = azoai_json_block_first(p, a, b, bs, stops, &carry, k);

    if (high) {
        if (!azoai_json_utf8_pairs(a, b, k)
            && (azoai_json_utf8_errors64(a, b, k)
                & azoai_json_below(s + 1)))
        {
            return AZOAI_JSON_SCALAR_BLOCK;
        }

        if (high & azoai_json_below(s)) {
            *flags |= AZOAI_JSON_NON_ASCII;
        }
    }

    if (bs & azoai_json_below(s)) {
        *flags |= AZOAI_JSON_ESCAPED;
    }

    /* an escape or a UTF-8 sequence cut at the end starts the next block */

    advance = (s < AZOAI_JSON_BLOCK) ? s
              : carry ? AZOAI_JSON_BLOCK - 1
              : (high >> 61) ? azoai_json_block_cut(p)
              : AZOAI_JSON_BLOCK;

    if (open & azoai_json_below(advance)) {
        *flags |= AZOAI_JSON_BRACKET;
    }

    return (s < AZOAI_JSON_BLOCK) ? s : AZOAI_JSON_BLOCK + advance;
}


/* the bytes of a block before a UTF-8 sequence cut at its end */

static inline unsigned
azoai_json_block_cut(const u_char *p)
{
    return AZOAI_JSON_BLOCK - ((p[61] >= 0xf0) ? 3 : (p[62] >= 0xe0) ? 2
                               : (p[63] >= 0xc0) ? 1 : 0);
}


/*
 * Plain text up to the quote, the common string, on a way that needs no
 * register the callee saves: the block scan's (its pushes, pops and
 * frame) only for a string with another stop
 */

__attribute__((target("avx2")))
azoai_json_scan_t
azoai_json_string_avx2(const u_char *pos, const u_char *end,
    unsigned flags)
{
    const u_char          *p;
    azoai_json_scan_t      r;
    const azoai_json_k_t  *k;

    k = &azoai_json_k;

    __asm__ ("" : "+r" (k));

    p = azoai_json_find_special(pos, end, 0, k);

    if (p < end && *p == '"') {
        r.pos = p;
        r.stop = AZOAI_JSON_AT_QUOTE;
        r.flags = flags;
        return r;
    }

    return azoai_json_string_stop(p, end, flags);
}


__attribute__((target("avx2"), noinline))
static azoai_json_scan_t
azoai_json_string_stop(const u_char *pos, const u_char *end,
    unsigned flags)
{
    return azoai_json_string_scan(pos, end, flags, 0);
}


__attribute__((target("avx2")))
azoai_json_scan_t
azoai_json_string_avx2_brackets(const u_char *pos, const u_char *end,
    unsigned flags)
{
    return azoai_json_string_scan(pos, end, flags, 1);
}


/*
 * azoai_json_string_avx2() with brackets 0, and with brackets 1 also
 * stopping at '[' until one is seen: the requests' instance has no
 * bracket test, the responses' has it in the tests it makes anyway.
 * Blocks go on from the first byte that stops azoai_json_find_special()
 * while the 64 bytes after a block have one: text with an accent or an
 * escape every ~60 bytes took the 32-byte test, a failed 128-byte test
 * and the loop's checks between its blocks (~55 instructions a block on
 * bench_engine's 1 MB prompt, ~20 now).  long: the two loops share
 * their exits.
 */

__attribute__((target("avx2"), always_inline))
static inline azoai_json_scan_t
azoai_json_string_scan(const u_char *p, const u_char *end, unsigned flags,
    unsigned brackets)
{
    unsigned               s, look;
    const u_char          *q;
    azoai_json_scan_t      r;
    const azoai_json_k_t  *k;

    k = &azoai_json_k;

    __asm__ ("" : "+r" (k));

    for ( ;; ) {
        look = brackets && !(flags & AZOAI_JSON_BRACKET);

        p = look ? azoai_json_find_special(p, end, 1, k)
                 : azoai_json_find_special(p, end, 0, k);

        if (p < end) {

            /* printable ASCII up to a quote: the common end of a string */

            if (*p == '"') {
                goto stop;
            }

            if (look && *p == '[') {
                flags |= AZOAI_JSON_BRACKET;
                p++;
                continue;
            }
        }

        if (end - p < AZOAI_JSON_BLOCK) {
            goto scalar;
        }

        /* a block found below has 64 bytes: 128 were left before it */

        for ( ;; ) {
            s = look ? azoai_json_block_stop(p, &flags, 1, k)
                     : azoai_json_block_stop(p, &flags, 0, k);

            if (s == AZOAI_JSON_SCALAR_BLOCK) {
                goto scalar;
            }

            if (s < AZOAI_JSON_BLOCK) {
                p += s;
                goto stop;
            }

            p += s - AZOAI_JSON_BLOCK;

            if (look) {
                break;
            }

            q = azoai_json_near_special(&p, end, k);

            if (q == NULL) {
                break;
            }

            p = q;

            if (*p == '"') {
                goto stop;
            }
        }
    }

stop:

    r.stop = (*p == '"') ? AZOAI_JSON_AT_QUOTE
             : (*p == '\\') ? AZOAI_JSON_AT_ESCAPE
             : AZOAI_JSON_AT_SCALAR;
    goto done;

scalar:

    r.stop = AZOAI_JSON_AT_SCALAR;

done:

    r.pos = p;
    r.flags = flags;

    return r;
}


/*
 * After a block: the first byte of azoai_json_special() in the next 192
 * bytes, 64 a test while 128 are left; else NULL, and *pos after the
 * bytes tested, for azoai_json_find_special() and its longer steps
 * (azoai_json_string_stop() on the 1 MB prompt: 1,073k instructions
 * with one test, 1,031k with two, 1,009k with three, 1,008k with four;
 * unrolled: GCC keeps the loop, 1,028k)
 */

__attribute__((target("avx2"), always_inline))
static inline const u_char *
azoai_json_near_special(const u_char **pos, const u_char *end,
    const azoai_json_k_t *k)
{
    unsigned       n;
    uint64_t       m;
    const u_char  *p;

    p = *pos;

#pragma GCC unroll 3
    for (n = 0; n < 3; n++) {
        if (end - p < 2 * AZOAI_JSON_BLOCK) {
            break;
        }

        m = azoai_json_special64(p, k);

        if (m) {
            return p + __builtin_ctzll(m);
        }

        p += AZOAI_JSON_BLOCK;
    }

    *pos = p;

    return NULL;
}


/* the bits of azoai_json_special() of p[0 .. 63] */

__attribute__((target("avx2"), always_inline))
static inline uint64_t
azoai_json_special64(const u_char *p, const azoai_json_k_t *k)
{
    return azoai_json_mask64(
               azoai_json_special(_mm256_loadu_si256((const __m256i *) p), k),
               azoai_json_special(
                   _mm256_loadu_si256((const __m256i *) (p + 32)), k));
}


/*
 * The first byte from p that is not printable ASCII other than '"' and
 * '\\', 32 bytes a step while 32 are left; else where fewer are left.
 * Long runs of plain text go 128 bytes a test, then 512 while no byte
 * stops them (azoai_json_any_special(), azoai_json_clean512()): 16.3k
 * instructions at 64 KB with the 128-byte loop of four exact tests,
 * 11.0k with 256-byte tests, 9.1k with 512 (callgrind, 64 KB prompt).
 * Text with an escape or an accent every ~60 bytes (bench_engine's 1 MB
 * prompt) fails most 128-byte tests: a 256-byte test first would cost
 * it 0.27 instructions per byte more.  With brackets, '[' stops it too.
 */

__attribute__((target("avx2"), always_inline))
static inline const u_char *
azoai_json_find_special(const u_char *p, const u_char *end,
    unsigned brackets, const azoai_json_k_t *k)
{
    size_t         n;
    uint32_t       m;
    __m256i        x, hit;
    const u_char  *last;

    while (end - p >= 32) {
        x = _mm256_loadu_si256((const __m256i *) p);
        hit = azoai_json_special(x, k);

        if (brackets) {
            hit = _mm256_or_si256(hit,
                      _mm256_cmpeq_epi8(x, _mm256_set1_epi8('[')));
        }

        m = _mm256_movemask_epi8(hit);

        if (m) {
            return p + __builtin_ctz(m);
        }

        p += 32;

        /* 128 bytes a test; 512 while they stay clean */

        while (end - p >= 128 && !azoai_json_any_special(p, 128, brackets, k))
        {
            p += 128;

            /*
             * by pointer up to the last 512-byte block: the step is an
             * add and a compare, where end - p took four; a failed
             * test's first half may be clean
             */

            if (end - p >= 512) {
                last = end - 512;

                do {
                    n = azoai_json_clean512(p, brackets, k);
                    p += n;

                } while (n == 512 && p <= last);

                if (n < 512) {
                    continue;
                }
            }

            /* fewer than 512 bytes left */

            if (end - p >= 256 && !azoai_json_any_special(p, 256, brackets, k))
            {
                p += 256;
            }
        }
    }

    return p;
}


/*
 * Whether p[0 .. n - 1] (n: 128 or 256) holds a byte of
 * azoai_json_special(): x ^ 2 is below 0x21 as a signed byte exactly for
 * the controls, '"' and the bytes >= 0x80, so the signed minimum of the
 * blocks tells for all of them at once (one operation per 32 bytes, not
 * three); backslashes are compared apart.  With brackets, x - '[' is 0
 * for '[' and 1 for '\\': its unsigned minimum tells for both at the
 * cost of the compare.
 */

__attribute__((target("avx2"), always_inline))
static inline int
azoai_json_any_special(const u_char *p, size_t n, unsigned brackets,
    const azoai_json_k_t *k)
{
    __m256i  lo, back, lo2, back2;

    azoai_json_special128(p, &lo, &back, brackets, k);

    if (n == 256) {
        azoai_json_special128(p + 128, &lo2, &back2, brackets, k);
        lo = _mm256_min_epi8(lo, lo2);
        back = brackets ? _mm256_min_epu8(back, back2)
                        : _mm256_or_si256(back, back2);
    }

    return azoai_json_flagged(&lo, &back, brackets, k);
}


/*
 * The bytes of p[0 .. 511] before the 256-byte half with a byte of
 * azoai_json_special(): 512 when neither has one
 */

__attribute__((target("avx2"), always_inline))
static inline size_t
azoai_json_clean512(const u_char *p, unsigned brackets,
    const azoai_json_k_t *k)
{
    __m256i  lo, back, lo2, back2, lo3, back3, lo4, back4, all, all_back;

    azoai_json_special128(p, &lo, &back, brackets, k);
    azoai_json_special128(p + 128, &lo2, &back2, brackets, k);
    azoai_json_special128(p + 256, &lo3, &back3, brackets, k);
    azoai_json_special128(p + 384, &lo4, &back4, brackets, k);

    lo = _mm256_min_epi8(lo, lo2);
    lo3 = _mm256_min_epi8(lo3, lo4);

    if (brackets) {
        back = _mm256_min_epu8(back, back2);
        back3 = _mm256_min_epu8(back3, back4);

    } else {
        back = _mm256_or_si256(back, back2);
        back3 = _mm256_or_si256(back3, back4);
    }

    all = _mm256_min_epi8(lo, lo3);
    all_back = brackets ? _mm256_min_epu8(back, back3)
                        : _mm256_or_si256(back, back3);

    if (!azoai_json_flagged(&all, &all_back, brackets, k)) {
        return 512;
    }

    return azoai_json_flagged(&lo, &back, brackets, k) ? 0 : 256;
}


/*
 * Whether the minima of azoai_json_special128() flag a byte: a
 * backslash's lane 0xff is negative like the others; below 0x21 is
 * below 0 after a saturating subtract, and one vptest of the top bits
 * tells (a compare became a minimum and a compare, then a movemask and
 * a test)
 */

__attribute__((target("avx2"), always_inline))
static inline int
azoai_json_flagged(const __m256i *lo, const __m256i *back,
    unsigned brackets, const azoai_json_k_t *k)
{
    __m256i  b;

    b = *back;

    if (brackets) {
        b = _mm256_cmpeq_epi8(b, _mm256_min_epu8(b, _mm256_set1_epi8(1)));
    }

    return !_mm256_testz_si256(_mm256_subs_epi8(_mm256_or_si256(*lo, b),
                                                k->k21),
                               k->high);
}


/*
 * For azoai_json_any_special(): the signed minimum of x ^ 2 over
 * p[0 .. 127] per byte lane in *lo, its backslashes in *back (with
 * brackets: the unsigned minimum of x - '[') (written out: a loop over
 * the blocks is not unrolled by the compiler)
 */

__attribute__((target("avx2"), always_inline))
static inline void
azoai_json_special128(const u_char *p, __m256i *lo, __m256i *back,
    unsigned brackets, const azoai_json_k_t *k)
{
    __m256i  two, bs, a, b, c, d, m, e;

    two = k->two;
    bs = k->bs;

    a = _mm256_loadu_si256((const __m256i *) p);
    b = _mm256_loadu_si256((const __m256i *) (p + 32));
    c = _mm256_loadu_si256((const __m256i *) (p + 64));
    d = _mm256_loadu_si256((const __m256i *) (p + 96));

    m = _mm256_min_epi8(
            _mm256_min_epi8(_mm256_xor_si256(a, two),
                            _mm256_xor_si256(b, two)),
            _mm256_min_epi8(_mm256_xor_si256(c, two),
                            _mm256_xor_si256(d, two)));

    if (brackets) {
        bs = _mm256_set1_epi8('[');

        e = _mm256_min_epu8(
                _mm256_min_epu8(_mm256_sub_epi8(a, bs),
                                _mm256_sub_epi8(b, bs)),
                _mm256_min_epu8(_mm256_sub_epi8(c, bs),
                                _mm256_sub_epi8(d, bs)));

    } else {
        e = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpeq_epi8(a, bs),
                                _mm256_cmpeq_epi8(b, bs)),
                _mm256_or_si256(_mm256_cmpeq_epi8(c, bs),
                                _mm256_cmpeq_epi8(d, bs)));
    }

    *lo = m;
    *back = e;
}

#endif
