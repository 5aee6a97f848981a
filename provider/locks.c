/* Named locks: two deploys (or a deploy and a delete) of one function must
 * not interleave their Lambda calls. */
#include "provider/internal.h"

void pv_locks_init(pv_locks *l)
{
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cond, NULL);
    l->held = (pv_map){0};
}

void pv_lock(pv_locks *l, const char *name)
{
    pthread_mutex_lock(&l->mu);
    while (pv_map_get(&l->held, name))
        pthread_cond_wait(&l->cond, &l->mu);
    pv_map_set(&l->held, name, "");
    pthread_mutex_unlock(&l->mu);
}

void pv_unlock(pv_locks *l, const char *name)
{
    pthread_mutex_lock(&l->mu);
    pv_map_del(&l->held, name);
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->mu);
}

void pv_locks_free(pv_locks *l)
{
    pv_map_free(&l->held);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->mu);
}
