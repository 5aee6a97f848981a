/* One layer's tar, read in a single pass: blob -> decompression (libarchive,
 * raw format: gzip, zstd, or none) -> tar headers (libarchive, tar only).
 * Two archive objects so that the uncompressed stream can be counted (a
 * decompression bomb stops at the limit) and hashed (docker-archive layers
 * are checked against the config's diff_ids). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define BLOCK (64u << 10)

struct pk_tar {
    pk_stream blob; /* owned */
    struct archive *dec, *tar;
    unsigned char *inbuf, *midbuf;
    pk_hash diff;
    bool hashing;
    char diff_id[72];
    uint64_t raw_bytes, bytes;
    bool dec_eof;
    size_t synth;      /* zeros still to hand out after a stream that ended early */
    bool synthesized;
    fl_err stream_err; /* what our callbacks saw, preferred to libarchive's */
    bool stream_failed;
    char what[96];
    struct archive_entry *entry;
};

static la_ssize_t read_blob(struct archive *a, void *ud, const void **buf)
{
    pk_tar *t = ud;
    ssize_t n = pk_stream_read(&t->blob, t->inbuf, BLOCK, &t->stream_err);
    if (n < 0) {
        t->stream_failed = true;
        archive_set_error(a, EIO, "%s", t->stream_err.msg);
        return -1;
    }
    t->raw_bytes += (uint64_t)n;
    *buf = t->inbuf;
    return n;
}

/* The uncompressed stream: hashed when a diff_id is to be checked. */
static la_ssize_t read_plain(struct archive *a, void *ud, const void **buf)
{
    pk_tar *t = ud;
    if (t->synth) {
        size_t n = t->synth < BLOCK ? t->synth : BLOCK;
        memset(t->midbuf, 0, n);
        t->synth -= n;
        *buf = t->midbuf;
        return (la_ssize_t)n;
    }
    if (t->dec_eof)
        return 0;
    la_ssize_t n = archive_read_data(t->dec, t->midbuf, BLOCK);
    if (n < 0) {
        if (!t->stream_failed)
            fl_fail(&t->stream_err, "%s", archive_error_string(t->dec) ? archive_error_string(t->dec) : "bad data");
        t->stream_failed = true;
        archive_set_error(a, EIO, "%s", t->stream_err.msg);
        return -1;
    }
    if (n == 0) {
        t->dec_eof = true;
        /* Some writers (umoci 0.4) end a layer without the padding of the
         * last entry and without the end-of-archive blocks; Go's tar reader,
         * which docker and containerd use, takes that as the end. So do we:
         * the missing padding and end blocks are supplied as zeros. */
        if (!t->synthesized && t->bytes > 0) {
            t->synthesized = true;
            t->synth = (size_t)((512 - t->bytes % 512) % 512) + 1024;
            return read_plain(a, ud, buf);
        }
    }
    if (t->hashing)
        pk_hash_update(&t->diff, t->midbuf, (size_t)n);
    t->bytes += (uint64_t)n;
    *buf = t->midbuf;
    return n;
}

static int lafail(pk_tar *t, struct archive *a, fl_err *err)
{
    if (t->stream_failed)
        return fl_fail(err, "%s: %s", t->what, t->stream_err.msg);
    const char *m = archive_error_string(a);
    return fl_fail(err, "%s: %s", t->what, m ? m : "unreadable");
}

void pk_tar_abort(pk_tar *t)
{
    if (!t)
        return;
    if (t->tar)
        archive_read_free(t->tar);
    if (t->dec)
        archive_read_free(t->dec);
    if (t->hashing)
        pk_hash_free(&t->diff);
    pk_stream_close(&t->blob);
    free(t->inbuf);
    free(t->midbuf);
    free(t);
}

static int open_failed(pk_tar *t, struct archive *a, fl_err *err)
{
    lafail(t, a, err);
    fl_err berr;
    if (pk_tar_blob_check(t, &berr)) /* a damaged blob is the real cause */
        *err = berr;
    pk_tar_abort(t);
    return -1;
}

int pk_tar_open(pk_tar **out, pk_stream *blob, const char *diff_id, const char *what, fl_err *err)
{
    pk_tar *t = fl_xcalloc(1, sizeof *t);
    t->blob = *blob;
    t->inbuf = fl_xmalloc(BLOCK);
    t->midbuf = fl_xmalloc(BLOCK);
    snprintf(t->what, sizeof t->what, "%s", what);
    if (diff_id) {
        t->hashing = true;
        snprintf(t->diff_id, sizeof t->diff_id, "%s", diff_id);
        pk_hash_init(&t->diff);
    }
    t->dec = archive_read_new();
    archive_read_support_filter_gzip(t->dec);
    archive_read_support_filter_zstd(t->dec);
    archive_read_support_filter_bzip2(t->dec);
    archive_read_support_filter_xz(t->dec);
    archive_read_support_format_raw(t->dec);
    struct archive_entry *e;
    if (archive_read_open(t->dec, t, NULL, read_blob, NULL) != ARCHIVE_OK ||
        archive_read_next_header(t->dec, &e) != ARCHIVE_OK)
        return open_failed(t, t->dec, err);
    t->tar = archive_read_new();
    archive_read_support_format_tar(t->tar);
    if (archive_read_open(t->tar, t, NULL, read_plain, NULL) != ARCHIVE_OK)
        return open_failed(t, t->tar, err);
    *out = t;
    return 0;
}

int pk_tar_next(pk_tar *t, pk_tar_hdr *h, fl_err *err)
{
    struct archive_entry *e;
    int rc = archive_read_next_header(t->tar, &e);
    if (rc == ARCHIVE_EOF)
        return 0;
    if (rc < ARCHIVE_WARN)
        return lafail(t, t->tar, err);
    memset(h, 0, sizeof *h);
    h->name = archive_entry_pathname(e);
    if (!h->name)
        return fl_fail(err, "%s: an entry has no name libarchive can read", t->what);
    h->hardlink = archive_entry_hardlink(e);
    h->symlink = archive_entry_filetype(e) == AE_IFLNK ? archive_entry_symlink(e) : NULL;
    h->type = archive_entry_filetype(e);
    h->mode = archive_entry_perm(e);
    h->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    h->has_xattrs = archive_entry_xattr_count(e) > 0;
    if (h->size < 0)
        return fl_fail(err, "%s: entry %.200s has a negative size", t->what, h->name);
    if (h->type == AE_IFLNK && !h->symlink)
        return fl_fail(err, "%s: symlink %.200s has no target", t->what, h->name);
    t->entry = e;
    return 1;
}

ssize_t pk_tar_read(pk_tar *t, void *buf, size_t n, fl_err *err)
{
    la_ssize_t r = archive_read_data(t->tar, buf, n);
    if (r < 0)
        return lafail(t, t->tar, err);
    return r;
}

int pk_tar_blob_check(pk_tar *t, fl_err *err)
{
    for (;;) {
        ssize_t n = pk_stream_read(&t->blob, t->inbuf, BLOCK, err);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
    }
}

uint64_t pk_tar_raw_bytes(const pk_tar *t)
{
    return t->raw_bytes;
}

uint64_t pk_tar_bytes(const pk_tar *t)
{
    return t->bytes;
}

int pk_tar_finish(pk_tar *t, fl_err *err)
{
    int rc = 0;
    /* the rest of the uncompressed stream (end blocks, padding) and of the
     * blob: both digests cover every byte */
    const void *buf;
    while (!t->dec_eof) {
        if (read_plain(t->tar, t, &buf) < 0) {
            rc = fl_fail(err, "%s: %s", t->what, t->stream_err.msg);
            goto out;
        }
    }
    for (;;) {
        ssize_t n = pk_stream_read(&t->blob, t->inbuf, BLOCK, &t->stream_err);
        if (n < 0) {
            rc = fl_fail(err, "%s: %s", t->what, t->stream_err.msg);
            goto out;
        }
        if (n == 0)
            break;
        t->raw_bytes += (uint64_t)n;
    }
    if (t->hashing) {
        char got[72];
        pk_hash_final(&t->diff, got);
        t->hashing = false;
        if (strcmp(got, t->diff_id))
            rc = fl_fail(err,
                         "%s: the uncompressed layer has digest %s, but the image config says %s: the "
                         "archive is corrupt or was tampered with; refusing it",
                         t->what, got, t->diff_id);
    }
out:
    pk_tar_abort(t);
    return rc;
}
