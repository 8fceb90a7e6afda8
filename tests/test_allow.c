/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Per-consumer deployments: the glob, the list split at spaces, names
 * and patterns outside the grammar, and the names of the request line
 * and headers.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"
#include "azoai_allow.h"


#define S(s)  (const u_char *) (s), strlen(s)


static int
match(const char *pattern, const char *name)
{
    return azoai_allow_match(S(pattern), S(name));
}


static int
list_match(const char *list, const char *name)
{
    return azoai_allow_list_match(S(list), S(name));
}


static void
test_allow_glob(void **state)
{
    char  big[AZOAI_NAME_MAX + 2];

    assert_true(match("chat-prod", "chat-prod"));
    assert_true(match("CHAT-prod", "chat-PROD"));
    assert_false(match("chat-prod", "chat-prod2"));
    assert_false(match("chat-prod", "chat-pro"));

    assert_true(match("*", "x"));
    assert_true(match("team-a-*", "team-a-"));
    assert_true(match("team-a-*", "team-a-gpt-4o"));
    assert_false(match("team-a-*", "team-b-gpt-4o"));
    assert_true(match("*-mini", "gpt-4o-mini"));
    assert_false(match("*-mini", "gpt-4o-mini-2"));
    assert_true(match("gpt-*-mini", "gpt-4o-mini"));
    assert_true(match("gpt-*-mini", "gpt--mini"));
    assert_false(match("gpt-*-mini", "gpt-mini"));
    assert_true(match("*a*b*", "xxaxxbxx"));
    assert_true(match("*a*b", "abab"));
    assert_false(match("*a*b", "abba"));
    assert_true(match("a**b", "ab"));
    assert_true(match("*.*", "o3.x"));
    assert_false(match("*.*", "o3-x"));

    /* only names of the grammar, only patterns of name bytes and '*' */
    assert_false(match("*", "chat prod"));
    assert_false(match("*", "chat/prod"));
    assert_false(match("*", ""));
    assert_false(match("", "x"));
    assert_false(match("?", "x"));
    assert_false(match("chat?", "chat1"));
    assert_false(match("[a]", "a"));
    assert_false(azoai_allow_match((const u_char *) "a\0", 2, S("a")));

    memset(big, 'a', sizeof(big));
    big[sizeof(big) - 1] = '\0';
    assert_false(match("*", big));
    assert_false(match(big, "a"));
    big[AZOAI_NAME_MAX] = '\0';
    assert_true(match("*", big));
    assert_true(match(big, big));
}


static void
test_allow_list(void **state)
{
    assert_true(list_match("a b c", "b"));
    assert_true(list_match("  a\t\tteam-*  ", "team-x"));
    assert_false(list_match("a b c", "d"));
    assert_false(list_match("a b c", "a b"));
    assert_false(list_match("", "a"));
    assert_false(list_match("   \t ", "a"));
    assert_false(list_match("a,b", "a"));
    assert_true(list_match("bad/pattern a", "a"));
    assert_false(list_match("*", "bad name"));
}


static void
check(const char *allow, const char *uri, const char *spillover,
    const char *image, azoai_decision_t *d)
{
    const char       *q;
    azoai_str_t       list;
    test_arena_t      arena;
    azoai_alloc_t     a;
    azoai_route_t     route;
    azoai_request_t   req;

    memset(&arena, 0, sizeof(test_arena_t));
    a = test_arena_allocator(&arena);

    memset(&req, 0, sizeof(azoai_request_t));
    req.method.data = (const u_char *) "POST";
    req.method.len = 4;

    q = strchr(uri, '?');
    req.path.data = (const u_char *) uri;
    req.path.len = q ? (size_t) (q - uri) : strlen(uri);

    if (q) {
        req.args.data = (const u_char *) q + 1;
        req.args.len = strlen(q + 1);
    }

    if (spillover) {
        req.spillover.data = (const u_char *) spillover;
        req.spillover.len = strlen(spillover);
    }

    if (image) {
        req.image_deployment.data = (const u_char *) image;
        req.image_deployment.len = strlen(image);
    }

    assert_int_equal(azoai_route_classify(&req, &route, &a), AZOAI_OK);

    azoai_decision_init(d);

    if (allow) {
        list.data = (const u_char *) allow;
        list.len = strlen(allow);
    }

    azoai_allow_check_route(allow ? &list : NULL, &req, &route, d);

    test_arena_free(&arena);
}


#define DEP  "/openai/deployments/"
#define V    "?api-version=2024-10-21"
#define RT   "/openai/realtime?api-version=2024-10-21&deployment="


static void
test_allow_route(void **state)
{
    azoai_decision_t  d;

    check("team-a-*", DEP "team-a-chat/chat/completions" V, NULL, NULL,
          &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    check("team-a-*", DEP "team-b-chat/chat/completions" V, NULL, NULL,
          &d);
    assert_int_equal(d.reason, AZOAI_DEPLOYMENT_NOT_ALLOWED);
    assert_int_equal(d.status, 403);
    assert_non_null(strstr(d.message, "'team-b-chat'"));
    assert_non_null(strstr(d.message, "(from path)"));

    /* no directive: no restriction; an empty list: nothing */
    check(NULL, DEP "anything/chat/completions" V, NULL, NULL, &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    check("", DEP "anything/chat/completions" V, NULL, NULL, &d);
    assert_int_equal(d.reason, AZOAI_DEPLOYMENT_NOT_ALLOWED);

    check("rt", RT "rt2", NULL, NULL, &d);
    assert_int_equal(d.reason, AZOAI_DEPLOYMENT_NOT_ALLOWED);
    assert_non_null(strstr(d.message, "'rt2'"));

    check("rt", RT "rt", NULL, NULL, &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    check("a", DEP "a/chat/completions" V, "b", NULL, &d);
    assert_int_equal(d.reason, AZOAI_DEPLOYMENT_NOT_ALLOWED);
    assert_non_null(strstr(d.message, "x-ms-spillover-deployment"));

    check("a", "/openai/v1/responses", NULL, "img", &d);
    assert_int_equal(d.reason, AZOAI_DEPLOYMENT_NOT_ALLOWED);
    assert_non_null(strstr(d.message,
                           "x-ms-oai-image-generation-deployment"));

    check("a img", "/openai/v1/responses", NULL, "img", &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    /* not Azure OpenAI: not judged */
    check("", "/health", NULL, NULL, &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);
}


static void
test_allow_check(void **state)
{
    azoai_str_t       list;
    azoai_decision_t  d;

    list.data = (const u_char *) "*";
    list.len = 1;

    /* a name that looks like personal data is not echoed */
    azoai_decision_init(&d);
    azoai_allow_check(&list, S("dep 4111111111111111"), "body model", &d);
    assert_int_equal(d.reason, AZOAI_DEPLOYMENT_NOT_ALLOWED);
    assert_null(strstr(d.message, "4111"));
    assert_non_null(strstr(d.message, "(from body model)"));

    /* the first denial stands */
    azoai_decision_init(&d);
    azoai_decision_deny(&d, AZOAI_PREVIEW_MODEL, "first");
    azoai_allow_check(&list, S("bad name"), "x", &d);
    assert_int_equal(d.reason, AZOAI_PREVIEW_MODEL);

    /* an empty name is the policy's to judge */
    azoai_decision_init(&d);
    azoai_allow_check(&list, NULL, 0, "x", &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);

    azoai_allow_check(&list, S("gpt-4o"), NULL, &d);
    assert_int_equal(d.reason, AZOAI_ALLOW);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_allow_glob),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_allow_route),
        cmocka_unit_test(test_allow_check),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
