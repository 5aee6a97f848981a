/* The registry: functions and layers by name, in sorted arrays (ListFunctions
 * and ListLayers page through them in order). Everything here runs with
 * e->mu held. An entry is reference counted: an invoke keeps the entry it
 * was admitted on, even when the function is deleted meanwhile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

static size_t lower_bound_fn(emu *e, const char *name)
{
    size_t lo = 0, hi = e->nfns;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(e->fns[mid]->rec->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

emu_entry *emu_find(emu *e, const char *name)
{
    size_t i = lower_bound_fn(e, name);
    return i < e->nfns && !strcmp(e->fns[i]->rec->name, name) ? e->fns[i] : NULL;
}

void emu_insert(emu *e, emu_entry *en)
{
    size_t i = lower_bound_fn(e, en->rec->name);
    if (e->nfns == e->capfns) {
        e->capfns = e->capfns ? e->capfns * 2 : 16;
        e->fns = fl_xrealloc(e->fns, e->capfns * sizeof *e->fns);
    }
    memmove(e->fns + i + 1, e->fns + i, (e->nfns - i) * sizeof *e->fns);
    e->fns[i] = en;
    e->nfns++;
    if (en->rec->reserved >= 0)
        e->reserved_sum += (unsigned)en->rec->reserved;
}

void emu_remove(emu *e, emu_entry *en)
{
    for (size_t i = 0; i < e->nfns; i++) {
        if (e->fns[i] != en)
            continue;
        memmove(e->fns + i, e->fns + i + 1, (e->nfns - i - 1) * sizeof *e->fns);
        e->nfns--;
        break;
    }
    if (en->rec->reserved >= 0)
        e->reserved_sum -= (unsigned)en->rec->reserved;
    en->deleted = true;
    if (en->rt) {
        emu_retire_runtime(e, en->rt);
        en->rt = NULL;
    }
}

void emu_entry_unref(emu *e, emu_entry *en)
{
    if (--en->refs)
        return;
    if (en->rt) /* only at shutdown: every runtime was retired before */
        emu_retire_runtime(e, en->rt);
    emu_record_free(en->rec);
    free(en);
}

void emu_entry_replace(emu *e, emu_entry *en, emu_fn_record *rec, bool new_runtime)
{
    if (en->rec->reserved >= 0)
        e->reserved_sum -= (unsigned)en->rec->reserved;
    if (rec->reserved >= 0)
        e->reserved_sum += (unsigned)rec->reserved;
    emu_record_free(en->rec);
    en->rec = rec;
    if (new_runtime && en->rt) {
        /* invokes in flight finish on the old configuration; new ones start
         * new sandboxes, as after an update on Lambda */
        emu_retire_runtime(e, en->rt);
        en->rt = NULL;
    }
}

void emu_retire_runtime(emu *e, emu_function *rt)
{
    rt->retired_next = e->retired;
    e->retired = rt;
    e->gc_wanted = true;
    pthread_cond_signal(&e->janitor_cond);
}

static size_t lower_bound_layer(emu *e, const char *name)
{
    size_t lo = 0, hi = e->nlayers;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(e->layers[mid]->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

emu_layer *emu_find_layer(emu *e, const char *name)
{
    size_t i = lower_bound_layer(e, name);
    return i < e->nlayers && !strcmp(e->layers[i]->name, name) ? e->layers[i] : NULL;
}

void emu_put_layer(emu *e, const char *name, emu_layer *l)
{
    size_t i = lower_bound_layer(e, name);
    bool present = i < e->nlayers && !strcmp(e->layers[i]->name, name);
    if (present) {
        emu_layer_free(e->layers[i]);
        if (l) {
            e->layers[i] = l;
        } else {
            memmove(e->layers + i, e->layers + i + 1, (e->nlayers - i - 1) * sizeof *e->layers);
            e->nlayers--;
        }
        return;
    }
    if (!l)
        return;
    if (e->nlayers == e->caplayers) {
        e->caplayers = e->caplayers ? e->caplayers * 2 : 16;
        e->layers = fl_xrealloc(e->layers, e->caplayers * sizeof *e->layers);
    }
    memmove(e->layers + i + 1, e->layers + i, (e->nlayers - i) * sizeof *e->layers);
    e->layers[i] = l;
    e->nlayers++;
}

int emu_record_persist(emu *e, const emu_fn_record *rec, fl_err *err)
{
    if (rec->external)
        return 0;
    cJSON *doc = emu_record_to_state(rec);
    char rel[EMU_FN_REF_MAX + 32];
    snprintf(rel, sizeof rel, "functions/%s.json", rec->name);
    int rc = emu_store_write_json(e->store, rel, doc, err);
    cJSON_Delete(doc);
    return rc;
}

void emu_record_install(emu *e, emu_fn_record **rec, bool new_runtime)
{
    pthread_mutex_lock(&e->mu);
    emu_entry *en = emu_find(e, (*rec)->name);
    if (en) {
        emu_entry_replace(e, en, *rec, new_runtime);
        *rec = NULL;
    }
    pthread_mutex_unlock(&e->mu);
}
