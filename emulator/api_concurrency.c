/* PutFunctionConcurrency, GetFunctionConcurrency, DeleteFunctionConcurrency
 * and GetAccountSettings. A reservation is taken from the account's limit
 * (--concurrency-limit): the functions without one share what is left. */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"

/* Sets (reserved >= 0) or removes (-1) a function's reservation. */
static int set_reserved(emu_req *r, const char *name, int reserved, int *rc)
{
    emu *e = r->e;
    pthread_mutex_lock(&e->write_mu);
    pthread_mutex_lock(&e->mu);
    emu_entry *en = emu_find(e, name);
    emu_fn_record *rec = en ? emu_record_dup(en->rec) : NULL;
    unsigned others = e->reserved_sum - (en && en->rec->reserved >= 0 ? (unsigned)en->rec->reserved : 0);
    pthread_mutex_unlock(&e->mu);
    int ret = -1;
    fl_err err;
    if (!rec) {
        *rc = emu_reply_not_found(r, name, NULL);
    } else if (reserved >= 0 && others + (unsigned)reserved > e->limit) {
        *rc = emu_reply_error(r, 400, "InvalidParameterValueException",
                              "Specified ReservedConcurrentExecutions for function decreases account's "
                              "UnreservedConcurrentExecution below its minimum value of [0].");
    } else {
        rec->reserved = reserved;
        if (emu_record_persist(e, rec, &err)) {
            *rc = emu_reply_error(r, 500, "ServiceException", "%s", err.msg);
        } else {
            emu_record_install(e, &rec, false);
            ret = 0;
        }
    }
    pthread_mutex_unlock(&e->write_mu);
    emu_record_free(rec);
    return ret;
}

static int put_concurrency(emu_req *r, const char *name)
{
    int rc;
    cJSON *b = emu_body_object(r, &rc);
    if (!b)
        return rc;
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(b, "ReservedConcurrentExecutions");
    emu_verr v = {0};
    if (!cJSON_IsNumber(n))
        emu_verr_add(&v, NULL, "reservedConcurrentExecutions", "Member must not be null");
    else if (n->valuedouble < 0 || n->valuedouble > 1e6 || n->valuedouble != (double)(int)n->valuedouble) {
        char val[32];
        snprintf(val, sizeof val, "%g", n->valuedouble);
        emu_verr_add(&v, val, "reservedConcurrentExecutions", "Member must have value greater than or equal to 0");
    }
    int reserved = cJSON_IsNumber(n) ? (int)n->valuedouble : 0;
    cJSON_Delete(b);
    if (v.n)
        return emu_reply_verr(r, &v);
    if (set_reserved(r, name, reserved, &rc))
        return rc;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "ReservedConcurrentExecutions", reserved);
    return emu_reply_json(r, 200, doc);
}

static int get_concurrency(emu_req *r, const char *name)
{
    pthread_mutex_lock(&r->e->mu);
    emu_entry *en = emu_find(r->e, name);
    int reserved = en ? en->rec->reserved : -1;
    pthread_mutex_unlock(&r->e->mu);
    if (!en)
        return emu_reply_not_found(r, name, NULL);
    cJSON *doc = cJSON_CreateObject();
    if (reserved >= 0)
        cJSON_AddNumberToObject(doc, "ReservedConcurrentExecutions", reserved);
    return emu_reply_json(r, 200, doc);
}

static int account_settings(emu_req *r)
{
    emu *e = r->e;
    pthread_mutex_lock(&e->mu);
    uint64_t total = 0;
    for (size_t i = 0; i < e->nfns; i++)
        total += e->fns[i]->rec->code_size;
    for (size_t i = 0; i < e->nlayers; i++)
        for (size_t j = 0; j < e->layers[i]->n; j++)
            total += e->layers[i]->v[j].code.size;
    size_t count = e->nfns;
    unsigned unreserved = e->limit - e->reserved_sum;
    pthread_mutex_unlock(&e->mu);
    cJSON *doc = cJSON_CreateObject();
    cJSON *limit = cJSON_AddObjectToObject(doc, "AccountLimit");
    cJSON_AddNumberToObject(limit, "TotalCodeSize", 80530636800.0);
    cJSON_AddNumberToObject(limit, "CodeSizeUnzipped", EMU_UNZIPPED_MAX);
    cJSON_AddNumberToObject(limit, "CodeSizeZipped", 52428800);
    cJSON_AddNumberToObject(limit, "ConcurrentExecutions", e->limit);
    cJSON_AddNumberToObject(limit, "UnreservedConcurrentExecutions", unreserved);
    cJSON *usage = cJSON_AddObjectToObject(doc, "AccountUsage");
    cJSON_AddNumberToObject(usage, "TotalCodeSize", (double)total);
    cJSON_AddNumberToObject(usage, "FunctionCount", (double)count);
    return emu_reply_json(r, 200, doc);
}

int emu_api_concurrency(emu_req *r)
{
    if (r->route.op == EMU_OP_GET_ACCOUNT_SETTINGS)
        return account_settings(r);
    char name[EMU_FN_REF_MAX];
    int rc;
    if (emu_resolve_function(r, r->route.p1, name, &rc))
        return rc;
    switch (r->route.op) {
    case EMU_OP_PUT_CONCURRENCY: return put_concurrency(r, name);
    case EMU_OP_GET_CONCURRENCY: return get_concurrency(r, name);
    case EMU_OP_DELETE_CONCURRENCY:
        if (set_reserved(r, name, -1, &rc))
            return rc;
        return emu_reply_empty(r, 204);
    default: return MHD_NO;
    }
}
