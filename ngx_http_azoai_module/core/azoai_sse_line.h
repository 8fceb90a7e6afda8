/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The lines of an event stream (text/event-stream) as its bytes arrive in
 * chunks split anywhere.  A line ends with CRLF, LF or CR, as the HTML
 * standard's event-stream grammar says; a CR last in one chunk and an LF
 * first in the next are one CRLF.  A line of no bytes is blank: it ends an
 * event (so "\r\r\n" is two blank lines, however its bytes came).
 *
 * The splitter holds no bytes: it hands back each line in pieces, one per
 * chunk it lies in, pointing into the caller's chunk.  Line ends are
 * found with memchr(), so a long line costs a fraction of an instruction
 * per byte.
 */

#ifndef _AZOAI_SSE_LINE_H_INCLUDED_
#define _AZOAI_SSE_LINE_H_INCLUDED_


#include "azoai_core.h"


typedef struct {
    size_t           len;      /* bytes of the current line so far */
    unsigned         cr:1;     /* the last byte was a CR: an LF is its */
} azoai_sse_line_t;


/* one chunk's part of a line, its terminator not included */
typedef struct {
    const u_char    *data;
    size_t           len;
    size_t           offset;   /* bytes of the line in earlier chunks */
    unsigned         end:1;    /* the line ends here */
    unsigned         blank:1;  /* it ends here and had no bytes at all */
} azoai_sse_piece_t;


void azoai_sse_line_init(azoai_sse_line_t *l);

/*
 * The next piece at p (p < last); returns where the next one starts.  A
 * piece may be empty and not end a line (an LF that completed a CRLF
 * was all there was).
 */
const u_char *azoai_sse_line_next(azoai_sse_line_t *l, const u_char *p,
    const u_char *last, azoai_sse_piece_t *pc);


#endif /* _AZOAI_SSE_LINE_H_INCLUDED_ */
