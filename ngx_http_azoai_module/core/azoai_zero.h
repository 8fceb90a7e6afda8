/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Zeroing of a fixed-size part of a structure: 16 bytes a store,
 * unrolled, where memset() of a few hundred bytes is a rep stos of one
 * step per 8 bytes (the request context in the glue, the body result in
 * the core).
 */

#ifndef _AZOAI_ZERO_H_INCLUDED_
#define _AZOAI_ZERO_H_INCLUDED_


#include <string.h>

#include "azoai_core.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


static inline void azoai_zero(u_char *p, size_t n)
    __attribute__((always_inline));


/* n bytes at p zeroed; n a constant, so that the loop unrolls */

static inline void
azoai_zero(u_char *p, size_t n)
{
    size_t  i;

#if defined(__SSE2__)
#pragma GCC unroll 32
    for (i = 0; i + 16 <= n; i += 16) {
        _mm_storeu_si128((__m128i *) (p + i), _mm_setzero_si128());
    }
#else
    i = 0;
#endif

    memset(p + i, 0, n - i);
}


#endif /* _AZOAI_ZERO_H_INCLUDED_ */
