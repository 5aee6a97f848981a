/* Asynchronous (Event) invokes: accepted with 202 once the function is
 * known, queued here, and run by a few worker threads through the same path
 * as synchronous ones. As on Lambda: a function error (or a timeout, or a
 * crash) is retried twice, after the configured delays (Lambda: about 1
 * and 2 minutes), under the same request id; a throttled attempt waits and
 * tries again without counting. Nothing is kept across a restart, as
 * Lambda's own queue is nobody's state to restore here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

#define WORKERS_MAX 16
#define QUEUE_MAX 10000u
#define QUEUE_BYTES_MAX (256u << 20)
#define THROTTLE_RETRY_US 200000u

typedef struct async_event {
    char name[EMU_FN_REF_MAX];
    char id[EMU_UUID_LEN + 1];
    char trace[EMU_TRACE_MAX];
    fl_buf payload;
    char *cc;
    unsigned attempt;             /* attempts made so far */
    uint64_t due_us;
    struct async_event *next;
} async_event;

struct emu_async {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    async_event *head;            /* ordered by due_us */
    size_t n, bytes;
    bool stopping;
    pthread_t workers[WORKERS_MAX];
    unsigned nworkers;
    emu *e;
};

static void event_free(async_event *ev)
{
    fl_buf_free(&ev->payload);
    free(ev->cc);
    free(ev);
}

/* Inserts in due order (after equal times: FIFO). q->mu held. */
static void enqueue(struct emu_async *q, async_event *ev)
{
    async_event **pp = &q->head;
    while (*pp && (*pp)->due_us <= ev->due_us)
        pp = &(*pp)->next;
    ev->next = *pp;
    *pp = ev;
    q->n++;
    q->bytes += ev->payload.len;
    pthread_cond_signal(&q->cond);
}

static async_event *take_due(struct emu_async *q)
{
    for (;;) {
        if (q->stopping)
            return NULL;
        uint64_t now = fl_mono_us();
        if (q->head && q->head->due_us <= now) {
            async_event *ev = q->head;
            q->head = ev->next;
            q->n--;
            q->bytes -= ev->payload.len;
            return ev;
        }
        if (q->head)
            emu_cond_wait_until(&q->cond, &q->mu, q->head->due_us);
        else
            pthread_cond_wait(&q->cond, &q->mu);
    }
}

/* One attempt. Returns the delay before the next one, or 0 when done. */
static uint64_t attempt(struct emu_async *q, async_event *ev)
{
    emu *e = q->e;
    fl_buf payload = {0};
    fl_buf_append(&payload, ev->payload.data ? ev->payload.data : "", ev->payload.len);
    emu_invoke *inv = emu_invoke_new(&payload, ev->cc ? fl_xstrdup(ev->cc) : NULL, ev->trace[0] ? ev->trace : NULL);
    snprintf(inv->id, sizeof inv->id, "%s", ev->id);
    emu_ticket t;
    emu_admit_rc arc;
    const char *reason;
    fl_err err;
    uint64_t delay = 0;
    if (emu_invoke_sync(e, ev->name, inv, &t, &arc, &reason, &err)) {
        if (arc == EMU_ADMIT_THROTTLED || arc == EMU_ADMIT_PENDING) {
            delay = THROTTLE_RETRY_US; /* not an attempt: Lambda keeps trying */
        } else {
            fl_warn("Event invoke %s of %s: %s; dropped", ev->id, ev->name,
                    arc == EMU_ADMIT_NOT_FOUND ? "the function no longer exists" : err.msg);
        }
        emu_invoke_unref(inv);
        return delay;
    }
    emu_result_kind kind;
    fl_buf body = {0};
    emu_invoke_take_result(t.rt, inv, &kind, &body, NULL);
    emu_release(e, &t);
    ev->attempt++;
    if (kind != EMU_RES_OK) {
        if (ev->attempt <= 2) {
            delay = (uint64_t)e->async_retry_ms[ev->attempt - 1] * 1000u;
            fl_info("Event invoke %s of %s: attempt %u failed (%s); retry in %llu ms", ev->id, ev->name, ev->attempt,
                    inv->error_type[0] ? inv->error_type : "service error", (unsigned long long)(delay / 1000));
        } else {
            fl_warn("Event invoke %s of %s: attempt 3 failed (%s); dropped, as Lambda does without a destination",
                    ev->id, ev->name, inv->error_type[0] ? inv->error_type : "service error");
        }
    }
    fl_buf_free(&body);
    emu_invoke_unref(inv);
    return delay;
}

static void *worker_main(void *arg)
{
    struct emu_async *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        async_event *ev = take_due(q);
        if (!ev)
            break;
        pthread_mutex_unlock(&q->mu);
        uint64_t delay = attempt(q, ev);
        pthread_mutex_lock(&q->mu);
        if (delay && !q->stopping) {
            ev->due_us = fl_mono_us() + delay;
            enqueue(q, ev);
        } else {
            event_free(ev);
        }
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int emu_async_start(emu *e, fl_err *err)
{
    struct emu_async *q = fl_xcalloc(1, sizeof *q);
    q->e = e;
    pthread_mutex_init(&q->mu, NULL);
    emu_cond_init(&q->cond);
    e->async = q;
    unsigned n = e->limit < WORKERS_MAX ? e->limit : WORKERS_MAX;
    for (unsigned i = 0; i < n; i++) {
        int rc = pthread_create(&q->workers[i], NULL, worker_main, q);
        if (rc)
            return fl_fail(err, "starting the Event invoke workers: %s", strerror(rc));
        q->nworkers++;
    }
    return 0;
}

void emu_async_stop(emu *e)
{
    struct emu_async *q = e->async;
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
    for (unsigned i = 0; i < q->nworkers; i++)
        pthread_join(q->workers[i], NULL);
    if (q->n)
        fl_warn("%zu Event invokes were still queued at shutdown; dropped", q->n);
    while (q->head) {
        async_event *ev = q->head;
        q->head = ev->next;
        event_free(ev);
    }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cond);
    free(q);
    e->async = NULL;
}

int emu_async_submit(emu_req *r, const char *name, char *cc, const char *trace)
{
    emu *e = r->e;
    pthread_mutex_lock(&e->mu);
    emu_entry *en = emu_find(e, name);
    bool pending = en && emu_record_pending(en->rec, fl_wall_ms());
    pthread_mutex_unlock(&e->mu);
    if (!en || pending) {
        free(cc);
        fl_err none = {{0}};
        return emu_reply_admit_error(r, en ? EMU_ADMIT_PENDING : EMU_ADMIT_NOT_FOUND, name, NULL, &none);
    }
    struct emu_async *q = e->async;
    pthread_mutex_lock(&q->mu);
    bool full = q->n >= QUEUE_MAX || q->bytes + r->body.len > QUEUE_BYTES_MAX;
    if (!full) {
        async_event *ev = fl_xcalloc(1, sizeof *ev);
        snprintf(ev->name, sizeof ev->name, "%s", name);
        snprintf(ev->id, sizeof ev->id, "%s", r->id);
        snprintf(ev->trace, sizeof ev->trace, "%s", trace ? trace : "");
        ev->payload = r->body;
        r->body = (fl_buf){0};
        ev->cc = cc;
        cc = NULL;
        ev->due_us = fl_mono_us();
        enqueue(q, ev);
    }
    pthread_mutex_unlock(&q->mu);
    free(cc);
    if (full)
        return emu_reply_throttle(r, "CallerRateLimitExceeded");
    return emu_reply_empty(r, 202);
}
