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


/* the run of copied bytes being written, [start, last) */
typedef struct {
    u_char                     *start;
    u_char                     *last;
    size_t                      emitted;    /* bytes handed on before */
    size_t                      ref_min;    /* SIZE_MAX: copy it all */
    azoai_body_emit_pt          emit;
    void                       *data;
} azoai_body_run_t;


/*
 * The one splicing loop of both rewrites: body from pos on, the matches
 * from first on replaced, into run (spans of ref_min bytes or more
 * emitted as pointers, the rest copied at run->last, which has room for
 * them and AZOAI_PII_TAG_MAX bytes per match).  The copy of
 * azoai_body_rewrite() is the run with ref_min SIZE_MAX: nothing is
 * emitted, all of it is written from run->start.  The run's last bytes
 * are the caller's to emit.  AZOAI_ERROR when emit fails or a match lies
 * outside the body or before the one ahead of it.
 */
int azoai_body_splice_run(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, size_t first, const u_char *body,
    size_t len, size_t pos, azoai_body_run_t *run);


/*
 * n bytes from src to dst, which do not overlap, as the spans of a run
 * are copied (vector moves where the CPU has AVX2); returns dst + n
 */
u_char *azoai_body_copy_out(u_char *dst, const u_char *src, size_t n);


/*
 * The bytes a run with ref_min SIZE_MAX needs at most for len bytes of
 * body and ntags matches in them: all of it and AZOAI_PII_TAG_MAX for
 * each match (a tag takes at most that many bytes more than nothing);
 * SIZE_MAX on overflow.  azoai_body_copy_room() is this for all of a
 * body's matches; the rewrite in place asks it for those it has left.
 */

static inline size_t
azoai_body_tags_room(size_t ntags, size_t len)
{
    if (ntags > (SIZE_MAX - len) / AZOAI_PII_TAG_MAX) {
        return SIZE_MAX;
    }

    return len + ntags * AZOAI_PII_TAG_MAX;
}


static inline size_t
azoai_body_copy_room(const azoai_body_result_t *result, size_t len)
{
    return azoai_body_tags_room(result->nmatches, len);
}


/* a run writing from start, nothing emitted yet */

static inline void
azoai_body_run_init(azoai_body_run_t *run, u_char *start, size_t ref_min,
    azoai_body_emit_pt emit, void *data)
{
    run->start = start;
    run->last = start;
    run->emitted = 0;
    run->ref_min = ref_min;
    run->emit = emit;
    run->data = data;
}


#endif /* _AZOAI_BODY_REFS_H_INCLUDED_ */
