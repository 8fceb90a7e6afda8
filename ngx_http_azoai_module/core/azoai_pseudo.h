/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The pseudonyms of one request: "[TYPE_n]" minted by the "pseudonym"
 * action, n counting from 1 per type, the same canonical value getting
 * the same n, and the original value each one stands for, so that
 * azoai_restore can put it back in the response.  The map lives in
 * request memory only (an azoai_alloc_t): it is never logged and goes
 * away with the request.
 */

#ifndef _AZOAI_PSEUDO_H_INCLUDED_
#define _AZOAI_PSEUDO_H_INCLUDED_


#include "azoai_core.h"


/* a tag is at most this long ("EMAIL", "CREDIT_CARD", custom names) */
#define AZOAI_PSEUDO_TAG_MAX      64

/* values a request can mint; more render as the plain mask "[TYPE]" */
#define AZOAI_PSEUDO_MAX          4096

/* the longest n written, in digits */
#define AZOAI_PSEUDO_N_MAX_LEN    4

/* "[" TAG "_" n "]" */
#define AZOAI_PSEUDO_TOKEN_MAX                                                \
    (1 + AZOAI_PSEUDO_TAG_MAX + 1 + AZOAI_PSEUDO_N_MAX_LEN + 1)


typedef struct azoai_pseudo_s  azoai_pseudo_t;


azoai_pseudo_t *azoai_pseudo_create(azoai_alloc_t *a);

/*
 * The n of (tag, canonical value): an existing one, or the next one of the
 * tag, keeping a copy of the original value (decoded text).  Returns n,
 * or 0 when the map is full or memory ran out (render the plain mask).
 */
unsigned azoai_pseudo_mint(azoai_pseudo_t *p, const u_char *tag,
    size_t tag_len, const u_char *canon, size_t canon_len,
    const u_char *value, size_t value_len);

/* the original value of "[tag_n]", NULL when it was not minted here */
const azoai_str_t *azoai_pseudo_find(const azoai_pseudo_t *p,
    const u_char *tag, size_t tag_len, unsigned n);

/*
 * Whether s (what follows a '[' up to the end of the input) may still
 * grow into a minted token "[tag_n]": a prefix of "tag_n" for some entry
 */
int azoai_pseudo_may_start(const azoai_pseudo_t *p, const u_char *s,
    size_t len);

/* how many values were minted */
size_t azoai_pseudo_count(const azoai_pseudo_t *p);

/* writes "[tag_n]" to out (AZOAI_PSEUDO_TOKEN_MAX bytes); its length */
size_t azoai_pseudo_token(const u_char *tag, size_t tag_len, unsigned n,
    u_char *out);


#endif /* _AZOAI_PSEUDO_H_INCLUDED_ */
