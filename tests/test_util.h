/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Test helpers: an arena that plays the request pool, and the cmocka
 * setup and teardown of a test run on it.
 */

#ifndef _TEST_UTIL_H_INCLUDED_
#define _TEST_UTIL_H_INCLUDED_


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "azoai_core.h"


/* xorshift32: the same pseudo-random sequence on every run */

static inline uint32_t
test_random(uint32_t *state)
{
    uint32_t  x;

    x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;

    return x;
}


/* the Luhn sum of n digits, digit by digit from the right */

static inline unsigned
test_luhn_sum(const u_char *d, size_t n)
{
    size_t    k;
    unsigned  sum, x;

    sum = 0;

    for (k = 0; k < n; k++) {
        x = d[n - 1 - k] - '0';

        if (k % 2) {
            x *= 2;
            x -= (x > 9) ? 9 : 0;
        }

        sum += x;
    }

    return sum;
}


typedef struct test_chunk_s  test_chunk_t;

struct test_chunk_s {
    test_chunk_t    *next;
};


typedef struct {
    test_chunk_t    *chunks;
    size_t           allocated;
    size_t           fail_after;   /* 0: never fail */
    size_t           calls;
} test_arena_t;


static void *
test_arena_alloc(void *pool, size_t size)
{
    test_arena_t  *arena = pool;
    test_chunk_t  *c;

    arena->calls++;

    if (arena->fail_after && arena->calls >= arena->fail_after) {
        return NULL;
    }

    c = malloc(sizeof(test_chunk_t) + size + 16);
    if (c == NULL) {
        return NULL;
    }

    c->next = arena->chunks;
    arena->chunks = c;
    arena->allocated += size;

    return (u_char *) c + sizeof(test_chunk_t) + 16
           - ((sizeof(test_chunk_t) + 16) % 16);
}


static void
test_arena_free(test_arena_t *arena)
{
    test_chunk_t  *c, *next;

    for (c = arena->chunks; c; c = next) {
        next = c->next;
        free(c);
    }

    arena->chunks = NULL;
    arena->allocated = 0;
    arena->calls = 0;
}


static inline azoai_alloc_t
test_arena_allocator(test_arena_t *arena)
{
    azoai_alloc_t  a;

    a.alloc = test_arena_alloc;
    a.pool = arena;

    return a;
}


/*
 * cmocka's setup and teardown of a test run on an arena: the test's
 * initial state is the arena (test_with_arena(test, &arena)), emptied
 * before the test and freed after it, whatever the test left in it
 */
static inline int
test_arena_setup(void **state)
{
    memset(*state, 0, sizeof(test_arena_t));

    return 0;
}


static inline int
test_arena_teardown(void **state)
{
    test_arena_free(*state);

    return 0;
}


#define test_with_arena(f, arena)                                             \
    cmocka_unit_test_prestate_setup_teardown(f, test_arena_setup,             \
                                             test_arena_teardown, arena)


#endif /* _TEST_UTIL_H_INCLUDED_ */
