/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Built-in detectors for numbers: payment cards (issuer prefix, length,
 * Luhn), phone numbers (E.164 with '+', national spellings) and US social
 * security numbers (SSA ranges).  Each runs over the view text at a
 * candidate byte and either validates a match or gives up quickly.
 */

#include <string.h>

#include "azoai_pii_phone.h"


#define AZOAI_CARD_MIN        12
#define AZOAI_CARD_MAX        19
#define AZOAI_CARD_LONG       ((size_t) -1)
#define AZOAI_CARD_GROUP      4
#define AZOAI_CARD_COMMON     16     /* the length of most cards */
/* azoai_pii_card_grouped_sum(): a byte between the separators no digit */
#define AZOAI_CARD_NOT_DIGITS  ((unsigned) -1)

/* the byte right after a grouped 4-4-4-4 card number, from its start */
#define AZOAI_CARD_GROUPED_END  (AZOAI_CARD_COMMON + 3)

#define AZOAI_PHONE_SLOW      (-1)   /* azoai_pii_phone_fast(): not known */
#define AZOAI_PHONE_NANP_LEN  12     /* "ddd-ddd-dddd" */
#define AZOAI_PHONE_LONG      ((size_t) -1)

#define azoai_pii_phone_sep(c)  ((c) == ' ' || (c) == '-' || (c) == '.')


/* the bytes next to a number (azoai_pii_num_left_ok(), _right_ok()) */

const u_char  azoai_pii_num_edge[256] = {
    ['0' ... '9'] = AZOAI_NE_LEFT|AZOAI_NE_RIGHT,
    ['A' ... 'Z'] = AZOAI_NE_LEFT|AZOAI_NE_RIGHT,
    ['a' ... 'z'] = AZOAI_NE_LEFT|AZOAI_NE_RIGHT,
    ['_'] = AZOAI_NE_LEFT|AZOAI_NE_RIGHT,
    ['+'] = AZOAI_NE_LEFT,
    ['@'] = AZOAI_NE_RIGHT,
    ['.'] = AZOAI_NE_JOIN,
    ['-'] = AZOAI_NE_JOIN,
    [','] = AZOAI_NE_JOIN
};


/*
 * A card number as it is read.  The Luhn sum runs for both ends a
 * candidate may have: "last" as if the digit just read ended the number
 * (it counts as it is), "inner" as if more followed (it counts doubled).
 * The next digit turns one into the other.
 */
typedef struct {
    u_char          digits[AZOAI_CARD_MAX];
    size_t          ndig;
    unsigned        last;
    unsigned        inner;
    size_t          ncand;
    size_t          cand_end[AZOAI_CARD_MAX + 1];
    size_t          cand_ndig[AZOAI_CARD_MAX + 1];
    unsigned        cand_sum[AZOAI_CARD_MAX + 1];
} azoai_card_read_t;


static inline size_t azoai_pii_card_group(const u_char *v, size_t len,
    size_t i, azoai_card_read_t *r);
static inline size_t azoai_pii_card_best(const u_char *v, size_t len,
    const azoai_card_read_t *r);
static inline int azoai_pii_card_issuer(const u_char *d, size_t n);
#if (AZOAI_PII_SWAR)
static inline int azoai_pii_card_fast(const u_char *v, size_t len,
    size_t at, size_t *start, size_t *end);
static int azoai_pii_card_run(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end) __attribute__((noinline));
static int azoai_pii_card_grouped(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end) __attribute__((noinline));
#if defined(__SSE2__)
static inline unsigned azoai_pii_card_grouped_sum(const u_char *p);
#else
static inline unsigned azoai_pii_card_grouped_swar(const u_char *p);
#endif
static int azoai_pii_card_first12(const u_char *v, size_t len, size_t at,
    size_t *end) __attribute__((noinline));
static inline uint64_t azoai_pii_luhn8(uint64_t w);
static inline unsigned azoai_pii_luhn_sum(uint64_t t);
#else
#define azoai_pii_card_fast  azoai_pii_card_general
#endif
static inline int azoai_pii_card_tail(const u_char *v, size_t at,
    u_char sep, size_t first_group);
static int azoai_pii_card_tail_run(const u_char *v, size_t at,
    size_t first_group);
static int azoai_pii_phone_run(const u_char *v, size_t len, size_t at,
    azoai_phone_run_t *run);
static inline size_t azoai_pii_phone_group(const u_char *v, size_t len,
    size_t i, u_char *d, size_t room);
static int azoai_pii_nanp_ok(const u_char *d);
#if (AZOAI_PII_SWAR)
static int azoai_pii_phone_fast(const u_char *v, size_t len, size_t at,
    size_t *end);
static inline int azoai_pii_nanp_shape(const u_char *v, size_t len,
    size_t b);
#else
#define azoai_pii_phone_fast(v, len, at, end)  AZOAI_PHONE_SLOW
#endif
static inline int azoai_pii_ssn_shape(const u_char *d, u_char sep);
#if defined(__SSE2__)
static int azoai_pii_ssn_short(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end) __attribute__((noinline));
#endif
static inline int azoai_pii_ssn_rest(const u_char *v, size_t len,
    size_t at, size_t *start, size_t *end);
#if defined(__SSE2__)
static inline unsigned azoai_pii_digits16(const u_char *p);
#endif


/*
 * Card numbers: 12-19 digits, as one run or in groups separated by one
 * kind of separator (space, dash, dot; "4 1 1 1 ..." too); the longest
 * group-aligned prefix with a known issuer prefix and a good Luhn wins
 * (azoai_card_read_t).
 */

int
azoai_pii_detect_card(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    if (!azoai_pii_num_left_ok(v, at)) {
        return 0;
    }

    /*
     * *start is set before the layouts (it counts only with a match),
     * each of which gives the answer itself, calling the reader where it
     * cannot tell: tail calls, so that no frame holds the arguments
     */

    *start = at;

    return azoai_pii_card_fast(v, len, at, start, end);
}


/*
 * The reader for every layout (azoai_card_read_t), from at where
 * azoai_pii_num_left_ok() holds.  Apart from the fast layouts, so that
 * they need no stack frame of the reader's size.
 */

int
azoai_pii_card_general(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    u_char              sep;
    size_t              i, g, group_start, first_group;
    azoai_card_read_t   r;

    i = at;
    sep = 0;
    first_group = 0;
    r.ndig = 0;
    r.ncand = 0;
    r.last = 0;
    r.inner = 0;

    for ( ;; ) {
        group_start = i;
        i = azoai_pii_card_group(v, len, i, &r);

        if (i == AZOAI_CARD_LONG) {
            break;                  /* too long: only earlier groups count */
        }

        g = i - group_start;

        if (group_start == at) {
            first_group = g;
        }

        if (sep == '.' && g < 3) {
            break;
        }

        if (r.ndig >= AZOAI_CARD_MIN) {
            r.cand_end[r.ncand] = i;
            r.cand_sum[r.ncand] = r.last;
            r.cand_ndig[r.ncand++] = r.ndig;
        }

        if (i + 1 >= len || !azoai_pii_digit(v[i + 1])) {
            break;
        }

        if (v[i] != ' ' && v[i] != '-' && v[i] != '.') {
            break;
        }

        if (sep == 0) {
            sep = v[i];

            if (sep == '.' && g < 3) {
                break;
            }

            /* the rest of a number seen from its start: no need to read */
            if (azoai_pii_card_tail(v, at, sep, first_group)) {
                return 0;
            }

        } else if (v[i] != sep) {
            break;
        }

        i++;
    }

    /*
     * azoai_pii_card_tail() ran when the separator was set; without one
     * there is no tail
     */

    *end = azoai_pii_card_best(v, len, &r);
    *start = at;

    return *end != 0;
}


#if (AZOAI_PII_SWAR)

/*
 * The two layouts most cards are written in, decided without the reader
 * (azoai_card_read_t): 16 digits in one run, and 4-4-4-4 with one
 * separator; each needs a few word operations where the reader takes a
 * step per digit.  The result is the reader's, and where a number goes
 * on after the 16 digits (more digits, or its separator and a digit), or
 * fewer than 16 bytes are left, the reader decides
 * (azoai_pii_card_general(), a tail call).
 */

static inline int
azoai_pii_card_fast(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    if (len - at < AZOAI_CARD_COMMON) {
        return azoai_pii_card_general(v, len, at, start, end);
    }

    if (azoai_pii_digits8(v + at) != 8) {
        return azoai_pii_card_grouped(v, len, at, start, end);
    }

    return azoai_pii_card_run(v, len, at, start, end);
}


/* 16 digits in one run: its only candidate is all of it */

static int
azoai_pii_card_run(const u_char *v, size_t len, size_t at, size_t *start,
    size_t *end)
{
    size_t    e;
    uint64_t  lo, hi;

    e = at + AZOAI_CARD_COMMON;

    if (azoai_pii_digits8(v + at + 8) != 8
        || (e < len
            && (azoai_pii_digit(v[e])
                || ((v[e] == ' ' || v[e] == '-' || v[e] == '.')
                    && e + 1 < len && azoai_pii_digit(v[e + 1])))))
    {
        return azoai_pii_card_general(v, len, at, start, end);
    }

    memcpy(&lo, v + at, sizeof(uint64_t));
    memcpy(&hi, v + at + 8, sizeof(uint64_t));

    if (azoai_pii_luhn_sum(azoai_pii_luhn8(lo) + azoai_pii_luhn8(hi)) % 10
        == 0
        && azoai_pii_card_issuer(v + at, AZOAI_CARD_COMMON)
        && azoai_pii_num_right_ok(v, len, e))
    {
        *end = e;
        return 1;
    }

    return 0;
}


/*
 * "dddd dddd dddd dddd" (or '-', '.'): the reader's candidates are the
 * first 12 digits and all 16, the longer one first
 */

static int
azoai_pii_card_grouped(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    u_char    sep;
    size_t    e;
    unsigned  luhn;

    e = at + AZOAI_CARD_GROUPED_END;
    sep = v[at + 4];

    if (len < e
        || (sep != ' ' && sep != '-' && sep != '.')
        || v[at + 9] != sep || v[at + 14] != sep)
    {
        return azoai_pii_card_general(v, len, at, start, end);
    }

#if defined(__SSE2__)
    luhn = azoai_pii_card_grouped_sum(v + at);
#else
    luhn = azoai_pii_card_grouped_swar(v + at);
#endif

    if (luhn == AZOAI_CARD_NOT_DIGITS
        || (e < len
            && (azoai_pii_digit(v[e])
                || (v[e] == sep && e + 1 < len
                    && azoai_pii_digit(v[e + 1])))))
    {
        return azoai_pii_card_general(v, len, at, start, end);
    }

    if (azoai_pii_card_tail(v, at, sep, AZOAI_CARD_GROUP)) {
        return 0;
    }

    if (luhn % 10 == 0
        && azoai_pii_card_issuer(v + at, AZOAI_CARD_COMMON)
        && azoai_pii_num_right_ok(v, len, e))
    {
        *end = e;
        return 1;
    }

    return azoai_pii_card_first12(v, len, at, end);
}


#if defined(__SSE2__)

/*
 * The Luhn sum of "dddd dddd dddd dddd" at p (any separator: the caller
 * tested them) in two 16-byte vectors, p[0 .. 15] and p[3 .. 18], or
 * AZOAI_CARD_NOT_DIGITS where a byte between the separators is no
 * digit.  The digits doubled are the first of each pair (digit index
 * even, bytes 0, 2, 5, 7, 10, 12, 15, 17), each term as in
 * azoai_pii_luhn8(): at most 28 a byte, 224 in all, one psadbw.  No
 * saved register (the word code held five): the vector registers are
 * all the caller's.
 */

static inline unsigned
azoai_pii_card_grouped_sum(const u_char *p)
{
    __m128i  a, c, da, dc, terms, dbl;

    /* lanes of a (bytes 0..15) and c (bytes 3..18) counted, doubled */

    static const u_char  k[5][16] __attribute__((aligned(16))) = {
        { 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff,
          0xff, 0, 0xff, 0xff, 0xff, 0xff, 0, 0xff },
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff },
        { 0xff, 0, 0xff, 0, 0, 0xff, 0, 0xff,
          0, 0, 0xff, 0, 0xff, 0, 0, 0xff },
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0 },
        { '0', '0', '0', '0', '0', '0', '0', '0',
          '0', '0', '0', '0', '0', '0', '0', '0' }
    };

    a = _mm_sub_epi8(_mm_loadu_si128((const __m128i *) p),
                     _mm_load_si128((const __m128i *) k[4]));
    c = _mm_sub_epi8(_mm_loadu_si128((const __m128i *) (p + 3)),
                     _mm_load_si128((const __m128i *) k[4]));

    /* a digit less '0' is below 10: min(x, 9) == x */

    da = _mm_cmpeq_epi8(_mm_min_epu8(a, _mm_set1_epi8(9)), a);
    dc = _mm_cmpeq_epi8(_mm_min_epu8(c, _mm_set1_epi8(9)), c);

    /* digits at every byte but 4, 9 and 14 (bytes 1, 6 and 11 of c) */

    if (_mm_movemask_epi8(da) != 0xbdef || _mm_movemask_epi8(dc) != 0xf7bd)
    {
        return AZOAI_CARD_NOT_DIGITS;
    }

    terms = _mm_add_epi8(
                _mm_and_si128(a, _mm_load_si128((const __m128i *) k[0])),
                _mm_and_si128(c, _mm_load_si128((const __m128i *) k[1])));
    dbl = _mm_or_si128(
              _mm_and_si128(a, _mm_load_si128((const __m128i *) k[2])),
              _mm_and_si128(c, _mm_load_si128((const __m128i *) k[3])));

    /* a doubled digit once more, and 1 more where it is 5 or more */

    terms = _mm_sub_epi8(_mm_add_epi8(terms, dbl),
                         _mm_cmpgt_epi8(dbl, _mm_set1_epi8(4)));
    terms = _mm_sad_epu8(terms, _mm_setzero_si128());

    return (unsigned) _mm_cvtsi128_si32(
                          _mm_add_epi32(terms,
                                        _mm_unpackhi_epi64(terms, terms)));
}

#else

/* azoai_pii_card_grouped_sum() in 64-bit words */

static inline unsigned
azoai_pii_card_grouped_swar(const u_char *p)
{
    uint32_t  g0, g1, g2, g3;
    uint64_t  lo, hi;

    memcpy(&g0, p, sizeof(uint32_t));
    memcpy(&g1, p + 5, sizeof(uint32_t));
    memcpy(&g2, p + 10, sizeof(uint32_t));
    memcpy(&g3, p + 15, sizeof(uint32_t));

    lo = g0 | (uint64_t) g1 << 32;
    hi = g2 | (uint64_t) g3 << 32;

    if ((azoai_pii_nondigits8(lo) | azoai_pii_nondigits8(hi)) != 0) {
        return AZOAI_CARD_NOT_DIGITS;
    }

    return azoai_pii_luhn_sum(azoai_pii_luhn8(lo) + azoai_pii_luhn8(hi));
}

#endif


/*
 * azoai_pii_card_grouped() without all 16: the first 12 digits, the
 * third group with four '0' after it.  Apart, reading the groups again,
 * so that the common path keeps no value for it (two registers fewer
 * saved there)
 */

static int
azoai_pii_card_first12(const u_char *v, size_t len, size_t at, size_t *end)
{
    uint32_t  g0, g1, g2;
    uint64_t  lo, mid;

    memcpy(&g0, v + at, sizeof(uint32_t));
    memcpy(&g1, v + at + 5, sizeof(uint32_t));
    memcpy(&g2, v + at + 10, sizeof(uint32_t));

    lo = g0 | (uint64_t) g1 << 32;
    mid = g2 | 0x3030303000000000ULL;

    if (azoai_pii_luhn_sum(azoai_pii_luhn8(lo) + azoai_pii_luhn8(mid)) % 10
        == 0
        && azoai_pii_card_issuer(v + at, AZOAI_CARD_COMMON - 4)
        && azoai_pii_num_right_ok(v, len, at + 14))
    {
        *end = at + 14;
        return 1;
    }

    return 0;
}


/*
 * The Luhn terms of the 8 digits in w, a byte each, the first digit in
 * the lowest byte and at an even offset from the number's start when the
 * number has an even length: it and every other one doubled, a doubled
 * 5-9 less 9, which modulo 10 is plus 1.  So the digit, once more for
 * those at even offsets and 1 for each of them that is 5 or more: at
 * most 19 a byte, 112 a word.  The terms of two words are added byte by
 * byte before one sum (azoai_pii_luhn_sum()): one multiply, not two.
 */

static inline uint64_t
azoai_pii_luhn8(uint64_t w)
{
    uint64_t  d, even, big;

    d = w - 0x3030303030303030ULL;
    even = d & 0x00ff00ff00ff00ffULL;

    /* 1 in an even byte of 5 or more: 5 + 123 = 128 */
    big = ((even + 0x007b007b007b007bULL) >> 7) & 0x0001000100010001ULL;

    return d + even + big;
}


/*
 * The sum of the bytes of t, the terms of up to two words: at most 224,
 * so no sum of the lower bytes carries into the top one
 */

static inline unsigned
azoai_pii_luhn_sum(uint64_t t)
{
    return (unsigned) ((t * 0x0101010101010101ULL) >> 56);
}

#endif


/*
 * Reads the digits of one group from i into r, the Luhn sums running;
 * the end of the group, or AZOAI_CARD_LONG past AZOAI_CARD_MAX digits
 */

static inline size_t
azoai_pii_card_group(const u_char *v, size_t len, size_t i,
    azoai_card_read_t *r)
{
    u_char    d;
    size_t    ndig;
    unsigned  last, inner, prev_last;

    static const u_char  doubled[10] = { 0, 2, 4, 6, 8, 1, 3, 5, 7, 9 };

    /* the running state in registers, written back once */

    ndig = r->ndig;
    last = r->last;
    inner = r->inner;

    while (i < len && azoai_pii_digit(v[i])) {
        if (ndig == AZOAI_CARD_MAX) {
            return AZOAI_CARD_LONG;
        }

        d = v[i++];
        r->digits[ndig++] = d;
        d -= '0';

        prev_last = last;
        last = inner + d;
        inner = prev_last + doubled[d];
    }

    r->ndig = ndig;
    r->last = last;
    r->inner = inner;

    return i;
}


/* the end of the longest candidate with a good Luhn and issuer, or 0 */

static inline size_t
azoai_pii_card_best(const u_char *v, size_t len, const azoai_card_read_t *r)
{
    size_t  k;

    for (k = r->ncand; k-- > 0; /* void */) {
        if (r->cand_sum[k] % 10 == 0
            && azoai_pii_card_issuer(r->digits, r->cand_ndig[k])
            && azoai_pii_num_right_ok(v, len, r->cand_end[k]))
        {
            return r->cand_end[k];
        }
    }

    return 0;
}


/*
 * 1 when the digits at at continue a longer number grouped the same way
 * ("1234 5678 9012 3456 7890" from its second group).  The test of the
 * two bytes before at inline: most numbers follow no separator and
 * digit, and need no call.
 */

static inline int
azoai_pii_card_tail(const u_char *v, size_t at, u_char sep,
    size_t first_group)
{
    if (sep == 0 || at < 2 || v[at - 1] != sep
        || !azoai_pii_digit(v[at - 2]))
    {
        return 0;
    }

    return azoai_pii_card_tail_run(v, at, first_group);
}


/* azoai_pii_card_tail() past its first test: the group before at */

static int
azoai_pii_card_tail_run(const u_char *v, size_t at, size_t first_group)
{
    size_t  i;

    for (i = at - 1; i > 0 && azoai_pii_digit(v[i - 1]); i--) {
        /* void */
    }

    return at - 1 - i == first_group;
}


/*
 * issuer prefixes (IIN ranges) and the lengths each issues; Visa (the
 * most common) and '6' need no prefix beyond the first digit, so the
 * prefixes are read only for '2', '3' and '5'
 */

static inline int
azoai_pii_card_issuer(const u_char *d, size_t n)
{
    unsigned  p2, p3, p4;

    if (d[0] == '4') {
        /* Visa */
        return n == 13 || n == 16 || n == 19;
    }

    p2 = (d[0] - '0') * 10 + (d[1] - '0');
    p3 = p2 * 10 + (d[2] - '0');
    p4 = p3 * 10 + (d[3] - '0');

    switch (d[0]) {

    case '2':
        /* Mastercard 2-series, Mir */
        return (p4 >= 2221 && p4 <= 2720 && n == 16)
               || (p4 >= 2200 && p4 <= 2204 && n >= 16);

    case '3':
        /* Amex; Diners; JCB */
        return ((p2 == 34 || p2 == 37) && n == 15)
               || (((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38
                    || p2 == 39) && n >= 14)
               || (p4 >= 3528 && p4 <= 3589 && n >= 16);

    case '5':
        /* Mastercard; Maestro */
        return (p2 >= 51 && p2 <= 55 && n == 16)
               || p2 == 50 || p2 >= 56;

    case '6':
        /* Discover, UnionPay, Maestro, RuPay */
        return 1;
    }

    return 0;
}


/*
 * Phone numbers: "+", a country code and a national number of a length
 * its numbering plan has (azoai_pii_phone_intl_ok(); +1: a valid NANP
 * number), NANP as 3-3-4 groups with separators, optional "(area)" and
 * an optional leading "1", or another country's national format with a
 * context word (azoai_pii_phone_national_ok()).
 */

int
azoai_pii_detect_phone(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    int  fast;

    if (!azoai_pii_num_left_ok(v, at)) {
        return 0;
    }

    fast = azoai_pii_phone_fast(v, len, at, end);

    if (fast != AZOAI_PHONE_SLOW) {
        *start = at;
        return fast;
    }

    return azoai_pii_phone_general(v, len, at, start, end);
}


#if (AZOAI_PII_SWAR)

/*
 * The NANP layouts "ddd-ddd-dddd" and "+1 ddd-ddd-dddd" (each separator a
 * space, '-' or '.') decided in a few word operations, as the reader and
 * the checks after it would (azoai_pii_phone_general()).  Where the run
 * goes on after the last group, or a number without "+1" fails the NANP
 * check (a national format may still take it), AZOAI_PHONE_SLOW.
 */

static int
azoai_pii_phone_fast(const u_char *v, size_t len, size_t at, size_t *end)
{
    size_t          b, e;
    const u_char   *d;

    b = at;

    if (v[at] == '+') {
        if (len - at < 3 || v[at + 1] != '1'
            || !azoai_pii_phone_sep(v[at + 2]))
        {
            return AZOAI_PHONE_SLOW;
        }

        b = at + 3;
    }

    if (len - b < AZOAI_PHONE_NANP_LEN) {
        return AZOAI_PHONE_SLOW;
    }

    d = v + b;
    e = b + AZOAI_PHONE_NANP_LEN;

    if (!azoai_pii_nanp_shape(v, len, b)) {
        return AZOAI_PHONE_SLOW;
    }

    if (!azoai_pii_num_right_ok(v, len, e)) {
        return 0;
    }

    /* area and exchange as azoai_pii_nanp_ok() */

    if (d[0] < '2' || d[4] < '2' || (d[1] == '1' && d[2] == '1')
        || (d[5] == '1' && d[6] == '1'))
    {
        return (b == at) ? AZOAI_PHONE_SLOW : 0;
    }

    *end = e;
    return 1;
}


/*
 * Whether the 12 bytes or more at v + b are "ddd-ddd-dddd" (each
 * separator a space, '-' or '.') that does not go on: no digit after
 * it, nor a separator and a digit or '('.  With SSE2, the digits of 16
 * bytes in one test (azoai_pii_digits16()), which also tells of the two
 * bytes after the number: fewer instructions, and no saved register for
 * the word code's three constants (which the hosts without SSE2 run).
 */

static inline int
azoai_pii_nanp_shape(const u_char *v, size_t len, size_t b)
{
#if defined(__SSE2__)
    unsigned        m;
    const u_char   *d;

    /*
     * fewer than 16 bytes (at the text's end): the reader decides, as
     * it would here
     */

    if (len - b < 16) {
        return 0;
    }

    d = v + b;

    /* digits but at 3 and 7, none at 12; bit 13: d[13] a digit */

    m = azoai_pii_digits16(d);

    return (m & 0x1fff) == 0x0f77
           && azoai_pii_phone_sep(d[3]) && azoai_pii_phone_sep(d[7])
           && !(azoai_pii_phone_sep(d[12])
                && ((m & 0x2000) || d[13] == '('));
#else
    size_t          e;
    uint32_t        line;
    uint64_t        w;
    const u_char   *d;

    d = v + b;
    e = b + AZOAI_PHONE_NANP_LEN;

    /* "ddd-ddd-" with its separators (bytes 3 and 7) read as '0' */

    memcpy(&w, d, sizeof(uint64_t));
    w = (w & ~0xff000000ff000000ULL) | 0x3000000030000000ULL;

    return azoai_pii_phone_sep(d[3]) && azoai_pii_phone_sep(d[7])
           && azoai_pii_nondigits8(w) == 0 && azoai_pii_digits4(d + 8, &line)
           && !(e < len
                && (azoai_pii_digit(v[e])
                    || (e + 1 < len && azoai_pii_phone_sep(v[e])
                        && (azoai_pii_digit(v[e + 1])
                            || v[e + 1] == '('))));
#endif
}

#endif


#if defined(__SSE2__)

/* bit k: p[k] is a digit, for the 16 bytes at p */

static inline unsigned
azoai_pii_digits16(const u_char *p)
{
    __m128i  x;

    x = _mm_sub_epi8(_mm_loadu_si128((const __m128i *) p),
                     _mm_set1_epi8('0'));

    return (unsigned) _mm_movemask_epi8(
                          _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)),
                                         x));
}

#endif


/*
 * The reader (azoai_pii_phone_run()) and the checks of every layout, from
 * at where azoai_pii_num_left_ok() holds
 */

int
azoai_pii_phone_general(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t              g;
    azoai_phone_run_t   run;

    if (azoai_pii_phone_run(v, len, at, &run) != 0) {
        return 0;
    }

    if (!azoai_pii_num_right_ok(v, len, run.end)) {
        return 0;
    }

    if (v[at] == '+') {

        if (!azoai_pii_phone_intl_ok(&run)) {
            return 0;
        }

        if (run.digits[0] == '1' && !azoai_pii_nanp_ok(run.digits + 1)) {
            return 0;
        }

        *start = at;
        *end = run.end;
        return 1;
    }

    /* NANP: [1] area exchange line, separated */

    g = 0;

    if (run.ngroups == 4 && run.group_len[0] == 1 && run.digits[0] == '1') {
        g = 1;
    }

    if ((run.ngroups != g + 3 || run.group_len[g] != 3
         || run.group_len[g + 1] != 3 || run.group_len[g + 2] != 4
         || (run.paren_group != -1 && run.paren_group != (int) g)
         || !azoai_pii_nanp_ok(run.digits + g))
        && !azoai_pii_phone_national_ok(v, len, at, &run))
    {
        return 0;
    }

    *start = at;
    *end = run.end;
    return 1;
}


/*
 * Reads digit groups separated by one space, dash or dot, with at most
 * one "(group)"; 0 when the run is well-formed.
 */

static int
azoai_pii_phone_run(const u_char *v, size_t len, size_t at,
    azoai_phone_run_t *run)
{
    size_t  i, s, n, ndigits;
    int     open;

    ndigits = 0;
    run->ngroups = 0;
    run->paren_group = -1;
    open = 0;

    i = at;

    if (v[i] == '+') {
        i++;
    }

    if (i < len && v[i] == '(') {
        open = 1;
        run->paren_group = 0;
        i++;
    }

    for ( ;; ) {
        s = i;

        n = azoai_pii_phone_group(v, len, i, run->digits + ndigits,
                                  AZOAI_PHONE_MAX - ndigits);

        if (n == AZOAI_PHONE_LONG) {
            return -1;
        }

        ndigits += n;
        i += n;

        if (i == s || run->ngroups == AZOAI_PHONE_GROUPS) {
            return -1;
        }

        run->ndigits = ndigits;
        run->group_len[run->ngroups++] = i - s;
        run->end = i;

        if (open) {
            if (i >= len || v[i] != ')') {
                return -1;
            }

            open = 0;
            i++;

            if (i < len && azoai_pii_digit(v[i])) {
                continue;
            }
        }

        if (i + 1 >= len
            || (v[i] != ' ' && v[i] != '-' && v[i] != '.'))
        {
            return 0;
        }

        if (azoai_pii_digit(v[i + 1])) {
            i++;
            continue;
        }

        if (v[i + 1] == '(' && run->paren_group == -1 && i + 2 < len
            && azoai_pii_digit(v[i + 2]))
        {
            open = 1;
            run->paren_group = (int) run->ngroups;
            i += 2;
            continue;
        }

        return 0;
    }
}


/*
 * The digits of a group at i copied to d, which has room for room of them
 * (and AZOAI_PHONE_SLACK bytes more); their count, or AZOAI_PHONE_LONG
 * when there are more
 */

static inline size_t
azoai_pii_phone_group(const u_char *v, size_t len, size_t i, u_char *d,
    size_t room)
{
    size_t  n;

    /* one more than fit: too many */

    n = azoai_pii_digit_run(v, len, i, room + 1);

    if (n > room) {
        return AZOAI_PHONE_LONG;
    }

    /* a group of up to 8 digits in one 8-byte copy */

    if (n <= AZOAI_PHONE_SLACK && len - i >= AZOAI_PHONE_SLACK) {
        memcpy(d, v + i, AZOAI_PHONE_SLACK);

    } else {
        memcpy(d, v + i, n);
    }

    return n;
}


/* area and exchange: [2-9]XX, not N11 */

static int
azoai_pii_nanp_ok(const u_char *d)
{
    if (d[0] < '2' || d[3] < '2') {
        return 0;
    }

    if ((d[1] == '1' && d[2] == '1') || (d[4] == '1' && d[5] == '1')) {
        return 0;
    }

    return 1;
}


/*
 * US SSN: AAA-GG-SSSS or AAA GG SSSS (one separator kind); area not 000,
 * 666 or 9XX, group not 00, serial not 0000.
 */

int
azoai_pii_detect_ssn(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    u_char          sep;
    const u_char   *d;

    if (at + 11 > len || !azoai_pii_num_left_ok(v, at)) {
        return 0;
    }

    d = v + at;
    sep = d[3];

    if (sep != '-' && sep != ' ') {
        return 0;
    }

#if defined(__SSE2__)

    /*
     * with 16 bytes, the shape in one SSE2 test (azoai_pii_digits16():
     * digits but at 3 and 6); fewer, the word code in a function of its
     * own, so that this path saves no register for its constants
     */

    if (len - at < 16) {
        return azoai_pii_ssn_short(v, len, at, start, end);
    }

    if ((azoai_pii_digits16(d) & 0x7ff) != 0x7b7 || d[6] != sep) {
        return 0;
    }

#else

    if (!azoai_pii_ssn_shape(d, sep)) {
        return 0;
    }

#endif

    return azoai_pii_ssn_rest(v, len, at, start, end);
}


#if defined(__SSE2__)

/* azoai_pii_detect_ssn() with fewer than 16 bytes from at */

static int
azoai_pii_ssn_short(const u_char *v, size_t len, size_t at, size_t *start,
    size_t *end)
{
    if (!azoai_pii_ssn_shape(v + at, v[at + 3])) {
        return 0;
    }

    return azoai_pii_ssn_rest(v, len, at, start, end);
}

#endif


/* azoai_pii_detect_ssn() past the shape: its ends and number ranges */

static inline int
azoai_pii_ssn_rest(const u_char *v, size_t len, size_t at, size_t *start,
    size_t *end)
{
    u_char          sep;
    const u_char   *d;

    d = v + at;
    sep = d[3];

    if (!azoai_pii_num_right_ok(v, len, at + 11)) {
        return 0;
    }

    /* with spaces, not a piece of a longer spaced number */
    if (sep == ' '
        && ((at >= 2 && v[at - 1] == ' ' && azoai_pii_digit(v[at - 2]))
            || (at + 12 < len && v[at + 11] == ' '
                && azoai_pii_digit(v[at + 12]))))
    {
        return 0;
    }

    if ((d[0] == '0' && d[1] == '0' && d[2] == '0')
        || (d[0] == '6' && d[1] == '6' && d[2] == '6')
        || d[0] == '9'
        || (d[4] == '0' && d[5] == '0')
        || (d[7] == '0' && d[8] == '0' && d[9] == '0' && d[10] == '0'))
    {
        return 0;
    }

    *start = at;
    *end = at + 11;
    return 1;
}


/*
 * Whether the 11 bytes at d are "ddd-dd-dddd" with sep for '-'.  One
 * word: the first 8 bytes with sep's two places read as '0' are digits,
 * and the last four; elsewhere a byte at a time.
 */

static inline int
azoai_pii_ssn_shape(const u_char *d, u_char sep)
{
#if (AZOAI_PII_SWAR)
    uint32_t  last;
    uint64_t  w;

    memcpy(&w, d, sizeof(uint64_t));

    /* bytes 3 and 6 */
    w = (w & ~0x00ff0000ff000000ULL) | 0x0030000030000000ULL;

    return d[3] == sep && d[6] == sep && azoai_pii_nondigits8(w) == 0
           && azoai_pii_digits4(d + 7, &last);
#else
    size_t  k;

    static const u_char  shape[] = "ddd-dd-dddd";

    for (k = 0; k < 11; k++) {
        if (shape[k] == 'd' ? !azoai_pii_digit(d[k]) : d[k] != sep) {
            return 0;
        }
    }

    return 1;
#endif
}
