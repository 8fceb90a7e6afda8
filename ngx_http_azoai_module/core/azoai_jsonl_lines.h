/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The lines of a JSONL text that comes in pieces (a file read block by
 * block): each complete line is handed on once, in order, with its
 * number and offset, exactly as azoai_jsonl_next() would find it in the
 * whole text (lines of blanks skipped but counted, a CR before the LF
 * kept).  A line inside one piece is handed on where it lies; only a
 * line cut across pieces is assembled, in a buffer of at most max bytes:
 * a longer line is an error, so that memory does not follow the input.
 */

#ifndef _AZOAI_JSONL_LINES_H_INCLUDED_
#define _AZOAI_JSONL_LINES_H_INCLUDED_


#include "azoai_core.h"


/* the longest line of a JSONL file read in pieces (README: file routes) */
#define AZOAI_JSONL_LINE_MAX       (8 * 1024 * 1024)

/* the first room for a line cut across pieces; doubled as needed */
#define AZOAI_JSONL_LINE_FIRST     65536


typedef struct {
    const u_char   *data;       /* without its LF; valid for the call */
    size_t          len;
    size_t          number;     /* from 1 */
    size_t          start;      /* offset of data[0] in the text */
    unsigned        lf:1;       /* an LF follows (else the text ends) */
} azoai_jsonl_span_t;


/* AZOAI_OK to go on; anything else stops, and is returned */
typedef int (*azoai_jsonl_line_pt)(void *data, const azoai_jsonl_span_t *l);


typedef struct {
    const char           *error;       /* NULL, or static text */
    size_t                error_line;  /* the line's number */
    size_t                number;      /* lines seen, blank ones too */
    size_t                offset;      /* bytes fed */

    /* private */
    azoai_jsonl_line_pt   handler;
    void                 *data;
    azoai_alloc_t        *a;
    size_t                max;
    u_char               *buf;          /* a line cut across pieces */
    size_t                len;
    size_t                cap;
    int                   rc;
    unsigned              done:1;
} azoai_jsonl_lines_t;


void azoai_jsonl_lines_init(azoai_jsonl_lines_t *l, size_t max,
    azoai_alloc_t *a, azoai_jsonl_line_pt handler, void *data);

/*
 * The next piece.  AZOAI_OK (check l->error: a line longer than max),
 * AZOAI_ERROR when a fails, or what the handler returned to stop.
 */
int azoai_jsonl_lines_feed(azoai_jsonl_lines_t *l, const u_char *p,
    size_t len);

/* the end of the text: a last line without LF; the same returns */
int azoai_jsonl_lines_finish(azoai_jsonl_lines_t *l);


#endif /* _AZOAI_JSONL_LINES_H_INCLUDED_ */
