/* The Lambda, CloudWatch Logs and ECR operations the provider uses, as the
 * service models define them (botocore's lambda/2015-03-31, logs, ecr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/aws.h"
#include "provider/internal.h"
#include "shim/shim.h"

#define WAIT_STEP_MS 100
#define LIST_PAGE "50"
#define LIST_MAX_PAGES 2000

static int get_doc(pv_lambda *l, const char *path, cJSON **doc, fl_err *err)
{
    *doc = NULL;
    pv_api_result r;
    if (pv_lambda_rest(l, "GET", path, NULL, NULL, 0, &r, err))
        return -1;
    int rc;
    if (r.status == 200 && cJSON_IsObject(r.doc)) {
        *doc = r.doc;
        r.doc = NULL;
        rc = 0;
    } else if (r.status == 404 && !strcmp(r.type, "ResourceNotFoundException")) {
        rc = 1;
    } else {
        rc = fl_fail(err, "Lambda answered %d %s: %s", r.status, r.type, r.message);
    }
    pv_api_result_free(&r);
    return rc;
}

int pv_lambda_get_function(pv_lambda *l, const char *name, cJSON **doc, fl_err *err)
{
    char *path = pv_lambda_fn_path("2015-03-31", name, NULL);
    int rc = get_doc(l, path, doc, err);
    free(path);
    return rc;
}

int pv_lambda_get_configuration(pv_lambda *l, const char *name, cJSON **doc, fl_err *err)
{
    char *path = pv_lambda_fn_path("2015-03-31", name, "/configuration");
    int rc = get_doc(l, path, doc, err);
    free(path);
    return rc;
}

int pv_lambda_wait_ready(pv_lambda *l, const char *name, bool want_active, uint64_t timeout_ms, fl_err *err)
{
    uint64_t deadline = fl_mono_us() + timeout_ms * 1000;
    for (;;) {
        cJSON *conf;
        int rc = pv_lambda_get_configuration(l, name, &conf, err);
        if (rc)
            return rc > 0 ? fl_fail(err, "function %s disappeared while it was being deployed", name) : -1;
        const char *st = fl_json_str(conf, "State"), *up = fl_json_str(conf, "LastUpdateStatus");
        bool busy = (up && !strcmp(up, "InProgress")) || (want_active && st && !strcmp(st, "Pending"));
        if (!busy) {
            if ((up && !strcmp(up, "Failed")) || (st && !strcmp(st, "Failed"))) {
                const char *why = fl_json_str(conf, up && !strcmp(up, "Failed") ? "LastUpdateStatusReason"
                                                                                : "StateReason");
                rc = fl_fail(err, "Lambda could not make function %s ready: %s", name, why ? why : "no reason given");
            }
            cJSON_Delete(conf);
            return rc;
        }
        cJSON_Delete(conf);
        if (fl_mono_us() > deadline)
            return fl_fail(err, "function %s was still being updated after %llu s", name,
                           (unsigned long long)(timeout_ms / 1000));
        fl_sleep_us(WAIT_STEP_MS * 1000);
    }
}

int pv_lambda_list_names(pv_lambda *l, char ***names, fl_err *err)
{
    size_t n = 0, cap = 16;
    char **v = fl_xcalloc(cap, sizeof *v);
    char *marker = NULL;
    for (unsigned page = 0; page < LIST_MAX_PAGES; page++) {
        const char *q[] = {"MaxItems", LIST_PAGE, marker ? "Marker" : NULL, marker, NULL};
        pv_api_result r;
        if (pv_lambda_rest(l, "GET", "/2015-03-31/functions/", q, NULL, 0, &r, err))
            goto fail;
        if (r.status != 200) {
            fl_fail(err, "ListFunctions: Lambda answered %d %s: %s", r.status, r.type, r.message);
            pv_api_result_free(&r);
            goto fail;
        }
        const cJSON *it;
        cJSON_ArrayForEach(it, fl_json_arr(r.doc, "Functions")) {
            const char *fn = fl_json_str(it, "FunctionName");
            if (!fn)
                continue;
            if (n + 2 > cap) {
                cap *= 2;
                v = fl_xrealloc(v, cap * sizeof *v);
            }
            v[n++] = fl_xstrdup(fn);
            v[n] = NULL;
        }
        free(marker);
        const char *next = fl_json_str(r.doc, "NextMarker");
        marker = next && *next ? fl_xstrdup(next) : NULL;
        pv_api_result_free(&r);
        if (!marker)
            break;
    }
    free(marker);
    *names = v;
    return 0;
fail:
    free(marker);
    pv_strv_free(v);
    return -1;
}

void pv_invoke_result_free(pv_invoke_result *r)
{
    fl_buf_free(&r->payload);
    memset(r, 0, sizeof *r);
}

static void invoke_call(const char *name, const char *payload, size_t len, long timeout_ms, char **path,
                        fl_headers *hs, pv_aws_call *c)
{
    *path = pv_lambda_fn_path("2015-03-31", name, "/invocations");
    fl_headers_add(hs, "Content-Type", "application/json");
    fl_headers_add(hs, "X-Amz-Invocation-Type", "RequestResponse");
    *c = (pv_aws_call){.method = "POST", .path = *path, .headers = hs, .body = payload, .body_len = len,
                       .has_body = true, .timeout_ms = timeout_ms, .max_body = PV_INVOKE_RESPONSE_MAX};
}

static void invoke_result(fl_http_resp *resp, pv_invoke_result *r)
{
    r->status = resp->status;
    const char *fe = fl_headers_get(&resp->headers, "X-Amz-Function-Error");
    if (fe)
        snprintf(r->function_error, sizeof r->function_error, "%s", fe);
    if (resp->status != 200)
        pv_aws_error(resp, r->type, sizeof r->type, r->message, sizeof r->message);
    r->payload = resp->body;
    memset(&resp->body, 0, sizeof resp->body);
}

int pv_lambda_invoke(pv_lambda *l, CURL_handle *h, const char *name, const char *payload, size_t len,
                     long timeout_ms, pv_invoke_result *r, fl_err *err)
{
    memset(r, 0, sizeof *r);
    char *path;
    fl_headers hs = {0};
    pv_aws_call c;
    invoke_call(name, payload, len, timeout_ms, &path, &hs, &c);
    fl_http_resp resp;
    int rc = pv_aws_do(&l->api, h, &c, &resp, err);
    if (rc == 0)
        invoke_result(&resp, r);
    fl_http_resp_free(&resp);
    fl_headers_free(&hs);
    free(path);
    return rc;
}

/* An invoke on the loop's multi handle, from start to done. */
typedef struct invoke_async {
    pv_lambda *l;
    CURL_handle *h;
    char *path;
    fl_headers hs;
    pv_aws_prepared p;
    fl_http_resp resp;
    pv_invoke_result res;
    pv_invoke_done done;
    void *ud;
} invoke_async;

static void invoke_ended(void *ud, int rc, fl_http_resp *resp, fl_err *err)
{
    invoke_async *a = ud;
    if (rc == 0)
        invoke_result(resp, &a->res);
    a->done(a->ud, rc, &a->res, err);
    pv_invoke_result_free(&a->res);
    fl_http_resp_free(&a->resp);
    pv_aws_prepared_free(&a->p);
    fl_headers_free(&a->hs);
    free(a->path);
    pv_pool_put(&a->l->loop_pool, a->h);
    free(a);
}

void pv_lambda_invoke_start(pv_lambda *l, const pv_aws_endpoint *api, fl_curlm *m, const char *name,
                            const char *payload, size_t len, long timeout_ms, pv_invoke_done done, void *ud)
{
    invoke_async *a = fl_xcalloc(1, sizeof *a);
    a->l = l;
    a->done = done;
    a->ud = ud;
    pv_aws_call c;
    invoke_call(name, payload, len, timeout_ms, &a->path, &a->hs, &c);
    pv_cred cred;
    fl_err err;
    if (pv_creds_get(api->creds, &cred, &err)) {
        done(ud, -1, &a->res, &err);
        fl_headers_free(&a->hs);
        free(a->path);
        free(a);
        return;
    }
    pv_aws_prepare(api, &cred, &c, &a->p);
    pv_cred_clear(&cred);
    a->h = pv_pool_get(&l->loop_pool);
    fl_http_start(m, a->h, &a->p.req, &a->resp, invoke_ended, a);
}

void pv_log_page_free(pv_log_page *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->ev[i].stream);
        free(p->ev[i].message);
        free(p->ev[i].id);
    }
    free(p->ev);
    free(p->next_token);
    memset(p, 0, sizeof *p);
}

int pv_logs_filter(pv_lambda *l, const char *fn, int64_t start_ms, const char *token, unsigned limit,
                   pv_log_page *page, fl_err *err)
{
    memset(page, 0, sizeof *page);
    cJSON *req = cJSON_CreateObject();
    char group[128];
    snprintf(group, sizeof group, "/aws/lambda/%s", fn);
    cJSON_AddStringToObject(req, "logGroupName", group);
    if (start_ms > 0)
        cJSON_AddNumberToObject(req, "startTime", (double)start_ms);
    if (token)
        cJSON_AddStringToObject(req, "nextToken", token);
    if (limit)
        cJSON_AddNumberToObject(req, "limit", limit);
    fl_buf body = {0};
    fl_json_print(&body, req);
    cJSON_Delete(req);
    pv_api_result r;
    int rc = pv_aws_json11(l, &l->logs, "Logs_20140328.FilterLogEvents", body.data, &r, err);
    fl_buf_free(&body);
    if (rc)
        return -1;
    if (r.status == 400 && !strcmp(r.type, "ResourceNotFoundException")) {
        page->no_group = true;
    } else if (r.status != 200) {
        rc = fl_fail(err, "FilterLogEvents: CloudWatch Logs answered %d %s: %s", r.status, r.type, r.message);
    } else {
        const cJSON *evs = fl_json_arr(r.doc, "events"), *it;
        page->ev = fl_xcalloc((size_t)cJSON_GetArraySize(evs) + 1, sizeof *page->ev);
        cJSON_ArrayForEach(it, evs) {
            const char *m = fl_json_str(it, "message"), *s = fl_json_str(it, "logStreamName"),
                       *id = fl_json_str(it, "eventId");
            const cJSON *ts = cJSON_GetObjectItemCaseSensitive(it, "timestamp");
            pv_log_event *e = &page->ev[page->n++];
            e->message = fl_xstrdup(m ? m : "");
            e->stream = fl_xstrdup(s ? s : "");
            e->id = fl_xstrdup(id ? id : "");
            e->timestamp = cJSON_IsNumber(ts) ? (int64_t)ts->valuedouble : 0;
        }
        const char *next = fl_json_str(r.doc, "nextToken");
        page->next_token = next && *next ? fl_xstrdup(next) : NULL;
    }
    pv_api_result_free(&r);
    return rc;
}

int pv_ecr_login(pv_lambda *l, char **userpass, int64_t *expires_ms, fl_err *err)
{
    *userpass = NULL;
    pv_api_result r;
    if (pv_aws_json11(l, &l->ecr, "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", "{}", &r, err))
        return -1;
    int rc = 0;
    const cJSON *data = fl_json_arr(r.doc, "authorizationData");
    const cJSON *first = data ? cJSON_GetArrayItem(data, 0) : NULL;
    const char *token = first ? fl_json_str(first, "authorizationToken") : NULL;
    fl_buf plain = {0};
    if (r.status != 200 || !token)
        rc = fl_fail(err, "ECR GetAuthorizationToken: %d %s: %s", r.status, r.type, r.message);
    else if (shim_base64_decode(token, strlen(token), &plain, err) || !memchr(plain.data, ':', plain.len))
        rc = fl_fail(err, "ECR GetAuthorizationToken answered a token that is not base64 of USER:PASSWORD");
    else {
        *userpass = fl_buf_steal(&plain);
        const cJSON *exp = cJSON_GetObjectItemCaseSensitive(first, "expiresAt");
        *expires_ms = cJSON_IsNumber(exp) ? (int64_t)(exp->valuedouble * 1000) : 0;
    }
    fl_buf_free(&plain);
    pv_api_result_free(&r);
    return rc;
}
