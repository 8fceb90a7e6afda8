/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The rewrite of a masked body by reference.  A 64 KB body with 40
 * values masked was copied whole into a new buffer (about 7,500
 * instructions of memcpy and a 67 KB allocation per request); here only
 * the replacements and the short spans between them are copied, into
 * one small buffer, and the caller points at the rest of the body.
 */

#include <stdint.h>
#include <string.h>

#include "azoai_body_refs.h"
#include "azoai_pii_int.h"


static inline int azoai_body_refs_span(azoai_body_run_t *run,
    const u_char *p, size_t n);
static size_t azoai_body_refs_room(const azoai_body_result_t *result,
    size_t len, size_t ref_min);


int
azoai_body_splice_refs(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, const u_char *body, size_t len,
    size_t ref_min, azoai_alloc_t *a, azoai_body_emit_pt emit, void *data,
    size_t *out_len)
{
    size_t            room;
    azoai_body_run_t  run;

    if ((result->nmatches && e == NULL) || ref_min == 0) {
        return AZOAI_ERROR;
    }

    room = azoai_body_refs_room(result, len, ref_min);
    if (room == SIZE_MAX) {
        return AZOAI_ERROR;
    }

    if (room == 0) {
        /* no matches, and the body empty or long enough: as it is */
        *out_len = len;
        return len ? emit(data, body, len) : AZOAI_OK;
    }

    run.start = azoai_alloc(a, room);
    if (run.start == NULL) {
        return AZOAI_ERROR;
    }

    run.last = run.start;
    run.emitted = 0;
    run.ref_min = ref_min;
    run.emit = emit;
    run.data = data;

    if (azoai_body_splice_run(e, result, 0, body, len, 0, &run) != AZOAI_OK
        || (run.last != run.start
            && emit(data, run.start, run.last - run.start) != AZOAI_OK))
    {
        return AZOAI_ERROR;
    }

    *out_len = run.emitted + (run.last - run.start);

    return AZOAI_OK;
}


/*
 * The write position is a local while the spans are copied and the tags
 * rendered, and goes to run->last only around an emitted span; a tag of
 * the mask and block actions is one move (azoai_pii_render_short()), the
 * others a call of azoai_pii_render_pseudo()
 */

int
azoai_body_splice_run(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, size_t first, const u_char *body,
    size_t len, size_t pos, azoai_body_run_t *run)
{
    size_t                    i, n, nmatches;
    u_char                   *o;
    const azoai_pii_match_t  *m, *matches;

    /* in locals: the calls below could change them, for all GCC knows */

    o = run->last;
    matches = result->matches;
    nmatches = result->nmatches;

    for (i = first; i < nmatches; i++) {
        m = &matches[i];

        if (m->start < pos || m->end < m->start || m->end > len) {
            return AZOAI_ERROR;
        }

        n = m->start - pos;

        if (n < run->ref_min) {
            memcpy(o, body + pos, n);
            o += n;

        } else {
            run->last = o;

            if (azoai_body_refs_span(run, body + pos, n) != AZOAI_OK) {
                return AZOAI_ERROR;
            }

            o = run->last;
        }

        /* the room holds AZOAI_PII_TAG_MAX bytes for each match */

        n = azoai_pii_render_short(e, m->type, o);

        if (n == 0) {
            n = azoai_pii_render_pseudo(e, m, body, o, result->pseudo);

            if (n > AZOAI_PII_TAG_MAX) {
                return AZOAI_ERROR;
            }
        }

        o += n;
        pos = m->end;
    }

    run->last = o;

    return azoai_body_refs_span(run, body + pos, len - pos);
}


/*
 * An unchanged span: a piece of its own (after the run before it) when it
 * is long enough, else copied to the run
 */

static inline int
azoai_body_refs_span(azoai_body_run_t *run, const u_char *p, size_t n)
{
    if (n < run->ref_min) {
        memcpy(run->last, p, n);
        run->last += n;
        return AZOAI_OK;
    }

    if (run->last != run->start) {
        if (run->emit(run->data, run->start, run->last - run->start)
            != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        run->emitted += run->last - run->start;
        run->start = run->last;
    }

    run->emitted += n;

    return run->emit(run->data, p, n);
}


/*
 * The bytes the copied runs need at most: AZOAI_PII_TAG_MAX for each
 * match and the spans shorter than ref_min (all of the body when it is
 * shorter), or SIZE_MAX on overflow.  A span of a match out of order
 * counts as long: the splice stops at that match.
 */

static size_t
azoai_body_refs_room(const azoai_body_result_t *result, size_t len,
    size_t ref_min)
{
    size_t                    i, pos, room, span;
    const azoai_pii_match_t  *m;

    if (result->nmatches > (SIZE_MAX - len) / AZOAI_PII_TAG_MAX) {
        return SIZE_MAX;
    }

    room = result->nmatches * AZOAI_PII_TAG_MAX;

    if (len < ref_min) {
        return room + len;
    }

    pos = 0;

    for (i = 0; i < result->nmatches; i++) {
        m = &result->matches[i];
        span = m->start - pos;
        room += (span < ref_min) ? span : 0;
        pos = m->end;
    }

    span = len - pos;

    return room + ((span < ref_min) ? span : 0);
}
