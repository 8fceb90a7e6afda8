/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Event framing (lines end with CRLF, LF or CR, split by the splitter
 * usage and the estimate share, azoai_sse_line.c; a blank line ends an
 * event), the data of an event read as one JSON document, and the held
 * tails of streamed texts.  Events without a data line (comments,
 * keep-alives), with several data lines, with data that is not JSON, and
 * "[DONE]" pass unchanged; "[DONE]" and events of no choice or output
 * first release what is held back.
 */

#include <string.h>

#include "azoai_sse.h"


#define AZOAI_SSE_BUF_INIT        1024


static int azoai_sse_input(azoai_sse_t *s, const u_char *in, size_t len);
static int azoai_sse_emit(void *data, const u_char *p, size_t len);
static int azoai_sse_pending(azoai_sse_t *s);
static void azoai_sse_line_seen(azoai_sse_t *s, const azoai_sse_piece_t *pc);
static int azoai_sse_event(azoai_sse_t *s, const u_char *ev, size_t len,
    unsigned framed);
static int azoai_sse_event_read(azoai_sse_t *s, const u_char *ev,
    size_t len, unsigned framed);
static int azoai_sse_data_framed(azoai_sse_t *s, azoai_str_t *data);
static int azoai_sse_json(azoai_sse_t *s);
static void azoai_sse_traced(azoai_sse_t *s, int rc, size_t len);
static int azoai_sse_refuse(azoai_sse_t *s);
static int azoai_sse_holding(azoai_sse_t *s);
static void azoai_sse_owed(azoai_sse_t *s);
static int azoai_sse_may_hold_token(const u_char *p, size_t len);
static int azoai_sse_data(const u_char *ev, size_t len, azoai_str_t *data);
static int azoai_sse_line_ends(const u_char *p, const u_char *end);
static int azoai_sse_rewrite(azoai_sse_t *s, const u_char *ev, size_t len,
    size_t base);
static int azoai_sse_span(azoai_sse_t *s, const u_char *ev, size_t len,
    size_t base, const azoai_restore_span_t *sp);
static int azoai_sse_release(azoai_sse_t *s, size_t base);
static int azoai_sse_touches(const azoai_restore_doc_t *d,
    const azoai_sse_carry_t *c);
static azoai_sse_carry_t *azoai_sse_carry_for(azoai_sse_t *s,
    const azoai_restore_span_t *sp);
static int azoai_sse_keep(azoai_sse_t *s, azoai_sse_carry_t *c,
    const u_char *tail, size_t tail_len, const u_char *ev, size_t len,
    size_t base, const azoai_restore_span_t *sp);
static int azoai_sse_flush(azoai_sse_t *s, azoai_sse_carry_t *c);
static int azoai_sse_mask_piece(azoai_sse_t *s, azoai_sse_carry_t *c,
    const u_char *carry, size_t carry_len, const u_char *ev, size_t len,
    size_t base, const azoai_restore_span_t *sp);
static int azoai_sse_mask_text(azoai_sse_t *s, const u_char *raw,
    size_t len, const azoai_restore_span_t *sp);
static int azoai_sse_masked(void *data, const u_char *p, size_t len);
static const u_char *azoai_sse_bracket(azoai_sse_t *s, const u_char *p,
    size_t len);
static int azoai_sse_token_like(const u_char *p, const u_char *end);
static int azoai_sse_final(azoai_sse_t *s, const u_char *raw, size_t len,
    unsigned level);
static int azoai_sse_append(azoai_sse_t *s, const u_char *p, size_t len);
static int azoai_sse_out(void *data, const u_char *p, size_t len);


void
azoai_sse_init(azoai_sse_t *s, const azoai_pseudo_t *map, azoai_alloc_t *a,
    unsigned json, azoai_restore_write_pt write, void *data)
{
    memset(s, 0, sizeof(azoai_sse_t));

    s->map = map;
    s->alloc = a;
    s->doc.alloc = a;
    s->json = json;
    s->write = write;
    s->data = data;
    s->emit = write;
    s->emit_data = data;

    azoai_sse_line_init(&s->line);
}


int
azoai_sse_expect(azoai_sse_t *s, size_t len)
{
    u_char  *p;

    if (!s->json || len > AZOAI_SSE_JSON_MAX || len <= s->size) {
        return AZOAI_OK;
    }

    /* the length announced, not the power of two above it */

    p = azoai_alloc(s->alloc, len);
    if (p == NULL) {
        return AZOAI_ERROR;
    }

    if (s->len) {
        memcpy(p, s->buf, s->len);
    }

    s->buf = p;
    s->size = len;

    return AZOAI_OK;
}


/*
 * An input whose output is written once: runs of events written as they
 * came, in the input, go out as one write (azoai_sse_emit())
 */

int
azoai_sse_feed(azoai_sse_t *s, const u_char *in, size_t len)
{
    int  rc;

    /* masking writes most bytes from its own buffers: not worth it there */

    if (s->json || s->mask) {
        return azoai_sse_input(s, in, len);
    }

    s->emit = azoai_sse_emit;
    s->emit_data = s;
    s->in_at = in;
    s->in_end = in + len;

    rc = azoai_sse_input(s, in, len);

    if (azoai_sse_pending(s)) {
        rc = AZOAI_ERROR;
    }

    s->emit = s->write;
    s->emit_data = s->data;
    s->in_at = NULL;
    s->in_end = NULL;

    return rc;
}


/* long: the framing loop, with the held event and the long-event cases */
static int
azoai_sse_input(azoai_sse_t *s, const u_char *in, size_t len)
{
    int                 rc;
    const u_char       *p, *end, *start;
    azoai_sse_piece_t   pc;

    if (s->json) {
        if (s->passing) {
            return s->emit(s->emit_data, in, len) ? AZOAI_ERROR : AZOAI_OK;
        }

        if (s->len + len <= AZOAI_SSE_JSON_MAX) {
            return azoai_sse_append(s, in, len);
        }

        /* too long to read: unscanned text must not pass (fail closed) */

        s->outcome = AZOAI_SSE_LONG;
        azoai_sse_traced(s, s->mask ? AZOAI_DECLINED : AZOAI_OK,
                         s->len + len);

        if (s->mask) {
            return azoai_sse_refuse(s);
        }

        /* what was held and the rest pass as they are */

        s->passing = 1;
        s->passed++;

        if ((s->len && s->emit(s->emit_data, s->buf, s->len))
            || s->emit(s->emit_data, in, len))
        {
            return AZOAI_ERROR;
        }

        s->len = 0;

        return AZOAI_OK;
    }

    p = in;
    end = in + len;
    start = p;

    /*
     * the LF of a CRLF whose CR ended the last event and the last input:
     * it goes out on its own (the splitter skips it)
     */

    if (s->lf_owed) {
        s->lf_owed = 0;

        if (len && *p == '\n') {
            if (s->emit(s->emit_data, p, 1)) {
                return AZOAI_ERROR;
            }

            azoai_sse_owed(s);
            start = p + 1;
        }
    }

    while (p < end) {
        p = azoai_sse_line_next(&s->line, p, end, &pc);

        if (!pc.blank) {
            if (pc.end) {
                azoai_sse_line_seen(s, &pc);
            }

            continue;
        }

        /* a blank line: the event ends with it */

        rc = AZOAI_OK;

        if (s->passing) {
            s->passing = 0;

            if (s->emit(s->emit_data, start, p - start)) {
                return AZOAI_ERROR;
            }

        } else if (s->len) {
            if (azoai_sse_append(s, start, p - start) != AZOAI_OK) {
                return AZOAI_ERROR;
            }

            rc = azoai_sse_event(s, s->buf, s->len, 0);
            s->len = 0;

        } else {
            /* the whole event in this input: its lines were seen whole */
            rc = azoai_sse_event(s, start, p - start, !s->line_split);
        }

        s->ended++;
        s->ndata = 0;
        s->line_split = 0;

        if (rc != AZOAI_OK) {
            return rc;
        }

        start = p;
        s->lf_owed = s->line.cr;
    }

    if (start == end) {
        return AZOAI_OK;
    }

    if (s->passing) {
        return s->emit(s->emit_data, start, end - start) ? AZOAI_ERROR
                                                          : AZOAI_OK;
    }

    if (s->len + (end - start) <= AZOAI_SSE_EVENT_MAX) {
        return azoai_sse_append(s, start, end - start);
    }

    /* an event too long to hold: it is written as it comes, unmasked */

    s->outcome = AZOAI_SSE_LONG;
    azoai_sse_traced(s, s->mask ? AZOAI_DECLINED : AZOAI_OK,
                     s->len + (end - start));

    if (s->mask) {
        return azoai_sse_refuse(s);
    }

    s->passing = 1;
    s->passed++;

    if ((s->len && s->emit(s->emit_data, s->buf, s->len))
        || s->emit(s->emit_data, start, end - start))
    {
        return AZOAI_ERROR;
    }

    s->len = 0;

    return AZOAI_OK;
}


int
azoai_sse_finish(azoai_sse_t *s)
{
    int           rc;
    const char   *open;

    static const char  *blank[] = { "\n\n", "\n", "\r" };

    rc = AZOAI_OK;
    open = (!s->json && (s->passing || s->len)) ? blank[0] : NULL;

    if (s->json && !s->passing && s->len) {
        rc = azoai_sse_json(s);
        azoai_sse_traced(s, rc, s->len);

    } else if (s->len) {

        /*
         * an event the stream did not end: its text is final, not held;
         * what ends it after its last line, if that ended (a LF after a
         * CR would only make a CRLF of it)
         */

        open = blank[(s->buf[s->len - 1] == '\n')
                     + 2 * (s->buf[s->len - 1] == '\r')];
        s->final = 1;
        rc = azoai_sse_event(s, s->buf, s->len, 0);
    }

    s->len = 0;

    if (rc != AZOAI_OK) {
        return rc;
    }

    /* tails still held become events: after a blank line, if need be */

    if (open && azoai_sse_holding(s)
        && s->emit(s->emit_data, (u_char *) open, strlen(open)))
    {
        return AZOAI_ERROR;
    }

    return azoai_sse_release(s, (size_t) -1);
}


/*
 * The LF owed to the last event came: the copies of it kept with held
 * tails end with it too, as they would have had it come in the same input
 */

static void
azoai_sse_owed(azoai_sse_t *s)
{
    size_t              i;
    azoai_sse_carry_t  *c;

    for (i = 0; s->nheld && i < AZOAI_SSE_CARRIES; i++) {
        c = &s->carries[i];

        if (c->used && c->seq + 1 == s->ended) {
            c->event[c->event_len++] = '\n';
        }
    }
}


static int
azoai_sse_holding(azoai_sse_t *s)
{
    return s->nheld != 0;
}


/*
 * Whether a '[' in p may begin a token ("[A-Z0-9_") or end a piece of
 * text ('[' then '"'): JSON's own "[{" and "[]" do not
 */

static int
azoai_sse_may_hold_token(const u_char *p, size_t len)
{
    u_char        c;
    const u_char  *q, *end;

    end = p + len;

    for (q = memchr(p, '[', len); q; q = memchr(q, '[', end - q)) {
        if (++q == end) {
            return 1;
        }

        c = *q;

        if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
            || c == '"' || c == '\\')
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Masking, an event that cannot be read: the stream ends before it, and
 * the tails held back from earlier events (read and masked) go out first
 */

static int
azoai_sse_refuse(azoai_sse_t *s)
{
    if (!s->json && azoai_sse_release(s, (size_t) -1) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    return AZOAI_DECLINED;
}


/* a whole JSON response */

static int
azoai_sse_json(azoai_sse_t *s)
{
    int  rc;

    if (s->usage) {
        azoai_usage_init(s->usage, 0);
        s->doc.usage = s->usage;
    }

    rc = azoai_restore_scan(&s->doc, s->buf, s->len);
    s->outcome = AZOAI_SSE_REWRITTEN;
    s->doc.usage = NULL;
    s->usage_read = (rc == AZOAI_OK && s->usage);

    if (rc == AZOAI_OK) {
        return azoai_sse_rewrite(s, s->buf, s->len, 0);
    }

    if (rc == AZOAI_DECLINED && s->mask) {
        return AZOAI_DECLINED;
    }

    if (rc == AZOAI_DECLINED) {
        s->passed++;
        s->outcome = AZOAI_SSE_PASSED;
        rc = azoai_sse_out(s, s->buf, s->len) ? AZOAI_ERROR : AZOAI_OK;
    }

    return rc;
}


static int
azoai_sse_event(azoai_sse_t *s, const u_char *ev, size_t len,
    unsigned framed)
{
    int  rc;

    s->outcome = AZOAI_SSE_REWRITTEN;

    rc = azoai_sse_event_read(s, ev, len, framed);

    azoai_sse_traced(s, rc, len);

    return (rc == AZOAI_DECLINED) ? azoai_sse_refuse(s) : rc;
}


/* the caller's trace of one event, when it asked for one */

static void
azoai_sse_traced(azoai_sse_t *s, int rc, size_t len)
{
    s->events++;

    if (s->trace) {
        s->trace(s->data, (rc == AZOAI_DECLINED) ? AZOAI_SSE_REFUSED
                                                 : s->outcome, len);
    }
}


static int
azoai_sse_event_read(azoai_sse_t *s, const u_char *ev, size_t len,
    unsigned framed)
{
    int          rc;
    azoai_str_t  data;

    rc = framed ? azoai_sse_data_framed(s, &data)
                : azoai_sse_data(ev, len, &data);

    if (rc != AZOAI_OK) {

        /* several data lines: unscanned text must not pass (masking) */

        if (s->mask && data.data) {
            return AZOAI_DECLINED;
        }

        s->outcome = AZOAI_SSE_PASSED;

        return s->emit(s->emit_data, ev, len) ? AZOAI_ERROR : AZOAI_OK;
    }

    if (data.len == 6 && memcmp(data.data, "[DONE]", 6) == 0) {
        s->outcome = AZOAI_SSE_DONE;

        if (azoai_sse_release(s, (size_t) -1) != AZOAI_OK) {
            return AZOAI_ERROR;
        }

        return s->emit(s->emit_data, ev, len) ? AZOAI_ERROR : AZOAI_OK;
    }

    /* restore only, nothing held, no "[TAG": nothing to do but write it */

    if (s->mask == NULL && !azoai_sse_holding(s)
        && !azoai_sse_may_hold_token(data.data, data.len))
    {
        s->outcome = AZOAI_SSE_PASSED;

        return s->emit(s->emit_data, ev, len) ? AZOAI_ERROR : AZOAI_OK;
    }

    rc = azoai_restore_scan(&s->doc, data.data, data.len);

    if (rc == AZOAI_ERROR) {
        return AZOAI_ERROR;
    }

    if (rc == AZOAI_DECLINED) {
        if (s->mask) {
            return AZOAI_DECLINED;
        }

        s->passed++;
        s->outcome = AZOAI_SSE_PASSED;

        return s->emit(s->emit_data, ev, len) ? AZOAI_ERROR : AZOAI_OK;
    }

    return azoai_sse_rewrite(s, ev, len, data.data - ev);
}


/*
 * A whole line of the event being framed: a "data:" line is counted, the
 * first one kept; a line that came in pieces makes the event be parsed
 * again from its bytes (it may lie in the held buffer)
 */

static void
azoai_sse_line_seen(azoai_sse_t *s, const azoai_sse_piece_t *pc)
{
    static const u_char  field[] = "data:";

    if (pc->offset) {
        s->line_split = 1;
        return;
    }

    if (pc->len >= sizeof(field) - 1
        && memcmp(pc->data, field, sizeof(field) - 1) == 0
        && s->ndata++ == 0)
    {
        s->data_at = pc->data;
        s->data_len = pc->len;
    }
}


/* azoai_sse_data() of an event whose lines the framing saw whole */

static int
azoai_sse_data_framed(azoai_sse_t *s, azoai_str_t *data)
{
    data->data = NULL;

    if (s->ndata == 0) {
        return AZOAI_DECLINED;
    }

    data->data = s->data_at + sizeof("data:") - 1;
    data->len = s->data_len - (sizeof("data:") - 1);

    if (data->len && *data->data == ' ') {
        data->data++;
        data->len--;
    }

    return (s->ndata == 1) ? AZOAI_OK : AZOAI_DECLINED;
}


/*
 * the one "data:" line of an event; AZOAI_DECLINED for none (data->data
 * NULL) or several
 */

static int
azoai_sse_data(const u_char *ev, size_t len, azoai_str_t *data)
{
    size_t              n;
    const u_char       *p, *end;
    azoai_sse_line_t    l;
    azoai_sse_piece_t   pc;

    static const u_char  field[] = "data:";

    p = ev;
    end = ev + len;
    n = 0;
    data->data = NULL;

    /* the event is whole: each piece is a whole line */

    azoai_sse_line_init(&l);

    while (p < end) {
        p = azoai_sse_line_next(&l, p, end, &pc);

        /* most events: one line, then nothing but line ends */

        if (azoai_sse_line_ends(p, end)) {
            end = p;
        }

        if (pc.len >= sizeof(field) - 1
            && memcmp(pc.data, field, sizeof(field) - 1) == 0)
        {
            if (n++) {
                return AZOAI_DECLINED;
            }

            data->data = pc.data + sizeof(field) - 1;
            data->len = pc.len - (sizeof(field) - 1);

            if (data->len && *data->data == ' ') {
                data->data++;
                data->len--;
            }
        }
    }

    return n ? AZOAI_OK : AZOAI_DECLINED;
}


/* whether [p, end) holds nothing but CRs and LFs: blank lines */

static int
azoai_sse_line_ends(const u_char *p, const u_char *end)
{
    while (p < end && (*p == '\n' || *p == '\r')) {
        p++;
    }

    return p == end;
}


/*
 * Writes ev with its text fields restored; base is the offset of the
 * scanned document in ev.  Held tails of texts this event does not carry
 * on, but whose choice it speaks of, are released first.
 */

static int
azoai_sse_rewrite(azoai_sse_t *s, const u_char *ev, size_t len, size_t base)
{
    size_t                      i, pos;
    const azoai_restore_span_t  *sp;

    if (azoai_sse_release(s, base) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    pos = 0;

    for (i = 0; i < s->doc.nspans; i++) {
        sp = &s->doc.spans[i];

        if (azoai_sse_out(s, ev + pos, base + sp->offset - pos)) {
            return AZOAI_ERROR;
        }

        if (azoai_sse_span(s, ev, len, base, sp) != AZOAI_OK) {
            return AZOAI_ERROR;
        }

        pos = base + sp->offset + sp->len;
    }

    return azoai_sse_out(s, ev + pos, len - pos) ? AZOAI_ERROR : AZOAI_OK;
}


/*
 * One text field: a held tail of the same text goes in front of it, and
 * a streamed piece keeps back its own tail when that may begin a token.
 */

static int
azoai_sse_span(azoai_sse_t *s, const u_char *ev, size_t len, size_t base,
    const azoai_restore_span_t *sp)
{
    size_t              carry_len, hold_len, raw_len;
    u_char             *hold;
    const u_char       *raw;
    azoai_sse_carry_t  *c;
    u_char              carry[AZOAI_RESP_MASK_CARRY];
    u_char              tail[AZOAI_PSEUDO_TOKEN_MAX];

    carry_len = 0;
    hold_len = 0;
    hold = NULL;
    c = NULL;

    if (!s->json && sp->delta) {
        c = azoai_sse_carry_for(s, sp);
    }

    if (c && c->used) {
        carry_len = c->len;
        memcpy(carry, c->bytes, carry_len);
        c->used = 0;
        s->nheld--;
    }

    if (c && len <= AZOAI_SSE_EVENT_MAX && (s->mask || !s->final)) {
        hold = tail;
    }

    raw = ev + base + sp->offset;
    raw_len = sp->len;

    if (s->mask && hold) {
        return azoai_sse_mask_piece(s, c, carry, carry_len, ev, len, base,
                                    sp);
    }

    /* masked before restoring: a restored value is not masked again */

    if (s->mask && carry_len == 0 && hold == NULL) {
        return azoai_sse_mask_text(s, raw, raw_len, sp);
    }

    if (s->mask) {
        if (azoai_resp_mask_string(s->mask, raw, raw_len, sp->flags)
            != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        raw = s->mask->buf;
        raw_len = s->mask->len;
    }

    /* a string without '[' (the walk's flag) holds no token: as it is */

    if (!s->mask && carry_len == 0 && !(sp->flags & AZOAI_JSON_BRACKET)) {
        return (azoai_sse_out(s, raw, raw_len) == 0) ? AZOAI_OK : AZOAI_ERROR;
    }

    if (azoai_restore_string(s->map, carry, carry_len, raw, raw_len,
                             sp->level, hold, &hold_len, &s->restored,
                             azoai_sse_out, s)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    if (hold_len == 0) {
        return AZOAI_OK;
    }

    return azoai_sse_keep(s, c, tail, hold_len, ev, len, base, sp);
}


/*
 * Releases held tails: those of the choices or outputs this event speaks
 * of without carrying their text on, or all of them for an event of no
 * choice or output (base (size_t) -1: the end of the stream).
 */

static int
azoai_sse_release(azoai_sse_t *s, size_t base)
{
    size_t              i, k;
    azoai_sse_carry_t  *c;

    /* most events of a stream: nothing held */

    if (s->nheld == 0) {
        return AZOAI_OK;
    }

    for (i = 0; i < AZOAI_SSE_CARRIES; i++) {
        c = &s->carries[i];

        if (!c->used) {
            continue;
        }

        if (base != (size_t) -1) {
            if (azoai_sse_touches(&s->doc, c) == 0) {
                continue;
            }

            for (k = 0; k < s->doc.nspans; k++) {
                if (s->doc.spans[k].delta
                    && azoai_sse_carry_for(s, &s->doc.spans[k]) == c)
                {
                    break;
                }
            }

            if (k < s->doc.nspans) {
                continue;
            }
        }

        if (azoai_sse_flush(s, c) != AZOAI_OK) {
            return AZOAI_ERROR;
        }
    }

    return AZOAI_OK;
}


/* whether the event speaks of the carry's choice or output, or of none */

static int
azoai_sse_touches(const azoai_restore_doc_t *d, const azoai_sse_carry_t *c)
{
    size_t    i;
    unsigned  scoped;

    scoped = 0;

    for (i = 0; i < d->nindexes; i++) {
        if (!d->indexes[i].choice) {
            continue;
        }

        if (d->indexes[i].value == c->idx1) {
            return 1;
        }

        scoped = 1;
    }

    if (d->output_index != AZOAI_RESTORE_NO_INDEX) {
        return d->output_index == c->idx1;
    }

    return !scoped;
}


/* the slot of the span's text: the one in use, else a free one, else NULL */

static azoai_sse_carry_t *
azoai_sse_carry_for(azoai_sse_t *s, const azoai_restore_span_t *sp)
{
    size_t              i;
    azoai_sse_carry_t  *c, *free;

    free = NULL;

    for (i = 0; i < AZOAI_SSE_CARRIES; i++) {
        c = &s->carries[i];

        if (c->event && c->idx1 == sp->idx1 && c->idx2 == sp->idx2
            && c->field == sp->field && c->level == sp->level)
        {
            return c;
        }

        if (free == NULL && !c->used) {
            free = c;
        }
    }

    if (free) {
        free->idx1 = sp->idx1;
        free->idx2 = sp->idx2;
        free->field = sp->field;
        free->level = sp->level;
    }

    return free;
}


/*
 * The tail held back (AZOAI_RESP_MASK_CARRY bytes at most: its room is
 * taken on the slot's first use, not kept in every slot of every
 * response) and the event with its texts left empty, for
 * azoai_sse_flush()
 */

static int
azoai_sse_keep(azoai_sse_t *s, azoai_sse_carry_t *c, const u_char *tail,
    size_t tail_len, const u_char *ev, size_t len, size_t base,
    const azoai_restore_span_t *sp)
{
    size_t                       i, pos;
    u_char                      *o;
    const azoai_restore_span_t  *x;

    if (c->bytes == NULL) {
        c->bytes = azoai_alloc(s->alloc, AZOAI_RESP_MASK_CARRY);
        if (c->bytes == NULL) {
            return AZOAI_ERROR;
        }
    }

    memcpy(c->bytes, tail, tail_len);
    c->len = tail_len;

    /* and room for the LF that may be owed to it (azoai_sse_owed()) */

    c->event = azoai_reserve(s->alloc, c->event, 0, &c->event_size, len + 1,
                             AZOAI_SSE_BUF_INIT);
    if (c->event == NULL) {
        return AZOAI_ERROR;
    }

    o = c->event;
    pos = 0;

    for (i = 0; i < s->doc.nspans; i++) {
        x = &s->doc.spans[i];

        memcpy(o, ev + pos, base + x->offset - pos);
        o += base + x->offset - pos;
        pos = base + x->offset + x->len;

        if (x == sp) {
            c->at = o - c->event;
        }
    }

    memcpy(o, ev + pos, len - pos);
    c->event_len = (o - c->event) + (len - pos);
    c->seq = s->ended;
    c->used = 1;
    s->nheld++;

    if (c->len + s->len > s->held) {
        s->held = c->len + s->len;
    }

    return AZOAI_OK;
}


/* a held tail that no piece carried on: an event of its own */

static int
azoai_sse_flush(azoai_sse_t *s, azoai_sse_carry_t *c)
{
    c->used = 0;
    s->nheld--;

    if (s->emit(s->emit_data, c->event, c->at)) {
        return AZOAI_ERROR;
    }

    if (s->mask) {
        if (azoai_sse_final(s, c->bytes, c->len, c->level) != AZOAI_OK) {
            return AZOAI_ERROR;
        }

    } else if (s->emit(s->emit_data, c->bytes, c->len)) {
        return AZOAI_ERROR;
    }

    if (s->emit(s->emit_data, c->event + c->at, c->event_len - c->at)) {
        return AZOAI_ERROR;
    }

    return AZOAI_OK;
}


/*
 * A streamed piece with masking: the held tail and the piece are read as
 * one text; what is final is masked, restored and written, the rest held.
 */

static int
azoai_sse_mask_piece(azoai_sse_t *s, azoai_sse_carry_t *c,
    const u_char *carry, size_t carry_len, const u_char *ev, size_t len,
    size_t base, const azoai_restore_span_t *sp)
{
    size_t  total, cut;

    total = carry_len + sp->len;

    s->text = azoai_reserve(s->alloc, s->text, 0, &s->text_size, total,
                            AZOAI_SSE_BUF_INIT);
    if (s->text == NULL) {
        return AZOAI_ERROR;
    }

    memcpy(s->text, carry, carry_len);
    memcpy(s->text + carry_len, ev + base + sp->offset, sp->len);

    if (s->final) {
        return azoai_sse_final(s, s->text, total, sp->level);
    }

    if (azoai_resp_mask_prefix(s->mask, s->text, total, &cut) != AZOAI_OK
        || azoai_restore_string(s->map, NULL, 0, s->mask->buf, s->mask->len,
                                sp->level, NULL, NULL, &s->restored,
                                s->emit, s->emit_data)
           != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    if (cut == total) {
        return AZOAI_OK;
    }

    return azoai_sse_keep(s, c, s->text + cut, total - cut, ev, len, base,
                          sp);
}


/*
 * A whole text, masked and restored in one pass: the masked pieces (the
 * text between matches, each match's rendering) go to the restore as the
 * engine finds them, not through a copy of the text.  No token can span
 * two pieces: a rendering is a bracketed "[TAG...]" of its own.
 */

static int
azoai_sse_mask_text(azoai_sse_t *s, const u_char *raw, size_t len,
    const azoai_restore_span_t *sp)
{
    int  rc;

    s->level = sp->level;
    s->text_at = raw;
    s->text_end = raw + len;

    /* a text without '[' (the walk's flag) is not searched for one */
    s->bracket = (sp->flags & AZOAI_JSON_BRACKET) ? NULL : s->text_end;
    s->mask->out = azoai_sse_masked;
    s->mask->out_data = s;

    rc = azoai_resp_mask_string(s->mask, raw, len, sp->flags);

    s->mask->out = NULL;

    return rc;
}


static int
azoai_sse_masked(void *data, const u_char *p, size_t len)
{
    azoai_sse_t   *s;
    const u_char  *b;

    s = data;

    /*
     * most pieces are text between matches (no '[') or a rendering such
     * as "[EMAIL]" or "[CREDIT_CARD]" (no '_' and digit after its '['): no
     * "[TYPE_n]" in them
     */

    if (s->map == NULL) {
        b = NULL;

    } else if (p >= s->text_at && p + len <= s->text_end) {
        b = azoai_sse_bracket(s, p, len);

    } else if (len && p[0] == '[') {
        b = p;                      /* a rendering "[TAG...]": no search */

    } else {
        b = memchr(p, '[', len);
    }

    if (b == NULL || !azoai_sse_token_like(b, p + len)) {
        return azoai_sse_out(s, p, len);
    }

    return azoai_restore_string(s->map, NULL, 0, p, len, s->level, NULL,
                                NULL, &s->restored, azoai_sse_out, s);
}


/*
 * The first '[' of a piece of the text being masked, or NULL: the pieces
 * come in text order, so the text is searched once, not once a piece
 * (most texts have no '[' at all)
 */

static const u_char *
azoai_sse_bracket(azoai_sse_t *s, const u_char *p, size_t len)
{
    const u_char  *b;

    /* NULL: not searched yet, or the last one found was handed out */

    if (s->bracket == NULL || s->bracket < p) {
        b = memchr(p, '[', s->text_end - p);
        s->bracket = b ? b : s->text_end;
    }

    if (s->bracket >= p + len) {
        return NULL;
    }

    b = s->bracket;
    s->bracket = NULL;

    return b;
}


/*
 * Whether [p, end) has a '_' then a digit 1-9, as every "[TAG_n]" has
 * (n has no leading zero: azoai_restore.c)
 */

static int
azoai_sse_token_like(const u_char *p, const u_char *end)
{
    const u_char  *q;

    for (q = memchr(p, '_', end - p); q; q = memchr(q, '_', end - q)) {
        if (++q < end && *q >= '1' && *q <= '9') {
            return 1;
        }
    }

    return 0;
}


/*
 * Output: bytes of a JSON response's own buffer by reference when the
 * caller takes them so, anything else (renderings, restored values, event
 * streams, whose input is gone after the call) copied: s->emit
 */

static int
azoai_sse_out(void *data, const u_char *p, size_t len)
{
    azoai_sse_t  *s;

    s = data;

    if (len == 0) {
        return 0;
    }

    if (s->ref && s->json && p >= s->buf && p + len <= s->buf + s->len) {
        return s->ref(s->data, p, len);
    }

    return s->emit(s->emit_data, p, len);
}


/*
 * All output goes through here, in order: bytes of the input being fed
 * that follow the run pending right after it join it (the input stays
 * until the feed returns), anything else first writes the run
 */

static int
azoai_sse_emit(void *data, const u_char *p, size_t len)
{
    azoai_sse_t  *s;

    s = data;

    /* the run goes on, or is written (pend_at is NULL when there is none) */

    if (s->pend_at) {
        if (p == s->pend_at + s->pend_len
            && (size_t) (s->in_end - p) >= len)
        {
            s->pend_len += len;
            return 0;
        }

        if (azoai_sse_pending(s)) {
            return -1;
        }
    }

    if (p >= s->in_at && p < s->in_end && (size_t) (s->in_end - p) >= len) {
        s->pend_at = p;
        s->pend_len = len;
        return 0;
    }

    return s->write(s->data, p, len);
}


/* the pending run of input bytes written */

static int
azoai_sse_pending(azoai_sse_t *s)
{
    size_t         len;
    const u_char  *p;

    p = s->pend_at;
    len = s->pend_len;

    s->pend_at = NULL;
    s->pend_len = 0;

    if (len == 0) {
        return 0;
    }

    return s->write(s->data, p, len);
}


/* a text that nothing follows: masked and restored whole */

static int
azoai_sse_final(azoai_sse_t *s, const u_char *raw, size_t len,
    unsigned level)
{
    if (azoai_resp_mask_string(s->mask, raw, len, AZOAI_RESP_MASK_ANY)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    return azoai_restore_string(s->map, NULL, 0, s->mask->buf, s->mask->len,
                                level, NULL, NULL, &s->restored,
                                s->emit, s->emit_data);
}


static int
azoai_sse_append(azoai_sse_t *s, const u_char *p, size_t len)
{
    s->buf = azoai_reserve(s->alloc, s->buf, s->len, &s->size, s->len + len,
                           AZOAI_SSE_BUF_INIT);
    if (s->buf == NULL) {
        return AZOAI_ERROR;
    }

    memcpy(s->buf + s->len, p, len);
    s->len += len;

    if (s->len > s->held) {
        s->held = s->len;
    }

    return AZOAI_OK;
}
