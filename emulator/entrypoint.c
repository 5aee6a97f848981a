/* Finding the bootstrap as Lambda does (/var/task/bootstrap, then
 * /opt/bootstrap), before any sandbox starts, so that a package without
 * one fails with Runtime.InvalidEntrypoint rather than a bwrap error.
 * Symlinks are followed as the sandbox will see them: a link to
 * /opt/bin/x inside the task root means the --opt-dir's bin/x. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"

#define MAX_LINKS 40

/* path is under prefix (a directory) or is it; *rest gets what follows. */
static bool under(const char *path, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) || (path[n] && path[n] != '/'))
        return false;
    *rest = path + n;
    return true;
}

int emu_sandbox_path_to_host(const emu_fn_conf *c, const char *path, char *out, size_t n)
{
    const char *rest;
    int w;
    if (c->rootfs) /* a container image: its tree is / */
        w = under(path, "/tmp", &rest) || under(path, "/proc", &rest) || under(path, "/dev", &rest)
                ? -1
                : snprintf(out, n, "%s%s", c->rootfs, strcmp(path, "/") ? path : "");
    else if (under(path, "/var/task", &rest))
        w = snprintf(out, n, "%s%s", c->task_root, rest);
    else if (under(path, "/opt", &rest))
        w = c->opt_dir ? snprintf(out, n, "%s%s", c->opt_dir, rest) : -1;
    else if (under(path, "/tmp", &rest) || under(path, "/run", &rest) || under(path, "/var/runtime", &rest) ||
             under(path, "/proc", &rest) || under(path, "/dev", &rest))
        w = -1; /* fresh in every sandbox: nothing to find there beforehand */
    else
        w = snprintf(out, n, "%s", path); /* the host's root, read-only */
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* Resolves every symlink in an absolute sandbox path, component by
 * component, each looked up where the sandbox's mount would put it. */
static int resolve(const emu_fn_conf *c, const char *path, char host[PATH_MAX])
{
    char todo[PATH_MAX], done[PATH_MAX] = "", cand[PATH_MAX];
    if (snprintf(todo, sizeof todo, "%s", path) >= (int)sizeof todo)
        return -1;
    int links = 0;
    char *p = todo;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        char comp[NAME_MAX + 1];
        if (len > NAME_MAX)
            return -1;
        memcpy(comp, p, len);
        comp[len] = 0;
        p += len;
        if (!strcmp(comp, "."))
            continue;
        if (!strcmp(comp, "..")) {
            char *last = strrchr(done, '/');
            if (last)
                *last = 0;
            continue;
        }
        if (snprintf(cand, sizeof cand, "%s/%s", done, comp) >= (int)sizeof cand)
            return -1;
        struct stat st;
        if (emu_sandbox_path_to_host(c, cand, host, PATH_MAX) || lstat(host, &st))
            return -1;
        if (!S_ISLNK(st.st_mode)) {
            strcpy(done, cand);
            continue;
        }
        char target[PATH_MAX], next[PATH_MAX];
        ssize_t tl = readlink(host, target, sizeof target - 1);
        if (tl <= 0 || ++links > MAX_LINKS)
            return -1;
        target[tl] = 0;
        /* continue with the link's target followed by what was left */
        if (snprintf(next, sizeof next, "%s%s", target, p) >= (int)sizeof next)
            return -1;
        strcpy(todo, next);
        p = todo;
        if (target[0] == '/')
            done[0] = 0;
    }
    return emu_sandbox_path_to_host(c, done[0] ? done : "/", host, PATH_MAX);
}

static bool executable_file(const emu_fn_conf *c, const char *path)
{
    char host[PATH_MAX];
    struct stat st;
    return resolve(c, path, host) == 0 && stat(host, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) &&
           access(host, X_OK) == 0;
}

int emu_find_bootstrap(const emu_fn_conf *c, char out[64])
{
    if (c->rootfs) {
        /* an image runs its command; a relative program is looked up on
         * its PATH at exec time */
        if (!c->argv.n || (c->argv.v[0][0] == '/' && !executable_file(c, c->argv.v[0])))
            return -1;
        snprintf(out, 64, "%.63s", c->argv.v[0]);
        return 0;
    }
    static const char *const candidates[] = {"/var/task/bootstrap", "/opt/bootstrap"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (executable_file(c, candidates[i])) {
            snprintf(out, 64, "%s", candidates[i]);
            return 0;
        }
    }
    return -1;
}
