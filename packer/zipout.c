/* The zip writer (libarchive's zip format), made deterministic: every entry
 * has mtime 0 (the DOS field then holds 1980-01-01 whatever the time zone,
 * and the UT extra field holds 0), uid and gid 0, no atime or ctime, and the
 * order of the merge. Compression is chosen per entry: stored when empty or
 * already compressed, deflated otherwise. Written to a temp file next to the
 * output, renamed into place only when complete. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packer/internal.h"

#define HEAD (64u << 10)
#define BUF (256u << 10)

struct pk_zip {
    struct archive *a;
    char *path, *tmp;
    int fd;
    pk_hash hash;
    uint64_t written, unzipped, entries;
    pk_reloc *reloc;
    unsigned char *head, *buf;
    fl_err werr;
};

static la_ssize_t on_write(struct archive *a, void *ud, const void *p, size_t n)
{
    pk_zip *z = ud;
    const char *c = p;
    size_t left = n;
    while (left) {
        ssize_t w = write(z->fd, c, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            fl_fail(&z->werr, "cannot write %s: %s", z->tmp, strerror(errno));
            archive_set_error(a, errno, "%s", z->werr.msg);
            return -1;
        }
        c += w;
        left -= (size_t)w;
    }
    pk_hash_update(&z->hash, p, n);
    z->written += n;
    return (la_ssize_t)n;
}

static int zfail(pk_zip *z, const char *what, fl_err *err)
{
    if (z->werr.msg[0])
        return fl_fail(err, "%s", z->werr.msg);
    const char *m = archive_error_string(z->a);
    return fl_fail(err, "%s: writing %s: %s", z->tmp, what, m ? m : "zip writer failed");
}

int pk_zip_open(pk_zip **out, const pk_zip_opts *o, fl_err *err)
{
    pk_zip *z = fl_xcalloc(1, sizeof *z);
    z->path = fl_xstrdup(o->path);
    z->tmp = fl_xasprintf("%s.tmp.%ld", o->path, (long)getpid());
    z->reloc = o->reloc;
    z->fd = open(z->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (z->fd < 0) {
        fl_fail(err, "cannot create %s: %s", z->tmp, strerror(errno));
        free(z->path);
        free(z->tmp);
        free(z);
        return -1;
    }
    pk_hash_init(&z->hash);
    z->head = fl_xmalloc(HEAD);
    z->buf = fl_xmalloc(BUF);
    z->a = archive_write_new();
    char level[2] = {(char)('0' + (o->level >= 1 && o->level <= 9 ? o->level : PK_ZIP_LEVEL_DEFAULT)), 0};
    if (archive_write_set_format_zip(z->a) != ARCHIVE_OK ||
        archive_write_set_format_option(z->a, "zip", "compression-level", level) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(z->a, BUF) ||
        archive_write_set_bytes_in_last_block(z->a, 1) ||
        archive_write_open(z->a, z, NULL, on_write, NULL) != ARCHIVE_OK) {
        zfail(z, "the header", err);
        pk_zip_abort(z);
        return -1;
    }
    *out = z;
    return 0;
}

static struct archive_entry *new_entry(pk_zip *z, const char *path, unsigned type, uint32_t mode)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, mode & 07777);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    return e;
}

static int write_all(pk_zip *z, const void *p, size_t n, const char *path, fl_err *err)
{
    const char *c = p;
    while (n) {
        la_ssize_t w = archive_write_data(z->a, c, n);
        if (w <= 0)
            return zfail(z, path, err);
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads up to cap bytes (fewer only at the end). */
static ssize_t read_full(pk_content *c, unsigned char *buf, size_t cap, fl_err *err)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t r = c->read(c, buf + got, cap - got, err);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int write_header(pk_zip *z, struct archive_entry *e, const char *path, fl_err *err)
{
    int rc = archive_write_header(z->a, e);
    archive_entry_free(e);
    if (rc < ARCHIVE_WARN)
        return zfail(z, path, err);
    z->entries++;
    return 0;
}

static int file_entry(pk_zip *z, const pk_out_entry *oe, pk_content *c, fl_err *err)
{
    uint64_t size = oe->size;
    size_t want = size < HEAD ? (size_t)size : HEAD;
    ssize_t n = read_full(c, z->head, want, err);
    if (n < 0)
        return -1;
    if ((size_t)n < want)
        return fl_fail(err, "/%s: the layer ended inside its content", oe->path);
    const unsigned char *head = z->head;
    size_t head_len = (size_t)n;
    fl_buf repl = {0};
    bool replaced = false;
    if (z->reloc && z->reloc->enabled &&
        pk_reloc_file(z->reloc, oe->path, oe->mode, z->head, head_len, size, &repl, &replaced, err)) {
        fl_buf_free(&repl);
        return -1;
    }
    uint64_t out_size = size;
    if (replaced) {
        out_size = size - head_len + repl.len;
        head = (const unsigned char *)repl.data;
        head_len = repl.len;
    }
    if (out_size == 0 || pk_zip_precompressed(oe->path, head, head_len))
        archive_write_zip_set_compression_store(z->a);
    else
        archive_write_zip_set_compression_deflate(z->a);
    struct archive_entry *e = new_entry(z, oe->path, AE_IFREG, oe->mode);
    archive_entry_set_size(e, (la_int64_t)out_size);
    int rc = write_header(z, e, oe->path, err);
    if (rc == 0)
        rc = write_all(z, head, head_len, oe->path, err);
    fl_buf_free(&repl);
    uint64_t done = (uint64_t)n;
    while (rc == 0 && done < size) {
        size_t chunk = size - done < BUF ? (size_t)(size - done) : BUF;
        ssize_t r = c->read(c, z->buf, chunk, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return fl_fail(err, "/%s: the layer ended inside its content", oe->path);
        rc = write_all(z, z->buf, (size_t)r, oe->path, err);
        done += (uint64_t)r;
    }
    z->unzipped += out_size;
    return rc;
}

static int zip_entry(void *ud, const pk_out_entry *oe, pk_content *c, fl_err *err)
{
    pk_zip *z = ud;
    if (oe->kind == PK_K_FILE)
        return file_entry(z, oe, c, err);
    if (oe->kind == PK_K_DIR)
        return write_header(z, new_entry(z, oe->path, AE_IFDIR, oe->mode), oe->path, err);
    struct archive_entry *e = new_entry(z, oe->path, AE_IFLNK, 0777);
    archive_entry_set_symlink(e, oe->link);
    return write_header(z, e, oe->path, err);
}

pk_sink pk_zip_sink(pk_zip *z)
{
    return (pk_sink){zip_entry, z};
}

typedef struct mem_content {
    const char *p;
    size_t left;
} mem_content;

static ssize_t mem_read(pk_content *c, void *buf, size_t n, fl_err *err)
{
    mem_content *m = c->ud;
    if (n > m->left)
        n = m->left;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (ssize_t)n;
}

int pk_zip_add_file(pk_zip *z, const char *name, uint32_t mode, const void *data, size_t len, fl_err *err)
{
    mem_content m = {data, len};
    pk_content c = {mem_read, &m};
    pk_reloc *saved = z->reloc;
    z->reloc = NULL; /* our own files are not relocated */
    pk_out_entry e = {.path = name, .kind = PK_K_FILE, .mode = mode, .size = len};
    int rc = file_entry(z, &e, &c, err);
    z->reloc = saved;
    return rc;
}

int pk_zip_add_path(pk_zip *z, const char *name, uint32_t mode, const char *file, fl_err *err)
{
    fl_buf b = {0};
    int rc = fl_read_file(file, 256u << 20, &b, err);
    if (rc == 0)
        rc = pk_zip_add_file(z, name, mode, b.data, b.len, err);
    fl_buf_free(&b);
    return rc;
}

uint64_t pk_zip_unzipped(const pk_zip *z)
{
    return z->unzipped;
}

static void zip_free(pk_zip *z)
{
    pk_hash_free(&z->hash);
    free(z->path);
    free(z->tmp);
    free(z->head);
    free(z->buf);
    free(z);
}

int pk_zip_close(pk_zip *z, uint64_t *zip_bytes, uint64_t *unzipped, uint64_t *entries, char sha_b64[45],
                 fl_err *err)
{
    if (archive_write_close(z->a) != ARCHIVE_OK) {
        zfail(z, "the central directory", err);
        pk_zip_abort(z);
        return -1;
    }
    archive_write_free(z->a);
    z->a = NULL;
    if (fsync(z->fd) != 0 || close(z->fd) != 0) {
        z->fd = -1;
        fl_fail(err, "cannot write %s: %s", z->tmp, strerror(errno));
        pk_zip_abort(z);
        return -1;
    }
    z->fd = -1;
    if (rename(z->tmp, z->path) != 0) {
        fl_fail(err, "cannot rename %s to %s: %s", z->tmp, z->path, strerror(errno));
        pk_zip_abort(z);
        return -1;
    }
    unsigned char raw[32];
    pk_hash_final_raw(&z->hash, raw);
    pk_sha256_b64(raw, sha_b64);
    *zip_bytes = z->written;
    *unzipped = z->unzipped;
    *entries = z->entries;
    zip_free(z);
    return 0;
}

void pk_zip_abort(pk_zip *z)
{
    if (!z)
        return;
    if (z->a)
        archive_write_free(z->a);
    if (z->fd >= 0)
        close(z->fd);
    unlink(z->tmp);
    zip_free(z);
}
