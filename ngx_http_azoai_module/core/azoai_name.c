/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The name grammar and the display check of names from requests.
 */


#include "azoai_name.h"


static int azoai_name_is_date(const u_char *s, size_t len, size_t i);


/* the bytes of a name */
static const u_char  azoai_name_char[256] = {
    ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1,
    ['.'] = 1, ['_'] = 1, ['-'] = 1
};


int
azoai_name_valid(const u_char *s, size_t len)
{
    size_t  i;

    if (s == NULL || len == 0 || len > AZOAI_NAME_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!azoai_name_char[s[i]]) {
            return 0;
        }
    }

    return 1;
}


/* the grammar and the shape in one pass: this runs per request */

int
azoai_name_printable(const u_char *s, size_t len)
{
    size_t  i, digits, dots;
    u_char  c;

    if (s == NULL || len == 0 || len > AZOAI_NAME_MAX) {
        return 0;
    }

    digits = 0;
    dots = 0;

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c >= '0' && c <= '9') {
            if (azoai_name_is_date(s, len, i)) {
                /* "o3-2025-04-16", "2024-10-21-preview": no digit run */
                i += 9;

            } else if (++digits >= 9) {
                return 0;
            }

            continue;
        }

        if (c == '.') {
            if (digits && ++dots >= 3) {
                return 0;
            }

            continue;
        }

        if (!azoai_name_char[c]) {
            return 0;
        }

        if (c != '-') {
            /* a letter or '_' ends a number */
            digits = 0;
            dots = 0;
        }
    }

    return 1;
}


/* YYYY-MM-DD at s + i, not part of a longer number */

static int
azoai_name_is_date(const u_char *s, size_t len, size_t i)
{
    size_t  k;

    if (len - i < 10 || (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
        || (len - i > 10 && s[i + 10] >= '0' && s[i + 10] <= '9'))
    {
        return 0;
    }

    for (k = 0; k < 10; k++) {
        if (k == 4 || k == 7) {
            if (s[i + k] != '-') {
                return 0;
            }

        } else if (s[i + k] < '0' || s[i + k] > '9') {
            return 0;
        }
    }

    return 1;
}
