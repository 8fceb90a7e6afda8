/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target: route classification and the GA decision.
 *
 * Input: "METHOD\nPATH?QUERY\nSPILLOVER\nIMAGE\nEVALS\nCOPY" (missing
 * lines are empty); the first byte's low bits also pick the policy
 * switches and header_repeated.  Checks the invariants: strings point
 * into the request or the arena, messages are JSON-safe, non-Azure paths
 * are allowed, ambiguous ones denied as AmbiguousRequest, the
 * classifier's fast path decides as the general classifier does, and so
 * does the policy's (azoai_policy_fast.h) as the general check.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azoai_route.h"
#include "azoai_policy.h"
#include "azoai_policy_fast.h"
#include "../route_diff.h"


typedef struct fuzz_chunk_s  fuzz_chunk_t;

struct fuzz_chunk_s {
    fuzz_chunk_t    *next;
    size_t           size;
};


static void *fuzz_alloc(void *pool, size_t size);
static void fuzz_free(fuzz_chunk_t **chunks);
static int fuzz_inside(const azoai_str_t *s, const u_char *data,
    size_t size, fuzz_chunk_t *chunks);
static size_t fuzz_line(const u_char **p, const u_char *end,
    azoai_str_t *line);
static azoai_catalog_t *fuzz_route_catalog(void);
static void fuzz_route_request(const uint8_t *data, size_t size,
    azoai_request_t *req, azoai_policy_conf_t *pc);
static void fuzz_route_check_decision(const azoai_route_t *route,
    const azoai_decision_t *d);
static void fuzz_route_check_fast(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    const azoai_decision_t *want);


static const char  fuzz_catalog_json[] =
    "{\"models\": {\"gpt-4o\": {\"2024-11-20\": \"ga\"},"
    " \"gpt-5-chat\": {\"*\": \"preview\"},"
    " \"gpt-35-turbo\": {\"0613\": \"retired\"}},"
    " \"deployments\": {\"chat-prod\": {\"model\": \"gpt-4o\","
    " \"version\": \"2024-11-20\"}, \"old\": {\"model\": \"gpt-35-turbo\","
    " \"version\": \"0613\"}}}";

static azoai_catalog_t  *fuzz_catalog;


static void *
fuzz_alloc(void *pool, size_t size)
{
    fuzz_chunk_t  **chunks = pool;
    fuzz_chunk_t   *c;

    c = malloc(sizeof(fuzz_chunk_t) + size);
    if (c == NULL) {
        return NULL;
    }

    c->next = *chunks;
    c->size = size;
    *chunks = c;

    return c + 1;
}


static void
fuzz_free(fuzz_chunk_t **chunks)
{
    fuzz_chunk_t  *c, *next;

    for (c = *chunks; c; c = next) {
        next = c->next;
        free(c);
    }

    *chunks = NULL;
}


static int
fuzz_inside(const azoai_str_t *s, const u_char *data, size_t size,
    fuzz_chunk_t *chunks)
{
    const u_char  *start;

    if (s->len == 0) {
        return 1;
    }

    if (s->data >= data && s->data + s->len <= data + size) {
        return 1;
    }

    for ( /* void */ ; chunks; chunks = chunks->next) {
        start = (const u_char *) (chunks + 1);

        if (s->data >= start && s->data + s->len <= start + chunks->size) {
            return 1;
        }
    }

    return 0;
}


static size_t
fuzz_line(const u_char **p, const u_char *end, azoai_str_t *line)
{
    const u_char  *nl;

    line->data = *p;
    line->len = 0;

    if (*p >= end) {
        return 0;
    }

    nl = memchr(*p, '\n', end - *p);
    if (nl == NULL) {
        nl = end;
    }

    line->len = nl - *p;
    *p = nl < end ? nl + 1 : end;

    return line->len;
}


/* the catalog of fuzz_catalog_json, loaded once */

static azoai_catalog_t *
fuzz_route_catalog(void)
{
    char  err[256];

    if (fuzz_catalog == NULL) {
        fuzz_catalog = azoai_catalog_create();
        if (fuzz_catalog == NULL
            || azoai_catalog_load_json(fuzz_catalog,
                                       (const u_char *) fuzz_catalog_json,
                                       sizeof(fuzz_catalog_json) - 1, err,
                                       sizeof(err))
               != AZOAI_OK)
        {
            abort();
        }
    }

    return fuzz_catalog;
}


/*
 * the input: a flags byte (preview API allowed, unknown deployments
 * allowed, a repeated header), then one line each of method, URI,
 * spillover, image deployment, evals and copy checkpoints
 */

static void
fuzz_route_request(const uint8_t *data, size_t size, azoai_request_t *req,
    azoai_policy_conf_t *pc)
{
    azoai_str_t    uri;
    const u_char  *p, *end, *q;

    memset(req, 0, sizeof(azoai_request_t));
    memset(pc, 0, sizeof(azoai_policy_conf_t));

    pc->catalog = fuzz_route_catalog();
    pc->allow_preview_api = data[0] & 1;
    pc->allow_unknown = (data[0] >> 1) & 1;
    req->header_repeated = (data[0] >> 2) & 1;

    p = data + 1;
    end = data + size;

    fuzz_line(&p, end, &req->method);
    fuzz_line(&p, end, &uri);
    fuzz_line(&p, end, &req->spillover);
    fuzz_line(&p, end, &req->image_deployment);
    fuzz_line(&p, end, &req->evals);
    fuzz_line(&p, end, &req->copy_checkpoints);

    q = uri.len ? memchr(uri.data, '?', uri.len) : NULL;

    req->path.data = uri.data;
    req->path.len = q ? (size_t) (q - uri.data) : uri.len;

    if (q) {
        req->args.data = q + 1;
        req->args.len = uri.data + uri.len - (q + 1);
    }
}


/* the decision fits the route; its message is printable, JSON-safe */

static void
fuzz_route_check_decision(const azoai_route_t *route,
    const azoai_decision_t *d)
{
    const char  *m;

    if (d->reason >= AZOAI_REASON_N
        || d->status != azoai_reason_status(d->reason)
        || (!route->azure && d->reason != AZOAI_ALLOW)
        || (route->ambiguous && d->reason != AZOAI_AMBIGUOUS)
        || (d->reason == AZOAI_ALLOW && d->message[0] != '\0'))
    {
        abort();
    }

    for (m = d->message; *m; m++) {
        if ((u_char) *m < 0x20 || (u_char) *m >= 0x7f || *m == '"'
            || *m == '\\')
        {
            abort();
        }
    }
}


/* the fast check of an initialised decision decides as the general one */

static void
fuzz_route_check_fast(const azoai_policy_conf_t *pc,
    const azoai_request_t *req, const azoai_route_t *route,
    const azoai_decision_t *want)
{
    azoai_decision_t  d;

    /* the general check's clock: pc->now is NULL here */

    azoai_decision_init(&d);
    azoai_policy_check_fast(pc, req, route, &d, (int64_t) time(NULL));

    if (d.reason != want->reason || d.status != want->status
        || strcmp(d.message, want->message) != 0
        || d.deployment.len != want->deployment.len
        || d.deployment.data != want->deployment.data
        || d.model.len != want->model.len
        || d.model.data != want->model.data
        || d.model_version.len != want->model_version.len
        || d.model_version.data != want->model_version.data
        || d.retires != want->retires)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_chunk_t        *chunks;
    azoai_alloc_t        a;
    azoai_route_t        route, full;
    azoai_request_t      req;
    azoai_decision_t     d;
    azoai_policy_conf_t  pc;

    if (size == 0) {
        return 0;
    }

    fuzz_route_request(data, size, &req, &pc);

    chunks = NULL;
    a.alloc = fuzz_alloc;
    a.pool = &chunks;

    if (azoai_route_classify(&req, &route, &a) != AZOAI_OK) {
        abort();
    }

    if (route.operation == NULL
        || !fuzz_inside(&route.deployment, data, size, chunks)
        || !fuzz_inside(&route.api_version, data, size, chunks)
        || (route.ambiguous && route.detail == NULL)
        || (route.known && !route.azure))
    {
        abort();
    }

    /* the fast path and the general classifier say the same */
    if (azoai_route_classify_full(&req, &full, &a) != AZOAI_OK
        || route_diff(&route, &full, 0) != NULL)
    {
        abort();
    }

    azoai_policy_check_route(&pc, &req, &route, &d);
    fuzz_route_check_decision(&route, &d);

    /* the fuzz catalog has no retirement dates: any time will do */
    fuzz_route_check_fast(&pc, &req, &route, &d);

    /* a body name through the same checks */
    azoai_policy_check_deployment(&pc, req.spillover.data,
                                  req.spillover.len, AZOAI_DEP_BASE_MODEL,
                                  "body model", &d);

    if (d.reason >= AZOAI_REASON_N) {
        abort();
    }

    fuzz_free(&chunks);

    return 0;
}
