/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * LD_PRELOAD shim for runs under valgrind (AZOAI_VALGRIND=1 in
 * t/lib/AzoaiTest.pm): pcre2_jit_compile() fails, so PCRE2 falls back to
 * its interpreter.  JIT-compiled code reads a word at a time past the end
 * of the subject inside the caller's buffer, which memcheck reports as
 * "conditional jump depends on uninitialised value" in code it cannot
 * name; with the interpreter every report points at real code.
 *
 *   cc -shared -fPIC -o nojit.so nojit.c
 */


#include <stdint.h>


/* PCRE2_ERROR_JIT_BADOPTION */
#define NOJIT_ERROR  (-45)


int pcre2_jit_compile_8(void *code, uint32_t options);


int
pcre2_jit_compile_8(void *code, uint32_t options)
{
    (void) code;
    (void) options;

    return NOJIT_ERROR;
}
