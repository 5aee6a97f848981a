/* The layers of --format image: the image's own, sent as they are when they
 * are gzip blobs, else recompressed to a deterministic gzip (zstd layers,
 * plain tars, docker-archive layers) with their diff_id checked; and the
 * added layer holding the bootstrap and the manifest. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packer/internal.h"

typedef struct gz_out {
    int fd;
    pk_hash hash;
    uint64_t size;
    fl_err werr;
} gz_out;

static la_ssize_t gz_write(struct archive *a, void *ud, const void *p, size_t n)
{
    gz_out *g = ud;
    if (write(g->fd, p, n) != (ssize_t)n) {
        fl_fail(&g->werr, "cannot write a recompressed layer: %s", strerror(errno));
        archive_set_error(a, EIO, "%s", g->werr.msg);
        return -1;
    }
    pk_hash_update(&g->hash, p, n);
    g->size += n;
    return (la_ssize_t)n;
}

/* Writes a deterministic gzip (no name, no time) of the data read from in
 * (a raw-format reader) to fd; digest and size describe the result, diff_id
 * the data. */
static int gzip_into(struct archive *in, int fd, char digest[72], uint64_t *size, char diff_id[72], fl_err *err)
{
    gz_out g = {.fd = fd};
    pk_hash_init(&g.hash);
    pk_hash diff;
    pk_hash_init(&diff);
    struct archive *w = archive_write_new();
    archive_write_set_format_raw(w);
    archive_write_add_filter_gzip(w);
    archive_write_set_filter_option(w, "gzip", "timestamp", NULL);
    archive_write_set_bytes_in_last_block(w, 1);
    int rc = archive_write_open(w, &g, NULL, gz_write, NULL) == ARCHIVE_OK ? 0 : -1;
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "layer.tar");
    if (rc == 0 && archive_write_header(w, e) != ARCHIVE_OK)
        rc = -1;
    archive_entry_free(e);
    char *buf = fl_xmalloc(1u << 18);
    while (rc == 0) {
        la_ssize_t n = archive_read_data(in, buf, 1u << 18);
        if (n < 0) {
            rc = fl_fail(err, "reading a layer to recompress it: %s", archive_error_string(in));
            break;
        }
        if (n == 0)
            break;
        pk_hash_update(&diff, buf, (size_t)n);
        if (archive_write_data(w, buf, (size_t)n) != n)
            rc = -1;
    }
    free(buf);
    if (archive_write_close(w) != ARCHIVE_OK && rc == 0)
        rc = -1;
    if (rc == -1 && !err->msg[0])
        fl_fail(err, "%s", g.werr.msg[0] ? g.werr.msg : archive_error_string(w));
    archive_write_free(w);
    pk_hash_final(&g.hash, digest);
    pk_hash_final(&diff, diff_id);
    *size = g.size;
    return rc;
}

typedef struct reader_ctx {
    pk_stream *s;
    char buf[1u << 16];
    fl_err err;
} reader_ctx;

static la_ssize_t stream_cb(struct archive *a, void *ud, const void **buf)
{
    reader_ctx *r = ud;
    ssize_t n = pk_stream_read(r->s, r->buf, sizeof r->buf, &r->err);
    if (n < 0) {
        archive_set_error(a, EIO, "%s", r->err.msg);
        return -1;
    }
    *buf = r->buf;
    return n;
}

/* Layer i as gzip in a temp file (for zstd, uncompressed, and docker-archive
 * layers). The diff_id is checked against the config. */
static int recompress(pk_image *img, size_t i, int fd, char digest[72], uint64_t *size, fl_err *err)
{
    pk_stream s;
    const char *want_diff;
    if (pk_image_layer(img, i, &s, &want_diff, err))
        return -1;
    reader_ctx *r = fl_xcalloc(1, sizeof *r);
    r->s = &s;
    struct archive *in = archive_read_new();
    archive_read_support_filter_gzip(in);
    archive_read_support_filter_zstd(in);
    archive_read_support_filter_xz(in);
    archive_read_support_filter_bzip2(in);
    archive_read_support_format_raw(in);
    struct archive_entry *e;
    int rc = archive_read_open(in, r, NULL, stream_cb, NULL) == ARCHIVE_OK &&
                     archive_read_next_header(in, &e) == ARCHIVE_OK
                 ? 0
                 : fl_fail(err, "reading layer %zu: %s", i + 1, archive_error_string(in));
    char diff[72];
    if (rc == 0)
        rc = gzip_into(in, fd, digest, size, diff, err);
    archive_read_free(in);
    pk_stream_close(&s);
    free(r);
    const char *cfg_diff = img->config.ndiff_ids > i ? img->config.diff_ids[i] : NULL;
    if (rc == 0 && cfg_diff && strcmp(diff, cfg_diff))
        rc = fl_fail(err, "layer %zu does not match its diff_id %s: refusing it", i + 1, cfg_diff);
    return rc;
}

/* Sends layer i to the destination; digest and size as written. */
int pk_image_send_layer(pk_image *img, size_t i, pk_dest *d, char digest[72], uint64_t *size, fl_err *err)
{
    const pk_desc *l = &img->manifest.descs[i];
    bool as_is = l->comp == PK_COMP_GZIP && !img->src->layers_are_diffs;
    if (as_is) {
        snprintf(digest, 72, "%s", l->digest);
        *size = l->size;
        bool yes;
        if (d->has(d, digest, true, &yes, err))
            return -1;
        if (yes)
            return 0;
        pk_stream s;
        const char *diff;
        if (pk_image_layer(img, i, &s, &diff, err))
            return -1;
        int rc = d->put(d, digest, *size, &s, err);
        pk_stream_close(&s);
        return rc;
    }
    FILE *tmp = tmpfile();
    if (!tmp)
        return fl_fail(err, "cannot create a temp file to recompress a layer: %s (set TMPDIR)", strerror(errno));
    int rc = recompress(img, i, fileno(tmp), digest, size, err);
    bool yes = false;
    if (rc == 0)
        rc = d->has(d, digest, false, &yes, err);
    if (rc == 0 && !yes) {
        lseek(fileno(tmp), 0, SEEK_SET);
        pk_stream s;
        pk_stream_fd(&s, dup(fileno(tmp)));
        rc = d->put(d, digest, *size, &s, err);
        pk_stream_close(&s);
    }
    fclose(tmp);
    return rc;
}

/* ---- the bootstrap layer ---- */
typedef struct membuf {
    fl_buf b;
} membuf;

static la_ssize_t mem_write(struct archive *a, void *ud, const void *p, size_t n)
{
    (void)a;
    fl_buf_append(&((membuf *)ud)->b, p, n);
    return (la_ssize_t)n;
}

static int tar_add(struct archive *w, const char *name, const void *data, size_t n, int mode)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, (mode_t)mode);
    archive_entry_set_size(e, (la_int64_t)n);
    archive_entry_set_mtime(e, 0, 0);
    int rc = archive_write_header(w, e) == ARCHIVE_OK && archive_write_data(w, data, n) == (la_ssize_t)n ? 0 : -1;
    archive_entry_free(e);
    return rc;
}

/* The tar (then gzipped) holding the bootstrap and the manifest. */
int pk_image_boot_layer(const fl_buf *boot, const fl_buf *manifest, fl_buf *gz, char diff_id[72], char digest[72],
                      fl_err *err)
{
    membuf tar = {{0}};
    struct archive *w = archive_write_new();
    archive_write_set_format_pax_restricted(w);
    archive_write_set_bytes_in_last_block(w, 1);
    int rc = archive_write_open(w, &tar, NULL, mem_write, NULL) == ARCHIVE_OK ? 0 : -1;
    if (rc == 0)
        rc = tar_add(w, PK_IMAGE_BOOTSTRAP, boot->data, boot->len, 0755);
    if (rc == 0)
        rc = tar_add(w, PK_IMAGE_MANIFEST, manifest->data, manifest->len, 0644);
    if (archive_write_close(w) != ARCHIVE_OK)
        rc = -1;
    if (rc)
        fl_fail(err, "cannot make the bootstrap layer: %s", archive_error_string(w));
    archive_write_free(w);
    if (rc == 0) {
        pk_sha256_digest(tar.b.data, tar.b.len, diff_id);
        membuf out = {{0}};
        struct archive *g = archive_write_new();
        archive_write_set_format_raw(g);
        archive_write_add_filter_gzip(g);
        archive_write_set_filter_option(g, "gzip", "timestamp", NULL);
        archive_write_set_bytes_in_last_block(g, 1);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_pathname(e, "layer.tar");
        if (archive_write_open(g, &out, NULL, mem_write, NULL) != ARCHIVE_OK || archive_write_header(g, e) != ARCHIVE_OK ||
            archive_write_data(g, tar.b.data, tar.b.len) != (la_ssize_t)tar.b.len || archive_write_close(g) != ARCHIVE_OK)
            rc = fl_fail(err, "cannot compress the bootstrap layer: %s", archive_error_string(g));
        archive_entry_free(e);
        archive_write_free(g);
        *gz = out.b;
        pk_sha256_digest(gz->data, gz->len, digest);
    }
    fl_buf_free(&tar.b);
    return rc;
}
