/* bootstrap: Lambda custom runtime for OpenFaaS watchdogs. See bootstrap.h. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap/bootstrap.h"

typedef struct shutdown_ctx {
    boot_watchdog *wd;
    uint64_t budget_ms;
    sigset_t stop;
} shutdown_ctx;

/* SIGTERM (Lambda's shutdown) and SIGINT are blocked in every thread and
 * taken here: the watchdog gets SIGTERM and the budget to finish, then the
 * process group is killed and the bootstrap exits. */
static void *signal_thread(void *arg)
{
    shutdown_ctx *c = arg;
    int sig = 0;
    sigwait(&c->stop, &sig);
    fl_info("%s received: stopping the watchdog", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    boot_watchdog_stop(c->wd, c->budget_ms);
    _exit(0);
}

static void start_signal_thread(shutdown_ctx *c)
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (pthread_create(&t, &attr, signal_thread, c) != 0)
        fl_warn("cannot start the signal thread: SIGTERM will not reach the watchdog");
    pthread_attr_destroy(&attr);
}

/* Reports an init failure to Lambda and exits, as the Runtime API asks. */
static int init_failed(boot_runtime *rt, const char *type, const char *message)
{
    fl_err err;
    if (boot_runtime_error(rt, NULL, type, message, &err))
        fl_error("could not report the init error: %s", err.msg);
    return 1;
}

static int not_ready(boot_runtime *rt, const boot_config *cfg, boot_watchdog *wd, int r, const char *status)
{
    char tail[BOOT_TAIL_BYTES], msg[BOOT_TAIL_BYTES + 512];
    boot_watchdog_tail(wd, tail, sizeof tail);
    if (r < 0)
        snprintf(msg, sizeof msg, "the watchdog exited during init (%s)%s%s", status,
                 tail[0] ? "; its last output: " : "", tail);
    else
        snprintf(msg, sizeof msg, "the watchdog's health check (%s http://127.0.0.1:%d%s) did not pass within %.1f s%s%s",
                 cfg->tcp_readiness ? "tcp" : "GET", cfg->readiness_port, cfg->health_path,
                 (double)cfg->init_timeout_ms / 1000.0, tail[0] ? "; its last output: " : "", tail);
    return init_failed(rt, r < 0 ? "Runtime.WatchdogExited" : "Runtime.WatchdogNotReady", msg);
}

int main(void)
{
    uint64_t t0 = fl_mono_us();
    fl_log_init("bootstrap", FL_LOG_INFO);
    sigset_t stop; /* taken by the signal thread */
    fl_signals_take_stop(&stop);

    boot_config cfg;
    const char *type;
    fl_err err;
    if (boot_config_load(&cfg, &type, &err)) {
        if (!cfg.runtime_api) {
            fl_error("%s", err.msg);
            return 1;
        }
        boot_runtime *rt = boot_runtime_new(cfg.runtime_api);
        return init_failed(rt, type, err.msg);
    }
    boot_runtime *rt = boot_runtime_new(cfg.runtime_api);
    if (boot_extension_start(cfg.runtime_api, &err))
        fl_warn("no internal extension (%s): Lambda will not send SIGTERM at shutdown", err.msg);

    boot_watchdog *wd = boot_watchdog_new(&cfg);
    shutdown_ctx sc = {wd, cfg.shutdown_ms, stop};
    start_signal_thread(&sc);
    if (boot_watchdog_start(wd, &type, &err))
        return init_failed(rt, type, err.msg);
    char status[64];
    int r = boot_wait_ready(&cfg, wd, t0 + cfg.init_timeout_ms * 1000, status, sizeof status);
    if (r < 0 || (r == 0 && !cfg.async_init))
        return not_ready(rt, &cfg, wd, r, status);
    if (r == 0)
        fl_info("the watchdog is not ready after %.1f s; init ends now (async init) and the first invoke waits for it",
                (double)cfg.init_timeout_ms / 1000.0);
    fl_debug("init done in %.2f ms", (double)(fl_mono_us() - t0) / 1000.0);

    boot_forwarder *fw = boot_forwarder_new(&cfg, rt, wd);
    boot_forwarder_set_ready(fw, r == 1);
    boot_invoke inv = {0};
    for (;;) {
        if (boot_runtime_next(rt, &inv, &err)) {
            fl_error("the Runtime API failed (%s); exiting", err.msg);
            break;
        }
        /* The trace id travels to the watchdog as X-Amzn-Trace-Id: the
         * function runs in another process, so _X_AMZN_TRACE_ID here would
         * reach nobody. */
        if (boot_forward(fw, &inv))
            break;
        boot_buf_trim(&inv.event);
    }
    boot_invoke_free(&inv);
    boot_watchdog_stop(wd, cfg.shutdown_ms);
    return 1;
}
