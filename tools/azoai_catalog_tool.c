/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai-catalog: check a catalog as nginx -t does, explain the decision
 * on a deployment, build a catalog from Azure's lists.  The catalog code
 * is the module's core (the built-in table, the loader, the policy), so
 * what this tool accepts is what NGINX loads.
 *
 *   azoai-catalog check FILE [--at YYYY-MM-DD] [--notice DAYS]
 *   azoai-catalog explain FILE DEPLOYMENT [--at YYYY-MM-DD]
 *   azoai-catalog from-azure MODELS.json [DEPLOYMENTS.json ...]
 *
 * Exit status: 0 valid / allowed, 1 invalid / denied, 2 usage or I/O.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azoai_catalog.h"
#include "azoai_catalog_azure.h"
#include "azoai_date.h"
#include "azoai_policy.h"


#define AZOAI_TOOL_ERR_LEN      256
#define AZOAI_TOOL_NOTICE_DAYS  30       /* azoai_retirement_notice 30d */
#define AZOAI_TOOL_FILE_MAX     (64 * 1024 * 1024)

#define AZOAI_TOOL_OK           0
#define AZOAI_TOOL_FAIL         1
#define AZOAI_TOOL_USAGE        2


typedef struct {
    const char  *file;
    const char  *deployment;
    int64_t      notice;
} azoai_tool_args_t;


static int azoai_tool_check(azoai_tool_args_t *a);
static int azoai_tool_explain(azoai_tool_args_t *a);
static int azoai_tool_from_azure(int argc, char **argv);
static azoai_catalog_t *azoai_tool_load(const char *file);
static void azoai_tool_warn(void *data, const azoai_deployment_t *d,
    int64_t retires);
static int azoai_tool_options(int argc, char **argv, int first,
    azoai_tool_args_t *a);
static int64_t azoai_tool_now(void);
static u_char *azoai_tool_read(const char *file, size_t *len);
static int azoai_tool_usage(void);


/* the clock of check and explain: --at, else the system's */
static int64_t  azoai_tool_at;


int
main(int argc, char **argv)
{
    azoai_tool_args_t  a;

    a.deployment = NULL;

    azoai_tool_at = (int64_t) time(NULL);
    a.notice = (int64_t) AZOAI_TOOL_NOTICE_DAYS * AZOAI_DATE_DAY;

    if (argc >= 3 && strcmp(argv[1], "check") == 0) {
        a.file = argv[2];
        return azoai_tool_options(argc, argv, 3, &a) == AZOAI_OK
               ? azoai_tool_check(&a) : azoai_tool_usage();
    }

    if (argc >= 4 && strcmp(argv[1], "explain") == 0) {
        a.file = argv[2];
        a.deployment = argv[3];
        return azoai_tool_options(argc, argv, 4, &a) == AZOAI_OK
               ? azoai_tool_explain(&a) : azoai_tool_usage();
    }

    if (argc >= 3 && argc <= 3 + AZOAI_AZURE_PAGES_MAX
        && strcmp(argv[1], "from-azure") == 0)
    {
        return azoai_tool_from_azure(argc, argv);
    }

    return azoai_tool_usage();
}


/*
 * nginx -t's checks of "azoai_catalog FILE": the same message, then its
 * warnings about deployments that retire within the notice
 */

static int
azoai_tool_check(azoai_tool_args_t *a)
{
    azoai_catalog_t  *c;

    c = azoai_tool_load(a->file);
    if (c == NULL) {
        return AZOAI_TOOL_FAIL;
    }

    azoai_catalog_each_retiring(c, azoai_tool_at + a->notice,
                                azoai_tool_warn, NULL);
    azoai_catalog_free(c);

    printf("azoai_catalog \"%s\": valid\n", a->file);

    return AZOAI_TOOL_OK;
}


/* the GA policy on a deployment named in the path, by the tool's clock */

static int
azoai_tool_explain(azoai_tool_args_t *a)
{
    unsigned                   status;
    azoai_catalog_t           *c;
    azoai_decision_t           d;
    azoai_policy_conf_t        pc;
    const azoai_deployment_t  *dep;
    u_char                     date[AZOAI_DATE_LEN + 1];

    c = azoai_tool_load(a->file);
    if (c == NULL) {
        return AZOAI_TOOL_USAGE;
    }

    memset(&pc, 0, sizeof(pc));
    pc.catalog = c;
    pc.now = azoai_tool_now;

    azoai_decision_init(&d);
    azoai_policy_check_deployment(&pc, (const u_char *) a->deployment,
                                  strlen(a->deployment), AZOAI_DEP_PATH,
                                  "path", &d);

    azoai_date_format(azoai_tool_at, date);
    printf("deployment: %s\nat: %s\n", a->deployment, date);

    dep = azoai_catalog_deployment(c, (const u_char *) a->deployment,
                                   strlen(a->deployment));
    if (dep) {
        status = dep->status;
        printf("catalog: deployment of %.*s %.*s, status %s\n",
               (int) dep->model.len, dep->model.data,
               (int) dep->version.len, dep->version.data,
               azoai_catalog_status_name(status));

        if (dep->retires) {
            azoai_date_format(dep->retires, date);
            printf("retires: %s\n", date);
        }

    } else {
        printf("catalog: no such deployment, judged as a model name\n");
    }

    if (d.reason == AZOAI_ALLOW) {
        printf("decision: allow\n");

    } else {
        printf("decision: %u %s\nwhy: %s\n", d.status,
               azoai_reason_code(d.reason), d.message);
    }

    azoai_catalog_free(c);

    return d.reason == AZOAI_ALLOW ? AZOAI_TOOL_OK : AZOAI_TOOL_FAIL;
}


static int
azoai_tool_from_azure(int argc, char **argv)
{
    int                  rc, i, npages;
    char                *out, err[AZOAI_TOOL_ERR_LEN];
    size_t               mlen;
    u_char              *models;
    azoai_azure_page_t   pages[AZOAI_AZURE_PAGES_MAX];

    npages = 0;
    rc = AZOAI_TOOL_USAGE;

    models = azoai_tool_read(argv[2], &mlen);
    if (models == NULL) {
        return AZOAI_TOOL_USAGE;
    }

    /* the deployments list, one file a page as ARM's nextLink gave them */

    for (i = 3; i < argc; i++) {
        pages[npages].data = azoai_tool_read(argv[i], &pages[npages].len);
        if (pages[npages].data == NULL) {
            goto done;
        }

        npages++;
    }

    if (azoai_catalog_from_azure(models, mlen, pages, npages,
                                 (int64_t) time(NULL), &out, err,
                                 sizeof(err))
        != AZOAI_OK)
    {
        fprintf(stderr, "azoai-catalog: from-azure: %s\n", err);
        rc = AZOAI_TOOL_FAIL;
        goto done;
    }

    printf("%s\n", out);
    free(out);
    rc = AZOAI_TOOL_OK;

done:

    free(models);

    while (npages--) {
        free((u_char *) pages[npages].data);
    }

    return rc;
}


/*
 * as ngx_http_azoai_load_catalog(): the file merged on top of the
 * built-in table; the error as nginx -t prints it, before " in FILE:LINE"
 */

static azoai_catalog_t *
azoai_tool_load(const char *file)
{
    char              err[AZOAI_TOOL_ERR_LEN];
    azoai_catalog_t  *c;

    err[0] = '\0';

    c = azoai_catalog_create_builtin(err, sizeof(err));
    if (c == NULL) {
        fprintf(stderr, "azoai: built-in catalog: %s\n", err);
        return NULL;
    }

    if (azoai_catalog_load_file(c, file, err, sizeof(err)) != AZOAI_OK) {
        fprintf(stderr, "azoai_catalog \"%s\": %s\n", file, err);
        azoai_catalog_free(c);
        return NULL;
    }

    return c;
}


/* the text of ngx_http_azoai_retire_warn_one() */

static void
azoai_tool_warn(void *data, const azoai_deployment_t *d, int64_t retires)
{
    int64_t  left;
    u_char   date[AZOAI_DATE_LEN + 1];

    azoai_date_format(retires, date);
    left = retires - azoai_tool_at;

    if (left <= 0) {
        fprintf(stderr, "azoai: deployment \"%.*s\" (%.*s %.*s) retired on "
                "%s: requests to it are denied (RetiredModelBlocked)\n",
                (int) d->name.len, d->name.data, (int) d->model.len,
                d->model.data, (int) d->version.len, d->version.data, date);
        return;
    }

    fprintf(stderr, "azoai: deployment \"%.*s\" (%.*s %.*s) retires on %s, "
            "in %lld day(s): from then on requests to it are denied\n",
            (int) d->name.len, d->name.data, (int) d->model.len,
            d->model.data, (int) d->version.len, d->version.data, date,
            (long long) ((left + AZOAI_DATE_DAY - 1) / AZOAI_DATE_DAY));
}


/* --at YYYY-MM-DD (00:00 UTC), --notice DAYS */

static int
azoai_tool_options(int argc, char **argv, int first, azoai_tool_args_t *a)
{
    int    i;
    char  *end;
    long   days;

    for (i = first; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--at") == 0) {
            if (azoai_date_parse((const u_char *) argv[i + 1],
                                 strlen(argv[i + 1]), &azoai_tool_at)
                != AZOAI_OK)
            {
                fprintf(stderr, "azoai-catalog: --at takes a date "
                        "YYYY-MM-DD\n");
                return AZOAI_ERROR;
            }

            continue;
        }

        if (strcmp(argv[i], "--notice") == 0) {
            errno = 0;
            days = strtol(argv[i + 1], &end, 10);

            if (errno || *end || end == argv[i + 1] || days < 0
                || days > 36500)
            {
                fprintf(stderr, "azoai-catalog: --notice takes a number "
                        "of days\n");
                return AZOAI_ERROR;
            }

            a->notice = (int64_t) days * AZOAI_DATE_DAY;
            continue;
        }

        return AZOAI_ERROR;
    }

    return i == argc ? AZOAI_OK : AZOAI_ERROR;
}


static int64_t
azoai_tool_now(void)
{
    return azoai_tool_at;
}


static u_char *
azoai_tool_read(const char *file, size_t *len)
{
    FILE    *f;
    size_t   n;
    u_char  *buf;

    f = fopen(file, "rb");
    if (f == NULL) {
        fprintf(stderr, "azoai-catalog: %s: %s\n", file, strerror(errno));
        return NULL;
    }

    buf = malloc(AZOAI_TOOL_FILE_MAX);
    if (buf == NULL) {
        fclose(f);
        fprintf(stderr, "azoai-catalog: no memory\n");
        return NULL;
    }

    n = fread(buf, 1, AZOAI_TOOL_FILE_MAX, f);

    if (ferror(f) || n == AZOAI_TOOL_FILE_MAX) {
        fprintf(stderr, "azoai-catalog: %s: cannot read, or larger than "
                "%d bytes\n", file, AZOAI_TOOL_FILE_MAX - 1);
        fclose(f);
        free(buf);
        return NULL;
    }

    fclose(f);
    *len = n;

    return buf;
}


static int
azoai_tool_usage(void)
{
    fprintf(stderr,
            "usage: azoai-catalog check FILE [--at YYYY-MM-DD] "
            "[--notice DAYS]\n"
            "       azoai-catalog explain FILE DEPLOYMENT "
            "[--at YYYY-MM-DD]\n"
            "       azoai-catalog from-azure MODELS.json "
            "[DEPLOYMENTS.json ...]\n");

    return AZOAI_TOOL_USAGE;
}
