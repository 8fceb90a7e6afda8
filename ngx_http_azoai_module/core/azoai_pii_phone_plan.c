/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Numbering plans for the phone detector.  After "+": the national
 * (significant) number lengths of common country codes, from the ITU-T
 * E.164 assignments and the national plans the ITU publishes (Ofcom for
 * +44, BNetzA for +49, ARCEP for +33, ...).  Without "+": the national
 * formats of GB, DE, FR, ES, IT, NL, IN, BR, JP and AU, which always need
 * a phone context word near them: a bare digit run with a trunk "0" is
 * as often an order or account number.
 */

#include <string.h>

#include "azoai_pii_phone.h"


#define AZOAI_PHONE_INTL_MIN   8     /* unlisted code: all digits */
#define AZOAI_PHONE_CC_MAX     3

/* national forms: trunk prefix "0" and 8-11 more digits */
#define AZOAI_PHONE_TRUNK_MIN  9
#define AZOAI_PHONE_TRUNK_MAX  12
#define AZOAI_PHONE_AREA_MIN   2     /* the first group holds the trunk */
#define AZOAI_PHONE_AREA_MAX   5
#define AZOAI_PHONE_GROUP_MIN  2
#define AZOAI_PHONE_GROUP_MAX  8
#define AZOAI_PHONE_RUN_MIN    10    /* a trunk number written unbroken */
#define AZOAI_PHONE_RUN_MAX    11


/* a country code and the lengths of its national numbers */
typedef struct {
    char            cc[AZOAI_PHONE_CC_MAX + 1];
    u_char          min;
    u_char          max;
} azoai_phone_plan_t;


/*
 * a national format without trunk prefix: the digits its first one may
 * be, what its next ones must be (NULL: anything; "n" a digit 1-9, "d"
 * any digit, else that digit: "n9"), its length, its groupings ("334": 3, 3
 * and 4 digits, "a" 10 and "b" 11 unbroken; "|" between layouts) and
 * whether its first group is written "(group)"
 */
typedef struct {
    const char     *first;
    const char     *next;
    u_char          n;
    const char     *layouts;
    int             paren;
} azoai_phone_form_t;


static const azoai_phone_plan_t *azoai_pii_phone_plan(const u_char *d,
    size_t n);
static int azoai_pii_phone_trunk_ok(const azoai_phone_run_t *run);
static int azoai_pii_phone_00_ok(const azoai_phone_run_t *run);
static int azoai_pii_phone_next_ok(const azoai_phone_run_t *run,
    const char *next);
static int azoai_pii_phone_form_ok(const azoai_phone_run_t *run);
static int azoai_pii_phone_layout(const azoai_phone_run_t *run,
    const char *layouts);


/* E.164 codes are prefix-free: the first listed code that opens d is it */

static const azoai_phone_plan_t  azoai_phone_plans[] = {
    { "1", 10, 10 },   { "7", 10, 10 },   { "20", 9, 10 },
    { "27", 9, 9 },    { "30", 10, 10 },  { "31", 9, 9 },
    { "32", 8, 9 },    { "33", 9, 9 },    { "34", 9, 9 },
    { "36", 8, 9 },    { "39", 6, 11 },   { "40", 9, 9 },
    { "41", 9, 9 },    { "43", 4, 13 },   { "44", 9, 10 },
    { "45", 8, 8 },    { "46", 7, 10 },   { "47", 8, 8 },
    { "48", 9, 9 },    { "49", 6, 13 },   { "52", 10, 10 },
    { "54", 10, 11 },  { "55", 10, 11 },  { "61", 9, 9 },
    { "62", 8, 12 },   { "63", 10, 10 },  { "64", 8, 10 },
    { "65", 8, 8 },    { "66", 8, 9 },    { "81", 9, 10 },
    { "82", 8, 10 },   { "84", 9, 10 },   { "86", 10, 11 },
    { "90", 10, 10 },  { "91", 10, 10 },  { "92", 10, 10 },
    { "234", 8, 10 },  { "351", 9, 9 },   { "353", 7, 9 },
    { "358", 5, 12 },  { "966", 9, 9 },   { "971", 8, 9 },
    { "972", 8, 9 }
};


/*
 * ES (fixed 8/9, mobile 6/7: 9 digits, grouped or not), IT mobiles (3,
 * 10 digits), IN mobiles (6-9, 10 digits, grouped or not), BR ("(DD)
 * NNNNN-NNNN", area 11-99; mobiles, whose number opens with 9, also
 * "DD NNNNN-NNNN" and unbroken)
 */

static const azoai_phone_form_t  azoai_phone_forms[] = {
    { "6789", NULL, 9, "333|3222|9", 0 },
    { "3", NULL, 10, "334|37|343", 0 },
    { "6789", NULL, 10, "55|334|433|a", 0 },
    { "123456789", NULL, 10, "244", 1 },
    { "123456789", NULL, 11, "254", 1 },
    { "123456789", "n9", 11, "254|b", 0 }
};


/*
 * Words that say a number is a phone, in the languages of the national
 * formats (lower case; matched as words)
 */

static const char *const  azoai_phone_words[] = {
    "phone", "telephone", "tel", "mobile", "mob", "cell", "cellphone",
    "call", "dial", "sms", "whatsapp", "fax", "contact", "ph",
    "telefon", "telefonnummer", "handy", "handynummer", "mobil",
    "mobilnummer", "rufnummer", "anrufen", "festnetz",
    "t\xc3\xa9l\xc3\xa9phone", "t\xc3\xa9l", "portable", "appeler",
    "appelez", "joindre",
    "tel\xc3\xa9" "fono", "telefono", "m\xc3\xb3vil", "movil", "llamar",
    "llame", "tlf", "tfno",
    "cellulare", "chiamare", "chiama", "chiamami",
    "telefoon", "telefoonnummer", "mobiel", "bel", "bellen",
    "telefone", "celular", "ligar", "ligue", "fone", "contato",
    "\xe9\x9b\xbb\xe8\xa9\xb1", "\xe6\x90\xba\xe5\xb8\xaf",
    NULL
};


int
azoai_pii_phone_intl_ok(const azoai_phone_run_t *run)
{
    size_t                     nsn, g, off;
    const azoai_phone_plan_t  *p;

    if (run->ndigits < AZOAI_PHONE_INTL_MIN || run->digits[0] == '0') {
        return 0;
    }

    p = azoai_pii_phone_plan(run->digits, run->ndigits);

    if (p == NULL) {
        /* spare zones, and +80x/+88x which are not personal numbers */
        switch ((run->digits[0] - '0') * 10 + (run->digits[1] - '0')) {
        case 28: case 80: case 83: case 88: case 89:
            return 0;
        }

        return 1;
    }

    nsn = run->ndigits - strlen(p->cc);

    /* "+44 (0)20 ...": the trunk prefix in parentheses is not counted */

    if (run->paren_group > 0) {
        g = (size_t) run->paren_group;

        for (off = 0; g > 0; g--) {
            off += run->group_len[g - 1];
        }

        if (run->group_len[run->paren_group] == 1
            && run->digits[off] == '0')
        {
            nsn--;
        }
    }

    return nsn >= p->min && nsn <= p->max;
}


static const azoai_phone_plan_t *
azoai_pii_phone_plan(const u_char *d, size_t n)
{
    size_t                     k, c;
    const azoai_phone_plan_t  *p;

    for (k = 0; k < sizeof(azoai_phone_plans) / sizeof(azoai_phone_plans[0]);
         k++)
    {
        p = &azoai_phone_plans[k];

        for (c = 0; p->cc[c] != '\0' && c < n && p->cc[c] == d[c]; c++) {
            /* void */
        }

        if (p->cc[c] == '\0') {
            return p;
        }
    }

    return NULL;
}


int
azoai_pii_phone_national_ok(const u_char *v, size_t len, size_t start,
    const azoai_phone_run_t *run)
{
    if (run->paren_group > 0) {
        return 0;
    }

    if (!azoai_pii_phone_trunk_ok(run) && !azoai_pii_phone_form_ok(run)
        && !azoai_pii_phone_00_ok(run))
    {
        return 0;
    }

    return azoai_pii_context_near(v, len, start, run->end,
                                  azoai_phone_words);
}


/*
 * GB, DE, FR, NL, IT (fixed), JP, AU, IN (fixed): "0", a non-zero digit
 * ("00" dials abroad), 9-12 digits in all; the first group (area code
 * with its "0") of 2-5 digits, then groups of 2-8, or 10-11 unbroken
 */

static int
azoai_pii_phone_trunk_ok(const azoai_phone_run_t *run)
{
    size_t  g;

    if (run->digits[0] != '0' || run->digits[1] == '0'
        || run->ndigits < AZOAI_PHONE_TRUNK_MIN
        || run->ndigits > AZOAI_PHONE_TRUNK_MAX)
    {
        return 0;
    }

    if (run->ngroups == 1) {
        return run->ndigits >= AZOAI_PHONE_RUN_MIN
               && run->ndigits <= AZOAI_PHONE_RUN_MAX;
    }

    if (run->group_len[0] < AZOAI_PHONE_AREA_MIN
        || run->group_len[0] > AZOAI_PHONE_AREA_MAX)
    {
        return 0;
    }

    for (g = 1; g < run->ngroups; g++) {
        if (run->group_len[g] < AZOAI_PHONE_GROUP_MIN
            || run->group_len[g] > AZOAI_PHONE_GROUP_MAX)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * "00" and an international number ("0044 20 7946 0958", "00 49 30
 * ..."): the "+" dialled from Europe, India, Brazil and most of the world
 * (ITU-T E.164 recommends it as the international prefix)
 */

static int
azoai_pii_phone_00_ok(const azoai_phone_run_t *run)
{
    size_t                     g;
    azoai_phone_run_t          intl;
    const azoai_phone_plan_t  *p;

    if (run->digits[0] != '0' || run->digits[1] != '0'
        || run->ndigits < 2 + AZOAI_PHONE_INTL_MIN)
    {
        return 0;
    }

    intl = *run;
    intl.ndigits -= 2;
    memmove(intl.digits, run->digits + 2, intl.ndigits);

    if (run->group_len[0] > 2) {
        intl.group_len[0] -= 2;

    } else if (run->group_len[0] == 2) {
        intl.ngroups--;

        for (g = 0; g < intl.ngroups; g++) {
            intl.group_len[g] = run->group_len[g + 1];
        }

    } else {
        return 0;
    }

    /* the national number after a known code has no trunk "0" */

    p = azoai_pii_phone_plan(intl.digits, intl.ndigits);

    if (p != NULL && intl.digits[strlen(p->cc)] == '0') {
        return 0;
    }

    return azoai_pii_phone_intl_ok(&intl);
}


static int
azoai_pii_phone_form_ok(const azoai_phone_run_t *run)
{
    size_t                     k;
    const azoai_phone_form_t  *f;

    for (k = 0; k < sizeof(azoai_phone_forms) / sizeof(azoai_phone_forms[0]);
         k++)
    {
        f = &azoai_phone_forms[k];

        if (run->ndigits == f->n && (run->paren_group == 0) == f->paren
            && strchr(f->first, run->digits[0]) != NULL
            && azoai_pii_phone_next_ok(run, f->next)
            && azoai_pii_phone_layout(run, f->layouts))
        {
            return 1;
        }
    }

    return 0;
}


/* the digits after the first are as next says */

static int
azoai_pii_phone_next_ok(const azoai_phone_run_t *run, const char *next)
{
    size_t  k;
    u_char  d;

    if (next == NULL) {
        return 1;
    }

    for (k = 0; next[k] != '\0' && k + 1 < run->ndigits; k++) {
        d = run->digits[k + 1];

        if (next[k] == 'n' ? d == '0' : next[k] != 'd' && next[k] != d) {
            return 0;
        }
    }

    return next[k] == '\0';
}


/* the groups of run are one of layouts ("334|37") */

static int
azoai_pii_phone_layout(const azoai_phone_run_t *run, const char *layouts)
{
    size_t       g;
    const char  *p;

    p = layouts;

    for ( ;; ) {
        for (g = 0; g < run->ngroups && p[g] != '\0' && p[g] != '|'
                    && run->group_len[g] == (size_t) ((p[g] >= 'a')
                                                      ? p[g] - 'a' + 10
                                                      : p[g] - '0');
             g++)
        {
            /* void */
        }

        if (g == run->ngroups && (p[g] == '\0' || p[g] == '|')) {
            return 1;
        }

        p = strchr(p, '|');

        if (p == NULL) {
            return 0;
        }

        p++;
    }
}
