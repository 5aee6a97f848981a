/* The front door: one HTTP server on a loopback address for everything the
 * emulator serves: the Lambda REST API, the CloudWatch Logs subset
 * (X-Amz-Target: Logs_20140328.*) and the functions' URLs (by host name or
 * under /lambda-url/NAME/). It runs on the emulator's event loop with the
 * sandboxes' Runtime API servers: an invoke and its function URL requests
 * are handled there and park their connection until the function answers,
 * which its deadline guarantees; every other operation (files, unzipping,
 * images, the logs) runs on a pool thread with the connection parked and
 * queues its answer from there. The raw request target comes from the URI
 * log callback, so routing decodes it itself, and a Function URL sees the
 * path and query as the client sent them. */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator/internal.h"

typedef struct front_daemon {
    struct emu_front *f;
    unsigned li;                  /* its loop */
    struct MHD_Daemon *d;
    fl_mhd *mhd;
    char url[96];                 /* the loop's own address (its second daemon) */
} front_daemon;

struct emu_front {
    emu *e;
    front_daemon *d;              /* on the emulator's address, one per loop; then one of each loop's own */
    unsigned n;
};

/* The pool of headers and buffers of one request: libmicrohttpd clears it
 * for every request, so it is as small as the headers allow. */
#define FRONT_CONN_MEMORY (64u << 10)

#define URI_MAX 16384

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    front_daemon *fd = cls;
    emu_req *r = fl_xcalloc(1, sizeof *r);
    r->e = fd->f->e;
    r->c = c;
    r->mhd = fd->mhd;
    r->li = fd->li;
    r->uri = fl_xstrndup(uri, strnlen(uri, URI_MAX));
    r->uri_too_long = strlen(r->uri) >= URI_MAX;
    emu_new_uuid(r->id);
    return r;
}

static bool is_logs_call(emu_req *r)
{
    const char *target = emu_header(r->c, "X-Amz-Target");
    return !strcmp(r->method, "POST") && (!strcmp(r->uri, "/") || !strncmp(r->uri, "/?", 2)) && target &&
           fl_str_has_prefix(target, "Logs_20140328.");
}

/* What a request may send, by operation. */
static size_t body_limit(emu_req *r)
{
    switch (r->route.op) {
    case EMU_OP_CREATE_FUNCTION:
    case EMU_OP_UPDATE_FUNCTION_CODE:
    case EMU_OP_PUBLISH_LAYER_VERSION:
        return EMU_CODE_REQUEST_MAX;
    case EMU_OP_INVOKE: {
        const char *type = emu_header(r->c, "X-Amz-Invocation-Type");
        return type && !strcmp(type, "Event") ? EMU_ASYNC_PAYLOAD_MAX : EMU_INVOKE_PAYLOAD_MAX;
    }
    case EMU_OP_INVOKE_STREAM:
        return EMU_INVOKE_PAYLOAD_MAX;
    default:
        return r->kind == EMU_REQ_URL ? EMU_INVOKE_PAYLOAD_MAX : EMU_API_BODY_MAX;
    }
}

int emu_reply_too_large(emu_req *r)
{
    if (r->kind == EMU_REQ_URL)
        return emu_reply_url_error(r, 413, "Request Entity Too Large");
    bool invoke = r->route.op == EMU_OP_INVOKE || r->route.op == EMU_OP_INVOKE_STREAM;
    return emu_reply_error(r, 413, invoke ? "RequestTooLargeException" : "RequestEntityTooLargeException",
                           "Request must be smaller than %zu bytes for the %s operation", r->limit,
                           invoke ? "InvokeFunction" : emu_op_name(r->route.op));
}

static void classify(emu_req *r)
{
    char id[EMU_URL_ID_LEN + 1];
    if (emu_url_host_id(emu_header(r->c, "Host"), id)) {
        r->kind = EMU_REQ_URL;
        snprintf(r->url_id, sizeof r->url_id, "%s", id);
    } else if (fl_str_has_prefix(r->uri, EMU_URL_PATH_PREFIX)) {
        r->kind = EMU_REQ_URL;
    } else if (is_logs_call(r)) {
        r->kind = EMU_REQ_LOGS;
        r->route.op = EMU_OP_LOGS;
    } else {
        r->kind = EMU_REQ_API;
        emu_route_api(r->method, r->uri, &r->route);
    }
}

static int first_call(emu_req *r)
{
    if (r->uri_too_long) {
        r->answered = true;
        return emu_reply_error(r, 414, "RequestUriTooLongException", "The request target is longer than %u bytes",
                               URI_MAX);
    }
    classify(r);
    if (r->kind == EMU_REQ_API && r->route.op == EMU_OP_UNKNOWN) {
        r->answered = true;
        return emu_reply_error(r, 404, "UnknownOperationException", "Unknown operation: %.16s %.200s", r->method,
                               r->uri);
    }
    if (r->kind != EMU_REQ_URL && emu_query_parse(r->uri, &r->query)) {
        r->answered = true;
        return emu_reply_error(r, 400, "ValidationException", "The query string is malformed or has more than %u "
                               "parameters", EMU_QUERY_MAX);
    }
    r->limit = body_limit(r);
    const char *cl = emu_header(r->c, "Content-Length");
    uint64_t len;
    if (cl && fl_parse_u64(cl, UINT64_MAX, &len) == 0 && len > r->limit) {
        r->answered = true;
        return emu_reply_too_large(r); /* before the body is sent (Expect: 100-continue) */
    }
    if (r->kind != EMU_REQ_URL && emu_auth_precheck(r)) {
        r->answered = true;
        return r->auth_rc;
    }
    return MHD_YES;
}

static void work(void *ud)
{
    emu_req *r = ud;
    r->work_rc = r->work(r);
    fl_mhd_resume(r->mhd, r->c); /* with its answer queued, or to be closed */
}

static int worked(emu_req *r)
{
    return MHD_NO; /* the work queued no answer: its connection is closed */
}

int emu_front_offload(emu_req *r, int (*fn)(emu_req *r))
{
    r->work = fn;
    r->resume = worked;
    MHD_suspend_connection(r->c);
    fl_pool_run(r->e->pool, work, r);
    return MHD_YES;
}

void emu_front_park(emu_req *r, int (*resume)(emu_req *r))
{
    r->resume = resume;
    MHD_suspend_connection(r->c);
}

/* Invoke (RequestResponse) and Function URLs run here, on the loop: they
 * only wait, and they park for that. */
static bool on_loop(emu_req *r)
{
    if (r->kind == EMU_REQ_URL)
        return true;
    if (r->kind != EMU_REQ_API || r->route.op != EMU_OP_INVOKE)
        return false;
    const char *type = emu_header(r->c, "X-Amz-Invocation-Type");
    return !type || !strcmp(type, "RequestResponse");
}

static int final_call(emu_req *r)
{
    if (r->too_large)
        return emu_reply_too_large(r);
    if (r->kind != EMU_REQ_URL && emu_auth_verify(r))
        return r->auth_rc;
    if (!on_loop(r))
        return emu_front_offload(r, r->kind == EMU_REQ_LOGS ? emu_logs_api : emu_api_dispatch);
    return r->kind == EMU_REQ_URL ? emu_url_serve(r) : emu_api_invoke(r);
}

static enum MHD_Result front_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                    const char *version, const char *data, size_t *size, void **con_cls)
{
    emu_req *r = *con_cls;
    if (!r->started) {
        r->started = true;
        r->c = c;
        r->method = method;
        return (enum MHD_Result)first_call(r);
    }
    if (r->resume) { /* its connection was parked, and is resumed */
        int (*resume)(emu_req *) = r->resume;
        r->resume = NULL;
        return (enum MHD_Result)resume(r);
    }
    if (r->answered) {
        *size = 0; /* drop what follows an early answer */
        return MHD_YES;
    }
    if (*size) {
        if (!r->too_large) {
            if (r->body.len + *size > r->limit) {
                r->too_large = true;
                fl_buf_free(&r->body);
            } else {
                fl_buf_expect(&r->body, emu_header(c, "Content-Length"), r->limit);
                fl_buf_append(&r->body, data, *size);
            }
        }
        *size = 0;
        return MHD_YES;
    }
    r->answered = true;
    return (enum MHD_Result)final_call(r);
}

static void front_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    emu_req *r = *con_cls;
    if (!r)
        return;
    emu_call_free(r);
    emu_url_stream_free(r);
    fl_buf_free(&r->body);
    emu_query_free(&r->query);
    free(r->uri);
    free(r);
    *con_cls = NULL;
}

/* Each loop runs two daemons: one on the emulator's address (every loop
 * accepts from the same socket, so connections spread over the loops) and
 * one on an address of its own, for an embedder whose client runs on that
 * loop (the provider), so that its invokes never change threads. */
static void attach(void *ud)
{
    front_daemon *fd = ud;
    fl_err err;
    fd->mhd = fl_mhd_attach(fd->f->e->loops[fd->li], fd->d, &err);
    if (!fd->mhd)
        fl_error("%s", err.msg);
}

static int start_daemon(front_daemon *fd, int listen_fd, fl_err *err)
{
    emu *e = fd->f->e;
    fd->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                             front_access, fd, MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_URI_LOG_CALLBACK,
                             uri_log, fd, MHD_OPTION_NOTIFY_COMPLETED, front_completed, fd,
                             MHD_OPTION_CONNECTION_LIMIT, 512u, MHD_OPTION_CONNECTION_TIMEOUT, 120u,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)FRONT_CONN_MEMORY,
                             MHD_OPTION_EXTERNAL_LOGGER, fl_log_mhd, (void *)"libmicrohttpd", MHD_OPTION_END);
    if (!fd->d) {
        close(listen_fd);
        return fl_fail(err, "starting the API server failed");
    }
    fl_loop_call(e->loops[fd->li], attach, fd);
    return fd->mhd ? 0 : fl_fail(err, "running the API server on its loop failed");
}

emu_front *emu_front_start(const int *listen_fds, emu *e, fl_err *err)
{
    emu_front *f = fl_xcalloc(1, sizeof *f);
    f->e = e;
    f->n = 2 * e->nloops;
    f->d = fl_xcalloc(f->n, sizeof *f->d);
    e->front = f;
    struct sockaddr_storage ss;
    unsigned sslen;
    fl_sockaddr_ip("127.0.0.1", 0, &ss, &sslen);
    for (unsigned i = 0; i < f->n; i++) {
        front_daemon *fd = &f->d[i];
        fd->f = f;
        fd->li = i % e->nloops;
        int s = -1;
        if (i < e->nloops)
            s = listen_fds[i];
        else if (fl_listen_socket(&ss, sslen, &s, err) == 0)
            emu_socket_url(s, fd->url, sizeof fd->url);
        if (s < 0 || start_daemon(fd, s, err)) {
            for (unsigned k = i + 1; k < e->nloops; k++)
                close(listen_fds[k]);
            emu_front_stop(f);
            e->front = NULL;
            return NULL;
        }
    }
    return f;
}

const char *emu_loop_url(const emu *e, unsigned i)
{
    return e->front && i < e->nloops ? e->front->d[e->nloops + i].url : e->url;
}

static void stop(void *ud)
{
    front_daemon *fd = ud;
    fl_mhd_detach(fd->mhd);
    MHD_stop_daemon(fd->d);
}

/* Every parked connection has been resumed by now: the functions have
 * ended their invokes, the pool has finished its work. */
void emu_front_stop(emu_front *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < f->n; i++)
        if (f->d[i].d) {
            if (f->d[i].mhd)
                fl_loop_call(f->e->loops[f->d[i].li], stop, &f->d[i]);
            else
                MHD_stop_daemon(f->d[i].d);
        }
    free(f->d);
    free(f);
}
