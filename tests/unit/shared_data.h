/* The shared folder of public test vectors (sample events, SigV4 suites):
 * $FL_SHARED, else ../shared from the repository root (tests run with the
 * repository root as working directory). A test that needs it fails when it
 * is missing: the vectors are part of the suite, not optional. */
#ifndef TEST_SHARED_DATA_H
#define TEST_SHARED_DATA_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/common.h"

/* $FL_SHARED/testdata/SUB (or ../shared/testdata/SUB), which must exist. */
static inline const char *shared_testdata(const char *sub)
{
    static char dir[4096];
    const char *shared = getenv("FL_SHARED");
    snprintf(dir, sizeof dir, "%s/testdata/%s", shared && *shared ? shared : "../shared", sub);
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        cr_assert_fail("shared test data not found at %s: set FL_SHARED to the shared folder "
                       "(tests run from the repository root)", dir);
    return dir;
}

/* A whole file, or NULL when it cannot be read (callers decide). */
static inline char *slurp(const char *path)
{
    fl_buf b = {0};
    fl_err err;
    if (fl_read_file(path, 1 << 20, &b, &err)) {
        fl_buf_free(&b);
        return NULL;
    }
    return fl_buf_steal(&b);
}

#endif
