/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Strict RFC 8259 JSON tokenizer and walker over (const u_char *, size_t).
 * It never allocates and never recurses: nesting is kept in a fixed stack
 * of AZOAI_JSON_MAX_DEPTH frames.  A visitor sees every value with its raw
 * span, byte offset and the path of enclosing keys and indexes.  Errors
 * carry a byte offset and a static reason, never content.
 */

#ifndef _AZOAI_JSON_H_INCLUDED_
#define _AZOAI_JSON_H_INCLUDED_


#include <string.h>

#include "azoai_core.h"


/* containers deeper than this are an error (AZOAI_JSON_TOO_DEEP) */
#define AZOAI_JSON_MAX_DEPTH          64

/* value types */
#define AZOAI_JSON_OBJECT             1
#define AZOAI_JSON_ARRAY              2
#define AZOAI_JSON_STRING             3
#define AZOAI_JSON_NUMBER             4
#define AZOAI_JSON_TRUE               5
#define AZOAI_JSON_FALSE              6
#define AZOAI_JSON_NULL               7

/* azoai_json_walk() results, also status->error */
#define AZOAI_JSON_OK                 0
#define AZOAI_JSON_INVALID            1   /* syntax or UTF-8 */
#define AZOAI_JSON_TOO_DEEP           2
#define AZOAI_JSON_STOPPED            3   /* the visitor returned non-zero */

/* string flags: value->flags, frame->key_flags */
#define AZOAI_JSON_ESCAPED            0x01 /* has backslash escapes */
#define AZOAI_JSON_LONE_SURROGATE     0x02 /* \uXXXX of an unpaired half */
#define AZOAI_JSON_NON_ASCII          0x04 /* has UTF-8 bytes >= 0x80 */
#define AZOAI_JSON_BRACKET            0x08 /* raw has '[': walk_brackets */


/* one enclosing container */
typedef struct {
    azoai_str_t      key;        /* object: raw key of the current member;
                                    array: empty, no flags */
    size_t           index;      /* array: index of the current element;
                                    object: not set */
    size_t           start;      /* offset of its '{' or '[' */
    unsigned         type;       /* AZOAI_JSON_OBJECT or AZOAI_JSON_ARRAY */
    unsigned         key_flags;  /* AZOAI_JSON_ESCAPED ... of key */
    unsigned         close;      /* the walk's: '}' or ']' */
} azoai_json_frame_t;


/*
 * What the visitor receives.  Scalars are reported once, when complete;
 * containers twice: when opened (raw is the opening byte) and, with
 * closing set, when closed (raw spans the whole container).  raw of a
 * string is its content between the quotes, escapes not decoded.
 *
 * path[0 .. depth - 1] are the enclosing containers, outermost first;
 * path[depth - 1] is the parent, whose key (object) or index (array) says
 * where this value sits.  A top-level value has depth 0.
 */
typedef struct {
    unsigned                    type;
    unsigned                    flags;     /* strings: AZOAI_JSON_ESCAPED ... */
    unsigned                    closing;
    unsigned                    depth;
    size_t                      offset;    /* of raw.data in the input */
    azoai_str_t                 raw;
    const azoai_json_frame_t   *path;
    const azoai_json_frame_t   *parent;    /* path + depth - 1; depth 0:
                                              not a frame */
} azoai_json_value_t;


/* non-zero stops the walk with AZOAI_JSON_STOPPED */
typedef int (*azoai_json_visit_pt)(void *data, const azoai_json_value_t *v);


typedef struct {
    unsigned         error;           /* AZOAI_JSON_* */
    size_t           offset;          /* where the error was found */
    const char      *reason;          /* static text, e.g. "expected ':'" */
    size_t           lone_surrogates; /* strings with unpaired \uD800.. */
    size_t           values;          /* values seen */
} azoai_json_status_t;


/*
 * Validates input as exactly one JSON value (surrounded by optional
 * whitespace) and calls visit (may be NULL) for every value, in document
 * order.  Returns status->error.
 */
unsigned azoai_json_walk(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *status);

/*
 * The same walk for visitors that need no closing: containers are
 * reported when opened only (v->closing is always 0); status->values and
 * every result are the same.
 */
unsigned azoai_json_walk_values(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *status);

/*
 * azoai_json_walk() that also sets AZOAI_JSON_BRACKET in the flags of
 * the string values whose raw content holds a '[' (the pseudonym restore
 * looks for "[TAG_n]" in those only), found by the string scan itself;
 * the other walks never set it.
 */
unsigned azoai_json_walk_brackets(const u_char *input, size_t len,
    azoai_json_visit_pt visit, void *data, azoai_json_status_t *status);

/*
 * Decodes the raw content of a valid JSON string into UTF-8; unpaired
 * surrogate escapes become U+FFFD.  The decoded text is never longer than
 * the raw one.  Returns AZOAI_OK, or AZOAI_ERROR if out (size bytes) is too
 * small or raw is not valid string content.
 */
int azoai_json_decode_string(const u_char *raw, size_t len, u_char *out,
    size_t size, size_t *out_len);

/*
 * Whether the raw string content (flags from the walker) decodes to lit;
 * without AZOAI_JSON_ESCAPED it is a plain comparison.
 */
int azoai_json_str_eq(const u_char *raw, size_t len, unsigned flags,
    const char *lit, size_t lit_len);

/*
 * the parent of a value, NULL at top level; path + depth - 1, not
 * &path[depth - 1], whose unsigned depth - 1 is computed apart: the
 * - 1 goes into the address (the walk does the same with its frames)
 */
#define azoai_json_parent(v)                                                  \
    ((v)->depth ? (v)->path + (v)->depth - 1 : NULL)

/* the current key of frame f equals the literal s (escapes decoded) */
#define azoai_json_key_is(f, s)                                               \
    (((f)->key_flags & AZOAI_JSON_ESCAPED)                                    \
     ? azoai_json_str_eq((f)->key.data, (f)->key.len, (f)->key_flags,         \
                         s, sizeof(s) - 1)                                    \
     : ((f)->key.len == sizeof(s) - 1                                         \
        && memcmp((f)->key.data, s, sizeof(s) - 1) == 0))


#endif /* _AZOAI_JSON_H_INCLUDED_ */
