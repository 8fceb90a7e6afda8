/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The token estimate of a request body: one walk with the JSON tokenizer.
 */

#include <string.h>

#include "azoai_estimate.h"
#include "azoai_json.h"
#include "azoai_tlimit.h"


static int azoai_estimate_visit(void *data, const azoai_json_value_t *v);
static void azoai_estimate_max(azoai_estimate_t *e,
    const azoai_json_value_t *v);
static int azoai_estimate_is_max_key(const azoai_json_frame_t *f);


void
azoai_estimate_body(const u_char *body, size_t len, azoai_estimate_t *e)
{
    azoai_json_status_t  status;

    memset(e, 0, sizeof(azoai_estimate_t));

    if (azoai_json_walk(body, len, azoai_estimate_visit, e, &status)
        != AZOAI_JSON_OK)
    {
        e->invalid = 1;
        e->text_bytes = len > (size_t) AZOAI_TLIMIT_MAX
                        ? AZOAI_TLIMIT_MAX : (int64_t) len;
        e->max_output = 0;
        e->max_ignored = 0;
    }

    e->prompt = (e->text_bytes + AZOAI_ESTIMATE_BYTES_PER_TOKEN - 1)
                / AZOAI_ESTIMATE_BYTES_PER_TOKEN;
    e->total = azoai_tlimit_add(e->prompt, e->max_output);
}


static int
azoai_estimate_visit(void *data, const azoai_json_value_t *v)
{
    azoai_estimate_t  *e = data;

    switch (v->type) {

    case AZOAI_JSON_STRING:
        if (v->raw.len >= sizeof("data:") - 1
            && memcmp(v->raw.data, "data:", sizeof("data:") - 1) == 0)
        {
            break;
        }

        e->text_bytes = azoai_tlimit_add(e->text_bytes,
                                         (int64_t) v->raw.len);

        /* fall through */

    default:
        if (v->depth == 1 && !v->closing
            && v->path[0].type == AZOAI_JSON_OBJECT
            && azoai_estimate_is_max_key(&v->path[0]))
        {
            azoai_estimate_max(e, v);
        }

        break;
    }

    return 0;
}


static int
azoai_estimate_is_max_key(const azoai_json_frame_t *f)
{
    return azoai_json_key_is(f, "max_tokens")
           || azoai_json_key_is(f, "max_completion_tokens")
           || azoai_json_key_is(f, "max_output_tokens");
}


/* a plain non-negative integer; 13 digits and more are over the cap */

static void
azoai_estimate_max(azoai_estimate_t *e, const azoai_json_value_t *v)
{
    size_t   i;
    int64_t  n;

    if (v->type != AZOAI_JSON_NUMBER) {
        if (v->type != AZOAI_JSON_NULL) {
            e->max_ignored = 1;
        }

        return;
    }

    n = 0;

    for (i = 0; i < v->raw.len; i++) {
        if (v->raw.data[i] < '0' || v->raw.data[i] > '9') {
            e->max_ignored = 1;
            return;
        }

        if (n < AZOAI_TLIMIT_MAX) {
            n = n * 10 + (v->raw.data[i] - '0');
        }
    }

    n = azoai_tlimit_add(n, 0);

    if (n > e->max_output) {
        e->max_output = n;
    }
}
