/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The rewrite of a masked body by reference: the bytes of
 * azoai_body_rewrite() handed on in pieces, the long unchanged spans as
 * pointers into the body, everything else copied into short runs.
 */

#ifndef _AZOAI_BODY_REFS_H_INCLUDED_
#define _AZOAI_BODY_REFS_H_INCLUDED_


#include "azoai_body.h"


/* a piece of a rewrite to the caller: AZOAI_OK, or AZOAI_ERROR to stop */
typedef int (*azoai_body_emit_pt)(void *data, const u_char *p, size_t len);


/*
 * The bytes azoai_body_rewrite() writes, handed to emit in order, each
 * piece non-empty: every unchanged span of at least ref_min bytes as a
 * pointer into body (which must outlive the pieces); the replacements
 * and the shorter spans around them copied, each run of them one piece
 * in memory from a (one allocation, sized from the matches first).
 * Pseudonyms are minted from result->pseudo in text order, as the
 * rewrite mints them.  AZOAI_OK with *out_len the total length;
 * AZOAI_ERROR when a or emit fails, or a match lies outside the body or
 * before the one ahead of it (the pieces emitted are then to be dropped).
 */
int azoai_body_splice_refs(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, const u_char *body, size_t len,
    size_t ref_min, azoai_alloc_t *a, azoai_body_emit_pt emit, void *data,
    size_t *out_len);


#endif /* _AZOAI_BODY_REFS_H_INCLUDED_ */
