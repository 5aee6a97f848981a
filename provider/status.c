/* FunctionStatus read back from Lambda: GetFunction gives the
 * configuration (environment, state), the tags (the rest of the deployment,
 * tags.c) and the reserved concurrency (scale: 0 means scaled to zero). */
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

#define LIST_WORKERS 8

int pv_status_from_doc(pv_server *s, const cJSON *doc, pv_status *st, fl_err *err)
{
    memset(st, 0, sizeof *st);
    const cJSON *conf = fl_json_obj(doc, "Configuration");
    pv_map tags = {0};
    if (pv_map_from_json(fl_json_obj(doc, "Tags"), &tags, "Tags", err) || pv_tags_decode(&tags, &st->d, err)) {
        pv_map_free(&tags);
        return -1;
    }
    pv_map_free(&tags);
    const cJSON *env = fl_json_obj(fl_json_obj(conf, "Environment"), "Variables");
    fl_err ignore;
    pv_map_from_json(env, &st->d.env_vars, "Environment", &ignore);
    const cJSON *conc = fl_json_obj(doc, "Concurrency");
    const cJSON *reserved = conc ? cJSON_GetObjectItemCaseSensitive(conc, "ReservedConcurrentExecutions") : NULL;
    bool zero = cJSON_IsNumber(reserved) && reserved->valuedouble == 0;
    const char *state = fl_json_str(conf, "State"), *update = fl_json_str(conf, "LastUpdateStatus");
    bool active = !state || !strcmp(state, "Active");
    bool failed = update && !strcmp(update, "Failed");
    st->replicas = zero ? 0 : 1;
    st->available_replicas = !zero && active && !failed ? 1 : 0;
    if (pv_lambda_time_to_rfc3339(fl_json_str(conf, "LastModified"), st->created_at))
        st->created_at[0] = 0;
    char *key = fl_xasprintf("%s.%s", st->d.service, st->d.namespace);
    st->invocation_count = (double)pv_counters_get(&s->calls, key);
    free(key);
    return 0;
}

int pv_lambda_status(pv_server *s, const char *name, const char *ns, pv_status *st, fl_err *err)
{
    char lname[PV_LAMBDA_NAME_MAX + 1];
    if (pv_lambda_name(name, ns, lname, err))
        return 1;
    cJSON *doc;
    int rc = pv_lambda_get_function(&s->lambda, lname, &doc, err);
    if (rc)
        return rc;
    fl_err why;
    rc = pv_status_from_doc(s, doc, st, &why) ? 1 : 0;
    if (rc)
        fl_debug("provider: Lambda function %s is not a faas-lambda function: %s", lname, why.msg);
    else if (strcmp(st->d.service, name) || strcmp(st->d.namespace, ns)) {
        pv_status_free(st);
        rc = 1; /* tags that name another function: not ours to report */
    }
    cJSON_Delete(doc);
    return rc;
}

typedef struct list_job {
    pv_server *s;
    char **names;                 /* Lambda names */
    size_t n;
    pv_status *out;
    int *found;                   /* 1 when out[i] is set */
    size_t next;
    pthread_mutex_t mu;
    bool failed;
    fl_err err;
} list_job;

static void *list_worker(void *arg)
{
    list_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        size_t i = j->next++;
        pthread_mutex_unlock(&j->mu);
        if (i >= j->n)
            return NULL;
        char name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
        pv_lambda_name_parse(j->names[i], name, ns);
        fl_err err;
        int rc = pv_lambda_status(j->s, name, ns, &j->out[i], &err);
        if (rc < 0) {
            pthread_mutex_lock(&j->mu);
            if (!j->failed)
                j->err = err;
            j->failed = true;
            pthread_mutex_unlock(&j->mu);
        }
        j->found[i] = rc == 0;
    }
}

/* Lambda names that are ours by shape, in namespace ns (NULL: any). */
static int our_names(pv_server *s, const char *ns, char ***out, size_t *n, fl_err *err)
{
    char **all;
    if (pv_lambda_list_names(&s->lambda, &all, err))
        return -1;
    size_t k = 0;
    for (size_t i = 0; all[i]; i++) {
        char name[PV_NAME_MAX + 1], fns[PV_NAME_MAX + 1];
        if (pv_lambda_name_parse(all[i], name, fns) == 0 && (!ns || !strcmp(ns, fns)))
            all[k++] = all[i];
        else
            free(all[i]);
    }
    all[k] = NULL;
    *out = all;
    *n = k;
    return 0;
}

int pv_lambda_list(pv_server *s, const char *ns, pv_status **out, size_t *n, fl_err *err)
{
    *out = NULL;
    *n = 0;
    list_job j = {.s = s};
    if (our_names(s, ns, &j.names, &j.n, err))
        return -1;
    j.out = fl_xcalloc(j.n + 1, sizeof *j.out);
    j.found = fl_xcalloc(j.n + 1, sizeof *j.found);
    pthread_mutex_init(&j.mu, NULL);
    size_t workers = j.n < LIST_WORKERS ? j.n : LIST_WORKERS;
    pthread_t th[LIST_WORKERS];
    size_t started = 0;
    for (; started < workers; started++)
        if (pthread_create(&th[started], NULL, list_worker, &j))
            break;
    if (started == 0)
        list_worker(&j);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&j.mu);
    size_t k = 0;
    for (size_t i = 0; i < j.n; i++)
        if (j.found[i])
            j.out[k++] = j.out[i];
    pv_strv_free(j.names);
    free(j.found);
    if (j.failed) {
        pv_status_list_free(j.out, k);
        *err = j.err;
        return -1;
    }
    *out = j.out;
    *n = k;
    return 0;
}

void pv_status_list_free(pv_status *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pv_status_free(&v[i]);
    free(v);
}

int pv_lambda_namespaces(pv_server *s, pv_map *out, fl_err *err)
{
    char **names;
    size_t n;
    if (our_names(s, NULL, &names, &n, err))
        return -1;
    for (size_t i = 0; i < n; i++) {
        char name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
        if (pv_lambda_name_parse(names[i], name, ns) == 0)
            pv_map_set(out, ns, "");
    }
    pv_strv_free(names);
    return 0;
}
