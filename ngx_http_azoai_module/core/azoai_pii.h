/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * PII detection engine: built-in validated detectors plus custom PCRE2
 * patterns, run over the raw bytes of one JSON string (the bytes between
 * the quotes, escapes not yet decoded).  Matches are reported as raw
 * offsets, so that a mask covers the whole raw span, escapes and
 * zero-width characters included.
 */

#ifndef _AZOAI_PII_H_INCLUDED_
#define _AZOAI_PII_H_INCLUDED_


#include "azoai_core.h"


/* built-in detector ids; custom patterns get ids from AZOAI_PII_BUILTIN_N */
#define AZOAI_PII_EMAIL        0
#define AZOAI_PII_PHONE        1
#define AZOAI_PII_CREDIT_CARD  2
#define AZOAI_PII_IBAN         3
#define AZOAI_PII_US_SSN       4
#define AZOAI_PII_IPV4         5
#define AZOAI_PII_IPV6         6
#define AZOAI_PII_SECRET       7
#define AZOAI_PII_UK_NHS       8      /* national and health identifiers */
#define AZOAI_PII_UK_NINO      9
#define AZOAI_PII_US_ITIN      10
#define AZOAI_PII_US_MBI       11
#define AZOAI_PII_US_NPI       12
#define AZOAI_PII_CA_SIN       13
#define AZOAI_PII_DE_TAX_ID    14
#define AZOAI_PII_FR_NIR       15
#define AZOAI_PII_ES_DNI       16
#define AZOAI_PII_IT_FISCAL    17
#define AZOAI_PII_NL_BSN       18
#define AZOAI_PII_IN_AADHAAR   19
#define AZOAI_PII_BR_CPF       20
#define AZOAI_PII_AU_TFN       21
#define AZOAI_PII_SG_NRIC      22
#define AZOAI_PII_CRYPTO_WALLET 23
#define AZOAI_PII_BUILTIN_N    24

/* the national and health identifiers, AZOAI_PII_UK_NHS .. SG_NRIC */
#define AZOAI_PII_NATID_FIRST  AZOAI_PII_UK_NHS
#define AZOAI_PII_NATID_LAST   AZOAI_PII_SG_NRIC
#define AZOAI_PII_NATID_MASK                                                 \
    (((1u << (AZOAI_PII_NATID_LAST + 1)) - 1)                                \
     & ~((1u << AZOAI_PII_NATID_FIRST) - 1))

#define AZOAI_PII_MAX_TYPES    64

/* the longest replacement text azoai_pii_render() writes */
#define AZOAI_PII_TAG_MAX      96


typedef enum {
    AZOAI_PII_ACTION_MASK = 0,
    AZOAI_PII_ACTION_HASH,
    AZOAI_PII_ACTION_PARTIAL,
    AZOAI_PII_ACTION_BLOCK,
    AZOAI_PII_ACTION_PSEUDONYM       /* "[TYPE_n]", azoai_pseudo.h */
} azoai_pii_action_e;

#define AZOAI_PII_ACTION_LAST  AZOAI_PII_ACTION_PSEUDONYM

/* a pseudonym for a value longer than this (raw bytes) is a plain mask */
#define AZOAI_PII_PSEUDO_VALUE_MAX  1024


typedef struct azoai_pii_engine_s  azoai_pii_engine_t;
struct azoai_pseudo_s;


typedef struct {
    size_t           start;     /* raw offset of the first byte */
    size_t           end;       /* raw offset one past the last byte */
    unsigned         type;      /* detector id */
} azoai_pii_match_t;


/* called for each match, in raw order, never overlapping; non-zero stops */
typedef int (*azoai_pii_match_pt)(void *data, const azoai_pii_match_t *m);


/*
 * Configuration time.  The engine is malloc()-ed; the glue frees it with
 * azoai_pii_engine_free() from a cycle pool cleanup.  Functions that can
 * fail write a message (never a PII value) to err, errlen bytes at most.
 */
azoai_pii_engine_t *azoai_pii_engine_create(void);
void azoai_pii_engine_free(azoai_pii_engine_t *e);

/* enable a detector with an action; all built-ins are off until enabled */
int azoai_pii_engine_enable(azoai_pii_engine_t *e, unsigned type,
    azoai_pii_action_e action);

/*
 * add a custom PCRE2 detector; name is lower-case [a-z0-9_], its tag the
 * name upper-cased; returns the new type id, or -1 with err set
 */
int azoai_pii_engine_add_pattern(azoai_pii_engine_t *e, const char *name,
    const u_char *regex, size_t len, azoai_pii_action_e action, char *err,
    size_t errlen);

int azoai_pii_engine_set_hash_key(azoai_pii_engine_t *e, const u_char *key,
    size_t len);

/* checks (hash needs a key), JIT-compiles; AZOAI_OK or AZOAI_ERROR */
int azoai_pii_engine_finalize(azoai_pii_engine_t *e, char *err,
    size_t errlen);

/* type id by lower-case name ("email", "credit_card", custom); -1 if none */
int azoai_pii_type_by_name(const azoai_pii_engine_t *e, const u_char *name,
    size_t len);
int azoai_pii_builtin_by_name(const u_char *name, size_t len);

/*
 * type groups for azoai_pii_types ("secrets", "national_ids", "financial",
 * "network", "contact"): the built-in types of a group as a mask of
 * (1u << type), 0 for a name that is not a group; the i-th group's name,
 * NULL past the last
 */
unsigned azoai_pii_group_by_name(const u_char *name, size_t len);
const char *azoai_pii_group_name(unsigned i);

const char *azoai_pii_type_name(const azoai_pii_engine_t *e, unsigned type);
unsigned azoai_pii_type_count(const azoai_pii_engine_t *e);
azoai_pii_action_e azoai_pii_type_action(const azoai_pii_engine_t *e,
    unsigned type);


/*
 * Request time.  Scans the raw content of one JSON string (between the
 * quotes; it is valid JSON string content: the tokenizer checked it) and
 * calls cb for each match.  Scratch memory comes from a.  Returns AZOAI_OK,
 * or AZOAI_ERROR on allocation failure, when cb returned non-zero, or when
 * a custom pattern failed (match limit): fail closed.  A string in which
 * no detector can start costs one prefilter pass and no allocation.
 */
int azoai_pii_scan(const azoai_pii_engine_t *e, const u_char *raw,
    size_t len, azoai_alloc_t *a, azoai_pii_match_pt cb, void *data);

/*
 * Writes the replacement of match m (found in raw) under the type's action
 * to out (AZOAI_PII_TAG_MAX bytes); the text is valid JSON string content
 * and contains no part of the value beyond what "partial" keeps.  Returns
 * its length.  BLOCK renders like MASK, and so does PSEUDONYM here.
 */
size_t azoai_pii_render(const azoai_pii_engine_t *e,
    const azoai_pii_match_t *m, const u_char *raw, u_char *out);

/*
 * azoai_pii_render() that mints "[TYPE_n]" in p for a type whose action
 * is PSEUDONYM (p NULL, a full map or a value that cannot be decoded:
 * "[TYPE]"), keeping the decoded original value for restoring.
 */
size_t azoai_pii_render_pseudo(const azoai_pii_engine_t *e,
    const azoai_pii_match_t *m, const u_char *raw, u_char *out,
    struct azoai_pseudo_s *p);


#endif /* _AZOAI_PII_H_INCLUDED_ */
