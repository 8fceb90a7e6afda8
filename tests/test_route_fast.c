/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The classifier's fast path against the general classifier: every
 * request of a corpus of paths x queries x methods x headers (common and
 * hostile: case, escapes, empty and dot segments, odd bytes, repeated or
 * encoded api-version, preview versions and features) and of random
 * mutations of the common ones is classified by azoai_route_classify()
 * (fast path first) and by azoai_route_classify_full(); the two must agree
 * field by field, and the fast path must decide the common requests.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "route_diff.h"
#include "azoai_route_query.h"


#define N(a)           (sizeof(a) / sizeof((a)[0]))
#define MUTATIONS      200000
#define MUTATED_MAX    160
#define DATES          200000


/* the header a request carries, by number */
enum {
    HDR_NONE = 0,
    HDR_EVALS,
    HDR_EVALS_EMPTY,
    HDR_COPY,
    HDR_REPEAT,
    HDR_SPILL,
    HDR_N
};


static void route_fast_request(azoai_request_t *req, const char *method,
    const u_char *path, size_t path_len, const u_char *args, size_t args_len,
    unsigned header);
static unsigned route_fast_compare(const azoai_request_t *req,
    const char *what);
static int route_fast_date_ref(const u_char *v);
static void route_fast_date_check(const u_char *v);


static const char  *paths[] = {
    /* what the fast path takes */
    "/openai/deployments/chat-prod/chat/completions",
    "/openai/deployments/chat-prod/completions",
    "/openai/deployments/chat-prod/embeddings",
    "/openai/deployments/chat/completions",
    "/openai/deployments/completions/completions",
    "/openai/deployments/embeddings/embeddings",
    "/openai/deployments/alpha/chat/completions",
    "/openai/deployments/v1/chat/completions",
    "/openai/deployments/x/chat/completions",
    "/openai/deployments/.../chat/completions",
    "/openai/deployments/.x/embeddings",
    "/openai/deployments/a~b!c$d'e(f)g*h+i,j=k:l@m/chat/completions",
    "/openai/v1/chat/completions",
    "/openai/v1/embeddings",
    "/openai/v1/responses",

    /* case */
    "/OpenAI/deployments/chat-prod/chat/completions",
    "/openai/Deployments/chat-prod/chat/completions",
    "/openai/deployments/chat-prod/Chat/completions",
    "/openai/deployments/chat-prod/chat/COMPLETIONS",
    "/openai/deployments/Chat-Prod/chat/completions",
    "/openai/V1/chat/completions",
    "/openai/v1/Responses",

    /* escapes and odd bytes */
    "/openai/deployments/chat%2Dprod/chat/completions",
    "/openai/deployments/chat-prod/chat%2Fcompletions",
    "/%6Fpenai/deployments/chat-prod/chat/completions",
    "/openai/deployments/chat;prod/chat/completions",
    "/openai/deployments/chat\\prod/chat/completions",
    "/openai/deployments/chat prod/chat/completions",
    "/openai/deployments/chat\x7fprod/chat/completions",
    "/openai/deployments/chat\x80prod/chat/completions",
    "/openai/deployments/chat\tprod/embeddings",
    "/openai/v1/chat/completions;x",
    "/openai/v1/responses%20",

    /* empty and dot segments, extra segments */
    "/openai/deployments//chat/completions",
    "/openai/deployments/./chat/completions",
    "/openai/deployments/../chat/completions",
    "/openai/deployments/a/../chat/completions",
    "/openai//deployments/chat-prod/chat/completions",
    "/openai/deployments/chat-prod//chat/completions",
    "/openai/deployments/chat-prod/chat//completions",
    "/openai/deployments/chat-prod/chat/completions/",
    "/openai/deployments/a/b/chat/completions",
    "/openai/deployments/a/b/embeddings",
    "/openai/deployments/chat-prod/extensions/chat/completions",
    "/openai/deployments/chat-prod/images/generations",
    "/openai/deployments/chat-prod",
    "/openai/deployments/",
    "/openai/deployments",
    "/openai/v1//chat/completions",
    "/openai/v1/chat/completions/",
    "/openai/v1/alpha/responses",
    "/openai/v1/responses/resp_1",
    "/openai/v1/responses/compact",
    "/openai/v1/",
    "/openai/v1",
    "/openai/v1/evals",
    "/openai/v1/images/generations",
    "/openai/responses",
    "/openai/realtime",
    "/openai/",
    "/openai",
    "/openai./deployments/x/chat/completions",
    "/openaix/v1/chat/completions",
    "/x/openai/v1/chat/completions",
    "//openai/v1/chat/completions",
    "/./openai/v1/chat/completions",
    "/healthz",
    ""
};


static const char  *queries[] = {
    "",
    "api-version=2024-10-21",
    "api-version=2025-04-01-preview",
    "api-version=v1",
    "api-version=V1",
    "api-version=preview",
    "api-version=latest",
    "api-version=",
    "api-version",
    "api-version=2024-1O-21",
    "api-version=2024-10-21=x",
    "api-version=2024-10-21 ",
    "API-VERSION=2024-10-21",
    "Api-Version=2024-10-21",
    "api-version=2024-10-21&api-version=2024-10-21",
    "api-version=v1&api-version=2025-01-01-preview",
    "api-version=2024-10-21&x=1",
    "api-version=2024-10-21&",
    "&api-version=2024-10-21",
    "x=1&api-version=2024-10-21",
    "api-version=2024-10-21&deployment=x",
    "api-version=2024-10-21&model=x",
    "api-version=2024%2D10-21",
    "api-version=2024-10-21+",
    "api-version=2024-10-21%",
    "api%2Dversion=2024-10-21",
    "api-version+=2024-10-21",
    "api-versionx=2024-10-21",
    "api-versio=2024-10-21",
    "deployment=chat-prod",
    "api-version=2024-10-21#",
    "api-version=2024-10-21#&api-version=2025-04-01-preview",
    "api-version=v1#x",
    "x"
};


static const char  *methods[] = {
    "POST", "GET", "post", "PUT", "PATCH", "DELETE", "HEAD", "POSTX", ""
};


static void
route_fast_request(azoai_request_t *req, const char *method,
    const u_char *path, size_t path_len, const u_char *args, size_t args_len,
    unsigned header)
{
    memset(req, 0, sizeof(azoai_request_t));

    req->method.data = (const u_char *) method;
    req->method.len = strlen(method);
    req->path.data = path;
    req->path.len = path_len;
    req->args.data = args;
    req->args.len = args_len;

    switch (header) {

    case HDR_EVALS:
        req->evals.data = (const u_char *) "1";
        req->evals.len = 1;
        break;

    case HDR_EVALS_EMPTY:
        req->evals.data = (const u_char *) "";
        break;

    case HDR_COPY:
        req->copy_checkpoints.data = (const u_char *) "1";
        req->copy_checkpoints.len = 1;
        break;

    case HDR_REPEAT:
        req->spillover.data = (const u_char *) "other";
        req->spillover.len = 5;
        req->header_repeated = 1;
        break;

    case HDR_SPILL:
        req->spillover.data = (const u_char *) "other";
        req->spillover.len = 5;
        break;
    }
}


/*
 * classifies req both ways and fails on the first difference; returns 1
 * if the fast path decided it
 */

static unsigned
route_fast_compare(const azoai_request_t *req, const char *what)
{
    unsigned        fast;
    const char     *field;
    test_arena_t    arena;
    azoai_alloc_t   a;
    azoai_route_t   fast_route, route, full;

    memset(&arena, 0, sizeof(test_arena_t));
    a = test_arena_allocator(&arena);

    memset(&fast_route, 0xa5, sizeof(azoai_route_t));
    fast = azoai_route_fast(req, &fast_route);

    assert_int_equal(azoai_route_classify(req, &route, &a), AZOAI_OK);
    assert_int_equal(azoai_route_classify_full(req, &full, &a), AZOAI_OK);

    /* the fast path allocates nothing: same bytes, same pointers */
    field = route_diff(&route, &full, fast);

    if (field == NULL && fast) {
        field = route_diff(&fast_route, &full, 1);
    }

    if (field) {
        fail_msg("%s: %s \"%.*s\" ? \"%.*s\" (fast %u): %s differs", what,
                 (const char *) req->method.data, (int) req->path.len,
                 (const char *) req->path.data, (int) req->args.len,
                 (const char *) req->args.data, fast, field);
    }

    test_arena_free(&arena);

    return fast;
}


static void
test_route_fast_corpus(void **state)
{
    size_t           p, q, m, h, n, fast;
    azoai_request_t  req;

    n = 0;
    fast = 0;

    for (p = 0; p < N(paths); p++) {
        for (q = 0; q < N(queries); q++) {
            for (m = 0; m < N(methods); m++) {
                for (h = 0; h < HDR_N; h++) {
                    route_fast_request(&req, methods[m],
                                       (const u_char *) paths[p],
                                       strlen(paths[p]),
                                       (const u_char *) queries[q],
                                       strlen(queries[q]), h);

                    fast += route_fast_compare(&req, "corpus");
                    n++;
                }
            }
        }
    }

    /*
     * 16 paths (the first 15 and a name in upper case) x 11 queries
     * (empty, and "api-version=" with a value without '&', '%' or '+') x
     * POST x 3 headers (none, empty evals, spillover)
     */

    print_message("fast path: %zu of %zu requests\n", fast, n);
    assert_int_equal(fast, 16 * 11 * 3);
}


/* the requests the bench and most clients send take the fast path */

static void
test_route_fast_taken(void **state)
{
    size_t           i;
    azoai_route_t    route;
    azoai_request_t  req;

    static const char  *taken[][2] = {
        { "/openai/deployments/chat-prod/chat/completions",
          "api-version=2024-10-21" },
        { "/openai/deployments/chat-prod/embeddings",
          "api-version=2024-10-21" },
        { "/openai/deployments/chat-prod/chat/completions",
          "api-version=2025-04-01-preview" },
        { "/openai/v1/chat/completions", "" },
        { "/openai/v1/responses", "api-version=v1" },
        { "/openai/v1/embeddings", "" },
    };

    for (i = 0; i < N(taken); i++) {
        route_fast_request(&req, "POST", (const u_char *) taken[i][0],
                           strlen(taken[i][0]),
                           (const u_char *) taken[i][1],
                           strlen(taken[i][1]), HDR_NONE);

        if (!azoai_route_fast(&req, &route)) {
            fail_msg("not on the fast path: %s?%s", taken[i][0],
                     taken[i][1]);
        }

        assert_int_equal(route_fast_compare(&req, "taken"), 1);
    }
}


/*
 * Every byte at every place of deployment names of 1 to 20 bytes (the
 * vector test of names up to 16 bytes, the loop past them), with the
 * shortest and a long rule after the name: as the full classifier says
 */

static void
test_route_fast_name_bytes(void **state)
{
    size_t           len, pos, r, n, fast;
    unsigned         b;
    u_char           path[128];
    azoai_request_t  req;

    static const char   prefix[] = "/openai/deployments/";
    static const char  *rules[] = { "/embeddings", "/chat/completions" };

    fast = 0;

    for (r = 0; r < 2; r++) {
        for (len = 1; len <= 20; len++) {
            for (pos = 0; pos < len; pos++) {
                for (b = 0; b < 256; b++) {
                    n = sizeof(prefix) - 1;
                    memcpy(path, prefix, n);
                    memset(path + n, 'a', len);
                    path[n + pos] = (u_char) b;
                    memcpy(path + n + len, rules[r], strlen(rules[r]));
                    n += len + strlen(rules[r]);

                    route_fast_request(&req, "POST", path, n,
                                       (const u_char *) "api-version="
                                                        "2024-10-21",
                                       sizeof("api-version=2024-10-21") - 1,
                                       HDR_NONE);

                    fast += route_fast_compare(&req, "name byte");
                }
            }
        }
    }

    print_message("fast path: %zu names\n", fast);
    assert_true(fast > 0);
}


/* the common requests with bytes replaced, inserted or removed */

static void
test_route_fast_mutations(void **state)
{
    size_t           i, k, len, split, pos, fast;
    u_char           buf[MUTATED_MAX];
    uint32_t         seed;
    const char      *path, *query;
    azoai_request_t  req;

    static const u_char  bytes[] = "/%.;\\ ?&=+-_~aAcCvV01\x00\x7f\x80\xff";

    seed = 0x9e3779b9;
    fast = 0;

    for (i = 0; i < MUTATIONS; i++) {
        path = paths[test_random(&seed) % 15];
        query = queries[test_random(&seed) % 12];

        len = strlen(path);
        split = len;
        memcpy(buf, path, len);
        memcpy(buf + len, query, strlen(query));
        len += strlen(query);

        for (k = test_random(&seed) % 3 + 1; k > 0; k--) {
            pos = test_random(&seed) % (len + 1);

            switch (test_random(&seed) % 3) {

            case 0:
                if (pos < len) {
                    buf[pos] = bytes[test_random(&seed)
                                     % (sizeof(bytes) - 1)];
                }

                break;

            case 1:
                if (len < MUTATED_MAX) {
                    memmove(buf + pos + 1, buf + pos, len - pos);
                    buf[pos] = bytes[test_random(&seed)
                                     % (sizeof(bytes) - 1)];
                    len++;
                    split += (pos < split);
                }

                break;

            default:
                if (pos < len) {
                    memmove(buf + pos, buf + pos + 1, len - pos - 1);
                    len--;
                    split -= (pos < split);
                }

                break;
            }
        }

        route_fast_request(&req, "POST", buf, split, buf + split,
                           len - split, test_random(&seed) % HDR_N);

        fast += route_fast_compare(&req, "mutation");
    }

    print_message("fast path: %zu of %d mutations\n", fast, MUTATIONS);

    /* both outcomes are exercised (~4% stay on the fast path) */
    assert_true(fast > MUTATIONS / 50);
    assert_true(fast < MUTATIONS);
}


/* the byte by byte check azoai_api_version_is_date() replaced */

static int
route_fast_date_ref(const u_char *v)
{
    size_t  i;

    for (i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (v[i] != '-') {
                return 0;
            }

        } else if (v[i] < '0' || v[i] > '9') {
            return 0;
        }
    }

    return 1;
}


static void
route_fast_date_check(const u_char *v)
{
    if (azoai_api_version_is_date(v) != route_fast_date_ref(v)) {
        fail_msg("\"%.10s\": date check %d, byte by byte %d",
                 (const char *) v, azoai_api_version_is_date(v),
                 route_fast_date_ref(v));
    }
}


/* every byte at every place of a date, and random 10-byte values */

static void
test_route_fast_date(void **state)
{
    size_t    i, k, dates;
    u_char    v[10];
    uint32_t  seed;

    static const u_char  bytes[] = "0123456789-/:.+ aZ\x00\x7f\x80\xb0\xff";

    for (i = 0; i < 10; i++) {
        for (k = 0; k < 256; k++) {
            memcpy(v, "2024-10-21", 10);
            v[i] = (u_char) k;
            route_fast_date_check(v);
        }
    }

    seed = 0x2545f491;
    dates = 0;

    for (i = 0; i < DATES; i++) {
        memcpy(v, "2024-10-21", 10);

        for (k = 0; k < 10; k++) {
            if (test_random(&seed) % 4 == 0) {
                v[k] = bytes[test_random(&seed) % (sizeof(bytes) - 1)];
            }
        }

        route_fast_date_check(v);
        dates += route_fast_date_ref(v);
    }

    /* both answers were exercised */
    assert_true(dates > DATES / 20);
    assert_true(dates < DATES);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_route_fast_corpus),
        cmocka_unit_test(test_route_fast_taken),
        cmocka_unit_test(test_route_fast_name_bytes),
        cmocka_unit_test(test_route_fast_mutations),
        cmocka_unit_test(test_route_fast_date),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
