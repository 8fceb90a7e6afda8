/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * IBAN detector: country code, the country's length (SWIFT IBAN
 * registry), ISO 7064 mod-97 check digits; written as one run or in
 * groups of four separated by single spaces.
 */

#include <string.h>

#include "azoai_pii_int.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(AZOAI_NO_AVX2)
#include <immintrin.h>
#define AZOAI_IBAN_AVX2       1
#else
#define AZOAI_IBAN_AVX2       0
#endif


/* the country code and check digits, then groups of this many */
#define AZOAI_IBAN_GROUP      4

/*
 * Only the BBAN's remainder modulo 97 counts, so a group of four digits
 * multiplies the running value by 9 (10^4 modulo 97) and a letter by 3
 * (100 modulo 97), not by 10^4 and 100: it grows by 3,000 at most in a
 * group (three digits and a letter) and is reduced after a group once it
 * passes AZOAI_IBAN_ACC_MAX, which 3,000 times leaves within 64 bits
 */
#define AZOAI_IBAN_DIGITS4    9
#define AZOAI_IBAN_LETTER     3
#define AZOAI_IBAN_ACC_MAX    (1ULL << 50)

/* azoai_iban_value[] of a byte that is no digit or ASCII letter */
#define AZOAI_IBAN_NONE       0xff

/*
 * azoai_pii_iban_bban_avx2(): the bytes of one vector, the chunks of four
 * bytes in it, bit k of AZOAI_IBAN_SPACES the space before group k of a
 * spaced BBAN (every fifth byte from its first)
 */
#define AZOAI_IBAN_VECTOR     32
#define AZOAI_IBAN_SPACES     0x1084210842108421ULL

/*
 * What the BBAN readers return: the end of the BBAN in the upper bits,
 * the remainder modulo 97 of the running value a in the lowest 7 (a
 * result is never 0: the BBAN does not end at 0)
 */
#define AZOAI_IBAN_REM_BITS   7
#define AZOAI_IBAN_REM_MASK   ((1u << AZOAI_IBAN_REM_BITS) - 1)
#define azoai_iban_result(end, a)                                            \
    ((end) << AZOAI_IBAN_REM_BITS | (size_t) ((a) % 97))

/* the value of a letter in the check: A (or a) is 10, Z is 35 */
#define azoai_iban_letter(c)  (((c) & ~0x20) - 'A' + 10)


/*
 * The value of a character in the check: a digit its own, a letter 10
 * (A or a) to 35 (Z or z), AZOAI_IBAN_NONE for any other byte
 */

#define AZOAI_IBAN_LETTERS(base)                                             \
    [base + 0] = 10, [base + 1] = 11, [base + 2] = 12, [base + 3] = 13,     \
    [base + 4] = 14, [base + 5] = 15, [base + 6] = 16, [base + 7] = 17,     \
    [base + 8] = 18, [base + 9] = 19, [base + 10] = 20, [base + 11] = 21,   \
    [base + 12] = 22, [base + 13] = 23, [base + 14] = 24, [base + 15] = 25, \
    [base + 16] = 26, [base + 17] = 27, [base + 18] = 28, [base + 19] = 29, \
    [base + 20] = 30, [base + 21] = 31, [base + 22] = 32, [base + 23] = 33, \
    [base + 24] = 34, [base + 25] = 35

static const u_char  azoai_iban_value[256] = {
    [0 ... '0' - 1] = AZOAI_IBAN_NONE,
    ['9' + 1 ... 'A' - 1] = AZOAI_IBAN_NONE,
    ['Z' + 1 ... 'a' - 1] = AZOAI_IBAN_NONE,
    ['z' + 1 ... 255] = AZOAI_IBAN_NONE,
    ['0'] = 0, ['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4,
    ['5'] = 5, ['6'] = 6, ['7'] = 7, ['8'] = 8, ['9'] = 9,
    AZOAI_IBAN_LETTERS('A'),
    AZOAI_IBAN_LETTERS('a')
};

/* what a character multiplies the running value by: 10 or a letter's */

static const u_char  azoai_iban_factor[256] = {
    ['0' ... '9'] = 10,
    ['A' ... 'Z'] = AZOAI_IBAN_LETTER,
    ['a' ... 'z'] = AZOAI_IBAN_LETTER
};


static inline size_t azoai_pii_iban_head(const u_char *v, size_t len,
    size_t at) __attribute__((always_inline));
static inline size_t azoai_pii_iban_head_lettered(const u_char *v,
    size_t len, size_t at) __attribute__((always_inline));
static int azoai_pii_iban_lettered_general(const u_char *v, size_t len,
    size_t at, size_t *start, size_t *end) __attribute__((noinline));
static inline int azoai_pii_iban_tail(const u_char *v, size_t len,
    size_t at, size_t r, size_t *start, size_t *end)
    __attribute__((always_inline));
#if (AZOAI_IBAN_AVX2)
static int azoai_pii_iban_find_avx2(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end) __attribute__((target("avx2"), noinline));
static int azoai_pii_iban_lettered_avx2(const u_char *v, size_t len,
    size_t at, size_t *start, size_t *end)
    __attribute__((target("avx2"), noinline));
static inline int azoai_pii_iban_rest_avx2(const u_char *v, size_t len,
    size_t at, size_t want, size_t *start, size_t *end)
    __attribute__((target("avx2"), always_inline));
static inline size_t azoai_pii_iban_bban_avx2(const u_char *b,
    size_t room, size_t n) __attribute__((target("avx2"), always_inline));
static inline uint32_t azoai_pii_iban_vector(const u_char *p, size_t rem,
    uint32_t *sp, uint64_t *acc) __attribute__((target("avx2")));
static inline void azoai_pii_iban_chunks(__m256i val, __m256i w,
    const __m256i *k, uint64_t *acc) __attribute__((target("avx2")));
#endif
static size_t azoai_pii_iban_length(u_char c0, u_char c1);
#if (AZOAI_IBAN_AVX2)
/* out of line where the vector reader takes the common layouts */
static size_t azoai_pii_iban_bban(const u_char *v, size_t len,
    size_t i, size_t want) __attribute__((noinline));
#else
static inline size_t azoai_pii_iban_bban(const u_char *v, size_t len,
    size_t i, size_t want);
#endif
static inline int azoai_pii_iban_group(const u_char *p, uint64_t *a);
static inline uint32_t azoai_pii_iban_value4(uint32_t w);
static inline int azoai_pii_iban_mixed4(const u_char *p, uint64_t *a);


/*
 * IBAN length by country code, 0 for none (SWIFT IBAN registry): one
 * byte per pair of letters, AZOAI_IBAN_CC(c0, c1) its index: rows and
 * columns of 32, the last 6 for bytes that are no letter (all 0)
 */

#define AZOAI_IBAN_CC(c0, c1)  (((c0) - 'A') * 32 + (c1) - 'A')
#define AZOAI_IBAN_LEN(c0, c1, n)  [AZOAI_IBAN_CC(c0, c1)] = n

/* a letter's index in either case (A is 0), 31 for any other byte */

#define AZOAI_IBAN_NOLETTER   31
#define AZOAI_IBAN_INDEX(base)                                               \
    [base + 0] = 0, [base + 1] = 1, [base + 2] = 2, [base + 3] = 3,         \
    [base + 4] = 4, [base + 5] = 5, [base + 6] = 6, [base + 7] = 7,         \
    [base + 8] = 8, [base + 9] = 9, [base + 10] = 10, [base + 11] = 11,     \
    [base + 12] = 12, [base + 13] = 13, [base + 14] = 14, [base + 15] = 15, \
    [base + 16] = 16, [base + 17] = 17, [base + 18] = 18, [base + 19] = 19, \
    [base + 20] = 20, [base + 21] = 21, [base + 22] = 22, [base + 23] = 23, \
    [base + 24] = 24, [base + 25] = 25

static const u_char  azoai_iban_index[256] = {
    [0 ... 'A' - 1] = AZOAI_IBAN_NOLETTER,
    ['Z' + 1 ... 'a' - 1] = AZOAI_IBAN_NOLETTER,
    ['z' + 1 ... 255] = AZOAI_IBAN_NOLETTER,
    AZOAI_IBAN_INDEX('A'),
    AZOAI_IBAN_INDEX('a')
};

static const u_char  azoai_iban_lengths[32 * 32] = {
    AZOAI_IBAN_LEN('A', 'D', 24), AZOAI_IBAN_LEN('A', 'E', 23),
    AZOAI_IBAN_LEN('A', 'L', 28), AZOAI_IBAN_LEN('A', 'T', 20),
    AZOAI_IBAN_LEN('A', 'Z', 28), AZOAI_IBAN_LEN('B', 'A', 20),
    AZOAI_IBAN_LEN('B', 'E', 16), AZOAI_IBAN_LEN('B', 'G', 22),
    AZOAI_IBAN_LEN('B', 'H', 22), AZOAI_IBAN_LEN('B', 'I', 27),
    AZOAI_IBAN_LEN('B', 'R', 29), AZOAI_IBAN_LEN('B', 'Y', 28),
    AZOAI_IBAN_LEN('C', 'H', 21), AZOAI_IBAN_LEN('C', 'R', 22),
    AZOAI_IBAN_LEN('C', 'Y', 28), AZOAI_IBAN_LEN('C', 'Z', 24),
    AZOAI_IBAN_LEN('D', 'E', 22), AZOAI_IBAN_LEN('D', 'J', 27),
    AZOAI_IBAN_LEN('D', 'K', 18), AZOAI_IBAN_LEN('D', 'O', 28),
    AZOAI_IBAN_LEN('E', 'E', 20), AZOAI_IBAN_LEN('E', 'G', 29),
    AZOAI_IBAN_LEN('E', 'S', 24), AZOAI_IBAN_LEN('F', 'I', 18),
    AZOAI_IBAN_LEN('F', 'K', 18), AZOAI_IBAN_LEN('F', 'O', 18),
    AZOAI_IBAN_LEN('F', 'R', 27), AZOAI_IBAN_LEN('G', 'B', 22),
    AZOAI_IBAN_LEN('G', 'E', 22), AZOAI_IBAN_LEN('G', 'I', 23),
    AZOAI_IBAN_LEN('G', 'L', 18), AZOAI_IBAN_LEN('G', 'R', 27),
    AZOAI_IBAN_LEN('G', 'T', 28), AZOAI_IBAN_LEN('H', 'R', 21),
    AZOAI_IBAN_LEN('H', 'U', 28), AZOAI_IBAN_LEN('I', 'E', 22),
    AZOAI_IBAN_LEN('I', 'L', 23), AZOAI_IBAN_LEN('I', 'Q', 23),
    AZOAI_IBAN_LEN('I', 'S', 26), AZOAI_IBAN_LEN('I', 'T', 27),
    AZOAI_IBAN_LEN('J', 'O', 30), AZOAI_IBAN_LEN('K', 'W', 30),
    AZOAI_IBAN_LEN('K', 'Z', 20), AZOAI_IBAN_LEN('L', 'B', 28),
    AZOAI_IBAN_LEN('L', 'C', 32), AZOAI_IBAN_LEN('L', 'I', 21),
    AZOAI_IBAN_LEN('L', 'T', 20), AZOAI_IBAN_LEN('L', 'U', 20),
    AZOAI_IBAN_LEN('L', 'V', 21), AZOAI_IBAN_LEN('L', 'Y', 25),
    AZOAI_IBAN_LEN('M', 'C', 27), AZOAI_IBAN_LEN('M', 'D', 24),
    AZOAI_IBAN_LEN('M', 'E', 22), AZOAI_IBAN_LEN('M', 'K', 19),
    AZOAI_IBAN_LEN('M', 'N', 20), AZOAI_IBAN_LEN('M', 'R', 27),
    AZOAI_IBAN_LEN('M', 'T', 31), AZOAI_IBAN_LEN('M', 'U', 30),
    AZOAI_IBAN_LEN('N', 'I', 28), AZOAI_IBAN_LEN('N', 'L', 18),
    AZOAI_IBAN_LEN('N', 'O', 15), AZOAI_IBAN_LEN('O', 'M', 23),
    AZOAI_IBAN_LEN('P', 'K', 24), AZOAI_IBAN_LEN('P', 'L', 28),
    AZOAI_IBAN_LEN('P', 'S', 29), AZOAI_IBAN_LEN('P', 'T', 25),
    AZOAI_IBAN_LEN('Q', 'A', 29), AZOAI_IBAN_LEN('R', 'O', 24),
    AZOAI_IBAN_LEN('R', 'S', 22), AZOAI_IBAN_LEN('R', 'U', 33),
    AZOAI_IBAN_LEN('S', 'A', 24), AZOAI_IBAN_LEN('S', 'C', 31),
    AZOAI_IBAN_LEN('S', 'D', 18), AZOAI_IBAN_LEN('S', 'E', 24),
    AZOAI_IBAN_LEN('S', 'I', 19), AZOAI_IBAN_LEN('S', 'K', 24),
    AZOAI_IBAN_LEN('S', 'M', 27), AZOAI_IBAN_LEN('S', 'O', 23),
    AZOAI_IBAN_LEN('S', 'T', 25), AZOAI_IBAN_LEN('S', 'V', 28),
    AZOAI_IBAN_LEN('T', 'L', 23), AZOAI_IBAN_LEN('T', 'N', 24),
    AZOAI_IBAN_LEN('T', 'R', 26), AZOAI_IBAN_LEN('U', 'A', 29),
    AZOAI_IBAN_LEN('V', 'A', 22), AZOAI_IBAN_LEN('V', 'G', 24),
    AZOAI_IBAN_LEN('X', 'K', 20), AZOAI_IBAN_LEN('Y', 'E', 30)
};


/*
 * The mod-97 check runs as the characters are read: the remainder of the
 * BBAN (a digit is one decimal digit, a letter the two of 10..35), then
 * the country letters and the check digits, which the rearranged IBAN
 * puts last, must leave 1.
 */

int
azoai_pii_detect_iban(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
#if (AZOAI_IBAN_AVX2)
    if (__builtin_cpu_supports("avx2")) {
        return azoai_pii_iban_find_avx2(v, len, at, start, end);
    }
#endif

    return azoai_pii_iban_general(v, len, at, start, end);
}


/*
 * azoai_pii_detect_iban() at a digit where azoai_pii_iban_may_start()
 * holds (the scan's pre-test): the head's tests that the pre-test made
 * (at >= 2, the digit at at, no letter, digit or '_' before the country)
 * are left out, ~12 instructions an IBAN
 */

int
azoai_pii_detect_iban_lettered(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
#if (AZOAI_IBAN_AVX2)
    if (__builtin_cpu_supports("avx2")) {
        return azoai_pii_iban_lettered_avx2(v, len, at, start, end);
    }
#endif

    return azoai_pii_iban_lettered_general(v, len, at, start, end);
}


/*
 * the same without the vector reader; out of line, as
 * azoai_pii_iban_general(): inline, its registers were saved before the
 * test of the CPU (144 instructions more a request at 64 KB)
 */

static int
azoai_pii_iban_lettered_general(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t  want, r;

    want = azoai_pii_iban_head_lettered(v, len, at);

    if (want == 0) {
        return 0;
    }

    r = azoai_pii_iban_bban(v, len, at + 2, want);

    return azoai_pii_iban_tail(v, len, at, r, start, end);
}


/* the same without the vector reader (the unit tests compare the two) */

int
azoai_pii_iban_general(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t  want, r;

    want = azoai_pii_iban_head(v, len, at);

    if (want == 0) {
        return 0;
    }

    r = azoai_pii_iban_bban(v, len, at + 2, want);

    return azoai_pii_iban_tail(v, len, at, r, start, end);
}


#if (AZOAI_IBAN_AVX2)

/*
 * azoai_pii_detect_iban() with the vector reader inline: one function
 * compiled for AVX2, so that the reader needs no call, and the values
 * the scalar code keeps across it no registers saved and no stack slots
 * (a call cost 40 instructions an IBAN: six registers pushed and popped,
 * five values spilled and reloaded)
 */

__attribute__((target("avx2"), noinline))
static int
azoai_pii_iban_find_avx2(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t  want;

    want = azoai_pii_iban_head(v, len, at);

    if (want == 0) {
        return 0;
    }

    return azoai_pii_iban_rest_avx2(v, len, at, want, start, end);
}


/* azoai_pii_detect_iban_lettered() with the vector reader inline */

__attribute__((target("avx2"), noinline))
static int
azoai_pii_iban_lettered_avx2(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t  want;

    want = azoai_pii_iban_head_lettered(v, len, at);

    if (want == 0) {
        return 0;
    }

    return azoai_pii_iban_rest_avx2(v, len, at, want, start, end);
}


/* the IBAN of the country's length want, past the head */

__attribute__((target("avx2"), always_inline))
static inline int
azoai_pii_iban_rest_avx2(const u_char *v, size_t len, size_t at,
    size_t want, size_t *start, size_t *end)
{
    size_t  r;

    r = azoai_pii_iban_bban_avx2(v + at + 2, len - at - 2,
                                 want - AZOAI_IBAN_GROUP);

    if (r != 0) {
        r += (at + 2) << AZOAI_IBAN_REM_BITS;

    } else {
        r = azoai_pii_iban_bban(v, len, at + 2, want);
    }

    /*
     * the country letters and check digits read again after the reader,
     * not kept from azoai_pii_iban_head() over it: four registers fewer
     */

    __asm__ ("" : "+r" (v));

    return azoai_pii_iban_tail(v, len, at, r, start, end);
}

#endif


/*
 * The country's IBAN length where the two bytes before the check digits
 * at at are its letters, starting a word, and the check digits are
 * digits; else 0
 */

static inline size_t
azoai_pii_iban_head(const u_char *v, size_t len, size_t at)
{
    size_t  s, want;

    /* at is the first check digit, after the two country letters */

    if (at < 2 || at + 2 > len) {
        return 0;
    }

    s = at - 2;

    /* the country: only two ASCII letters have a length */

    want = azoai_pii_iban_length(v[s], v[s + 1]);

    if (want == 0
        || !azoai_pii_digit(v[at]) || !azoai_pii_digit(v[at + 1]))
    {
        return 0;
    }

    if (s > 0 && (azoai_pii_alnum(v[s - 1]) || v[s - 1] == '_')) {
        return 0;
    }

    return want;
}


/*
 * azoai_pii_iban_head() where azoai_pii_iban_may_start() holds and the
 * byte at at is a digit
 */

static inline size_t
azoai_pii_iban_head_lettered(const u_char *v, size_t len, size_t at)
{
    size_t  want;

    if (at + 2 > len) {
        return 0;
    }

    want = azoai_pii_iban_length(v[at - 2], v[at - 1]);

    if (want == 0 || !azoai_pii_digit(v[at + 1])) {
        return 0;
    }

    return want;
}


/*
 * The IBAN from at - 2 whose BBAN a reader returned as r (0: none):
 * it ends there and the check holds
 */

static inline int
azoai_pii_iban_tail(const u_char *v, size_t len, size_t at, size_t r,
    size_t *start, size_t *end)
{
    size_t    i, s;
    uint32_t  check, last;

    if (r == 0) {
        return 0;
    }

    i = r >> AZOAI_IBAN_REM_BITS;

    if (i < len && (azoai_pii_alnum(v[i]) || v[i] == '_')) {
        return 0;
    }

    /*
     * country letters and check digits, which the rearranged IBAN puts
     * last; read again here, not kept over the BBAN's reader
     */

    s = at - 2;
    last = (azoai_iban_letter(v[s]) * 100 + azoai_iban_letter(v[s + 1]))
           * 100
           + (v[at] - '0') * 10 + (v[at + 1] - '0');

    /* below 97 * 10^6 + 353,599: one more remainder in 32 bits */

    check = (uint32_t) (r & AZOAI_IBAN_REM_MASK) * 1000000 + last;

    if (check % 97 != 1) {
        return 0;
    }

    *start = s;
    *end = i;
    return 1;
}


/*
 * Reads the BBAN from i until the IBAN has want characters (one space
 * allowed between groups of four); 0 when it is cut short, else its end
 * and the BBAN's remainder modulo 97 (azoai_iban_result()).  A group of four
 * at a time: four digits in one word (azoai_pii_digits4()), else the
 * four characters' values by table, without a loop
 * (azoai_pii_iban_mixed4()); a shorter last group a character at a time.
 * The value is reduced only after a group that leaves it above
 * AZOAI_IBAN_ACC_MAX.
 */

static size_t
azoai_pii_iban_bban(const u_char *v, size_t len, size_t i, size_t want)
{
    size_t    n, last;
    u_char    x;
    uint64_t  a;

    a = 0;

    /* the characters after country and check digits */

    n = want - AZOAI_IBAN_GROUP;

    /*
     * one space between groups of four: skipped without looking past
     * it, as a group that starts with the space or with what follows it
     * fails alike when that is no letter or digit; with only four bytes
     * left it is not skipped, and fails as a group.  With room for every
     * group and a space before each (most IBANs in text), more than four
     * bytes are left at each group: no bounds to check.
     */

    if (len - i >= (AZOAI_IBAN_GROUP + 1) * (n / AZOAI_IBAN_GROUP)) {

        for ( /* void */ ; n >= AZOAI_IBAN_GROUP; n -= AZOAI_IBAN_GROUP) {
            i += (v[i] == ' ');

            if (!azoai_pii_iban_group(v + i, &a)) {
                return 0;
            }

            i += AZOAI_IBAN_GROUP;
        }
    }

    for ( /* void */ ; n >= AZOAI_IBAN_GROUP; n -= AZOAI_IBAN_GROUP) {
        if (len - i > AZOAI_IBAN_GROUP) {
            i += (v[i] == ' ');

        } else if (len - i < AZOAI_IBAN_GROUP) {
            return 0;
        }

        if (!azoai_pii_iban_group(v + i, &a)) {
            return 0;
        }

        i += AZOAI_IBAN_GROUP;
    }

    if (n != 0) {
        if (i < len && v[i] == ' ') {
            i++;
        }

        if (len - i < n) {
            return 0;
        }

        for (last = i + n; i < last; i++) {
            x = azoai_iban_value[v[i]];

            if (x == AZOAI_IBAN_NONE) {
                return 0;
            }

            a = a * azoai_iban_factor[v[i]] + x;
        }
    }

    return azoai_iban_result(i, a);
}


#if (AZOAI_IBAN_AVX2)

/*
 * The BBAN's n characters at b (room bytes there) in one or two 32-byte
 * vectors, where they are written spaced in fours (a space before each
 * group, as azoai_pii_iban_bban() reads them when every space is there)
 * or in one run: its length in bytes and remainder modulo 97
 * (azoai_iban_result()); 0 in any other layout, with too little room, or
 * when a character is no letter or digit (azoai_pii_iban_bban() then
 * decides as before).
 *
 * The running value goes on by chunks of 8 bytes, a = a * f + g as by a
 * group in azoai_pii_iban_group().  A digit has 1 decimal digit, a
 * letter 2, a space or a byte past the BBAN none (and value 0): a byte's
 * weight in its chunk is 10^k modulo 97, k the decimal digits after it
 * in the chunk (0 to 14), by one table lookup a byte (azoai_iban_pow10);
 * g is the sum of values times weights (two multiply-adds), f is 10^k
 * for all of the chunk's digits (0 to 16).  Two chunks join in a 64-bit
 * lane (g * f' + g', f * f'), so that two steps a vector are left to the
 * scalar code.
 */

/* a byte 32 times, for the vector constants in memory */
#define AZOAI_IBAN_X4(c)      c, c, c, c
#define AZOAI_IBAN_X32(c)                                                    \
    AZOAI_IBAN_X4(c), AZOAI_IBAN_X4(c), AZOAI_IBAN_X4(c), AZOAI_IBAN_X4(c), \
    AZOAI_IBAN_X4(c), AZOAI_IBAN_X4(c), AZOAI_IBAN_X4(c), AZOAI_IBAN_X4(c)

/* 1 in a 16-bit lane */
#define AZOAI_IBAN_W1         1, 0

/* 10^k modulo 97 for k = 0 .. 15 (16, 8 letters in a chunk: 62) */
#define AZOAI_IBAN_POW10                                                     \
    1, 10, 3, 30, 9, 90, 27, 76, 81, 34, 49, 5, 50, 15, 53, 45

/* the vector constants of azoai_pii_iban_vector() */

enum {
    AZOAI_IBAN_K_DIGIT = 0,         /* x + 0x80 - '0' */
    AZOAI_IBAN_K_DIGITS,            /* below 0x80 + 10: a digit */
    AZOAI_IBAN_K_CASE,              /* 0x20 */
    AZOAI_IBAN_K_LETTER,            /* (x | 0x20) + 0x80 - 'a' */
    AZOAI_IBAN_K_LETTERS,           /* below 0x80 + 26: a letter */
    AZOAI_IBAN_K_SPACE,
    AZOAI_IBAN_K_LOW5,              /* x & 0x1f */
    AZOAI_IBAN_K_25,                /* a letter's value: + 25 - 16 */
    AZOAI_IBAN_K_M16,               /* a digit's: - 16 */
    AZOAI_IBAN_K_ONES16,            /* 1 in each 16-bit lane */
    AZOAI_IBAN_K_16,                /* 16 decimal digits: 8 letters */
    AZOAI_IBAN_K_62,                /* 10^16 modulo 97 */
    AZOAI_IBAN_K_LOW8,              /* the low byte of each 64 bits */
    AZOAI_IBAN_K_POW10,
    AZOAI_IBAN_K_N
};

static const u_char  azoai_iban_k[AZOAI_IBAN_K_N][32]
    __attribute__((aligned(32))) =
{
    { AZOAI_IBAN_X32(0x80 - '0') },
    { AZOAI_IBAN_X32(0x80 + 10) },
    { AZOAI_IBAN_X32(0x20) },
    { AZOAI_IBAN_X32(0x80 - 'a') },
    { AZOAI_IBAN_X32(0x80 + 26) },
    { AZOAI_IBAN_X32(' ') },
    { AZOAI_IBAN_X32(0x1f) },
    { AZOAI_IBAN_X32(25) },
    { AZOAI_IBAN_X32(0xf0) },
    { AZOAI_IBAN_X4(AZOAI_IBAN_W1), AZOAI_IBAN_X4(AZOAI_IBAN_W1),
      AZOAI_IBAN_X4(AZOAI_IBAN_W1), AZOAI_IBAN_X4(AZOAI_IBAN_W1) },
    { AZOAI_IBAN_X32(16) },
    { AZOAI_IBAN_X32(62) },
    { 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0,
      0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0 },
    { AZOAI_IBAN_POW10, AZOAI_IBAN_POW10 }
};

/* 32 bytes 0xff, then 32 zeros: the bytes of the BBAN in a vector */

static const u_char  azoai_iban_in[2 * AZOAI_IBAN_VECTOR] = {
    [0 ... AZOAI_IBAN_VECTOR - 1] = 0xff
};

#define azoai_iban_k(i)  _mm256_load_si256(k + AZOAI_IBAN_K_ ## i)


__attribute__((target("avx2"), always_inline))
static inline size_t
azoai_pii_iban_bban_avx2(const u_char *b, size_t room, size_t n)
{
    size_t    lb;
    uint32_t  sp0, sp1;
    uint64_t  m, alnum, spaces, want_sp, a;

    /* b[0] is read only when there is room (at the text's end: none) */

    if (room < AZOAI_IBAN_VECTOR) {
        return 0;
    }

    lb = (b[0] == ' ') ? n + (n + AZOAI_IBAN_GROUP - 1) / AZOAI_IBAN_GROUP
                       : n;

    if (lb > AZOAI_IBAN_VECTOR && room < 2 * AZOAI_IBAN_VECTOR) {
        return 0;
    }

    a = 0;
    alnum = azoai_pii_iban_vector(b, lb, &sp0, &a);
    spaces = sp0;

    if (lb > AZOAI_IBAN_VECTOR) {
        alnum |= (uint64_t) azoai_pii_iban_vector(b + AZOAI_IBAN_VECTOR,
                                                  lb - AZOAI_IBAN_VECTOR,
                                                  &sp1, &a)
                 << AZOAI_IBAN_VECTOR;
        spaces |= (uint64_t) sp1 << AZOAI_IBAN_VECTOR;
    }

    /* the layout: every byte a letter or digit, but the spaces */

    m = ((uint64_t) 1 << lb) - 1;
    want_sp = (b[0] == ' ') ? AZOAI_IBAN_SPACES & m : 0;

    if ((alnum & m) != (m & ~want_sp) || (spaces & want_sp) != want_sp) {
        return 0;
    }

    return azoai_iban_result(lb, a);
}


/*
 * One vector of azoai_pii_iban_bban_avx2() at p, rem bytes of the BBAN
 * in it (more than 32: all): its two steps taken on *acc; the bits of
 * its letters and digits, in *sp those of its spaces
 */

__attribute__((target("avx2"), always_inline))
static inline uint32_t
azoai_pii_iban_vector(const u_char *p, size_t rem, uint32_t *sp,
    uint64_t *acc)
{
    uint32_t        bits;
    __m256i         x, l, dl, in, val, w;
    const __m256i  *k;

    /*
     * the constants through a pointer the compiler cannot see through:
     * it would build each from an immediate again (three instructions)
     * where an operand in memory costs none
     */

    k = (const __m256i *) azoai_iban_k;
    __asm__ ("" : "+r" (k));

    rem = (rem < AZOAI_IBAN_VECTOR) ? rem : AZOAI_IBAN_VECTOR;
    in = _mm256_loadu_si256((const __m256i *)
                            (azoai_iban_in + AZOAI_IBAN_VECTOR - rem));
    x = _mm256_loadu_si256((const __m256i *) p);

    /*
     * digits and letters within the BBAN: x - '0' below 10 and
     * (x | 0x20) - 'a' below 26, moved to the lowest signed bytes
     */

    l = _mm256_cmpgt_epi8(azoai_iban_k(LETTERS),
            _mm256_add_epi8(_mm256_or_si256(x, azoai_iban_k(CASE)),
                            azoai_iban_k(LETTER)));
    dl = _mm256_or_si256(l,
             _mm256_cmpgt_epi8(azoai_iban_k(DIGITS),
                 _mm256_add_epi8(x, azoai_iban_k(DIGIT))));
    l = _mm256_and_si256(l, in);
    dl = _mm256_and_si256(dl, in);

    bits = (uint32_t) _mm256_movemask_epi8(dl);
    *sp = (uint32_t) _mm256_movemask_epi8(
              _mm256_cmpeq_epi8(x, azoai_iban_k(SPACE)));

    /*
     * values: (x & 0x1f) is a letter's value less 9, a digit's plus 16;
     * decimal digits w: 1 a digit, 2 a letter, else 0
     */

    val = _mm256_add_epi8(_mm256_and_si256(x, azoai_iban_k(LOW5)),
              _mm256_add_epi8(_mm256_and_si256(l, azoai_iban_k(25)),
                              azoai_iban_k(M16)));
    val = _mm256_and_si256(val, dl);
    w = _mm256_sub_epi8(_mm256_sub_epi8(_mm256_setzero_si256(), dl), l);

    azoai_pii_iban_chunks(val, w, k, acc);

    return bits;
}


/*
 * The chunks of azoai_pii_iban_vector(), values val and decimal digits w
 * a byte, as two steps on *acc (constants at k)
 */

__attribute__((target("avx2"), always_inline))
static inline void
azoai_pii_iban_chunks(__m256i val, __m256i w, const __m256i *k,
    uint64_t *acc)
{
    uint64_t  a, q;
    __m256i   t, g, f, pow10;

    /* t: the decimal digits from each byte to its chunk's end */

    t = _mm256_add_epi8(w, _mm256_srli_epi64(w, 8));
    t = _mm256_add_epi8(t, _mm256_srli_epi64(t, 16));
    t = _mm256_add_epi8(t, _mm256_srli_epi64(t, 32));

    /* g in the low 32 bits of each chunk, f in its low byte */

    pow10 = azoai_iban_k(POW10);

    g = _mm256_madd_epi16(
            _mm256_maddubs_epi16(val,
                _mm256_shuffle_epi8(pow10, _mm256_sub_epi8(t, w))),
            azoai_iban_k(ONES16));
    g = _mm256_add_epi32(g, _mm256_srli_epi64(g, 32));
    g = _mm256_blend_epi32(g, _mm256_setzero_si256(), 0xaa);

    f = _mm256_blendv_epi8(_mm256_shuffle_epi8(pow10, t), azoai_iban_k(62),
                           _mm256_cmpeq_epi8(t, azoai_iban_k(16)));
    f = _mm256_and_si256(f, azoai_iban_k(LOW8));

    /*
     * two chunks in one: g * f' + g' (below 2^22) in the low 32 bits,
     * f * f' (below 2^14) above
     */

    g = _mm256_add_epi64(_mm256_mul_epu32(g, _mm256_srli_si256(f, 8)),
                         _mm256_srli_si256(g, 8));
    f = _mm256_mul_epu32(f, _mm256_srli_si256(f, 8));
    g = _mm256_or_si256(g, _mm256_slli_epi64(f, 32));

    /* below 2^22 * 9216^3 after the four steps of two vectors */

    a = *acc;
    q = (uint64_t) _mm_cvtsi128_si64(_mm256_castsi256_si128(g));
    a = a * (q >> 32) + (uint32_t) q;
    q = (uint64_t) _mm_cvtsi128_si64(_mm256_extracti128_si256(g, 1));
    a = a * (q >> 32) + (uint32_t) q;
    *acc = a;
}

#endif


/*
 * The group of four at p added to the running value *a: four digits in
 * one word (azoai_pii_digits4()), else by table; 0 when one is no digit
 * or letter
 */

static inline int
azoai_pii_iban_group(const u_char *p, uint64_t *a)
{
    uint32_t  x4;

    if (azoai_pii_digits4(p, &x4)) {
        *a = *a * AZOAI_IBAN_DIGITS4 + azoai_pii_iban_value4(x4);

    } else if (!azoai_pii_iban_mixed4(p, a)) {
        return 0;
    }

    if (*a >= AZOAI_IBAN_ACC_MAX) {
        *a %= 97;
    }

    return 1;
}


/*
 * Four characters at p, digits and letters, added to the running value
 * *a (a letter multiplies it by AZOAI_IBAN_LETTER); 0 when one is neither
 */

static inline int
azoai_pii_iban_mixed4(const u_char *p, uint64_t *a)
{
    u_char    x0, x1, x2, x3;
    uint64_t  r;

    x0 = azoai_iban_value[p[0]];
    x1 = azoai_iban_value[p[1]];
    x2 = azoai_iban_value[p[2]];
    x3 = azoai_iban_value[p[3]];

    /* AZOAI_IBAN_NONE has the top bit, no value does */

    if ((x0 | x1 | x2 | x3) & 0x80) {
        return 0;
    }

    r = *a;
    r = r * azoai_iban_factor[p[0]] + x0;
    r = r * azoai_iban_factor[p[1]] + x1;
    r = r * azoai_iban_factor[p[2]] + x2;
    r = r * azoai_iban_factor[p[3]] + x3;
    *a = r;

    return 1;
}


/*
 * The value of four digits (azoai_pii_digits4() said so) in the word w,
 * the first digit in its lowest byte: two 2-digit numbers, then one
 */

static inline uint32_t
azoai_pii_iban_value4(uint32_t w)
{
    uint32_t  d;

    d = w - 0x30303030u;
    d = (d * 10 + (d >> 8)) & 0x00ff00ffu;

    return (d & 0xff) * 100 + (d >> 16);
}


/* by two table lookups and no test: any byte not a letter gives 0 */

static size_t
azoai_pii_iban_length(u_char c0, u_char c1)
{
    return azoai_iban_lengths[azoai_iban_index[c0] * 32
                              + azoai_iban_index[c1]];
}
