/* faas-lambda.json for a function zip, from the image config: the watchdog
 * found from Entrypoint + Cmd, the environment (image Env, then the
 * deployment's --env, then --fprocess), the working directory, and, when
 * relocating, every image path mapped under the task root. */
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define RUNTIME_PATH "/opt/bin:/usr/local/bin:/usr/bin:/bin"

static bool is_file(const pk_index *ix, const char *path)
{
    pk_node *n = pk_index_resolve(ix, path, NULL);
    return n && n->kind == PK_K_FILE && !(n->flags & PK_F_FILTERED);
}

static bool exists(const pk_index *ix, const char *path)
{
    return pk_index_resolve(ix, path, NULL) != NULL;
}

/* Joins dir and name and normalises; NULL when it climbs out. */
static char *join_norm(const char *dir, const char *name)
{
    char *j = name[0] == '/' ? fl_xstrdup(name) : fl_xasprintf("%s/%s", dir ? dir : "/", name), *out = NULL;
    pk_path_norm(j, &out, NULL, NULL);
    free(j);
    return out;
}

/* The root-relative path argv0 names, looked up as execvp(3) would. */
static char *resolve_argv0(const pk_index *ix, const char *argv0, const char *workdir, const char *path_var)
{
    if (strchr(argv0, '/')) {
        char *p = join_norm(workdir, argv0);
        if (p && is_file(ix, p))
            return p;
        free(p);
        return NULL;
    }
    const char *p = path_var ? path_var : DEFAULT_PATH;
    while (*p) {
        size_t n = strcspn(p, ":");
        char *dir = fl_xstrndup(p, n);
        char *cand = dir[0] == '/' ? join_norm(dir, argv0) : NULL;
        free(dir);
        if (cand && is_file(ix, cand))
            return cand;
        free(cand);
        p += n + (p[n] == ':');
    }
    return NULL;
}

char *pk_find_entry(const pk_image *img, const pk_index *ix, char ***argv_out)
{
    char **argv = pk_strv_dup(img->config.entrypoint);
    for (size_t i = 0; img->config.cmd && img->config.cmd[i]; i++)
        pk_strv_push(&argv, img->config.cmd[i]);
    *argv_out = argv;
    if (!argv || !argv[0])
        return NULL;
    return resolve_argv0(ix, argv[0], img->config.workdir, pk_env_get(img->config.env, "PATH"));
}

static void env_set(char ***env, const char *key, const char *value)
{
    size_t n = strlen(key);
    char *kv = fl_xasprintf("%s=%s", key, value);
    for (size_t i = 0; *env && (*env)[i]; i++)
        if (!strncmp((*env)[i], key, n) && (*env)[i][n] == '=') {
            free((*env)[i]);
            (*env)[i] = kv;
            return;
        }
    pk_strv_push(env, kv);
    free(kv);
}

static void note(char ***notes, const char *fmt, ...) FL_PRINTF(2, 3);
static void note(char ***notes, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pk_strv_push(notes, buf);
}

/* "/a:/b" -> "/var/task/a:/var/task/b"; relative elements stay. */
static char *map_list(const char *root, const char *list)
{
    fl_buf b = {0};
    for (const char *p = list;;) {
        size_t n = strcspn(p, ":");
        if (b.len || p != list)
            fl_buf_putc(&b, ':');
        if (n && p[0] == '/' && !pk_path_is_runtime(p))
            fl_buf_puts(&b, root);
        fl_buf_append(&b, p, n);
        if (!p[n])
            break;
        p += n + 1;
    }
    return fl_buf_steal(&b);
}

/* The image's PATH under the task root, then the runtime's own directories
 * (Lambda's PATH, /opt/bin for layers) for what the image does not have. */
static char *runtime_path(const char *root, const char *image_path)
{
    char *mapped = map_list(root, image_path);
    char *p = fl_xasprintf("%s:%s", mapped, RUNTIME_PATH);
    free(mapped);
    return p;
}

/* A value that is an absolute path (or a ':' list of them) of which at least
 * one exists in the image: the function means its own files. */
static bool names_image_paths(const pk_index *ix, const char *v)
{
    if (v[0] != '/')
        return false;
    bool any = false;
    for (const char *p = v;;) {
        size_t n = strcspn(p, ":");
        char *e = fl_xstrndup(p, n), *norm = NULL;
        bool ok = e[0] == '/' && !pk_path_is_runtime(e) && pk_path_norm(e, &norm, NULL, NULL) == 0;
        if (ok && norm[0] && exists(ix, norm))
            any = true;
        free(e);
        free(norm);
        if (!ok)
            return false;
        if (!p[n])
            return any;
        p += n + 1;
    }
}

/* fprocess "/usr/bin/node index.js": the program maps like argv0. */
static char *map_command(const pk_index *ix, const char *root, const char *cmd)
{
    size_t n = strcspn(cmd, " ");
    char *first = fl_xstrndup(cmd, n), *norm = NULL;
    char *out = NULL;
    if (first[0] == '/' && pk_path_norm(first, &norm, NULL, NULL) == 0 && is_file(ix, norm))
        out = fl_xasprintf("%s%s", root, cmd);
    free(first);
    free(norm);
    return out;
}

static const char *triplet(const char *arch)
{
    return !strcmp(arch, "arm64") ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
}

/* The image's library directories, as the loaders would search them. */
static char *library_path(const pk_image *img, const pk_index *ix, const pk_reloc *rel, const char *root)
{
    fl_buf cand = {0};
    const char *own = pk_env_get(img->config.env, "LD_LIBRARY_PATH");
    for (const char *p = own; p && *p;) {
        size_t n = strcspn(p, ":");
        fl_buf_append(&cand, p, n);
        fl_buf_putc(&cand, '\n');
        p += n + (p[n] == ':');
    }
    fl_buf_append(&cand, rel->ldconf.data, rel->ldconf.len);
    if (rel->saw_glibc)
        fl_buf_printf(&cand, "/lib/%s\n/usr/lib/%s\n/lib64\n/usr/lib64\n", triplet(img->platform.arch),
                      triplet(img->platform.arch));
    fl_buf_puts(&cand, "/lib\n/usr/local/lib\n/usr/lib\n");
    fl_buf out = {0}, seen = {0};
    fl_buf_puts(&seen, "\n");
    char *save = NULL;
    for (char *line = strtok_r(fl_buf_cstr(&cand), "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *norm = NULL, *resolved = NULL;
        if (line[0] != '/' || pk_path_norm(line, &norm, NULL, NULL)) {
            free(norm);
            continue;
        }
        pk_node *n = norm[0] ? pk_index_resolve(ix, norm, &resolved) : NULL;
        if (n && n->kind == PK_K_DIR) {
            char *key = fl_xasprintf("\n%s\n", resolved);
            if (!strstr(seen.data, key)) {
                fl_buf_puts(&seen, key + 1);
                fl_buf_printf(&out, "%s%s/%s", out.len ? ":" : "", root, norm);
            }
            free(key);
        }
        free(norm);
        free(resolved);
    }
    fl_buf_free(&cand);
    fl_buf_free(&seen);
    return fl_buf_steal(&out);
}

static void relocate_env(const pk_image *img, const pk_index *ix, const pk_reloc *rel, const char *root,
                         char ***env, char ***notes)
{
    size_t mapped = 0;
    for (size_t i = 0; *env && (*env)[i]; i++) {
        char *kv = (*env)[i], *eq = strchr(kv, '=');
        char *key = fl_xstrndup(kv, (size_t)(eq - kv));
        const char *v = eq + 1;
        char *nv = NULL;
        if (!strcmp(key, "PATH"))
            nv = runtime_path(root, v);
        else if (!strcmp(key, "fprocess") || !strcmp(key, "function_process"))
            nv = map_command(ix, root, v);
        else if (strcmp(key, "LD_LIBRARY_PATH") && strcmp(key, "PWD") && strcmp(key, "TMPDIR") &&
                 names_image_paths(ix, v))
            nv = map_list(root, v);
        if (nv) {
            if (strcmp(key, "PATH"))
                note(notes, "%s=%s mapped to %s", key, v, nv);
            mapped++;
            free((*env)[i]);
            (*env)[i] = fl_xasprintf("%s=%s", key, nv);
            free(nv);
        }
        free(key);
    }
    if (!pk_env_get(*env, "PATH")) {
        char *p = runtime_path(root, DEFAULT_PATH);
        env_set(env, "PATH", p);
        free(p);
    }
    if (rel->ninterps) {
        char *lp = library_path(img, ix, rel, root);
        env_set(env, "LD_LIBRARY_PATH", lp);
        note(notes, "LD_LIBRARY_PATH=%s (the image's library directories)", lp);
        free(lp);
    }
}

static int port_of(char *const *env, int def)
{
    uint64_t v;
    const char *p = pk_env_get(env, "port");
    return p && fl_parse_u64(p, 65535, &v) == 0 && v > 0 ? (int)v : def;
}

int pk_manifest_build(const pk_image *img, const pk_index *ix, const pk_reloc *rel, const pk_mf_opts *o,
                      fl_manifest *m, char ***notes, fl_err *err)
{
    memset(m, 0, sizeof *m);
    const char *root = o->root;
    char **argv = NULL;
    char *found = pk_find_entry(img, ix, &argv);
    if (!argv || !argv[0]) {
        pk_strv_free(argv);
        argv = NULL;
        note(notes, "the image names no Entrypoint or Cmd: the bootstrap runs %s/fwatchdog", root);
    } else if (found) {
        free(argv[0]);
        argv[0] = fl_xasprintf("%s/%s", root, found);
    } else if (fl_str_has_prefix(argv[0], "/opt/")) {
        /* not in the image, but where Lambda mounts layers: kept as it is */
        note(notes, "the image's command %s is not in the image: a layer must provide it", argv[0]);
    } else {
        note(notes, "the image's command %s is not a file in the image: the function will not start", argv[0]);
    }
    free(found);
    m->argv = argv;
    char **env = pk_strv_dup(img->config.env);
    if (!env)
        env = fl_xcalloc(1, sizeof *env);
    if (o->relocate)
        relocate_env(img, ix, rel, root, &env, notes);
    for (size_t i = 0; o->env && o->env[i]; i++) {
        const char *eq = strchr(o->env[i], '=');
        if (!eq || eq == o->env[i])
            return fl_fail(err, "--env %s is not NAME=VALUE", o->env[i]);
        char *key = fl_xstrndup(o->env[i], (size_t)(eq - o->env[i]));
        env_set(&env, key, eq + 1);
        free(key);
    }
    if (o->fprocess) {
        char *mapped = o->relocate ? map_command(ix, root, o->fprocess) : NULL;
        env_set(&env, "fprocess", mapped ? mapped : o->fprocess);
        free(mapped);
    }
    m->env = env;
    char *wd = NULL;
    if (img->config.workdir && pk_path_norm(img->config.workdir, &wd, NULL, NULL))
        return fl_fail(err, "the image's WorkingDir %s climbs out of the root", img->config.workdir);
    m->workdir = wd && wd[0] ? fl_xasprintf("%s/%s", root, wd) : fl_xstrdup(root);
    free(wd);
    /* the watchdog listens on $port; else a single exposed port says it */
    m->port = port_of(env, img->config.port ? img->config.port : 8080);
    m->health_path = fl_xstrdup("/_/health");
    m->readiness_protocol = fl_xstrdup("http");
    if (o->relocate && rel->ninterps) {
        m->links = fl_xcalloc(rel->ninterps, sizeof *m->links);
        for (size_t i = 0; i < rel->ninterps; i++) {
            char link[32], *norm = NULL;
            pk_reloc_link_path(i, link);
            m->links[i].path = fl_xstrdup(link);
            bool in_image = pk_path_norm(rel->interps[i], &norm, NULL, NULL) == 0 && is_file(ix, norm);
            /* the image's interpreter, else the runtime's own (from Lambda's
             * root or a layer) */
            m->links[i].target = in_image ? fl_xasprintf("%s%s", root, rel->interps[i]) : fl_xstrdup(rel->interps[i]);
            if (in_image)
                note(notes, "interpreter %s -> %s (a link the bootstrap makes)", rel->interps[i], link);
            else
                note(notes, "the interpreter %s is not in the image: %s links to the runtime's own", rel->interps[i],
                     link);
            free(norm);
        }
        m->nlinks = rel->ninterps;
    }
    return 0;
}
