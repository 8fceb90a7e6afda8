/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * JSONL files, and the lines of a batch file: where its request body is
 * (judged by the body layer like a request body) and which endpoint its
 * "url" names (judged like a route).
 */

#ifndef _AZOAI_BATCH_H_INCLUDED_
#define _AZOAI_BATCH_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_policy.h"


/* azoai_batch_line_t.error */
#define AZOAI_BATCH_OK           0
#define AZOAI_BATCH_INVALID      1   /* not JSON, not an object */
#define AZOAI_BATCH_AMBIGUOUS    2   /* "body" or "url" twice, missing, ... */

/* the longest "url" a batch line may hold, decoded */
#define AZOAI_BATCH_URL_MAX      256


typedef struct {
    unsigned         error;
    char             error_text[128];   /* static text and offsets only */
    azoai_str_t      body;              /* the "body" object, braces in */
    size_t           body_offset;       /* of body.data in the line */
    azoai_str_t      url;               /* raw string content */
    unsigned         url_flags;         /* AZOAI_JSON_ESCAPED ... */
    unsigned         bodies;            /* top-level "body" members seen */
} azoai_batch_line_t;


/*
 * The next line of a JSONL text from *pos, without its LF (a CR before
 * it is JSON whitespace and stays); lines holding only blanks are
 * skipped.  1 with *line set and *pos moved past it, 0 at the end.
 * *number counts lines from 1, skipped ones included.
 */
int azoai_jsonl_next(const u_char *data, size_t len, size_t *pos,
    size_t *number, azoai_str_t *line);

/* one batch line: error set, or body and url found */
void azoai_batch_line(const u_char *line, size_t len,
    azoai_batch_line_t *bl);

/*
 * Judges the url of a valid line as a POST to /openai/v1 + url ("/v1"
 * prefix taken as it is): a route the module knows, that takes its
 * deployment from the body, with GA features and api-version.  d is
 * initialised; AZOAI_OK, or AZOAI_ERROR when a fails.
 */
int azoai_batch_check_url(const azoai_policy_conf_t *pc,
    const azoai_batch_line_t *bl, azoai_alloc_t *a, azoai_decision_t *d);


#endif /* _AZOAI_BATCH_H_INCLUDED_ */
