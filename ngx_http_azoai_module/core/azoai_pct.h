/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Percent-decoding of URL paths and query components, the way the server
 * behind the proxy reads them: "%XX" is one byte, an invalid "%" sequence
 * stays as it is, and in query components '+' is a space.
 */

#ifndef _AZOAI_PCT_H_INCLUDED_
#define _AZOAI_PCT_H_INCLUDED_


#include "azoai_core.h"


/* 1 if src holds a byte that decoding changes ('%', and '+' if plus) */
int azoai_pct_needs_decoding(const u_char *src, size_t len, unsigned plus);

/* writes the decoded src to dst (len bytes suffice); returns its length */
size_t azoai_pct_decode(u_char *dst, const u_char *src, size_t len,
    unsigned plus);

/*
 * out = decoded src: src itself when nothing changes, else a copy from a;
 * AZOAI_OK or AZOAI_ERROR (allocation failure)
 */
int azoai_pct_decode_str(azoai_str_t *out, const u_char *src, size_t len,
    unsigned plus, azoai_alloc_t *a);

/* 1 if src, decoded, equals name (lower-case ASCII) ignoring ASCII case */
int azoai_pct_equal_ci(const u_char *src, size_t len, unsigned plus,
    const char *name);


#endif /* _AZOAI_PCT_H_INCLUDED_ */
