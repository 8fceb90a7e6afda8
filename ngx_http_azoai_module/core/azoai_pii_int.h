/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Internals of the PII engine shared by its files: the engine structure,
 * the byte-class table, the decoded text view and the built-in detectors.
 * Besides azoai_pii*.c, only the core's maskers include this header (the
 * body and its rewrite by reference, JSON Lines, responses), for the
 * engine's internals they use per string or match (the view, the byte
 * classes, azoai_pii_blocked_types(), azoai_pii_render_short()).
 */

#ifndef _AZOAI_PII_INT_H_INCLUDED_
#define _AZOAI_PII_INT_H_INCLUDED_


#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <string.h>
#include <openssl/evp.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "azoai_pii.h"


/*
 * The hot loops built a second time for BMI1 and BMI2 (a shift by a
 * variable count is one instruction there), chosen at run time where the
 * CPU has both: the JSON walk with its visitor (azoai_body.c) and the
 * PII stop loop (azoai_pii_scan.c).  Not in the builds without SIMD
 * (AZOAI_NO_AVX2), whose tests run the baseline copies.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(AZOAI_NO_AVX2)
#define AZOAI_BMI  1
#define azoai_cpu_bmi()                                                       \
    __builtin_expect(__builtin_cpu_supports("bmi")                            \
                     && __builtin_cpu_supports("bmi2"), 1)
#endif


#define AZOAI_PII_NAME_MAX     64

/* byte classes, azoai_pii_class[] */
#define AZOAI_PC_DIGIT         0x01
#define AZOAI_PC_ALPHA         0x02
#define AZOAI_PC_HEX           0x04
#define AZOAI_PC_CAND          0x08   /* starts a detector in the view */
#define AZOAI_PC_RAW           0x10   /* CAND, backslash, bytes >= 0x80 */
#define AZOAI_PC_LOCAL         0x20   /* email local part */
#define AZOAI_PC_DOMAIN        0x40   /* email domain label */
#define AZOAI_PC_SECRET        0x80   /* credential token byte */

/*
 * the bytes next to a number, azoai_pii_num_edge[]: refused right before
 * it, right after it, or either side when a letter or digit is beyond
 */
#define AZOAI_NE_LEFT          0x01   /* letters, digits, '_', '+' */
#define AZOAI_NE_RIGHT         0x02   /* letters, digits, '_', '@' */
#define AZOAI_NE_JOIN          0x04   /* '.', '-', ',' */

/*
 * What the tokenizer saw in the raw bytes of a string (azoai_pii_scan_raw):
 * without either flag the view is the raw bytes themselves.
 */
#define AZOAI_PII_RAW_ESCAPED  0x01   /* it may hold a backslash */
#define AZOAI_PII_RAW_UTF8     0x02   /* it may hold bytes >= 0x80 */
#define AZOAI_PII_RAW_ANY      (AZOAI_PII_RAW_ESCAPED|AZOAI_PII_RAW_UTF8)

#define azoai_pii_is(c, cls)   (azoai_pii_class[(u_char) (c)] & (cls))
#define azoai_pii_digit(c)     ((u_char) ((c) - '0') < 10)
#define azoai_pii_alnum(c)     azoai_pii_is(c, AZOAI_PC_DIGIT|AZOAI_PC_ALPHA)

/* "[TAG]" as azoai_pii_render() writes it for the mask action */
#define AZOAI_PII_MASK_SIZE    (AZOAI_PII_NAME_MAX + 2)

/* the tags azoai_pii_render_short() writes in one move, all built-in ones */
#define AZOAI_PII_SHORT_TAG    16

/* a custom pattern gives up (fail closed) beyond this many match steps */
#define AZOAI_PII_MATCH_LIMIT  10000000
#define AZOAI_PII_JIT_STACK    (512 * 1024)


typedef struct {
    char                    name[AZOAI_PII_NAME_MAX + 1];  /* "email" */
    char                    tag[AZOAI_PII_NAME_MAX + 1];   /* "EMAIL" */
    size_t                  name_len;
    u_char                  mask[AZOAI_PII_MASK_SIZE];     /* "[EMAIL]" */
    size_t                  mask_len;
    azoai_pii_action_e      action;
    unsigned                enabled:1;
    pcre2_code             *re;
} azoai_pii_type_t;


struct azoai_pii_engine_s {
    azoai_pii_type_t        types[AZOAI_PII_MAX_TYPES];
    unsigned                ntypes;
    unsigned                builtin_mask;    /* bit per enabled built-in */
    uint64_t                blocked;         /* bit per type blocked */

    /*
     * per type, the "[TAG]" of the mask and block actions where it has
     * AZOAI_PII_SHORT_TAG bytes or fewer, padded; its length, 0 for the
     * other actions and longer tags (azoai_pii_render_short())
     */
    u_char                  short_len[AZOAI_PII_MAX_TYPES];
    u_char                  short_tag[AZOAI_PII_MAX_TYPES]
                                     [AZOAI_PII_SHORT_TAG];
    unsigned                ncustom;
    unsigned                finalized:1;

    u_char                 *key;
    size_t                  key_len;
    EVP_MAC                *mac;
    EVP_MAC_CTX            *mac_ctx;

    pcre2_match_data       *match_data;
    pcre2_match_context    *match_ctx;
    pcre2_jit_stack        *jit_stack;
};


/*
 * The types whose action is block, a bit each: what
 * azoai_pii_type_action() tells type by type, in one load for a
 * callback on every match
 */

static inline uint64_t
azoai_pii_blocked_types(const azoai_pii_engine_t *e)
{
    return e->blocked;
}


/*
 * The replacement of a match of type where it is the "[TAG]" of the mask
 * or block action and has AZOAI_PII_SHORT_TAG bytes or fewer: its
 * length, the tag at out in one 16-byte move (the bytes after the tag up
 * to AZOAI_PII_SHORT_TAG are written too; out must have room for
 * AZOAI_PII_TAG_MAX).  0 for every other match, which
 * azoai_pii_render_pseudo() renders: the same bytes, at the cost of a
 * call and the type's tests (~30 instructions a match).
 */

static inline size_t
azoai_pii_render_short(const azoai_pii_engine_t *e, unsigned type,
    u_char *out)
{
    size_t  n;

    if (type >= AZOAI_PII_MAX_TYPES) {
        return 0;
    }

    n = e->short_len[type];

    if (n) {
        memcpy(out, e->short_tag[type], AZOAI_PII_SHORT_TAG);
    }

    return n;
}


/*
 * Where the view differs from raw: a character the view decodes, folds or
 * drops (escapes, full-width forms, zero-width characters).  Between two
 * such characters view and raw bytes are the same, one for one.
 */
typedef struct {
    uint32_t                view;      /* view offset of its output */
    uint32_t                raw;       /* raw offset of the character */
} azoai_pii_seg_t;


/*
 * The decoded text of one JSON string.  nsegs == 0: the view is the raw
 * bytes (identity).
 */
typedef struct {
    const u_char           *text;
    size_t                  len;
    const u_char           *raw;
    size_t                  raw_len;
    azoai_pii_seg_t        *segs;
    size_t                  nsegs;
} azoai_pii_view_t;


/* the view of a text without escapes or bytes >= 0x80: the text itself */

static inline void
azoai_pii_view_plain(azoai_pii_view_t *view, const u_char *text, size_t len)
{
    view->text = text;
    view->len = len;
    view->raw = text;
    view->raw_len = len;
    view->segs = NULL;
    view->nsegs = 0;
}


extern const u_char  azoai_pii_class[256];
/* azoai_pii_detect_num.c */
extern const u_char  azoai_pii_num_edge[256];


/*
 * azoai_pii_scan.c: azoai_pii_scan() told by the tokenizer what raw may
 * hold (AZOAI_PII_RAW_*); a string without escapes and bytes >= 0x80 skips
 * the prefilter and view passes.  azoai_pii_scan() passes
 * AZOAI_PII_RAW_ANY.
 */
int azoai_pii_scan_raw(const azoai_pii_engine_t *e, const u_char *raw,
    size_t len, unsigned raw_flags, azoai_alloc_t *a, azoai_pii_match_pt cb,
    void *data);

/*
 * azoai_pii_scan_raw() with the spans of the string given at once: m[0 ..
 * n), raw offsets, in order and apart, n > 0 (no call without one);
 * non-zero stops.  One call a string, where a call per match cost ~50
 * instructions a match (azoai_body.c, 64 KB with 40 values).
 */
typedef int (*azoai_pii_matches_pt)(void *data, const azoai_pii_match_t *m,
    size_t n);

int azoai_pii_scan_all(const azoai_pii_engine_t *e, const u_char *raw,
    size_t len, unsigned raw_flags, azoai_alloc_t *a,
    azoai_pii_matches_pt cb, void *data);

/*
 * azoai_pii_scan_all() of a plain string (raw_flags 0, len at most
 * UINT32_MAX) with the built-in detectors alone (e->builtin_mask set, no
 * custom pattern), whose caller took the first stop of cur, a cursor over
 * raw: first, before len.  The caller's test of that stop saves the call
 * for most strings (azoai_body.c).
 */
struct azoai_pii_cursor_s;

int azoai_pii_scan_all_from(const azoai_pii_engine_t *e, const u_char *raw,
    size_t len, azoai_alloc_t *a, struct azoai_pii_cursor_s *cur,
    size_t first, azoai_pii_matches_pt cb, void *data);

/* candidate starts from .. to - 1 of a text */
typedef struct {
    size_t                  from;
    size_t                  to;
} azoai_pii_range_t;

/* view offsets where a detector started and found nothing, in order */
typedef struct {
    size_t                 *at;
    size_t                  n;
    size_t                  cap;
    u_char                  over;     /* more than cap */
    u_char                  glued;    /* a candidate touches a word */
} azoai_pii_stops_t;

/* azoai_pii_scan.c */
int azoai_pii_find_text(const azoai_pii_engine_t *e, const u_char *text,
    size_t len, const azoai_pii_range_t *ranges, size_t nranges,
    azoai_alloc_t *a, azoai_pii_match_t **out, size_t *n);
void azoai_pii_cands_sort(azoai_pii_match_t *m, size_t n);
size_t azoai_pii_resolve(azoai_pii_match_t *items, size_t n);

/*
 * azoai_pii_settle.c, in two: whether masking m can change a verdict (a
 * call that saves no register: most strings with a match need no
 * round), then the rounds (azoai_pii_settle() below)
 */
int azoai_pii_settle_needed(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, const azoai_pii_stops_t *refused,
    const azoai_pii_match_t *m, size_t n);
int azoai_pii_settle_rounds(const azoai_pii_engine_t *e,
    const azoai_pii_view_t *view, azoai_pii_match_t **m, size_t *n,
    azoai_alloc_t *a);


/*
 * The spans *m (view offsets, sorted, apart) grown to the fixed point of
 * masking: what a scan of the masked text finds is added, until it finds
 * nothing; *m may move to memory from a
 */

static inline int
azoai_pii_settle(const azoai_pii_engine_t *e, const azoai_pii_view_t *view,
    const azoai_pii_stops_t *refused, azoai_pii_match_t **m, size_t *n,
    azoai_alloc_t *a)
{
    /* what azoai_pii_settle_needed() would say first, without the call */

    if (refused->n == 0 && !refused->over && !refused->glued
        && e->ncustom == 0)
    {
        return AZOAI_OK;
    }

    if (!azoai_pii_settle_needed(e, view, refused, *m, *n)) {
        return AZOAI_OK;
    }

    return azoai_pii_settle_rounds(e, view, m, n, a);
}


/* azoai_pii_view.c */
size_t azoai_pii_view_char(const u_char *raw, size_t len, size_t *pos,
    u_char *out);
size_t azoai_pii_find_cand(const u_char *text, size_t from, size_t len);

/*
 * azoai_pii_find_cand() for a walk that only moves forward: the candidate
 * bits of the last 64-byte window are kept between stops, so a stop in the
 * same window costs a mask and a bit scan, not another vector pass
 */
typedef struct azoai_pii_cursor_s  azoai_pii_cursor_t;

struct azoai_pii_cursor_s {
    const u_char            *text;
    size_t                   len;
    size_t                   base;   /* text[base .. base + 63] is in mask */
    uint64_t                 mask;   /* candidate bits of that window */
                                     /* the search past it, for this CPU */
    size_t                 (*scan)(azoai_pii_cursor_t *c, size_t from);
};

/*
 * the base of no window: from - base is from + 64 (unsigned), past the
 * window for every offset.  A window the cursor has left needs no mark:
 * the walk only goes forward, and from - base is 64 or more after it.
 */
#define AZOAI_PII_CURSOR_NONE  ((size_t) 0 - 64)

typedef size_t (*azoai_pii_cursor_scan_pt)(azoai_pii_cursor_t *c,
    size_t from);

/* the scan of CPUs without AVX2 (SSE2, or bytes) */
size_t azoai_pii_cursor_scan(azoai_pii_cursor_t *c, size_t from);
/* azoai_pii_view.c: the scan for this CPU */
extern azoai_pii_cursor_scan_pt  azoai_pii_cursor_scan_cpu;


/*
 * A cursor over text: the first offset >= from whose byte may start a
 * detector, or len, from azoai_pii_cursor_next() (the loop PII-free text
 * spends its time in)
 */

static inline void
azoai_pii_cursor_init(azoai_pii_cursor_t *c, const u_char *text,
    size_t len)
{
    c->text = text;
    c->len = len;
    c->base = AZOAI_PII_CURSOR_NONE;
    c->mask = 0;
    c->scan = azoai_pii_cursor_scan_cpu;
}


/*
 * The index of the lowest set bit of m, which is not 0, as a size_t for
 * the cursor's offsets.  __builtin_ctzll() gives an int that GCC clears
 * before the tzcnt (for its false dependency) and sign-extends after it:
 * two more instructions at every stop the cursor gives.  tzcnt runs as
 * bsf on CPUs without BMI1, the same for a mask that is not 0.
 */

static inline size_t
azoai_pii_cursor_bit(uint64_t m)
{
#if defined(__x86_64__)
    uint64_t  bit;

    __asm__ ("tzcnt %1, %0" : "=r" (bit) : "rm" (m) : "cc");

    return bit;
#else
    return (size_t) __builtin_ctzll(m);
#endif
}


/*
 * The first candidate offset >= from, as azoai_pii_find_cand(): inline
 * while the kept window holds it (most stops: a value's candidates lie
 * close together), a call to the cursor's scan past it
 */

static inline size_t
azoai_pii_cursor_next(azoai_pii_cursor_t *c, size_t from)
{
    size_t    skip;
    uint64_t  mask;

    /* from - base wraps for from < base */

    skip = from - c->base;

    if (skip < 64) {
        /* the bits from from on, shifted down: the stop is from + bit */
        mask = c->mask >> skip;

        if (__builtin_expect(mask != 0, 1)) {
            return from + azoai_pii_cursor_bit(mask);
        }

        from = c->base + 64;
    }

    return c->scan(c, from);
}

int azoai_pii_view_needed(const u_char *raw, size_t len);
size_t azoai_pii_view_specials(const u_char *raw, size_t len);
void azoai_pii_view_build(azoai_pii_view_t *view, const u_char *raw,
    size_t len, u_char *buf, azoai_pii_seg_t *segs);
size_t azoai_pii_view_raw_start(const azoai_pii_view_t *view, size_t v);
size_t azoai_pii_view_raw_end(const azoai_pii_view_t *view, size_t v);

/* built-in detectors over view text; 1 and [*start, *end) when found */
int azoai_pii_detect_email(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);
/*
 * azoai_pii_detect_net.c: the local part's start, or (size_t) -1; the
 * domain's end, or 0
 */
size_t azoai_pii_email_local(const u_char *v, size_t at);
size_t azoai_pii_email_domain(const u_char *v, size_t len, size_t at);
int azoai_pii_detect_ipv4(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);
int azoai_pii_detect_ipv6(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);
int azoai_pii_detect_card(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);
/*
 * azoai_pii_detect_num.c: the card reader alone, without the fast paths of
 * the common layouts (the unit tests compare them with it); from at where
 * azoai_pii_num_left_ok() holds
 */
int azoai_pii_card_general(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end) __attribute__((noinline));
int azoai_pii_detect_phone(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);
/* the same for phones: the reader and checks of every layout */
int azoai_pii_phone_general(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end) __attribute__((noinline));
int azoai_pii_detect_ssn(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);
int azoai_pii_detect_iban(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);
/*
 * azoai_pii_detect_iban.c: the same at a digit where
 * azoai_pii_iban_may_start() holds, without the tests it made
 */
int azoai_pii_detect_iban_lettered(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);
/*
 * azoai_pii_detect_iban.c: the IBAN detector without its vector reader
 * (the unit tests compare the two)
 */
int azoai_pii_iban_general(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);
int azoai_pii_detect_secret(const u_char *v, size_t len, size_t at,
    size_t *from, size_t *start, size_t *end);
/*
 * azoai_pii_detect_secret.c: azoai_pii_secret_may_span() past its quick
 * refusal, out of line (SSN-shaped numbers, tokens)
 */
int azoai_pii_secret_run(const u_char *v, size_t len, size_t at)
    __attribute__((noinline));

/*
 * azoai_pii_detect_natid.c: a national or health identifier of a type
 * enabled in mask (bits AZOAI_PII_NATID_MASK) holding the first digit of
 * a word at at; its type in *type.  azoai_pii_detect_natid() below
 * calls it where no '+' stands before at.
 */
int azoai_pii_natid_find(const u_char *v, size_t len, size_t at,
    unsigned mask, unsigned *type, size_t *start, size_t *end);

/*
 * azoai_pii_detect_natid.c: one of words (lower case, NULL-terminated)
 * stands as a word within 48 bytes before start or 24 after end
 */
int azoai_pii_context_near(const u_char *v, size_t len, size_t start,
    size_t end, const char *const *words);

/*
 * azoai_pii_detect_wallet.c: a Bitcoin or Ethereum address holding the
 * first digit of a word at at; called where azoai_pii_secret_may_span()
 */
int azoai_pii_detect_wallet(const u_char *v, size_t len, size_t at,
    size_t *start, size_t *end);


/*
 * bytes of a credential's token: base64, base64url, '.', '%' and '=';
 * one table lookup (AZOAI_PC_SECRET), as azoai_pii_secret_may_span()
 * runs at the first digit of every number
 */
#define azoai_pii_secret_byte(c)  azoai_pii_is(c, AZOAI_PC_SECRET)

/* every credential the secret detector knows has this many bytes or more */
#define AZOAI_PII_SECRET_MIN   16


/* the SWAR tests read 8 bytes as one word: little-endian hosts only */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define AZOAI_PII_SWAR  1
#else
#define AZOAI_PII_SWAR  0
#endif


/*
 * Whether one of the 8 bytes at p is below '%' (space, '"', controls)
 * or is '@': none of them is a credential byte.  The tests for a byte
 * below n and for a zero byte of w ^ "@@@@@@@@" are exact as to whether
 * there is one (not where).
 */

static inline int
azoai_pii_breaks8(const u_char *p)
{
    uint64_t  w, at;

    memcpy(&w, p, sizeof(uint64_t));

    at = w ^ 0x4040404040404040ULL;

    return ((((w - 0x2525252525252525ULL) & ~w)
             | ((at - 0x0101010101010101ULL) & ~at))
            & 0x8080808080808080ULL)
           != 0;
}


/*
 * The top bit of each byte of the word w that is below '%' or is '@',
 * exactly (no borrow or carry crosses a byte): where, not only whether,
 * as azoai_pii_secret_near() needs for the last such byte before a digit
 */

static inline uint64_t
azoai_pii_breaks_at8(uint64_t w)
{
    uint64_t  lo, at;

    lo = ~(((w & 0x7f7f7f7f7f7f7f7fULL) + 0x5b5b5b5b5b5b5b5bULL) | w);
    at = w ^ 0x4040404040404040ULL;
    at = ~(((at & 0x7f7f7f7f7f7f7f7fULL) + 0x7f7f7f7f7f7f7f7fULL) | at);

    return (lo | at) & 0x8080808080808080ULL;
}


#if defined(__SSE2__)

/*
 * A bit per byte of the 16 at p that is below '%' or is '@', as
 * azoai_pii_breaks_at8() says of 8
 */

static inline unsigned
azoai_pii_breaks16(const u_char *p)
{
    __m128i  x, lo, at;

    x = _mm_loadu_si128((const __m128i *) p);

    /* unsigned x <= '$': the minimum of x and '$' is x */
    lo = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8('%' - 1)), x);
    at = _mm_cmpeq_epi8(x, _mm_set1_epi8('@'));

    return (unsigned) _mm_movemask_epi8(_mm_or_si128(lo, at));
}


/*
 * The test of azoai_pii_secret_near() (azoai_pii_detect_secret.c) in two
 * vector tests, where at has 16 bytes on each side: the credential bytes
 * next to at reach at most to the nearest break on either side, and
 * fewer than 16 between them refuse the digit.  This refuses what the
 * 8-byte tests below refuse (a break within 8 bytes on both sides) and
 * the SSN-shaped numbers they pass ("SSN 536-22-1004."), for which
 * azoai_pii_secret_run() was called.
 *
 * The bytes from at on hold t, 1 to 16, before the first break after
 * at (or at + 16), at counted as a credential byte; the run holding at
 * is 16 long when the 16 - t bytes before at hold no break: no bit of
 * the back mask at t or above.  A shift where two counts were worked out
 * and added: ~9 instructions less a digit (bench_engine, 64 KB body:
 * 25,296 to 24,972 a scan, 36 digit stops).
 *
 * Before them one vector of the 16 bytes from at - 8: a break among the
 * 8 before at and among the 7 after it leaves a run of 14 at most, which
 * the two tests refuse too.  Most digits of PII in text are refused so
 * ("4111 1111", "+1 415", "LI87 6742", "Ursula61@"), in ~13
 * instructions, not ~21; an SSN's digit takes both (callgrind, module:
 * 4 KB -21, 64 KB -136 a request, 36 digit stops, 8 of them SSNs).
 */

static inline int
azoai_pii_secret_near16(const u_char *v, size_t at)
{
    unsigned  mid, back, t;

    /* bits 0-7: the bytes before at, bit 8: at, bits 9-15: after it */

    mid = azoai_pii_breaks16(v + at - AZOAI_PII_SECRET_MIN / 2);

    if ((mid & 0xff) && (mid >> 9)) {
        return 0;
    }

    back = azoai_pii_breaks16(v + at - AZOAI_PII_SECRET_MIN);
    t = (unsigned) __builtin_ctz((azoai_pii_breaks16(v + at) & ~1u) | 0x10000);

    return (back >> t) == 0;
}

#endif


/*
 * Whether a credential can span the digit at at: a run of at least
 * AZOAI_PII_SECRET_MIN credential bytes around it.  Most numbers in text
 * are short words, and azoai_pii_detect_secret() is then not called.
 * With 16 bytes on each side, the vector test; else, or without SSE2,
 * the 8-byte tests.  Inline in the scan always: a call costs as much as
 * the test.
 */

static inline int azoai_pii_secret_may_span(const u_char *v, size_t len,
    size_t at) __attribute__((always_inline));


static inline int
azoai_pii_secret_may_span(const u_char *v, size_t len, size_t at)
{
#if (AZOAI_PII_SWAR)
    size_t  half;

#if defined(__SSE2__)
    if (at >= AZOAI_PII_SECRET_MIN && len - at > AZOAI_PII_SECRET_MIN) {
        return azoai_pii_secret_near16(v, at)
               && azoai_pii_secret_run(v, len, at);
    }
#endif

    /*
     * A run of 16 holding at either starts at most 7 bytes before it and
     * holds at + 1 .. at + 8, or starts earlier and holds at - 8 .. at - 1:
     * a space or an '@' in both refuses the digit in a few operations
     * (most numbers in text, and e-mail local parts) before the call
     */

    half = AZOAI_PII_SECRET_MIN / 2;

    if (!(len - at > half && !azoai_pii_breaks8(v + at + 1))
        && !(at >= half && !azoai_pii_breaks8(v + at - half)))
    {
        return 0;
    }
#endif

    return azoai_pii_secret_run(v, len, at);
}

/*
 * Whether the 4 bytes at p are digits ('0'..'9'), in one 32-bit word
 * (SWAR) where the host is little-endian, and then the word in *w.  A
 * byte below '0' sets its own top bit in w - "0000", one above '9' in
 * w + 0x46464646; a borrow or carry into the next byte comes only from
 * a byte that failed already.  Elsewhere 0: the callers' byte loops.
 */

static inline int
azoai_pii_digits4(const u_char *p, uint32_t *w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(w, p, sizeof(uint32_t));

    return ((*w - 0x30303030u) | (*w + 0x46464646u)) & 0x80808080u ? 0 : 1;
#else
    return 0;
#endif
}


/*
 * The top bit of each byte of the word w that is no digit, and maybe of
 * bytes after the first such one (as azoai_pii_digits4()): 0 when all 8
 * are digits.  Little-endian hosts only (the callers check
 * AZOAI_PII_SWAR).
 */

static inline uint64_t
azoai_pii_nondigits8(uint64_t w)
{
    return ((w - 0x3030303030303030ULL) | (w + 0x4646464646464646ULL))
           & 0x8080808080808080ULL;
}


/*
 * How many of the 8 bytes at p are digits before the first that is not
 * (8: all), in one 64-bit word as azoai_pii_digits4(): a borrow or carry
 * only comes from a byte that failed already, so the lowest flagged byte
 * is the first non-digit.  Little-endian hosts only (the callers check
 * AZOAI_PII_SWAR).  Always inline: GCC left it out of line in the stop
 * loop's BMI build (azoai_pii_find_bmi()), a call at every number.
 */

static inline size_t azoai_pii_digits8(const u_char *p)
    __attribute__((always_inline));

static inline size_t
azoai_pii_digits8(const u_char *p)
{
    uint64_t  w, m;

    memcpy(&w, p, sizeof(uint64_t));

    m = azoai_pii_nondigits8(w);

    return m ? (unsigned) __builtin_ctzll(m) >> 3 : 8;
}


/*
 * The length of the run of digits at v[i] (i <= len), counted up to max:
 * 8 bytes a step while 8 are left, then a byte at a time
 */

static inline size_t
azoai_pii_digit_run(const u_char *v, size_t len, size_t i, size_t max)
{
    size_t  n, k;

    n = 0;

#if (AZOAI_PII_SWAR)
    while (len - i - n >= 8 && n < max) {
        k = azoai_pii_digits8(v + i + n);
        n += k;

        if (k < 8) {
            return (n < max) ? n : max;
        }
    }

    if (n >= max) {
        return max;
    }
#endif

    (void) k;

    while (n < max && i + n < len && azoai_pii_digit(v[i + n])) {
        n++;
    }

    return n;
}


/*
 * azoai_pii_digit_run() up to the end of the text, for the scan's count
 * of a number's digits: without the cap's two tests (its max was len,
 * which the loop's bound already keeps), ~4 instructions a number.  The
 * first word before the loop: most numbers end in it, and GCC set up the
 * loop's trip count for them first (~4 instructions).
 */

static inline size_t
azoai_pii_digit_count(const u_char *v, size_t len, size_t i)
{
    size_t  n, k;

    n = 0;

#if (AZOAI_PII_SWAR)
    if (len - i >= 8) {
        n = azoai_pii_digits8(v + i);

        if (n < 8) {
            return n;
        }
    }

    while (len - i - n >= 8) {
        k = azoai_pii_digits8(v + i + n);
        n += k;

        if (k < 8) {
            return n;
        }
    }
#endif

    (void) k;

    while (i + n < len && azoai_pii_digit(v[i + n])) {
        n++;
    }

    return n;
}


/*
 * Whether an IBAN may hold the digit at at as its first check digit: two
 * letters before it that start a word (azoai_pii_detect_iban() checks
 * the same first).  Inline: most digits after a letter are in words
 * ("bob40@", "Kreiger8"), where the call would return at once.
 */

static inline int
azoai_pii_iban_may_start(const u_char *v, size_t at)
{
    return at >= 2
           && azoai_pii_is(v[at - 1], AZOAI_PC_ALPHA)
           && azoai_pii_is(v[at - 2], AZOAI_PC_ALPHA)
           && (at == 2
               || !(azoai_pii_alnum(v[at - 3]) || v[at - 3] == '_'));
}


/*
 * Whether the digit at at follows 3, 4 or 5 letters of a word ("bob40@",
 * "Greg46"): no national identifier holds it then, as
 * azoai_natid_start() rules out (only a codice fiscale has 3 or more
 * letters before a digit, and then 6, 7, 9, 10, 12, 13 or 14).  Inline:
 * user names and e-mail local parts end in such digits.
 */

static inline int
azoai_pii_natid_word_refused(const u_char *v, size_t at)
{
    return at >= 3
           && azoai_pii_is(v[at - 1], AZOAI_PC_ALPHA)
           && azoai_pii_is(v[at - 2], AZOAI_PC_ALPHA)
           && azoai_pii_is(v[at - 3], AZOAI_PC_ALPHA)
           && !(at >= 6
                && azoai_pii_is(v[at - 4], AZOAI_PC_ALPHA)
                && azoai_pii_is(v[at - 5], AZOAI_PC_ALPHA)
                && azoai_pii_is(v[at - 6], AZOAI_PC_ALPHA));
}


/*
 * in_aadhaar "4_4_4" against a card "4_4_4_4" (azoai_natid_third()):
 * the 16 bytes at p hold "dddd" s "dddd" s (the caller saw them); 1 when
 * the rest rules the identifier out, 0 when it may be one
 */

static inline int azoai_pii_natid_card_refused(const u_char *p, u_char s)
    __attribute__((always_inline));

static inline int
azoai_pii_natid_card_refused(const u_char *p, u_char s)
{
    uint32_t  w;

    if (p[9] != s || !azoai_pii_digits4(p + 10, &w)
        || azoai_pii_alnum(p[14]))
    {
        return 1;
    }

    return p[14] == s
           && (azoai_pii_digit(p[15]) || (u_char) (p[15] - 'A') < 26);
}


/*
 * Whether the 8 bytes at p are all ASCII letters: each byte with 0x20
 * set must lie in 'a'..'z'; a borrow or carry into the next byte comes
 * only from a byte that failed already (as azoai_pii_digits4())
 */

static inline int
azoai_pii_letters8(const u_char *p)
{
    uint64_t  w;

    memcpy(&w, p, sizeof(uint64_t));

    w |= 0x2020202020202020ULL;

    return (((w - 0x6161616161616161ULL) | (w + 0x0505050505050505ULL))
            & 0x8080808080808080ULL)
           == 0;
}


/*
 * A codice fiscale holding d (1 to 7) digits at at, with 3 letters or
 * more right before them and no letter or digit right after: its word
 * of 16 is these digits and the 16 - d bytes before them, all letters;
 * 1 when they are not
 */

static inline int
azoai_pii_natid_letters_refused(const u_char *v, size_t at, size_t d)
{
    size_t  k;

    k = 16 - d;

    return at < k || !azoai_pii_letters8(v + at - 8)
           || !azoai_pii_letters8(v + at - k);
}


/*
 * A first group of d (1 to 6) digits at p, right before it no letter and
 * right after it s, no letter or digit: 1 when the groups rule every
 * national id out, as azoai_natid_layout() does after more steps (the
 * spaced NINO "AB 12 34 56 C" wants d == 2 and s == ' ', the NIE with
 * separators d == 7; neither is refused here).  16 bytes at p.
 */

static inline int azoai_pii_natid_groups_refused(const u_char *p,
    size_t d, u_char s) __attribute__((always_inline));

static inline int
azoai_pii_natid_groups_refused(const u_char *p, size_t d, u_char s)
{
    size_t  g2;

    switch (d) {

    case 1:
        /* fr_nir "1 85 05 ..." */
        return s != ' ' || azoai_pii_digits8(p + 2) != 2;

    case 2:
        /* de_tax_id "86 095 ...", the spaced NINO */
        return s != ' ';

    case 3:
        /* "3_3_3", us_itin "9XX-XX-XXXX"; not an SSN or a NANP phone's */
        if (s != ' ' && s != '-' && s != '.') {
            return 1;
        }

        g2 = azoai_pii_digits8(p + 4);

        return g2 != 3 && !(g2 == 2 && p[0] == '9' && s != '.');

    case 4:
        /* nl_bsn "1112.22.333", in_aadhaar; not a date, a card */
        g2 = azoai_pii_digits8(p + 5);

        if (s == '.') {
            return g2 != 2;
        }

        if ((s != ' ' && s != '-') || g2 != 4) {
            return 1;
        }

        return azoai_pii_natid_card_refused(p, s);
    }

    return 1;
}


/*
 * Whether the digits at at and the letters right before them rule out
 * every national id (1), as azoai_natid_start() would after a call and
 * more steps; 0: not known here.  Most numbers in text (cards, SSNs,
 * dates, an IBAN's check digits) are refused here.  Little-endian hosts
 * with 16 bytes left at at only, the rest of the time 0.  In two, for a
 * digit after a letter and one after another byte, as the scan knows
 * the byte before (azoai_pii_scan_digit()).
 */

static inline int
azoai_pii_natid_lettered_refused(const u_char *v, size_t len, size_t at)
{
#if (AZOAI_PII_SWAR)
    size_t  d;

    /* v[at - 1] is a letter */

    if (len - at < 16) {
        return 0;
    }

    d = azoai_pii_digits8(v + at);

    /* NRIC and NIE: a letter and 7 digits */

    if (at == 1 || !azoai_pii_is(v[at - 2], AZOAI_PC_ALPHA)) {
        return d != 7;
    }

    /* NINO: 2 letters and 6; more letters: a codice fiscale */

    if (at == 2 || !azoai_pii_is(v[at - 3], AZOAI_PC_ALPHA)) {
        return d != 6;
    }

    return d < 8 && !azoai_pii_alnum(v[at + d])
           && azoai_pii_natid_letters_refused(v, at, d);
#else
    return 0;
#endif
}


/*
 * azoai_pii_natid_lettered_refused() where two letters alone stand
 * before at (azoai_pii_iban_may_start() holds, and
 * azoai_pii_natid_word_refused() does not): a NINO's 6 digits, or no id
 */

static inline int
azoai_pii_natid_pair_refused(const u_char *v, size_t len, size_t at)
{
#if (AZOAI_PII_SWAR)
    return len - at >= 16 && azoai_pii_digits8(v + at) != 6;
#else
    return 0;
#endif
}


/*
 * The refusals of a number always inline, as GCC inlined them anyway:
 * in the BMI build of the stop loop (azoai_pii_scan.c) it left them out
 * of line otherwise
 */

static inline int azoai_pii_natid_number_refused(const u_char *v,
    size_t len, size_t at, size_t d) __attribute__((always_inline));

static inline int
azoai_pii_natid_number_refused(const u_char *v, size_t len, size_t at,
    size_t d)
{
#if (AZOAI_PII_SWAR)
    u_char  s;

    /*
     * at is 0, or v[at - 1] is no letter; d digits from at (the scan
     * counted them)
     */

    if (len - at < 16 || d >= 7) {
        return 0;
    }

    s = v[at + d];

    return !azoai_pii_alnum(s)
           && azoai_pii_natid_groups_refused(v + at, d, s);
#else
    return 0;
#endif
}


static inline int
azoai_pii_natid_shape_refused(const u_char *v, size_t len, size_t at)
{
    if (at > 0 && azoai_pii_is(v[at - 1], AZOAI_PC_ALPHA)) {
        return azoai_pii_natid_lettered_refused(v, len, at);
    }

    return azoai_pii_natid_number_refused(v, len, at,
                                          azoai_pii_digit_run(v, len, at,
                                                              len));
}


/*
 * azoai_pii_natid_find() at the first digit of a word.  A digit after
 * '+' ("+1 ...", "+44...") starts no identifier: no letters before it,
 * and azoai_pii_num_left_ok() refuses it, as azoai_natid_start() finds
 * after more steps; nor do the shapes azoai_pii_natid_shape_refused()
 * knows.  Inline: phones, cards and SSNs call it, and it needs no frame.
 */

static inline int
azoai_pii_detect_natid(const u_char *v, size_t len, size_t at,
    unsigned mask, unsigned *type, size_t *start, size_t *end)
{
    if ((at > 0 && v[at - 1] == '+')
        || azoai_pii_natid_shape_refused(v, len, at))
    {
        return 0;
    }

    return azoai_pii_natid_find(v, len, at, mask, type, start, end);
}


/*
 * Shared checks of the numeric detectors, inline as each match runs them.
 * A number must not continue a word or a dotted/dashed number on its
 * left: "x4111...", "1.2.3.4" from its second octet, UUID groups.
 */

static inline int
azoai_pii_num_left_ok(const u_char *v, size_t at)
{
    u_char  k;

    if (at == 0) {
        return 1;
    }

    /*
     * one lookup (azoai_pii_num_edge[]) where the byte was tested against
     * a class and five characters: 7 instructions, not 14, before most
     * numbers (a space, a quote, a colon)
     */

    k = azoai_pii_num_edge[v[at - 1]] & (AZOAI_NE_LEFT|AZOAI_NE_JOIN);

    if (k == 0) {
        return 1;
    }

    return !(k & AZOAI_NE_LEFT) && !(at >= 2 && azoai_pii_alnum(v[at - 2]));
}


static inline int
azoai_pii_num_right_ok(const u_char *v, size_t len, size_t end)
{
    u_char  k;

    if (end >= len) {
        return 1;
    }

    k = azoai_pii_num_edge[v[end]] & (AZOAI_NE_RIGHT|AZOAI_NE_JOIN);

    if (k == 0) {
        return 1;
    }

    return !(k & AZOAI_NE_RIGHT)
           && !(end + 1 < len && azoai_pii_alnum(v[end + 1]));
}


#endif /* _AZOAI_PII_INT_H_INCLUDED_ */
