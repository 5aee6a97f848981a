/* The function's output: a reader thread per sandbox takes its stdout and
 * stderr line by line, writes each line to our stderr unmodified, and keeps
 * the current invoke's tail for X-Amz-Log-Result. Platform lines (START,
 * END, REPORT) take the same path so their order is the log's order.
 *
 * Sync: when an invoke completes, output the function wrote before posting
 * its response is already in the pipes; the completing thread asks the
 * reader to drain them and waits (bounded) before logging END. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "emulator/internal.h"

#define CHUNK 65536

static void write_all(struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(STDERR_FILENO, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return; /* stderr is gone: nothing better to do */
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
}

void emu_log_line(emu_sandbox *sb, const char *line, size_t n)
{
    if (!sb->fn->env->quiet) {
        struct iovec iov[2] = {{(void *)line, n}, {(void *)"\n", 1}};
        write_all(iov, 2);
    }
    emu_logstore_put(sb->fn->env->logs, sb->fn->conf.name, sb->log_stream, line, n);
    if (sb->log_target)
        emu_tail_append(&sb->log_target->log_tail, line, n, EMU_LOG_TAIL);
}

void emu_log_linef(emu_sandbox *sb, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    emu_log_line(sb, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void emu_set_log_target(emu_sandbox *sb, emu_invoke *inv)
{
    emu_invoke *old = sb->log_target;
    sb->log_target = emu_invoke_ref(inv);
    emu_invoke_unref(old);
}

static void emit(void *ud, const char *line, size_t n)
{
    emu_sandbox *sb = ud;
    pthread_mutex_lock(&sb->fn->mu);
    emu_log_line(sb, line, n);
    pthread_mutex_unlock(&sb->fn->mu);
}

/* One read. Returns 1 on data, 0 at EOF (fd closed, partial line emitted),
 * -1 when nothing is there now. */
static int read_once(emu_sandbox *sb, int *fd, emu_linebuf *lb, char *chunk)
{
    ssize_t r = read(*fd, chunk, CHUNK);
    if (r > 0) {
        emu_linebuf_feed(lb, chunk, (size_t)r, EMU_LOG_LINE_MAX, emit, sb);
        return 1;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return -1;
    emu_linebuf_flush(lb, emit, sb);
    close(*fd);
    *fd = -1;
    return 0;
}

static void drain(emu_sandbox *sb, int fds[2], emu_linebuf lb[2], char *chunk)
{
    for (int i = 0; i < 2; i++) {
        while (fds[i] >= 0 && read_once(sb, &fds[i], &lb[i], chunk) == 1)
            ;
        emu_linebuf_flush(&lb[i], emit, sb); /* a line without its newline yet still belongs here */
    }
}

static void *log_main(void *arg)
{
    emu_sandbox *sb = arg;
    int fds[2] = {sb->out_fd, sb->err_fd};
    emu_linebuf lb[2] = {{{0}}, {{0}}};
    char *chunk = fl_xmalloc(CHUNK);
    bool stop = false;
    while (!stop && (fds[0] >= 0 || fds[1] >= 0)) {
        struct pollfd p[3];
        int which[3], n = 0;
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0) {
                p[n] = (struct pollfd){fds[i], POLLIN, 0};
                which[n++] = i;
            }
        p[n] = (struct pollfd){sb->log_wake, POLLIN, 0};
        which[n++] = -1;
        if (poll(p, (nfds_t)n, -1) < 0)
            continue;
        atomic_store(&sb->log_busy, 1); /* before any read: see emu_logs_sync */
        for (int k = 0; k < n; k++) {
            if (!p[k].revents)
                continue;
            if (which[k] >= 0) {
                read_once(sb, &fds[which[k]], &lb[which[k]], chunk);
                continue;
            }
            uint64_t v;
            ssize_t r = read(sb->log_wake, &v, sizeof v);
            (void)r;
            pthread_mutex_lock(&sb->log_mu);
            uint64_t req = sb->sync_req;
            stop = sb->log_stop;
            pthread_mutex_unlock(&sb->log_mu);
            drain(sb, fds, lb, chunk);
            pthread_mutex_lock(&sb->log_mu);
            sb->sync_ack = req;
            pthread_cond_broadcast(&sb->log_cond);
            pthread_mutex_unlock(&sb->log_mu);
        }
        /* a line without its newline yet waits here: only a sync (which
         * flushes it before END) may let it out */
        atomic_store(&sb->log_partial, lb[0].pending.len || lb[1].pending.len);
        atomic_store(&sb->log_busy, 0);
    }
    for (int i = 0; i < 2; i++) {
        emu_linebuf_flush(&lb[i], emit, sb);
        emu_linebuf_free(&lb[i]);
        if (fds[i] >= 0)
            close(fds[i]);
    }
    free(chunk);
    pthread_mutex_lock(&sb->log_mu);
    sb->log_done = true;
    pthread_cond_broadcast(&sb->log_cond);
    pthread_mutex_unlock(&sb->log_mu);
    return NULL;
}

int emu_logs_start(emu_sandbox *sb, fl_err *err)
{
    for (int i = 0; i < 2; i++) {
        int fd = i ? sb->err_fd : sb->out_fd;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        sb->peek_fd[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    }
    sb->log_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (sb->log_wake < 0)
        return fl_fail(err, "eventfd: %s", strerror(errno));
    int rc = pthread_create(&sb->log_thread, NULL, log_main, sb);
    if (rc)
        return fl_fail(err, "starting the log reader: %s", strerror(rc));
    sb->log_started = true;
    return 0;
}

static void poke(emu_sandbox *sb)
{
    uint64_t one = 1;
    ssize_t w = write(sb->log_wake, &one, sizeof one);
    (void)w;
}

/* Nothing written is still on its way: the pipes are empty and the reader
 * holds nothing (it marks itself busy before it reads, and clears the mark
 * once the lines are out; hence the mark is checked on both sides). */
bool emu_logs_settled(emu_sandbox *sb)
{
    if (!sb->log_started || atomic_load(&sb->log_busy) || atomic_load(&sb->log_partial))
        return !sb->log_started;
    for (int i = 0; i < 2; i++) {
        int n = 0;
        if (sb->peek_fd[i] >= 0 && (ioctl(sb->peek_fd[i], FIONREAD, &n) || n))
            return false;
    }
    return !atomic_load(&sb->log_busy);
}

void emu_logs_sync(emu_sandbox *sb, uint64_t timeout_us)
{
    if (!sb->log_started)
        return;
    pthread_mutex_lock(&sb->log_mu);
    uint64_t want = ++sb->sync_req;
    pthread_mutex_unlock(&sb->log_mu);
    poke(sb);
    uint64_t deadline = fl_mono_us() + timeout_us;
    pthread_mutex_lock(&sb->log_mu);
    while (sb->sync_ack < want && !sb->log_done && fl_mono_us() < deadline)
        emu_cond_wait_until(&sb->log_cond, &sb->log_mu, deadline);
    pthread_mutex_unlock(&sb->log_mu);
}

void emu_logs_stop(emu_sandbox *sb)
{
    if (!sb->log_started)
        return;
    pthread_mutex_lock(&sb->log_mu);
    sb->log_stop = true;
    sb->sync_req++;
    pthread_mutex_unlock(&sb->log_mu);
    poke(sb);
    pthread_join(sb->log_thread, NULL);
    sb->log_started = false;
}
