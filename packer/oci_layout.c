/* oci:DIR[:REF]: an OCI image layout (oci-layout, index.json, blobs/sha256/).
 * index.json is the root of trust; every blob it leads to is checked. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "packer/internal.h"

typedef struct oci_src {
    pk_source base;
    char *dir;
} oci_src;

static char *blob_path(const oci_src *s, const char *digest)
{
    return fl_xasprintf("%s/blobs/sha256/%s", s->dir, pk_digest_hex(digest));
}

static int open_blob(const oci_src *s, const char *digest, int *fd, uint64_t *size, fl_err *err)
{
    char *p = blob_path(s, digest);
    *fd = open(p, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (*fd < 0 || fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        if (*fd >= 0)
            close(*fd);
        fl_fail(err, "blob %s is missing from the layout: %s (copy the image again)", p,
                *fd >= 0 ? "not a regular file" : strerror(e));
        free(p);
        return -1;
    }
    free(p);
    *size = (uint64_t)st.st_size;
    return 0;
}

static int oci_get_small(pk_source *base, const char *digest, const char *mt, size_t max, fl_buf *out,
                         fl_err *err)
{
    oci_src *s = (oci_src *)base;
    int fd;
    uint64_t size;
    if (open_blob(s, digest, &fd, &size, err))
        return -1;
    close(fd);
    char *p = blob_path(s, digest);
    int rc = fl_read_file(p, max, out, err);
    free(p);
    if (rc)
        return -1;
    char got[72];
    pk_sha256_digest(out->data, out->len, got);
    if (strcmp(got, digest))
        return fl_fail(err, "blob %s has digest %s: corrupt or tampered with; refusing it", digest, got);
    return 0;
}

static int oci_open_layer(pk_source *base, const pk_image *img, size_t i, pk_stream *out, fl_err *err)
{
    oci_src *s = (oci_src *)base;
    const pk_desc *d = &img->manifest.descs[i];
    int fd;
    uint64_t size;
    if (open_blob(s, d->digest, &fd, &size, err))
        return -1;
    pk_stream raw;
    pk_stream_fd(&raw, fd);
    char name[64], what[128];
    snprintf(what, sizeof what, "%s in %s", pk_layer_name(img, i, name), s->dir);
    pk_stream_verify(out, &raw, d->digest, d->size, true, what);
    return 0;
}

static void oci_close(pk_source *base)
{
    oci_src *s = (oci_src *)base;
    free(s->dir);
    free(s);
}

static int check_layout(const char *dir, fl_err *err)
{
    char *p = fl_xasprintf("%s/oci-layout", dir);
    fl_buf b = {0};
    int rc = fl_read_file(p, 4096, &b, err);
    free(p);
    if (rc) {
        fl_buf_free(&b);
        return fl_fail(err, "%s is not an OCI image layout (no readable oci-layout file)", dir);
    }
    cJSON *j = cJSON_ParseWithLength(b.data, b.len);
    const char *v = fl_json_str(j, "imageLayoutVersion");
    rc = v && !strncmp(v, "1.", 2) ? 0
                                   : fl_fail(err, "%s/oci-layout: imageLayoutVersion is not 1.x", dir);
    cJSON_Delete(j);
    fl_buf_free(&b);
    return rc;
}

/* The entry of index.json that REF names (or the only one). */
static ssize_t pick(const pk_doc *idx, const char *name, const char *dir, fl_err *err)
{
    if (!name) {
        if (idx->ndescs == 1)
            return 0;
        bool refs = false;
        for (size_t i = 0; i < idx->ndescs; i++)
            refs |= idx->descs[i].ref_name != NULL;
        if (!refs && idx->ndescs > 1)
            return -2; /* a multi-platform index.json: choose by platform */
    } else {
        for (size_t i = 0; i < idx->ndescs; i++)
            if (idx->descs[i].ref_name && !strcmp(idx->descs[i].ref_name, name))
                return (ssize_t)i;
    }
    fl_buf have = {0};
    for (size_t i = 0; i < idx->ndescs; i++)
        if (idx->descs[i].ref_name)
            fl_buf_printf(&have, "%s%s", have.len ? ", " : "", idx->descs[i].ref_name);
    if (name)
        fl_fail(err, "%s has no image named \"%s\" (it has: %s)", dir, name, have.len ? have.data : "none");
    else
        fl_fail(err, "%s holds %zu images: name one with oci:%s:REF (REF one of: %s)", dir, idx->ndescs, dir,
                have.len ? have.data : "none");
    fl_buf_free(&have);
    return -1;
}

int pk_oci_open(pk_image *img, const pk_platform *want, bool given, fl_err *err)
{
    const char *dir = img->ref.path;
    if (check_layout(dir, err))
        return -1;
    oci_src *s = fl_xcalloc(1, sizeof *s);
    s->base.get_small = oci_get_small;
    s->base.open_layer = oci_open_layer;
    s->base.close = oci_close;
    s->dir = fl_xstrdup(dir);
    img->src = &s->base;

    fl_buf b = {0};
    char *p = fl_xasprintf("%s/index.json", dir);
    int rc = fl_read_file(p, PK_MAX_MANIFEST, &b, err);
    free(p);
    pk_doc idx = {0};
    if (rc == 0 && pk_doc_parse(b.data, b.len, "application/vnd.oci.image.index.v1+json", &idx, err))
        rc = fl_fail_wrap(err, "%s/index.json", dir);
    if (rc == 0 && idx.kind != PK_DOC_INDEX)
        rc = fl_fail(err, "%s/index.json is not an image index", dir);
    if (rc) {
        fl_buf_free(&b);
        pk_doc_free(&idx);
        return -1;
    }
    ssize_t i = pick(&idx, img->ref.name, dir, err);
    if (i == -2) {
        char d[72];
        pk_sha256_digest(b.data, b.len, d);
        rc = pk_image_resolve(img, b.data, b.len, NULL, d, want, given, err);
    } else if (i < 0) {
        rc = -1;
    } else {
        fl_buf m = {0};
        const pk_desc *d = &idx.descs[i];
        rc = oci_get_small(&s->base, d->digest, d->media_type, PK_MAX_MANIFEST, &m, err);
        if (rc == 0)
            rc = pk_image_resolve(img, m.data, m.len, d->media_type, d->digest, want, given, err);
        fl_buf_free(&m);
    }
    fl_buf_free(&b);
    pk_doc_free(&idx);
    return rc;
}
