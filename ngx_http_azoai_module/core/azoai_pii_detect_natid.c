/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * National and health identifiers (uk_nhs ... sg_nric), found from the
 * first digit of a word as the other numeric detectors: the identifier's
 * token is read once (letters right before the digit, then groups of
 * letters and digits joined by one separator), and each enabled type
 * checks the groups from the longest prefix down
 * (azoai_pii_natid_check.c).  A type whose check is weak is reported only
 * with one of its context words within AZOAI_NATID_BEFORE bytes before or
 * AZOAI_NATID_AFTER bytes after the value.
 */

#include <string.h>

#include "azoai_ascii.h"
#include "azoai_pii_natid.h"


#define AZOAI_NATID_BEFORE     48
#define AZOAI_NATID_AFTER      24

/*
 * it_fiscal_code: how many letters may stand before its first digit
 * (positions 7, 8, 10, 11, 13, 14, 15 hold digits or omocodia letters);
 * azoai_pii_natid_word_refused() relies on 6 being the fewest
 * (test_numeric_refusals)
 */
#define AZOAI_NATID_CF_FIRST                                                 \
    ((1u << 6) | (1u << 7) | (1u << 9) | (1u << 10) | (1u << 12)            \
     | (1u << 13) | (1u << 14))

#define azoai_natid_upper(c)   ((u_char) ((c) - 'A') < 26)
#define azoai_natid_sep(c)                                                   \
    ((c) == ' ' || (c) == '-' || (c) == '.' || (c) == '/')


static size_t azoai_natid_start(const u_char *v, size_t len, size_t at);
static int azoai_natid_token(const u_char *v, size_t len, size_t at,
    size_t ts, unsigned mask, unsigned *type, size_t *start, size_t *end)
    __attribute__((noinline));
static int azoai_natid_word_is(const u_char *v, size_t len, size_t ws,
    size_t n);
static inline size_t azoai_natid_run(const u_char *v, size_t len,
    size_t i);
static int azoai_natid_layout(const u_char *v, size_t len, size_t at);
static int azoai_natid_third(const u_char *v, size_t len, size_t i,
    u_char s);
static int azoai_natid_read(const u_char *v, size_t len, size_t ts,
    azoai_natid_tok_t *t);
static int azoai_natid_match(const u_char *v, size_t len, size_t ts,
    const azoai_natid_tok_t *t, unsigned mask, unsigned *type,
    size_t *end);
static int azoai_natid_word_at(const u_char *v, size_t len, size_t i,
    const u_char *w, size_t wlen);


/* azoai_pii_detect_natid() (azoai_pii_int.h) past its '+' test */

int
azoai_pii_natid_find(const u_char *v, size_t len, size_t at, unsigned mask,
    unsigned *type, size_t *start, size_t *end)
{
    size_t  ts;

    ts = azoai_natid_start(v, len, at);

    if (ts == (size_t) -1) {
        return 0;
    }

    return azoai_natid_token(v, len, at, ts, mask, type, start, end);
}


/*
 * The token from ts read and checked by each type: apart from the fast
 * refusals of azoai_natid_start(), whose frame stays small
 */

static int
azoai_natid_token(const u_char *v, size_t len, size_t at, size_t ts,
    unsigned mask, unsigned *type, size_t *start, size_t *end)
{
    azoai_natid_tok_t  t;

    /* "AB 12 34 56 C": the two letters before the space, then the digit */

    if (ts != at && v[at - 1] == ' ') {
        if (azoai_natid_read(v, len, ts, &t)
            && azoai_natid_match(v, len, ts, &t, mask, type, end))
        {
            *start = ts;
            return 1;
        }

        ts = at;
    }

    if (!azoai_pii_num_left_ok(v, ts)
        || !azoai_natid_read(v, len, ts, &t))
    {
        return 0;
    }

    if (!azoai_natid_match(v, len, ts, &t, mask, type, end)) {
        return 0;
    }

    *start = ts;
    return 1;
}


/*
 * Where an identifier holding the digit at at may start: at itself, or 1
 * or 2 letters before it or up to 14 of a codice fiscale (a word's
 * start), the "AB " of a spaced NINO or the "X-" of a NIE written with
 * separators; (size_t) -1 when the shape around at rules every type out
 * (azoai_natid_layout(): most numbers in text).
 */

static size_t
azoai_natid_start(const u_char *v, size_t len, size_t at)
{
    size_t  lp, most;

    most = (at < AZOAI_NATID_MAX) ? at : AZOAI_NATID_MAX;

    for (lp = 0; lp < most && azoai_pii_is(v[at - lp - 1], AZOAI_PC_ALPHA);
         lp++)
    {
        /* void */
    }

    /*
     * NRIC and NIE: a letter and 7 digits; NINO: 2 letters and 6; a
     * codice fiscale: its first digit (omocodia may write any of them as
     * a letter) after 6, 7, 9, 10, 12, 13 or 14 letters, in a word of 16
     */

    if (lp == 1 || lp == 2) {
        return (azoai_natid_run(v, len, at) == 8 - lp) ? at - lp
                                                       : (size_t) -1;
    }

    if (lp != 0) {
        return ((AZOAI_NATID_CF_FIRST & (1u << lp))
                && azoai_natid_word_is(v, len, at - lp, AZOAI_NATID_MAX))
               ? at - lp : (size_t) -1;
    }

    /* "AB 12 34 56 C": the two letters of a spaced NINO */

    if (at >= 3 && v[at - 1] == ' ' && len - at > 3 && v[at + 2] == ' '
        && azoai_pii_digit(v[at + 1]) && azoai_natid_upper(v[at - 2])
        && azoai_natid_upper(v[at - 3])
        && (at == 3 || !azoai_pii_alnum(v[at - 4])))
    {
        return at - 3;
    }

    /* "X-1234567-L", "Y 1234567 Z": the letter of a NIE with separators */

    if (at >= 2 && (v[at - 1] == '-' || v[at - 1] == ' ')
        && (v[at - 2] == 'X' || v[at - 2] == 'Y' || v[at - 2] == 'Z')
        && (at == 2 || !azoai_pii_alnum(v[at - 3]))
        && azoai_natid_run(v, len, at) == 7)
    {
        return at - 2;
    }

    return (azoai_pii_num_left_ok(v, at) && azoai_natid_layout(v, len, at))
           ? at : (size_t) -1;
}


/*
 * The length of the run of digits at i (i < len), counted up to
 * AZOAI_NATID_MAX + 1: most runs end within one 8-byte word, whose test
 * comes first
 */

static inline size_t
azoai_natid_run(const u_char *v, size_t len, size_t i)
{
#if (AZOAI_PII_SWAR)
    size_t  k;

    if (len - i >= 8) {
        k = azoai_pii_digits8(v + i);

        if (k < 8) {
            return k;
        }
    }
#endif

    return azoai_pii_digit_run(v, len, i, AZOAI_NATID_MAX + 1);
}


/*
 * Whether a token starting with the digit at at can have the layout of
 * a type (azoai_natid_kinds[] checks it in full): a first group of 9 to
 * 16 letters and digits, or the first groups of one of
 *
 *   fr_nir "1 85 05 78 006 084 36", de_tax_id "86 095 742 719",
 *   us_itin "9XX-XX-XXXX", uk_nhs "943 476 5919", ca_sin, au_tfn and
 *   nl_bsn "3_3_3", nl_bsn and br_cpf "3.3.3", nl_bsn "1112.22.333",
 *   in_aadhaar "2341 2341 2346" (not a card's "4_4_4_4"),
 *   us_mbi "1EG4-TE5-MK73", es_dni "12345678-Z".
 *
 * Most numbers in text fail here after a few bytes (dates, times,
 * prices, versions, phones, cards, SSNs).
 */

static int
azoai_natid_layout(const u_char *v, size_t len, size_t at)
{
    size_t  d, w, g2;
    u_char  s;

    d = azoai_natid_run(v, len, at);

    for (w = at + d; w < len && w - at <= AZOAI_NATID_MAX
                     && azoai_pii_alnum(v[w]); w++)
    {
        /* void */
    }

    w -= at;

    if (w >= AZOAI_NATID_MIN) {
        return w <= AZOAI_NATID_MAX;
    }

    if (at + w + 1 >= len) {
        return 0;
    }

    s = v[at + w];

    g2 = azoai_natid_run(v, len, at + w + 1);

    switch (w) {

    case 1:
        return s == ' ' && g2 == 2;

    case 2:
        return d == 2 && s == ' ' && g2 == 3;

    case 3:
        if (d != 3) {
            return 0;
        }

        if (g2 == 2) {
            return v[at] == '9' && (s == ' ' || s == '-');
        }

        return g2 == 3 && (s == ' ' || s == '-' || s == '.');

    case 4:
        if (d == 1) {
            return s == '-';
        }

        if (d != 4) {
            return 0;
        }

        if (s == '.') {
            return g2 == 2;
        }

        return g2 == 4 && (s == ' ' || s == '-')
               && azoai_natid_third(v, len, at + 9, s);

    case 8:
        return d == 8 && (s == ' ' || s == '-')
               && azoai_natid_upper(v[at + 9]);
    }

    return 0;
}


/*
 * in_aadhaar: at i, s and the third group of 4 digits, the last one: a
 * fourth group joined by s makes "4_4_4_4", a card
 */

static int
azoai_natid_third(const u_char *v, size_t len, size_t i, u_char s)
{
    size_t    j;
    uint32_t  w;

    if (len - i < 5 || v[i] != s) {
        return 0;
    }

    j = i + 5;

#if (AZOAI_PII_SWAR)
    if (!azoai_pii_digits4(v + i + 1, &w)) {
        return 0;
    }
#else
    (void) w;

    for (j = i + 1; j < i + 5; j++) {
        if (!azoai_pii_digit(v[j])) {
            return 0;
        }
    }
#endif

    if (j == len) {
        return 1;
    }

    if (azoai_pii_alnum(v[j])) {
        return 0;
    }

    return !(v[j] == s && j + 1 < len
             && (azoai_pii_digit(v[j + 1]) || azoai_natid_upper(v[j + 1])));
}


/* whether the word starting at ws has exactly n letters and digits */

static int
azoai_natid_word_is(const u_char *v, size_t len, size_t ws, size_t n)
{
    size_t  i;

    if (len - ws < n) {
        return 0;
    }

    for (i = ws; i < ws + n; i++) {
        if (!azoai_pii_alnum(v[i])) {
            return 0;
        }
    }

    return i == len || !azoai_pii_alnum(v[i]);
}


/*
 * Reads the token at ts into t: groups of letters and digits, each after
 * the first joined by one separator and starting with a digit or a
 * capital letter ("... 56 C", "1EG4-TE5-MK73").  Stops before a group
 * that would pass AZOAI_NATID_MAX characters; 0 when the first one does
 * or the token is shorter than any identifier.
 */

static int
azoai_natid_read(const u_char *v, size_t len, size_t ts,
    azoai_natid_tok_t *t)
{
    size_t  i, s;

    t->n = 0;
    t->ng = 0;
    i = ts;

    for ( ;; ) {
        for (s = i; i < len && azoai_pii_alnum(v[i]); i++) {
            if (t->n + (i - s) == AZOAI_NATID_MAX) {
                return t->ng != 0 && t->n >= AZOAI_NATID_MIN;
            }
        }

        memcpy(t->c + t->n, v + s, i - s);
        t->n += i - s;
        t->glen[t->ng] = (u_char) (i - s);
        t->gend[t->ng] = i;
        t->sep[t->ng] = (i < len) ? v[i] : '\0';
        t->ng++;

        if (t->ng == AZOAI_NATID_GROUPS || i + 1 >= len
            || !azoai_natid_sep(v[i]))
        {
            break;
        }

        if (!azoai_pii_digit(v[i + 1]) && !azoai_natid_upper(v[i + 1])) {
            break;
        }

        i++;
    }

    return t->n >= AZOAI_NATID_MIN;
}


/*
 * The longest prefix of whole groups that an enabled type accepts; a
 * prefix shorter than the token ends where a space follows that is not
 * its own separator (the rest is another word; "4111 1111 1111 1111" has
 * no 12-digit prefix).  The order of azoai_natid_kinds[] decides between
 * types.
 */

static int
azoai_natid_match(const u_char *v, size_t len, size_t ts,
    const azoai_natid_tok_t *t, unsigned mask, unsigned *type, size_t *end)
{
    int                        r;
    size_t                     k, n, j, e;
    const azoai_natid_kind_t  *kind;

    for (k = t->ng; k > 0; k--) {
        for (n = 0, j = 0; j < k; j++) {
            n += t->glen[j];
        }

        e = t->gend[k - 1];

        if (!(AZOAI_NATID_LENGTHS & (1u << n))
            || !azoai_pii_num_right_ok(v, len, e))
        {
            continue;
        }

        /* a prefix ends at a space that does not continue its grouping */
        if (k < t->ng
            && (t->sep[k - 1] != ' ' || (k > 1 && t->sep[k - 2] == ' ')))
        {
            continue;
        }

        for (j = 0; j < azoai_natid_nkinds; j++) {
            kind = &azoai_natid_kinds[j];

            if (!(mask & (1u << kind->type)) || !(kind->lengths & (1u << n)))
            {
                continue;
            }

            r = kind->check(t, k, n);

            if (r == AZOAI_NATID_YES
                || (r == AZOAI_NATID_CONTEXT
                    && azoai_pii_context_near(v, len, ts, e, kind->words)))
            {
                *type = kind->type;
                *end = e;
                return 1;
            }
        }
    }

    return 0;
}


/*
 * Whether one of words (lower-case, NULL-terminated list) stands within
 * AZOAI_NATID_BEFORE bytes before start or AZOAI_NATID_AFTER bytes after
 * end, not inside a longer word ("sin" is not found in "using").
 *
 * One pass over the bytes around the value: only where a word may start
 * (its first byte opens one of words, no letter before it) are the words
 * with that first byte compared.  Trying each word at each offset cost
 * ~55,000 instructions a call with the ~60 phone words, and text dense
 * with numbers calls it for many of them.
 */

int
azoai_pii_context_near(const u_char *v, size_t len, size_t start,
    size_t end, const char *const *words)
{
    size_t        i, from, to, wlen;
    u_char        c;
    uint64_t      first[4];
    const char   *const *w;

    from = (start > AZOAI_NATID_BEFORE) ? start - AZOAI_NATID_BEFORE : 0;
    to = (len - end > AZOAI_NATID_AFTER) ? end + AZOAI_NATID_AFTER : len;

    first[0] = 0;
    first[1] = 0;
    first[2] = 0;
    first[3] = 0;

    for (w = words; *w; w++) {
        c = (u_char) (*w)[0];
        first[c >> 6] |= (uint64_t) 1 << (c & 63);
    }

    for (i = from; i < to; i++) {
        c = azoai_ascii_lower(v[i]);

        if (!((first[c >> 6] >> (c & 63)) & 1)
            || (i > 0 && azoai_pii_is(v[i - 1], AZOAI_PC_ALPHA)))
        {
            continue;
        }

        for (w = words; *w; w++) {
            if ((u_char) (*w)[0] != c) {
                continue;
            }

            wlen = strlen(*w);

            /* within the bounds, not inside the value itself */

            if (i + wlen > to || (i + wlen > start && i < end)) {
                continue;
            }

            if (azoai_natid_word_at(v, len, i, (const u_char *) *w, wlen)) {
                return 1;
            }
        }
    }

    return 0;
}


static int
azoai_natid_word_at(const u_char *v, size_t len, size_t i, const u_char *w,
    size_t wlen)
{
    if (azoai_ascii_lower(v[i]) != w[0]
        || !azoai_ascii_eq_lower(v + i, w, wlen))
    {
        return 0;
    }

    if (i > 0 && azoai_pii_is(v[i - 1], AZOAI_PC_ALPHA)) {
        return 0;
    }

    if (i + wlen < len && azoai_pii_is(v[i + wlen], AZOAI_PC_ALPHA)) {
        return 0;
    }

    /*
     * not the type name of a tag, "[PHONE]", "[AU_TFN:...]": masking one
     * value must not make its neighbour a match
     */

    while (i > 0 && ((v[i - 1] >= 'A' && v[i - 1] <= 'Z')
                     || azoai_pii_digit(v[i - 1]) || v[i - 1] == '_'))
    {
        i--;
    }

    return i == 0 || v[i - 1] != '[';
}


/*
 * Whether the first k groups of t are laid out as spec says: group
 * lengths as characters ('1'-'9', 'd' for 13) with the separator between
 * them, '_' standing for ' ' or '-' (the same one throughout), and no
 * more groups than spec has.
 */

int
azoai_natid_shape(const azoai_natid_tok_t *t, size_t k, const char *spec)
{
    size_t  g;
    u_char  any, want;

    any = '\0';

    for (g = 0; g < k; g++) {
        want = (u_char) ((*spec == 'd') ? 13 : *spec - '0');

        if (*spec == '\0' || t->glen[g] != want) {
            return 0;
        }

        spec++;

        if (g + 1 == k) {
            return *spec == '\0';
        }

        if (*spec == '_') {
            if (t->sep[g] != ' ' && t->sep[g] != '-') {
                return 0;
            }

            if (any == '\0') {
                any = t->sep[g];

            } else if (t->sep[g] != any) {
                return 0;
            }

        } else if (t->sep[g] != (u_char) *spec) {
            return 0;
        }

        spec++;
    }

    return 0;
}
