/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Inside the JSON tokenizer: the SIMD string scan of azoai_json_avx2.c
 * that azoai_json.c calls, and what the unit tests and fuzzers need to
 * compare it with the scalar scan.
 */

#ifndef _AZOAI_JSON_INT_H_INCLUDED_
#define _AZOAI_JSON_INT_H_INCLUDED_


#include "azoai_json.h"


#if defined(__SSE2__) && !defined(AZOAI_JSON_NO_SIMD)
#define AZOAI_JSON_SSE2  1
#endif

/* AVX2 where the CPU has it, chosen at run time (built for baseline x86-64) */
#if (AZOAI_JSON_SSE2) && defined(__x86_64__) && defined(__GNUC__)            \
    && !defined(AZOAI_NO_AVX2)
#define AZOAI_JSON_AVX2  1
#endif


/* the bytes azoai_json_string_avx2() looks at in one step */
#define AZOAI_JSON_BLOCK          64

/* why azoai_json_string_avx2() stopped; its pos says where */
#define AZOAI_JSON_AT_QUOTE       0   /* the closing quote */
#define AZOAI_JSON_AT_ESCAPE      1   /* a backslash the caller decodes */
#define AZOAI_JSON_AT_SCALAR      2   /* the scalar scan goes on from here */


/*
 * What azoai_json_string_avx2() returns: two words, in registers (rax,
 * rdx), so that the caller's position and flags do not live in memory
 * for the call, as they did when their addresses were passed
 */
typedef struct {
    const u_char  *pos;
    unsigned       stop;
    unsigned       flags;
} azoai_json_scan_t;

/*
 * 1 when the string scan uses azoai_json_string_avx2(): built with AVX2,
 * the CPU has it and azoai_json_simd(0) did not turn it off
 */
int azoai_json_avx2_usable(void);

/* its answer once known (1, 0), -1 before: read inline per string */
extern int  azoai_json_avx2_state;

/* tests: 0 makes the tokenizer use its scalar string scan only */
void azoai_json_simd(int on);


#if (AZOAI_JSON_AVX2)

/*
 * String content from pos (a character boundary, not inside an escape),
 * AZOAI_JSON_BLOCK bytes a step while as many are left before end: steps
 * over printable ASCII, valid UTF-8 and the escapes \" \\ \/ \b \f \n \r
 * \t; returns flags with AZOAI_JSON_ESCAPED and AZOAI_JSON_NON_ASCII added
 * for what it stepped over.  Stops at the closing quote, at the backslash
 * of any other escape, and with AZOAI_JSON_AT_SCALAR at the start of a
 * block with a control byte or invalid UTF-8 before its first stop (the
 * scalar scan finds the exact error) or where fewer bytes are left.
 */
azoai_json_scan_t azoai_json_string_avx2(const u_char *pos,
    const u_char *end, unsigned flags);

/* the same, adding AZOAI_JSON_BRACKET when what it stepped over has '[' */
azoai_json_scan_t azoai_json_string_avx2_brackets(const u_char *pos,
    const u_char *end, unsigned flags);

/*
 * Bit k set when byte k of p[0 .. 63] is where a UTF-8 error shows (the
 * bytes before p taken as ASCII); a sequence cut at p[63] is no error.
 */
uint64_t azoai_json_utf8_errors(const u_char *p);

/*
 * 1 when p[0 .. 63] holds only ASCII and valid 2-byte characters (one
 * cut at p[63] included): the block scan's short way, which leaves
 * everything else to azoai_json_utf8_errors()
 */
int azoai_json_utf8_pairs_only(const u_char *p);

#endif


#endif /* _AZOAI_JSON_INT_H_INCLUDED_ */
