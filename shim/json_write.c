/* Small writers for the JSON documents the shim emits. Built as text rather
 * than cJSON trees: bodies go in with one pass, escaped or base64-encoded
 * straight into the document. */
#include <string.h>

#include "shim/internal.h"

void shim_put_key(fl_buf *b, const char *key)
{
    fl_json_put_str(b, key, strlen(key));
    fl_buf_putc(b, ':');
}

void shim_put_str(fl_buf *b, const char *s)
{
    fl_json_put_str(b, s, strlen(s));
}

/* Per byte: how JSON writes it. LEN 1: the byte itself; 2: '\\' and SHORT;
 * 6: \u00XX. Tables so the common cases take no data-dependent branch. */
#define ESC_SHORT(c)                                                                                         \
    ((c) == '"' ? '"' : (c) == '\\' ? '\\' : (c) == '\n' ? 'n' : (c) == '\r' ? 'r' : (c) == '\t' ? 't'          \
     : (c) == '\b' ? 'b' : (c) == '\f' ? 'f' : 0)
#define ESC_LEN(c) (ESC_SHORT(c) ? 2 : (c) < 0x20 ? 6 : 1)
#define ESC_FIRST(c) (ESC_LEN(c) == 1 ? (c) : '\\')
#define X4(M, c) M(c), M((c) + 1), M((c) + 2), M((c) + 3)
#define X16(M, c) X4(M, c), X4(M, (c) + 4), X4(M, (c) + 8), X4(M, (c) + 12)
#define X64(M, c) X16(M, c), X16(M, (c) + 16), X16(M, (c) + 32), X16(M, (c) + 48)
#define X256(M) X64(M, 0), X64(M, 64), X64(M, 128), X64(M, 192)
static const unsigned char LEN[256] = {X256(ESC_LEN)};
static const unsigned char FIRST[256] = {X256(ESC_FIRST)};
static const unsigned char SHORT[256] = {X256(ESC_SHORT)};

/* Writes byte c as JSON string content at o (room for 6); returns the end. */
static inline char *put_byte(char *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    if (LEN[c] == 6) {
        memcpy(o, "\\u00", 4);
        o[4] = hex[c >> 4];
        o[5] = hex[c & 15];
        return o + 6;
    }
    o[0] = (char)FIRST[c];
    o[1] = (char)SHORT[c]; /* scratch when LEN is 1 */
    return o + LEN[c];
}

/* Eight bytes at p (16 readable) of which some need escaping. Work is per
 * escape, not per byte: the runs between them are moved as whole words
 * (overlapping stores; o has room for 8 more than it keeps). */
static char *put_word(char *o, const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t special = shim_word_eq(w, '"') | shim_word_eq(w, '\\') | shim_word_ctl(w);
    size_t from = 0;
    for (; special; special &= special - 1) {
        size_t k = shim_first_flagged(special);
        memcpy(o, p + from, 8); /* the run [from, k), and junk after it */
        o = put_byte(o + (k - from), p[k]);
        from = k + 1;
    }
    memcpy(o, p + from, 8);
    return o + (8 - from);
}

/* s[0..n) as a JSON string: clean words of eight bytes are copied whole,
 * the others byte by byte through the tables. JSON text bodies have a quote
 * every few bytes, where per-escape appends (fl_json_put_str) cost several
 * milliseconds per megabyte. Same output as fl_json_put_str. */
static void put_text(fl_buf *b, const char *s, size_t n)
{
    enum { CHUNK = 16384 };
    fl_buf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *stop = end - p > CHUNK ? p + CHUNK : end;
        fl_buf_reserve(b, (size_t)(stop - p) * 6 + 8); /* every byte escaped, plus a whole-word store */
        char *o = b->data + b->len;
        while (stop - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (!shim_word_special(w)) {
                memcpy(o, &w, 8);
                o += 8;
            } else if (SHIM_WORD_LE && end - p >= 16) {
                o = put_word(o, p);
            } else {
                for (int k = 0; k < 8; k++)
                    o = put_byte(o, p[k]);
            }
            p += 8;
        }
        while (p < stop)
            o = put_byte(o, *p++);
        b->len = (size_t)(o - b->data);
    }
    fl_buf_putc(b, '"');
}

void shim_put_body(fl_buf *b, const char *body, size_t len, bool text)
{
    if (text) {
        put_text(b, body, len);
        return;
    }
    fl_buf_reserve(b, shim_base64_len(len) + 2);
    fl_buf_putc(b, '"');
    shim_base64_encode(body, len, b); /* the alphabet needs no escaping */
    fl_buf_putc(b, '"');
}
