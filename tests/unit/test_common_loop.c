/* The event loop, the thread pool, and a libmicrohttpd daemon run by the
 * loop with connections suspended and resumed from other threads. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"

static fl_loop *new_running_loop(void)
{
    fl_err err;
    fl_loop *l = fl_loop_new(&err);
    cr_assert(l, "%s", err.msg);
    cr_assert_eq(fl_loop_start(l, &err), 0, "%s", err.msg);
    return l;
}

typedef struct order {
    fl_loop *l;
    int seen[64];
    atomic_int n;
    atomic_bool wrong_thread;
} order;

typedef struct step {
    order *o;
    int v;
} step;

static void record(void *ud)
{
    step *s = ud;
    if (!fl_loop_here(s->o->l))
        s->o->wrong_thread = true;
    s->o->seen[atomic_fetch_add(&s->o->n, 1)] = s->v;
}

Test(loop, posts_run_in_order_on_the_loop_thread)
{
    order o = {0};
    o.l = new_running_loop();
    step steps[50];
    for (int i = 0; i < 50; i++) {
        steps[i] = (step){&o, i};
        fl_loop_post(o.l, record, &steps[i]);
    }
    step last = {&o, 50};
    fl_loop_call(o.l, record, &last); /* returns once it ran: after the 50 before it */
    cr_assert_eq(o.n, 51);
    cr_assert_not(o.wrong_thread);
    for (int i = 0; i <= 50; i++)
        cr_assert_eq(o.seen[i], i);
    cr_assert_not(fl_loop_here(o.l));
    fl_loop_free(o.l);
}

typedef struct timers {
    fl_loop *l;
    fl_timer t[3];
    step s[3];
    order o;
    uint64_t fired_at[3];
} timers;

static void arm(void *ud)
{
    timers *t = ud;
    uint64_t now = fl_mono_us();
    /* armed out of order; the middle one is cancelled by re-arming later */
    fl_loop_timer(t->l, &t->t[2], now + 30000, record, &t->s[2]);
    fl_loop_timer(t->l, &t->t[0], now + 10000, record, &t->s[0]);
    fl_loop_timer(t->l, &t->t[1], now + 5000, record, &t->s[1]);
    fl_loop_timer(t->l, &t->t[1], now + 20000, record, &t->s[1]);
}

Test(loop, timers_fire_in_time_order)
{
    timers t = {0};
    t.l = t.o.l = new_running_loop();
    for (int i = 0; i < 3; i++)
        t.s[i] = (step){&t.o, i};
    uint64_t start = fl_mono_us();
    fl_loop_call(t.l, arm, &t);
    while (t.o.n < 3 && fl_mono_us() - start < 2000000)
        fl_sleep_us(1000);
    cr_assert_eq(t.o.n, 3);
    cr_assert_eq(t.o.seen[0], 0);
    cr_assert_eq(t.o.seen[1], 1);
    cr_assert_eq(t.o.seen[2], 2);
    cr_assert_geq(fl_mono_us() - start, 30000);
    fl_loop_free(t.l);
}

typedef struct piped {
    fl_loop *l;
    int fds[2];
    char got[64];
    atomic_size_t n;
} piped;

static void readable(void *ud, uint32_t events)
{
    piped *p = ud;
    cr_assert(events & (FL_LOOP_IN | FL_LOOP_HUP));
    ssize_t r = read(p->fds[0], p->got + p->n, sizeof p->got - p->n - 1);
    if (r > 0)
        p->n += (size_t)r;
    else
        fl_loop_unwatch(p->l, p->fds[0]);
}

static void watch_pipe(void *ud)
{
    piped *p = ud;
    fl_loop_watch(p->l, p->fds[0], FL_LOOP_IN, readable, p);
}

Test(loop, watched_descriptor_calls_back)
{
    piped p = {0};
    p.l = new_running_loop();
    cr_assert_eq(pipe(p.fds), 0);
    fl_loop_call(p.l, watch_pipe, &p);
    cr_assert_eq(write(p.fds[1], "hello ", 6), 6);
    cr_assert_eq(write(p.fds[1], "world", 5), 5);
    close(p.fds[1]); /* EOF: the callback unwatches */
    for (int i = 0; i < 2000 && p.n < 11; i++)
        fl_sleep_us(1000);
    cr_assert_str_eq(p.got, "hello world");
    fl_loop_free(p.l);
    close(p.fds[0]);
}

typedef struct busy {
    atomic_int running, most, done;
} busy;

static void job(void *ud)
{
    busy *b = ud;
    int now = atomic_fetch_add(&b->running, 1) + 1;
    int m = atomic_load(&b->most);
    while (now > m && !atomic_compare_exchange_weak(&b->most, &m, now))
        ;
    fl_sleep_us(20000);
    atomic_fetch_sub(&b->running, 1);
    atomic_fetch_add(&b->done, 1);
}

Test(pool, runs_jobs_in_parallel_up_to_its_limit)
{
    busy b = {0};
    fl_pool *p = fl_pool_new(3);
    for (int i = 0; i < 9; i++)
        fl_pool_run(p, job, &b);
    fl_pool_free(p); /* runs what is queued, then joins */
    cr_assert_eq(b.done, 9);
    cr_assert_eq(b.most, 3);
}

/* ---- libmicrohttpd on the loop ---- */

typedef struct server {
    fl_loop *l;
    struct MHD_Daemon *d;
    fl_mhd *m;
    struct MHD_Connection *parked;
    atomic_bool has_parked;
    atomic_bool loop_thread_only;
    int port;
} server;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **con_cls)
{
    server *s = cls;
    if (!fl_loop_here(s->l))
        s->loop_thread_only = false;
    if (!*con_cls) {
        *con_cls = c;
        return MHD_YES;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    if (!strcmp(url, "/park")) { /* answered later, from another thread */
        s->parked = c;
        MHD_suspend_connection(c);
        s->has_parked = true;
        return MHD_YES;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static void attach(void *ud)
{
    server *s = ud;
    fl_err err;
    s->m = fl_mhd_attach(s->l, s->d, &err);
    cr_assert(s->m, "%s", err.msg);
}

static void detach(void *ud)
{
    server *s = ud;
    fl_mhd_detach(s->m);
    MHD_stop_daemon(s->d);
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
    fl_buf_append(ud, p, sz * n);
    return sz * n;
}

typedef struct get {
    char url[128];
    fl_buf body;
    long status;
} get;

static void *fetch(void *arg)
{
    get *g = arg;
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, g->url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &g->body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &g->status);
    curl_easy_cleanup(h);
    return NULL;
}

Test(loop_mhd, requests_and_resumes_from_another_thread)
{
    server s = {0};
    s.loop_thread_only = true;
    s.l = new_running_loop();
    s.d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, &s,
                           MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
    cr_assert(s.d);
    s.port = MHD_get_daemon_info(s.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    fl_loop_call(s.l, attach, &s);

    get plain = {0}, parked = {0};
    snprintf(plain.url, sizeof plain.url, "http://127.0.0.1:%d/x", s.port);
    fetch(&plain);
    cr_assert_eq(plain.status, 200);
    cr_assert_eq(plain.body.len, 2);

    snprintf(parked.url, sizeof parked.url, "http://127.0.0.1:%d/park", s.port);
    pthread_t t;
    pthread_create(&t, NULL, fetch, &parked);
    for (int i = 0; i < 5000 && !s.has_parked; i++)
        fl_sleep_us(1000);
    cr_assert(s.has_parked);
    fl_sleep_us(20000);
    cr_assert_eq(parked.status, 0, "answered while suspended");
    /* a suspended connection takes its response from any thread */
    struct MHD_Response *r = MHD_create_response_from_buffer(5, (void *)"later", MHD_RESPMEM_PERSISTENT);
    cr_assert_eq(MHD_queue_response(s.parked, 202, r), MHD_YES);
    MHD_destroy_response(r);
    fl_mhd_resume(s.m, s.parked);
    pthread_join(t, NULL);
    cr_assert_eq(parked.status, 202);
    cr_assert_eq(parked.body.len, 5);
    cr_assert(s.loop_thread_only);
    fl_loop_call(s.l, detach, &s);
    fl_loop_free(s.l);
    fl_buf_free(&plain.body);
    fl_buf_free(&parked.body);
}

/* ---- a libcurl client on the same loop as the server it calls ---- */

typedef struct client {
    server srv;
    CURL *h[3];
    fl_buf body[3];
    fl_curlm *m;
    atomic_int done;
    int codes[3];
    bool loop_thread_only;
} client;

static size_t client_sink(char *p, size_t sz, size_t n, void *ud)
{
    fl_buf_append(ud, p, sz * n);
    return sz * n;
}

typedef struct slot {
    client *c;
    int i;
} slot;

static void slot_done(void *ud, int code)
{
    slot *s = ud;
    if (!fl_loop_here(s->c->srv.l))
        s->c->loop_thread_only = false;
    s->c->codes[s->i] = code;
    s->c->done++;
}

static slot slots[3];

static void start_three(void *ud)
{
    client *c = ud;
    fl_err err;
    c->srv.m = fl_mhd_attach(c->srv.l, c->srv.d, &err);
    cr_assert(c->srv.m, "%s", err.msg);
    c->m = fl_curlm_new(c->srv.l);
    for (int i = 0; i < 3; i++) {
        char url[128];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/n%d", c->srv.port, i);
        c->h[i] = curl_easy_init();
        curl_easy_setopt(c->h[i], CURLOPT_URL, url);
        curl_easy_setopt(c->h[i], CURLOPT_PROXY, "");
        curl_easy_setopt(c->h[i], CURLOPT_WRITEFUNCTION, client_sink);
        curl_easy_setopt(c->h[i], CURLOPT_WRITEDATA, &c->body[i]);
        slots[i] = (slot){c, i};
        fl_curlm_add(c->m, c->h[i], slot_done, &slots[i]);
    }
}

static void stop_three(void *ud)
{
    client *c = ud;
    for (int i = 0; i < 3; i++)
        curl_easy_cleanup(c->h[i]);
    fl_curlm_free(c->m);
    fl_mhd_detach(c->srv.m);
    MHD_stop_daemon(c->srv.d);
}

Test(loop_curl, a_client_and_its_server_on_one_thread)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    client c = {0};
    c.loop_thread_only = c.srv.loop_thread_only = true;
    c.srv.l = new_running_loop();
    c.srv.d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                               on_request, &c.srv, MHD_OPTION_END);
    cr_assert(c.srv.d);
    c.srv.port = MHD_get_daemon_info(c.srv.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    fl_loop_call(c.srv.l, start_three, &c);
    for (int i = 0; i < 5000 && c.done < 3; i++)
        fl_sleep_us(1000);
    cr_assert_eq(c.done, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(c.codes[i], CURLE_OK);
        cr_assert_eq(c.body[i].len, 2);
        fl_buf_free(&c.body[i]);
    }
    cr_assert(c.loop_thread_only && c.srv.loop_thread_only);
    fl_loop_call(c.srv.l, stop_three, &c);
    fl_loop_free(c.srv.l);
    curl_global_cleanup();
}

/* ---- fl_http_do's request without waiting, on the loop ---- */

typedef struct async_get {
    server srv;
    fl_curlm *m;
    CURL_handle *h;
    fl_http_req req;
    fl_http_resp resp;
    fl_headers hs;
    atomic_int rc;
    atomic_bool done;
    bool on_loop;
} async_get;

static void async_done(void *ud, int rc, fl_http_resp *resp, fl_err *err)
{
    async_get *a = ud;
    (void)err;
    a->on_loop = fl_loop_here(a->srv.l) && resp == &a->resp;
    a->rc = rc;
    a->done = true;
}

static void async_start(void *ud)
{
    async_get *a = ud;
    fl_err err;
    a->srv.m = fl_mhd_attach(a->srv.l, a->srv.d, &err);
    cr_assert(a->srv.m, "%s", err.msg);
    a->m = fl_curlm_new(a->srv.l);
    a->h = fl_http_handle();
    fl_http_start(a->m, a->h, &a->req, &a->resp, async_done, a);
}

static void async_stop(void *ud)
{
    async_get *a = ud;
    fl_http_handle_free(a->h);
    fl_curlm_free(a->m);
    fl_mhd_detach(a->srv.m);
    MHD_stop_daemon(a->srv.d);
}

Test(loop_curl, fl_http_start_gives_what_fl_http_do_gives)
{
    async_get a = {0};
    a.srv.loop_thread_only = true;
    a.srv.l = new_running_loop();
    a.srv.d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                               on_request, &a.srv, MHD_OPTION_END);
    cr_assert(a.srv.d);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", MHD_get_daemon_info(a.srv.d, MHD_DAEMON_INFO_BIND_PORT)->port);
    fl_headers_add(&a.hs, "X-Test", "1");
    a.req = (fl_http_req){.method = "POST", .url = url, .headers = &a.hs, .body = "abc", .body_len = 3,
                          .has_body = true, .no_proxy = true, .timeout_ms = 5000};
    fl_loop_call(a.srv.l, async_start, &a);
    for (int i = 0; i < 5000 && !a.done; i++)
        fl_sleep_us(1000);
    cr_assert(a.done);
    cr_assert_eq(a.rc, 0);
    cr_assert(a.on_loop);
    cr_assert_eq(a.resp.status, 200);
    cr_assert_eq(a.resp.body.len, 2);
    cr_assert_eq(memcmp(a.resp.body.data, "ok", 2), 0);
    cr_assert(fl_headers_get(&a.resp.headers, "Content-Length"), "the answer's headers are collected");
    fl_loop_call(a.srv.l, async_stop, &a);
    fl_loop_free(a.srv.l);
    fl_http_resp_free(&a.resp);
    fl_headers_free(&a.hs);
}
