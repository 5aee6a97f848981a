/* Opening an image from any source, down to one manifest, its config and its
 * layers: index -> platform -> manifest -> config, each document verified
 * against its digest before it is parsed. */
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

int pk_image_open(pk_image *img, const char *source, const pk_open_opts *o, fl_err *err)
{
    memset(img, 0, sizeof *img);
    if (pk_ref_parse(source, &img->ref, err))
        return -1;
    pk_platform want;
    if (pk_platform_parse(o->platform ? o->platform : "linux/amd64", &want, err))
        return -1;
    bool given = o->platform != NULL;
    int rc;
    switch (img->ref.kind) {
    case PK_SRC_OCI:
        rc = pk_oci_open(img, &want, given, err);
        break;
    case PK_SRC_ARCHIVE:
        rc = pk_archive_open(img, &want, given, err);
        break;
    default:
        rc = pk_regsrc_open(img, o, &want, given, err);
        break;
    }
    if (rc) {
        char *name = pk_ref_string(&img->ref);
        fl_fail_wrap(err, "%s", name);
        free(name);
        pk_image_close(img);
    }
    return rc;
}

void pk_image_close(pk_image *img)
{
    if (img->src && img->src->close)
        img->src->close(img->src);
    pk_ref_free(&img->ref);
    free(img->manifest_digest);
    fl_buf_free(&img->manifest_raw);
    pk_doc_free(&img->manifest);
    fl_buf_free(&img->config_raw);
    pk_config_free(&img->config);
    pk_strv_free(img->platforms);
    memset(img, 0, sizeof *img);
}

static void record_platforms(pk_image *img, const pk_doc *idx)
{
    if (img->platforms)
        return;
    img->platforms = fl_xcalloc(1, sizeof *img->platforms);
    for (size_t i = 0; i < idx->ndescs; i++) {
        const pk_desc *d = &idx->descs[i];
        if (!d->os || !d->arch || !strcmp(d->os, "unknown"))
            continue;
        char *p = fl_xasprintf("%s/%s%s%s", d->os, d->arch, d->variant ? "/" : "", d->variant ? d->variant : "");
        pk_strv_push(&img->platforms, p);
        free(p);
    }
}

static int resolve(pk_image *img, const char *json, size_t len, const char *ct, const char *digest,
                   const pk_platform *want, bool given, int depth, fl_err *err)
{
    char sd[20];
    pk_doc d;
    if (pk_doc_parse(json, len, ct, &d, err))
        return fl_fail_wrap(err, "manifest %s", pk_digest_short(digest, sd));
    if (d.kind == PK_DOC_MANIFEST) {
        fl_buf_reset(&img->manifest_raw);
        fl_buf_append(&img->manifest_raw, json, len);
        return pk_image_set_manifest(img, &d, digest, want, given, err);
    }
    if (depth > 1) {
        pk_doc_free(&d);
        return fl_fail(err, "image indexes nested more than twice: not an image this tool can use");
    }
    record_platforms(img, &d);
    ssize_t i = pk_index_select(&d, want, err);
    if (i < 0) {
        pk_doc_free(&d);
        return -1;
    }
    fl_buf b = {0};
    char *dg = fl_xstrdup(d.descs[i].digest), *mt = fl_xstrdup(d.descs[i].media_type);
    pk_doc_free(&d);
    int rc = img->src->get_small(img->src, dg, mt, PK_MAX_MANIFEST, &b, err);
    if (rc == 0)
        rc = resolve(img, b.data, b.len, mt, dg, want, given, depth + 1, err);
    fl_buf_free(&b);
    free(dg);
    free(mt);
    return rc;
}

int pk_image_resolve(pk_image *img, const char *json, size_t len, const char *ct, const char *digest,
                     const pk_platform *want, bool given, fl_err *err)
{
    return resolve(img, json, len, ct, digest, want, given, 0, err);
}

int pk_image_set_manifest(pk_image *img, pk_doc *doc, const char *digest, const pk_platform *want, bool given,
                          fl_err *err)
{
    img->manifest = *doc;
    memset(doc, 0, sizeof *doc);
    free(img->manifest_digest);
    img->manifest_digest = fl_xstrdup(digest);
    char sd[20];
    const pk_desc *c = &img->manifest.config;
    if (img->src->get_small(img->src, c->digest, c->media_type, PK_MAX_CONFIG, &img->config_raw, err) ||
        pk_config_parse(img->config_raw.data, img->config_raw.len, &img->config, err))
        return fl_fail_wrap(err, "config %s", pk_digest_short(c->digest, sd));
    const pk_config *cf = &img->config;
    if (!cf->os || !cf->arch)
        return fl_fail(err, "config %s names no os/architecture", pk_digest_short(c->digest, sd));
    if (given && !pk_platform_match(want, cf->os, cf->arch, cf->variant))
        return fl_fail(err, "the image is %s/%s%s%s, not the %s/%s%s%s asked for with --platform", cf->os, cf->arch,
                       cf->variant ? "/" : "", cf->variant ? cf->variant : "", want->os, want->arch,
                       want->variant[0] ? "/" : "", want->variant);
    snprintf(img->platform.os, sizeof img->platform.os, "%s", cf->os);
    snprintf(img->platform.arch, sizeof img->platform.arch, "%s", cf->arch);
    snprintf(img->platform.variant, sizeof img->platform.variant, "%s", cf->variant ? cf->variant : "");
    if (cf->diff_ids && cf->ndiff_ids != img->manifest.ndescs)
        return fl_fail(err, "the config lists %zu layer diff_ids but the manifest has %zu layers", cf->ndiff_ids,
                       img->manifest.ndescs);
    if (img->src->layers_are_diffs && cf->ndiff_ids != img->manifest.ndescs)
        return fl_fail(err, "the config lists no diff_ids to check the layers against");
    return 0;
}

int pk_image_layer(pk_image *img, size_t i, pk_stream *out, const char **diff_id, fl_err *err)
{
    *diff_id = img->src->layers_are_diffs ? img->config.diff_ids[i] : NULL;
    return img->src->open_layer(img->src, img, i, out, err);
}

const char *pk_layer_name(const pk_image *img, size_t i, char buf[64])
{
    char sd[20];
    snprintf(buf, 64, "layer %zu/%zu (%s)", i + 1, img->manifest.ndescs,
             pk_digest_short(img->manifest.descs[i].digest, sd));
    return buf;
}
