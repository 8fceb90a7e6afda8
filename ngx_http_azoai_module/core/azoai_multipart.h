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
 * mp->error and mp->error_offset set; AZOAI_ERROR when a fails.
 */
int azoai_multipart_parse(const u_char *body, size_t len,
    const azoai_str_t *boundary, azoai_alloc_t *a, azoai_multipart_t *mp);


#endif /* _AZOAI_MULTIPART_H_INCLUDED_ */
