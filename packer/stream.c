/* Byte streams over blobs, and the wrapper that checks a blob's size and
 * SHA-256 as it is read: a blob that does not match fails at its end, before
 * the output that used it is renamed into place. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packer/internal.h"

static ssize_t fd_read(pk_stream *s, void *buf, size_t n, fl_err *err)
{
    for (;;) {
        ssize_t r = read(s->fd, buf, n);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return fl_fail(err, "read error: %s", strerror(errno));
    }
}

static void fd_close(pk_stream *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

void pk_stream_fd(pk_stream *s, int fd)
{
    memset(s, 0, sizeof *s);
    s->read = fd_read;
    s->close = fd_close;
    s->fd = fd;
}

ssize_t pk_stream_read(pk_stream *s, void *buf, size_t n, fl_err *err)
{
    return s->read(s, buf, n, err);
}

void pk_stream_close(pk_stream *s)
{
    if (s && s->close)
        s->close(s);
    if (s)
        s->close = NULL;
}

typedef struct verify {
    pk_stream inner;
    pk_hash hash;
    char digest[72];
    char what[96];
    uint64_t size, got;
    bool size_known, done;
    int result; /* at the end: 0 ok, -1 mismatch */
    fl_err fail;
} verify;

static ssize_t verify_read(pk_stream *s, void *buf, size_t n, fl_err *err)
{
    verify *v = s->ud;
    if (v->done) {
        if (v->result)
            return fl_fail(err, "%s", v->fail.msg);
        return 0;
    }
    if (v->size_known && n > v->size - v->got + 1)
        n = (size_t)(v->size - v->got + 1); /* one byte over is enough to tell */
    ssize_t r = pk_stream_read(&v->inner, buf, n, err);
    if (r < 0)
        return r;
    v->got += (uint64_t)r;
    if (v->size_known && v->got > v->size) {
        v->done = true;
        v->result = fl_fail(&v->fail, "%s is longer than the %llu bytes its descriptor says: refusing it", v->what,
                            (unsigned long long)v->size);
        return fl_fail(err, "%s", v->fail.msg);
    }
    pk_hash_update(&v->hash, buf, (size_t)r);
    if (r > 0)
        return r;
    v->done = true;
    char got[72];
    pk_hash_final(&v->hash, got);
    if (v->size_known && v->got != v->size)
        v->result = fl_fail(&v->fail, "%s is %llu bytes, but its descriptor says %llu: truncated or tampered with",
                            v->what, (unsigned long long)v->got, (unsigned long long)v->size);
    else if (strcmp(got, v->digest))
        v->result = fl_fail(&v->fail,
                            "%s has digest %s, not %s: corrupt or tampered with; refusing it",
                            v->what, got, v->digest);
    if (v->result)
        return fl_fail(err, "%s", v->fail.msg);
    return 0;
}

static void verify_close(pk_stream *s)
{
    verify *v = s->ud;
    pk_stream_close(&v->inner);
    pk_hash_free(&v->hash);
    free(v);
}

void pk_stream_verify(pk_stream *s, pk_stream *inner, const char *digest, uint64_t size, bool size_known,
                      const char *what)
{
    verify *v = fl_xcalloc(1, sizeof *v);
    v->inner = *inner;
    pk_hash_init(&v->hash);
    snprintf(v->digest, sizeof v->digest, "%s", digest);
    snprintf(v->what, sizeof v->what, "%s", what);
    v->size = size;
    v->size_known = size_known;
    memset(s, 0, sizeof *s);
    s->read = verify_read;
    s->close = verify_close;
    s->ud = v;
    s->fd = -1;
}
