/* Container-image functions (PackageType Image): ImageUri names an image in
 * a registry (HOST[:PORT]/REPO[:TAG|@sha256:DIGEST]; loopback registries
 * over plain HTTP). Through the packer's public API: packer_inspect reads
 * the image's digest and config, packer_pack writes its root filesystem as
 * a zip (no bootstrap, no relocation), which is unpacked once per digest
 * into images/sha256-HEX/ with its config beside it (images/sha256-HEX.json,
 * written last). The sandbox then has that tree as /, and runs the image's
 * ENTRYPOINT + CMD (ImageConfig overrides) in its WORKDIR with its ENV. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"
#include "packer/packer.h"

#define IMAGE_UNZIPPED_MAX (10ull << 30) /* Lambda: 10 GB images */

/* "sha256:HEX" -> "sha256-HEX", the directory name. */
void emu_image_dir_name(const char *digest, char out[80])
{
    snprintf(out, 80, "%.79s", digest);
    char *c = strchr(out, ':');
    if (c)
        *c = '-';
}

static bool digest_valid(const char *d)
{
    return d && strlen(d) == 71 && !strncmp(d, "sha256:", 7) && emu_hex_valid(d + 7, 64);
}

static char *source_of(const char *uri)
{
    return fl_str_has_prefix(uri, "docker://") ? fl_xstrdup(uri) : fl_xasprintf("docker://%s", uri);
}

static const char *platform_of(const emu_fn_record *rec)
{
    return rec->arch && !strcmp(rec->arch, "arm64") ? "linux/arm64" : "linux/amd64";
}

static cJSON *inspect(const char *uri, const emu_fn_record *rec, fl_err *err)
{
    char *src = source_of(uri);
    packer_options o = {.source = src, .platform = platform_of(rec), .quiet = true};
    fl_buf out = {0};
    int rc = packer_inspect(&o, true, true, &out, err);
    free(src);
    cJSON *doc = rc ? NULL : emu_json_parse_exact(out.data, out.len);
    fl_buf_free(&out);
    if (!rc && !doc)
        fl_fail(err, "the packer's description of %s is not JSON", uri);
    return doc;
}

/* Unpacks the zip the packer wrote (mapped, not read into memory). */
static int unpack_zip(const char *zip, const char *dest, fl_err *err)
{
    int fd = open(zip, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        if (fd >= 0)
            close(fd);
        return fl_fail(err, "reading %s: %s", zip, strerror(errno));
    }
    void *map = st.st_size ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (map == MAP_FAILED)
        return fl_fail(err, "mapping %s: %s", zip, strerror(errno));
    uint64_t unzipped;
    int rc = emu_unzip(map, (size_t)st.st_size, dest, IMAGE_UNZIPPED_MAX, &unzipped, err);
    munmap(map, (size_t)st.st_size);
    return rc;
}

/* The image's root filesystem in images/DIR (once per digest). */
static int pull(emu *e, const char *uri, const emu_fn_record *rec, const char *digest, const cJSON *config,
                fl_err *err)
{
    char dir[80], rnd[17];
    emu_image_dir_name(digest, dir);
    char *meta = emu_store_path(e->store, "images/%s.json", dir);
    struct stat st;
    bool have = stat(meta, &st) == 0;
    free(meta);
    if (have)
        return 0;
    emu_random_hex(rnd, 8);
    char *zip = emu_store_path(e->store, "tmp/image-%s.zip", rnd);
    char *tmp = emu_store_path(e->store, "tmp/image-%s", rnd);
    char *final = emu_store_path(e->store, "images/%s", dir);
    /* pin the digest we inspected: drop the URI's digest or tag first */
    char *src = fl_xasprintf("docker://%.*s@%s", (int)strcspn(uri, "@"), uri, digest);
    char *at = strrchr(src, '@'), *tag = NULL;
    for (char *p = src + 9; p < at; p++)
        if (*p == '/')
            tag = NULL;
        else if (*p == ':' && strchr(p, '/') == NULL)
            tag = p;
    if (tag)
        memmove(tag, at, strlen(at) + 1);
    packer_options o = {.source = src, .output = zip, .format = PACKER_ZIP, .platform = platform_of(rec),
                        .no_bootstrap = true, .no_relocate = true, .ignore_limits = true, .quiet = true,
                        .compression_level = 1};
    packer_result res = {0};
    fl_info("image %s (%s): pulling and unpacking", uri, digest);
    int rc = packer_pack(&o, &res, err);
    packer_result_free(&res);
    if (rc == 0)
        rc = unpack_zip(zip, tmp, err);
    unlink(zip);
    if (rc == 0) {
        emu_rmtree(final);
        if (rename(tmp, final))
            rc = fl_fail(err, "storing the image: %s", strerror(errno));
    }
    if (rc == 0) {
        char rel[120];
        snprintf(rel, sizeof rel, "images/%s.json", dir);
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "ImageUri", uri);
        cJSON_AddStringToObject(m, "Digest", digest);
        cJSON_AddItemToObject(m, "config", cJSON_Duplicate(config, true));
        rc = emu_store_write_json(e->store, rel, m, err);
        cJSON_Delete(m);
    }
    emu_rmtree(tmp);
    free(zip);
    free(tmp);
    free(final);
    free(src);
    return rc;
}

int emu_image_take(emu *e, const char *uri, emu_fn_record *rec, emu_verr *v)
{
    if (strlen(uri) > 1024 || strpbrk(uri, " \t\n\"'\\")) {
        emu_verr_set(v, "InvalidParameterValueException", "Source image %.200s is not valid.", uri);
        return -1;
    }
    fl_err err;
    cJSON *doc = inspect(uri, rec, &err);
    const char *digest = doc ? fl_json_str(doc, "digest") : NULL;
    const cJSON *config = doc ? fl_json_obj(doc, "config") : NULL;
    int rc = -1;
    if (!doc)
        emu_verr_set(v, "InvalidParameterValueException", "Source image %s does not exist. Provide a valid source "
                     "image. (%s)", uri, err.msg);
    else if (!digest_valid(digest) || !config)
        emu_verr_set(v, "InvalidParameterValueException", "Source image %s: no sha256 digest or config", uri);
    else if (pull(e, uri, rec, digest, config, &err))
        emu_verr_set(v, "InvalidParameterValueException", "Source image %s could not be unpacked: %s", uri, err.msg);
    else
        rc = 0;
    if (rc == 0) {
        free(rec->image_uri);
        free(rec->image_digest);
        rec->image_uri = fl_xstrdup(uri);
        rec->image_digest = fl_xstrdup(digest);
        snprintf(rec->code_sha256, sizeof rec->code_sha256, "%s", digest + 7);
        rec->code_hex[0] = 0;
        rec->code_size = 0;
        rec->unzipped = 0;
    }
    cJSON_Delete(doc);
    return rc;
}

char *emu_image_resolved_uri(const emu_fn_record *rec)
{
    const char *uri = rec->image_uri ? rec->image_uri : "";
    size_t n = strcspn(uri, "@");
    const char *slash = strrchr(uri, '/');
    const char *colon = slash ? strchr(slash, ':') : NULL;
    if (colon && (size_t)(colon - uri) < n)
        n = (size_t)(colon - uri);
    return fl_xasprintf("%.*s@%s", (int)n, uri, rec->image_digest ? rec->image_digest : "");
}

static void strv_or(emu_strv *out, bool set, const emu_strv *override, const cJSON *image)
{
    if (set)
        emu_strv_copy(out, override);
    else
        emu_strv_from_json(image, out);
}

int emu_image_conf(emu *e, const emu_fn_record *r, emu_fn_conf *c, fl_err *err)
{
    char dir[80];
    emu_image_dir_name(r->image_digest ? r->image_digest : "", dir);
    char *meta = emu_store_path(e->store, "images/%s.json", dir);
    fl_buf b = {0};
    int rc = fl_read_file(meta, EMU_RECORD_FILE_MAX, &b, err);
    free(meta);
    cJSON *doc = rc ? NULL : emu_json_parse_exact(b.data, b.len);
    fl_buf_free(&b);
    const cJSON *cfg = fl_json_obj(doc, "config");
    if (!cfg) {
        cJSON_Delete(doc);
        return rc ? -1 : fl_fail(err, "the image of %s is missing from the state directory", r->name);
    }
    c->rootfs = emu_store_path(e->store, "images/%s", dir);
    strv_or(&c->argv, r->img_entrypoint_set, &r->img_entrypoint, cJSON_GetObjectItemCaseSensitive(cfg, "entrypoint"));
    emu_strv cmd = {0};
    strv_or(&cmd, r->img_command_set, &r->img_command, cJSON_GetObjectItemCaseSensitive(cfg, "cmd"));
    emu_strv_copy(&c->argv, &cmd);
    free(c->handler);
    c->handler = fl_xstrdup(cmd.n ? cmd.v[0] : "");
    emu_strv_free(&cmd);
    const char *wd = r->img_workdir ? r->img_workdir : fl_json_str(cfg, "workdir");
    c->workdir = fl_xstrdup(wd && *wd ? wd : "/");
    emu_strv_from_json(cJSON_GetObjectItemCaseSensitive(cfg, "env"), &c->image_env);
    cJSON_Delete(doc);
    return 0;
}
