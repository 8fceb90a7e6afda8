/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target for JSONL and batch lines (azoai_batch.c).  Besides
 * crashes it checks, and abort()s on a violation:
 *
 *   - lines are inside the input, in order, hold no LF and not only
 *     blanks, and their numbers grow;
 *   - a valid batch line is valid JSON, its body span lies inside it and
 *     is a valid JSON object, its url span lies inside it;
 *   - an error has a text;
 *   - judging the url of a valid line never fails but on allocation.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../test_util.h"
#include "azoai_json.h"
#include "azoai_batch.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_batch_line(const u_char *line, size_t len,
    azoai_alloc_t *a);


static void
fuzz_batch_line(const u_char *line, size_t len, azoai_alloc_t *a)
{
    azoai_decision_t     d;
    azoai_json_status_t  st;
    azoai_batch_line_t   bl;
    azoai_policy_conf_t  pc;

    azoai_batch_line(line, len, &bl);

    if (bl.error != AZOAI_BATCH_OK) {
        if (bl.error_text[0] == '\0') {
            abort();
        }

        return;
    }

    if (azoai_json_walk(line, len, NULL, NULL, &st) != AZOAI_JSON_OK
        || bl.body.data != line + bl.body_offset
        || bl.body_offset + bl.body.len > len
        || bl.body.len < 2 || bl.body.data[0] != '{'
        || bl.body.data[bl.body.len - 1] != '}'
        || azoai_json_walk(bl.body.data, bl.body.len, NULL, NULL, &st)
           != AZOAI_JSON_OK
        || bl.url.data < line || bl.url.data + bl.url.len > line + len)
    {
        abort();
    }

    memset(&pc, 0, sizeof(azoai_policy_conf_t));

    if (azoai_batch_check_url(&pc, &bl, a, &d) != AZOAI_OK) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          pos, number, last, i;
    azoai_str_t     line;
    test_arena_t    arena;
    azoai_alloc_t   a;

    memset(&arena, 0, sizeof(arena));
    a = test_arena_allocator(&arena);

    pos = 0;
    number = 0;
    last = 0;

    while (azoai_jsonl_next(data, size, &pos, &number, &line)) {
        if (line.data < data + last || line.data + line.len > data + size
            || memchr(line.data, '\n', line.len) != NULL
            || number == 0 || pos > size)
        {
            abort();
        }

        for (i = 0; i < line.len; i++) {
            if (line.data[i] != ' ' && line.data[i] != '\t'
                && line.data[i] != '\r')
            {
                break;
            }
        }

        if (i == line.len) {
            abort();
        }

        last = pos;

        fuzz_batch_line(line.data, line.len, &a);
    }

    if (pos != size) {
        abort();
    }

    test_arena_free(&arena);

    return 0;
}
