/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Common types of the pure-C core.  Nothing in core/ includes an NGINX
 * header: the core takes (const u_char *, size_t) and an allocator, and
 * returns spans and results, so that it can be unit-tested, fuzzed and
 * benchmarked alone.
 */

#ifndef _AZOAI_CORE_H_INCLUDED_
#define _AZOAI_CORE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


#define AZOAI_OK        0
#define AZOAI_ERROR    -1
#define AZOAI_DECLINED -5


typedef struct {
    size_t           len;
    const u_char    *data;
} azoai_str_t;


/*
 * All memory the core needs while handling one request comes from here:
 * NGINX passes a wrapper of ngx_palloc() on the request pool, tests pass an
 * arena.  Memory is never freed one piece at a time; the pool goes away
 * with the request.  alloc() returns NULL on failure, and every core
 * function then fails (the glue denies the request: fail closed).
 */
typedef struct {
    void            *(*alloc)(void *pool, size_t size);
    void            *pool;
} azoai_alloc_t;


#define azoai_string(s)      { sizeof(s) - 1, (const u_char *) s }
#define azoai_alloc(a, n)    (a)->alloc((a)->pool, n)


/*
 * room for want bytes in a buffer of *size from a (old, or a new one of
 * at least init bytes, doubled until it fits, with the first len bytes
 * of old copied); NULL when out of memory
 */
u_char *azoai_reserve(azoai_alloc_t *a, u_char *old, size_t len,
    size_t *size, size_t want, size_t init);


#endif /* _AZOAI_CORE_H_INCLUDED_ */
