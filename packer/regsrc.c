/* docker://: an image in a registry, pulled through the blob cache. Blobs
 * already in the cache are not fetched again; a tag is resolved with a HEAD
 * request (no body moves when the manifest is cached), and when the registry
 * does not answer at all, the manifest a previous pull saw for the tag is
 * used, with a warning. */
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "packer/internal.h"

typedef struct reg_src {
    pk_source base;
    pk_registry *reg;
    pk_cache cache;
    bool progress;
} reg_src;

static bool is_manifest_type(const char *mt)
{
    return mt && (strstr(mt, "manifest") || strstr(mt, "image.index"));
}

static int rs_get_small(pk_source *base, const char *digest, const char *mt, size_t max, fl_buf *out, fl_err *err)
{
    reg_src *s = (reg_src *)base;
    fl_err cerr;
    char *p = pk_cache_path(&s->cache, digest);
    bool cached = access(p, R_OK) == 0;
    free(p);
    if (cached && pk_cache_get(&s->cache, digest, max, out, &cerr) == 0)
        return 0;
    int rc;
    if (is_manifest_type(mt)) {
        rc = pk_reg_manifest(s->reg, digest, out, NULL, NULL, err);
        char got[72];
        if (rc == 0) {
            pk_sha256_digest(out->data, out->len, got);
            if (strcmp(got, digest))
                return fl_fail(err, "the registry sent manifest %s with digest %s: refusing it", digest, got);
        }
    } else {
        rc = pk_reg_blob_small(s->reg, digest, max, out, err);
    }
    if (rc)
        return -1;
    if (pk_cache_put(&s->cache, digest, out->data, out->len, &cerr))
        fl_warn("%s", cerr.msg);
    return 0;
}

static int ensure_layer(reg_src *s, const pk_image *img, size_t i, fl_err *err)
{
    const pk_desc *d = &img->manifest.descs[i];
    if (pk_cache_has(&s->cache, d->digest, d->size))
        return 0;
    char *tmp;
    int fd = pk_cache_tmp(&s->cache, &tmp, err);
    if (fd < 0)
        return -1;
    char name[64], label[96];
    snprintf(label, sizeof label, "pull %s", pk_layer_name(img, i, name));
    int rc = pk_reg_blob(s->reg, d->digest, d->size, fd, label, err);
    if (close(fd) != 0 && rc == 0)
        rc = fl_fail(err, "cannot write the blob cache %s", s->cache.dir);
    if (rc == 0)
        rc = pk_cache_commit(&s->cache, tmp, d->digest, err);
    else
        unlink(tmp);
    free(tmp);
    return rc;
}

static int rs_open_layer(pk_source *base, const pk_image *img, size_t i, pk_stream *out, fl_err *err)
{
    reg_src *s = (reg_src *)base;
    if (ensure_layer(s, img, i, err))
        return -1;
    const pk_desc *d = &img->manifest.descs[i];
    char *p = pk_cache_path(&s->cache, d->digest);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fl_fail(err, "cannot open the cached blob %s", p);
        free(p);
        return -1;
    }
    pk_stream raw;
    pk_stream_fd(&raw, fd);
    char name[64], what[600];
    snprintf(what, sizeof what, "%s (cached at %s; delete it to pull again)", pk_layer_name(img, i, name), p);
    free(p);
    pk_stream_verify(out, &raw, d->digest, d->size, true, what);
    return 0;
}

static void rs_close(pk_source *base)
{
    reg_src *s = (reg_src *)base;
    pk_reg_close(s->reg);
    pk_cache_close(&s->cache);
    free(s);
}

/* The manifest a tag names now, or the one it named at the last pull when the
 * registry does not answer. */
static int resolve_tag(reg_src *s, const pk_ref *ref, fl_buf *body, char **ct, char **digest, fl_err *err)
{
    char *key = pk_ref_string(ref);
    fl_err herr;
    char *hd = NULL, *hct = NULL;
    int rc = pk_reg_manifest(s->reg, ref->tag, NULL, &hct, &hd, &herr);
    fl_err cerr;
    if (rc == 0 && hd && pk_cache_get(&s->cache, hd, PK_MAX_MANIFEST, body, &cerr) == 0) {
        *digest = hd;
        *ct = hct;
        free(key);
        return 0;
    }
    free(hd);
    free(hct);
    if (rc == -2) {
        char *cached = pk_cache_ref_get(&s->cache, key);
        if (cached && pk_cache_get(&s->cache, cached, PK_MAX_MANIFEST, body, &cerr) == 0) {
            fl_warn("%s; using the manifest %s that an earlier pull of %s saw", herr.msg, cached, key);
            *digest = cached;
            *ct = NULL;
            free(key);
            return 0;
        }
        free(cached);
        fl_fail(err, "%s", herr.msg);
        free(key);
        return -1;
    }
    rc = pk_reg_manifest(s->reg, ref->tag, body, ct, digest, err);
    if (rc == 0) {
        char got[72];
        pk_sha256_digest(body->data, body->len, got);
        if (*digest && strcmp(*digest, got)) {
            rc = fl_fail(err, "the registry says manifest %s has digest %s, but it hashes to %s: refusing it",
                         key, *digest, got);
        } else {
            free(*digest);
            *digest = fl_xstrdup(got);
            if (pk_cache_put(&s->cache, got, body->data, body->len, &cerr) == 0)
                pk_cache_ref_put(&s->cache, key, got);
        }
    }
    free(key);
    return rc;
}

int pk_regsrc_open(pk_image *img, const pk_open_opts *o, const pk_platform *want, bool given, fl_err *err)
{
    reg_src *s = fl_xcalloc(1, sizeof *s);
    s->base.get_small = rs_get_small;
    s->base.open_layer = rs_open_layer;
    s->base.close = rs_close;
    s->progress = o->reg.progress;
    img->src = &s->base;
    if (pk_cache_open(&s->cache, o->cache_dir, err) || pk_reg_open(&s->reg, &img->ref, &o->reg, err))
        return -1;
    fl_buf body = {0};
    char *ct = NULL, *digest = NULL;
    int rc;
    if (img->ref.digest) {
        digest = fl_xstrdup(img->ref.digest);
        rc = rs_get_small(&s->base, digest, "application/vnd.oci.image.manifest.v1+json", PK_MAX_MANIFEST, &body,
                          err);
    } else {
        rc = resolve_tag(s, &img->ref, &body, &ct, &digest, err);
    }
    if (rc == 0)
        rc = pk_image_resolve(img, body.data, body.len, ct, digest, want, given, err);
    for (size_t i = 0; rc == 0 && o->fetch_layers && i < img->manifest.ndescs; i++)
        rc = ensure_layer(s, img, i, err);
    fl_buf_free(&body);
    free(ct);
    free(digest);
    return rc;
}
