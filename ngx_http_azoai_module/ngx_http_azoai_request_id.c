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


#include "ngx_http_azoai_request_id.h"

#include <openssl/evp.h>
#include <openssl/rand.h>


static void ngx_http_azoai_request_id_hex_table(
    ngx_http_azoai_id_state_t *s);


/* per worker process: set up in init_process, freed in exit_process */
ngx_http_azoai_id_state_t  ngx_http_azoai_ids;


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


/*
 * The next batch of key stream, once every NGX_HTTP_AZOAI_ID_BATCH ids:
 * out of line, so that the ids in between take no stack frame (the
 * length EVP_EncryptUpdate() writes back) and no stack guard
 */

ngx_int_t
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
