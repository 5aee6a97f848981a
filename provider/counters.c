/* Invocation counters by function ("name.namespace"): the provider's own
 * count, reported as invocationCount (Lambda keeps none it could give). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "provider/internal.h"

void pv_counters_init(pv_counters *c)
{
    pthread_mutex_init(&c->mu, NULL);
    c->counts = (pv_map){0};
}

void pv_counters_add(pv_counters *c, const char *key, uint64_t n)
{
    pthread_mutex_lock(&c->mu);
    const char *v = pv_map_get(&c->counts, key);
    uint64_t cur = v ? strtoull(v, NULL, 10) : 0;
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, cur + n);
    pv_map_set(&c->counts, key, buf);
    pthread_mutex_unlock(&c->mu);
}

uint64_t pv_counters_get(pv_counters *c, const char *key)
{
    pthread_mutex_lock(&c->mu);
    const char *v = pv_map_get(&c->counts, key);
    uint64_t n = v ? strtoull(v, NULL, 10) : 0;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void pv_counters_free(pv_counters *c)
{
    pv_map_free(&c->counts);
    pthread_mutex_destroy(&c->mu);
}
