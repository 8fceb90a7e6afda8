/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Data retention: the judgement of what a body asks Azure to keep, and
 * the one-span rewrite that turns it into "store": false.
 */

#include <string.h>

#include "azoai_store.h"


#define AZOAI_STORE_FALSE          "false"
#define AZOAI_STORE_MEMBER         "\"store\":false"


static const char *azoai_store_asks(unsigned responses,
    const azoai_body_result_t *res);
static int azoai_store_object_empty(const u_char *body, size_t len,
    size_t from);


unsigned
azoai_store_judge(unsigned mode, unsigned responses,
    const azoai_body_result_t *res, azoai_decision_t *d)
{
    const char  *why;

    if (mode == AZOAI_STORE_ALLOW || d->reason != AZOAI_ALLOW) {
        return AZOAI_STORE_PASS;
    }

    if (res->background) {
        azoai_decision_deny(d, AZOAI_DATA_RETENTION,
                            "'background': true needs Azure to store the "
                            "response; azoai_store %s refuses it",
                            mode == AZOAI_STORE_OFF ? "off" : "deny");
        return AZOAI_STORE_PASS;
    }

    why = azoai_store_asks(responses, res);

    if (why == NULL) {
        return AZOAI_STORE_PASS;
    }

    if (mode == AZOAI_STORE_DENY) {
        azoai_decision_deny(d, AZOAI_DATA_RETENTION,
                            "%s; azoai_store deny refuses requests that ask "
                            "Azure to keep data", why);
        return AZOAI_STORE_PASS;
    }

    /* off: what cannot be rewritten in one span is refused */

    if (!res->object || res->store == AZOAI_BODY_STORE_CONTAINER) {
        azoai_decision_deny(d, AZOAI_DATA_RETENTION,
                            "%s, and 'store' cannot be set to false in "
                            "it", why);
        return AZOAI_STORE_PASS;
    }

    return AZOAI_STORE_REWRITE;
}


/* why the body asks Azure to keep data, NULL if it does not */

static const char *
azoai_store_asks(unsigned responses, const azoai_body_result_t *res)
{
    if (res->store == AZOAI_BODY_STORE_TRUE) {
        return "the request asks Azure to store it ('store': true)";
    }

    if (!responses || res->store == AZOAI_BODY_STORE_FALSE) {
        return NULL;
    }

    if (res->store == AZOAI_BODY_STORE_ABSENT) {
        return "Azure stores Responses API requests that do not say "
               "'store': false";
    }

    return "Azure stores Responses API requests whose 'store' is not "
           "false";
}


int
azoai_store_rewrite(azoai_body_result_t *res, const u_char *body,
    size_t len, azoai_alloc_t *a, u_char **out, size_t *out_len)
{
    size_t              at, end, n, i;
    u_char             *buf, *p;
    const char         *text;
    azoai_pii_match_t  *m;

    if (res->store != AZOAI_BODY_STORE_ABSENT) {
        at = res->store_start;
        end = res->store_end;
        text = AZOAI_STORE_FALSE;
        n = sizeof(AZOAI_STORE_FALSE) - 1;

    } else {
        at = res->object_start + 1;
        end = at;
        text = AZOAI_STORE_MEMBER ",";
        n = sizeof(AZOAI_STORE_MEMBER ",") - 1;

        if (azoai_store_object_empty(body, len, at)) {
            n--;
        }
    }

    if (!res->object || at > end || end > len) {
        return AZOAI_ERROR;
    }

    buf = azoai_alloc(a, len - (end - at) + n + 1);
    if (buf == NULL) {
        return AZOAI_ERROR;
    }

    p = buf;
    memcpy(p, body, at);
    p += at;
    memcpy(p, text, n);
    p += n;
    memcpy(p, body + end, len - end);
    p += len - end;

    /* matches are inside strings: none overlaps the edit */

    for (i = 0; i < res->nmatches; i++) {
        m = &res->matches[i];

        if (m->start >= end) {
            m->start = m->start - (end - at) + n;
            m->end = m->end - (end - at) + n;
        }
    }

    *out = buf;
    *out_len = p - buf;

    return AZOAI_OK;
}


/* only blanks between the '{' and its '}' */

static int
azoai_store_object_empty(const u_char *body, size_t len, size_t from)
{
    size_t  i;

    for (i = from; i < len; i++) {
        switch (body[i]) {
        case ' ': case '\t': case '\r': case '\n':
            continue;
        default:
            return body[i] == '}';
        }
    }

    return 0;
}
