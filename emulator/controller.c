/* The controller of a function: one thread that looks after its pool of
 * sandboxes. It starts a sandbox when invokes wait and no sandbox will take
 * them soon, enforces the init limit and each invoke's deadline, freezes
 * sandboxes that sit idle and stops those idle too long, reaps sandboxes
 * that exit and turns that into the invoke's error, and shuts everything
 * down. It holds fn->mu except while it waits or works with processes;
 * every step re-reads the state it acts on. */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emulator/internal.h"

static void error_doc(fl_buf *doc, const char *type, const char *id, const char *fmt, ...) FL_PRINTF(4, 5);

static void error_doc(fl_buf *doc, const char *type, const char *id, const char *fmt, ...)
{
    char msg[768], full[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "RequestId: %s Error: %s", id, msg);
    emu_error_doc(doc, type, full);
}

static bool running(const emu_invoke *inv)
{
    return inv && (inv->state == EMU_INV_RUNNING || inv->state == EMU_INV_RESPONDING);
}

/* Takes the sandbox out of the function and frees it (fn->mu dropped
 * meanwhile: its server threads may need it to finish). */
static void retire(emu_function *fn, emu_sandbox *sb)
{
    sb->closing = true; /* its parked calls end when its server stops */
    emu_pool_remove(fn, sb);
    pthread_mutex_unlock(&fn->mu);
    emu_sandbox_destroy(sb);
    pthread_mutex_lock(&fn->mu);
}

static void kill_sandbox(emu_sandbox *sb)
{
    unsigned used = emu_sandbox_memory_mb(sb); /* the last chance to see it */
    if (used > sb->peak_mem_mb)
        sb->peak_mem_mb = used;
    sb->killed = true;
    emu_sandbox_kill(sb);
}

static void on_exit_(emu_function *fn, emu_sandbox *sb)
{
    if (!sb->killed) {
        char reason[160];
        emu_exit_reason(sb->wait_status, reason, sizeof reason);
        emu_invoke *cur = sb->current;
        if (running(cur)) {
            fl_warn("sandbox %u: the runtime exited during invoke %s (%s)", sb->seq, cur->id, reason);
            fl_buf doc = {0};
            error_doc(&doc, "Runtime.ExitError", cur->id, "%s", reason);
            emu_complete(sb, cur, EMU_RES_ERROR, "Runtime.ExitError", &doc, "error");
        } else if (!sb->initialized && !sb->doomed && fn->q_head) {
            fl_warn("sandbox %u: the runtime exited during init (%s)", sb->seq, reason);
            emu_invoke *pending = fn->q_head;
            emu_log_init_report(sb, "error", "Runtime.ExitError");
            fl_buf doc = {0};
            error_doc(&doc, "Runtime.ExitError", pending->id, "%s", reason);
            emu_fail_queued(fn, pending, EMU_RES_ERROR, "Runtime.ExitError", &doc);
        } else if (!sb->doomed) {
            fl_info("sandbox %u: the runtime exited between invokes (%s); the next invoke starts a new sandbox",
                    sb->seq, reason);
        }
    }
    retire(fn, sb);
}

static void on_init_timeout(emu_function *fn, emu_sandbox *sb)
{
    fl_warn("sandbox %u: the runtime did not call /runtime/invocation/next within %.2f s of starting", sb->seq,
            (double)fn->env->init_timeout_us / 1e6);
    kill_sandbox(sb);
    emu_invoke *pending = fn->q_head;
    if (!pending)
        return;
    emu_log_init_report(sb, "timeout", NULL);
    fl_buf doc = {0};
    error_doc(&doc, "Sandbox.Timedout", pending->id,
              "Runtime init did not complete within %.2f seconds (it never called /runtime/invocation/next)",
              (double)fn->env->init_timeout_us / 1e6);
    emu_fail_queued(fn, pending, EMU_RES_ERROR, "Sandbox.Timedout", &doc);
}

static void on_timeout(emu_function *fn, emu_sandbox *sb, emu_invoke *inv)
{
    fl_warn("sandbox %u: invoke %s timed out after %u s; the sandbox is replaced", sb->seq, inv->id,
            fn->conf.timeout_s);
    kill_sandbox(sb);
    fl_buf doc = {0};
    error_doc(&doc, "Sandbox.Timedout", inv->id, "Task timed out after %.2f seconds", (double)fn->conf.timeout_s);
    emu_complete(sb, inv, EMU_RES_ERROR, "Sandbox.Timedout", &doc, "timeout");
}

static void start_sandbox(emu_function *fn)
{
    emu_invoke *first = fn->q_head;
    char bootstrap[64];
    if (fn->conf.rootfs && emu_find_bootstrap(&fn->conf, bootstrap)) {
        fl_warn("function %s: the image's entrypoint %s is not an executable file", fn->conf.name,
                fn->conf.argv.n ? fn->conf.argv.v[0] : "(none: no ENTRYPOINT or CMD)");
        fl_buf doc = {0};
        error_doc(&doc, "Runtime.InvalidEntrypoint", first->id, "Couldn't find valid entrypoint: [%s]",
                  fn->conf.argv.n ? fn->conf.argv.v[0] : "");
        emu_fail_queued(fn, first, EMU_RES_ERROR, "Runtime.InvalidEntrypoint", &doc);
        return;
    }
    if (!fn->conf.rootfs && emu_find_bootstrap(&fn->conf, bootstrap)) {
        fl_warn("function %s: no executable bootstrap at /var/task/bootstrap (in %s) or /opt/bootstrap%s%s%s",
                fn->conf.name, fn->conf.task_root, fn->conf.opt_dir ? " (in " : "",
                fn->conf.opt_dir ? fn->conf.opt_dir : "", fn->conf.opt_dir ? ")" : "");
        fl_buf doc = {0};
        error_doc(&doc, "Runtime.InvalidEntrypoint", first->id,
                  "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]");
        emu_fail_queued(fn, first, EMU_RES_ERROR, "Runtime.InvalidEntrypoint", &doc);
        return;
    }
    unsigned seq = ++fn->sandboxes;
    emu_invoke_ref(first); /* the new sandbox's log target during init */
    pthread_mutex_unlock(&fn->mu);
    fl_err err;
    emu_sandbox *sb = emu_sandbox_spawn(fn, bootstrap, seq, first, &err);
    pthread_mutex_lock(&fn->mu);
    if (!sb) {
        fl_error("sandbox %u: %s", seq, err.msg);
        if (first->state == EMU_INV_QUEUED) {
            fl_buf msg = {0};
            fl_buf_printf(&msg, "could not start a sandbox for function %s: %s", fn->conf.name, err.msg);
            emu_fail_queued(fn, first, EMU_RES_SERVICE, NULL, &msg);
        }
        return;
    }
    emu_pool_add(fn, sb);
    fl_info("sandbox %u: started %s (bwrap pid %d, sandbox pid %d)", seq, bootstrap, (int)sb->bwrap_pid,
            (int)sb->ns_pid);
    emu_sandbox_release(sb);
}

static void wake_at_min(uint64_t *wake_at, uint64_t t)
{
    if (t < *wake_at)
        *wake_at = t;
}

bool emu_sandbox_will_take(const emu_sandbox *sb, uint64_t now)
{
    if (sb->killed || sb->doomed)
        return false;
    if (!sb->initialized || sb->idle)
        return true;
    return !sb->current && sb->done_us && now - sb->done_us < EMU_POST_RESPONSE_GRACE_US;
}

/* Starts a sandbox when invokes wait and the pool will not take them. */
static bool maybe_start(emu_function *fn, uint64_t now, uint64_t *wake_at)
{
    if (!fn->q_len)
        return false;
    size_t supply = 0;
    uint64_t soonest = UINT64_MAX;
    for (emu_sandbox *sb = fn->sbs; sb; sb = sb->next) {
        if (!emu_sandbox_will_take(sb, now))
            continue;
        supply++;
        if (sb->initialized && !sb->idle && sb->done_us + EMU_POST_RESPONSE_GRACE_US < soonest)
            soonest = sb->done_us + EMU_POST_RESPONSE_GRACE_US;
    }
    if (supply < fn->q_len && fn->nsb < fn->env->pool_max) {
        start_sandbox(fn);
        return true;
    }
    if (soonest != UINT64_MAX)
        wake_at_min(wake_at, soonest);
    return false;
}

/* Stops a sandbox idle for idle_timeout (its loop freezes it before). */
static bool idle_step(emu_function *fn, emu_sandbox *sb, uint64_t now, uint64_t *wake_at)
{
    const emu_rt_env *env = fn->env;
    uint64_t reap_at = sb->idle_since_us + env->idle_timeout_us;
    if (now >= reap_at) {
        fl_debug("sandbox %u: idle for %llu ms: stopped", sb->seq, (unsigned long long)(env->idle_timeout_us / 1000));
        emu_pool_idle_remove(fn, sb);
        kill_sandbox(sb);
        return true;
    }
    wake_at_min(wake_at, reap_at);
    return false;
}

/* One sandbox's timers. True when it acted. */
static bool sandbox_step(emu_function *fn, emu_sandbox *sb, uint64_t now, uint64_t *wake_at)
{
    if (emu_sandbox_reap(sb)) {
        on_exit_(fn, sb);
        return true;
    }
    if (sb->killed)
        return false; /* its exit is near: the pidfd wakes us */
    if (!sb->initialized && !sb->doomed) {
        uint64_t limit = sb->spawn_us + fn->env->init_timeout_us;
        if (now >= limit) {
            on_init_timeout(fn, sb);
            return true;
        }
        wake_at_min(wake_at, limit);
    }
    if (running(sb->current)) {
        if (now >= sb->current->deadline_us) {
            on_timeout(fn, sb, sb->current);
            return true;
        }
        wake_at_min(wake_at, sb->current->deadline_us);
    }
    if (sb->doomed) {
        if (now >= sb->kill_at_us) {
            kill_sandbox(sb);
            return true;
        }
        wake_at_min(wake_at, sb->kill_at_us);
    }
    if (sb->busy_until_us && !sb->current && sb->next_waiters == 0) {
        if (now >= sb->busy_until_us) {
            fl_warn("sandbox %u: the runtime did not ask for the next event before the last invoke's deadline; "
                    "the sandbox is replaced", sb->seq);
            kill_sandbox(sb);
            return true;
        }
        wake_at_min(wake_at, sb->busy_until_us);
    }
    return sb->idle && idle_step(fn, sb, now, wake_at);
}

/* One decision. True when it acted (the state must be read again). */
static bool step(emu_function *fn, uint64_t *wake_at)
{
    uint64_t now = fl_mono_us();
    for (emu_sandbox *sb = fn->sbs; sb; sb = sb->next)
        if (sandbox_step(fn, sb, now, wake_at))
            return true;
    return maybe_start(fn, now, wake_at);
}

/* Without a pidfd (old kernel, valgrind) a sandbox's exit is polled. */
#define REAP_POLL_MS 20
#define POLL_MAX 64

static void wait_events(emu_function *fn, uint64_t wake_at)
{
    struct pollfd p[POLL_MAX + 1];
    nfds_t n = 0;
    bool polled = false;
    p[n++] = (struct pollfd){fn->wake_fd, POLLIN, 0};
    for (emu_sandbox *sb = fn->sbs; sb; sb = sb->next) {
        if (sb->pidfd >= 0 && n <= POLL_MAX)
            p[n++] = (struct pollfd){sb->pidfd, POLLIN, 0};
        else
            polled = true;
    }
    fn->ctl_wake_at = wake_at ? wake_at : 1;
    pthread_mutex_unlock(&fn->mu);
    int timeout = -1;
    if (wake_at != UINT64_MAX) {
        uint64_t now = fl_mono_us();
        timeout = wake_at <= now ? 0 : (int)((wake_at - now + 999) / 1000);
    }
    if (polled && (timeout < 0 || timeout > REAP_POLL_MS))
        timeout = REAP_POLL_MS;
    if (poll(p, n, timeout) > 0 && (p[0].revents & POLLIN)) {
        uint64_t v;
        ssize_t r = read(fn->wake_fd, &v, sizeof v);
        (void)r;
    }
    pthread_mutex_lock(&fn->mu);
    fn->ctl_wake_at = 0; /* awake: it re-reads everything */
}

/* Lambda: SIGTERM, then 500 ms, only for a runtime that registered an
 * extension; everything else gets SIGKILL at once. All sandboxes at once. */
static void shut_down(emu_function *fn)
{
    while (fn->q_head) {
        fl_buf msg = {0};
        fl_buf_puts(&msg, "the emulator is shutting down");
        emu_fail_queued(fn, fn->q_head, EMU_RES_SERVICE, NULL, &msg);
    }
    bool any_term = false;
    for (emu_sandbox *sb = fn->sbs; sb; sb = sb->next) {
        if (running(sb->current)) {
            fl_buf msg = {0};
            fl_buf_puts(&msg, "the emulator shut down during the invoke");
            emu_complete(sb, sb->current, EMU_RES_SERVICE, NULL, &msg, NULL);
        }
        if (sb->next_ext > 0 && !sb->killed && !emu_sandbox_reap(sb)) {
            emu_sandbox_thaw(sb);
            emu_sandbox_term_runtime(sb);
            any_term = true;
        }
    }
    if (any_term) {
        uint64_t deadline = fl_mono_us() + EMU_SHUTDOWN_GRACE_US;
        pthread_mutex_unlock(&fn->mu);
        for (emu_sandbox *sb = fn->sbs; sb; sb = sb->next) {
            uint64_t now = fl_mono_us();
            if (sb->next_ext > 0 && emu_sandbox_wait_exit(sb, deadline > now ? deadline - now : 0))
                fl_info("sandbox %u: the runtime exited after SIGTERM", sb->seq);
        }
        pthread_mutex_lock(&fn->mu);
    }
    while (fn->sbs) {
        emu_sandbox *sb = fn->sbs;
        if (!sb->exited)
            kill_sandbox(sb);
        fl_info("sandbox %u: stopped", sb->seq);
        retire(fn, sb);
    }
}

void *emu_controller_main(void *arg)
{
    emu_function *fn = arg;
    pthread_mutex_lock(&fn->mu);
    while (!fn->stopping) {
        uint64_t wake_at = UINT64_MAX;
        if (step(fn, &wake_at))
            continue;
        wait_events(fn, wake_at);
    }
    shut_down(fn);
    pthread_mutex_unlock(&fn->mu);
    return NULL;
}
