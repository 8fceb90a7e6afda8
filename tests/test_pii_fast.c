/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The fast paths of the engine give what the general ones give: the
 * candidate search (its quick superset test and exact windows) and the
 * special-byte count (AVX2, SSE2 and scalar tails) against byte-by-byte
 * references at every offset and length; the credential byte class
 * against its comparisons; the one-pass context word search against the
 * word-by-offset one; azoai_pii_scan_raw() of plain ASCII without the
 * view passes against azoai_pii_scan(); the numeric prechecks let each
 * numeric detector through, and the inline refusals before the IBAN and
 * national id detectors are exact; the IBAN reader's four digits at a
 * time against the one-character reference; the e-mail local part's and
 * domain's 16-byte tests against the byte loops; the tokenizer's
 * vectorised string scan at every length and position of the byte that
 * ends it.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azoai_ascii.h"
#include "azoai_pii_int.h"
#include "azoai_json.h"
#include "test_util.h"
#include "test_pii_util.h"


#define ROUNDS      4000
#define MAX_TEXT    700
#define CURSOR_TEXT 2400
#define MAX_MATCH   64


typedef struct {
    azoai_pii_match_t   m[MAX_MATCH];
    size_t              n;
} match_list_t;


static int collect(void *data, const azoai_pii_match_t *m);
static int collect_all(void *data, const azoai_pii_match_t *m, size_t n);
static size_t random_ascii(char *buf, size_t cap);
static int count_string(void *data, const azoai_json_value_t *v);
static void check_natid_pair(const u_char *text, size_t n, size_t i);


/* ASCII pieces without backslashes: text the tokenizer reports plain */
static const char  *pieces[] = {
    "a", "b", "f", "Z", " ", ".", "-", "(", ")", "+", ":", "@", "0", "1",
    "4", "9", ",", "_", "%", "x@y.com", "415-555-2671", "10.0.0.1", "::1",
    "4111 1111 1111 1111", "4111111111111111", "536-22-1004",
    "536 22 1004", "+1 415-555-0113", "+(415) 555-1234",
    "1 (415) 555-1234", "1-415-555-1234", "555.123.4567",
    "FI95 9086 5501 8030 09", "DE89370400440532013000", "fe80::1",
    "2001:db8::8a2e:370:7334", "ab::cd", "12:30", "3.5", "2023", "GB",
    "the quarterly report ", "word", "Z9", "1.2.3.4.5", "+44 20 7946 0958"
};


static int
collect(void *data, const azoai_pii_match_t *m)
{
    match_list_t  *list = data;

    if (list->n == MAX_MATCH) {
        return -1;
    }

    list->m[list->n++] = *m;

    return 0;
}


static int
collect_all(void *data, const azoai_pii_match_t *m, size_t n)
{
    size_t  i;

    /* one call a string, never without a match */

    if (n == 0 || ((match_list_t *) data)->n != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (collect(data, &m[i]) != 0) {
            return -1;
        }
    }

    return 0;
}


static size_t
random_ascii(char *buf, size_t cap)
{
    size_t       n, k, len;
    const char  *p;

    n = 0;
    k = (size_t) (rand() % 60);

    while (k--) {
        p = pieces[rand() % (sizeof(pieces) / sizeof(pieces[0]))];
        len = strlen(p);

        if (n + len >= cap) {
            break;
        }

        memcpy(buf + n, p, len);
        n += len;
    }

    buf[n] = '\0';

    return n;
}


/* find_cand() is the first byte of the candidate class, from any offset */

static void
test_find_cand(void **state)
{
    int     r;
    size_t  len, from, i, want, got;
    u_char  text[MAX_TEXT];

    static const u_char  alphabet[] = "abz XY.,-)0159:@+(\xc3\xa9\\;<=>?/A";

    srand(4242);

    for (r = 0; r < 400; r++) {
        len = (size_t) (rand() % 300);

        /* sparse candidates: long candidate-free runs hit every loop */
        for (i = 0; i < len; i++) {
            text[i] = (rand() % 40)
                      ? alphabet[rand() % 4]
                      : alphabet[rand() % (sizeof(alphabet) - 1)];
        }

        for (from = 0; from <= len; from++) {
            want = from;

            while (want < len && !azoai_pii_is(text[want], AZOAI_PC_CAND)) {
                want++;
            }

            got = azoai_pii_find_cand(text, from, len);

            if (got != want) {
                print_error("len %zu from %zu: %zu, want %zu\n", len, from,
                            got, want);
                fail();
            }
        }
    }
}


/*
 * the cursor stops where azoai_pii_find_cand() would, on forward walks
 * with every step size, so that both kept masks and fresh windows are hit;
 * the last rounds have texts long and sparse enough for searches of
 * 512-byte blocks from every offset.  The cursor walks a copy in a
 * malloc() block of the text's size: a read past the end fails under
 * ASan (make unit-asan).
 */

static void
test_cursor_next(void **state)
{
    int                 r;
    size_t              len, i, from, step, want, got;
    u_char             *exact;
    u_char              text[CURSOR_TEXT];
    azoai_pii_cursor_t  cur;

    static const u_char  alphabet[] = "abz XY.,-)0159:@+(\xc3\xa9\\;<=>?/A";

    srand(4343);

    for (r = 0; r < 500; r++) {
        len = (r < 400) ? (size_t) (rand() % 400)
                        : (size_t) (rand() % CURSOR_TEXT);

        for (i = 0; i < len; i++) {
            text[i] = (rand() % ((r < 400) ? 30 : 400))
                      ? alphabet[rand() % 4]
                      : alphabet[rand() % (sizeof(alphabet) - 1)];
        }

        exact = malloc(len ? len : 1);
        assert_non_null(exact);
        memcpy(exact, text, len);

        for (step = 1; step < 80; step += 1 + step / 4) {
            azoai_pii_cursor_init(&cur, exact, len);
            from = 0;

            while (from <= len) {
                want = azoai_pii_find_cand(text, from, len);
                got = azoai_pii_cursor_next(&cur, from);

                if (got != want) {
                    print_error("len %zu from %zu step %zu: %zu, want %zu\n",
                                len, from, step, got, want);
                    fail();
                }

                if (got >= len) {
                    break;
                }

                /* past the stop, or a jump ahead of it */
                from = (r & 1) ? got + 1 : from + step;
            }
        }

        free(exact);
    }
}


/*
 * The end of a text, fewer than 128 bytes from where the search starts:
 * the quick test of the bytes left also covers up to 63 before from, in
 * the last 64.  One candidate (or a near miss, ';') at every offset,
 * before from and after it, and every from, on texts of 64 to 200 bytes:
 * a fresh cursor stops where azoai_pii_find_cand() does.
 */

static void
test_cursor_tail(void **state)
{
    size_t              len, from, at, c, want, got;
    u_char              text[200];
    azoai_pii_cursor_t  cur;

    static const u_char  marks[] = "7@:;";

    for (c = 0; c < sizeof(marks) - 1; c++) {
        for (len = 64; len <= sizeof(text); len++) {
            for (at = 0; at < len; at++) {
                memset(text, 'a', len);
                text[at] = marks[c];

                for (from = 0; from <= len; from++) {
                    want = azoai_pii_find_cand(text, from, len);

                    azoai_pii_cursor_init(&cur, text, len);
                    got = azoai_pii_cursor_next(&cur, from);

                    if (got != want) {
                        print_error("'%c' at %zu, len %zu, from %zu: %zu, "
                                    "want %zu\n", marks[c], at, len, from,
                                    got, want);
                        fail();
                    }
                }
            }
        }
    }
}


/*
 * The cursor's scan is the CPU's, chosen when the library was loaded: the
 * AVX2 one where the build and the CPU have it, else
 * azoai_pii_cursor_scan(); every cursor set up takes it
 */

static void
test_cursor_scan_cpu(void **state)
{
    int                 avx2;
    azoai_pii_cursor_t  cur;

    (void) state;

    avx2 = 0;

#if defined(__x86_64__) && defined(__GNUC__) && !defined(AZOAI_NO_AVX2)
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2");
#endif

    assert_non_null(azoai_pii_cursor_scan_cpu);
    assert_int_equal(azoai_pii_cursor_scan_cpu != azoai_pii_cursor_scan,
                     avx2 != 0);

    azoai_pii_cursor_init(&cur, (const u_char *) "a 1", 3);

    assert_true(cur.scan == azoai_pii_cursor_scan_cpu);
    assert_int_equal(azoai_pii_cursor_next(&cur, 0), 2);
    assert_int_equal(azoai_pii_cursor_next(&cur, 3), 3);
}


/*
 * Every byte value at every offset of the four 128-byte blocks of a
 * 512-byte step, of the 128-byte steps after it and of the 64-byte
 * windows at the end, in text of bytes next to the candidate range ('/',
 * 'A') and, in a second round, of the non-candidate bytes inside the
 * quick test's range (";<=>?"): the cursor stops where the byte-by-byte
 * class test does.  A second hit after the first, anywhere later, must
 * not move the stop.
 */

static void
test_cursor_every_byte(void **state)
{
    size_t              len, at, k, f, want, got;
    u_char              text[832];
    unsigned            c;
    azoai_pii_cursor_t  cur;

    static const char  *fillers[] = { "/A a ", ";<=>?" };

    for (f = 0; f < 2; f++) {
        for (len = 0; len < sizeof(text); len++) {
            text[len] = fillers[f][len % strlen(fillers[f])];
        }

        for (c = 0; c < 256; c++) {
            for (at = 0; at < 780; at++) {
                k = text[at];
                text[at] = (u_char) c;

                for (len = at + 1; len <= sizeof(text); len += 97) {
                    want = azoai_pii_is(c, AZOAI_PC_CAND) ? at : len;

                    azoai_pii_cursor_init(&cur, text, len);
                    got = azoai_pii_cursor_next(&cur, 0);

                    if (got != want) {
                        print_error("filler %zu, byte 0x%02x at %zu, len "
                                    "%zu: %zu, want %zu\n", f, c, at, len,
                                    got, want);
                        fail();
                    }
                }

                text[at] = (u_char) k;
            }
        }

        /* a digit later in the same or a later block changes nothing */

        for (at = 0; at < 700; at++) {
            for (k = at + 1; k < sizeof(text); k += 37) {
                text[at] = '7';
                text[k] = '@';

                azoai_pii_cursor_init(&cur, text, sizeof(text));
                got = azoai_pii_cursor_next(&cur, 0);

                text[at] = fillers[f][at % strlen(fillers[f])];
                text[k] = fillers[f][k % strlen(fillers[f])];

                if (got != at) {
                    print_error("filler %zu, digit at %zu, '@' at %zu: "
                                "%zu\n", f, at, k, got);
                    fail();
                }
            }
        }
    }
}


/*
 * The reference for azoai_pii_context_near(): each word tried at each
 * offset, as it was written before its one-pass form (word_at_ref() is
 * the word test of azoai_pii_detect_natid.c)
 */

static int
word_at_ref(const u_char *v, size_t len, size_t i, const char *w,
    size_t wlen)
{
    size_t  k;

    for (k = 0; k < wlen; k++) {
        if (azoai_ascii_lower(v[i + k]) != (u_char) w[k]) {
            return 0;
        }
    }

    if ((i > 0 && azoai_pii_is(v[i - 1], AZOAI_PC_ALPHA))
        || (i + wlen < len && azoai_pii_is(v[i + wlen], AZOAI_PC_ALPHA)))
    {
        return 0;
    }

    while (i > 0 && ((v[i - 1] >= 'A' && v[i - 1] <= 'Z')
                     || (v[i - 1] >= '0' && v[i - 1] <= '9')
                     || v[i - 1] == '_'))
    {
        i--;
    }

    return i == 0 || v[i - 1] != '[';
}


static int
context_near_ref(const u_char *v, size_t len, size_t start, size_t end,
    const char *const *words)
{
    size_t              i, from, to, wlen;
    const char  *const *w;

    from = (start > 48) ? start - 48 : 0;
    to = (len - end > 24) ? end + 24 : len;

    for (w = words; *w; w++) {
        wlen = strlen(*w);

        for (i = from; i + wlen <= to; i++) {
            if (i + wlen > start && i < end) {
                i = end - 1;
                continue;
            }

            if (word_at_ref(v, len, i, *w, wlen)) {
                return 1;
            }
        }
    }

    return 0;
}


/*
 * azoai_pii_context_near() against the reference on random text of the
 * words' letters (either case), separators, '[' and '_', for values at
 * every position: words that prefix each other, that share a first
 * byte, and one that opens with a UTF-8 byte
 */

static void
test_context_near(void **state)
{
    int                  r, got, want;
    size_t               len, n, k, start, end, hits;
    u_char               text[160];
    const char          *p;

    static const char   *words[] = {
        "tel", "telefon", "telefonnummer", "ph", "phone", "sin", "nhs",
        "t\xc3\xa9l", "\xe9\x9b\xbb\xe8\xa9\xb1", "bel", NULL
    };
    static const char   *pieces[] = {
        "tel", "Telefon", "telefonnummer", "PH", "phone", "sin", "NHS",
        "t\xc3\xa9l", "\xe9\x9b\xbb\xe8\xa9\xb1", "bel", "using",
        "x", "e", " ", " ", " ", "-", ".", "[", "_", "0", "12", "\xc3\xa9"
    };

    srand(9090);
    hits = 0;

    for (r = 0; r < 20000; r++) {
        len = 0;
        n = 1 + (size_t) (rand() % 40);

        while (n--) {
            p = pieces[rand() % (sizeof(pieces) / sizeof(pieces[0]))];
            k = strlen(p);

            if (len + k > sizeof(text)) {
                break;
            }

            memcpy(text + len, p, k);
            len += k;
        }

        if (len == 0) {
            continue;
        }

        start = (size_t) (rand() % (int) len);
        end = start + 1 + (size_t) (rand() % (int) (len - start));

        want = context_near_ref(text, len, start, end, words);
        got = azoai_pii_context_near(text, len, start, end, words);

        if (got != want) {
            print_error("len %zu value %zu-%zu: %d, want %d\n", len, start,
                        end, got, want);
            fail();
        }

        hits += want;
    }

    /* both answers were seen often */
    assert_true(hits > 2000 && hits < 18000);
}


/*
 * every country of the IBAN table (copied here as the reference): a valid
 * IBAN of its length is found, one a character short or long is not, and
 * a code next to it in the alphabet that is not a country is not
 */

static void
test_iban_countries(void **state)
{
    size_t    i, k, n, want, s, end;
    u_char    text[64];
    unsigned  rem, check;

    static const char  countries[] =
        "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24"
        "DE22DJ27DK18DO28EE20EG29ES24FI18FK18FO18FR27GB22GE22GI23GL18GR27"
        "GT28HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20"
        "LV21LY25MC27MD24ME22MK19MN20MR27MT31MU30NI28NL18NO15OM23PK24PL28"
        "PS29PT25QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28"
        "TL23TN24TR26UA29VA22VG24XK20YE30";

    for (i = 0; i + 4 <= sizeof(countries) - 1; i += 4) {
        want = (countries[i + 2] - '0') * 10 + (countries[i + 3] - '0');

        for (n = want - 1; n <= want + 1; n++) {
            /* "CC00" and digits, then the check digits that make it valid */
            text[0] = countries[i];
            text[1] = countries[i + 1];

            for (k = 2; k < n; k++) {
                text[k] = (u_char) ('0' + (k * 7 + i) % 10);
            }

            text[2] = '0';
            text[3] = '0';

            rem = 0;

            for (k = 4; k < n + 4; k++) {
                check = (k < n) ? (unsigned) (text[k] - '0')
                        : (k == n) ? (unsigned) (text[0] - 'A' + 10)
                        : (k == n + 1) ? (unsigned) (text[1] - 'A' + 10)
                        : 0;
                rem = (rem * (check >= 10 ? 100 : 10) + check) % 97;
            }

            check = 98 - rem;
            text[2] = (u_char) ('0' + check / 10);
            text[3] = (u_char) ('0' + check % 10);
            text[n] = ' ';

            assert_int_equal(azoai_pii_detect_iban(text, n + 1, 2, &s, &end),
                             n == want);

            if (n == want) {
                assert_int_equal(s, 0);
                assert_int_equal(end, n);
            }

            /* the code after it is no country, or another one */
            if (text[1] < 'Z'
                && (i + 4 >= sizeof(countries) - 1
                    || countries[i + 4] != countries[i]
                    || countries[i + 5] != countries[i + 1] + 1))
            {
                text[1]++;
                assert_int_equal(azoai_pii_detect_iban(text, n + 1, 2, &s,
                                                       &end), 0);
            }
        }
    }
}


/*
 * The reference IBAN reader, one character at a time, as the detector
 * was before it read groups of four digits in one word: the country's
 * length comes from the detector itself (a valid IBAN of the country)
 */

static int
ref_iban(const u_char *v, size_t len, size_t want, size_t *end)
{
    u_char    c;
    size_t    i, n;
    uint64_t  acc;

    acc = 0;
    i = 4;

    for (n = 4; n < want && i < len; i++) {
        c = v[i];

        if (azoai_pii_digit(c)) {
            acc = (acc * 10 + (c - '0')) % 97;

        } else if (azoai_pii_is(c, AZOAI_PC_ALPHA)) {
            acc = (acc * 100 + ((c & ~0x20) - 'A' + 10)) % 97;

        } else if (c == ' ' && n % 4 == 0 && i + 1 < len
                   && azoai_pii_alnum(v[i + 1]))
        {
            continue;

        } else {
            break;
        }

        n++;
    }

    if (n != want || (i < len && (azoai_pii_alnum(v[i]) || v[i] == '_'))) {
        return 0;
    }

    acc = (acc * 100 + ((v[0] & ~0x20) - 'A' + 10)) % 97;
    acc = (acc * 100 + ((v[1] & ~0x20) - 'A' + 10)) % 97;
    acc = (acc * 100 + (v[2] - '0') * 10 + (v[3] - '0')) % 97;

    *end = i;

    return acc == 1;
}


/*
 * The group-of-four reader (four digits in one word) against the
 * reference: every byte value at every position of IBANs written in
 * groups and in one run, with digits only and with letters, and every
 * pair of bytes from a set at the edges of the digit range in each group
 */

static void
test_iban_groups(void **state)
{
    int          got, want_found;
    size_t       t, p, q, n, s, end, ref_end, want;
    u_char       text[64];
    unsigned     b, c;

    static const char  *ibans[] = {
        "DE89 3704 0044 0532 0130 00", "DE89370400440532013000",
        "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432",
        "MT84 MALT 0110 0001 2345 MTLC AST0 01S", "NO93 8601 1117 947",
        "LC55 HEMM 0001 0001 0012 0012 0002 3015"
    };

    static const u_char  edges[] = {
        '0', '9', '/', ':', 'A', 'Z', 'a', 'z', ' ', '_', 0x00, 0x7f,
        0x80, 0xb9, 0xba, 0xc6, 0xcf, 0xd0, 0xff
    };

    for (t = 0; t < sizeof(ibans) / sizeof(ibans[0]); t++) {
        n = strlen(ibans[t]);
        want = 0;

        for (p = 0; p < n; p++) {
            want += (ibans[t][p] != ' ');
        }

        for (p = 4; p < n; p++) {
            for (b = 0; b < 256; b++) {
                memcpy(text, ibans[t], n);
                text[p] = (u_char) b;

                want_found = ref_iban(text, n, want, &ref_end);
                got = azoai_pii_detect_iban(text, n, 2, &s, &end);
                assert_int_equal(got, want_found);

                if (got) {
                    assert_int_equal(s, 0);
                    assert_int_equal(end, ref_end);
                }
            }

            for (q = p + 1; q < n && q < p + 4; q++) {
                for (b = 0; b < sizeof(edges); b++) {
                    for (c = 0; c < sizeof(edges); c++) {
                        memcpy(text, ibans[t], n);
                        text[p] = edges[b];
                        text[q] = edges[c];

                        got = azoai_pii_detect_iban(text, n, 2, &s, &end);
                        assert_int_equal(got,
                                         ref_iban(text, n, want, &ref_end));

                        if (got) {
                            assert_int_equal(end, ref_end);
                        }
                    }
                }
            }
        }

        /* the unchanged IBAN is valid, and cut short at every length */
        memcpy(text, ibans[t], n);
        assert_int_equal(azoai_pii_detect_iban(text, n, 2, &s, &end), 1);

        for (p = 4; p < n; p++) {
            assert_int_equal(azoai_pii_detect_iban(text, p, 2, &s, &end),
                             ref_iban(text, p, want, &ref_end));
        }
    }
}


/* the special-byte count of every vector loop and tail, from any length */

static void
test_view_specials(void **state)
{
    int     r;
    size_t  len, i, want, got;
    u_char  raw[MAX_TEXT];

    static u_char        many[255 * 32 * 2 + 7];
    static const u_char  alphabet[] = "ab \\\xc2\xe2\xe3\xef\xc3\x80u1";

    srand(99);

    for (r = 0; r < 2000; r++) {
        len = (size_t) (rand() % MAX_TEXT);
        want = 0;

        for (i = 0; i < len; i++) {
            raw[i] = (rand() % 8)
                     ? alphabet[rand() % 3]
                     : alphabet[rand() % (sizeof(alphabet) - 1)];

            want += (raw[i] == '\\' || raw[i] == 0xc2 || raw[i] == 0xe2
                     || raw[i] == 0xe3 || raw[i] == 0xef);
        }

        got = azoai_pii_view_specials(raw, len);

        if (got != want) {
            print_error("len %zu: %zu specials, want %zu\n", len, got, want);
            fail();
        }
    }

    /* more than 255 blocks of specials: the byte-lane counters flush */

    memset(many, 0xef, sizeof(many));
    assert_int_equal(azoai_pii_view_specials(many, sizeof(many)),
                     sizeof(many));
}


/*
 * The credential byte class (one table bit) holds exactly the bytes of
 * the comparisons it replaced: alphanumerics, '-', '_', '.', '+', '/',
 * '%' and '='.
 */

static void
test_secret_class(void **state)
{
    int      want;
    unsigned c;

    for (c = 0; c < 256; c++) {
        want = ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z') || c == '-' || c == '_'
                || c == '.' || c == '+' || c == '/' || c == '%'
                || c == '=');

        if ((azoai_pii_secret_byte(c) != 0) != want) {
            print_error("byte 0x%02x: %d, want %d\n", c,
                        azoai_pii_secret_byte(c) != 0, want);
            fail();
        }
    }
}


/* plain ASCII: the one-pass scan finds what the general scan finds */

static void
test_scan_plain(void **state)
{
    int                  r;
    char                 raw[MAX_TEXT];
    size_t               len, i, found;
    test_arena_t         arena = { 0 };
    azoai_alloc_t        a;
    match_list_t         slow, fast;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);
    a = test_arena_allocator(&arena);
    found = 0;

    srand(777);

    for (r = 0; r < ROUNDS; r++) {
        len = random_ascii(raw, sizeof(raw));

        slow.n = 0;
        fast.n = 0;

        assert_int_equal(azoai_pii_scan(e, (u_char *) raw, len, &a, collect,
                                        &slow),
                         AZOAI_OK);
        assert_int_equal(azoai_pii_scan_raw(e, (u_char *) raw, len, 0, &a,
                                            collect, &fast),
                         AZOAI_OK);

        if (fast.n != slow.n) {
            print_error("\"%s\": %zu matches, want %zu\n", raw, fast.n,
                        slow.n);
            fail();
        }

        for (i = 0; i < slow.n; i++) {
            if (fast.m[i].start != slow.m[i].start
                || fast.m[i].end != slow.m[i].end
                || fast.m[i].type != slow.m[i].type)
            {
                print_error("\"%s\": match %zu differs\n", raw, i);
                fail();
            }
        }

        found += slow.n;
        test_arena_free(&arena);
    }

    /* the comparison saw matches of the numeric detectors */
    assert_true(found > ROUNDS);

    azoai_pii_engine_free(e);
}


/* a byte >= 0x80 in s */

static int
has_high(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((u_char) s[i] >= 0x80) {
            return 1;
        }
    }

    return 0;
}


/*
 * For a plain text (no backslash, no byte >= 0x80): the spans of
 * azoai_pii_scan_all_from() from the cursor's first stop, as azoai_body.c
 * calls it, are one's; 1 when the text was plain
 */

static int
check_scan_all_from(azoai_pii_engine_t *e, const char *raw, size_t len,
    azoai_alloc_t *a, const match_list_t *one)
{
    size_t              i, first;
    match_list_t        from;
    azoai_pii_cursor_t  cur;

    if (e->ncustom != 0 || e->builtin_mask == 0
        || strchr(raw, '\\') != NULL || has_high(raw, len))
    {
        return 0;
    }

    from.n = 0;
    azoai_pii_cursor_init(&cur, (const u_char *) raw, len);
    first = azoai_pii_cursor_next(&cur, 0);

    if (first < len) {
        assert_int_equal(azoai_pii_scan_all_from(e, (const u_char *) raw,
                                                 len, a, &cur, first,
                                                 collect_all, &from),
                         AZOAI_OK);
    }

    assert_int_equal(from.n, one->n);

    for (i = 0; i < one->n; i++) {
        assert_int_equal(from.m[i].start, one->m[i].start);
        assert_int_equal(from.m[i].end, one->m[i].end);
        assert_int_equal(from.m[i].type, one->m[i].type);
    }

    return 1;
}


/*
 * azoai_pii_scan_all() gives the spans azoai_pii_scan_raw() gives one by
 * one, in raw offsets where the view decodes escapes and UTF-8 too
 */

static void
test_scan_all(void **state)
{
    int                  r;
    char                 raw[MAX_TEXT];
    size_t               len, i, found, k, plain;
    test_arena_t         arena = { 0 };
    azoai_alloc_t        a;
    match_list_t         one, all;
    azoai_pii_engine_t  *e;

    static const char   *escaped[] = {
        "\\u0034111 1111 1111 1111 and x\\u0040y.com",
        "call \\u002B1 415-555-0113, \\\"536-22-1004\\\"",
        "\\u00a0 4111\\u00a01111\\u00a01111\\u00a01111 \xc2\xa0 x@y.com"
    };

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);
    a = test_arena_allocator(&arena);
    found = 0;
    plain = 0;

    srand(4242);

    for (r = 0; r < ROUNDS + 3; r++) {
        if (r < 3) {
            len = strlen(escaped[r]);
            memcpy(raw, escaped[r], len + 1);

        } else {
            len = random_ascii(raw, sizeof(raw));

            /* an escape somewhere in every other text */

            if ((r & 1) && len > 0 && len + 6 < sizeof(raw)) {
                k = (size_t) rand() % len;
                memmove(raw + k + 6, raw + k, len - k + 1);
                memcpy(raw + k, "\\u0020", 6);
                len += 6;
            }
        }

        one.n = 0;
        all.n = 0;

        assert_int_equal(azoai_pii_scan_raw(e, (u_char *) raw, len,
                                            AZOAI_PII_RAW_ANY, &a, collect,
                                            &one),
                         AZOAI_OK);
        assert_int_equal(azoai_pii_scan_all(e, (u_char *) raw, len,
                                            AZOAI_PII_RAW_ANY, &a,
                                            collect_all, &all),
                         AZOAI_OK);

        if (all.n != one.n) {
            print_error("\"%s\": %zu matches, want %zu\n", raw, all.n,
                        one.n);
            fail();
        }

        for (i = 0; i < one.n; i++) {
            if (all.m[i].start != one.m[i].start
                || all.m[i].end != one.m[i].end
                || all.m[i].type != one.m[i].type)
            {
                print_error("\"%s\": match %zu differs\n", raw, i);
                fail();
            }
        }

        plain += check_scan_all_from(e, raw, len, &a, &one);

        found += one.n;
        test_arena_free(&arena);
    }

    assert_true(found > ROUNDS);
    assert_true(plain > ROUNDS / 4);

    azoai_pii_engine_free(e);
}


/* the numeric prechecks still let every numeric detector through */

static void
test_scan_numeric(void **state)
{
    size_t               k;
    test_arena_t         arena = { 0 };
    azoai_alloc_t        a;
    match_list_t         list;
    azoai_pii_engine_t  *e;

    static const struct {
        const char  *text;
        unsigned     type;
    } cases[] = {
        { "card 4111 1111 1111 1111.", AZOAI_PII_CREDIT_CARD },
        { "card 4111111111111111", AZOAI_PII_CREDIT_CARD },
        { "card 4111-1111-1111-1111 ok", AZOAI_PII_CREDIT_CARD },
        { "ssn 536-22-1004", AZOAI_PII_US_SSN },
        { "ssn 536 22 1004.", AZOAI_PII_US_SSN },
        { "call 415-555-2671", AZOAI_PII_PHONE },
        { "call 1 (415) 555-2671", AZOAI_PII_PHONE },
        { "call 1-415-555-2671", AZOAI_PII_PHONE },
        { "call 415.555.2671", AZOAI_PII_PHONE },
        { "host 10.0.0.1", AZOAI_PII_IPV4 },
        { "host 192.168.10.254:80", AZOAI_PII_IPV4 }
    };

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);
    a = test_arena_allocator(&arena);

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        list.n = 0;

        assert_int_equal(azoai_pii_scan_raw(e, (u_char *) cases[k].text,
                                            strlen(cases[k].text), 0, &a,
                                            collect, &list),
                         AZOAI_OK);

        if (list.n != 1 || list.m[0].type != cases[k].type) {
            print_error("\"%s\": %zu matches\n", cases[k].text, list.n);
            fail();
        }

        test_arena_free(&arena);
    }

    azoai_pii_engine_free(e);
}


/*
 * The inline refusals before the IBAN and national id detectors are
 * exact: wherever azoai_pii_iban_may_start() says no, or
 * azoai_pii_natid_word_refused() says yes, the detector finds nothing
 * from that digit; texts of words of 0-16 letters before digits (codice
 * fiscale words among them) and random pieces; both answers are seen
 */

static void
check_natid_pair(const u_char *text, size_t n, size_t i)
{
    /*
     * two letters alone before the digit: the scan's short national id
     * test (azoai_pii_scan_lettered()) answers as the two it stands for
     */

    assert_false(azoai_pii_natid_word_refused(text, i));
    assert_int_equal(azoai_pii_natid_pair_refused(text, n, i),
                     azoai_pii_natid_lettered_refused(text, n, i));
}


static void
test_numeric_refusals(void **state)
{
    int        refused, seen_iban, seen_natid, got;
    size_t     r, i, k, n, s, end, s2, e2;
    unsigned   type;
    char       text[MAX_TEXT + 64];

    static const char  *words[] = {
        "RSSMRA85T10A562S", "RSSMRA85T10A562", "MRTMTT25D09F205Z",
        "GB82WEST12345698765432", "DE89 3704 0044 0532 0130 00",
        "bob40@example.org", "Greg46", "abcde12345678", "abcdef1234567890",
        "QQ123456C", "AB 12 34 56 C", "X1234567L", "S1234567D",
        "_DE89370400440532013000", "xDE89370400440532013000"
    };

    seen_iban = 0;
    seen_natid = 0;

    for (r = 0; r < ROUNDS; r++) {
        n = 0;

        if (r < 17 * 4) {
            /* r / 4 letters, then digits, then letters */
            for (k = 0; k < r / 4; k++) {
                text[n++] = (char) ("RSSMRATRYSTANBOB"[k] + (r & 1) * 32);
            }

            memcpy(text + n, "85T10A562S 1234", 15);
            n += 15;
            text[n] = '\0';

        } else if (r % 2) {
            k = rand() % (sizeof(words) / sizeof(words[0]));
            n = sprintf(text, "%s%s", (r % 4 == 1) ? "id " : "",
                        words[k]);

        } else {
            n = random_ascii(text, MAX_TEXT);
        }

        for (i = 0; i < n; i++) {
            if (!azoai_pii_digit(text[i])) {
                continue;
            }

            if (!azoai_pii_iban_may_start((u_char *) text, i)) {
                assert_int_equal(azoai_pii_detect_iban((u_char *) text, n,
                                                       i, &s, &end), 0);

            } else {
                got = azoai_pii_detect_iban((u_char *) text, n, i, &s,
                                            &end);
                seen_iban += got;
                check_natid_pair((u_char *) text, n, i);

                /* the scan's entry, without the pre-test's checks */
                assert_int_equal(azoai_pii_detect_iban_lettered(
                                     (u_char *) text, n, i, &s2, &e2),
                                 got);
                assert_true(!got || (s2 == s && e2 == end));
            }

            refused = azoai_pii_natid_word_refused((u_char *) text, i);

            if (refused) {
                assert_int_equal(azoai_pii_detect_natid((u_char *) text, n,
                                     i, AZOAI_PII_NATID_MASK, &type, &s,
                                     &end), 0);

            } else {
                seen_natid += azoai_pii_detect_natid((u_char *) text, n,
                                  i, AZOAI_PII_NATID_MASK, &type, &s, &end);
            }
        }
    }

    /* the detectors did match where the refusals let them through */
    assert_true(seen_iban > 0);
    assert_true(seen_natid > 0);
}


/*
 * The e-mail local part read 16 bytes at a time (SSE2) gives the start
 * the byte loop gives: the same context and local part (random bytes of
 * the local-part class, dots, and any byte) before an '@' near the start
 * of the text (fewer than 16 bytes: the loop) and after 16 spaces (the
 * vector test); both accepting and refusing answers are seen
 */

static void
test_email_local(void **state)
{
    size_t   r, k, n, a, b, found, refused;
    u_char   text[64];

    static const char  local[] = "ab.Z9+-_%..x";

    found = 0;
    refused = 0;

    for (r = 0; r < 200000; r++) {
        n = 1 + (size_t) rand() % 15;

        memset(text, ' ', 16);

        for (k = 0; k < n; k++) {
            text[16 + k] = (rand() % 8 == 0)
                           ? (u_char) (rand() % 256)
                           : (u_char) local[rand() % (sizeof(local) - 1)];
        }

        text[16 + n] = '@';

        a = azoai_pii_email_local(text + 16, n);
        b = azoai_pii_email_local(text, 16 + n);

        if (a == (size_t) -1) {
            assert_int_equal(b, (size_t) -1);
            refused++;

        } else {
            assert_int_equal(b, a + 16);
            found++;
        }
    }

    assert_true(found > 10000 && refused > 10000);
}


/*
 * The e-mail domain read from the bits of the 16 bytes after the '@'
 * gives the end the byte loop gives: the same domain (letters, digits,
 * dots, dashes, any byte) and the byte after it, the text ending there
 * (fewer than 16 bytes: the loop) or followed by 16 spaces (the bits)
 */

static void
test_email_domain(void **state)
{
    size_t   r, k, n, a, b, found;
    u_char   text[64];

    static const char  domain[] = "ab.Z9.x-.com";

    found = 0;

    for (r = 0; r < 200000; r++) {
        n = (size_t) rand() % 15;

        text[0] = '@';

        for (k = 0; k < n; k++) {
            text[1 + k] = (rand() % 10 == 0)
                          ? (u_char) (rand() % 256)
                          : (u_char) domain[rand() % (sizeof(domain) - 1)];
        }

        text[1 + n] = (u_char) (rand() % 256);
        memset(text + 2 + n, ' ', 16);

        a = azoai_pii_email_domain(text, n + 2, 0);
        b = azoai_pii_email_domain(text, n + 18, 0);

        assert_int_equal(a, b);
        found += (a != 0);
    }

    assert_true(found > 10000 && found < 190000);
}


/*
 * The e-mail detector's one flow (azoai_pii_detect_email(): both windows
 * tested there, the rest left to its byte loops) decides as its parts
 * azoai_pii_email_local() and azoai_pii_email_domain() do: random local
 * parts, dots and ".." among them, domains and the bytes around them, in
 * texts cut at every length after the '@' into exact-size heap blocks
 * (the sanitizer build sees any read past them)
 */

static void
test_email_detect(void **state)
{
    int      got, want;
    size_t   r, k, n, m, at, len, cut, s1, e1, s2, e2, found, refused;
    u_char  *t, text[80];

    static const char  local[] = "ab.Z9+-_%..x ";
    static const char  domain[] = "ab.Z9.x-.comq_@ ";

    found = 0;
    refused = 0;

    for (r = 0; r < 20000; r++) {
        n = (size_t) rand() % 32;
        m = (size_t) rand() % 32;
        len = 0;

        for (k = 0; k < n; k++) {
            text[len++] = (rand() % 16 == 0)
                          ? (u_char) (rand() % 256)
                          : (u_char) local[rand() % (sizeof(local) - 1)];
        }

        at = len;
        text[len++] = '@';

        for (k = 0; k < m; k++) {
            text[len++] = (rand() % 16 == 0)
                          ? (u_char) (rand() % 256)
                          : (u_char) domain[rand() % (sizeof(domain) - 1)];
        }

        for (cut = at + 1; cut <= len; cut++) {
            t = malloc(cut);
            assert_non_null(t);
            memcpy(t, text, cut);

            s1 = e1 = s2 = e2 = 0;
            got = azoai_pii_detect_email(t, cut, at, &s1, &e1);

            s2 = azoai_pii_email_local(t, at);
            want = 0;

            if (s2 != (size_t) -1) {
                e2 = azoai_pii_email_domain(t, cut, at);
                want = e2 != 0 && !(e2 < cut && (t[e2] == '_'
                                                 || t[e2] == '@'));
            }

            if (got != want || (got && (s1 != s2 || e1 != e2))) {
                print_error("'%.*s' at %zu: %d [%zu, %zu), parts %d "
                            "[%zu, %zu)\n", (int) cut, t, at, got, s1, e1,
                            want, s2, e2);
                fail();
            }

            found += got;
            refused += !got;
            free(t);
        }
    }

    assert_true(found > 1000 && refused > 1000);
}


/*
 * The scan leaves a ':' after no hex digit at once ("Contact:", "Line
 * 3:"): the IPv6 addresses next to such colons are still found, whole,
 * and the colons alone give no match
 */

static void
test_scan_colons(void **state)
{
    size_t               k;
    azoai_pii_engine_t  *e;

    static const test_pii_case_t  found[] = {
        { "Contact: fe80::1.", AZOAI_PII_IPV6, "fe80::1" },
        { "Line 3: 2001:db8::8a2e:370:7334", AZOAI_PII_IPV6,
          "2001:db8::8a2e:370:7334" },
        { "Line 3:fe80::1 up", AZOAI_PII_IPV6, "3:fe80::1" },
        { "::1 is home", AZOAI_PII_IPV6, "::1" },
        { "see: ::1", AZOAI_PII_IPV6, "::1" }
    };

    static const char  *none[] = {
        "Contact: the desk",
        "Line 3: Note: Subject: Re:",
        ": :: :"
    };

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    for (k = 0; k < sizeof(found) / sizeof(found[0]); k++) {
        test_pii_expect_one(e, &found[k]);
    }

    for (k = 0; k < sizeof(none) / sizeof(none[0]); k++) {
        test_pii_expect_none(e, none[k]);
    }

    azoai_pii_engine_free(e);
}


typedef struct {
    size_t      len;
    unsigned    flags;
    unsigned    strings;
} string_seen_t;


static int
count_string(void *data, const azoai_json_value_t *v)
{
    string_seen_t  *seen = data;

    if (v->type == AZOAI_JSON_STRING) {
        seen->len = v->raw.len;
        seen->flags = v->flags;
        seen->strings++;
    }

    return 0;
}


/*
 * A string of n plain bytes with one special byte at k: the tokenizer
 * stops there, whichever loop reaches it.
 */

static void
test_json_string_end(void **state)
{
    size_t               n, k, len;
    u_char               body[700];
    unsigned             rc;
    string_seen_t        seen;
    azoai_json_status_t  st;

    /* every length to 250, and lengths through the 256-byte test */

    for (n = 1; n < 650; n += (n < 250) ? 1 : 97) {
        for (k = 0; k < n; k++) {

            /* a control character at k: an error at its offset */

            body[0] = '"';
            memset(body + 1, 'a', n);
            body[1 + k] = '\n';
            body[1 + n] = '"';
            len = n + 2;

            rc = azoai_json_walk(body, len, NULL, NULL, &st);
            assert_int_equal(rc, AZOAI_JSON_INVALID);
            assert_int_equal(st.offset, 1 + k);

            /* a quote at k ends the string there */

            body[1 + k] = '"';

            memset(&seen, 0, sizeof(seen));
            rc = azoai_json_walk(body, 2 + k, count_string, &seen, &st);
            assert_int_equal(rc, AZOAI_JSON_OK);
            assert_int_equal(seen.len, k);
            assert_int_equal(seen.flags, 0);

            /* an escape or UTF-8 at k is seen and flagged */

            body[1 + n] = k + 1 < n ? 'a' : '"';
            memcpy(body + 1 + k, "\\n", 2);
            body[2 + n] = '"';

            memset(&seen, 0, sizeof(seen));
            rc = azoai_json_walk(body, n + 3, count_string, &seen, &st);
            assert_int_equal(rc, AZOAI_JSON_OK);
            assert_int_equal(seen.len, n + 1);
            assert_int_equal(seen.flags, AZOAI_JSON_ESCAPED);

            memcpy(body + 1 + k, "\xc3\xa9", 2);

            memset(&seen, 0, sizeof(seen));
            rc = azoai_json_walk(body, n + 3, count_string, &seen, &st);
            assert_int_equal(rc, AZOAI_JSON_OK);
            assert_int_equal(seen.flags, AZOAI_JSON_NON_ASCII);
            assert_int_equal(seen.strings, 1);
        }
    }

    /* every byte value inside the vectorised loops: plain or a stop */

    for (n = 0; n < 256; n++) {
        for (k = 70; k < 600; k += 41) {
            body[0] = '"';
            memset(body + 1, 'a', 600);
            body[1 + k] = (u_char) n;
            body[601] = '"';

            memset(&seen, 0, sizeof(seen));
            rc = azoai_json_walk(body, 602, count_string, &seen, &st);

            if (n >= 0x20 && n < 0x80 && n != '"' && n != '\\') {
                assert_int_equal(rc, AZOAI_JSON_OK);
                assert_int_equal(seen.len, 600);
                assert_int_equal(seen.flags, 0);

            } else {
                assert_int_not_equal(rc, AZOAI_JSON_OK);
                assert_true(st.offset == 1 + k || st.offset == 2 + k);
            }
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_find_cand),
        cmocka_unit_test(test_cursor_next),
        cmocka_unit_test(test_cursor_every_byte),
        cmocka_unit_test(test_cursor_tail),
        cmocka_unit_test(test_cursor_scan_cpu),
        cmocka_unit_test(test_iban_countries),
        cmocka_unit_test(test_iban_groups),
        cmocka_unit_test(test_view_specials),
        cmocka_unit_test(test_secret_class),
        cmocka_unit_test(test_context_near),
        cmocka_unit_test(test_scan_plain),
        cmocka_unit_test(test_scan_numeric),
        cmocka_unit_test(test_numeric_refusals),
        cmocka_unit_test(test_email_local),
        cmocka_unit_test(test_email_domain),
        cmocka_unit_test(test_email_detect),
        cmocka_unit_test(test_scan_colons),
        cmocka_unit_test(test_scan_all),
        cmocka_unit_test(test_json_string_end),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
