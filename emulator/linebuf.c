/* Splitting a byte stream into lines, and keeping the tail of a log. Pure. */
#include <string.h>

#include "emulator/internal.h"

void emu_linebuf_feed(emu_linebuf *lb, const char *data, size_t n, size_t max, emu_line_fn fn, void *ud)
{
    while (n) {
        const char *nl = memchr(data, '\n', n);
        size_t seg = nl ? (size_t)(nl - data) : n; /* bytes before the newline */
        size_t room = max - lb->pending.len;
        if (seg > room) {
            /* an over-long line: emit max bytes of it as a line of its own */
            if (lb->pending.len == 0) {
                fn(ud, data, max);
            } else {
                fl_buf_append(&lb->pending, data, room);
                fn(ud, lb->pending.data, lb->pending.len);
                fl_buf_reset(&lb->pending);
            }
            data += room;
            n -= room;
            continue;
        }
        if (!nl) {
            fl_buf_append(&lb->pending, data, seg); /* partial: wait for more */
            return;
        }
        if (lb->pending.len == 0) {
            fn(ud, data, seg); /* the common case: a whole line, no copy */
        } else {
            fl_buf_append(&lb->pending, data, seg);
            fn(ud, lb->pending.data, lb->pending.len);
            fl_buf_reset(&lb->pending);
        }
        data += seg + 1;
        n -= seg + 1;
    }
}

void emu_linebuf_flush(emu_linebuf *lb, emu_line_fn fn, void *ud)
{
    if (lb->pending.len) {
        fn(ud, lb->pending.data, lb->pending.len);
        fl_buf_reset(&lb->pending);
    }
}

void emu_linebuf_free(emu_linebuf *lb)
{
    fl_buf_free(&lb->pending);
}

void emu_tail_append(fl_buf *tail, const char *line, size_t n, size_t keep)
{
    if (n >= keep) {
        /* the line alone fills the tail: keep its end */
        fl_buf_reset(tail);
        fl_buf_append(tail, line + (n + 1 - keep), keep - 1);
        fl_buf_putc(tail, '\n');
        return;
    }
    fl_buf_append(tail, line, n);
    fl_buf_putc(tail, '\n');
    if (tail->len > 2 * keep) {
        memmove(tail->data, tail->data + tail->len - keep, keep);
        tail->len = keep;
        tail->data[keep] = 0;
    }
}

void emu_tail_last(const fl_buf *tail, size_t keep, const char **p, size_t *n)
{
    size_t len = tail->len < keep ? tail->len : keep;
    *p = tail->data ? tail->data + tail->len - len : "";
    *n = len;
}
