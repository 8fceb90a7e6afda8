/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Credential detector ("secret").  It runs at the digits the candidate
 * search stops at: a key is examined from the first digit in it, looking
 * back for where it starts.  Formats, each with its published shape:
 *
 *   JWT (RFC 7519): three base64url segments, the first decoding to a
 *   JSON object with "alg"; PEM private keys (RFC 7468), "\n" escapes
 *   included; AWS access key ids (AKIA/ASIA + 16 base32); GitHub tokens
 *   (gh[pousr]_ + 30 base62 + the base62 CRC32 of those 30; github_pat_);
 *   OpenAI sk- / sk-proj- keys; Slack xox?- tokens; Stripe sk_live_ /
 *   rk_live_; Google AIza keys; and the value after a label: api-key,
 *   Ocp-Apim-Subscription-Key, AccountKey=, SharedAccessKey=, sig=,
 *   aws_secret_access_key.
 *
 * A key without any digit is not examined (1 random AWS id in 28, a
 * 24-character Stripe key 1 in 70, longer keys practically never).
 */

#include <string.h>

#include "azoai_ascii.h"
#include "azoai_pii_int.h"


/* how far back from a digit a key's start is looked for */
#define AZOAI_SECRET_BACK      96
#define AZOAI_SECRET_PEM_BACK  320
#define AZOAI_SECRET_PEM_MAX   16384
#define AZOAI_SECRET_PEM_LINE  40     /* a PEM body line is 64 */
#define AZOAI_SECRET_LABEL_MAX 40
#define AZOAI_SECRET_VALUE_MIN AZOAI_PII_SECRET_MIN
#define AZOAI_SECRET_KEY_MAX   512
#define AZOAI_JWT_HEADER_MAX   512
#define AZOAI_JWT_SEG_MAX      8192
#define AZOAI_GH_ENTROPY       30
#define AZOAI_GH_CRC           6


#if (AZOAI_PII_SWAR)
static int azoai_pii_secret_near(const u_char *v, size_t at);
#endif
static size_t azoai_secret_at_word(const u_char *v, size_t len, size_t p);
static size_t azoai_secret_jwt(const u_char *v, size_t len, size_t p);
static int azoai_secret_jwt_header(const u_char *h, size_t n);
static size_t azoai_secret_github(const u_char *v, size_t len, size_t p);
static int azoai_secret_gh_crc_ok(const u_char *entropy, const u_char *crc);
static uint32_t azoai_secret_crc32(const u_char *p, size_t n);
static size_t azoai_secret_openai(const u_char *v, size_t len, size_t p);
static size_t azoai_secret_labelled(const u_char *v, size_t len, size_t ts);
static int azoai_secret_label_ok(const u_char *v, size_t from, size_t to);
static int azoai_secret_pem(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);
static size_t azoai_secret_pem_end(const u_char *v, size_t len, size_t i);


/* a byte of a token: what the search for its start walks back over */
#define azoai_secret_tok(c)                                                  \
    (azoai_pii_alnum(c) || (c) == '-' || (c) == '_' || (c) == '.'            \
     || (c) == '+' || (c) == '/' || (c) == '%')

/* base64url, and what a key's word may not follow */
#define azoai_secret_b64u(c)  (azoai_pii_alnum(c) || (c) == '-' || (c) == '_')

/* the bytes of a PEM block between its BEGIN and END lines */
#define azoai_secret_pem_byte(c)                                             \
    (azoai_pii_alnum(c) || (c) == '+' || (c) == '/' || (c) == '='            \
     || (c) == ' ' || (c) == '\n' || (c) == '\r' || (c) == '\t'              \
     || (c) == ':' || (c) == ',' || (c) == '-')

#define azoai_secret_prefix(v, len, p, s)                                    \
    ((p) + sizeof(s) - 1 <= (len)                                            \
     && memcmp((v) + (p), s, sizeof(s) - 1) == 0)


/* the value of a base64url character, -1 for others */

static inline int
azoai_secret_b64u_value(u_char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (azoai_pii_digit(c)) {
        return c - '0' + 52;
    }

    return (c == '-') ? 62 : (c == '_') ? 63 : -1;
}


/* a run of bytes of class "ok" from i, at most max; its end */

static inline size_t
azoai_secret_run(const u_char *v, size_t len, size_t i, size_t max,
    int b64u_only)
{
    size_t  lim;

    lim = (len - i > max) ? i + max + 1 : len;

    while (i < lim && (b64u_only ? azoai_secret_b64u(v[i])
                                 : azoai_pii_alnum(v[i])))
    {
        i++;
    }

    return i;
}


/* whether no key byte follows the end */

static inline int
azoai_secret_right_ok(const u_char *v, size_t len, size_t end)
{
    return end >= len || !azoai_secret_b64u(v[end]);
}


/*
 * azoai_pii_secret_may_span() past its 8-byte test: the 16 bytes either
 * side (azoai_pii_secret_near()), then the byte loops, which decide
 */

int
azoai_pii_secret_run(const u_char *v, size_t len, size_t at)
{
    size_t  b, f, last, first;

#if (AZOAI_PII_SWAR)
    if (at >= AZOAI_PII_SECRET_MIN && len - at > AZOAI_PII_SECRET_MIN
        && !azoai_pii_secret_near(v, at))
    {
        return 0;
    }
#endif

    last = (len - at > AZOAI_PII_SECRET_MIN) ? at + AZOAI_PII_SECRET_MIN
                                             : len;

    for (f = at + 1; f < last && azoai_pii_secret_byte(v[f]); f++) {
        /* void */
    }

    first = (f > AZOAI_PII_SECRET_MIN) ? f - AZOAI_PII_SECRET_MIN : 0;

    for (b = at; b > first && azoai_pii_secret_byte(v[b - 1]); b--) {
        /* void */
    }

    return f - b >= AZOAI_PII_SECRET_MIN;
}


/*
 * Whether a run of AZOAI_PII_SECRET_MIN credential bytes may hold the
 * digit at at, from the 16 bytes on each side (at >= 16, len - at > 16):
 * the credential bytes next to at reach at most to the nearest space,
 * '@' or control byte on either side (azoai_pii_breaks_at8(), none of
 * them a credential byte), so fewer than 16 bytes between those two
 * refuse it ("SSN 536-22-1004.", whose '-' and '.' pass the 8-byte
 * test).  0 only where the byte loops would say 0.
 */

#if (AZOAI_PII_SWAR)

static int
azoai_pii_secret_near(const u_char *v, size_t at)
{
    size_t    fwd, back;
    uint64_t  w, m;

    memcpy(&w, v + at + 1, sizeof(uint64_t));
    m = azoai_pii_breaks_at8(w);

    if (m) {
        fwd = (size_t) __builtin_ctzll(m) >> 3;

    } else {
        memcpy(&w, v + at + 9, sizeof(uint64_t));
        m = azoai_pii_breaks_at8(w);
        fwd = m ? 8 + ((size_t) __builtin_ctzll(m) >> 3) : 16;
    }

    memcpy(&w, v + at - 8, sizeof(uint64_t));
    m = azoai_pii_breaks_at8(w);

    if (m) {
        back = (size_t) __builtin_clzll(m) >> 3;

    } else {
        memcpy(&w, v + at - 16, sizeof(uint64_t));
        m = azoai_pii_breaks_at8(w);
        back = m ? 8 + ((size_t) __builtin_clzll(m) >> 3) : 16;
    }

    /* the run is at most back + 1 + fwd bytes long */

    return back + 1 + fwd >= AZOAI_PII_SECRET_MIN;
}

#endif


/*
 * The secret around the digit at at.  *from: the lowest offset this call
 * may walk back to (what earlier calls walked over is not walked again,
 * so the detector stays linear); it is advanced past at.
 */

int
azoai_pii_detect_secret(const u_char *v, size_t len, size_t at,
    size_t *from, size_t *start, size_t *end)
{
    size_t  lo, ts, p, e;

    lo = *from;
    *from = at + 1;

    if (at >= lo + AZOAI_SECRET_BACK) {
        lo = at - AZOAI_SECRET_BACK;
    }

    for (ts = at; ts > lo && azoai_secret_tok(v[ts - 1]); ts--) {
        /* void */
    }

    /* a key starts a word: not after a letter, digit, "-" or "_" */

    for (p = ts; p <= at; p++) {
        if ((p == 0 || !azoai_secret_b64u(v[p - 1]))
            && azoai_pii_is(v[p], AZOAI_PC_ALPHA))
        {
            e = azoai_secret_at_word(v, len, p);

            if (e > at) {
                *start = p;
                *end = e;
                return 1;
            }
        }
    }

    /* the token's start was reached: a label may stand before it */

    if (ts > lo || ts == 0 || !azoai_secret_tok(v[ts - 1])) {
        e = azoai_secret_labelled(v, len, ts);

        if (e > at) {
            *start = ts;
            *end = e;
            return 1;
        }
    }

    return azoai_secret_pem(v, len, at, start, end);
}


/* the keys known by their first bytes, from the word at p; the end or 0 */

static size_t
azoai_secret_at_word(const u_char *v, size_t len, size_t p)
{
    size_t  e;

    switch (v[p]) {

    case 'e':
        return azoai_secret_jwt(v, len, p);

    case 'A':
        /* AWS access key id: AKIA or ASIA and 16 base32 characters */
        if (azoai_secret_prefix(v, len, p, "AKIA")
            || azoai_secret_prefix(v, len, p, "ASIA"))
        {
            for (e = p + 4; e < len && e < p + 20; e++) {
                if (!((v[e] >= 'A' && v[e] <= 'Z')
                      || (v[e] >= '2' && v[e] <= '7')))
                {
                    return 0;
                }
            }

            return (e == p + 20 && azoai_secret_right_ok(v, len, e)) ? e : 0;
        }

        /* Google API key: AIza and 35 base64url characters */
        if (azoai_secret_prefix(v, len, p, "AIza")) {
            e = azoai_secret_run(v, len, p + 4, 35, 1);
            return (e == p + 39) ? e : 0;
        }

        return 0;

    case 'g':
        return azoai_secret_github(v, len, p);

    case 's':
    case 'r':
        /* Stripe live secret and restricted keys */
        if (azoai_secret_prefix(v, len, p + 1, "k_live_")) {
            e = azoai_secret_run(v, len, p + 8, AZOAI_SECRET_KEY_MAX, 0);
            return (e >= p + 8 + 24 && azoai_secret_right_ok(v, len, e))
                   ? e : 0;
        }

        return (v[p] == 's') ? azoai_secret_openai(v, len, p) : 0;

    case 'x':
        /* Slack: xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-, xoxe- */
        if (azoai_secret_prefix(v, len, p, "xox") && p + 4 < len
            && v[p + 3] != '\0' && strchr("bpaosre", v[p + 3]) != NULL
            && v[p + 4] == '-')
        {
            e = azoai_secret_run(v, len, p + 5, AZOAI_SECRET_KEY_MAX, 1);
            return (e >= p + 24 && e <= p + 5 + AZOAI_SECRET_KEY_MAX) ? e : 0;
        }

        return 0;
    }

    return 0;
}


/*
 * JWT (RFC 7519, JWS compact form): header.payload.signature in
 * base64url, the header a JSON object ("{", so "eyJ") naming its "alg"
 */

static size_t
azoai_secret_jwt(const u_char *v, size_t len, size_t p)
{
    size_t  h, s2, s3;

    if (!azoai_secret_prefix(v, len, p, "eyJ")
        || (p > 0 && v[p - 1] == '.'))
    {
        return 0;
    }

    h = azoai_secret_run(v, len, p, AZOAI_JWT_HEADER_MAX, 1);

    if (h >= len || v[h] != '.' || h - p < 16
        || !azoai_secret_jwt_header(v + p, h - p))
    {
        return 0;
    }

    s2 = azoai_secret_run(v, len, h + 1, AZOAI_JWT_SEG_MAX, 1);

    if (s2 >= len || v[s2] != '.' || s2 - h - 1 < 4) {
        return 0;
    }

    s3 = azoai_secret_run(v, len, s2 + 1, AZOAI_JWT_SEG_MAX, 1);

    if (s3 < len && v[s3] == '.') {
        return 0;
    }

    return s3;
}


/* the decoded header starts with "{" and holds "alg" as a key */

static int
azoai_secret_jwt_header(const u_char *h, size_t n)
{
    int       d;
    size_t    i, o;
    uint32_t  acc;
    u_char    out[AZOAI_JWT_HEADER_MAX];

    acc = 0;
    o = 0;

    for (i = 0; i < n; i++) {
        d = azoai_secret_b64u_value(h[i]);

        if (d < 0) {
            return 0;
        }

        acc = (acc << 6) | (uint32_t) d;

        if ((i & 3) == 3) {
            out[o++] = (u_char) (acc >> 16);
            out[o++] = (u_char) (acc >> 8);
            out[o++] = (u_char) acc;
            acc = 0;
        }
    }

    if ((n & 3) == 2) {
        out[o++] = (u_char) (acc >> 4);

    } else if ((n & 3) == 3) {
        out[o++] = (u_char) (acc >> 10);
        out[o++] = (u_char) (acc >> 2);
    }

    if (o < 8 || out[0] != '{') {
        return 0;
    }

    for (i = 1; i + 5 <= o; i++) {
        if (memcmp(out + i, "\"alg\"", 5) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * GitHub tokens: gh[pousr]_ + 30 base62 + 6 base62 of the CRC32 of those
 * 30 (github.blog, "Behind GitHub's new authentication token formats");
 * fine-grained github_pat_ + 22 + "_" + 59, which has no public check
 */

static size_t
azoai_secret_github(const u_char *v, size_t len, size_t p)
{
    size_t  e;

    if (azoai_secret_prefix(v, len, p, "github_pat_")) {
        e = azoai_secret_run(v, len, p + 11, 22, 0);

        if (e != p + 33 || e >= len || v[e] != '_') {
            return 0;
        }

        e = azoai_secret_run(v, len, e + 1, 59, 0);

        return (e == p + 93 && azoai_secret_right_ok(v, len, e)) ? e : 0;
    }

    if (p + 4 > len || v[p + 1] != 'h' || v[p + 2] == '\0'
        || strchr("pousr", v[p + 2]) == NULL || v[p + 3] != '_')
    {
        return 0;
    }

    e = azoai_secret_run(v, len, p + 4, AZOAI_GH_ENTROPY + AZOAI_GH_CRC, 0);

    if (e != p + 4 + AZOAI_GH_ENTROPY + AZOAI_GH_CRC
        || !azoai_secret_right_ok(v, len, e)
        || !azoai_secret_gh_crc_ok(v + p + 4, v + p + 4 + AZOAI_GH_ENTROPY))
    {
        return 0;
    }

    return e;
}


/*
 * The checksum in base62, zero-padded: digits, then upper, then lower
 * case, as GitHub writes it; the other letter order too, as some
 * generators write it
 */

static int
azoai_secret_gh_crc_ok(const u_char *entropy, const u_char *crc)
{
    int       k, ok_upper, ok_lower;
    uint32_t  sum, a, b;
    u_char    c;

    sum = azoai_secret_crc32(entropy, AZOAI_GH_ENTROPY);
    a = sum;
    b = sum;
    ok_upper = 1;
    ok_lower = 1;

    for (k = AZOAI_GH_CRC - 1; k >= 0; k--) {
        c = crc[k];

        ok_upper &= c == (u_char) "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "abcdefghijklmnopqrstuvwxyz"[a % 62];
        ok_lower &= c == (u_char) "0123456789abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[b % 62];
        a /= 62;
        b /= 62;
    }

    return ok_upper || ok_lower;
}


/* CRC-32 (ISO-HDLC, as zlib's crc32()), bitwise: 30 bytes a token */

static uint32_t
azoai_secret_crc32(const u_char *p, size_t n)
{
    size_t    i;
    unsigned  k;
    uint32_t  crc;

    crc = 0xffffffff;

    for (i = 0; i < n; i++) {
        crc ^= p[i];

        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
        }
    }

    return ~crc;
}


/*
 * OpenAI keys: "sk-", an optional project, service account or admin
 * word, then at least 32 base64url characters with a digit, an upper
 * and a lower case letter ("sk-learn" and the like are words)
 */

static size_t
azoai_secret_openai(const u_char *v, size_t len, size_t p)
{
    size_t    i, e;
    unsigned  seen;

    if (!azoai_secret_prefix(v, len, p, "sk-")) {
        return 0;
    }

    i = p + 3;

    if (azoai_secret_prefix(v, len, i, "proj-")) {
        i += 5;

    } else if (azoai_secret_prefix(v, len, i, "svcacct-")) {
        i += 8;

    } else if (azoai_secret_prefix(v, len, i, "admin-")) {
        i += 6;
    }

    e = azoai_secret_run(v, len, i, AZOAI_SECRET_KEY_MAX, 1);

    if (e < i + 32 || e > i + AZOAI_SECRET_KEY_MAX) {
        return 0;
    }

    seen = 0;

    for ( /* void */ ; i < e; i++) {
        seen |= azoai_pii_digit(v[i]) ? 1
                : (v[i] >= 'A' && v[i] <= 'Z') ? 2
                : (v[i] >= 'a' && v[i] <= 'z') ? 4 : 0;
    }

    return (seen == 7) ? e : 0;
}


/*
 * A value after a label and "=" or ":" (quotes and spaces around them):
 * AccountKey=, SharedAccessKey=, sig= of Azure storage connection
 * strings and SAS URLs, api-key and Ocp-Apim-Subscription-Key of Azure
 * OpenAI, aws_secret_access_key.  The value: base64 or URL-encoded,
 * AZOAI_SECRET_VALUE_MIN bytes at least.
 */

static size_t
azoai_secret_labelled(const u_char *v, size_t len, size_t ts)
{
    size_t  q, l, e;

    q = ts;

    while (q > 0 && ts - q < 3 && (v[q - 1] == '"' || v[q - 1] == ' '
                                   || v[q - 1] == '\''))
    {
        q--;
    }

    if (q == 0 || (v[q - 1] != '=' && v[q - 1] != ':')) {
        return 0;
    }

    q--;

    while (q > 0 && ts - q < 6 && (v[q - 1] == '"' || v[q - 1] == ' '
                                   || v[q - 1] == '\''))
    {
        q--;
    }

    for (l = q; l > 0 && q - l < AZOAI_SECRET_LABEL_MAX
                && (azoai_secret_b64u(v[l - 1])); l--)
    {
        /* void */
    }

    if (l == q || !azoai_secret_label_ok(v, l, q)) {
        return 0;
    }

    for (e = ts; e < len && azoai_secret_tok(v[e]) && v[e] != '.'; e++) {
        /* void */
    }

    while (e < len && v[e] == '=' && e - ts < AZOAI_SECRET_KEY_MAX) {
        e++;
    }

    return (e - ts >= AZOAI_SECRET_VALUE_MIN) ? e : 0;
}


/* the label [from, to) ends with a known word, on a word boundary */

static int
azoai_secret_label_ok(const u_char *v, size_t from, size_t to)
{
    size_t        n, k, w;
    const char   *word;

    static const char  *words[] = {
        "api-key", "api_key", "apikey", "subscription-key", "accountkey",
        "sharedaccesskey", "secret_access_key", "sig", "client_secret"
    };

    n = to - from;

    for (k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
        word = words[k];
        w = strlen(word);

        if (w > n
            || !azoai_ascii_eq_lower(v + to - w, (const u_char *) word, w))
        {
            continue;
        }

        if (w == n || !azoai_pii_alnum(v[to - w - 1])) {
            return 1;
        }
    }

    return 0;
}


/*
 * PEM private key (RFC 7468): from a digit in a base64 line of at least
 * AZOAI_SECRET_PEM_LINE bytes, back over the block's bytes to
 * "-----BEGIN ...PRIVATE KEY-----", then on to the END line's "-----".
 * Lines may be broken by newlines ("\n" escapes in the view) or spaces.
 */

static int
azoai_secret_pem(const u_char *v, size_t len, size_t at, size_t *start,
    size_t *end)
{
    size_t  b, f, h, lo;

    lo = (at > AZOAI_SECRET_PEM_BACK) ? at - AZOAI_SECRET_PEM_BACK : 0;

    for (b = at; b > lo && azoai_pii_alnum(v[b - 1]); b--) {
        /* void */
    }

    for (f = at; f < len && azoai_pii_alnum(v[f]); f++) {
        /* void */
    }

    if (f - b < AZOAI_SECRET_PEM_LINE) {
        return 0;
    }

    for ( /* void */ ; b > lo && azoai_secret_pem_byte(v[b - 1]); b--) {
        if (b >= 5 && memcmp(v + b - 5, "-----", 5) == 0) {
            break;
        }
    }

    if (b < 5 + 11 || memcmp(v + b - 5, "-----", 5) != 0
        || memcmp(v + b - 16, "PRIVATE KEY", 11) != 0)
    {
        return 0;
    }

    for (h = b - 16; h > lo && h + 64 > b; h--) {
        if (h >= 11 && memcmp(v + h - 11, "-----BEGIN ", 11) == 0) {
            *start = h - 11;
            *end = azoai_secret_pem_end(v, len, b);
            return 1;
        }

        if (!((v[h - 1] >= 'A' && v[h - 1] <= 'Z') || v[h - 1] == ' ')) {
            return 0;
        }
    }

    return 0;
}


/* past the "-----END ...-----" line, or the last byte of the block */

static size_t
azoai_secret_pem_end(const u_char *v, size_t len, size_t i)
{
    size_t  e, last;

    last = i;

    for (e = i; e < len && e - i < AZOAI_SECRET_PEM_MAX
                && azoai_secret_pem_byte(v[e]); e++)
    {
        if (azoai_pii_alnum(v[e])) {
            last = e + 1;
        }

        if (e + 9 <= len && memcmp(v + e, "-----END ", 9) == 0) {
            for (e += 9; e < len && e - i < AZOAI_SECRET_PEM_MAX; e++) {
                if (e + 5 <= len && memcmp(v + e, "-----", 5) == 0) {
                    return e + 5;
                }
            }

            return e;
        }
    }

    return last;
}
