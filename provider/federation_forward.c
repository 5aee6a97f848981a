/* Requests forwarded to another provider: the same method, path, query,
 * headers and body; the answer passed back. The /system calls carry the
 * backend's own credentials (the caller's were for this provider); the
 * function calls carry the caller's headers untouched. */
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provider/internal.h"

#define FORWARD_BODY_MAX (64u << 20)

static bool hop_by_hop(const char *n)
{
    static const char *const hop[] = {"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
                                      "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Host",
                                      "Expect"};
    for (size_t i = 0; i < sizeof hop / sizeof *hop; i++)
        if (fl_str_eq_nocase(n, hop[i]))
            return true;
    return false;
}

int pv_fed_call(pv_server *s, size_t idx, const char *method, const char *target, const fl_headers *headers,
                const void *body, size_t len, long timeout_ms, fl_http_resp *resp, fl_err *err)
{
    pv_backend *b = &s->fed.b[idx];
    bool system = fl_str_has_prefix(target, "/system/");
    fl_headers hs = {0};
    for (size_t i = 0; headers && i < headers->n; i++) {
        const char *n = headers->v[i].name;
        if (hop_by_hop(n) || (system && fl_str_eq_nocase(n, "Authorization")))
            continue;
        fl_headers_add(&hs, n, headers->v[i].value);
    }
    fl_headers_set(&hs, PV_FED_HOP_HEADER, "1");
    char *url = fl_xasprintf("%s%s", b->url, target);
    fl_http_req req = {.method = method, .url = url, .headers = &hs, .body = body, .body_len = len,
                       .has_body = body != NULL || strcmp(method, "GET"), .timeout_ms = timeout_ms,
                       .connect_timeout_ms = 5000, .max_body = FORWARD_BODY_MAX,
                       .userpwd = system ? b->userpwd : NULL, .path_as_is = true};
    CURL_handle *h = pv_pool_get(&b->pool);
    int rc = fl_http_do(h, &req, resp, err);
    pv_pool_put(&b->pool, h);
    if (rc)
        fl_fail_wrap(err, "backend %s", b->name);
    free(url);
    fl_headers_free(&hs);
    return rc;
}

int pv_fed_forward(pv_req *r, size_t idx, const char *target, const void *body, size_t len, long timeout_ms)
{
    fl_headers in = {0};
    pv_request_headers(r, &in);
    fl_http_resp resp;
    fl_err err;
    bool has_body = strcmp(r->method, "GET") && strcmp(r->method, "HEAD");
    int rc = pv_fed_call(r->s, idx, r->method, target, &in, has_body ? (body ? body : "") : NULL, len, timeout_ms,
                         &resp, &err);
    fl_headers_free(&in);
    if (rc) {
        fl_http_resp_free(&resp);
        fl_warn("provider: federation: %s", err.msg);
        return pv_reply_text(r, 502, "%s", err.msg);
    }
    fl_headers out = {0};
    for (size_t i = 0; i < resp.headers.n; i++)
        if (!hop_by_hop(resp.headers.v[i].name) && !fl_str_eq_nocase(resp.headers.v[i].name, "Date"))
            fl_headers_add(&out, resp.headers.v[i].name, resp.headers.v[i].value);
    rc = pv_reply(r, resp.status, &out, &resp.body);
    fl_headers_free(&out);
    fl_http_resp_free(&resp);
    return rc;
}

/* A detached thread may outlive the server (at shutdown), so the job owns
 * copies of everything it needs. */
typedef struct stream_job {
    char *url, *userpwd, *backend;
    long timeout_ms;
    fl_headers headers;
    int fd;                       /* the pipe's write end */
} stream_job;

static size_t to_pipe(void *ud, const char *data, size_t n)
{
    stream_job *j = ud;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(j->fd, data + off, n - off);
        if (w <= 0)
            return 0; /* the client went away: stop the transfer */
        off += (size_t)w;
    }
    return n;
}

static void stream_job_free(stream_job *j)
{
    free(j->url);
    if (j->userpwd) {
        memset(j->userpwd, 0, strlen(j->userpwd));
        free(j->userpwd);
    }
    free(j->backend);
    fl_headers_free(&j->headers);
    free(j);
}

static void *stream_main(void *arg)
{
    stream_job *j = arg;
    fl_http_req req = {.method = "GET", .url = j->url, .headers = &j->headers, .connect_timeout_ms = 5000,
                       .timeout_ms = j->timeout_ms, .sink = to_pipe, .sink_ud = j, .userpwd = j->userpwd};
    CURL_handle *h = fl_http_handle();
    fl_http_resp resp;
    fl_err err;
    if (fl_http_do(h, &req, &resp, &err))
        fl_debug("provider: federation: log stream from %s ended: %s", j->backend, err.msg);
    fl_http_resp_free(&resp);
    fl_http_handle_free(h);
    close(j->fd);
    stream_job_free(j);
    return NULL;
}

int pv_fed_forward_stream(pv_req *r, size_t idx, const char *target)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return pv_reply_text(r, 500, "cannot make a pipe for the log stream");
    pv_backend *b = &r->s->fed.b[idx];
    stream_job *j = fl_xcalloc(1, sizeof *j);
    j->url = fl_xasprintf("%s%s", b->url, target);
    j->userpwd = b->userpwd ? fl_xstrdup(b->userpwd) : NULL;
    j->backend = fl_xstrdup(b->name);
    j->timeout_ms = (long)(r->s->cfg->write_timeout_ms + 5000);
    j->fd = p[1];
    fl_headers_add(&j->headers, "Accept", "application/x-ndjson");
    fl_headers_add(&j->headers, PV_FED_HOP_HEADER, "1");
    pthread_t t;
    if (pthread_create(&t, NULL, stream_main, j)) {
        close(p[0]);
        close(p[1]);
        stream_job_free(j);
        return pv_reply_text(r, 500, "cannot start the log stream");
    }
    pthread_detach(t);
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "application/x-ndjson");
    int rc = pv_reply_pipe(r, 200, &h, p[0]);
    fl_headers_free(&h);
    return rc;
}
