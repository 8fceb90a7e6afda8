/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * JSONL lines and batch lines.  A batch line is
 * {"custom_id": ..., "method": "POST", "url": "/chat/completions",
 *  "body": {"model": "deployment", ...}}: the strict tokenizer validates
 * it, the top-level "body" and "url" must each be there once, and the
 * body span goes to the body layer, which finds its "model" with the
 * rules of a request body.
 */

#include <stdio.h>
#include <string.h>

#include "azoai_json.h"
#include "azoai_batch.h"


#define AZOAI_BATCH_V1           "/openai/v1"
#define AZOAI_BATCH_OPENAI       "/openai"


typedef struct {
    azoai_batch_line_t  *bl;
    unsigned             urls;
} azoai_batch_ctx_t;


static int azoai_batch_visit(void *data, const azoai_json_value_t *v);
static void azoai_batch_fail(azoai_batch_line_t *bl, unsigned error,
    const char *text);


int
azoai_jsonl_next(const u_char *data, size_t len, size_t *pos,
    size_t *number, azoai_str_t *line)
{
    size_t         i;
    const u_char  *p, *lf, *end;

    end = data + len;

    while (*pos < len) {
        p = data + *pos;

        lf = memchr(p, '\n', end - p);
        if (lf == NULL) {
            lf = end;
        }

        *pos = (lf == end) ? len : (size_t) (lf + 1 - data);
        (*number)++;

        for (i = 0; p + i < lf; i++) {
            if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') {
                line->data = p;
                line->len = lf - p;
                return 1;
            }
        }
    }

    return 0;
}


void
azoai_batch_line(const u_char *line, size_t len, azoai_batch_line_t *bl)
{
    azoai_batch_ctx_t    ctx;
    azoai_json_status_t  st;

    memset(bl, 0, sizeof(azoai_batch_line_t));

    ctx.bl = bl;
    ctx.urls = 0;

    switch (azoai_json_walk(line, len, azoai_batch_visit, &ctx, &st)) {

    case AZOAI_JSON_OK:
        break;

    case AZOAI_JSON_STOPPED:
        return;

    default:
        bl->error = AZOAI_BATCH_INVALID;
        snprintf(bl->error_text, sizeof(bl->error_text),
                 "not valid JSON at byte %zu: %s", st.offset, st.reason);
        return;
    }

    if (bl->bodies == 0) {
        azoai_batch_fail(bl, AZOAI_BATCH_AMBIGUOUS,
                         "no \"body\": the line names no deployment");

    } else if (ctx.urls == 0) {
        azoai_batch_fail(bl, AZOAI_BATCH_AMBIGUOUS, "no \"url\"");
    }
}


static int
azoai_batch_visit(void *data, const azoai_json_value_t *v)
{
    azoai_batch_ctx_t   *ctx;
    azoai_batch_line_t  *bl;

    ctx = data;
    bl = ctx->bl;

    if (v->depth == 0) {
        if (v->type != AZOAI_JSON_OBJECT) {
            azoai_batch_fail(bl, AZOAI_BATCH_INVALID,
                             "the line is not a JSON object");
            return 1;
        }

        return 0;
    }

    if (v->depth != 1) {
        return 0;
    }

    if (azoai_json_key_is(&v->path[0], "body")) {
        if (v->type != AZOAI_JSON_OBJECT) {
            azoai_batch_fail(bl, AZOAI_BATCH_AMBIGUOUS,
                             "\"body\" is not an object");
            return 1;
        }

        if (!v->closing) {
            if (++bl->bodies > 1) {
                azoai_batch_fail(bl, AZOAI_BATCH_AMBIGUOUS,
                                 "\"body\" given more than once");
                return 1;
            }

            return 0;
        }

        bl->body = v->raw;
        bl->body_offset = v->offset;

        return 0;
    }

    if (azoai_json_key_is(&v->path[0], "url")) {
        if (v->type != AZOAI_JSON_STRING) {
            azoai_batch_fail(bl, AZOAI_BATCH_AMBIGUOUS,
                             "\"url\" is not a string");
            return 1;
        }

        if (++ctx->urls > 1) {
            azoai_batch_fail(bl, AZOAI_BATCH_AMBIGUOUS,
                             "\"url\" given more than once");
            return 1;
        }

        bl->url = v->raw;
        bl->url_flags = v->flags;
    }

    return 0;
}


static void
azoai_batch_fail(azoai_batch_line_t *bl, unsigned error, const char *text)
{
    bl->error = error;
    snprintf(bl->error_text, sizeof(bl->error_text), "%s", text);
}


int
azoai_batch_check_url(const azoai_policy_conf_t *pc,
    const azoai_batch_line_t *bl, azoai_alloc_t *a, azoai_decision_t *d)
{
    size_t            n, pre, url_len;
    u_char           *path, *q;
    azoai_route_t     route;
    azoai_request_t   req;
    u_char            url[AZOAI_BATCH_URL_MAX];

    azoai_decision_init(d);

    if ((bl->url_flags & AZOAI_JSON_LONE_SURROGATE)
        || azoai_json_decode_string(bl->url.data, bl->url.len, url,
                                    sizeof(url), &url_len)
           != AZOAI_OK
        || url_len == 0 || url[0] != '/')
    {
        azoai_decision_deny(d, AZOAI_AMBIGUOUS,
                            "\"url\" is not a path of at most %d bytes",
                            AZOAI_BATCH_URL_MAX);
        return AZOAI_OK;
    }

    if (url_len >= 3 && memcmp(url, "/v1", 3) == 0
        && (url_len == 3 || url[3] == '/' || url[3] == '?'))
    {
        pre = sizeof(AZOAI_BATCH_OPENAI) - 1;

    } else {
        pre = sizeof(AZOAI_BATCH_V1) - 1;
    }

    path = azoai_alloc(a, pre + url_len);
    if (path == NULL) {
        return AZOAI_ERROR;
    }

    memcpy(path, AZOAI_BATCH_V1, pre);
    memcpy(path + pre, url, url_len);
    n = pre + url_len;

    memset(&req, 0, sizeof(azoai_request_t));
    req.method.data = (const u_char *) "POST";
    req.method.len = sizeof("POST") - 1;
    req.path.data = path;
    req.path.len = n;

    q = memchr(path, '?', n);
    if (q != NULL) {
        req.path.len = q - path;
        req.args.data = q + 1;
        req.args.len = n - (q + 1 - path);
    }

    if (azoai_route_classify(&req, &route, a) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    azoai_policy_check_route(pc, &req, &route, d);

    if (d->reason == AZOAI_ALLOW && route.deployment_from != AZOAI_DEP_BODY) {
        azoai_decision_deny(d, AZOAI_INVALID_BODY,
                            "\"url\" is not an endpoint batch jobs take "
                            "(chat/completions, embeddings, responses)");
    }

    return AZOAI_OK;
}
