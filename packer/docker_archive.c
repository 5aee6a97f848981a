/* docker-archive:FILE[:NAME]: the tar `docker save` and skopeo write:
 * manifest.json ([{"Config","RepoTags","Layers"}]), the config, and one tar
 * per layer (plain or compressed; older layouts reach them through symlinks
 * inside the archive). There are no blob digests: the config is checked
 * against its file name when that is a digest, the layers against the
 * config's diff_ids after decompression. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define MAX_MEMBERS 100000
#define MAX_INDEX (1u << 20)

typedef struct member {
    char *name;
    char *symlink; /* resolved member name, or NULL */
    uint64_t size;
} member;

typedef struct archive_src {
    pk_source base;
    char *file;
    member *m;
    size_t n;
    char **layers; /* member names, resolved through symlinks */
    fl_buf config;
    char config_digest[72];
} archive_src;

static struct archive *open_outer(const char *file, fl_err *err)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_bzip2(a);
    if (archive_read_open_filename(a, file, 256u << 10) != ARCHIVE_OK) {
        fl_fail(err, "cannot read %s: %s", file, archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static char *norm_member(const char *name)
{
    char *out = NULL;
    if (pk_path_norm(name, &out, NULL, NULL))
        return NULL;
    return out;
}

static member *find(archive_src *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->m[i].name, name))
            return &s->m[i];
    return NULL;
}

/* A member name through the archive's own symlinks (a few hops at most). */
static const char *resolve(archive_src *s, const char *name)
{
    char *n = norm_member(name);
    if (!n)
        return NULL;
    member *m = find(s, n);
    free(n);
    for (int hops = 0; m && m->symlink && hops < 8; hops++)
        m = find(s, m->symlink);
    return m && !m->symlink ? m->name : NULL;
}

static int scan(archive_src *s, fl_err *err)
{
    struct archive *a = open_outer(s->file, err);
    if (!a)
        return -1;
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        const char *name = archive_entry_pathname(e);
        char *n = name ? norm_member(name) : NULL;
        if (!n)
            continue;
        if (s->n >= MAX_MEMBERS) {
            free(n);
            archive_read_free(a);
            return fl_fail(err, "%s has more than %d members: not a docker archive", s->file, MAX_MEMBERS);
        }
        s->m = fl_xrealloc(s->m, (s->n + 1) * sizeof *s->m);
        member *m = &s->m[s->n++];
        memset(m, 0, sizeof *m);
        m->name = n;
        m->size = archive_entry_size_is_set(e) ? (uint64_t)archive_entry_size(e) : 0;
        const char *target = archive_entry_filetype(e) == AE_IFLNK ? archive_entry_symlink(e) : NULL;
        if (!target)
            target = archive_entry_hardlink(e);
        if (target) {
            bool esc;
            m->symlink = archive_entry_filetype(e) == AE_IFLNK ? pk_link_resolve(n, target, &esc)
                                                                : norm_member(target);
            if (!m->symlink)
                m->symlink = fl_xstrdup("");
        }
    }
    if (r != ARCHIVE_EOF) {
        fl_fail(err, "%s: %s", s->file, archive_error_string(a));
        archive_read_free(a);
        return -1;
    }
    archive_read_free(a);
    return 0;
}

/* Positions a fresh reader of the archive at member name. */
static struct archive *open_member(archive_src *s, const char *name, fl_err *err)
{
    struct archive *a = open_outer(s->file, err);
    if (!a)
        return NULL;
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        char *n = archive_entry_pathname(e) ? norm_member(archive_entry_pathname(e)) : NULL;
        bool hit = n && !strcmp(n, name);
        free(n);
        if (hit)
            return a;
    }
    fl_fail(err, "%s: member %s went missing", s->file, name);
    archive_read_free(a);
    return NULL;
}

static int read_member(archive_src *s, const char *name, size_t max, fl_buf *out, fl_err *err)
{
    const char *real = resolve(s, name);
    if (!real)
        return fl_fail(err, "%s has no member %s", s->file, name);
    struct archive *a = open_member(s, real, err);
    if (!a)
        return -1;
    char buf[65536];
    la_ssize_t n;
    fl_buf_reset(out);
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
        if (out->len + (size_t)n > max) {
            archive_read_free(a);
            return fl_fail(err, "%s: %s is larger than the %zu bytes allowed", s->file, name, max);
        }
        fl_buf_append(out, buf, (size_t)n);
    }
    int rc = n < 0 ? fl_fail(err, "%s: %s: %s", s->file, name, archive_error_string(a)) : 0;
    archive_read_free(a);
    return rc;
}

static int arc_get_small(pk_source *base, const char *digest, const char *mt, size_t max, fl_buf *out,
                         fl_err *err)
{
    archive_src *s = (archive_src *)base;
    if (strcmp(digest, s->config_digest) || s->config.len > max)
        return fl_fail(err, "%s holds no blob %s", s->file, digest);
    fl_buf_reset(out);
    fl_buf_append(out, s->config.data, s->config.len);
    return 0;
}

typedef struct member_stream {
    struct archive *a;
} member_stream;

static ssize_t ms_read(pk_stream *st, void *buf, size_t n, fl_err *err)
{
    member_stream *m = st->ud;
    la_ssize_t r = archive_read_data(m->a, buf, n);
    if (r < 0)
        return fl_fail(err, "%s", archive_error_string(m->a));
    return r;
}

static void ms_close(pk_stream *st)
{
    member_stream *m = st->ud;
    archive_read_free(m->a);
    free(m);
}

static int arc_open_layer(pk_source *base, const pk_image *img, size_t i, pk_stream *out, fl_err *err)
{
    archive_src *s = (archive_src *)base;
    (void)img;
    struct archive *a = open_member(s, s->layers[i], err);
    if (!a)
        return -1;
    member_stream *m = fl_xcalloc(1, sizeof *m);
    m->a = a;
    memset(out, 0, sizeof *out);
    out->read = ms_read;
    out->close = ms_close;
    out->ud = m;
    out->fd = -1;
    return 0;
}

static void arc_close(pk_source *base)
{
    archive_src *s = (archive_src *)base;
    for (size_t i = 0; i < s->n; i++) {
        free(s->m[i].name);
        free(s->m[i].symlink);
    }
    free(s->m);
    pk_strv_free(s->layers);
    fl_buf_free(&s->config);
    free(s->file);
    free(s);
}

/* RepoTags hold "docker.io/library/fn:1.0" or "fn:1.0": either form names it. */
static bool tag_matches(const char *tag, const char *want)
{
    if (!strcmp(tag, want))
        return true;
    pk_ref a, b;
    bool eq = false;
    if (pk_docker_ref_parse(tag, &a, NULL) == 0) {
        if (pk_docker_ref_parse(want, &b, NULL) == 0) {
            char *x = pk_ref_string(&a), *y = pk_ref_string(&b);
            eq = !strcmp(x, y);
            free(x);
            free(y);
            pk_ref_free(&b);
        }
        pk_ref_free(&a);
    }
    return eq;
}

static const cJSON *pick(archive_src *s, const cJSON *list, const char *name, fl_err *err)
{
    int n = cJSON_GetArraySize(list);
    if (!name && n == 1)
        return cJSON_GetArrayItem(list, 0);
    fl_buf have = {0};
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const cJSON *t;
        cJSON_ArrayForEach(t, fl_json_arr(e, "RepoTags")) {
            if (!cJSON_IsString(t))
                continue;
            if (name && tag_matches(t->valuestring, name)) {
                fl_buf_free(&have);
                return e;
            }
            fl_buf_printf(&have, "%s%s", have.len ? ", " : "", t->valuestring);
        }
    }
    if (name)
        fl_fail(err, "%s has no image %s (it has: %s)", s->file, name, have.len ? have.data : "none");
    else
        fl_fail(err, "%s holds %d images: name one with docker-archive:%s:NAME (one of: %s)", s->file, n, s->file,
                have.len ? have.data : "none");
    fl_buf_free(&have);
    return NULL;
}

/* The digest a config member's name claims ("<hex>.json", "blobs/sha256/<hex>"). */
static bool name_claims(const char *name, char out[72])
{
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    char d[80];
    snprintf(d, sizeof d, "sha256:%.64s", base);
    if (!pk_digest_valid(d) || (base[64] && strcmp(base + 64, ".json")))
        return false;
    memcpy(out, d, 72);
    return true;
}

static int load(archive_src *s, pk_image *img, pk_doc *doc, fl_err *err)
{
    fl_buf b = {0};
    if (read_member(s, "manifest.json", MAX_INDEX, &b, err)) {
        fl_buf_free(&b);
        return fl_fail_wrap(err, "not a docker archive (docker save of docker >= 1.10)");
    }
    cJSON *root = cJSON_ParseWithLength(b.data, b.len);
    fl_buf_free(&b);
    int rc = -1;
    const cJSON *e = cJSON_IsArray(root) ? pick(s, root, img->ref.name, err) : NULL;
    if (!cJSON_IsArray(root))
        fl_fail(err, "%s: manifest.json is not a JSON array", s->file);
    if (!e)
        goto out;
    const char *cfg = fl_json_str(e, "Config");
    const cJSON *layers = fl_json_arr(e, "Layers");
    if (!cfg || !layers || cJSON_GetArraySize(layers) > PK_MAX_LAYERS) {
        fl_fail(err, "%s: manifest.json entry without Config and Layers", s->file);
        goto out;
    }
    if (read_member(s, cfg, PK_MAX_CONFIG, &s->config, err))
        goto out;
    pk_sha256_digest(s->config.data, s->config.len, s->config_digest);
    char claimed[72];
    if (name_claims(cfg, claimed) && strcmp(claimed, s->config_digest)) {
        fl_fail(err, "%s: config %s has digest %s: the archive is corrupt or was tampered with", s->file, cfg,
                s->config_digest);
        goto out;
    }
    memset(doc, 0, sizeof *doc);
    doc->kind = PK_DOC_MANIFEST;
    doc->docker = true;
    doc->media_type = fl_xstrdup("application/vnd.docker.distribution.manifest.v2+json");
    doc->config.media_type = fl_xstrdup("application/vnd.docker.container.image.v1+json");
    doc->config.digest = fl_xstrdup(s->config_digest);
    doc->config.size = s->config.len;
    size_t n = (size_t)cJSON_GetArraySize(layers);
    doc->descs = fl_xcalloc(n + 1, sizeof *doc->descs);
    s->layers = fl_xcalloc(n + 1, sizeof *s->layers);
    const cJSON *l;
    cJSON_ArrayForEach(l, layers) {
        const char *real = cJSON_IsString(l) ? resolve(s, l->valuestring) : NULL;
        if (!real) {
            fl_fail(err, "%s: layer %zu (%s) is not in the archive", s->file, doc->ndescs + 1,
                    cJSON_IsString(l) ? l->valuestring : "?");
            goto out;
        }
        s->layers[doc->ndescs] = fl_xstrdup(real);
        pk_desc *d = &doc->descs[doc->ndescs++];
        d->media_type = fl_xstrdup("application/vnd.docker.image.rootfs.diff.tar");
        d->size = find(s, real)->size;
        d->comp = PK_COMP_NONE;
        /* the blob's own digest is unknown until read: name it by its member */
        char dg[72];
        if (!name_claims(real, dg))
            pk_sha256_digest(real, strlen(real), dg);
        d->digest = fl_xstrdup(dg);
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

int pk_archive_open(pk_image *img, const pk_platform *want, bool given, fl_err *err)
{
    archive_src *s = fl_xcalloc(1, sizeof *s);
    s->base.get_small = arc_get_small;
    s->base.open_layer = arc_open_layer;
    s->base.close = arc_close;
    s->base.layers_are_diffs = true;
    s->file = fl_xstrdup(img->ref.path);
    img->src = &s->base;
    pk_doc doc = {0};
    if (scan(s, err) || load(s, img, &doc, err)) {
        pk_doc_free(&doc);
        return -1;
    }
    return pk_image_set_manifest(img, &doc, s->config_digest, want, given, err);
}
