/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Event-stream lines: CRLF, LF and CR line ends, split-safe.
 */

#include <string.h>

#include "azoai_sse_line.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__SSE2__) && defined(__x86_64__) && defined(__GNUC__)            \
    && !defined(AZOAI_NO_AVX2)
#include <immintrin.h>
#define AZOAI_SSE_LINE_AVX2  1
#endif

/* a line this long at least is searched 32 bytes a step, where it can be */
#define AZOAI_SSE_LINE_AVX2_MIN  64


static const u_char *azoai_sse_line_eol(const u_char *p, const u_char *last);
#if (AZOAI_SSE_LINE_AVX2)
static const u_char *azoai_sse_line_eol_avx2(const u_char *p,
    const u_char *last);
#endif


void
azoai_sse_line_init(azoai_sse_line_t *l)
{
    l->len = 0;
    l->cr = 0;
}


const u_char *
azoai_sse_line_next(azoai_sse_line_t *l, const u_char *p, const u_char *last,
    azoai_sse_piece_t *pc)
{
    const u_char  *lf;

    if (l->cr) {
        /* the LF of a CRLF whose CR ended the last chunk */

        l->cr = 0;

        if (*p == '\n') {
            p++;
        }
    }

    pc->data = p;
    pc->offset = l->len;
    pc->end = 0;
    pc->blank = 0;

    /* every other line of a stream is the blank one that ends an event */

    lf = (p < last && (*p == '\n' || *p == '\r'))
         ? p : azoai_sse_line_eol(p, last);

    if (lf == last) {
        pc->len = last - p;
        l->len += pc->len;
        return last;
    }

    pc->len = lf - p;
    pc->end = 1;
    pc->blank = (l->len + pc->len == 0);
    l->len = 0;

    if (*lf == '\r') {
        if (lf + 1 == last) {
            l->cr = 1;

        } else if (lf[1] == '\n') {
            lf++;
        }
    }

    return lf + 1;
}


/* the first CR or LF in [p, last), or last: 16 bytes a step */

static const u_char *
azoai_sse_line_eol(const u_char *p, const u_char *last)
{
#if defined(__SSE2__)
    int      mask;
    __m128i  x, cr, lf;

    cr = _mm_set1_epi8('\r');
    lf = _mm_set1_epi8('\n');

#if (AZOAI_SSE_LINE_AVX2)
    if (last - p >= AZOAI_SSE_LINE_AVX2_MIN && __builtin_cpu_supports("avx2"))
    {
        p = azoai_sse_line_eol_avx2(p, last);

        if (last - p >= 32) {
            return p;
        }
    }
#endif

    while (last - p >= 16) {
        x = _mm_loadu_si128((const __m128i *) p);
        mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, cr),
                                              _mm_cmpeq_epi8(x, lf)));
        if (mask) {
            return p + __builtin_ctz(mask);
        }

        p += 16;
    }
#endif

    while (p < last && *p != '\n' && *p != '\r') {
        p++;
    }

    return p;
}


#if (AZOAI_SSE_LINE_AVX2)

/*
 * 32 bytes a step (an event's data line is 100 to 300 bytes: half the
 * steps of the SSE2 loop): the first CR or LF, or where fewer than 32
 * bytes are left
 */

__attribute__((target("avx2")))
static const u_char *
azoai_sse_line_eol_avx2(const u_char *p, const u_char *last)
{
    uint32_t  mask;
    __m256i   x, cr, lf;

    cr = _mm256_set1_epi8('\r');
    lf = _mm256_set1_epi8('\n');

    while (last - p >= 32) {
        x = _mm256_loadu_si256((const __m256i *) p);
        mask = (uint32_t) _mm256_movemask_epi8(
                   _mm256_or_si256(_mm256_cmpeq_epi8(x, cr),
                                   _mm256_cmpeq_epi8(x, lf)));
        if (mask) {
            return p + __builtin_ctz(mask);
        }

        p += 32;
    }

    return p;
}

#endif
