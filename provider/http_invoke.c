/* /function/{name}[.{namespace}][/{params}]: the SDK proxy's semantics
 * (reference/openfaas.md §1.5) over Lambda's Invoke. The request becomes a
 * Function URL shaped 2.0 event (shim), the function sees the path after
 * the name and the raw query, every header (X-Forwarded-Host and
 * X-Forwarded-For added when absent), the body byte for byte; its response
 * comes back the same way. Errors: unknown function 503 "No endpoints
 * available for: NAME." (X-OpenFaaS-Internal: proxy), Lambda or transport
 * failure 500 "Can't reach service for: NAME.", a function error 500 with
 * Lambda's error document, throttling (scaled to zero) 429, over 6 MB 413.
 *
 * On the loop, the event is sent to Lambda's Invoke without waiting: the
 * connection is parked, libcurl's multi handle (on the same loop) takes the
 * signed request, and the answer is queued when Lambda's comes. Federated
 * requests, credentials to refresh and the wait for a function that is
 * still Pending go to the pool, where the same steps are taken blocking. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "provider/internal.h"
#include "shim/shim.h"

static bool dropped_header(const char *n)
{
    static const char *const drop[] = {"Host", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
                                       "Transfer-Encoding", "Upgrade", "Content-Length", "Expect",
                                       "Proxy-Authorization"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
        if (fl_str_eq_nocase(n, drop[i]))
            return true;
    return false;
}

/* The HTTP request the function gets. */
static void function_request(pv_req *r, shim_request *q)
{
    memset(q, 0, sizeof *q);
    const char *params = r->route.params;
    size_t plen = strcspn(params, "?");
    q->method = fl_xstrdup(r->method);
    q->path = plen ? fl_xstrndup(params, plen) : fl_xstrdup("/");
    q->query = fl_xstrdup(params[plen] == '?' ? params + plen + 1 : "");
    fl_headers in = {0};
    pv_request_headers(r, &in);
    for (size_t i = 0; i < in.n; i++)
        if (!dropped_header(in.v[i].name))
            fl_headers_add(&q->headers, in.v[i].name, in.v[i].value);
    const char *host = fl_headers_get(&in, "Host");
    if (host && !fl_headers_get(&q->headers, "X-Forwarded-Host"))
        fl_headers_add(&q->headers, "X-Forwarded-Host", host);
    if (!fl_headers_get(&q->headers, "X-Forwarded-For")) {
        char addr[80];
        pv_client_addr(r, addr, sizeof addr, true);
        fl_headers_add(&q->headers, "X-Forwarded-For", addr);
    }
    fl_headers_free(&in);
    q->body = r->body;
    memset(&r->body, 0, sizeof r->body);
}

static void add_common(pv_req *r, fl_headers *h, uint64_t start_us)
{
    char dur[32];
    snprintf(dur, sizeof dur, "%f", (double)(fl_mono_us() - start_us) / 1e6);
    fl_headers_set(h, "X-Duration-Seconds", dur);
    const char *call = pv_header(r, "X-Call-Id");
    if (call && !fl_headers_get(h, "X-Call-Id"))
        fl_headers_add(h, "X-Call-Id", call);
}

static int reply_function(pv_req *r, pv_invoke_result *res, const char *fname, uint64_t start_us)
{
    shim_response resp;
    fl_err err;
    if (res->function_error[0]) {
        /* Lambda's error document ({"errorMessage","errorType",...}) as the body */
        fl_headers h = {0};
        fl_headers_add(&h, "Content-Type", "application/json");
        fl_headers_add(&h, "X-Amz-Function-Error", res->function_error);
        add_common(r, &h, start_us);
        int rc = pv_reply(r, 500, &h, &res->payload);
        fl_headers_free(&h);
        return rc;
    }
    if (shim_payload_to_response(res->payload.data ? res->payload.data : "", res->payload.len, &resp, &err))
        return pv_reply_proxy_error(r, 500, "Can't reach service for: %s. Its response is not an HTTP response: %s",
                                    fname, err.msg);
    if (!fl_headers_get(&resp.headers, "Content-Type")) {
        const char *ct = pv_header(r, "Content-Type");
        fl_headers_add(&resp.headers, "Content-Type", ct ? ct : "text/plain");
    }
    add_common(r, &resp.headers, start_us);
    int rc = pv_reply(r, resp.status, &resp.headers, &resp.body);
    shim_response_free(&resp);
    return rc;
}

/* A UUID (version 4) for the event's requestContext.requestId. */
static void new_request_id(char out[64])
{
    unsigned char b[16] = {0};
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        uint64_t t = fl_mono_us() ^ fl_wall_ms();
        memcpy(b, &t, sizeof t);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 64, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int invoke_once(pv_server *s, const char *lname, const fl_buf *event, uint64_t deadline_us,
                       pv_invoke_result *res, fl_err *err)
{
    uint64_t now = fl_mono_us();
    long left = now + 1000 < deadline_us ? (long)((deadline_us - now) / 1000) : 1;
    CURL_handle *h = pv_pool_get(&s->lambda.pool);
    int rc = pv_lambda_invoke(&s->lambda, h, lname, event->data, event->len, left, res, err);
    pv_pool_put(&s->lambda.pool, h);
    return rc;
}

/* Invoke; a function still Pending (just created) is waited for until it
 * is Active, within the deadline, and invoked once more. */
static int invoke(pv_server *s, const char *lname, const fl_buf *event, uint64_t deadline_us, pv_invoke_result *res,
                  fl_err *err)
{
    int rc = invoke_once(s, lname, event, deadline_us, res, err);
    if (rc || res->status != 409 || strcmp(res->type, "ResourceConflictException"))
        return rc;
    uint64_t now = fl_mono_us();
    fl_err werr;
    if (now >= deadline_us || pv_lambda_wait_ready(&s->lambda, lname, true, (deadline_us - now) / 1000, &werr))
        return rc; /* the 409 stands */
    pv_invoke_result_free(res);
    return invoke_once(s, lname, event, deadline_us, res, err);
}

/* An invoke of a function on Lambda, from the request to the answer. */
typedef struct pv_invoke {
    char name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    char lname[PV_LAMBDA_NAME_MAX + 1], fname[2 * PV_NAME_MAX + 2];
    fl_buf event;
    uint64_t deadline_us;
} pv_invoke;

void pv_invoke_free(pv_req *r)
{
    if (!r->inv)
        return;
    fl_buf_free(&r->inv->event);
    free(r->inv);
    r->inv = NULL;
}

/* The event of r's request, in r->inv; -1 with the answer queued. */
static int prepare(pv_req *r, const char *name, const char *ns, int *rc)
{
    pv_server *s = r->s;
    pv_invoke *v = r->inv = fl_xcalloc(1, sizeof *r->inv);
    snprintf(v->name, sizeof v->name, "%s", name);
    snprintf(v->ns, sizeof v->ns, "%s", ns);
    snprintf(v->fname, sizeof v->fname, "%s.%s", name, ns);
    fl_err err;
    pv_lambda_name(name, ns, v->lname, &err);
    shim_request q;
    function_request(r, &q);
    char call_id[64];
    const char *cid = pv_header(r, "X-Call-Id");
    if (cid && *cid)
        snprintf(call_id, sizeof call_id, "%.63s", cid);
    else
        new_request_id(call_id);
    char ip[64];
    pv_client_addr(r, ip, sizeof ip, false);
    shim_event_ctx ctx = {.request_id = call_id, .source_ip = ip, .time_epoch_ms = fl_wall_ms()};
    int bad = shim_request_to_event(&q, &ctx, &v->event, &err);
    shim_request_free(&q);
    if (bad) {
        *rc = pv_reply_text(r, 400, "the request cannot be passed to Lambda: %s", err.msg);
        return -1;
    }
    if (v->event.len > PV_INVOKE_PAYLOAD_MAX) {
        *rc = pv_reply_proxy_error(r, 413, "Request too large for Lambda: the event is %zu bytes, Lambda takes at "
                                           "most %u (binary bodies grow by a third in base64)", v->event.len,
                                   PV_INVOKE_PAYLOAD_MAX);
        return -1;
    }
    v->deadline_us = fl_mono_us() + s->cfg->read_timeout_ms * 1000;
    return 0;
}

/* Lambda's answer (ok: it came), as the function's answer. */
static int answer(pv_req *r, bool ok, pv_invoke_result *res, const fl_err *err)
{
    pv_server *s = r->s;
    pv_invoke *v = r->inv;
    const char *fname = v->fname;
    int rc;
    if (!ok) {
        fl_warn("provider: invoking %s: %s", fname, err->msg);
        rc = pv_reply_proxy_error(r, 500, "Can't reach service for: %s.", fname);
    } else if (res->status == 200) {
        pv_counters_add(&s->calls, fname, 1);
        rc = reply_function(r, res, fname, r->start_us);
    } else if (res->status == 404) {
        pv_fed_forget(&s->fed, v->name, v->ns);
        rc = pv_reply_proxy_error(r, 503, "No endpoints available for: %s.", fname);
    } else if (res->status == 429) {
        rc = pv_reply_proxy_error(r, 429, "Function %s is throttled (scaled to zero, or at its concurrency "
                                          "limit): %s", fname, res->message);
    } else if (res->status == 413) {
        rc = pv_reply_proxy_error(r, 413, "Request too large for Lambda: %s", res->message);
    } else {
        fl_warn("provider: invoking %s: Lambda answered %d %s: %s", fname, res->status, res->type, res->message);
        rc = pv_reply_proxy_error(r, 500, "Can't reach service for: %s. Lambda: %s: %s", fname, res->type,
                                  res->message);
    }
    pv_invoke_free(r);
    return rc;
}

static int invoke_lambda(pv_req *r, const char *name, const char *ns)
{
    int rc;
    if (prepare(r, name, ns, &rc)) {
        pv_invoke_free(r);
        return rc;
    }
    pv_invoke_result res;
    fl_err err;
    pv_invoke *v = r->inv;
    bool ok = invoke(r->s, v->lname, &v->event, v->deadline_us, &res, &err) == 0;
    rc = answer(r, ok, &res, &err);
    pv_invoke_result_free(&res);
    return rc;
}

int pv_h_invoke_blocking(pv_req *r)
{
    pv_server *s = r->s;
    char name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    fl_err err;
    if (pv_split_qualified(r->route.name, s->cfg->function_namespace, name, ns, &err))
        return pv_reply_proxy_error(r, 503, "No endpoints available for: %s.", r->route.name);
    size_t idx;
    int where = pv_fed_locate(r, name, ns, &idx, &err);
    if (where == 1)
        return pv_reply_proxy_error(r, 503, "No endpoints available for: %s.%s.", name, ns);
    if (where < 0)
        return pv_reply_proxy_error(r, 500, "Can't reach service for: %s.%s.", name, ns);
    if (idx != 0)
        return pv_fed_forward(r, idx, r->uri, r->body.data, r->body.len, (long)s->cfg->read_timeout_ms);
    return invoke_lambda(r, name, ns);
}

/* ---- on the loop ---- */

static bool pending(const pv_invoke_result *res)
{
    return res->status == 409 && !strcmp(res->type, "ResourceConflictException");
}

/* Pool thread: a function still Pending (just created) is waited for and
 * invoked once more, blocking. */
static int retry_blocking(pv_req *r)
{
    pv_invoke *v = r->inv;
    pv_invoke_result res;
    fl_err err;
    uint64_t now = fl_mono_us();
    int rc = -1;
    if (now < v->deadline_us &&
        pv_lambda_wait_ready(&r->s->lambda, v->lname, true, (v->deadline_us - now) / 1000, &err) == 0)
        rc = invoke_once(r->s, v->lname, &v->event, v->deadline_us, &res, &err);
    if (rc) { /* the 409 stands */
        memset(&res, 0, sizeof res);
        res.status = 409;
        snprintf(res.type, sizeof res.type, "ResourceConflictException");
        snprintf(res.message, sizeof res.message, "the function is not ready: %.400s", err.msg);
        rc = 0;
    }
    rc = answer(r, true, &res, &err);
    pv_invoke_result_free(&res);
    atomic_fetch_sub(&r->s->inflight, 1);
    return rc;
}

static void invoked(void *ud, int rc, pv_invoke_result *res, fl_err *err)
{
    pv_req *r = ud;
    if (rc == 0 && pending(res)) {
        r->work = retry_blocking; /* on the pool, still parked */
        fl_pool_run(r->s->pool, pv_offload_job, r);
        return;
    }
    answer(r, rc == 0, res, err); /* queued on the parked connection */
    atomic_fetch_sub(&r->s->inflight, 1);
    fl_mhd_resume(r->l->mhd, r->c);
}

int pv_h_invoke(pv_req *r)
{
    pv_server *s = r->s;
    char name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    fl_err err;
    if (pv_req_federates(r) || !pv_creds_fresh(s->lambda.api.creds))
        return pv_offload(r, pv_h_invoke_blocking);
    if (pv_split_qualified(r->route.name, s->cfg->function_namespace, name, ns, &err))
        return pv_reply_proxy_error(r, 503, "No endpoints available for: %s.", r->route.name);
    int rc;
    if (prepare(r, name, ns, &rc)) {
        pv_invoke_free(r);
        return rc;
    }
    pv_invoke *v = r->inv;
    uint64_t now = fl_mono_us();
    long left = now + 1000 < v->deadline_us ? (long)((v->deadline_us - now) / 1000) : 1;
    MHD_suspend_connection(r->c);
    atomic_fetch_add(&s->inflight, 1);
    pv_lambda_invoke_start(&s->lambda, &r->l->api, r->l->curlm, v->lname, v->event.data, v->event.len, left,
                           invoked, r);
    return MHD_YES;
}
