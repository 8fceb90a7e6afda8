/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The boundary search (azoai_multipart_find.c) against memmem(): random
 * bodies over a small alphabet with needles planted at every offset
 * around the 16-byte steps and the end, needles of every length up to
 * the longest boundary, and content full of near-boundaries (the
 * comparisons' budget runs out and memmem() takes over mid-body).  The
 * no-SIMD build runs the same checks against memmem() itself.
 */

#define _GNU_SOURCE             /* memmem() */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "azoai_multipart.h"


#define NEEDLE_MAX  (AZOAI_MULTIPART_BOUNDARY_MAX + 2)
#define HAY_MAX     600


static uint32_t  seed = 12345;


static uint32_t
rnd(void)
{
    seed = seed * 1103515245 + 12345;
    return seed >> 8;
}


/* the finder and memmem() agree on hay[0, n) */

static void
agree(const u_char *hay, size_t n, const u_char *needle, size_t m)
{
    const u_char  *want, *got;

    want = memmem(hay, n, needle, m);
    got = azoai_multipart_find(hay, n, needle, m);

    if (got != want) {
        fail_msg("n %zu m %zu: found at %td, memmem at %td", n, m,
                 got ? got - hay : -1, want ? want - hay : -1);
    }
}


/* body lengths past the needle: short, one and two steps of 64, more */
static const size_t  extra[] = {
    0, 1, 2, 7, 8, 15, 16, 31, 32, 33, 62, 63, 64, 65, 66, 95, 126, 127,
    128, 129, 130, 191, 192, 193, 250
};


static void
test_find_planted(void **state)
{
    u_char  hay[HAY_MAX], needle[NEEDLE_MAX];
    size_t  m, n, at, i, x;

    (void) state;

    for (m = 3; m <= NEEDLE_MAX; m++) {
        needle[0] = '-';
        needle[1] = '-';
        for (i = 2; i < m; i++) {
            needle[i] = "-ab"[rnd() % 3];
        }

        for (x = 0; x < sizeof(extra) / sizeof(extra[0]); x++) {
            n = m + extra[x];

            for (at = 0; at + m <= n; at++) {
                for (i = 0; i < n; i++) {
                    hay[i] = "-abx\r\n"[rnd() % 6];
                }

                agree(hay, n, needle, m);

                memcpy(hay + at, needle, m);
                agree(hay, n, needle, m);

                /* a near miss: the last byte differs */
                hay[at + m - 1] ^= 1;
                agree(hay, n, needle, m);
            }
        }
    }
}


/* random bodies over the needle's own bytes: hits and near misses */

static void
test_find_random(void **state)
{
    u_char  hay[HAY_MAX], needle[NEEDLE_MAX];
    size_t  k, m, n, i;

    (void) state;

    for (k = 0; k < 200000; k++) {
        m = 3 + rnd() % 6;
        n = rnd() % HAY_MAX;

        for (i = 0; i < m; i++) {
            needle[i] = "-a"[rnd() % 2];
        }

        for (i = 0; i < n; i++) {
            hay[i] = "-a"[rnd() % 2];
        }

        agree(hay, n, needle, m);
    }
}


/*
 * A body of near-boundaries ("--" boundary with its last byte changed,
 * over and over): the budget of comparisons runs out and memmem() goes
 * on from where the vector loop stopped; the one real boundary, far in,
 * is found at its place, and none is found when it is absent.
 */

static void
test_find_hostile(void **state)
{
    u_char  *hay, needle[NEEDLE_MAX];
    size_t   m, n, i, k;

    (void) state;

    /* the longest needle: "--" and a boundary of 70 characters */
    m = NEEDLE_MAX;
    needle[0] = '-';
    needle[1] = '-';
    for (i = 2; i < m; i++) {
        needle[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[i % 36];
    }

    n = 1024 * 1024;
    hay = malloc(n);
    assert_non_null(hay);

    for (i = 0; i + m <= n; i += m) {
        memcpy(hay + i, needle, m);
        hay[i + m - 1] = 'Z';
    }

    memset(hay + i, 'x', n - i);

    agree(hay, n, needle, m);
    assert_null(azoai_multipart_find(hay, n, needle, m));

    memcpy(hay + n - 3 * m + 5, needle, m);
    agree(hay, n, needle, m);
    assert_ptr_equal(azoai_multipart_find(hay, n, needle, m),
                     hay + n - 3 * m + 5);

    /*
     * A needle of dashes in runs of dashes shorter than it: every
     * position is a candidate and fails late, the budget runs out within
     * the first steps; the needle planted anywhere is still found there.
     */
    memset(needle, '-', m);
    n = 8192;

    for (i = 0; i < 600; i += (i < 300 ? 1 : 37)) {
        memset(hay, '-', n);
        for (k = 70; k < n; k += 71) {
            hay[k] = 'x';
        }

        agree(hay, n, needle, m);

        memset(hay + i, '-', m);
        agree(hay, n, needle, m);
        assert_ptr_equal(azoai_multipart_find(hay, n, needle, m),
                         memmem(hay, n, needle, m));
    }

    free(hay);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_find_planted),
        cmocka_unit_test(test_find_random),
        cmocka_unit_test(test_find_hostile),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
