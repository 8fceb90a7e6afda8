/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Unit tests of the national identifier detectors beyond the labelled
 * set: the codice fiscale written with omocodia letters in each digit
 * position and its look-alikes, and every written layout of the other
 * types still found past the layout pre-check of
 * azoai_pii_detect_natid.c (which refuses most numbers in a few bytes).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azoai_core.h"
#include "azoai_pii.h"
#include "test_util.h"
#include "test_pii_util.h"


static void test_omocodia(void **state);
static void test_omocodia_lookalikes(void **state);
static void test_layouts(void **state);
static void test_layout_refused(void **state);


/*
 * RSSMRA85T10A562S with its digits written as L-V, one position after
 * another from each end; the check letter recomputed on the code as
 * written (the first digit after 6, 7, 9, 10, 12, 13 and 14 letters)
 */

static const test_pii_case_t  omocodia[] = {
    { "CF RSSMRA85T10A562S", AZOAI_PII_IT_FISCAL, "RSSMRA85T10A562S" },
    { "CF RSSMRAU5T10A562P.", AZOAI_PII_IT_FISCAL, "RSSMRAU5T10A562P" },
    { "CF: RSSMRAURT10A562B", AZOAI_PII_IT_FISCAL, "RSSMRAURT10A562B" },
    { "RSSMRA85TMLA562G is mine", AZOAI_PII_IT_FISCAL, "RSSMRA85TMLA562G" },
    { "codice RSSMRAURTMLA562P", AZOAI_PII_IT_FISCAL, "RSSMRAURTMLA562P" },
    { "codice RSSMRAURTMLA5SNQ", AZOAI_PII_IT_FISCAL, "RSSMRAURTMLA5SNQ" },
    { "codice RSSMRAURTMLAR6NZ", AZOAI_PII_IT_FISCAL, "RSSMRAURTMLAR6NZ" },
    { "(RSSMRAURTMLARS2W)", AZOAI_PII_IT_FISCAL, "RSSMRAURTMLARS2W" },
    { "CF RSSMRA85TQMA562Y", AZOAI_PII_IT_FISCAL, "RSSMRA85TQMA562Y" },
    { "CF RSSMRA85T41A562U", AZOAI_PII_IT_FISCAL, "RSSMRA85T41A562U" },
    { "\"RSSMRA85T10A56NH\"", AZOAI_PII_IT_FISCAL, "RSSMRA85T10A56NH" },
};


static void
test_omocodia(void **state)
{
    size_t               i;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    for (i = 0; i < sizeof(omocodia) / sizeof(omocodia[0]); i++) {
        test_pii_expect_one(e, &omocodia[i]);
    }

    azoai_pii_engine_free(e);
}


static void
test_omocodia_lookalikes(void **state)
{
    size_t               i;
    test_pii_found_t     f;
    azoai_pii_engine_t  *e;

    static const char  *lookalikes[] = {
        "CF RSSMRAURT10A562C",          /* wrong check letter */
        "CF RSSMRAURTMLARS2X",
        "CF RSSMRAA5T10A562A",          /* A is no digit, check right */
        "CF RSSMRA8KT10A562Z",
        "CF RSSMRA85T35A562G",          /* day 35 */
        "CF RSSMRA85T75A562K",          /* day 75 */
        "CF RSSMRA85TPVA562P",          /* day 39 as letters */
        "CF RSSMRA85TLLA562F",          /* day 00 */
        "CF RSSMRA85TTNA562D",          /* day 72 */
        "CF RSSMRA85F10A562S",          /* F is no month */
        "CF XRSSMRAURT10A562B",         /* 17 characters */
        "CF RSSMRAURT10A562BX",
        "CF rssmraurt10a562b",          /* lower case */
        "ref ABCDEFGH12345678",         /* 8 letters, 8 digits */
    };

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    for (i = 0; i < sizeof(lookalikes) / sizeof(lookalikes[0]); i++) {
        assert_int_equal(test_pii_scan(e, lookalikes[i], &f), AZOAI_OK);

        if (f.n != 0) {
            print_error("look-alike \"%s\" matched type %u\n",
                        lookalikes[i], f.m[0].type);
            fail();
        }
    }

    azoai_pii_engine_free(e);
}


/* each written layout of each type the pre-check lets through */

static const test_pii_case_t  layouts[] = {
    { "NHS 943-476-5919", AZOAI_PII_UK_NHS, "943-476-5919" },
    { "NHS 9434765919", AZOAI_PII_UK_NHS, "9434765919" },
    { "ITIN 912 70 1234", AZOAI_PII_US_ITIN, "912 70 1234" },
    { "ITIN 912701234", AZOAI_PII_US_ITIN, "912701234" },
    { "MBI 1EG4TE5MK73", AZOAI_PII_US_MBI, "1EG4TE5MK73" },
    { "SIN 130-692-544", AZOAI_PII_CA_SIN, "130-692-544" },
    { "SIN 130692544", AZOAI_PII_CA_SIN, "130692544" },
    { "Steuer-ID 86 095 742 719", AZOAI_PII_DE_TAX_ID, "86 095 742 719" },
    { "NIR 2 55 08 2A 004 123 69", AZOAI_PII_FR_NIR,
      "2 55 08 2A 004 123 69" },
    { "NIR 255082A004123 69", AZOAI_PII_FR_NIR, "255082A004123 69" },
    { "NIR 255082A00412369", AZOAI_PII_FR_NIR, "255082A00412369" },
    { "DNI 12345678-Z", AZOAI_PII_ES_DNI, "12345678-Z" },
    { "DNI 12345678 Z", AZOAI_PII_ES_DNI, "12345678 Z" },
    { "NIE X-1234567-L", AZOAI_PII_ES_DNI, "X-1234567-L" },
    { "NIE: X 1234567 L.", AZOAI_PII_ES_DNI, "X 1234567 L" },
    { "NIE X1234567L", AZOAI_PII_ES_DNI, "X1234567L" },
    { "BSN 111.222.333", AZOAI_PII_NL_BSN, "111.222.333" },
    { "BSN 111 222 333", AZOAI_PII_NL_BSN, "111 222 333" },
    { "BSN 1112.22.333", AZOAI_PII_NL_BSN, "1112.22.333" },
    { "Aadhaar 2341-2341-2346", AZOAI_PII_IN_AADHAAR, "2341-2341-2346" },
    { "Aadhaar 2341 2341 2346.", AZOAI_PII_IN_AADHAAR, "2341 2341 2346" },
    { "Aadhaar 234123412346", AZOAI_PII_IN_AADHAAR, "234123412346" },
    { "CPF 11144477735", AZOAI_PII_BR_CPF, "11144477735" },
    { "TFN 123-456-782", AZOAI_PII_AU_TFN, "123-456-782" },
};


static void
test_layouts(void **state)
{
    size_t               i;
    azoai_pii_engine_t  *e;

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        test_pii_expect_one(e, &layouts[i]);
    }

    azoai_pii_engine_free(e);
}


/*
 * what the pre-check refuses is not a national identifier, whatever else
 * it may be (a card, a phone, an SSN)
 */

static void
test_layout_refused(void **state)
{
    size_t               i, j;
    test_pii_found_t     f;
    azoai_pii_engine_t  *e;

    static const char  *refused[] = {
        "Aadhaar 2341 2341 2346 1111", "Aadhaar 2341-2341-2346-1111",
        "Aadhaar 2341 2341 23461", "NHS 536-22-1039", "BSN 1112-22-333",
        "Steuer-ID 86-095-742-719", "DNI 12345678/Z", "NIR 2/55/08",
        "NHS 943/476/5919", "SIN 10am 130", "ITIN 812-70-1234",
    };

    e = test_pii_engine_all(AZOAI_PII_ACTION_MASK, NULL);

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(test_pii_scan(e, refused[i], &f), AZOAI_OK);

        for (j = 0; j < f.n && j < TEST_PII_MAX_FOUND; j++) {
            if ((1u << f.m[j].type) & AZOAI_PII_NATID_MASK) {
                print_error("\"%s\": national identifier type %u\n",
                            refused[i], f.m[j].type);
                fail();
            }
        }
    }

    azoai_pii_engine_free(e);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_omocodia),
        cmocka_unit_test(test_omocodia_lookalikes),
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_layout_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
