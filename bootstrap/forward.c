/* One invoke: event -> HTTP request -> watchdog -> Lambda response. Also
 * keeps the watchdog alive between invokes (restart with backoff). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap/bootstrap.h"

struct boot_forwarder {
    const boot_config *cfg;
    boot_runtime *rt;
    boot_watchdog *wd;
    CURL_handle *h;         /* the watchdog connection, reused across invokes */
    boot_streamer *st;      /* response streaming mode only */
    boot_request br;        /* the request to the watchdog; its body is kept */
    fl_buf body, payload;   /* kept across invokes: no fresh megabytes per invoke */
    bool ready;             /* the health check has passed since the last start */
    int failed_restarts;    /* consecutive restarts that did not become ready */
};

#define MAX_FAILED_RESTARTS 5

boot_forwarder *boot_forwarder_new(const boot_config *cfg, boot_runtime *rt, boot_watchdog *wd)
{
    boot_forwarder *fw = fl_xcalloc(1, sizeof *fw);
    fw->cfg = cfg;
    fw->rt = rt;
    fw->wd = wd;
    fw->h = fl_http_handle();
    if (cfg->streaming)
        fw->st = boot_streamer_new();
    return fw;
}

void boot_forwarder_free(boot_forwarder *fw)
{
    if (!fw)
        return;
    fl_http_handle_free(fw->h);
    boot_streamer_free(fw->st);
    boot_request_free(&fw->br);
    fl_buf_free(&fw->body);
    fl_buf_free(&fw->payload);
    free(fw);
}

void boot_forwarder_set_ready(boot_forwarder *fw, bool ready)
{
    fw->ready = ready;
}

/* ---- the request for the watchdog ---- */

static const char *env_or_empty(const char *name)
{
    const char *v = getenv(name);
    return v ? v : "";
}

/* The part of x-amzn-lambda-context that is the same for every invoke. */
static char *env_config_json(void)
{
    cJSON *env = cJSON_CreateObject();
    const char *mem = getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
    cJSON_AddStringToObject(env, "function_name", env_or_empty("AWS_LAMBDA_FUNCTION_NAME"));
    cJSON_AddNumberToObject(env, "memory", mem ? atoi(mem) : 0);
    cJSON_AddStringToObject(env, "version", env_or_empty("AWS_LAMBDA_FUNCTION_VERSION"));
    cJSON_AddStringToObject(env, "log_stream", env_or_empty("AWS_LAMBDA_LOG_STREAM_NAME"));
    cJSON_AddStringToObject(env, "log_group", env_or_empty("AWS_LAMBDA_LOG_GROUP_NAME"));
    char *s = cJSON_PrintUnformatted(env);
    cJSON_Delete(env);
    return s;
}

/* A JSON value from a header that should carry JSON; null when it does not. */
static void put_json_or_null(fl_buf *out, const char *v)
{
    cJSON *j = v ? cJSON_Parse(v) : NULL;
    if (j)
        fl_json_print(out, j);
    else
        fl_buf_puts(out, "null");
    cJSON_Delete(j);
}

/* x-amzn-lambda-context, as the Web Adapter sends it, so apps written for it
 * find the same JSON. Built directly: it is on every invoke's path. */
static void lambda_context(const boot_invoke *inv, fl_buf *out)
{
    static char *env_config;
    if (!env_config)
        env_config = env_config_json();
    const char *arn = inv->function_arn ? inv->function_arn : "", *trace = inv->trace_id ? inv->trace_id : "";
    fl_buf_puts(out, "{\"request_id\":");
    fl_json_put_str(out, inv->request_id, strlen(inv->request_id));
    fl_buf_printf(out, ",\"deadline\":%llu,\"invoked_function_arn\":", (unsigned long long)inv->deadline_ms);
    fl_json_put_str(out, arn, strlen(arn));
    fl_buf_puts(out, ",\"xray_trace_id\":");
    fl_json_put_str(out, trace, strlen(trace));
    fl_buf_puts(out, ",\"client_context\":");
    put_json_or_null(out, inv->client_context);
    fl_buf_puts(out, ",\"identity\":");
    put_json_or_null(out, inv->cognito_identity);
    fl_buf_puts(out, ",\"env_config\":");
    fl_buf_puts(out, env_config);
    fl_buf_putc(out, '}');
}

int boot_prepare_request(const boot_config *cfg, const boot_invoke *inv, boot_request *br, fl_err *err)
{
    boot_request_reset(br);
    if (shim_event_to_request(inv->event.data ? inv->event.data : "", inv->event.len, &cfg->shim, &br->kind, &br->req,
                              err))
        return -1;
    /* The shim guarantees a path and query fit for a request line, header
     * names that are tokens, and values without CR or LF. */
    static const char *ours[] = {"X-Amzn-Trace-Id", "x-amzn-request-context", "x-amzn-lambda-context", NULL};
    for (size_t i = 0; i < br->req.headers.n; i++) {
        const fl_header *h = &br->req.headers.v[i];
        bool replaced = false;
        for (const char **o = ours; *o && !replaced; o++)
            replaced = fl_str_eq_nocase(h->name, *o) && (o != ours || inv->trace_id);
        if (!replaced)
            fl_headers_add(&br->out_headers, h->name, h->value);
    }
    size_t total = 0;
    for (size_t i = 0; i < br->out_headers.n; i++)
        total += strlen(br->out_headers.v[i].name) + strlen(br->out_headers.v[i].value) + 4;
    if (total > BOOT_MAX_HEADER_BYTES)
        return fl_fail(err, "the event's headers take %zu bytes; at most %u can be forwarded to the watchdog", total,
                       BOOT_MAX_HEADER_BYTES);
    if (!fl_headers_get(&br->out_headers, "X-Call-Id"))
        fl_headers_add(&br->out_headers, "X-Call-Id", inv->request_id);
    if (inv->trace_id && strcspn(inv->trace_id, "\r\n") == strlen(inv->trace_id))
        fl_headers_add(&br->out_headers, "X-Amzn-Trace-Id", inv->trace_id);
    if (br->req.request_context)
        fl_headers_add(&br->out_headers, "x-amzn-request-context", br->req.request_context);
    fl_buf ctx = {0};
    lambda_context(inv, &ctx);
    fl_headers_add(&br->out_headers, "x-amzn-lambda-context", fl_buf_cstr(&ctx));
    fl_buf_free(&ctx);
    br->url = fl_xasprintf("http://127.0.0.1:%d%s%s%s", cfg->port, br->req.path, br->req.query[0] ? "?" : "",
                           br->req.query);
    return 0;
}

void boot_request_reset(boot_request *br)
{
    shim_request_reset(&br->req);
    fl_headers_free(&br->out_headers);
    free(br->url);
    br->url = NULL;
    br->kind = SHIM_RAW;
}

void boot_request_free(boot_request *br)
{
    boot_request_reset(br);
    shim_request_free(&br->req);
}

/* ---- failures ---- */

const char *boot_classify_failure(boot_watchdog *wd, int curl_code, bool got_status, char *msg, size_t msg_len)
{
    char status[64], tail[512];
    if (curl_code == CURLE_OPERATION_TIMEDOUT) {
        snprintf(msg, msg_len, "the watchdog did not answer before the invoke's deadline");
        return "Runtime.WatchdogTimeout";
    }
    if (curl_code == CURLE_UNSUPPORTED_PROTOCOL || curl_code == CURLE_WEIRD_SERVER_REPLY) {
        snprintf(msg, msg_len, "the watchdog's answer is not valid HTTP (%s)", fl_http_strerror(curl_code));
        return "Runtime.InvalidWatchdogResponse";
    }
    /* A crash shows up as a reset connection a moment before the process can
     * be reaped: give it a little time to tell the two apart. */
    uint64_t until = fl_mono_us() + 50000;
    do {
        if (boot_watchdog_exited(wd, status, sizeof status)) {
            boot_watchdog_tail(wd, tail, sizeof tail);
            snprintf(msg, msg_len, "the watchdog exited during the invoke (%s)%s%s; it is being restarted", status,
                     tail[0] ? "; its last output: " : "", tail);
            return "Runtime.WatchdogExited";
        }
        fl_sleep_us(1000);
    } while (fl_mono_us() < until);
    snprintf(msg, msg_len, "the watchdog %s (%s, curl error %d)",
             got_status ? "broke off its answer" : "did not take the request", fl_http_strerror(curl_code), curl_code);
    return "Runtime.WatchdogUnreachable";
}

/* ---- the watchdog's life between invokes ---- */

/* Makes sure the watchdog runs and is ready: restarts it when it exited, with
 * a doubling pause while restarts keep failing. Returns 0 ready, 1 not ready
 * by until_mono_us (still starting), -1 after MAX_FAILED_RESTARTS, when the
 * bootstrap exits so that Lambda replaces the sandbox. */
static int revive(boot_forwarder *fw, uint64_t until_mono_us)
{
    char status[64];
    if (fw->ready && !boot_watchdog_exited(fw->wd, status, sizeof status))
        return 0;
    fw->ready = false;
    for (;;) {
        if (boot_watchdog_exited(fw->wd, status, sizeof status)) {
            if (fw->failed_restarts >= MAX_FAILED_RESTARTS) {
                /* its last words may still be on their way to the log: let them land */
                char tail[8];
                boot_watchdog_tail(fw->wd, tail, sizeof tail);
                fl_error("the watchdog failed to restart %d times; exiting so that Lambda replaces the sandbox",
                         fw->failed_restarts);
                return -1;
            }
            if (fw->failed_restarts)
                fl_sleep_us(100000u << (fw->failed_restarts - 1));
            fl_info("restarting the watchdog (it exited: %s)", status);
            const char *type;
            fl_err err;
            if (boot_watchdog_start(fw->wd, &type, &err)) {
                fl_error("%s: %s", type, err.msg);
                fw->failed_restarts++;
                continue;
            }
        }
        int r = boot_wait_ready(fw->cfg, fw->wd, until_mono_us, status, sizeof status);
        if (r == 1) {
            fw->ready = true;
            fw->failed_restarts = 0;
            return 0;
        }
        if (r == 0)
            return 1;
        fw->failed_restarts++;
    }
}

static long remaining_ms(const boot_invoke *inv)
{
    uint64_t now = fl_wall_ms();
    if (inv->deadline_ms <= now)
        return 1;
    uint64_t left = inv->deadline_ms - now;
    uint64_t margin = left / 20 < 50 ? left / 20 : 50; /* time to post the error ourselves */
    return (long)(left - margin > 0 ? left - margin : 1);
}

/* ---- buffered invoke ---- */

static bool method_has_body(const char *m)
{
    return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
}

static int buffered(boot_forwarder *fw, const boot_invoke *inv, boot_request *br, long timeout_ms)
{
    fl_http_req req = {.method = br->req.method, .url = br->url, .headers = &br->out_headers,
                       .body = br->req.body.data, .body_len = br->req.body.len,
                       .has_body = br->req.body.len > 0 || method_has_body(br->req.method),
                       .timeout_ms = timeout_ms, .max_body = BOOT_MAX_BUFFERED_RESPONSE, .no_proxy = true,
                       .path_as_is = true, .body_into = &fw->body};
    fl_http_resp resp;
    fl_err err;
    int rc = fl_http_do(fw->h, &req, &resp, &err);
    /* A pooled connection the watchdog closed (idle timeout, or while the
     * sandbox was frozen) fails before any answer: retry once, fresh. */
    if (rc && !resp.status && resp.reused_connection &&
        (resp.curl_code == CURLE_GOT_NOTHING || resp.curl_code == CURLE_SEND_ERROR ||
         resp.curl_code == CURLE_RECV_ERROR)) {
        fl_debug("invoke %s: stale watchdog connection, retrying", inv->request_id);
        fl_http_resp_free(&resp);
        req.fresh_connect = true;
        rc = fl_http_do(fw->h, &req, &resp, &err);
    }
    char msg[1024];
    if (rc) {
        const char *type;
        if (resp.too_large) {
            type = "Function.ResponseSizeTooLarge";
            snprintf(msg, sizeof msg, "the function's response is larger than Lambda's %u byte limit for buffered "
                     "responses; stream it (FAAS_LAMBDA_INVOKE_MODE=response_stream) or make it smaller",
                     BOOT_MAX_BUFFERED_RESPONSE);
        } else {
            type = boot_classify_failure(fw->wd, resp.curl_code, resp.status != 0, msg, sizeof msg);
        }
        fl_http_resp_free(&resp);
        boot_forwarder_lost(fw);
        return boot_runtime_error(fw->rt, inv->request_id, type, msg, &err);
    }
    shim_response sr = {.status = resp.status, .headers = resp.headers, .body = fw->body};
    bool is_error = false;
    rc = shim_response_to_payload(br->kind, &sr, &fw->cfg->shim, &fw->payload, &is_error, &err);
    if (rc)
        rc = boot_runtime_error(fw->rt, inv->request_id, "Runtime.InvalidWatchdogResponse", err.msg, &err);
    else if (is_error)
        rc = boot_runtime_error_doc(fw->rt, inv->request_id, SHIM_ERROR_STATUS_TYPE, &fw->payload, &err);
    else
        rc = boot_runtime_respond(fw->rt, inv->request_id, "application/json", &fw->payload, &err);
    if (rc)
        fl_error("invoke %s: %s", inv->request_id, err.msg);
    fl_http_resp_free(&resp);
    return rc;
}

/* Buffers are kept across invokes so that every invoke does not fault in
 * fresh pages, but not when an outlier made them huge: idle memory matters. */
void boot_buf_trim(fl_buf *b)
{
    if (b->cap > BOOT_KEEP_BUFFER)
        fl_buf_free(b);
}

int boot_forward(boot_forwarder *fw, const boot_invoke *inv)
{
    fl_err err;
    boot_request *br = &fw->br;
    int rc;
    long timeout = remaining_ms(inv);
    if (boot_prepare_request(fw->cfg, inv, br, &err)) {
        rc = boot_runtime_error(fw->rt, inv->request_id, "Runtime.InvalidEvent", err.msg, &err);
        goto out;
    }
    /* The watchdog may have died while idle, or not be ready yet (async init). */
    int up = revive(fw, fl_mono_us() + (uint64_t)timeout * 1000);
    if (up != 0) {
        char tail[512];
        boot_watchdog_tail(fw->wd, tail, sizeof tail);
        char *msg = fl_xasprintf("the watchdog is not ready (health check http://127.0.0.1:%d%s)%s%s",
                                 fw->cfg->readiness_port, fw->cfg->health_path, tail[0] ? "; its last output: " : "",
                                 tail);
        rc = boot_runtime_error(fw->rt, inv->request_id, "Runtime.WatchdogNotReady", msg, &err);
        free(msg);
        if (up < 0)
            rc = -1;
        goto out;
    }
    timeout = remaining_ms(inv);
    if (fw->st) {
        rc = boot_stream_invoke(fw->st, fw->cfg, fw->rt, fw->wd, inv, br, timeout);
        boot_forwarder_lost(fw);
    } else {
        rc = buffered(fw, inv, br, timeout);
    }
out:
    boot_request_reset(br);
    boot_buf_trim(&br->req.body);
    /* Bring a dead watchdog back now, so the next invoke does not pay for it. */
    if (rc == 0 && !fw->ready && revive(fw, fl_mono_us() + fw->cfg->init_timeout_ms * 1000) < 0)
        rc = -1;
    boot_buf_trim(&fw->body);
    boot_buf_trim(&fw->payload);
    return rc;
}

void boot_forwarder_lost(boot_forwarder *fw)
{
    fw->ready = !boot_watchdog_exited(fw->wd, NULL, 0);
}
