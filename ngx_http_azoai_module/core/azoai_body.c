/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The body layer: one walk over a JSON request body validates it, collects
 * the deployment names it carries and runs the PII engine over the string
 * values that are text; the rewrite splices the replacements into the
 * original bytes, copying everything else as it is.
 */

#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "azoai_ascii.h"
#include "azoai_json_walk.h"
#include "azoai_body.h"
#include "azoai_body_refs.h"
#include "azoai_pii_int.h"
#include "azoai_zero.h"

/*
 * The walk and its visitor twice (AZOAI_BMI, azoai_pii_int.h).  A shift
 * by a variable count is one instruction there, not a move to %cl and
 * the shift, and the registers it frees spill less: the inspection
 * 1,546 -> 1,493 instructions at chat-4k-pii (bench_engine), module
 * instr/req 38,743 / 42,445 / 80,850 -> 38,720 / 42,423 / 80,852
 * (callgrind.sh inside).  For AVX2 too (VEX encoding, the member's three
 * constants folded into its compares) it was 1,593: GCC's code for the
 * rest grew more than the SSE2 steps shrank; for BMI alone the number's
 * reader went out of line (1,373 and 137 in 4 calls): always inline now
 */


#if (AZOAI_BODY_MAX_DEPTH != AZOAI_JSON_MAX_DEPTH)
#error "AZOAI_BODY_MAX_DEPTH and AZOAI_JSON_MAX_DEPTH differ"
#endif


/* what a member key says about its value */
#define AZOAI_BODY_KEY_TEXT       0   /* scanned for PII */
#define AZOAI_BODY_KEY_STRUCT     1   /* an id, an enum: not scanned */
#define AZOAI_BODY_KEY_SECRET     2   /* a credential: value and subtree */

/* a data: URI is skipped when ";base64," comes within these bytes */
#define AZOAI_BODY_DATA_URI_HEAD  100

/* the shortest: "data:" ";base64," */
#define AZOAI_BODY_DATA_URI_MIN   13

/*
 * The first array of matches: one per AZOAI_BODY_MATCHES_PER bytes of
 * the body, from AZOAI_BODY_MATCHES_INIT to AZOAI_BODY_MATCHES_FIRST_MAX
 * (64 KB with 40 values: one array, not four and three copies)
 */
#define AZOAI_BODY_MATCHES_INIT       16
#define AZOAI_BODY_MATCHES_PER        1024
#define AZOAI_BODY_MATCHES_FIRST_MAX  1024

/* the deepest path of a deployment name */
#define AZOAI_BODY_NAME_DEPTH     5

#define azoai_body_nelts(a)       (sizeof(a) / sizeof((a)[0]))


/* a member key and what it says about its value */
typedef struct {
    azoai_str_t                 key;
    unsigned                    kind;         /* AZOAI_BODY_KEY_* */
} azoai_body_key_t;


/* one step of a path: a member of an object, or any element of an array */
typedef struct {
    unsigned                    type;         /* AZOAI_JSON_OBJECT, ARRAY */
    azoai_str_t                 key;          /* of the member */
} azoai_body_step_t;


/* a place in the body that holds a deployment name */
typedef struct {
    unsigned                    depth;        /* of the name's value */
    azoai_body_step_t           path[AZOAI_BODY_NAME_DEPTH];
    unsigned                    scope;        /* see azoai_body_names() */
    const char                 *field;        /* for error texts */
    const char                 *where;        /* for messages */
} azoai_body_place_t;


typedef struct {
    const azoai_pii_engine_t   *engine;
    azoai_alloc_t              *alloc;
    azoai_body_result_t        *result;

    /* the body: offsets of strings and scalars are v->raw.data - body */
    const u_char               *body;

    size_t                      matches_size;
    size_t                      matches_first; /* size of the first */
    size_t                      base;         /* offset of the string */
    size_t                      raw_len;      /* length of the string */

    /* per origin: the offset of the scope of the last name found */
    size_t                      last[AZOAI_BODY_NAME_N];
    /*
     * bytes, not bits of one word: each set at the start without reading
     * and masking the others (-4 instructions a body)
     */
    u_char                      nomem;
    u_char                      background_seen;

    /* azoai_pii_scan_all_from() may take the strings without escapes */
    u_char                      scan_plain;

    /* the cursor over the plain string scanned */
    azoai_pii_cursor_t          cur;

    /* secret[d]: values at depth d lie under a credential key */
    u_char                      secret[AZOAI_BODY_MAX_DEPTH + 1];
} azoai_body_ctx_t;


/* azoai_body_visit() tells scalars by type > AZOAI_JSON_STRING */
_Static_assert(AZOAI_JSON_OBJECT < AZOAI_JSON_STRING
               && AZOAI_JSON_ARRAY < AZOAI_JSON_STRING
               && AZOAI_JSON_NUMBER > AZOAI_JSON_STRING
               && AZOAI_JSON_TRUE > AZOAI_JSON_STRING
               && AZOAI_JSON_FALSE > AZOAI_JSON_STRING
               && AZOAI_JSON_NULL > AZOAI_JSON_STRING,
               "azoai_json.h: the scalar types follow AZOAI_JSON_STRING");

/* azoai_body_visit() tests a length's bit and the escapes' at once */
_Static_assert(AZOAI_JSON_ESCAPED == 1,
               "azoai_json.h: AZOAI_JSON_ESCAPED is not bit 0");

/* azoai_body_inspect() zeroes from nnames on: names[] are set when counted */
_Static_assert(offsetof(azoai_body_result_t, nnames)
               == offsetof(azoai_body_result_t, names)
                  + AZOAI_BODY_MAX_NAMES * sizeof(azoai_body_name_t),
               "azoai_body_result_t: a field between names and nnames");

/* ... and sets error and error_text[0] of what comes before names */
_Static_assert(offsetof(azoai_body_result_t, error_text) == sizeof(unsigned)
               && offsetof(azoai_body_result_t, names)
                  < offsetof(azoai_body_result_t, error_text)
                    + sizeof(((azoai_body_result_t *) 0)->error_text)
                    + _Alignof(azoai_body_name_t),
               "azoai_body_result_t: a field between error_text and names");


static void azoai_body_depths(void);
static inline void azoai_body_start(azoai_body_ctx_t *ctx,
    const azoai_pii_engine_t *e, size_t len, azoai_alloc_t *a,
    azoai_body_result_t *result, azoai_pii_match_t *room, size_t nroom)
    __attribute__((always_inline));
static inline int azoai_body_visit(void *data,
    const azoai_json_value_t *v) __attribute__((always_inline));
static inline azoai_json_value_t *azoai_body_copy(azoai_body_ctx_t *ctx,
    const azoai_json_value_t *v, azoai_json_value_t *copy);
static inline int azoai_body_value(azoai_body_ctx_t *ctx,
    const azoai_json_value_t *v, const azoai_json_frame_t *parent,
    unsigned top) __attribute__((always_inline));
static inline int azoai_body_scan(azoai_body_ctx_t *ctx,
    const azoai_json_value_t *v) __attribute__((always_inline));
static inline int azoai_body_checks(azoai_body_ctx_t *ctx,
    const azoai_json_value_t *v, const azoai_json_frame_t *parent)
    __attribute__((always_inline));
static int azoai_body_names(azoai_body_ctx_t *ctx,
    const azoai_json_value_t *v) __attribute__((noinline));
static inline int azoai_body_retention_due(
    const azoai_json_frame_t *parent);
static int azoai_body_retention(azoai_body_ctx_t *ctx,
    const azoai_json_value_t *v) __attribute__((noinline));
static int azoai_body_path_is(const azoai_json_value_t *v,
    const azoai_body_place_t *place);
static int azoai_body_add_name(azoai_body_ctx_t *ctx,
    const azoai_json_value_t *v, azoai_body_origin_e origin);
static int azoai_body_ambiguous(azoai_body_ctx_t *ctx, const char *field,
    const char *why);
static inline int azoai_body_may_be_secret(const azoai_json_frame_t *f);
static inline unsigned azoai_body_key_kind(const azoai_json_frame_t *f)
    __attribute__((always_inline));
static unsigned azoai_body_escaped_key_kind(const azoai_json_frame_t *f)
    __attribute__((noinline));
static inline unsigned azoai_body_key_lookup(const u_char *k, size_t n)
    __attribute__((always_inline));
static inline unsigned azoai_body_text_kind(const azoai_json_value_t *v,
    const azoai_json_frame_t *parent, unsigned top)
    __attribute__((always_inline));
static int azoai_body_is_data_uri(const u_char *raw, size_t len);
static inline int azoai_body_opaque_due(const azoai_json_value_t *v,
    const azoai_json_frame_t *parent, unsigned top);
static int azoai_body_opaque(azoai_body_ctx_t *ctx,
    const azoai_json_value_t *v, unsigned text);
static const char *azoai_body_opaque_what(const azoai_json_value_t *v,
    unsigned text);
static int azoai_body_on_match(void *data, const azoai_pii_match_t *m,
    size_t n);
static int azoai_body_on_match_cut(azoai_body_result_t *r,
    azoai_pii_match_t *first, azoai_pii_match_t *to, size_t limit)
    __attribute__((noinline, cold));
static int azoai_body_on_match_grow(azoai_body_ctx_t *ctx,
    const azoai_pii_match_t *m, size_t n) __attribute__((noinline));
static inline int azoai_body_inspect_run(const azoai_pii_engine_t *e,
    const u_char *body, size_t len, azoai_alloc_t *a,
    azoai_body_result_t *result, azoai_pii_match_t *room, size_t nroom)
    __attribute__((always_inline));
#if (AZOAI_BMI)
static int azoai_body_inspect_bmi(const azoai_pii_engine_t *e,
    const u_char *body, size_t len, azoai_alloc_t *a,
    azoai_body_result_t *result, azoai_pii_match_t *room, size_t nroom);
#endif
static u_char *azoai_body_rewrite_alloc(const azoai_body_result_t *result,
    size_t first, size_t len, azoai_alloc_t *a);
static u_char *azoai_body_splice(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, size_t first, const u_char *body,
    size_t len, size_t pos, u_char *o);


/*
 * The kinds of member keys, escapes decoded.  Structural: ids, enums and
 * deployment names (the names the policy checked must reach Azure as they
 * are), and any key ending in "_id".  Secret: credentials, never
 * rewritten, with all they contain.  Other keys are text.
 *
 * One list, kept sorted by length (tests/test_body.c names every key);
 * the table and its index by length are made from it at compile time, so
 * no length is counted by hand.
 */
#define AZOAI_BODY_KEYS(X, arg)                                              \
    X("id", AZOAI_BODY_KEY_STRUCT, arg)                                      \
    X("key", AZOAI_BODY_KEY_SECRET, arg)                                     \
    X("role", AZOAI_BODY_KEY_STRUCT, arg)                                    \
    X("type", AZOAI_BODY_KEY_STRUCT, arg)                                    \
    X("model", AZOAI_BODY_KEY_STRUCT, arg)                                   \
    X("voice", AZOAI_BODY_KEY_STRUCT, arg)                                   \
    X("store", AZOAI_BODY_KEY_STRUCT, arg)                                   \
    X("object", AZOAI_BODY_KEY_STRUCT, arg)                                  \
    X("detail", AZOAI_BODY_KEY_STRUCT, arg)                                  \
    X("format", AZOAI_BODY_KEY_STRUCT, arg)                                  \
    X("api_key", AZOAI_BODY_KEY_SECRET, arg)                                 \
    X("headers", AZOAI_BODY_KEY_SECRET, arg)                                 \
    X("background", AZOAI_BODY_KEY_STRUCT, arg)                              \
    X("service_tier", AZOAI_BODY_KEY_STRUCT, arg)                            \
    X("authentication", AZOAI_BODY_KEY_SECRET, arg)                          \
    X("encoding_format", AZOAI_BODY_KEY_STRUCT, arg)                         \
    X("deployment_name", AZOAI_BODY_KEY_STRUCT, arg)                         \
    X("reasoning_effort", AZOAI_BODY_KEY_STRUCT, arg)                        \
    X("connection_string", AZOAI_BODY_KEY_SECRET, arg)

/* the longest key of the list */
#define AZOAI_BODY_KEY_MAX        17

#define AZOAI_BODY_KEY_ROW(k, kind, arg)  { azoai_string(k), kind },
#define AZOAI_BODY_KEY_SHORTER(k, kind, n)  + (sizeof(k) - 1 < (n))
#define AZOAI_BODY_KEY_LONGER(k, kind, arg)  + (sizeof(k) - 1 > (arg))

/* how many keys are shorter than n: where keys of length n start */
#define azoai_body_keys_from(n)   (0 AZOAI_BODY_KEYS(AZOAI_BODY_KEY_SHORTER, n))

static const azoai_body_key_t  azoai_body_keys[] = {
    AZOAI_BODY_KEYS(AZOAI_BODY_KEY_ROW, 0)
};

/* azoai_body_key_start[n]: the first key of length n or more */
static const u_char  azoai_body_key_start[AZOAI_BODY_KEY_MAX + 2] = {
    azoai_body_keys_from(0), azoai_body_keys_from(1),
    azoai_body_keys_from(2), azoai_body_keys_from(3),
    azoai_body_keys_from(4), azoai_body_keys_from(5),
    azoai_body_keys_from(6), azoai_body_keys_from(7),
    azoai_body_keys_from(8), azoai_body_keys_from(9),
    azoai_body_keys_from(10), azoai_body_keys_from(11),
    azoai_body_keys_from(12), azoai_body_keys_from(13),
    azoai_body_keys_from(14), azoai_body_keys_from(15),
    azoai_body_keys_from(16), azoai_body_keys_from(17),
    azoai_body_keys_from(18)
};

/*
 * azoai_body_key_slot[n][c & AZOAI_BODY_KEY_BYTE]: the key of length n
 * whose first byte is c, as its row + 1; 0: none; AZOAI_BODY_KEY_SHARED:
 * two keys share the slot, the rows of length n are compared.  Filled
 * once from azoai_body_keys[] (azoai_body_depths()): one compare per
 * lookup instead of one per key of the length.
 */
#define AZOAI_BODY_KEY_BYTE       0x1f
#define AZOAI_BODY_KEY_SHARED     0xff

static u_char  azoai_body_key_slot[AZOAI_BODY_KEY_MAX + 1]
                                  [AZOAI_BODY_KEY_BYTE + 1];

/*
 * azoai_body_key_rows[slot]: the key's bytes and kind, filled with the
 * slots: a lookup compares the bytes where the slot leads, without the
 * row's pointer to them
 */
typedef struct {
    u_char                      data[AZOAI_BODY_KEY_MAX];
    u_char                      kind;
} azoai_body_key_row_t;

static azoai_body_key_row_t  azoai_body_key_rows[
                                 azoai_body_nelts(azoai_body_keys) + 1];

typedef char  azoai_body_key_slot_ok[
    azoai_body_nelts(azoai_body_keys) < AZOAI_BODY_KEY_SHARED ? 1 : -1];

/* no key is longer than AZOAI_BODY_KEY_MAX */
typedef char  azoai_body_key_max_ok[
    (0 AZOAI_BODY_KEYS(AZOAI_BODY_KEY_LONGER, AZOAI_BODY_KEY_MAX)) == 0
    ? 1 : -1];

/* bit n: a credential key of the list has length n */
#define AZOAI_BODY_KEY_SECRET_LEN(k, kind, arg)                              \
    | ((kind) == AZOAI_BODY_KEY_SECRET ? (uint64_t) 1 << (sizeof(k) - 1) : 0)

#define AZOAI_BODY_SECRET_LENS                                               \
    (0 AZOAI_BODY_KEYS(AZOAI_BODY_KEY_SECRET_LEN, 0))


#define AZOAI_BODY_OBJ(k)  { AZOAI_JSON_OBJECT, azoai_string(k) }
#define AZOAI_BODY_ARR     { AZOAI_JSON_ARRAY, { 0, NULL } }

/*
 * Where deployment names are, indexed by origin.  A name given twice in
 * the same scope (the object whose offset is path[scope]'s) is
 * ambiguous: the top-level object for "model" and "session.model", the
 * data source for its embedding deployment.  The innermost step of a
 * place is a member (azoai_body_visit() filters on its key's length).
 */
static const azoai_body_place_t  azoai_body_places[] = {

    [AZOAI_BODY_NAME_MODEL] = {
        1, { AZOAI_BODY_OBJ("model") }, 0,
        "model", "body model" },

    [AZOAI_BODY_NAME_SESSION_MODEL] = {
        2, { AZOAI_BODY_OBJ("session"), AZOAI_BODY_OBJ("model") }, 0,
        "session.model", "body session.model" },

    [AZOAI_BODY_NAME_EMBEDDING] = {
        5, { AZOAI_BODY_OBJ("data_sources"), AZOAI_BODY_ARR,
             AZOAI_BODY_OBJ("parameters"),
             AZOAI_BODY_OBJ("embedding_dependency"),
             AZOAI_BODY_OBJ("deployment_name") }, 2,
        "embedding_dependency.deployment_name",
        "body data_sources embedding_dependency.deployment_name" }
};


/* one place per origin */
typedef char  azoai_body_places_complete[
    (azoai_body_nelts(azoai_body_places) == AZOAI_BODY_NAME_N) ? 1 : -1];


/* bytes of base64 text, plus '\\' for the "\/" some encoders write */
static const u_char  azoai_body_base64[256] = {
    ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1,
    ['+'] = 1, ['/'] = 1, ['='] = 1, ['-'] = 1, ['_'] = 1, ['\\'] = 1
};


/* bytes of a media type with parameters: "image/png", "text/plain;a=b" */
static const u_char  azoai_body_mediatype[256] = {
    ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1,
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
    ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
    ['`'] = 1, ['|'] = 1, ['~'] = 1, ['/'] = 1, [';'] = 1, ['='] = 1,
    ['\\'] = 1
};


/*
 * The places' depths and key lengths, from azoai_body_places[] once:
 * a body inspection per JSONL line of an upload made this set-up ~100
 * instructions of every line (NGINX workers are single-threaded; a
 * second filler would write the same values)
 */

/*
 * at_depth[d]: bit per origin whose names sit at depth d; key_lens[d]:
 * bit per length of the keys that hold those names.  Read where they
 * are, not through pointers the context got for each body (two stores,
 * the loads of the pointers)
 */
static unsigned  azoai_body_at_depth[AZOAI_BODY_NAME_DEPTH + 1];
static uint64_t  azoai_body_key_lens[AZOAI_BODY_NAME_DEPTH + 1];

/*
 * checked_lens[d]: bit per length of the member keys whose values at
 * depth d azoai_body_checks() reads: key_lens[d], and at depth 1 the
 * lengths of "store" and "background"; 0 below AZOAI_BODY_NAME_DEPTH, down
 * to the deepest value, so that azoai_body_visit() tests no depth.  No
 * key is empty: bit 0, an array's key length, is never set.
 */
static uint64_t  azoai_body_checked_lens[AZOAI_BODY_MAX_DEPTH + 1];
static unsigned  azoai_body_depths_ready;


static void
azoai_body_depths(void)
{
    u_char                    *slot;
    unsigned                   i;
    const azoai_str_t         *k;
    const azoai_body_place_t  *place;

    for (i = 0; i < AZOAI_BODY_NAME_N; i++) {
        place = &azoai_body_places[i];
        azoai_body_at_depth[place->depth] |= 1u << i;
        azoai_body_key_lens[place->depth] |=
            (uint64_t) 1 << place->path[place->depth - 1].key.len;
    }

    memcpy(azoai_body_checked_lens, azoai_body_key_lens,
           sizeof(azoai_body_key_lens));
    azoai_body_checked_lens[1] |= (uint64_t) 1 << (sizeof("store") - 1)
                                  | (uint64_t) 1 << (sizeof("background") - 1);

    for (i = 0; i < azoai_body_nelts(azoai_body_keys); i++) {
        k = &azoai_body_keys[i].key;
        slot = &azoai_body_key_slot[k->len][k->data[0] & AZOAI_BODY_KEY_BYTE];
        *slot = (*slot == 0) ? i + 1 : AZOAI_BODY_KEY_SHARED;

        memcpy(azoai_body_key_rows[i + 1].data, k->data, k->len);
        azoai_body_key_rows[i + 1].kind = azoai_body_keys[i].kind;
    }

    azoai_body_depths_ready = 1;
}


/* the result and the visitor's context before the walk */

static inline void
azoai_body_start(azoai_body_ctx_t *ctx, const azoai_pii_engine_t *e,
    size_t len, azoai_alloc_t *a, azoai_body_result_t *result,
    azoai_pii_match_t *room, size_t nroom)
{
    /*
     * names[i] is written before nnames counts it: zeroing them was 384
     * of the result's ~870 bytes (a rep stos: one instruction per word);
     * error_text is written with each error, a string from the start
     */
    result->error = AZOAI_BODY_OK;
    result->error_text[0] = '\0';
    azoai_zero((u_char *) &result->nnames,
               offsetof(azoai_body_result_t, counts)
               - offsetof(azoai_body_result_t, nnames));

    /*
     * The context is not zeroed whole either: base and raw_len are set
     * before each scan, secret[d + 1] when a container at depth d opens
     */
    result->matches = room;
    ctx->matches_size = nroom;
    ctx->nomem = 0;
    ctx->background_seen = 0;

    /*
     * Without an engine nothing is scanned nor counted opaque: as if the
     * whole body lay under a credential key, which the visitor tests for
     * every string and container anyway (a test of the engine per value
     * less, ~16 instructions a request at 1 KB)
     */
    ctx->secret[0] = (e == NULL);

    ctx->engine = e;

    /* strings are no longer than the body: none over the view's bound */
    ctx->scan_plain = (e != NULL && e->ncustom == 0 && e->builtin_mask != 0
                       && len <= UINT32_MAX);
    ctx->alloc = a;
    ctx->result = result;
    memset(ctx->last, 0xff, sizeof(ctx->last));

    if (!azoai_body_depths_ready) {
        azoai_body_depths();
    }
}


/*
 * The matches to the caller's room first: the array taken from a at the
 * first match, and the call growing it, cost a masked request ~80
 * instructions, and its few hundred bytes made NGINX's later pool
 * allocations walk to a second block (chat-4k-pii: ~150 more)
 */

int
azoai_body_inspect_into(const azoai_pii_engine_t *e, const u_char *body,
    size_t len, azoai_alloc_t *a, azoai_body_result_t *result,
    azoai_pii_match_t *room, size_t nroom)
{
    /* the CPU's features as the C library found them: two loads and tests */

#if (AZOAI_BMI)
    if (azoai_cpu_bmi()) {
        return azoai_body_inspect_bmi(e, body, len, a, result, room, nroom);
    }
#endif

    return azoai_body_inspect_run(e, body, len, a, result, room, nroom);
}


#if (AZOAI_BMI)

__attribute__((target("bmi,bmi2")))
static int
azoai_body_inspect_bmi(const azoai_pii_engine_t *e, const u_char *body,
    size_t len, azoai_alloc_t *a, azoai_body_result_t *result,
    azoai_pii_match_t *room, size_t nroom)
{
    return azoai_body_inspect_run(e, body, len, a, result, room, nroom);
}

#endif


/* the inspection, inline in both */

static inline int
azoai_body_inspect_run(const azoai_pii_engine_t *e, const u_char *body,
    size_t len, azoai_alloc_t *a, azoai_body_result_t *result,
    azoai_pii_match_t *room, size_t nroom)
{
    unsigned              rc;
    azoai_body_ctx_t      ctx;
    azoai_json_status_t   st;

    azoai_body_start(&ctx, e, len, a, result, room, nroom);

    ctx.body = body;
    ctx.matches_first = len / AZOAI_BODY_MATCHES_PER;

    if (ctx.matches_first < AZOAI_BODY_MATCHES_INIT) {
        ctx.matches_first = AZOAI_BODY_MATCHES_INIT;

    } else if (ctx.matches_first > AZOAI_BODY_MATCHES_FIRST_MAX) {
        ctx.matches_first = AZOAI_BODY_MATCHES_FIRST_MAX;
    }

    if (len == 0) {
        result->error = AZOAI_BODY_INVALID;
        snprintf(result->error_text, sizeof(result->error_text),
                 "empty body");
        return AZOAI_OK;
    }

    /*
     * the walk of azoai_json_walk_values(), with the visitor inlined and
     * no counts (st.values, st.lone_surrogates) kept: none is read here
     */

    rc = azoai_json_run_uncounted(body, len, azoai_body_visit, &ctx, &st);

    /*
     * The types found that an action blocks, once here rather than with
     * each match (an engine load, an and and an or: ~3 instructions a
     * match, 40 matches at 64 KB).  Through the context: result and e
     * kept live across the walk took it a register (~30 instructions
     * more at 1 KB)
     */

    if (ctx.result->types_found) {
        ctx.result->types_blocked = ctx.result->types_found
                                    & azoai_pii_blocked_types(ctx.engine);
    }

    switch (rc) {

    case AZOAI_JSON_OK:
        return AZOAI_OK;

    case AZOAI_JSON_STOPPED:
        if (ctx.nomem) {
            result->error = AZOAI_BODY_NOMEM;
            result->nmatches = 0;
            snprintf(result->error_text, sizeof(result->error_text),
                     "out of memory at byte %zu", st.offset);
            return AZOAI_ERROR;
        }

        /* azoai_body_ambiguous() wrote error and error_text */

        break;

    case AZOAI_JSON_TOO_DEEP:
        result->error = AZOAI_BODY_TOO_DEEP;
        snprintf(result->error_text, sizeof(result->error_text),
                 "JSON nested deeper than %d levels at byte %zu",
                 AZOAI_BODY_MAX_DEPTH, st.offset);
        break;

    default:
        result->error = AZOAI_BODY_INVALID;
        snprintf(result->error_text, sizeof(result->error_text),
                 "malformed JSON at byte %zu: %s", st.offset, st.reason);
        break;
    }

    /* a body that is refused has nothing to mask */

    result->nmatches = 0;

    return AZOAI_OK;
}


static inline int
azoai_body_visit(void *data, const azoai_json_value_t *v)
{
    unsigned                   d;
    azoai_body_ctx_t          *ctx;
    const azoai_json_frame_t  *parent;

    ctx = data;

    /* the walk does not report closing containers (closings 0) */

    d = v->depth;

    /*
     * The top-level value, once a body, on a way of its own: below, the
     * parent is there, not tested for NULL by each container and string
     * (~20 instructions a request at 1 KB)
     */

    if (d == 0) {
        if (azoai_body_checks(ctx, v, NULL) != 0) {
            return -1;
        }

        return azoai_body_value(ctx, v, NULL, 1);
    }

    parent = v->parent;

    /*
     * The top level holds "store" and "background"; names sit at a few
     * depths under keys of a few lengths.  Most values are under none of
     * them: one test of the key's length (or its escapes, "mod\u0065l"),
     * an array's key (length 0, no escapes) included.  The length's bit
     * and the escapes' (bit 0 of the flags) at once, lengths from 64 on
     * by their low 6 bits (azoai_body_checks() tests exactly): ~3
     * instructions a value less than two tests and a bound
     */

    if (azoai_body_checked_lens[d] != 0
        && (((azoai_body_checked_lens[d] >> (parent->key.len & 63))
             | parent->key_flags)
            & AZOAI_JSON_ESCAPED)
        && azoai_body_checks(ctx, v, parent) != 0)
    {
        return -1;
    }

    return azoai_body_value(ctx, v, parent, 0);
}


/*
 * The value v after the checks: containers pass on whether they lie
 * under a credential key, text strings are scanned.  top: v is the
 * top-level value, parent NULL
 */

static inline int
azoai_body_value(azoai_body_ctx_t *ctx, const azoai_json_value_t *v,
    const azoai_json_frame_t *parent, unsigned top)
{
    unsigned            d;
    azoai_json_value_t  copy;

    d = v->depth;

    /*
     * numbers and literals, the types after strings: nothing more to see;
     * without an engine, secret[0] is set (azoai_body_start())
     */

    if (v->type > AZOAI_JSON_STRING) {
        return 0;
    }

    if (v->type == AZOAI_JSON_OBJECT || v->type == AZOAI_JSON_ARRAY) {

        /* the values inside are at depth d + 1 */

        ctx->secret[d + 1] = ctx->secret[d]
                             || (!top && azoai_body_may_be_secret(parent)
                                 && azoai_body_key_kind(parent)
                                    == AZOAI_BODY_KEY_SECRET);
        return 0;
    }

    if (v->type != AZOAI_JSON_STRING || ctx->secret[d] || v->raw.len == 0) {
        return 0;
    }

    /*
     * Structural and credential keys first: what azoai_body_opaque()
     * counts is text ("file_data", "data" and data: URIs), so no such
     * string is opaque; the opaque tests run for text alone (with the
     * scan's state below: 2,257 -> 2,180 instructions an inspection of
     * the 1 KB clean chat body, bench_engine built as NGINX builds the
     * module)
     */

    if (azoai_body_text_kind(v, parent, top) != AZOAI_BODY_KEY_TEXT) {
        return 0;
    }

    if (azoai_body_opaque_due(v, parent, top)
        && azoai_body_opaque(ctx, azoai_body_copy(ctx, v, &copy), 1))
    {
        return 0;
    }

    return azoai_body_scan(ctx, v);
}


/*
 * A copy of v for a call (azoai_body_checks()), its offset set: the walk
 * leaves it unset for strings and scalars (azoai_json_run_uncounted()),
 * a subtraction a value less (1 KB / 4 KB / 64 KB chat bodies: -13
 * instructions each, bench_engine's inspection)
 */

static inline azoai_json_value_t *
azoai_body_copy(azoai_body_ctx_t *ctx, const azoai_json_value_t *v,
    azoai_json_value_t *copy)
{
    *copy = *v;
    copy->offset = v->raw.data - ctx->body;

    return copy;
}


/* the PII scan of a text string */

static inline int
azoai_body_scan(azoai_body_ctx_t *ctx, const azoai_json_value_t *v)
{
    int       rc;
    size_t    first;
    unsigned  raw_flags;

    /*
     * A plain string, the built-in detectors alone: the cursor's first
     * stop here, the call only for a string with one.  Most strings of a
     * chat have none, and the scan's frame (its stack buffers, ~6 KB: a
     * canary and six saved registers) cost them ~45 instructions each.
     * What azoai_body_on_match() reads of the string is set only when a
     * scan is called, and the flags are turned into the engine's for the
     * strings with escapes or non-ASCII bytes only (~10 instructions a
     * string without a stop less)
     */

    if ((v->flags & (AZOAI_JSON_ESCAPED|AZOAI_JSON_NON_ASCII)) == 0
        && ctx->scan_plain)
    {
        azoai_pii_cursor_init(&ctx->cur, v->raw.data, v->raw.len);

        first = azoai_pii_cursor_next(&ctx->cur, 0);

        if (first >= v->raw.len) {
            return 0;
        }

        ctx->base = v->raw.data - ctx->body;
        ctx->raw_len = v->raw.len;

        rc = azoai_pii_scan_all_from(ctx->engine, v->raw.data, v->raw.len,
                                     ctx->alloc, &ctx->cur, first,
                                     azoai_body_on_match, ctx);

    } else {
        ctx->base = v->raw.data - ctx->body;
        ctx->raw_len = v->raw.len;

        /* what the tokenizer saw spares the engine passes over plain text */

        raw_flags = ((v->flags & AZOAI_JSON_ESCAPED)
                     ? AZOAI_PII_RAW_ESCAPED : 0)
                    | ((v->flags & AZOAI_JSON_NON_ASCII)
                       ? AZOAI_PII_RAW_UTF8 : 0);

        rc = azoai_pii_scan_all(ctx->engine, v->raw.data, v->raw.len,
                                raw_flags, ctx->alloc, azoai_body_on_match,
                                ctx);
    }

    if (rc != AZOAI_OK) {
        /* allocation failure, or a match that makes no sense */
        ctx->nomem = 1;
        return -1;
    }

    return 0;
}


const char *
azoai_body_name_where(azoai_body_origin_e origin)
{
    if ((unsigned) origin >= AZOAI_BODY_NAME_N) {
        return "body";
    }

    return azoai_body_places[origin].where;
}


/*
 * The data retention members and the deployment names, for the values
 * azoai_body_visit() let through: the top-level one, and those under a
 * key of a length the two look for, or with escapes
 */

static inline int
azoai_body_checks(azoai_body_ctx_t *ctx, const azoai_json_value_t *v,
    const azoai_json_frame_t *parent)
{
    unsigned             d;
    azoai_json_value_t   copy;

    /*
     * The calls get a copy: the walk's value, whose address no call
     * takes, stays in registers
     */

    d = v->depth;

    /* the top-level object: here, not worth a call and a copy */

    if (d == 0) {
        if (v->type == AZOAI_JSON_OBJECT) {
            ctx->result->object = 1;
            ctx->result->object_start = v->offset;
        }

    } else if (d == 1 && azoai_body_retention_due(parent)
               && azoai_body_retention(ctx, azoai_body_copy(ctx, v, &copy))
                  != 0)
    {
        return -1;
    }

    if (d <= AZOAI_BODY_NAME_DEPTH && azoai_body_at_depth[d]
        && parent->type == AZOAI_JSON_OBJECT
        && ((parent->key_flags & AZOAI_JSON_ESCAPED)
            || (parent->key.len < 64
                && (azoai_body_key_lens[d] >> parent->key.len) & 1))
        && azoai_body_names(ctx, azoai_body_copy(ctx, v, &copy)) != 0)
    {
        return -1;
    }

    return 0;
}


/* the value v, if it sits where a deployment name does */

static int
azoai_body_names(azoai_body_ctx_t *ctx, const azoai_json_value_t *v)
{
    size_t                     scope;
    unsigned                   o, origins;
    const azoai_body_place_t  *place;

    for (origins = azoai_body_at_depth[v->depth];
         origins;
         origins &= origins - 1)
    {
        o = __builtin_ctz(origins);
        place = &azoai_body_places[o];

        if (!azoai_body_path_is(v, place)) {
            continue;
        }

        if (o == AZOAI_BODY_NAME_MODEL) {
            ctx->result->model_present = 1;
        }

        scope = v->path[place->scope].start;

        if (ctx->last[o] == scope) {
            return azoai_body_ambiguous(ctx, place->field,
                                        "given more than once");
        }

        ctx->last[o] = scope;

        return azoai_body_add_name(ctx, v, o);
    }

    return 0;
}


/*
 * Whether a top-level member may concern azoai_body_retention(): its key
 * has the length and first byte of "store" or "background", or escapes
 * (decoded, it may be either); the other members ("max_tokens" has the
 * length of "background") are not worth the call
 */

static inline int
azoai_body_retention_due(const azoai_json_frame_t *parent)
{
    return parent->type == AZOAI_JSON_OBJECT
           && ((parent->key_flags & AZOAI_JSON_ESCAPED)
               || (parent->key.len == sizeof("store") - 1
                   && parent->key.data[0] == 's')
               || (parent->key.len == sizeof("background") - 1
                   && parent->key.data[0] == 'b'));
}


/*
 * The top-level object's "store" and "background" members: what asks
 * Azure to keep data.  Either key twice is ambiguous.
 */

static int
azoai_body_retention(azoai_body_ctx_t *ctx, const azoai_json_value_t *v)
{
    azoai_body_result_t       *r;
    const azoai_json_frame_t  *parent;

    r = ctx->result;
    parent = &v->path[0];

    if (parent->type != AZOAI_JSON_OBJECT) {
        return 0;
    }

    if (azoai_json_key_is(parent, "background")) {
        if (ctx->background_seen) {
            return azoai_body_ambiguous(ctx, "background",
                                        "given more than once");
        }

        ctx->background_seen = 1;
        r->background = (v->type == AZOAI_JSON_TRUE);

        return 0;
    }

    if (!azoai_json_key_is(parent, "store")) {
        return 0;
    }

    if (r->store != AZOAI_BODY_STORE_ABSENT) {
        return azoai_body_ambiguous(ctx, "store", "given more than once");
    }

    r->store_start = v->offset;
    r->store_end = v->offset + v->raw.len;

    switch (v->type) {

    case AZOAI_JSON_TRUE:
        r->store = AZOAI_BODY_STORE_TRUE;
        break;

    case AZOAI_JSON_FALSE:
        r->store = AZOAI_BODY_STORE_FALSE;
        break;

    case AZOAI_JSON_OBJECT:
    case AZOAI_JSON_ARRAY:
        r->store = AZOAI_BODY_STORE_CONTAINER;
        break;

    case AZOAI_JSON_STRING:
        /* its quotes too */
        r->store_start--;
        r->store_end++;
        r->store = AZOAI_BODY_STORE_SCALAR;
        break;

    default:
        r->store = AZOAI_BODY_STORE_SCALAR;
        break;
    }

    return 0;
}


/* the path of v is place's; the innermost key first: it differs most */

static int
azoai_body_path_is(const azoai_json_value_t *v,
    const azoai_body_place_t *place)
{
    unsigned                   i;
    const azoai_body_step_t   *step;
    const azoai_json_frame_t  *f;

    for (i = place->depth; i-- > 0; /* void */) {
        f = &v->path[i];
        step = &place->path[i];

        if (f->type != step->type) {
            return 0;
        }

        if (step->type != AZOAI_JSON_OBJECT) {
            continue;
        }

        if (f->key_flags & AZOAI_JSON_ESCAPED) {
            if (!azoai_json_str_eq(f->key.data, f->key.len, f->key_flags,
                                   (const char *) step->key.data,
                                   step->key.len))
            {
                return 0;
            }

        } else if (f->key.len != step->key.len
                   || memcmp(f->key.data, step->key.data, f->key.len) != 0)
        {
            return 0;
        }
    }

    return 1;
}


static int
azoai_body_add_name(azoai_body_ctx_t *ctx, const azoai_json_value_t *v,
    azoai_body_origin_e origin)
{
    size_t               n;
    u_char              *p;
    const char          *field;
    azoai_body_name_t   *name;
    azoai_body_result_t *r;

    r = ctx->result;
    field = azoai_body_places[origin].field;

    if (v->type != AZOAI_JSON_STRING) {
        return azoai_body_ambiguous(ctx, field, "is not a string");
    }

    if (v->flags & AZOAI_JSON_LONE_SURROGATE) {
        return azoai_body_ambiguous(ctx, field, "is not valid Unicode");
    }

    if (r->nnames == AZOAI_BODY_MAX_NAMES) {
        r->error = AZOAI_BODY_AMBIGUOUS;
        snprintf(r->error_text, sizeof(r->error_text),
                 "too many deployment names (more than %d)",
                 AZOAI_BODY_MAX_NAMES);
        return -1;
    }

    /* decoding never lengthens; one spare byte keeps the size non-zero */

    p = azoai_alloc(ctx->alloc, v->raw.len + 1);
    if (p == NULL) {
        ctx->nomem = 1;
        return -1;
    }

    if (azoai_json_decode_string(v->raw.data, v->raw.len, p, v->raw.len + 1,
                                 &n)
        != AZOAI_OK)
    {
        return azoai_body_ambiguous(ctx, field, "cannot be decoded");
    }

    name = &r->names[r->nnames++];
    name->name.data = p;
    name->name.len = n;
    name->origin = origin;

    return 0;
}


static int
azoai_body_ambiguous(azoai_body_ctx_t *ctx, const char *field,
    const char *why)
{
    ctx->result->error = AZOAI_BODY_AMBIGUOUS;

    snprintf(ctx->result->error_text, sizeof(ctx->result->error_text),
             "'%s' %s", field, why);

    return -1;
}


/*
 * Whether the key of f may name a credential: escaped (decoded, it may),
 * or of the length of one.  Containers under other keys ("messages",
 * "tools", "response_format") go without the lookup, and so do those in
 * arrays: an array's frame has an empty key without escapes.
 */

static inline int
azoai_body_may_be_secret(const azoai_json_frame_t *f)
{
    return (f->key_flags & AZOAI_JSON_ESCAPED)
           || (f->key.len <= AZOAI_BODY_KEY_MAX
               && ((AZOAI_BODY_SECRET_LENS >> f->key.len) & 1));
}


/*
 * The kind of a member key (azoai_body_keys), escapes decoded.  Names
 * are rarely escaped: the decoding buffer lives in a function of its own,
 * out of the way of the common path, which runs for every value.
 */

static inline unsigned
azoai_body_key_kind(const azoai_json_frame_t *f)
{
    if (f->key_flags & AZOAI_JSON_ESCAPED) {
        return azoai_body_escaped_key_kind(f);
    }

    return azoai_body_key_lookup(f->key.data, f->key.len);
}


static unsigned
azoai_body_escaped_key_kind(const azoai_json_frame_t *f)
{
    size_t  n;
    u_char  buf[64];

    if (azoai_json_decode_string(f->key.data, f->key.len, buf, sizeof(buf),
                                 &n)
        != AZOAI_OK)
    {
        return AZOAI_BODY_KEY_TEXT;
    }

    return azoai_body_key_lookup(buf, n);
}


/*
 * Inlined in the visitor: as a call it saved and restored the walk's
 * registers around it, ~30 instructions a request at 1 KB (4 lookups)
 */

static inline unsigned
azoai_body_key_lookup(const u_char *k, size_t n)
{
    unsigned                     slot;
    const azoai_body_key_t      *kk;
    const azoai_body_key_row_t  *row;

    /* 1 .. AZOAI_BODY_KEY_MAX bytes: k[0] is read only for a key */

    if (n - 1 < AZOAI_BODY_KEY_MAX) {
        slot = azoai_body_key_slot[n][k[0] & AZOAI_BODY_KEY_BYTE];

        if (slot != 0 && slot != AZOAI_BODY_KEY_SHARED) {
            row = &azoai_body_key_rows[slot];

            if (azoai_bytes_eq(row->data, k, n)) {
                return row->kind;
            }

        } else if (slot == AZOAI_BODY_KEY_SHARED) {

            /* the keys of length n, by the index of the sorted list */

            for (kk = &azoai_body_keys[azoai_body_key_start[n]];
                 kk < &azoai_body_keys[azoai_body_key_start[n + 1]];
                 kk++)
            {
                /*
                 * all bytes compared, the first too: k[0] kept for this
                 * rare loop, GCC spilled it at every lookup
                 */

                if (azoai_bytes_eq(kk->key.data, k, n)) {
                    return kk->kind;
                }
            }
        }
    }

    if (n >= 3 && memcmp(k + n - 3, "_id", 3) == 0) {
        return AZOAI_BODY_KEY_STRUCT;
    }

    return AZOAI_BODY_KEY_TEXT;
}


/*
 * The key that names a string: its member key or, in arrays, the array's.
 * Mostly the parent's, whose pointer the visitor holds: the walk up the
 * path only for array elements.
 */

static inline unsigned
azoai_body_text_kind(const azoai_json_value_t *v,
    const azoai_json_frame_t *parent, unsigned top)
{
    unsigned  d;

    if (!top && parent->type == AZOAI_JSON_OBJECT) {
        return azoai_body_key_kind(parent);
    }

    for (d = v->depth; d > 0; d--) {
        if (v->path[d - 1].type == AZOAI_JSON_OBJECT) {
            return azoai_body_key_kind(&v->path[d - 1]);
        }
    }

    return AZOAI_BODY_KEY_TEXT;
}


/*
 * "data:TYPE;base64,..." with ";base64," in the first bytes, a media type
 * before it and nothing but base64 after it: an image or a file, not text.
 * Other text that starts the same way is scanned.
 */

static int
azoai_body_is_data_uri(const u_char *raw, size_t len)
{
    size_t         head, i;
    const u_char  *p, *end;

    if (len < AZOAI_BODY_DATA_URI_MIN || raw[0] != 'd'
        || memcmp(raw, "data:", 5) != 0)
    {
        return 0;
    }

    head = len < AZOAI_BODY_DATA_URI_HEAD ? len : AZOAI_BODY_DATA_URI_HEAD;

    for (i = 5; i + 8 <= head; i++) {
        if (raw[i] == ';' && memcmp(raw + i, ";base64,", 8) == 0) {
            break;
        }

        if (!azoai_body_mediatype[raw[i]]) {
            return 0;
        }
    }

    if (i + 8 > head) {
        return 0;
    }

    p = raw + i + 8;
    end = raw + len;

    while (end - p >= 4) {
        if (!(azoai_body_base64[p[0]] & azoai_body_base64[p[1]]
              & azoai_body_base64[p[2]] & azoai_body_base64[p[3]]))
        {
            return 0;
        }

        p += 4;
    }

    while (p < end) {
        if (!azoai_body_base64[*p++]) {
            return 0;
        }
    }

    return 1;
}


/*
 * Whether the text string v may be one azoai_body_opaque() counts: a
 * member whose key has the length and first byte of "file_data" or
 * "data" (or escapes; "role" has the length of "data"; an array's empty
 * key has neither), or a string that starts as a data: URI does.  top:
 * v is the top-level value, parent NULL
 */

static inline int
azoai_body_opaque_due(const azoai_json_value_t *v,
    const azoai_json_frame_t *parent, unsigned top)
{
    return (!top
            && ((parent->key_flags & AZOAI_JSON_ESCAPED)
                || (parent->key.len == sizeof("file_data") - 1
                    && parent->key.data[0] == 'f')
                || (parent->key.len == sizeof("data") - 1
                    && parent->key.data[0] == 'd')))
           || (v->raw.len >= AZOAI_BODY_DATA_URI_MIN
               && v->raw.data[0] == 'd');
}


/*
 * 1 and counted (result->nopaque, the first one named in opaque_what) if
 * the PII scan cannot read the string v: the file_data of an input_file
 * part and the data of input_audio (base64, with or without a data:
 * prefix), a base64 data: URI anywhere text goes (image_url,
 * input_image).  The caller denies or passes them (azoai_pii_opaque).
 */

static int
azoai_body_opaque(azoai_body_ctx_t *ctx, const azoai_json_value_t *v,
    unsigned text)
{
    const char  *what;

    what = azoai_body_opaque_what(v, text);

    if (what == NULL) {
        return 0;
    }

    if (ctx->result->nopaque++ == 0) {
        ctx->result->opaque_what = what;
    }

    return 1;
}


static const char *
azoai_body_opaque_what(const azoai_json_value_t *v, unsigned text)
{
    const azoai_json_frame_t  *f;

    f = azoai_json_parent(v);

    if (f != NULL && f->type == AZOAI_JSON_OBJECT) {

        if (azoai_json_key_is(f, "file_data")) {
            return "the file_data of an input_file part";
        }

        if (v->depth >= 2
            && v->path[v->depth - 2].type == AZOAI_JSON_OBJECT
            && azoai_json_key_is(f, "data")
            && azoai_json_key_is(&v->path[v->depth - 2], "input_audio"))
        {
            return "input_audio data";
        }
    }

    if (text && azoai_body_is_data_uri(v->raw.data, v->raw.len)) {
        return "a base64 data: URI (an image_url, input_image or file)";
    }

    return NULL;
}


/*
 * The matches of a string to the result, in body offsets, in one call
 * (azoai_pii_scan_all()): the checks and stores of a match in a loop
 * with the string's offset, length and the last end in registers, and
 * the type bits joined once.  The array's growth is a tail call of
 * azoai_body_on_match_grow(), which comes back: nothing lives across a
 * call here, and no register is saved (~60 instructions a call).
 */

static int
azoai_body_on_match(void *data, const azoai_pii_match_t *m, size_t n)
{
    size_t                     base, raw_len, last;
    uint64_t                   found;
    unsigned                   type;
    azoai_body_ctx_t          *ctx;
    azoai_pii_match_t         *to, *first;
    azoai_body_result_t       *r;
    const azoai_pii_match_t   *end;

    ctx = data;
    r = ctx->result;

    if (n > ctx->matches_size - r->nmatches) {
        return azoai_body_on_match_grow(ctx, m, n);
    }

    base = ctx->base;
    raw_len = ctx->raw_len;
    if (r->nmatches) {
        last = r->matches[r->nmatches - 1].end;

    } else {
        /* the body's first match: the counts start (azoai_body_result_t) */
        last = 0;
        azoai_zero((u_char *) r->counts, sizeof(r->counts));
    }

    to = &r->matches[r->nmatches];
    found = 0;

    first = to;

    for (end = m + n; m < end; m++, to++) {
        type = m->type;

        /*
         * a match empty or out of order: fail closed.  One past the
         * string has the last end past it too, as the ends grow: that is
         * tested once, after the loop (a compare and two flag moves a
         * match fewer)
         */

        if (__builtin_expect(m->start >= m->end, 0)
            || __builtin_expect(type >= AZOAI_PII_MAX_TYPES, 0)
            || __builtin_expect(base + m->start < last, 0))
        {
            break;
        }

        to->start = base + m->start;
        to->end = base + m->end;
        to->type = type;
        last = to->end;

        r->counts[type]++;

        /*
         * the type's bit by one bts, where GCC shifted a 1 kept in a
         * register of its own (three instructions); with the tests'
         * hints, which let it lay the loop out straight, 24 instructions
         * a match, not 28 (chat-64k-pii: on_match 1,141 -> 1,017 a
         * request)
         */

#if defined(__x86_64__) && defined(__GNUC__)
        __asm__ ("btsq %1, %0" : "+r" (found) : "r" ((uint64_t) type) : "cc");
#else
        found |= (uint64_t) 1 << type;
#endif
    }

    if (__builtin_expect(to != first && last - base > raw_len, 0)) {
        return azoai_body_on_match_cut(r, first, to, base + raw_len);
    }

    /* the matches before a bad one are kept, as one by one they were */

    r->nmatches = to - r->matches;
    r->types_found |= found;

    return (m == end) ? 0 : -1;
}


/*
 * azoai_body_on_match() found a match past the string: the matches of
 * the call from the first such one are taken back, their counts too, as
 * the loop would have stopped there
 */

static int
azoai_body_on_match_cut(azoai_body_result_t *r, azoai_pii_match_t *first,
    azoai_pii_match_t *to, size_t limit)
{
    uint64_t            found;
    azoai_pii_match_t  *k;

    found = 0;

    for (k = first; k < to && k->end <= limit; k++) {
        found |= (uint64_t) 1 << k->type;
    }

    r->nmatches = k - r->matches;
    r->types_found |= found;

    for ( /* void */ ; k < to; k++) {
        r->counts[k->type]--;
    }

    return -1;
}


/*
 * The result's match array has no room for n more: one twice as large,
 * at least the first size (from the body), or larger to hold them; then
 * the matches to it
 */

static int
azoai_body_on_match_grow(azoai_body_ctx_t *ctx, const azoai_pii_match_t *m,
    size_t n)
{
    size_t                size;
    azoai_pii_match_t    *matches;
    azoai_body_result_t  *r;

    r = ctx->result;

    size = ctx->matches_size * 2;

    if (size < ctx->matches_first) {
        size = ctx->matches_first;
    }

    while (size - r->nmatches < n) {
        if (size > SIZE_MAX / (2 * sizeof(azoai_pii_match_t))) {
            return -1;
        }

        size *= 2;
    }

    matches = azoai_alloc(ctx->alloc, size * sizeof(azoai_pii_match_t));
    if (matches == NULL) {
        return -1;
    }

    if (r->nmatches) {
        memcpy(matches, r->matches, r->nmatches * sizeof(azoai_pii_match_t));
    }

    r->matches = matches;
    ctx->matches_size = size;

    return azoai_body_on_match(ctx, m, n);
}


int
azoai_body_rewrite(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, const u_char *body, size_t len,
    azoai_alloc_t *a, u_char **out, size_t *out_len)
{
    u_char  *buf, *o;

    if (result->nmatches && e == NULL) {
        return AZOAI_ERROR;
    }

    buf = azoai_body_rewrite_alloc(result, 0, len, a);
    if (buf == NULL) {
        return AZOAI_ERROR;
    }

    o = azoai_body_splice(e, result, 0, body, len, 0, buf);
    if (o == NULL) {
        return AZOAI_ERROR;
    }

    *out = buf;
    *out_len = o - buf;

    return AZOAI_OK;
}


/*
 * The body is rewritten where it lies while each tag fits in the bytes
 * already read: tags are mostly shorter than what they replace, so the
 * write position stays at or behind the read position and no byte is
 * read after it was written.  A tag that would overtake the read position
 * sends the rest to a new buffer; nothing past body + len is written.
 */

int
azoai_body_rewrite_in_place(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, u_char *body, size_t len,
    azoai_alloc_t *a, u_char **out, size_t *out_len)
{
    size_t                    i, pos, n, done;
    u_char                   *buf, *o;
    const azoai_pii_match_t  *m;
    u_char                    tag[AZOAI_PII_TAG_MAX];

    if (result->nmatches && e == NULL) {
        return AZOAI_ERROR;
    }

    o = body;
    pos = 0;
    n = 0;
    m = NULL;

    for (i = 0; i < result->nmatches; i++) {
        m = &result->matches[i];

        if (m->start < pos || m->end < m->start || m->end > len) {
            return AZOAI_ERROR;
        }

        /* o <= body + pos: the bytes before the match move left, if at all */

        if (o != body + pos) {
            memmove(o, body + pos, m->start - pos);
        }

        o += m->start - pos;

        n = azoai_pii_render_pseudo(e, m, body, tag, result->pseudo);
        if (n > AZOAI_PII_TAG_MAX) {
            return AZOAI_ERROR;
        }

        if ((size_t) (body + m->end - o) < n) {
            break;
        }

        memcpy(o, tag, n);
        o += n;
        pos = m->end;
    }

    if (i == result->nmatches) {
        if (o != body + pos) {
            memmove(o, body + pos, len - pos);
        }

        *out = body;
        *out_len = (o - body) + (len - pos);

        return AZOAI_OK;
    }

    /* body[0, o) is final, tag[] is match i's, body from m->start intact */

    done = o - body;

    buf = azoai_body_rewrite_alloc(result, i + 1, done + n + len - m->end, a);
    if (buf == NULL) {
        return AZOAI_ERROR;
    }

    memcpy(buf, body, done);
    memcpy(buf + done, tag, n);

    o = azoai_body_splice(e, result, i + 1, body, len, m->end,
                          buf + done + n);
    if (o == NULL) {
        return AZOAI_ERROR;
    }

    *out = buf;
    *out_len = o - buf;

    return AZOAI_OK;
}


/*
 * Room for len bytes plus the tags of the matches from the first on, and
 * one byte more: an empty body with no matches would ask for 0 bytes, for
 * which an allocator may return NULL (malloc()), read as out of memory
 */

static u_char *
azoai_body_rewrite_alloc(const azoai_body_result_t *result, size_t first,
    size_t len, azoai_alloc_t *a)
{
    size_t  room;

    room = azoai_body_tags_room(result->nmatches - first, len);
    if (room == SIZE_MAX) {
        return NULL;
    }

    return azoai_alloc(a, room + 1);
}


/*
 * Copies body from pos to o with the matches from the first on replaced;
 * returns the end of what it wrote, or NULL on a match out of order: the
 * splicing loop of azoai_body_splice_refs(), every span copied
 */

static u_char *
azoai_body_splice(const azoai_pii_engine_t *e,
    const azoai_body_result_t *result, size_t first, const u_char *body,
    size_t len, size_t pos, u_char *o)
{
    azoai_body_run_t  run;

    azoai_body_run_init(&run, o, SIZE_MAX, NULL, NULL);

    if (azoai_body_splice_run(e, result, first, body, len, pos, &run)
        != AZOAI_OK)
    {
        return NULL;
    }

    return run.last;
}
