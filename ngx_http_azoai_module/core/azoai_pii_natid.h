/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Internals of the national and health identifier detectors
 * (azoai_pii_detect_natid.c reads the token, azoai_pii_natid_check.c
 * validates it per type).  Nothing outside those two files includes it.
 */

#ifndef _AZOAI_PII_NATID_H_INCLUDED_
#define _AZOAI_PII_NATID_H_INCLUDED_


#include "azoai_pii_int.h"


#define AZOAI_NATID_MAX        16    /* it_fiscal_code */
#define AZOAI_NATID_MIN        9

/* the lengths any type has, a bit per length: 9-12, 15, 16 */
#define AZOAI_NATID_LEN(n)     (1u << (n))
#define AZOAI_NATID_LENGTHS                                                  \
    (AZOAI_NATID_LEN(9) | AZOAI_NATID_LEN(10) | AZOAI_NATID_LEN(11)          \
     | AZOAI_NATID_LEN(12) | AZOAI_NATID_LEN(15) | AZOAI_NATID_LEN(16))
#define AZOAI_NATID_GROUPS     8

/* what a check says of a token */
#define AZOAI_NATID_NO         0
#define AZOAI_NATID_YES        1     /* valid, needs no context word */
#define AZOAI_NATID_CONTEXT    2     /* valid if a context word is near */


/*
 * An identifier as written: its letters and digits (separators dropped),
 * the length of each group and the separator after it.
 */
typedef struct {
    u_char          c[AZOAI_NATID_MAX];
    size_t          n;
    size_t          ng;
    u_char          glen[AZOAI_NATID_GROUPS];
    u_char          sep[AZOAI_NATID_GROUPS];
    size_t          gend[AZOAI_NATID_GROUPS];   /* view offset past it */
} azoai_natid_tok_t;


/*
 * one type: its lengths (AZOAI_NATID_LEN bits), its check and, for
 * AZOAI_NATID_CONTEXT, its context words
 */
typedef struct {
    unsigned        type;
    unsigned        lengths;
    int           (*check)(const azoai_natid_tok_t *t, size_t k, size_t n);
    const char    *const *words;
} azoai_natid_kind_t;


extern const azoai_natid_kind_t  azoai_natid_kinds[];
extern const size_t              azoai_natid_nkinds;


/* azoai_pii_detect_natid.c: k groups of t have the layout of spec */
int azoai_natid_shape(const azoai_natid_tok_t *t, size_t k,
    const char *spec);


#endif /* _AZOAI_PII_NATID_H_INCLUDED_ */
