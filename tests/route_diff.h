/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Field by field comparison of two classifications of one request, for
 * the differential test of the classifier's fast path (test_route_fast,
 * fuzz_route).
 */

#ifndef _ROUTE_DIFF_H_INCLUDED_
#define _ROUTE_DIFF_H_INCLUDED_


#include <string.h>

#include "azoai_route.h"


static int route_diff_cstr(const char *a, const char *b);
static int route_diff_str(const azoai_str_t *a, const azoai_str_t *b,
    unsigned same_pointer);
static const char *route_diff(const azoai_route_t *a, const azoai_route_t *b,
    unsigned same_pointer);


/* 1 if both are NULL or both hold the same text */

static int
route_diff_cstr(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }

    return strcmp(a, b) == 0;
}


static int
route_diff_str(const azoai_str_t *a, const azoai_str_t *b,
    unsigned same_pointer)
{
    if (a->len != b->len) {
        return 0;
    }

    if (same_pointer) {
        return a->data == b->data;
    }

    return a->len == 0 || memcmp(a->data, b->data, a->len) == 0;
}


/*
 * NULL if a and b say the same, else the name of the first field that
 * differs; same_pointer: the strings must point at the same bytes too
 */

static const char *
route_diff(const azoai_route_t *a, const azoai_route_t *b,
    unsigned same_pointer)
{
    if (!route_diff_cstr(a->operation, b->operation)) {
        return "operation";
    }

    if (!route_diff_str(&a->deployment, &b->deployment, same_pointer)) {
        return "deployment";
    }

    if (!route_diff_str(&a->api_version, &b->api_version, same_pointer)) {
        return "api_version";
    }

    if (a->deployment_from != b->deployment_from) {
        return "deployment_from";
    }

    if (a->azure != b->azure || a->v1 != b->v1 || a->known != b->known) {
        return "azure, v1 or known";
    }

    if (a->api_version_required != b->api_version_required
        || a->preview_feature != b->preview_feature
        || a->preview_api != b->preview_api)
    {
        return "api_version_required, preview_feature or preview_api";
    }

    if (a->ambiguous != b->ambiguous) {
        return "ambiguous";
    }

    if (a->json_body != b->json_body || a->multipart != b->multipart
        || a->body_names_deployment != b->body_names_deployment
        || a->upload != b->upload || a->upload_part != b->upload_part)
    {
        return "body flags";
    }

    if (!route_diff_cstr(a->detail, b->detail)) {
        return "detail";
    }

    if (!route_diff_cstr(a->deployment_where, b->deployment_where)) {
        return "deployment_where";
    }

    return NULL;
}


#endif /* _ROUTE_DIFF_H_INCLUDED_ */
