/* The transitions of an invoke once it meets a sandbox: dispatch to the
 * runtime, completion (with Lambda's END and REPORT lines), or failure before
 * it ever reached a runtime. Every function here is called with fn->mu held. */
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"

static void unqueue(emu_function *fn, emu_invoke *inv)
{
    emu_invoke **pp = &fn->q_head, *prev = NULL;
    for (; *pp; prev = *pp, pp = &(*pp)->next) {
        if (*pp != inv)
            continue;
        *pp = inv->next;
        if (fn->q_tail == inv)
            fn->q_tail = prev;
        fn->q_len--;
        inv->next = NULL;
        return;
    }
}

/* DONE: the caller wakes (a thread waiting, a parked connection, or a
 * call on the loop); a streaming caller gets the end of the stream, and the
 * whole payload first when the runtime did not stream it. */
static void finish(emu_invoke *inv)
{
    inv->state = EMU_INV_DONE;
    if (inv->stream) {
        if (inv->kind == EMU_RES_OK && !inv->stream->streamed && inv->result.len)
            emu_stream_write(inv->stream, inv->result.data, inv->result.len, true);
        emu_stream_end(inv->stream);
    }
    pthread_cond_broadcast(&inv->done);
    emu_waiter_wake(&inv->waiter);
    if (inv->on_done) {
        fl_loop_fn fn = inv->on_done;
        inv->on_done = NULL;
        fl_loop_post(inv->loop, fn, inv->on_done_ud);
    }
}

emu_invoke *emu_dispatch(emu_sandbox *sb)
{
    emu_function *fn = sb->fn;
    emu_invoke *inv = fn->q_head;
    unqueue(fn, inv);
    uint64_t now = fl_mono_us();
    inv->state = EMU_INV_RUNNING;
    inv->start_us = now;
    inv->deadline_us = now + (uint64_t)fn->conf.timeout_s * 1000000u;
    inv->deadline_ms = fl_wall_ms() + (uint64_t)fn->conf.timeout_s * 1000u;
    sb->current = inv; /* takes over the queue's reference */
    sb->busy_until_us = 0;
    emu_set_log_target(sb, inv);
    emu_log_linef(sb, "START RequestId: %s Version: %s", inv->id, EMU_VERSION);
    emu_ext_notify_invoke(sb, inv);
    emu_function_timer(fn, inv->deadline_us);
    return inv;
}

void emu_complete(emu_sandbox *sb, emu_invoke *inv, emu_result_kind kind, const char *error_type, fl_buf *body,
                  const char *status)
{
    if (inv->state != EMU_INV_RUNNING && inv->state != EMU_INV_RESPONDING) {
        if (body)
            fl_buf_free(body);
        return;
    }
    emu_function *fn = sb->fn;
    uint64_t end_us = fl_mono_us();
    inv->state = EMU_INV_FINISHING;
    emu_invoke_set_result(inv, kind, error_type, body);
    emu_invoke_ref(inv);

    /* the function's last lines land before END, in the log and the tail */
    emu_logs_drain(sb);
    unsigned used;
    if (emu_cg_has_memory(sb->cg)) {
        used = emu_sandbox_memory_mb(sb); /* one pread */
    } else {
        pthread_mutex_unlock(&fn->mu); /* reads /proc of every process in the sandbox */
        used = emu_sandbox_memory_mb(sb);
        pthread_mutex_lock(&fn->mu);
    }
    if (used > sb->peak_mem_mb)
        sb->peak_mem_mb = used;
    emu_log_linef(sb, "END RequestId: %s", inv->id);
    fl_buf report = {0};
    emu_format_report(&report, inv->id, (double)(end_us - inv->start_us) / 1000.0, fn->conf.memory_mb,
                      sb->peak_mem_mb, sb->cold ? sb->init_ms : -1.0, status,
                      status && !strcmp(status, "error") ? inv->error_type : NULL);
    sb->cold = false;
    emu_log_line(sb, report.data, report.len);
    fl_buf_free(&report);

    finish(inv);
    snprintf(sb->last_id, sizeof sb->last_id, "%s", inv->id);
    if (sb->log_target == inv)
        emu_set_log_target(sb, NULL);
    if (sb->current == inv) {
        sb->current = NULL;
        emu_invoke_unref(inv);
    }
    /* Lambda holds the sandbox until the runtime asks for the next event;
     * a runtime that never does is reset at this invoke's deadline. */
    sb->busy_until_us = inv->deadline_us;
    sb->done_us = fl_mono_us();
    emu_function_timer(fn, sb->busy_until_us);
    emu_invoke_unref(inv);
}

void emu_fail_queued(emu_function *fn, emu_invoke *inv, emu_result_kind kind, const char *error_type, fl_buf *body)
{
    unqueue(fn, inv);
    emu_invoke_set_result(inv, kind, error_type, body);
    finish(inv);
    emu_invoke_unref(inv); /* the queue's reference */
}

void emu_log_init_report(emu_sandbox *sb, const char *status, const char *error_type)
{
    double ms = (double)(fl_mono_us() - sb->spawn_us) / 1000.0;
    if (error_type)
        emu_log_linef(sb, "INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: %s\tError Type: %s", ms, status,
                      error_type);
    else
        emu_log_linef(sb, "INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: %s", ms, status);
}
