/* /system/functions (list, deploy, update, delete), /system/function/{name}
 * (status) and /system/scale-function/{name}: status codes as
 * reference/openfaas.md §1.3 (PUT of an unknown function is 404, which
 * faas-cli's deploy turns into a POST). With federation, a request about a
 * function on another backend is forwarded there. */
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

#define DEPLOY_FORWARD_TIMEOUT_MS (10 * 60 * 1000)

static long system_timeout(pv_req *r)
{
    return (long)r->s->cfg->write_timeout_ms + 5000;
}

int pv_request_namespace(pv_req *r, const char *from_body, char ns[PV_NAME_MAX + 1], int *rc)
{
    char *q = pv_query_get(r->uri, "namespace");
    const char *v = q && *q ? q : from_body && *from_body ? from_body : r->s->cfg->function_namespace;
    int ok = pv_dns_label_valid(v);
    if (ok)
        strcpy(ns, v);
    else
        *rc = pv_reply_text(r, 400, "invalid namespace \"%.100s\": use a DNS-1123 label (a-z, 0-9, '-')", v);
    free(q);
    return ok ? 0 : -1;
}

/* NAME or NAME.NAMESPACE from the path, the namespace otherwise from the
 * query, the body or the default. */
static int target_function(pv_req *r, const char *raw, const char *body_ns, char name[PV_NAME_MAX + 1],
                           char ns[PV_NAME_MAX + 1], int *rc)
{
    char *q = pv_query_get(r->uri, "namespace");
    const char *def = q && *q ? q : body_ns && *body_ns ? body_ns : r->s->cfg->function_namespace;
    fl_err err;
    int bad = pv_split_qualified(raw, def, name, ns, &err);
    free(q);
    if (bad)
        *rc = pv_reply_text(r, 400, "%s", err.msg);
    return bad ? -1 : 0;
}

/* ---- list ---- */

static void merge_remote(pv_req *r, size_t i, const char *ns, cJSON *arr, fl_buf *down)
{
    pv_server *s = r->s;
    char *t = fl_xasprintf("/system/functions?namespace=%s", ns);
    fl_http_resp resp;
    fl_err err;
    int rc = pv_fed_call(s, i, "GET", t, NULL, NULL, 0, system_timeout(r), &resp, &err);
    cJSON *doc = rc == 0 && resp.status == 200 ? cJSON_ParseWithLength(resp.body.data, resp.body.len) : NULL;
    if (rc == 0 && resp.status == 200 && (cJSON_IsArray(doc) || cJSON_IsNull(doc))) {
        cJSON *it;
        cJSON_ArrayForEach(it, doc) {
            const char *n = fl_json_str(it, "name"), *fns = fl_json_str(it, "namespace");
            if (n)
                pv_fed_remember(&s->fed, n, fns ? fns : ns, i);
            cJSON_AddItemToArray(arr, cJSON_Duplicate(it, true));
        }
    } else {
        if (rc == 0)
            fl_fail(&err, "answered %d", resp.status);
        fl_warn("provider: federation: listing backend %s: %s", s->fed.b[i].name, err.msg);
        fl_buf_printf(down, "%s%s", down->len ? "," : "", s->fed.b[i].name);
    }
    cJSON_Delete(doc);
    fl_http_resp_free(&resp);
    free(t);
}

int pv_h_list(pv_req *r)
{
    pv_server *s = r->s;
    char ns[PV_NAME_MAX + 1];
    int rc;
    if (pv_request_namespace(r, NULL, ns, &rc))
        return rc;
    pv_status *v;
    size_t n;
    fl_err err;
    cJSON *arr = cJSON_CreateArray();
    fl_buf down = {0};
    if (pv_lambda_list(s, ns, &v, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, pv_status_to_json(&v[i]));
        pv_status_list_free(v, n);
    } else if (!pv_req_federates(r)) {
        cJSON_Delete(arr);
        fl_warn("provider: listing functions: %s", err.msg);
        return pv_reply_text(r, 500, "listing functions: %s", err.msg);
    } else {
        fl_warn("provider: federation: listing backend lambda: %s", err.msg);
        fl_buf_puts(&down, PROVIDER_LAMBDA_BACKEND);
    }
    for (size_t i = 1; pv_req_federates(r) && i < s->fed.n; i++)
        merge_remote(r, i, ns, arr, &down);
    fl_buf body = {0};
    fl_json_print(&body, arr);
    cJSON_Delete(arr);
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "application/json");
    if (down.len)
        fl_headers_add(&h, "X-Federation-Unavailable", down.data); /* the list lacks these backends */
    rc = pv_reply(r, 200, &h, &body);
    fl_headers_free(&h);
    fl_buf_free(&down);
    return rc;
}

/* ---- deploy / update ---- */

int pv_h_deploy(pv_req *r, bool update)
{
    pv_server *s = r->s;
    pv_deployment d;
    fl_err err;
    if (pv_deployment_parse(r->body.data ? r->body.data : "", r->body.len, &d, &err))
        return pv_reply_text(r, 400, "invalid FunctionDeployment: %s", err.msg);
    size_t idx = pv_req_federates(r) ? pv_fed_pick(&s->fed, &d.annotations) : 0;
    int rc;
    if (idx != 0) {
        const char *ns = d.namespace && *d.namespace ? d.namespace : s->cfg->function_namespace;
        if (d.service && pv_dns_label_valid(d.service) && pv_dns_label_valid(ns))
            pv_fed_remember(&s->fed, d.service, ns, idx);
        rc = pv_fed_forward(r, idx, r->uri, r->body.data, r->body.len, DEPLOY_FORWARD_TIMEOUT_MS);
    } else {
        int status;
        if (pv_deploy(s, &d, update, &status, &err)) {
            if (status >= 500)
                fl_warn("provider: %s: %s", update ? "update" : "deploy", err.msg);
            rc = pv_reply_text(r, status, "%s", err.msg);
        } else {
            if (pv_req_federates(r))
                pv_fed_remember(&s->fed, d.service, d.namespace && *d.namespace ? d.namespace
                                                                                 : s->cfg->function_namespace, 0);
            rc = pv_reply(r, status, NULL, NULL);
        }
    }
    pv_deployment_free(&d);
    return rc;
}

/* ---- delete ---- */

int pv_h_delete(pv_req *r)
{
    pv_server *s = r->s;
    pv_delete_req d;
    fl_err err;
    if (pv_delete_parse(r->body.data ? r->body.data : "", r->body.len, &d, &err))
        return pv_reply_text(r, 400, "invalid DeleteFunctionRequest: %s", err.msg);
    int rc;
    char name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    if (!d.function_name || !*d.function_name) {
        rc = pv_reply_text(r, 400, "functionName is required");
    } else if (target_function(r, d.function_name, d.namespace, name, ns, &rc) == 0) {
        size_t idx;
        int where = pv_fed_locate(r, name, ns, &idx, &err);
        if (where == 0 && idx != 0) {
            rc = pv_fed_forward(r, idx, r->uri, r->body.data, r->body.len, system_timeout(r));
            pv_fed_forget(&s->fed, name, ns);
        } else if (where < 0) {
            rc = pv_reply_text(r, 500, "deleting %s.%s: %s", name, ns, err.msg);
        } else {
            int del = where == 1 ? 1 : pv_delete(s, name, ns, &err);
            pv_fed_forget(&s->fed, name, ns);
            rc = del == 0   ? pv_reply(r, 200, NULL, NULL)
                 : del == 1 ? pv_reply_text(r, 404, "function %s.%s not found", name, ns)
                            : pv_reply_text(r, 500, "deleting %s.%s: %s", name, ns, err.msg);
        }
    }
    pv_delete_free(&d);
    return rc;
}

/* ---- status ---- */

int pv_h_status(pv_req *r)
{
    pv_server *s = r->s;
    char name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    int rc;
    if (target_function(r, r->route.name, NULL, name, ns, &rc))
        return rc;
    size_t idx;
    fl_err err;
    int where = pv_fed_locate(r, name, ns, &idx, &err);
    if (where == 0 && idx != 0) {
        char *t = fl_xasprintf("/system/function/%s?namespace=%s", name, ns);
        rc = pv_fed_forward(r, idx, t, NULL, 0, system_timeout(r));
        free(t);
        return rc;
    }
    if (where < 0)
        return pv_reply_text(r, 500, "reading %s.%s: %s", name, ns, err.msg);
    pv_status st;
    int got = where == 1 ? 1 : pv_lambda_status(s, name, ns, &st, &err);
    if (got == 1)
        return pv_reply_text(r, 404, "function %s.%s not found", name, ns);
    if (got < 0)
        return pv_reply_text(r, 500, "reading %s.%s: %s", name, ns, err.msg);
    cJSON *j = pv_status_to_json(&st);
    pv_status_free(&st);
    return pv_reply_json(r, 200, j);
}

/* ---- scale ---- */

int pv_h_scale(pv_req *r)
{
    pv_server *s = r->s;
    pv_scale_req q;
    fl_err err;
    if (pv_scale_parse(r->body.data ? r->body.data : "", r->body.len, &q, &err))
        return pv_reply_text(r, 400, "invalid ScaleServiceRequest: %s", err.msg);
    char name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    int rc;
    if (target_function(r, r->route.name, q.namespace, name, ns, &rc)) {
        pv_scale_free(&q);
        return rc;
    }
    size_t idx;
    int where = pv_fed_locate(r, name, ns, &idx, &err);
    if (where == 0 && idx != 0) {
        rc = pv_fed_forward(r, idx, r->uri, r->body.data, r->body.len, system_timeout(r));
    } else {
        int sc = where < 0 ? -1 : where == 1 ? 1 : pv_scale(s, name, ns, q.replicas, &err);
        rc = sc == 0   ? pv_reply(r, 200, NULL, NULL)
             : sc == 1 ? pv_reply_text(r, 404, "function %s.%s not found", name, ns)
                       : pv_reply_text(r, 500, "scaling %s.%s: %s", name, ns, err.msg);
        if (sc == 0)
            fl_info("provider: scaled %s.%s to %s", name, ns, q.replicas ? "running (no reserved concurrency)"
                                                                        : "zero (reserved concurrency 0)");
    }
    pv_scale_free(&q);
    return rc;
}
