/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_pii_scan(): one JSON string in, matches out.  A prefilter pass
 * decides whether any detector could start in the string; only then is
 * the text view built (or the raw bytes used as they are), the validating
 * detectors run around candidate bytes, custom patterns run over the view,
 * overlapping candidates are resolved (longer wins) and the survivors are
 * reported in raw offsets.
 */

#include <string.h>

#include "azoai_pii_int.h"

/*
 * The stop loop twice (AZOAI_BMI, azoai_pii_int.h).  The helpers GCC
 * inlined in the stop loop are always inline: in the BMI build it left
 * the prefixed phone and the national ids' refusals out of line one
 * after the other (+55, +105, +88 instructions at chat-4k-pii).
 * azoai_pii_find() 1,050 -> 1,031 at chat-4k-pii (bench_engine); module
 * instr/req 38,720 / 42,423 / 80,852 -> 38,720 / 42,388 / 80,742
 * (callgrind.sh inside)
 */


/* views up to this size stay on the stack */
#define AZOAI_PII_STACK_VIEW   2048
#define AZOAI_PII_STACK_SEGS   256
#define AZOAI_PII_STACK_CANDS  64
#define AZOAI_PII_STACK_STOPS  64

/*
 * refused stops kept at most (32 KB): past that, every match is taken to
 * be near one (azoai_pii_settle() runs).  A 64 KB text with a value every
 * 200 bytes has ~300 (a digit in each address's local part).
 */
#define AZOAI_PII_STOPS_MAX    4096

/*
 * a national phone's first group, or its digits unbroken: 10-11 with the
 * trunk "0", 9-11 without (ES, IN, BR mobiles)
 */
#define AZOAI_PII_PHONE_AREA_MAX  5
#define AZOAI_PII_PHONE_RUN_MIN   10
#define AZOAI_PII_PHONE_BARE_MIN  9
#define AZOAI_PII_PHONE_RUN_MAX   11

/*
 * what the digit stop's detectors (azoai_pii_scan_digit() and those it
 * calls) return besides AZOAI_OK (none added) and AZOAI_ERROR: a
 * candidate added.  AZOAI_ERROR is all bits set, so that
 * azoai_pii_cands_add(...) | AZOAI_PII_ADDED is one or the other, and
 * results or'ed together keep an error.
 */
#define AZOAI_PII_ADDED           1

_Static_assert(AZOAI_OK == 0 && (AZOAI_ERROR | AZOAI_PII_ADDED) == AZOAI_ERROR
               && (AZOAI_OK | AZOAI_PII_ADDED) == AZOAI_PII_ADDED,
               "AZOAI_PII_ADDED: or'ed results must keep an error");

/*
 * the types whose values only numbers start inside (the reach): a bit
 * per type, 64 bits as types go up to AZOAI_PII_MAX_TYPES - 1
 */
#define AZOAI_PII_NUMERIC_TYPES                                              \
    ((1ULL << AZOAI_PII_CREDIT_CARD) | (1ULL << AZOAI_PII_PHONE)             \
     | (1ULL << AZOAI_PII_US_SSN) | (1ULL << AZOAI_PII_IPV4))


/*
 * What a byte next to a candidate tells azoai_pii_cands_edges() (and
 * the byte before a ':' azoai_pii_ipv6_may_start()), one lookup for the
 * tests of each byte.  Every byte has AZOAI_PII_EDGE_ANY (below), which
 * azoai_pii_cands_edges() took in with an or a candidate.
 */
#define AZOAI_PII_EDGE_WORD    0x01   /* a letter or digit */
#define AZOAI_PII_EDGE_DIGIT   0x02
#define AZOAI_PII_EDGE_OPEN    0x08   /* '(' */
#define AZOAI_PII_EDGE_V6      0x20   /* hex digit or ':' (IPv6 before ':') */
#define AZOAI_PII_EDGE_ANY     0x80   /* any byte */

static const u_char  azoai_pii_edge[256] = {
    [0 ... '\''] = AZOAI_PII_EDGE_ANY,
    ['('] = AZOAI_PII_EDGE_ANY|AZOAI_PII_EDGE_OPEN,
    [')' ... '/'] = AZOAI_PII_EDGE_ANY,
    ['0' ... '9'] = AZOAI_PII_EDGE_ANY|AZOAI_PII_EDGE_WORD
                    |AZOAI_PII_EDGE_DIGIT|AZOAI_PII_EDGE_V6,
    [':'] = AZOAI_PII_EDGE_ANY|AZOAI_PII_EDGE_V6,
    [';' ... '@'] = AZOAI_PII_EDGE_ANY,
    ['A' ... 'F'] = AZOAI_PII_EDGE_ANY|AZOAI_PII_EDGE_WORD|AZOAI_PII_EDGE_V6,
    ['G' ... 'Z'] = AZOAI_PII_EDGE_ANY|AZOAI_PII_EDGE_WORD,
    ['[' ... '`'] = AZOAI_PII_EDGE_ANY,
    ['a' ... 'f'] = AZOAI_PII_EDGE_ANY|AZOAI_PII_EDGE_WORD|AZOAI_PII_EDGE_V6,
    ['g' ... 'z'] = AZOAI_PII_EDGE_ANY|AZOAI_PII_EDGE_WORD,
    ['{' ... 255] = AZOAI_PII_EDGE_ANY
};

/*
 * What after a candidate's end keeps the scan inside it
 * (azoai_pii_cands_edges()), by the byte at end (no letter or digit) and
 * whether the candidate is a number: the bits of azoai_pii_edge[] of the
 * byte after it that do, AZOAI_PII_EDGE_ANY (every byte's, and the text's
 * end's) where the byte at end does itself (a parenthesis).  A number
 * goes on over a separator (space, '-', '.') to a digit, every candidate
 * over a '('; the others over a letter or digit.  One lookup where the
 * bits were worked out from the type and the byte (~6 instructions a
 * candidate).
 */

#define AZOAI_PII_KEEP_WORD    (AZOAI_PII_EDGE_WORD|AZOAI_PII_EDGE_OPEN)
#define AZOAI_PII_KEEP_SEP     (AZOAI_PII_EDGE_DIGIT|AZOAI_PII_EDGE_OPEN)

static const u_char  azoai_pii_keep[2][256] = {
    {
        [0 ... '\''] = AZOAI_PII_KEEP_WORD,
        ['(' ... ')'] = AZOAI_PII_EDGE_ANY,
        ['*' ... 255] = AZOAI_PII_KEEP_WORD
    },
    {
        [0 ... 0x1f] = AZOAI_PII_EDGE_OPEN,
        [' '] = AZOAI_PII_KEEP_SEP,
        ['!' ... '\''] = AZOAI_PII_EDGE_OPEN,
        ['(' ... ')'] = AZOAI_PII_EDGE_ANY,
        ['*' ... ','] = AZOAI_PII_EDGE_OPEN,
        ['-' ... '.'] = AZOAI_PII_KEEP_SEP,
        ['/' ... 255] = AZOAI_PII_EDGE_OPEN
    }
};


typedef struct {
    azoai_pii_match_t  *items;
    size_t              n;
    size_t              cap;
    size_t              reach;      /* the scan goes on from here */
    size_t              last_end;   /* of the candidate added last, or 0 */
    size_t              secret_from; /* azoai_pii_detect_secret() memo */
    const u_char       *text;       /* the view, for azoai_pii_cands_edges() */
    size_t              len;
    azoai_alloc_t      *alloc;
    azoai_pii_stops_t   stops;      /* detectors started, nothing found */
    unsigned            tangled;    /* not sorted and apart as they came */
} azoai_pii_cands_t;


static inline int azoai_pii_scan_in(const azoai_pii_engine_t *e,
    const u_char *raw, size_t len, unsigned raw_flags, azoai_alloc_t *a,
    azoai_pii_match_pt cb, azoai_pii_matches_pt all, void *data)
    __attribute__((always_inline));
static inline int azoai_pii_scan_from(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, azoai_pii_cursor_t *cur, size_t first,
    azoai_alloc_t *a, azoai_pii_match_pt cb, azoai_pii_matches_pt all,
    void *data) __attribute__((always_inline));
static inline int azoai_pii_scan_view(const azoai_pii_engine_t *e,
    const u_char *raw, size_t len, unsigned raw_flags, azoai_alloc_t *a,
    azoai_pii_view_t *view, u_char *stack_buf, azoai_pii_seg_t *stack_segs)
    __attribute__((always_inline));
static int azoai_pii_view_make(azoai_pii_view_t *view, const u_char *raw,
    size_t len, size_t nspecial, u_char *stack_buf,
    azoai_pii_seg_t *stack_segs, azoai_alloc_t *a);
static int azoai_pii_find(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, const azoai_pii_range_t *ranges,
    size_t nranges, azoai_pii_cursor_t *cur, size_t from,
    azoai_pii_cands_t *cands);
static inline int azoai_pii_find_run(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, const azoai_pii_range_t *ranges,
    size_t nranges, azoai_pii_cursor_t *cur, size_t from,
    azoai_pii_cands_t *cands) __attribute__((always_inline));
#if (AZOAI_BMI)
static int azoai_pii_find_bmi(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, azoai_pii_cursor_t *cur, size_t from,
    azoai_pii_cands_t *cands);
#endif
static inline int azoai_pii_scan_builtin(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, const azoai_pii_range_t *ranges,
    size_t nranges, azoai_pii_cursor_t *cur, size_t from,
    azoai_pii_cands_t *cands) __attribute__((always_inline));
static inline int azoai_pii_scan_stop(unsigned on,
    const u_char *v, size_t len, size_t *at, azoai_pii_cands_t *cands)
    __attribute__((always_inline));
static inline int azoai_pii_scan_digit(unsigned on,
    const u_char *v, size_t len, size_t at, azoai_pii_cands_t *cands)
    __attribute__((always_inline));
static inline int azoai_pii_scan_sign(unsigned on,
    const u_char *v, size_t len, size_t *i, azoai_pii_cands_t *cands)
    __attribute__((always_inline));
static inline int azoai_pii_scan_prefixed_phone(unsigned on,
    const u_char *v, size_t len, size_t at, size_t group,
    azoai_pii_cands_t *cands) __attribute__((always_inline));
static inline int azoai_pii_scan_lettered(unsigned on, const u_char *v,
    size_t len, size_t at, azoai_pii_cands_t *cands)
    __attribute__((always_inline));
static inline int azoai_pii_scan_word(unsigned on,
    const u_char *v, size_t len, size_t at, size_t group,
    azoai_pii_cands_t *cands) __attribute__((always_inline));
static int azoai_pii_nanp_may_start(const u_char *v, size_t len,
    size_t at, size_t group, size_t sep);
static int azoai_pii_ipv6_may_start(const u_char *v, size_t len,
    size_t at);
static int azoai_pii_scan_custom(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, azoai_pii_cands_t *cands);
static inline void azoai_pii_stop_refused(azoai_pii_cands_t *cands,
    size_t at);
static inline int azoai_pii_cands_add(azoai_pii_cands_t *cands,
    size_t start, size_t end, unsigned type) __attribute__((always_inline));
static int azoai_pii_cands_push(azoai_pii_cands_t *cands, size_t start,
    size_t end, unsigned type, const u_char *keep) __attribute__((noinline));
static int azoai_pii_cands_grow(azoai_pii_cands_t *cands, size_t start,
    size_t end, unsigned type, const u_char *keep) __attribute__((noinline));
static void azoai_pii_stops_grow(azoai_pii_cands_t *cands, size_t at);
static inline void azoai_pii_cands_edges(azoai_pii_cands_t *cands,
    size_t start, size_t end, const u_char *keep)
    __attribute__((always_inline));
static void azoai_pii_sift(azoai_pii_match_t *m, size_t root, size_t n);
static int azoai_pii_before(const azoai_pii_match_t *a,
    const azoai_pii_match_t *b);
static int azoai_pii_report(const azoai_pii_view_t *view,
    const azoai_pii_match_t *m, size_t n, azoai_pii_match_pt cb, void *data);
static inline int azoai_pii_report_all(const azoai_pii_view_t *view,
    azoai_pii_match_t *m, size_t n, azoai_pii_matches_pt all, void *data)
    __attribute__((always_inline));
static void azoai_pii_raw_spans(const azoai_pii_view_t *view,
    azoai_pii_match_t *m, size_t n) __attribute__((noinline));


/* on: the engine's builtin_mask, which the scan holds (not reloaded) */
#define azoai_pii_on(on, type)  ((on) & (1u << (type)))

/*
 * Of two types matching the same bytes, the one with the stronger check
 * names the span: a national or health identifier (its check digits and
 * context word) over a phone number, whose check is only its layout.
 */
#define azoai_pii_stronger(a, b)                                             \
    ((a) >= AZOAI_PII_NATID_FIRST && (a) <= AZOAI_PII_NATID_LAST             \
     && (b) < AZOAI_PII_NATID_FIRST)


int
azoai_pii_scan(const azoai_pii_engine_t *e, const u_char *raw,
    size_t len, azoai_alloc_t *a, azoai_pii_match_pt cb, void *data)
{
    return azoai_pii_scan_raw(e, raw, len, AZOAI_PII_RAW_ANY, a, cb, data);
}


int
azoai_pii_scan_raw(const azoai_pii_engine_t *e, const u_char *raw,
    size_t len, unsigned raw_flags, azoai_alloc_t *a, azoai_pii_match_pt cb,
    void *data)
{
    return azoai_pii_scan_in(e, raw, len, raw_flags, a, cb, NULL, data);
}


int
azoai_pii_scan_all(const azoai_pii_engine_t *e, const u_char *raw,
    size_t len, unsigned raw_flags, azoai_alloc_t *a,
    azoai_pii_matches_pt cb, void *data)
{
    return azoai_pii_scan_in(e, raw, len, raw_flags, a, NULL, cb, data);
}


int
azoai_pii_scan_all_from(const azoai_pii_engine_t *e, const u_char *raw,
    size_t len, azoai_alloc_t *a, azoai_pii_cursor_t *cur, size_t first,
    azoai_pii_matches_pt cb, void *data)
{
    azoai_pii_view_t  view;

    azoai_pii_view_plain(&view, raw, len);

    return azoai_pii_scan_from(e, &view, cur, first, a, NULL, cb, data);
}


/*
 * The view of raw to scan, the stack's buffers used where it fits
 * (azoai_pii_view_make()); AZOAI_DECLINED: no detector can start in it
 */

static inline int
azoai_pii_scan_view(const azoai_pii_engine_t *e, const u_char *raw,
    size_t len, unsigned raw_flags, azoai_alloc_t *a, azoai_pii_view_t *view,
    u_char *stack_buf, azoai_pii_seg_t *stack_segs)
{
    size_t  nspecial;

    if (len == 0) {
        return AZOAI_DECLINED;
    }

    if (e->ncustom == 0 && e->builtin_mask == 0) {
        return AZOAI_DECLINED;
    }

    /*
     * without escapes and bytes >= 0x80 the view is raw itself, and the
     * candidate walk of the detectors is the prefilter: one pass
     */

    if ((raw_flags & AZOAI_PII_RAW_ANY) == 0) {
        nspecial = 0;

    } else {
        if (e->ncustom == 0 && !azoai_pii_view_needed(raw, len)) {
            return AZOAI_DECLINED;
        }

        nspecial = azoai_pii_view_specials(raw, len);
    }

    if (len > UINT32_MAX) {
        return AZOAI_ERROR;
    }

    /* the plain view inline: the call is for strings with escapes */

    if (nspecial == 0) {
        azoai_pii_view_plain(view, raw, len);
        return AZOAI_OK;
    }

    return azoai_pii_view_make(view, raw, len, nspecial, stack_buf,
                               stack_segs, a);
}


/*
 * The scan of azoai_pii_scan_raw() (a call of cb per match) and of
 * azoai_pii_scan_all() (one call of all): inlined into each, one of the
 * two NULL
 */

static inline int
azoai_pii_scan_in(const azoai_pii_engine_t *e, const u_char *raw,
    size_t len, unsigned raw_flags, azoai_alloc_t *a, azoai_pii_match_pt cb,
    azoai_pii_matches_pt all, void *data)
{
    int                 rc;
    size_t              first;
    azoai_pii_view_t    view;
    azoai_pii_cursor_t  cur;
    u_char              stack_buf[AZOAI_PII_STACK_VIEW];
    azoai_pii_seg_t     stack_segs[AZOAI_PII_STACK_SEGS];

    rc = azoai_pii_scan_view(e, raw, len, raw_flags, a, &view, stack_buf,
                             stack_segs);

    if (rc != AZOAI_OK) {
        return (rc == AZOAI_DECLINED) ? AZOAI_OK : AZOAI_ERROR;
    }

    /*
     * The first stop before anything else: a string where no built-in
     * detector can start (most strings of a chat) costs the search and
     * no more (~110 instructions less a string).  The scan goes on with
     * the cursor from its window.
     */

    azoai_pii_cursor_init(&cur, view.text, view.len);

    first = azoai_pii_cursor_next(&cur, 0);

    if (first >= view.len && e->ncustom == 0) {
        return AZOAI_OK;
    }

    return azoai_pii_scan_from(e, &view, &cur, first, a, cb, all, data);
}


/*
 * The scan of a view from the first stop of cur, the cursor over it: the
 * candidates, the fixed point of the masked spans, the report
 */

static inline int
azoai_pii_scan_from(const azoai_pii_engine_t *e, const azoai_pii_view_t *view,
    azoai_pii_cursor_t *cur, size_t first, azoai_alloc_t *a,
    azoai_pii_match_pt cb, azoai_pii_matches_pt all, void *data)
{
    azoai_pii_cands_t   cands;
    azoai_pii_match_t  *m;
    azoai_pii_match_t   stack_cands[AZOAI_PII_STACK_CANDS];
    size_t              stack_stops[AZOAI_PII_STACK_STOPS];

    cands.items = stack_cands;
    cands.cap = AZOAI_PII_STACK_CANDS;
    cands.alloc = a;
    cands.stops.at = stack_stops;
    cands.stops.cap = AZOAI_PII_STACK_STOPS;

    if (azoai_pii_find(e, view, NULL, 0, cur, first, &cands)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    if (cands.n == 0) {
        return AZOAI_OK;
    }

    /* what masking the spans makes visible is masked too: a fixed point */

    m = cands.items;

    if (azoai_pii_settle(e, view, &cands.stops, &m, &cands.n, a)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    if (all) {
        return azoai_pii_report_all(view, m, cands.n, all, data);
    }

    return azoai_pii_report(view, m, cands.n, cb, data);
}


/*
 * The spans of plain text (no escapes) whose detectors start inside
 * ranges (sorted, apart), or anywhere without ranges: sorted, overlaps
 * joined (azoai_pii_resolve()), in *out from a.  Custom patterns run over
 * the whole text.
 */

int
azoai_pii_find_text(const azoai_pii_engine_t *e, const u_char *text,
    size_t len, const azoai_pii_range_t *ranges, size_t nranges,
    azoai_alloc_t *a, azoai_pii_match_t **out, size_t *n)
{
    azoai_pii_view_t    view;
    azoai_pii_cands_t   cands;
    azoai_pii_cursor_t  cur;

    azoai_pii_view_plain(&view, text, len);
    azoai_pii_cursor_init(&cur, text, len);

    cands.items = azoai_alloc(a, AZOAI_PII_STACK_CANDS
                                 * sizeof(azoai_pii_match_t));
    if (cands.items == NULL) {
        return AZOAI_ERROR;
    }

    cands.cap = AZOAI_PII_STACK_CANDS;
    cands.alloc = a;
    cands.stops.at = NULL;
    cands.stops.cap = 0;

    if (azoai_pii_find(e, &view, ranges, nranges, &cur,
                       nranges ? ranges[0].from : 0, &cands)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    *out = cands.items;
    *n = cands.n;

    return AZOAI_OK;
}


/*
 * The candidates of the built-in detectors and the patterns, resolved.
 * The built-in ones from from (the start of the first range, or a stop
 * of cur, the cursor over the view, set up, or before it).
 */

static int
azoai_pii_find(const azoai_pii_engine_t *e, const azoai_pii_view_t *view,
    const azoai_pii_range_t *ranges, size_t nranges, azoai_pii_cursor_t *cur,
    size_t from, azoai_pii_cands_t *cands)
{
#if (AZOAI_BMI)
    if (nranges == 0 && azoai_cpu_bmi()) {
        return azoai_pii_find_bmi(e, view, cur, from, cands);
    }
#endif

    return azoai_pii_find_run(e, view, ranges, nranges, cur, from, cands);
}


#if (AZOAI_BMI)

/*
 * azoai_pii_find_run() built for BMI1 and BMI2, for a string's view
 * (azoai_pii_scan_from()): no ranges, so the stop loop ends at the
 * view's end, which it keeps in a register (the end of a range was read
 * from the stack at every stop).  The ranges of azoai_pii_find_text()
 * (azoai_pii_settle(), rare) take the baseline copy.
 *
 * GCC's partial redundancy elimination, code hoisting and global CSE
 * kept values across the detectors' paths of this one large loop, and
 * paid for them with spills and reloads at every stop: without them
 * (and with azoai_pii_digits8() always inline, which GCC then left out
 * of line), bench_engine instructions an iteration 1,923 / 5,801 /
 * 40,295 -> 1,923 / 5,735 / 39,865 (1 KB clean, 4 KB and 64 KB with
 * PII).  The attribute changes code generation only, never what the
 * loop does (glibc builds some of its loops with one the same way);
 * Clang takes none.
 */

#if defined(__clang__)
#define AZOAI_PII_FIND_BMI_ATTR  target("bmi,bmi2")
#else
#define AZOAI_PII_FIND_BMI_ATTR                                              \
    target("bmi,bmi2"), optimize("no-tree-pre", "no-code-hoisting",         \
                                 "no-gcse")
#endif

__attribute__((AZOAI_PII_FIND_BMI_ATTR))
static int
azoai_pii_find_bmi(const azoai_pii_engine_t *e, const azoai_pii_view_t *view,
    azoai_pii_cursor_t *cur, size_t from, azoai_pii_cands_t *cands)
{
    return azoai_pii_find_run(e, view, NULL, 0, cur, from, cands);
}

#endif


/* the candidates, inline in both */

static inline int
azoai_pii_find_run(const azoai_pii_engine_t *e, const azoai_pii_view_t *view,
    const azoai_pii_range_t *ranges, size_t nranges, azoai_pii_cursor_t *cur,
    size_t from, azoai_pii_cands_t *cands)
{
    cands->n = 0;
    cands->stops.n = 0;
    cands->stops.over = 0;
    cands->stops.glued = 0;
    cands->tangled = 0;
    cands->reach = 0;
    cands->last_end = 0;
    cands->secret_from = 0;
    cands->text = view->text;
    cands->len = view->len;

    if (e->builtin_mask
        && azoai_pii_scan_builtin(e, view, ranges, nranges, cur, from,
                                  cands)
           != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    if (e->ncustom && azoai_pii_scan_custom(e, view, cands) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    /*
     * candidates that came each after the one before, apart, are sorted
     * and resolved already: both would leave them as they are
     */

    if (cands->tangled) {
        azoai_pii_cands_sort(cands->items, cands->n);
        cands->n = azoai_pii_resolve(cands->items, cands->n);
    }

    return AZOAI_OK;
}


/*
 * The view of raw: raw itself without special characters, else built in
 * the caller's stack buffers (AZOAI_PII_STACK_VIEW bytes,
 * AZOAI_PII_STACK_SEGS segments) when it fits, or from a
 */

static int
azoai_pii_view_make(azoai_pii_view_t *view, const u_char *raw, size_t len,
    size_t nspecial, u_char *stack_buf, azoai_pii_seg_t *stack_segs,
    azoai_alloc_t *a)
{
    u_char           *buf;
    azoai_pii_seg_t  *segs;

    if (nspecial == 0) {
        azoai_pii_view_plain(view, raw, len);
        return AZOAI_OK;
    }

    if (len <= AZOAI_PII_STACK_VIEW && nspecial <= AZOAI_PII_STACK_SEGS) {
        buf = stack_buf;
        segs = stack_segs;

    } else {
        segs = azoai_alloc(a, nspecial * sizeof(azoai_pii_seg_t) + len);
        if (segs == NULL) {
            return AZOAI_ERROR;
        }

        buf = (u_char *) (segs + nspecial);
    }

    azoai_pii_view_build(view, raw, len, buf, segs);

    return AZOAI_OK;
}


/*
 * Overlapping candidates (sorted) are masked as one: their union, named
 * after the longest of them (on a tie the first, or the stronger,
 * azoai_pii_stronger()).  The union, so that no
 * byte a detector claimed goes out, whichever name the span gets.  In
 * place: the spans are m[0 .. returned count).
 */

size_t
azoai_pii_resolve(azoai_pii_match_t *items, size_t n)
{
    size_t                    i, k, longest;
    azoai_pii_match_t         best;
    const azoai_pii_match_t  *m;

    best = items[0];
    longest = best.end - best.start;
    k = 0;

    for (i = 1; i < n; i++) {
        m = &items[i];

        if (m->start < best.end) {
            if (m->end - m->start > longest
                || (m->end - m->start == longest
                    && azoai_pii_stronger(m->type, best.type)))
            {
                longest = m->end - m->start;
                best.type = m->type;
            }

            if (m->end > best.end) {
                best.end = m->end;
            }

            continue;
        }

        items[k++] = best;
        best = *m;
        longest = best.end - best.start;
    }

    items[k++] = best;

    return k;
}


/*
 * Detectors start at the candidate bytes in ranges, or everywhere.  The
 * scan never stands before cands->reach at the top of its loop: reach
 * moves only when a candidate is added, and the stop that added it moves
 * the scan past it (azoai_pii_scan_stop()).  The cursor may be asked
 * from past the end of a range: the first stop it finds then opens the
 * next range that holds one, as the ranges between hold none.
 */

static inline int
azoai_pii_scan_builtin(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, const azoai_pii_range_t *ranges,
    size_t nranges, azoai_pii_cursor_t *cur, size_t from,
    azoai_pii_cands_t *cands)
{
    size_t               i, len, to, r;
    unsigned             on;
    const u_char        *v;
    azoai_pii_cursor_t   c;

    /*
     * the cursor copied into this frame: through the pointer, which GCC
     * keeps on the stack, each stop cost a load more (~2 a stop); the
     * types on too, where the engine's were read again after each call
     */

    c = *cur;
    on = e->builtin_mask;

    v = view->text;
    len = view->len;
    i = from;
    to = nranges ? ranges[0].to : len;
    r = 0;

    for ( ;; ) {
        i = azoai_pii_cursor_next(&c, i);

        if (i >= to) {
            if (++r >= nranges) {
                return AZOAI_OK;
            }

            if (i < ranges[r].from) {
                i = ranges[r].from;
            }

            to = ranges[r].to;
            continue;
        }

        if (azoai_pii_scan_stop(on, v, len, &i, cands) != AZOAI_OK) {
            return AZOAI_ERROR;
        }
    }
}


/*
 * The detectors that may start at the candidate byte at *i; *i goes on
 * past the stop, the word it opens, or the reach of what it added
 */

static inline int
azoai_pii_scan_stop(unsigned on, const u_char *v,
    size_t len, size_t *at, azoai_pii_cands_t *cands)
{
    int     rc;
    size_t  i;

    i = *at;

    /* tests, not a switch: the jump through a table costs more */

    if (v[i] == ':' && !azoai_pii_ipv6_may_start(v, len, i)) {
        /* "Contact:", "Line 3:": no IPv6 there, the next stop */
        *at = i + 1;
        return AZOAI_OK;
    }

    if (azoai_pii_digit(v[i])) {
        /*
         * whether it added a candidate, from its result: comparing
         * cands->n before and after cost ~5 instructions a digit stop
         */

        rc = azoai_pii_scan_digit(on, v, len, i, cands);

        if (rc == AZOAI_OK) {
            azoai_pii_stop_refused(cands, i);

        } else if (rc != AZOAI_PII_ADDED) {
            return AZOAI_ERROR;

        } else if (i < cands->reach) {
            /*
             * a match the scan goes on after: the byte at reach is no
             * letter or digit, so the word ends before it
             */
            *at = cands->reach;
            return AZOAI_OK;
        }

        /* the next number starts after this word */
        while (i < len && azoai_pii_alnum(v[i])) {
            i++;
        }

        *at = i;

        return AZOAI_OK;
    }

    return azoai_pii_scan_sign(on, v, len, at, cands);
}


/* an e-mail at '@', IPv6 at ':'; *i goes on past the stop or the match */

static inline int
azoai_pii_scan_sign(unsigned on, const u_char *v,
    size_t len, size_t *i, azoai_pii_cands_t *cands)
{
    size_t  at, s, end;

    at = (*i)++;

    if (v[at] == '@') {
        if (!azoai_pii_on(on, AZOAI_PII_EMAIL)) {
            return AZOAI_OK;
        }

        if (!azoai_pii_detect_email(v, len, at, &s, &end)) {
            azoai_pii_stop_refused(cands, at);
            return AZOAI_OK;
        }

        if (azoai_pii_cands_add(cands, s, end, AZOAI_PII_EMAIL) != AZOAI_OK) {
            return AZOAI_ERROR;
        }

        /*
         * the stops refused since s (digits of the local part, "bob40@")
         * lie inside the e-mail, where azoai_pii_settle_needed() passes
         * them over: dropped, a string whose stops they were all needs
         * no call of it (azoai_pii_settle())
         */

        while (cands->stops.n && cands->stops.at[cands->stops.n - 1] >= s) {
            cands->stops.n--;
        }

        if (*i < cands->reach) {
            *i = cands->reach;
        }

        return AZOAI_OK;
    }

    /*
     * ':' where azoai_pii_ipv6_may_start() holds (the caller checked it);
     * masking a neighbour never makes a ':' a possible start
     */

    if (v[at] != ':' || !azoai_pii_on(on, AZOAI_PII_IPV6)) {
        return AZOAI_OK;
    }

    if (!azoai_pii_detect_ipv6(v, len, at, &s, &end)) {
        azoai_pii_stop_refused(cands, at);
        return AZOAI_OK;
    }

    if (azoai_pii_cands_add(cands, s, end, AZOAI_PII_IPV6) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    *i = (end > cands->reach) ? end : cands->reach;

    return AZOAI_OK;
}


/*
 * Every numeric detector at the first digit of a word.  The first digit
 * group and the two bytes after it tell which detectors can match there:
 * card (12 digits, or a separator and more digits), SSN ("ddd-" or
 * "ddd "), phone (NANP: "ddd" and a separator before three more digits,
 * or "1" and a separator before more digits or "("; national: a first
 * group of at most 5 digits and a separator before more digits, or 10-11
 * digits from a "0", or 9-11 from another digit), IPv4 (at most 3
 * digits and a dot); the others are not called.
 *
 * An SSN leaves no card or phone at the same start: its 9 digits end
 * where the grouping stops (the SSN checks make sure of it), too few for
 * a card, and NANP wants 3 digits in the second group, not 2.  So the
 * SSN goes first and ends the search when it matches.  It and the
 * functions it calls return AZOAI_PII_ADDED where they added a candidate.
 *
 * The byte before the digit is read once for the tests that follow (it
 * was read and looked up in a table four or five times, ~20 instructions
 * a digit): after a letter only an IBAN's check digits
 * (azoai_pii_iban_may_start()) or a national id start, and then no
 * number; after another byte no IBAN, and azoai_pii_detect_natid()'s
 * tests without those of a letter before.
 */

static inline int
azoai_pii_scan_digit(unsigned on, const u_char *v,
    size_t len, size_t at, azoai_pii_cands_t *cands)
{
    int       span, added;
    size_t    s, end, group;
    u_char    prev;
    unsigned  type;

    /* a credential first: what else starts inside it is part of it */

    span = 0;

    if (azoai_pii_on(on, AZOAI_PII_SECRET)) {
        span = azoai_pii_secret_may_span(v, len, at);

        if (!span) {
            /* as azoai_pii_detect_secret() would leave it */
            cands->secret_from = at + 1;

        } else if (azoai_pii_detect_secret(v, len, at, &cands->secret_from,
                                           &s, &end))
        {
            return azoai_pii_cands_add(cands, s, end, AZOAI_PII_SECRET)
                   | AZOAI_PII_ADDED;
        }

    } else if (azoai_pii_on(on, AZOAI_PII_CRYPTO_WALLET)) {
        span = azoai_pii_secret_may_span(v, len, at);
    }

    /* a wallet address is as long as a credential: the same pre-check */

    if (span && azoai_pii_on(on, AZOAI_PII_CRYPTO_WALLET)
        && azoai_pii_detect_wallet(v, len, at, &s, &end))
    {
        return azoai_pii_cands_add(cands, s, end, AZOAI_PII_CRYPTO_WALLET)
               | AZOAI_PII_ADDED;
    }

    /* the byte before the digit read once, as said above */

    prev = (at > 0) ? v[at - 1] : '\0';

    if (azoai_pii_is(prev, AZOAI_PC_ALPHA)) {
        return azoai_pii_scan_lettered(on, v, len, at, cands);
    }

    /*
     * the digits from at, for the national id's test and the numeric
     * detectors both (each counted them: ~10 instructions a number); no
     * national id after a '+' (azoai_pii_detect_natid()), and the
     * phone there is found mostly, so not counted yet there (0)
     */

    group = 0;
    added = AZOAI_OK;

    if (prev != '+') {
        group = azoai_pii_digit_count(v, len, at);

        if ((on & AZOAI_PII_NATID_MASK)
            && !azoai_pii_natid_number_refused(v, len, at, group)
            && azoai_pii_natid_find(v, len, at, on, &type, &s, &end))
        {
            if (azoai_pii_cands_add(cands, s, end, type) != AZOAI_OK) {
                return AZOAI_ERROR;
            }

            added = AZOAI_PII_ADDED;
        }
    }

    if (prev == '(' || prev == '+') {
        return added
               | azoai_pii_scan_prefixed_phone(on, v, len, at, group, cands);
    }

    if (azoai_pii_digit(prev)) {
        return added;
    }

    return added | azoai_pii_scan_word(on, v, len, at, group, cands);
}


/* the digit at at after a letter: an IBAN's check digits, a national id */

static inline int
azoai_pii_scan_lettered(unsigned on, const u_char *v,
    size_t len, size_t at, azoai_pii_cands_t *cands)
{
    int       added;
    size_t    s, end;
    unsigned  type;

    if (!azoai_pii_iban_may_start(v, at)) {

        if ((on & AZOAI_PII_NATID_MASK)
            && !azoai_pii_natid_word_refused(v, at)
            && !azoai_pii_natid_lettered_refused(v, len, at)
            && azoai_pii_natid_find(v, len, at, on, &type, &s, &end))
        {
            return azoai_pii_cands_add(cands, s, end, type) | AZOAI_PII_ADDED;
        }

        return AZOAI_OK;
    }

    /*
     * two letters alone before at: the national id tests reduce to a
     * NINO's (azoai_pii_natid_pair_refused()), ~18 instructions an IBAN,
     * and the IBAN detector's head to the country's length and the
     * second check digit (azoai_pii_detect_iban_lettered())
     */

    added = AZOAI_OK;

    if (azoai_pii_on(on, AZOAI_PII_IBAN)
        && azoai_pii_detect_iban_lettered(v, len, at, &s, &end))
    {
        if (azoai_pii_cands_add(cands, s, end, AZOAI_PII_IBAN) != AZOAI_OK) {
            return AZOAI_ERROR;
        }

        added = AZOAI_PII_ADDED;
    }

    if ((on & AZOAI_PII_NATID_MASK)
        && !azoai_pii_natid_pair_refused(v, len, at)
        && azoai_pii_natid_find(v, len, at, on, &type, &s, &end))
    {
        return azoai_pii_cands_add(cands, s, end, type) | AZOAI_PII_ADDED;
    }

    return added;
}


/* the numeric detectors at the first digit of a word, as said above */

static inline int
azoai_pii_scan_word(unsigned on, const u_char *v,
    size_t len, size_t at, size_t group, azoai_pii_cands_t *cands)
{
    int     grouped, card, added;
    size_t  s, end, i;
    u_char  sep, next;

    /* group: the digits from at (azoai_pii_digit_count()) */

    i = at + group;
    sep = (i < len) ? v[i] : '\0';
    next = (i + 1 < len) ? v[i + 1] : '\0';
    grouped = (sep == ' ' || sep == '-' || sep == '.');

    if (azoai_pii_on(on, AZOAI_PII_US_SSN)
        && group == 3 && (sep == '-' || sep == ' ')
        && azoai_pii_detect_ssn(v, len, at, &s, &end))
    {
        return azoai_pii_cands_add(cands, s, end, AZOAI_PII_US_SSN)
               | AZOAI_PII_ADDED;
    }

    card = 0;
    added = AZOAI_OK;

    if (azoai_pii_on(on, AZOAI_PII_CREDIT_CARD)
        && (group >= 12 || (grouped && azoai_pii_digit(next)))
        && azoai_pii_detect_card(v, len, at, &s, &end))
    {
        if (azoai_pii_cands_add(cands, s, end, AZOAI_PII_CREDIT_CARD)) {
            return AZOAI_ERROR;
        }

        card = (cands->reach >= end);
        added = AZOAI_PII_ADDED;
    }

    /*
     * After a card that nothing runs on past (the scan goes on from its
     * end), a phone from the same digit would lie inside it: a card opens
     * with 2-6 and has 12 digits or more, a phone from a digit other than
     * "0" has at most 11.  Masking would name the union after the card,
     * so the phone is not tried.
     */

    if (!card && azoai_pii_on(on, AZOAI_PII_PHONE)
        && ((grouped
             && ((azoai_pii_digit(next) && group <= AZOAI_PII_PHONE_AREA_MAX)
                 || azoai_pii_nanp_may_start(v, len, at, group, i)))
            || (group >= AZOAI_PII_PHONE_BARE_MIN
                && group <= AZOAI_PII_PHONE_RUN_MAX
                && (v[at] != '0' || group >= AZOAI_PII_PHONE_RUN_MIN)))
        && azoai_pii_detect_phone(v, len, at, &s, &end))
    {
        if (azoai_pii_cands_add(cands, s, end, AZOAI_PII_PHONE)) {
            return AZOAI_ERROR;
        }

        added = AZOAI_PII_ADDED;
    }

    if (azoai_pii_on(on, AZOAI_PII_IPV4)
        && group <= 3 && sep == '.'
        && azoai_pii_detect_ipv4(v, len, at, &s, &end))
    {
        return azoai_pii_cands_add(cands, s, end, AZOAI_PII_IPV4)
               | AZOAI_PII_ADDED;
    }

    return added;
}


/*
 * A phone written "+d", "(d" or "+(d" starts before its first digit.  The
 * candidate search stops at digits only, so these starts are tried from
 * the digit: first the "+" of "+(", then the "(" or "+" right before it,
 * as a scan stopping at each would have.  A match ends the search here;
 * else the digit is tried as any other.
 */

static inline int
azoai_pii_scan_prefixed_phone(unsigned on, const u_char *v,
    size_t len, size_t at, size_t group, azoai_pii_cands_t *cands)
{
    size_t  s, end, from;

    /*
     * a start or two before at, not in a loop: its set-up spilled three
     * registers a phone
     */

    if (azoai_pii_on(on, AZOAI_PII_PHONE)) {

        from = (at >= 2 && v[at - 1] == '(' && v[at - 2] == '+') ? at - 2
                                                                 : at - 1;

        if (from >= cands->reach
            && (azoai_pii_detect_phone(v, len, from, &s, &end)
                || (++from < at
                    && azoai_pii_detect_phone(v, len, from, &s, &end))))
        {
            return azoai_pii_cands_add(cands, s, end, AZOAI_PII_PHONE)
                   | AZOAI_PII_ADDED;
        }
    }

    if (group == 0) {
        /* after a '+', not counted yet */
        group = azoai_pii_digit_count(v, len, at);
    }

    return azoai_pii_scan_word(on, v, len, at, group, cands);
}


/*
 * NANP from a digit: "ddd" and a separator before a second group of
 * exactly three digits (a "(" there could only be the area code, which
 * is the first group), or "1" and a separator before digits or "(".
 * sep is v[i], after the first group.
 */

static int
azoai_pii_nanp_may_start(const u_char *v, size_t len, size_t at,
    size_t group, size_t sep)
{
    if (group == 1) {
        return v[at] == '1' && sep + 1 < len
               && (azoai_pii_digit(v[sep + 1]) || v[sep + 1] == '(');
    }

    return group == 3 && sep + 4 < len
           && azoai_pii_digit(v[sep + 1]) && azoai_pii_digit(v[sep + 2])
           && azoai_pii_digit(v[sep + 3]) && !azoai_pii_digit(v[sep + 4]);
}


/*
 * IPv6 at a ':': the address reaches back over hex digits and colons, so
 * the byte before the ':' is one of them, or the ':' opens a "::".
 */

static int
azoai_pii_ipv6_may_start(const u_char *v, size_t len, size_t at)
{
    if (at > 0 && (azoai_pii_edge[v[at - 1]] & AZOAI_PII_EDGE_V6)) {
        return 1;
    }

    return at + 1 < len && v[at + 1] == ':';
}


static int
azoai_pii_scan_custom(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, azoai_pii_cands_t *cands)
{
    int                      rc;
    size_t                   offset;
    unsigned                 type;
    PCRE2_SIZE              *ov;
    const azoai_pii_type_t  *t;

    if (e->match_data == NULL) {
        return AZOAI_ERROR;         /* not finalized: fail closed */
    }

    for (type = AZOAI_PII_BUILTIN_N; type < e->ntypes; type++) {
        t = &e->types[type];

        if (!t->enabled || t->re == NULL) {
            continue;
        }

        offset = 0;

        while (offset <= view->len) {
            rc = pcre2_match(t->re, view->text, view->len, offset, 0,
                             e->match_data, e->match_ctx);

            if (rc == PCRE2_ERROR_NOMATCH) {
                break;
            }

            if (rc < 0) {
                return AZOAI_ERROR;   /* match limit and the like */
            }

            ov = pcre2_get_ovector_pointer(e->match_data);

            if (ov[1] > ov[0]) {
                if (azoai_pii_cands_add(cands, ov[0], ov[1], type)) {
                    return AZOAI_ERROR;
                }

                offset = ov[1];
                continue;
            }

            /* an empty match: step over one character */
            offset = (ov[1] > offset ? ov[1] : offset) + 1;

            while (offset < view->len && (view->text[offset] & 0xc0) == 0x80)
            {
                offset++;
            }
        }
    }

    return AZOAI_OK;
}


/*
 * A detector ran at at and found nothing: masking a neighbour may change
 * that (azoai_pii_settle()).  Too many to keep: every one may.
 */

static inline void
azoai_pii_stop_refused(azoai_pii_cands_t *cands, size_t at)
{
    if (cands->stops.n < cands->stops.cap) {
        cands->stops.at[cands->stops.n++] = at;

    } else {
        azoai_pii_stops_grow(cands, at);
    }
}


/*
 * The stack's stops are full: twice the room from the allocator, up to
 * AZOAI_PII_STOPS_MAX.  Where that fails, or the scan keeps no stops
 * (azoai_pii_find_text(): cap 0), over says that some were not kept.
 */

static void
azoai_pii_stops_grow(azoai_pii_cands_t *cands, size_t at)
{
    size_t  *p;

    if (cands->stops.over || cands->stops.cap == 0
        || cands->stops.cap >= AZOAI_PII_STOPS_MAX)
    {
        cands->stops.over = 1;
        return;
    }

    p = azoai_alloc(cands->alloc, 2 * cands->stops.cap * sizeof(size_t));
    if (p == NULL) {
        cands->stops.over = 1;
        return;
    }

    memcpy(p, cands->stops.at, cands->stops.n * sizeof(size_t));

    cands->stops.at = p;
    cands->stops.cap *= 2;
    cands->stops.at[cands->stops.n++] = at;
}


/*
 * A candidate of type: azoai_pii_cands_push() with the row of
 * azoai_pii_keep[] of the type, which every caller but the national ids
 * and the patterns names, so that the row is a constant there (six
 * instructions a candidate in the call, ~200 a request at 64 KB)
 */

static inline int
azoai_pii_cands_add(azoai_pii_cands_t *cands, size_t start, size_t end,
    unsigned type)
{
    return azoai_pii_cands_push(cands, start, end, type,
                                azoai_pii_keep[(AZOAI_PII_NUMERIC_TYPES
                                                >> type) & 1]);
}


/*
 * A push and the look at the bytes around the candidate
 * (azoai_pii_cands_edges(), inline here), in one call that saves no
 * register: the rare growth is a tail call that comes back.  Inline in
 * the scan, its ~20 copies cost the stop loop more in spilled registers
 * than the call (64 KB, 40 values: ~60 instructions a candidate in the
 * scan and a call of the edges, ~53 and ~8 at the call now, the stop
 * loop ~700 fewer a request).  Tangled when a candidate is empty, or
 * starts before the end of the one before (out of order or overlapping:
 * azoai_pii_find() sorts and joins).
 */

static int
azoai_pii_cands_push(azoai_pii_cands_t *cands, size_t start, size_t end,
    unsigned type, const u_char *keep)
{
    size_t              n;
    azoai_pii_match_t  *m;

    n = cands->n;

    if (n == cands->cap) {
        return azoai_pii_cands_grow(cands, start, end, type, keep);
    }

    m = &cands->items[n];

    if (end <= start || start < cands->last_end) {
        cands->tangled = 1;
    }

    cands->n = n + 1;
    cands->last_end = end;
    m->start = start;
    m->end = end;
    m->type = type;

    azoai_pii_cands_edges(cands, start, end, keep);

    return AZOAI_OK;
}


/*
 * The bytes around a candidate, each read once, for two notes.  Glued
 * when a letter or digit touches it (azoai_pii_settle(): a match's edges
 * are those of candidates, so none is glued where none of these is).
 * The reach, where nothing that starts inside the candidate can run on
 * past its end: then the scan may go on from end, as whatever starts
 * inside lies within the candidate and is masked with it (overlaps are
 * masked as their union).  Inside a number (card, phone, SSN, IPv4) only
 * numbers start, and they go on over a separator to a digit, or over a
 * parenthesis.  Inside an e-mail or IBAN an IBAN may start, and its
 * groups may begin with a letter ("x@mail.xn--p1ai-GB82 WEST 1234 ..."):
 * then any letter or digit right after, or one byte further, keeps the
 * scan going inside.  A letter or digit right after the end keeps it
 * going for every type, and glues the candidate too.
 */

static inline void
azoai_pii_cands_edges(azoai_pii_cands_t *cands, size_t start, size_t end,
    const u_char *keep)
{
    u_char         c, next;
    size_t         len;
    const u_char  *v, *edge;

    v = cands->text;
    len = cands->len;

    /* the table's address taken once: GCC computed it twice */
    edge = azoai_pii_edge;
    __asm__ ("" : "+r" (edge));

    if (start > 0 && (edge[v[start - 1]] & AZOAI_PII_EDGE_WORD)) {
        cands->stops.glued = 1;
    }

    if (end >= len) {
        if (end > cands->reach) {
            cands->reach = end;
        }

        return;
    }

    c = v[end];

    if (edge[c] & AZOAI_PII_EDGE_WORD) {
        cands->stops.glued = 1;
        return;
    }

    if (end <= cands->reach) {
        return;
    }

    next = (end + 1 < len) ? edge[v[end + 1]] : AZOAI_PII_EDGE_ANY;

    if (keep[c] & next) {
        return;
    }

    cands->reach = end;
}


static int
azoai_pii_cands_grow(azoai_pii_cands_t *cands, size_t start, size_t end,
    unsigned type, const u_char *keep)
{
    azoai_pii_match_t  *items;

    items = azoai_alloc(cands->alloc,
                        2 * cands->cap * sizeof(azoai_pii_match_t));
    if (items == NULL) {
        return AZOAI_ERROR;
    }

    memcpy(items, cands->items, cands->n * sizeof(azoai_pii_match_t));
    cands->items = items;
    cands->cap *= 2;

    return azoai_pii_cands_push(cands, start, end, type, keep);
}


/* heapsort: by start, the longer first, then by type; no allocation */

void
azoai_pii_cands_sort(azoai_pii_match_t *m, size_t n)
{
    size_t             i;
    azoai_pii_match_t  tmp;

    for (i = 1; i < n; i++) {
        if (azoai_pii_before(&m[i], &m[i - 1])) {
            break;
        }
    }

    if (i == n) {
        return;                     /* the usual case: already in order */
    }

    for (i = n / 2; i-- > 0; /* void */) {
        azoai_pii_sift(m, i, n);
    }

    for (i = n; i-- > 1; /* void */) {
        tmp = m[0];
        m[0] = m[i];
        m[i] = tmp;
        azoai_pii_sift(m, 0, i);
    }
}


static void
azoai_pii_sift(azoai_pii_match_t *m, size_t root, size_t n)
{
    size_t             child;
    azoai_pii_match_t  tmp;

    for ( ;; ) {
        child = 2 * root + 1;

        if (child >= n) {
            return;
        }

        if (child + 1 < n && azoai_pii_before(&m[child], &m[child + 1])) {
            child++;
        }

        if (!azoai_pii_before(&m[root], &m[child])) {
            return;
        }

        tmp = m[root];
        m[root] = m[child];
        m[child] = tmp;
        root = child;
    }
}


static int
azoai_pii_before(const azoai_pii_match_t *a, const azoai_pii_match_t *b)
{
    if (a->start != b->start) {
        return a->start < b->start;
    }

    if (a->end != b->end) {
        return a->end > b->end;
    }

    return a->type < b->type;
}


/*
 * The spans to the callback, view offsets made raw offsets; the view is
 * mostly raw itself, and then they go as they are, with no test per span
 */

static int
azoai_pii_report(const azoai_pii_view_t *view, const azoai_pii_match_t *m,
    size_t n, azoai_pii_match_pt cb, void *data)
{
    size_t             i;
    azoai_pii_match_t  out;

    if (view->nsegs == 0) {
        for (i = 0; i < n; i++) {
            if (cb(data, &m[i]) != 0) {
                return AZOAI_ERROR;
            }
        }

        return AZOAI_OK;
    }

    for (i = 0; i < n; i++) {
        out.type = m[i].type;
        out.start = azoai_pii_view_raw_start(view, m[i].start);
        out.end = azoai_pii_view_raw_end(view, m[i].end - 1);

        if (cb(data, &out) != 0) {
            return AZOAI_ERROR;
        }
    }

    return AZOAI_OK;
}


/*
 * The spans to all in one call, made raw offsets in place (the array is
 * the scan's own, and nothing reads the view offsets after).  Inline,
 * the loop out of line: a plain string's report was a frame of six saved
 * registers for a loop it skips (~23 instructions a string with matches).
 */

static inline int
azoai_pii_report_all(const azoai_pii_view_t *view, azoai_pii_match_t *m,
    size_t n, azoai_pii_matches_pt all, void *data)
{
    if (view->nsegs) {
        azoai_pii_raw_spans(view, m, n);
    }

    return all(data, m, n) == 0 ? AZOAI_OK : AZOAI_ERROR;
}


static void
azoai_pii_raw_spans(const azoai_pii_view_t *view, azoai_pii_match_t *m,
    size_t n)
{
    size_t  i, start;

    for (i = 0; i < n; i++) {
        start = azoai_pii_view_raw_start(view, m[i].start);
        m[i].end = azoai_pii_view_raw_end(view, m[i].end - 1);
        m[i].start = start;
    }
}
