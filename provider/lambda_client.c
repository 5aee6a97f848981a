/* Calls of AWS JSON APIs over the signed-request layer: REST JSON (Lambda)
 * and JSON 1.1 (CloudWatch Logs, ECR). Throttling (429), server errors
 * (5xx) and failed transfers are retried with exponential backoff and
 * jitter, as the AWS SDKs do; everything else is the caller's to read. */
#include <stdlib.h>
#include <string.h>

#include "provider/aws.h"
#include "provider/internal.h"

#define ATTEMPTS 4
#define BACKOFF_BASE_MS 100

void pv_api_result_free(pv_api_result *r)
{
    cJSON_Delete(r->doc);
    memset(r, 0, sizeof *r);
}

static bool retryable(int status, const char *type)
{
    return status == 429 || status >= 500 || !strcmp(type, "TooManyRequestsException") ||
           !strcmp(type, "ThrottlingException");
}

static void backoff(unsigned attempt)
{
    uint64_t ms = (uint64_t)BACKOFF_BASE_MS << attempt;
    ms = ms / 2 + (uint64_t)(rand() % (int)(ms / 2 + 1)); /* jitter: the waits of many callers spread */
    fl_sleep_us(ms * 1000);
}

static int call(pv_lambda *l, pv_aws_endpoint *ep, const pv_aws_call *c, pv_api_result *r, fl_err *err)
{
    memset(r, 0, sizeof *r);
    CURL_handle *h = pv_pool_get(&l->pool);
    int rc = -1;
    for (unsigned attempt = 0; attempt < ATTEMPTS; attempt++) {
        if (attempt)
            backoff(attempt);
        pv_api_result_free(r);
        fl_http_resp resp;
        if (pv_aws_do(ep, h, c, &resp, err)) {
            fl_http_resp_free(&resp);
            continue;
        }
        r->status = resp.status;
        if (resp.body.len)
            r->doc = cJSON_ParseWithLength(resp.body.data, resp.body.len);
        if (resp.status >= 300)
            pv_aws_error(&resp, r->type, sizeof r->type, r->message, sizeof r->message);
        fl_http_resp_free(&resp);
        rc = 0;
        if (!(r->status >= 300 && retryable(r->status, r->type)))
            break;
    }
    pv_pool_put(&l->pool, h);
    if (rc)
        fl_fail_wrap(err, "%s %s", ep->service, c->path ? c->path : "/");
    return rc;
}

int pv_lambda_rest(pv_lambda *l, const char *method, const char *path, const char *const *query, const char *body,
                   size_t body_len, pv_api_result *r, fl_err *err)
{
    fl_headers hs = {0};
    if (body)
        fl_headers_add(&hs, "Content-Type", "application/json");
    pv_aws_call c = {.method = method, .path = path, .query = query, .headers = &hs, .body = body,
                     .body_len = body_len, .has_body = body != NULL, .timeout_ms = l->timeout_ms};
    int rc = call(l, &l->api, &c, r, err);
    fl_headers_free(&hs);
    return rc;
}

int pv_aws_json11(pv_lambda *l, pv_aws_endpoint *ep, const char *target, const char *body, pv_api_result *r,
                  fl_err *err)
{
    fl_headers hs = {0};
    fl_headers_add(&hs, "Content-Type", "application/x-amz-json-1.1");
    fl_headers_add(&hs, "X-Amz-Target", target);
    pv_aws_call c = {.method = "POST", .path = "/", .headers = &hs, .body = body, .body_len = strlen(body),
                     .has_body = true, .timeout_ms = l->timeout_ms};
    int rc = call(l, ep, &c, r, err);
    fl_headers_free(&hs);
    return rc;
}

char *pv_lambda_fn_path(const char *version, const char *name, const char *suffix)
{
    fl_buf p = {0};
    fl_buf_printf(&p, "/%s/functions", version);
    pv_aws_path_segment(&p, name);
    if (suffix)
        fl_buf_puts(&p, suffix);
    return fl_buf_steal(&p);
}
