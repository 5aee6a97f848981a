/* Manifests and indexes (OCI and Docker v2 schema 2), checked field by field:
 * a document from a registry or a layout is hostile until it parses here. */
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

static const struct {
    const char *type;
    pk_compression comp;
} layer_types[] = {
    {"application/vnd.oci.image.layer.v1.tar", PK_COMP_NONE},
    {"application/vnd.oci.image.layer.v1.tar+gzip", PK_COMP_GZIP},
    {"application/vnd.oci.image.layer.v1.tar+zstd", PK_COMP_ZSTD},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar", PK_COMP_NONE},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", PK_COMP_GZIP},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", PK_COMP_ZSTD},
    {"application/vnd.docker.image.rootfs.diff.tar.gzip", PK_COMP_GZIP},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", PK_COMP_GZIP},
    {"application/vnd.docker.image.rootfs.diff.tar", PK_COMP_NONE},
};

static int layer_comp(const char *mt, pk_compression *c)
{
    for (size_t i = 0; i < sizeof layer_types / sizeof layer_types[0]; i++)
        if (!strcmp(mt, layer_types[i].type)) {
            *c = layer_types[i].comp;
            return 0;
        }
    return -1;
}

void pk_desc_free(pk_desc *d)
{
    free(d->media_type);
    free(d->digest);
    free(d->os);
    free(d->arch);
    free(d->variant);
    free(d->ref_name);
    memset(d, 0, sizeof *d);
}

void pk_doc_free(pk_doc *d)
{
    pk_desc_free(&d->config);
    for (size_t i = 0; i < d->ndescs; i++)
        pk_desc_free(&d->descs[i]);
    free(d->descs);
    free(d->media_type);
    memset(d, 0, sizeof *d);
}

static char *opt_dup(const char *s)
{
    return s ? fl_xstrdup(s) : NULL;
}

/* A descriptor: mediaType, digest, size are required. */
static int parse_desc(const cJSON *j, const char *what, size_t i, pk_desc *d, fl_err *err)
{
    memset(d, 0, sizeof *d);
    if (!cJSON_IsObject(j))
        return fl_fail(err, "%s %zu is not a JSON object", what, i);
    const char *mt = fl_json_str(j, "mediaType"), *dg = fl_json_str(j, "digest");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(j, "size");
    if (!mt || !*mt)
        return fl_fail(err, "%s %zu has no mediaType", what, i);
    if (!dg)
        return fl_fail(err, "%s %zu has no digest", what, i);
    if (!pk_digest_valid(dg))
        return fl_fail(err, "%s %zu: digest \"%.80s\" is not sha256:<64 hex> (other algorithms are not supported)",
                       what, i, dg);
    if (!cJSON_IsNumber(size) || size->valuedouble < 0 || size->valuedouble > 1e15 ||
        size->valuedouble != (double)(uint64_t)size->valuedouble)
        return fl_fail(err, "%s %zu has no valid size", what, i);
    d->media_type = fl_xstrdup(mt);
    d->digest = fl_xstrdup(dg);
    d->size = (uint64_t)size->valuedouble;
    const cJSON *plat = fl_json_obj(j, "platform");
    if (plat) {
        d->os = opt_dup(fl_json_str(plat, "os"));
        d->arch = opt_dup(fl_json_str(plat, "architecture"));
        d->variant = opt_dup(fl_json_str(plat, "variant"));
    }
    const cJSON *ann = fl_json_obj(j, "annotations");
    if (ann)
        d->ref_name = opt_dup(fl_json_str(ann, "org.opencontainers.image.ref.name"));
    return 0;
}

static int parse_descs(const cJSON *arr, const char *what, size_t max, pk_doc *d, fl_err *err)
{
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n > max)
        return fl_fail(err, "%d %ss, more than the %zu allowed", cJSON_GetArraySize(arr), what, max);
    d->descs = fl_xcalloc(n ? n : 1, sizeof *d->descs);
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        if (parse_desc(e, what, d->ndescs, &d->descs[d->ndescs], err))
            return -1;
        d->ndescs++;
    }
    return 0;
}

static int parse_manifest(const cJSON *root, pk_doc *d, fl_err *err)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    const cJSON *layers = fl_json_arr(root, "layers");
    if (!cfg || !layers)
        return fl_fail(err, "image manifest without \"config\" and \"layers\"");
    if (parse_desc(cfg, "config", 0, &d->config, err))
        return -1;
    const char *ct = d->config.media_type;
    if (strcmp(ct, "application/vnd.oci.image.config.v1+json") &&
        strcmp(ct, "application/vnd.docker.container.image.v1+json"))
        return fl_fail(err, "config media type %s is not a container image config (an artifact, not an image?)", ct);
    if (parse_descs(layers, "layer", PK_MAX_LAYERS, d, err))
        return -1;
    for (size_t i = 0; i < d->ndescs; i++)
        if (layer_comp(d->descs[i].media_type, &d->descs[i].comp))
            return fl_fail(err, "layer %zu has media type %s, which is not a tar layer (gzip, zstd or none)", i + 1,
                           d->descs[i].media_type);
    return 0;
}

int pk_doc_parse(const char *json, size_t len, const char *content_type, pk_doc *d, fl_err *err)
{
    memset(d, 0, sizeof *d);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fl_fail(err, "not a JSON object");
    }
    int rc = -1;
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(root, "schemaVersion");
    if (cJSON_IsNumber(sv) && sv->valuedouble == 1) {
        fl_fail(err, "Docker schema 1 manifest: not supported (push the image again with a current docker or skopeo)");
        goto out;
    }
    if (!cJSON_IsNumber(sv) || sv->valuedouble != 2) {
        fl_fail(err, "\"schemaVersion\" must be 2");
        goto out;
    }
    const char *mt = fl_json_str(root, "mediaType");
    if (!mt && content_type && *content_type)
        mt = content_type;
    bool is_index;
    if (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)))
        is_index = true;
    else if (mt && (!strcmp(mt, MT_OCI_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST)))
        is_index = false;
    else if (!mt || !strcmp(mt, "application/json"))
        is_index = cJSON_GetObjectItemCaseSensitive(root, "manifests") != NULL;
    else {
        fl_fail(err, "media type %.100s is not an image manifest or index", mt);
        goto out;
    }
    d->media_type = fl_xstrdup(mt && strcmp(mt, "application/json") ? mt : is_index ? MT_OCI_INDEX : MT_OCI_MANIFEST);
    d->docker = !strcmp(d->media_type, MT_DOCKER_MANIFEST) || !strcmp(d->media_type, MT_DOCKER_LIST);
    d->kind = is_index ? PK_DOC_INDEX : PK_DOC_MANIFEST;
    if (is_index) {
        const cJSON *m = fl_json_arr(root, "manifests");
        if (!m) {
            fl_fail(err, "image index without a \"manifests\" array");
            goto out;
        }
        if (parse_descs(m, "manifest", PK_MAX_INDEX_ENTRIES, d, err))
            goto out;
    } else if (parse_manifest(root, d, err)) {
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc)
        pk_doc_free(d);
    return rc;
}
