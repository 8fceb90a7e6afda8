/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * libFuzzer target for azoai_allow_deployments patterns.  Input:
 * "LIST\nNAME".  The list match is compared with a plain recursive glob
 * over the same split (a second matcher, a table); a denial's
 * message must be JSON-safe and echo the name only when printable; else
 * abort().
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "azoai_allow.h"
#include "azoai_ascii.h"
#include "azoai_name.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_glob(const u_char *p, size_t plen, const u_char *n,
    size_t nlen);
static int fuzz_list(const u_char *list, size_t len, const u_char *name,
    size_t nlen);


/* the glob as a table: m[i][j], p[i..] matches n[j..]; both <= 64 */

static int
fuzz_glob(const u_char *p, size_t plen, const u_char *n, size_t nlen)
{
    size_t         i, j;
    unsigned char  m[AZOAI_NAME_MAX + 2][AZOAI_NAME_MAX + 2];

    if (plen > AZOAI_NAME_MAX || nlen > AZOAI_NAME_MAX) {
        return 0;
    }

    memset(m, 0, sizeof(m));
    m[plen][nlen] = 1;

    for (i = plen; i-- > 0; /* void */) {
        for (j = nlen + 1; j-- > 0; /* void */) {
            if (p[i] == '*') {
                m[i][j] = m[i + 1][j] || (j < nlen && m[i][j + 1]);

            } else {
                m[i][j] = j < nlen
                          && azoai_ascii_lower(p[i])
                             == azoai_ascii_lower(n[j])
                          && m[i + 1][j + 1];
            }
        }
    }

    return m[0][0];
}


static int
fuzz_list(const u_char *list, size_t len, const u_char *name, size_t nlen)
{
    size_t  i, start;

    if (!azoai_name_valid(name, nlen)) {
        return 0;
    }

    for (i = 0; i < len; i = start) {
        for (start = i; start < len && list[start] != ' '
                        && list[start] != '\t'; start++)
        {
            /* void */
        }

        if (azoai_allow_pattern_valid(list + i, start - i)
            && fuzz_glob(list + i, start - i, name, nlen))
        {
            return 1;
        }

        start++;
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t             i, llen, nlen;
    azoai_str_t        list;
    const u_char      *name;
    azoai_decision_t   d;

    if (size > 512) {
        return 0;
    }

    for (llen = 0; llen < size && data[llen] != '\n'; llen++) {
        /* void */
    }

    name = llen < size ? data + llen + 1 : data + size;
    nlen = (size_t) (data + size - name);

    if (azoai_allow_list_match(data, llen, name, nlen)
        != fuzz_list(data, llen, name, nlen))
    {
        abort();
    }

    list.data = data;
    list.len = llen;

    azoai_decision_init(&d);
    azoai_allow_check(&list, name, nlen, "fuzz", &d);

    if (d.reason != AZOAI_ALLOW) {
        if (d.reason != AZOAI_DEPLOYMENT_NOT_ALLOWED || d.status != 403
            || nlen == 0)
        {
            abort();
        }

        for (i = 0; d.message[i]; i++) {
            if (!azoai_json_safe((u_char) d.message[i])) {
                abort();
            }
        }

        if (!azoai_name_printable(name, nlen)
            && strstr(d.message, "deployment '") != NULL)
        {
            abort();
        }
    }

    return 0;
}
