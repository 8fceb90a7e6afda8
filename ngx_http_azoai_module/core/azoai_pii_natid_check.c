/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The checks of the national and health identifiers: each takes the
 * first k groups (n letters and digits) of a token read by
 * azoai_pii_detect_natid.c and says whether they are a valid identifier
 * of its type, needing a context word or not.  Each names the
 * specification of its format and check.
 */

#include <string.h>

#include "azoai_pii_natid.h"


#define azoai_natid_upper(c)   ((u_char) ((c) - 'A') < 26)
#define azoai_natid_val(c)     ((unsigned) ((c) - '0'))

/* a digit of a codice fiscale, written as such or as L-V (omocodia) */
#define azoai_natid_cf_digit(c)                                              \
    (azoai_pii_digit(c) ? azoai_natid_val(c)                                \
                        : (unsigned) (strchr(azoai_natid_omocodia, (c))    \
                                      - azoai_natid_omocodia))


static int azoai_natid_digits(const u_char *c, size_t n);
static int azoai_natid_luhn(const u_char *c, size_t n, unsigned prefix);
static int azoai_natid_uk_nhs(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_uk_nino(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_us_itin(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_us_mbi(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_us_npi(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_ca_sin(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_de_tax_id(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_fr_nir(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_es_dni(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_it_fiscal(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_nl_bsn(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_in_aadhaar(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_br_cpf(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_au_tfn(const azoai_natid_tok_t *t, size_t k,
    size_t n);
static int azoai_natid_sg_nric(const azoai_natid_tok_t *t, size_t k,
    size_t n);


/* it_fiscal_code: the letters that stand for the digits 0-9 */
static const char  azoai_natid_omocodia[] = "LMNPQRSTUV";


/* context words, lower-case; README lists them */

static const char *const  azoai_natid_nhs_words[] = {
    "nhs", "health service", "chi number", NULL
};
static const char *const  azoai_natid_itin_words[] = {
    "itin", "taxpayer identification", NULL
};
static const char *const  azoai_natid_npi_words[] = {
    "npi", "national provider", NULL
};
static const char *const  azoai_natid_sin_words[] = {
    "sin", "social insurance", "nas", "assurance sociale", NULL
};
static const char *const  azoai_natid_de_words[] = {
    "steuer-id", "steuerid", "steuer-idnr", "idnr",
    "steueridentifikationsnummer", "steuer-identifikationsnummer",
    "identifikationsnummer", "tax id", "tin", NULL
};
static const char *const  azoai_natid_bsn_words[] = {
    "bsn", "burgerservicenummer", "sofinummer", "sofi-nummer",
    "citizen service number", NULL
};
static const char *const  azoai_natid_aadhaar_words[] = {
    "aadhaar", "aadhar", "uidai",
    "\xe0\xa4\x86\xe0\xa4\xa7\xe0\xa4\xbe\xe0\xa4\xb0",   /* Hindi */
    NULL
};
static const char *const  azoai_natid_cpf_words[] = {
    "cpf", "cadastro de pessoas", NULL
};
static const char *const  azoai_natid_tfn_words[] = {
    "tfn", "tax file number", NULL
};


/* strong formats first: on a tie the first that accepts names the span */

const azoai_natid_kind_t  azoai_natid_kinds[] = {
    { AZOAI_PII_IT_FISCAL, AZOAI_NATID_LEN(16), azoai_natid_it_fiscal,
      NULL },
    { AZOAI_PII_FR_NIR, AZOAI_NATID_LEN(15), azoai_natid_fr_nir, NULL },
    { AZOAI_PII_US_MBI, AZOAI_NATID_LEN(11), azoai_natid_us_mbi, NULL },
    { AZOAI_PII_UK_NINO, AZOAI_NATID_LEN(9), azoai_natid_uk_nino, NULL },
    { AZOAI_PII_SG_NRIC, AZOAI_NATID_LEN(9), azoai_natid_sg_nric, NULL },
    { AZOAI_PII_ES_DNI, AZOAI_NATID_LEN(9), azoai_natid_es_dni, NULL },
    { AZOAI_PII_BR_CPF, AZOAI_NATID_LEN(11), azoai_natid_br_cpf,
      azoai_natid_cpf_words },
    { AZOAI_PII_US_ITIN, AZOAI_NATID_LEN(9), azoai_natid_us_itin,
      azoai_natid_itin_words },
    { AZOAI_PII_UK_NHS, AZOAI_NATID_LEN(10), azoai_natid_uk_nhs,
      azoai_natid_nhs_words },
    { AZOAI_PII_US_NPI, AZOAI_NATID_LEN(10), azoai_natid_us_npi,
      azoai_natid_npi_words },
    { AZOAI_PII_IN_AADHAAR, AZOAI_NATID_LEN(12), azoai_natid_in_aadhaar,
      azoai_natid_aadhaar_words },
    { AZOAI_PII_DE_TAX_ID, AZOAI_NATID_LEN(11), azoai_natid_de_tax_id,
      azoai_natid_de_words },
    { AZOAI_PII_NL_BSN, AZOAI_NATID_LEN(9), azoai_natid_nl_bsn,
      azoai_natid_bsn_words },
    { AZOAI_PII_CA_SIN, AZOAI_NATID_LEN(9), azoai_natid_ca_sin,
      azoai_natid_sin_words },
    { AZOAI_PII_AU_TFN, AZOAI_NATID_LEN(9), azoai_natid_au_tfn,
      azoai_natid_tfn_words }
};

const size_t  azoai_natid_nkinds =
    sizeof(azoai_natid_kinds) / sizeof(azoai_natid_kinds[0]);


static int
azoai_natid_digits(const u_char *c, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (!azoai_pii_digit(c[i])) {
            return 0;
        }
    }

    return 1;
}


/* ISO/IEC 7812 Luhn over the decimal prefix (written before c) and c */

static int
azoai_natid_luhn(const u_char *c, size_t n, unsigned prefix)
{
    size_t    i, pos;
    unsigned  d, sum;

    sum = 0;
    pos = 0;

    for (i = n; i-- > 0; pos++) {
        d = azoai_natid_val(c[i]);
        sum += (pos & 1) ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d;
    }

    for ( /* void */ ; prefix; prefix /= 10, pos++) {
        d = prefix % 10;
        sum += (pos & 1) ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d;
    }

    return sum % 10 == 0;
}


/*
 * NHS number (NHS Data Dictionary): 10 digits, "3 3 4" as written;
 * weights 10..2 on the first nine, check 11 - sum mod 11 (11 is 0, 10 is
 * never issued).  One number in eleven passes: context needed.
 */

static int
azoai_natid_uk_nhs(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t    i;
    unsigned  sum, check;

    if (n != 10 || (k != 1 && !azoai_natid_shape(t, k, "3_3_4"))
        || !azoai_natid_digits(t->c, 10))
    {
        return AZOAI_NATID_NO;
    }

    for (sum = 0, i = 0; i < 9; i++) {
        sum += azoai_natid_val(t->c[i]) * (10 - i);
    }

    check = 11 - sum % 11;
    check = (check == 11) ? 0 : check;

    return (check != 10 && check == azoai_natid_val(t->c[9]))
           ? AZOAI_NATID_CONTEXT : AZOAI_NATID_NO;
}


/*
 * National Insurance number (HMRC NIM39110): two prefix letters (not D,
 * F, I, Q, U, V; the second not O either; not BG, GB, KN, NK, NT, TN,
 * ZZ), six digits, suffix A-D; "AB123456C" or "AB 12 34 56 C".
 */

static int
azoai_natid_uk_nino(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t         i;
    const u_char  *c;

    static const char  *bad_first = "DFIQUV";
    static const char  *bad_second = "DFIOQUV";
    static const char  *bad_pairs[] = { "BG", "GB", "KN", "NK", "NT", "TN",
                                        "ZZ" };

    c = t->c;

    if (n != 9 || (k != 1 && !azoai_natid_shape(t, k, "2 2 2 2 1"))
        || !azoai_natid_upper(c[0]) || !azoai_natid_upper(c[1])
        || !azoai_natid_digits(c + 2, 6) || c[8] < 'A' || c[8] > 'D')
    {
        return AZOAI_NATID_NO;
    }

    for (i = 0; i < 7; i++) {
        if (bad_first[i % 6] == c[0] || bad_second[i] == c[1]
            || (bad_pairs[i][0] == c[0] && bad_pairs[i][1] == c[1]))
        {
            return AZOAI_NATID_NO;
        }
    }

    return AZOAI_NATID_YES;
}


/*
 * ITIN (IRS Pub. 1915): 9XX-XX-XXXX, the middle group 50-65, 70-88,
 * 90-92 or 94-99.  No check digit, and "987-65-4321" is a common
 * placeholder: context needed.
 */

static int
azoai_natid_us_itin(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    unsigned  g;

    if (n != 9 || !azoai_natid_digits(t->c, 9) || t->c[0] != '9') {
        return AZOAI_NATID_NO;
    }

    g = azoai_natid_val(t->c[3]) * 10 + azoai_natid_val(t->c[4]);

    if (!((g >= 50 && g <= 65) || (g >= 70 && g <= 88)
          || (g >= 90 && g <= 92) || g >= 94))
    {
        return AZOAI_NATID_NO;
    }

    return (k == 1 || azoai_natid_shape(t, k, "3_2_4"))
           ? AZOAI_NATID_CONTEXT : AZOAI_NATID_NO;
}


/*
 * Medicare Beneficiary Identifier (CMS MBI format): 11 characters
 * C A AN N A AN N A A N N, C 1-9, A a capital letter but S, L, O, I, B,
 * Z, AN either; plain or "4-3-4".  No check digit, a narrow layout.
 */

static int
azoai_natid_us_mbi(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t         i;
    u_char         c;

    static const char  layout[] = "CAxNAxNAANN";

    if (n != 11 || (k != 1 && !azoai_natid_shape(t, k, "4-3-4"))) {
        return AZOAI_NATID_NO;
    }

    for (i = 0; i < 11; i++) {
        c = t->c[i];

        if (azoai_pii_digit(c)) {
            if (layout[i] == 'A' || (layout[i] == 'C' && c == '0')) {
                return AZOAI_NATID_NO;
            }

            continue;
        }

        if (layout[i] == 'N' || layout[i] == 'C' || !azoai_natid_upper(c)
            || c == 'S' || c == 'L' || c == 'O' || c == 'I' || c == 'B'
            || c == 'Z')
        {
            return AZOAI_NATID_NO;
        }
    }

    return AZOAI_NATID_YES;
}


/*
 * NPI (CMS NPI check digit): 10 digits starting 1 or 2, Luhn over the
 * number with the card issuer prefix 80840 before it.  Context needed.
 */

static int
azoai_natid_us_npi(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    if (n != 10 || k != 1 || (t->c[0] != '1' && t->c[0] != '2')
        || !azoai_natid_digits(t->c, 10))
    {
        return AZOAI_NATID_NO;
    }

    return azoai_natid_luhn(t->c, 10, 80840) ? AZOAI_NATID_CONTEXT
                                             : AZOAI_NATID_NO;
}


/*
 * Social Insurance Number (ESDC): 9 digits, "3 3 3", not starting 0 or 8,
 * Luhn.  One in ten passes: context needed.
 */

static int
azoai_natid_ca_sin(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    if (n != 9 || (k != 1 && !azoai_natid_shape(t, k, "3_3_3"))
        || !azoai_natid_digits(t->c, 9) || t->c[0] == '0' || t->c[0] == '8')
    {
        return AZOAI_NATID_NO;
    }

    return azoai_natid_luhn(t->c, 9, 0) ? AZOAI_NATID_CONTEXT
                                        : AZOAI_NATID_NO;
}


/*
 * Steuerliche Identifikationsnummer (BZSt, section 139b AO): 11 digits,
 * not starting 0; in the first ten one digit occurs twice or three
 * times, the others at most once; check digit ISO/IEC 7064 MOD 11,10.
 * Context needed.
 */

static int
azoai_natid_de_tax_id(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t    i;
    unsigned  d, p, s, repeated, count[10] = { 0 };

    if (n != 11 || (k != 1 && !azoai_natid_shape(t, k, "2 3 3 3"))
        || !azoai_natid_digits(t->c, 11) || t->c[0] == '0')
    {
        return AZOAI_NATID_NO;
    }

    repeated = 0;
    p = 10;

    for (i = 0; i < 10; i++) {
        d = azoai_natid_val(t->c[i]);

        if (++count[d] == 2) {
            repeated++;
        }

        if (count[d] > 3) {
            return AZOAI_NATID_NO;
        }

        s = (d + p) % 10;
        p = (2 * (s ? s : 10)) % 11;
    }

    d = (11 - p) % 10;

    return (repeated == 1 && d == azoai_natid_val(t->c[10]))
           ? AZOAI_NATID_CONTEXT : AZOAI_NATID_NO;
}


/*
 * NIR, numero de securite sociale (INSEE): sex 1, 2, 7 or 8, year,
 * month 01-12 or 20-42 or 50-99, department (2A, 2B: Corsica), commune,
 * order, key 97 - (the 13 first, 2A as 19 and 2B as 18) mod 97.
 */

static int
azoai_natid_fr_nir(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t         i;
    unsigned       m, r;
    const u_char  *c;

    c = t->c;

    if (n != 15 || (k != 1 && !azoai_natid_shape(t, k, "d 2")
                    && !azoai_natid_shape(t, k, "1 2 2 2 3 3 2"))
        || (c[0] != '1' && c[0] != '2' && c[0] != '7' && c[0] != '8')
        || !azoai_natid_digits(c, 5) || !azoai_natid_digits(c + 7, 8))
    {
        return AZOAI_NATID_NO;
    }

    m = azoai_natid_val(c[3]) * 10 + azoai_natid_val(c[4]);

    if (m == 0 || (m > 12 && m < 20) || (m > 42 && m < 50)) {
        return AZOAI_NATID_NO;
    }

    for (r = 0, i = 0; i < 13; i++) {
        if (i == 5 && c[5] == '2' && (c[6] == 'A' || c[6] == 'B')) {
            r = (r * 100 + (c[6] == 'A' ? 19 : 18)) % 97;
            i++;
            continue;
        }

        if (!azoai_pii_digit(c[i])) {
            return AZOAI_NATID_NO;
        }

        r = (r * 10 + azoai_natid_val(c[i])) % 97;
    }

    m = azoai_natid_val(c[13]) * 10 + azoai_natid_val(c[14]);

    return (97 - r == m) ? AZOAI_NATID_YES : AZOAI_NATID_NO;
}


/*
 * DNI and NIE (Real Decreto 1553/2005, Orden INT/2058/2008): 8 digits, or
 * X, Y or Z (0, 1, 2) and 7 digits, then the letter of the number mod 23.
 */

static int
azoai_natid_es_dni(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t         i;
    unsigned       r;
    const u_char  *c;

    static const char  letters[] = "TRWAGMYFPDXBNJZSQVHLCKE";

    c = t->c;

    if (n != 9 || (k != 1 && !azoai_natid_shape(t, k, "8_1")
                   && !azoai_natid_shape(t, k, "1_7_1")))
    {
        return AZOAI_NATID_NO;
    }

    if (c[0] == 'X' || c[0] == 'Y' || c[0] == 'Z') {
        r = c[0] - 'X';

    } else if (azoai_pii_digit(c[0])) {
        r = azoai_natid_val(c[0]);

    } else {
        return AZOAI_NATID_NO;
    }

    if (!azoai_natid_digits(c + 1, 7)) {
        return AZOAI_NATID_NO;
    }

    for (i = 1; i < 8; i++) {
        r = r * 10 + azoai_natid_val(c[i]);
    }

    return (c[8] == (u_char) letters[r % 23]) ? AZOAI_NATID_YES
                                              : AZOAI_NATID_NO;
}


/*
 * Codice fiscale (DM 23/12/1976): 6 letters, year, month letter, day
 * (01-31, women 41-71), place (letter and 3), check letter; any of the 7
 * digits may be written as a letter L-V for 0-9 (omocodia), up to all of
 * them; the check character sums the 15 first as written, odd positions
 * by the odd table, even ones by their value.
 */

static int
azoai_natid_it_fiscal(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t         i;
    unsigned       sum, v, day;
    const u_char  *c;

    static const char     layout[] = "LLLLLLNNMNNLNNNL";
    static const u_char   odd[26] = { 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2,
                                      4, 18, 20, 11, 3, 6, 8, 12, 14, 16,
                                      10, 22, 25, 24, 23 };

    c = t->c;

    if (n != 16 || k != 1) {
        return AZOAI_NATID_NO;
    }

    for (sum = 0, i = 0; i < 16; i++) {
        if (azoai_pii_digit(c[i])) {
            if (layout[i] != 'N') {
                return AZOAI_NATID_NO;
            }

            v = azoai_natid_val(c[i]);

        } else if (!azoai_natid_upper(c[i])
                   || (layout[i] == 'N'
                       && !memchr(azoai_natid_omocodia, c[i], 10))
                   || (layout[i] == 'M' && !memchr("ABCDEHLMPRST", c[i], 12)))
        {
            return AZOAI_NATID_NO;

        } else {
            v = c[i] - 'A';
        }

        if (i < 15) {
            sum += (i % 2 == 0) ? odd[v] : v;
        }
    }

    day = azoai_natid_cf_digit(c[9]) * 10 + azoai_natid_cf_digit(c[10]);

    if (day == 0 || (day > 31 && day < 41) || day > 71) {
        return AZOAI_NATID_NO;
    }

    return (c[15] == 'A' + sum % 26) ? AZOAI_NATID_YES : AZOAI_NATID_NO;
}


/*
 * BSN (Wet algemene bepalingen burgerservicenummer): 9 digits, the
 * "11-proef": 9d1 + 8d2 + ... + 2d8 - d9 is a multiple of 11.  One in
 * eleven passes: context needed.
 */

static int
azoai_natid_nl_bsn(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t  i;
    long    sum;

    if (n != 9 || (k != 1 && !azoai_natid_shape(t, k, "4.2.3")
                   && !azoai_natid_shape(t, k, "3_3_3")
                   && !azoai_natid_shape(t, k, "3.3.3"))
        || !azoai_natid_digits(t->c, 9))
    {
        return AZOAI_NATID_NO;
    }

    for (sum = 0, i = 0; i < 8; i++) {
        sum += (long) azoai_natid_val(t->c[i]) * (long) (9 - i);
    }

    sum -= azoai_natid_val(t->c[8]);

    return (sum > 0 && sum % 11 == 0) ? AZOAI_NATID_CONTEXT
                                      : AZOAI_NATID_NO;
}


/*
 * Aadhaar (UIDAI): 12 digits, not starting 0 or 1, "4 4 4", Verhoeff
 * check digit.  Context needed.
 */

static int
azoai_natid_in_aadhaar(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t    i, pos;
    unsigned  c;

    static const u_char  d[10][10] = {
        { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 2, 3, 4, 0, 6, 7, 8, 9, 5 },
        { 2, 3, 4, 0, 1, 7, 8, 9, 5, 6 }, { 3, 4, 0, 1, 2, 8, 9, 5, 6, 7 },
        { 4, 0, 1, 2, 3, 9, 5, 6, 7, 8 }, { 5, 9, 8, 7, 6, 0, 4, 3, 2, 1 },
        { 6, 5, 9, 8, 7, 1, 0, 4, 3, 2 }, { 7, 6, 5, 9, 8, 2, 1, 0, 4, 3 },
        { 8, 7, 6, 5, 9, 3, 2, 1, 0, 4 }, { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 }
    };
    static const u_char  p[8][10] = {
        { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 5, 7, 6, 2, 8, 3, 0, 9, 4 },
        { 5, 8, 0, 3, 7, 9, 6, 1, 4, 2 }, { 8, 9, 1, 6, 0, 4, 3, 5, 2, 7 },
        { 9, 4, 5, 3, 1, 2, 6, 8, 7, 0 }, { 4, 2, 8, 6, 5, 7, 3, 9, 0, 1 },
        { 2, 7, 9, 3, 8, 0, 6, 4, 1, 5 }, { 7, 0, 4, 6, 9, 1, 3, 2, 5, 8 }
    };

    if (n != 12 || (k != 1 && !azoai_natid_shape(t, k, "4_4_4"))
        || !azoai_natid_digits(t->c, 12) || t->c[0] < '2')
    {
        return AZOAI_NATID_NO;
    }

    for (c = 0, pos = 0, i = 12; i-- > 0; pos++) {
        c = d[c][p[pos % 8][azoai_natid_val(t->c[i])]];
    }

    return (c == 0) ? AZOAI_NATID_CONTEXT : AZOAI_NATID_NO;
}


/*
 * CPF (Receita Federal): 11 digits, two mod 11 check digits, not one digit
 * repeated; "123.456.789-09" is clear, 11 plain digits need context.
 */

static int
azoai_natid_br_cpf(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t         i, j;
    unsigned       sum, same;
    const u_char  *c;

    c = t->c;

    if (n != 11 || !azoai_natid_digits(c, 11)) {
        return AZOAI_NATID_NO;
    }

    for (same = 1, i = 1; i < 11; i++) {
        same &= (c[i] == c[0]);
    }

    if (same) {
        return AZOAI_NATID_NO;
    }

    for (j = 9; j < 11; j++) {
        for (sum = 0, i = 0; i < j; i++) {
            sum += azoai_natid_val(c[i]) * (unsigned) (j + 1 - i);
        }

        if ((sum * 10) % 11 % 10 != azoai_natid_val(c[j])) {
            return AZOAI_NATID_NO;
        }
    }

    if (azoai_natid_shape(t, k, "3.3.3-2")) {
        return AZOAI_NATID_YES;
    }

    return (k == 1) ? AZOAI_NATID_CONTEXT : AZOAI_NATID_NO;
}


/*
 * Tax File Number (ATO): 9 digits, weights 1 4 3 7 5 8 6 9 10, the sum a
 * multiple of 11.  Context needed.
 */

static int
azoai_natid_au_tfn(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t    i;
    unsigned  sum;

    static const u_char  w[9] = { 1, 4, 3, 7, 5, 8, 6, 9, 10 };

    if (n != 9 || (k != 1 && !azoai_natid_shape(t, k, "3_3_3"))
        || !azoai_natid_digits(t->c, 9))
    {
        return AZOAI_NATID_NO;
    }

    for (sum = 0, i = 0; i < 9; i++) {
        sum += azoai_natid_val(t->c[i]) * w[i];
    }

    return (sum % 11 == 0) ? AZOAI_NATID_CONTEXT : AZOAI_NATID_NO;
}


/*
 * NRIC and FIN (ICA): S, T, F, G or M, 7 digits, a check letter from
 * weights 2 7 6 5 4 3 2 (plus 4 for T and G, 3 for M) mod 11.
 */

static int
azoai_natid_sg_nric(const azoai_natid_tok_t *t, size_t k, size_t n)
{
    size_t         i;
    unsigned       sum;
    const char    *table;
    const u_char  *c;

    static const u_char  w[7] = { 2, 7, 6, 5, 4, 3, 2 };

    c = t->c;

    if (n != 9 || k != 1 || !azoai_natid_digits(c + 1, 7)) {
        return AZOAI_NATID_NO;
    }

    switch (c[0]) {

    case 'S':
    case 'T':
        table = "JZIHGFEDCBA";
        break;

    case 'F':
    case 'G':
        table = "XWUTRQPNMLK";
        break;

    case 'M':
        table = "XWUTRQPNJLK";
        break;

    default:
        return AZOAI_NATID_NO;
    }

    /* the century or series adds to the sum: T and G 4, M 3 */
    sum = (c[0] == 'T' || c[0] == 'G') ? 4 : (c[0] == 'M') ? 3 : 0;

    for (i = 0; i < 7; i++) {
        sum += azoai_natid_val(c[i + 1]) * w[i];
    }

    return (c[8] == (u_char) table[sum % 11]) ? AZOAI_NATID_YES
                                              : AZOAI_NATID_NO;
}
