/* libcurl's multi interface on the event loop: curl says which sockets to
 * watch (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION);
 * the loop tells curl what happened (curl_multi_socket_action) and hands
 * each finished transfer to its owner. A server that is also a client of
 * another (the provider calling Lambda) then waits on both without a thread
 * in between. Not part of the static bootstrap. */
#include <curl/curl.h>
#include <stdlib.h>

#include "common/http_internal.h"

typedef struct transfer {
    CURL *h;
    fl_curlm_done done;
    void *ud;
    struct transfer *next;
} transfer;

/* A socket curl asked us to watch (curl keeps it for us: curl_multi_assign). */
typedef struct watched {
    struct fl_curlm *m;
    curl_socket_t s;
    struct watched *next;
} watched;

struct fl_curlm {
    fl_loop *loop;
    CURLM *m;
    fl_timer timer;
    transfer *active;
    watched *sockets;
};

static void finished(fl_curlm *m)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m->m, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *h = msg->easy_handle;
        CURLcode code = msg->data.result;
        transfer **pp = &m->active;
        while (*pp && (*pp)->h != h)
            pp = &(*pp)->next;
        transfer *t = *pp;
        curl_multi_remove_handle(m->m, h); /* msg is invalid from here on */
        if (!t)
            continue;
        *pp = t->next;
        t->done(t->ud, (int)code);
        free(t);
    }
}

static void act(fl_curlm *m, curl_socket_t s, int mask)
{
    int running;
    curl_multi_socket_action(m->m, s, mask, &running);
    finished(m);
}

static void ready(void *ud, uint32_t events)
{
    watched *w = ud;
    int mask = (events & FL_LOOP_IN ? CURL_CSELECT_IN : 0) | (events & FL_LOOP_OUT ? CURL_CSELECT_OUT : 0) |
               (events & (FL_LOOP_ERR | FL_LOOP_HUP) ? CURL_CSELECT_ERR : 0);
    act(w->m, w->s, mask);
}

static void forget(fl_curlm *m, watched *w)
{
    for (watched **pp = &m->sockets; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    fl_loop_unwatch(m->loop, w->s);
    free(w);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    fl_curlm *m = userp;
    watched *w = socketp;
    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (w) {
            curl_multi_assign(m->m, s, NULL);
            forget(m, w);
        }
        return 0;
    }
    uint32_t events = (what & CURL_POLL_IN ? FL_LOOP_IN : 0) | (what & CURL_POLL_OUT ? FL_LOOP_OUT : 0);
    if (!w) {
        w = fl_xcalloc(1, sizeof *w);
        *w = (watched){m, s, m->sockets};
        m->sockets = w;
        curl_multi_assign(m->m, s, w);
        fl_loop_watch(m->loop, s, events, ready, w);
    } else {
        fl_loop_modify(m->loop, s, events);
    }
    return 0;
}

static void timed_out(void *ud)
{
    act(ud, CURL_SOCKET_TIMEOUT, 0);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    fl_curlm *m = userp;
    (void)multi;
    if (timeout_ms < 0)
        fl_loop_timer_cancel(m->loop, &m->timer);
    else
        fl_loop_timer(m->loop, &m->timer, fl_mono_us() + (uint64_t)timeout_ms * 1000u, timed_out, m);
    return 0;
}

fl_curlm *fl_curlm_new(fl_loop *l)
{
    fl_curlm *m = fl_xcalloc(1, sizeof *m);
    m->loop = l;
    fl_http_global_init(); /* before any other curl call */
    m->m = curl_multi_init();
    curl_multi_setopt(m->m, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m->m, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->m, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m->m, CURLMOPT_TIMERDATA, m);
    return m;
}

void fl_curlm_add(fl_curlm *m, CURL_handle *h, fl_curlm_done done, void *ud)
{
    transfer *t = fl_xcalloc(1, sizeof *t);
    *t = (transfer){h, done, ud, m->active};
    m->active = t;
    CURLMcode rc = curl_multi_add_handle(m->m, h);
    if (rc != CURLM_OK) {
        m->active = t->next;
        free(t);
        done(ud, CURLE_FAILED_INIT);
    }
}

void fl_curlm_free(fl_curlm *m)
{
    if (!m)
        return;
    while (m->active) { /* only when the owner forgot its transfers */
        transfer *t = m->active;
        m->active = t->next;
        curl_multi_remove_handle(m->m, t->h);
        free(t);
    }
    curl_multi_cleanup(m->m); /* may still tell of sockets it removes */
    while (m->sockets)
        forget(m, m->sockets);
    fl_loop_timer_cancel(m->loop, &m->timer);
    free(m);
}

/* fl_http_do's request on the multi handle. */
typedef struct http_call {
    fl_http_xfer x;
    fl_http_done done;
    void *ud;
    fl_err err;
} http_call;

static void call_ended(void *ud, int code)
{
    http_call *c = ud;
    int rc = fl_http_end(&c->x, (CURLcode)code, &c->err);
    c->done(c->ud, rc, c->x.resp, &c->err);
    free(c);
}

void fl_http_start(fl_curlm *m, CURL_handle *h, const fl_http_req *req, fl_http_resp *resp, fl_http_done done,
                   void *ud)
{
    http_call *c = fl_xcalloc(1, sizeof *c);
    c->done = done;
    c->ud = ud;
    if (fl_http_begin(h, req, resp, &c->x, &c->err)) {
        done(ud, -1, resp, &c->err);
        free(c);
        return;
    }
    fl_curlm_add(m, h, call_ended, c);
}
