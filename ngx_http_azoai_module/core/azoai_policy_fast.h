/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The route's check of the common request, inline in the judging
 * (ngx_http_azoai_handler.c), which has a frame of its own already: a
 * known Azure OpenAI route with nothing ambiguous, preview or missing,
 * no deployment headers, and a path or query deployment that is the
 * catalog's last found GA one, not retired.  Everything else goes to
 * azoai_policy_check_route(), which decides it as before; on every
 * request the two decide the same (tests/test_policy.c, test_retire.c
 * and fuzz_route compare them).  As a call of its own, with its frame
 * and six saved registers, the check of the 1 KB chat request took 121
 * instructions and its call; inline, ~50 fewer.
 */

#ifndef _AZOAI_POLICY_FAST_H_INCLUDED_
#define _AZOAI_POLICY_FAST_H_INCLUDED_


#include "azoai_policy.h"
#include "azoai_catalog_int.h"


static inline void azoai_policy_check_fast(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d, int64_t now);


/*
 * azoai_policy_check_route() of a d that is as azoai_decision_init()
 * leaves it (the judging's: its context is created so); now is the time
 * of pc's clock (pc->now(), or time(NULL) without it), which the caller
 * reads its own cheaper way (the judging: NGINX's cached time, which
 * pc->now() returns; its call through the pointer, with the registers it
 * made the judging keep, was ~12 instructions a request naming a
 * deployment with a retirement date)
 */

static inline void
azoai_policy_check_fast(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    azoai_decision_t *d, int64_t now)
{
    int64_t                    retires;
    const azoai_deployment_t  *dep;

    if (!route->azure || route->ambiguous || !route->known
        || route->preview_feature
        || (route->preview_api && !pc->allow_preview_api)
        || (route->api_version_required && route->api_version.len == 0)
        || req->spillover.len || req->image_deployment.len)
    {
        azoai_policy_check_route(pc, req, route, d);
        return;
    }

    if (route->deployment_from != AZOAI_DEP_PATH
        && route->deployment_from != AZOAI_DEP_QUERY)
    {
        /* the body names it, or nothing does: allowed so far */
        return;
    }

    /* NULL for an empty name too */
    dep = azoai_catalog_deployment_last(pc->catalog, route->deployment.data,
                                        route->deployment.len);

    if (dep == NULL || dep->status != AZOAI_STATUS_GA) {
        azoai_policy_check_route(pc, req, route, d);
        return;
    }

    retires = dep->retires;

    if (retires && now >= retires) {
        /* retired: the message */
        azoai_policy_check_route(pc, req, route, d);
        return;
    }

    /* as azoai_policy_record() fills a d that names nothing yet */

    d->deployment = route->deployment;

    if (dep->model.len) {
        d->model = dep->model;
    }

    if (dep->version.len) {
        d->model_version = dep->version;
    }

    d->retires = retires;
}


#endif /* _AZOAI_POLICY_FAST_H_INCLUDED_ */
