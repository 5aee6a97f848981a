/* CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
 * UpdateFunctionConfiguration, UpdateFunctionCode, DeleteFunction.
 *
 * A change runs under e->write_mu from its checks to its swap: the new
 * code is stored (content-addressed), the new record written to
 * functions/NAME.json (temp + fsync + rename), and only then published in
 * the registry, so what a reader sees is always what is on disk. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "shim/shim.h"

static char *code_location(emu *e, const emu_fn_record *rec)
{
    return fl_xasprintf("%s/faas-lambda/code/%s.zip", e->url, rec->code_hex);
}

/* The record of a function (a copy), or NULL with a 404 queued. */
static emu_fn_record *snapshot(emu_req *r, const char *name, int *rc)
{
    pthread_mutex_lock(&r->e->mu);
    emu_entry *en = emu_find(r->e, name);
    emu_fn_record *rec = en ? emu_record_dup(en->rec) : NULL;
    pthread_mutex_unlock(&r->e->mu);
    if (!rec)
        *rc = emu_reply_not_found(r, name, NULL);
    return rec;
}

static int get_function(emu_req *r, bool config_only)
{
    char name[EMU_FN_REF_MAX];
    int rc;
    if (emu_resolve_function(r, r->route.p1, name, &rc))
        return rc;
    emu_fn_record *rec = snapshot(r, name, &rc);
    if (!rec)
        return rc;
    cJSON *conf = emu_record_configuration(rec, r->e->region, fl_wall_ms(), EMU_VIEW_NOW);
    if (config_only) {
        emu_record_free(rec);
        return emu_reply_json(r, 200, conf);
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "Configuration", conf);
    cJSON *code = cJSON_AddObjectToObject(doc, "Code");
    if (!strcmp(rec->package_type, "Image")) {
        cJSON_AddStringToObject(code, "RepositoryType", "ECR");
        cJSON_AddStringToObject(code, "ImageUri", rec->image_uri ? rec->image_uri : "");
        if (rec->image_digest) {
            char *resolved = emu_image_resolved_uri(rec);
            cJSON_AddStringToObject(code, "ResolvedImageUri", resolved);
            free(resolved);
        }
    } else {
        cJSON_AddStringToObject(code, "RepositoryType", "S3");
        char *loc = rec->external ? fl_xasprintf("file://%s", rec->task_root) : code_location(r->e, rec);
        cJSON_AddStringToObject(code, "Location", loc);
        free(loc);
    }
    if (rec->tags.n)
        emu_kvs_to_json(&rec->tags, cJSON_AddObjectToObject(doc, "Tags"));
    if (rec->reserved >= 0)
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(doc, "Concurrency"), "ReservedConcurrentExecutions",
                                rec->reserved);
    emu_record_free(rec);
    return emu_reply_json(r, 200, doc);
}

static int list_functions(emu_req *r)
{
    const char *marker = emu_query_get(&r->query, "Marker");
    const char *max_s = emu_query_get(&r->query, "MaxItems");
    uint64_t max = EMU_LIST_DEFAULT;
    if (max_s && (fl_parse_u64(max_s, 10000, &max) || max < 1)) {
        emu_verr v = {0};
        emu_verr_add(&v, max_s, "maxItems", "Member must have value between 1 and 10000");
        return emu_reply_verr(r, &v);
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(doc, "Functions");
    uint64_t now = fl_wall_ms();
    pthread_mutex_lock(&r->e->mu);
    size_t i = 0, n = 0;
    while (marker && *marker && i < r->e->nfns && strcmp(r->e->fns[i]->rec->name, marker) <= 0)
        i++;
    for (; i < r->e->nfns && n < max; i++, n++)
        cJSON_AddItemToArray(list, emu_record_configuration(r->e->fns[i]->rec, r->e->region, now, EMU_VIEW_NOW));
    if (i < r->e->nfns && n)
        cJSON_AddStringToObject(doc, "NextMarker", r->e->fns[i - 1]->rec->name);
    pthread_mutex_unlock(&r->e->mu);
    return emu_reply_json(r, 200, doc);
}

/* ZipFile (base64) or ImageUri from a Code object or the UpdateFunctionCode
 * body; stores the zip. S3 locations do not exist here. */
static int take_code(emu_req *r, const cJSON *code, emu_fn_record *rec, emu_verr *v)
{
    const cJSON *zip = cJSON_GetObjectItemCaseSensitive(code, "ZipFile");
    const cJSON *image = cJSON_GetObjectItemCaseSensitive(code, "ImageUri");
    bool is_image = !strcmp(rec->package_type, "Image");
    if (cJSON_GetObjectItemCaseSensitive(code, "S3Bucket") || cJSON_GetObjectItemCaseSensitive(code, "S3Key")) {
        emu_verr_set(v, "InvalidParameterValueException", "faas-lambda emulate has no S3: upload the package "
                     "itself (ZipFile, e.g. aws lambda create-function --zip-file fileb://package.zip)");
        return -1;
    }
    if (is_image) {
        if (!cJSON_IsString(image) || !*image->valuestring) {
            emu_verr_set(v, "InvalidParameterValueException", "Please provide ImageUri when updating a function "
                         "with packageType Image.");
            return -1;
        }
        return emu_image_take(r->e, image->valuestring, rec, v);
    }
    if (cJSON_IsString(image)) {
        emu_verr_set(v, "InvalidParameterValueException", "Please don't provide ImageUri when updating a function "
                     "with packageType Zip.");
        return -1;
    }
    if (!cJSON_IsString(zip)) {
        emu_verr_set(v, "InvalidParameterValueException", "Please provide a source for function code.");
        return -1;
    }
    fl_buf bytes = {0};
    fl_err err;
    if (shim_base64_decode(zip->valuestring, strlen(zip->valuestring), &bytes, &err) || bytes.len == 0) {
        fl_buf_free(&bytes);
        emu_verr_set(v, "InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, "
                     "then try to upload again.");
        return -1;
    }
    uint64_t layers = 0;
    for (size_t i = 0; i < rec->nlayers; i++)
        layers += rec->layers[i].unzipped;
    emu_code c;
    int rc = emu_store_put_zip(r->e->store, bytes.data, bytes.len,
                               EMU_UNZIPPED_MAX > layers ? EMU_UNZIPPED_MAX - layers : 0, &c, &err);
    fl_buf_free(&bytes);
    if (rc) {
        emu_verr_set(v, "InvalidParameterValueException", "%s", err.msg);
        return -1;
    }
    snprintf(rec->code_hex, sizeof rec->code_hex, "%s", c.hex);
    snprintf(rec->code_sha256, sizeof rec->code_sha256, "%s", c.sha256);
    rec->code_size = c.size;
    rec->unzipped = c.unzipped;
    return 0;
}

static emu_fn_record *new_record(emu *e, const char *name)
{
    emu_fn_record *rec = fl_xcalloc(1, sizeof *rec);
    rec->name = fl_xstrdup(name);
    rec->timeout_s = EMU_TIMEOUT_DEFAULT;
    rec->memory_mb = EMU_MEMORY_DEFAULT;
    rec->ephemeral_mb = EMU_EPHEMERAL_DEFAULT;
    rec->arch = fl_xstrdup("x86_64");
    rec->package_type = fl_xstrdup("Zip");
    rec->reserved = -1;
    rec->modified_ms = fl_wall_ms();
    rec->pending_until_ms = rec->modified_ms + e->state_delay_ms;
    emu_new_uuid(rec->revision);
    return rec;
}

static const char *create_name(emu_req *r, const cJSON *b, char name[EMU_FN_REF_MAX], emu_verr *v)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(b, "FunctionName");
    emu_fn_ref ref;
    if (!cJSON_IsString(n)) {
        emu_verr_add(v, NULL, "functionName", "Member must not be null");
        return NULL;
    }
    if (strlen(n->valuestring) > 140 || emu_parse_fn_ref(n->valuestring, &ref) || ref.qualifier[0]) {
        emu_verr_bad_name(v, n->valuestring, "functionName");
        return NULL;
    }
    if ((ref.region[0] && strcmp(ref.region, r->e->region)) || (ref.account[0] && strcmp(ref.account, EMU_ACCOUNT))) {
        emu_verr_set(v, "InvalidParameterValueException", "The function ARN %s is not in this region (%s) and "
                     "account (%s)", n->valuestring, r->e->region, EMU_ACCOUNT);
        return NULL;
    }
    snprintf(name, EMU_FN_REF_MAX, "%s", ref.name);
    return name;
}

static void create_checks(emu_req *r, const cJSON *b, emu_fn_record *rec, emu_verr *v)
{
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(b, "PackageType");
    if (pt && !cJSON_IsNull(pt)) {
        const char *s = cJSON_GetStringValue(pt);
        if (!s || (strcmp(s, "Zip") && strcmp(s, "Image")))
            emu_verr_add(v, s, "packageType", "Member must satisfy enum value set: [Zip, Image]");
        else {
            free(rec->package_type);
            rec->package_type = fl_xstrdup(s);
        }
    }
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "Role")))
        emu_verr_add(v, NULL, "role", "Member must not be null");
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(b, "Code")))
        emu_verr_add(v, NULL, "code", "Member must not be null");
    emu_input_config(r->e, b, rec, v);
    emu_input_tags(b, &rec->tags, v);
    emu_input_architectures(b, rec, v);
    if (v->n)
        return;
    bool zip = !strcmp(rec->package_type, "Zip");
    if (zip && (!rec->runtime || !rec->handler))
        emu_verr_set(v, "InvalidParameterValueException", "Runtime and Handler are mandatory parameters for "
                     "functions created with deployment packages.");
    if (!zip && (rec->runtime || rec->nlayers))
        emu_verr_set(v, "InvalidParameterValueException", "Runtime, Handler and Layers are not supported for "
                     "functions with packageType Image.");
}

static int create_function(emu_req *r)
{
    int rc;
    cJSON *b = emu_body_object(r, &rc);
    if (!b)
        return rc;
    emu *e = r->e;
    emu_verr v = {0};
    char name[EMU_FN_REF_MAX];
    emu_fn_record *rec = NULL;
    pthread_mutex_lock(&e->write_mu);
    if (create_name(r, b, name, &v)) {
        rec = new_record(e, name);
        create_checks(r, b, rec, &v);
    }
    pthread_mutex_lock(&e->mu);
    bool exists = rec && emu_find(e, name);
    pthread_mutex_unlock(&e->mu);
    fl_err err;
    if (v.n) {
        rc = emu_reply_verr(r, &v);
    } else if (exists) {
        rc = emu_reply_error(r, 409, "ResourceConflictException", "Function already exist: %s", name);
    } else if (take_code(r, cJSON_GetObjectItemCaseSensitive(b, "Code"), rec, &v)) {
        rc = emu_reply_verr(r, &v);
    } else if (emu_record_persist(e, rec, &err)) {
        rc = emu_reply_error(r, 500, "ServiceException", "%s", err.msg);
    } else {
        emu_entry *en = fl_xcalloc(1, sizeof *en);
        en->rec = rec;
        en->refs = 1;
        pthread_mutex_lock(&e->mu);
        emu_insert(e, en);
        cJSON *conf = emu_record_configuration(rec, e->region, 0, EMU_VIEW_CREATED);
        pthread_mutex_unlock(&e->mu);
        rec = NULL;
        fl_info("function %s created", name);
        rc = emu_reply_json(r, 201, conf);
    }
    pthread_mutex_unlock(&e->write_mu);
    emu_record_free(rec);
    emu_verr_free(&v);
    cJSON_Delete(b);
    return rc;
}

/* Lambda refuses a change while the function is Pending or an update is in
 * progress, and when RevisionId names another revision. */
static int change_allowed(emu_req *r, const emu_fn_record *cur, const cJSON *b)
{
    uint64_t now = fl_wall_ms();
    char arn[256];
    emu_function_arn(r->e->region, cur->name, arn, sizeof arn);
    if (emu_record_pending(cur, now))
        return emu_reply_error(r, 409, "ResourceConflictException", "The operation cannot be performed at this time. "
                               "The function is currently in the following state: Pending");
    if (emu_record_updating(cur, now))
        return emu_reply_error(r, 409, "ResourceConflictException", "The operation cannot be performed at this time. "
                               "An update is in progress for resource: %s", arn);
    const char *rev = fl_json_str(b, "RevisionId");
    if (rev && strcmp(rev, cur->revision))
        return emu_reply_error(r, 412, "PreconditionFailedException", "The Revision Id provided does not match the "
                               "latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision "
                               "Id");
    return 0;
}

static int update_function(emu_req *r, bool code)
{
    char name[EMU_FN_REF_MAX];
    int rc;
    if (emu_resolve_function(r, r->route.p1, name, &rc))
        return rc;
    cJSON *b = emu_body_object(r, &rc);
    if (!b)
        return rc;
    emu *e = r->e;
    pthread_mutex_lock(&e->write_mu);
    emu_fn_record *rec = snapshot(r, name, &rc);
    emu_verr v = {0};
    fl_err err;
    bool dry = code && fl_json_bool(b, "DryRun", false);
    if (!rec || (rc = change_allowed(r, rec, b)))
        goto out;
    if (code) {
        emu_input_architectures(b, rec, &v);
        if (rec->external)
            emu_verr_set(&v, "InvalidParameterValueException", "function %s runs from --task-root %s: change the "
                         "files there instead", name, rec->task_root);
        else if (!v.n && !dry)
            take_code(r, b, rec, &v);
    } else {
        emu_input_config(e, b, rec, &v);
        if (!strcmp(rec->package_type, "Image") && (rec->runtime || rec->nlayers))
            emu_verr_set(&v, "InvalidParameterValueException", "Runtime, Handler and Layers are not supported for "
                         "functions with packageType Image.");
    }
    if (v.n) {
        rc = emu_reply_verr(r, &v);
        goto out;
    }
    if (!dry) {
        rec->modified_ms = fl_wall_ms();
        rec->updating_until_ms = rec->modified_ms + e->state_delay_ms;
        emu_new_uuid(rec->revision);
        if (emu_record_persist(e, rec, &err)) {
            rc = emu_reply_error(r, 500, "ServiceException", "%s", err.msg);
            goto out;
        }
    }
    pthread_mutex_lock(&e->mu);
    cJSON *conf = emu_record_configuration(rec, e->region, 0, dry ? EMU_VIEW_NOW : EMU_VIEW_UPDATED);
    emu_entry *en = dry ? NULL : emu_find(e, name);
    if (en) {
        emu_entry_replace(e, en, rec, true);
        rec = NULL;
    }
    pthread_mutex_unlock(&e->mu);
    if (!dry)
        fl_info("function %s: %s updated", name, code ? "code" : "configuration");
    rc = emu_reply_json(r, 200, conf);
out:
    pthread_mutex_unlock(&e->write_mu);
    emu_record_free(rec);
    emu_verr_free(&v);
    cJSON_Delete(b);
    return rc;
}

static int delete_function(emu_req *r)
{
    char name[EMU_FN_REF_MAX];
    int rc;
    if (emu_resolve_function(r, r->route.p1, name, &rc))
        return rc;
    emu *e = r->e;
    pthread_mutex_lock(&e->write_mu);
    pthread_mutex_lock(&e->mu);
    emu_entry *en = emu_find(e, name);
    bool external = en && en->rec->external;
    pthread_mutex_unlock(&e->mu);
    fl_err err;
    char rel[EMU_FN_REF_MAX + 32];
    snprintf(rel, sizeof rel, "functions/%s.json", name);
    if (!en) {
        rc = emu_reply_not_found(r, name, NULL);
    } else if (!external && emu_store_remove(e->store, rel, &err)) {
        rc = emu_reply_error(r, 500, "ServiceException", "%s", err.msg);
    } else {
        pthread_mutex_lock(&e->mu);
        emu_remove(e, en);
        emu_entry_unref(e, en);
        e->gc_wanted = true;
        pthread_cond_signal(&e->janitor_cond);
        pthread_mutex_unlock(&e->mu);
        fl_info("function %s deleted", name);
        rc = emu_reply_empty(r, 204);
    }
    pthread_mutex_unlock(&e->write_mu);
    return rc;
}

int emu_api_functions(emu_req *r)
{
    switch (r->route.op) {
    case EMU_OP_CREATE_FUNCTION: return create_function(r);
    case EMU_OP_LIST_FUNCTIONS: return list_functions(r);
    case EMU_OP_GET_FUNCTION: return get_function(r, false);
    case EMU_OP_GET_FUNCTION_CONFIGURATION: return get_function(r, true);
    case EMU_OP_UPDATE_FUNCTION_CONFIGURATION: return update_function(r, false);
    case EMU_OP_UPDATE_FUNCTION_CODE: return update_function(r, true);
    case EMU_OP_DELETE_FUNCTION: return delete_function(r);
    default: return MHD_NO;
    }
}
