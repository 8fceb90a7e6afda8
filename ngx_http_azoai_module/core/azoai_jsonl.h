/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * JSONL files masked line by line: every line is inspected by the body
 * layer as a request body (strict tokenizer, field rules, detectors and
 * actions), the results are summed, and the rewrite replaces only the
 * lines that hold matches, each spliced as a request body is; every
 * other byte of the text is kept as it is, handed on by reference
 * (azoai_jsonl_splice) or copied (azoai_jsonl_rewrite).
 */

#ifndef _AZOAI_JSONL_H_INCLUDED_
#define _AZOAI_JSONL_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_body.h"


/* the most bytes of a cut escape ("\\uD83D" is 6) or UTF-8 character */
#define AZOAI_JSONL_CUT_MAX      6


/* a line that holds matches: where it is, what the body layer found */
typedef struct {
    size_t                 start;      /* offset in the text */
    size_t                 len;
    azoai_body_result_t    res;
} azoai_jsonl_line_t;


typedef struct {
    /*
     * error and error_text of the first failing line; nmatches, counts,
     * types_found and types_blocked summed over all lines; no names
     */
    azoai_body_result_t    total;
    size_t                 error_line;  /* its number, from 1 */
    size_t                 lines;       /* lines inspected */

    azoai_jsonl_line_t    *masked;      /* lines with matches, in order */
    size_t                 nmasked;
    size_t                 amasked;     /* room in masked */

    /* set by the caller before a rewrite: where pseudonyms are minted */
    struct azoai_pseudo_s *pseudo;
} azoai_jsonl_result_t;


/*
 * Inspects the lines of text[from, to) (offsets in text; line numbers
 * count from the line at from).  Stops at the first line the body layer
 * refuses.  Returns AZOAI_OK (check r->total.error), or AZOAI_ERROR when
 * a fails.
 */
int azoai_jsonl_inspect(const azoai_pii_engine_t *e, const u_char *text,
    size_t from, size_t to, azoai_alloc_t *a, azoai_jsonl_result_t *r);

/*
 * Adds to r a piece of a line cut by an upload part boundary,
 * text[from, to): a JSON value by itself is inspected as a line; else it
 * is scanned as text, string by string (the bytes between quotes that
 * are valid string content, after dropping up to AZOAI_JSONL_CUT_MAX
 * bytes of a character or escape cut at the boundary: cut_start, cut_end
 * say which ends were cut).  A string that stays invalid is
 * AZOAI_BODY_INVALID in r->total.error (with error_line 0): it cannot be
 * inspected.  AZOAI_OK, or AZOAI_ERROR when a fails.
 */
int azoai_jsonl_inspect_piece(const azoai_pii_engine_t *e,
    const u_char *text, size_t from, size_t to, unsigned cut_start,
    unsigned cut_end, azoai_alloc_t *a, azoai_jsonl_result_t *r);

/* a piece of a rewrite to the caller: AZOAI_OK, or AZOAI_ERROR to stop */
typedef int (*azoai_jsonl_emit_pt)(void *data, const u_char *p,
    size_t len);

/*
 * The rewrite of text[0, len), each masked line replaced by its rewrite
 * (pseudonyms minted from r->pseudo in text order), handed to emit in
 * order and never empty: the stretches between masked lines as pointers
 * into text, each rewritten line in memory from a.  AZOAI_OK with
 * *out_len the new length; AZOAI_ERROR when a or emit fails, or a masked
 * line lies outside the text or before the one ahead of it.
 */
int azoai_jsonl_splice(const azoai_pii_engine_t *e,
    azoai_jsonl_result_t *r, const u_char *text, size_t len,
    azoai_alloc_t *a, azoai_jsonl_emit_pt emit, void *data,
    size_t *out_len);

/*
 * The pieces of azoai_jsonl_splice() gathered into *out (from a, sized
 * once).  AZOAI_OK, or AZOAI_ERROR as azoai_jsonl_splice().
 */
int azoai_jsonl_rewrite(const azoai_pii_engine_t *e,
    azoai_jsonl_result_t *r, const u_char *text, size_t len,
    azoai_alloc_t *a, u_char **out, size_t *out_len);


#endif /* _AZOAI_JSONL_H_INCLUDED_ */
