/* The front door: the Lambda Invoke API (POST
 * /2015-03-31/functions/{name}/invocations) on a loopback address, in the
 * shapes the AWS CLI and SDKs expect (errors: x-amzn-ErrorType header and
 * {"Type","message"} body). One thread per connection; an invoke's thread
 * waits for the result, which the function guarantees by the deadline. */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "shim/shim.h"

struct emu_front {
    struct MHD_Daemon *d;
    emu_function *fn;
};

typedef struct front_req {
    emu_front_route route;
    char ref[EMU_FN_REF_MAX];
    fl_buf body;
    bool too_large;
    bool answered;          /* a response went out in the first call */
} front_req;

static int aws_error(struct MHD_Connection *c, unsigned status, const char *type, const char *fmt, ...)
    FL_PRINTF(4, 5);

static int aws_error(struct MHD_Connection *c, unsigned status, const char *type, const char *fmt, ...)
{
    char msg[1024], id[EMU_UUID_LEN + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emu_new_uuid(id);
    fl_buf body = {0};
    emu_aws_error_body(&body, status >= 500, msg);
    fl_headers h = {0};
    fl_headers_add(&h, "x-amzn-ErrorType", type);
    fl_headers_add(&h, "X-Amzn-RequestId", id);
    int rc = emu_respond(c, status, "application/json", &body, &h);
    fl_headers_free(&h);
    return rc;
}

static int too_large(struct MHD_Connection *c)
{
    return aws_error(c, 413, "RequestTooLargeException",
                     "Request must be smaller than %u bytes for the InvokeFunction operation", EMU_INVOKE_PAYLOAD_MAX);
}

/* A header's value must be one of the allowed; default when absent. */
static const char *enum_header(struct MHD_Connection *c, const char *name, const char *const *allowed,
                               const char *def)
{
    const char *v = emu_header(c, name);
    if (!v)
        return def;
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp(v, allowed[i]))
            return allowed[i];
    return NULL;
}

/* The caller's X-Amzn-Trace-Id when it looks like one, else NULL. */
static const char *caller_trace(struct MHD_Connection *c)
{
    const char *t = emu_header(c, "X-Amzn-Trace-Id");
    if (!t || !fl_str_has_prefix(t, "Root=") || strlen(t) >= EMU_TRACE_MAX)
        return NULL;
    for (const char *p = t; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return NULL;
    return t;
}

/* X-Amz-Client-Context: base64 of a JSON object, handed to the runtime
 * decoded and compact (a header value cannot hold newlines). */
static int client_context(struct MHD_Connection *c, char **out)
{
    *out = NULL;
    const char *b64 = emu_header(c, "X-Amz-Client-Context");
    if (!b64)
        return 0;
    if (strlen(b64) > EMU_CLIENT_CONTEXT_MAX)
        return -1;
    fl_buf raw = {0};
    fl_err err;
    cJSON *doc = NULL;
    if (shim_base64_decode(b64, strlen(b64), &raw, &err) == 0)
        doc = emu_json_parse_exact(raw.data ? raw.data : "", raw.len);
    fl_buf_free(&raw);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return -1;
    }
    *out = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return *out ? 0 : -1;
}

/* Is ref this function's $LATEST? Fills the ARN to name when not. */
static bool function_matches(const emu_function *fn, const emu_fn_ref *ref, const char *qualifier, char *arn,
                             size_t n)
{
    const emu_fn_conf *conf = &fn->conf;
    const char *region = ref->region[0] ? ref->region : conf->region;
    const char *account = ref->account[0] ? ref->account : EMU_ACCOUNT;
    snprintf(arn, n, "arn:aws:lambda:%s:%s:function:%s%s%s", region, account, ref->name, *qualifier ? ":" : "",
             qualifier);
    return !strcmp(ref->name, conf->name) && !strcmp(region, conf->region) && !strcmp(account, EMU_ACCOUNT) &&
           (!*qualifier || !strcmp(qualifier, EMU_VERSION));
}

static int respond_result(struct MHD_Connection *c, emu_function *fn, emu_invoke *inv, bool tail)
{
    fl_buf body = {0}, log = {0};
    pthread_mutex_lock(&fn->mu); /* a failed cold start's sandbox may still write to the tail */
    emu_result_kind kind = inv->kind;
    body = inv->result;
    inv->result = (fl_buf){0};
    if (tail) {
        const char *p;
        size_t n;
        emu_tail_last(&inv->log_tail, EMU_LOG_TAIL, &p, &n);
        shim_base64_encode(p, n, &log);
    }
    pthread_mutex_unlock(&fn->mu);
    if (kind == EMU_RES_SERVICE) {
        int rc = aws_error(c, 500, "ServiceException", "%s", fl_buf_cstr(&body));
        fl_buf_free(&body);
        fl_buf_free(&log);
        return rc;
    }
    fl_headers h = {0};
    fl_headers_add(&h, "X-Amz-Executed-Version", EMU_VERSION);
    fl_headers_add(&h, "X-Amzn-RequestId", inv->id);
    if (kind == EMU_RES_ERROR)
        fl_headers_add(&h, "X-Amz-Function-Error", "Unhandled");
    if (tail)
        fl_headers_add(&h, "X-Amz-Log-Result", fl_buf_cstr(&log));
    int rc = emu_respond(c, 200, "application/json", &body, &h);
    fl_headers_free(&h);
    fl_buf_free(&log);
    return rc;
}

static int handle_invoke(emu_front *f, struct MHD_Connection *c, front_req *r)
{
    static const char *const types[] = {"RequestResponse", "Event", "DryRun", NULL};
    static const char *const log_types[] = {"None", "Tail", NULL};
    const char *type = enum_header(c, "X-Amz-Invocation-Type", types, "RequestResponse");
    if (!type)
        return aws_error(c, 400, "ValidationException",
                         "1 validation error detected: Value '%.64s' at 'invocationType' failed to satisfy constraint: "
                         "Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
                         emu_header(c, "X-Amz-Invocation-Type"));
    const char *log_type = enum_header(c, "X-Amz-Log-Type", log_types, "None");
    if (!log_type)
        return aws_error(c, 400, "ValidationException",
                         "1 validation error detected: Value '%.64s' at 'logType' failed to satisfy constraint: "
                         "Member must satisfy enum value set: [None, Tail]",
                         emu_header(c, "X-Amz-Log-Type"));
    emu_fn_ref ref;
    if (emu_parse_fn_ref(r->ref, &ref))
        return aws_error(c, 400, "ValidationException",
                         "1 validation error detected: Value '%.200s' at 'functionName' failed to satisfy constraint: "
                         "Member must be a function name, a function ARN or a partial ARN",
                         r->ref);
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "Qualifier");
    if (q && ref.qualifier[0] && strcmp(q, ref.qualifier))
        return aws_error(c, 400, "InvalidParameterValueException",
                         "The derived qualifier from the function name does not match the specified qualifier.");
    const char *qualifier = ref.qualifier[0] ? ref.qualifier : q ? q : "";
    char arn[1024];
    if (!function_matches(f->fn, &ref, qualifier, arn, sizeof arn))
        return aws_error(c, 404, "ResourceNotFoundException", "Function not found: %s", arn);
    if (!strcmp(type, "DryRun")) {
        fl_headers h = {0};
        char id[EMU_UUID_LEN + 1];
        emu_new_uuid(id);
        fl_headers_add(&h, "X-Amzn-RequestId", id);
        int rc = emu_respond(c, 204, NULL, NULL, &h);
        fl_headers_free(&h);
        return rc;
    }
    if (!strcmp(type, "Event"))
        return aws_error(c, 400, "InvalidParameterValueException",
                         "Asynchronous invocation (X-Amz-Invocation-Type: Event) is not supported by faas-lambda "
                         "emulate yet; invoke with RequestResponse");
    char *cc;
    if (client_context(c, &cc))
        return aws_error(c, 400, "InvalidRequestContentException",
                         "Client context must be a valid Base64-encoded JSON object of at most %u bytes.",
                         EMU_CLIENT_CONTEXT_MAX);
    if (r->body.len) {
        cJSON *doc = emu_json_parse_exact(r->body.data, r->body.len);
        if (!doc) {
            cJSON_free(cc);
            return aws_error(c, 400, "InvalidRequestContentException",
                             "Could not parse request body into json: the payload is not valid JSON");
        }
        cJSON_Delete(doc);
    }
    /* cJSON's allocator is malloc: the invoke frees the context with free() */
    emu_invoke *inv = emu_invoke_new(&r->body, cc, caller_trace(c));
    bool throttled = false;
    fl_err err;
    int rc;
    if (emu_function_invoke(f->fn, inv, &throttled, &err))
        rc = throttled ? aws_error(c, 429, "TooManyRequestsException", "Rate Exceeded.")
                       : aws_error(c, 500, "ServiceException", "%s", err.msg);
    else
        rc = respond_result(c, f->fn, inv, !strcmp(log_type, "Tail"));
    emu_invoke_unref(inv);
    return rc;
}

static enum MHD_Result front_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                    const char *version, const char *data, size_t *size, void **con_cls)
{
    emu_front *f = cls;
    front_req *r = *con_cls;
    if (!r) {
        r = fl_xcalloc(1, sizeof *r);
        *con_cls = r;
        r->route = emu_route_front(method, url, r->ref);
        r->answered = true;
        if (r->route == EMU_FRONT_UNKNOWN)
            return (enum MHD_Result)aws_error(c, 404, "UnknownOperationException", "Unknown operation: %.16s %.200s",
                                              method, url);
        const char *cl = emu_header(c, "Content-Length");
        uint64_t len;
        if (cl && fl_parse_u64(cl, UINT64_MAX, &len) == 0 && len > EMU_INVOKE_PAYLOAD_MAX)
            return (enum MHD_Result)too_large(c); /* before the body is sent (Expect: 100-continue) */
        r->answered = false;
        return MHD_YES;
    }
    if (r->answered) {
        *size = 0; /* drop what follows an early answer */
        return MHD_YES;
    }
    if (*size) {
        if (!r->too_large) {
            if (r->body.len + *size > EMU_INVOKE_PAYLOAD_MAX) {
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
    if (r->too_large)
        return (enum MHD_Result)too_large(c);
    return (enum MHD_Result)handle_invoke(f, c, r);
}

static void front_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    front_req *r = *con_cls;
    if (!r)
        return;
    fl_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

emu_front *emu_front_start(int listen_fd, emu_function *fn, fl_err *err)
{
    emu_front *f = fl_xcalloc(1, sizeof *f);
    f->fn = fn;
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                                MHD_USE_ERROR_LOG,
                            0, NULL, NULL, front_access, f, MHD_OPTION_LISTEN_SOCKET, listen_fd,
                            MHD_OPTION_NOTIFY_COMPLETED, front_completed, f, MHD_OPTION_CONNECTION_LIMIT, 256u,
                            MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_EXTERNAL_LOGGER, emu_mhd_logger, NULL,
                            MHD_OPTION_END);
    if (!f->d) {
        free(f);
        fl_fail(err, "starting the Invoke API server failed");
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
