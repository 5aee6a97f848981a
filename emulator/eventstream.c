/* The AWS event stream encoding (application/vnd.amazon.eventstream), as
 * InvokeWithResponseStream answers: each message is
 *   total length (4, big endian) | headers length (4) | prelude CRC (4)
 *   headers | payload | message CRC (4)
 * with CRC-32 (zlib's) of the 8 prelude bytes, then of everything before
 * the message CRC. A header is: name length (1) | name | type (1) | value;
 * strings (type 7) have a 2-byte length. The decoder is for the tests and
 * the fuzzer: it checks every length and both CRCs. */
#include <string.h>
#include <zlib.h>

#include "emulator/internal.h"

static void put32(fl_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                          (unsigned char)v};
    fl_buf_append(b, x, 4);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t crc(uint32_t c, const void *p, size_t n)
{
    return (uint32_t)crc32(c, p, (uInt)n);
}

void emu_es_message(fl_buf *out, const emu_es_header *h, size_t nh, const void *payload, size_t n)
{
    size_t start = out->len;
    size_t hlen = 0;
    for (size_t i = 0; i < nh; i++)
        hlen += 1 + strlen(h[i].name) + 1 + 2 + strlen(h[i].value);
    put32(out, (uint32_t)(12 + hlen + n + 4));
    put32(out, (uint32_t)hlen);
    put32(out, crc(0, out->data + start, 8));
    for (size_t i = 0; i < nh; i++) {
        size_t nl = strlen(h[i].name), vl = strlen(h[i].value);
        fl_buf_putc(out, (char)nl);
        fl_buf_append(out, h[i].name, nl);
        fl_buf_putc(out, 7);
        fl_buf_putc(out, (char)(vl >> 8));
        fl_buf_putc(out, (char)vl);
        fl_buf_append(out, h[i].value, vl);
    }
    if (n)
        fl_buf_append(out, payload, n);
    put32(out, crc(0, out->data + start, out->len - start));
}

void emu_es_event(fl_buf *out, const char *event_type, const char *content_type, const void *payload, size_t n)
{
    emu_es_header h[] = {
        {":event-type", event_type},
        {":content-type", content_type},
        {":message-type", "event"},
    };
    emu_es_message(out, h, 3, payload, n);
}

/* Size of a header value of type t at p (n bytes left); -1 if invalid. */
static long value_size(uint8_t t, const uint8_t *p, size_t n)
{
    switch (t) {
    case 0:
    case 1: return 0;
    case 2: return 1;
    case 3: return 2;
    case 4: return 4;
    case 5:
    case 8: return 8;
    case 9: return 16;
    case 6:
    case 7: return n < 2 ? -1 : 2 + ((long)p[0] << 8 | p[1]);
    default: return -1;
    }
}

int emu_es_decode(const uint8_t *d, size_t len, emu_es_msg *m, size_t *consumed)
{
    memset(m, 0, sizeof *m);
    if (len < 12)
        return 0;
    uint32_t total = get32(d), hlen = get32(d + 4);
    if (total < 16 || total > EMU_ES_MAX || hlen > total - 16 || crc(0, d, 8) != get32(d + 8))
        return -1;
    if (len < total)
        return 0;
    if (crc(0, d, total - 4) != get32(d + total - 4))
        return -1;
    const uint8_t *p = d + 12, *end = p + hlen;
    while (p < end) {
        uint8_t nl = *p++;
        if (nl == 0 || (size_t)(end - p) < (size_t)nl + 1)
            return -1;
        const uint8_t *name = p;
        p += nl;
        uint8_t type = *p++;
        long vs = value_size(type, p, (size_t)(end - p));
        if (vs < 0 || vs > end - p)
            return -1;
        if (type == 7 && m->nheaders < EMU_ES_HEADERS_MAX) {
            emu_es_hdr *h = &m->headers[m->nheaders++];
            h->name = (const char *)name;
            h->name_len = nl;
            h->value = (const char *)p + 2;
            h->value_len = (size_t)vs - 2;
        }
        p += vs;
    }
    m->payload = d + 12 + hlen;
    m->payload_len = total - 16 - hlen;
    *consumed = total;
    return 1;
}
