/* Cgroups for sandboxes: a memory limit (and Max Memory Used from the
 * kernel's own peak counter, one pread per invoke instead of a /proc scan),
 * a process limit, and freezing between invokes. Each sandbox gets its own
 * cgroup under faas-lambda-PID, itself under the emulator's own cgroup, so
 * the host's accounting of the emulator still covers its functions.
 *
 * Hierarchies, picked per feature (--cgroups auto): cgroup v1's memory,
 * freezer and pids controllers where they are mounted and writable (these
 * machines); else cgroup v2 (memory.max/memory.peak, cgroup.freeze, pids.max
 * in a delegated subtree of the root); else nothing, and the sandbox falls
 * back to SIGSTOP for freezing, RLIMIT_DATA for memory and a /proc scan for
 * its peak (an unprivileged emulator). The bwrap child joins its cgroups
 * itself, before exec, through cgroup.procs descriptors opened here. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "emulator/internal.h"

#define V1_ROOT "/sys/fs/cgroup"
#define CGROUP2_MAGIC 0x63677270
#define PIDS_MAX "1024"           /* Lambda: 1024 processes and threads */

struct emu_cgroups {
    char *mem_v1, *freezer_v1, *pids_v1; /* bases in v1 hierarchies, or NULL */
    char *v2;                     /* base in the v2 hierarchy, or NULL */
    bool v2_memory, v2_pids;      /* controllers enabled under v2 */
};

static bool in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && !strncmp(p, word, n))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

/* The emulator's own path in a hierarchy, from /proc/self/cgroup lines
 * "ID:CONTROLLERS:/path": the v1 line naming controller, or the v2 line
 * (ID 0, no controllers) for controller "". */
static char *own_path(const char *controller)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return NULL;
    char line[1024];
    char *path = NULL;
    while (!path && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = 0;
        const char *ctls = c1 + 1;
        bool match = *controller ? in_list(ctls, controller) : (!*ctls && !strncmp(line, "0:", 2));
        if (match)
            path = fl_xstrdup(c2 + 1);
    }
    fclose(f);
    return path;
}

static int write_file(const char *dir, const char *file, const char *value)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

/* Removes faas-lambda-PID directories of emulators that are gone (killed
 * before they could clean up), with the sandbox cgroups inside them. */
static void sweep_stale(const char *parent)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint64_t pid;
        if (!fl_str_has_prefix(e->d_name, "faas-lambda-") || fl_parse_u64(e->d_name + 12, 4194304, &pid) ||
            (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue;
        char *dir = fl_xasprintf("%s/%s", parent, e->d_name);
        DIR *sub = opendir(dir);
        struct dirent *s2;
        while (sub && (s2 = readdir(sub)))
            if (s2->d_type == DT_DIR && s2->d_name[0] != '.')
                unlinkat(dirfd(sub), s2->d_name, AT_REMOVEDIR);
        if (sub)
            closedir(sub);
        rmdir(dir);
        free(dir);
    }
    closedir(d);
}

/* A base directory faas-lambda-PID in hierarchy root, under our own cgroup. */
static char *make_base(const char *root, const char *controller)
{
    char *own = own_path(controller);
    if (!own)
        return NULL;
    char *parent = fl_xasprintf("%s%s", root, strcmp(own, "/") ? own : "");
    sweep_stale(parent);
    free(parent);
    char *base = fl_xasprintf("%s%s/faas-lambda-%ld", root, strcmp(own, "/") ? own : "", (long)getpid());
    free(own);
    if (mkdir(base, 0755) && errno != EEXIST) {
        free(base);
        return NULL;
    }
    return base;
}

static char *v1_base(const char *controller)
{
    char root[256];
    snprintf(root, sizeof root, V1_ROOT "/%s", controller);
    struct statfs st;
    if (statfs(root, &st) || st.f_type == CGROUP2_MAGIC)
        return NULL;
    char probe[300];
    snprintf(probe, sizeof probe, "%s/cgroup.procs", root);
    if (access(probe, F_OK))
        return NULL;
    return make_base(root, controller);
}

static const char *v2_root(void)
{
    static const char *const candidates[] = {V1_ROOT, V1_ROOT "/unified"};
    for (size_t i = 0; i < 2; i++) {
        struct statfs st;
        if (statfs(candidates[i], &st) == 0 && st.f_type == CGROUP2_MAGIC)
            return candidates[i];
    }
    return NULL;
}

static bool has_word(const char *dir, const char *file, const char *word)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    fl_buf b = {0};
    fl_err err;
    bool found = false;
    if (fl_read_file(path, 4096, &b, &err) == 0) {
        for (char *tok = strtok(b.data, " \n"); tok && !found; tok = strtok(NULL, " \n"))
            found = !strcmp(tok, word);
    }
    fl_buf_free(&b);
    return found;
}

/* v2: freezing works in any cgroup we may create; memory and pids need the
 * controllers delegated down to our base. The root is exempt from the "no
 * processes in inner cgroups" rule, so the base hangs off it when we may
 * write there (root), else off our own cgroup (freezing only). */
static void open_v2(emu_cgroups *cg)
{
    const char *root = v2_root();
    if (!root)
        return;
    bool ctl = has_word(root, "cgroup.controllers", "memory");
    if (ctl && write_file(root, "cgroup.subtree_control", "+memory") == 0) {
        cg->v2 = fl_xasprintf("%s/faas-lambda-%ld", root, (long)getpid());
        if (mkdir(cg->v2, 0755) && errno != EEXIST) {
            free(cg->v2);
            cg->v2 = NULL;
        }
    }
    if (!cg->v2)
        cg->v2 = make_base(root, "");
    if (!cg->v2)
        return;
    cg->v2_memory = write_file(cg->v2, "cgroup.subtree_control", "+memory") == 0;
    if (has_word(root, "cgroup.controllers", "pids"))
        write_file(root, "cgroup.subtree_control", "+pids");
    cg->v2_pids = write_file(cg->v2, "cgroup.subtree_control", "+pids") == 0;
}

int emu_cgroups_open(const char *mode, emu_cgroups **out, fl_err *err)
{
    *out = NULL;
    if (!mode)
        mode = "auto";
    if (!strcmp(mode, "none"))
        return 0;
    emu_cgroups *cg = fl_xcalloc(1, sizeof *cg);
    bool v1 = !strcmp(mode, "auto") || !strcmp(mode, "v1");
    if (v1) {
        cg->mem_v1 = v1_base("memory");
        cg->freezer_v1 = v1_base("freezer");
        cg->pids_v1 = v1_base("pids");
    }
    bool want_v2 = !strcmp(mode, "v2") || (!strcmp(mode, "auto") && (!cg->mem_v1 || !cg->freezer_v1));
    if (want_v2)
        open_v2(cg);
    if (!cg->mem_v1 && !cg->freezer_v1 && !cg->v2) {
        emu_cgroups_free(cg);
        if (strcmp(mode, "auto"))
            return fl_fail(err, "--cgroups %s: no writable cgroup %s hierarchy here (run as root, or use --cgroups "
                                "auto or none)", mode, mode);
        fl_info("no writable cgroups: idle sandboxes are stopped with SIGSTOP, memory is limited by RLIMIT_DATA");
        return 0;
    }
    fl_debug("cgroups: memory %s, freezer %s, pids %s", cg->mem_v1 ? cg->mem_v1 : cg->v2_memory ? cg->v2 : "none",
             cg->freezer_v1 ? cg->freezer_v1 : cg->v2 ? cg->v2 : "none",
             cg->pids_v1 ? cg->pids_v1 : cg->v2_pids ? cg->v2 : "none");
    *out = cg;
    return 0;
}

void emu_cgroups_free(emu_cgroups *cg)
{
    if (!cg)
        return;
    char *dirs[] = {cg->mem_v1, cg->freezer_v1, cg->pids_v1, cg->v2};
    for (size_t i = 0; i < 4; i++) {
        if (dirs[i])
            rmdir(dirs[i]);
        free(dirs[i]);
    }
    free(cg);
}

bool emu_cgroups_memory(const emu_cgroups *cg)
{
    return cg && (cg->mem_v1 || cg->v2_memory);
}

bool emu_cgroups_freezer(const emu_cgroups *cg)
{
    return cg && (cg->freezer_v1 || cg->v2);
}

static char *child_dir(const char *base, const char *name)
{
    if (!base)
        return NULL;
    char *dir = fl_xasprintf("%s/%s", base, name);
    if (mkdir(dir, 0755) && errno != EEXIST) {
        free(dir);
        return NULL;
    }
    return dir;
}

static int open_in(const char *dir, const char *file, int flags)
{
    if (!dir)
        return -1;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return open(path, flags | O_CLOEXEC);
}

static void set_memory(emu_cg *c, unsigned memory_mb)
{
    char bytes[32];
    snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)memory_mb << 20);
    if (c->mem_dir) {
        write_file(c->mem_dir, "memory.limit_in_bytes", bytes);
        write_file(c->mem_dir, "memory.memsw.limit_in_bytes", bytes); /* no swapping out of the limit */
        c->peak_fd = open_in(c->mem_dir, "memory.max_usage_in_bytes", O_RDONLY);
    } else if (c->v2_mem) {
        write_file(c->v2_dir, "memory.max", bytes);
        write_file(c->v2_dir, "memory.swap.max", "0");
        c->peak_fd = open_in(c->v2_dir, "memory.peak", O_RDONLY);
    }
}

emu_cg *emu_cg_new(emu_cgroups *cgs, const char *name, unsigned memory_mb)
{
    if (!cgs)
        return NULL;
    emu_cg *c = fl_xcalloc(1, sizeof *c);
    c->peak_fd = c->freeze_fd = -1;
    c->mem_dir = child_dir(cgs->mem_v1, name);
    c->freezer_dir = child_dir(cgs->freezer_v1, name);
    c->pids_dir = child_dir(cgs->pids_v1, name);
    c->v2_dir = child_dir(cgs->v2, name);
    c->v2_mem = c->v2_dir && cgs->v2_memory && !c->mem_dir;
    set_memory(c, memory_mb);
    if (c->pids_dir)
        write_file(c->pids_dir, "pids.max", PIDS_MAX);
    else if (c->v2_dir && cgs->v2_pids)
        write_file(c->v2_dir, "pids.max", PIDS_MAX);
    c->freeze_fd = c->freezer_dir ? open_in(c->freezer_dir, "freezer.state", O_WRONLY)
                                  : open_in(c->v2_dir, "cgroup.freeze", O_WRONLY);
    const char *dirs[] = {c->mem_dir, c->freezer_dir, c->pids_dir, c->v2_dir};
    for (size_t i = 0; i < 4; i++) {
        int fd = open_in(dirs[i], "cgroup.procs", O_WRONLY);
        if (fd >= 0)
            c->procs_fd[c->nprocs++] = fd;
    }
    return c;
}

/* rmdir succeeds once the sandbox's processes are gone (we reaped bwrap,
 * but the kernel may still be tearing its children down). */
static void remove_dir(char *dir)
{
    if (!dir)
        return;
    for (int i = 0; i < 100 && rmdir(dir) && errno == EBUSY; i++)
        fl_sleep_us(2000);
    free(dir);
}

void emu_cg_free(emu_cg *c)
{
    if (!c)
        return;
    if (c->peak_fd >= 0)
        close(c->peak_fd);
    if (c->freeze_fd >= 0)
        close(c->freeze_fd);
    for (int i = 0; i < c->nprocs; i++)
        close(c->procs_fd[i]);
    remove_dir(c->mem_dir);
    remove_dir(c->freezer_dir);
    remove_dir(c->pids_dir);
    remove_dir(c->v2_dir);
    free(c);
}

uint64_t emu_cg_peak_bytes(const emu_cg *c)
{
    if (!c || c->peak_fd < 0)
        return 0;
    char buf[32];
    ssize_t n = pread(c->peak_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    return strtoull(buf, NULL, 10);
}

bool emu_cg_can_freeze(const emu_cg *c)
{
    return c && c->freeze_fd >= 0;
}

int emu_cg_freeze(emu_cg *c, bool frozen)
{
    if (!c || c->freeze_fd < 0)
        return -1;
    const char *v = c->freezer_dir ? (frozen ? "FROZEN" : "THAWED") : (frozen ? "1" : "0");
    return pwrite(c->freeze_fd, v, strlen(v), 0) == (ssize_t)strlen(v) ? 0 : -1;
}

bool emu_cg_has_memory(const emu_cg *c)
{
    return c && c->peak_fd >= 0;
}
