/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * LD_PRELOAD shim for the fail-closed test (t/51-fail-closed.t): pread()
 * and pread64() fail with EIO on files under the directory named by
 * AZOAI_FAIL_READ_DIR (read once, when the shim is loaded, so that NGINX
 * workers, which are forked and do not keep the environment, still see
 * it).  Every other read goes to the C library.  When AZOAI_FAIL_READ_COUNT
 * names a file, each failure it causes appends a byte to it, for the test
 * to check that the shim did its job.
 *
 *   cc -shared -fPIC -o failread.so failread.c -ldl
 */


#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>


typedef ssize_t (*failread_pread_pt)(int fd, void *buf, size_t count,
    off_t offset);
typedef ssize_t (*failread_pread64_pt)(int fd, void *buf, size_t count,
    off64_t offset);


static void failread_init(void) __attribute__((constructor));
static int failread_match(int fd);
static void failread_note(void);
static int failread_fail(int fd);


static char    failread_dir[PATH_MAX];
static size_t  failread_dir_len;
static char    failread_count[PATH_MAX];


static void
failread_init(void)
{
    size_t       len;
    const char  *dir, *count;

    count = getenv("AZOAI_FAIL_READ_COUNT");
    if (count && strlen(count) < sizeof(failread_count)) {
        strcpy(failread_count, count);
    }

    dir = getenv("AZOAI_FAIL_READ_DIR");
    if (dir == NULL || dir[0] != '/') {
        return;
    }

    len = strlen(dir);

    while (len > 1 && dir[len - 1] == '/') {
        len--;
    }

    if (len + 2 > sizeof(failread_dir)) {
        return;
    }

    memcpy(failread_dir, dir, len);
    failread_dir[len] = '/';
    failread_dir[len + 1] = '\0';
    failread_dir_len = len + 1;
}


/* the fd's file lies under the directory (a deleted one too) */

static int
failread_match(int fd)
{
    char     link[64], path[PATH_MAX];
    ssize_t  n;

    if (failread_dir_len == 0) {
        return 0;
    }

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);

    n = readlink(link, path, sizeof(path) - 1);
    if (n < 0 || (size_t) n < failread_dir_len) {
        return 0;
    }

    path[n] = '\0';

    return memcmp(path, failread_dir, failread_dir_len) == 0;
}


static void
failread_note(void)
{
    int  fd;

    if (failread_count[0] == '\0') {
        return;
    }

    fd = open(failread_count, O_WRONLY | O_CREAT | O_APPEND, 0666);
    if (fd < 0) {
        return;
    }

    if (write(fd, "x", 1) < 0) {
        /* only a count for the test */
    }

    close(fd);
}


/* whether to fail this read: then errno is EIO */

static int
failread_fail(int fd)
{
    if (!failread_match(fd)) {
        return 0;
    }

    failread_note();
    errno = EIO;

    return 1;
}


ssize_t
pread(int fd, void *buf, size_t count, off_t offset)
{
    static failread_pread_pt  real;

    if (failread_fail(fd)) {
        return -1;
    }

    if (real == NULL) {
        real = (failread_pread_pt) dlsym(RTLD_NEXT, "pread");
        if (real == NULL) {
            errno = ENOSYS;
            return -1;
        }
    }

    return real(fd, buf, count, offset);
}


ssize_t
pread64(int fd, void *buf, size_t count, off64_t offset)
{
    static failread_pread64_pt  real;

    if (failread_fail(fd)) {
        return -1;
    }

    if (real == NULL) {
        real = (failread_pread64_pt) dlsym(RTLD_NEXT, "pread64");
        if (real == NULL) {
            errno = ENOSYS;
            return -1;
        }
    }

    return real(fd, buf, count, offset);
}
