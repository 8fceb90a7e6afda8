/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Masking is idempotent: mask(mask(x)) == mask(x).  A detector looks at
 * a value's neighbours (a word or number glued to it, a context word
 * within 48 bytes), and masking a neighbour changes them: in
 * "078-05-1120,0.1.2.3" the SSN is refused while a number follows its
 * comma, and found once that number is "[IPV4]"; a tag's type name can be
 * a context word ("[PHONE]"), and a tag is shorter or longer than its
 * value, which moves context words nearer or further.  So the scan of a
 * string goes on to the fixed point: the spans found are rendered as the
 * rewrite will render them, the masked text is scanned again around each
 * tag, and what that finds is added, until it finds nothing.  Only
 * strings with a match pay for it, and only where a detector refused a
 * value near a match (or a match is glued to a word): other strings are
 * at their fixed point already, as no detector can start anywhere else
 * in a tag's reach.
 *
 * Pseudonyms are rendered "[TAG]" here ("[TAG_n]" needs the request's
 * map), so for them the guarantee is the weaker one: tags stay as they
 * are on a second pass.
 */

#include <string.h>

#include "azoai_pii_int.h"


/*
 * A detector starting this far before a tag or after it can read it: the
 * longest value that looks at its neighbours or context (an IBAN of 34
 * characters with its spaces, 42) and the context windows (48 bytes
 * before, 24 after), with room to spare.  Longer values (credentials,
 * PEM blocks) look only at the bytes next to them, and start before the
 * tag only where their run of token bytes reaches it.
 */
#define AZOAI_PII_SETTLE_BACK    160
#define AZOAI_PII_SETTLE_FWD     128

/* each round adds a span; a pathological text gives up masked as is */
#define AZOAI_PII_SETTLE_ROUNDS  16


/* a span in the view and its tag in the masked text */
typedef struct {
    size_t                  vstart;
    size_t                  vend;
    size_t                  mstart;
    size_t                  mend;
} azoai_pii_tag_t;


typedef struct {
    u_char                 *text;
    size_t                  len;
    azoai_pii_tag_t        *tags;
    size_t                  ntags;
    azoai_pii_range_t      *ranges;
    size_t                  nranges;
} azoai_pii_masked_t;


static int azoai_pii_mask_view(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, const azoai_pii_match_t *m, size_t n,
    azoai_alloc_t *a, azoai_pii_masked_t *mt);
static void azoai_pii_settle_ranges(azoai_pii_masked_t *mt);
static size_t azoai_pii_settle_map(const azoai_pii_masked_t *mt, size_t p,
    int end);
static int azoai_pii_settle_merge(const azoai_pii_masked_t *mt,
    const azoai_pii_match_t *found, size_t nfound, azoai_pii_match_t **m,
    size_t *n, azoai_alloc_t *a);


int
azoai_pii_settle_rounds(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, azoai_pii_match_t **m, size_t *n,
    azoai_alloc_t *a)
{
    int                  rc;
    size_t               nfound, round;
    azoai_pii_match_t   *found;
    azoai_pii_masked_t   mt;

    for (round = 0; round < AZOAI_PII_SETTLE_ROUNDS; round++) {

        if (azoai_pii_mask_view(e, view, *m, *n, a, &mt) != AZOAI_OK) {
            return AZOAI_ERROR;
        }

        if (azoai_pii_find_text(e, mt.text, mt.len, mt.ranges, mt.nranges,
                                a, &found, &nfound)
            != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        if (nfound == 0) {
            return AZOAI_OK;
        }

        rc = azoai_pii_settle_merge(&mt, found, nfound, m, n, a);

        if (rc != AZOAI_OK) {
            /* AZOAI_DECLINED: nothing new, the tags themselves matched */
            return (rc == AZOAI_ERROR) ? AZOAI_ERROR : AZOAI_OK;
        }
    }

    return AZOAI_OK;
}


/*
 * Whether masking m can change a verdict: a detector refused a value
 * within reach of a match (a stop before it, or after it), a match is
 * glued to a word (a digit after it starts a word once it is a tag), or
 * a custom pattern may match anywhere.  Stops inside a match become tag
 * bytes, which start nothing.
 */

int
azoai_pii_settle_needed(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, const azoai_pii_stops_t *refused,
    const azoai_pii_match_t *m, size_t n)
{
    size_t                    k, p;
    const size_t             *at, *last;
    const azoai_pii_match_t  *mk, *end, *end8;

    if (e->ncustom || refused->over) {
        return 1;
    }

    /* no candidate touches a word: no match does (azoai_pii_find()) */

    for (k = 0; refused->glued && k < n; k++) {
        if ((m[k].start > 0 && azoai_pii_alnum(view->text[m[k].start - 1]))
            || (m[k].end < view->len && azoai_pii_alnum(view->text[m[k].end])))
        {
            return 1;
        }
    }

    /*
     * by pointer: the walk over the matches runs once per match between
     * two stops (~40 steps at 64 KB), a compare fewer a step; eight at a
     * step first where eight lie before the stop (chat-64k-pii: 4 stops,
     * 40 matches, ~90 instructions fewer)
     */

    mk = m;
    end = m + n;
    last = refused->at + refused->n;
    end8 = (n >= 8) ? end - 7 : m;

    for (at = refused->at; at < last; at++) {
        p = *at;

        while (mk < end8 && mk[7].end <= p) {
            mk += 8;
        }

        while (mk < end && mk->end <= p) {
            mk++;
        }

        if (mk < end && p >= mk->start) {
            continue;                       /* inside a match */
        }

        if ((mk > m && p - mk[-1].end < AZOAI_PII_SETTLE_FWD)
            || (mk < end && mk->start - p <= AZOAI_PII_SETTLE_BACK))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The view with each span replaced by its rendering, as the rewrite
 * writes it into the raw string (a character is decoded the same whatever
 * surrounds it, so the view of the rewritten string is this text)
 */

static int
azoai_pii_mask_view(const azoai_pii_engine_t *e, const azoai_pii_view_t *view,
    const azoai_pii_match_t *m, size_t n, azoai_alloc_t *a,
    azoai_pii_masked_t *mt)
{
    size_t              i, pos, o;
    azoai_pii_match_t   rm;

    mt->tags = azoai_alloc(a, n * (sizeof(azoai_pii_tag_t)
                                   + sizeof(azoai_pii_range_t))
                              + view->len + n * AZOAI_PII_TAG_MAX);
    if (mt->tags == NULL) {
        return AZOAI_ERROR;
    }

    mt->ranges = (azoai_pii_range_t *) (mt->tags + n);
    mt->text = (u_char *) (mt->ranges + n);
    mt->ntags = n;

    pos = 0;
    o = 0;

    for (i = 0; i < n; i++) {
        memcpy(mt->text + o, view->text + pos, m[i].start - pos);
        o += m[i].start - pos;

        rm.type = m[i].type;

        if (view->nsegs == 0) {
            rm.start = m[i].start;
            rm.end = m[i].end;

        } else {
            rm.start = azoai_pii_view_raw_start(view, m[i].start);
            rm.end = azoai_pii_view_raw_end(view, m[i].end - 1);
        }

        mt->tags[i].vstart = m[i].start;
        mt->tags[i].vend = m[i].end;
        mt->tags[i].mstart = o;

        o += azoai_pii_render(e, &rm, view->raw, mt->text + o);

        mt->tags[i].mend = o;
        pos = m[i].end;
    }

    memcpy(mt->text + o, view->text + pos, view->len - pos);
    mt->len = o + view->len - pos;

    azoai_pii_settle_ranges(mt);

    return AZOAI_OK;
}


/* where a detector may start and read a tag: around each, joined */

static void
azoai_pii_settle_ranges(azoai_pii_masked_t *mt)
{
    size_t              i, from, to;
    azoai_pii_range_t  *r;

    mt->nranges = 0;

    for (i = 0; i < mt->ntags; i++) {
        from = (mt->tags[i].mstart > AZOAI_PII_SETTLE_BACK)
               ? mt->tags[i].mstart - AZOAI_PII_SETTLE_BACK : 0;
        to = mt->tags[i].mend + AZOAI_PII_SETTLE_FWD;

        if (to > mt->len) {
            to = mt->len;
        }

        if (mt->nranges) {
            r = &mt->ranges[mt->nranges - 1];

            if (from <= r->to) {
                r->to = to;
                continue;
            }
        }

        mt->ranges[mt->nranges].from = from;
        mt->ranges[mt->nranges].to = to;
        mt->nranges++;
    }
}


/*
 * The view offset of masked offset p: a start (end == 0) or the last byte
 * of a span (end == 1, one past it returned).  Inside a tag, its value's
 * edge: a span reaching into a tag takes the value in.
 */

static size_t
azoai_pii_settle_map(const azoai_pii_masked_t *mt, size_t p, int end)
{
    size_t                  lo, hi, mid;
    const azoai_pii_tag_t  *t;

    /* the first tag ending after p */

    lo = 0;
    hi = mt->ntags;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (mt->tags[mid].mend <= p) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    if (lo < mt->ntags && p >= mt->tags[lo].mstart) {
        return end ? mt->tags[lo].vend : mt->tags[lo].vstart;
    }

    if (lo == 0) {
        return p + end;
    }

    t = &mt->tags[lo - 1];

    return p - t->mend + t->vend + end;
}


/*
 * The spans found in the masked text join *m in view offsets.
 * AZOAI_DECLINED when that changes nothing.
 */

static int
azoai_pii_settle_merge(const azoai_pii_masked_t *mt,
    const azoai_pii_match_t *found, size_t nfound, azoai_pii_match_t **m,
    size_t *n, azoai_alloc_t *a)
{
    size_t              i, k, j, total;
    azoai_pii_match_t  *all, f;

    total = *n + nfound;

    all = azoai_alloc(a, total * sizeof(azoai_pii_match_t));
    if (all == NULL) {
        return AZOAI_ERROR;
    }

    /* both lists are sorted by start; merge them */

    i = 0;
    j = 0;

    for (k = 0; k < total; k++) {
        if (j < nfound) {
            f.start = azoai_pii_settle_map(mt, found[j].start, 0);
            f.end = azoai_pii_settle_map(mt, found[j].end - 1, 1);
            f.type = found[j].type;
        }

        if (j < nfound && (i == *n || f.start < (*m)[i].start)) {
            all[k] = f;
            j++;

        } else {
            all[k] = (*m)[i++];
        }
    }

    azoai_pii_cands_sort(all, total);
    total = azoai_pii_resolve(all, total);

    if (total == *n) {
        for (i = 0; i < total; i++) {
            if (all[i].start != (*m)[i].start || all[i].end != (*m)[i].end
                || all[i].type != (*m)[i].type)
            {
                break;
            }
        }

        if (i == total) {
            return AZOAI_DECLINED;
        }
    }

    *m = all;
    *n = total;

    return AZOAI_OK;
}
