/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * What the PII unit tests share: an engine with every built-in type on.
 * Include after cmocka.h and test_util.h.
 */

#ifndef _TEST_PII_UTIL_H_INCLUDED_
#define _TEST_PII_UTIL_H_INCLUDED_


#include "azoai_pii.h"


/* every built-in type with ACTION; KEY, when not NULL, the hash key */

static inline azoai_pii_engine_t *
test_pii_engine_all(azoai_pii_action_e action, const char *key)
{
    char                 err[256];
    unsigned             type;
    azoai_pii_engine_t  *e;

    e = azoai_pii_engine_create();
    assert_non_null(e);

    for (type = 0; type < AZOAI_PII_BUILTIN_N; type++) {
        assert_int_equal(azoai_pii_engine_enable(e, type, action), AZOAI_OK);
    }

    if (key != NULL) {
        assert_int_equal(azoai_pii_engine_set_hash_key(e,
                             (const u_char *) key, strlen(key)), AZOAI_OK);
    }

    assert_int_equal(azoai_pii_engine_finalize(e, err, sizeof(err)),
                     AZOAI_OK);

    return e;
}


#endif /* _TEST_PII_UTIL_H_INCLUDED_ */
