/* The event loop: one thread waits on every socket of a server process
 * (epoll), runs the timers that are due and the calls other threads post to
 * it. A request that passes through several servers and clients of the
 * process is then handled on one thread, without a thread hand-off per hop:
 * waking a thread is the dearest step of a small request (tens of
 * microseconds on a virtual machine whose idle CPUs halt), so the invoke
 * path wakes as few as it can. Callbacks run on the loop's thread and must
 * not block; blocking work goes to a pool (pool.c). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common.h"

typedef struct fl_watch {
    int fd;
    fl_loop_io_fn fn;
    void *ud;
    bool dead;
    struct fl_watch *next_dead;
} fl_watch;

typedef struct fl_post {
    fl_loop_fn fn;
    void *ud;
    struct fl_post *next;
} fl_post;

struct fl_loop {
    int ep, wake;
    fl_watch **byfd;               /* the watch of each fd, by number */
    size_t nbyfd;
    fl_watch *dead;                /* unwatched during a batch of events: freed after it */
    fl_timer *timers;              /* armed, soonest first */
    pthread_mutex_t mu;            /* posts and stop */
    fl_post *head, *tail;
    bool woken;                    /* the eventfd holds a wake-up not yet read */
    bool stop;
    pthread_t thread;
    bool started;
    atomic_bool running;           /* fl_loop_run has begun, or is about to on its thread */
};

unsigned fl_loop_count(void)
{
    const char *force = getenv("FL_LOOPS");
    long n = force ? atol(force) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > FL_LOOPS_MAX ? FL_LOOPS_MAX : (unsigned)n;
}

fl_loop *fl_loop_new(fl_err *err)
{
    fl_loop *l = fl_xcalloc(1, sizeof *l);
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->ep < 0 || l->wake < 0) {
        fl_fail(err, "event loop: %s", strerror(errno));
        if (l->ep >= 0)
            close(l->ep);
        if (l->wake >= 0)
            close(l->wake);
        free(l);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL: the wake-up */
    epoll_ctl(l->ep, EPOLL_CTL_ADD, l->wake, &ev);
    pthread_mutex_init(&l->mu, NULL);
    return l;
}

static void free_dead(fl_loop *l)
{
    while (l->dead) {
        fl_watch *w = l->dead;
        l->dead = w->next_dead;
        free(w);
    }
}

void fl_loop_free(fl_loop *l)
{
    if (!l)
        return;
    fl_loop_stop(l);
    for (size_t i = 0; i < l->nbyfd; i++)
        free(l->byfd[i]);
    free(l->byfd);
    free_dead(l);
    while (l->head) {
        fl_post *p = l->head;
        l->head = p->next;
        free(p);
    }
    close(l->ep);
    close(l->wake);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static _Thread_local const fl_loop *current; /* the loop this thread runs */

bool fl_loop_here(const fl_loop *l)
{
    return current == l;
}

void fl_loop_watch(fl_loop *l, int fd, uint32_t events, fl_loop_io_fn fn, void *ud)
{
    if ((size_t)fd >= l->nbyfd) {
        size_t n = l->nbyfd ? l->nbyfd : 64;
        while (n <= (size_t)fd)
            n *= 2;
        l->byfd = fl_xrealloc(l->byfd, n * sizeof *l->byfd);
        memset(l->byfd + l->nbyfd, 0, (n - l->nbyfd) * sizeof *l->byfd);
        l->nbyfd = n;
    }
    fl_watch *w = fl_xcalloc(1, sizeof *w);
    *w = (fl_watch){.fd = fd, .fn = fn, .ud = ud};
    l->byfd[fd] = w;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev))
        fl_error("event loop: watching fd %d: %s", fd, strerror(errno));
}

void fl_loop_modify(fl_loop *l, int fd, uint32_t events)
{
    if (fd < 0 || (size_t)fd >= l->nbyfd || !l->byfd[fd])
        return;
    struct epoll_event ev = {.events = events, .data.ptr = l->byfd[fd]};
    if (epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev))
        fl_error("event loop: watching fd %d: %s", fd, strerror(errno));
}

void fl_loop_unwatch(fl_loop *l, int fd)
{
    if (fd < 0 || (size_t)fd >= l->nbyfd || !l->byfd[fd])
        return;
    fl_watch *w = l->byfd[fd];
    l->byfd[fd] = NULL;
    epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
    w->dead = true; /* an event for it may be in the batch being handled */
    w->next_dead = l->dead;
    l->dead = w;
}

void fl_loop_post(fl_loop *l, fl_loop_fn fn, void *ud)
{
    fl_post *p = fl_xmalloc(sizeof *p);
    *p = (fl_post){fn, ud, NULL};
    pthread_mutex_lock(&l->mu);
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    /* The loop's own posts run before it sleeps again: no wake-up needed. */
    bool wake = !l->woken && !fl_loop_here(l);
    if (wake)
        l->woken = true;
    pthread_mutex_unlock(&l->mu);
    if (wake) {
        uint64_t one = 1;
        ssize_t n = write(l->wake, &one, sizeof one);
        (void)n;
    }
}

typedef struct sync_call {
    fl_loop_fn fn;
    void *ud;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool done;
} sync_call;

static void run_sync(void *ud)
{
    sync_call *c = ud;
    c->fn(c->ud);
    pthread_mutex_lock(&c->mu);
    c->done = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
}

void fl_loop_call(fl_loop *l, fl_loop_fn fn, void *ud)
{
    if (!l->running || fl_loop_here(l)) {
        fn(ud);
        return;
    }
    sync_call c = {.fn = fn, .ud = ud};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cond, NULL);
    fl_loop_post(l, run_sync, &c);
    pthread_mutex_lock(&c.mu);
    while (!c.done)
        pthread_cond_wait(&c.cond, &c.mu);
    pthread_mutex_unlock(&c.mu);
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cond);
}

void fl_loop_timer(fl_loop *l, fl_timer *t, uint64_t at_us, fl_loop_fn fn, void *ud)
{
    fl_loop_timer_cancel(l, t);
    t->at_us = at_us;
    t->fn = fn;
    t->ud = ud;
    fl_timer **pp = &l->timers;
    while (*pp && (*pp)->at_us <= at_us)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = true;
}

void fl_loop_timer_cancel(fl_loop *l, fl_timer *t)
{
    if (!t->armed)
        return;
    for (fl_timer **pp = &l->timers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->armed = false;
    t->next = NULL;
}

/* Runs what was posted so far; true when anything ran. */
static bool run_posts(fl_loop *l)
{
    pthread_mutex_lock(&l->mu);
    fl_post *p = l->head;
    l->head = l->tail = NULL;
    pthread_mutex_unlock(&l->mu);
    bool any = p != NULL;
    while (p) {
        fl_post *next = p->next;
        p->fn(p->ud);
        free(p);
        p = next;
    }
    return any;
}

static void run_timers(fl_loop *l)
{
    uint64_t now = fl_mono_us();
    while (l->timers && l->timers->at_us <= now) {
        fl_timer *t = l->timers;
        l->timers = t->next;
        t->next = NULL;
        t->armed = false;
        t->fn(t->ud); /* may re-arm itself */
    }
}

static int timeout_ms(fl_loop *l)
{
    pthread_mutex_lock(&l->mu);
    bool posted = l->head != NULL || l->stop;
    pthread_mutex_unlock(&l->mu);
    if (posted)
        return 0;
    if (!l->timers)
        return -1;
    uint64_t now = fl_mono_us(), at = l->timers->at_us;
    if (at <= now)
        return 0;
    uint64_t ms = (at - now + 999) / 1000;
    return ms > 3600000 ? 3600000 : (int)ms;
}

void fl_loop_run(fl_loop *l)
{
    current = l;
    l->running = true;
    struct epoll_event ev[64];
    for (;;) {
        run_posts(l);
        run_timers(l);
        pthread_mutex_lock(&l->mu);
        bool stop = l->stop;
        pthread_mutex_unlock(&l->mu);
        if (stop)
            break;
        int n = epoll_wait(l->ep, ev, 64, timeout_ms(l));
        for (int i = 0; i < n; i++) {
            fl_watch *w = ev[i].data.ptr;
            if (!w) {
                uint64_t v;
                ssize_t r = read(l->wake, &v, sizeof v);
                (void)r;
                pthread_mutex_lock(&l->mu);
                l->woken = false;
                pthread_mutex_unlock(&l->mu);
                continue;
            }
            if (!w->dead)
                w->fn(w->ud, ev[i].events);
        }
        free_dead(l);
    }
    run_posts(l); /* what was posted before the stop still runs */
    l->running = false;
    current = NULL;
}

static void *loop_main(void *arg)
{
    fl_loop_run(arg);
    return NULL;
}

int fl_loop_start(fl_loop *l, fl_err *err)
{
    l->running = true; /* calls from now on are posted, even before the thread runs */
    int rc = pthread_create(&l->thread, NULL, loop_main, l);
    if (rc) {
        l->running = false;
        return fl_fail(err, "starting the event loop: %s", strerror(rc));
    }
    l->started = true;
    return 0;
}

void fl_loop_stop(fl_loop *l)
{
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_mutex_unlock(&l->mu);
    uint64_t one = 1;
    ssize_t n = write(l->wake, &one, sizeof one);
    (void)n;
    if (l->started && !pthread_equal(l->thread, pthread_self())) {
        pthread_join(l->thread, NULL);
        l->started = false;
    }
}

_Static_assert(FL_LOOP_IN == EPOLLIN && FL_LOOP_OUT == EPOLLOUT && FL_LOOP_ERR == EPOLLERR &&
                   FL_LOOP_HUP == EPOLLHUP && FL_LOOP_RDHUP == EPOLLRDHUP,
               "FL_LOOP_* are epoll's values");
