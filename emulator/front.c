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
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

struct emu_front {
    struct MHD_Daemon *d;
    fl_mhd *mhd;
    emu *e;
};

/* The pool of headers and buffers of one request: libmicrohttpd clears it
 * for every request, so it is as small as the headers allow. */
#define FRONT_CONN_MEMORY (64u << 10)

#define URI_MAX 16384

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    emu *e = cls;
    emu_req *r = fl_xcalloc(1, sizeof *r);
    r->e = e;
    r->c = c;
    r->mhd = e->front->mhd;
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

typedef struct front_op {
    emu_front *f;
    fl_err *err;
} front_op;

static void attach(void *ud)
{
    front_op *op = ud;
    op->f->mhd = fl_mhd_attach(op->f->e->loop, op->f->d, op->err);
}

emu_front *emu_front_start(int listen_fd, emu *e, fl_err *err)
{
    emu_front *f = fl_xcalloc(1, sizeof *f);
    f->e = e;
    e->front = f; /* requests find their daemon's driver through it */
    f->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL,
                            NULL, front_access, f, MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_URI_LOG_CALLBACK,
                            uri_log, e, MHD_OPTION_NOTIFY_COMPLETED, front_completed, f,
                            MHD_OPTION_CONNECTION_LIMIT, 512u, MHD_OPTION_CONNECTION_TIMEOUT, 120u,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)FRONT_CONN_MEMORY,
                            MHD_OPTION_EXTERNAL_LOGGER, fl_log_mhd, (void *)"libmicrohttpd", MHD_OPTION_END);
    if (!f->d) {
        e->front = NULL;
        free(f);
        fl_fail(err, "starting the API server failed");
        return NULL;
    }
    front_op op = {f, err};
    fl_loop_call(e->loop, attach, &op);
    if (!f->mhd) {
        MHD_stop_daemon(f->d);
        e->front = NULL;
        free(f);
        return NULL;
    }
    return f;
}

static void stop(void *ud)
{
    emu_front *f = ud;
    fl_mhd_detach(f->mhd);
    MHD_stop_daemon(f->d);
}

/* Every parked connection has been resumed by now: the functions have
 * ended their invokes, the pool has finished its work. */
void emu_front_stop(emu_front *f)
{
    if (!f)
        return;
    fl_loop_call(f->e->loop, stop, f);
    free(f);
}
