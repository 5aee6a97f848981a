/* The service: settings, the state directory, the registry of functions
 * and layers loaded from it, the front door and the background threads.
 * Start and stop; and the step from a function's record to the
 * configuration its sandboxes are made from. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator/internal.h"

const char *emu_url(const emu *e)
{
    return e->url;
}

const char *emu_state_dir(const emu *e)
{
    return e->store->root;
}

static unsigned or_default(unsigned v, unsigned def)
{
    return v ? v : def;
}

static void settings(emu *e, const emu_config *cfg)
{
    e->region = fl_xstrdup(cfg->region);
    e->limit = or_default(cfg->concurrency_limit, EMU_CONCURRENCY_DEFAULT);
    e->state_delay_ms = cfg->state_delay_ms;
    e->async_retry_ms[0] = or_default(cfg->async_retry_ms[0], EMU_ASYNC_RETRY1_DEFAULT_MS);
    e->async_retry_ms[1] = or_default(cfg->async_retry_ms[1], EMU_ASYNC_RETRY2_DEFAULT_MS);
    e->auth = cfg->auth && !strcmp(cfg->auth, "strict") ? EMU_AUTH_STRICT : EMU_AUTH_NONE;
    e->access_key = cfg->access_key ? fl_xstrdup(cfg->access_key) : NULL;
    e->secret_key = cfg->secret_key ? fl_xstrdup(cfg->secret_key) : NULL;
    e->env.bwrap = emu_find_bwrap();
    e->env.runtime_root = cfg->runtime_root ? fl_xstrdup(cfg->runtime_root) : NULL;
    e->env.region = e->region;
    e->env.idle_timeout_us = (uint64_t)or_default(cfg->idle_timeout_ms, EMU_IDLE_TIMEOUT_DEFAULT_MS) * 1000u;
    e->env.freeze_after_us = (uint64_t)or_default(cfg->freeze_after_ms, EMU_FREEZE_AFTER_DEFAULT_MS) * 1000u;
    e->env.init_timeout_us = (uint64_t)or_default(cfg->init_timeout_ms, EMU_INIT_TIMEOUT_DEFAULT_MS) * 1000u;
    e->env.pool_max = e->limit;
    e->env.quiet = cfg->quiet_function_logs;
}

static void load_layer(void *ud, const char *file, cJSON *doc)
{
    emu *e = ud;
    emu_layer *l = emu_layer_from_state(doc);
    if (!l) {
        fl_warn("state: layers/%s is malformed; ignored", file);
        return;
    }
    emu_put_layer(e, l->name, l);
}

static void load_function(void *ud, const char *file, cJSON *doc)
{
    emu *e = ud;
    fl_err err;
    emu_fn_record *r = emu_record_from_state(doc, &err);
    if (!r) {
        fl_warn("state: functions/%s: %s; ignored", file, err.msg);
        return;
    }
    if (r->code_hex[0] && !emu_store_has_code(e->store, r->code_hex))
        fl_warn("state: function %s: its code (%s) is missing from the state directory; invokes will fail", r->name,
                r->code_hex);
    emu_entry *en = fl_xcalloc(1, sizeof *en);
    en->rec = r;
    en->refs = 1;
    emu_insert(e, en);
}

/* --task-root: a record that lives in memory, code from host directories. */
static int add_external(emu *e, const emu_function_config *f, fl_err *err)
{
    emu_fn_record *r = fl_xcalloc(1, sizeof *r);
    r->external = true;
    r->name = fl_xstrdup(f->name);
    r->task_root = realpath(f->task_root, NULL);
    r->opt_dir = f->opt_dir ? realpath(f->opt_dir, NULL) : NULL;
    if (!r->task_root || (f->opt_dir && !r->opt_dir)) {
        fl_fail(err, "%s: %s", r->task_root ? f->opt_dir : f->task_root, strerror(errno));
        emu_record_free(r);
        return -1;
    }
    r->runtime = fl_xstrdup("provided.al2023");
    r->role = fl_xasprintf("arn:aws:iam::%s:role/faas-lambda-emulate", EMU_ACCOUNT);
    r->handler = fl_xstrdup(f->handler);
    r->arch = fl_xstrdup("x86_64");
    r->package_type = fl_xstrdup("Zip");
    r->timeout_s = f->timeout_s;
    r->memory_mb = f->memory_mb;
    r->ephemeral_mb = EMU_EPHEMERAL_DEFAULT;
    r->reserved = -1;
    r->modified_ms = fl_wall_ms();
    emu_new_uuid(r->revision);
    for (size_t i = 0; f->env && f->env[i]; i++) {
        const char *eq = strchr(f->env[i], '=');
        char *k = fl_xstrndup(f->env[i], (size_t)(eq - f->env[i]));
        emu_kvs_set(&r->env, k, eq + 1);
        free(k);
    }
    emu_entry *old = emu_find(e, r->name);
    if (old) {
        fl_warn("function %s from the state directory is hidden by --task-root %s for this run", r->name,
                r->task_root);
        emu_remove(e, old);
        emu_entry_unref(e, old);
    }
    emu_entry *en = fl_xcalloc(1, sizeof *en);
    en->rec = r;
    en->refs = 1;
    emu_insert(e, en);
    return 0;
}

/* The servers' loops: the embedder's, or ours, one per CPU, each on a
 * thread of its own; and the pool for the operations that block. */
static int start_loop(emu *e, const emu_config *cfg, fl_err *err)
{
    e->pool = fl_pool_new(EMU_POOL_THREADS);
    if (cfg->loops && cfg->nloops) {
        e->nloops = cfg->nloops;
        e->loops = fl_xcalloc(e->nloops, sizeof *e->loops);
        for (unsigned i = 0; i < e->nloops; i++)
            e->loops[i] = cfg->loops[i];
    } else {
        e->own_loops = true;
        e->nloops = fl_loop_count();
        e->loops = fl_xcalloc(e->nloops, sizeof *e->loops);
        for (unsigned i = 0; i < e->nloops; i++) {
            e->loops[i] = fl_loop_new(err);
            if (!e->loops[i] || fl_loop_start(e->loops[i], err))
                return -1;
        }
    }
    e->env.loops = e->loops;
    e->env.nloops = e->nloops;
    return 0;
}

static void stop_loop(emu *e)
{
    fl_pool_free(e->pool); /* its jobs first: they may still post to the loops */
    e->pool = NULL;
    for (unsigned i = 0; e->own_loops && i < e->nloops; i++)
        fl_loop_free(e->loops[i]);
    free(e->loops);
    e->loops = NULL;
    e->env.loops = NULL;
    e->nloops = e->env.nloops = 0;
}

static int open_state(emu *e, const emu_config *cfg, fl_err *err)
{
    char *dir = NULL;
    if (cfg->state_dir) {
        dir = fl_xstrdup(cfg->state_dir);
    } else if (!cfg->function.task_root) {
        dir = emu_default_state_dir();
        if (!dir)
            return fl_fail(err, "no state directory: set --state-dir, XDG_DATA_HOME or HOME");
    }
    int rc = emu_store_open(dir, &e->store, err);
    free(dir);
    if (rc)
        return -1;
    emu_store_each_json(e->store, "layers", load_layer, e);
    emu_store_each_json(e->store, "functions", load_function, e);
    return 0;
}

static emu *service_new(const emu_config *cfg)
{
    emu *e = fl_xcalloc(1, sizeof *e);
    settings(e, cfg);
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->write_mu, NULL);
    emu_cond_init(&e->janitor_cond);
    return e;
}

static void service_free(emu *e)
{
    for (size_t i = 0; i < e->nfns; i++) {
        emu_entry *en = e->fns[i];
        en->deleted = true;
        emu_entry_unref(e, en);
    }
    free(e->fns);
    for (size_t i = 0; i < e->nlayers; i++)
        emu_layer_free(e->layers[i]);
    free(e->layers);
    emu_logstore_free(e->env.logs);
    emu_cgroups_free(e->env.cg);
    emu_store_close(e->store);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->write_mu);
    pthread_cond_destroy(&e->janitor_cond);
    free(e->env.bwrap);
    free(e->env.runtime_root);
    free(e->region);
    free(e->access_key);
    free(e->secret_key);
    free(e);
}

int emu_start(const emu_config *cfg, emu **out, fl_err *err)
{
    if (emu_config_check(cfg, err))
        return -1;
    struct sockaddr_storage ss;
    unsigned sslen;
    int fds[FL_LOOPS_MAX];
    bool listening = false;
    if (emu_parse_listen(cfg->listen, &ss, &sslen, err))
        return -1;
    emu *e = service_new(cfg);
    e->env.logs = emu_logstore_new((size_t)or_default(cfg->log_retention_kb, EMU_LOG_RETENTION_DEFAULT_KB) * 1024u);
    if (emu_cgroups_open(cfg->cgroups, &e->env.cg, err) || open_state(e, cfg, err) ||
        (cfg->function.task_root && add_external(e, &cfg->function, err)))
        goto fail;
    e->env.state_root = e->store->root;
    if (start_loop(e, cfg, err))
        goto fail;
    if (fl_listen_sockets(&ss, sslen, e->nloops, fds, err)) { /* a socket per loop */
        fl_fail_wrap(err, "listening on %s", cfg->listen);
        goto fail;
    }
    listening = true;
    emu_socket_url(fds[0], e->url, sizeof e->url);
    emu_gc(e);
    if (emu_janitor_start(e, err) || emu_async_start(e, err))
        goto fail;
    listening = false; /* the front takes the sockets, even when it fails */
    if (!emu_front_start(fds, e, err))
        goto fail;
    *out = e;
    return 0;
fail:
    for (unsigned i = 0; listening && i < e->nloops; i++)
        close(fds[i]);
    emu_async_stop(e);
    emu_janitor_stop(e);
    stop_loop(e);
    while (e->retired) {
        emu_function *fn = e->retired;
        e->retired = fn->retired_next;
        emu_function_free(fn);
    }
    service_free(e);
    return -1;
}

void emu_stop(emu *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->stopping = true;
    for (size_t i = 0; i < e->nfns; i++) {
        if (e->fns[i]->rt) {
            emu_retire_runtime(e, e->fns[i]->rt);
            e->fns[i]->rt = NULL;
        }
    }
    pthread_mutex_unlock(&e->mu);
    emu_janitor_stop(e); /* from here on the retired list is ours alone */
    for (emu_function *fn = e->retired; fn; fn = fn->retired_next)
        emu_function_stop(fn); /* their waiting invokes end here */
    emu_async_stop(e);
    fl_pool_free(e->pool); /* the operations in progress end (their answers are queued) */
    e->pool = NULL;
    emu_front_stop(e->front);
    while (e->retired) {
        emu_function *fn = e->retired;
        e->retired = fn->retired_next;
        emu_function_free(fn);
    }
    stop_loop(e);
    service_free(e);
}

static char *opt_dir_for(emu *e, const emu_fn_record *r, fl_err *err)
{
    if (r->nlayers == 0)
        return NULL;
    if (r->nlayers == 1)
        return emu_store_path(e->store, "code/%s", r->layers[0].hex);
    return emu_opt_merge(e->store, r, err);
}

int emu_conf_from_record(emu *e, const emu_fn_record *r, emu_fn_conf *c, fl_err *err)
{
    *c = (emu_fn_conf){0};
    c->name = fl_xstrdup(r->name);
    c->region = fl_xstrdup(e->region);
    char arn[256];
    emu_function_arn(e->region, r->name, arn, sizeof arn);
    c->arn = fl_xstrdup(arn);
    c->handler = fl_xstrdup(r->handler ? r->handler : "");
    c->timeout_s = r->timeout_s;
    c->memory_mb = r->memory_mb;
    c->ephemeral_mb = r->ephemeral_mb;
    for (size_t i = 0; i + 1 < r->env.n; i += 2)
        emu_strv_pushf(&c->env, "%s=%s", r->env.v[i], r->env.v[i + 1]);
    if (r->external) {
        c->task_root = fl_xstrdup(r->task_root);
        c->opt_dir = r->opt_dir ? fl_xstrdup(r->opt_dir) : NULL;
        return 0;
    }
    if (!strcmp(r->package_type, "Image")) {
        if (emu_image_conf(e, r, c, err)) {
            emu_fn_conf_free(c);
            return -1;
        }
        return 0;
    }
    c->task_root = emu_store_path(e->store, "code/%s", r->code_hex);
    fl_err merr = {{0}};
    c->opt_dir = opt_dir_for(e, r, &merr);
    if (r->nlayers > 1 && !c->opt_dir) {
        fl_fail(err, "%s", merr.msg);
        emu_fn_conf_free(c);
        return -1;
    }
    return 0;
}
