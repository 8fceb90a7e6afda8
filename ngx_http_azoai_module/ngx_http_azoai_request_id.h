/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Request ids (ngx_http_azoai_request_id.c): the state of the worker's
 * generator and the id's making from its key stream, inline where the
 * context is created; the key stream itself out of line.
 */

#ifndef _NGX_HTTP_AZOAI_REQUEST_ID_H_INCLUDED_
#define _NGX_HTTP_AZOAI_REQUEST_ID_H_INCLUDED_


#include "ngx_http_azoai_module.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


#define NGX_HTTP_AZOAI_ID_BYTES  (NGX_HTTP_AZOAI_REQUEST_ID_LEN / 2)

/* an id's bytes as hex in one SSE2 pass */
#if defined(__SSE2__) && NGX_HTTP_AZOAI_REQUEST_ID_LEN == 32
#define NGX_HTTP_AZOAI_ID_HEX16  1
#endif
#define NGX_HTTP_AZOAI_ID_BATCH  64
#define NGX_HTTP_AZOAI_AES_KEY   16


typedef struct {
    /* an EVP_CIPHER_CTX, named so without OpenSSL's headers */
    struct evp_cipher_ctx_st   *aes;
    /* the two lower-case hex digits of each byte value */
    u_char                      hex[256][2];
    size_t                      used;
    u_char                      stream[NGX_HTTP_AZOAI_ID_BATCH
                                       * NGX_HTTP_AZOAI_ID_BYTES];
} ngx_http_azoai_id_state_t;


/* per worker process: set up in init_process, freed in exit_process */
extern ngx_http_azoai_id_state_t  ngx_http_azoai_ids;


ngx_int_t ngx_http_azoai_request_id_refill(ngx_http_azoai_id_state_t *s)
    __attribute__((noinline));
static ngx_inline ngx_int_t ngx_http_azoai_request_id(u_char *id);
#if (NGX_HTTP_AZOAI_ID_HEX16)
static ngx_inline void ngx_http_azoai_request_id_hex16(u_char *id,
    const u_char *p);
#endif


#if (NGX_HTTP_AZOAI_ID_HEX16)

/*
 * 16 bytes as 32 lower-case hex digits in one pass of SSE2: the table
 * loop took ~6 instructions a byte
 */

static ngx_inline void
ngx_http_azoai_request_id_hex16(u_char *id, const u_char *p)
{
    __m128i  x, nib, hi, lo, a, b, nine, gap;

    x = _mm_loadu_si128((const __m128i *) p);
    nib = _mm_set1_epi8(0x0f);

    hi = _mm_and_si128(_mm_srli_epi16(x, 4), nib);
    lo = _mm_and_si128(x, nib);

    /* high digit first */
    a = _mm_unpacklo_epi8(hi, lo);
    b = _mm_unpackhi_epi8(hi, lo);

    /* '0' + n, and 'a' - '0' - 10 more from 10 up */
    nine = _mm_set1_epi8(9);
    gap = _mm_set1_epi8('a' - '0' - 10);

    a = _mm_add_epi8(_mm_add_epi8(a, _mm_set1_epi8('0')),
                     _mm_and_si128(_mm_cmpgt_epi8(a, nine), gap));
    b = _mm_add_epi8(_mm_add_epi8(b, _mm_set1_epi8('0')),
                     _mm_and_si128(_mm_cmpgt_epi8(b, nine), gap));

    _mm_storeu_si128((__m128i *) id, a);
    _mm_storeu_si128((__m128i *) (id + 16), b);
}

#endif


/*
 * writes NGX_HTTP_AZOAI_REQUEST_ID_LEN lower-case hex digits to id:
 * inline in the context's creation, every judged request's (a call of
 * its own with its frame was ~6 instructions more)
 */

static ngx_inline ngx_int_t
ngx_http_azoai_request_id(u_char *id)
{
    u_char                     *p;
#if !(NGX_HTTP_AZOAI_ID_HEX16)
    ngx_uint_t                  i;
#endif
    ngx_http_azoai_id_state_t  *s;

    s = &ngx_http_azoai_ids;

    if (s->aes == NULL) {
        return NGX_ERROR;
    }

    if (s->used == sizeof(s->stream)
        && ngx_http_azoai_request_id_refill(s) != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = s->stream + s->used;

#if (NGX_HTTP_AZOAI_ID_HEX16)
    ngx_http_azoai_request_id_hex16(id, p);
#else
    for (i = 0; i < NGX_HTTP_AZOAI_ID_BYTES; i++) {
        ngx_memcpy(id + 2 * i, s->hex[p[i]], 2);
    }
#endif

    ngx_memzero(s->stream + s->used, NGX_HTTP_AZOAI_ID_BYTES);
    s->used += NGX_HTTP_AZOAI_ID_BYTES;

    return NGX_OK;
}


#endif /* _NGX_HTTP_AZOAI_REQUEST_ID_H_INCLUDED_ */
