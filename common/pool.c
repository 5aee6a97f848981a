/* A pool of threads for work that blocks (files, processes, a call to
 * another server), so that an event loop never does. Threads are started
 * as jobs need them, up to a limit, and stay until the pool is freed. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct fl_job {
    fl_loop_fn fn;
    void *ud;
    struct fl_job *next;
} fl_job;

struct fl_pool {
    pthread_mutex_t mu;
    pthread_cond_t work;
    fl_job *head, *tail;
    pthread_t *threads;
    unsigned nthreads, idle, max;
    bool stop;
};

fl_pool *fl_pool_new(unsigned max_threads)
{
    fl_pool *p = fl_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    p->max = max_threads ? max_threads : 1;
    p->threads = fl_xcalloc(p->max, sizeof *p->threads);
    return p;
}

static void *worker(void *arg)
{
    fl_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop) {
            p->idle++;
            pthread_cond_wait(&p->work, &p->mu);
            p->idle--;
        }
        if (!p->head)
            break; /* stopping, and nothing left to do */
        fl_job *j = p->head;
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        j->fn(j->ud);
        free(j);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void fl_pool_run(fl_pool *p, fl_loop_fn fn, void *ud)
{
    fl_job *j = fl_xmalloc(sizeof *j);
    *j = (fl_job){fn, ud, NULL};
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    if (p->idle) {
        pthread_cond_signal(&p->work);
    } else if (p->nthreads < p->max) {
        int rc = pthread_create(&p->threads[p->nthreads], NULL, worker, p);
        if (rc == 0)
            p->nthreads++;
        else if (!p->nthreads)
            fl_error("worker pool: no thread could be started (%s); the job waits", strerror(rc));
    }
    pthread_mutex_unlock(&p->mu);
}

void fl_pool_free(fl_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nthreads; i++) /* they finish the queued jobs first */
        pthread_join(p->threads[i], NULL);
    while (p->head) { /* only when no thread could be started */
        fl_job *j = p->head;
        p->head = j->next;
        free(j);
    }
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    free(p);
}
