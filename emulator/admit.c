/* Admission of an invoke: the function exists and is Active, and a
 * concurrent execution is free: within the function's reserved concurrency
 * when it has one, else within what the account has left unreserved. Over
 * either limit: 429 TooManyRequestsException with Lambda's Reason. Then
 * the runtime it runs on, made on demand from the current record. */
#include <stdio.h>

#include "emulator/internal.h"

static emu_function *runtime_of(emu *e, emu_entry *en, fl_err *err)
{
    if (en->rt)
        return en->rt;
    emu_fn_conf conf;
    if (emu_conf_from_record(e, en->rec, &conf, err))
        return NULL;
    en->rt = emu_function_new(&conf, &e->env, err);
    return en->rt;
}

emu_admit_rc emu_admit(emu *e, const char *name, emu_ticket *t, const char **reason, fl_err *err)
{
    return emu_admit_nb(e, name, t, reason, err, true);
}

emu_admit_rc emu_admit_nb(emu *e, const char *name, emu_ticket *t, const char **reason, fl_err *err, bool may_block)
{
    *t = (emu_ticket){0};
    *reason = NULL;
    pthread_mutex_lock(&e->mu);
    emu_entry *en = e->stopping ? NULL : emu_find(e, name);
    emu_admit_rc rc = EMU_ADMIT_OK;
    if (!en) {
        rc = EMU_ADMIT_NOT_FOUND;
    } else if (emu_record_pending(en->rec, fl_wall_ms())) {
        rc = EMU_ADMIT_PENDING;
    } else if (en->rec->reserved >= 0) {
        if (en->inflight >= (unsigned)en->rec->reserved) {
            rc = EMU_ADMIT_THROTTLED;
            *reason = "ReservedFunctionConcurrentInvocationLimitExceeded";
        }
        t->reserved = true;
    } else if (e->unreserved_inflight + e->reserved_sum >= e->limit) {
        rc = EMU_ADMIT_THROTTLED;
        *reason = "ConcurrentInvocationLimitExceeded";
    }
    if (rc == EMU_ADMIT_OK && !en->rt && !may_block) {
        pthread_mutex_unlock(&e->mu);
        return EMU_ADMIT_WOULD_BLOCK;
    }
    if (rc == EMU_ADMIT_OK) {
        t->rt = runtime_of(e, en, err);
        if (!t->rt)
            rc = EMU_ADMIT_FAILED;
    }
    if (rc == EMU_ADMIT_OK) {
        t->entry = en;
        en->refs++;
        en->inflight++;
        t->rt->users++;
        if (!t->reserved)
            e->unreserved_inflight++;
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

void emu_release(emu *e, emu_ticket *t)
{
    if (!t->entry)
        return;
    pthread_mutex_lock(&e->mu);
    t->entry->inflight--;
    if (!t->reserved)
        e->unreserved_inflight--;
    if (--t->rt->users == 0) {
        t->rt->idle_since_us = fl_mono_us();
        if (t->entry->rt != t->rt) /* a retired runtime may be free to go now */
            pthread_cond_signal(&e->janitor_cond);
    }
    emu_entry_unref(e, t->entry);
    pthread_mutex_unlock(&e->mu);
    *t = (emu_ticket){0};
}
