/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * A catalog document from Azure's own lists (azoai-catalog from-azure):
 * the data-plane Models - List response and, optionally, the Azure
 * Resource Manager list of the resource's deployments.
 */

#ifndef _AZOAI_CATALOG_AZURE_H_INCLUDED_
#define _AZOAI_CATALOG_AZURE_H_INCLUDED_


#include "azoai_core.h"


/* the maximum number of pages of the deployments list */
#define AZOAI_AZURE_PAGES_MAX  64


/* one page of the deployments list, as read */
typedef struct {
    const u_char  *data;
    size_t         len;
} azoai_azure_page_t;


/*
 * Models - List ({"data": [{"id", "lifecycle_status", "deprecation":
 * {"inference": epoch seconds}, "model" for a fine-tuned one}]}) and
 * deployments ({"value": [{"name", "properties": {"model": {"name",
 * "version"}}}], "nextLink"}, or the bare array "az cognitiveservices
 * account deployment list" prints), in npages pages in the order ARM
 * gave them (npages 0: none; every page but the last may have a
 * "nextLink", the last one must not: a list cut short is an error) into
 * a catalog document (*out,
 * malloc()-ed, NUL-terminated), "updated" set to the date of now.
 * "generally-available" is ga, "preview" preview, anything else retired;
 * deprecation.inference is the "retires" date (the UTC day it falls in);
 * a fine-tuned model takes its base model's status and date.  An id is
 * split into model and version as a deployment names them, else at a
 * trailing -YYYY-MM-DD or four-digit version, else its version is "*".
 * The document is checked with azoai_catalog_load_json() before it is
 * returned.  AZOAI_ERROR with err ("models: data[2].id must be a
 * string").
 */
int azoai_catalog_from_azure(const u_char *models, size_t models_len,
    const azoai_azure_page_t *pages, size_t npages, int64_t now, char **out,
    char *err, size_t errlen);


#endif /* _AZOAI_CATALOG_AZURE_H_INCLUDED_ */
