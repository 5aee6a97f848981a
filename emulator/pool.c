/* A function's pool of sandboxes: every sandbox, and the idle ones (those
 * whose runtime waits in /next with nothing to do), most recently used
 * first, so a warm, unfrozen sandbox takes the next invoke. Idle sandboxes
 * are frozen after a while (a timer on their loop) and thawed when
 * an invoke is handed to them. All with fn->mu held. */
#include <signal.h>
#include <unistd.h>

#include "emulator/internal.h"

void emu_pool_add(emu_function *fn, emu_sandbox *sb)
{
    sb->next = fn->sbs;
    fn->sbs = sb;
    fn->nsb++;
}

void emu_pool_remove(emu_function *fn, emu_sandbox *sb)
{
    emu_pool_idle_remove(fn, sb);
    for (emu_sandbox **pp = &fn->sbs; *pp; pp = &(*pp)->next) {
        if (*pp == sb) {
            *pp = sb->next;
            fn->nsb--;
            break;
        }
    }
    sb->next = NULL;
}

/* The freeze of an idle sandbox is timed on its loop (where it became
 * idle): a timer there costs nothing, while waking the controller for it
 * cost a thread switch per invoke under load. */
static void freeze_due(void *ud)
{
    emu_sandbox *sb = ud;
    pthread_mutex_lock(&sb->fn->mu);
    if (sb->idle && !sb->fn->stopping && !sb->closing)
        emu_sandbox_freeze(sb);
    pthread_mutex_unlock(&sb->fn->mu);
}

void emu_pool_idle_push(emu_function *fn, emu_sandbox *sb)
{
    if (sb->idle)
        return;
    sb->idle = true;
    sb->idle_since_us = fl_mono_us();
    sb->idle_next = fn->idle;
    fn->idle = sb;
    const emu_rt_env *env = fn->env;
    if (!sb->frozen)
        fl_loop_timer(sb->loop, &sb->freeze_timer, sb->idle_since_us + env->freeze_after_us, freeze_due, sb);
    emu_function_timer(fn, sb->idle_since_us + env->idle_timeout_us);
}

void emu_pool_idle_remove(emu_function *fn, emu_sandbox *sb)
{
    if (!sb->idle)
        return;
    for (emu_sandbox **pp = &fn->idle; *pp; pp = &(*pp)->idle_next) {
        if (*pp == sb) {
            *pp = sb->idle_next;
            break;
        }
    }
    sb->idle = false;
    sb->idle_next = NULL;
    if (fl_loop_here(sb->loop))
        fl_loop_timer_cancel(sb->loop, &sb->freeze_timer); /* elsewhere: it finds the sandbox busy */
}

emu_sandbox *emu_pool_idle_pop(emu_function *fn, int home)
{
    emu_sandbox *sb = fn->idle;
    for (emu_sandbox *s = fn->idle; s && home >= 0; s = s->idle_next) {
        if ((int)s->li == home) { /* the warmest of those on the caller's loop */
            sb = s;
            break;
        }
    }
    if (sb)
        emu_pool_idle_remove(fn, sb);
    return sb;
}

void emu_sandbox_freeze(emu_sandbox *sb)
{
    if (sb->frozen || sb->exited || sb->killed)
        return;
    if (emu_cg_can_freeze(sb->cg)) {
        sb->frozen = emu_cg_freeze(sb->cg, true) == 0;
        return;
    }
    /* no freezer: the runtime's process group (bwrap's --new-session made
     * the runtime a session leader; what it starts stays in its group) */
    if (!sb->pgid) {
        pid_t pid = emu_sandbox_runtime_pid(sb);
        sb->pgid = pid > 0 ? getpgid(pid) : -1;
    }
    if (sb->pgid > 1)
        sb->frozen = kill(-sb->pgid, SIGSTOP) == 0;
}

void emu_sandbox_thaw(emu_sandbox *sb)
{
    if (!sb->frozen)
        return;
    sb->frozen = false;
    if (emu_cg_can_freeze(sb->cg))
        emu_cg_freeze(sb->cg, false);
    else if (sb->pgid > 1)
        kill(-sb->pgid, SIGCONT);
}
