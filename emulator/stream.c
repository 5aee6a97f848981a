/* A response passed through as it is produced: the runtime's connection
 * writes a streamed /response into it, the front connection that answers
 * InvokeWithResponseStream or a streaming Function URL reads from it. Both
 * run on the event loop and never wait in here: the reader parks while
 * there is nothing to read, the writer while STREAM_BUFFER bytes are unread
 * (the runtime then feels the slow client, as on Lambda), and each wakes the
 * other. A reader that leaves makes every later write a no-op. */
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

#define STREAM_BUFFER (1u << 20)

emu_stream *emu_stream_new(void)
{
    emu_stream *s = fl_xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void emu_stream_free(emu_stream *s)
{
    if (!s)
        return;
    fl_buf_free(&s->buf);
    free(s->content_type);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void emu_stream_begin(emu_stream *s, const char *content_type)
{
    pthread_mutex_lock(&s->mu);
    s->streamed = true;
    free(s->content_type);
    s->content_type = content_type ? fl_xstrdup(content_type) : NULL;
    emu_waiter_wake(&s->reader);
    pthread_mutex_unlock(&s->mu);
}

int emu_stream_write(emu_stream *s, const void *p, size_t n, bool always)
{
    pthread_mutex_lock(&s->mu);
    bool drop = s->gone || (!always && s->ended); /* a timed-out invoke takes no more */
    int rc = drop ? -1 : 0;
    if (!drop) {
        if (s->off && s->off == s->buf.len) {
            fl_buf_reset(&s->buf);
            s->off = 0;
        }
        fl_buf_append(&s->buf, p, n);
        s->total += n;
        emu_waiter_wake(&s->reader);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

bool emu_stream_park_writer(emu_stream *s, fl_mhd *m, struct MHD_Connection *c)
{
    pthread_mutex_lock(&s->mu);
    bool park = !s->gone && !s->ended && s->buf.len - s->off >= STREAM_BUFFER;
    if (park)
        emu_waiter_park(&s->writer, m, c);
    pthread_mutex_unlock(&s->mu);
    return park;
}

void emu_stream_end(emu_stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->ended = true;
    emu_waiter_wake(&s->reader);
    emu_waiter_wake(&s->writer);
    pthread_mutex_unlock(&s->mu);
}

size_t emu_stream_read(emu_stream *s, fl_buf *out, size_t max, bool *ended)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->buf.len - s->off;
    if (n > max)
        n = max;
    fl_buf_append(out, s->buf.data + s->off, n);
    s->off += n;
    if (s->off > STREAM_BUFFER && s->off == s->buf.len) {
        fl_buf_free(&s->buf); /* do not keep a big buffer around */
        s->off = 0;
    }
    *ended = s->ended && s->off == s->buf.len;
    if (s->buf.len - s->off < STREAM_BUFFER)
        emu_waiter_wake(&s->writer);
    pthread_mutex_unlock(&s->mu);
    return n;
}

bool emu_stream_park_reader(emu_stream *s, fl_mhd *m, struct MHD_Connection *c, bool for_start)
{
    pthread_mutex_lock(&s->mu);
    bool park = !s->ended && (for_start ? !s->streamed : s->off == s->buf.len);
    if (park)
        emu_waiter_park(&s->reader, m, c);
    pthread_mutex_unlock(&s->mu);
    return park;
}

void emu_stream_started(emu_stream *s, bool *streamed, char **content_type)
{
    pthread_mutex_lock(&s->mu);
    *streamed = s->streamed;
    *content_type = s->content_type ? fl_xstrdup(s->content_type) : NULL;
    pthread_mutex_unlock(&s->mu);
}

void emu_stream_leave(emu_stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->gone = true;
    emu_waiter_wake(&s->writer);
    pthread_mutex_unlock(&s->mu);
}
