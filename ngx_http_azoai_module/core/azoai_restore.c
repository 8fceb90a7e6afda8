/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Restoring pseudonyms in the text fields of a JSON response document.
 * The fields: choices[].message.content, .refusal, .audio.transcript,
 * tool_calls[].function.arguments, their choices[].delta.* pieces in a
 * stream, Responses API output[].content[].text, output_text, and the
 * "delta", "text" and "arguments" of its events.  A token is plain ASCII
 * ("[", "A-Z0-9_", "]"), so it reads the same in raw string content as
 * decoded, at any escaping level.
 */

#include <string.h>

#include "azoai_ascii.h"
#include "azoai_json.h"
#include "azoai_restore.h"


#define AZOAI_RESTORE_SPANS_INIT    8
#define AZOAI_RESTORE_INDEX_MAX     1000000000

/* a value escaped once grows 6 times at most ("\u00XX") */
#define AZOAI_RESTORE_ESCAPE_GROWTH 6


/* field ids: azoai_restore_span_t.field */
#define AZOAI_RESTORE_F_CONTENT     1
#define AZOAI_RESTORE_F_REFUSAL     2
#define AZOAI_RESTORE_F_ARGUMENTS   3
#define AZOAI_RESTORE_F_TEXT        4
#define AZOAI_RESTORE_F_DELTA       5


/* a member name equals the literal s (constant length: compared inline) */
#define azoai_restore_name_is(k, s)                                           \
    (memcmp(k, s, sizeof(s) - 1) == 0)


static int azoai_restore_visit(void *data, const azoai_json_value_t *v);
static int azoai_restore_visit_usage(void *data,
    const azoai_json_value_t *v);
static unsigned azoai_restore_field(const azoai_json_frame_t *f);
static int azoai_restore_add_span(azoai_restore_doc_t *d,
    const azoai_json_value_t *v, unsigned field);
static int azoai_restore_add_index(azoai_restore_doc_t *d,
    const azoai_json_value_t *v);
static void azoai_restore_top(azoai_restore_doc_t *d,
    const azoai_json_value_t *v);
static size_t azoai_restore_element(const azoai_json_value_t *v,
    const char *array, size_t len);
static int64_t azoai_restore_number(const azoai_str_t *raw);
static void azoai_restore_resolve(azoai_restore_doc_t *d);
static int64_t azoai_restore_index_of(const azoai_restore_doc_t *d,
    size_t owner);
static void *azoai_restore_grow(azoai_alloc_t *a, void *old, size_t n,
    size_t *size, size_t elt);
static size_t azoai_restore_token(const azoai_pseudo_t *map,
    const u_char *carry, size_t carry_len, const u_char *raw, size_t len,
    size_t i, const azoai_str_t **value);
static int azoai_restore_copy(const u_char *carry, size_t carry_len,
    const u_char *raw, size_t from, size_t to, azoai_restore_write_pt write,
    void *data);
static int azoai_restore_has(const azoai_str_t *s, const char *what,
    size_t len);
static size_t azoai_restore_escape_once(const u_char *s, size_t len,
    u_char *out);


#define azoai_restore_byte(i)                                                 \
    ((i) < carry_len ? carry[i] : raw[(i) - carry_len])

#define azoai_restore_tag_char(c)                                             \
    (((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9') || (c) == '_')


int
azoai_restore_scan(azoai_restore_doc_t *d, const u_char *doc, size_t len)
{
    azoai_json_status_t  status;

    d->nspans = 0;
    d->nindexes = 0;
    d->output_index = AZOAI_RESTORE_NO_INDEX;
    d->content_index = AZOAI_RESTORE_NO_INDEX;
    d->func_args = 0;
    d->failed = 0;

    /* AZOAI_JSON_BRACKET: the strings that may hold a "[TAG_n]" */

    if (azoai_json_walk_brackets(doc, len,
                                 d->usage ? azoai_restore_visit_usage
                                          : azoai_restore_visit,
                                 d, &status)
        != AZOAI_JSON_OK)
    {
        return d->failed ? AZOAI_ERROR : AZOAI_DECLINED;
    }

    azoai_restore_resolve(d);

    return AZOAI_OK;
}


static int
azoai_restore_visit(void *data, const azoai_json_value_t *v)
{
    unsigned                   field;
    azoai_restore_doc_t       *d;
    const azoai_json_frame_t  *parent;

    d = data;

    if (v->depth == 0) {
        return 0;
    }

    parent = azoai_json_parent(v);

    if (parent->type != AZOAI_JSON_OBJECT) {
        return 0;
    }

    if (v->depth == 1) {
        azoai_restore_top(d, v);
    }

    if (v->type == AZOAI_JSON_NUMBER && azoai_json_key_is(parent, "index")) {
        return azoai_restore_add_index(d, v);
    }

    if (v->type != AZOAI_JSON_STRING) {
        return 0;
    }

    field = azoai_restore_field(parent);

    if (field == 0) {
        return 0;
    }

    return azoai_restore_add_span(d, v, field);
}


/* a whole JSON response: its token usage is read in the same walk */

static int
azoai_restore_visit_usage(void *data, const azoai_json_value_t *v)
{
    azoai_restore_doc_t  *d;

    d = data;

    if (v->depth && v->depth <= 3) {
        azoai_usage_visit(d->usage, v);
    }

    return azoai_restore_visit(data, v);
}


/*
 * The text fields by member name: content, refusal, arguments, text,
 * output_text, transcript, delta; chosen by length first (every string
 * of every event comes here: "id", "object", "model" are no loop)
 */

static unsigned
azoai_restore_field(const azoai_json_frame_t *f)
{
    const u_char  *k;

    if (f->key_flags & AZOAI_JSON_ESCAPED) {
        return 0;
    }

    k = f->key.data;

    switch (f->key.len) {

    case 4:
        return azoai_restore_name_is(k, "text") ? AZOAI_RESTORE_F_TEXT : 0;

    case 5:
        return azoai_restore_name_is(k, "delta") ? AZOAI_RESTORE_F_DELTA : 0;

    case 7:
        if (azoai_restore_name_is(k, "content")) {
            return AZOAI_RESTORE_F_CONTENT;
        }

        return azoai_restore_name_is(k, "refusal") ? AZOAI_RESTORE_F_REFUSAL
                                                   : 0;

    case 9:
        return azoai_restore_name_is(k, "arguments")
               ? AZOAI_RESTORE_F_ARGUMENTS : 0;

    case 10:
        return azoai_restore_name_is(k, "transcript")
               ? AZOAI_RESTORE_F_TEXT : 0;

    case 11:
        return azoai_restore_name_is(k, "output_text")
               ? AZOAI_RESTORE_F_TEXT : 0;

    default:
        return 0;
    }
}


/* top-level members of a Responses API event */

static void
azoai_restore_top(azoai_restore_doc_t *d, const azoai_json_value_t *v)
{
    static const char  args[] = "function_call_arguments";

    const azoai_json_frame_t  *f;

    f = &v->path[0];

    if (v->type == AZOAI_JSON_NUMBER) {
        if (azoai_json_key_is(f, "output_index")) {
            d->output_index = azoai_restore_number(&v->raw);

        } else if (azoai_json_key_is(f, "content_index")) {
            d->content_index = azoai_restore_number(&v->raw);
        }

        return;
    }

    if (v->type == AZOAI_JSON_STRING && azoai_json_key_is(f, "type")
        && azoai_restore_has(&v->raw, args, sizeof(args) - 1))
    {
        d->func_args = 1;
    }
}


static int
azoai_restore_has(const azoai_str_t *s, const char *what, size_t len)
{
    size_t  i;

    for (i = 0; i + len <= s->len; i++) {
        if (memcmp(s->data + i, what, len) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
azoai_restore_add_span(azoai_restore_doc_t *d, const azoai_json_value_t *v,
    unsigned field)
{
    unsigned               k;
    azoai_restore_span_t  *s;

    if (d->nspans == d->spans_size) {
        d->spans = azoai_restore_grow(d->alloc, d->spans, d->nspans,
                                      &d->spans_size,
                                      sizeof(azoai_restore_span_t));
        if (d->spans == NULL) {
            d->failed = 1;
            return -1;
        }
    }

    s = &d->spans[d->nspans++];

    s->offset = v->offset;
    s->len = v->raw.len;
    s->flags = v->flags;
    s->field = field;
    s->level = (field == AZOAI_RESTORE_F_ARGUMENTS)
               ? AZOAI_RESTORE_LEVEL_JSON : AZOAI_RESTORE_LEVEL_TEXT;
    s->delta = (field == AZOAI_RESTORE_F_DELTA && v->depth == 1);
    s->owner1 = azoai_restore_element(v, "choices", 7);
    s->owner2 = azoai_restore_element(v, "tool_calls", 10);

    /* chat completion chunks: choices[].delta.* */

    for (k = 0; k + 1 < v->depth; k++) {
        if (v->path[k].type == AZOAI_JSON_OBJECT
            && azoai_json_key_is(&v->path[k], "delta"))
        {
            s->delta = 1;
            break;
        }
    }

    return 0;
}


/* the offset of the enclosing element of array "name"; 0 if none */

static size_t
azoai_restore_element(const azoai_json_value_t *v, const char *array,
    size_t len)
{
    unsigned                   k;
    const azoai_json_frame_t  *f;

    for (k = v->depth; k >= 3; k--) {
        f = &v->path[k - 3];

        if (f->type == AZOAI_JSON_OBJECT && f->key.len == len
            && v->path[k - 2].type == AZOAI_JSON_ARRAY
            && v->path[k - 1].type == AZOAI_JSON_OBJECT
            && f->key.data[0] == (u_char) array[0]
            && memcmp(f->key.data, array, len) == 0)
        {
            return v->path[k - 1].start + 1;
        }
    }

    return 0;
}


static int
azoai_restore_add_index(azoai_restore_doc_t *d, const azoai_json_value_t *v)
{
    azoai_restore_index_t  *x;

    if (v->depth < 3 || v->path[v->depth - 2].type != AZOAI_JSON_ARRAY) {
        return 0;
    }

    if (d->nindexes == d->indexes_size) {
        d->indexes = azoai_restore_grow(d->alloc, d->indexes, d->nindexes,
                                        &d->indexes_size,
                                        sizeof(azoai_restore_index_t));
        if (d->indexes == NULL) {
            d->failed = 1;
            return -1;
        }
    }

    x = &d->indexes[d->nindexes++];
    x->owner = v->path[v->depth - 1].start + 1;
    x->choice = (v->depth >= 3 && azoai_json_key_is(&v->path[v->depth - 3],
                                                    "choices"));
    x->value = azoai_restore_number(&v->raw);

    return 0;
}


static int64_t
azoai_restore_number(const azoai_str_t *raw)
{
    size_t   i;
    int64_t  n;

    n = 0;

    for (i = 0; i < raw->len; i++) {
        if (raw->data[i] < '0' || raw->data[i] > '9') {
            return AZOAI_RESTORE_NO_INDEX;
        }

        n = n * 10 + (raw->data[i] - '0');

        if (n > AZOAI_RESTORE_INDEX_MAX) {
            return AZOAI_RESTORE_NO_INDEX;
        }
    }

    return i ? n : AZOAI_RESTORE_NO_INDEX;
}


/* the indexes may follow the text in an object: known after the walk */

static void
azoai_restore_resolve(azoai_restore_doc_t *d)
{
    size_t                 i;
    azoai_restore_span_t  *s;

    for (i = 0; i < d->nspans; i++) {
        s = &d->spans[i];

        if (s->owner1) {
            s->idx1 = azoai_restore_index_of(d, s->owner1);
            s->idx2 = s->owner2 ? azoai_restore_index_of(d, s->owner2)
                                : AZOAI_RESTORE_NO_INDEX;

        } else {
            s->idx1 = d->output_index;
            s->idx2 = d->content_index;
        }

        if (s->field == AZOAI_RESTORE_F_DELTA && d->func_args) {
            s->level = AZOAI_RESTORE_LEVEL_JSON;
        }
    }
}


static int64_t
azoai_restore_index_of(const azoai_restore_doc_t *d, size_t owner)
{
    size_t  i;

    for (i = 0; i < d->nindexes; i++) {
        if (d->indexes[i].owner == owner) {
            return d->indexes[i].value;
        }
    }

    return AZOAI_RESTORE_NO_INDEX;
}


static void *
azoai_restore_grow(azoai_alloc_t *a, void *old, size_t n, size_t *size,
    size_t elt)
{
    void    *p;
    size_t   want;

    want = *size ? *size * 2 : AZOAI_RESTORE_SPANS_INIT;

    p = azoai_alloc(a, want * elt);
    if (p == NULL) {
        return NULL;
    }

    if (n) {
        memcpy(p, old, n * elt);
    }

    *size = want;

    return p;
}


int
azoai_restore_string(const azoai_pseudo_t *map, const u_char *carry,
    size_t carry_len, const u_char *raw, size_t len, unsigned level,
    u_char *hold, size_t *hold_len, size_t *restored,
    azoai_restore_write_pt write, void *data)
{
    size_t              i, from, total, n, k;
    const u_char       *p;
    const azoai_str_t  *value;

    /* carry and raw are read as one: azoai_restore_byte() */

    total = carry_len + len;
    from = 0;
    i = 0;

    if (hold) {
        *hold_len = 0;
    }

    while (i < total) {

        /* the next '[': byte by byte in the carry, memchr() in raw */

        if (i >= carry_len) {
            p = memchr(raw + (i - carry_len), '[', total - i);

            if (p == NULL) {
                break;
            }

            i = carry_len + (p - raw);

        } else if (carry[i] != '[') {
            i++;
            continue;
        }

        n = azoai_restore_token(map, carry, carry_len, raw, len, i, &value);

        if (n == 0) {
            i++;
            continue;
        }

        if (value == NULL) {

            /* "[TAG..." up to the end: it may still become a token */

            if (hold == NULL) {
                break;
            }

            for (k = i; k < total; k++) {
                hold[k - i] = azoai_restore_byte(k);
            }

            *hold_len = total - i;
            total = i;
            break;
        }

        /* the bytes before the token, then its value */

        if (azoai_restore_copy(carry, carry_len, raw, from, i, write, data)
            != AZOAI_OK
            || azoai_restore_escape(value->data, value->len, level, write,
                                    data)
               != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        (*restored)++;

        i += n;
        from = i;
    }

    return azoai_restore_copy(carry, carry_len, raw, from, total, write,
                              data);
}


/* bytes [from, to) of carry + raw */

static int
azoai_restore_copy(const u_char *carry, size_t carry_len, const u_char *raw,
    size_t from, size_t to, azoai_restore_write_pt write, void *data)
{
    size_t  n;

    while (from < to) {
        if (from < carry_len) {
            n = (to < carry_len ? to : carry_len) - from;

            if (write(data, carry + from, n) != 0) {
                return AZOAI_ERROR;
            }

        } else {
            n = to - from;

            if (write(data, raw + (from - carry_len), n) != 0) {
                return AZOAI_ERROR;
            }
        }

        from += n;
    }

    return AZOAI_OK;
}


/*
 * At the '[' at i: the length of a minted token with *value set; the
 * length of a tail that may still become one with *value NULL; 0 when
 * neither.
 */

static size_t
azoai_restore_token(const azoai_pseudo_t *map, const u_char *carry,
    size_t carry_len, const u_char *raw, size_t len, size_t i,
    const azoai_str_t **value)
{
    size_t   j, us, total, k;
    u_char   c;
    unsigned n;
    u_char   name[AZOAI_PSEUDO_TOKEN_MAX];

    total = carry_len + len;
    us = 0;
    *value = NULL;

    for (j = i + 1; j < total && j - i < AZOAI_PSEUDO_TOKEN_MAX; j++) {
        c = azoai_restore_byte(j);

        if (!azoai_restore_tag_char(c)) {
            break;
        }

        name[j - i - 1] = c;

        if (c == '_') {
            us = j;
        }
    }

    if (j == total) {
        return azoai_pseudo_may_start(map, name, j - i - 1) ? j - i : 0;
    }

    if (azoai_restore_byte(j) != ']' || us == 0 || us + 1 == j
        || j - us - 1 > AZOAI_PSEUDO_N_MAX_LEN
        || azoai_restore_byte(us + 1) == '0')
    {
        return 0;
    }

    n = 0;

    for (k = us + 1; k < j; k++) {
        c = azoai_restore_byte(k);

        if (c < '0' || c > '9') {
            return 0;
        }

        n = n * 10 + (c - '0');
    }

    *value = azoai_pseudo_find(map, name, us - i - 1, n);

    return *value ? j + 1 - i : 0;
}


int
azoai_restore_escape(const u_char *s, size_t len, unsigned level,
    azoai_restore_write_pt write, void *data)
{
    size_t  n, once;
    u_char  out[AZOAI_RESTORE_ESCAPE_GROWTH * 64];
    u_char  twice[AZOAI_RESTORE_ESCAPE_GROWTH * AZOAI_RESTORE_ESCAPE_GROWTH
                  * 64];

    while (len) {
        n = len < 64 ? len : 64;

        once = azoai_restore_escape_once(s, n, out);

        if (level == AZOAI_RESTORE_LEVEL_JSON) {
            once = azoai_restore_escape_once(out, once, twice);

            if (write(data, twice, once) != 0) {
                return AZOAI_ERROR;
            }

        } else if (write(data, out, once) != 0) {
            return AZOAI_ERROR;
        }

        s += n;
        len -= n;
    }

    return AZOAI_OK;
}


/* JSON string escapes of s; UTF-8 bytes pass as they are */

static size_t
azoai_restore_escape_once(const u_char *s, size_t len, u_char *out)
{
    size_t   i;
    u_char  *o, c;

    static const u_char  hex[] = "0123456789abcdef";

    o = out;

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
            *o++ = c;
            continue;
        }

        *o++ = '\\';

        switch (c) {
        case '"':  *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0x0f];
        }
    }

    return o - out;
}
