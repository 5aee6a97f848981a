/* The janitor: a thread that frees runtimes nobody uses any more (replaced
 * by an update, left by a delete, or idle with no sandbox), and collects
 * the state directory's unreferenced code. Freeing a runtime can take a
 * while (a runtime with an extension gets SIGTERM and 500 ms), so it
 * happens here, never on a request's thread. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

#define SWEEP_US 1000000u
#define IDLE_RUNTIME_US 2000000u

/* Moves idle current runtimes to the retired list. e->mu held. */
static void retire_idle(emu *e, uint64_t now)
{
    for (size_t i = 0; i < e->nfns; i++) {
        emu_entry *en = e->fns[i];
        emu_function *rt = en->rt;
        if (!rt || rt->users || now - rt->idle_since_us < IDLE_RUNTIME_US || !emu_function_idle(rt))
            continue;
        en->rt = NULL;
        emu_retire_runtime(e, rt);
    }
}

/* Unlinks retired runtimes that no invoke holds. e->mu held. */
static emu_function *take_unused(emu *e)
{
    emu_function *done = NULL, **pp = &e->retired;
    while (*pp) {
        emu_function *rt = *pp;
        if (rt->users) {
            pp = &rt->retired_next;
            continue;
        }
        *pp = rt->retired_next;
        rt->retired_next = done;
        done = rt;
    }
    return done;
}

static void free_list(emu_function *list)
{
    while (list) {
        emu_function *next = list->retired_next;
        emu_function_free(list);
        list = next;
    }
}

static void *janitor_main(void *arg)
{
    emu *e = arg;
    pthread_mutex_lock(&e->mu);
    while (!e->stopping) {
        retire_idle(e, fl_mono_us());
        emu_function *done = take_unused(e);
        bool gc = e->gc_wanted && !e->retired;
        if (gc)
            e->gc_wanted = false;
        pthread_mutex_unlock(&e->mu);
        free_list(done);
        if (gc)
            emu_gc(e);
        pthread_mutex_lock(&e->mu);
        if (!e->stopping && !done)
            emu_cond_wait_until(&e->janitor_cond, &e->mu, fl_mono_us() + SWEEP_US);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

int emu_janitor_start(emu *e, fl_err *err)
{
    int rc = pthread_create(&e->janitor, NULL, janitor_main, e);
    if (rc)
        return fl_fail(err, "starting the janitor thread: %s", strerror(rc));
    e->janitor_started = true;
    return 0;
}

void emu_janitor_wake(emu *e)
{
    pthread_mutex_lock(&e->mu);
    pthread_cond_signal(&e->janitor_cond);
    pthread_mutex_unlock(&e->mu);
}

/* At shutdown: the runtimes left in e->retired are the caller's to stop. */
void emu_janitor_stop(emu *e)
{
    pthread_mutex_lock(&e->mu);
    e->stopping = true;
    pthread_cond_signal(&e->janitor_cond);
    pthread_mutex_unlock(&e->mu);
    if (e->janitor_started)
        pthread_join(e->janitor, NULL);
    e->janitor_started = false;
}

static void keep_path(emu_strv *keep, const char *path)
{
    if (!path)
        return;
    char *copy = fl_xstrdup(path);
    emu_strv_push(keep, basename(copy));
    free(copy);
}

static void keep_runtime(emu_strv *keep, emu_function *rt)
{
    keep_path(keep, rt->conf.task_root);
    keep_path(keep, rt->conf.opt_dir);
    keep_path(keep, rt->conf.rootfs);
}

/* What the state references: every function's code, layers and merged
 * /opt, every layer version's code, and whatever a live sandbox uses. */
static void collect(emu *e, emu_strv *keep)
{
    for (size_t i = 0; i < e->nfns; i++) {
        const emu_fn_record *r = e->fns[i]->rec;
        if (r->code_hex[0])
            emu_strv_push(keep, r->code_hex);
        for (size_t j = 0; j < r->nlayers; j++)
            emu_strv_push(keep, r->layers[j].hex);
        if (r->nlayers > 1) {
            char key[65];
            emu_opt_key(r, key);
            emu_strv_push(keep, key);
        }
        if (r->image_digest) {
            char dir[80];
            emu_image_dir_name(r->image_digest, dir);
            emu_strv_push(keep, dir);
        }
        if (e->fns[i]->rt)
            keep_runtime(keep, e->fns[i]->rt);
    }
    for (size_t i = 0; i < e->nlayers; i++)
        for (size_t j = 0; j < e->layers[i]->n; j++)
            emu_strv_push(keep, e->layers[i]->v[j].code.hex);
    for (emu_function *rt = e->retired; rt; rt = rt->retired_next)
        keep_runtime(keep, rt);
}

void emu_gc(emu *e)
{
    emu_strv keep = {0};
    pthread_mutex_lock(&e->write_mu);
    pthread_mutex_lock(&e->mu);
    collect(e, &keep);
    pthread_mutex_unlock(&e->mu);
    emu_store_gc(e->store, &keep);
    pthread_mutex_unlock(&e->write_mu);
    emu_strv_free(&keep);
}
