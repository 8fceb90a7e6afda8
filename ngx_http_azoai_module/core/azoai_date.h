/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Calendar dates of the catalog ("retires": "2026-03-31"): strict
 * YYYY-MM-DD, proleptic Gregorian, years 2000 to 9999, as the UTC
 * midnight that starts the day (seconds since the epoch).
 */

#ifndef _AZOAI_DATE_H_INCLUDED_
#define _AZOAI_DATE_H_INCLUDED_


#include "azoai_core.h"


/* "YYYY-MM-DD" */
#define AZOAI_DATE_LEN       10

#define AZOAI_DATE_YEAR_MIN  2000
#define AZOAI_DATE_YEAR_MAX  9999

#define AZOAI_DATE_DAY       86400


/*
 * *t = the UTC midnight that starts the date s; AZOAI_ERROR if s is not
 * exactly YYYY-MM-DD, or names no day (2026-02-30), or its year is out of
 * range
 */
int azoai_date_parse(const u_char *s, size_t len, int64_t *t);

/*
 * writes the date of t (UTC) as YYYY-MM-DD into buf (AZOAI_DATE_LEN + 1
 * bytes, NUL-terminated); returns AZOAI_DATE_LEN
 */
size_t azoai_date_format(int64_t t, u_char *buf);


#endif /* _AZOAI_DATE_H_INCLUDED_ */
