/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Putting pseudonyms back: the text fields of one JSON response document
 * (a whole response, or the data of one streamed event) are found with the
 * walker, and each "[TYPE_n]" minted for this request is replaced by its
 * original value, escaped for the JSON string it lands in: once, or twice
 * where the string is itself JSON (tool call arguments).  A token that was
 * not minted for this request is left as it is.
 */

#ifndef _AZOAI_RESTORE_H_INCLUDED_
#define _AZOAI_RESTORE_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_pseudo.h"
#include "azoai_usage.h"


/* a text field: the escaping of the string it sits in */
#define AZOAI_RESTORE_LEVEL_TEXT   1   /* JSON string */
#define AZOAI_RESTORE_LEVEL_JSON   2   /* JSON text inside a JSON string */

/* an index that the document did not carry */
#define AZOAI_RESTORE_NO_INDEX     -1


/* where restored text goes; non-zero stops with AZOAI_ERROR */
typedef int (*azoai_restore_write_pt)(void *data, const u_char *p,
    size_t len);


/* one text field of the document */
typedef struct {
    size_t                   offset;   /* raw content between the quotes */
    size_t                   len;
    unsigned                 level;    /* AZOAI_RESTORE_LEVEL_* */
    unsigned                 field;    /* what it is, part of the stream */
    unsigned                 delta:1;  /* a streamed piece of a text */
    unsigned                 flags;    /* the walker's AZOAI_JSON_ESCAPED.. */
    int64_t                  idx1;     /* choices[].index, output_index */
    int64_t                  idx2;     /* tool_calls[].index, content_index */
    size_t                   owner1;   /* offsets of the objects they */
    size_t                   owner2;   /* come from, until resolved */
} azoai_restore_span_t;


/* an "index" member of a choices[] or tool_calls[] element */
typedef struct {
    size_t                   owner;
    int64_t                  value;
    unsigned                 choice:1;  /* of a choices[] element */
} azoai_restore_index_t;


/*
 * The text fields of one document, in order.  The arrays are kept and
 * reused from one document to the next, grown (from alloc) only when a
 * document has more fields than any before it.
 */
typedef struct {
    azoai_alloc_t           *alloc;
    azoai_restore_span_t    *spans;
    size_t                   nspans;
    size_t                   spans_size;
    azoai_restore_index_t   *indexes;
    size_t                   nindexes;
    size_t                   indexes_size;
    int64_t                  output_index;
    int64_t                  content_index;
    unsigned                 func_args:1; /* "type": "...arguments..." */
    unsigned                 failed:1;

    /* NULL, or token usage read in the same walk (azoai_usage_visit()) */
    azoai_usage_t           *usage;
} azoai_restore_doc_t;


/*
 * Finds the text fields of doc.  Returns AZOAI_OK, AZOAI_DECLINED when doc
 * is not valid JSON (it passes as it is), AZOAI_ERROR on allocation
 * failure.
 */
int azoai_restore_scan(azoai_restore_doc_t *d, const u_char *doc,
    size_t len);

/*
 * Writes the raw string content carry + raw with minted tokens replaced.
 * With hold (AZOAI_PSEUDO_TOKEN_MAX bytes), a tail that may still begin a
 * minted token is not written but kept there (*hold_len); without it, it
 * is written as it is.  *restored counts the tokens put back.
 */
int azoai_restore_string(const azoai_pseudo_t *map, const u_char *carry,
    size_t carry_len, const u_char *raw, size_t len, unsigned level,
    u_char *hold, size_t *hold_len, size_t *restored,
    azoai_restore_write_pt write, void *data);

/* writes s JSON-escaped, level times */
int azoai_restore_escape(const u_char *s, size_t len, unsigned level,
    azoai_restore_write_pt write, void *data);


#endif /* _AZOAI_RESTORE_H_INCLUDED_ */
