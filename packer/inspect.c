/* packer_inspect: what an image is and whether it will run on Lambda. With
 * the layers read (the default), the merge runs into a sink that only counts
 * and looks at the heads of files (ELF interpreters, #! lines), so the
 * watchdog, the unzipped size and relocation problems are known. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define HEAD (64u << 10)

typedef struct census {
    pk_reloc rel;
    uint64_t files, dirs, links, bytes;
    unsigned char *head;
} census;

static int census_entry(void *ud, const pk_out_entry *e, pk_content *c, fl_err *err)
{
    census *s = ud;
    if (e->kind == PK_K_DIR) {
        s->dirs++;
        return 0;
    }
    if (e->kind == PK_K_SYMLINK) {
        s->links++;
        return 0;
    }
    s->files++;
    s->bytes += e->size;
    size_t got = 0;
    for (;;) { /* the head is looked at, the rest only read */
        ssize_t n = c->read(c, s->head + (got < HEAD ? got : 0), got < HEAD ? HEAD - got : HEAD, err);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    fl_buf repl = {0};
    bool replaced;
    int rc = pk_reloc_file(&s->rel, e->path, e->mode, s->head, got < HEAD ? got : HEAD, e->size, &repl, &replaced,
                           err);
    fl_buf_free(&repl);
    return rc;
}

static void add_warning(char ***w, const char *fmt, ...) FL_PRINTF(2, 3);
static void add_warning(char ***w, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pk_strv_push(w, buf);
}

static cJSON *strv_json(char *const *v)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; v && v[i]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static const char *comp_name(pk_compression c)
{
    return c == PK_COMP_GZIP ? "gzip" : c == PK_COMP_ZSTD ? "zstd" : "none";
}

typedef struct report {
    cJSON *root;
    char **warnings;
    uint64_t compressed;
} report;

static void describe_image(const pk_image *img, report *r)
{
    cJSON *root = r->root;
    char *name = pk_ref_string(&img->ref);
    cJSON_AddStringToObject(root, "image", name);
    free(name);
    cJSON_AddStringToObject(root, "digest", img->manifest_digest);
    char plat[96];
    snprintf(plat, sizeof plat, "%s/%s%s%s", img->platform.os, img->platform.arch, img->platform.variant[0] ? "/" : "",
             img->platform.variant);
    cJSON_AddStringToObject(root, "platform", plat);
    if (img->platforms)
        cJSON_AddItemToObject(root, "platforms", strv_json(img->platforms));
    const char *arch = pk_lambda_arch(img->platform.arch);
    if (arch && !strcmp(img->platform.os, "linux"))
        cJSON_AddStringToObject(root, "architecture", arch);
    else
        add_warning(&r->warnings, "the image is %s: Lambda runs linux x86_64 (amd64) and arm64 only", plat);
    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    for (size_t i = 0; i < img->manifest.ndescs; i++) {
        const pk_desc *d = &img->manifest.descs[i];
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "digest", d->digest);
        cJSON_AddNumberToObject(l, "size", (double)d->size);
        cJSON_AddStringToObject(l, "mediaType", d->media_type);
        cJSON_AddStringToObject(l, "compression", comp_name(d->comp));
        cJSON_AddItemToArray(layers, l);
        r->compressed += d->size;
        if (d->comp == PK_COMP_ZSTD)
            add_warning(&r->warnings, "layer %zu is zstd-compressed: --format image recompresses it to gzip", i + 1);
    }
    cJSON_AddNumberToObject(root, "compressed_size", (double)r->compressed);
    const pk_config *c = &img->config;
    cJSON *cfg = cJSON_AddObjectToObject(root, "config");
    cJSON_AddItemToObject(cfg, "entrypoint", strv_json(c->entrypoint));
    cJSON_AddItemToObject(cfg, "cmd", strv_json(c->cmd));
    cJSON_AddItemToObject(cfg, "env", strv_json(c->env));
    cJSON_AddStringToObject(cfg, "workdir", c->workdir ? c->workdir : "");
    cJSON_AddStringToObject(cfg, "user", c->user ? c->user : "");
}

/* The watchdog: the command the config runs, and the watchdog's settings. */
static void describe_watchdog(const pk_image *img, const pk_index *ix, report *r)
{
    const pk_config *c = &img->config;
    cJSON *w = cJSON_AddObjectToObject(r->root, "watchdog");
    char **argv = NULL;
    char *found = ix ? pk_find_entry(img, ix, &argv) : NULL;
    if (!ix) {
        argv = pk_strv_dup(c->entrypoint);
        for (size_t i = 0; c->cmd && c->cmd[i]; i++)
            pk_strv_push(&argv, c->cmd[i]);
    }
    cJSON_AddItemToObject(w, "command", strv_json(argv));
    if (found) {
        char *p = fl_xasprintf("/%s", found);
        cJSON_AddStringToObject(w, "path", p);
        free(p);
    }
    const char *base = argv && argv[0] ? strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0] : NULL;
    const char *fprocess = pk_env_get(c->env, "function_process");
    if (!fprocess)
        fprocess = pk_env_get(c->env, "fprocess");
    const char *mode = pk_env_get(c->env, "mode");
    const char *up = pk_env_get(c->env, "http_upstream_url");
    if (!up)
        up = pk_env_get(c->env, "upstream_url");
    cJSON_AddStringToObject(w, "kind", mode ? "of-watchdog" : fprocess ? "classic-watchdog" : "unknown");
    if (mode)
        cJSON_AddStringToObject(w, "mode", mode);
    if (fprocess)
        cJSON_AddStringToObject(w, "fprocess", fprocess);
    if (up)
        cJSON_AddStringToObject(w, "upstream", up);
    const char *port = pk_env_get(c->env, "port");
    cJSON_AddNumberToObject(w, "port", port ? atoi(port) : c->port ? c->port : 8080);
    if (!argv || !argv[0])
        add_warning(&r->warnings, "the image names no Entrypoint or Cmd: there is no watchdog to start");
    else if (ix && !found)
        add_warning(&r->warnings, "the command %s is not a file in the image: the function will not start", argv[0]);
    else if (strcmp(base, "fwatchdog") && !fprocess && !mode)
        add_warning(&r->warnings,
                    "%s does not look like an OpenFaaS watchdog (no fwatchdog, no fprocess or mode): the "
                    "bootstrap expects an HTTP server on port %s",
                    argv[0], port ? port : "8080");
    if (c->user && *c->user && strcmp(c->user, "root") && strcmp(c->user, "0"))
        add_warning(&r->warnings, "USER %s has no meaning on Lambda: the function runs as Lambda's own user",
                    c->user);
    pk_strv_free(argv);
    free(found);
}

static void describe_files(const census *s, report *r)
{
    cJSON *root = r->root;
    cJSON_AddNumberToObject(root, "unzipped_size", (double)s->bytes);
    cJSON_AddNumberToObject(root, "files", (double)s->files);
    cJSON_AddNumberToObject(root, "directories", (double)s->dirs);
    cJSON_AddNumberToObject(root, "symlinks", (double)s->links);
    cJSON *elf = cJSON_AddObjectToObject(root, "relocation");
    cJSON_AddNumberToObject(elf, "dynamic_elf", (double)s->rel.dynamic_elf);
    cJSON_AddItemToObject(elf, "interpreters", strv_json(s->rel.interps));
    cJSON_AddNumberToObject(elf, "scripts", (double)s->rel.scripts_rewritten);
    cJSON_AddItemToObject(elf, "problems", strv_json(s->rel.problems));
    char a[32], b[32];
    if (s->bytes > PACKER_LAMBDA_UNZIPPED_MAX)
        add_warning(&r->warnings,
                    "%s unzipped: over Lambda's %s for a zip function with its layers: use --slim, move parts to a "
                    "layer, or --format image (10 GB)",
                    pk_human(s->bytes, a), pk_human(PACKER_LAMBDA_UNZIPPED_MAX, b));
    if (r->compressed > PACKER_LAMBDA_ZIP_MAX)
        add_warning(&r->warnings, "the layers are %s compressed: the zip will likely be over the 50 MiB of a direct "
                                  "upload (upload through S3)",
                    pk_human(r->compressed, a));
    for (size_t i = 0; i < s->rel.nproblems; i++)
        add_warning(&r->warnings, "relocation cannot fix %s", s->rel.problems[i]);
}

static void text_report(const cJSON *root, fl_buf *out)
{
    char a[32];
    fl_buf_printf(out, "image       %s\n", fl_json_str(root, "image"));
    fl_buf_printf(out, "digest      %s\n", fl_json_str(root, "digest"));
    fl_buf_printf(out, "platform    %s", fl_json_str(root, "platform"));
    const cJSON *plats = fl_json_arr(root, "platforms"), *e;
    if (plats) {
        fl_buf_puts(out, "  (the index has:");
        cJSON_ArrayForEach(e, plats) fl_buf_printf(out, " %s", e->valuestring);
        fl_buf_puts(out, ")");
    }
    fl_buf_printf(out, "\nlambda      %s\n", fl_json_str(root, "architecture") ? fl_json_str(root, "architecture") : "-");
    const cJSON *layers = fl_json_arr(root, "layers");
    fl_buf_printf(out, "layers      %d, %s compressed\n", cJSON_GetArraySize(layers),
                  pk_human((uint64_t)cJSON_GetObjectItem(root, "compressed_size")->valuedouble, a));
    int i = 0;
    cJSON_ArrayForEach(e, layers) fl_buf_printf(out, "  %2d  %s  %10s  %s\n", ++i, fl_json_str(e, "digest"),
                                                 pk_human((uint64_t)cJSON_GetObjectItem(e, "size")->valuedouble, a),
                                                 fl_json_str(e, "compression"));
    const cJSON *cfg = fl_json_obj(root, "config");
    fl_buf_puts(out, "config\n");
    static const char *const keys[] = {"entrypoint", "cmd", "env"};
    for (size_t k = 0; k < 3; k++) {
        fl_buf_printf(out, "  %-10s", keys[k]);
        cJSON_ArrayForEach(e, fl_json_arr(cfg, keys[k])) fl_buf_printf(out, " %s", e->valuestring);
        fl_buf_putc(out, '\n');
    }
    fl_buf_printf(out, "  %-10s %s\n  %-10s %s\n", "workdir", fl_json_str(cfg, "workdir"), "user",
                  fl_json_str(cfg, "user"));
    const cJSON *w = fl_json_obj(root, "watchdog");
    fl_buf_printf(out, "watchdog    %s (%s)\n", fl_json_str(w, "path") ? fl_json_str(w, "path") : "not checked",
                  fl_json_str(w, "kind"));
    static const char *const wk[] = {"mode", "fprocess", "upstream"};
    for (size_t k = 0; k < 3; k++)
        if (fl_json_str(w, wk[k]))
            fl_buf_printf(out, "  %-10s %s\n", wk[k], fl_json_str(w, wk[k]));
    fl_buf_printf(out, "  %-10s %d\n", "port", cJSON_GetObjectItem(w, "port")->valueint);
    const cJSON *us = cJSON_GetObjectItem(root, "unzipped_size");
    if (us) {
        fl_buf_printf(out, "unzipped    %s in %d files\n", pk_human((uint64_t)us->valuedouble, a),
                      cJSON_GetObjectItem(root, "files")->valueint);
        const cJSON *rel = fl_json_obj(root, "relocation");
        fl_buf_printf(out, "relocation  %d dynamically linked ELF files", cJSON_GetObjectItem(rel, "dynamic_elf")->valueint);
        cJSON_ArrayForEach(e, fl_json_arr(rel, "interpreters")) fl_buf_printf(out, ", %s", e->valuestring);
        fl_buf_printf(out, "; %d scripts with an absolute #!\n", cJSON_GetObjectItem(rel, "scripts")->valueint);
    }
    const cJSON *warn = fl_json_arr(root, "warnings");
    if (cJSON_GetArraySize(warn)) {
        fl_buf_puts(out, "warnings\n");
        cJSON_ArrayForEach(e, warn) fl_buf_printf(out, "  - %s\n", e->valuestring);
    } else {
        fl_buf_puts(out, "warnings    none: ready for Lambda\n");
    }
}

int packer_inspect(const packer_options *o, bool json, bool config_only, fl_buf *out, fl_err *err)
{
    char *old = fl_xstrdup(setlocale(LC_CTYPE, NULL));
    setlocale(LC_CTYPE, "C.UTF-8");
    pk_open_opts oo = {.platform = o->platform,
                       .reg = {.creds = o->creds, .docker_config = o->docker_config, .insecure = o->insecure,
                               .progress = o->progress && !o->quiet},
                       .cache_dir = o->cache_dir,
                       .fetch_layers = !config_only};
    pk_image img;
    report r = {cJSON_CreateObject(), NULL, 0};
    census s = {.rel = {.root = "/var/task", .enabled = true}};
    pk_index ix = {0};
    pk_apply_stats st = {0};
    int rc = pk_image_open(&img, o->source, &oo, err);
    if (rc == 0) {
        describe_image(&img, &r);
        if (!config_only) {
            s.head = fl_xmalloc(HEAD);
            pk_sink sink = {census_entry, &s};
            pk_apply_opts ao = {.max_bytes = o->max_bytes ? o->max_bytes : PACKER_DEFAULT_MAX_BYTES,
                                .max_entries = o->max_entries ? o->max_entries : PACKER_DEFAULT_MAX_ENTRIES};
            rc = pk_apply(&img, &ao, &sink, &ix, &st, err);
            for (size_t i = 0; i < st.nwarnings; i++)
                pk_strv_push(&r.warnings, st.warnings[i]);
        }
        if (rc == 0) {
            describe_watchdog(&img, config_only ? NULL : &ix, &r);
            if (!config_only)
                describe_files(&s, &r);
            cJSON_AddItemToObject(r.root, "warnings", strv_json(r.warnings));
            if (json) {
                char *p = cJSON_Print(r.root);
                fl_buf_puts(out, p);
                fl_buf_putc(out, '\n');
                cJSON_free(p);
            } else {
                text_report(r.root, out);
            }
        }
        pk_image_close(&img);
    }
    if (ix.slots)
        pk_index_free(&ix);
    pk_apply_stats_free(&st);
    pk_reloc_free(&s.rel);
    free(s.head);
    pk_strv_free(r.warnings);
    cJSON_Delete(r.root);
    setlocale(LC_CTYPE, old);
    free(old);
    return rc;
}
