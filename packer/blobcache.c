/* The blob cache: DIR/sha256/<hex>, shared by every pull, content-addressed,
 * filled through temp files renamed into place only after their digest was
 * checked; DIR/refs/<sha256 of a reference> remembers which manifest a tag
 * named last, so a pack works while the registry is unreachable. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "packer/internal.h"

static char *default_dir(void)
{
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && x[0] == '/')
        return fl_xasprintf("%s/faas-lambda/blobs", x);
    const char *home = getenv("HOME");
    return fl_xasprintf("%s/.cache/faas-lambda/blobs", home && *home ? home : "/tmp");
}

int pk_cache_open(pk_cache *c, const char *dir, fl_err *err)
{
    c->dir = dir ? fl_xstrdup(dir) : default_dir();
    char *sub = fl_xasprintf("%s/sha256", c->dir), *refs = fl_xasprintf("%s/refs", c->dir);
    int rc = fl_mkdirs(sub, 0755, err) || fl_mkdirs(refs, 0755, err) ? -1 : 0;
    free(sub);
    free(refs);
    if (rc) {
        fl_fail_wrap(err, "the blob cache (choose another with --cache-dir)");
        pk_cache_close(c);
    }
    return rc;
}

void pk_cache_close(pk_cache *c)
{
    free(c->dir);
    c->dir = NULL;
}

char *pk_cache_path(const pk_cache *c, const char *digest)
{
    return fl_xasprintf("%s/sha256/%s", c->dir, pk_digest_hex(digest));
}

bool pk_cache_has(const pk_cache *c, const char *digest, uint64_t size)
{
    char *p = pk_cache_path(c, digest);
    struct stat st;
    bool ok = stat(p, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
    free(p);
    return ok;
}

int pk_cache_tmp(const pk_cache *c, char **tmp_path, fl_err *err)
{
    char *p = fl_xasprintf("%s/sha256/.tmp-%ld-XXXXXX", c->dir, (long)getpid());
    int fd = mkstemp(p);
    if (fd < 0) {
        fl_fail(err, "cannot create a temp file in the blob cache %s: %s", c->dir, strerror(errno));
        free(p);
        return -1;
    }
    fchmod(fd, 0644);
    *tmp_path = p;
    return fd;
}

int pk_cache_commit(const pk_cache *c, const char *tmp_path, const char *digest, fl_err *err)
{
    char *p = pk_cache_path(c, digest);
    int rc = 0;
    if (rename(tmp_path, p) != 0) {
        rc = fl_fail(err, "cannot move a blob into the cache at %s: %s", p, strerror(errno));
        unlink(tmp_path);
    }
    free(p);
    return rc;
}

int pk_cache_put(const pk_cache *c, const char *digest, const void *data, size_t n, fl_err *err)
{
    char *tmp;
    int fd = pk_cache_tmp(c, &tmp, err);
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            close(fd);
            unlink(tmp);
            free(tmp);
            return fl_fail(err, "cannot write the blob cache: %s", strerror(errno));
        }
        p += w;
        left -= (size_t)w;
    }
    close(fd);
    int rc = pk_cache_commit(c, tmp, digest, err);
    free(tmp);
    return rc;
}

int pk_cache_get(const pk_cache *c, const char *digest, size_t max, fl_buf *out, fl_err *err)
{
    char *p = pk_cache_path(c, digest);
    int rc = fl_read_file(p, max, out, err);
    if (rc == 0) {
        char got[72];
        pk_sha256_digest(out->data, out->len, got);
        if (strcmp(got, digest)) {
            unlink(p); /* a damaged copy: drop it so the next pull fetches it again */
            rc = fl_fail(err, "the cached copy of %s was damaged (removed it): run again to pull it", digest);
        }
    }
    free(p);
    return rc;
}

static char *ref_path(const pk_cache *c, const char *ref)
{
    char d[72];
    pk_sha256_digest(ref, strlen(ref), d);
    return fl_xasprintf("%s/refs/%s", c->dir, pk_digest_hex(d));
}

void pk_cache_ref_put(const pk_cache *c, const char *ref, const char *digest)
{
    char *p = ref_path(c, ref);
    fl_err err;
    if (fl_write_file_atomic(p, digest, strlen(digest), 0644, &err))
        fl_debug("cannot remember %s in the cache: %s", ref, err.msg);
    free(p);
}

char *pk_cache_ref_get(const pk_cache *c, const char *ref)
{
    char *p = ref_path(c, ref);
    fl_buf b = {0};
    fl_err err;
    char *out = NULL;
    if (fl_read_file(p, 128, &b, &err) == 0 && pk_digest_valid(fl_buf_cstr(&b)))
        out = fl_buf_steal(&b);
    fl_buf_free(&b);
    free(p);
    return out;
}
