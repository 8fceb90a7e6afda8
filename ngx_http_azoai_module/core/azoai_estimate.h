/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * What a request may cost in tokens, before Azure says: the estimate a
 * token budget reserves when it admits a request.
 *
 * Prompt: the bytes of the body's string values (escapes not decoded;
 * member names, numbers and JSON syntax not counted; strings that start
 * with "data:" are base64 payloads and not counted), divided by 4 and
 * rounded up: about one token per four bytes of English text, as OpenAI's
 * tokenizers average.  A body that is not valid JSON counts whole.
 *
 * Output: the largest of the top-level max_tokens, max_completion_tokens
 * and max_output_tokens given as a non-negative integer (capped at
 * AZOAI_TLIMIT_MAX).  Any other value (negative, fraction, exponent,
 * string) is left out: Azure refuses such a request, and its error
 * response releases the reservation.
 */

#ifndef _AZOAI_ESTIMATE_H_INCLUDED_
#define _AZOAI_ESTIMATE_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_sse_line.h"


/* bytes of text per token */
#define AZOAI_ESTIMATE_BYTES_PER_TOKEN  4


typedef struct {
    int64_t          text_bytes;
    int64_t          prompt;       /* text_bytes / 4, rounded up */
    int64_t          max_output;   /* 0 when not given */
    int64_t          total;        /* prompt + max_output, capped */
    unsigned         max_ignored:1;/* given, but not a usable integer */
    unsigned         invalid:1;    /* not JSON: counted whole */
} azoai_estimate_t;


void azoai_estimate_body(const u_char *body, size_t len, azoai_estimate_t *e);


/*
 * The completion text of an event stream that carries no usage: the bytes
 * of the JSON string values a model writes, counted as the stream passes
 * in chunks split anywhere, divided by 4 and rounded up as the prompt is.
 * Counted: "delta" (Responses API *.delta events), and in documents with
 * no top-level "type" (chat completions, completions) "content", "text",
 * "refusal" and "arguments" (tool calls).  The *.done and
 * response.completed events of the Responses API repeat the text under
 * other names and are not counted again.  Escapes count as written.
 */

/* member names told apart; longer ones match nothing */
#define AZOAI_ESTIMATE_KEY_MAX     10

/* object nesting followed (deeper: as arrays, nothing counted there) */
#define AZOAI_ESTIMATE_DEPTH_MAX   64


typedef struct {
    int64_t          text_bytes;
    uint64_t         objects;      /* bit per level: an object */
    uint32_t         depth;
    uint8_t          state;
    uint8_t          key;          /* the member the next value is for */
    uint8_t          key_len;      /* AZOAI_ESTIMATE_KEY_MAX + 1: long */
    u_char           key_buf[AZOAI_ESTIMATE_KEY_MAX];
    unsigned         esc:1;
    unsigned         expect_key:1;
    unsigned         counting:1;   /* in a counted string value */
    unsigned         typed:1;      /* the document has a top-level "type" */

    /* the lines of the stream: each "data:" line is a new document */
    azoai_sse_line_t lines;
    uint8_t          field;        /* bytes of "data:" matched */
    unsigned         data:1;       /* in a data line */
    unsigned         other:1;      /* in another line */
} azoai_estimate_stream_t;


void azoai_estimate_stream_init(azoai_estimate_stream_t *s);
void azoai_estimate_stream_feed(azoai_estimate_stream_t *s, const u_char *p,
    size_t len);

/* the completion tokens seen so far */
int64_t azoai_estimate_stream_tokens(const azoai_estimate_stream_t *s);


#endif /* _AZOAI_ESTIMATE_H_INCLUDED_ */
