/* The Runtime API (2018-06-01) of one sandbox, as RIE implements it
 * (lambda-runtime.md §1.1-1.3): /next hands out invokes, /response and
 * /error answer them, /init/error fails the init. The Extensions API shares
 * the server (extensions_api.c).
 *
 * One thread per connection: /next and /extension/event/next block their
 * thread until there is something to hand out; they wake on the sandbox's
 * (or the function's) condition and notice a caller that went away. Every byte from the runtime is bounded:
 * bodies by the Lambda limits, headers by libmicrohttpd's memory limit. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "shim/shim.h"

#define WAIT_SLICE_US 250000u

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

/* GET /runtime/invocation/next: blocks (no timeout, as on Lambda) until
 * an invoke is queued for this function. Meanwhile the sandbox is idle:
 * the first in line for the next invoke, and frozen after a while. */
static int handle_next(emu_sandbox *sb, struct MHD_Connection *c)
{
    emu_function *fn = sb->fn;
    pthread_mutex_lock(&fn->mu);
    if (!sb->initialized)
        mark_initialized(sb);
    emu_invoke *cur = sb->current;
    if (cur && (cur->state == EMU_INV_RUNNING || cur->state == EMU_INV_RESPONDING)) {
        char id[sizeof cur->id];
        snprintf(id, sizeof id, "%s", cur->id);
        pthread_mutex_unlock(&fn->mu);
        return emu_respond_rapi_error(c, 403, "InvalidStateTransition",
                                      "State transition from Running to Next failed for runtime. Error: invocation "
                                      "%s has no response yet; post its /response or /error first",
                                      id);
    }
    sb->next_waiters++;
    sb->busy_until_us = 0; /* a stale timer only makes the controller look again */
    while (!sb->closing && !can_dispatch(sb)) {
        emu_pool_idle_push(fn, sb);
        emu_cond_wait_until(&sb->cond, &fn->mu, fl_mono_us() + WAIT_SLICE_US);
        if (sb->closing || can_dispatch(sb))
            break;
        pthread_mutex_unlock(&fn->mu);
        bool alive = emu_peer_alive(c);
        pthread_mutex_lock(&fn->mu);
        if (!alive)
            break;
    }
    emu_pool_idle_remove(fn, sb);
    sb->next_waiters--;
    if (sb->closing || !can_dispatch(sb)) {
        pthread_mutex_unlock(&fn->mu);
        return MHD_NO; /* sandbox going away, or the caller left: drop the connection */
    }
    emu_sandbox_thaw(sb);
    emu_invoke *inv = emu_dispatch(sb);
    fl_headers h = {0};
    next_headers(sb, inv, &h);
    fl_buf body = {0};
    fl_buf_append(&body, inv->payload.data ? inv->payload.data : "", inv->payload.len);
    pthread_mutex_unlock(&fn->mu);
    int rc = emu_respond(c, 200, "application/json", &body, &h);
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
    return MHD_YES;
}

static void body_chunk(emu_sandbox *sb, emu_rapi_req *r, const char *data, size_t n)
{
    if (r->too_large)
        return;
    if (r->to_stream && r->inv->stream->total + n <= r->limit) {
        emu_stream_write(r->inv->stream, data, n, true); /* a reader that left: the bytes go nowhere */
        return;
    }
    if (!r->to_stream && r->body.len + n <= r->limit) {
        fl_buf_append(&r->body, data, n);
        return;
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
        return handle_next(sb, c);
    case EMU_RAPI_EXT_NEXT:
        return emu_ext_next(sb, c);
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
        r->route = emu_route_rapi(method, url, r->id);
        return (enum MHD_Result)first_call(sb, c, r, method, url);
    }
    if (r->answered) {
        *size = 0; /* a response is already queued: drop the rest */
        return MHD_YES;
    }
    if (*size) {
        body_chunk(sb, r, data, *size);
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

struct MHD_Daemon *emu_rapi_start(emu_sandbox *sb, int listen_fd, fl_err *err)
{
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, rapi_access, sb, MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_NOTIFY_COMPLETED, rapi_completed, sb,
        MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_EXTERNAL_LOGGER,
        fl_log_mhd, (void *)"libmicrohttpd", MHD_OPTION_END);
    if (!d)
        fl_fail(err, "starting the Runtime API server for sandbox %u failed", sb->seq);
    return d;
}
