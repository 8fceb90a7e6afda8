/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Built-in detectors for numbers: payment cards (issuer prefix, length,
 * Luhn), phone numbers (E.164 with '+', national spellings) and US social
 * security numbers (SSA ranges).  Each runs over the view text at a
 * candidate byte and either validates a match or gives up quickly.
 */

#include <string.h>

#include "azoai_pii_phone.h"


#define AZOAI_CARD_MIN        12
#define AZOAI_CARD_MAX        19
#define AZOAI_CARD_LONG       ((size_t) -1)


/*
 * A card number as it is read.  The Luhn sum runs for both ends a
 * candidate may have: "last" as if the digit just read ended the number
 * (it counts as it is), "inner" as if more followed (it counts doubled).
 * The next digit turns one into the other.
 */
typedef struct {
    u_char          digits[AZOAI_CARD_MAX];
    size_t          ndig;
    unsigned        last;
    unsigned        inner;
    size_t          ncand;
    size_t          cand_end[AZOAI_CARD_MAX + 1];
    size_t          cand_ndig[AZOAI_CARD_MAX + 1];
    unsigned        cand_sum[AZOAI_CARD_MAX + 1];
} azoai_card_read_t;


static inline size_t azoai_pii_card_group(const u_char *v, size_t len,
    size_t i, azoai_card_read_t *r);
static inline size_t azoai_pii_card_best(const u_char *v, size_t len,
    const azoai_card_read_t *r);
static int azoai_pii_card_issuer(const u_char *d, size_t n);
static int azoai_pii_card_tail(const u_char *v, size_t at, u_char sep,
    size_t first_group);
static int azoai_pii_phone_run(const u_char *v, size_t len, size_t at,
    azoai_phone_run_t *run);
static int azoai_pii_nanp_ok(const u_char *d);


/*
 * Card numbers: 12-19 digits, as one run or in groups separated by one
 * kind of separator (space, dash, dot; "4 1 1 1 ..." too); the longest
 * group-aligned prefix with a known issuer prefix and a good Luhn wins
 * (azoai_card_read_t).
 */

int
azoai_pii_detect_card(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    u_char              sep;
    size_t              i, g, group_start, first_group;
    azoai_card_read_t   r;

    if (!azoai_pii_num_left_ok(v, at)) {
        return 0;
    }

    i = at;
    sep = 0;
    first_group = 0;
    r.ndig = 0;
    r.ncand = 0;
    r.last = 0;
    r.inner = 0;

    for ( ;; ) {
        group_start = i;
        i = azoai_pii_card_group(v, len, i, &r);

        if (i == AZOAI_CARD_LONG) {
            break;                  /* too long: only earlier groups count */
        }

        g = i - group_start;

        if (group_start == at) {
            first_group = g;
        }

        if (sep == '.' && g < 3) {
            break;
        }

        if (r.ndig >= AZOAI_CARD_MIN) {
            r.cand_end[r.ncand] = i;
            r.cand_sum[r.ncand] = r.last;
            r.cand_ndig[r.ncand++] = r.ndig;
        }

        if (i + 1 >= len || !azoai_pii_digit(v[i + 1])) {
            break;
        }

        if (v[i] != ' ' && v[i] != '-' && v[i] != '.') {
            break;
        }

        if (sep == 0) {
            sep = v[i];

            if (sep == '.' && g < 3) {
                break;
            }

            /* the rest of a number seen from its start: no need to read */
            if (azoai_pii_card_tail(v, at, sep, first_group)) {
                return 0;
            }

        } else if (v[i] != sep) {
            break;
        }

        i++;
    }

    /*
     * azoai_pii_card_tail() ran when the separator was set; without one
     * there is no tail
     */

    *end = azoai_pii_card_best(v, len, &r);
    *start = at;

    return *end != 0;
}


/*
 * Reads the digits of one group from i into r, the Luhn sums running;
 * the end of the group, or AZOAI_CARD_LONG past AZOAI_CARD_MAX digits
 */

static inline size_t
azoai_pii_card_group(const u_char *v, size_t len, size_t i,
    azoai_card_read_t *r)
{
    u_char    d;
    size_t    ndig;
    unsigned  last, inner, prev_last;

    static const u_char  doubled[10] = { 0, 2, 4, 6, 8, 1, 3, 5, 7, 9 };

    /* the running state in registers, written back once */

    ndig = r->ndig;
    last = r->last;
    inner = r->inner;

    while (i < len && azoai_pii_digit(v[i])) {
        if (ndig == AZOAI_CARD_MAX) {
            return AZOAI_CARD_LONG;
        }

        d = v[i++];
        r->digits[ndig++] = d;
        d -= '0';

        prev_last = last;
        last = inner + d;
        inner = prev_last + doubled[d];
    }

    r->ndig = ndig;
    r->last = last;
    r->inner = inner;

    return i;
}


/* the end of the longest candidate with a good Luhn and issuer, or 0 */

static inline size_t
azoai_pii_card_best(const u_char *v, size_t len, const azoai_card_read_t *r)
{
    size_t  k;

    for (k = r->ncand; k-- > 0; /* void */) {
        if (r->cand_sum[k] % 10 == 0
            && azoai_pii_card_issuer(r->digits, r->cand_ndig[k])
            && azoai_pii_num_right_ok(v, len, r->cand_end[k]))
        {
            return r->cand_end[k];
        }
    }

    return 0;
}


/*
 * 1 when the digits at at continue a longer number grouped the same way
 * ("1234 5678 9012 3456 7890" from its second group).
 */

static int
azoai_pii_card_tail(const u_char *v, size_t at, u_char sep,
    size_t first_group)
{
    size_t  i;

    if (sep == 0 || at < 2 || v[at - 1] != sep
        || !azoai_pii_digit(v[at - 2]))
    {
        return 0;
    }

    for (i = at - 1; i > 0 && azoai_pii_digit(v[i - 1]); i--) {
        /* void */
    }

    return at - 1 - i == first_group;
}


/* issuer prefixes (IIN ranges) and the lengths each issues */

static int
azoai_pii_card_issuer(const u_char *d, size_t n)
{
    unsigned  p2, p3, p4;

    p2 = (d[0] - '0') * 10 + (d[1] - '0');
    p3 = p2 * 10 + (d[2] - '0');
    p4 = p3 * 10 + (d[3] - '0');

    switch (d[0]) {

    case '2':
        /* Mastercard 2-series, Mir */
        return (p4 >= 2221 && p4 <= 2720 && n == 16)
               || (p4 >= 2200 && p4 <= 2204 && n >= 16);

    case '3':
        /* Amex; Diners; JCB */
        return ((p2 == 34 || p2 == 37) && n == 15)
               || (((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38
                    || p2 == 39) && n >= 14)
               || (p4 >= 3528 && p4 <= 3589 && n >= 16);

    case '4':
        /* Visa */
        return n == 13 || n == 16 || n == 19;

    case '5':
        /* Mastercard; Maestro */
        return (p2 >= 51 && p2 <= 55 && n == 16)
               || p2 == 50 || p2 >= 56;

    case '6':
        /* Discover, UnionPay, Maestro, RuPay */
        return 1;
    }

    return 0;
}


/*
 * Phone numbers: "+", a country code and a national number of a length
 * its numbering plan has (azoai_pii_phone_intl_ok(); +1: a valid NANP
 * number), NANP as 3-3-4 groups with separators, optional "(area)" and
 * an optional leading "1", or another country's national format with a
 * context word (azoai_pii_phone_national_ok()).
 */

int
azoai_pii_detect_phone(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    size_t              g;
    azoai_phone_run_t   run;

    if (!azoai_pii_num_left_ok(v, at)) {
        return 0;
    }

    if (azoai_pii_phone_run(v, len, at, &run) != 0) {
        return 0;
    }

    if (!azoai_pii_num_right_ok(v, len, run.end)) {
        return 0;
    }

    if (v[at] == '+') {

        if (!azoai_pii_phone_intl_ok(&run)) {
            return 0;
        }

        if (run.digits[0] == '1' && !azoai_pii_nanp_ok(run.digits + 1)) {
            return 0;
        }

        *start = at;
        *end = run.end;
        return 1;
    }

    /* NANP: [1] area exchange line, separated */

    g = 0;

    if (run.ngroups == 4 && run.group_len[0] == 1 && run.digits[0] == '1') {
        g = 1;
    }

    if ((run.ngroups != g + 3 || run.group_len[g] != 3
         || run.group_len[g + 1] != 3 || run.group_len[g + 2] != 4
         || (run.paren_group != -1 && run.paren_group != (int) g)
         || !azoai_pii_nanp_ok(run.digits + g))
        && !azoai_pii_phone_national_ok(v, len, at, &run))
    {
        return 0;
    }

    *start = at;
    *end = run.end;
    return 1;
}


/*
 * Reads digit groups separated by one space, dash or dot, with at most
 * one "(group)"; 0 when the run is well-formed.
 */

static int
azoai_pii_phone_run(const u_char *v, size_t len, size_t at,
    azoai_phone_run_t *run)
{
    size_t  i, s, ndigits;
    int     open;

    ndigits = 0;
    run->ngroups = 0;
    run->paren_group = -1;
    open = 0;

    i = at;

    if (v[i] == '+') {
        i++;
    }

    if (i < len && v[i] == '(') {
        open = 1;
        run->paren_group = 0;
        i++;
    }

    for ( ;; ) {
        s = i;

        /* the count stays in a register while the digits are copied */

        while (i < len && azoai_pii_digit(v[i])) {
            if (ndigits == AZOAI_PHONE_MAX) {
                return -1;
            }

            run->digits[ndigits++] = v[i++];
        }

        if (i == s || run->ngroups == AZOAI_PHONE_GROUPS) {
            return -1;
        }

        run->ndigits = ndigits;
        run->group_len[run->ngroups++] = i - s;
        run->end = i;

        if (open) {
            if (i >= len || v[i] != ')') {
                return -1;
            }

            open = 0;
            i++;

            if (i < len && azoai_pii_digit(v[i])) {
                continue;
            }
        }

        if (i + 1 >= len
            || (v[i] != ' ' && v[i] != '-' && v[i] != '.'))
        {
            return 0;
        }

        if (azoai_pii_digit(v[i + 1])) {
            i++;
            continue;
        }

        if (v[i + 1] == '(' && run->paren_group == -1 && i + 2 < len
            && azoai_pii_digit(v[i + 2]))
        {
            open = 1;
            run->paren_group = (int) run->ngroups;
            i += 2;
            continue;
        }

        return 0;
    }
}


/* area and exchange: [2-9]XX, not N11 */

static int
azoai_pii_nanp_ok(const u_char *d)
{
    if (d[0] < '2' || d[3] < '2') {
        return 0;
    }

    if ((d[1] == '1' && d[2] == '1') || (d[4] == '1' && d[5] == '1')) {
        return 0;
    }

    return 1;
}


/*
 * US SSN: AAA-GG-SSSS or AAA GG SSSS (one separator kind); area not 000,
 * 666 or 9XX, group not 00, serial not 0000.
 */

int
azoai_pii_detect_ssn(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end)
{
    u_char          sep;
    size_t          k;
    const u_char   *d;

    static const u_char  shape[] = "ddd-dd-dddd";

    if (at + 11 > len || !azoai_pii_num_left_ok(v, at)) {
        return 0;
    }

    d = v + at;
    sep = d[3];

    if (sep != '-' && sep != ' ') {
        return 0;
    }

    for (k = 0; k < 11; k++) {
        if (shape[k] == 'd' ? !azoai_pii_digit(d[k]) : d[k] != sep) {
            return 0;
        }
    }

    if (!azoai_pii_num_right_ok(v, len, at + 11)) {
        return 0;
    }

    /* with spaces, not a piece of a longer spaced number */
    if (sep == ' '
        && ((at >= 2 && v[at - 1] == ' ' && azoai_pii_digit(v[at - 2]))
            || (at + 12 < len && v[at + 11] == ' '
                && azoai_pii_digit(v[at + 12]))))
    {
        return 0;
    }

    if ((d[0] == '0' && d[1] == '0' && d[2] == '0')
        || (d[0] == '6' && d[1] == '6' && d[2] == '6')
        || d[0] == '9'
        || (d[4] == '0' && d[5] == '0')
        || (d[7] == '0' && d[8] == '0' && d[9] == '0' && d[10] == '0'))
    {
        return 0;
    }

    *start = at;
    *end = at + 11;
    return 1;
}
