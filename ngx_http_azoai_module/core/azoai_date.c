/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * YYYY-MM-DD to and from days since 1970-01-01 (the civil calendar
 * algorithms of H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms"), without the C library's time zone handling.
 */

#include "azoai_date.h"


static int64_t azoai_date_days(int64_t y, unsigned m, unsigned d);
static unsigned azoai_date_month_days(int64_t y, unsigned m);
static int azoai_date_digits(const u_char *p, size_t n, unsigned *v);


int
azoai_date_parse(const u_char *s, size_t len, int64_t *t)
{
    unsigned  y, m, d;

    if (len != AZOAI_DATE_LEN || s[4] != '-' || s[7] != '-'
        || azoai_date_digits(s, 4, &y) != AZOAI_OK
        || azoai_date_digits(s + 5, 2, &m) != AZOAI_OK
        || azoai_date_digits(s + 8, 2, &d) != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    if (y < AZOAI_DATE_YEAR_MIN || y > AZOAI_DATE_YEAR_MAX
        || m < 1 || m > 12 || d < 1 || d > azoai_date_month_days(y, m))
    {
        return AZOAI_ERROR;
    }

    *t = azoai_date_days(y, m, d) * AZOAI_DATE_DAY;

    return AZOAI_OK;
}


size_t
azoai_date_format(int64_t t, u_char *buf)
{
    int64_t   z, era, y;
    unsigned  doe, yoe, doy, mp, d, m;

    /* floor division: dates before 1970 too */
    z = (t >= 0 ? t : t - (AZOAI_DATE_DAY - 1)) / AZOAI_DATE_DAY + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned) (z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = (int64_t) yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += (m <= 2);

    if (y < 0 || y > AZOAI_DATE_YEAR_MAX) {
        y = 0;
    }

    buf[0] = (u_char) ('0' + y / 1000);
    buf[1] = (u_char) ('0' + y / 100 % 10);
    buf[2] = (u_char) ('0' + y / 10 % 10);
    buf[3] = (u_char) ('0' + y % 10);
    buf[4] = '-';
    buf[5] = (u_char) ('0' + m / 10);
    buf[6] = (u_char) ('0' + m % 10);
    buf[7] = '-';
    buf[8] = (u_char) ('0' + d / 10);
    buf[9] = (u_char) ('0' + d % 10);
    buf[10] = '\0';

    return AZOAI_DATE_LEN;
}


/* days from 1970-01-01 to y-m-d */

static int64_t
azoai_date_days(int64_t y, unsigned m, unsigned d)
{
    int64_t   era;
    unsigned  yoe, doy, doe;

    y -= (m <= 2);
    era = y / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t) doe - 719468;
}


static unsigned
azoai_date_month_days(int64_t y, unsigned m)
{
    static const u_char  days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        return 29;
    }

    return days[m - 1];
}


static int
azoai_date_digits(const u_char *p, size_t n, unsigned *v)
{
    size_t  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return AZOAI_ERROR;
        }

        *v = *v * 10 + (p[i] - '0');
    }

    return AZOAI_OK;
}
