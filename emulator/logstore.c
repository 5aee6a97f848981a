/* The functions' logs as CloudWatch Logs keeps them: a log group per
 * function (/aws/lambda/NAME), a stream per sandbox, events with a
 * timestamp. In memory and bounded: each group keeps its newest events up
 * to a byte budget (--log-retention-kb), dropping the oldest, and forgets
 * streams that have no event left. Read by the Logs API (api_logs.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

#define STREAMS_MAX 1024

static void group_free(emu_log_group *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->ring[(g->head + i) % g->cap]);
    free(g->ring);
    for (size_t i = 0; i < g->nstreams; i++)
        free(g->streams[i].name);
    free(g->streams);
    free(g->name);
    free(g);
}

emu_logstore *emu_logstore_new(size_t group_max_bytes)
{
    emu_logstore *ls = fl_xcalloc(1, sizeof *ls);
    pthread_mutex_init(&ls->mu, NULL);
    ls->group_max = group_max_bytes;
    return ls;
}

void emu_logstore_free(emu_logstore *ls)
{
    if (!ls)
        return;
    for (size_t i = 0; i < ls->n; i++)
        group_free(ls->groups[i]);
    free(ls->groups);
    pthread_mutex_destroy(&ls->mu);
    free(ls);
}

emu_log_group *emu_logstore_group(emu_logstore *ls, const char *name)
{
    for (size_t i = 0; i < ls->n; i++)
        if (!strcmp(ls->groups[i]->name, name))
            return ls->groups[i];
    return NULL;
}

static emu_log_group *group_for(emu_logstore *ls, const char *fn, uint64_t now)
{
    char name[EMU_FN_REF_MAX + 16];
    snprintf(name, sizeof name, "/aws/lambda/%s", fn);
    emu_log_group *g = emu_logstore_group(ls, name);
    if (g)
        return g;
    g = fl_xcalloc(1, sizeof *g);
    g->name = fl_xstrdup(name);
    g->created = now;
    ls->groups = fl_xrealloc(ls->groups, (ls->n + 1) * sizeof *ls->groups);
    ls->groups[ls->n++] = g;
    return g;
}

static uint32_t stream_for(emu_log_group *g, const char *name, uint64_t now)
{
    for (size_t i = 0; i < g->nstreams; i++)
        if (!strcmp(g->streams[i].name, name))
            return (uint32_t)i;
    if (g->nstreams == g->capstreams) {
        g->capstreams = g->capstreams ? g->capstreams * 2 : 8;
        g->streams = fl_xrealloc(g->streams, g->capstreams * sizeof *g->streams);
    }
    g->streams[g->nstreams] = (emu_log_stream){.name = fl_xstrdup(name), .created = now, .first_ts = now};
    return (uint32_t)g->nstreams++;
}

/* Forgets streams without events (their index may move: events keep the
 * stream's name pointer stable by index, so renumber them). */
static void prune_streams(emu_log_group *g)
{
    if (g->nstreams < STREAMS_MAX)
        return;
    size_t *map = fl_xcalloc(g->nstreams, sizeof *map);
    size_t k = 0;
    for (size_t i = 0; i < g->nstreams; i++) {
        if (g->streams[i].events) {
            map[i] = k;
            g->streams[k++] = g->streams[i];
        } else {
            free(g->streams[i].name);
        }
    }
    for (size_t i = 0; i < g->n; i++) {
        emu_log_event *ev = g->ring[(g->head + i) % g->cap];
        ev->stream = (uint32_t)map[ev->stream];
    }
    g->nstreams = k;
    free(map);
}

static void evict(emu_log_group *g, size_t max)
{
    while (g->n && g->bytes > max) {
        emu_log_event *ev = g->ring[g->head];
        g->head = (g->head + 1) % g->cap;
        g->n--;
        g->bytes -= ev->len + sizeof *ev;
        g->streams[ev->stream].events--;
        free(ev);
    }
}

static void push(emu_log_group *g, emu_log_event *ev)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        emu_log_event **ring = fl_xcalloc(cap, sizeof *ring);
        for (size_t i = 0; i < g->n; i++)
            ring[i] = g->ring[(g->head + i) % g->cap];
        free(g->ring);
        g->ring = ring;
        g->cap = cap;
        g->head = 0;
    }
    g->ring[(g->head + g->n) % g->cap] = ev;
    g->n++;
    g->bytes += ev->len + sizeof *ev;
}

void emu_logstore_put(emu_logstore *ls, const char *fn, const char *stream, const char *msg, size_t n)
{
    if (!ls)
        return;
    if (n > EMU_LOG_LINE_MAX)
        n = EMU_LOG_LINE_MAX;
    uint64_t now = fl_wall_ms();
    emu_log_event *ev = fl_xmalloc(sizeof *ev + n + 1);
    ev->ts = now;
    ev->len = (uint32_t)n;
    memcpy(ev->msg, msg, n);
    ev->msg[n] = 0;
    pthread_mutex_lock(&ls->mu);
    emu_log_group *g = group_for(ls, fn, now);
    prune_streams(g);
    ev->stream = stream_for(g, stream, now);
    ev->seq = g->next_seq++;
    emu_log_stream *s = &g->streams[ev->stream];
    if (!s->events)
        s->first_ts = now;
    s->events++;
    s->last_ts = now;
    push(g, ev);
    evict(g, ls->group_max);
    pthread_mutex_unlock(&ls->mu);
}
