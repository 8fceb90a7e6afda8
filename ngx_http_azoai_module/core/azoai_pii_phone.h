/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * A phone-like run of digit groups as azoai_pii_detect_phone() reads it,
 * and the numbering plan checks of azoai_pii_phone_plan.c.  Only
 * azoai_pii_detect_num.c and azoai_pii_phone_plan.c include it.
 */

#ifndef _AZOAI_PII_PHONE_H_INCLUDED_
#define _AZOAI_PII_PHONE_H_INCLUDED_


#include "azoai_pii_int.h"


#define AZOAI_PHONE_MAX       15     /* E.164 */
#define AZOAI_PHONE_GROUPS    8

/* digits[] has room for an 8-byte copy at any of its digits */
#define AZOAI_PHONE_SLACK     8


/* digits and grouping of a phone-like run */
typedef struct {
    u_char          digits[AZOAI_PHONE_MAX + AZOAI_PHONE_SLACK];
    size_t          ndigits;
    size_t          group_len[AZOAI_PHONE_GROUPS];
    size_t          ngroups;
    size_t          end;
    int             paren_group;        /* -1: none */
} azoai_phone_run_t;


/*
 * "+" and run: a known country code with a national number of one of its
 * lengths (a "(0)" trunk prefix after it not counted), or an unlisted
 * country code and 8-15 digits
 */
int azoai_pii_phone_intl_ok(const azoai_phone_run_t *run);

/*
 * run at [start, run->end) in a national format of GB, DE, FR, ES, IT,
 * NL, IN, BR, JP or AU, with a phone context word near it
 */
int azoai_pii_phone_national_ok(const u_char *v, size_t len, size_t start,
    const azoai_phone_run_t *run);


#endif /* _AZOAI_PII_PHONE_H_INCLUDED_ */
