/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_policy_check_fast() (core/azoai_policy_fast.h) against
 * azoai_policy_check_route(): on every request the policy tests judge,
 * the two decide the same, field for field.  The fast check runs before
 * the general one and after it: the catalog's last found deployment is
 * then another one (its search, or the general check) and the request's
 * own (its hint).
 */

#ifndef _TEST_POLICY_FAST_H_INCLUDED_
#define _TEST_POLICY_FAST_H_INCLUDED_


#include <time.h>

#include "azoai_policy_fast.h"


static void
test_policy_fast_expect(const azoai_decision_t *d,
    const azoai_decision_t *want)
{
    if (d->reason != want->reason || d->status != want->status
        || strcmp(d->message, want->message) != 0)
    {
        fail_msg("fast: reason %u status %u '%s', general: %u %u '%s'",
                 d->reason, d->status, d->message, want->reason,
                 want->status, want->message);
    }

    assert_int_equal(d->deployment.len, want->deployment.len);
    assert_ptr_equal(d->deployment.data, want->deployment.data);
    assert_int_equal(d->model.len, want->model.len);
    assert_ptr_equal(d->model.data, want->model.data);
    assert_int_equal(d->model_version.len, want->model_version.len);
    assert_ptr_equal(d->model_version.data, want->model_version.data);
    assert_true(d->retires == want->retires);
}


static void
test_policy_fast_run(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d)
{
    /* what the glue's context holds before: an initialised decision */
    memset(d, 0x5a, sizeof(azoai_decision_t));
    azoai_decision_init(d);

    /* the time of the policy's clock, as the glue reads it */
    azoai_policy_check_fast(pc, req, route, d,
                            pc->now ? pc->now() : (int64_t) time(NULL));
}


/* the general check's decision of req and route into *d, checked */

static void
test_policy_fast_same(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d)
{
    azoai_decision_t  before, after;

    test_policy_fast_run(pc, req, route, &before);

    /* d must not depend on what was in it before */
    memset(d, 0x5a, sizeof(azoai_decision_t));
    azoai_policy_check_route(pc, req, route, d);

    test_policy_fast_run(pc, req, route, &after);

    test_policy_fast_expect(&before, d);
    test_policy_fast_expect(&after, d);
}


#endif /* _TEST_POLICY_FAST_H_INCLUDED_ */
