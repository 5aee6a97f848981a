/* Curl handles kept between requests: each keeps its connections, so a
 * busy provider talks to Lambda over warm keep-alive connections. */
#include <stdlib.h>

#include "provider/aws.h"

#define POOL_KEEP 64

void pv_pool_init(pv_handle_pool *p)
{
    pthread_mutex_init(&p->mu, NULL);
    p->free_h = NULL;
    p->n = p->cap = 0;
}

CURL_handle *pv_pool_get(pv_handle_pool *p)
{
    pthread_mutex_lock(&p->mu);
    CURL_handle *h = p->n ? p->free_h[--p->n] : NULL;
    pthread_mutex_unlock(&p->mu);
    return h ? h : fl_http_handle();
}

void pv_pool_put(pv_handle_pool *p, CURL_handle *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->n < POOL_KEEP) {
        if (p->n == p->cap) {
            p->cap = p->cap ? p->cap * 2 : 8;
            p->free_h = fl_xrealloc(p->free_h, p->cap * sizeof *p->free_h);
        }
        p->free_h[p->n++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    fl_http_handle_free(h);
}

void pv_pool_free(pv_handle_pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        fl_http_handle_free(p->free_h[i]);
    free(p->free_h);
    p->free_h = NULL;
    p->n = p->cap = 0;
    pthread_mutex_destroy(&p->mu);
}
