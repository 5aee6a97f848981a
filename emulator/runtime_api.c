/* The Runtime API (2018-06-01) of one sandbox, as RIE implements it
 * (lambda-runtime.md §1.1-1.3): /next hands out invokes, /response and
 * /error answer them, /init/error fails the init. The Extensions API shares
 * the server (extensions_api.c).
 *
 * The server runs on the emulator's event loop, like the front door: an
 * invoke arrives and is handed to the runtime's /next on the same thread,
 * and the runtime's /response reaches the waiting caller the same way. A
 * /next (or event/next) with nothing to hand out parks its connection; the
 * sandbox is kicked when that may have changed, and a caller that hangs up
 * meanwhile is noticed (its socket is watched while parked). Every byte from
 * the runtime is bounded: bodies by the Lambda limits, headers by
 * libmicrohttpd's memory limit. */
#include <errno.h>
#include <microhttpd.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "shim/shim.h"

/* The pool a request's headers and buffers live in: libmicrohttpd clears it
 * for every request, so it is kept small. */
#define RAPI_CONN_MEMORY (32u << 10)

static const char *const streaming_mode = "streaming";

static bool can_dispatch(const emu_sandbox *sb)
{
    const emu_function *fn = sb->fn;
    return !sb->doomed && !sb->killed && !sb->current && fn->q_head && !fn->stopping;
}

static void mark_initialized(emu_sandbox *sb)
{
    sb->initialized = true;
    sb->cold = true;
    sb->init_ms = (double)(fl_mono_us() - sb->spawn_us) / 1000.0;
}

static void next_headers(const emu_sandbox *sb, const emu_invoke *inv, fl_headers *h)
{
    char deadline[32];
    snprintf(deadline, sizeof deadline, "%llu", (unsigned long long)inv->deadline_ms);
    fl_headers_add(h, "Lambda-Runtime-Aws-Request-Id", inv->id);
    fl_headers_add(h, "Lambda-Runtime-Deadline-Ms", deadline);
    fl_headers_add(h, "Lambda-Runtime-Invoked-Function-Arn", sb->fn->conf.arn);
    fl_headers_add(h, "Lambda-Runtime-Trace-Id", inv->trace_id);
    if (inv->client_context)
        fl_headers_add(h, "Lambda-Runtime-Client-Context", inv->client_context);
}

/* A parked long poll: its socket is watched, so that a caller that hangs
 * up is dropped at once (as a blocked thread noticed it), not when an
 * invoke is handed to a dead connection. Loop thread. */
static void hung_up(void *ud, uint32_t events)
{
    emu_rapi_req *r = ud;
    emu_sandbox *sb = r->sb;
    (void)events;
    pthread_mutex_lock(&sb->fn->mu);
    char b;
    ssize_t n = recv(r->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        r->dropped = true; /* its handler closes it */
        emu_rapi_unpark(r);
        emu_function_wake(sb->fn); /* a queued invoke may need another sandbox now */
    } else if (n > 0) {
        fl_loop_unwatch(sb->loop, r->fd); /* talking, so alive: stop looking */
    }
    pthread_mutex_unlock(&sb->fn->mu);
}

void emu_rapi_park(emu_rapi_req *r)
{
    r->parked = true;
    r->fd = emu_conn_fd(r->c);
    MHD_suspend_connection(r->c);
    fl_loop_watch(r->sb->loop, r->fd, FL_LOOP_IN | FL_LOOP_RDHUP, hung_up, r);
}

void emu_rapi_unpark(emu_rapi_req *r)
{
    if (!r->parked)
        return;
    r->parked = false;
    fl_loop_unwatch(r->sb->loop, r->fd);
    fl_mhd_resume(r->sb->rapi_mhd, r->c);
}

/* Loop thread: every parked call of the sandbox that can go on now (an
 * invoke to hand out, an event, the end) is resumed; its handler looks. */
static void kick(void *ud)
{
    emu_sandbox *sb = ud;
    emu_function *fn = sb->fn;
    pthread_mutex_lock(&fn->mu);
    emu_rapi_req *r = sb->next_req;
    if (r && r->parked && (sb->closing || r->dropped || can_dispatch(sb)))
        emu_rapi_unpark(r);
    else if (r && r->parked && !sb->doomed && !sb->killed && !fn->stopping)
        emu_pool_idle_push(fn, sb); /* popped for an invoke another runtime took first: idle again */
    for (size_t i = 0; i < sb->next_ext; i++) {
        r = sb->ext[i].waiting;
        if (r && r->parked && (sb->closing || r->dropped || sb->ext[i].head))
            emu_rapi_unpark(r);
    }
    pthread_mutex_unlock(&fn->mu);
}

void emu_rapi_kick(emu_sandbox *sb)
{
    fl_loop_post(sb->loop, kick, sb);
}

static void unref_invoke(void *cls)
{
    emu_invoke_unref(cls);
}

/* GET /runtime/invocation/next: answered when an invoke is queued for
 * this function (no timeout, as on Lambda). Meanwhile the call is parked
 * and the sandbox is idle: the first in line for the next invoke, and
 * frozen after a while. A newer /next of the same runtime replaces it. */
static int handle_next(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r)
{
    emu_function *fn = sb->fn;
    pthread_mutex_lock(&fn->mu);
    if (!sb->initialized)
        mark_initialized(sb);
    emu_invoke *cur = sb->current;
    if (!r->dropped && cur && (cur->state == EMU_INV_RUNNING || cur->state == EMU_INV_RESPONDING)) {
        char id[sizeof cur->id];
        snprintf(id, sizeof id, "%s", cur->id);
        pthread_mutex_unlock(&fn->mu);
        return emu_respond_rapi_error(c, 403, "InvalidStateTransition",
                                      "State transition from Running to Next failed for runtime. Error: invocation "
                                      "%s has no response yet; post its /response or /error first",
                                      id);
    }
    if (sb->next_req && sb->next_req != r) { /* the runtime gave up on that one */
        sb->next_req->dropped = true;
        emu_rapi_unpark(sb->next_req);
        sb->next_req = NULL;
    }
    if (!sb->closing && !r->dropped && !can_dispatch(sb)) {
        sb->next_req = r;
        sb->next_waiters = 1;
        sb->busy_until_us = 0; /* a stale timer only makes the controller look again */
        emu_pool_idle_push(fn, sb);
        emu_rapi_park(r);
        pthread_mutex_unlock(&fn->mu);
        return MHD_YES;
    }
    if (sb->next_req == r) {
        sb->next_req = NULL;
        sb->next_waiters = 0;
        emu_pool_idle_remove(fn, sb);
    }
    if (sb->closing || r->dropped) {
        pthread_mutex_unlock(&fn->mu);
        return MHD_NO; /* sandbox going away, or the caller left: drop the connection */
    }
    emu_pool_idle_remove(fn, sb);
    emu_sandbox_thaw(sb);
    emu_invoke *inv = emu_invoke_ref(emu_dispatch(sb));
    fl_headers h = {0};
    next_headers(sb, inv, &h);
    pthread_mutex_unlock(&fn->mu);
    /* the event is sent from the invoke's own bytes (no copy of megabytes),
     * which the response keeps alive */
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        inv->payload.len, inv->payload.data ? inv->payload.data : (void *)"", unref_invoke, inv);
    if (!resp)
        emu_invoke_unref(inv);
    int rc = emu_respond_with(c, 200, resp, "application/json", &h);
    fl_headers_free(&h);
    return rc;
}

static void too_large_doc(fl_buf *doc, size_t limit)
{
    char msg[160];
    snprintf(msg, sizeof msg, "Response payload size exceeded maximum allowed payload size (%zu bytes).", limit);
    emu_error_doc(doc, "Function.ResponseSizeTooLarge", msg);
}

/* Fails the invoke because the runtime's body is over the limit. fn->mu held. */
static void fail_too_large(emu_sandbox *sb, emu_invoke *inv, size_t limit)
{
    fl_buf doc = {0};
    too_large_doc(&doc, limit);
    emu_complete(sb, inv, EMU_RES_ERROR, "Function.ResponseSizeTooLarge", &doc, "error");
}

static int respond_too_large(struct MHD_Connection *c, size_t limit)
{
    return emu_respond_rapi_error(c, 413, "RequestEntityTooLarge", "Exceeded maximum allowed payload size (%zu bytes).",
                                  limit);
}

/* A runtime that hangs up in the middle of its /response body: with its
 * bytes and the end of the connection arriving together, libmicrohttpd
 * (edge-triggered epoll) may read the bytes and never look again, so the
 * body would wait for ever. The socket is watched for the hang-up while
 * the body comes; once everything sent has been read and the peer is gone,
 * shutting our side down makes libmicrohttpd see the end: the request ends
 * unfinished (Runtime.TruncatedResponse). Loop thread. */
static void body_hung_up(void *ud, uint32_t events)
{
    emu_rapi_req *r = ud;
    (void)events;
    int unread = 0;
    if (ioctl(r->body_fd, FIONREAD, &unread) == 0 && unread > 0)
        return; /* libmicrohttpd has bytes to read first: it sees the end itself */
    shutdown(r->body_fd, SHUT_RDWR);
    fl_loop_unwatch(r->sb->loop, r->body_fd);
    r->body_fd = -1;
}

static void watch_body(emu_rapi_req *r)
{
    r->body_fd = emu_conn_fd(r->c);
    if (r->body_fd >= 0)
        fl_loop_watch(r->sb->loop, r->body_fd, FL_LOOP_RDHUP, body_hung_up, r);
}

static void unwatch_body(emu_rapi_req *r)
{
    if (r->body_fd >= 0)
        fl_loop_unwatch(r->sb->loop, r->body_fd);
    r->body_fd = -1;
}

/* First call of /response or /error: the id must be the invoke in progress. */
static int claim(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r)
{
    emu_function *fn = sb->fn;
    pthread_mutex_lock(&fn->mu);
    emu_invoke *inv = sb->current;
    if (!inv || strcmp(inv->id, r->id)) {
        bool answered = !strcmp(sb->last_id, r->id);
        pthread_mutex_unlock(&fn->mu);
        r->answered = true;
        if (answered)
            return emu_respond_rapi_error(c, 403, "InvalidStateTransition",
                                          "State transition from Ready to InvocationResponse failed for runtime. "
                                          "Error: invocation %s already has a response",
                                          r->id);
        return emu_respond_rapi_error(c, 400, "InvalidRequestID", "Invalid request ID: %s is not the invocation in "
                                      "progress", r->id);
    }
    if (inv->state != EMU_INV_RUNNING) {
        pthread_mutex_unlock(&fn->mu);
        r->answered = true;
        return emu_respond_rapi_error(c, 403, "InvalidStateTransition",
                                      "State transition from InvocationResponse to InvocationResponse failed for "
                                      "runtime. Error: invocation %s already has a response",
                                      r->id);
    }
    r->limit = EMU_RESPONSE_MAX;
    if (r->route == EMU_RAPI_RESPONSE) {
        const char *mode = emu_header(c, "Lambda-Runtime-Function-Response-Mode");
        if (mode && strcmp(mode, streaming_mode)) {
            fl_buf doc = {0};
            char msg[512];
            snprintf(msg, sizeof msg, "RequestId: %s Error: invalid Lambda-Runtime-Function-Response-Mode '%.64s'; "
                     "the only mode is '%s'", inv->id, mode, streaming_mode);
            emu_error_doc(&doc, "Runtime.InvalidResponseModeHeader", msg);
            emu_complete(sb, inv, EMU_RES_ERROR, "Runtime.InvalidResponseModeHeader", &doc, "error");
            pthread_mutex_unlock(&fn->mu);
            r->answered = true;
            return emu_respond_rapi_error(c, 400, "InvalidFunctionResponseMode",
                                          "Invalid Lambda-Runtime-Function-Response-Mode '%.64s'; use '%s'", mode,
                                          streaming_mode);
        }
        r->streaming = mode != NULL;
        if (r->streaming)
            r->limit = EMU_STREAM_MAX;
        if (r->streaming && inv->stream) {
            r->to_stream = true;
            emu_stream_begin(inv->stream, emu_header(c, "Content-Type"));
        }
    }
    const char *cl = emu_header(c, "Content-Length");
    uint64_t len;
    if (cl && fl_parse_u64(cl, UINT64_MAX, &len) == 0 && len > r->limit) {
        fail_too_large(sb, inv, r->limit);
        pthread_mutex_unlock(&fn->mu);
        r->answered = true;
        return respond_too_large(c, r->limit);
    }
    inv->state = EMU_INV_RESPONDING;
    r->inv = emu_invoke_ref(inv);
    pthread_mutex_unlock(&fn->mu);
    watch_body(r);
    return MHD_YES;
}

/* One piece of the body; false when the connection was parked (the
 * stream's reader is behind): then the piece is taken when it is resumed. */
static bool body_chunk(emu_sandbox *sb, emu_rapi_req *r, struct MHD_Connection *c, const char *data, size_t n)
{
    if (r->too_large)
        return true;
    if (r->to_stream && r->inv->stream->total + n <= r->limit) {
        if (emu_stream_park_writer(r->inv->stream, sb->rapi_mhd, c))
            return false;
        emu_stream_write(r->inv->stream, data, n, false); /* a reader that left: the bytes go nowhere */
        return true;
    }
    if (!r->to_stream && r->body.len + n <= r->limit) {
        fl_buf_expect(&r->body, emu_header(c, "Content-Length"), r->limit);
        fl_buf_append(&r->body, data, n);
        return true;
    }
    /* Over the limit: the caller learns now; the runtime gets its 413 when it
     * finishes sending (the rest is read and dropped). */
    r->too_large = true;
    fl_buf_free(&r->body);
    if (r->inv) {
        pthread_mutex_lock(&sb->fn->mu);
        fail_too_large(sb, r->inv, r->limit);
        pthread_mutex_unlock(&sb->fn->mu);
    }
    return true;
}

/* The error a runtime reported in HTTP trailers of its response. */
static bool trailer_error(struct MHD_Connection *c, fl_buf *doc, char type[EMU_ERROR_TYPE_MAX])
{
    const char *t = MHD_lookup_connection_value(c, MHD_FOOTER_KIND, "Lambda-Runtime-Function-Error-Type");
    if (!t)
        return false;
    const char *b64 = MHD_lookup_connection_value(c, MHD_FOOTER_KIND, "Lambda-Runtime-Function-Error-Body");
    fl_buf body = {0};
    fl_err err;
    if (b64 && shim_base64_decode(b64, strlen(b64), &body, &err))
        fl_buf_free(&body); /* undecodable: fall back to the type alone */
    emu_error_from_runtime(t, body.data, body.len, doc, type);
    fl_buf_free(&body);
    return true;
}

static int finish_response(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r)
{
    unwatch_body(r);
    if (r->too_large)
        return respond_too_large(c, r->limit);
    emu_function *fn = sb->fn;
    fl_buf doc = {0};
    char type[EMU_ERROR_TYPE_MAX];
    bool failed = r->route == EMU_RAPI_ERROR;
    if (failed)
        emu_error_from_runtime(emu_header(c, "Lambda-Runtime-Function-Error-Type"), r->body.data, r->body.len, &doc,
                               type);
    else
        failed = trailer_error(c, &doc, type);
    pthread_mutex_lock(&fn->mu);
    bool ours = r->inv->state == EMU_INV_RESPONDING;
    if (ours && failed)
        emu_complete(sb, r->inv, EMU_RES_ERROR, type, &doc, NULL);
    else if (ours)
        emu_complete(sb, r->inv, EMU_RES_OK, NULL, &r->body, NULL);
    pthread_mutex_unlock(&fn->mu);
    fl_buf_free(&doc);
    if (!ours)
        return emu_respond_rapi_error(c, 403, "InvalidStateTransition",
                                      "invocation %s already ended (timed out or failed) before this %s arrived", r->id,
                                      r->route == EMU_RAPI_ERROR ? "error" : "response");
    fl_buf ok = {0};
    fl_buf_puts(&ok, "{\"status\":\"OK\"}");
    return emu_respond(c, 202, "application/json", &ok, NULL);
}

/* POST /runtime/init/error: the init failed; the invoke that is waiting
 * for this sandbox gets the error, and the sandbox is replaced. */
static int finish_init_error(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r)
{
    emu_function *fn = sb->fn;
    fl_buf doc = {0};
    char type[EMU_ERROR_TYPE_MAX];
    emu_error_from_runtime(emu_header(c, "Lambda-Runtime-Function-Error-Type"), r->body.data, r->body.len, &doc, type);
    pthread_mutex_lock(&fn->mu);
    if (sb->initialized || sb->doomed) {
        pthread_mutex_unlock(&fn->mu);
        fl_buf_free(&doc);
        return emu_respond_rapi_error(c, 403, "InvalidStateTransition",
                                      "State transition from Ready to InitError failed for runtime. Error: "
                                      "/runtime/init/error is only accepted before the first /next");
    }
    fl_warn("sandbox %u: the runtime reported an init error (%s); the sandbox is replaced on the next invoke", sb->seq,
            type);
    sb->doomed = true;
    sb->kill_at_us = fl_mono_us() + EMU_INIT_ERROR_GRACE_US;
    emu_invoke *pending = sb->log_target && sb->log_target->state == EMU_INV_QUEUED ? sb->log_target : fn->q_head;
    emu_log_init_report(sb, "error", type);
    if (pending)
        emu_fail_queued(fn, pending, EMU_RES_ERROR, type, &doc);
    emu_function_wake(fn);
    pthread_mutex_unlock(&fn->mu);
    fl_buf_free(&doc);
    fl_buf ok = {0};
    fl_buf_puts(&ok, "{\"status\":\"OK\"}");
    return emu_respond(c, 202, "application/json", &ok, NULL);
}

static int first_call(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r, const char *method, const char *url)
{
    switch (r->route) {
    case EMU_RAPI_NOT_FOUND:
        r->answered = true;
        return emu_respond_rapi_error(c, 404, "InvalidRequest", "No such Runtime API operation: %.16s %.200s",
                                      method, url);
    case EMU_RAPI_BAD_METHOD:
        r->answered = true;
        return emu_respond_rapi_error(c, 405, "MethodNotAllowed", "%.16s is not allowed on %.200s", method, url);
    case EMU_RAPI_BAD_ID:
        r->answered = true;
        return emu_respond_rapi_error(c, 400, "InvalidRequestID", "Invalid request ID in %.200s", url);
    case EMU_RAPI_NEXT:
    case EMU_RAPI_EXT_NEXT:
        /* Answered in the final call: libmicrohttpd closes a connection whose
         * response was queued before the request was fully read, and the
         * runtime's one connection must stay open. */
        return MHD_YES;
    case EMU_RAPI_RESPONSE:
    case EMU_RAPI_ERROR:
        return claim(sb, c, r);
    case EMU_RAPI_INIT_ERROR:
    case EMU_RAPI_EXT_INIT_ERROR:
    case EMU_RAPI_EXT_EXIT_ERROR:
        r->limit = EMU_ERROR_BODY_MAX;
        return MHD_YES;
    case EMU_RAPI_EXT_REGISTER:
        r->limit = EMU_SMALL_BODY_MAX;
        return MHD_YES;
    }
    return MHD_NO;
}

static int final_call(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r)
{
    switch (r->route) {
    case EMU_RAPI_NEXT:
        return handle_next(sb, c, r);
    case EMU_RAPI_EXT_NEXT:
        return emu_ext_next(sb, c, r);
    case EMU_RAPI_RESPONSE:
    case EMU_RAPI_ERROR:
        return finish_response(sb, c, r);
    case EMU_RAPI_INIT_ERROR:
        if (r->too_large)
            return respond_too_large(c, r->limit);
        return finish_init_error(sb, c, r);
    case EMU_RAPI_EXT_REGISTER:
        if (r->too_large)
            return respond_too_large(c, r->limit);
        return emu_ext_register(sb, c, r);
    case EMU_RAPI_EXT_INIT_ERROR:
    case EMU_RAPI_EXT_EXIT_ERROR:
        if (r->too_large)
            return respond_too_large(c, r->limit);
        return emu_ext_error(sb, c, r);
    default:
        return MHD_NO;
    }
}

static enum MHD_Result rapi_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                   const char *version, const char *data, size_t *size, void **con_cls)
{
    emu_sandbox *sb = cls;
    emu_rapi_req *r = *con_cls;
    if (!r) {
        r = fl_xcalloc(1, sizeof *r);
        *con_cls = r;
        r->sb = sb;
        r->c = c;
        r->fd = r->body_fd = -1;
        r->route = emu_route_rapi(method, url, r->id);
        return (enum MHD_Result)first_call(sb, c, r, method, url);
    }
    if (r->answered && (r->route == EMU_RAPI_NEXT || r->route == EMU_RAPI_EXT_NEXT) && !*size)
        return (enum MHD_Result)final_call(sb, c, r); /* a parked long poll, resumed */
    if (r->answered) {
        *size = 0; /* a response is already queued: drop the rest */
        return MHD_YES;
    }
    if (*size) {
        if (body_chunk(sb, r, c, data, *size))
            *size = 0;
        return MHD_YES;
    }
    r->answered = true;
    return (enum MHD_Result)final_call(sb, c, r);
}

/* A response that never completed (the runtime died or hung up mid-body)
 * leaves the invoke without a result: Runtime.TruncatedResponse. */
static void rapi_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    emu_sandbox *sb = cls;
    emu_rapi_req *r = *con_cls;
    if (!r)
        return;
    unwatch_body(r);
    pthread_mutex_lock(&sb->fn->mu);
    if (sb->next_req == r) {
        sb->next_req = NULL;
        sb->next_waiters = 0;
        emu_pool_idle_remove(sb->fn, sb);
    }
    if (r->ext && r->ext->waiting == r)
        r->ext->waiting = NULL;
    pthread_mutex_unlock(&sb->fn->mu);
    if (r->inv) {
        pthread_mutex_lock(&sb->fn->mu);
        if (r->inv->state == EMU_INV_RESPONDING) {
            fl_buf doc = {0};
            char msg[256];
            snprintf(msg, sizeof msg, "RequestId: %s Error: the runtime's %s ended before it was complete",
                     r->inv->id, r->route == EMU_RAPI_ERROR ? "error" : "response");
            emu_error_doc(&doc, "Runtime.TruncatedResponse", msg);
            emu_complete(sb, r->inv, EMU_RES_ERROR, "Runtime.TruncatedResponse", &doc, "error");
        }
        pthread_mutex_unlock(&sb->fn->mu);
        emu_invoke_unref(r->inv);
    }
    (void)toe;
    fl_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

typedef struct rapi_op {
    emu_sandbox *sb;
    fl_err *err;
    int rc;
} rapi_op;

static void attach(void *ud)
{
    rapi_op *op = ud;
    op->sb->rapi_mhd = fl_mhd_attach(op->sb->loop, op->sb->rapi, op->err);
    op->rc = op->sb->rapi_mhd ? 0 : -1;
}

int emu_rapi_start(emu_sandbox *sb, int listen_fd, fl_err *err)
{
    sb->rapi = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0,
                                NULL, NULL, rapi_access, sb, MHD_OPTION_LISTEN_SOCKET, listen_fd,
                                MHD_OPTION_NOTIFY_COMPLETED, rapi_completed, sb, MHD_OPTION_CONNECTION_LIMIT, 64u,
                                MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                (size_t)RAPI_CONN_MEMORY, MHD_OPTION_EXTERNAL_LOGGER, fl_log_mhd,
                                (void *)"libmicrohttpd", MHD_OPTION_END);
    if (!sb->rapi)
        return fl_fail(err, "starting the Runtime API server for sandbox %u failed", sb->seq);
    rapi_op op = {sb, err, 0};
    fl_loop_call(sb->loop, attach, &op);
    if (op.rc) {
        MHD_stop_daemon(sb->rapi);
        sb->rapi = NULL;
    }
    return op.rc;
}

/* Loop thread: resumes every parked call (closing: their handlers end
 * them) and stops the server, whose connections close. */
static void stop(void *ud)
{
    emu_sandbox *sb = ud;
    pthread_mutex_lock(&sb->fn->mu);
    if (sb->next_req)
        emu_rapi_unpark(sb->next_req);
    for (size_t i = 0; i < sb->next_ext; i++)
        if (sb->ext[i].waiting)
            emu_rapi_unpark(sb->ext[i].waiting);
    fl_loop_timer_cancel(sb->loop, &sb->freeze_timer);
    pthread_mutex_unlock(&sb->fn->mu);
    fl_mhd_detach(sb->rapi_mhd);
    sb->rapi_mhd = NULL;
    MHD_stop_daemon(sb->rapi);
    sb->rapi = NULL;
}

void emu_rapi_stop(emu_sandbox *sb)
{
    if (sb->rapi)
        fl_loop_call(sb->loop, stop, sb);
}
