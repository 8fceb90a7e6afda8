/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * One pass over a JSON request body: strict validation, the deployment
 * names it carries, and the PII spans of its string values; then the
 * rewrite that splices replacements into the original bytes.
 */

#ifndef _AZOAI_BODY_H_INCLUDED_
#define _AZOAI_BODY_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_pii.h"


#define AZOAI_BODY_MAX_DEPTH       64
#define AZOAI_BODY_MAX_NAMES       16

/* result->error */
#define AZOAI_BODY_OK              0
#define AZOAI_BODY_INVALID         1   /* not JSON, malformed, bad UTF-8 */
#define AZOAI_BODY_TOO_DEEP        2
#define AZOAI_BODY_AMBIGUOUS       3   /* "model" twice or not a string */
#define AZOAI_BODY_NOMEM           4


/* where in the body a deployment name was found */
typedef enum {
    AZOAI_BODY_NAME_MODEL = 0,         /* top-level "model" */
    AZOAI_BODY_NAME_SESSION_MODEL,     /* "session": {"model": ...} */
    AZOAI_BODY_NAME_EMBEDDING,         /* "data_sources": [{"parameters":
                                          {"embedding_dependency":
                                          {"deployment_name": ...}}}] */
    AZOAI_BODY_NAME_N
} azoai_body_origin_e;


/* result->store: the top-level "store" member (azoai_store.h judges it) */
#define AZOAI_BODY_STORE_ABSENT    0
#define AZOAI_BODY_STORE_TRUE      1   /* the literal true */
#define AZOAI_BODY_STORE_FALSE     2   /* the literal false */
#define AZOAI_BODY_STORE_SCALAR    3   /* null, a number, a string */
#define AZOAI_BODY_STORE_CONTAINER 4   /* an object or an array */


typedef struct {
    azoai_str_t              name;     /* decoded */
    azoai_body_origin_e      origin;
} azoai_body_name_t;


typedef struct azoai_body_result_s {
    unsigned             error;        /* AZOAI_BODY_* */
    /* static text plus a byte offset, never body content */
    char                 error_text[128];

    /* top-level "model" (and session.model, deployment_name, ...) */
    azoai_body_name_t    names[AZOAI_BODY_MAX_NAMES];
    unsigned             nnames;
    unsigned             model_present:1;

    /*
     * Data retention: the top-level "store" value, its bytes (a string
     * with its quotes) and the top-level object's '{'; "background": true
     */
    unsigned             store;        /* AZOAI_BODY_STORE_* */
    size_t               store_start;
    size_t               store_end;
    size_t               object_start;
    unsigned             object:1;     /* the body is a JSON object */
    unsigned             background:1;

    /*
     * with PII on: strings the scan cannot read (azoai_body_opaque),
     * left as they are; what the first one is, as static text
     */
    unsigned             nopaque;
    const char          *opaque_what;

    /* PII: matches in body offsets, in order, not overlapping */
    azoai_pii_match_t   *matches;
    size_t               nmatches;
    uint64_t             types_found;  /* bit per type id */
    uint64_t             types_blocked;/* found with action block */

    /* set by the caller before a rewrite: where pseudonyms are minted */
    struct azoai_pseudo_s  *pseudo;

    /*
     * matches by type, read only when nmatches is not 0: zeroed at the
     * first match, not with the rest of the result for every body (256
     * bytes, ~18 instructions a request without PII)
     */
    uint32_t             counts[AZOAI_PII_MAX_TYPES];
} azoai_body_result_t;


/*
 * Inspects body; e may be NULL (no PII scan).  Returns AZOAI_OK when the
 * result is filled (check result->error), AZOAI_ERROR on allocation
 * failure.  azoai_body_inspect_into(): the first nroom matches go to
 * room, which the caller keeps as long as it reads result->matches (a
 * result copied whole, as a JSONL line keeps it, needs matches from a:
 * azoai_body_inspect()).
 */
int azoai_body_inspect_into(const azoai_pii_engine_t *e,
    const u_char *body, size_t len, azoai_alloc_t *a,
    azoai_body_result_t *result, azoai_pii_match_t *room, size_t nroom);

static inline int azoai_body_inspect(const azoai_pii_engine_t *e,
    const u_char *body, size_t len, azoai_alloc_t *a,
    azoai_body_result_t *result);

/*
 * The origin as messages name it: "body model", "body session.model",
 * "body data_sources embedding_dependency.deployment_name"
 */
const char *azoai_body_name_where(azoai_body_origin_e origin);

/*
 * Writes body with each match replaced by azoai_pii_render(); all other
 * bytes are copied as they are.  *out is allocated from a, sized once.
 */
int azoai_body_rewrite(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, const u_char *body, size_t len,
    azoai_alloc_t *a, u_char **out, size_t *out_len);

/*
 * azoai_body_rewrite() into body itself, which must be writable: *out is
 * body while the tags fit in the bytes they replace and the ones before;
 * else, from the first tag that does not, a new buffer from a.  Bytes past
 * body + len are never written.
 */
int azoai_body_rewrite_in_place(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, u_char *body, size_t len,
    azoai_alloc_t *a, u_char **out, size_t *out_len);


static inline int
azoai_body_inspect(const azoai_pii_engine_t *e, const u_char *body,
    size_t len, azoai_alloc_t *a, azoai_body_result_t *result)
{
    return azoai_body_inspect_into(e, body, len, a, result, NULL, 0);
}


#endif /* _AZOAI_BODY_H_INCLUDED_ */
