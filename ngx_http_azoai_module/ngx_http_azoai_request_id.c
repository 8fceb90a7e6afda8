/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Request ids: AES-128 in counter mode under a key and counter start
 * drawn from RAND_bytes() once per worker process, in init_process, which
 * is how OpenSSL's own CTR-DRBG makes its output.  RAND_bytes() itself
 * costs thousands of instructions a call in a worker (its public DRBG is
 * looked up and checked each time); the key stream is made 64 ids at a
 * time, which spreads the cost of an EVP call (~660 instructions for 16
 * ids, ~1,700 for 64: 41 -> 27 per id).  Each key stream byte is handed
 * out once, then wiped.
 */


#include "ngx_http_azoai_module.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

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
    EVP_CIPHER_CTX             *aes;
    /* the two lower-case hex digits of each byte value */
    u_char                      hex[256][2];
    size_t                      used;
    u_char                      stream[NGX_HTTP_AZOAI_ID_BATCH
                                       * NGX_HTTP_AZOAI_ID_BYTES];
} ngx_http_azoai_id_state_t;


static void ngx_http_azoai_request_id_hex_table(
    ngx_http_azoai_id_state_t *s);
static ngx_int_t ngx_http_azoai_request_id_refill(
    ngx_http_azoai_id_state_t *s) __attribute__((noinline));
#if (NGX_HTTP_AZOAI_ID_HEX16)
static ngx_inline void ngx_http_azoai_request_id_hex16(u_char *id,
    const u_char *p);
#endif


/* per worker process: set up in init_process, freed in exit_process */
static ngx_http_azoai_id_state_t  ngx_http_azoai_ids;


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
 * A byte's two digits with one load and one copy: ngx_hex_dump() splits
 * each byte into nibbles, about 13 instructions a byte (216 an id).
 */

static void
ngx_http_azoai_request_id_hex_table(ngx_http_azoai_id_state_t *s)
{
    ngx_uint_t             i;

    static const u_char    digits[] = "0123456789abcdef";

    for (i = 0; i < 256; i++) {
        s->hex[i][0] = digits[i >> 4];
        s->hex[i][1] = digits[i & 0xf];
    }
}


ngx_int_t
ngx_http_azoai_request_id_init(ngx_cycle_t *cycle)
{
    int                         rc;
    u_char                      seed[2 * NGX_HTTP_AZOAI_AES_KEY];
    ngx_http_azoai_id_state_t  *s;

    s = &ngx_http_azoai_ids;

    ngx_http_azoai_request_id_hex_table(s);

    s->aes = EVP_CIPHER_CTX_new();
    if (s->aes == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "azoai: EVP_CIPHER_CTX_new() failed");
        return NGX_ERROR;
    }

    rc = RAND_bytes(seed, sizeof(seed)) == 1
         && EVP_EncryptInit_ex(s->aes, EVP_aes_128_ctr(), NULL, seed,
                               seed + NGX_HTTP_AZOAI_AES_KEY)
            == 1;

    ngx_explicit_memzero(seed, sizeof(seed));

    if (!rc) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "azoai: cannot key the request id generator "
                      "(OpenSSL RAND_bytes or AES failed)");
        EVP_CIPHER_CTX_free(s->aes);
        s->aes = NULL;
        return NGX_ERROR;
    }

    /* empty: the first id makes the first batch */
    s->used = sizeof(s->stream);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, cycle->log, 0,
                   "azoai: request id generator keyed");

    return NGX_OK;
}


void
ngx_http_azoai_request_id_exit(ngx_cycle_t *cycle)
{
    ngx_http_azoai_id_state_t  *s;

    s = &ngx_http_azoai_ids;

    if (s->aes) {
        EVP_CIPHER_CTX_free(s->aes);
        s->aes = NULL;
    }

    ngx_explicit_memzero(s->stream, sizeof(s->stream));
}


/* writes NGX_HTTP_AZOAI_REQUEST_ID_LEN lower-case hex digits to id */

ngx_int_t
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


/*
 * The next batch of key stream, once every NGX_HTTP_AZOAI_ID_BATCH ids:
 * out of line, so that the ids in between take no stack frame (the
 * length EVP_EncryptUpdate() writes back) and no stack guard
 */

static ngx_int_t
ngx_http_azoai_request_id_refill(ngx_http_azoai_id_state_t *s)
{
    int  n;

    static const u_char  zero[NGX_HTTP_AZOAI_ID_BATCH
                              * NGX_HTTP_AZOAI_ID_BYTES];

    if (EVP_EncryptUpdate(s->aes, s->stream, &n, zero, sizeof(zero)) != 1
        || (size_t) n != sizeof(s->stream))
    {
        return NGX_ERROR;
    }

    s->used = 0;

    return NGX_OK;
}
