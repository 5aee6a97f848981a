/* Ordered HTTP header list. Linear scans: requests carry tens of headers, and
 * order and duplicates must survive a round trip exactly. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

void fl_headers_addn(fl_headers *h, const char *name, size_t nlen, const char *value, size_t vlen)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->v = fl_xrealloc(h->v, h->cap * sizeof *h->v);
    }
    h->v[h->n].name = fl_xstrndup(name, nlen);
    h->v[h->n].value = fl_xstrndup(value, vlen);
    h->n++;
}

void fl_headers_add(fl_headers *h, const char *name, const char *value)
{
    fl_headers_addn(h, name, strlen(name), value, strlen(value));
}

const char *fl_headers_get(const fl_headers *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (!strcasecmp(h->v[i].name, name))
            return h->v[i].value;
    return NULL;
}

size_t fl_headers_count(const fl_headers *h, const char *name)
{
    size_t c = 0;
    for (size_t i = 0; i < h->n; i++)
        c += !strcasecmp(h->v[i].name, name);
    return c;
}

size_t fl_headers_del(fl_headers *h, const char *name)
{
    size_t w = 0, removed = 0;
    for (size_t r = 0; r < h->n; r++) {
        if (!strcasecmp(h->v[r].name, name)) {
            free(h->v[r].name);
            free(h->v[r].value);
            removed++;
        } else {
            h->v[w++] = h->v[r];
        }
    }
    h->n = w;
    return removed;
}

void fl_headers_set(fl_headers *h, const char *name, const char *value)
{
    fl_headers_del(h, name);
    fl_headers_add(h, name, value);
}

void fl_headers_copy(fl_headers *dst, const fl_headers *src)
{
    for (size_t i = 0; i < src->n; i++)
        fl_headers_add(dst, src->v[i].name, src->v[i].value);
}

void fl_headers_free(fl_headers *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].name);
        free(h->v[i].value);
    }
    free(h->v);
    *h = (fl_headers){0};
}
