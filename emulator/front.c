/* The front door: one HTTP server on a loopback address for everything the
 * emulator serves: the Lambda REST API, the CloudWatch Logs subset
 * (X-Amz-Target: Logs_20140328.*) and the functions' URLs (by host name or
 * under /lambda-url/NAME/). One thread per connection (libmicrohttpd); an
 * invoke's thread waits for its result, which the function guarantees by
 * its deadline. The raw request target comes from the URI log callback, so
 * routing decodes it itself, and a Function URL sees the path and query as
 * the client sent them. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

struct emu_front {
    struct MHD_Daemon *d;
    emu *e;
};

#define URI_MAX 16384

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    emu_req *r = fl_xcalloc(1, sizeof *r);
    r->e = cls;
    r->c = c;
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

static int final_call(emu_req *r)
{
    if (r->too_large)
        return emu_reply_too_large(r);
    if (r->kind != EMU_REQ_URL && emu_auth_verify(r))
        return r->auth_rc;
    switch (r->kind) {
    case EMU_REQ_URL:
        return emu_url_serve(r);
    case EMU_REQ_LOGS:
        return emu_logs_api(r);
    case EMU_REQ_API:
        break;
    }
    return emu_api_dispatch(r);
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
    fl_buf_free(&r->body);
    emu_query_free(&r->query);
    free(r->uri);
    free(r);
    *con_cls = NULL;
}

emu_front *emu_front_start(int listen_fd, emu *e, fl_err *err)
{
    emu_front *f = fl_xcalloc(1, sizeof *f);
    f->e = e;
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                                MHD_USE_ERROR_LOG,
                            0, NULL, NULL, front_access, f, MHD_OPTION_LISTEN_SOCKET, listen_fd,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_log, e, MHD_OPTION_NOTIFY_COMPLETED, front_completed,
                            f, MHD_OPTION_CONNECTION_LIMIT, 512u, MHD_OPTION_CONNECTION_TIMEOUT, 120u,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_EXTERNAL_LOGGER,
                            fl_log_mhd, (void *)"libmicrohttpd", MHD_OPTION_END);
    if (!f->d) {
        free(f);
        fl_fail(err, "starting the API server failed");
        return NULL;
    }
    return f;
}

void emu_front_stop(emu_front *f)
{
    if (!f)
        return;
    MHD_stop_daemon(f->d);
    free(f);
}
