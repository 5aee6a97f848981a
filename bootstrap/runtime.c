/* The Runtime API client (2018-06-01): /next, /response, /error, /init/error.
 * One easy handle, so one HTTP/1.1 connection is reused for the whole life of
 * the sandbox; /next has no timeout because the sandbox may be frozen for any
 * time between invokes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap/bootstrap.h"

struct boot_runtime {
    CURL_handle *h;
    char *base;
    fl_headers json_headers;
};

boot_runtime *boot_runtime_new(const char *api)
{
    boot_runtime *rt = fl_xcalloc(1, sizeof *rt);
    rt->h = fl_http_handle();
    rt->base = fl_xasprintf("http://%s/2018-06-01", api);
    fl_headers_add(&rt->json_headers, "Content-Type", "application/json");
    fl_headers_add(&rt->json_headers, "User-Agent", "faas-lambda-bootstrap/" FL_VERSION);
    return rt;
}

void boot_runtime_free(boot_runtime *rt)
{
    if (!rt)
        return;
    fl_http_handle_free(rt->h);
    fl_headers_free(&rt->json_headers);
    free(rt->base);
    free(rt);
}

const char *boot_runtime_base(const boot_runtime *rt)
{
    return rt->base;
}

static char *dup_header(const fl_headers *h, const char *name)
{
    const char *v = fl_headers_get(h, name);
    return v && *v ? fl_xstrdup(v) : NULL;
}

/* Request ids go into URL paths: accept only what Lambda issues. */
static bool valid_request_id(const char *id)
{
    size_t n = strlen(id);
    return n > 0 && n < 128 && strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

int boot_runtime_next(boot_runtime *rt, boot_invoke *inv, fl_err *err)
{
    char *url = fl_xasprintf("%s/runtime/invocation/next", rt->base);
    fl_http_req req = {.url = url, .max_body = BOOT_MAX_EVENT, .no_proxy = true, .headers = &rt->json_headers,
                       .body_into = &inv->event};
    fl_http_resp resp;
    int rc = -1, got = -1;
    boot_invoke_clear(inv);
    /* A connection that died while the sandbox was frozen shows up here:
     * retry on a fresh one, a few times, before giving up. */
    for (int attempt = 0; attempt < 3 && got != 0; attempt++) {
        if (attempt) {
            fl_warn("GET /next failed (%s); retrying", err->msg);
            fl_sleep_us(10000u << attempt);
            req.fresh_connect = true;
        }
        got = fl_http_do(rt->h, &req, &resp, err);
        if (got != 0 && (resp.too_large || attempt == 2))
            break;
        if (got != 0)
            fl_http_resp_free(&resp);
    }
    if (got != 0)
        goto out;
    if (resp.status != 200) {
        fl_fail(err, "GET /next answered %d: %.*s", resp.status, (int)(resp.body.len > 300 ? 300 : resp.body.len),
                resp.body.data ? resp.body.data : "");
        goto out;
    }
    const char *id = fl_headers_get(&resp.headers, "Lambda-Runtime-Aws-Request-Id");
    const char *deadline = fl_headers_get(&resp.headers, "Lambda-Runtime-Deadline-Ms");
    uint64_t dl;
    if (!id || !valid_request_id(id)) {
        fl_fail(err, "GET /next: missing or invalid Lambda-Runtime-Aws-Request-Id");
        goto out;
    }
    snprintf(inv->request_id, sizeof inv->request_id, "%s", id);
    inv->deadline_ms = deadline && !fl_parse_u64(deadline, UINT64_MAX, &dl) ? dl : fl_wall_ms() + 900000;
    inv->function_arn = dup_header(&resp.headers, "Lambda-Runtime-Invoked-Function-Arn");
    inv->trace_id = dup_header(&resp.headers, "Lambda-Runtime-Trace-Id");
    inv->client_context = dup_header(&resp.headers, "Lambda-Runtime-Client-Context");
    inv->cognito_identity = dup_header(&resp.headers, "Lambda-Runtime-Cognito-Identity");
    inv->tenant_id = dup_header(&resp.headers, "Lambda-Runtime-Aws-Tenant-Id");
    rc = 0;
out:
    fl_http_resp_free(&resp);
    free(url);
    return rc;
}

/* POSTs to the Runtime API. 202 is success; Lambda's 4xx answers (413 too
 * large, 403 already answered or timed out, 400 bad id) concern this invoke
 * only, so they are logged and the loop goes on; anything else is fatal. */
static int post(boot_runtime *rt, const char *path, const fl_headers *headers, const fl_buf *body, fl_err *err)
{
    char *url = fl_xasprintf("%s%s", rt->base, path);
    fl_http_req req = {.method = "POST", .url = url, .headers = headers, .body = body->data, .body_len = body->len,
                       .has_body = true, .no_proxy = true, .max_body = 64 * 1024};
    fl_http_resp resp;
    int rc = fl_http_do(rt->h, &req, &resp, err);
    if (rc == 0 && resp.status != 202) {
        const char *what = resp.status == 413 ? " (Lambda reports Function.ResponseSizeTooLarge to the caller)" : "";
        fl_error("POST %s answered %d%s: %.*s", path, resp.status, what, (int)(resp.body.len > 300 ? 300 : resp.body.len),
                 resp.body.data ? resp.body.data : "");
        if (resp.status >= 500) {
            fl_fail(err, "POST %s answered %d", path, resp.status);
            rc = -1;
        }
    }
    fl_http_resp_free(&resp);
    free(url);
    return rc;
}

int boot_runtime_respond(boot_runtime *rt, const char *request_id, const char *content_type, const fl_buf *payload,
                         fl_err *err)
{
    char path[192];
    snprintf(path, sizeof path, "/runtime/invocation/%s/response", request_id);
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", content_type);
    fl_headers_add(&h, "User-Agent", "faas-lambda-bootstrap/" FL_VERSION);
    int rc = post(rt, path, &h, payload, err);
    fl_headers_free(&h);
    return rc;
}

int boot_runtime_error_doc(boot_runtime *rt, const char *request_id, const char *error_type, const fl_buf *doc,
                           fl_err *err)
{
    char path[192];
    if (request_id)
        snprintf(path, sizeof path, "/runtime/invocation/%s/error", request_id);
    else
        snprintf(path, sizeof path, "/runtime/init/error");
    fl_headers h = {0};
    fl_headers_copy(&h, &rt->json_headers);
    fl_headers_add(&h, "Lambda-Runtime-Function-Error-Type", error_type);
    int rc = post(rt, path, &h, doc, err);
    fl_headers_free(&h);
    return rc;
}

int boot_runtime_error(boot_runtime *rt, const char *request_id, const char *error_type, const char *message,
                       fl_err *err)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "errorMessage", message);
    cJSON_AddStringToObject(doc, "errorType", error_type);
    cJSON_AddArrayToObject(doc, "stackTrace");
    fl_buf b = {0};
    fl_json_print(&b, doc);
    cJSON_Delete(doc);
    if (request_id)
        fl_error("invoke %s: %s: %s", request_id, error_type, message);
    else
        fl_error("init: %s: %s", error_type, message);
    int rc = boot_runtime_error_doc(rt, request_id, error_type, &b, err);
    fl_buf_free(&b);
    return rc;
}

void boot_invoke_clear(boot_invoke *inv)
{
    fl_buf event = inv->event;
    free(inv->function_arn);
    free(inv->trace_id);
    free(inv->client_context);
    free(inv->cognito_identity);
    free(inv->tenant_id);
    memset(inv, 0, sizeof *inv);
    inv->event = event;
    fl_buf_reset(&inv->event);
}

void boot_invoke_free(boot_invoke *inv)
{
    boot_invoke_clear(inv);
    fl_buf_free(&inv->event);
}
