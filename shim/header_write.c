/* Response headers written into Lambda documents: grouped by name
 * (case-insensitively, first spelling kept, in order of first appearance). */
#include <stdlib.h>
#include <strings.h>

#include "shim/internal.h"

static bool is_set_cookie(const char *name)
{
    return !strcasecmp(name, "Set-Cookie");
}

void shim_put_joined_headers(fl_buf *b, const fl_headers *h, bool cookies_apart)
{
    size_t *next;
    bool *head;
    shim_group_headers(h, &next, &head);
    fl_buf_putc(b, '{');
    bool first = true;
    for (size_t i = 0; i < h->n; i++) {
        if (!head[i])
            continue;
        bool cookie = is_set_cookie(h->v[i].name);
        if (cookie && cookies_apart)
            continue;
        if (!first)
            fl_buf_putc(b, ',');
        first = false;
        shim_put_key(b, h->v[i].name);
        if (cookie) { /* a Set-Cookie cannot be comma-joined: Expires has commas */
            shim_put_str(b, h->v[i].value);
            continue;
        }
        fl_buf joined = {0};
        for (size_t j = i; j != SHIM_NONE; j = next[j]) {
            if (j != i)
                fl_buf_putc(&joined, ',');
            fl_buf_puts(&joined, h->v[j].value);
        }
        fl_json_put_str(b, joined.data ? joined.data : "", joined.len);
        fl_buf_free(&joined);
    }
    fl_buf_putc(b, '}');
    free(next);
    free(head);
}

void shim_put_multi_headers(fl_buf *b, const fl_headers *h)
{
    size_t *next;
    bool *head;
    shim_group_headers(h, &next, &head);
    fl_buf_putc(b, '{');
    bool first = true;
    for (size_t i = 0; i < h->n; i++) {
        if (!head[i])
            continue;
        if (!first)
            fl_buf_putc(b, ',');
        first = false;
        shim_put_key(b, h->v[i].name);
        fl_buf_putc(b, '[');
        for (size_t j = i; j != SHIM_NONE; j = next[j]) {
            if (j != i)
                fl_buf_putc(b, ',');
            shim_put_str(b, h->v[j].value);
        }
        fl_buf_putc(b, ']');
    }
    fl_buf_putc(b, '}');
    free(next);
    free(head);
}

void shim_put_cookies(fl_buf *b, const fl_headers *h)
{
    fl_buf_putc(b, '[');
    bool first = true;
    for (size_t i = 0; i < h->n; i++) {
        if (!is_set_cookie(h->v[i].name))
            continue;
        if (!first)
            fl_buf_putc(b, ',');
        first = false;
        shim_put_str(b, h->v[i].value);
    }
    fl_buf_putc(b, ']');
}

