/* TagResource, UntagResource, ListTags on a function's ARN. Tags are part
 * of the function's record (and its file). */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"

#define FUNCTION_ARN_PATTERN                                                                                           \
    "arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\\d{1}:\\d{12}:function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?"

static int resource(emu_req *r, char name[EMU_FN_REF_MAX], int *rc)
{
    emu_fn_ref ref;
    if (emu_parse_fn_ref(r->route.p1, &ref) || !ref.region[0]) {
        emu_verr v = {0};
        emu_verr_add(&v, r->route.p1, "resource", "Member must satisfy regular expression pattern: %s",
                     FUNCTION_ARN_PATTERN);
        *rc = emu_reply_verr(r, &v);
        return -1;
    }
    if (ref.qualifier[0]) {
        *rc = emu_reply_error(r, 400, "InvalidParameterValueException", "Tags are not supported on a function "
                              "version or alias: use the function's unqualified ARN");
        return -1;
    }
    if (strcmp(ref.region, r->e->region) || strcmp(ref.account, EMU_ACCOUNT)) {
        *rc = emu_reply_error(r, 404, "ResourceNotFoundException", "Function not found: %s", r->route.p1);
        return -1;
    }
    snprintf(name, EMU_FN_REF_MAX, "%s", ref.name);
    return 0;
}

/* Applies the change to a copy of the record, persists it, swaps it in. */
static int change_tags(emu_req *r, const char *name, const cJSON *add, bool remove)
{
    emu *e = r->e;
    pthread_mutex_lock(&e->write_mu);
    pthread_mutex_lock(&e->mu);
    emu_entry *en = emu_find(e, name);
    emu_fn_record *rec = en ? emu_record_dup(en->rec) : NULL;
    pthread_mutex_unlock(&e->mu);
    int rc = 0;
    emu_verr v = {0};
    fl_err err;
    if (!rec) {
        rc = emu_reply_not_found(r, name, NULL);
        goto out;
    }
    if (remove) {
        for (size_t i = 0; i < r->query.n; i++)
            if (!strcmp(r->query.v[i].key, "tagKeys"))
                emu_kvs_del(&rec->tags, r->query.v[i].value);
    } else {
        cJSON *wrap = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(wrap, "Tags", (cJSON *)add);
        emu_input_tags(wrap, &rec->tags, &v);
        cJSON_Delete(wrap);
        if (v.n) {
            rc = emu_reply_verr(r, &v);
            goto out;
        }
    }
    if (emu_record_persist(e, rec, &err)) {
        rc = emu_reply_error(r, 500, "ServiceException", "%s", err.msg);
        goto out;
    }
    emu_record_install(e, &rec, false);
out:
    pthread_mutex_unlock(&e->write_mu);
    emu_record_free(rec);
    emu_verr_free(&v);
    return rc;
}

int emu_api_tags(emu_req *r)
{
    char name[EMU_FN_REF_MAX];
    int rc;
    if (resource(r, name, &rc))
        return rc;
    if (r->route.op == EMU_OP_LIST_TAGS) {
        pthread_mutex_lock(&r->e->mu);
        emu_entry *en = emu_find(r->e, name);
        cJSON *doc = NULL;
        if (en) {
            doc = cJSON_CreateObject();
            emu_kvs_to_json(&en->rec->tags, cJSON_AddObjectToObject(doc, "Tags"));
        }
        pthread_mutex_unlock(&r->e->mu);
        return doc ? emu_reply_json(r, 200, doc) : emu_reply_not_found(r, name, NULL);
    }
    cJSON *b = NULL;
    if (r->route.op == EMU_OP_TAG_RESOURCE) {
        if (!(b = emu_body_object(r, &rc)))
            return rc;
        if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(b, "Tags"))) {
            cJSON_Delete(b);
            emu_verr v = {0};
            emu_verr_add(&v, NULL, "tags", "Member must not be null");
            return emu_reply_verr(r, &v);
        }
    } else if (!emu_query_get(&r->query, "tagKeys")) {
        emu_verr v = {0};
        emu_verr_add(&v, NULL, "tagKeys", "Member must not be null");
        return emu_reply_verr(r, &v);
    }
    rc = change_tags(r, name, cJSON_GetObjectItemCaseSensitive(b, "Tags"), r->route.op == EMU_OP_UNTAG_RESOURCE);
    cJSON_Delete(b);
    return rc ? rc : emu_reply_empty(r, 204);
}
