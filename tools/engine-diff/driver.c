/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * tools/engine-diff.sh: the same bodies through the core of two
 * revisions (old_run() and new_run(), tools/engine-diff/side.c), under
 * each configuration; the first body on which what they would send
 * differs is written to engine-diff-fail.json and ends the run.  Bodies:
 * the files named on the command line, then N random bodies: chat
 * bodies and JSON of any shape with the member names the body visitor
 * reads (escaped too), their strings dense with values, near-values,
 * separators, context words, tags, escapes and UTF-8.
 *
 * usage: driver N SEED [FILE ...]
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned char  u_char;

#define DRIVER_VARIANTS  4
#define DRIVER_BODY_MAX  (256 * 1024)


int old_run(unsigned variant, const u_char *body, size_t len, u_char **out,
    size_t *out_len);
int new_run(unsigned variant, const u_char *body, size_t len, u_char **out,
    size_t *out_len);

static uint64_t driver_rand(void);
static size_t driver_body(u_char *b, size_t max);
static size_t driver_value(u_char *b, size_t max, unsigned depth);
static size_t driver_text(u_char *b, size_t max);
static size_t driver_piece(u_char *p);
static int driver_compare(const u_char *body, size_t len);


static uint64_t  driver_seed;
static uint64_t  driver_valid;     /* bodies inspected without error */
static uint64_t  driver_masked;    /* ... with at least one match */

/* values and near-values of every built-in detector, words, tags */
static const char  *driver_pieces[] = {
    "bob12@example.org", "ann@ex.com", "x9@a.io", "a.b-c@sub.example.co.uk",
    "+1 415 555 0100", "415-555-0100", "(415) 555-0100", "+44 20 7946 0958",
    "+49 30 1234567", "555 0100", "078-05-1120", "078-05-112", "SSN",
    "ssn:", "Phone:", "phone", "tel", "Tel.", "10.1.2.3", "0.1.2.3",
    "192.168.0.1", "1.2.3", "2001:db8::1", "fe80::1", "12345", "99", "7",
    "2026", "4111 1111 1111 1111", "4111111111111111", "4111-1111-1111-1111",
    "5500 0000 0000 0004", "3782 822463 10005", "4111 1111 1111 1112",
    "DE89 3704 0044 0532 0130 00", "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32", "FR14 2004 1010 0505 0001 3M02 606",
    "LI21 0881 0000 2324 013A A", "DE89 3704 0044 0532 0130 01", "IBAN",
    "card", "943 476 5919", "9434765919", "AB 12 34 56 C", "QQ123456C",
    "912-70-1234", "1EG4-TE5-MK73", "1234567893", "046 454 286",
    "12345678Z", "RSSMRA85T10A562S", "111222333", "2345 6789 0124",
    "123.456.789-09", "12345678909", "123 456 782", "S1234567D",
    "1 85 05 78 006 084 36", "65929970489", "NHS", "NINO", "BSN", "CPF",
    "TFN", "NRIC", "Aadhaar", "SIN", "DNI", "MBI", "NPI", "ITIN",
    "AKIAIOSFODNN7EXAMPLE", "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", "password=hunter22",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "EMP-123456", "TCK1234", "[PHONE]", "[EMAIL]", "[EMAIL_1]", "[IPV4]",
    "[CREDIT_CARD]", "call", "the", "write to", "a1b2", "ID4711", "0815",
    "@", ":", "no", "-", "(0)", ".", "\\n", "\\t", "\\\"", "\\u00e9",
    "\\u0040", "\\u2028", "\xc3\xa9t\xc3\xa9", "\xe2\x80\x8b", "\xef\xbc\x91",
    "\xc2\xa0", "\\\\"
};

static const char  *driver_glue[] = {
    " ", " ", " ", "", ",", ", ", "-", ":", ".", "/", "_", "\\n"
};


/* member names the body visitor reads, escaped ones, others */
static const char  *driver_keys[] = {
    "model", "mo\\u0064el", "store", "\\u0073tore", "background",
    "session", "data_sources", "parameters", "embedding_dependency",
    "deployment_name", "messages", "content", "role", "type", "id",
    "call_id", "tool_call_id", "x_id", "key", "api_key", "headers",
    "authentication", "connection_string", "file_data", "input", "text",
    "image_url", "url", "voice", "object", "detail", "format",
    "service_tier", "encoding_format", "reasoning_effort", "name", "n"
};

static const char  *driver_space[] = { "", "", "", " ", "\n", "\t ", "\r\n" };


static uint64_t
driver_rand(void)
{
    driver_seed ^= driver_seed << 13;
    driver_seed ^= driver_seed >> 7;
    driver_seed ^= driver_seed << 17;

    return driver_seed;
}


/* a piece: a listed one, or a random run of digits, letters, separators */

static size_t
driver_piece(u_char *p)
{
    size_t       n, i;
    const char  *s;

    static const char  alphabet[] = "0123456789ABCDEFXYZ -.";

    if (driver_rand() % 4 == 0) {
        n = 1 + driver_rand() % 24;

        for (i = 0; i < n; i++) {
            p[i] = (driver_rand() % 3)
                   ? (u_char) ('0' + driver_rand() % 10)
                   : (u_char) alphabet[driver_rand()
                                       % (sizeof(alphabet) - 1)];
        }

        return n;
    }

    s = driver_pieces[driver_rand()
                      % (sizeof(driver_pieces) / sizeof(driver_pieces[0]))];
    n = strlen(s);
    memcpy(p, s, n);

    return n;
}


/* string content: pieces and glue, short or long */

static size_t
driver_text(u_char *b, size_t max)
{
    size_t       len, want, n;
    const char  *g;

    len = 0;
    want = driver_rand() % ((driver_rand() % 8 == 0) ? 60000 : 600);

    if (driver_rand() % 6 == 0) {
        return sprintf((char *) b, "%s", (driver_rand() % 2)
                       ? "chat-prod" : "data:image/png;base64,iVBORw0KGgo=");
    }

    while (len < want && len + 256 < max) {
        len += driver_piece(b + len);
        g = driver_glue[driver_rand()
                        % (sizeof(driver_glue) / sizeof(driver_glue[0]))];
        n = strlen(g);
        memcpy(b + len, g, n);
        len += n;
    }

    return len;
}


/* any JSON value, members named from driver_keys[], spaced at random */

static size_t
driver_value(u_char *b, size_t max, unsigned depth)
{
    size_t       len, i, n;
    unsigned     kind;
    const char  *sp;

    static const char  *scalars[] = {
        "true", "false", "null", "0", "-1.5e3", "42", "9007199254740993"
    };

    kind = (depth >= 6 || max < 4096) ? driver_rand() % 2
                                      : driver_rand() % 4;
    sp = driver_space[driver_rand()
                      % (sizeof(driver_space) / sizeof(driver_space[0]))];

    if (kind == 0) {
        return sprintf((char *) b, "%s%s", scalars[driver_rand() % 7], sp);
    }

    if (kind == 1) {
        b[0] = '"';
        len = 1 + driver_text(b + 1, max - 8);
        return len + sprintf((char *) b + len, "\"%s", sp);
    }

    len = sprintf((char *) b, "%c%s", kind == 2 ? '{' : '[', sp);
    n = driver_rand() % 5;

    for (i = 0; i < n && len + 4096 < max; i++) {
        if (i) {
            len += sprintf((char *) b + len, ",%s", sp);
        }

        if (kind == 2) {
            len += sprintf((char *) b + len, "\"%s\"%s:%s",
                           driver_keys[driver_rand()
                                       % (sizeof(driver_keys)
                                          / sizeof(driver_keys[0]))],
                           sp, sp);
        }

        len += driver_value(b + len, (max - len) / 2, depth + 1);
    }

    return len + sprintf((char *) b + len, "%c", kind == 2 ? '}' : ']');
}


/* {"model":...,"messages":[{"role":"user","content":TEXT},...],...} */

static size_t
driver_body(u_char *b, size_t max)
{
    size_t  len, msgs, m;

    len = sprintf((char *) b, "{%s\"messages\":[",
                  (driver_rand() % 4 == 0) ? "\"model\":\"chat-prod\"," : "");
    msgs = 1 + driver_rand() % 3;

    for (m = 0; m < msgs; m++) {
        len += sprintf((char *) b + len,
                       "%s{\"role\":\"user\",\"content\":\"",
                       m ? "," : "");
        len += driver_text(b + len, max - len - 64);
        len += sprintf((char *) b + len, "\"}");
    }

    len += sprintf((char *) b + len, "],\"store\":%s,\"n\":1}",
                   (driver_rand() % 2) ? "false" : "true");

    return len;
}


static int
driver_compare(const u_char *body, size_t len)
{
    u_char    *a, *b;
    size_t     alen, blen;
    unsigned   v;
    FILE      *f;

    for (v = 0; v < DRIVER_VARIANTS; v++) {
        if (old_run(v, body, len, &a, &alen) != 0
            || new_run(v, body, len, &b, &blen) != 0)
        {
            fprintf(stderr, "engine-diff: a run failed (variant %u)\n", v);
            return -1;
        }

        if (alen != blen || memcmp(a, b, alen) != 0) {
            fprintf(stderr, "engine-diff: DIFFERENT under variant %u "
                    "(%zu / %zu bytes): engine-diff-fail.json\n",
                    v, alen, blen);
            f = fopen("engine-diff-fail.json", "w");
            if (f != NULL) {
                fwrite(body, 1, len, f);
                fclose(f);
            }
            return -1;
        }

        if (v == 0 && alen >= 16 && ((uint64_t *) a)[0] == 0) {
            driver_valid++;
            driver_masked += (((uint64_t *) a)[1] != 0);
        }

        free(a);
        free(b);
    }

    return 0;
}


int
main(int argc, char **argv)
{
    long     n, i;
    size_t   len;
    u_char  *body;
    FILE    *f;

    if (argc < 3) {
        fprintf(stderr, "usage: driver N SEED [FILE ...]\n");
        return 2;
    }

    n = atol(argv[1]);
    driver_seed = strtoull(argv[2], NULL, 10) | 1;
    body = malloc(DRIVER_BODY_MAX);
    if (body == NULL) {
        return 2;
    }

    for (i = 3; i < argc; i++) {
        f = fopen(argv[i], "rb");
        if (f == NULL) {
            continue;
        }
        len = fread(body, 1, DRIVER_BODY_MAX, f);
        fclose(f);

        if (driver_compare(body, len) != 0) {
            fprintf(stderr, "engine-diff: file %s\n", argv[i]);
            return 1;
        }
    }

    for (i = 0; i < n; i++) {
        len = (i % 2) ? driver_body(body, DRIVER_BODY_MAX)
                      : driver_value(body, DRIVER_BODY_MAX, 0);

        if (driver_compare(body, len) != 0) {
            fprintf(stderr, "engine-diff: random body %ld\n", i);
            return 1;
        }
    }

    printf("engine-diff: %d files and %ld random bodies (%lu valid, %lu of "
           "them with values), %d configurations: the same\n", argc - 3, n,
           (unsigned long) driver_valid, (unsigned long) driver_masked,
           DRIVER_VARIANTS);

    return 0;
}
