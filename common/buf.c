/* Growable byte buffer. Grows geometrically; always leaves room for a NUL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void fl_buf_reserve(fl_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap * 2 > cap ? cap * 2 : need;
    b->data = fl_xrealloc(b->data, cap);
    b->cap = cap;
}

void fl_buf_expect(fl_buf *b, const char *content_length, size_t max)
{
    uint64_t n;
    if (!b->cap && content_length && fl_parse_u64(content_length, max, &n) == 0)
        fl_buf_reserve(b, (size_t)n);
}

void fl_buf_append(fl_buf *b, const void *p, size_t n)
{
    fl_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void fl_buf_puts(fl_buf *b, const char *s)
{
    fl_buf_append(b, s, strlen(s));
}

void fl_buf_putc(fl_buf *b, char c)
{
    fl_buf_append(b, &c, 1);
}

void fl_buf_printf(fl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    fl_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *fl_buf_cstr(fl_buf *b)
{
    fl_buf_reserve(b, 0);
    b->data[b->len] = 0;
    return b->data;
}

char *fl_buf_steal(fl_buf *b)
{
    char *p = fl_buf_cstr(b);
    *b = (fl_buf){0};
    return p;
}

void fl_buf_reset(fl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = 0;
}

void fl_buf_free(fl_buf *b)
{
    free(b->data);
    *b = (fl_buf){0};
}
