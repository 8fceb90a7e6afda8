/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_catalog_key() (one 8-byte load for names of 8 bytes or more)
 * against the byte by byte key it replaced, over names of every length
 * from 0 to 24 of random bytes (letters in both cases, digits, '-', '.',
 * '_', bytes >= 0x80), and the order of keys against the order of names.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "azoai_ascii.h"
#include "azoai_catalog_int.h"


#define KEY_NAMES     100000
#define KEY_NAME_MAX  24


static uint64_t catalog_key_ref(const u_char *name, size_t len);


/* the first 8 bytes in lower case, big-endian, zero-padded */

static uint64_t
catalog_key_ref(const u_char *name, size_t len)
{
    size_t    i;
    uint64_t  key;

    key = 0;

    for (i = 0; i < sizeof(uint64_t); i++) {
        key = key << 8 | (i < len ? azoai_ascii_lower(name[i]) : 0);
    }

    return key;
}


static void
test_catalog_key_ref(void **state)
{
    size_t    i, k, len;
    u_char    name[KEY_NAME_MAX], other[KEY_NAME_MAX];
    uint32_t  seed;
    uint64_t  a, b;
    int       rc;

    static const u_char  bytes[] = "aAzZgGpPtT059-._@[`{\x7f\x80\xc1\xff";

    seed = 0x6b43a9b5;

    for (i = 0; i < KEY_NAMES; i++) {
        len = test_random(&seed) % (KEY_NAME_MAX + 1);

        for (k = 0; k < len; k++) {
            name[k] = bytes[test_random(&seed) % (sizeof(bytes) - 1)];
        }

        a = azoai_catalog_key(name, len);

        if (a != catalog_key_ref(name, len)) {
            fail_msg("name of %zu bytes: key %016llx, byte by byte %016llx",
                     len, (unsigned long long) a,
                     (unsigned long long) catalog_key_ref(name, len));
        }

        /* keys order as the names do, ignoring case (the search needs it) */

        memcpy(other, name, len);

        if (len) {
            k = test_random(&seed) % len;
            other[k] = bytes[test_random(&seed) % (sizeof(bytes) - 1)];
        }

        b = azoai_catalog_key(other, len);
        rc = azoai_ascii_cmp_ci(name, len, other, len);

        if ((a < b && rc >= 0) || (a > b && rc <= 0)) {
            fail_msg("keys of names of %zu bytes out of order", len);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_catalog_key_ref),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
