/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Model catalog: model + version -> lifecycle status, deployment ->
 * model + version.  Loaded at configuration time (cJSON), looked up per
 * request without allocation.
 */

#ifndef _AZOAI_CATALOG_H_INCLUDED_
#define _AZOAI_CATALOG_H_INCLUDED_


#include "azoai_core.h"


#define AZOAI_STATUS_UNKNOWN   0
#define AZOAI_STATUS_GA        1
#define AZOAI_STATUS_PREVIEW   2
#define AZOAI_STATUS_RETIRED   3


typedef struct azoai_catalog_s  azoai_catalog_t;


typedef struct {
    azoai_str_t      name;      /* first: the catalog searches by it */
    uint64_t         key;       /* then: azoai_catalog_entry_t */
    azoai_str_t      model;
    azoai_str_t      version;
    /*
     * azoai_catalog_model_status() and azoai_catalog_retires() of model
     * and version in the catalog that holds the deployment, kept current
     * by every change to it: resolved at configuration time, not per
     * request
     */
    unsigned         status;
    int64_t          retires;   /* 0: no date */
} azoai_deployment_t;


/* malloc()-ed; the glue frees it from a cycle pool cleanup */
azoai_catalog_t *azoai_catalog_create(void);
azoai_catalog_t *azoai_catalog_clone(const azoai_catalog_t *c);

/* the compiled-in lifecycle table (models only); NULL with err on error */
azoai_catalog_t *azoai_catalog_create_builtin(char *err, size_t errlen);
void azoai_catalog_free(azoai_catalog_t *c);

/*
 * merge a catalog document (format in README); on error err names what is
 * wrong and where ("models.gpt-4o: status must be ga, preview or
 * retired"); the glue prefixes the file name.  A document is checked
 * whole before anything is merged: on error c is unchanged.  Models and
 * deployments of the document replace those of the same name in c.
 * load_file reads at most 16 MB ("cannot open: <strerror>", ...).
 */
int azoai_catalog_load_json(azoai_catalog_t *c, const u_char *json,
    size_t len, char *err, size_t errlen);
int azoai_catalog_load_file(azoai_catalog_t *c, const char *path, char *err,
    size_t errlen);

/*
 * add or override one deployment; version may be empty ("any version":
 * GA only if every listed version of the model is GA); AZOAI_ERROR for
 * a name, model or (non-empty) version outside the grammar of
 * azoai_name.h, or no memory
 */
int azoai_catalog_add_deployment(azoai_catalog_t *c, const u_char *name,
    size_t name_len, const u_char *model, size_t model_len,
    const u_char *version, size_t version_len);

/*
 * Lookups compare deployment and model names ignoring ASCII case (Azure
 * treats deployment names so; models follow, so that "GPT-4o" cannot
 * dodge "gpt-4o").  c may be NULL (no catalog): everything is unknown.
 * NULL if the catalog has no such deployment.
 */
const azoai_deployment_t *azoai_catalog_deployment(const azoai_catalog_t *c,
    const u_char *name, size_t len);

/*
 * status of model + version: "*" matches any version; a model name ending
 * in "-preview" is preview whatever the catalog says; version NULL means
 * "not known": GA only if every version listed for the model is GA
 */
unsigned azoai_catalog_model_status(const azoai_catalog_t *c,
    const u_char *model, size_t model_len, const u_char *version,
    size_t version_len);

const char *azoai_catalog_status_name(unsigned status);

/*
 * the "retires" date of model + version (the version's own, else that of
 * "*"), as the UTC midnight that starts it; 0 if the catalog gives none
 * or version is empty
 */
int64_t azoai_catalog_retires(const azoai_catalog_t *c, const u_char *model,
    size_t model_len, const u_char *version, size_t version_len);

/* called for a deployment that retires at the given time */
typedef void (*azoai_catalog_retiring_pt)(void *data,
    const azoai_deployment_t *d, int64_t retires);

/*
 * calls handler for each deployment of a GA model version that retires
 * at or before until (retired ones too), in the catalog's order of names
 */
void azoai_catalog_each_retiring(const azoai_catalog_t *c, int64_t until,
    azoai_catalog_retiring_pt handler, void *data);


#endif /* _AZOAI_CATALOG_H_INCLUDED_ */
