/* Layers: a name and its versions, each an uploaded zip (content-addressed
 * like function code). Kept in layers/NAME.json; version numbers grow and
 * are never reused, also after a delete, as on Lambda. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

void emu_layer_version_free(emu_layer_version *v)
{
    free(v->description);
    free(v->license);
    emu_strv_free(&v->runtimes);
    emu_strv_free(&v->archs);
    cJSON_Delete(v->statements);
}

void emu_layer_free(emu_layer *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        emu_layer_version_free(&l->v[i]);
    free(l->v);
    free(l->name);
    free(l);
}

cJSON *emu_layer_to_state(const emu_layer *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "schema", 1);
    cJSON_AddStringToObject(o, "LayerName", l->name);
    cJSON_AddNumberToObject(o, "LastVersion", l->last_version);
    cJSON *arr = cJSON_AddArrayToObject(o, "Versions");
    for (size_t i = 0; i < l->n; i++) {
        const emu_layer_version *v = &l->v[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "Version", v->version);
        if (v->description)
            cJSON_AddStringToObject(j, "Description", v->description);
        if (v->license)
            cJSON_AddStringToObject(j, "LicenseInfo", v->license);
        emu_strv_to_json(&v->runtimes, cJSON_AddArrayToObject(j, "CompatibleRuntimes"));
        emu_strv_to_json(&v->archs, cJSON_AddArrayToObject(j, "CompatibleArchitectures"));
        cJSON_AddStringToObject(j, "Code", v->code.hex);
        cJSON_AddStringToObject(j, "CodeSha256", v->code.sha256);
        cJSON_AddNumberToObject(j, "CodeSize", (double)v->code.size);
        cJSON_AddNumberToObject(j, "Unzipped", (double)v->code.unzipped);
        cJSON_AddNumberToObject(j, "Created", (double)v->created_ms);
        if (v->statements) {
            cJSON_AddItemToObject(j, "Statements", cJSON_Duplicate(v->statements, true));
            cJSON_AddStringToObject(j, "PolicyRevision", v->revision);
        }
        cJSON_AddItemToArray(arr, j);
    }
    return o;
}

static uint64_t num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 ? (uint64_t)v->valuedouble : 0;
}

static int version_from_state(const cJSON *j, emu_layer_version *v)
{
    v->version = (unsigned)num(j, "Version");
    const char *s;
    if ((s = fl_json_str(j, "Description")))
        v->description = fl_xstrdup(s);
    if ((s = fl_json_str(j, "LicenseInfo")))
        v->license = fl_xstrdup(s);
    const char *hex = fl_json_str(j, "Code"), *sha = fl_json_str(j, "CodeSha256");
    if (!hex || !emu_hex_valid(hex, 64) || !sha || strlen(sha) >= sizeof v->code.sha256 || !v->version)
        return -1;
    snprintf(v->code.hex, sizeof v->code.hex, "%s", hex);
    snprintf(v->code.sha256, sizeof v->code.sha256, "%s", sha);
    v->code.size = num(j, "CodeSize");
    v->code.unzipped = num(j, "Unzipped");
    v->created_ms = num(j, "Created");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "Statements");
    if (cJSON_IsArray(st)) {
        v->statements = cJSON_Duplicate(st, true);
        snprintf(v->revision, sizeof v->revision, "%s", fl_json_str(j, "PolicyRevision") ? fl_json_str(j, "PolicyRevision") : "");
    }
    return emu_strv_from_json(cJSON_GetObjectItemCaseSensitive(j, "CompatibleRuntimes"), &v->runtimes) ||
                   emu_strv_from_json(cJSON_GetObjectItemCaseSensitive(j, "CompatibleArchitectures"), &v->archs)
               ? -1
               : 0;
}

emu_layer *emu_layer_from_state(const cJSON *o)
{
    const char *name = fl_json_str(o, "LayerName");
    const cJSON *arr = fl_json_arr(o, "Versions");
    if (!name || !emu_layer_name_valid(name) || !arr)
        return NULL;
    emu_layer *l = fl_xcalloc(1, sizeof *l);
    l->name = fl_xstrdup(name);
    l->last_version = (unsigned)num(o, "LastVersion");
    int n = cJSON_GetArraySize(arr);
    l->v = fl_xcalloc(n > 0 ? (size_t)n : 1, sizeof *l->v);
    const cJSON *j;
    cJSON_ArrayForEach(j, arr) {
        if (version_from_state(j, &l->v[l->n++]) || l->v[l->n - 1].version > l->last_version) {
            emu_layer_free(l);
            return NULL;
        }
    }
    return l;
}

emu_layer *emu_layer_dup(const emu_layer *l)
{
    cJSON *o = emu_layer_to_state(l);
    emu_layer *d = emu_layer_from_state(o);
    cJSON_Delete(o);
    if (!d)
        abort(); /* a layer always survives its own round trip */
    return d;
}

emu_layer_version *emu_layer_find(const emu_layer *l, unsigned version)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (l->v[i].version == version)
            return &l->v[i];
    return NULL;
}

void emu_layer_arn(const char *region, const char *name, unsigned version, char *out, size_t n)
{
    if (version)
        snprintf(out, n, "arn:aws:lambda:%s:%s:layer:%s:%u", region, EMU_ACCOUNT, name, version);
    else
        snprintf(out, n, "arn:aws:lambda:%s:%s:layer:%s", region, EMU_ACCOUNT, name);
}

cJSON *emu_layer_version_json(const emu_layer *l, const emu_layer_version *v, const char *region, const char *base_url)
{
    char arn[300], varn[320], created[40];
    emu_layer_arn(region, l->name, 0, arn, sizeof arn);
    emu_layer_arn(region, l->name, v->version, varn, sizeof varn);
    emu_format_time(v->created_ms, created);
    cJSON *o = cJSON_CreateObject();
    if (base_url) {
        cJSON *c = cJSON_AddObjectToObject(o, "Content");
        char *loc = fl_xasprintf("%s/faas-lambda/code/%s.zip", base_url, v->code.hex);
        cJSON_AddStringToObject(c, "Location", loc);
        free(loc);
        cJSON_AddStringToObject(c, "CodeSha256", v->code.sha256);
        cJSON_AddNumberToObject(c, "CodeSize", (double)v->code.size);
        cJSON_AddStringToObject(o, "LayerArn", arn);
    }
    cJSON_AddStringToObject(o, "LayerVersionArn", varn);
    cJSON_AddStringToObject(o, "Description", v->description ? v->description : "");
    cJSON_AddStringToObject(o, "CreatedDate", created);
    cJSON_AddNumberToObject(o, "Version", v->version);
    if (v->runtimes.n)
        emu_strv_to_json(&v->runtimes, cJSON_AddArrayToObject(o, "CompatibleRuntimes"));
    if (v->license)
        cJSON_AddStringToObject(o, "LicenseInfo", v->license);
    if (v->archs.n)
        emu_strv_to_json(&v->archs, cJSON_AddArrayToObject(o, "CompatibleArchitectures"));
    return o;
}
