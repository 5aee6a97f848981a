/* PublishLayerVersion, GetLayerVersion (and GetLayerVersionByArn),
 * ListLayers, ListLayerVersions, DeleteLayerVersion. A layer's versions
 * live in layers/NAME.json, its zips with the functions' code. A deleted
 * version's number is not reused; functions that use it keep their copy. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "shim/shim.h"

#define LAYER_NAME_PATTERN "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+"

static int layer_not_found(emu_req *r)
{
    return emu_reply_error(r, 404, "ResourceNotFoundException", "The resource you requested does not exist.");
}

/* The layer name of a path parameter: a name or a layer ARN of here. */
static int layer_name(emu_req *r, const char *param, char name[160], int *rc)
{
    char region[64];
    unsigned long version;
    if (emu_layer_name_valid(param)) {
        snprintf(name, 160, "%.140s", param);
        return 0;
    }
    if (emu_parse_layer_arn(param, name, 160, region, sizeof region, &version) == 0 && version == 0) {
        if (strcmp(region, r->e->region) || !strstr(param, ":" EMU_ACCOUNT ":")) {
            *rc = layer_not_found(r);
            return -1;
        }
        return 0;
    }
    emu_verr v = {0};
    emu_verr_add(&v, param, "layerName", "Member must satisfy regular expression pattern: %s", LAYER_NAME_PATTERN);
    *rc = emu_reply_verr(r, &v);
    return -1;
}

static int version_number(emu_req *r, const char *s, unsigned *out, int *rc)
{
    uint64_t v;
    if (fl_parse_u64(s, 0xffffffffu, &v) || v == 0) {
        emu_verr ve = {0};
        emu_verr_add(&ve, s, "versionNumber", "Member must be a positive whole number");
        *rc = emu_reply_verr(r, &ve);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

static void publish_members(const cJSON *b, emu_layer_version *lv, emu_verr *v)
{
    const char *d = fl_json_str(b, "Description"), *lic = fl_json_str(b, "LicenseInfo");
    if (d && strlen(d) > 256)
        emu_verr_add(v, d, "description", "Member must have length less than or equal to 256");
    else if (d)
        lv->description = fl_xstrdup(d);
    if (lic && strlen(lic) > 512)
        emu_verr_add(v, lic, "licenseInfo", "Member must have length less than or equal to 512");
    else if (lic)
        lv->license = fl_xstrdup(lic);
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(b, "CompatibleRuntimes");
    if (emu_strv_from_json(rt, &lv->runtimes) || lv->runtimes.n > 15)
        emu_verr_add(v, NULL, "compatibleRuntimes", "Member must have length less than or equal to 15");
    const cJSON *ar = cJSON_GetObjectItemCaseSensitive(b, "CompatibleArchitectures");
    if (emu_strv_from_json(ar, &lv->archs) || lv->archs.n > 2)
        emu_verr_add(v, NULL, "compatibleArchitectures", "Member must have length less than or equal to 2");
    for (size_t i = 0; i < lv->archs.n; i++)
        if (strcmp(lv->archs.v[i], "x86_64") && strcmp(lv->archs.v[i], "arm64"))
            emu_verr_add(v, lv->archs.v[i], "compatibleArchitectures",
                         "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]");
}

static int take_zip(emu_req *r, const cJSON *content, emu_layer_version *lv, emu_verr *v)
{
    if (!cJSON_IsObject(content)) {
        emu_verr_add(v, NULL, "content", "Member must not be null");
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(content, "S3Bucket")) {
        emu_verr_set(v, "InvalidParameterValueException", "faas-lambda emulate has no S3: upload the layer itself "
                     "(ZipFile, e.g. aws lambda publish-layer-version --zip-file fileb://layer.zip)");
        return -1;
    }
    const char *zip = fl_json_str(content, "ZipFile");
    fl_buf bytes = {0};
    fl_err err;
    if (!zip || shim_base64_decode(zip, strlen(zip), &bytes, &err) || !bytes.len) {
        fl_buf_free(&bytes);
        emu_verr_set(v, "InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, "
                     "then try to upload again.");
        return -1;
    }
    int rc = emu_store_put_zip(r->e->store, bytes.data, bytes.len, EMU_UNZIPPED_MAX, &lv->code, &err);
    fl_buf_free(&bytes);
    if (rc)
        emu_verr_set(v, "InvalidParameterValueException", "%s", err.msg);
    return rc;
}

static int save_layer(emu *e, const emu_layer *l, fl_err *err)
{
    cJSON *doc = emu_layer_to_state(l);
    char rel[200];
    snprintf(rel, sizeof rel, "layers/%s.json", l->name);
    int rc = emu_store_write_json(e->store, rel, doc, err);
    cJSON_Delete(doc);
    return rc;
}

static int publish(emu_req *r, const char *name)
{
    int rc;
    cJSON *b = emu_body_object(r, &rc);
    if (!b)
        return rc;
    emu *e = r->e;
    emu_layer_version lv = {0};
    emu_verr v = {0};
    publish_members(b, &lv, &v);
    pthread_mutex_lock(&e->write_mu);
    fl_err err;
    if (v.n || take_zip(r, cJSON_GetObjectItemCaseSensitive(b, "Content"), &lv, &v)) {
        rc = emu_reply_verr(r, &v);
        goto out;
    }
    pthread_mutex_lock(&e->mu);
    emu_layer *cur = emu_find_layer(e, name);
    emu_layer *l = cur ? emu_layer_dup(cur) : fl_xcalloc(1, sizeof *l);
    pthread_mutex_unlock(&e->mu);
    if (!l->name)
        l->name = fl_xstrdup(name);
    lv.version = ++l->last_version;
    lv.created_ms = fl_wall_ms();
    l->v = fl_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = lv;
    lv = (emu_layer_version){0};
    if (save_layer(e, l, &err)) {
        emu_layer_free(l);
        rc = emu_reply_error(r, 500, "ServiceException", "%s", err.msg);
        goto out;
    }
    cJSON *doc = emu_layer_version_json(l, &l->v[l->n - 1], e->region, e->url);
    fl_info("layer %s: version %u published", name, l->v[l->n - 1].version);
    pthread_mutex_lock(&e->mu);
    emu_put_layer(e, name, l);
    pthread_mutex_unlock(&e->mu);
    rc = emu_reply_json(r, 201, doc);
out:
    pthread_mutex_unlock(&e->write_mu);
    free(lv.description);
    free(lv.license);
    emu_strv_free(&lv.runtimes);
    emu_strv_free(&lv.archs);
    emu_verr_free(&v);
    cJSON_Delete(b);
    return rc;
}

static int get_version(emu_req *r, const char *name, unsigned version)
{
    pthread_mutex_lock(&r->e->mu);
    emu_layer *l = emu_find_layer(r->e, name);
    emu_layer_version *lv = emu_layer_find(l, version);
    cJSON *doc = lv ? emu_layer_version_json(l, lv, r->e->region, r->e->url) : NULL;
    pthread_mutex_unlock(&r->e->mu);
    return doc ? emu_reply_json(r, 200, doc) : layer_not_found(r);
}

static int get_by_arn(emu_req *r)
{
    const char *arn = emu_query_get(&r->query, "Arn");
    char name[160], region[64];
    unsigned long version;
    if (!arn || emu_parse_layer_arn(arn, name, sizeof name, region, sizeof region, &version) || !version) {
        emu_verr v = {0};
        emu_verr_add(&v, arn, "arn", "Member must satisfy regular expression pattern: "
                     "arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+");
        return emu_reply_verr(r, &v);
    }
    if (strcmp(region, r->e->region))
        return layer_not_found(r);
    return get_version(r, name, (unsigned)version);
}

static bool matches(const emu_layer_version *lv, const char *runtime, const char *arch)
{
    bool rt_ok = !runtime, ar_ok = !arch;
    for (size_t i = 0; runtime && i < lv->runtimes.n; i++)
        rt_ok |= !strcmp(lv->runtimes.v[i], runtime);
    for (size_t i = 0; arch && i < lv->archs.n; i++)
        ar_ok |= !strcmp(lv->archs.v[i], arch);
    return rt_ok && ar_ok;
}

static int list_max(emu_req *r, uint64_t *max, int *rc)
{
    const char *s = emu_query_get(&r->query, "MaxItems");
    *max = EMU_LIST_DEFAULT;
    if (s && (fl_parse_u64(s, 50, max) || *max < 1)) {
        emu_verr v = {0};
        emu_verr_add(&v, s, "maxItems", "Member must have value between 1 and 50");
        *rc = emu_reply_verr(r, &v);
        return -1;
    }
    return 0;
}

static int list_layers(emu_req *r)
{
    const char *find = emu_query_get(&r->query, "find");
    if (find && !strcmp(find, "LayerVersion"))
        return get_by_arn(r);
    uint64_t max;
    int rc;
    if (list_max(r, &max, &rc))
        return rc;
    const char *marker = emu_query_get(&r->query, "Marker");
    const char *runtime = emu_query_get(&r->query, "CompatibleRuntime");
    const char *arch = emu_query_get(&r->query, "CompatibleArchitecture");
    cJSON *doc = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(doc, "Layers");
    emu *e = r->e;
    pthread_mutex_lock(&e->mu);
    size_t n = 0;
    const char *last = NULL;
    for (size_t i = 0; i < e->nlayers; i++) {
        emu_layer *l = e->layers[i];
        if (marker && *marker && strcmp(l->name, marker) <= 0)
            continue;
        const emu_layer_version *latest = NULL;
        for (size_t j = l->n; j-- > 0 && !latest;)
            if (matches(&l->v[j], runtime, arch))
                latest = &l->v[j];
        if (!latest)
            continue;
        if (n == max) {
            cJSON_AddStringToObject(doc, "NextMarker", last);
            break;
        }
        char arn[300];
        emu_layer_arn(e->region, l->name, 0, arn, sizeof arn);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "LayerName", l->name);
        cJSON_AddStringToObject(item, "LayerArn", arn);
        cJSON_AddItemToObject(item, "LatestMatchingVersion", emu_layer_version_json(l, latest, e->region, NULL));
        cJSON_AddItemToArray(list, item);
        last = l->name;
        n++;
    }
    pthread_mutex_unlock(&e->mu);
    return emu_reply_json(r, 200, doc);
}

static int list_versions(emu_req *r, const char *name)
{
    uint64_t max;
    int rc;
    if (list_max(r, &max, &rc))
        return rc;
    const char *marker = emu_query_get(&r->query, "Marker");
    uint64_t below = UINT64_MAX;
    if (marker && *marker && fl_parse_u64(marker, 0xffffffffu, &below))
        below = 0;
    const char *runtime = emu_query_get(&r->query, "CompatibleRuntime");
    const char *arch = emu_query_get(&r->query, "CompatibleArchitecture");
    cJSON *doc = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(doc, "LayerVersions");
    emu *e = r->e;
    pthread_mutex_lock(&e->mu);
    emu_layer *l = emu_find_layer(e, name);
    size_t n = 0;
    unsigned last = 0;
    for (size_t j = l ? l->n : 0; j-- > 0;) { /* newest first, as Lambda lists them */
        const emu_layer_version *lv = &l->v[j];
        if (lv->version >= below || !matches(lv, runtime, arch))
            continue;
        if (n == max) {
            char m[16];
            snprintf(m, sizeof m, "%u", last);
            cJSON_AddStringToObject(doc, "NextMarker", m);
            break;
        }
        cJSON_AddItemToArray(list, emu_layer_version_json(l, lv, e->region, NULL));
        last = lv->version;
        n++;
    }
    pthread_mutex_unlock(&e->mu);
    return emu_reply_json(r, 200, doc);
}

static int delete_version(emu_req *r, const char *name, unsigned version)
{
    emu *e = r->e;
    int rc = 0;
    pthread_mutex_lock(&e->write_mu);
    pthread_mutex_lock(&e->mu);
    emu_layer *cur = emu_find_layer(e, name);
    emu_layer *l = cur && emu_layer_find(cur, version) ? emu_layer_dup(cur) : NULL;
    pthread_mutex_unlock(&e->mu);
    fl_err err;
    if (l) {
        size_t i = 0;
        while (l->v[i].version != version)
            i++;
        emu_layer_version_free(&l->v[i]);
        memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof *l->v);
        l->n--;
        if (save_layer(e, l, &err)) {
            emu_layer_free(l);
            rc = emu_reply_error(r, 500, "ServiceException", "%s", err.msg);
        } else {
            pthread_mutex_lock(&e->mu);
            emu_put_layer(e, name, l);
            e->gc_wanted = true;
            pthread_cond_signal(&e->janitor_cond);
            pthread_mutex_unlock(&e->mu);
            fl_info("layer %s: version %u deleted", name, version);
        }
    }
    pthread_mutex_unlock(&e->write_mu);
    return rc ? rc : emu_reply_empty(r, 204); /* Lambda answers 204 for a version that is not there too */
}

/* ---- layer version permissions (the resource policy) ---- */

/* Under write_mu: a private copy of the layer holding version, or NULL (the
 * 404 already answered in *rc). */
static emu_layer *editable_version(emu_req *r, const char *name, unsigned version, emu_layer_version **lv, int *rc)
{
    pthread_mutex_lock(&r->e->mu);
    emu_layer *cur = emu_find_layer(r->e, name);
    emu_layer *l = cur && emu_layer_find(cur, version) ? emu_layer_dup(cur) : NULL;
    pthread_mutex_unlock(&r->e->mu);
    if (!l) {
        *rc = layer_not_found(r);
        return NULL;
    }
    *lv = emu_layer_find(l, version);
    return l;
}

/* Saves and installs l (taking it), and answers with doc. */
static int commit_layer(emu_req *r, emu_layer *l, unsigned status, cJSON *doc)
{
    fl_err err;
    if (save_layer(r->e, l, &err)) {
        emu_layer_free(l);
        cJSON_Delete(doc);
        return emu_reply_error(r, 500, "ServiceException", "%s", err.msg);
    }
    pthread_mutex_lock(&r->e->mu);
    emu_put_layer(r->e, l->name, l);
    pthread_mutex_unlock(&r->e->mu);
    return doc ? emu_reply_json(r, status, doc) : emu_reply_empty(r, status);
}

static cJSON *find_statement(const emu_layer_version *lv, const char *sid)
{
    cJSON *st;
    cJSON_ArrayForEach(st, lv->statements) {
        const char *s = fl_json_str(st, "Sid");
        if (s && !strcmp(s, sid))
            return st;
    }
    return NULL;
}

static char *policy_text(const emu_layer_version *lv)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Version", "2012-10-17");
    cJSON_AddStringToObject(p, "Id", "default");
    cJSON_AddItemToObject(p, "Statement", cJSON_Duplicate(lv->statements, true));
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return s;
}

static bool valid_principal(const char *p)
{
    size_t n = strlen(p);
    return !strcmp(p, "*") || (n == 12 && strspn(p, "0123456789") == 12) ||
           (fl_str_has_prefix(p, "arn:aws:iam::") && n < 200);
}

static int add_permission(emu_req *r, const char *name, unsigned version)
{
    int rc;
    cJSON *b = emu_body_object(r, &rc);
    if (!b)
        return rc;
    const char *sid = fl_json_str(b, "StatementId"), *action = fl_json_str(b, "Action");
    const char *principal = fl_json_str(b, "Principal"), *org = fl_json_str(b, "OrganizationId");
    const char *want_rev = fl_json_str(b, "RevisionId");
    emu_verr v = {0};
    if (!sid || !*sid || strlen(sid) > 100 || strspn(sid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(sid))
        emu_verr_add(&v, sid, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)");
    if (!action || (strcmp(action, "lambda:GetLayerVersion") && strcmp(action, "lambda:*")))
        emu_verr_add(&v, action, "action", "Member must satisfy regular expression pattern: lambda:GetLayerVersion");
    if (!principal || !valid_principal(principal))
        emu_verr_add(&v, principal, "principal", "Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root");
    if (v.n) {
        cJSON_Delete(b);
        rc = emu_reply_verr(r, &v);
        emu_verr_free(&v);
        return rc;
    }
    pthread_mutex_lock(&r->e->write_mu);
    emu_layer_version *lv;
    emu_layer *l = editable_version(r, name, version, &lv, &rc);
    if (!l)
        goto out;
    if (want_rev && strcmp(want_rev, lv->revision)) {
        emu_layer_free(l);
        rc = emu_reply_error(r, 412, "PreconditionFailedException",
                             "The Revision Id provided does not match the latest Revision Id. Call the "
                             "GetLayerVersionPolicy API to retrieve the latest Revision Id");
        goto out;
    }
    if (lv->statements && find_statement(lv, sid)) {
        emu_layer_free(l);
        rc = emu_reply_error(r, 409, "ResourceConflictException",
                             "The statement id (%s) provided already exists. Please provide a new statement id, or "
                             "remove the existing statement.", sid);
        goto out;
    }
    char arn[320];
    emu_layer_arn(r->e->region, name, version, arn, sizeof arn);
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "Sid", sid);
    cJSON_AddStringToObject(st, "Effect", "Allow");
    if (!strcmp(principal, "*")) {
        cJSON_AddStringToObject(st, "Principal", "*");
    } else {
        char *who = strlen(principal) == 12 ? fl_xasprintf("arn:aws:iam::%s:root", principal) : fl_xstrdup(principal);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(st, "Principal"), "AWS", who);
        free(who);
    }
    cJSON_AddStringToObject(st, "Action", "lambda:GetLayerVersion");
    cJSON_AddStringToObject(st, "Resource", arn);
    if (org)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(st, "Condition"), "StringEquals"),
                                "aws:PrincipalOrgID", org);
    if (!lv->statements)
        lv->statements = cJSON_CreateArray();
    char *text = cJSON_PrintUnformatted(st);
    cJSON_AddItemToArray(lv->statements, st);
    emu_new_uuid(lv->revision);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "Statement", text);
    cJSON_AddStringToObject(doc, "RevisionId", lv->revision);
    cJSON_free(text);
    fl_info("layer %s: version %u: permission %s added", name, version, sid);
    rc = commit_layer(r, l, 201, doc);
out:
    pthread_mutex_unlock(&r->e->write_mu);
    cJSON_Delete(b);
    return rc;
}

static int no_policy(emu_req *r)
{
    return emu_reply_error(r, 404, "ResourceNotFoundException", "No policy is associated with the given resource.");
}

static int get_policy(emu_req *r, const char *name, unsigned version)
{
    pthread_mutex_lock(&r->e->mu);
    emu_layer_version *lv = emu_layer_find(emu_find_layer(r->e, name), version);
    bool found = lv != NULL, any = lv && cJSON_GetArraySize(lv->statements) > 0;
    char *text = any ? policy_text(lv) : NULL;
    char rev[sizeof lv->revision];
    snprintf(rev, sizeof rev, "%s", lv ? lv->revision : "");
    pthread_mutex_unlock(&r->e->mu);
    if (!found)
        return layer_not_found(r);
    if (!any)
        return no_policy(r);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "Policy", text);
    cJSON_AddStringToObject(doc, "RevisionId", rev);
    cJSON_free(text);
    return emu_reply_json(r, 200, doc);
}

static int remove_permission(emu_req *r, const char *name, unsigned version, const char *sid)
{
    int rc;
    pthread_mutex_lock(&r->e->write_mu);
    emu_layer_version *lv;
    emu_layer *l = editable_version(r, name, version, &lv, &rc);
    if (l) {
        cJSON *st = lv->statements ? find_statement(lv, sid) : NULL;
        if (!st) {
            emu_layer_free(l);
            rc = emu_reply_error(r, 404, "ResourceNotFoundException", "Statement %s is not found in resource policy.",
                                 sid);
        } else {
            cJSON_Delete(cJSON_DetachItemViaPointer(lv->statements, st));
            emu_new_uuid(lv->revision);
            fl_info("layer %s: version %u: permission %s removed", name, version, sid);
            rc = commit_layer(r, l, 204, NULL);
        }
    }
    pthread_mutex_unlock(&r->e->write_mu);
    return rc;
}

int emu_api_layers(emu_req *r)
{
    if (r->route.op == EMU_OP_LIST_LAYERS)
        return list_layers(r);
    char name[160];
    unsigned version = 0;
    int rc;
    if (layer_name(r, r->route.p1, name, &rc))
        return rc;
    if (r->route.p2[0] && version_number(r, r->route.p2, &version, &rc))
        return rc;
    switch (r->route.op) {
    case EMU_OP_PUBLISH_LAYER_VERSION: return publish(r, name);
    case EMU_OP_LIST_LAYER_VERSIONS: return list_versions(r, name);
    case EMU_OP_GET_LAYER_VERSION: return get_version(r, name, version);
    case EMU_OP_DELETE_LAYER_VERSION: return delete_version(r, name, version);
    case EMU_OP_ADD_LAYER_PERMISSION: return add_permission(r, name, version);
    case EMU_OP_GET_LAYER_POLICY: return get_policy(r, name, version);
    case EMU_OP_REMOVE_LAYER_PERMISSION: return remove_permission(r, name, version, r->route.p3);
    default: return MHD_NO;
    }
}
