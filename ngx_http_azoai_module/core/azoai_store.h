/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Data retention (azoai_store): does a request body ask Azure to keep
 * data, and the rewrite that makes it keep nothing.
 *
 * A request asks Azure to keep data when its top-level object has
 * "store": true (the literal: "store": "true" is not true), when it is a
 * Responses API create request ("responses") whose "store" is not the
 * literal false (Azure stores those by default), or when it has
 * "background": true (a background response is stored to be fetched).
 */

#ifndef _AZOAI_STORE_H_INCLUDED_
#define _AZOAI_STORE_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_body.h"
#include "azoai_policy.h"


/* azoai_store modes */
#define AZOAI_STORE_ALLOW          0   /* pass */
#define AZOAI_STORE_DENY           1   /* DataRetentionBlocked */
#define AZOAI_STORE_OFF            2   /* rewrite to "store": false */

/* azoai_store_judge() results */
#define AZOAI_STORE_PASS           0   /* as it is (or d denies) */
#define AZOAI_STORE_REWRITE        1   /* azoai_store_rewrite() it */


/*
 * Judges a body the body layer inspected without error; responses is
 * non-zero for a Responses API create request.  Denies d with
 * DataRetentionBlocked (when d does not deny already) or returns what to
 * do with the body.
 */
unsigned azoai_store_judge(unsigned mode, unsigned responses,
    const azoai_body_result_t *res, azoai_decision_t *d);

/*
 * Writes body with "store": false: the value of "store" replaced by
 * false, or, when the body has none, "store":false added as the first
 * member of the top-level object.  Every other byte is copied as it is;
 * the PII matches of res after the edit move with their bytes, so that
 * azoai_body_rewrite() applies to *out.  *out is allocated from a.
 */
int azoai_store_rewrite(azoai_body_result_t *res, const u_char *body,
    size_t len, azoai_alloc_t *a, u_char **out, size_t *out_len);


#endif /* _AZOAI_STORE_H_INCLUDED_ */
