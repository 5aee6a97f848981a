/* --format image: a Lambda container image. The image's own layers, unchanged
 * (gzip; others are recompressed to gzip, which is what Docker v2 schema 2
 * media types and Lambda take), plus one layer holding the bootstrap at
 * /var/runtime/bootstrap and the manifest at /var/task/faas-lambda.json. The
 * config's Entrypoint becomes the bootstrap, its Cmd the image's original
 * Entrypoint + Cmd; Env (merged with --env/--fprocess) and WorkingDir stay.
 * Pushed (-o docker://REF) or written to an OCI layout (-o oci:DIR[:TAG]),
 * see packer/image_dest.c; the layers are made in packer/image_layers.c. */
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

/* ---- the config ---- */
static cJSON *strv_json(char *const *v)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; v && v[i]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static void replace(cJSON *obj, const char *key, cJSON *value)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    else
        cJSON_AddItemToObject(obj, key, value);
}

static char *new_config(const pk_image *img, const fl_manifest *m, const char *diff_id)
{
    cJSON *root = cJSON_Duplicate(img->config.raw, true);
    cJSON *cc = cJSON_GetObjectItemCaseSensitive(root, "config");
    if (!cJSON_IsObject(cc)) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "config");
        cc = cJSON_AddObjectToObject(root, "config");
    }
    cJSON *ep = cJSON_CreateArray();
    cJSON_AddItemToArray(ep, cJSON_CreateString("/" PK_IMAGE_BOOTSTRAP));
    replace(cc, "Entrypoint", ep);
    replace(cc, "Cmd", m->argv ? strv_json(m->argv) : cJSON_CreateNull());
    replace(cc, "Env", strv_json(m->env));
    cJSON *rootfs = cJSON_GetObjectItemCaseSensitive(root, "rootfs");
    if (!cJSON_IsObject(rootfs)) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "rootfs");
        rootfs = cJSON_AddObjectToObject(root, "rootfs");
        cJSON_AddStringToObject(rootfs, "type", "layers");
    }
    cJSON *diffs = cJSON_CreateArray();
    for (size_t i = 0; i < img->config.ndiff_ids; i++)
        cJSON_AddItemToArray(diffs, cJSON_CreateString(img->config.diff_ids[i]));
    cJSON_AddItemToArray(diffs, cJSON_CreateString(diff_id));
    replace(rootfs, "diff_ids", diffs);
    cJSON *hist = cJSON_GetObjectItemCaseSensitive(root, "history");
    if (cJSON_IsArray(hist)) {
        cJSON *h = cJSON_CreateObject();
        cJSON_AddStringToObject(h, "created", "1970-01-01T00:00:00Z");
        cJSON_AddStringToObject(h, "created_by", "faas-lambda pack: /" PK_IMAGE_BOOTSTRAP " and /" PK_IMAGE_MANIFEST);
        cJSON_AddItemToArray(hist, h);
    }
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

/* The manifest the bootstrap reads inside the container: the image's own
 * paths (nothing moves), the environment merged as for a zip. */
static int container_manifest(const pk_image *img, const packer_options *o, fl_manifest *m, fl_err *err)
{
    memset(m, 0, sizeof *m);
    char **argv = pk_strv_dup(img->config.entrypoint);
    for (size_t i = 0; img->config.cmd && img->config.cmd[i]; i++)
        pk_strv_push(&argv, img->config.cmd[i]);
    m->argv = argv;
    char **env = pk_strv_dup(img->config.env);
    if (!env)
        env = fl_xcalloc(1, sizeof *env);
    for (size_t i = 0; o->env && o->env[i]; i++) {
        const char *eq = strchr(o->env[i], '=');
        if (!eq || eq == o->env[i])
            return fl_fail(err, "--env %s is not NAME=VALUE", o->env[i]);
        size_t kl = (size_t)(eq - o->env[i]);
        bool done = false;
        for (size_t j = 0; env[j] && !done; j++)
            if (!strncmp(env[j], o->env[i], kl + 1)) {
                free(env[j]);
                env[j] = fl_xstrdup(o->env[i]);
                done = true;
            }
        if (!done)
            pk_strv_push(&env, o->env[i]);
    }
    if (o->fprocess) {
        char *kv = fl_xasprintf("fprocess=%s", o->fprocess);
        bool done = false;
        for (size_t j = 0; env[j] && !done; j++)
            if (!strncmp(env[j], "fprocess=", 9)) {
                free(env[j]);
                env[j] = kv;
                done = true;
            }
        if (!done) {
            pk_strv_push(&env, kv);
            free(kv);
        }
    }
    m->env = env;
    m->workdir = fl_xstrdup(img->config.workdir && *img->config.workdir ? img->config.workdir : "/");
    uint64_t port;
    const char *p = pk_env_get(env, "port");
    m->port = p && fl_parse_u64(p, 65535, &port) == 0 && port ? (int)port : img->config.port ? img->config.port : 8080;
    m->health_path = fl_xstrdup("/_/health");
    m->readiness_protocol = fl_xstrdup("http");
    return 0;
}

int pk_image_write(pk_image *img, const packer_options *o, packer_result *res, fl_err *err)
{
    char *boot_path = NULL;
    fl_buf boot = {0}, mjson = {0}, gz = {0}, manifest = {0};
    char boot_diff[72], boot_digest[72];
    pk_dest d;
    pk_ref out_ref = {0};
    char *tag = NULL, *cfg = NULL;
    bool opened = false;
    int rc = -1;
    if (!pk_lambda_arch(img->platform.arch)) {
        fl_fail(err, "the image is %s; Lambda runs x86_64 (amd64) and arm64 only", img->platform.arch);
        goto out;
    }
    if (pk_bootstrap_find(o->bootstrap, res->arch, o->self_exe, &boot_path, err) ||
        fl_read_file(boot_path, 256u << 20, &boot, err) || container_manifest(img, o, &res->manifest, err))
        goto out;
    res->has_manifest = true;
    fl_manifest_to_json(&res->manifest, &mjson);
    if (pk_image_boot_layer(&boot, &mjson, &gz, boot_diff, boot_digest, err))
        goto out;
    if (pk_dest_open(&d, img, o, &out_ref, &tag, err)) {
        if (d.close)
            d.close(&d);
        goto out;
    }
    opened = true;
    cJSON *layers = cJSON_CreateArray();
    for (size_t i = 0; i < img->manifest.ndescs; i++) {
        char digest[72];
        uint64_t size = 0;
        if (pk_image_send_layer(img, i, &d, digest, &size, err)) {
            cJSON_Delete(layers);
            goto out;
        }
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "mediaType", d.mt->layer);
        cJSON_AddNumberToObject(l, "size", (double)size);
        cJSON_AddStringToObject(l, "digest", digest);
        cJSON_AddItemToArray(layers, l);
    }
    if (pk_dest_put_mem(&d, boot_digest, gz.data, gz.len, err)) {
        cJSON_Delete(layers);
        goto out;
    }
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "mediaType", d.mt->layer);
    cJSON_AddNumberToObject(l, "size", (double)gz.len);
    cJSON_AddStringToObject(l, "digest", boot_digest);
    cJSON_AddItemToArray(layers, l);
    cfg = new_config(img, &res->manifest, boot_diff);
    char cfg_digest[72];
    pk_sha256_digest(cfg, strlen(cfg), cfg_digest);
    if (pk_dest_put_mem(&d, cfg_digest, cfg, strlen(cfg), err)) {
        cJSON_Delete(layers);
        goto out;
    }
    cJSON *man = cJSON_CreateObject();
    cJSON_AddNumberToObject(man, "schemaVersion", 2);
    cJSON_AddStringToObject(man, "mediaType", d.mt->manifest);
    cJSON *c = cJSON_AddObjectToObject(man, "config");
    cJSON_AddStringToObject(c, "mediaType", d.mt->config);
    cJSON_AddNumberToObject(c, "size", (double)strlen(cfg));
    cJSON_AddStringToObject(c, "digest", cfg_digest);
    cJSON_AddItemToObject(man, "layers", layers);
    fl_json_print(&manifest, man);
    cJSON_Delete(man);
    if (d.finish(&d, tag, manifest.data, manifest.len, err))
        goto out;
    char md[72];
    pk_sha256_digest(manifest.data, manifest.len, md);
    res->pushed_digest = fl_xstrdup(md);
    rc = 0;
out:
    if (opened)
        d.close(&d);
    pk_ref_free(&out_ref);
    free(tag);
    free(cfg);
    free(boot_path);
    fl_buf_free(&boot);
    fl_buf_free(&mjson);
    fl_buf_free(&gz);
    fl_buf_free(&manifest);
    return rc;
}
