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


/* what the whole-body parser collects from the reports */
typedef struct {
    azoai_multipart_t       *mp;
} azoai_mp_collect_t;


/* the parser's steps (azoai_multipart_stream_t.state) */
#define AZOAI_MP_FIRST          0   /* the preamble, up to "--" boundary */
#define AZOAI_MP_DELIMITER      1   /* the rest of a delimiter line */
#define AZOAI_MP_HEADERS        2   /* a part's header block */
#define AZOAI_MP_CONTENT        3   /* a part's content */
#define AZOAI_MP_EPILOGUE       4   /* after the closing delimiter */

/* the steps of a delimiter line (azoai_multipart_stream_t.sub) */
#define AZOAI_MP_SUB_START      0   /* right after "--" boundary */
#define AZOAI_MP_SUB_DASH       1   /* one '-' of a closing "--" */
#define AZOAI_MP_SUB_BLANKS     2   /* blanks up to CRLF */
#define AZOAI_MP_SUB_CR         3   /* CR seen, LF expected */

/* the offset in the body of a byte of the header block */
#define azoai_mp_hdr_off(s, p)                                               \
    ((s)->part.header_start + (size_t) ((const u_char *) (p) - (s)->hdr))


static int azoai_mp_fail(azoai_multipart_stream_t *s, const char *error,
    size_t at);
static int azoai_mp_bad(azoai_multipart_stream_t *s, const char *error,
    size_t at);
static int azoai_mp_handled(azoai_multipart_stream_t *s, int rc);
static size_t azoai_mp_run(azoai_multipart_stream_t *s, const u_char *r,
    size_t n, unsigned final);
static int azoai_mp_search(azoai_multipart_stream_t *s, const u_char *r,
    size_t n, size_t *i, unsigned final);
static int azoai_mp_hit(azoai_multipart_stream_t *s, const u_char *r,
    size_t k, size_t *i);
static int azoai_mp_content(azoai_multipart_stream_t *s, const u_char *p,
    size_t len);
static int azoai_mp_delimiter(azoai_multipart_stream_t *s, const u_char *r,
    size_t n, size_t *i, unsigned final);
static int azoai_mp_line_end(azoai_multipart_stream_t *s, size_t at);
static int azoai_mp_headers(azoai_multipart_stream_t *s, const u_char *r,
    size_t n, size_t *i, unsigned final);
static int azoai_mp_header_line(azoai_multipart_stream_t *s, size_t lf);
static int azoai_mp_header(azoai_multipart_stream_t *s, const u_char *p,
    const u_char *end);
static int azoai_mp_disposition(azoai_multipart_stream_t *s,
    const u_char *p, const u_char *end);
static int azoai_mp_part_type(azoai_multipart_stream_t *s, const u_char *p,
    const u_char *end);
static int azoai_mp_collect_part(void *data,
    const azoai_multipart_part_t *part);
static int azoai_mp_collect_end(void *data,
    const azoai_multipart_part_t *part);
static int azoai_mp_collect_content(void *data, const u_char *p,
    size_t len);
static u_char *azoai_mp_copy(azoai_alloc_t *a, const u_char *p, size_t len);
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
    int                        rc;
    azoai_mp_collect_t         col;
    azoai_multipart_stream_t   s;
    azoai_multipart_handler_t  h;

    memset(mp, 0, sizeof(azoai_multipart_t));

    mp->parts = azoai_alloc(a, AZOAI_MULTIPART_MAX_PARTS
                               * sizeof(azoai_multipart_part_t));
    if (mp->parts == NULL) {
        return AZOAI_ERROR;
    }

    col.mp = mp;

    h.part = azoai_mp_collect_part;
    h.content = azoai_mp_collect_content;
    h.part_end = azoai_mp_collect_end;
    h.data = &col;

    rc = azoai_multipart_stream_init(&s, boundary, a, &h);

    if (rc == AZOAI_OK) {
        rc = azoai_multipart_feed(&s, body, len);
    }

    if (rc == AZOAI_OK) {
        rc = azoai_multipart_finish(&s);
    }

    if (rc != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    mp->preamble_len = s.preamble_len;
    mp->epilogue_start = s.epilogue_start;
    mp->error = s.error;
    mp->error_offset = s.error_offset;

    return AZOAI_OK;
}


static int
azoai_mp_collect_part(void *data, const azoai_multipart_part_t *part)
{
    azoai_mp_collect_t  *col = data;

    col->mp->parts[col->mp->nparts] = *part;

    return AZOAI_OK;
}


static int
azoai_mp_collect_content(void *data, const u_char *p, size_t len)
{
    return AZOAI_OK;
}


static int
azoai_mp_collect_end(void *data, const azoai_multipart_part_t *part)
{
    azoai_mp_collect_t  *col = data;

    col->mp->parts[col->mp->nparts++].content_end = part->content_end;

    return AZOAI_OK;
}


int
azoai_multipart_stream_init(azoai_multipart_stream_t *s,
    const azoai_str_t *boundary, azoai_alloc_t *a,
    const azoai_multipart_handler_t *h)
{
    memset(s, 0, sizeof(azoai_multipart_stream_t));

    s->h = *h;
    s->a = a;
    s->state = AZOAI_MP_FIRST;

    if (boundary->len == 0 || boundary->len > AZOAI_MULTIPART_BOUNDARY_MAX) {
        s->error = "bad boundary";
        s->done = 1;
        return AZOAI_OK;
    }

    s->hdr = azoai_alloc(a, AZOAI_MULTIPART_MAX_HEADER);
    if (s->hdr == NULL) {
        return AZOAI_ERROR;
    }

    s->dash[0] = '-';
    s->dash[1] = '-';
    memcpy(s->dash + AZOAI_MP_DASH_LEN, boundary->data, boundary->len);
    s->dash_len = boundary->len + AZOAI_MP_DASH_LEN;

    return AZOAI_OK;
}


/*
 * A piece joins what the last one left in the hold (a delimiter that
 * may be cut, at most dash_len + 1 bytes): the hold and the piece's first
 * bytes are run together until the hold is used up, then the rest of the
 * piece is run where it lies, and what it leaves is held.
 */

int
azoai_multipart_feed(azoai_multipart_stream_t *s, const u_char *p,
    size_t len)
{
    size_t  c, x, held;

    if (s->done || len == 0) {
        return s->rc;
    }

    if (s->hold_len) {
        held = s->hold_len;
        x = sizeof(s->hold) - held;
        x = len < x ? len : x;

        memcpy(s->hold + held, p, x);
        s->hold_len = 0;

        c = azoai_mp_run(s, s->hold, held + x, 0);

        if (s->done) {
            return s->rc;
        }

        if (c < held) {
            /* x is len: the piece is all in the hold */
            memmove(s->hold, s->hold + c, held + x - c);
            s->hold_len = held + x - c;
            return AZOAI_OK;
        }

        p += c - held;
        len -= c - held;
    }

    c = azoai_mp_run(s, p, len, 0);

    if (s->done) {
        return s->rc;
    }

    memcpy(s->hold, p + c, len - c);
    s->hold_len = len - c;

    return AZOAI_OK;
}


int
azoai_multipart_finish(azoai_multipart_stream_t *s)
{
    if (s->done) {
        return s->rc;
    }

    (void) azoai_mp_run(s, s->hold, s->hold_len, 1);
    s->hold_len = 0;

    if (s->done) {
        return s->rc;
    }

    return AZOAI_OK;
}


/* returns 0 so that steps can return it on (the parser stops) */

static int
azoai_mp_fail(azoai_multipart_stream_t *s, const char *error, size_t at)
{
    s->error = error;
    s->error_offset = at;
    s->done = 1;

    return 0;
}


/* an error in a header line: AZOAI_DECLINED, which stops the line */

static int
azoai_mp_bad(azoai_multipart_stream_t *s, const char *error, size_t at)
{
    azoai_mp_fail(s, error, at);

    return AZOAI_DECLINED;
}


/* a handler's return: 1 to go on, else 0 with the parser stopped */

static int
azoai_mp_handled(azoai_multipart_stream_t *s, int rc)
{
    if (rc == AZOAI_OK) {
        return 1;
    }

    s->rc = rc;
    s->done = 1;

    return 0;
}


/*
 * Runs the bytes r[0, n) (at offset s->pos in the body) through the
 * steps, as far as they decide; final: no bytes follow.  Returns the
 * bytes consumed; the rest (at most dash_len + 1) must come again.
 */

static size_t
azoai_mp_run(azoai_multipart_stream_t *s, const u_char *r, size_t n,
    unsigned final)
{
    int     go;
    size_t  i;

    i = 0;

    do {
        switch (s->state) {

        case AZOAI_MP_DELIMITER:
            go = azoai_mp_delimiter(s, r, n, &i, final);
            break;

        case AZOAI_MP_HEADERS:
            go = azoai_mp_headers(s, r, n, &i, final);
            break;

        default:
            go = azoai_mp_search(s, r, n, &i, final);
            break;
        }

    } while (go && !s->done);

    if (i >= 2) {
        s->last2[0] = r[i - 2];
        s->last2[1] = r[i - 1];

    } else if (i == 1) {
        s->last2[0] = s->last2[1];
        s->last2[1] = r[0];
    }

    s->pos += i;

    return i;
}


/*
 * The preamble, a part's content, the epilogue: "--" boundary searched
 * from s->search.  1 when a delimiter moved the parser on, 0 when the
 * bytes are used up (all but the last dash_len + 1, unless final).
 */

static int
azoai_mp_search(azoai_multipart_stream_t *s, const u_char *r, size_t n,
    size_t *i, unsigned final)
{
    size_t         k, keep, at;
    const u_char  *hit;

    k = s->search - s->pos;

    while (k < n) {
        hit = azoai_multipart_find(r + k, n - k, s->dash, s->dash_len);
        if (hit == NULL) {
            break;
        }

        k = hit - r;

        switch (azoai_mp_hit(s, r, k, i)) {
        case 1:
            return 1;
        case -1:
            return 0;
        }

        k++;
        s->search = s->pos + k;
    }

    if (final) {
        switch (s->state) {
        case AZOAI_MP_FIRST:
            return azoai_mp_fail(s, "no boundary delimiter in the body",
                                 s->mark);
        case AZOAI_MP_CONTENT:
            return azoai_mp_fail(s, "missing closing boundary delimiter",
                                 s->pos + n);
        }

        *i = n;
        return 0;
    }

    /* positions from n - dash_len + 1 on are not decided yet */

    if (n >= s->dash_len && s->search < s->pos + n - s->dash_len + 1) {
        s->search = s->pos + n - s->dash_len + 1;
    }

    keep = s->dash_len + AZOAI_MP_CRLF_LEN - 1;

    if (n > keep && n - keep > *i) {
        at = n - keep;

        if (s->state == AZOAI_MP_CONTENT
            && !azoai_mp_content(s, r + *i, at - *i))
        {
            return 0;
        }

        *i = at;
    }

    return 0;
}


/*
 * "--" boundary at r[k]: 1 when it is a delimiter (*i past it), -1 on an
 * error, 0 when it is content or preamble
 */

static int
azoai_mp_hit(azoai_multipart_stream_t *s, const u_char *r, size_t k,
    size_t *i)
{
    size_t  at, from;
    u_char  b1, b2;

    at = s->pos + k;
    b1 = k >= 1 ? r[k - 1] : s->last2[1];
    b2 = k >= 2 ? r[k - 2] : (k == 1 ? s->last2[1] : s->last2[0]);

    switch (s->state) {

    case AZOAI_MP_FIRST:
        if (at == 0 || (at >= AZOAI_MP_CRLF_LEN && b2 == '\r' && b1 == '\n'))
        {
            s->preamble_len = at;
            break;
        }

        if (b1 == '\r' || b1 == '\n') {
            azoai_mp_fail(s, "boundary after a bare CR or LF", at);
            return -1;
        }

        s->mark = at + 1;
        return 0;

    case AZOAI_MP_CONTENT:
        from = s->part.content_start;

        if (at >= from + AZOAI_MP_CRLF_LEN && b2 == '\r' && b1 == '\n') {
            s->part.content_end = at - AZOAI_MP_CRLF_LEN;

            if (!azoai_mp_content(s, r + *i, k - AZOAI_MP_CRLF_LEN - *i)
                || !azoai_mp_handled(s, s->h.part_end(s->h.data, &s->part)))
            {
                return -1;
            }

            s->nparts++;
            break;
        }

        if (at == from || b1 == '\r' || b1 == '\n') {
            azoai_mp_fail(s, "boundary after a bare CR or LF, or straight "
                          "after the part headers", at);
            return -1;
        }

        return 0;

    default: /* AZOAI_MP_EPILOGUE */
        azoai_mp_fail(s, "boundary after the closing delimiter",
                      s->epilogue_start);
        return -1;
    }

    *i = k + s->dash_len;
    s->state = AZOAI_MP_DELIMITER;
    s->sub = AZOAI_MP_SUB_START;
    s->closed = 0;

    return 1;
}


/* a piece of content to the handler: 1, or 0 when it stopped */

static int
azoai_mp_content(azoai_multipart_stream_t *s, const u_char *p, size_t len)
{
    if (len == 0) {
        return 1;
    }

    return azoai_mp_handled(s, s->h.content(s->h.data, p, len));
}


/*
 * After "--" boundary: "--" closes (then blanks, and CRLF or the end);
 * else blanks and CRLF open a part.  A state machine over the bytes: 1
 * when the line is read, 0 when the bytes are used up or on an error.
 */

static int
azoai_mp_delimiter(azoai_multipart_stream_t *s, const u_char *r, size_t n,
    size_t *i, unsigned final)
{
    u_char  ch;
    size_t  at;

    static const char  other[] = "boundary followed by other bytes than "
                                 "\"--\" or CRLF (a boundary inside "
                                 "content?)";

    for ( /* void */ ; *i < n; (*i)++) {
        ch = r[*i];
        at = s->pos + *i;

        switch (s->sub) {

        case AZOAI_MP_SUB_START:
            if (ch == '-') {
                s->sub = AZOAI_MP_SUB_DASH;
                s->mark = at;
                continue;
            }

            s->sub = AZOAI_MP_SUB_BLANKS;
            break;

        case AZOAI_MP_SUB_DASH:
            if (ch != '-') {
                return azoai_mp_fail(s, other, s->mark);
            }

            s->closed = 1;
            s->sub = AZOAI_MP_SUB_BLANKS;
            continue;

        case AZOAI_MP_SUB_CR:
            if (ch != '\n') {
                return azoai_mp_fail(s, other, s->mark);
            }

            (*i)++;
            return azoai_mp_line_end(s, at + 1);
        }

        /* AZOAI_MP_SUB_BLANKS */

        if (ch == ' ' || ch == '\t') {
            continue;
        }

        if (ch != '\r') {
            return azoai_mp_fail(s, other, at);
        }

        s->sub = AZOAI_MP_SUB_CR;
        s->mark = at;
    }

    if (!final) {
        return 0;
    }

    at = s->pos + n;

    if (s->sub == AZOAI_MP_SUB_DASH || s->sub == AZOAI_MP_SUB_CR) {
        return azoai_mp_fail(s, other, s->mark);
    }

    if (!s->closed) {
        return azoai_mp_fail(s, "missing closing boundary delimiter", at);
    }

    return azoai_mp_line_end(s, at);
}


/* a delimiter line read up to at: the epilogue, or the next part */

static int
azoai_mp_line_end(azoai_multipart_stream_t *s, size_t at)
{
    if (s->closed) {
        if (s->nparts == 0) {
            return azoai_mp_fail(s, "multipart body without parts", at);
        }

        s->epilogue_start = at;
        s->search = at;
        s->state = AZOAI_MP_EPILOGUE;
        return 1;
    }

    if (s->nparts == AZOAI_MULTIPART_MAX_PARTS) {
        return azoai_mp_fail(s, "too many multipart parts", at);
    }

    memset(&s->part, 0, sizeof(azoai_multipart_part_t));
    s->part.header_start = at;
    s->hdr_len = 0;
    s->line = 0;
    s->seen = 0;
    s->fields = 0;
    s->state = AZOAI_MP_HEADERS;

    return 1;
}


/*
 * A part's header block, copied into s->hdr (at most
 * AZOAI_MULTIPART_MAX_HEADER bytes), each line read as its LF comes.  1
 * at the blank line, 0 when the bytes are used up or on an error.
 */

static int
azoai_mp_headers(azoai_multipart_stream_t *s, const u_char *r, size_t n,
    size_t *i, unsigned final)
{
    size_t         room, take;
    const u_char  *lf;

    while (*i < n) {
        room = AZOAI_MULTIPART_MAX_HEADER - s->hdr_len;

        if (room == 0) {
            return azoai_mp_fail(s, "part headers larger than 8192 bytes",
                                 azoai_mp_hdr_off(s, s->hdr + s->line));
        }

        take = n - *i < room ? n - *i : room;
        lf = memchr(r + *i, '\n', take);

        if (lf != NULL) {
            take = lf - (r + *i) + 1;
        }

        memcpy(s->hdr + s->hdr_len, r + *i, take);
        s->hdr_len += take;
        *i += take;

        if (lf == NULL) {
            continue;
        }

        switch (azoai_mp_header_line(s, s->hdr_len - 1)) {
        case 1:
            return 1;
        case -1:
            return 0;
        }
    }

    if (final) {
        return azoai_mp_fail(s, "part headers without their blank line",
                             azoai_mp_hdr_off(s, s->hdr + s->line));
    }

    return 0;
}


/*
 * The header line from s->line to the LF at s->hdr[lf]: 0 when read, 1
 * when it was the blank line (the part reported), -1 on an error
 */

static int
azoai_mp_header_line(azoai_multipart_stream_t *s, size_t lf)
{
    u_char  *p;

    p = s->hdr + s->line;

    if (lf == s->line || s->hdr[lf - 1] != '\r') {
        azoai_mp_fail(s, "LF without CR in part headers",
                      azoai_mp_hdr_off(s, s->hdr + lf));
        return -1;
    }

    s->line = lf + 1;

    if (s->hdr + lf - 1 == p) {
        if (!(s->seen & AZOAI_MP_SEEN_DISPOSITION)) {
            azoai_mp_fail(s, "part without Content-Disposition",
                          s->part.header_start);
            return -1;
        }

        s->part.content_start = s->part.header_start + s->hdr_len;
        s->search = s->part.content_start;
        s->state = AZOAI_MP_CONTENT;

        return azoai_mp_handled(s, s->h.part(s->h.data, &s->part)) ? 1 : -1;
    }

    if (++s->fields > AZOAI_MULTIPART_MAX_FIELDS) {
        azoai_mp_fail(s, "too many part header fields",
                      azoai_mp_hdr_off(s, p));
        return -1;
    }

    if (azoai_mp_header(s, p, s->hdr + lf - 1) != AZOAI_OK) {
        if (!s->done) {
            azoai_mp_handled(s, AZOAI_ERROR);
        }

        return -1;
    }

    return 0;
}


/* one header line [p, end), CRLF excluded */

static int
azoai_mp_header(azoai_multipart_stream_t *s, const u_char *p,
    const u_char *end)
{
    unsigned        bit;
    azoai_str_t     name;
    const u_char   *q;

    for (q = p; q < end; q++) {
        if (!azoai_mp_field[*q]) {
            return azoai_mp_bad(s, "control byte (CR, NUL, ...) in part "
                                 "headers", azoai_mp_hdr_off(s, q));
        }
    }

    q = azoai_mp_token(p, end);

    if (q == p || q == end || *q != ':') {
        return azoai_mp_bad(s, *p == ' ' || *p == '\t'
                                ? "folded part header line"
                                : "part header line without \"name:\"",
                             azoai_mp_hdr_off(s, p));
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

    if (s->seen & bit) {
        return azoai_mp_bad(s, "part header field given twice",
                             azoai_mp_hdr_off(s, name.data));
    }

    s->seen |= bit;

    switch (bit) {

    case AZOAI_MP_SEEN_DISPOSITION:
        return azoai_mp_disposition(s, p, end);

    case AZOAI_MP_SEEN_TYPE:
        return azoai_mp_part_type(s, p, end);

    default:
        name.data = p;
        name.len = end - p;

        if (azoai_mp_is(&name, "binary", sizeof("binary") - 1)
            || azoai_mp_is(&name, "8bit", sizeof("8bit") - 1)
            || azoai_mp_is(&name, "7bit", sizeof("7bit") - 1))
        {
            return AZOAI_OK;
        }

        return azoai_mp_bad(s, "part Content-Transfer-Encoding other than "
                             "binary, 8bit or 7bit", azoai_mp_hdr_off(s, p));
    }
}


/* form-data; name="..."[; filename="..."] */

static int
azoai_mp_disposition(azoai_multipart_stream_t *s, const u_char *p,
    const u_char *end)
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
        return azoai_mp_bad(s, "part Content-Disposition is not form-data",
                             azoai_mp_hdr_off(s, p));
    }

    has_name = 0;

    for ( ;; ) {
        switch (azoai_mp_next_param(&t, end, &pm, &error)) {
        case 0:
            if (!has_name || s->part.name.len == 0) {
                return azoai_mp_bad(s, "part Content-Disposition without "
                                     "a name", azoai_mp_hdr_off(s, p));
            }

            return AZOAI_OK;

        case -1:
            return azoai_mp_bad(s, error, azoai_mp_hdr_off(s, t));
        }

        if (azoai_mp_is(&pm.name, "name", sizeof("name") - 1)) {
            if (has_name) {
                return azoai_mp_bad(s, "part name given twice",
                                     azoai_mp_hdr_off(s, pm.name.data));
            }

            has_name = 1;

            if (azoai_mp_decode(s->a, &pm, &s->part.name) != AZOAI_OK) {
                return AZOAI_ERROR;
            }

        } else if (azoai_mp_is(&pm.name, "filename", sizeof("filename") - 1))
        {
            if (s->part.has_filename) {
                return azoai_mp_bad(s, "part filename given twice",
                                     azoai_mp_hdr_off(s, pm.name.data));
            }

            s->part.has_filename = 1;

            if (azoai_mp_decode(s->a, &pm, &s->part.filename) != AZOAI_OK) {
                return AZOAI_ERROR;
            }

        } else if (azoai_mp_is(&pm.name, "filename*", sizeof("filename*") - 1)
                   || azoai_mp_is(&pm.name, "name*", sizeof("name*") - 1))
        {
            return azoai_mp_bad(s, "RFC 5987 parameters (filename*) are "
                                 "not accepted in form-data",
                                 azoai_mp_hdr_off(s, pm.name.data));
        }
    }
}


static int
azoai_mp_part_type(azoai_multipart_stream_t *s, const u_char *p,
    const u_char *end)
{
    const u_char  *t;
    azoai_str_t    type;

    t = azoai_mp_token(p, end);
    type.data = p;
    type.len = t - p;

    if (t == p || t == end || *t != '/' || azoai_mp_token(t + 1, end) == t + 1)
    {
        return azoai_mp_bad(s, "part Content-Type is not type/subtype",
                             azoai_mp_hdr_off(s, p));
    }

    if (azoai_mp_is(&type, "multipart", sizeof("multipart") - 1)) {
        return azoai_mp_bad(s, "nested multipart part",
                            azoai_mp_hdr_off(s, p));
    }

    s->part.content_type.data = azoai_mp_copy(s->a, p, end - p);
    s->part.content_type.len = end - p;

    return s->part.content_type.data ? AZOAI_OK : AZOAI_ERROR;
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


/* a parameter value with its quoted-pairs undone, always copied */

static int
azoai_mp_decode(azoai_alloc_t *a, const azoai_mp_param_t *pm,
    azoai_str_t *out)
{
    size_t   i;
    u_char  *d;

    d = azoai_mp_copy(a, pm->raw.data, pm->raw.len);
    if (d == NULL) {
        return AZOAI_ERROR;
    }

    out->data = d;

    if (!pm->escaped) {
        out->len = pm->raw.len;
        return AZOAI_OK;
    }

    for (i = 0; i < pm->raw.len; i++) {
        if (pm->raw.data[i] == '\\') {
            i++;
        }

        *d++ = pm->raw.data[i];
    }

    out->len = d - out->data;

    return AZOAI_OK;
}


/* a copy of [p, p + len) from a (a non-NULL pointer when len is 0) */

static u_char *
azoai_mp_copy(azoai_alloc_t *a, const u_char *p, size_t len)
{
    u_char  *d;

    if (len == 0) {
        return (u_char *) "";
    }

    d = azoai_alloc(a, len);
    if (d != NULL) {
        memcpy(d, p, len);
    }

    return d;
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
