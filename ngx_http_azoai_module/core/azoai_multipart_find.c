/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The search for "--" boundary in a multipart body, faster than
 * memmem() on content: 64 positions a step (AVX2, checked at run
 * time), those whose first and last bytes are the needle's compared
 * whole.  A needle is at most AZOAI_MULTIPART_BOUNDARY_MAX + 2 bytes,
 * so a comparison costs at most that; a body that makes them cost more
 * than AZOAI_MP_FIND_BUDGET bytes per byte searched (content full of
 * near-boundaries) is searched on by memmem(), whose time is linear
 * whatever the input.  The rest of a body (less than a step and a
 * needle), CPUs without AVX2 and the no-SIMD build: memmem() alone, the
 * reference the unit test and fuzz_multipart compare with.
 */

#define _GNU_SOURCE             /* memmem() */

#include <string.h>

#include "azoai_multipart.h"

#if defined(__SSE2__) && defined(__x86_64__) && defined(__GNUC__)            \
    && !defined(AZOAI_NO_AVX2)
#include <immintrin.h>
#define AZOAI_MP_FIND_AVX2  1
#else
#define AZOAI_MP_FIND_AVX2  0
#endif


/* positions a step of the vector loop */
#define AZOAI_MP_FIND_STEP      64

/* bytes compared per byte searched before memmem() takes over */
#define AZOAI_MP_FIND_BUDGET    4

/* what the budget starts with: a few near-boundaries are always fine */
#define AZOAI_MP_FIND_SLACK     1024


#if (AZOAI_MP_FIND_AVX2)
static size_t azoai_mp_find_avx2(const u_char *hay, size_t n,
    const u_char *needle, size_t m, const u_char **hit);
#endif


const u_char *
azoai_multipart_find(const u_char *hay, size_t n, const u_char *needle,
    size_t m)
{
#if (AZOAI_MP_FIND_AVX2)
    size_t         i;
    const u_char  *hit;

    if (m >= 2 && n >= m + AZOAI_MP_FIND_STEP - 1
        && __builtin_cpu_supports("avx2"))
    {
        hit = NULL;
        i = azoai_mp_find_avx2(hay, n, needle, m, &hit);

        if (hit) {
            return hit;
        }

        hay += i;
        n -= i;
    }
#endif

    return memmem(hay, n, needle, m);
}


#if (AZOAI_MP_FIND_AVX2)

/*
 * The vector loop: *hit set when the needle is found; else the number of
 * positions ruled out (memmem() searches on from there).
 */

__attribute__((target("avx2")))
static size_t
azoai_mp_find_avx2(const u_char *hay, size_t n, const u_char *needle,
    size_t m, const u_char **hit)
{
    size_t     i, spent, bit;
    uint64_t   mask;
    __m256i    first, last, e0, e1;

    first = _mm256_set1_epi8((char) needle[0]);
    last = _mm256_set1_epi8((char) needle[m - 1]);
    spent = 0;

    for (i = 0; i + m - 1 + AZOAI_MP_FIND_STEP <= n;
         i += AZOAI_MP_FIND_STEP)
    {
        e0 = _mm256_and_si256(
                 _mm256_cmpeq_epi8(first,
                     _mm256_loadu_si256((const __m256i *) (hay + i))),
                 _mm256_cmpeq_epi8(last,
                     _mm256_loadu_si256((const __m256i *)
                                        (hay + i + m - 1))));
        e1 = _mm256_and_si256(
                 _mm256_cmpeq_epi8(first,
                     _mm256_loadu_si256((const __m256i *) (hay + i + 32))),
                 _mm256_cmpeq_epi8(last,
                     _mm256_loadu_si256((const __m256i *)
                                        (hay + i + m - 1 + 32))));

        if (_mm256_testz_si256(_mm256_or_si256(e0, e1),
                               _mm256_or_si256(e0, e1)))
        {
            continue;
        }

        mask = (uint32_t) _mm256_movemask_epi8(e0)
               | (uint64_t) (uint32_t) _mm256_movemask_epi8(e1) << 32;

        while (mask) {
            bit = (size_t) __builtin_ctzll(mask);

            if (memcmp(hay + i + bit + 1, needle + 1, m - 2) == 0) {
                *hit = hay + i + bit;
                return i + bit;
            }

            spent += m;
            mask &= mask - 1;
        }

        if (spent > AZOAI_MP_FIND_SLACK + AZOAI_MP_FIND_BUDGET * i) {
            /* near-boundaries everywhere: memmem() stays linear */
            return i + AZOAI_MP_FIND_STEP;
        }
    }

    return i;
}

#endif
