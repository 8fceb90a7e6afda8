/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * A buffer that grows from the allocator: the pool frees nothing one
 * piece at a time, so a larger buffer is taken and the bytes kept are
 * copied into it; sizes double from init, so that growing is rare.
 */

#include <string.h>

#include "azoai_core.h"


u_char *
azoai_reserve(azoai_alloc_t *a, u_char *old, size_t len, size_t *size,
    size_t want, size_t init)
{
    size_t   n;
    u_char  *p;

    /* an empty buffer is still one: NULL means out of memory */

    if (want <= *size && old != NULL) {
        return old;
    }

    n = *size ? *size : init;

    while (n < want) {
        n *= 2;
    }

    p = azoai_alloc(a, n);
    if (p == NULL) {
        return NULL;
    }

    if (len) {
        memcpy(p, old, len);
    }

    *size = n;

    return p;
}
