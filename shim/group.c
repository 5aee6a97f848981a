/* Grouping equal keys (header names, query keys) in O(n log n): hostile
 * inputs can carry hundreds of thousands of them, so no pairwise scans. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shim/internal.h"

typedef struct entry {
    const char *p;
    size_t n, i;
    bool nocase;
} entry;

static int cmp_bytes(const entry *a, const entry *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    int c = a->nocase ? strncasecmp(a->p, b->p, n) : memcmp(a->p, b->p, n);
    if (c)
        return c;
    return a->n < b->n ? -1 : a->n > b->n;
}

/* By key, then by position, so each group's members are in input order. */
static int cmp_entry(const void *x, const void *y)
{
    const entry *a = x, *b = y;
    int c = cmp_bytes(a, b);
    if (c)
        return c;
    return a->i < b->i ? -1 : a->i > b->i;
}

void shim_group(const shim_key *keys, size_t n, bool nocase, size_t *next, bool *head)
{
    if (n == 0)
        return;
    entry *e = fl_xmalloc(n * sizeof *e);
    for (size_t i = 0; i < n; i++)
        e[i] = (entry){keys[i].p, keys[i].n, i, nocase};
    qsort(e, n, sizeof *e, cmp_entry);
    for (size_t k = 0; k < n; k++) {
        bool same_prev = k > 0 && cmp_bytes(&e[k - 1], &e[k]) == 0;
        bool same_next = k + 1 < n && cmp_bytes(&e[k], &e[k + 1]) == 0;
        head[e[k].i] = !same_prev;
        next[e[k].i] = same_next ? e[k + 1].i : SHIM_NONE;
    }
    free(e);
}

void shim_group_headers(const fl_headers *h, size_t **next, bool **head)
{
    size_t n = h->n ? h->n : 1;
    shim_key *keys = fl_xmalloc(n * sizeof *keys);
    for (size_t i = 0; i < h->n; i++)
        keys[i] = (shim_key){h->v[i].name, strlen(h->v[i].name)};
    *next = fl_xmalloc(n * sizeof **next);
    *head = fl_xmalloc(n * sizeof **head);
    shim_group(keys, h->n, true, *next, *head);
    free(keys);
}
