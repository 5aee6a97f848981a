/* A response passed through as it is produced: the Runtime API thread that
 * reads a runtime's streamed /response writes into it, the front door
 * thread that answers InvokeWithResponseStream or a streaming Function URL
 * reads from it. Bounded: a writer waits while STREAM_BUFFER bytes are
 * unread (the runtime then feels the slow client, as on Lambda); a reader
 * that leaves makes every later write a no-op. */
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

#define STREAM_BUFFER (1u << 20)

emu_stream *emu_stream_new(void)
{
    emu_stream *s = fl_xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    emu_cond_init(&s->cond);
    return s;
}

void emu_stream_free(emu_stream *s)
{
    if (!s)
        return;
    fl_buf_free(&s->buf);
    free(s->content_type);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    free(s);
}

void emu_stream_begin(emu_stream *s, const char *content_type)
{
    pthread_mutex_lock(&s->mu);
    s->streamed = true;
    free(s->content_type);
    s->content_type = content_type ? fl_xstrdup(content_type) : NULL;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

int emu_stream_write(emu_stream *s, const void *p, size_t n, bool block)
{
    pthread_mutex_lock(&s->mu);
    while (block && !s->gone && !s->ended && s->buf.len - s->off >= STREAM_BUFFER)
        pthread_cond_wait(&s->cond, &s->mu);
    bool drop = s->gone || (block && s->ended); /* a timed-out invoke takes no more */
    int rc = drop ? -1 : 0;
    if (!drop) {
        if (s->off && s->off == s->buf.len) {
            fl_buf_reset(&s->buf);
            s->off = 0;
        }
        fl_buf_append(&s->buf, p, n);
        s->total += n;
        pthread_cond_broadcast(&s->cond);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void emu_stream_end(emu_stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->ended = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

/* Waits until there are bytes, the end, or (for_start) the start of a
 * streamed response. Appends at most max bytes to out. */
size_t emu_stream_read(emu_stream *s, fl_buf *out, size_t max, bool *ended)
{
    pthread_mutex_lock(&s->mu);
    while (s->off == s->buf.len && !s->ended)
        pthread_cond_wait(&s->cond, &s->mu);
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
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Waits until the runtime starts streaming or the invoke ends. */
void emu_stream_wait_start(emu_stream *s, bool *streamed, char **content_type)
{
    pthread_mutex_lock(&s->mu);
    while (!s->streamed && !s->ended)
        pthread_cond_wait(&s->cond, &s->mu);
    *streamed = s->streamed;
    *content_type = s->content_type ? fl_xstrdup(s->content_type) : NULL;
    pthread_mutex_unlock(&s->mu);
}

void emu_stream_leave(emu_stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->gone = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
}
