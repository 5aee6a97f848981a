/* Ordered HTTP header list. Linear scans: requests carry tens of headers, and
 * order and duplicates must survive a round trip exactly.
 *
 * Names and values live in the list's own text blocks (an arena), not in an
 * allocation each: a request's headers used to be two mallocs apiece, on every
 * hop of every invoke. Blocks never move, so v[i].name and v[i].value stay
 * valid until the list is cleared or freed; fl_headers_clear keeps the
 * largest block, so a list reused request after request stops allocating. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

struct fl_headers_text {
    struct fl_headers_text *next; /* older, smaller blocks */
    size_t used, cap;
    char data[];
};

enum { TEXT_MIN = 1024 };

static char *text_alloc(fl_headers *h, size_t n)
{
    struct fl_headers_text *t = h->text;
    if (!t || t->cap - t->used < n) {
        size_t cap = t && t->cap <= SIZE_MAX / 4 ? t->cap * 2 : TEXT_MIN;
        if (cap < n)
            cap = n;
        if (cap > SIZE_MAX - sizeof *t)
            fl_xmalloc(SIZE_MAX); /* aborts: no caller can have that much text */
        t = fl_xmalloc(sizeof *t + cap);
        t->next = h->text;
        t->used = 0;
        t->cap = cap;
        h->text = t;
    }
    char *p = t->data + t->used;
    t->used += n;
    return p;
}

void fl_headers_addn(fl_headers *h, const char *name, size_t nlen, const char *value, size_t vlen)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->v = fl_xrealloc(h->v, h->cap * sizeof *h->v);
    }
    if (nlen > SIZE_MAX / 2 - 2 || vlen > SIZE_MAX / 2)
        fl_xmalloc(SIZE_MAX); /* aborts */
    char *p = text_alloc(h, nlen + vlen + 2);
    memcpy(p, name, nlen);
    p[nlen] = 0;
    memcpy(p + nlen + 1, value, vlen);
    p[nlen + 1 + vlen] = 0;
    h->v[h->n].name = p;
    h->v[h->n].value = p + nlen + 1;
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
        if (!strcasecmp(h->v[r].name, name))
            removed++;
        else
            h->v[w++] = h->v[r];
    }
    /* The text of removed entries stays in its block (text is in list
     * order); what follows the last entry kept is given back, so that
     * repeated sets of the last header added do not grow the list. */
    struct fl_headers_text *t = h->text;
    if (removed && t) {
        uintptr_t last = w ? (uintptr_t)h->v[w - 1].value : 0, lo = (uintptr_t)t->data;
        bool in_head = last >= lo && last < lo + t->used;
        t->used = in_head ? (size_t)(last - lo) + strlen(h->v[w - 1].value) + 1 : 0;
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

/* What a cleared list keeps: enough for any ordinary request, not what an
 * outlier of a megabyte of headers needed. */
enum { KEEP_TEXT = 64 * 1024, KEEP_ENTRIES = 1024 };

void fl_headers_clear(fl_headers *h)
{
    struct fl_headers_text *t = h->text;
    if (t) {
        for (struct fl_headers_text *o = t->next, *next; o; o = next) {
            next = o->next;
            free(o);
        }
        t->next = NULL;
        t->used = 0;
        if (t->cap > KEEP_TEXT) {
            free(t);
            h->text = NULL;
        }
    }
    if (h->cap > KEEP_ENTRIES) {
        free(h->v);
        h->v = NULL;
        h->cap = 0;
    }
    h->n = 0;
}

void fl_headers_free(fl_headers *h)
{
    fl_headers_clear(h);
    free(h->text);
    free(h->v);
    *h = (fl_headers){0};
}
