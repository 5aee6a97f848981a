/* The function object: its configuration, the queue of invokes waiting for
 * a sandbox, and the controller thread that looks after its sandbox. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "emulator/internal.h"

void emu_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

void emu_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, uint64_t deadline_us)
{
    struct timespec ts = {(time_t)(deadline_us / 1000000u), (long)(deadline_us % 1000000u) * 1000};
    pthread_cond_timedwait(c, m, &ts);
}

void emu_function_wake(emu_function *fn)
{
    uint64_t one = 1;
    ssize_t w = write(fn->wake_fd, &one, sizeof one);
    (void)w; /* a full counter still wakes the controller */
}

void emu_function_timer(emu_function *fn, uint64_t t)
{
    if (t < fn->ctl_wake_at)
        emu_function_wake(fn);
}

emu_function *emu_function_new(emu_fn_conf *conf, const emu_rt_env *env, fl_err *err)
{
    emu_function *fn = fl_xcalloc(1, sizeof *fn);
    fn->conf = *conf;
    *conf = (emu_fn_conf){0};
    fn->env = env;
    fn->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fn->wake_fd < 0) {
        fl_fail(err, "eventfd: %s", strerror(errno));
        goto fail;
    }
    pthread_mutex_init(&fn->mu, NULL);
    int rc = pthread_create(&fn->controller, NULL, emu_controller_main, fn);
    if (rc) {
        fl_fail(err, "starting the function's controller: %s", strerror(rc));
        pthread_mutex_destroy(&fn->mu);
        goto fail;
    }
    fn->controller_started = true;
    return fn;
fail:
    if (fn->wake_fd >= 0)
        close(fn->wake_fd);
    emu_fn_conf_free(&fn->conf);
    free(fn);
    return NULL;
}

bool emu_function_idle(emu_function *fn)
{
    pthread_mutex_lock(&fn->mu);
    bool idle = !fn->sbs && !fn->q_head;
    pthread_mutex_unlock(&fn->mu);
    return idle;
}

static void queue_due(void *ud)
{
    emu_function *fn = ud;
    pthread_mutex_lock(&fn->mu);
    if (fn->q_len && !fn->stopping)
        emu_function_wake(fn);
    pthread_mutex_unlock(&fn->mu);
}

/* No sandbox is idle. Under load one has mostly just answered and is about
 * to ask for the next event: waking the controller (a thread switch) only
 * to learn that is what it did per invoke. When the invoke was queued on
 * its loop and enough sandboxes will take one soon, a timer on that loop
 * has the controller look only if it still waits after the grace. fn->mu
 * held; true when it is watched. */
static bool watch_queue(emu_function *fn, int home)
{
    const emu_rt_env *env = fn->env;
    if (home < 0 || (unsigned)home >= env->nloops || !fl_loop_here(env->loops[home]))
        return false;
    uint64_t now = fl_mono_us();
    size_t supply = 0;
    for (emu_sandbox *sb = fn->sbs; sb; sb = sb->next)
        supply += emu_sandbox_will_take(sb, now);
    if (supply < fn->q_len)
        return false;
    fl_timer *t = &fn->queue_timer[home];
    if (!t->armed)
        fl_loop_timer(env->loops[home], t, now + EMU_POST_RESPONSE_GRACE_US, queue_due, fn);
    return true;
}

static void cancel_timers(void *ud)
{
    emu_function *fn = ud;
    for (unsigned i = 0; i < fn->env->nloops; i++)
        if (fl_loop_here(fn->env->loops[i]))
            fl_loop_timer_cancel(fn->env->loops[i], &fn->queue_timer[i]);
}

int emu_function_submit(emu_function *fn, emu_invoke *inv, bool *throttled, fl_err *err)
{
    *throttled = false;
    pthread_mutex_lock(&fn->mu);
    if (fn->stopping) {
        pthread_mutex_unlock(&fn->mu);
        return fl_fail(err, "the emulator is shutting down");
    }
    if (fn->q_len >= EMU_QUEUE_MAX) {
        pthread_mutex_unlock(&fn->mu);
        *throttled = true;
        return fl_fail(err, "%u invokes are already waiting for function %s", EMU_QUEUE_MAX, fn->conf.name);
    }
    emu_invoke_ref(inv);
    if (fn->q_tail)
        fn->q_tail->next = inv;
    else
        fn->q_head = inv;
    fn->q_tail = inv;
    fn->q_len++;
    emu_sandbox *idle = emu_pool_idle_pop(fn, inv->home);
    if (idle)
        emu_rapi_kick(idle);              /* the warmest idle runtime takes it */
    else if (!watch_queue(fn, inv->home))
        emu_function_wake(fn);            /* or the controller starts a sandbox */
    pthread_mutex_unlock(&fn->mu);
    return 0;
}

/* The controller bounds this wait: every invoke ends by its deadline, the
 * init limit, or the shutdown. */
void emu_function_wait(emu_function *fn, emu_invoke *inv)
{
    pthread_mutex_lock(&fn->mu);
    while (inv->state != EMU_INV_DONE)
        pthread_cond_wait(&inv->done, &fn->mu);
    pthread_mutex_unlock(&fn->mu);
}

void emu_invoke_when_done(emu_function *fn, emu_invoke *inv, fl_loop *loop, fl_loop_fn fn_done, void *ud)
{
    pthread_mutex_lock(&fn->mu);
    bool done = inv->state == EMU_INV_DONE;
    if (!done) {
        inv->loop = loop;
        inv->on_done = fn_done;
        inv->on_done_ud = ud;
    }
    pthread_mutex_unlock(&fn->mu);
    if (done)
        fn_done(ud);
}

int emu_function_invoke(emu_function *fn, emu_invoke *inv, bool *throttled, fl_err *err)
{
    if (emu_function_submit(fn, inv, throttled, err))
        return -1;
    emu_function_wait(fn, inv);
    return 0;
}

void emu_function_stop(emu_function *fn)
{
    if (!fn || !fn->controller_started)
        return;
    pthread_mutex_lock(&fn->mu);
    fn->stopping = true;
    pthread_mutex_unlock(&fn->mu);
    emu_function_wake(fn);
    pthread_join(fn->controller, NULL);
    fn->controller_started = false;
}

void emu_function_free(emu_function *fn)
{
    if (!fn)
        return;
    emu_function_stop(fn);
    for (unsigned i = 0; i < fn->env->nloops; i++) /* each loop cancels its own */
        fl_loop_call(fn->env->loops[i], cancel_timers, fn);
    pthread_mutex_destroy(&fn->mu);
    close(fn->wake_fd);
    emu_fn_conf_free(&fn->conf);
    free(fn);
}
