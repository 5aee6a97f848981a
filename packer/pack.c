/* packer_pack: source -> image -> merged layers -> zip | layer zip | image. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define TASK_ROOT "/var/task"

static void warn(packer_result *res, const char *fmt, ...) FL_PRINTF(2, 3);
static void warn(packer_result *res, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fl_warn("%s", msg);
    pk_strv_push(&res->warnings, msg);
}

static void take_warnings(packer_result *res, pk_apply_stats *st)
{
    for (size_t i = 0; i < st->nwarnings; i++)
        pk_strv_push(&res->warnings, st->warnings[i]);
}

static int check_arch(const pk_image *img, const packer_options *o, packer_result *res, fl_err *err)
{
    const char *arch = pk_lambda_arch(img->platform.arch);
    if (!arch && o->format != PACKER_IMAGE)
        return fl_fail(err, "the image is %s/%s; Lambda runs x86_64 (amd64) and arm64 only: choose with --platform",
                       img->platform.os, img->platform.arch);
    if (strcmp(img->platform.os, "linux"))
        return fl_fail(err, "the image is for %s; Lambda runs linux images only", img->platform.os);
    if (o->arch && arch && strcmp(o->arch, arch))
        return fl_fail(err, "--arch %s, but the image is %s (%s): pick the matching image with --platform linux/%s",
                       o->arch, arch, img->platform.arch, !strcmp(o->arch, "arm64") ? "arm64" : "amd64");
    res->arch = fl_xstrdup(arch ? arch : img->platform.arch);
    return 0;
}

static int over_limits(const packer_options *o, packer_result *res, uint64_t unzipped, fl_err *err)
{
    char a[32], b[32];
    if (unzipped <= PACKER_LAMBDA_UNZIPPED_MAX)
        return 0;
    if (o->ignore_limits) {
        warn(res, "the package is %s unzipped, over Lambda's %s limit (written anyway: --ignore-limits)",
             pk_human(unzipped, a), pk_human(PACKER_LAMBDA_UNZIPPED_MAX, b));
        return 0;
    }
    return fl_fail(err,
                   "the package would be %s unzipped, over Lambda's %s limit for a function and its layers: "
                   "try --slim (drops docs, man pages, caches), move parts to a layer (--format layer --path), "
                   "or use --format image (10 GB); --ignore-limits writes it anyway",
                   pk_human(unzipped, a), pk_human(PACKER_LAMBDA_UNZIPPED_MAX, b));
}

static void zip_notes(const pk_reloc *rel, packer_result *res)
{
    char buf[256];
    if (rel->elf_rewritten) {
        snprintf(buf, sizeof buf, "rewrote the ELF interpreter of %llu files to paths under /tmp",
                 (unsigned long long)rel->elf_rewritten);
        pk_strv_push(&res->notes, buf);
    }
    if (rel->scripts_rewritten) {
        snprintf(buf, sizeof buf, "rewrote the #! line of %llu scripts to the image's interpreters under %s",
                 (unsigned long long)rel->scripts_rewritten, TASK_ROOT);
        pk_strv_push(&res->notes, buf);
    }
    for (size_t i = 0; i < rel->nproblems; i++)
        warn(res, "cannot relocate %s", rel->problems[i]);
}

static int pack_zip(pk_image *img, const packer_options *o, packer_result *res, fl_err *err)
{
    char *boot = NULL;
    if (!o->no_bootstrap && pk_bootstrap_find(o->bootstrap, res->arch, o->self_exe, &boot, err))
        return -1;
    pk_reloc rel = {.root = TASK_ROOT, .enabled = !o->no_relocate};
    pk_zip *z;
    pk_zip_opts zo = {.path = o->output, .reloc = &rel, .level = o->compression_level};
    if (pk_zip_open(&z, &zo, err)) {
        free(boot);
        return -1;
    }
    char *reserved[] = {o->no_bootstrap ? NULL : "bootstrap", FL_MANIFEST_NAME, NULL};
    pk_apply_opts ao = {.max_bytes = o->max_bytes ? o->max_bytes : PACKER_DEFAULT_MAX_BYTES,
                        .max_entries = o->max_entries ? o->max_entries : PACKER_DEFAULT_MAX_ENTRIES,
                        .slim = o->slim,
                        .reserved = o->no_bootstrap ? reserved + 1 : reserved,
                        .progress = o->progress && !o->quiet};
    pk_sink sink = pk_zip_sink(z);
    pk_index ix;
    pk_apply_stats st = {0};
    fl_buf json = {0};
    int rc = boot ? pk_zip_add_path(z, "bootstrap", 0755, boot, err) : 0;
    if (rc == 0)
        rc = pk_apply(img, &ao, &sink, &ix, &st, err);
    take_warnings(res, &st);
    pk_mf_opts mo = {.root = TASK_ROOT, .env = o->env, .fprocess = o->fprocess, .relocate = !o->no_relocate};
    if (rc == 0)
        rc = pk_manifest_build(img, &ix, &rel, &mo, &res->manifest, &res->notes, err);
    if (rc == 0) {
        res->has_manifest = true;
        fl_manifest_to_json(&res->manifest, &json);
        rc = pk_zip_add_file(z, FL_MANIFEST_NAME, 0644, json.data, json.len, err);
    }
    if (rc == 0) {
        zip_notes(&rel, res);
        rc = over_limits(o, res, pk_zip_unzipped(z), err);
    }
    if (rc == 0)
        rc = pk_zip_close(z, &res->size, &res->unzipped_size, &res->entries, res->code_sha256, err);
    else
        pk_zip_abort(z);
    if (rc == 0 && res->size > PACKER_LAMBDA_ZIP_MAX) {
        char a[32];
        warn(res, "the zip is %s, over the 50 MiB Lambda accepts in a direct upload: upload it through S3 "
                  "(CreateFunction Code.S3Bucket/S3Key), or use --slim",
             pk_human(res->size, a));
    }
    fl_buf_free(&json);
    if (ix.slots)
        pk_index_free(&ix);
    pk_apply_stats_free(&st);
    pk_reloc_free(&rel);
    free(boot);
    return rc;
}

static int pack_layer(pk_image *img, const packer_options *o, packer_result *res, fl_err *err)
{
    char **paths = NULL;
    for (size_t i = 0; o->paths && o->paths[i]; i++) {
        char *p;
        if (pk_path_norm(o->paths[i], &p, NULL, err)) {
            pk_strv_free(paths);
            return fl_fail_wrap(err, "--path %s", o->paths[i]);
        }
        pk_strv_push(&paths, p);
        free(p);
    }
    pk_zip *z;
    pk_zip_opts zo = {.path = o->output, .reloc = NULL, .level = o->compression_level};
    if (pk_zip_open(&z, &zo, err)) {
        pk_strv_free(paths);
        return -1;
    }
    pk_apply_opts ao = {.max_bytes = o->max_bytes ? o->max_bytes : PACKER_DEFAULT_MAX_BYTES,
                        .max_entries = o->max_entries ? o->max_entries : PACKER_DEFAULT_MAX_ENTRIES,
                        .slim = o->slim,
                        .paths = paths,
                        .progress = o->progress && !o->quiet};
    pk_sink sink = pk_zip_sink(z);
    pk_index ix;
    pk_apply_stats st = {0};
    int rc = pk_apply(img, &ao, &sink, &ix, &st, err);
    take_warnings(res, &st);
    for (size_t i = 0; rc == 0 && paths && paths[i]; i++)
        if (!pk_index_get(&ix, paths[i], strlen(paths[i])))
            warn(res, "--path /%s matched nothing in the image", paths[i]);
    if (rc == 0)
        rc = over_limits(o, res, pk_zip_unzipped(z), err);
    if (rc == 0)
        rc = pk_zip_close(z, &res->size, &res->unzipped_size, &res->entries, res->code_sha256, err);
    else
        pk_zip_abort(z);
    if (ix.slots)
        pk_index_free(&ix);
    pk_apply_stats_free(&st);
    pk_strv_free(paths);
    return rc;
}

int packer_pack(const packer_options *o, packer_result *res, fl_err *err)
{
    memset(res, 0, sizeof *res);
    if (!o->source || !o->output)
        return fl_fail(err, "pack needs a SOURCE and an output (-o)");
    /* names in layers are UTF-8 (pax); zip names are written as UTF-8 */
    char *old = fl_xstrdup(setlocale(LC_CTYPE, NULL));
    setlocale(LC_CTYPE, "C.UTF-8");
    pk_open_opts oo = {.platform = o->platform,
                       .reg = {.creds = o->creds, .docker_config = o->docker_config, .insecure = o->insecure,
                               .progress = o->progress && !o->quiet},
                       .cache_dir = o->cache_dir,
                       .fetch_layers = true};
    pk_image img;
    int rc = pk_image_open(&img, o->source, &oo, err);
    if (rc == 0) {
        res->image = pk_ref_string(&img.ref);
        res->image_digest = fl_xstrdup(img.manifest_digest);
        res->platform = fl_xasprintf("%s/%s%s%s", img.platform.os, img.platform.arch,
                                     img.platform.variant[0] ? "/" : "", img.platform.variant);
        res->format = o->format;
        res->output = fl_xstrdup(o->output);
        rc = check_arch(&img, o, res, err);
        if (rc == 0 && o->format == PACKER_ZIP)
            rc = pack_zip(&img, o, res, err);
        else if (rc == 0 && o->format == PACKER_LAYER)
            rc = pack_layer(&img, o, res, err);
        else if (rc == 0)
            rc = pk_image_write(&img, o, res, err);
        pk_image_close(&img);
    }
    setlocale(LC_CTYPE, old);
    free(old);
    return rc;
}

static void strv_json(cJSON *root, const char *key, char **v)
{
    cJSON *a = cJSON_AddArrayToObject(root, key);
    for (size_t i = 0; v && v[i]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

void packer_result_json(const packer_result *r, fl_buf *out)
{
    static const char *const formats[] = {"zip", "layer", "image"};
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "output", r->output ? r->output : "");
    cJSON_AddStringToObject(root, "format", formats[r->format]);
    if (r->image)
        cJSON_AddStringToObject(root, "source", r->image);
    if (r->image_digest)
        cJSON_AddStringToObject(root, "image_digest", r->image_digest);
    if (r->platform)
        cJSON_AddStringToObject(root, "platform", r->platform);
    if (r->arch)
        cJSON_AddStringToObject(root, "architecture", r->arch);
    if (r->format != PACKER_IMAGE) {
        cJSON_AddNumberToObject(root, "size", (double)r->size);
        cJSON_AddNumberToObject(root, "unzipped_size", (double)r->unzipped_size);
        cJSON_AddNumberToObject(root, "entries", (double)r->entries);
        cJSON_AddStringToObject(root, "code_sha256", r->code_sha256);
    }
    if (r->pushed_digest)
        cJSON_AddStringToObject(root, "manifest_digest", r->pushed_digest);
    if (r->has_manifest) {
        fl_buf m = {0};
        fl_manifest_to_json(&r->manifest, &m);
        cJSON_AddItemToObject(root, "manifest", cJSON_Parse(m.data));
        fl_buf_free(&m);
    }
    strv_json(root, "notes", r->notes);
    strv_json(root, "warnings", r->warnings);
    char *s = cJSON_Print(root);
    fl_buf_puts(out, s);
    fl_buf_putc(out, '\n');
    cJSON_free(s);
    cJSON_Delete(root);
}

void packer_result_free(packer_result *r)
{
    free(r->output);
    free(r->image);
    free(r->image_digest);
    free(r->platform);
    free(r->arch);
    free(r->pushed_digest);
    fl_manifest_free(&r->manifest);
    pk_strv_free(r->warnings);
    pk_strv_free(r->notes);
    memset(r, 0, sizeof *r);
}
