/* An invoke that a front connection waits for (Invoke RequestResponse and
 * Function URLs), on the loop: admit, submit, park the connection; the
 * completion (or, for a streamed answer, the start of the stream) wakes it
 * and the answer is given on the loop. Admission
 * goes to a pool thread only when the function's runtime must be made
 * first (its first invoke: the configuration may need an image unpacked or
 * layers merged). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>

#include "emulator/internal.h"

void emu_call_free(emu_req *r)
{
    emu_call *k = r->call;
    if (!k)
        return;
    r->call = NULL;
    if (k->arc == EMU_ADMIT_OK)
        emu_release(r->e, &k->t);
    emu_invoke_unref(k->inv);
    free(k);
}

static int resumed(emu_req *r)
{
    int rc = r->call->answer(r);
    emu_call_free(r);
    return rc;
}

/* Any thread; r is parked. The completion wakes it (inv->waiter), or, when
 * the invoke cannot start, it is woken here to answer the failure. */
static void submit(emu_req *r, emu_admit_rc arc)
{
    emu_call *k = r->call;
    k->arc = arc;
    if (arc == EMU_ADMIT_OK) {
        /* woken when it ends, or, streaming, when the runtime starts its stream */
        emu_waiter *w = k->inv->stream ? &k->inv->stream->reader : &k->inv->waiter;
        *w = (emu_waiter){r->mhd, r->c}; /* published by the function's mutex */
        bool throttled;
        if (emu_function_submit(k->t.rt, k->inv, &throttled, &k->err) == 0)
            return;
        *w = (emu_waiter){0};
        emu_release(r->e, &k->t);
        k->arc = throttled ? EMU_ADMIT_THROTTLED : EMU_ADMIT_FAILED;
        k->reason = "ConcurrentInvocationLimitExceeded";
    }
    fl_mhd_resume(r->mhd, r->c);
}

static void admit_blocking(void *ud)
{
    emu_req *r = ud;
    emu_call *k = r->call;
    submit(r, emu_admit(r->e, k->name, &k->t, &k->reason, &k->err));
}

int emu_call_start(emu_req *r, const char *name, emu_invoke *inv, bool tail, int (*answer)(emu_req *r))
{
    emu_call *k = fl_xcalloc(1, sizeof *k);
    inv->home = (int)r->li;
    k->inv = inv;
    k->tail = tail;
    k->answer = answer;
    snprintf(k->name, sizeof k->name, "%s", name);
    r->call = k;
    emu_front_park(r, resumed);
    emu_admit_rc arc = emu_admit_nb(r->e, name, &k->t, &k->reason, &k->err, false);
    if (arc == EMU_ADMIT_WOULD_BLOCK)
        fl_pool_run(r->e->pool, admit_blocking, r);
    else
        submit(r, arc);
    return MHD_YES;
}
