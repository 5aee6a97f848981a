/* Starting a program with chosen fds at 0..N-1 and nothing else: safe in a
 * multithreaded process (only async-signal-safe calls between fork and
 * exec; every other fd of ours is O_CLOEXEC or closed by close_range). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emulator/internal.h"

/* In the child, before exec: only async-signal-safe calls. */
static void child_setup(const int *cg, int ncg, uint64_t rlimit_data)
{
    for (int i = 0; i < ncg; i++)
        if (write(cg[i], "0", 1) != 1) /* "0": the writer itself */
            _exit(126);
    if (rlimit_data) {
        struct rlimit rl = {rlimit_data, rlimit_data};
        setrlimit(RLIMIT_DATA, &rl);
    }
}

int emu_spawn(const char *path, char *const argv[], const int child_fds[EMU_SPAWN_FDS], const emu_spawn_extra *x,
              pid_t *pid, fl_err *err)
{
    /* Move the fds out of 0..EMU_SPAWN_FDS-1 so the child's dup2s cannot
     * clobber one another. */
    int high[EMU_SPAWN_FDS];
    for (int i = 0; i < EMU_SPAWN_FDS; i++) {
        high[i] = fcntl(child_fds[i], F_DUPFD_CLOEXEC, 10);
        if (high[i] < 0) {
            int e = errno;
            while (i--)
                close(high[i]);
            return fl_fail(err, "spawning %s: dup: %s", path, strerror(e));
        }
    }
    /* the cgroup files too, above the range the dup2s below write to */
    int cg[4];
    int ncg = x && x->ncg <= 4 ? x->ncg : 0;
    for (int i = 0; i < ncg; i++)
        cg[i] = fcntl(x->cg_fds[i], F_DUPFD_CLOEXEC, 10);
    char *const envp[] = {NULL};
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* no handler may run in the child before exec */
    pid_t p = fork();
    if (p == 0) {
        for (int i = 0; i < EMU_SPAWN_FDS; i++)
            if (dup2(high[i], i) < 0)
                _exit(127);
        child_setup(cg, ncg, x ? x->rlimit_data : 0);
        syscall(SYS_close_range, EMU_SPAWN_FDS, ~0u, 0);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++)
            sigaction(sig, &dfl, NULL); /* SIGPIPE was ignored here */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, envp);
        _exit(127);
    }
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    for (int i = 0; i < EMU_SPAWN_FDS; i++)
        close(high[i]);
    for (int i = 0; i < ncg; i++)
        if (cg[i] >= 0)
            close(cg[i]);
    if (p < 0)
        return fl_fail(err, "spawning %s: fork: %s", path, strerror(e));
    *pid = p;
    return 0;
}
