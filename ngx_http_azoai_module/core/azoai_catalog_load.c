/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Reading a catalog document (configuration time, cJSON):
 *
 *   {"models": {"gpt-4o": {"2024-08-06": "ga", "*": "preview"}},
 *    "deployments": {"chat-prod": {"model": "gpt-4o",
 *                                  "version": "2024-11-20"}},
 *    "updated": "2025-12-01", "_comment": "..."}
 *
 * The whole document is checked into a scratch catalog first and merged
 * only when it is valid, so a bad file leaves the catalog as it was.
 * Errors name the JSON path and the problem.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "azoai_ascii.h"
#include "azoai_catalog_int.h"
#include "azoai_date.h"
#include "azoai_name.h"


#define AZOAI_CATALOG_FILE_MAX  (16 * 1024 * 1024)


static int azoai_catalog_load_doc(azoai_catalog_t *t, const cJSON *root,
    char *err, size_t errlen);
static int azoai_catalog_load_models(azoai_catalog_t *t, const cJSON *obj,
    char *err, size_t errlen);
static int azoai_catalog_load_model(azoai_catalog_t *t, const cJSON *obj,
    char *err, size_t errlen);
static int azoai_catalog_load_version(azoai_model_t *m, const cJSON *obj,
    const cJSON *item, char *err, size_t errlen);
static int azoai_catalog_load_version_object(azoai_model_version_t *v,
    const cJSON *obj, const cJSON *item, char *err, size_t errlen);
static int azoai_catalog_load_deployments(azoai_catalog_t *t,
    const cJSON *obj, char *err, size_t errlen);
static int azoai_catalog_load_deployment(azoai_catalog_t *t,
    const cJSON *obj, char *err, size_t errlen);
static int azoai_catalog_merge(azoai_catalog_t *c, azoai_catalog_t *t);
static int azoai_catalog_parse_status(const char *s, unsigned *status);
static int azoai_catalog_is_comment(const cJSON *item);
static int azoai_catalog_has_key(const cJSON *obj, const cJSON *item);
static int azoai_catalog_valid_name(const char *s);
static int azoai_catalog_valid_version(const char *s);
static const char *azoai_catalog_printable(const char *s, char *buf,
    size_t size);
static int azoai_catalog_error(char *err, size_t errlen, const char *fmt,
    ...);


int
azoai_catalog_load_json(azoai_catalog_t *c, const u_char *json, size_t len,
    char *err, size_t errlen)
{
    int               rc;
    size_t            off, line, i;
    cJSON            *root;
    const char       *end;
    azoai_catalog_t  *t;

    end = NULL;
    root = cJSON_ParseWithLengthOpts((const char *) json, len, &end, 0);

    if (root == NULL) {
        off = (end && end >= (const char *) json)
              ? (size_t) (end - (const char *) json) : 0;
        off = off > len ? len : off;

        for (line = 1, i = 0; i < off; i++) {
            line += (json[i] == '\n');
        }

        return azoai_catalog_error(err, errlen,
                                   "invalid JSON at line %zu (byte %zu)",
                                   line, off);
    }

    off = (size_t) (end - (const char *) json);

    while (off < len && (json[off] == ' ' || json[off] == '\t'
                         || json[off] == '\r' || json[off] == '\n'))
    {
        off++;
    }

    if (off < len) {
        cJSON_Delete(root);
        return azoai_catalog_error(err, errlen,
                                   "unexpected data after the JSON document"
                                   " (byte %zu)", off);
    }

    t = azoai_catalog_create();
    if (t == NULL) {
        cJSON_Delete(root);
        return azoai_catalog_error(err, errlen, "out of memory");
    }

    rc = azoai_catalog_load_doc(t, root, err, errlen);

    cJSON_Delete(root);

    if (rc == AZOAI_OK) {
        rc = azoai_catalog_merge(c, t);

        if (rc != AZOAI_OK) {
            azoai_catalog_error(err, errlen, "out of memory");
        }
    }

    azoai_catalog_free(t);

    return rc;
}


int
azoai_catalog_load_file(azoai_catalog_t *c, const char *path, char *err,
    size_t errlen)
{
    int          fd, rc;
    size_t       size, got;
    u_char      *buf;
    ssize_t      n;
    struct stat  st;

    fd = open(path, O_RDONLY);
    if (fd == -1) {
        return azoai_catalog_error(err, errlen, "cannot open: %s",
                                   strerror(errno));
    }

    if (fstat(fd, &st) == -1) {
        rc = azoai_catalog_error(err, errlen, "cannot stat: %s",
                                 strerror(errno));
        close(fd);
        return rc;
    }

    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return azoai_catalog_error(err, errlen, "not a regular file");
    }

    if (st.st_size > AZOAI_CATALOG_FILE_MAX) {
        close(fd);
        return azoai_catalog_error(err, errlen,
                                   "file is larger than 16 MB");
    }

    size = (size_t) st.st_size;

    buf = malloc(size + 1);
    if (buf == NULL) {
        close(fd);
        return azoai_catalog_error(err, errlen, "out of memory");
    }

    got = 0;

    while (got < size) {
        n = read(fd, buf + got, size - got);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1) {
            rc = azoai_catalog_error(err, errlen, "cannot read: %s",
                                     strerror(errno));
            free(buf);
            close(fd);
            return rc;
        }

        if (n == 0) {
            break;
        }

        got += (size_t) n;
    }

    close(fd);

    buf[got] = '\0';

    rc = azoai_catalog_load_json(c, buf, got, err, errlen);

    free(buf);

    return rc;
}


static int
azoai_catalog_load_doc(azoai_catalog_t *t, const cJSON *root, char *err,
    size_t errlen)
{
    char          name[80];
    const cJSON  *item;

    if (!cJSON_IsObject(root)) {
        return azoai_catalog_error(err, errlen,
                                   "the document must be a JSON object");
    }

    for (item = root->child; item; item = item->next) {

        if (azoai_catalog_has_key(root, item)) {
            return azoai_catalog_error(err, errlen, "%s: duplicate key",
                       azoai_catalog_printable(item->string, name,
                                               sizeof(name)));
        }

        if (strcmp(item->string, "models") == 0) {
            if (azoai_catalog_load_models(t, item, err, errlen) != AZOAI_OK) {
                return AZOAI_ERROR;
            }

        } else if (strcmp(item->string, "deployments") == 0) {
            if (azoai_catalog_load_deployments(t, item, err, errlen)
                != AZOAI_OK)
            {
                return AZOAI_ERROR;
            }

        } else if (strcmp(item->string, "updated") == 0
                   || azoai_catalog_is_comment(item))
        {
            if (!cJSON_IsString(item)) {
                return azoai_catalog_error(err, errlen,
                                           "%s: must be a string",
                                           item->string);
            }

        } else {
            return azoai_catalog_error(err, errlen,
                       "%s: unknown key (expected models, deployments,"
                       " updated or _comment)",
                       azoai_catalog_printable(item->string, name,
                                               sizeof(name)));
        }
    }

    return AZOAI_OK;
}


static int
azoai_catalog_load_models(azoai_catalog_t *t, const cJSON *obj, char *err,
    size_t errlen)
{
    char          name[80];
    const cJSON  *item;

    if (!cJSON_IsObject(obj)) {
        return azoai_catalog_error(err, errlen,
                                   "models: must be an object of models");
    }

    for (item = obj->child; item; item = item->next) {

        if (azoai_catalog_is_comment(item)) {
            continue;
        }

        if (!azoai_catalog_valid_name(item->string)) {
            return azoai_catalog_error(err, errlen,
                       "models.%s: a model name must be 1 to %d letters,"
                       " digits, \".\", \"_\" or \"-\"",
                       azoai_catalog_printable(item->string, name,
                                               sizeof(name)),
                       AZOAI_NAME_MAX);
        }

        if (azoai_catalog_model(t, (const u_char *) item->string,
                                strlen(item->string)))
        {
            return azoai_catalog_error(err, errlen,
                       "models.%s: duplicate model (names are compared"
                       " ignoring case)", item->string);
        }

        if (azoai_catalog_load_model(t, item, err, errlen) != AZOAI_OK) {
            return AZOAI_ERROR;
        }
    }

    return AZOAI_OK;
}


static int
azoai_catalog_load_model(azoai_catalog_t *t, const cJSON *obj, char *err,
    size_t errlen)
{
    size_t          n;
    const cJSON    *item;
    azoai_model_t   m;

    if (!cJSON_IsObject(obj)) {
        return azoai_catalog_error(err, errlen,
                                   "models.%s: must be an object of"
                                   " \"version\": \"status\"", obj->string);
    }

    n = 0;

    for (item = obj->child; item; item = item->next) {
        n++;
    }

    memset(&m, 0, sizeof(azoai_model_t));

    m.versions = calloc(n ? n : 1, sizeof(azoai_model_version_t));
    if (m.versions == NULL
        || azoai_catalog_str_dup(&m.name, (const u_char *) obj->string,
                                 strlen(obj->string))
           != AZOAI_OK)
    {
        azoai_catalog_model_free(&m);
        return azoai_catalog_error(err, errlen, "out of memory");
    }

    for (item = obj->child; item; item = item->next) {

        if (azoai_catalog_is_comment(item)) {
            continue;
        }

        if (azoai_catalog_load_version(&m, obj, item, err, errlen)
            != AZOAI_OK)
        {
            goto failed;
        }
    }

    if (m.nversions == 0) {
        azoai_catalog_error(err, errlen,
                            "models.%s: lists no versions (use \"*\" for"
                            " any version)", obj->string);
        goto failed;
    }

    if (azoai_catalog_put_model(t, &m) != AZOAI_OK) {
        azoai_catalog_error(err, errlen, "out of memory");
        goto failed;
    }

    return AZOAI_OK;

failed:

    azoai_catalog_model_free(&m);
    return AZOAI_ERROR;
}


/*
 * one "version": "status" member of model obj, into m; or "version":
 * {"status": "ga", "retires": "2026-03-31"}
 */

static int
azoai_catalog_load_version(azoai_model_t *m, const cJSON *obj,
    const cJSON *item, char *err, size_t errlen)
{
    char                    name[80];
    size_t                  i;
    unsigned                status;
    azoai_model_version_t  *v;

    if (!azoai_catalog_valid_version(item->string)) {
        return azoai_catalog_error(err, errlen,
                   "models.%s.%s: a version must be \"*\" or 1 to %d"
                   " letters, digits, \".\", \"_\" or \"-\"",
                   obj->string,
                   azoai_catalog_printable(item->string, name,
                                           sizeof(name)),
                   AZOAI_NAME_MAX);
    }

    for (i = 0; i < m->nversions; i++) {
        if (azoai_ascii_cmp_ci(m->versions[i].version.data,
                               m->versions[i].version.len,
                               (const u_char *) item->string,
                               strlen(item->string))
            == 0)
        {
            return azoai_catalog_error(err, errlen,
                                       "models.%s.%s: duplicate version",
                                       obj->string, item->string);
        }
    }

    v = &m->versions[m->nversions];
    v->retires = 0;

    if (cJSON_IsObject(item)) {
        if (azoai_catalog_load_version_object(v, obj, item, err, errlen)
            != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        status = v->status;

    } else if (!cJSON_IsString(item)
               || azoai_catalog_parse_status(item->valuestring, &status)
                  != AZOAI_OK)
    {
        return azoai_catalog_error(err, errlen,
                                   "models.%s.%s: status must be \"ga\","
                                   " \"preview\" or \"retired\"",
                                   obj->string, item->string);
    }

    if (azoai_catalog_str_dup(&v->version, (const u_char *) item->string,
                              strlen(item->string))
        != AZOAI_OK)
    {
        return azoai_catalog_error(err, errlen, "out of memory");
    }

    v->status = status;
    m->nversions++;

    return AZOAI_OK;
}


/* {"status": "ga", "retires": "YYYY-MM-DD"}: status required */

static int
azoai_catalog_load_version_object(azoai_model_version_t *v,
    const cJSON *obj, const cJSON *item, char *err, size_t errlen)
{
    char          name[80];
    const cJSON  *f, *status, *retires;

    status = NULL;
    retires = NULL;

    for (f = item->child; f; f = f->next) {
        if (azoai_catalog_is_comment(f)) {
            continue;
        }

        if (strcmp(f->string, "status") == 0 && status == NULL) {
            status = f;

        } else if (strcmp(f->string, "retires") == 0 && retires == NULL) {
            retires = f;

        } else {
            return azoai_catalog_error(err, errlen,
                       "models.%s.%s: unexpected or duplicate key \"%s\""
                       " (a version object has \"status\" and"
                       " \"retires\")", obj->string, item->string,
                       azoai_catalog_printable(f->string, name,
                                               sizeof(name)));
        }
    }

    if (status == NULL || !cJSON_IsString(status)
        || azoai_catalog_parse_status(status->valuestring, &v->status)
           != AZOAI_OK)
    {
        return azoai_catalog_error(err, errlen,
                                   "models.%s.%s.status: must be \"ga\","
                                   " \"preview\" or \"retired\"",
                                   obj->string, item->string);
    }

    if (retires != NULL
        && (!cJSON_IsString(retires)
            || azoai_date_parse((const u_char *) retires->valuestring,
                                strlen(retires->valuestring), &v->retires)
               != AZOAI_OK))
    {
        return azoai_catalog_error(err, errlen,
                                   "models.%s.%s.retires: must be a date,"
                                   " \"YYYY-MM-DD\" (years %d to %d)",
                                   obj->string, item->string,
                                   AZOAI_DATE_YEAR_MIN, AZOAI_DATE_YEAR_MAX);
    }

    return AZOAI_OK;
}


static int
azoai_catalog_load_deployments(azoai_catalog_t *t, const cJSON *obj,
    char *err, size_t errlen)
{
    char          name[80];
    const cJSON  *item;

    if (!cJSON_IsObject(obj)) {
        return azoai_catalog_error(err, errlen,
                                   "deployments: must be an object of"
                                   " deployments");
    }

    for (item = obj->child; item; item = item->next) {

        if (azoai_catalog_is_comment(item)) {
            continue;
        }

        if (!azoai_catalog_valid_name(item->string)) {
            return azoai_catalog_error(err, errlen,
                       "deployments.%s: a deployment name must be 1 to %d"
                       " letters, digits, \".\", \"_\" or \"-\"",
                       azoai_catalog_printable(item->string, name,
                                               sizeof(name)),
                       AZOAI_NAME_MAX);
        }

        if (azoai_catalog_deployment(t, (const u_char *) item->string,
                                     strlen(item->string)))
        {
            return azoai_catalog_error(err, errlen,
                       "deployments.%s: duplicate deployment (names are"
                       " compared ignoring case)", item->string);
        }

        if (azoai_catalog_load_deployment(t, item, err, errlen) != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }
    }

    return AZOAI_OK;
}


static int
azoai_catalog_load_deployment(azoai_catalog_t *t, const cJSON *obj,
    char *err, size_t errlen)
{
    char          name[80];
    const char   *model, *version;
    const cJSON  *item;

    if (!cJSON_IsObject(obj)) {
        return azoai_catalog_error(err, errlen,
                                   "deployments.%s: must be an object with"
                                   " \"model\" and \"version\"",
                                   obj->string);
    }

    model = NULL;
    version = NULL;

    for (item = obj->child; item; item = item->next) {

        if (azoai_catalog_is_comment(item)) {
            continue;
        }

        if (azoai_catalog_has_key(obj, item)) {
            return azoai_catalog_error(err, errlen,
                       "deployments.%s.%s: duplicate key", obj->string,
                       azoai_catalog_printable(item->string, name,
                                               sizeof(name)));
        }

        if (strcmp(item->string, "model") != 0
            && strcmp(item->string, "version") != 0)
        {
            return azoai_catalog_error(err, errlen,
                       "deployments.%s.%s: unknown key (expected model,"
                       " version or _comment)", obj->string,
                       azoai_catalog_printable(item->string, name,
                                               sizeof(name)));
        }

        if (!cJSON_IsString(item)
            || !azoai_catalog_valid_name(item->valuestring))
        {
            return azoai_catalog_error(err, errlen,
                       "deployments.%s.%s: must be a string of 1 to %d"
                       " letters, digits, \".\", \"_\" or \"-\"",
                       obj->string, item->string, AZOAI_NAME_MAX);
        }

        if (item->string[0] == 'm') {
            model = item->valuestring;

        } else {
            version = item->valuestring;
        }
    }

    if (model == NULL) {
        return azoai_catalog_error(err, errlen,
                                   "deployments.%s: \"model\" is missing",
                                   obj->string);
    }

    if (version == NULL) {
        /* auto-updated deployments: GA only if every version is GA */
        version = "";
    }

    if (azoai_catalog_add_deployment(t, (const u_char *) obj->string,
                                     strlen(obj->string),
                                     (const u_char *) model, strlen(model),
                                     (const u_char *) version,
                                     strlen(version))
        != AZOAI_OK)
    {
        return azoai_catalog_error(err, errlen, "out of memory");
    }

    return AZOAI_OK;
}


/* moves every entry of t into c, replacing entries of the same name */

static int
azoai_catalog_merge(azoai_catalog_t *c, azoai_catalog_t *t)
{
    while (t->nmodels) {
        if (azoai_catalog_put_model(c, &t->models[t->nmodels - 1])
            != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        t->nmodels--;
    }

    while (t->ndeployments) {
        if (azoai_catalog_put_deployment(c,
                                  &t->deployments[t->ndeployments - 1])
            != AZOAI_OK)
        {
            return AZOAI_ERROR;
        }

        t->ndeployments--;
    }

    return AZOAI_OK;
}


static int
azoai_catalog_parse_status(const char *s, unsigned *status)
{
    if (strcmp(s, "ga") == 0) {
        *status = AZOAI_STATUS_GA;

    } else if (strcmp(s, "preview") == 0) {
        *status = AZOAI_STATUS_PREVIEW;

    } else if (strcmp(s, "retired") == 0) {
        *status = AZOAI_STATUS_RETIRED;

    } else {
        return AZOAI_ERROR;
    }

    return AZOAI_OK;
}


static int
azoai_catalog_is_comment(const cJSON *item)
{
    return strcmp(item->string, "_comment") == 0
           || strcmp(item->string, "$comment") == 0;
}


/* 1 if a member before item has the same key */

static int
azoai_catalog_has_key(const cJSON *obj, const cJSON *item)
{
    const cJSON  *p;

    for (p = obj->child; p && p != item; p = p->next) {
        if (strcmp(p->string, item->string) == 0) {
            return 1;
        }
    }

    return 0;
}


/* a model, version or deployment name: the grammar of azoai_name.h */

static int
azoai_catalog_valid_name(const char *s)
{
    return azoai_name_valid((const u_char *) s, strlen(s));
}


/* a model's version: a name, or "*" for any version */

static int
azoai_catalog_valid_version(const char *s)
{
    return (s[0] == '*' && s[1] == '\0') || azoai_catalog_valid_name(s);
}


/* s, cut to fit buf, with every byte an error text should not hold as '?' */

static const char *
azoai_catalog_printable(const char *s, char *buf, size_t size)
{
    size_t  n;

    for (n = 0; s[n] && n + 4 < size; n++) {
        buf[n] = azoai_json_safe((u_char) s[n]) ? s[n] : '?';
    }

    if (s[n]) {
        buf[n++] = '.';
        buf[n++] = '.';
        buf[n++] = '.';
    }

    buf[n] = '\0';

    return buf;
}


static int
azoai_catalog_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err && errlen) {
        va_start(args, fmt);
        vsnprintf(err, errlen, fmt, args);
        va_end(args);
    }

    return AZOAI_ERROR;
}
