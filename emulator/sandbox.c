/* A sandbox: one bwrap process tree running the bootstrap, the Runtime API
 * served for it inside its network namespace, and the reader of its output.
 *
 * Start-up order matters: bwrap is started with --block-fd so that it sets
 * up the namespaces and then waits; we learn the sandbox's pid from
 * --info-fd, create the Runtime API socket inside its network namespace,
 * start serving it, and only then let bwrap exec the bootstrap (release), so
 * the runtime's first request always finds 127.0.0.1:9001 listening.
 *
 * bwrap is forked by the function's controller thread, which lives as long
 * as the function: --die-with-parent is a parent-death signal, and Linux
 * sends it when the thread that forked the child exits. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emulator/internal.h"

#define INFO_TIMEOUT_MS 10000
#define INFO_MAX 4096

/* pidfds make waiting and signalling race-free; where the kernel (or
 * valgrind) lacks them, the controller polls and signals by pid instead. */
static int pidfd_open_(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int signal_pid(int pidfd, pid_t pid, int sig)
{
    if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
        return 0;
    return pid > 0 ? kill(pid, sig) : -1;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Reads bwrap's --info-fd document until it names the sandbox's pid. */
static int read_info(int fd, pid_t *pid, fl_err *err)
{
    char buf[INFO_MAX];
    size_t len = 0;
    uint64_t deadline = fl_mono_us() + INFO_TIMEOUT_MS * 1000ull;
    for (;;) {
        int left = (int)((deadline - fl_mono_us()) / 1000);
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) == 0)
            return fl_fail(err, "bwrap did not report the sandbox's pid within %d s", INFO_TIMEOUT_MS / 1000);
        ssize_t r = read(fd, buf + len, sizeof buf - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return fl_fail(err, "bwrap exited before starting the sandbox (its message, if any, is above)");
        len += (size_t)r;
        if (emu_bwrap_parse_info(buf, len, pid) == 0)
            return 0;
        if (len == sizeof buf)
            return fl_fail(err, "bwrap's --info-fd output is not the JSON expected");
    }
}

static int build_argv(emu_function *fn, emu_sandbox *sb, const char *bootstrap, emu_strv *argv, fl_err *err)
{
    static const char *const skip_root[] = {"proc", "dev", "tmp", "opt", "var", "run", NULL};
    static const char *const skip_image[] = {"proc", "dev", "tmp", NULL};
    static const char *const skip_var[] = {"task", "runtime", NULL};
    const emu_fn_conf *c = &fn->conf;
    const char *hide[] = {"/root", "/home", fn->env->state_root, NULL};
    emu_host_entry *root = NULL, *var = NULL;
    size_t nroot = 0, nvar = 0;
    const char *base = fn->env->runtime_root ? fn->env->runtime_root : "";
    char *root_dir = fl_xasprintf("%s/", base), *var_dir = fl_xasprintf("%s/var", base);
    int rc = c->rootfs ? emu_host_entries(c->rootfs, skip_image, &root, &nroot, err)
                       : emu_host_entries(root_dir, skip_root, &root, &nroot, err) ||
                             (access(var_dir, F_OK) == 0 && emu_host_entries(var_dir, skip_var, &var, &nvar, err));
    free(root_dir);
    free(var_dir);
    if (rc) {
        emu_host_entries_free(root, nroot);
        return -1;
    }
    emu_strv env = {0};
    emu_env_build(&fn->conf, sb->log_stream, &env);
    emu_bwrap_spec spec = {
        .task_root = fn->conf.task_root,
        .opt_dir = fn->conf.opt_dir,
        .env = (const char *const *)env.v,
        .bootstrap = bootstrap,
        .base = base,
        .root = root,
        .nroot = nroot,
        .var = var,
        .nvar = nvar,
        .info_fd = 3,
        .block_fd = 4,
        .tmp_mb = fn->conf.ephemeral_mb ? fn->conf.ephemeral_mb : EMU_EPHEMERAL_DEFAULT,
        .rootfs = c->rootfs,
        .workdir = c->rootfs ? c->workdir : NULL,
        .argv = c->rootfs ? (const char *const *)c->argv.v : NULL,
        .hide = hide,
    };
    emu_bwrap_args(&spec, argv);
    emu_strv_free(&env);
    emu_host_entries_free(root, nroot);
    emu_host_entries_free(var, nvar);
    return 0;
}

static emu_sandbox *sandbox_new(emu_function *fn, unsigned seq, emu_invoke *target)
{
    emu_sandbox *sb = fl_xcalloc(1, sizeof *sb);
    sb->fn = fn;
    sb->seq = seq;
    sb->pidfd = sb->ns_pidfd = sb->block_fd = sb->out_fd = sb->err_fd = -1;
    sb->log_target = target;
    /* the loop of the connection its first invoke came on: that invoke and
     * the next ones from there are handed over on one thread */
    const emu_rt_env *env = fn->env;
    sb->li = target && target->home >= 0 ? (unsigned)target->home % env->nloops : seq % env->nloops;
    sb->loop = env->loops[sb->li];
    emu_new_log_stream(sb->log_stream);
    /* named after the function and its log stream: unique, and findable */
    char name[EMU_FN_REF_MAX + 24];
    snprintf(name, sizeof name, "%s-%.16s", fn->conf.name, strchr(sb->log_stream, ']') + 1);
    sb->cg = emu_cg_new(fn->env->cg, name, fn->conf.memory_mb);
    return sb;
}

/* bwrap with stdin from /dev/null, stdout/stderr into pipes we read, and
 * the info and block pipes at fds 3 and 4. */
static int start_bwrap(emu_function *fn, emu_sandbox *sb, const char *bootstrap, int *info_rd, fl_err *err)
{
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, info[2] = {-1, -1}, block[2] = {-1, -1};
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    emu_strv argv = {0};
    int rc = -1;
    if (devnull < 0 || pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(info, O_CLOEXEC) ||
        pipe2(block, O_CLOEXEC)) {
        fl_fail(err, "creating the sandbox's pipes: %s", strerror(errno));
        goto out;
    }
    if (build_argv(fn, sb, bootstrap, &argv, err))
        goto out;
    const int child[EMU_SPAWN_FDS] = {devnull, out[1], errp[1], info[1], block[0]};
    emu_spawn_extra x = {.cg_fds = sb->cg ? sb->cg->procs_fd : NULL, .ncg = sb->cg ? sb->cg->nprocs : 0};
    if (!emu_cg_has_memory(sb->cg))
        x.rlimit_data = (uint64_t)fn->conf.memory_mb << 20; /* the last resort */
    if (emu_spawn(fn->env->bwrap, argv.v, child, &x, &sb->bwrap_pid, err))
        goto out;
    sb->spawn_us = fl_mono_us();
    sb->out_fd = out[0], out[0] = -1;
    sb->err_fd = errp[0], errp[0] = -1;
    sb->block_fd = block[1], block[1] = -1;
    *info_rd = info[0], info[0] = -1;
    rc = 0;
out:
    for (int i = 0; i < 2; i++) {
        close_fd(&out[i]);
        close_fd(&errp[i]);
        close_fd(&info[i]);
        close_fd(&block[i]);
    }
    close_fd(&devnull);
    emu_strv_free(&argv);
    return rc;
}

static void record_pidns(emu_sandbox *sb)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)sb->ns_pid);
    ssize_t n = readlink(path, sb->pidns, sizeof sb->pidns - 1);
    sb->pidns[n > 0 ? n : 0] = 0;
}

emu_sandbox *emu_sandbox_spawn(emu_function *fn, const char *bootstrap, unsigned seq, emu_invoke *target,
                               fl_err *err)
{
    emu_sandbox *sb = sandbox_new(fn, seq, target);
    int info = -1, listen_fd = -1;
    if (start_bwrap(fn, sb, bootstrap, &info, err))
        goto fail;
    emu_logs_start(sb);
    sb->pidfd = pidfd_open_(sb->bwrap_pid);
    if (read_info(info, &sb->ns_pid, err))
        goto fail;
    close_fd(&info);
    sb->ns_pidfd = pidfd_open_(sb->ns_pid);
    record_pidns(sb);
    if (emu_netns_listen(sb->ns_pid, EMU_RAPI_HOST, EMU_RAPI_PORT, &listen_fd, err))
        goto fail;
    if (emu_rapi_start(sb, listen_fd, err))
        goto fail;
    return sb;
fail:
    close_fd(&info);
    close_fd(&listen_fd);
    sb->closing = true;
    emu_sandbox_destroy(sb);
    return NULL;
}

void emu_sandbox_release(emu_sandbox *sb)
{
    if (sb->block_fd < 0)
        return;
    ssize_t w = write(sb->block_fd, "x", 1);
    (void)w; /* bwrap gone: the controller reaps it and reports why */
    close_fd(&sb->block_fd);
}

void emu_sandbox_kill(emu_sandbox *sb)
{
    /* pid 1 of the PID namespace takes every process in it along; the pidfd
     * makes sure that pid still names the sandbox */
    if (sb->exited)
        return; /* and its pids may be someone else's now */
    signal_pid(sb->ns_pidfd, sb->ns_pid, SIGKILL);
    if (sb->bwrap_pid > 0)
        kill(sb->bwrap_pid, SIGKILL);
    emu_sandbox_thaw(sb); /* a frozen (cgroup v1) task only dies once thawed */
}

/* The bootstrap is the child of the sandbox's pid 1 (bwrap's init). */
pid_t emu_sandbox_runtime_pid(const emu_sandbox *sb)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    pid_t found = -1;
    struct dirent *e;
    while (found < 0 && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[300], stat[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = 0;
        char *close_paren = strrchr(stat, ')'); /* the command name may hold anything */
        int ppid;
        if (close_paren && sscanf(close_paren + 1, " %*c %d", &ppid) == 1 && ppid == sb->ns_pid)
            found = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    return found;
}

void emu_sandbox_term_runtime(emu_sandbox *sb)
{
    pid_t pid = emu_sandbox_runtime_pid(sb);
    if (pid <= 0)
        return;
    fl_info("sandbox %u: SIGTERM to the runtime (pid %d), %u ms to exit", sb->seq, (int)pid,
            EMU_SHUTDOWN_GRACE_US / 1000);
    int fd = pidfd_open_(pid);
    signal_pid(fd, pid, SIGTERM);
    close_fd(&fd);
}

bool emu_sandbox_reap(emu_sandbox *sb)
{
    if (sb->exited)
        return true;
    if (sb->bwrap_pid <= 0)
        return false;
    int st;
    pid_t r = waitpid(sb->bwrap_pid, &st, WNOHANG);
    if (r != sb->bwrap_pid)
        return false;
    sb->exited = true;
    sb->wait_status = st;
    return true;
}

bool emu_sandbox_wait_exit(emu_sandbox *sb, uint64_t timeout_us)
{
    uint64_t deadline = fl_mono_us() + timeout_us;
    while (!emu_sandbox_reap(sb)) {
        uint64_t now = fl_mono_us();
        if (now >= deadline)
            return false;
        int ms = (int)((deadline - now + 999) / 1000);
        struct pollfd p = {sb->pidfd, POLLIN, 0};
        poll(&p, sb->pidfd >= 0 ? 1 : 0, sb->pidfd >= 0 ? ms : (ms < 10 ? ms : 10));
    }
    return true;
}

unsigned emu_sandbox_memory_mb(const emu_sandbox *sb)
{
    if (emu_cg_has_memory(sb->cg))
        return (unsigned)((emu_cg_peak_bytes(sb->cg) + (1u << 20) - 1) >> 20);
    return emu_proc_memory_mb(sb->pidns);
}

void emu_sandbox_destroy(emu_sandbox *sb)
{
    if (sb->bwrap_pid > 0 && !sb->exited) {
        emu_sandbox_kill(sb);
        int st;
        while (waitpid(sb->bwrap_pid, &st, 0) < 0 && errno == EINTR)
            ;
        sb->exited = true;
    }
    close_fd(&sb->block_fd);
    emu_rapi_stop(sb);
    emu_logs_stop(sb);
    close_fd(&sb->pidfd);
    close_fd(&sb->ns_pidfd);
    emu_ext_free_all(sb);
    emu_invoke_unref(sb->current);
    emu_invoke_unref(sb->log_target);
    emu_cg_free(sb->cg);
    free(sb);
}
