/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Strict multipart/form-data.  The body is
 *
 *   [preamble CRLF] "--" boundary *WSP CRLF part
 *   *(CRLF "--" boundary *WSP CRLF part)
 *   CRLF "--" boundary "--" *WSP [CRLF epilogue]
 *
 * and a part is header lines ending in CRLF, a blank line, the content.
 * Stricter than RFC 2046 where parsers are known to differ: "--" boundary
 * after a bare CR or LF, or right after the blank line of a part's
 * headers, the boundary followed by anything but "--", blanks or CRLF,
 * the boundary again in the epilogue, folded header lines, bare CR or LF
 * and control bytes in headers, repeated Content-Disposition, Content-Type
 * or Content-Transfer-Encoding, a "filename*" parameter, nested multipart
 * and transfer encodings other than 7bit, 8bit and binary are errors.
 */

#define _GNU_SOURCE             /* memmem() */

#include <string.h>

#include "azoai_ascii.h"
#include "azoai_multipart.h"


#define AZOAI_MP_CRLF_LEN       2
#define AZOAI_MP_DASH_LEN       2


typedef struct {
    azoai_str_t      name;
    azoai_str_t      raw;      /* token, or quoted-string content */
    unsigned         escaped:1;
} azoai_mp_param_t;


typedef struct {
    const u_char            *body;
    size_t                   len;
    const u_char            *dash;       /* "--" boundary */
    size_t                   dash_len;
    azoai_alloc_t           *a;
    azoai_multipart_t       *mp;
} azoai_mp_ctx_t;


static int azoai_mp_fail(azoai_mp_ctx_t *c, const char *error, size_t at);
static int azoai_mp_first(azoai_mp_ctx_t *c, size_t *pos);
static int azoai_mp_after_dash(azoai_mp_ctx_t *c, size_t *pos,
    unsigned *closed);
static int azoai_mp_part(azoai_mp_ctx_t *c, size_t *pos,
    azoai_multipart_part_t *part);
static int azoai_mp_header(azoai_mp_ctx_t *c, const u_char *p,
    const u_char *end, azoai_multipart_part_t *part, unsigned *seen);
static int azoai_mp_disposition(azoai_mp_ctx_t *c, const u_char *p,
    const u_char *end, azoai_multipart_part_t *part);
static int azoai_mp_part_type(azoai_mp_ctx_t *c, const u_char *p,
    const u_char *end, azoai_multipart_part_t *part);
static int azoai_mp_content_end(azoai_mp_ctx_t *c, size_t from,
    size_t *end);
static int azoai_mp_epilogue(azoai_mp_ctx_t *c, size_t pos);
static const u_char *azoai_mp_token(const u_char *p, const u_char *end);
static int azoai_mp_next_param(const u_char **pos, const u_char *end,
    azoai_mp_param_t *pm, const char **error);
static const u_char *azoai_mp_quoted(const u_char *p, const u_char *end,
    unsigned *escaped);
static int azoai_mp_decode(azoai_alloc_t *a, const azoai_mp_param_t *pm,
    azoai_str_t *out);
static const u_char *azoai_mp_skip_ws(const u_char *p, const u_char *end);
static int azoai_mp_is(const azoai_str_t *s, const char *lower, size_t len);


/* RFC 7230 tchar */
static const u_char  azoai_mp_tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
    ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
    ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1
};

/* RFC 2046 bchars (space too, but not as the last one) */
static const u_char  azoai_mp_bchar[256] = {
    ['\''] = 1, ['('] = 1, [')'] = 1, ['+'] = 1, ['_'] = 1, [','] = 1,
    ['-'] = 1, ['.'] = 1, ['/'] = 1, [':'] = 1, ['='] = 1, ['?'] = 1,
    [' '] = 1,
    ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1
};

/* header field values: HT, SP, VCHAR, obs-text */
static const u_char  azoai_mp_field[256] = {
    ['\t'] = 1, [' ' ... '~'] = 1, [0x80 ... 0xff] = 1
};

/* a part's header fields the parser reads, by bit in "seen" */
#define AZOAI_MP_SEEN_DISPOSITION  0x01
#define AZOAI_MP_SEEN_TYPE         0x02
#define AZOAI_MP_SEEN_ENCODING     0x04


int
azoai_multipart_boundary(const u_char *ct, size_t len,
    azoai_str_t *boundary, const char **error)
{
    size_t             i;
    const u_char      *p, *end, *t;
    azoai_mp_param_t   pm;

    static const char  form[] = "multipart/form-data";

    boundary->data = NULL;
    boundary->len = 0;
    *error = NULL;

    p = azoai_mp_skip_ws(ct, ct + len);
    end = ct + len;

    t = azoai_mp_token(p, end);
    if (t == end || *t != '/') {
        return AZOAI_DECLINED;
    }

    t = azoai_mp_token(t + 1, end);

    if ((size_t) (t - p) != sizeof(form) - 1
        || !azoai_ascii_eq_lower(p, (const u_char *) form, sizeof(form) - 1))
    {
        return AZOAI_DECLINED;
    }

    p = t;

    for ( ;; ) {
        switch (azoai_mp_next_param(&p, end, &pm, error)) {
        case 0:
            if (boundary->data == NULL) {
                *error = "multipart/form-data without a boundary";
                return AZOAI_ERROR;
            }

            return AZOAI_OK;

        case -1:
            return AZOAI_ERROR;
        }

        if (!azoai_mp_is(&pm.name, "boundary", sizeof("boundary") - 1)) {
            continue;
        }

        if (boundary->data != NULL) {
            *error = "the boundary parameter is given twice";
            return AZOAI_ERROR;
        }

        if (pm.escaped || pm.raw.len == 0
            || pm.raw.len > AZOAI_MULTIPART_BOUNDARY_MAX
            || pm.raw.data[pm.raw.len - 1] == ' ')
        {
            *error = "the boundary is empty, too long or ends in a space";
            return AZOAI_ERROR;
        }

        for (i = 0; i < pm.raw.len; i++) {
            if (!azoai_mp_bchar[pm.raw.data[i]]) {
                *error = "the boundary holds a character RFC 2046 forbids";
                return AZOAI_ERROR;
            }
        }

        *boundary = pm.raw;
    }
}


int
azoai_multipart_parse(const u_char *body, size_t len,
    const azoai_str_t *boundary, azoai_alloc_t *a, azoai_multipart_t *mp)
{
    int              rc;
    u_char          *dash;
    size_t           pos;
    unsigned         closed;
    azoai_mp_ctx_t   c;

    memset(mp, 0, sizeof(azoai_multipart_t));

    if (boundary->len == 0 || boundary->len > AZOAI_MULTIPART_BOUNDARY_MAX) {
        mp->error = "bad boundary";
        return AZOAI_OK;
    }

    dash = azoai_alloc(a, boundary->len + AZOAI_MP_DASH_LEN);
    mp->parts = azoai_alloc(a, AZOAI_MULTIPART_MAX_PARTS
                               * sizeof(azoai_multipart_part_t));
    if (dash == NULL || mp->parts == NULL) {
        return AZOAI_ERROR;
    }

    dash[0] = '-';
    dash[1] = '-';
    memcpy(dash + AZOAI_MP_DASH_LEN, boundary->data, boundary->len);

    c.body = body;
    c.len = len;
    c.dash = dash;
    c.dash_len = boundary->len + AZOAI_MP_DASH_LEN;
    c.a = a;
    c.mp = mp;

    if (azoai_mp_first(&c, &pos) != AZOAI_OK
        || azoai_mp_after_dash(&c, &pos, &closed) != AZOAI_OK)
    {
        return mp->error ? AZOAI_OK : AZOAI_ERROR;
    }

    if (closed) {
        azoai_mp_fail(&c, "multipart body without parts", pos);
        return AZOAI_OK;
    }

    for ( ;; ) {
        if (mp->nparts == AZOAI_MULTIPART_MAX_PARTS) {
            azoai_mp_fail(&c, "too many multipart parts", pos);
            return AZOAI_OK;
        }

        rc = azoai_mp_part(&c, &pos, &mp->parts[mp->nparts]);
        if (rc != AZOAI_OK) {
            return mp->error ? AZOAI_OK : AZOAI_ERROR;
        }

        mp->nparts++;

        if (azoai_mp_after_dash(&c, &pos, &closed) != AZOAI_OK) {
            return AZOAI_OK;
        }

        if (closed) {
            mp->epilogue_start = pos;
            azoai_mp_epilogue(&c, pos);
            return AZOAI_OK;
        }
    }
}


/* returns AZOAI_DECLINED so that callers can return it on */

static int
azoai_mp_fail(azoai_mp_ctx_t *c, const char *error, size_t at)
{
    c->mp->error = error;
    c->mp->error_offset = at;

    return AZOAI_DECLINED;
}


/* the first "--" boundary: at the start, or after the preamble's CRLF */

static int
azoai_mp_first(azoai_mp_ctx_t *c, size_t *pos)
{
    size_t         i;
    const u_char  *hit;

    i = 0;

    for ( ;; ) {
        hit = memmem(c->body + i, c->len - i, c->dash, c->dash_len);
        if (hit == NULL) {
            return azoai_mp_fail(c, "no boundary delimiter in the body", i);
        }

        i = hit - c->body;

        if (i == 0
            || (i >= AZOAI_MP_CRLF_LEN && hit[-2] == '\r' && hit[-1] == '\n'))
        {
            c->mp->preamble_len = i;
            *pos = i + c->dash_len;
            return AZOAI_OK;
        }

        if (hit[-1] == '\r' || hit[-1] == '\n') {
            return azoai_mp_fail(c, "boundary after a bare CR or LF", i);
        }

        i++;
    }
}


/*
 * After "--" boundary: "--" closes (then blanks, and CRLF or the end);
 * else blanks and CRLF open a part.  *pos moves past what was read.
 */

static int
azoai_mp_after_dash(azoai_mp_ctx_t *c, size_t *pos, unsigned *closed)
{
    size_t  i;

    i = *pos;
    *closed = 0;

    if (c->len - i >= AZOAI_MP_DASH_LEN
        && c->body[i] == '-' && c->body[i + 1] == '-')
    {
        *closed = 1;
        i += AZOAI_MP_DASH_LEN;
    }

    while (i < c->len && (c->body[i] == ' ' || c->body[i] == '\t')) {
        i++;
    }

    if (i == c->len) {
        if (*closed) {
            *pos = i;
            return AZOAI_OK;
        }

        return azoai_mp_fail(c, "missing closing boundary delimiter", i);
    }

    if (c->len - i < AZOAI_MP_CRLF_LEN
        || c->body[i] != '\r' || c->body[i + 1] != '\n')
    {
        return azoai_mp_fail(c, "boundary followed by other bytes than "
                             "\"--\" or CRLF (a boundary inside content?)",
                             i);
    }

    *pos = i + AZOAI_MP_CRLF_LEN;

    return AZOAI_OK;
}


/* one part: header lines, the blank line, the content up to CRLF "--" */

static int
azoai_mp_part(azoai_mp_ctx_t *c, size_t *pos, azoai_multipart_part_t *part)
{
    size_t          limit, end;
    unsigned        seen, fields;
    const u_char   *p, *last, *lf;

    memset(part, 0, sizeof(azoai_multipart_part_t));
    part->header_start = *pos;

    p = c->body + *pos;
    limit = c->len - *pos;
    if (limit > AZOAI_MULTIPART_MAX_HEADER) {
        limit = AZOAI_MULTIPART_MAX_HEADER;
    }

    last = p + limit;
    seen = 0;
    fields = 0;

    for ( ;; ) {
        lf = memchr(p, '\n', last - p);
        if (lf == NULL) {
            return azoai_mp_fail(c, last == c->body + c->len
                                    ? "part headers without their blank line"
                                    : "part headers larger than 8192 bytes",
                                 p - c->body);
        }

        if (lf == p || lf[-1] != '\r') {
            return azoai_mp_fail(c, "LF without CR in part headers",
                                 lf - c->body);
        }

        if (lf - 1 == p) {
            p = lf + 1;
            break;
        }

        if (++fields > AZOAI_MULTIPART_MAX_FIELDS) {
            return azoai_mp_fail(c, "too many part header fields",
                                 p - c->body);
        }

        if (azoai_mp_header(c, p, lf - 1, part, &seen) != AZOAI_OK) {
            return c->mp->error ? AZOAI_DECLINED : AZOAI_ERROR;
        }

        p = lf + 1;
    }

    if (!(seen & AZOAI_MP_SEEN_DISPOSITION)) {
        return azoai_mp_fail(c, "part without Content-Disposition",
                             part->header_start);
    }

    part->content_start = p - c->body;

    if (azoai_mp_content_end(c, part->content_start, &end) != AZOAI_OK) {
        return AZOAI_DECLINED;
    }

    part->content_end = end;
    *pos = end + AZOAI_MP_CRLF_LEN + c->dash_len;

    return AZOAI_OK;
}


/* one header line [p, end), CRLF excluded */

static int
azoai_mp_header(azoai_mp_ctx_t *c, const u_char *p, const u_char *end,
    azoai_multipart_part_t *part, unsigned *seen)
{
    unsigned        bit;
    azoai_str_t     name;
    const u_char   *q;

    for (q = p; q < end; q++) {
        if (!azoai_mp_field[*q]) {
            return azoai_mp_fail(c, "control byte (CR, NUL, ...) in part "
                                 "headers", q - c->body);
        }
    }

    q = azoai_mp_token(p, end);

    if (q == p || q == end || *q != ':') {
        return azoai_mp_fail(c, *p == ' ' || *p == '\t'
                                ? "folded part header line"
                                : "part header line without \"name:\"",
                             p - c->body);
    }

    name.data = p;
    name.len = q - p;

    p = azoai_mp_skip_ws(q + 1, end);

    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    if (azoai_mp_is(&name, "content-disposition",
                    sizeof("content-disposition") - 1))
    {
        bit = AZOAI_MP_SEEN_DISPOSITION;

    } else if (azoai_mp_is(&name, "content-type",
                           sizeof("content-type") - 1))
    {
        bit = AZOAI_MP_SEEN_TYPE;

    } else if (azoai_mp_is(&name, "content-transfer-encoding",
                           sizeof("content-transfer-encoding") - 1))
    {
        bit = AZOAI_MP_SEEN_ENCODING;

    } else {
        return AZOAI_OK;
    }

    if (*seen & bit) {
        return azoai_mp_fail(c, "part header field given twice",
                             name.data - c->body);
    }

    *seen |= bit;

    switch (bit) {

    case AZOAI_MP_SEEN_DISPOSITION:
        return azoai_mp_disposition(c, p, end, part);

    case AZOAI_MP_SEEN_TYPE:
        return azoai_mp_part_type(c, p, end, part);

    default:
        name.data = p;
        name.len = end - p;

        if (azoai_mp_is(&name, "binary", sizeof("binary") - 1)
            || azoai_mp_is(&name, "8bit", sizeof("8bit") - 1)
            || azoai_mp_is(&name, "7bit", sizeof("7bit") - 1))
        {
            return AZOAI_OK;
        }

        return azoai_mp_fail(c, "part Content-Transfer-Encoding other than "
                             "binary, 8bit or 7bit", p - c->body);
    }
}


/* form-data; name="..."[; filename="..."] */

static int
azoai_mp_disposition(azoai_mp_ctx_t *c, const u_char *p, const u_char *end,
    azoai_multipart_part_t *part)
{
    const u_char      *t;
    const char        *error;
    azoai_str_t        type;
    azoai_mp_param_t   pm;
    unsigned           has_name;

    t = azoai_mp_token(p, end);
    type.data = p;
    type.len = t - p;

    if (!azoai_mp_is(&type, "form-data", sizeof("form-data") - 1)) {
        return azoai_mp_fail(c, "part Content-Disposition is not form-data",
                             p - c->body);
    }

    has_name = 0;

    for ( ;; ) {
        switch (azoai_mp_next_param(&t, end, &pm, &error)) {
        case 0:
            if (!has_name || part->name.len == 0) {
                return azoai_mp_fail(c, "part Content-Disposition without "
                                     "a name", p - c->body);
            }

            return AZOAI_OK;

        case -1:
            return azoai_mp_fail(c, error, t - c->body);
        }

        if (azoai_mp_is(&pm.name, "name", sizeof("name") - 1)) {
            if (has_name) {
                return azoai_mp_fail(c, "part name given twice",
                                     pm.name.data - c->body);
            }

            has_name = 1;

            if (azoai_mp_decode(c->a, &pm, &part->name) != AZOAI_OK) {
                return AZOAI_ERROR;
            }

        } else if (azoai_mp_is(&pm.name, "filename", sizeof("filename") - 1))
        {
            if (part->has_filename) {
                return azoai_mp_fail(c, "part filename given twice",
                                     pm.name.data - c->body);
            }

            part->has_filename = 1;

            if (azoai_mp_decode(c->a, &pm, &part->filename) != AZOAI_OK) {
                return AZOAI_ERROR;
            }

        } else if (azoai_mp_is(&pm.name, "filename*", sizeof("filename*") - 1)
                   || azoai_mp_is(&pm.name, "name*", sizeof("name*") - 1))
        {
            return azoai_mp_fail(c, "RFC 5987 parameters (filename*) are "
                                 "not accepted in form-data",
                                 pm.name.data - c->body);
        }
    }
}


static int
azoai_mp_part_type(azoai_mp_ctx_t *c, const u_char *p, const u_char *end,
    azoai_multipart_part_t *part)
{
    const u_char  *t;
    azoai_str_t    type;

    t = azoai_mp_token(p, end);
    type.data = p;
    type.len = t - p;

    if (t == p || t == end || *t != '/' || azoai_mp_token(t + 1, end) == t + 1)
    {
        return azoai_mp_fail(c, "part Content-Type is not type/subtype",
                             p - c->body);
    }

    if (azoai_mp_is(&type, "multipart", sizeof("multipart") - 1)) {
        return azoai_mp_fail(c, "nested multipart part", p - c->body);
    }

    part->content_type.data = p;
    part->content_type.len = end - p;

    return AZOAI_OK;
}


/* the content ends at the next CRLF "--" boundary */

static int
azoai_mp_content_end(azoai_mp_ctx_t *c, size_t from, size_t *end)
{
    size_t         i;
    const u_char  *hit;

    i = from;

    for ( ;; ) {
        hit = memmem(c->body + i, c->len - i, c->dash, c->dash_len);
        if (hit == NULL) {
            return azoai_mp_fail(c, "missing closing boundary delimiter",
                                 c->len);
        }

        i = hit - c->body;

        if (i >= from + AZOAI_MP_CRLF_LEN
            && hit[-2] == '\r' && hit[-1] == '\n')
        {
            *end = i - AZOAI_MP_CRLF_LEN;
            return AZOAI_OK;
        }

        if (i == from || hit[-1] == '\r' || hit[-1] == '\n') {
            return azoai_mp_fail(c, "boundary after a bare CR or LF, or "
                                 "straight after the part headers", i);
        }

        i++;
    }
}


static int
azoai_mp_epilogue(azoai_mp_ctx_t *c, size_t pos)
{
    if (memmem(c->body + pos, c->len - pos, c->dash, c->dash_len) != NULL) {
        return azoai_mp_fail(c, "boundary after the closing delimiter", pos);
    }

    return AZOAI_OK;
}


static const u_char *
azoai_mp_token(const u_char *p, const u_char *end)
{
    while (p < end && azoai_mp_tchar[*p]) {
        p++;
    }

    return p;
}


/*
 * *( OWS ";" OWS token "=" ( token / quoted-string ) ) OWS: 1 with pm
 * filled and *pos moved past it, 0 at the end, -1 with *error on a
 * grammar error
 */

static int
azoai_mp_next_param(const u_char **pos, const u_char *end,
    azoai_mp_param_t *pm, const char **error)
{
    const u_char  *p, *t;
    unsigned       escaped;

    p = azoai_mp_skip_ws(*pos, end);

    if (p == end) {
        *pos = p;
        return 0;
    }

    if (*p != ';') {
        *error = "bytes after a header value where ';' was expected";
        return -1;
    }

    p = azoai_mp_skip_ws(p + 1, end);
    t = azoai_mp_token(p, end);

    if (t == p || t == end || *t != '=') {
        *error = "header parameter without \"name=\"";
        *pos = p;
        return -1;
    }

    pm->name.data = p;
    pm->name.len = t - p;
    pm->escaped = 0;

    p = t + 1;

    if (p < end && *p == '"') {
        t = azoai_mp_quoted(p + 1, end, &escaped);
        if (t == NULL) {
            *error = "bad quoted string in a header parameter";
            *pos = p;
            return -1;
        }

        pm->raw.data = p + 1;
        pm->raw.len = t - (p + 1);
        pm->escaped = escaped;
        *pos = t + 1;
        return 1;
    }

    t = azoai_mp_token(p, end);
    if (t == p) {
        *error = "header parameter without a value";
        *pos = p;
        return -1;
    }

    pm->raw.data = p;
    pm->raw.len = t - p;
    *pos = t;

    return 1;
}


/* from after the opening '"': its closing '"', or NULL */

static const u_char *
azoai_mp_quoted(const u_char *p, const u_char *end, unsigned *escaped)
{
    *escaped = 0;

    for ( /* void */ ; p < end; p++) {
        if (*p == '"') {
            return p;
        }

        if (*p == '\\') {
            if (++p == end) {
                return NULL;
            }

            *escaped = 1;
        }

        if (!azoai_mp_field[*p]) {
            return NULL;
        }
    }

    return NULL;
}


/* a parameter value with its quoted-pairs undone, copied */

static int
azoai_mp_decode(azoai_alloc_t *a, const azoai_mp_param_t *pm,
    azoai_str_t *out)
{
    size_t   i;
    u_char  *d;

    if (!pm->escaped) {
        *out = pm->raw;
        return AZOAI_OK;
    }

    d = azoai_alloc(a, pm->raw.len);
    if (d == NULL) {
        return AZOAI_ERROR;
    }

    out->data = d;

    for (i = 0; i < pm->raw.len; i++) {
        if (pm->raw.data[i] == '\\') {
            i++;
        }

        *d++ = pm->raw.data[i];
    }

    out->len = d - out->data;

    return AZOAI_OK;
}


static const u_char *
azoai_mp_skip_ws(const u_char *p, const u_char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return p;
}


static int
azoai_mp_is(const azoai_str_t *s, const char *lower, size_t len)
{
    return s->len == len
           && azoai_ascii_eq_lower(s->data, (const u_char *) lower, len);
}
