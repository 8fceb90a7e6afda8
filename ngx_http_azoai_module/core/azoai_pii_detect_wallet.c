/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Cryptocurrency wallet addresses, found from the first digit of a word
 * where a credential-sized run surrounds it (azoai_pii_secret_may_span):
 * Bitcoin base58check (BIP 13: "1"/"3", version 0x00/0x05, double
 * SHA-256 checksum), Bitcoin bech32/bech32m (BIP 173, BIP 350: "bc1",
 * polymod checksum) and Ethereum ("0x" and 40 hex digits; EIP-55
 * Keccak-256 case checksum when the case is mixed).
 */

#include <string.h>

#include "azoai_pii_int.h"


#define AZOAI_B58_MIN          26
#define AZOAI_B58_MAX          35
#define AZOAI_B58_BYTES        25     /* version, 20-byte hash, checksum */
#define AZOAI_BECH32_MIN       14
#define AZOAI_BECH32_MAX       74
#define AZOAI_BECH32_CONST     1u
#define AZOAI_BECH32M_CONST    0x2bc830a3u
#define AZOAI_ETH_HEX          40
#define AZOAI_KECCAK_RATE      136    /* Keccak-256: 1088-bit rate */


static int azoai_pii_wallet_b58(const u_char *v, size_t len, size_t at,
    size_t *end);
static int azoai_pii_wallet_b58_decode(const u_char *v, size_t n,
    u_char *out);
static int azoai_pii_wallet_bech32(const u_char *v, size_t len, size_t at,
    size_t *end);
static uint32_t azoai_pii_bech32_polymod(uint32_t chk, unsigned value);
static int azoai_pii_wallet_eth(const u_char *v, size_t len, size_t at,
    size_t *end);
static int azoai_pii_eip55_ok(const u_char *hex);
static void azoai_pii_keccak256(const u_char *in, size_t len, u_char *out);
static void azoai_pii_keccak_f(uint64_t *s);


static const char  azoai_pii_b58[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char  azoai_pii_bech32_chars[] =
    "qpzry9x8gf2tvdw0s3jn54khce6mua7l";


int
azoai_pii_detect_wallet(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    if (at >= 2 && (v[at - 2] == 'b' || v[at - 2] == 'B')
        && (v[at - 1] == 'c' || v[at - 1] == 'C') && v[at] == '1')
    {
        *start = at - 2;
        return azoai_pii_wallet_bech32(v, len, at - 2, end);
    }

    if (at > 0 && azoai_pii_alnum(v[at - 1])) {
        return 0;
    }

    *start = at;

    if (v[at] == '0') {
        return azoai_pii_wallet_eth(v, len, at, end);
    }

    return (v[at] == '1' || v[at] == '3')
           && azoai_pii_wallet_b58(v, len, at, end);
}


/* the word from at: 26-35 base58 characters, a valid base58check */

static int
azoai_pii_wallet_b58(const u_char *v, size_t len, size_t at, size_t *end)
{
    size_t    i;
    u_char    bytes[AZOAI_B58_BYTES], hash[32], hash2[32];
    unsigned  n;

    for (i = at; i < len && azoai_pii_alnum(v[i]); i++) {
        if (i - at == AZOAI_B58_MAX) {
            return 0;
        }
    }

    if (i - at < AZOAI_B58_MIN || !azoai_pii_num_right_ok(v, len, i)
        || !azoai_pii_wallet_b58_decode(v + at, i - at, bytes)
        || (bytes[0] != 0x00 && bytes[0] != 0x05))
    {
        return 0;
    }

    if (!EVP_Digest(bytes, 21, hash, &n, EVP_sha256(), NULL)
        || !EVP_Digest(hash, 32, hash2, &n, EVP_sha256(), NULL))
    {
        return 0;
    }

    *end = i;

    return memcmp(hash2, bytes + 21, 4) == 0;
}


/* base58 to exactly AZOAI_B58_BYTES bytes, big-endian; 0 if it does not */

static int
azoai_pii_wallet_b58_decode(const u_char *v, size_t n, u_char *out)
{
    size_t        i, k;
    unsigned      carry;
    const char   *p;

    memset(out, 0, AZOAI_B58_BYTES);

    for (i = 0; i < n; i++) {
        p = memchr(azoai_pii_b58, v[i], sizeof(azoai_pii_b58) - 1);

        if (p == NULL) {
            return 0;
        }

        carry = (unsigned) (p - azoai_pii_b58);

        for (k = AZOAI_B58_BYTES; k-- > 0; /* void */) {
            carry += 58 * (unsigned) out[k];
            out[k] = (u_char) carry;
            carry >>= 8;
        }

        if (carry) {
            return 0;               /* more than 25 bytes */
        }
    }

    /* each leading '1' is a leading zero byte, no more, no less */

    for (i = 0; i < n && v[i] == '1'; i++) {
        if (i == AZOAI_B58_BYTES || out[i] != 0) {
            return 0;
        }
    }

    return i == AZOAI_B58_BYTES || out[i] != 0;
}


/*
 * "bc1" and the data part, one case throughout; the checksum constant
 * is bech32's for witness version 0, bech32m's for the others.
 */

static int
azoai_pii_wallet_bech32(const u_char *v, size_t len, size_t at,
    size_t *end)
{
    size_t        i, n;
    u_char        c, lower, upper;
    uint32_t      chk;
    unsigned      version;
    const char   *p;

    /* the human-readable part "bc" expanded: 3, 3, 0, 2, 3 */
    chk = 1;
    chk = azoai_pii_bech32_polymod(chk, 3);
    chk = azoai_pii_bech32_polymod(chk, 3);
    chk = azoai_pii_bech32_polymod(chk, 0);
    chk = azoai_pii_bech32_polymod(chk, 2);
    chk = azoai_pii_bech32_polymod(chk, 3);

    lower = 0;
    upper = (v[at] == 'B');
    version = 0;

    for (i = at + 3; i < len && azoai_pii_alnum(v[i]); i++) {
        c = v[i];

        if (c >= 'A' && c <= 'Z') {
            upper = 1;
            c |= 0x20;

        } else if (c >= 'a' && c <= 'z') {
            lower = 1;
        }

        p = memchr(azoai_pii_bech32_chars, c, 32);

        if (p == NULL || i - at > AZOAI_BECH32_MAX) {
            return 0;
        }

        if (i == at + 3) {
            version = (unsigned) (p - azoai_pii_bech32_chars);
        }

        chk = azoai_pii_bech32_polymod(chk, p - azoai_pii_bech32_chars);
    }

    n = i - at;

    if (n < AZOAI_BECH32_MIN || (lower && upper) || version > 16
        || !azoai_pii_num_right_ok(v, len, i))
    {
        return 0;
    }

    *end = i;

    return chk == (version ? AZOAI_BECH32M_CONST : AZOAI_BECH32_CONST);
}


static uint32_t
azoai_pii_bech32_polymod(uint32_t chk, unsigned value)
{
    uint32_t  top;

    static const uint32_t  gen[5] = {
        0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3
    };

    top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ value;

    for (value = 0; value < 5; value++) {
        if ((top >> value) & 1) {
            chk ^= gen[value];
        }
    }

    return chk;
}


/* "0x" and 40 hex digits; mixed case must carry the EIP-55 checksum */

static int
azoai_pii_wallet_eth(const u_char *v, size_t len, size_t at, size_t *end)
{
    size_t    i;
    u_char    c;
    unsigned  lower, upper;

    if (at + 2 + AZOAI_ETH_HEX > len || v[at + 1] != 'x') {
        return 0;
    }

    lower = 0;
    upper = 0;

    for (i = at + 2; i < at + 2 + AZOAI_ETH_HEX; i++) {
        c = v[i];

        if (!azoai_pii_is(c, AZOAI_PC_HEX)) {
            return 0;
        }

        lower |= (c >= 'a' && c <= 'f');
        upper |= (c >= 'A' && c <= 'F');
    }

    if (!azoai_pii_num_right_ok(v, len, i)) {
        return 0;
    }

    *end = i;

    return !(lower && upper) || azoai_pii_eip55_ok(v + at + 2);
}


/*
 * EIP-55: the i-th letter is upper-case exactly when the i-th nibble of
 * Keccak-256(the address in lower-case ASCII) is 8 or more
 */

static int
azoai_pii_eip55_ok(const u_char *hex)
{
    size_t  i;
    u_char  c, nibble, lower[AZOAI_ETH_HEX], hash[32];

    for (i = 0; i < AZOAI_ETH_HEX; i++) {
        lower[i] = (hex[i] >= 'A' && hex[i] <= 'F') ? hex[i] | 0x20 : hex[i];
    }

    azoai_pii_keccak256(lower, AZOAI_ETH_HEX, hash);

    for (i = 0; i < AZOAI_ETH_HEX; i++) {
        c = hex[i];
        nibble = (i & 1) ? (hash[i / 2] & 0x0f) : (hash[i / 2] >> 4);

        if ((c >= 'a' && c <= 'f' && nibble >= 8)
            || (c >= 'A' && c <= 'F' && nibble < 8))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * Keccak-256 (the original padding 0x01, as Ethereum uses) of an input
 * shorter than one block
 */

static void
azoai_pii_keccak256(const u_char *in, size_t len, u_char *out)
{
    size_t    i, k;
    uint64_t  s[25], lane;
    u_char    block[AZOAI_KECCAK_RATE];

    memset(s, 0, sizeof(s));
    memset(block, 0, sizeof(block));
    memcpy(block, in, len);         /* len < AZOAI_KECCAK_RATE here */
    block[len] ^= 0x01;
    block[AZOAI_KECCAK_RATE - 1] ^= 0x80;

    /* one block; lanes are little-endian */

    for (i = 0; i < AZOAI_KECCAK_RATE / 8; i++) {
        for (lane = 0, k = 8; k-- > 0; /* void */) {
            lane = (lane << 8) | block[8 * i + k];
        }

        s[i] ^= lane;
    }

    azoai_pii_keccak_f(s);

    for (i = 0; i < 32; i++) {
        out[i] = (u_char) (s[i / 8] >> (8 * (i % 8)));
    }
}


/* Keccak-f[1600], 24 rounds (FIPS 202, section 3) */

static void
azoai_pii_keccak_f(uint64_t *s)
{
    size_t    round, x, y;
    uint64_t  c[5], d, t, b[25];

    static const uint64_t  rc[24] = {
        0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
        0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
        0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
        0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
        0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
        0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
        0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
        0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL
    };
    static const u_char  rot[25] = {
        0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15,
        21, 8, 18, 2, 61, 56, 14
    };

    for (round = 0; round < 24; round++) {
        for (x = 0; x < 5; x++) {
            c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
        }

        for (x = 0; x < 5; x++) {
            d = c[(x + 4) % 5] ^ ((c[(x + 1) % 5] << 1)
                                  | (c[(x + 1) % 5] >> 63));

            for (y = 0; y < 25; y += 5) {
                s[y + x] ^= d;
            }
        }

        /* rho and pi: lane (x, y) goes to (y, 2x + 3y) */
        for (x = 0; x < 5; x++) {
            for (y = 0; y < 5; y++) {
                t = s[x + 5 * y];
                t = rot[x + 5 * y] ? (t << rot[x + 5 * y])
                                     | (t >> (64 - rot[x + 5 * y]))
                                   : t;
                b[y + 5 * ((2 * x + 3 * y) % 5)] = t;
            }
        }

        for (y = 0; y < 25; y += 5) {
            for (x = 0; x < 5; x++) {
                s[y + x] = b[y + x]
                           ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
            }
        }

        s[0] ^= rc[round];
    }
}
