/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The fast path of the classifier: the requests clients send most,
 * written exactly as documented (POST /openai/deployments/{name}/chat/
 * completions, .../completions, .../embeddings and /openai/v1/chat/
 * completions, embeddings, responses, with no query or a single plain
 * api-version), recognised by a few compares instead of the split, the
 * rule tables and the query parser.  Anything else (other case, escapes,
 * odd bytes or segments, more query keys, preview headers) is left to
 * azoai_route_classify_full(), which says the same thing of these
 * requests: tests/test_route_fast.c and fuzz_route compare the two.
 * Inline in the judging (ngx_http_azoai_handler.c), which has a frame of
 * its own already; azoai_route_fast() (azoai_route_fast.c) for the rest.
 */


#ifndef _AZOAI_ROUTE_FAST_H_INCLUDED_
#define _AZOAI_ROUTE_FAST_H_INCLUDED_


#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(AZOAI_JSON_NO_SIMD)
#include <emmintrin.h>
#define AZOAI_FAST_SSE2  1
#endif

#include "azoai_route.h"
#include "azoai_route_query.h"


#define AZOAI_FAST_OPENAI       "/openai/"
#define AZOAI_FAST_OPENAI_LEN   (sizeof(AZOAI_FAST_OPENAI) - 1)
#define AZOAI_FAST_DEP          "deployments/"
#define AZOAI_FAST_DEP_LEN      (sizeof(AZOAI_FAST_DEP) - 1)
#define AZOAI_FAST_V1           "v1/"
#define AZOAI_FAST_V1_LEN       (sizeof(AZOAI_FAST_V1) - 1)
#define AZOAI_FAST_API          "api-version="
#define AZOAI_FAST_API_LEN      (sizeof(AZOAI_FAST_API) - 1)
#define AZOAI_FAST_DATE_LEN     (sizeof("YYYY-MM-DD") - 1)

/* bits of azoai_route_fast_byte[] */
#define AZOAI_FAST_NAME_STOP    0x01    /* not in a plain deployment name */
#define AZOAI_FAST_QUERY_STOP   0x02    /* '&', '#', or a byte to decode */


typedef struct {
    azoai_str_t      literal;
    const char      *operation;
} azoai_route_fast_rule_t;


static inline const azoai_route_fast_rule_t *azoai_route_fast_classic(
    const u_char *p, size_t len, azoai_str_t *name);
static inline const azoai_route_fast_rule_t *azoai_route_fast_v1(
    const u_char *p, size_t len);
static inline int azoai_route_fast_name(const u_char *p, size_t len,
    size_t readable);
static inline int azoai_route_fast_query(const azoai_str_t *args,
    azoai_str_t *v, unsigned *preview);
static inline int azoai_route_fast_eq(const u_char *a, const u_char *b,
    size_t n);
static inline int azoai_route_fast_inline(const azoai_request_t *req,
    azoai_route_t *route);


/* as azoai_route.c's azoai_path_byte, and the query bytes to decode */

static const u_char  azoai_route_fast_byte[256] = {
    [0x00 ... 0x20] = AZOAI_FAST_NAME_STOP,
    ['%'] = AZOAI_FAST_NAME_STOP|AZOAI_FAST_QUERY_STOP,
    ['&'] = AZOAI_FAST_QUERY_STOP,
    ['#'] = AZOAI_FAST_QUERY_STOP,
    ['+'] = AZOAI_FAST_QUERY_STOP,
    ['/'] = AZOAI_FAST_NAME_STOP,
    [';'] = AZOAI_FAST_NAME_STOP,
    ['\\'] = AZOAI_FAST_NAME_STOP,
    [0x7f ... 0xff] = AZOAI_FAST_NAME_STOP
};


/* what follows the deployment name; "/chat/completions" before the rest */

static const azoai_route_fast_rule_t  azoai_route_fast_classic_rules[] = {
    { azoai_string("/chat/completions"), "chat.completions" },
    { azoai_string("/completions"), "completions" },
    { azoai_string("/embeddings"), "embeddings" },
    { { 0, NULL }, NULL }
};


/* what follows "/openai/v1/", the whole rest of the path */

static const azoai_route_fast_rule_t  azoai_route_fast_v1_rules[] = {
    { azoai_string("chat/completions"), "chat.completions" },
    { azoai_string("embeddings"), "embeddings" },
    { azoai_string("responses"), "responses" },
    { { 0, NULL }, NULL }
};


static inline int
azoai_route_fast_inline(const azoai_request_t *req, azoai_route_t *route)
{
    size_t                          len;
    unsigned                        preview;
    azoai_str_t                     name, version;
    const u_char                   *p;
    const azoai_route_fast_rule_t  *rule;

    p = req->path.data;
    len = req->path.len;

    if (req->method.len != 4
        || memcmp(req->method.data, "POST", 4) != 0
        || req->header_repeated
        || req->evals.len
        || req->copy_checkpoints.len
        || len <= AZOAI_FAST_OPENAI_LEN + AZOAI_FAST_V1_LEN
        || memcmp(p, AZOAI_FAST_OPENAI, AZOAI_FAST_OPENAI_LEN) != 0)
    {
        return 0;
    }

    p += AZOAI_FAST_OPENAI_LEN;
    len -= AZOAI_FAST_OPENAI_LEN;

    name.data = NULL;
    name.len = 0;

    if (memcmp(p, AZOAI_FAST_V1, AZOAI_FAST_V1_LEN) == 0) {
        rule = azoai_route_fast_v1(p + AZOAI_FAST_V1_LEN,
                                   len - AZOAI_FAST_V1_LEN);

    } else if (len > AZOAI_FAST_DEP_LEN
               && memcmp(p, AZOAI_FAST_DEP, AZOAI_FAST_DEP_LEN) == 0)
    {
        rule = azoai_route_fast_classic(p + AZOAI_FAST_DEP_LEN,
                                        len - AZOAI_FAST_DEP_LEN, &name);

    } else {
        rule = NULL;
    }

    if (rule == NULL
        || !azoai_route_fast_query(&req->args, &version, &preview))
    {
        return 0;
    }

    memset(route, 0, sizeof(azoai_route_t));

    route->operation = rule->operation;
    route->api_version = version;
    route->preview_api = preview;
    route->azure = 1;
    route->known = 1;
    route->json_body = 1;

    if (name.data) {
        route->deployment = name;
        route->deployment_from = AZOAI_DEP_PATH;
        route->deployment_where = "path";
        route->api_version_required = 1;

    } else {
        route->v1 = 1;
        route->deployment_from = AZOAI_DEP_BODY;
        route->body_names_deployment = 1;
    }

    return 1;
}


/* p is "{name}/chat/completions" or the like, after "/openai/deployments/" */

static inline const azoai_route_fast_rule_t *
azoai_route_fast_classic(const u_char *p, size_t len, azoai_str_t *name)
{
    size_t                          n;
    const azoai_route_fast_rule_t  *rule;

    for (rule = azoai_route_fast_classic_rules; rule->operation; rule++) {
        n = rule->literal.len;

        if (len <= n
            || !azoai_route_fast_eq(p + len - n, rule->literal.data, n))
        {
            continue;
        }

        if (!azoai_route_fast_name(p, len - n, len)) {
            return NULL;
        }

        name->data = p;
        name->len = len - n;

        return rule;
    }

    return NULL;
}


static inline const azoai_route_fast_rule_t *
azoai_route_fast_v1(const u_char *p, size_t len)
{
    const azoai_route_fast_rule_t  *rule;

    for (rule = azoai_route_fast_v1_rules; rule->operation; rule++) {
        if (len == rule->literal.len
            && azoai_route_fast_eq(p, rule->literal.data, len))
        {
            return rule;
        }
    }

    return NULL;
}


/*
 * 1 if the name is one segment of ordinary bytes: printable ASCII but
 * '%', '/', ';' and '\', and neither "." nor ".."; readable bytes from p
 * are the name's and the route's after it
 */

static inline int
azoai_route_fast_name(const u_char *p, size_t len, size_t readable)
{
    size_t   i;
    u_char   stop;
#if (AZOAI_FAST_SSE2)
    __m128i  x, hit;
#endif

    if (len == 0 || (p[0] == '.' && (len == 1 || (len == 2 && p[1] == '.'))))
    {
        return 0;
    }

#if (AZOAI_FAST_SSE2)

    /*
     * A name of up to 16 bytes, 16 readable: one vector test.  Signed,
     * the bytes from 0x80 are below 0x21 with those up to ' '.
     */

    if (len <= 16 && readable >= 16) {
        x = _mm_loadu_si128((const __m128i *) p);

        hit = _mm_or_si128(
                  _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x21)),
                               _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))),
                  _mm_or_si128(
                      _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('%')),
                                   _mm_cmpeq_epi8(x, _mm_set1_epi8('/'))),
                      _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(';')),
                                   _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')))));

        return (_mm_movemask_epi8(hit) & ((1u << len) - 1)) == 0;
    }

#else
    (void) readable;
#endif

    /* names are short: no branch per byte */

    stop = 0;

    for (i = 0; i < len; i++) {
        stop |= azoai_route_fast_byte[p[i]];
    }

    return !(stop & AZOAI_FAST_NAME_STOP);
}


/*
 * 1 if the query is empty (v: empty) or "api-version=VALUE" alone, VALUE
 * without '&', '#', '%' or '+' (nothing to decode, no fragment): v is
 * VALUE, *preview as azoai_api_version_is_preview() says of it
 */

static inline int
azoai_route_fast_query(const azoai_str_t *args, azoai_str_t *v,
    unsigned *preview)
{
    size_t  i;
    u_char  stop;

    if (args->len == 0) {
        v->data = NULL;
        v->len = 0;
        *preview = 0;
        return 1;
    }

    if (args->len < AZOAI_FAST_API_LEN
        || memcmp(args->data, AZOAI_FAST_API, AZOAI_FAST_API_LEN) != 0)
    {
        return 0;
    }

    v->data = args->data + AZOAI_FAST_API_LEN;
    v->len = args->len - AZOAI_FAST_API_LEN;

    /* a GA date has nothing to decode and is the common case */

    if (v->len == AZOAI_FAST_DATE_LEN && azoai_api_version_is_date(v->data)) {
        *preview = 0;
        return 1;
    }

    stop = 0;

    for (i = 0; i < v->len; i++) {
        stop |= azoai_route_fast_byte[v->data[i]];
    }

    if (stop & AZOAI_FAST_QUERY_STOP) {
        return 0;
    }

    *preview = azoai_api_version_is_preview(v->data, v->len);

    return 1;
}


/* memcmp() of n >= 8 bytes, 8 at a time, the last 8 overlapping */

static inline int
azoai_route_fast_eq(const u_char *a, const u_char *b, size_t n)
{
    size_t    i;
    uint64_t  x, y;

    for (i = 0; i + 8 < n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);

        if (x != y) {
            return 0;
        }
    }

    memcpy(&x, a + n - 8, 8);
    memcpy(&y, b + n - 8, 8);

    return x == y;
}


#endif /* _AZOAI_ROUTE_FAST_H_INCLUDED_ */
