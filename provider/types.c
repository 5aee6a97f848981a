/* The OpenFaaS provider's JSON types (reference/openfaas.md §1.4), read with
 * Go's encoding/json rules (member names matched case-insensitively,
 * unknown members ignored, null meaning absent, a wrong type failing with
 * the member's name) and written as Go writes them (omitempty where the
 * SDK has it; createdAt always). */
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

static const cJSON *member(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key); /* case-insensitive, as Go */
    return v && !cJSON_IsNull(v) ? v : NULL;
}

static int get_str(const cJSON *o, const char *key, char **out, fl_err *err)
{
    const cJSON *v = member(o, key);
    if (!v)
        return 0;
    if (!cJSON_IsString(v))
        return fl_fail(err, "%s must be a string", key);
    free(*out);
    *out = fl_xstrdup(v->valuestring);
    return 0;
}

static cJSON *parse_object(const char *json, size_t len, const char *what, fl_err *err)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (root && end) {
        while (end < json + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
            end++;
        if (end != json + len) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    if (!root) {
        fl_fail(err, "the body is not a JSON %s", what);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        fl_fail(err, "the body must be a JSON object (%s)", what);
        return NULL;
    }
    return root;
}

int pv_strv_from_json(const cJSON *arr, char ***out, const char *what, fl_err *err)
{
    *out = NULL;
    if (!arr || cJSON_IsNull(arr))
        return 0;
    if (!cJSON_IsArray(arr))
        return fl_fail(err, "%s must be an array of strings", what);
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    char **v = fl_xcalloc(n + 1, sizeof *v);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsString(it) && !cJSON_IsNull(it)) {
            pv_strv_free(v);
            return fl_fail(err, "%s must be an array of strings", what);
        }
        v[i++] = fl_xstrdup(cJSON_IsString(it) ? it->valuestring : "");
    }
    *out = v;
    return 0;
}

void pv_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

size_t pv_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

static char **strv_dup(char *const *v)
{
    if (!v)
        return NULL;
    size_t n = pv_strv_len(v);
    char **o = fl_xcalloc(n + 1, sizeof *o);
    for (size_t i = 0; i < n; i++)
        o[i] = fl_xstrdup(v[i]);
    return o;
}

static cJSON *strv_json(char *const *v)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; v && v[i]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static const char *const gpu_keys[] = {"nvidia.com/gpu", "amd.com/gpu", "intel.com/gpu"};

int pv_resources_from_json(const cJSON *o, pv_resources *r, const char *what, fl_err *err)
{
    if (!o || cJSON_IsNull(o))
        return 0;
    if (!cJSON_IsObject(o))
        return fl_fail(err, "%s must be an object", what);
    r->set = true;
    fl_err e2;
    if (get_str(o, "memory", &r->memory, &e2) || get_str(o, "cpu", &r->cpu, &e2))
        return fl_fail(err, "%s.%s", what, e2.msg);
    for (size_t i = 0; i < sizeof gpu_keys / sizeof gpu_keys[0]; i++) {
        const cJSON *g = member(o, gpu_keys[i]);
        if (g && !cJSON_IsString(g))
            return fl_fail(err, "%s.%s must be a string", what, gpu_keys[i]);
        if (g && *g->valuestring)
            pv_map_set(&r->extra, gpu_keys[i], g->valuestring);
    }
    return 0;
}

cJSON *pv_resources_to_json(const pv_resources *r)
{
    cJSON *o = cJSON_CreateObject();
    if (r->memory && *r->memory)
        cJSON_AddStringToObject(o, "memory", r->memory);
    if (r->cpu && *r->cpu)
        cJSON_AddStringToObject(o, "cpu", r->cpu);
    for (size_t i = 0; i < r->extra.n; i++)
        cJSON_AddStringToObject(o, r->extra.k[i], r->extra.v[i]);
    return o;
}

static void resources_free(pv_resources *r)
{
    free(r->memory);
    free(r->cpu);
    pv_map_free(&r->extra);
    memset(r, 0, sizeof *r);
}

static void resources_copy(pv_resources *dst, const pv_resources *src)
{
    dst->set = src->set;
    dst->memory = src->memory ? fl_xstrdup(src->memory) : NULL;
    dst->cpu = src->cpu ? fl_xstrdup(src->cpu) : NULL;
    pv_map_copy(&dst->extra, &src->extra);
}

int pv_deployment_parse(const char *json, size_t len, pv_deployment *d, fl_err *err)
{
    memset(d, 0, sizeof *d);
    cJSON *root = parse_object(json, len, "FunctionDeployment", err);
    if (!root)
        return -1;
    const cJSON *ro = member(root, "readOnlyRootFilesystem");
    int rc = -1;
    if (get_str(root, "service", &d->service, err) || get_str(root, "image", &d->image, err) ||
        get_str(root, "namespace", &d->namespace, err) || get_str(root, "envProcess", &d->env_process, err) ||
        pv_map_from_json(member(root, "envVars"), &d->env_vars, "envVars", err) ||
        pv_map_from_json(member(root, "labels"), &d->labels, "labels", err) ||
        pv_map_from_json(member(root, "annotations"), &d->annotations, "annotations", err) ||
        pv_strv_from_json(member(root, "constraints"), &d->constraints, "constraints", err) ||
        pv_strv_from_json(member(root, "secrets"), &d->secrets, "secrets", err) ||
        pv_resources_from_json(member(root, "limits"), &d->limits, "limits", err) ||
        pv_resources_from_json(member(root, "requests"), &d->requests, "requests", err))
        goto out;
    if (ro && !cJSON_IsBool(ro)) {
        fl_fail(err, "readOnlyRootFilesystem must be true or false");
        goto out;
    }
    d->read_only_root_fs = ro && cJSON_IsTrue(ro);
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc)
        pv_deployment_free(d);
    return rc;
}

void pv_deployment_free(pv_deployment *d)
{
    free(d->service);
    free(d->image);
    free(d->namespace);
    free(d->env_process);
    pv_map_free(&d->env_vars);
    pv_map_free(&d->labels);
    pv_map_free(&d->annotations);
    pv_strv_free(d->constraints);
    pv_strv_free(d->secrets);
    resources_free(&d->limits);
    resources_free(&d->requests);
    memset(d, 0, sizeof *d);
}

static char *dup_or_null(const char *s)
{
    return s ? fl_xstrdup(s) : NULL;
}

void pv_deployment_copy(pv_deployment *dst, const pv_deployment *src)
{
    memset(dst, 0, sizeof *dst);
    dst->service = dup_or_null(src->service);
    dst->image = dup_or_null(src->image);
    dst->namespace = dup_or_null(src->namespace);
    dst->env_process = dup_or_null(src->env_process);
    pv_map_copy(&dst->env_vars, &src->env_vars);
    pv_map_copy(&dst->labels, &src->labels);
    pv_map_copy(&dst->annotations, &src->annotations);
    dst->constraints = strv_dup(src->constraints);
    dst->secrets = strv_dup(src->secrets);
    resources_copy(&dst->limits, &src->limits);
    resources_copy(&dst->requests, &src->requests);
    dst->read_only_root_fs = src->read_only_root_fs;
}

void pv_status_free(pv_status *s)
{
    pv_deployment_free(&s->d);
}

cJSON *pv_status_to_json(const pv_status *s)
{
    const pv_deployment *d = &s->d;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", d->service ? d->service : "");
    cJSON_AddStringToObject(o, "image", d->image ? d->image : "");
    if (d->namespace && *d->namespace)
        cJSON_AddStringToObject(o, "namespace", d->namespace);
    if (d->env_process && *d->env_process)
        cJSON_AddStringToObject(o, "envProcess", d->env_process);
    if (d->env_vars.n)
        cJSON_AddItemToObject(o, "envVars", pv_map_to_json(&d->env_vars));
    if (pv_strv_len(d->constraints))
        cJSON_AddItemToObject(o, "constraints", strv_json(d->constraints));
    if (pv_strv_len(d->secrets))
        cJSON_AddItemToObject(o, "secrets", strv_json(d->secrets));
    cJSON_AddItemToObject(o, "labels", pv_map_to_json(&d->labels));
    cJSON_AddItemToObject(o, "annotations", pv_map_to_json(&d->annotations));
    if (d->limits.set)
        cJSON_AddItemToObject(o, "limits", pv_resources_to_json(&d->limits));
    if (d->requests.set)
        cJSON_AddItemToObject(o, "requests", pv_resources_to_json(&d->requests));
    if (d->read_only_root_fs)
        cJSON_AddTrueToObject(o, "readOnlyRootFilesystem");
    if (s->invocation_count > 0)
        cJSON_AddNumberToObject(o, "invocationCount", s->invocation_count);
    if (s->replicas)
        cJSON_AddNumberToObject(o, "replicas", (double)s->replicas);
    if (s->available_replicas)
        cJSON_AddNumberToObject(o, "availableReplicas", (double)s->available_replicas);
    cJSON_AddStringToObject(o, "createdAt", s->created_at[0] ? s->created_at : "0001-01-01T00:00:00Z");
    return o;
}

int pv_delete_parse(const char *json, size_t len, pv_delete_req *r, fl_err *err)
{
    memset(r, 0, sizeof *r);
    cJSON *root = parse_object(json, len, "DeleteFunctionRequest", err);
    if (!root)
        return -1;
    int rc = get_str(root, "functionName", &r->function_name, err) || get_str(root, "namespace", &r->namespace, err)
                 ? -1 : 0;
    cJSON_Delete(root);
    if (rc)
        pv_delete_free(r);
    return rc;
}

int pv_scale_parse(const char *json, size_t len, pv_scale_req *r, fl_err *err)
{
    memset(r, 0, sizeof *r);
    cJSON *root = parse_object(json, len, "ScaleServiceRequest", err);
    if (!root)
        return -1;
    int rc = -1;
    if (get_str(root, "serviceName", &r->service_name, err) || get_str(root, "namespace", &r->namespace, err))
        goto out;
    const cJSON *n = member(root, "replicas");
    if (n) {
        double v = cJSON_IsNumber(n) ? n->valuedouble : -1;
        if (v < 0 || v != (double)(uint64_t)v || v > 1e15) {
            fl_fail(err, "replicas must be a whole number, 0 or more");
            goto out;
        }
        r->replicas = (uint64_t)v;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc)
        pv_scale_free(r);
    return rc;
}

void pv_delete_free(pv_delete_req *r)
{
    free(r->function_name);
    free(r->namespace);
    memset(r, 0, sizeof *r);
}

void pv_scale_free(pv_scale_req *r)
{
    free(r->service_name);
    free(r->namespace);
    memset(r, 0, sizeof *r);
}
