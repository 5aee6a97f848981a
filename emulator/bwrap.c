/* The bubblewrap sandbox: its command line, and starting it.
 *
 * Filesystem: the host's root (or --runtime-root, a stand-in for Lambda's
 * own base), read-only, with Lambda's own paths on top.
 * bwrap cannot create /var/task on a read-only host root (`--ro-bind / /`
 * leaves nowhere to put the mount point), so the root is bwrap's own tmpfs
 * holding a read-only bind of every top-level host entry (symlinks copied
 * as symlinks), /var likewise, then:
 *   /var/task     the task root, read-only
 *   /var/runtime  empty (LAMBDA_RUNTIME_DIR)
 *   /opt          --opt-dir read-only, or empty: the host's /opt never leaks in
 *   /run          empty: the host's sockets (docker, dbus) stay outside
 *   /root, /home, the state directory: empty (other functions' code and
 *                 the host users' secrets stay outside)
 *   /tmp          private tmpfs of the function's ephemeral storage (512 MB by
 *                 default, as on Lambda)
 *   /dev, /proc   fresh
 * and the tmpfs root is remounted read-only.
 * Namespaces: PID, IPC, UTS, network (bwrap brings up its loopback), cgroup
 * when possible, and a user namespace when not root (bwrap adds it).
 * No capabilities inside. The environment is exactly the one given. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"


/* An entry of the host's (or an image's) directory src, at parent/name. */
static void bind_entry(emu_strv *a, const char *src, const char *parent, const emu_host_entry *e)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s%s", parent, e->name);
    if (e->link) {
        emu_strv_push(a, "--symlink");
        emu_strv_push(a, e->link);
    } else {
        emu_strv_push(a, "--ro-bind");
        emu_strv_pushf(a, "%s%s", src, path);
    }
    emu_strv_push(a, path);
}

static void dir(emu_strv *a, const char *perms, const char *path)
{
    emu_strv_push(a, "--perms");
    emu_strv_push(a, perms);
    emu_strv_push(a, "--dir");
    emu_strv_push(a, path);
}

void emu_bwrap_args(const emu_bwrap_spec *s, emu_strv *a)
{
    static const char *const fixed[] = {
        "bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
        "--unshare-net", "--unshare-cgroup-try", "--cap-drop", "ALL",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        emu_strv_push(a, fixed[i]);
    emu_strv_push(a, "--info-fd");
    emu_strv_pushf(a, "%d", s->info_fd);
    emu_strv_push(a, "--block-fd");
    emu_strv_pushf(a, "%d", s->block_fd);

    if (s->rootfs) {
        /* a container image: its own tree, nothing of the host's */
        for (size_t i = 0; i < s->nroot; i++)
            bind_entry(a, s->rootfs, "/", &s->root[i]);
    } else {
        const char *base = s->base ? s->base : "";
        for (size_t i = 0; i < s->nroot; i++)
            bind_entry(a, base, "/", &s->root[i]);
        dir(a, "0755", "/var");
        for (size_t i = 0; i < s->nvar; i++)
            bind_entry(a, base, "/var/", &s->var[i]);
        emu_strv_push(a, "--ro-bind");
        emu_strv_push(a, s->task_root);
        emu_strv_push(a, "/var/task");
        dir(a, "0755", "/var/runtime");
        if (s->opt_dir) {
            emu_strv_push(a, "--ro-bind");
            emu_strv_push(a, s->opt_dir);
            emu_strv_push(a, "/opt");
        } else {
            dir(a, "0755", "/opt");
        }
        dir(a, "0755", "/run");
        for (size_t i = 0; s->hide && s->hide[i]; i++) {
            struct stat st;
            if (stat(s->hide[i], &st) || !S_ISDIR(st.st_mode))
                continue;
            emu_strv_push(a, "--tmpfs");
            emu_strv_push(a, s->hide[i]);
        }
    }
    emu_strv_push(a, "--dev");
    emu_strv_push(a, "/dev");
    emu_strv_push(a, "--proc");
    emu_strv_push(a, "/proc");
    emu_strv_push(a, "--perms");
    emu_strv_push(a, "1777");
    emu_strv_push(a, "--size");
    emu_strv_pushf(a, "%llu", (unsigned long long)(s->tmp_mb ? s->tmp_mb : EMU_EPHEMERAL_DEFAULT) << 20);
    emu_strv_push(a, "--tmpfs");
    emu_strv_push(a, "/tmp");
    static const char *const tail[] = {"--remount-ro", "/", "--chdir"};
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        emu_strv_push(a, tail[i]);
    emu_strv_push(a, s->workdir ? s->workdir : "/var/task");
    emu_strv_push(a, "--clearenv");
    for (size_t i = 0; s->env && s->env[i]; i++) {
        const char *eq = strchr(s->env[i], '=');
        if (!eq)
            continue;
        emu_strv_push(a, "--setenv");
        emu_strv_pushf(a, "%.*s", (int)(eq - s->env[i]), s->env[i]);
        emu_strv_push(a, eq + 1);
    }
    emu_strv_push(a, "--");
    if (s->argv && s->argv[0]) {
        for (size_t i = 0; s->argv[i]; i++)
            emu_strv_push(a, s->argv[i]);
    } else {
        emu_strv_push(a, s->bootstrap);
    }
}

static bool skipped(const char *name, const char *const *skip)
{
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return true;
    for (size_t i = 0; skip && skip[i]; i++)
        if (!strcmp(name, skip[i]))
            return true;
    return false;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const emu_host_entry *)a)->name, ((const emu_host_entry *)b)->name);
}

int emu_host_entries(const char *dirpath, const char *const *skip, emu_host_entry **out, size_t *n, fl_err *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dirpath);
    if (!d)
        return fl_fail(err, "listing %s for the sandbox: %s", dirpath, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (skipped(e->d_name, skip))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
            continue;
        char *link = NULL;
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t len = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
            if (len <= 0)
                continue;
            link = fl_xstrndup(target, (size_t)len);
        } else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
            continue; /* sockets, devices, fifos: nothing a function needs */
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            *out = fl_xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = (emu_host_entry){fl_xstrdup(e->d_name), link};
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_entry);
    return 0;
}

void emu_host_entries_free(emu_host_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].name);
        free(e[i].link);
    }
    free(e);
}

int emu_bwrap_parse_info(const char *json, size_t len, pid_t *pid)
{
    cJSON *doc = emu_json_parse_exact(json, len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "child-pid");
    int rc = -1;
    if (cJSON_IsNumber(v) && v->valuedouble >= 2 && v->valuedouble <= 4194304) {
        *pid = (pid_t)v->valuedouble;
        rc = 0;
    }
    cJSON_Delete(doc);
    return rc;
}
