/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The counters in shared memory, as the log phase writes them
 * (ngx_http_azoai_metrics.c) and the azoai_metrics page reads them
 * (ngx_http_azoai_metrics_page.c).
 */

#ifndef _NGX_HTTP_AZOAI_METRICS_H_INCLUDED_
#define _NGX_HTTP_AZOAI_METRICS_H_INCLUDED_


#include "ngx_http_azoai_module.h"

#include "azoai_policy.h"
#include "azoai_pii.h"


/* deployment names past the name grammar are counted as "-invalid-" */
#define NGX_HTTP_AZOAI_METRIC_NAME_LEN   AZOAI_NAME_MAX
#define NGX_HTTP_AZOAI_METRIC_PII_TYPES  AZOAI_PII_MAX_TYPES
#define NGX_HTTP_AZOAI_METRIC_DEPS       256


typedef struct {
    u_char                      name[NGX_HTTP_AZOAI_METRIC_NAME_LEN + 1];
    ngx_atomic_t                count;
    ngx_atomic_t                response;  /* masked in responses */
} ngx_http_azoai_metric_pii_t;


typedef struct {
    u_char                      name[NGX_HTTP_AZOAI_METRIC_NAME_LEN + 1];
    ngx_atomic_t                requests;
    ngx_atomic_t                prompt;
    ngx_atomic_t                completion;
    ngx_atomic_t                total;
} ngx_http_azoai_metric_dep_t;


/*
 * A slot's name is published with its first byte last, so that readers
 * without the lock see a name whole or not at all; an empty name ends
 * the used part of a table.
 */
typedef struct {
    ngx_atomic_t                requests[NGX_HTTP_AZOAI_DECISION_N]
                                        [AZOAI_REASON_N];
    ngx_atomic_t                masked_requests;
    ngx_atomic_t                pii_restored;  /* azoai_pii_restore */
    ngx_atomic_t                pii_response;  /* azoai_pii_response */
    ngx_atomic_t                pii_opaque;    /* azoai_pii_opaque pass */
    ngx_atomic_t                pii_unscanned; /* passed unread */
    ngx_atomic_t                pii_refused;   /* unscannable, not sent */
    ngx_http_azoai_metric_pii_t pii[NGX_HTTP_AZOAI_METRIC_PII_TYPES];
    ngx_http_azoai_metric_dep_t deps[NGX_HTTP_AZOAI_METRIC_DEPS];
    ngx_atomic_t                deps_overflow;
} ngx_http_azoai_metrics_t;


typedef struct {
    ngx_slab_pool_t            *shpool;
    ngx_http_azoai_metrics_t   *metrics;
} ngx_http_azoai_metrics_zone_t;


#endif /* _NGX_HTTP_AZOAI_METRICS_H_INCLUDED_ */
