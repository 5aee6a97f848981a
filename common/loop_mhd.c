/* A libmicrohttpd daemon driven by an event loop instead of its own
 * threads: the daemon runs in external epoll mode, its epoll descriptor is
 * watched by the loop, and MHD_run is called when it is ready or when the
 * daemon's timeout (connection timeouts, data already read) says so. Every
 * callback of the daemon then runs on the loop's thread. In this mode
 * libmicrohttpd has no channel of its own to learn of a resumed
 * connection: fl_mhd_resume makes the loop run the daemon after it. Not
 * part of the static bootstrap (no libmicrohttpd there). */
#include <microhttpd.h>
#include <stdlib.h>

#include "common.h"

struct fl_mhd {
    fl_loop *loop;
    struct MHD_Daemon *d;
    int fd;
    fl_timer timer;
    bool detached;  /* runs posted before the detach find it so and do nothing */
};

static void run(void *ud);

static void rearm(fl_mhd *m)
{
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(m->d, &ms) == MHD_YES)
        fl_loop_timer(m->loop, &m->timer, fl_mono_us() + (uint64_t)ms * 1000u, run, m);
    else
        fl_loop_timer_cancel(m->loop, &m->timer);
}

static void run(void *ud)
{
    fl_mhd *m = ud;
    if (m->detached)
        return;
    MHD_run(m->d);
    rearm(m);
}

static void ready(void *ud, uint32_t events)
{
    (void)events;
    run(ud);
}

fl_mhd *fl_mhd_attach(fl_loop *l, struct MHD_Daemon *d, fl_err *err)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info || info->epoll_fd < 0) {
        fl_fail(err, "libmicrohttpd daemon without an epoll descriptor (start it with MHD_USE_EPOLL)");
        return NULL;
    }
    fl_mhd *m = fl_xcalloc(1, sizeof *m);
    m->loop = l;
    m->d = d;
    m->fd = info->epoll_fd;
    fl_loop_watch(l, m->fd, FL_LOOP_IN, ready, m);
    rearm(m);
    return m;
}

void fl_mhd_resume(fl_mhd *m, struct MHD_Connection *c)
{
    MHD_resume_connection(c);
    fl_loop_post(m->loop, run, m);
}

static void release(void *ud)
{
    free(ud);
}

void fl_mhd_detach(fl_mhd *m)
{
    if (!m)
        return;
    fl_loop_unwatch(m->loop, m->fd);
    fl_loop_timer_cancel(m->loop, &m->timer);
    m->detached = true;
    fl_loop_post(m->loop, release, m); /* after the runs already posted */
}
