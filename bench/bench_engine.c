/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Engine benchmark: azoai_body_inspect() + azoai_body_rewrite() with every
 * built-in PII detector enabled, over a PII-free 1 MB prompt built here
 * and over the JSON bodies named on the command line.  One line per input:
 * name, size, MB/s, matches.
 *
 *   cc -O2 -I ngx_http_azoai_module/core bench/bench_engine.c \
 *       ngx_http_azoai_module/core/\*.c -lpcre2-8 -lcjson -lcrypto
 *   ./a.out build/bench-bodies/\*.json     # from bench/gen-bodies.pl
 *
 * BENCH_SECONDS (default 1) sets the time spent per input; BENCH_ITERS,
 * when set, runs exactly that many iterations per input instead and
 * prints them in place of MB/s (for instruction counts under callgrind:
 * the same work on every run).
 * BENCH_CLEAN=0 skips the built 1 MB prompt.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azoai_core.h"
#include "azoai_pii.h"
#include "azoai_body.h"


#define BENCH_CLEAN_SIZE  (1024 * 1024)


/* a bump arena that plays the request pool, reset for each run */
typedef struct {
    u_char          *start;
    size_t           size;
    size_t           used;
} bench_arena_t;


static void *bench_alloc(void *pool, size_t size);
static u_char *bench_clean_body(size_t *len);
static u_char *bench_read_file(const char *path, size_t *len);
static double bench_now(void);
static int bench_run(const azoai_pii_engine_t *e, const char *name,
    const u_char *body, size_t len, double seconds, size_t fixed);


static void *
bench_alloc(void *pool, size_t size)
{
    void           *p;
    bench_arena_t  *arena = pool;

    size = (size + 15) & ~(size_t) 15;

    if (arena->size - arena->used < size) {
        return NULL;
    }

    p = arena->start + arena->used;
    arena->used += size;

    return p;
}


static double
bench_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* a chat request whose prompt is 1 MB of prose: no digits, no '@' */

static u_char *
bench_clean_body(size_t *len)
{
    size_t   n, w;
    u_char  *body;

    static const char  head[] =
        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":"
        "\"You are a helpful assistant.\"},{\"role\":\"user\",\"content\":\"";
    static const char  tail[] = "\"}],\"temperature\":0.2}";
    static const char  *words[] = {
        "the", "quarterly", "report", "shows", "that", "customer",
        "satisfaction", "improved", "across", "regions,", "while", "support",
        "tickets", "about", "billing", "declined.", "Please", "summarize",
        "findings", "for", "executive", "team", "and", "suggest", "next",
        "steps;", "keep", "it", "brief", "\\n\\n", "\\\"quoted\\\"", "with",
        "caf\xc3\xa9", "na\xc3\xafve", "r\xc3\xa9sum\xc3\xa9", "-", "(see",
        "appendix)", "weather", "forecast", "meeting"
    };

    body = malloc(BENCH_CLEAN_SIZE + 64);
    if (body == NULL) {
        return NULL;
    }

    memcpy(body, head, sizeof(head) - 1);
    n = sizeof(head) - 1;
    w = 0;

    while (n < BENCH_CLEAN_SIZE - sizeof(tail) - 32) {
        w = (w * 1103515245 + 12345) & 0x7fffffff;
        n += sprintf((char *) body + n, "%s ",
                     words[(w >> 8) % (sizeof(words) / sizeof(words[0]))]);
    }

    memcpy(body + n, tail, sizeof(tail) - 1);
    n += sizeof(tail) - 1;

    *len = n;

    return body;
}


static u_char *
bench_read_file(const char *path, size_t *len)
{
    long     size;
    FILE    *fp;
    u_char  *buf;

    fp = fopen(path, "rb");
    if (fp == NULL) {
        return NULL;
    }

    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0
        || fseek(fp, 0, SEEK_SET) != 0)
    {
        fclose(fp);
        return NULL;
    }

    buf = malloc(size ? size : 1);

    if (buf == NULL || fread(buf, 1, size, fp) != (size_t) size) {
        free(buf);
        fclose(fp);
        return NULL;
    }

    fclose(fp);
    *len = size;

    return buf;
}


static int
bench_run(const azoai_pii_engine_t *e, const char *name, const u_char *body,
    size_t len, double seconds, size_t fixed)
{
    u_char               *out;
    size_t                out_len, iters, matches;
    double                start, elapsed;
    azoai_alloc_t         a;
    bench_arena_t         arena;
    azoai_body_result_t   result;

    arena.size = 64 * 1024 * 1024 + 24 * len;
    arena.start = malloc(arena.size);
    if (arena.start == NULL) {
        return -1;
    }

    a.alloc = bench_alloc;
    a.pool = &arena;

    iters = 0;
    matches = 0;
    start = bench_now();

    do {
        arena.used = 0;

        if (azoai_body_inspect(e, body, len, &a, &result) != AZOAI_OK
            || result.error != AZOAI_BODY_OK)
        {
            fprintf(stderr, "%s: inspect failed (%u: %s)\n", name,
                    result.error, result.error_text);
            free(arena.start);
            return -1;
        }

        if (result.nmatches
            && azoai_body_rewrite(e, &result, body, len, &a, &out, &out_len)
               != AZOAI_OK)
        {
            fprintf(stderr, "%s: rewrite failed\n", name);
            free(arena.start);
            return -1;
        }

        matches = result.nmatches;
        iters++;
        elapsed = bench_now() - start;

    } while (fixed ? iters < fixed : (elapsed < seconds || iters < 3));

    if (fixed) {
        /*
         * counted by callgrind (bench/engine-instr.sh): no timing, whose
         * formatting took a different number of instructions each run
         * (up to 0.07 instructions a byte of the 1 KB body)
         */
        printf("%-24s %9zu bytes %9zu iterations %6zu matches\n", name, len,
               iters, matches);

    } else {
        printf("%-24s %9zu bytes %9.1f MB/s %6zu matches\n", name, len,
               (double) len * iters / elapsed / 1e6, matches);
    }

    free(arena.start);

    return 0;
}


int
main(int argc, char **argv)
{
    int                  i, rc;
    char                 err[256];
    size_t               len, fixed;
    double               seconds;
    u_char              *body;
    unsigned             t;
    const char          *env, *name;
    azoai_pii_engine_t  *e;

    env = getenv("BENCH_SECONDS");
    seconds = env ? atof(env) : 1.0;

    env = getenv("BENCH_ITERS");
    fixed = env ? strtoul(env, NULL, 10) : 0;

    e = azoai_pii_engine_create();
    if (e == NULL) {
        return 1;
    }

    for (t = 0; t < AZOAI_PII_BUILTIN_N; t++) {
        azoai_pii_engine_enable(e, t, AZOAI_PII_ACTION_MASK);
    }

    if (azoai_pii_engine_finalize(e, err, sizeof(err)) != AZOAI_OK) {
        fprintf(stderr, "finalize: %s\n", err);
        return 1;
    }

    rc = 0;

    env = getenv("BENCH_CLEAN");

    if (env == NULL || strcmp(env, "0") != 0) {
        body = bench_clean_body(&len);
        if (body == NULL || bench_run(e, "clean-1m (built)", body, len,
                                      seconds, fixed) != 0)
        {
            rc = 1;
        }

        free(body);
    }

    for (i = 1; i < argc; i++) {
        body = bench_read_file(argv[i], &len);
        if (body == NULL) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            rc = 1;
            continue;
        }

        name = strrchr(argv[i], '/');
        name = name ? name + 1 : argv[i];

        if (bench_run(e, name, body, len, seconds, fixed) != 0) {
            rc = 1;
        }

        free(body);
    }

    azoai_pii_engine_free(e);

    return rc;
}
