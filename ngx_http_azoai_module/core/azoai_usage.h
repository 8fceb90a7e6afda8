/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Token usage of an Azure OpenAI response, read while the response streams
 * through a body filter: a plain JSON body, or a text/event-stream whose
 * "data:" lines each carry one JSON document.
 *
 * The input may arrive split anywhere (inside a key, a number, a line
 * terminator).  The scanner is a byte-level state machine: every byte is
 * looked at once, nothing is buffered but the current member name (the
 * carry, at most AZOAI_USAGE_KEY_MAX bytes), and the numbers of the usage
 * object are read as they pass and committed when that object closes.  So
 * there is no capture size limit, no allocation and no pointer into the
 * input: the structure is embedded in the request context as it is.
 *
 * Recognised: "usage" as a member of the top-level object (chat
 * completions, completions, embeddings, Responses API bodies) or of the
 * top-level "response" object (Responses API stream events such as
 * response.completed).  Inside it: prompt_tokens or input_tokens,
 * completion_tokens or output_tokens, total_tokens, as non-negative
 * integers that fit int64_t; other members (prompt_tokens_details, ...)
 * are skipped whatever they hold.  The last usage object seen wins.
 */

#ifndef _AZOAI_USAGE_H_INCLUDED_
#define _AZOAI_USAGE_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_json.h"
#include "azoai_sse_line.h"


/* the longest member name compared; longer names match nothing */
#define AZOAI_USAGE_KEY_MAX   24

/* fields of azoai_usage_t.pending[] */
#define AZOAI_USAGE_PROMPT      0
#define AZOAI_USAGE_COMPLETION  1
#define AZOAI_USAGE_TOTAL       2
#define AZOAI_USAGE_NFIELDS     3

/* open objects the scanner follows: top-level, "response", "usage" */
#define AZOAI_USAGE_MAX_FRAMES  3


typedef struct {
    /* results, valid after any feed; -1: not seen */
    int64_t          prompt_tokens;
    int64_t          completion_tokens;
    int64_t          total_tokens;
    unsigned         found:1;

    /* private: stream */
    unsigned         sse:1;
    unsigned         finished:1;

    /* private: JSON scanner */
    unsigned         esc:1;            /* after a backslash in a string */
    unsigned         skip_in_string:1; /* skipped container: in a string */
    unsigned         num_bad:1;        /* negative, fraction, overflow */

    uint8_t          sse_state;
    uint8_t          sse_matched;      /* bytes of "data:" seen */
    azoai_sse_line_t lines;
    uint8_t          state;
    uint8_t          target;           /* what the next value is for */
    uint8_t          nframes;
    uint8_t          frames[AZOAI_USAGE_MAX_FRAMES];
    uint8_t          key_len;          /* AZOAI_USAGE_KEY_MAX + 1: long */
    u_char           key[AZOAI_USAGE_KEY_MAX];

    uint64_t         skip_depth;       /* of a skipped container */
    int64_t          num;
    int64_t          pending[AZOAI_USAGE_NFIELDS];
} azoai_usage_t;


/* sse: 1 for text/event-stream, 0 for a JSON body */
void azoai_usage_init(azoai_usage_t *u, unsigned sse);

/*
 * The results alone as "not seen", for a state whose other fields
 * azoai_usage_init() sets only once it is fed (inline: the glue calls it
 * for every request)
 */

static inline void
azoai_usage_results_init(azoai_usage_t *u)
{
    u->prompt_tokens = -1;
    u->completion_tokens = -1;
    u->total_tokens = -1;
    u->found = 0;
}


/* any chunk, any length (0 included); ignored after azoai_usage_finish() */
void azoai_usage_feed(azoai_usage_t *u, const u_char *p, size_t len);

/* end of the body */
void azoai_usage_finish(azoai_usage_t *u);

/*
 * The same results read from a whole JSON body by a walk that is made
 * anyway (azoai_json_walk(), the restore scan of a JSON response): each
 * value the walker reports, from a fresh azoai_usage_init(u, 0).  For a
 * valid document the results equal those of azoai_usage_feed() over it
 * (tests/test_usage.c, fuzz_usage); once the walk succeeded,
 * azoai_usage_finish() makes later feeds no-ops.
 */
void azoai_usage_visit(azoai_usage_t *u, const azoai_json_value_t *v);


#endif /* _AZOAI_USAGE_H_INCLUDED_ */
