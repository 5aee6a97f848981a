/* Invoke (POST /2015-03-31/functions/{name}/invocations): RequestResponse
 * waits for the function's answer (on the loop, parked: call.c); Event
 * queues the invoke (async.c) and answers 202; DryRun only checks (those
 * two on a pool thread). Headers and errors as the AWS CLI and SDKs expect
 * them. InvokeWithResponseStream is in invoke_stream.c. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "shim/shim.h"

/* A header's value must be one of the allowed; def when absent. */
static const char *enum_header(emu_req *r, const char *name, const char *const *allowed, const char *def)
{
    const char *v = emu_header(r->c, name);
    if (!v)
        return def;
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp(v, allowed[i]))
            return allowed[i];
    return NULL;
}

/* The caller's X-Amzn-Trace-Id when it looks like one, else NULL. */
static const char *caller_trace(emu_req *r)
{
    const char *t = emu_header(r->c, "X-Amzn-Trace-Id");
    if (!t || !fl_str_has_prefix(t, "Root=") || strlen(t) >= EMU_TRACE_MAX)
        return NULL;
    for (const char *p = t; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return NULL;
    return t;
}

/* X-Amz-Client-Context: base64 of a JSON object, handed to the runtime
 * decoded and compact (a header value cannot hold newlines). */
static int client_context(emu_req *r, char **out)
{
    *out = NULL;
    const char *b64 = emu_header(r->c, "X-Amz-Client-Context");
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

int emu_reply_admit_error(emu_req *r, emu_admit_rc rc, const char *name, const char *reason, const fl_err *err)
{
    switch (rc) {
    case EMU_ADMIT_NOT_FOUND:
        return emu_reply_not_found(r, name, NULL);
    case EMU_ADMIT_PENDING:
        return emu_reply_error(r, 409, "ResourceConflictException", "The operation cannot be performed at this time. "
                               "The function is currently in the following state: Pending");
    case EMU_ADMIT_THROTTLED:
        return emu_reply_throttle(r, reason);
    default:
        return emu_reply_error(r, 500, "ServiceException", "%s", err->msg);
    }
}

void emu_invoke_take_result(emu_function *fn, emu_invoke *inv, emu_result_kind *kind, fl_buf *body, fl_buf *log64)
{
    pthread_mutex_lock(&fn->mu); /* a failed cold start's sandbox may still write to the tail */
    *kind = inv->kind;
    *body = inv->result;
    inv->result = (fl_buf){0};
    if (log64) {
        const char *p;
        size_t n;
        emu_tail_last(&inv->log_tail, EMU_LOG_TAIL, &p, &n);
        shim_base64_encode(p, n, log64);
    }
    pthread_mutex_unlock(&fn->mu);
}

static int respond_result(emu_req *r, emu_function *fn, emu_invoke *inv, bool tail)
{
    snprintf(r->id, sizeof r->id, "%s", inv->id); /* the request id is the invoke's */
    fl_buf body = {0}, log = {0};
    emu_result_kind kind;
    emu_invoke_take_result(fn, inv, &kind, &body, tail ? &log : NULL);
    if (kind == EMU_RES_SERVICE) {
        int rc = emu_reply_error(r, 500, "ServiceException", "%s", fl_buf_cstr(&body));
        fl_buf_free(&body);
        fl_buf_free(&log);
        return rc;
    }
    fl_headers h = {0};
    fl_headers_add(&h, "X-Amz-Executed-Version", EMU_VERSION);
    if (kind == EMU_RES_ERROR)
        fl_headers_add(&h, "X-Amz-Function-Error", "Unhandled");
    if (tail)
        fl_headers_add(&h, "X-Amz-Log-Result", fl_buf_cstr(&log));
    fl_buf_free(&log);
    return emu_reply(r, 200, "application/json", &body, &h);
}

int emu_invoke_checks(emu_req *r, char name[EMU_FN_REF_MAX], const char **type, bool *tail, char **cc, int *rc)
{
    static const char *const types[] = {"RequestResponse", "Event", "DryRun", NULL};
    static const char *const log_types[] = {"None", "Tail", NULL};
    *cc = NULL;
    *type = enum_header(r, "X-Amz-Invocation-Type", types, "RequestResponse");
    const char *log_type = enum_header(r, "X-Amz-Log-Type", log_types, "None");
    emu_verr v = {0};
    if (!*type)
        emu_verr_add(&v, emu_header(r->c, "X-Amz-Invocation-Type"), "invocationType",
                     "Member must satisfy enum value set: [Event, RequestResponse, DryRun]");
    if (!log_type)
        emu_verr_add(&v, emu_header(r->c, "X-Amz-Log-Type"), "logType",
                     "Member must satisfy enum value set: [None, Tail]");
    if (v.n) {
        *rc = emu_reply_verr(r, &v);
        return -1;
    }
    *tail = !strcmp(log_type, "Tail");
    if (emu_resolve_function(r, r->route.p1, name, rc))
        return -1;
    if (client_context(r, cc)) {
        *rc = emu_reply_error(r, 400, "InvalidRequestContentException",
                              "Client context must be a valid Base64-encoded JSON object of at most %u bytes.",
                              EMU_CLIENT_CONTEXT_MAX);
        return -1;
    }
    /* Validated, not parsed: a tree of a 6 MB payload costs milliseconds. */
    fl_err jerr;
    if (r->body.len && shim_json_validate(r->body.data, r->body.len, &jerr)) {
        free(*cc);
        *cc = NULL;
        *rc = emu_reply_error(r, 400, "InvalidRequestContentException",
                              "Could not parse request body into json: %s", jerr.msg);
        return -1;
    }
    return 0;
}

static int dry_run(emu_req *r, const char *name)
{
    pthread_mutex_lock(&r->e->mu);
    bool found = emu_find(r->e, name) != NULL;
    pthread_mutex_unlock(&r->e->mu);
    if (!found)
        return emu_reply_not_found(r, name, NULL);
    return emu_reply_empty(r, 204);
}

/* Admits, runs and waits: the result is in inv; the caller releases t
 * once it has taken the result. */
int emu_invoke_sync(emu *e, const char *name, emu_invoke *inv, emu_ticket *t, emu_admit_rc *arc, const char **reason,
                    fl_err *err)
{
    *arc = emu_admit(e, name, t, reason, err);
    if (*arc != EMU_ADMIT_OK)
        return -1;
    bool throttled = false;
    int rc = emu_function_invoke(t->rt, inv, &throttled, err);
    if (rc && throttled) {
        *arc = EMU_ADMIT_THROTTLED;
        *reason = "ConcurrentInvocationLimitExceeded";
    } else if (rc) {
        *arc = EMU_ADMIT_FAILED;
    }
    if (rc)
        emu_release(e, t);
    return rc;
}

/* The call is over (call.c): its result, or why it did not run. */
static int answer(emu_req *r)
{
    emu_call *k = r->call;
    if (k->arc != EMU_ADMIT_OK)
        return emu_reply_admit_error(r, k->arc, k->name, k->reason, &k->err);
    return respond_result(r, k->t.rt, k->inv, k->tail);
}

int emu_api_invoke(emu_req *r)
{
    if (r->route.op == EMU_OP_INVOKE_STREAM)
        return emu_api_invoke_stream(r);
    char name[EMU_FN_REF_MAX];
    const char *type;
    bool tail;
    char *cc;
    int rc;
    if (emu_invoke_checks(r, name, &type, &tail, &cc, &rc))
        return rc;
    if (!strcmp(type, "DryRun")) {
        free(cc);
        return dry_run(r, name);
    }
    if (!strcmp(type, "Event"))
        return emu_async_submit(r, name, cc, caller_trace(r));
    emu_invoke *inv = emu_invoke_new(&r->body, cc, caller_trace(r));
    return emu_call_start(r, name, inv, tail, answer);
}
