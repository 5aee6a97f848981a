/* The watchdog process: relocation links, start, stderr pump, exit status,
 * stop. The watchdog leads its own process group so that stopping it also
 * stops whatever it forked. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bootstrap/bootstrap.h"

struct boot_watchdog {
    const boot_config *cfg;
    pid_t pid; /* 0 when not running */
    char status[64];
    pthread_mutex_t mu; /* guards the tail and pumps, shared with pump threads */
    pthread_cond_t pump_done;
    int pumps;          /* pump threads still reading */
    char tail[BOOT_TAIL_BYTES];
    size_t tail_len;
};

typedef struct pump {
    boot_watchdog *wd;
    int fd;
} pump;

boot_watchdog *boot_watchdog_new(const boot_config *cfg)
{
    boot_watchdog *wd = fl_xcalloc(1, sizeof *wd);
    wd->cfg = cfg;
    pthread_mutex_init(&wd->mu, NULL);
    pthread_cond_init(&wd->pump_done, NULL);
    return wd;
}

void boot_watchdog_free(boot_watchdog *wd)
{
    if (!wd)
        return;
    pthread_mutex_destroy(&wd->mu);
    pthread_cond_destroy(&wd->pump_done);
    free(wd);
}

pid_t boot_watchdog_pid(const boot_watchdog *wd)
{
    return wd->pid;
}

static void tail_add(boot_watchdog *wd, const char *p, size_t n)
{
    pthread_mutex_lock(&wd->mu);
    if (n >= sizeof wd->tail) {
        memcpy(wd->tail, p + n - sizeof wd->tail, sizeof wd->tail);
        wd->tail_len = sizeof wd->tail;
    } else {
        size_t keep = wd->tail_len + n > sizeof wd->tail ? sizeof wd->tail - n : wd->tail_len;
        memmove(wd->tail, wd->tail + wd->tail_len - keep, keep);
        memcpy(wd->tail + keep, p, n);
        wd->tail_len = keep + n;
    }
    pthread_mutex_unlock(&wd->mu);
}

void boot_watchdog_tail(boot_watchdog *wd, char *out, size_t out_len)
{
    pthread_mutex_lock(&wd->mu);
    /* After an exit, the last words may still be in the pipe: let the pump
     * drain it (it ends when the process group is gone), for a short while. */
    if (wd->pid == 0 && wd->pumps) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (wd->pumps && pthread_cond_timedwait(&wd->pump_done, &wd->mu, &until) == 0)
            ;
    }
    size_t n = wd->tail_len < out_len - 1 ? wd->tail_len : out_len - 1;
    memcpy(out, wd->tail + wd->tail_len - n, n);
    pthread_mutex_unlock(&wd->mu);
    out[n] = 0;
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = 0;
}

/* Copies the watchdog's stderr to ours (the function's log) and keeps its
 * tail for init errors. Ends when every writer (the watchdog and its
 * children) has closed the pipe. */
static void *pump_run(void *arg)
{
    pump *p = arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(p->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(STDERR_FILENO, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += w;
        }
        tail_add(p->wd, buf, (size_t)n);
    }
    close(p->fd);
    pthread_mutex_lock(&p->wd->mu);
    p->wd->pumps--;
    pthread_cond_broadcast(&p->wd->pump_done);
    pthread_mutex_unlock(&p->wd->mu);
    free(p);
    return NULL;
}

static int make_links(const boot_config *cfg, fl_err *err)
{
    for (size_t i = 0; i < cfg->nlinks; i++) {
        const fl_link *l = &cfg->links[i];
        char *dir = fl_xstrdup(l->path);
        *strrchr(dir, '/') = 0;
        int rc = dir[0] ? fl_mkdirs(dir, 0755, err) : 0;
        free(dir);
        if (rc)
            return fl_fail_wrap(err, "relocation link %s", l->path);
        char cur[4096];
        ssize_t n = readlink(l->path, cur, sizeof cur - 1);
        if (n >= 0 && (size_t)n == strlen(l->target) && !memcmp(cur, l->target, (size_t)n))
            continue;
        unlink(l->path);
        if (symlink(l->target, l->path) != 0)
            return fl_fail(err, "cannot create relocation link %s -> %s: %s", l->path, l->target, strerror(errno));
    }
    return 0;
}

/* argv[0] as execve needs it: names without '/' are looked up on the
 * watchdog's own PATH (execvp would use ours). */
static char *resolve(const boot_config *cfg, fl_err *err)
{
    const char *name = cfg->argv[0];
    if (strchr(name, '/'))
        return fl_xstrdup(name);
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (char **e = cfg->env; *e; e++)
        if (fl_str_has_prefix(*e, "PATH="))
            path = *e + 5;
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        char *cand = n ? fl_xasprintf("%.*s/%s", (int)n, p, name) : fl_xasprintf("%s/%s", cfg->workdir, name);
        if (access(cand, X_OK) == 0)
            return cand;
        free(cand);
        p += n + (p[n] == ':');
    }
    fl_fail(err, "the watchdog \"%s\" is not on its PATH (%s)", name, path);
    return NULL;
}

/* Runs in the forked child: only async-signal-safe calls until execve. An
 * errno written to report_fd tells the parent that the exec failed. */
static void child(const boot_config *cfg, const char *path, int err_fd, int report_fd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    setpgid(0, 0);
    dup2(err_fd, STDERR_FILENO);
    int e = 0;
    if (chdir(cfg->workdir) != 0)
        e = errno | 0x10000; /* marks the chdir as the failing step */
    else {
        execve(path, cfg->argv, cfg->env);
        e = errno;
    }
    ssize_t w = write(report_fd, &e, sizeof e);
    (void)w;
    _exit(127);
}

int boot_watchdog_start(boot_watchdog *wd, const char **error_type, fl_err *err)
{
    const boot_config *cfg = wd->cfg;
    *error_type = "Runtime.InvalidEntrypoint";
    if (make_links(cfg, err))
        return -1;
    char *path = resolve(cfg, err);
    if (!path)
        return -1;
    int errp[2], rep[2];
    if (pipe2(errp, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0) {
        free(path);
        return fl_fail(err, "pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0)
        child(cfg, path, errp[1], rep[1]);
    close(errp[1]);
    close(rep[1]);
    if (pid < 0) {
        close(errp[0]);
        close(rep[0]);
        free(path);
        return fl_fail(err, "fork: %s", strerror(errno));
    }
    setpgid(pid, pid); /* also in the parent: no race with signals sent right away */
    int e = 0;
    ssize_t n;
    while ((n = read(rep[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    close(rep[0]);
    if (n == (ssize_t)sizeof e) {
        waitpid(pid, NULL, 0);
        close(errp[0]);
        if (e & 0x10000)
            fl_fail(err, "cannot enter the working directory %s: %s", cfg->workdir, strerror(e & 0xffff));
        else
            fl_fail(err, "cannot execute the watchdog %s: %s", path, strerror(e));
        *error_type = e & 0x10000 ? "Runtime.InvalidWorkingDir" : "Runtime.InvalidEntrypoint";
        free(path);
        return -1;
    }
    free(path);
    wd->pid = pid;
    wd->status[0] = 0;
    pump *p = fl_xcalloc(1, sizeof *p);
    p->wd = wd;
    p->fd = errp[0];
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_mutex_lock(&wd->mu);
    wd->pumps++;
    pthread_mutex_unlock(&wd->mu);
    if (pthread_create(&t, &attr, pump_run, p) != 0) {
        /* Without a pump the watchdog would block on a full pipe: drop its stderr. */
        close(p->fd);
        free(p);
        pthread_mutex_lock(&wd->mu);
        wd->pumps--;
        pthread_mutex_unlock(&wd->mu);
    }
    pthread_attr_destroy(&attr);
    fl_debug("watchdog started, pid %d", (int)pid);
    return 0;
}

static void describe(int st, char *out, size_t len)
{
    if (WIFEXITED(st))
        snprintf(out, len, "exit status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(out, len, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(out, len, "wait status %d", st);
}

bool boot_watchdog_exited(boot_watchdog *wd, char *status, size_t status_len)
{
    if (wd->pid > 0) {
        int st;
        pid_t r = waitpid(wd->pid, &st, WNOHANG);
        if (r == 0)
            return false;
        if (r == wd->pid)
            describe(st, wd->status, sizeof wd->status);
        else
            snprintf(wd->status, sizeof wd->status, "exited (status unknown)");
        kill(-wd->pid, SIGKILL); /* anything it left behind in its group */
        wd->pid = 0;
    }
    if (status)
        snprintf(status, status_len, "%s", wd->status[0] ? wd->status : "not started");
    return true;
}

void boot_watchdog_stop(boot_watchdog *wd, uint64_t budget_ms)
{
    if (wd->pid <= 0)
        return;
    kill(wd->pid, SIGTERM);
    uint64_t until = fl_mono_us() + budget_ms * 1000;
    while (fl_mono_us() < until && !boot_watchdog_exited(wd, NULL, 0))
        fl_sleep_us(1000);
    if (wd->pid > 0) {
        pid_t pid = wd->pid;
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
        wd->pid = 0;
    }
}
