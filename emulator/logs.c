/* The function's output: the emulator's loop reads each sandbox's stdout
 * and stderr, line by line, writes each line to our stderr unmodified, and
 * keeps the current invoke's tail for X-Amz-Log-Result. Platform lines
 * (START, END, REPORT) take the same path so their order is the log's order.
 *
 * Before END, the completion drains what the function wrote before it
 * posted its response (the bytes already in the pipes), without waiting;
 * lines are assembled under fn->mu, by whichever thread reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    emu_log_line(ud, line, n); /* fn->mu held by the reader */
}

/* Reads up to want bytes (0: one chunk) from *fd into its lines. Returns -1
 * at EOF (the fd is closed then, a partial line emitted). fn->mu held. */
static int read_some(emu_sandbox *sb, int *fd, emu_linebuf *lb, size_t want)
{
    char chunk[CHUNK];
    do {
        size_t n = want && want < sizeof chunk ? want : sizeof chunk;
        ssize_t r = read(*fd, chunk, n);
        if (r > 0) {
            emu_linebuf_feed(lb, chunk, (size_t)r, EMU_LOG_LINE_MAX, emit, sb);
            want = want > (size_t)r ? want - (size_t)r : 0;
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        emu_linebuf_flush(lb, emit, sb);
        fl_loop *l = sb->loop;
        if (sb->logs_watched && !fl_loop_here(l))
            return -1; /* the loop watches it: it closes it when it sees the end */
        if (sb->logs_watched)
            fl_loop_unwatch(l, *fd);
        close(*fd);
        *fd = -1;
        return -1;
    } while (want);
    return 0;
}

static void readable(void *ud, uint32_t events, int *fd, emu_linebuf *lb)
{
    emu_sandbox *sb = ud;
    (void)events;
    pthread_mutex_lock(&sb->fn->mu);
    if (*fd >= 0)
        read_some(sb, fd, lb, 0);
    pthread_mutex_unlock(&sb->fn->mu);
}

static void out_ready(void *ud, uint32_t events)
{
    emu_sandbox *sb = ud;
    readable(ud, events, &sb->out_fd, &sb->out_lines);
}

static void err_ready(void *ud, uint32_t events)
{
    emu_sandbox *sb = ud;
    readable(ud, events, &sb->err_fd, &sb->err_lines);
}

static void watch(void *ud)
{
    emu_sandbox *sb = ud;
    fl_loop *l = sb->loop;
    fl_loop_watch(l, sb->out_fd, FL_LOOP_IN, out_ready, sb);
    fl_loop_watch(l, sb->err_fd, FL_LOOP_IN, err_ready, sb);
    sb->logs_watched = true;
}

void emu_logs_start(emu_sandbox *sb)
{
    for (int i = 0; i < 2; i++) {
        int fd = i ? sb->err_fd : sb->out_fd;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    fl_loop_call(sb->loop, watch, sb);
}

static void drain_fd(emu_sandbox *sb, int *fd, emu_linebuf *lb)
{
    int n = 0;
    if (*fd >= 0 && ioctl(*fd, FIONREAD, &n) == 0 && n > 0)
        read_some(sb, fd, lb, (size_t)n); /* what is there now, not what keeps coming */
    emu_linebuf_flush(lb, emit, sb); /* a line without its newline yet still belongs here */
}

void emu_logs_drain(emu_sandbox *sb)
{
    drain_fd(sb, &sb->out_fd, &sb->out_lines);
    drain_fd(sb, &sb->err_fd, &sb->err_lines);
}

static void unwatch(void *ud)
{
    emu_sandbox *sb = ud;
    fl_loop *l = sb->loop;
    if (sb->out_fd >= 0)
        fl_loop_unwatch(l, sb->out_fd);
    if (sb->err_fd >= 0)
        fl_loop_unwatch(l, sb->err_fd);
    sb->logs_watched = false;
}

void emu_logs_stop(emu_sandbox *sb)
{
    if (sb->logs_watched)
        fl_loop_call(sb->loop, unwatch, sb);
    pthread_mutex_lock(&sb->fn->mu);
    for (int i = 0; i < 2; i++) { /* the rest of what it wrote, to the end */
        int *fd = i ? &sb->err_fd : &sb->out_fd;
        emu_linebuf *lb = i ? &sb->err_lines : &sb->out_lines;
        while (*fd >= 0 && read_some(sb, fd, lb, 0) == 0) {
            int n = 0;
            if (ioctl(*fd, FIONREAD, &n) || n == 0)
                break; /* nothing more now: the writers may linger, we do not */
        }
        emu_linebuf_flush(lb, emit, sb);
        emu_linebuf_free(lb);
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
    }
    pthread_mutex_unlock(&sb->fn->mu);
}
