/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_metrics: a location that answers with the counters of the
 * azoai_metrics_zone in Prometheus text format.
 */


#include "ngx_http_azoai_metrics.h"


/* the page's size: fixed text, then a bound for each series' lines */
#define NGX_HTTP_AZOAI_PAGE_FIXED      4096
#define NGX_HTTP_AZOAI_PAGE_REQUESTS   128
#define NGX_HTTP_AZOAI_PAGE_PII        160
#define NGX_HTTP_AZOAI_PAGE_DEP        (4 * 200)


static ngx_int_t ngx_http_azoai_metrics_handler(ngx_http_request_t *r);
static u_char *ngx_http_azoai_print_requests(u_char *p, u_char *last,
    ngx_http_azoai_metrics_t *m);
static u_char *ngx_http_azoai_print_pii(u_char *p, u_char *last,
    ngx_http_azoai_metrics_t *m);
static u_char *ngx_http_azoai_print_deployments(u_char *p, u_char *last,
    ngx_http_azoai_metrics_t *m);


char *
ngx_http_azoai_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_azoai_loc_conf_t  *alcf = conf;

    if (alcf->metrics) {
        return "is duplicate";
    }

    alcf->metrics = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_azoai_metrics_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_azoai_metrics_handler(ngx_http_request_t *r)
{
    size_t                          size;
    ngx_int_t                       rc;
    ngx_buf_t                      *b;
    ngx_chain_t                     out;
    ngx_http_azoai_main_conf_t     *amcf;
    ngx_http_azoai_metrics_zone_t  *z;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_azoai_module);

    if (amcf->metrics_zone == NULL) {
        ngx_http_azoai_log_error(NGX_LOG_ERR, r, 0,
                                 "azoai_metrics: no azoai_metrics_zone "
                                 "is configured");
        return NGX_HTTP_NOT_FOUND;
    }

    z = amcf->metrics_zone->data;

    size = NGX_HTTP_AZOAI_PAGE_FIXED
           + NGX_HTTP_AZOAI_DECISION_N * AZOAI_REASON_N
             * NGX_HTTP_AZOAI_PAGE_REQUESTS
           + NGX_HTTP_AZOAI_METRIC_PII_TYPES * NGX_HTTP_AZOAI_PAGE_PII
           + NGX_HTTP_AZOAI_METRIC_DEPS * NGX_HTTP_AZOAI_PAGE_DEP
           + ngx_http_azoai_tlimit_metrics_size(r);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* azoai_requests_total first: see ngx_http_azoai_log_handler() */

    b->last = ngx_http_azoai_print_requests(b->pos, b->end, z->metrics);
    b->last = ngx_http_azoai_print_pii(b->last, b->end, z->metrics);
    b->last = ngx_http_azoai_print_deployments(b->last, b->end, z->metrics);
    b->last = ngx_http_azoai_tlimit_metrics(r, b->last, b->end);
    b->last_buf = 1;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static u_char *
ngx_http_azoai_print_requests(u_char *p, u_char *last,
    ngx_http_azoai_metrics_t *m)
{
    ngx_uint_t   d, i;
    ngx_str_t   *name;

    p = ngx_slprintf(p, last,
            "# HELP azoai_requests_total Requests judged, by decision "
            "and reason.\n"
            "# TYPE azoai_requests_total counter\n");

    for (d = NGX_HTTP_AZOAI_DECISION_ALLOW;
         d <= NGX_HTTP_AZOAI_DECISION_REPORT_DENY;
         d++)
    {
        name = ngx_http_azoai_decision_name(d);

        for (i = 0; i < AZOAI_REASON_N; i++) {
            if (m->requests[d][i] == 0
                && !(d == NGX_HTTP_AZOAI_DECISION_ALLOW && i == AZOAI_ALLOW))
            {
                continue;
            }

            p = ngx_slprintf(p, last,
                    "azoai_requests_total{decision=\"%V\",reason=\"%s\"} "
                    "%uA\n",
                    name, azoai_reason_code(i), m->requests[d][i]);
        }
    }

    return p;
}


static u_char *
ngx_http_azoai_print_pii(u_char *p, u_char *last, ngx_http_azoai_metrics_t *m)
{
    ngx_uint_t  i;

    p = ngx_slprintf(p, last,
            "# HELP azoai_masked_requests_total Requests whose body was "
            "masked.\n"
            "# TYPE azoai_masked_requests_total counter\n"
            "azoai_masked_requests_total %uA\n"
            "# HELP azoai_pii_restored_total Pseudonyms put back in "
            "responses.\n"
            "# TYPE azoai_pii_restored_total counter\n"
            "azoai_pii_restored_total %uA\n"
            "# HELP azoai_pii_response_total PII values masked in "
            "responses.\n"
            "# TYPE azoai_pii_response_total counter\n"
            "azoai_pii_response_total %uA\n"
            "# HELP azoai_pii_opaque_total Request contents the PII scan "
            "could not inspect, passed (azoai_pii_opaque pass).\n"
            "# TYPE azoai_pii_opaque_total counter\n"
            "azoai_pii_opaque_total %uA\n"
            "# HELP azoai_pii_response_unscanned_total Responses or "
            "events that restore or response masking could not read: "
            "passed as they came, or refused.\n"
            "# TYPE azoai_pii_response_unscanned_total counter\n"
            "azoai_pii_response_unscanned_total{action=\"passed\"} %uA\n"
            "azoai_pii_response_unscanned_total{action=\"refused\"} %uA\n"
            "# HELP azoai_pii_total PII values found, by type.\n"
            "# TYPE azoai_pii_total counter\n", m->masked_requests,
            m->pii_restored, m->pii_response, m->pii_opaque,
            m->pii_unscanned, m->pii_refused);

    for (i = 0; i < NGX_HTTP_AZOAI_METRIC_PII_TYPES; i++) {
        if (m->pii[i].name[0] == '\0') {
            break;
        }

        p = ngx_slprintf(p, last, "azoai_pii_total{type=\"%s\"} %uA\n",
                         m->pii[i].name, m->pii[i].count);
    }

    p = ngx_slprintf(p, last,
            "# HELP azoai_pii_response_types_total PII values masked in "
            "responses, by type.\n"
            "# TYPE azoai_pii_response_types_total counter\n");

    for (i = 0; i < NGX_HTTP_AZOAI_METRIC_PII_TYPES; i++) {
        if (m->pii[i].name[0] == '\0') {
            break;
        }

        if (m->pii[i].response) {
            p = ngx_slprintf(p, last,
                             "azoai_pii_response_types_total{type=\"%s\"} "
                             "%uA\n", m->pii[i].name, m->pii[i].response);
        }
    }

    return p;
}


static u_char *
ngx_http_azoai_print_deployments(u_char *p, u_char *last,
    ngx_http_azoai_metrics_t *m)
{
    ngx_uint_t                    i;
    ngx_http_azoai_metric_dep_t  *ds;

    p = ngx_slprintf(p, last,
            "# HELP azoai_deployment_requests_total Requests, by "
            "deployment.\n"
            "# TYPE azoai_deployment_requests_total counter\n");

    for (i = 0; i < NGX_HTTP_AZOAI_METRIC_DEPS; i++) {
        ds = &m->deps[i];

        if (ds->name[0] == '\0') {
            break;
        }

        p = ngx_slprintf(p, last,
                "azoai_deployment_requests_total{deployment=\"%s\"} %uA\n",
                ds->name, ds->requests);
    }

    p = ngx_slprintf(p, last,
            "# HELP azoai_tokens_total Tokens from response usage, by "
            "deployment and kind.\n"
            "# TYPE azoai_tokens_total counter\n");

    for (i = 0; i < NGX_HTTP_AZOAI_METRIC_DEPS; i++) {
        ds = &m->deps[i];

        if (ds->name[0] == '\0') {
            break;
        }

        p = ngx_slprintf(p, last,
                "azoai_tokens_total{deployment=\"%s\",kind=\"prompt\"} %uA\n"
                "azoai_tokens_total{deployment=\"%s\",kind=\"completion\"} "
                "%uA\n"
                "azoai_tokens_total{deployment=\"%s\",kind=\"total\"} %uA\n",
                ds->name, ds->prompt, ds->name, ds->completion,
                ds->name, ds->total);
    }

    return ngx_slprintf(p, last,
            "# HELP azoai_deployments_overflow_total Requests whose "
            "deployment did not fit the table.\n"
            "# TYPE azoai_deployments_overflow_total counter\n"
            "azoai_deployments_overflow_total %uA\n", m->deps_overflow);
}
