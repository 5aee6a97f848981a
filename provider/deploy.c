/* Deploy, update, delete and scale on Lambda.
 *   POST: CreateFunction (or, if the function exists, as PUT);
 *   PUT:  404 when it does not exist (faas-cli then POSTs), else
 *         UpdateFunctionCode, wait for LastUpdateStatus, then
 *         UpdateFunctionConfiguration, wait, then the tags brought in line.
 *         A change between zip and image package needs a new function:
 *         Lambda cannot convert one.
 * Calls for one function run one at a time (locks.c). The function is
 * ready when State is Active: status reports availableReplicas 0 before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"
#include "shim/shim.h"

#define UPDATE_WAIT_MS (5 * 60 * 1000)
#define RUNTIME "provided.al2023"
#define HANDLER "fwatchdog"

typedef struct code {
    fl_buf zip;
    char *image_uri, *arch;
} fn_code;

static void code_free(fn_code *c)
{
    fl_buf_free(&c->zip);
    free(c->image_uri);
    free(c->arch);
}

/* Lambda's answer to a write: 0 on 2xx; else the status to report. */
static int lambda_status(const pv_api_result *r, const char *what, const char *fn, int *status, fl_err *err)
{
    if (r->status >= 200 && r->status < 300)
        return 0;
    *status = r->status == 404 ? 404 : r->status == 409 ? 409 : r->status >= 400 && r->status < 500 ? 400 : 500;
    return fl_fail(err, "%s %s: Lambda answered %d %s: %s", what, fn, r->status, r->type, r->message);
}

/* The JSON text of doc with "ZipFile":"<base64 of zip>" added: the zip goes
 * straight into the text, not through a cJSON copy. */
static void body_with_zip(cJSON *doc, const fl_buf *zip, fl_buf *out)
{
    fl_buf_reset(out);
    char *txt = cJSON_PrintUnformatted(doc);
    fl_buf_puts(out, "{\"ZipFile\":\"");
    shim_base64_encode(zip->data, zip->len, out);
    fl_buf_puts(out, "\"");
    if (strcmp(txt, "{}"))
        fl_buf_printf(out, ",%s", txt + 1);
    else
        fl_buf_puts(out, "}");
    free(txt);
}

static cJSON *str_array(char *const *v)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; v && v[i]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static void add_configuration(cJSON *o, const pv_plan *p, bool zip)
{
    char desc[256];
    snprintf(desc, sizeof desc, "OpenFaaS function %s.%s", p->name, p->ns);
    cJSON_AddStringToObject(o, "Role", p->role);
    cJSON_AddStringToObject(o, "Description", desc);
    cJSON_AddNumberToObject(o, "Timeout", p->timeout_s);
    cJSON_AddNumberToObject(o, "MemorySize", p->memory_mb);
    cJSON *env = cJSON_AddObjectToObject(o, "Environment");
    cJSON_AddItemToObject(env, "Variables", cJSON_Duplicate(p->env, true));
    if (zip) {
        cJSON_AddStringToObject(o, "Runtime", RUNTIME);
        cJSON_AddStringToObject(o, "Handler", HANDLER);
        cJSON_AddItemToObject(o, "Layers", str_array(p->layers));
    }
}

static int create(pv_server *s, const pv_plan *p, const fn_code *c, int *status, fl_err *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "FunctionName", p->lname);
    add_configuration(o, p, !c->image_uri);
    cJSON_AddStringToObject(o, "PackageType", c->image_uri ? "Image" : "Zip");
    cJSON *arch = cJSON_AddArrayToObject(o, "Architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString(c->arch));
    cJSON_AddItemToObject(o, "Tags", pv_map_to_json(&p->tags));
    fl_buf body = {0};
    if (c->image_uri) {
        cJSON *code = cJSON_AddObjectToObject(o, "Code");
        cJSON_AddStringToObject(code, "ImageUri", c->image_uri);
        fl_json_print(&body, o);
    } else {
        /* {"Code":{"ZipFile":...}, ...}: the zip as the Code object's member */
        cJSON *code = cJSON_CreateObject();
        fl_buf inner = {0};
        body_with_zip(code, &c->zip, &inner);
        cJSON_Delete(code);
        char *rest = cJSON_PrintUnformatted(o);
        fl_buf_printf(&body, "{\"Code\":%s,%s", inner.data, rest + 1);
        free(rest);
        fl_buf_free(&inner);
    }
    cJSON_Delete(o);
    pv_api_result r;
    int rc = pv_lambda_rest(&s->lambda, "POST", "/2015-03-31/functions", NULL, body.data, body.len, &r, err);
    fl_buf_free(&body);
    if (rc) {
        *status = 500;
        return -1;
    }
    rc = lambda_status(&r, "CreateFunction", p->lname, status, err);
    pv_api_result_free(&r);
    return rc;
}

static int put_json(pv_server *s, const char *path, cJSON *o, const char *what, const char *fn, int *status,
                    fl_err *err)
{
    fl_buf body = {0};
    fl_json_print(&body, o);
    pv_api_result r;
    int rc = pv_lambda_rest(&s->lambda, "PUT", path, NULL, body.data, body.len, &r, err);
    fl_buf_free(&body);
    if (rc) {
        *status = 500;
        return -1;
    }
    rc = lambda_status(&r, what, fn, status, err);
    pv_api_result_free(&r);
    return rc;
}

static int update_code(pv_server *s, const pv_plan *p, const fn_code *c, int *status, fl_err *err)
{
    char *path = pv_lambda_fn_path("2015-03-31", p->lname, "/code");
    cJSON *o = cJSON_CreateObject();
    cJSON *arch = cJSON_AddArrayToObject(o, "Architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString(c->arch));
    int rc;
    if (c->image_uri) {
        cJSON_AddStringToObject(o, "ImageUri", c->image_uri);
        rc = put_json(s, path, o, "UpdateFunctionCode", p->lname, status, err);
    } else {
        fl_buf body = {0};
        body_with_zip(o, &c->zip, &body);
        pv_api_result r;
        rc = pv_lambda_rest(&s->lambda, "PUT", path, NULL, body.data, body.len, &r, err);
        fl_buf_free(&body);
        if (rc)
            *status = 500;
        else
            rc = lambda_status(&r, "UpdateFunctionCode", p->lname, status, err);
        pv_api_result_free(&r);
    }
    cJSON_Delete(o);
    free(path);
    return rc;
}

static int update_configuration(pv_server *s, const pv_plan *p, bool zip, int *status, fl_err *err)
{
    char *path = pv_lambda_fn_path("2015-03-31", p->lname, "/configuration");
    cJSON *o = cJSON_CreateObject();
    add_configuration(o, p, zip);
    int rc = put_json(s, path, o, "UpdateFunctionConfiguration", p->lname, status, err);
    cJSON_Delete(o);
    free(path);
    return rc;
}

/* Brings the function's faas-lambda:* tags to want; other tags stay. */
static int sync_tags(pv_server *s, const char *arn, const pv_map *have, const pv_map *want, int *status, fl_err *err)
{
    fl_buf path = {0};
    fl_buf_puts(&path, "/2017-03-31/tags");
    pv_aws_path_segment(&path, arn);
    size_t nq = 0;
    const char **q = fl_xcalloc(2 * have->n + 1, sizeof *q);
    for (size_t i = 0; i < have->n; i++)
        if (pv_tag_is_ours(have->k[i]) && !pv_map_get(want, have->k[i])) {
            q[nq++] = "tagKeys";
            q[nq++] = have->k[i];
        }
    int rc = 0;
    pv_api_result r;
    if (nq) {
        rc = pv_lambda_rest(&s->lambda, "DELETE", path.data, q, NULL, 0, &r, err);
        if (rc == 0) {
            rc = lambda_status(&r, "UntagResource", arn, status, err);
            pv_api_result_free(&r);
        } else {
            *status = 500;
        }
    }
    free(q);
    pv_map changed = {0};
    for (size_t i = 0; i < want->n; i++) {
        const char *h = pv_map_get(have, want->k[i]);
        if (!h || strcmp(h, want->v[i]))
            pv_map_set(&changed, want->k[i], want->v[i]);
    }
    if (rc == 0 && changed.n) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "Tags", pv_map_to_json(&changed));
        fl_buf body = {0};
        fl_json_print(&body, o);
        cJSON_Delete(o);
        rc = pv_lambda_rest(&s->lambda, "POST", path.data, NULL, body.data, body.len, &r, err);
        fl_buf_free(&body);
        if (rc == 0) {
            rc = lambda_status(&r, "TagResource", arn, status, err);
            pv_api_result_free(&r);
        } else {
            *status = 500;
        }
    }
    pv_map_free(&changed);
    fl_buf_free(&path);
    return rc;
}

static int wait_updated(pv_server *s, const char *fn, int *status, fl_err *err)
{
    if (pv_lambda_wait_ready(&s->lambda, fn, false, UPDATE_WAIT_MS, err)) {
        *status = 500;
        return -1;
    }
    return 0;
}

static int delete_function(pv_server *s, const char *lname, fl_err *err)
{
    char *path = pv_lambda_fn_path("2015-03-31", lname, NULL);
    pv_api_result r;
    int rc = pv_lambda_rest(&s->lambda, "DELETE", path, NULL, NULL, 0, &r, err);
    free(path);
    if (rc)
        return -1;
    if (r.status == 404)
        rc = 1;
    else if (r.status >= 300)
        rc = fl_fail(err, "DeleteFunction %s: Lambda answered %d %s: %s", lname, r.status, r.type, r.message);
    pv_api_result_free(&r);
    return rc;
}

static int update(pv_server *s, const pv_plan *p, const fn_code *c, const cJSON *existing, int *status, fl_err *err)
{
    const cJSON *conf = fl_json_obj(existing, "Configuration");
    const char *pkg = fl_json_str(conf, "PackageType"), *arn = fl_json_str(conf, "FunctionArn");
    bool was_image = pkg && !strcmp(pkg, "Image");
    if (was_image != (c->image_uri != NULL)) {
        fl_info("provider: %s.%s changes package type: replacing the Lambda function", p->name, p->ns);
        if (delete_function(s, p->lname, err) < 0) {
            *status = 500;
            return -1;
        }
        return create(s, p, c, status, err);
    }
    if (wait_updated(s, p->lname, status, err) || update_code(s, p, c, status, err) ||
        wait_updated(s, p->lname, status, err) || update_configuration(s, p, !c->image_uri, status, err) ||
        wait_updated(s, p->lname, status, err))
        return -1;
    pv_map have = {0};
    fl_err ignore;
    pv_map_from_json(fl_json_obj(existing, "Tags"), &have, "Tags", &ignore);
    int rc = arn ? sync_tags(s, arn, &have, &p->tags, status, err) : 0;
    pv_map_free(&have);
    return rc;
}

static pv_plan_defaults plan_defaults(pv_server *s)
{
    return (pv_plan_defaults){.ns = s->cfg->function_namespace, .role = s->role, .memory_mb = s->cfg->memory_mb,
                              .timeout_s = s->cfg->timeout_s, .have_image_repository = s->cfg->image_repository};
}

/* The function as Lambda has it now: 0 and its GetFunction document, 1 none,
 * -1 failure or a function of that name that faas-lambda did not make. */
static int existing_function(pv_server *s, const pv_plan *p, cJSON **doc, int *status, fl_err *err)
{
    int rc = pv_lambda_get_function(&s->lambda, p->lname, doc, err);
    if (rc < 0) {
        *status = 500;
        return -1;
    }
    if (rc == 0 && !cJSON_GetObjectItemCaseSensitive(fl_json_obj(*doc, "Tags"), PV_TAG_NAME)) {
        cJSON_Delete(*doc);
        *doc = NULL;
        *status = 409;
        return fl_fail(err, "a Lambda function named %s exists and was not made by faas-lambda: remove it or "
                            "choose another name", p->lname);
    }
    return rc;
}

int pv_deploy(pv_server *s, const pv_deployment *d, bool is_update, int *status, fl_err *err)
{
    pv_plan p;
    pv_plan_defaults def = plan_defaults(s);
    *status = 400;
    if (pv_plan_make(d, &def, &p, err))
        return -1;
    if (p.memory_raised)
        fl_info("provider: %s.%s asks for less memory than Lambda's 128 MB: it gets 128 MB", p.name, p.ns);
    pv_lock(&s->locks, p.lname);
    cJSON *existing = NULL;
    fn_code c = {0};
    int rc = existing_function(s, &p, &existing, status, err);
    if (rc < 0)
        goto out;
    if (rc == 1 && is_update) {
        *status = 404;
        rc = fl_fail(err, "function %s.%s not found", p.name, p.ns);
        goto out;
    }
    if (pv_pack(s, d, &p, &c.zip, &c.image_uri, &c.arch, status, err)) {
        rc = -1;
        goto out;
    }
    rc = existing ? update(s, &p, &c, existing, status, err) : create(s, &p, &c, status, err);
    if (rc == 0) {
        *status = is_update ? 200 : 202;
        fl_info("provider: %s %s.%s (Lambda function %s, %s, %u MB, %u s)", existing ? "updated" : "created", p.name,
                p.ns, p.lname, c.image_uri ? "image" : "zip", p.memory_mb, p.timeout_s);
    }
out:
    pv_unlock(&s->locks, p.lname);
    code_free(&c);
    cJSON_Delete(existing);
    pv_plan_free(&p);
    return rc ? -1 : 0;
}

/* The Lambda name of a function this provider deployed; fails as status
 * does (not found, or not ours) otherwise. */
static int deployed_name(pv_server *s, const char *name, const char *ns, char lname[PV_LAMBDA_NAME_MAX + 1],
                         fl_err *err)
{
    pv_status st;
    int rc = pv_lambda_status(s, name, ns, &st, err);
    if (rc)
        return rc;
    pv_status_free(&st);
    pv_lambda_name(name, ns, lname, err);
    return 0;
}

int pv_delete(pv_server *s, const char *name, const char *ns, fl_err *err)
{
    char lname[PV_LAMBDA_NAME_MAX + 1];
    int rc = deployed_name(s, name, ns, lname, err);
    if (rc)
        return rc;
    pv_lock(&s->locks, lname);
    rc = delete_function(s, lname, err);
    pv_unlock(&s->locks, lname);
    if (rc == 0)
        fl_info("provider: deleted %s.%s (Lambda function %s)", name, ns, lname);
    return rc;
}

int pv_scale(pv_server *s, const char *name, const char *ns, uint64_t replicas, fl_err *err)
{
    char lname[PV_LAMBDA_NAME_MAX + 1];
    int rc = deployed_name(s, name, ns, lname, err);
    if (rc)
        return rc;
    char *path = pv_lambda_fn_path("2017-10-31", lname, "/concurrency");
    pv_api_result r;
    if (replicas == 0)
        rc = pv_lambda_rest(&s->lambda, "PUT", path, NULL, "{\"ReservedConcurrentExecutions\":0}", 34, &r, err);
    else
        rc = pv_lambda_rest(&s->lambda, "DELETE", path, NULL, NULL, 0, &r, err);
    free(path);
    if (rc)
        return -1;
    if (r.status == 404)
        rc = 1;
    else if (r.status >= 300)
        rc = fl_fail(err, "%s %s: Lambda answered %d %s: %s", replicas ? "DeleteFunctionConcurrency" :
                     "PutFunctionConcurrency", lname, r.status, r.type, r.message);
    pv_api_result_free(&r);
    return rc;
}
