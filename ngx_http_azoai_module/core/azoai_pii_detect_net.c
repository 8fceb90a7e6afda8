/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Built-in detectors for addresses: e-mail (local part, dotted domain with
 * an alphabetic top-level label), IPv4 (four octets 0-255, not part of a
 * longer dotted number) and IPv6 (all compressed forms, embedded IPv4).
 */

#include <string.h>

#include "azoai_pii_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


#define AZOAI_EMAIL_LOCAL_MAX   64
#define AZOAI_EMAIL_LABEL_MAX   63
#define AZOAI_EMAIL_DOMAIN_MAX  253
#define AZOAI_IPV6_TEXT_MAX     45
#define AZOAI_IPV6_NONE         ((size_t) -1)
#define AZOAI_EMAIL_NONE        ((size_t) -1)
/* the vector tests cannot tell: the byte loops decide */
#define AZOAI_EMAIL_SLOW        ((size_t) -2)

/* the bytes before an '@' that one vector test looks at */
#define AZOAI_EMAIL_WINDOW      16


static inline size_t azoai_pii_email_local_start(const u_char *v,
    size_t at) __attribute__((always_inline));
static inline size_t azoai_pii_email_domain_end(const u_char *v,
    size_t len, size_t at) __attribute__((always_inline));
static int azoai_pii_email_slow(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end) __attribute__((noinline));
static size_t azoai_pii_email_local_loop(const u_char *v, size_t at);
static size_t azoai_pii_email_domain_loop(const u_char *v, size_t len,
    size_t at);
static inline size_t azoai_pii_email_trim(const u_char *v, size_t at,
    size_t s, size_t dots);
#if defined(__SSE2__)
static inline size_t azoai_pii_email_labels16(size_t from, size_t t,
    unsigned alpha, unsigned alnum, unsigned dot);
static inline void azoai_pii_email_class16(const u_char *p,
    unsigned *alpha, unsigned *alnum, unsigned *dot, unsigned *punct);
#endif
static size_t azoai_pii_ipv4_end(const u_char *v, size_t len, size_t at);
static int azoai_pii_tld_ok(const u_char *label, size_t n);
static int azoai_pii_addr_right_ok(const u_char *v, size_t len, size_t end);
static inline size_t azoai_pii_ipv6_start(const u_char *v, size_t at);
static inline int azoai_pii_ipv6_ok(const u_char *v, size_t len,
    size_t groups, int compressed, int digit, size_t last);


/*
 * at is the '@'.  The local part's start (azoai_pii_email_local()), then
 * the domain's labels (azoai_pii_email_domain()), from the bits of the
 * 16 bytes on each side; where those cannot tell, the byte loops decide
 * in azoai_pii_email_slow(), a tail call, so that this path needs no
 * registers saved.
 */

int
azoai_pii_detect_email(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
#if defined(__SSE2__)
    size_t    s, i, t, e;
    unsigned  alpha, alnum, dot, punct, other, rest;

    /*
     * azoai_pii_email_local_start() and azoai_pii_email_domain_end() in
     * one flow: every case they cannot tell (a window cut short, a local
     * part of 16 bytes or more, a ".." in the 16 bytes before the '@', a
     * domain they leave to the byte loop) goes to azoai_pii_email_slow(),
     * which decides alike; the common path tests no sentinel results
     */

    i = at + 1;

    if (at < AZOAI_EMAIL_WINDOW || len - i < AZOAI_EMAIL_WINDOW) {
        return azoai_pii_email_slow(v, len, at, start, end);
    }

    azoai_pii_email_class16(v + at - AZOAI_EMAIL_WINDOW, &alpha, &alnum,
                            &dot, &punct);
    other = ~(alnum | dot | punct) & 0xffff;

    if (other == 0 || (dot & (dot >> 1)) != 0) {
        return azoai_pii_email_slow(v, len, at, start, end);
    }

    /* after the last byte that is no local-part byte; punctuation trimmed */

    s = at - AZOAI_EMAIL_WINDOW + 32 - __builtin_clz(other);

    while (s < at && !azoai_pii_alnum(v[s]) && v[s] != '_') {
        s++;
    }

    if (s == at || v[at - 1] == '.') {
        return 0;
    }

    azoai_pii_email_class16(v + i, &alpha, &alnum, &dot, &punct);

    rest = ~(alnum | dot) & 0xffff;

    if (rest == 0 || v[i + (t = __builtin_ctz(rest))] == '-') {
        return azoai_pii_email_slow(v, len, at, start, end);
    }

    e = azoai_pii_email_labels16(i, t, alpha, alnum, dot);

    if (e == AZOAI_EMAIL_SLOW) {
        return azoai_pii_email_slow(v, len, at, start, end);
    }

    /* e < len: the window held it */

    if (e == 0 || v[e] == '_' || v[e] == '@') {
        return 0;
    }

    *start = s;
    *end = e;
    return 1;
#else
    return azoai_pii_email_slow(v, len, at, start, end);
#endif
}


/* azoai_pii_detect_email() by the byte loops */

static int
azoai_pii_email_slow(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t  s, best;

    s = azoai_pii_email_local_loop(v, at);

    if (s == AZOAI_EMAIL_NONE) {
        return 0;
    }

    best = azoai_pii_email_domain_loop(v, len, at);

    if (best == 0 || (best < len && (v[best] == '_' || v[best] == '@'))) {
        return 0;
    }

    *start = s;
    *end = best;
    return 1;
}


/*
 * The start of the local part before the '@' at at, or AZOAI_EMAIL_NONE:
 * up to 64 local-part bytes, leading punctuation trimmed, no ".." and no
 * '.' last.  The 16 bytes before the '@' in one SSE2 test where the part
 * is shorter (azoai_pii_email_class16()); else read once, backwards,
 * remembering the rightmost ".." on the way, which rejects the address
 * unless the leading punctuation trimmed afterwards holds it.
 */

size_t
azoai_pii_email_local(const u_char *v, size_t at)
{
    size_t  s;

    s = azoai_pii_email_local_start(v, at);

    return (s == AZOAI_EMAIL_SLOW) ? azoai_pii_email_local_loop(v, at) : s;
}


/* inline in azoai_pii_detect_email(): one call a match, not three */

static inline size_t
azoai_pii_email_local_start(const u_char *v, size_t at)
{
#if defined(__SSE2__)
    size_t    s, dots, base;
    unsigned  other, alpha, alnum, dot, punct;

    if (at >= AZOAI_EMAIL_WINDOW) {
        base = at - AZOAI_EMAIL_WINDOW;
        azoai_pii_email_class16(v + base, &alpha, &alnum, &dot, &punct);
        other = ~(alnum | dot | punct) & 0xffff;

        if (other) {
            /* after the last byte that is no local-part byte */
            s = base + 32 - __builtin_clz(other);

            /*
             * the rightmost ".." (bit k: v[base + k] and the next byte);
             * one before s lies before a byte that is no '.'
             */
            dot &= dot >> 1;
            dots = dot ? base + 31 - __builtin_clz(dot) : at;

            return azoai_pii_email_trim(v, at, s, dots);
        }
    }
#endif

    return AZOAI_EMAIL_SLOW;
}


/*
 * azoai_pii_email_local_start() byte by byte: the local part is 16
 * bytes or more, or the text before it shorter
 */

static size_t
azoai_pii_email_local_loop(const u_char *v, size_t at)
{
    size_t  s, lim, dots;

    s = at;
    dots = at;                      /* none */

    lim = (at > AZOAI_EMAIL_LOCAL_MAX) ? at - AZOAI_EMAIL_LOCAL_MAX : 0;

    while (s > lim && azoai_pii_is(v[s - 1], AZOAI_PC_LOCAL)) {
        s--;

        if (v[s] == '.' && v[s + 1] == '.' && dots == at) {
            dots = s;
        }
    }

    if (s > 0 && s == lim && azoai_pii_is(v[s - 1], AZOAI_PC_LOCAL)) {
        return AZOAI_EMAIL_NONE;    /* longer than 64 */
    }

    return azoai_pii_email_trim(v, at, s, dots);
}


/*
 * The local part from s with its leading punctuation trimmed, or
 * AZOAI_EMAIL_NONE when nothing is left, it ends in '.' or a ".." at
 * dots (at: none) lies in it
 */

static inline size_t
azoai_pii_email_trim(const u_char *v, size_t at, size_t s, size_t dots)
{
    while (s < at && !azoai_pii_alnum(v[s]) && v[s] != '_') {
        s++;
    }

    if (s == at || v[at - 1] == '.' || (dots < at && dots >= s)) {
        return AZOAI_EMAIL_NONE;
    }

    return s;
}




/*
 * The end of the domain after the '@' at at: labels, the last one a
 * top-level domain (azoai_pii_tld_ok()); 0 when there is none.  Where
 * the 16 bytes after the '@' hold its end and no '-', the labels are
 * read from their letter, digit and '.' bits (azoai_pii_email_class16());
 * else byte by byte.
 */

size_t
azoai_pii_email_domain(const u_char *v, size_t len, size_t at)
{
    size_t  best;

    best = azoai_pii_email_domain_end(v, len, at);

    return (best == AZOAI_EMAIL_SLOW)
           ? azoai_pii_email_domain_loop(v, len, at) : best;
}


static inline size_t
azoai_pii_email_domain_end(const u_char *v, size_t len, size_t at)
{
#if defined(__SSE2__)
    size_t    i, t;
    unsigned  alpha, alnum, dot, punct, rest;

    i = at + 1;

    if (len - i >= AZOAI_EMAIL_WINDOW) {
        azoai_pii_email_class16(v + i, &alpha, &alnum, &dot, &punct);

        rest = ~(alnum | dot) & 0xffff;

        if (rest && v[i + (t = __builtin_ctz(rest))] != '-') {
            return azoai_pii_email_labels16(i, t, alpha, alnum, dot);
        }
    }
#endif

    return AZOAI_EMAIL_SLOW;
}


/*
 * azoai_pii_email_domain_end() byte by byte: a domain with a '-', not
 * ended within 16 bytes or of a last label that is no top-level label,
 * or the text after it shorter
 */

static size_t
azoai_pii_email_domain_loop(const u_char *v, size_t len, size_t at)
{
    size_t  i, ls, n, labels, best;

    i = at + 1;
    labels = 0;
    best = 0;

    for ( ;; ) {
        ls = i;

        while (i < len && azoai_pii_is(v[i], AZOAI_PC_DOMAIN)) {
            i++;
        }

        /* "a@b.com-": the label ends before trailing dashes */
        while (i > ls && v[i - 1] == '-') {
            i--;
        }

        n = i - ls;

        if (n == 0 || n > AZOAI_EMAIL_LABEL_MAX || v[ls] == '-'
            || i - at - 1 > AZOAI_EMAIL_DOMAIN_MAX)
        {
            break;
        }

        labels++;

        if (labels >= 2 && azoai_pii_tld_ok(v + ls, n)) {
            best = i;
        }

        if (i + 1 < len && v[i] == '.'
            && azoai_pii_is(v[i + 1], AZOAI_PC_DOMAIN))
        {
            i++;
            continue;
        }

        break;
    }

    return best;
}


#if defined(__SSE2__)

/*
 * The domain loop above over from + [0, t) (t < 16): letters, digits and
 * dots only (bits of alpha, alnum and dot), ended by a byte that is none
 * of them nor '-'.  A label is the run up to the next dot; a dot not
 * followed by a letter or digit ends the domain; a top-level label is 2
 * letters or more (no "xn--" without a '-').  The domain ends after the
 * last label that is one, most often its last label: that one is tested
 * on the bits at once, and a last label of one letter or with a digit
 * in it is left to the byte loop (AZOAI_EMAIL_SLOW), which finds an
 * earlier one.
 */

static inline size_t
azoai_pii_email_labels16(size_t from, size_t t, unsigned alpha,
    unsigned alnum, unsigned dot)
{
    unsigned  in, labels, dots, stop, e, ld, tld;

    in = (1u << t) - 1;
    labels = alnum & in;

    /* an empty first label: no domain */

    if ((labels & 1) == 0) {
        return 0;
    }

    /* the first dot before no letter or digit ends the labels */

    dots = dot & in;
    stop = dots & ~(labels >> 1);
    e = stop ? (unsigned) __builtin_ctz(stop) : t;
    dots &= (1u << e) - 1;

    /* one label: no top-level label after it */

    if (dots == 0) {
        return 0;
    }

    /* the last label, after the last dot ld and up to e */

    ld = 31 - __builtin_clz(dots);
    tld = ((1u << e) - 1) & ~((2u << ld) - 1);

    if (e - ld > 2 && (tld & ~alpha) == 0) {
        return from + e;
    }

    return AZOAI_EMAIL_SLOW;
}


/*
 * The bits k of p[0 .. 15] that are letters in *alpha, letters or
 * digits in *alnum, '.' in *dot and one of "+-_%" in *punct.  Letters:
 * (x | 0x20) - 'a' below 26, digits: x - '0' below 10, each range moved
 * to the lowest signed bytes for one signed compare.
 */

static inline void
azoai_pii_email_class16(const u_char *p, unsigned *alpha, unsigned *alnum,
    unsigned *dot, unsigned *punct)
{
    __m128i  x, a, d, pu;

    x = _mm_loadu_si128((const __m128i *) p);

    a = _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)),
                                    _mm_set1_epi8((char) (0x80 - 'a'))),
                       _mm_set1_epi8((char) (0x80 + 26)));
    d = _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char) (0x80 - '0'))),
                       _mm_set1_epi8((char) (0x80 + 10)));

    pu = _mm_or_si128(
             _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('+')),
                          _mm_cmpeq_epi8(x, _mm_set1_epi8('-'))),
             _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')),
                          _mm_cmpeq_epi8(x, _mm_set1_epi8('%'))));

    *alpha = (unsigned) _mm_movemask_epi8(a);
    *alnum = (unsigned) _mm_movemask_epi8(_mm_or_si128(a, d));
    *dot = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(x,
                                                       _mm_set1_epi8('.')));
    *punct = (unsigned) _mm_movemask_epi8(pu);
}

#endif


/* letters only, 2 or more; or an IDN "xn--" label */

static int
azoai_pii_tld_ok(const u_char *label, size_t n)
{
    size_t  i;

    if (n >= 5 && (label[0] | 0x20) == 'x' && (label[1] | 0x20) == 'n'
        && label[2] == '-' && label[3] == '-')
    {
        return 1;
    }

    if (n < 2) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (!azoai_pii_is(label[i], AZOAI_PC_ALPHA)) {
            return 0;
        }
    }

    return 1;
}


/* at is the first digit */

int
azoai_pii_detect_ipv4(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t  e;
    u_char  c;

    if (at > 0) {
        c = v[at - 1];

        if (c == '.' || c == '-') {
            return 0;
        }
    }

    /* as the other numbers: "1120,0.1.2.3" does not start at the 0 */
    if (!azoai_pii_num_left_ok(v, at)) {
        return 0;
    }

    e = azoai_pii_ipv4_end(v, len, at);

    if (e == 0 || !azoai_pii_addr_right_ok(v, len, e)) {
        return 0;
    }

    *start = at;
    *end = e;
    return 1;
}


/* end of a dotted quad at at, or 0; no leading zeros */

static size_t
azoai_pii_ipv4_end(const u_char *v, size_t len, size_t at)
{
    size_t    i, k, octet;
    unsigned  val;

    i = at;

    for (octet = 0; octet < 4; octet++) {

        if (octet > 0) {
            if (i >= len || v[i] != '.') {
                return 0;
            }

            i++;
        }

        val = 0;

        for (k = 0; k < 3 && i < len && azoai_pii_digit(v[i]); k++, i++) {
            val = val * 10 + (v[i] - '0');
        }

        if (k == 0 || val > 255 || (k > 1 && v[i - k] == '0')) {
            return 0;
        }

        if (i < len && azoai_pii_digit(v[i])) {
            return 0;
        }
    }

    return i;
}


/* not followed by a word character or more of a dotted number */

static int
azoai_pii_addr_right_ok(const u_char *v, size_t len, size_t end)
{
    u_char  c;

    if (end >= len) {
        return 1;
    }

    c = v[end];

    if (azoai_pii_alnum(c) || c == '_' || c == '@') {
        return 0;
    }

    if (c == '.' && end + 1 < len && azoai_pii_digit(v[end + 1])) {
        return 0;
    }

    return 1;
}


/* where an address around the ':' at at starts, or AZOAI_IPV6_NONE */

static inline size_t
azoai_pii_ipv6_start(const u_char *v, size_t at)
{
    size_t  s;

    s = at;

    while (s > 0 && at - s < AZOAI_IPV6_TEXT_MAX
           && (azoai_pii_is(v[s - 1], AZOAI_PC_HEX) || v[s - 1] == ':'))
    {
        s--;
    }

    if (s > 0 && (azoai_pii_alnum(v[s - 1]) || v[s - 1] == '_'
                  || v[s - 1] == '.'))
    {
        return AZOAI_IPV6_NONE;
    }

    return s;
}


/* whether the groups read make an address that ends at last */

static inline int
azoai_pii_ipv6_ok(const u_char *v, size_t len, size_t groups,
    int compressed, int digit, size_t last)
{
    if (groups == 0 || groups > 8 || (compressed ? groups > 7 : groups != 8))
    {
        return 0;
    }

    /* "ab::cd" is more often code than an address */
    if (compressed && groups <= 2 && !digit) {
        return 0;
    }

    if (last < len && (v[last] == ':' || !azoai_pii_addr_right_ok(v, len,
                                                                  last)))
    {
        return 0;
    }

    return 1;
}


/*
 * at is a ':'; the address may start before it.  Groups of 1-4 hex
 * digits; eight of them, or fewer with one "::"; an IPv4 may take the
 * place of the last two.
 */

int
azoai_pii_detect_ipv6(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    int     compressed, digit;
    size_t  s, i, j, groups, last, e4;

    s = azoai_pii_ipv6_start(v, at);

    if (s == AZOAI_IPV6_NONE) {
        return 0;
    }

    groups = 0;
    digit = 0;

    /* a leading ":" opens a "::" */

    compressed = (s + 1 < len && v[s] == ':');

    if (compressed && v[s + 1] != ':') {
        return 0;
    }

    i = compressed ? s + 2 : s;
    last = compressed ? i : 0;

    while (groups < 8) {
        j = i;

        while (j < len && j - i < 5 && azoai_pii_is(v[j], AZOAI_PC_HEX)) {
            digit |= azoai_pii_digit(v[j]);
            j++;
        }

        if (j == i || j - i > 4) {
            break;
        }

        if (j + 1 < len && v[j] == '.' && azoai_pii_digit(v[j + 1])) {
            e4 = (groups <= 6) ? azoai_pii_ipv4_end(v, len, i) : 0;

            if (e4 == 0) {
                return 0;
            }

            groups += 2;
            last = e4;
            digit = 1;
            break;
        }

        groups++;
        i = j;
        last = j;

        if (groups == 8 || i + 1 >= len || v[i] != ':') {
            break;
        }

        if (v[i + 1] == ':') {
            if (compressed) {
                break;
            }

            compressed = 1;
            i += 2;
            last = i;
            continue;
        }

        if (!azoai_pii_is(v[i + 1], AZOAI_PC_HEX)) {
            break;
        }

        i++;
    }

    *start = s;
    *end = last;

    return azoai_pii_ipv6_ok(v, len, groups, compressed, digit, last);
}
