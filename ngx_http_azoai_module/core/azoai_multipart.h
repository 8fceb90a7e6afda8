/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Strict multipart/form-data (RFC 7578 over RFC 2046): the boundary of a
 * Content-Type value, then the parts of a body: their headers
 * (Content-Disposition name and filename, Content-Type) and the byte
 * spans of their content.  Whatever does not follow the grammar is an
 * error with a static reason and a byte offset, never content: the glue
 * denies it (InvalidBody), so that no reading of the body that Azure
 * could make differently slips through.
 */

#ifndef _AZOAI_MULTIPART_H_INCLUDED_
#define _AZOAI_MULTIPART_H_INCLUDED_


#include "azoai_core.h"


/* RFC 2046: a boundary is 1 to 70 characters */
#define AZOAI_MULTIPART_BOUNDARY_MAX   70

/* more parts than any upload needs is an error, not a loop */
#define AZOAI_MULTIPART_MAX_PARTS      64

/* the header block of one part, its blank line included */
#define AZOAI_MULTIPART_MAX_HEADER     8192

/* header fields in one part */
#define AZOAI_MULTIPART_MAX_FIELDS     16


typedef struct {
    azoai_str_t      name;          /* Content-Disposition name, decoded */
    azoai_str_t      filename;      /* decoded; see has_filename */
    azoai_str_t      content_type;  /* raw value, blanks trimmed; or empty */
    size_t           header_start;  /* offset of the part's first header */
    size_t           content_start; /* offset of the content */
    size_t           content_end;   /* offset just past it */
    unsigned         has_filename:1;
} azoai_multipart_part_t;


typedef struct {
    azoai_multipart_part_t  *parts;
    size_t                   nparts;
    size_t                   preamble_len;  /* bytes before the first "--" */
    size_t                   epilogue_start; /* after the closing line */

    const char              *error;         /* NULL, or static text */
    size_t                   error_offset;
} azoai_multipart_t;


/*
 * The boundary of a Content-Type value: AZOAI_OK with *boundary pointing
 * into ct (quotes removed; a quoted boundary has no escapes, as bchars
 * hold no '"' or '\'); AZOAI_DECLINED when the type is not
 * multipart/form-data; AZOAI_ERROR with *error set when it is but its
 * parameters break the grammar (no boundary, two, one too long, ...).
 */
int azoai_multipart_boundary(const u_char *ct, size_t len,
    azoai_str_t *boundary, const char **error);

/*
 * Parses body.  Returns AZOAI_OK with mp filled (mp->error NULL) or with
 * mp->error and mp->error_offset set; AZOAI_ERROR when a fails.  The
 * whole body is fed in one piece to the incremental parser below; names,
 * filenames and content types are copies from a.
 */
int azoai_multipart_parse(const u_char *body, size_t len,
    const azoai_str_t *boundary, azoai_alloc_t *a, azoai_multipart_t *mp);


/*
 * The incremental parser: the body is fed in pieces of any size, and
 * the parser reports, in order, each part once its headers are read
 * (content_end not set yet), the part's content in pieces (pointers
 * into the fed data, or into the parser's hold of at most
 * AZOAI_MULTIPART_HOLD_MAX bytes, valid for the call only), and the end
 * of each part.  The envelope is not reported.  Whatever the pieces, the
 * reports (their content concatenated), the result and the error with
 * its offset are those of one piece holding the whole body.  A handler
 * returns AZOAI_OK to go on; any other value stops the parser, and the
 * call that made it returns that value.
 */

/* the bytes kept across pieces: a delimiter cut in two, its CRLF */
#define AZOAI_MULTIPART_HOLD_MAX  (AZOAI_MULTIPART_BOUNDARY_MAX + 4)

typedef struct {
    int            (*part)(void *data, const azoai_multipart_part_t *part);
    int            (*content)(void *data, const u_char *p, size_t len);
    int            (*part_end)(void *data,
                               const azoai_multipart_part_t *part);
    void            *data;
} azoai_multipart_handler_t;


typedef struct {
    /* results, as in azoai_multipart_t */
    size_t                      nparts;
    size_t                      preamble_len;
    size_t                      epilogue_start;
    const char                 *error;
    size_t                      error_offset;

    /* state: private */
    azoai_multipart_handler_t   h;
    azoai_alloc_t              *a;
    u_char                      dash[AZOAI_MULTIPART_BOUNDARY_MAX + 2];
    size_t                      dash_len;
    unsigned                    state;
    unsigned                    sub;       /* step inside a delimiter line */
    unsigned                    closed:1;
    unsigned                    done:1;    /* stopped: error or handler */
    int                         rc;        /* what stopped it, or AZOAI_OK */
    size_t                      pos;       /* bytes consumed */
    size_t                      search;    /* where the next search starts */
    size_t                      mark;      /* a position a step remembers */
    u_char                      last2[2];  /* the last bytes consumed */
    unsigned                    seen;      /* header fields of the part */
    unsigned                    fields;
    size_t                      line;      /* header line start, in hdr */
    azoai_multipart_part_t      part;
    u_char                     *hdr;       /* the part's header block */
    size_t                      hdr_len;
    u_char                      hold[2 * AZOAI_MULTIPART_HOLD_MAX];
    size_t                      hold_len;
} azoai_multipart_stream_t;


/*
 * Sets s up for a body with boundary.  AZOAI_OK (s->error is "bad
 * boundary" for an empty or long one), or AZOAI_ERROR when a fails.
 */
int azoai_multipart_stream_init(azoai_multipart_stream_t *s,
    const azoai_str_t *boundary, azoai_alloc_t *a,
    const azoai_multipart_handler_t *h);

/*
 * The next piece of the body.  AZOAI_OK (check s->error), AZOAI_ERROR
 * when a fails, or what a handler returned to stop.
 */
int azoai_multipart_feed(azoai_multipart_stream_t *s, const u_char *p,
    size_t len);

/* the end of the body: the same returns */
int azoai_multipart_finish(azoai_multipart_stream_t *s);


/*
 * azoai_multipart_find.c: the first occurrence of needle[0, m) in
 * hay[0, n), or NULL, as memmem() finds it (m <= 72: "--" boundary)
 */
const u_char *azoai_multipart_find(const u_char *hay, size_t n,
    const u_char *needle, size_t m);


#endif /* _AZOAI_MULTIPART_H_INCLUDED_ */
