/* String vectors for argv and envp: NULL-terminated, each string owned. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "emulator/internal.h"

void emu_strv_push(emu_strv *s, const char *str)
{
    if (s->n + 2 > s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = fl_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = fl_xstrdup(str);
    s->v[s->n] = NULL;
}

void emu_strv_pushf(emu_strv *s, const char *fmt, ...)
{
    fl_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    fl_buf_reserve(&b, n > 0 ? (size_t)n : 0);
    va_start(ap, fmt);
    vsnprintf(b.data, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
    va_end(ap);
    emu_strv_push(s, b.data);
    fl_buf_free(&b);
}

void emu_strv_free(emu_strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    *s = (emu_strv){0};
}
