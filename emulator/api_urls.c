/* CreateFunctionUrlConfig, GetFunctionUrlConfig, UpdateFunctionUrlConfig,
 * DeleteFunctionUrlConfig, ListFunctionUrlConfigs. A function has at most
 * one URL ($LATEST); it is served on the emulator's own port (url_serve.c):
 *   http://ID.lambda-url.REGION.localhost:PORT/...   by host name
 *   http://127.0.0.1:PORT/lambda-url/NAME/...        by path */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

static const char *const auth_types[] = {"NONE", "AWS_IAM", NULL};
static const char *const invoke_modes[] = {"BUFFERED", "RESPONSE_STREAM", NULL};

void emu_url_of(emu *e, const emu_fn_record *rec, char *out, size_t n)
{
    const char *port = strrchr(e->url, ':');
    snprintf(out, n, "http://%s.lambda-url.%s.localhost%s/", rec->url.id, e->region, port ? port : "");
}

static cJSON *url_json(emu *e, const emu_fn_record *rec, bool modified)
{
    char url[200], arn[256], created[40], mod[40];
    emu_url_of(e, rec, url, sizeof url);
    emu_function_arn(e->region, rec->name, arn, sizeof arn);
    emu_format_time_z(rec->url.created_ms, created);
    emu_format_time_z(rec->url.modified_ms, mod);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "FunctionUrl", url);
    cJSON_AddStringToObject(o, "FunctionArn", arn);
    cJSON_AddStringToObject(o, "AuthType", rec->url.auth_type);
    if (rec->url.cors)
        cJSON_AddItemToObject(o, "Cors", cJSON_Parse(rec->url.cors));
    cJSON_AddStringToObject(o, "CreationTime", created);
    if (modified)
        cJSON_AddStringToObject(o, "LastModifiedTime", mod);
    cJSON_AddStringToObject(o, "InvokeMode", rec->url.invoke_mode ? rec->url.invoke_mode : "BUFFERED");
    return o;
}

static const char *one_of(const char *s, const char *const *allowed)
{
    for (size_t i = 0; s && allowed[i]; i++)
        if (!strcmp(s, allowed[i]))
            return allowed[i];
    return NULL;
}

/* AuthType, InvokeMode, Cors from the body onto the record's URL. */
static void url_members(const cJSON *b, emu_url_conf *u, bool create, emu_verr *v)
{
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(b, "AuthType");
    if (at || create) {
        const char *s = one_of(cJSON_GetStringValue(at), auth_types);
        if (!s)
            emu_verr_add(v, cJSON_GetStringValue(at), "authType", "Member must satisfy enum value set: [AWS_IAM, NONE]");
        else {
            free(u->auth_type);
            u->auth_type = fl_xstrdup(s);
        }
    }
    const cJSON *im = cJSON_GetObjectItemCaseSensitive(b, "InvokeMode");
    if (im) {
        const char *s = one_of(cJSON_GetStringValue(im), invoke_modes);
        if (!s)
            emu_verr_add(v, cJSON_GetStringValue(im), "invokeMode",
                         "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]");
        else {
            free(u->invoke_mode);
            u->invoke_mode = fl_xstrdup(s);
        }
    } else if (create) {
        u->invoke_mode = fl_xstrdup("BUFFERED");
    }
    const cJSON *cors = cJSON_GetObjectItemCaseSensitive(b, "Cors");
    if (cors && !cJSON_IsObject(cors)) {
        emu_verr_add(v, NULL, "cors", "Member must be a structure");
    } else if (cors) {
        free(u->cors);
        u->cors = cJSON_PrintUnformatted(cors);
    }
}

static void new_url_id(char id[EMU_URL_ID_LEN + 1])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    char hex[EMU_URL_ID_LEN * 2 + 1];
    emu_random_hex(hex, EMU_URL_ID_LEN);
    for (int i = 0; i < EMU_URL_ID_LEN; i++) {
        unsigned v = (unsigned)strtoul((char[]){hex[2 * i], hex[2 * i + 1], 0}, NULL, 16);
        id[i] = alphabet[v % 36];
    }
    id[EMU_URL_ID_LEN] = 0;
}

static int qualifier_ok(emu_req *r, int *rc)
{
    const char *q = emu_query_get(&r->query, "Qualifier");
    if (q && strcmp(q, EMU_VERSION)) {
        *rc = emu_reply_error(r, 404, "ResourceNotFoundException", "The resource you requested does not exist.");
        return -1;
    }
    return 0;
}

static int change_url(emu_req *r, const char *name)
{
    emu *e = r->e;
    int rc;
    cJSON *b = NULL;
    if (r->route.op != EMU_OP_DELETE_URL && !(b = emu_body_object(r, &rc)))
        return rc;
    pthread_mutex_lock(&e->write_mu);
    pthread_mutex_lock(&e->mu);
    emu_entry *en = emu_find(e, name);
    emu_fn_record *rec = en ? emu_record_dup(en->rec) : NULL;
    pthread_mutex_unlock(&e->mu);
    emu_verr v = {0};
    fl_err err;
    char arn[256];
    emu_function_arn(e->region, name, arn, sizeof arn);
    unsigned status = 200;
    if (!rec) {
        rc = emu_reply_not_found(r, name, NULL);
        goto out;
    }
    if (r->route.op == EMU_OP_CREATE_URL) {
        if (rec->url.set) {
            rc = emu_reply_error(r, 409, "ResourceConflictException", "Failed to create function url config for "
                                 "[functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda "
                                 "function", arn);
            goto out;
        }
        url_members(b, &rec->url, true, &v);
        rec->url.set = true;
        new_url_id(rec->url.id);
        rec->url.created_ms = rec->url.modified_ms = fl_wall_ms();
        status = 201;
    } else if (!rec->url.set) {
        rc = emu_reply_error(r, 404, "ResourceNotFoundException", "The resource you requested does not exist.");
        goto out;
    } else if (r->route.op == EMU_OP_UPDATE_URL) {
        url_members(b, &rec->url, false, &v);
        rec->url.modified_ms = fl_wall_ms();
    } else {
        free(rec->url.auth_type);
        free(rec->url.invoke_mode);
        free(rec->url.cors);
        memset(&rec->url, 0, sizeof rec->url);
        status = 204;
    }
    if (v.n) {
        rc = emu_reply_verr(r, &v);
        goto out;
    }
    if (emu_record_persist(e, rec, &err)) {
        rc = emu_reply_error(r, 500, "ServiceException", "%s", err.msg);
        goto out;
    }
    cJSON *answer = status == 204 ? NULL : url_json(e, rec, status == 200);
    emu_record_install(e, &rec, false);
    rc = answer ? emu_reply_json(r, status, answer) : emu_reply_empty(r, 204);
out:
    pthread_mutex_unlock(&e->write_mu);
    emu_record_free(rec);
    emu_verr_free(&v);
    cJSON_Delete(b);
    return rc;
}

static int get_url(emu_req *r, const char *name, bool list)
{
    pthread_mutex_lock(&r->e->mu);
    emu_entry *en = emu_find(r->e, name);
    cJSON *one = en && en->rec->url.set ? url_json(r->e, en->rec, true) : NULL;
    pthread_mutex_unlock(&r->e->mu);
    if (!en)
        return emu_reply_not_found(r, name, NULL);
    if (list) {
        cJSON *doc = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(doc, "FunctionUrlConfigs");
        if (one)
            cJSON_AddItemToArray(arr, one);
        return emu_reply_json(r, 200, doc);
    }
    if (!one)
        return emu_reply_error(r, 404, "ResourceNotFoundException", "The resource you requested does not exist.");
    return emu_reply_json(r, 200, one);
}

int emu_api_urls(emu_req *r)
{
    char name[EMU_FN_REF_MAX];
    int rc;
    if (emu_resolve_function(r, r->route.p1, name, &rc) || qualifier_ok(r, &rc))
        return rc;
    switch (r->route.op) {
    case EMU_OP_GET_URL: return get_url(r, name, false);
    case EMU_OP_LIST_URLS: return get_url(r, name, true);
    default: return change_url(r, name);
    }
}
