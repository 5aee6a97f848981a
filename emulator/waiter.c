/* Parked connections: a request that waits suspends its connection (in a
 * callback of its daemon, on the emulator's loop) and records it; whoever
 * makes the change it waits for wakes it, from any thread, under the lock
 * that guards the state it waits on, so that a wake-up is never missed. */
#include <microhttpd.h>

#include "emulator/internal.h"

void emu_waiter_park(emu_waiter *w, fl_mhd *m, struct MHD_Connection *c)
{
    MHD_suspend_connection(c);
    w->mhd = m;
    w->c = c;
}

void emu_waiter_wake(emu_waiter *w)
{
    if (!w->mhd)
        return;
    fl_mhd *m = w->mhd;
    struct MHD_Connection *c = w->c;
    *w = (emu_waiter){0};
    fl_mhd_resume(m, c);
}

bool emu_waiter_parked(const emu_waiter *w)
{
    return w->mhd != NULL;
}
