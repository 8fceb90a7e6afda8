/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The response rewriter that restores pseudonyms as a response passes:
 * a JSON response is read whole (it is not streamed anyway) and its text
 * fields restored; an event stream (text/event-stream) is cut into events
 * as bytes arrive (lines end with CRLF, LF or CR: azoai_sse_line.c),
 * each complete event rewritten and written at once.  A token split
 * across events ("[EMA" then "IL_1]") is restored: the tail
 * of a streamed text that may still begin a minted token is held back,
 * per choice and tool call index (Responses API: per output and content
 * index), and put in front of the next piece of the same text; when no
 * piece follows, it is written in an event of its own, a copy of the one
 * it was taken from.
 *
 * A JSON response is copied once, into one buffer as it arrives (sized
 * from Content-Length when there is one); with ref set, the unchanged
 * spans of it (around the text fields, between masked values and tokens)
 * are handed out by reference, not copied again: only renderings and
 * restored values are copied out.
 *
 * Bytes held back at any time: the incomplete event at the end of the
 * input, AZOAI_SSE_EVENT_MAX at most (a longer event is written as it
 * comes, not rewritten), plus AZOAI_PSEUDO_TOKEN_MAX per held tail, for
 * AZOAI_SSE_CARRIES texts at most; with masking (azoai_pii_response),
 * AZOAI_RESP_MASK_CARRY per held tail.
 */

#ifndef _AZOAI_SSE_H_INCLUDED_
#define _AZOAI_SSE_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_pseudo.h"
#include "azoai_restore.h"
#include "azoai_resp_mask.h"
#include "azoai_sse_line.h"


/* an event longer than this passes as it is */
#define AZOAI_SSE_EVENT_MAX       (64 * 1024)

/* a JSON response longer than this passes as it is */
#define AZOAI_SSE_JSON_MAX        (8 * 1024 * 1024)

/* texts of one stream that can hold a tail back at the same time */
#define AZOAI_SSE_CARRIES         16


/* what became of an event (or a JSON response), for a debug log */
typedef enum {
    AZOAI_SSE_REWRITTEN = 0,   /* its text fields restored (and masked) */
    AZOAI_SSE_PASSED,          /* not JSON, no data line: as it came */
    AZOAI_SSE_LONG,            /* too long to hold: written as it comes */
    AZOAI_SSE_DONE,            /* "data: [DONE]" */
    AZOAI_SSE_REFUSED          /* masking: it cannot be scanned */
} azoai_sse_outcome_e;

/* told of each event: its outcome and length, never its content */
typedef void (*azoai_sse_trace_pt)(void *data, unsigned outcome,
    size_t len);


/* a held tail, and a copy of its event with the texts left empty */
typedef struct {
    int64_t                  idx1;
    int64_t                  idx2;
    unsigned                 field;
    unsigned                 level;
    unsigned                 used:1;
    size_t                   len;
    u_char                  *bytes;    /* AZOAI_RESP_MASK_CARRY */
    u_char                  *event;
    size_t                   event_len;
    size_t                   event_size;
    size_t                   at;       /* where the text goes in it */
    size_t                   seq;      /* the event's azoai_sse_t.ended */
} azoai_sse_carry_t;


typedef struct azoai_sse_s  azoai_sse_t;

struct azoai_sse_s {
    const azoai_pseudo_t    *map;
    azoai_alloc_t           *alloc;
    azoai_restore_write_pt   write;
    void                    *data;

    /*
     * NULL, or for bytes that stay where they are until the response ends
     * (a JSON response's own buffer): the caller may point at them
     */
    azoai_restore_write_pt   ref;
    azoai_sse_trace_pt       trace;    /* NULL: none */
    azoai_restore_doc_t      doc;

    /*
     * NULL, or where a JSON response's token usage is read in the walk
     * that finds its text fields: valid once usage_read is set
     */
    azoai_usage_t           *usage;

    /* azoai_pii_response: text is masked before it is restored */
    azoai_resp_mask_t       *mask;
    u_char                  *text;     /* a held tail and its next piece */
    size_t                   text_size;

    /* the incomplete event (or the whole JSON response) */
    u_char                  *buf;
    size_t                   len;
    size_t                   size;
    azoai_sse_line_t         line;     /* the stream's line framing */

    /*
     * where output goes: write, or while a stream's input is fed without
     * masking, the input being fed and the run of its bytes written as
     * they came but not yet handed to write: one write for many unchanged
     * events
     */
    azoai_restore_write_pt   emit;
    void                    *emit_data;
    const u_char            *in_at;
    const u_char            *in_end;
    const u_char            *pend_at;
    size_t                   pend_len;

    /*
     * the event being framed, as its lines pass: its "data:" lines, the
     * first of them (in the input), and whether a line came in pieces
     * (then its event is parsed again, azoai_sse_data())
     */
    const u_char            *data_at;
    size_t                   data_len;
    size_t                   ndata;
    unsigned                 line_split:1;

    azoai_sse_carry_t        carries[AZOAI_SSE_CARRIES];

    size_t                   nheld;    /* carries[] in use */
    size_t                   restored; /* tokens put back */
    size_t                   passed;   /* events or responses not read */
    size_t                   held;     /* the most bytes held back */
    size_t                   events;   /* events (or responses) read */
    size_t                   ended;    /* events framed, read or not */
    unsigned                 outcome;  /* of the last one */

    unsigned                 level;     /* of the text being masked */

    /*
     * the text being masked, and its next '[' (text_end: none left; NULL:
     * not searched for yet)
     */
    const u_char            *text_at;
    const u_char            *text_end;
    const u_char            *bracket;

    unsigned                 json:1;    /* a JSON response, not a stream */
    unsigned                 passing:1; /* writing an event as it comes */
    unsigned                 final:1;   /* the last event: nothing held */
    unsigned                 lf_owed:1; /* a CR ended an event and the
                                           input: a LF next is its CRLF's */
    unsigned                 usage_read:1; /* *usage is the response's */
};


void azoai_sse_init(azoai_sse_t *s, const azoai_pseudo_t *map,
    azoai_alloc_t *a, unsigned json, azoai_restore_write_pt write,
    void *data);

/*
 * A JSON response of len bytes is announced (Content-Length): its buffer
 * is taken at that size at once, not grown (and copied) as it arrives.
 * AZOAI_OK, or AZOAI_ERROR (memory).
 */
int azoai_sse_expect(azoai_sse_t *s, size_t len);

/*
 * AZOAI_OK or AZOAI_ERROR (memory, or write failed); with mask set,
 * AZOAI_DECLINED for a JSON response that cannot be scanned (too long, or
 * not JSON): nothing of it was written, the caller fails closed
 */
int azoai_sse_feed(azoai_sse_t *s, const u_char *in, size_t len);

/* the end of the response: what is held back is written; as feed */
int azoai_sse_finish(azoai_sse_t *s);


#endif /* _AZOAI_SSE_H_INCLUDED_ */
