/* /system/logs: a function's log lines from CloudWatch Logs
 * (FilterLogEvents on /aws/lambda/NAME, which the emulator serves too) as
 * NDJSON logs.Message lines {"name","namespace","instance","timestamp",
 * "text"}, instance being the log stream (one per sandbox). Query as the
 * SDK parses it: name, namespace, tail (last N lines; <= 0 all), since
 * (RFC 3339), follow (Go's ParseBool); a bad value is 422. Following polls
 * once a second until the client goes or write_timeout passes. The lines
 * are fetched by a thread of the streams pool and written into a pipe that
 * the answer is read from on the loop. */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provider/internal.h"

#define PAGE_LIMIT 1000
#define MAX_PAGES 1000
#define POLL_US 1000000
#define TAIL_MAX 100000

typedef struct log_line {
    char *text;
} log_line;

typedef struct log_stream {
    pv_server *s;
    int fd;                       /* the pipe's write end */
    char lname[PV_LAMBDA_NAME_MAX + 1], name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    int64_t since_ms;
    long tail;
    bool follow;
    uint64_t deadline_us;
    fl_buf out;                   /* NDJSON not yet written to the pipe */
    int64_t last_ts;              /* newest timestamp sent */
    pv_map seen;                  /* event ids sent with last_ts */
} log_stream;

static void message_line(log_stream *ls, const pv_log_event *e, fl_buf *out)
{
    char ts[48];
    pv_format_rfc3339_ms(e->timestamp > 0 ? (uint64_t)e->timestamp : 0, ts);
    size_t n = strlen(e->message);
    while (n && (e->message[n - 1] == '\n' || e->message[n - 1] == '\r'))
        n--;
    fl_buf_puts(out, "{\"name\":");
    fl_json_put_str(out, ls->name, strlen(ls->name));
    fl_buf_puts(out, ",\"namespace\":");
    fl_json_put_str(out, ls->ns, strlen(ls->ns));
    fl_buf_puts(out, ",\"instance\":");
    fl_json_put_str(out, e->stream, strlen(e->stream));
    fl_buf_printf(out, ",\"timestamp\":\"%s\",\"text\":", ts);
    fl_json_put_str(out, e->message, n);
    fl_buf_puts(out, "}\n");
}

static void note_sent(log_stream *ls, const pv_log_event *e)
{
    if (e->timestamp > ls->last_ts) {
        ls->last_ts = e->timestamp;
        pv_map_free(&ls->seen);
    }
    pv_map_set(&ls->seen, e->id, "");
}

/* Every event from start on (bounded); the newest tail of them when tail > 0. */
static int read_all(log_stream *ls, int64_t start, bool dedupe, fl_err *err)
{
    char *token = NULL;
    fl_buf *ring = NULL;
    size_t ring_n = ls->tail > 0 ? (size_t)ls->tail : 0, count = 0;
    if (ring_n)
        ring = fl_xcalloc(ring_n, sizeof *ring);
    int rc = 0;
    for (unsigned page = 0; page < MAX_PAGES; page++) {
        pv_log_page p;
        if ((rc = pv_logs_filter(&ls->s->lambda, ls->lname, start, token, PAGE_LIMIT, &p, err)))
            break;
        for (size_t i = 0; i < p.n; i++) {
            const pv_log_event *e = &p.ev[i];
            if (dedupe && e->timestamp == ls->last_ts && pv_map_get(&ls->seen, e->id))
                continue;
            if (dedupe && e->timestamp < ls->last_ts)
                continue;
            fl_buf *dst = ring ? &ring[count % ring_n] : &ls->out;
            if (ring)
                fl_buf_reset(dst);
            message_line(ls, e, dst);
            note_sent(ls, e);
            count++;
        }
        free(token);
        token = p.next_token ? fl_xstrdup(p.next_token) : NULL;
        pv_log_page_free(&p);
        if (!token)
            break;
    }
    free(token);
    if (ring) {
        size_t first = count > ring_n ? count - ring_n : 0;
        for (size_t i = first; i < count; i++)
            fl_buf_append(&ls->out, ring[i % ring_n].data, ring[i % ring_n].len);
        for (size_t i = 0; i < ring_n; i++)
            fl_buf_free(&ring[i]);
        free(ring);
    }
    return rc;
}

static void stream_free(log_stream *ls)
{
    if (ls->fd >= 0)
        close(ls->fd);
    fl_buf_free(&ls->out);
    pv_map_free(&ls->seen);
    free(ls);
}

/* What read_all gathered, into the pipe; false when the client went away
 * (the answer closed the pipe's other end). */
static bool flush(log_stream *ls)
{
    for (size_t off = 0; off < ls->out.len;) {
        ssize_t w = write(ls->fd, ls->out.data + off, ls->out.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        off += (size_t)w;
    }
    fl_buf_reset(&ls->out);
    return true;
}

static void produce(void *ud)
{
    log_stream *ls = ud;
    fl_err err;
    if (read_all(ls, ls->since_ms, false, &err))
        fl_warn("provider: logs of %s.%s: %s", ls->name, ls->ns, err.msg);
    bool on = flush(ls) && ls->follow;
    /* following: poll until the client leaves, time is up or the server stops */
    while (on && fl_mono_us() < ls->deadline_us && !atomic_load(&ls->s->stopping)) {
        for (uint64_t slept = 0; slept < POLL_US && !atomic_load(&ls->s->stopping); slept += POLL_US / 10)
            fl_sleep_us(POLL_US / 10);
        ls->tail = 0;
        if (read_all(ls, ls->last_ts, true, &err))
            fl_debug("provider: following the logs of %s.%s: %s", ls->name, ls->ns, err.msg);
        on = flush(ls);
    }
    stream_free(ls);
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < 6; i++) {
        if (!strcmp(s, t[i]))
            return *out = true;
        if (!strcmp(s, f[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* tail, since and follow; 0, or -1 with the 422 queued. */
static int parse_query(pv_req *r, log_stream *ls, int *rc)
{
    char *tail = pv_query_get(r->uri, "tail"), *since = pv_query_get(r->uri, "since"),
         *follow = pv_query_get(r->uri, "follow");
    const char *bad = NULL;
    if (tail && *tail) {
        char *end;
        long v = strtol(tail, &end, 10);
        if (*end || end == tail)
            bad = "tail must be an integer";
        ls->tail = v > TAIL_MAX ? TAIL_MAX : v;
    }
    if (!bad && since && *since && pv_parse_rfc3339(since, &ls->since_ms))
        bad = "since must be an RFC 3339 time (2026-01-02T15:04:05Z)";
    if (!bad && follow && *follow && !parse_bool(follow, &ls->follow))
        bad = "follow must be true or false";
    free(tail);
    free(since);
    free(follow);
    if (bad)
        *rc = pv_reply_text(r, 422, "Unable to parse request: %s", bad);
    return bad ? -1 : 0;
}

int pv_h_logs(pv_req *r)
{
    pv_server *s = r->s;
    char *qname = pv_query_get(r->uri, "name");
    int rc;
    if (!qname || !*qname) {
        free(qname);
        return pv_reply_text(r, 422, "Unable to parse request: name is required");
    }
    log_stream *ls = fl_xcalloc(1, sizeof *ls);
    ls->s = s;
    ls->fd = -1;
    fl_err err;
    char ns[PV_NAME_MAX + 1];
    if (pv_request_namespace(r, NULL, ns, &rc) || parse_query(r, ls, &rc))
        goto fail;
    if (pv_split_qualified(qname, ns, ls->name, ls->ns, &err)) {
        rc = pv_reply_text(r, 422, "Unable to parse request: %s", err.msg);
        goto fail;
    }
    size_t idx;
    int where = pv_fed_locate(r, ls->name, ls->ns, &idx, &err);
    if (where == 0 && idx == 0) {
        pv_status st;
        int got = pv_lambda_status(s, ls->name, ls->ns, &st, &err);
        if (got == 0)
            pv_status_free(&st);
        where = got;
    }
    if (where == 1) {
        rc = pv_reply_text(r, 404, "function %s.%s not found", ls->name, ls->ns);
        goto fail;
    }
    if (where < 0) {
        rc = pv_reply_text(r, 500, "function log request failed: %s", err.msg);
        goto fail;
    }
    if (idx != 0) {
        rc = ls->follow ? pv_fed_forward_stream(r, idx, r->uri)
                        : pv_fed_forward(r, idx, r->uri, NULL, 0, (long)s->cfg->write_timeout_ms);
        goto fail;
    }
    pv_lambda_name(ls->name, ls->ns, ls->lname, &err);
    ls->deadline_us = fl_mono_us() + s->cfg->write_timeout_ms * 1000;
    free(qname);
    int p[2];
    if (pipe2(p, O_CLOEXEC)) {
        stream_free(ls);
        return pv_reply_text(r, 500, "cannot make a pipe for the log stream");
    }
    ls->fd = p[1];
    fl_pool_run(s->streams, produce, ls);
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "application/x-ndjson");
    fl_headers_add(&h, "X-Content-Type-Options", "nosniff");
    rc = pv_reply_pipe(r, 200, &h, p[0]);
    fl_headers_free(&h);
    return rc;
fail:
    free(qname);
    stream_free(ls);
    return rc;
}
