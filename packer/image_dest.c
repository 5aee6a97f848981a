/* Where --format image writes: an OCI layout (blobs/sha256, index.json
 * naming the image by tag; OCI media types) or a registry (Docker v2 schema
 * 2 media types; a blob the registry lacks is mounted from the source
 * repository when that is on the same registry, else uploaded). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packer/internal.h"

/* Pushed images use Docker v2 schema 2 media types (what Lambda and ECR
 * take); an OCI layout gets the OCI ones, which is what skopeo and umoci read
 * from a layout (skopeo copy converts either way). */
static const pk_media_types docker_types = {"application/vnd.docker.distribution.manifest.v2+json",
                                         "application/vnd.docker.container.image.v1+json",
                                         "application/vnd.docker.image.rootfs.diff.tar.gzip"};
static const pk_media_types oci_types = {"application/vnd.oci.image.manifest.v1+json",
                                      "application/vnd.oci.image.config.v1+json",
                                      "application/vnd.oci.image.layer.v1.tar+gzip"};

/* ---- OCI layout destination ---- */
static char *layout_blob(const pk_dest *d, const char *digest)
{
    return fl_xasprintf("%s/blobs/sha256/%s", d->dir, pk_digest_hex(digest));
}

static int layout_has(pk_dest *d, const char *digest, bool may_mount, bool *yes, fl_err *err)
{
    char *p = layout_blob(d, digest);
    *yes = access(p, F_OK) == 0;
    free(p);
    return 0;
}

static int layout_put(pk_dest *d, const char *digest, uint64_t size, pk_stream *in, fl_err *err)
{
    char *p = layout_blob(d, digest), *tmp = fl_xasprintf("%s.tmp.%ld", p, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), rc = 0;
    if (fd < 0)
        rc = fl_fail(err, "cannot create %s: %s", tmp, strerror(errno));
    char *buf = fl_xmalloc(1u << 18);
    uint64_t done = 0;
    while (rc == 0) {
        ssize_t n = pk_stream_read(in, buf, 1u << 18, err);
        if (n < 0)
            rc = -1;
        else if (n == 0)
            break;
        else if (write(fd, buf, (size_t)n) != n)
            rc = fl_fail(err, "cannot write %s: %s", tmp, strerror(errno));
        else
            done += (uint64_t)n;
    }
    free(buf);
    if (rc == 0 && done != size)
        rc = fl_fail(err, "blob %s was %llu bytes, not %llu", digest, (unsigned long long)done,
                     (unsigned long long)size);
    if (fd >= 0 && (fsync(fd) != 0 || close(fd) != 0) && rc == 0)
        rc = fl_fail(err, "cannot write %s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, p) != 0)
        rc = fl_fail(err, "cannot rename %s: %s", tmp, strerror(errno));
    if (rc)
        unlink(tmp);
    free(tmp);
    free(p);
    return rc;
}

static int layout_finish(pk_dest *d, const char *tag, const void *manifest, size_t len, fl_err *err)
{
    char digest[72];
    pk_sha256_digest(manifest, len, digest);
    fl_buf tmp = {0};
    char *p = layout_blob(d, digest);
    int rc = fl_write_file_atomic(p, manifest, len, 0644, err);
    free(p);
    if (rc)
        return -1;
    /* index.json: ours replaces an entry of the same name, others stay */
    char *ip = fl_xasprintf("%s/index.json", d->dir);
    fl_buf old = {0};
    cJSON *idx = NULL;
    fl_err rerr;
    if (fl_read_file(ip, PK_MAX_MANIFEST, &old, &rerr) == 0)
        idx = cJSON_ParseWithLength(old.data, old.len);
    if (!cJSON_IsObject(idx)) {
        cJSON_Delete(idx);
        idx = cJSON_CreateObject();
        cJSON_AddNumberToObject(idx, "schemaVersion", 2);
    }
    cJSON *list = cJSON_GetObjectItemCaseSensitive(idx, "manifests");
    if (!cJSON_IsArray(list)) {
        cJSON_DeleteItemFromObjectCaseSensitive(idx, "manifests");
        list = cJSON_AddArrayToObject(idx, "manifests");
    }
    for (int i = cJSON_GetArraySize(list) - 1; i >= 0; i--) {
        const cJSON *ann = fl_json_obj(cJSON_GetArrayItem(list, i), "annotations");
        const char *name = ann ? fl_json_str(ann, "org.opencontainers.image.ref.name") : NULL;
        if (name && !strcmp(name, tag))
            cJSON_DeleteItemFromArray(list, i);
    }
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "mediaType", d->mt->manifest);
    cJSON_AddStringToObject(e, "digest", digest);
    cJSON_AddNumberToObject(e, "size", (double)len);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "annotations"), "org.opencontainers.image.ref.name", tag);
    cJSON_AddItemToArray(list, e);
    fl_json_print(&tmp, idx);
    rc = fl_write_file_atomic(ip, tmp.data, tmp.len, 0644, err);
    cJSON_Delete(idx);
    fl_buf_free(&tmp);
    fl_buf_free(&old);
    free(ip);
    return rc;
}

static void layout_close(pk_dest *d)
{
    free(d->dir);
}

static int open_layout(pk_dest *d, const char *dir, fl_err *err)
{
    char *blobs = fl_xasprintf("%s/blobs/sha256", dir), *marker = fl_xasprintf("%s/oci-layout", dir);
    int rc = fl_mkdirs(blobs, 0755, err);
    if (rc == 0 && access(marker, F_OK) != 0) {
        const char *v = "{\"imageLayoutVersion\":\"1.0.0\"}";
        rc = fl_write_file_atomic(marker, v, strlen(v), 0644, err);
    }
    free(blobs);
    free(marker);
    d->dir = fl_xstrdup(dir);
    d->mt = &oci_types;
    d->has = layout_has;
    d->put = layout_put;
    d->finish = layout_finish;
    d->close = layout_close;
    return rc;
}

/* ---- registry destination ---- */
static int reg_has(pk_dest *d, const char *digest, bool may_mount, bool *yes, fl_err *err)
{
    if (pk_reg_blob_exists(d->reg, digest, yes, err))
        return -1;
    if (!*yes && may_mount && d->mount_from)
        return pk_reg_blob_mount(d->reg, digest, d->mount_from, yes, err);
    return 0;
}

static int reg_put(pk_dest *d, const char *digest, uint64_t size, pk_stream *in, fl_err *err)
{
    return pk_reg_blob_upload(d->reg, digest, size, in, err);
}

static int reg_finish(pk_dest *d, const char *tag, const void *manifest, size_t len, fl_err *err)
{
    return pk_reg_put_manifest(d->reg, tag, d->mt->manifest, manifest, len, err);
}

static void reg_close(pk_dest *d)
{
    pk_reg_close(d->reg);
}

/* ---- blobs in memory and through gzip ---- */
typedef struct mem_stream {
    const char *p;
    size_t left;
} mem_stream;

static ssize_t mem_read(pk_stream *s, void *buf, size_t n, fl_err *err)
{
    mem_stream *m = s->ud;
    if (n > m->left)
        n = m->left;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (ssize_t)n;
}

static void mem_close(pk_stream *s)
{
    free(s->ud);
}

static void mem_stream_open(pk_stream *s, const void *p, size_t n)
{
    mem_stream *m = fl_xcalloc(1, sizeof *m);
    m->p = p;
    m->left = n;
    memset(s, 0, sizeof *s);
    s->read = mem_read;
    s->close = mem_close;
    s->ud = m;
    s->fd = -1;
}

int pk_dest_put_mem(pk_dest *d, const char *digest, const void *p, size_t n, fl_err *err)
{
    bool yes;
    if (d->has(d, digest, false, &yes, err))
        return -1;
    if (yes)
        return 0;
    pk_stream s;
    mem_stream_open(&s, p, n);
    int rc = d->put(d, digest, n, &s, err);
    pk_stream_close(&s);
    return rc;
}

int pk_dest_open(pk_dest *d, const pk_image *img, const packer_options *o, pk_ref *ref, char **tag, fl_err *err)
{
    const char *out = o->output;
    memset(d, 0, sizeof *d);
    if (fl_str_has_prefix(out, "oci:")) {
        char *dir = fl_xstrndup(out + 4, strcspn(out + 4, ":"));
        const char *t = out + 4 + strlen(dir);
        *tag = fl_xstrdup(*t == ':' && t[1] ? t + 1 : "latest");
        int rc = *dir ? open_layout(d, dir, err) : fl_fail(err, "-o oci: names no directory");
        free(dir);
        if (rc == 0 && !pk_tag_valid(*tag))
            rc = fl_fail(err, "-o %s: \"%s\" is not a valid tag", out, *tag);
        return rc;
    }
    if (!fl_str_has_prefix(out, "docker://"))
        return fl_fail(err, "--format image writes to -o oci:DIR[:TAG] or -o docker://NAME[:TAG], not %s", out);
    if (pk_docker_ref_parse(out + 9, ref, err))
        return -1;
    if (ref->digest && !ref->tag)
        return fl_fail(err, "-o %s: push to a tag, not a digest", out);
    *tag = fl_xstrdup(ref->tag);
    const pk_ref *src = &img->ref;
    bool same = src->kind == PK_SRC_DOCKER && !strcmp(src->domain, ref->domain) && strcmp(src->repo, ref->repo);
    pk_reg_opts ro = {.creds = o->creds, .docker_config = o->docker_config, .insecure = o->insecure,
                      .progress = o->progress && !o->quiet, .push = true, .mount_from = same ? src->repo : NULL};
    d->mount_from = ro.mount_from;
    d->mt = &docker_types;
    d->has = reg_has;
    d->put = reg_put;
    d->finish = reg_finish;
    d->close = reg_close;
    return pk_reg_open(&d->reg, ref, &ro, err);
}
