/* A function's record: everything CreateFunction and the updates set, as
 * kept in functions/NAME.json, and as FunctionConfiguration shows it. A
 * record is never changed in place once published: an update builds a new
 * one (emu_record_dup + changes) and swaps it in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator/internal.h"

void emu_record_free(emu_fn_record *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->runtime);
    free(r->role);
    free(r->handler);
    free(r->description);
    free(r->arch);
    free(r->package_type);
    emu_strv_free(&r->env);
    emu_strv_free(&r->tags);
    for (size_t i = 0; i < r->nlayers; i++)
        free(r->layers[i].arn);
    free(r->layers);
    free(r->image_uri);
    free(r->image_digest);
    emu_strv_free(&r->img_entrypoint);
    emu_strv_free(&r->img_command);
    free(r->img_workdir);
    free(r->url.auth_type);
    free(r->url.invoke_mode);
    free(r->url.cors);
    free(r->task_root);
    free(r->opt_dir);
    free(r);
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
}

static void add_strv(cJSON *o, const char *k, const emu_strv *s)
{
    cJSON *a = cJSON_AddArrayToObject(o, k);
    emu_strv_to_json(s, a);
}

cJSON *emu_record_to_state(const emu_fn_record *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "schema", 1);
    add_str(o, "FunctionName", r->name);
    add_str(o, "Runtime", r->runtime);
    add_str(o, "Role", r->role);
    add_str(o, "Handler", r->handler);
    add_str(o, "Description", r->description);
    cJSON_AddNumberToObject(o, "Timeout", r->timeout_s);
    cJSON_AddNumberToObject(o, "MemorySize", r->memory_mb);
    cJSON_AddNumberToObject(o, "EphemeralStorage", r->ephemeral_mb);
    add_str(o, "Architecture", r->arch);
    add_str(o, "PackageType", r->package_type);
    emu_kvs_to_json(&r->env, cJSON_AddObjectToObject(o, "Environment"));
    emu_kvs_to_json(&r->tags, cJSON_AddObjectToObject(o, "Tags"));
    cJSON *layers = cJSON_AddArrayToObject(o, "Layers");
    for (size_t i = 0; i < r->nlayers; i++) {
        cJSON *l = cJSON_CreateObject();
        add_str(l, "Arn", r->layers[i].arn);
        add_str(l, "Code", r->layers[i].hex);
        cJSON_AddNumberToObject(l, "CodeSize", (double)r->layers[i].size);
        cJSON_AddNumberToObject(l, "Unzipped", (double)r->layers[i].unzipped);
        cJSON_AddItemToArray(layers, l);
    }
    add_str(o, "CodeSha256", r->code_sha256);
    add_str(o, "Code", r->code_hex);
    cJSON_AddNumberToObject(o, "CodeSize", (double)r->code_size);
    cJSON_AddNumberToObject(o, "Unzipped", (double)r->unzipped);
    add_str(o, "ImageUri", r->image_uri);
    add_str(o, "ImageDigest", r->image_digest);
    if (r->img_set) {
        cJSON *ic = cJSON_AddObjectToObject(o, "ImageConfig");
        if (r->img_entrypoint_set)
            add_strv(ic, "EntryPoint", &r->img_entrypoint);
        if (r->img_command_set)
            add_strv(ic, "Command", &r->img_command);
        add_str(ic, "WorkingDirectory", r->img_workdir);
    }
    cJSON_AddNumberToObject(o, "ReservedConcurrentExecutions", r->reserved);
    if (r->url.set) {
        cJSON *u = cJSON_AddObjectToObject(o, "Url");
        add_str(u, "Id", r->url.id);
        add_str(u, "AuthType", r->url.auth_type);
        add_str(u, "InvokeMode", r->url.invoke_mode);
        if (r->url.cors)
            cJSON_AddItemToObject(u, "Cors", cJSON_Parse(r->url.cors));
        cJSON_AddNumberToObject(u, "Created", (double)r->url.created_ms);
        cJSON_AddNumberToObject(u, "Modified", (double)r->url.modified_ms);
    }
    cJSON_AddNumberToObject(o, "Modified", (double)r->modified_ms);
    cJSON_AddNumberToObject(o, "PendingUntil", (double)r->pending_until_ms);
    cJSON_AddNumberToObject(o, "UpdatingUntil", (double)r->updating_until_ms);
    add_str(o, "RevisionId", r->revision);
    return o;
}

static char *dup_str(const cJSON *o, const char *k)
{
    const char *s = fl_json_str(o, k);
    return s ? fl_xstrdup(s) : NULL;
}

static uint64_t num(const cJSON *o, const char *k, uint64_t def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 ? (uint64_t)v->valuedouble : def;
}

static void copy_fixed(char *dst, size_t n, const cJSON *o, const char *k)
{
    const char *s = fl_json_str(o, k);
    snprintf(dst, n, "%s", s && strlen(s) < n ? s : "");
}

static int load_layers(const cJSON *arr, emu_fn_record *r)
{
    int n = cJSON_GetArraySize(arr);
    if (n <= 0)
        return 0;
    r->layers = fl_xcalloc((size_t)n, sizeof *r->layers);
    const cJSON *l;
    cJSON_ArrayForEach(l, arr) {
        emu_fn_layer *x = &r->layers[r->nlayers++];
        x->arn = dup_str(l, "Arn");
        copy_fixed(x->hex, sizeof x->hex, l, "Code");
        x->size = num(l, "CodeSize", 0);
        x->unzipped = num(l, "Unzipped", 0);
        if (!x->arn || !emu_hex_valid(x->hex, 64))
            return -1;
    }
    return 0;
}

static void load_url(const cJSON *u, emu_fn_record *r)
{
    if (!cJSON_IsObject(u))
        return;
    r->url.set = true;
    copy_fixed(r->url.id, sizeof r->url.id, u, "Id");
    r->url.auth_type = dup_str(u, "AuthType");
    r->url.invoke_mode = dup_str(u, "InvokeMode");
    const cJSON *cors = cJSON_GetObjectItemCaseSensitive(u, "Cors");
    if (cJSON_IsObject(cors))
        r->url.cors = cJSON_PrintUnformatted(cors);
    r->url.created_ms = num(u, "Created", 0);
    r->url.modified_ms = num(u, "Modified", 0);
}

emu_fn_record *emu_record_from_state(const cJSON *o, fl_err *err)
{
    emu_fn_record *r = fl_xcalloc(1, sizeof *r);
    r->name = dup_str(o, "FunctionName");
    r->runtime = dup_str(o, "Runtime");
    r->role = dup_str(o, "Role");
    r->handler = dup_str(o, "Handler");
    r->description = dup_str(o, "Description");
    r->timeout_s = (unsigned)num(o, "Timeout", EMU_TIMEOUT_DEFAULT);
    r->memory_mb = (unsigned)num(o, "MemorySize", EMU_MEMORY_DEFAULT);
    r->ephemeral_mb = (unsigned)num(o, "EphemeralStorage", EMU_EPHEMERAL_DEFAULT);
    r->arch = dup_str(o, "Architecture");
    r->package_type = dup_str(o, "PackageType");
    copy_fixed(r->code_sha256, sizeof r->code_sha256, o, "CodeSha256");
    copy_fixed(r->code_hex, sizeof r->code_hex, o, "Code");
    r->code_size = num(o, "CodeSize", 0);
    r->unzipped = num(o, "Unzipped", 0);
    r->image_uri = dup_str(o, "ImageUri");
    r->image_digest = dup_str(o, "ImageDigest");
    const cJSON *ic = fl_json_obj(o, "ImageConfig");
    if (ic) {
        r->img_set = true;
        r->img_entrypoint_set = cJSON_HasObjectItem(ic, "EntryPoint");
        r->img_command_set = cJSON_HasObjectItem(ic, "Command");
        r->img_workdir = dup_str(ic, "WorkingDirectory");
    }
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(o, "ReservedConcurrentExecutions");
    r->reserved = cJSON_IsNumber(rc) ? (int)rc->valuedouble : -1;
    load_url(cJSON_GetObjectItemCaseSensitive(o, "Url"), r);
    r->modified_ms = num(o, "Modified", 0);
    r->pending_until_ms = num(o, "PendingUntil", 0);
    r->updating_until_ms = num(o, "UpdatingUntil", 0);
    copy_fixed(r->revision, sizeof r->revision, o, "RevisionId");
    if (!r->name || !emu_name_valid(r->name) || !r->package_type || !r->arch ||
        emu_kvs_from_json(cJSON_GetObjectItemCaseSensitive(o, "Environment"), &r->env) ||
        emu_kvs_from_json(cJSON_GetObjectItemCaseSensitive(o, "Tags"), &r->tags) ||
        load_layers(fl_json_arr(o, "Layers"), r) ||
        (ic && (emu_strv_from_json(cJSON_GetObjectItemCaseSensitive(ic, "EntryPoint"), &r->img_entrypoint) ||
                emu_strv_from_json(cJSON_GetObjectItemCaseSensitive(ic, "Command"), &r->img_command))) ||
        (r->code_hex[0] && !emu_hex_valid(r->code_hex, 64))) {
        fl_fail(err, "the record is incomplete or malformed");
        emu_record_free(r);
        return NULL;
    }
    return r;
}

emu_fn_record *emu_record_dup(const emu_fn_record *r)
{
    cJSON *o = emu_record_to_state(r);
    fl_err err;
    emu_fn_record *d = emu_record_from_state(o, &err);
    cJSON_Delete(o);
    if (!d)
        abort(); /* a record always survives its own round trip */
    d->external = r->external;
    d->task_root = r->task_root ? fl_xstrdup(r->task_root) : NULL;
    d->opt_dir = r->opt_dir ? fl_xstrdup(r->opt_dir) : NULL;
    return d;
}

static void format_time(uint64_t ms, const char *suffix, char out[40])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%.19s.%03u%s", base, (unsigned)(ms % 1000), suffix);
}

void emu_format_time(uint64_t ms, char out[40])
{
    format_time(ms, "+0000", out);
}

void emu_format_time_z(uint64_t ms, char out[40])
{
    format_time(ms, "000Z", out);
}

void emu_function_arn(const char *region, const char *name, char *out, size_t n)
{
    snprintf(out, n, "arn:aws:lambda:%s:%s:function:%s", region, EMU_ACCOUNT, name);
}

bool emu_record_pending(const emu_fn_record *r, uint64_t now_ms)
{
    return now_ms < r->pending_until_ms;
}

bool emu_record_updating(const emu_fn_record *r, uint64_t now_ms)
{
    return now_ms < r->updating_until_ms;
}

static void add_state(cJSON *o, const emu_fn_record *r, uint64_t now, emu_view view)
{
    if (view == EMU_VIEW_CREATED || (view == EMU_VIEW_NOW && emu_record_pending(r, now))) {
        cJSON_AddStringToObject(o, "State", "Pending");
        cJSON_AddStringToObject(o, "StateReason", "The function is being created.");
        cJSON_AddStringToObject(o, "StateReasonCode", "Creating");
        return;
    }
    cJSON_AddStringToObject(o, "State", "Active");
    if (view == EMU_VIEW_UPDATED || (view == EMU_VIEW_NOW && emu_record_updating(r, now))) {
        cJSON_AddStringToObject(o, "LastUpdateStatus", "InProgress");
        cJSON_AddStringToObject(o, "LastUpdateStatusReason", "The function is being created.");
        cJSON_AddStringToObject(o, "LastUpdateStatusReasonCode", "Creating");
    } else {
        cJSON_AddStringToObject(o, "LastUpdateStatus", "Successful");
    }
}

static void add_image_config(cJSON *o, const emu_fn_record *r)
{
    if (!r->img_set)
        return;
    cJSON *ic = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "ImageConfigResponse"), "ImageConfig");
    if (r->img_entrypoint_set)
        add_strv(ic, "EntryPoint", &r->img_entrypoint);
    if (r->img_command_set)
        add_strv(ic, "Command", &r->img_command);
    add_str(ic, "WorkingDirectory", r->img_workdir);
}

cJSON *emu_record_configuration(const emu_fn_record *r, const char *region, uint64_t now, emu_view view)
{
    char arn[256], modified[40];
    emu_function_arn(region, r->name, arn, sizeof arn);
    emu_format_time(r->modified_ms, modified);
    bool image = !strcmp(r->package_type, "Image");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "FunctionName", r->name);
    cJSON_AddStringToObject(o, "FunctionArn", arn);
    if (!image) {
        add_str(o, "Runtime", r->runtime);
        add_str(o, "Handler", r->handler);
    }
    add_str(o, "Role", r->role);
    cJSON_AddNumberToObject(o, "CodeSize", (double)r->code_size);
    cJSON_AddStringToObject(o, "Description", r->description ? r->description : "");
    cJSON_AddNumberToObject(o, "Timeout", r->timeout_s);
    cJSON_AddNumberToObject(o, "MemorySize", r->memory_mb);
    cJSON_AddStringToObject(o, "LastModified", modified);
    cJSON_AddStringToObject(o, "CodeSha256", r->code_sha256);
    cJSON_AddStringToObject(o, "Version", EMU_VERSION);
    if (r->env.n)
        emu_kvs_to_json(&r->env, cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "Environment"), "Variables"));
    cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "TracingConfig"), "Mode", "PassThrough");
    cJSON_AddStringToObject(o, "RevisionId", r->revision);
    if (r->nlayers) {
        cJSON *layers = cJSON_AddArrayToObject(o, "Layers");
        for (size_t i = 0; i < r->nlayers; i++) {
            cJSON *l = cJSON_CreateObject();
            cJSON_AddStringToObject(l, "Arn", r->layers[i].arn);
            cJSON_AddNumberToObject(l, "CodeSize", (double)r->layers[i].size);
            cJSON_AddItemToArray(layers, l);
        }
    }
    add_state(o, r, now, view);
    cJSON_AddStringToObject(o, "PackageType", r->package_type);
    add_image_config(o, r);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "Architectures"), cJSON_CreateString(r->arch));
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "EphemeralStorage"), "Size", r->ephemeral_mb);
    cJSON *snap = cJSON_AddObjectToObject(o, "SnapStart");
    cJSON_AddStringToObject(snap, "ApplyOn", "None");
    cJSON_AddStringToObject(snap, "OptimizationStatus", "Off");
    return o;
}
