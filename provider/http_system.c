/* /system/info, /system/namespaces, /system/namespace/{name},
 * /system/secrets, /healthz and /metrics. */
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

#ifndef FL_VERSION
#define FL_VERSION "dev"
#endif
#ifndef FL_GIT_REV
#define FL_GIT_REV "unknown"
#endif

int pv_h_info(pv_req *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "provider", "faas-lambda");
    cJSON *v = cJSON_AddObjectToObject(o, "version");
    cJSON_AddStringToObject(v, "sha", FL_GIT_REV);
    cJSON_AddStringToObject(v, "release", FL_VERSION);
    cJSON_AddStringToObject(o, "orchestration", "lambda");
    return pv_reply_json(r, 200, o);
}

static void merge_remote_namespaces(pv_req *r, pv_map *all)
{
    pv_server *s = r->s;
    for (size_t i = 1; pv_req_federates(r) && i < s->fed.n; i++) {
        fl_http_resp resp;
        fl_err err;
        if (pv_fed_call(s, i, "GET", "/system/namespaces", NULL, NULL, 0, 5000, &resp, &err) == 0 &&
            resp.status == 200) {
            cJSON *doc = cJSON_ParseWithLength(resp.body.data, resp.body.len), *it;
            if (!cJSON_IsArray(doc)) {
                cJSON_Delete(doc);
                doc = NULL;
            }
            cJSON_ArrayForEach(it, doc)
                if (cJSON_IsString(it) && pv_dns_label_valid(it->valuestring))
                    pv_map_set(all, it->valuestring, "");
            cJSON_Delete(doc);
        }
        fl_http_resp_free(&resp);
    }
}

int pv_h_namespaces(pv_req *r)
{
    pv_map all = {0};
    fl_err err;
    pv_map_set(&all, r->s->cfg->function_namespace, "");
    if (pv_lambda_namespaces(r->s, &all, &err)) {
        pv_map_free(&all);
        return pv_reply_text(r, 500, "listing namespaces: %s", err.msg);
    }
    merge_remote_namespaces(r, &all);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < all.n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(all.k[i]));
    pv_map_free(&all);
    return pv_reply_json(r, 200, arr);
}

/* As the SDK answers when no namespace handler is set. */
int pv_h_namespace(pv_req *r)
{
    return pv_reply_text(r, 501, "Feature not implemented in this version of OpenFaaS");
}

/* Lambda has nowhere to mount OpenFaaS secrets: the provider has no secret
 * store, so every secrets call is "not implemented" (and deployments that
 * name secrets get a 400, deploy_plan.c). */
int pv_h_secrets(pv_req *r)
{
    return pv_reply_text(r, 501, "Feature not implemented in this version of OpenFaaS: faas-lambda has no secret "
                                 "store, Lambda functions cannot mount OpenFaaS secrets; read secrets at run time "
                                 "from AWS Secrets Manager or SSM Parameter Store");
}

int pv_h_healthz(pv_req *r)
{
    fl_buf b = {0};
    fl_buf_puts(&b, "OK");
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "text/plain; charset=utf-8");
    int rc = pv_reply(r, 200, &h, &b);
    fl_headers_free(&h);
    return rc;
}

int pv_h_metrics(pv_req *r)
{
    fl_buf b = {0};
    pv_metrics_render(&r->s->metrics, &r->s->calls, &b);
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    int rc = pv_reply(r, 200, &h, &b);
    fl_headers_free(&h);
    return rc;
}
