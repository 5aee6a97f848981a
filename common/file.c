/* Whole-file reads with a size cap, and atomic replacement of files. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int fl_read_file(const char *path, size_t max, fl_buf *out, fl_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fl_fail(err, "cannot open %s: %s", path, strerror(errno));
    fl_buf_reset(out);
    for (;;) {
        fl_buf_reserve(out, 65536);
        ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return fl_fail(err, "cannot read %s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        if (out->len > max) {
            close(fd);
            return fl_fail(err, "%s is larger than the %zu bytes allowed", path, max);
        }
    }
    out->data[out->len] = 0;
    close(fd);
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char *copy = fl_xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int fl_write_file_atomic(const char *path, const void *data, size_t len, int mode, fl_err *err)
{
    char *tmp = fl_xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        fl_fail(err, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    free(tmp);
    fsync_dir_of(path);
    return 0;
fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return fl_fail(err, "cannot write %s: %s", path, strerror(e));
}

int fl_mkdirs(const char *path, int mode, fl_err *err)
{
    char *p = fl_xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
                int e = errno;
                fl_fail(err, "cannot create directory %s: %s", p, strerror(e));
                free(p);
                return -1;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return fl_fail(err, "%s exists and is not a directory", path);
    return 0;
}
