/* The invoke object: one call of the function, shared by the front door
 * (which waits for it) and the sandbox that runs it. Reference counted; its
 * state and result are guarded by the function's mutex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

emu_invoke *emu_invoke_new(fl_buf *payload, char *client_context, const char *trace_id)
{
    emu_invoke *inv = fl_xcalloc(1, sizeof *inv);
    atomic_init(&inv->refs, 1);
    emu_new_uuid(inv->id);
    if (trace_id)
        snprintf(inv->trace_id, sizeof inv->trace_id, "%s", trace_id);
    else
        emu_new_trace_id(inv->trace_id);
    inv->payload = *payload;
    *payload = (fl_buf){0};
    inv->client_context = client_context;
    inv->state = EMU_INV_QUEUED;
    inv->home = -1;
    emu_cond_init(&inv->done);
    return inv;
}

emu_invoke *emu_invoke_ref(emu_invoke *inv)
{
    if (inv)
        atomic_fetch_add(&inv->refs, 1);
    return inv;
}

void emu_invoke_unref(emu_invoke *inv)
{
    if (!inv || atomic_fetch_sub(&inv->refs, 1) != 1)
        return;
    fl_buf_free(&inv->payload);
    fl_buf_free(&inv->result);
    fl_buf_free(&inv->log_tail);
    free(inv->client_context);
    emu_stream_free(inv->stream);
    pthread_cond_destroy(&inv->done);
    free(inv);
}

void emu_invoke_set_result(emu_invoke *inv, emu_result_kind kind, const char *error_type, fl_buf *body)
{
    inv->kind = kind;
    snprintf(inv->error_type, sizeof inv->error_type, "%s", error_type ? error_type : "");
    fl_buf_free(&inv->result);
    if (body) {
        inv->result = *body;
        *body = (fl_buf){0};
    }
}
