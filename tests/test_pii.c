/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of the PII engine: detectors, look-alikes, the text view and
 * its evasion forms, rendering of each action, custom patterns,
 * configuration errors, and the labelled set (recall and false
 * positives).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "azoai_core.h"
#include "azoai_pii.h"
#include "test_util.h"
#include "test_pii_util.h"


static const test_pii_case_t  positives[] = {
    { "mail john.doe+x@example.com now", AZOAI_PII_EMAIL,
      "john.doe+x@example.com" },
    { "Contact: Dulce.Johns90@yahoo.com.", AZOAI_PII_EMAIL,
      "Dulce.Johns90@yahoo.com" },
    { "<A.B_C@Mail.Example.CO.UK>", AZOAI_PII_EMAIL,
      "A.B_C@Mail.Example.CO.UK" },

    { "call (415) 555-2671 today", AZOAI_PII_PHONE, "(415) 555-2671" },
    { "call 415-555-2671", AZOAI_PII_PHONE, "415-555-2671" },
    { "call 415.555.2671.", AZOAI_PII_PHONE, "415.555.2671" },
    { "call +1 415 555 2671", AZOAI_PII_PHONE, "+1 415 555 2671" },
    { "Contact: +1 415-555-0113.", AZOAI_PII_PHONE, "+1 415-555-0113" },
    { "ring +44 20 7946 0958 please", AZOAI_PII_PHONE, "+44 20 7946 0958" },
    { "Berlin +49 30 901820", AZOAI_PII_PHONE, "+49 30 901820" },
    { "e164 +14155552671", AZOAI_PII_PHONE, "+14155552671" },
    { "uk +44 (0)20 7946 0958", AZOAI_PII_PHONE, "+44 (0)20 7946 0958" },
    { "+61 412 345 678", AZOAI_PII_PHONE, "+61 412 345 678" },
    { "+91 98765 43210.", AZOAI_PII_PHONE, "+91 98765 43210" },

    /* national formats: a phone word near them */
    { "Phone: 020 7946 0958", AZOAI_PII_PHONE, "020 7946 0958" },
    { "my mobile is 07700 900123.", AZOAI_PII_PHONE, "07700 900123" },
    { "Telefon 030 12345678", AZOAI_PII_PHONE, "030 12345678" },
    { "Handy: 0151 23456789", AZOAI_PII_PHONE, "0151 23456789" },
    { "t\u00e9l 01 23 45 67 89", AZOAI_PII_PHONE, "01 23 45 67 89" },
    { "portable 06.12.34.56.78", AZOAI_PII_PHONE, "06.12.34.56.78" },
    { "m\u00f3vil 612 345 678", AZOAI_PII_PHONE, "612 345 678" },
    { "cellulare 347 123 4567", AZOAI_PII_PHONE, "347 123 4567" },
    { "bel 06-12345678 nu", AZOAI_PII_PHONE, "06-12345678" },
    { "call 98765 43210", AZOAI_PII_PHONE, "98765 43210" },
    { "celular (11) 91234-5678", AZOAI_PII_PHONE, "(11) 91234-5678" },
    { "TEL 090-1234-5678", AZOAI_PII_PHONE, "090-1234-5678" },
    { "ph 0412 345 678", AZOAI_PII_PHONE, "0412 345 678" },
    { "Tel. (030) 1234567", AZOAI_PII_PHONE, "(030) 1234567" },
    { "call 07700900123", AZOAI_PII_PHONE, "07700900123" },
    { "01632 960123 (mobile)", AZOAI_PII_PHONE, "01632 960123" },
    /* unbroken ES and IN, BR without brackets, "00" for "+" */
    { "m\u00f3vil 612345678", AZOAI_PII_PHONE, "612345678" },
    { "Mobile: 9876543210.", AZOAI_PII_PHONE, "9876543210" },
    { "call 11 91234-5678", AZOAI_PII_PHONE, "11 91234-5678" },
    { "celular 11912345678", AZOAI_PII_PHONE, "11912345678" },
    { "phone 0044 20 7946 0958", AZOAI_PII_PHONE, "0044 20 7946 0958" },
    { "Telefon 00 49 30 12345678", AZOAI_PII_PHONE, "00 49 30 12345678" },

    { "card 4111 1111 1111 1111 exp", AZOAI_PII_CREDIT_CARD,
      "4111 1111 1111 1111" },
    { "card 4111-1111-1111-1111", AZOAI_PII_CREDIT_CARD,
      "4111-1111-1111-1111" },
    { "card 4111.1111.1111.1111", AZOAI_PII_CREDIT_CARD,
      "4111.1111.1111.1111" },
    { "card 4111111111111111", AZOAI_PII_CREDIT_CARD, "4111111111111111" },
    { "amex 3782 822463 10005", AZOAI_PII_CREDIT_CARD,
      "3782 822463 10005" },
    { "mc 5500000000000004.", AZOAI_PII_CREDIT_CARD, "5500000000000004" },
    { "digits 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 ok", AZOAI_PII_CREDIT_CARD,
      "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1" },
    { "12 4111 1111 1111 1111", AZOAI_PII_CREDIT_CARD,
      "4111 1111 1111 1111" },

    { "iban DE89 3704 0044 0532 0130 00.", AZOAI_PII_IBAN,
      "DE89 3704 0044 0532 0130 00" },
    { "iban DE89370400440532013000", AZOAI_PII_IBAN,
      "DE89370400440532013000" },
    { "GB29 NWBK 6016 1331 9268 19", AZOAI_PII_IBAN,
      "GB29 NWBK 6016 1331 9268 19" },
    { "Contact: AD41 1405 0094 1Z68 3252 O351. Capillus", AZOAI_PII_IBAN,
      "AD41 1405 0094 1Z68 3252 O351" },

    { "SSN 536-22-1004.", AZOAI_PII_US_SSN, "536-22-1004" },
    { "ssn 536 22 1004", AZOAI_PII_US_SSN, "536 22 1004" },

    { "host 192.168.1.20 up", AZOAI_PII_IPV4, "192.168.1.20" },
    { "at 10.0.0.1:8080", AZOAI_PII_IPV4, "10.0.0.1" },
    { "0.0.0.0", AZOAI_PII_IPV4, "0.0.0.0" },

    { "v6 2001:db8::1 ok", AZOAI_PII_IPV6, "2001:db8::1" },
    { "lo ::1", AZOAI_PII_IPV6, "::1" },
    { "ll fe80::1ff:fe23:4567:890a.", AZOAI_PII_IPV6,
      "fe80::1ff:fe23:4567:890a" },
    { "full 2001:0db8:85a3:0000:0000:8a2e:0370:7334", AZOAI_PII_IPV6,
      "2001:0db8:85a3:0000:0000:8a2e:0370:7334" },
    { "mapped ::ffff:192.0.2.128 here", AZOAI_PII_IPV6,
      "::ffff:192.0.2.128" },
    { "net fe80:: end", AZOAI_PII_IPV6, "fe80::" },
    { "1:2:3:4:5:6:7::", AZOAI_PII_IPV6, "1:2:3:4:5:6:7::" },

    { "key AKIAIOSFODNN7EXAMPLE.", AZOAI_PII_SECRET, "AKIAIOSFODNN7EXAMPLE" },
    { "t=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 ok", AZOAI_PII_SECRET,
      "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" },
    { "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3OD"
      "kwIn0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\\\"",
      AZOAI_PII_SECRET,
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3OD"
      "kwIn0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" },
    { "my-key sk-proj-Ab3dEf5gHi7jKl9mNo1pQr3sTu5vWx7yZa9bCd1eFg3h now",
      AZOAI_PII_SECRET,
      "sk-proj-Ab3dEf5gHi7jKl9mNo1pQr3sTu5vWx7yZa9bCd1eFg3h" },
    { "\\\"api-key\\\": \\\"0123456789abcdef0123456789abcdef\\\"}",
      AZOAI_PII_SECRET, "0123456789abcdef0123456789abcdef" },
    { "AccountName=a;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;Endpoint",
      AZOAI_PII_SECRET, "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==" },
    { "k\\n-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu1SU1LfVLPHCoz"
      "MxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0\\n-----END RSA PRIVA"
      "TE KEY-----\\nthanks", AZOAI_PII_SECRET,
      "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu1SU1LfVLPHCoz"
      "MxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0\\n-----END RSA PRIVA"
      "TE KEY-----" },

    /* the stronger check names a span a phone number also fits */
    { "My NHS number is 943 476 5919.", AZOAI_PII_UK_NHS, "943 476 5919" },
    { "call 943 476 5919 today", AZOAI_PII_PHONE, "943 476 5919" },
    { "NI: AB 12 34 56 C ok", AZOAI_PII_UK_NINO, "AB 12 34 56 C" },
    { "NINO (JG103759A)", AZOAI_PII_UK_NINO, "JG103759A" },
    { "my ITIN 912-70-1234", AZOAI_PII_US_ITIN, "912-70-1234" },
    { "MBI 1EG4-TE5-MK73.", AZOAI_PII_US_MBI, "1EG4-TE5-MK73" },
    { "NPI: 1234567893", AZOAI_PII_US_NPI, "1234567893" },
    { "SIN 130 692 544", AZOAI_PII_CA_SIN, "130 692 544" },
    { "Steuer-ID: 86095742719", AZOAI_PII_DE_TAX_ID, "86095742719" },
    { "NIR 2 55 08 2A 004 123 69 (Corse)", AZOAI_PII_FR_NIR,
      "2 55 08 2A 004 123 69" },
    { "Mi NIE es X1234567L", AZOAI_PII_ES_DNI, "X1234567L" },
    { "DNI 12345678Z", AZOAI_PII_ES_DNI, "12345678Z" },
    { "CF RSSMRA85T10A562S.", AZOAI_PII_IT_FISCAL, "RSSMRA85T10A562S" },
    { "CF RSSMRA85T10A56NH", AZOAI_PII_IT_FISCAL, "RSSMRA85T10A56NH" },
    { "mijn BSN: 1112.22.333", AZOAI_PII_NL_BSN, "1112.22.333" },
    { "Aadhaar 2341 2341 2346", AZOAI_PII_IN_AADHAAR, "2341 2341 2346" },
    { "cliente 111.444.777-35", AZOAI_PII_BR_CPF, "111.444.777-35" },
    { "TFN 123 456 782", AZOAI_PII_AU_TFN, "123 456 782" },
    { "TFN, phone: 876 543 202", AZOAI_PII_AU_TFN, "876 543 202" },
    { "NRIC S1234567D", AZOAI_PII_SG_NRIC, "S1234567D" },
    { "FIN M1234567K", AZOAI_PII_SG_NRIC, "M1234567K" },

    /* the genesis address, BIP 350's v1 vector, EIP-55's vectors */
    { "to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.", AZOAI_PII_CRYPTO_WALLET,
      "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" },
    { "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0 ok",
      AZOAI_PII_CRYPTO_WALLET,
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0" },
    { "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", AZOAI_PII_CRYPTO_WALLET,
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" },
    { "(0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb)", AZOAI_PII_CRYPTO_WALLET,
      "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb" },
    { "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb", AZOAI_PII_CRYPTO_WALLET,
      "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb" },
};


static void
test_positives(void **state)
{
    size_t               i;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    for (i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
        test_pii_expect_one(e, &positives[i]);
    }

    azoai_pii_engine_free(e);
}


static const char  *negatives[] = {
    /* national and health identifiers: a wrong check, no context */
    "NHS number 9434765918", "invoice 9434765919", "BSN 111222334",
    "invoice 111222333", "Aadhaar 2341 2341 2347", "CPF 111.444.777-36",
    "CPF 111.111.111-11", "DNI 12345678A", "CF RSSMRA85T10A562T",
    "S1234567A", "AB123456E", "QQ123456C", "1SG4-TE5-MK73",
    "NPI 1234567890", "TFN 123 456 789", "using 130 692 544",
    "NIR 2 55 08 2A 004 123 68", "Steuer-ID 86095742718",
    "ITIN 987004321 is not one", "placeholder 987-65-4321",
    /* wallets: one character or one letter's case changed, a tx hash */
    "to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",
    "ones 11111111111111111111111111111111111",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDB",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj1",
    "tx 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed5aaeb6053f3e94c9b9a09f33",
    "pip install sk-learn scikit-learn==1.4.2",
    "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU13shKL5",
    "AKIAIOSFODNN7EXAMPL1E",
    "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc",
    "commit 3f2a9c4e1b7d8a6f5e4d3c2b1a0f9e8d7c6b5a49 fixed it",
    "id 550e8400-e29b-41d4-a716-446655440000",
    ("-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3K9yN8"
    "Ykq0j1uL1Vb2\\n-----END PUBLIC KEY-----"),
    "the sig=abc1 is short",
    /* bad Luhn, no issuer, too few or too many digits */
    "4111 1111 1111 1112", "1234 5678 9012 3456", "order 12345678",
    "4111-1111-1111-1111-1111", "0000 0000 0000 0000",
    /* bad IBAN check digits, lengths, countries */
    "DE89 3704 0044 0532 0130 01", "DE8937040044053201300",
    "XX89 3704 0044 0532 0130 00",
    /* SSA rules */
    "000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567",
    "123-45-0000", "123-45 6789",
    /* UUIDs, timestamps, ISBN, versions, prices, hashes, base64 */
    "550e8400-e29b-41d4-a716-446655440000", "2024-11-20T10:00:00Z",
    "2024-11-20", "978-3-16-148410-0", "1.2.3.4.5", "v10.0.19041.1",
    "$1,234.56",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "cafe4111111111111111", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0",
    /* IPv6 look-alikes, bad IPv4 */
    "10:30", "::", "at 10:30:45", "std::vector", "1:2:3:4:5:6:7:8:9",
    "00:1A:2B:3C:4D:5E", "1::2::3", "256.1.1.1", "10.0.0.01",
    /* phone look-alikes */
    "555-1234", "+5 points", "411-555-2671", "+1 415 155 2671",
    "4155552671", "+12345",
    /* per-country lengths after "+", national forms without a word */
    "+44 12", "+44 1234 5678", "+44 20 7946 09581", "+33 1 23 45 67 8",
    "+49 30 123", "+91 98765 4321", "+61 2 9374 400", "+34 612 345 67",
    "order 020 7946 0958", "invoice 0151 23456789", "ref 01 23 45 67 89",
    "tracking 07700900123", "612 345 678", "(11) 91234-5678",
    /* a phone word near what is not a phone */
    "call on 2024-01-15", "Tel. 01.02.2024", "phone 0044 0532 0130",
    "phone 00 44 20", "Handy 0151", "call 10 91234-5678",
    "fone 11 81234-5678", "Order 612345678", "invoice 9876543210",
    "SKU 11912345678", "ref 0044 20 7946 0958", "call 1700000000",
    "tel 5123456789", "Telefon 0049 0 30 1234", "phone 0044 1234",
    "phone bill 1 234 567", "tel 0800 123",
    /* e-mail look-alikes */
    "user@localhost", "john..doe@example.com", "john@example.c", "@x",
};


static void
test_negatives(void **state)
{
    size_t               i;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    for (i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++) {
        test_pii_expect_none(e, negatives[i]);
    }

    azoai_pii_engine_free(e);
}


/* evasion forms: the whole raw span is reported */

static const test_pii_case_t  evasions[] = {
    { "x a\\u0040b.com y", AZOAI_PII_EMAIL, "a\\u0040b.com" },
    /* JSON inside a string (tool-call arguments): an escape of its own */
    { "{\\\"to\\\":\\\"jane\\\\u0040x.org\\\"}", AZOAI_PII_EMAIL,
      "jane\\\\u0040x.org" },
    { "x \\u0061\\u0040\\u0062\\u002e\\u0063\\u006f\\u006d", AZOAI_PII_EMAIL,
      "\\u0061\\u0040\\u0062\\u002e\\u0063\\u006f\\u006d" },
    { "mail \xef\xbd\x8a\xef\xbd\x8f\xef\xbd\x88\xef\xbd\x8e@"
      "\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90"
      "\xef\xbd\x8c\xef\xbd\x85.com", AZOAI_PII_EMAIL,
      "\xef\xbd\x8a\xef\xbd\x8f\xef\xbd\x88\xef\xbd\x8e@"
      "\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90"
      "\xef\xbd\x8c\xef\xbd\x85.com" },
    { "c 4\xe2\x80\x8b" "111 1111 1111 1111", AZOAI_PII_CREDIT_CARD,
      "4\xe2\x80\x8b" "111 1111 1111 1111" },
    { "c 4\\u200b1\\u200c1\\u200d1\\u20601111\\ufeff11111111",
      AZOAI_PII_CREDIT_CARD,
      "4\\u200b1\\u200c1\\u200d1\\u20601111\\ufeff11111111" },
    { "c 4111\xc2\xad" "1111\xc2\xad" "1111\xc2\xad" "1111",
      AZOAI_PII_CREDIT_CARD,
      "4111\xc2\xad" "1111\xc2\xad" "1111\xc2\xad" "1111" },
    { "ssn \xef\xbc\x95\xef\xbc\x93\xef\xbc\x96-22-1004",
      AZOAI_PII_US_SSN, "\xef\xbc\x95\xef\xbc\x93\xef\xbc\x96-22-1004" },
    { "\\ud83d\\ude00 ip 10.1.2.3\\n", AZOAI_PII_IPV4, "10.1.2.3" },
    { "line\\n415-555-2671\\tend", AZOAI_PII_PHONE, "415-555-2671" },
    { "\\\"john@example.com\\\"", AZOAI_PII_EMAIL, "john@example.com" },
    { "ip\xe3\x80\x80" "192.168.0.1", AZOAI_PII_IPV4, "192.168.0.1" },
    { "x \\uff11\\uff10.0.0.1 y", AZOAI_PII_IPV4, "\\uff11\\uff10.0.0.1" },
    { "caf\xc3\xa9 j@ex.org", AZOAI_PII_EMAIL, "j@ex.org" },
};


static void
test_evasion(void **state)
{
    size_t               i;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    for (i = 0; i < sizeof(evasions) / sizeof(evasions[0]); i++) {
        test_pii_expect_one(e, &evasions[i]);
    }

    azoai_pii_engine_free(e);
}


/*
 * overlaps are masked as one span, named after the longest candidate; no
 * match inside a longer word
 */

static void
test_overlaps(void **state)
{
    test_pii_found_t     f;
    const char          *raw;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    raw = "a ::ffff:10.1.2.3 b 4111 1111 1111 1111 c 415-555-2671 d";
    assert_int_equal(test_pii_scan(e, raw, &f), AZOAI_OK);
    test_pii_check_order(&f, strlen(raw));
    assert_int_equal(f.n, 3);
    assert_int_equal(f.m[0].type, AZOAI_PII_IPV6);
    assert_int_equal(f.m[1].type, AZOAI_PII_CREDIT_CARD);
    assert_int_equal(f.m[2].type, AZOAI_PII_PHONE);

    /* text after a match is searched again, right from its end */
    raw = "+1 415-555-0113, 536-22-1004; 4111 1111 1111 1111 / 10.0.0.1";
    assert_int_equal(test_pii_scan(e, raw, &f), AZOAI_OK);
    test_pii_check_order(&f, strlen(raw));
    assert_int_equal(f.n, 4);
    assert_int_equal(f.m[0].type, AZOAI_PII_PHONE);
    assert_int_equal(f.m[1].type, AZOAI_PII_US_SSN);
    assert_int_equal(f.m[2].type, AZOAI_PII_CREDIT_CARD);
    assert_int_equal(f.m[3].type, AZOAI_PII_IPV4);

    /*
     * overlapping candidates are masked as their union, named after the
     * longest: a short card ("6 4111 1111 1111") with a longer one inside
     * it, an e-mail running into an IBAN, a chain of three
     */
    {
        static const struct {
            const char  *text;
            size_t       start, end;
            unsigned     type;
        } unions[] = {
            { "rows: 6 4111 1111 1111 1111", 6, 27, AZOAI_PII_CREDIT_CARD },
            { "qty 600 4111 1111 1111 1111", 4, 27, AZOAI_PII_CREDIT_CARD },
            { "ref 60612 4106 6295 6778 6562", 4, 29,
              AZOAI_PII_CREDIT_CARD },
            { "x@mail.xn--p1ai-DE89 3704 0044 0532 0130 00", 0, 43,
              AZOAI_PII_IBAN },
            { "623 64 51734945 8786 4351::ffff:168.139.162.251", 0, 47,
              AZOAI_PII_IPV6 }
        };
        size_t  k;

        for (k = 0; k < sizeof(unions) / sizeof(unions[0]); k++) {
            assert_int_equal(test_pii_scan(e, unions[k].text, &f), AZOAI_OK);
            assert_int_equal(f.n, 1);
            assert_int_equal(f.m[0].start, unions[k].start);
            assert_int_equal(f.m[0].end, unions[k].end);
            assert_int_equal(f.m[0].type, unions[k].type);
        }
    }

    azoai_pii_engine_free(e);
}


/*
 * phones that start before their first digit: "+", "(", "+("; an e-mail
 * whose local part is a card number is one e-mail
 */

static void
test_overlaps_prefixed(void **state)
{
    test_pii_found_t     f;
    const char          *raw;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    {
        static const struct {
            const char  *text;
            size_t       start, end;
        } prefixed[] = {
            { "call +(44) 20 7946 0958 now", 5, 23 },
            { "call (415) 555-2671 now", 5, 19 },
            { "call +1 (415) 555-2671 now", 5, 22 },
            { "tel:+14155550113", 4, 16 },
            { "+44 20 7946 0958", 0, 16 },
            { "a+1 415-555-0113", 4, 16 }
        };
        size_t  k;

        for (k = 0; k < sizeof(prefixed) / sizeof(prefixed[0]); k++) {
            assert_int_equal(test_pii_scan(e, prefixed[k].text, &f), AZOAI_OK);
            assert_int_equal(f.n, 1);
            assert_int_equal(f.m[0].type, AZOAI_PII_PHONE);
            assert_int_equal(f.m[0].start, prefixed[k].start);
            assert_int_equal(f.m[0].end, prefixed[k].end);
        }
    }

    raw = "4111111111111111@example.com";
    assert_int_equal(test_pii_scan(e, raw, &f), AZOAI_OK);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.m[0].type, AZOAI_PII_EMAIL);
    assert_int_equal(f.m[0].end, strlen(raw));

    azoai_pii_engine_free(e);
}


/* many matches: more than the stack holds, in order */

static void
test_overlaps_many(void **state)
{
    test_pii_found_t     f;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    {
        char    big[8192];
        size_t  i, n;

        n = 0;

        for (i = 0; i < 100; i++) {
            n += snprintf(big + n, sizeof(big) - n, "u%zu@ex.com 10.0.0.%zu ",
                          i, i);
        }

        assert_int_equal(test_pii_scan(e, big, &f), AZOAI_OK);
        assert_int_equal(f.n, 200);
        test_pii_check_order(&f, n);
    }

    azoai_pii_engine_free(e);
}


/* no candidate byte: no allocation; a plain string: no view copy */

static void
test_fast_path(void **state)
{
    test_pii_found_t     f;
    char                 big[4096];
    test_arena_t         arena;
    azoai_alloc_t        a;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);

    /* escapes and non-ASCII text without candidates: nothing to do */
    memset(&f, 0, sizeof(f));
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big + 100, "\\n\\\"caf\xc3\xa9\\u00e9",
           strlen("\\n\\\"caf\xc3\xa9\\u00e9"));
    assert_int_equal(azoai_pii_scan(e, (u_char *) big, strlen(big), &a,
                                    test_pii_collect, &f), AZOAI_OK);
    assert_int_equal(f.n, 0);
    assert_int_equal(arena.calls, 0);

    /* a plain string with a match: the raw bytes are the view */
    memcpy(big + 2000, " j@ex.org ", 10);
    assert_int_equal(azoai_pii_scan(e, (u_char *) big, strlen(big), &a,
                                    test_pii_collect, &f), AZOAI_OK);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.m[0].start, 2001);

    /* escapes in a long string need one view: its allocation may fail */
    memset(&f, 0, sizeof(f));
    memcpy(big + 3000, "\\u0040", 6);
    arena.fail_after = arena.calls + 1;
    assert_int_equal(azoai_pii_scan(e, (u_char *) big, strlen(big), &a,
                                    test_pii_collect, &f), AZOAI_ERROR);

    arena.fail_after = 0;
    assert_int_equal(azoai_pii_scan(e, (u_char *) big, strlen(big), &a,
                                    test_pii_collect, &f), AZOAI_OK);
    assert_int_equal(f.n, 1);

    test_arena_free(&arena);
    azoai_pii_engine_free(e);
}


static void
test_callback_stop(void **state)
{
    test_pii_found_t     f;
    test_arena_t         arena;
    azoai_alloc_t        a;
    azoai_pii_engine_t  *e;

    static const char  raw[] = "a@b.com c@d.com e@f.com";

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);
    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);
    memset(&f, 0, sizeof(f));
    f.stop_at = 2;

    assert_int_equal(azoai_pii_scan(e, (const u_char *) raw, sizeof(raw) - 1,
                                    &a, test_pii_collect, &f), AZOAI_ERROR);
    assert_int_equal(f.n, 2);

    test_arena_free(&arena);
    azoai_pii_engine_free(e);
}


/* only enabled detectors run */

static void
test_enable(void **state)
{
    char                 err[128];
    test_pii_found_t     f;
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    assert_non_null(e);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_IPV4,
                                             AZOAI_PII_ACTION_MASK),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_enable(e, 40, AZOAI_PII_ACTION_MASK),
                     AZOAI_ERROR);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    assert_int_equal(test_pii_scan(e, "j@ex.org 10.0.0.1 4111111111111111", &f),
                     AZOAI_OK);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.m[0].type, AZOAI_PII_IPV4);

    azoai_pii_engine_free(e);
}


static size_t
render_first(const azoai_pii_engine_t *e, const char *raw, u_char *out)
{
    size_t            n, i;
    test_pii_found_t  f;

    assert_int_equal(test_pii_scan(e, raw, &f), AZOAI_OK);
    assert_int_equal(f.n, 1);

    n = azoai_pii_render(e, &f.m[0], (const u_char *) raw, out);
    assert_true(n > 0 && n <= AZOAI_PII_TAG_MAX);

    /* valid JSON string content */
    for (i = 0; i < n; i++) {
        assert_true(out[i] >= 0x20 && out[i] < 0x7f && out[i] != '"'
                    && out[i] != '\\');
    }

    out[n] = '\0';

    return n;
}


static void
test_render_mask(void **state)
{
    unsigned             t;
    azoai_pii_engine_t  *e;
    u_char               out[AZOAI_PII_TAG_MAX + 1];

    static const char  *inputs[AZOAI_PII_BUILTIN_N] = {
        "j@ex.org", "+44 20 7946 0958", "4111 1111 1111 1111",
        "DE89 3704 0044 0532 0130 00", "536-22-1004", "10.0.0.1", "::1",
        "AKIAIOSFODNN7EXAMPLE", "NHS 943 476 5919", "AB123456C",
        "ITIN 912-70-1234", "1EG4-TE5-MK73", "NPI 1234567893",
        "SIN 130 692 544", "Steuer-ID 86095742719", "2 55 08 2A 004 123 69",
        "12345678Z", "RSSMRA85T10A562S", "BSN 111222333",
        "Aadhaar 2341 2341 2346", "111.444.777-35", "TFN 123 456 782",
        "S1234567D", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    };

    static const char  *tags[AZOAI_PII_BUILTIN_N] = {
        "[EMAIL]", "[PHONE]", "[CREDIT_CARD]", "[IBAN]", "[US_SSN]",
        "[IPV4]", "[IPV6]", "[SECRET]", "[UK_NHS]", "[UK_NINO]", "[US_ITIN]",
        "[US_MBI]", "[US_NPI]", "[CA_SIN]", "[DE_TAX_ID]", "[FR_NIR]",
        "[ES_DNI]", "[IT_FISCAL_CODE]", "[NL_BSN]", "[IN_AADHAAR]",
        "[BR_CPF]", "[AU_TFN]", "[SG_NRIC]", "[CRYPTO_WALLET]"
    };

    for (t = 0; t < AZOAI_PII_BUILTIN_N; t++) {
        e = test_pii_engine_all(t % 2 ? AZOAI_PII_ACTION_MASK
                                      : AZOAI_PII_ACTION_BLOCK, NULL);
        render_first(e, inputs[t], out);
        assert_string_equal((char *) out, tags[t]);
        azoai_pii_engine_free(e);
    }
}


/* the longest type name (AZOAI_PII_NAME_MAX of azoai_pii_int.h) */
#define TEST_NAME_MAX  64


/*
 * "[TAG]" of a custom type's name of every length, 1 to 64: the tag's
 * bytes whole (the moves of 4 and 8 bytes overlap for 4-16), nothing
 * written past the closing bracket
 */

static void
test_render_mask_lengths(void **state)
{
    int                  id;
    char                 err[256], name[TEST_NAME_MAX + 1];
    size_t               len, n, k;
    azoai_pii_match_t    m;
    azoai_pii_engine_t  *e;
    u_char               out[AZOAI_PII_TAG_MAX + 8];

    for (len = 1; len <= TEST_NAME_MAX; len++) {
        for (k = 0; k < len; k++) {
            name[k] = (char) ('a' + (k * 7 + len) % 26);
        }

        name[len] = '\0';

        e = azoai_pii_engine_create();
        assert_non_null(e);

        id = azoai_pii_engine_add_pattern(e, name, (u_char *) "x+", 2,
                                          AZOAI_PII_ACTION_MASK, err,
                                          sizeof(err));
        assert_true(id >= 0);

        m.start = 0;
        m.end = 1;
        m.type = (unsigned) id;

        memset(out, '#', sizeof(out));
        n = azoai_pii_render(e, &m, (const u_char *) "x", out);

        assert_int_equal(n, len + 2);
        assert_int_equal(out[0], '[');
        assert_int_equal(out[len + 1], ']');

        for (k = 0; k < len; k++) {
            assert_int_equal(out[1 + k], name[k] - 'a' + 'A');
        }

        for (k = len + 2; k < sizeof(out); k++) {
            assert_int_equal(out[k], '#');
        }

        azoai_pii_engine_free(e);
    }
}


static void
expected_hash(const char *key, const char *msg, char *hex)
{
    size_t        k;
    unsigned      n;
    u_char        mac[EVP_MAX_MD_SIZE];

    assert_non_null(HMAC(EVP_sha256(), key, (int) strlen(key),
                         (const u_char *) msg, strlen(msg), mac, &n));

    for (k = 0; k < 6; k++) {
        sprintf(hex + 2 * k, "%02x", mac[k]);
    }
}


static void
test_render_hash(void **state)
{
    char                 hex[16], want[64];
    azoai_pii_engine_t  *e1, *e2, *e3;
    u_char               o1[AZOAI_PII_TAG_MAX + 1], o2[AZOAI_PII_TAG_MAX + 1];
    u_char               o3[AZOAI_PII_TAG_MAX + 1];

    e1 = test_pii_engine_all(AZOAI_PII_ACTION_HASH, "k1-secret");
    e2 = test_pii_engine_all(AZOAI_PII_ACTION_HASH, "k1-secret");
    e3 = test_pii_engine_all(AZOAI_PII_ACTION_HASH, "k2-secret");

    /* the canonical value, computed independently */
    expected_hash("k1-secret", "EMAIL:john@example.com", hex);
    snprintf(want, sizeof(want), "[EMAIL:%s]", hex);

    render_first(e1, "John@Example.COM", o1);
    assert_string_equal((char *) o1, want);

    /* same key, other engine, other spelling of the same value */
    render_first(e2, "john\\u0040example.com", o2);
    assert_string_equal((char *) o2, want);

    /* another key */
    render_first(e3, "john@example.com", o3);
    assert_string_not_equal((char *) o3, want);
    assert_int_equal(strlen((char *) o3), strlen(want));

    expected_hash("k1-secret", "CREDIT_CARD:4111111111111111", hex);
    snprintf(want, sizeof(want), "[CREDIT_CARD:%s]", hex);
    render_first(e1, "4111-1111-1111-1111", o1);
    assert_string_equal((char *) o1, want);
    render_first(e2, "4\\u200b111 1111 1111 1111", o2);
    assert_string_equal((char *) o2, want);

    expected_hash("k1-secret", "PHONE:+442079460958", hex);
    snprintf(want, sizeof(want), "[PHONE:%s]", hex);
    render_first(e1, "+44 20 7946 0958", o1);
    assert_string_equal((char *) o1, want);

    expected_hash("k1-secret", "IBAN:DE89370400440532013000", hex);
    snprintf(want, sizeof(want), "[IBAN:%s]", hex);
    render_first(e1, "DE89 3704 0044 0532 0130 00", o1);
    assert_string_equal((char *) o1, want);

    expected_hash("k1-secret", "IPV6:2001:db8::1", hex);
    snprintf(want, sizeof(want), "[IPV6:%s]", hex);
    render_first(e1, "2001:DB8::1", o1);
    assert_string_equal((char *) o1, want);

    azoai_pii_engine_free(e1);
    azoai_pii_engine_free(e2);
    azoai_pii_engine_free(e3);
}


static void
test_render_partial(void **state)
{
    azoai_pii_engine_t  *e;
    u_char               out[AZOAI_PII_TAG_MAX + 1];

    e = test_pii_engine_all(AZOAI_PII_ACTION_PARTIAL, NULL);

    render_first(e, "5500 0000 0000 0004", out);
    assert_string_equal((char *) out, "[CREDIT_CARD:...0004]");

    render_first(e, "4 0 1 2 8 8 8 8 8 8 8 8 1 8 8 1", out);
    assert_string_equal((char *) out, "[CREDIT_CARD:...1881]");

    render_first(e, "ssn 536-22-1004", out);
    assert_string_equal((char *) out, "[US_SSN:...1004]");

    render_first(e, "(415) 555-2671", out);
    assert_string_equal((char *) out, "[PHONE:...2671]");

    render_first(e, "iban de89 3704 0044 0532 0130 00 x", out);
    assert_string_equal((char *) out, "[IBAN:...3000]");

    /* e-mail and addresses have no number to keep: masked */
    render_first(e, "j@ex.org", out);
    assert_string_equal((char *) out, "[EMAIL]");

    render_first(e, "10.0.0.1", out);
    assert_string_equal((char *) out, "[IPV4]");

    azoai_pii_engine_free(e);
}


static void
test_custom_pattern(void **state)
{
    int                  id, id2;
    char                 err[256];
    test_pii_found_t     f;
    const char          *raw;
    azoai_pii_engine_t  *e;
    u_char               out[AZOAI_PII_TAG_MAX + 1];

    static const char  re[] = "EMP-\\d{6}";

    e = azoai_pii_engine_create();
    assert_non_null(e);

    id = azoai_pii_engine_add_pattern(e, "employee_id", (u_char *) re,
                                      sizeof(re) - 1, AZOAI_PII_ACTION_MASK,
                                      err, sizeof(err));
    assert_int_equal(id, AZOAI_PII_BUILTIN_N);
    assert_int_equal(azoai_pii_type_by_name(e, (u_char *) "employee_id", 11),
                     id);
    assert_string_equal(azoai_pii_type_name(e, id), "employee_id");
    assert_int_equal(azoai_pii_type_count(e), AZOAI_PII_BUILTIN_N + 1);

    id2 = azoai_pii_engine_add_pattern(e, "ticket", (u_char *) "T#[0-9]+", 8,
                                       AZOAI_PII_ACTION_HASH, err,
                                       sizeof(err));
    assert_int_equal(id2, id + 1);
    assert_int_equal(azoai_pii_type_action(e, id2), AZOAI_PII_ACTION_HASH);

    /* hash without a key fails finalize, naming the type */
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_ERROR);
    assert_non_null(strstr(err, "ticket"));

    assert_int_equal(azoai_pii_engine_set_hash_key(e, (u_char *) "k", 1),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    /* runs over the decoded view; the span is raw */
    raw = "id EMP\\u002d123456, again EMP-654321 and T#77";
    assert_int_equal(test_pii_scan(e, raw, &f), AZOAI_OK);
    assert_int_equal(f.n, 3);
    assert_int_equal(f.m[0].type, id);
    assert_int_equal(f.m[0].start, 3);
    assert_int_equal(f.m[0].end, 3 + strlen("EMP\\u002d123456"));
    assert_int_equal(f.m[1].type, id);
    assert_int_equal(f.m[2].type, id2);

    assert_int_equal(azoai_pii_render(e, &f.m[0], (u_char *) raw, out),
                     strlen("[EMPLOYEE_ID]"));
    assert_memory_equal(out, "[EMPLOYEE_ID]", strlen("[EMPLOYEE_ID]"));

    assert_int_equal(azoai_pii_render(e, &f.m[2], (u_char *) raw, out),
                     strlen("[TICKET:]") + 12);

    /* a pattern that matches the empty string terminates */
    id = azoai_pii_engine_add_pattern(e, "empty", (u_char *) "x*", 2,
                                      AZOAI_PII_ACTION_MASK, err,
                                      sizeof(err));
    assert_true(id > 0);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);
    assert_int_equal(test_pii_scan(e, "ab\xc3\xa9xx", &f), AZOAI_OK);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.m[0].start, 4);

    azoai_pii_engine_free(e);
}


static void
test_bad_pattern(void **state)
{
    int                  id;
    char                 err[256];
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    assert_non_null(e);

    err[0] = '\0';
    id = azoai_pii_engine_add_pattern(e, "broken", (u_char *) "ab(c", 4,
                                      AZOAI_PII_ACTION_MASK, err,
                                      sizeof(err));
    assert_int_equal(id, -1);
    assert_non_null(strstr(err, "\"broken\""));
    assert_non_null(strstr(err, "offset 4"));
    assert_non_null(strstr(err, "missing closing parenthesis"));

    assert_int_equal(azoai_pii_engine_add_pattern(e, "Bad-Name",
                         (u_char *) "x", 1, AZOAI_PII_ACTION_MASK, err,
                         sizeof(err)), -1);
    assert_int_equal(azoai_pii_engine_add_pattern(e, "email",
                         (u_char *) "x", 1, AZOAI_PII_ACTION_MASK, err,
                         sizeof(err)), -1);
    assert_int_equal(azoai_pii_type_count(e), AZOAI_PII_BUILTIN_N);

    azoai_pii_engine_free(e);
}


/* catastrophic backtracking hits the match limit: the scan fails closed */

static void
test_pattern_limit(void **state)
{
    char                 err[256], raw[64];
    test_pii_found_t     f;
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    assert_non_null(e);
    assert_true(azoai_pii_engine_add_pattern(e, "redos",
                    (u_char *) "(a|aa)+$", 8, AZOAI_PII_ACTION_MASK, err,
                    sizeof(err)) > 0);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    memset(raw, 'a', 60);
    strcpy(raw + 60, "!");
    assert_int_equal(test_pii_scan(e, raw, &f), AZOAI_ERROR);

    /* a short subject stays under the limit */
    assert_int_equal(test_pii_scan(e, "aaaa!", &f), AZOAI_OK);
    assert_int_equal(f.n, 0);

    azoai_pii_engine_free(e);
}


static void
test_hash_needs_key(void **state)
{
    char                 err[256];
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    assert_non_null(e);
    assert_int_equal(azoai_pii_engine_enable(e, AZOAI_PII_EMAIL,
                                             AZOAI_PII_ACTION_HASH),
                     AZOAI_OK);

    err[0] = '\0';
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_ERROR);
    assert_non_null(strstr(err, "email"));
    assert_non_null(strstr(err, "key"));

    assert_int_equal(azoai_pii_engine_set_hash_key(e, (u_char *) "", 0),
                     AZOAI_ERROR);
    assert_int_equal(azoai_pii_engine_set_hash_key(e, (u_char *) "s", 1),
                     AZOAI_OK);
    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    azoai_pii_engine_free(e);
}


static void
test_names(void **state)
{
    unsigned             t;
    const char          *name;
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    assert_non_null(e);

    for (t = 0; t < AZOAI_PII_BUILTIN_N; t++) {
        name = azoai_pii_type_name(e, t);
        assert_non_null(name);
        assert_int_equal(azoai_pii_builtin_by_name((u_char *) name,
                                                   strlen(name)), (int) t);
        assert_int_equal(azoai_pii_type_by_name(e, (u_char *) name,
                                                strlen(name)), (int) t);
    }

    assert_string_equal(azoai_pii_type_name(e, AZOAI_PII_CREDIT_CARD),
                        "credit_card");
    assert_int_equal(azoai_pii_builtin_by_name((u_char *) "emai", 4), -1);
    assert_null(azoai_pii_type_name(e, AZOAI_PII_BUILTIN_N));

    azoai_pii_engine_free(e);
}


/* the labelled sets: recall per type and false positives */

typedef struct {
    size_t               pos[AZOAI_PII_BUILTIN_N + 1];
    size_t               got[AZOAI_PII_BUILTIN_N + 1];
    size_t               negs[AZOAI_PII_BUILTIN_N + 1];   /* + "other" */
    size_t               fps[AZOAI_PII_BUILTIN_N + 1];
} labelled_t;


static void
labelled_line(azoai_pii_engine_t *e, char *line, labelled_t *l)
{
    int                exp, hit;
    char              *type, *text, *tab;
    size_t             i;
    unsigned           t;
    test_pii_found_t   f;

    line[strcspn(line, "\r\n")] = '\0';

    type = line;
    tab = strchr(type, '\t');
    assert_non_null(tab);
    *tab = '\0';
    text = tab + 1;
    tab = strchr(text, '\t');
    assert_non_null(tab);
    *tab = '\0';
    exp = atoi(tab + 1);

    if (strcmp(type, "other") == 0) {
        assert_int_equal(exp, 0);
        t = AZOAI_PII_BUILTIN_N;

    } else {
        t = (unsigned) azoai_pii_builtin_by_name((u_char *) type,
                                                 strlen(type));
        assert_true(t < AZOAI_PII_BUILTIN_N);
    }

    assert_int_equal(test_pii_scan(e, text, &f), AZOAI_OK);
    test_pii_check_order(&f, strlen(text));

    if (exp == 0) {
        l->negs[t]++;

        if (f.n) {
            l->fps[t]++;
            print_message("false positive (%s): %s\n", type, text);
        }

        return;
    }

    l->pos[t]++;
    hit = 0;

    for (i = 0; i < f.n && i < TEST_PII_MAX_FOUND; i++) {
        hit |= f.m[i].type == t;
    }

    if (hit) {
        l->got[t]++;

    } else {
        print_message("missed (%s): %s\n", type, text);
    }
}


static void
test_labelled(void **state)
{
    char                 line[8192];
    FILE                *fp;
    size_t               k, neg_count, fp_count;
    unsigned             t;
    labelled_t           l;
    const char          *dir;
    azoai_pii_engine_t  *e;
    char                 path[512];

    static const char  *files[] = { "pii-labelled.tsv", "pii-secret.tsv",
                                    "pii-natid.tsv", "pii-wallet.tsv",
                                    "pii-phone.tsv" };

    dir = getenv("AZOAI_TEST_DATA");
    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);
    memset(&l, 0, sizeof(l));

    for (k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data",
                 files[k]);

        fp = fopen(path, "r");
        assert_non_null(fp);

        while (fgets(line, sizeof(line), fp)) {
            if (line[0] != '#' && line[0] != '\n') {
                labelled_line(e, line, &l);
            }
        }

        fclose(fp);
    }

    neg_count = 0;
    fp_count = 0;

    /* per type: recall >= 99%, false positives <= 0.5% of its look-alikes */

    for (t = 0; t < AZOAI_PII_BUILTIN_N; t++) {
        print_message("%-12s recall %3zu/%3zu = %5.1f%%, false positives "
                      "%zu/%zu = %.2f%%\n", azoai_pii_type_name(e, t),
                      l.got[t], l.pos[t],
                      l.pos[t] ? 100.0 * l.got[t] / l.pos[t] : 0.0,
                      l.fps[t], l.negs[t],
                      l.negs[t] ? 100.0 * l.fps[t] / l.negs[t] : 0.0);
        assert_true(l.pos[t] >= 40);
        assert_true(l.got[t] * 100 >= l.pos[t] * 99);
        assert_true(l.fps[t] * 200 <= l.negs[t]);
        neg_count += l.negs[t];
        fp_count += l.fps[t];
    }

    neg_count += l.negs[AZOAI_PII_BUILTIN_N];
    fp_count += l.fps[AZOAI_PII_BUILTIN_N];

    print_message("false positives %zu/%zu = %.2f%%\n", fp_count, neg_count,
                  neg_count ? 100.0 * fp_count / neg_count : 0.0);
    assert_true(neg_count >= 100);
    assert_true(fp_count * 200 <= neg_count);

    azoai_pii_engine_free(e);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_positives),
        cmocka_unit_test(test_negatives),
        cmocka_unit_test(test_evasion),
        cmocka_unit_test(test_overlaps),
        cmocka_unit_test(test_overlaps_prefixed),
        cmocka_unit_test(test_overlaps_many),
        cmocka_unit_test(test_fast_path),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_enable),
        cmocka_unit_test(test_render_mask),
        cmocka_unit_test(test_render_mask_lengths),
        cmocka_unit_test(test_render_hash),
        cmocka_unit_test(test_render_partial),
        cmocka_unit_test(test_custom_pattern),
        cmocka_unit_test(test_bad_pattern),
        cmocka_unit_test(test_pattern_limit),
        cmocka_unit_test(test_hash_needs_key),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_labelled),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
