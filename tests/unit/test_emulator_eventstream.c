/* The event stream encoding: a message encoded here matches one built by
 * hand from the spec (prelude, CRC-32s, string headers), decodes back, and
 * every corruption of it is caught; the response stream's buffer hands
 * bytes over in order and ends. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <zlib.h>

#include "emulator/internal.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

Test(eventstream, layout_of_a_message)
{
    fl_buf b = {0};
    emu_es_header h[] = {{":event-type", "PayloadChunk"}};
    emu_es_message(&b, h, 1, "hi", 2);
    const uint8_t *d = (const uint8_t *)b.data;
    size_t hlen = 1 + 11 + 1 + 2 + 12;
    cr_assert_eq(b.len, 12 + hlen + 2 + 4);
    cr_assert_eq(be32(d), b.len);
    cr_assert_eq(be32(d + 4), hlen);
    cr_assert_eq(be32(d + 8), (uint32_t)crc32(0, d, 8));
    cr_assert_eq(d[12], 11);
    cr_assert_eq(memcmp(d + 13, ":event-type", 11), 0);
    cr_assert_eq(d[24], 7);
    cr_assert_eq(d[25] << 8 | d[26], 12);
    cr_assert_eq(memcmp(d + 12 + hlen, "hi", 2), 0);
    cr_assert_eq(be32(d + b.len - 4), (uint32_t)crc32(0, d, (uInt)(b.len - 4)));
    fl_buf_free(&b);
}

Test(eventstream, decode_and_corruption)
{
    fl_buf b = {0};
    emu_es_event(&b, "InvokeComplete", "application/json", "{}", 2);
    emu_es_msg m;
    size_t used;
    cr_assert_eq(emu_es_decode((const uint8_t *)b.data, b.len, &m, &used), 1);
    cr_assert_eq(used, b.len);
    cr_assert_eq(m.nheaders, 3);
    cr_assert_eq(m.payload_len, 2);
    cr_assert_eq(emu_es_decode((const uint8_t *)b.data, b.len - 1, &m, &used), 0, "a partial message needs more");
    for (size_t i = 0; i < b.len; i++) {
        b.data[i] ^= 0x40;
        cr_assert_neq(emu_es_decode((const uint8_t *)b.data, b.len, &m, &used), 1, "byte %zu flipped", i);
        b.data[i] ^= 0x40;
    }
    fl_buf_free(&b);
}

/* The writer and the reader never wait in the stream (they park their
 * connections instead, which needs a server): here a thread writes while
 * there is room, as a parked writer would once woken, and the reader reads
 * whatever is there. */
static void *writer(void *arg)
{
    emu_stream *s = arg;
    char chunk[1000];
    for (int i = 0; i < 3000; i++) {
        memset(chunk, 'a' + i % 26, sizeof chunk);
        for (;;) { /* full: where a real writer parks */
            pthread_mutex_lock(&s->mu);
            bool full = s->buf.len - s->off >= (1u << 20);
            pthread_mutex_unlock(&s->mu);
            if (!full)
                break;
            fl_sleep_us(100);
        }
        cr_assert_eq(emu_stream_write(s, chunk, sizeof chunk, false), 0);
    }
    emu_stream_end(s);
    return NULL;
}

Test(stream, bytes_in_order_then_the_end)
{
    emu_stream *s = emu_stream_new();
    emu_stream_begin(s, "text/plain");
    bool streamed;
    char *type;
    emu_stream_started(s, &streamed, &type);
    cr_assert(streamed);
    cr_assert_str_eq(type, "text/plain");
    free(type);
    cr_assert_not(emu_stream_park_reader(s, NULL, NULL, true), "started: no need to wait for the start");
    pthread_t t;
    pthread_create(&t, NULL, writer, s);
    fl_buf all = {0};
    bool ended = false;
    while (!ended) {
        if (!emu_stream_read(s, &all, 7777, &ended))
            fl_sleep_us(50);
    }
    pthread_join(t, NULL);
    cr_assert_eq(all.len, 3000000);
    for (size_t i = 0; i < all.len; i += 1000)
        cr_assert_eq(all.data[i], 'a' + (int)(i / 1000) % 26);
    cr_assert_not(emu_stream_park_reader(s, NULL, NULL, false), "ended: nothing to wait for");
    fl_buf_free(&all);
    emu_stream_free(s);
}

Test(stream, an_ended_stream_takes_only_the_final_payload)
{
    emu_stream *s = emu_stream_new();
    cr_assert_eq(emu_stream_write(s, "ab", 2, false), 0);
    emu_stream_end(s);
    cr_assert_eq(emu_stream_write(s, "late", 4, false), -1, "a runtime writing after the end");
    cr_assert_eq(emu_stream_write(s, "cd", 2, true), 0, "the payload written at completion");
    fl_buf out = {0};
    bool ended = false;
    emu_stream_read(s, &out, 100, &ended);
    cr_assert(ended);
    cr_assert_eq(out.len, 4);
    cr_assert_eq(memcmp(out.data, "abcd", 4), 0);
    fl_buf_free(&out);
    emu_stream_free(s);
}

Test(stream, a_reader_that_leaves_drops_what_follows)
{
    emu_stream *s = emu_stream_new();
    emu_stream_leave(s);
    cr_assert_eq(emu_stream_write(s, "x", 1, false), -1);
    cr_assert_not(emu_stream_park_writer(s, NULL, NULL), "nobody reads: the writer goes on");
    emu_stream_free(s);
}
