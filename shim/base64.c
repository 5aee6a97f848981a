/* Base64, RFC 4648 §4: standard alphabet, '=' padding. The decoder is strict
 * (only the alphabet, padding only at the end, length a multiple of 4) and
 * names the offset of what it rejects; pad bits are ignored (RFC 4648 §3.5
 * allows either) so every encoder's output decodes. */
#include <string.h>

#include "shim/internal.h"

/* Tables built by the compiler. C(v): the character for the 6-bit value v. */
#define C(v) ((v) < 26 ? 'A' + (v) : (v) < 52 ? 'a' + (v) - 26 : (v) < 62 ? '0' + (v) - 52 : (v) == 62 ? '+' : '/')
/* Encoding 12 bits at a time: the two characters for each 12-bit value. */
#define E1(i) {(char)C((i) >> 6), (char)C((i) & 63)}
#define E4(i) E1(i), E1((i) + 1), E1((i) + 2), E1((i) + 3)
#define E16(i) E4(i), E4((i) + 4), E4((i) + 8), E4((i) + 12)
#define E64(i) E16(i), E16((i) + 16), E16((i) + 32), E16((i) + 48)
#define E256(i) E64(i), E64((i) + 64), E64((i) + 128), E64((i) + 192)
#define E1024(i) E256(i), E256((i) + 256), E256((i) + 512), E256((i) + 768)
static const char ENC2[4096][2] = {E1024(0), E1024(1024), E1024(2048), E1024(3072)};

/* Decoding: V(c) is the 6-bit value of byte c, or BAD. D0..D3 hold it already
 * shifted to where the character of a quad puts its bits in the 3 output
 * bytes (byte 0 in bits 0-7, ...), so a quad decodes with four lookups and
 * ORs; BAD lands in bit 24, outside the output. */
#define BAD 0x1000000u
#define V(c)                                                                                                 \
    ((c) >= 'A' && (c) <= 'Z'   ? (unsigned)(c) - 'A'                                                        \
     : (c) >= 'a' && (c) <= 'z' ? (unsigned)(c) - 'a' + 26                                                   \
     : (c) >= '0' && (c) <= '9' ? (unsigned)(c) - '0' + 52                                                   \
     : (c) == '+'               ? 62u                                                                        \
     : (c) == '/'               ? 63u                                                                        \
                                : BAD)
#define OK(c) (V(c) != BAD)
#define S0(c) (OK(c) ? V(c) << 2 : BAD)
#define S1(c) (OK(c) ? V(c) >> 4 | (V(c) & 15) << 12 : BAD)
#define S2(c) (OK(c) ? (V(c) >> 2) << 8 | (V(c) & 3) << 22 : BAD)
#define S3(c) (OK(c) ? V(c) << 16 : BAD)
#define T4(S, c) S(c), S((c) + 1), S((c) + 2), S((c) + 3)
#define T16(S, c) T4(S, c), T4(S, (c) + 4), T4(S, (c) + 8), T4(S, (c) + 12)
#define T64(S, c) T16(S, c), T16(S, (c) + 16), T16(S, (c) + 32), T16(S, (c) + 48)
#define T256(S) T64(S, 0), T64(S, 64), T64(S, 128), T64(S, 192)
static const uint32_t D0[256] = {T256(S0)}, D1[256] = {T256(S1)}, D2[256] = {T256(S2)}, D3[256] = {T256(S3)};

size_t shim_base64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void shim_base64_encode(const void *data, size_t len, fl_buf *out)
{
    const unsigned char *s = data;
    fl_buf_reserve(out, shim_base64_len(len));
    char *o = out->data + out->len;
    size_t i = 0;
    /* six bytes (48 bits: four 12-bit lookups) per round */
    for (; len - i >= 6; i += 6) {
        uint64_t v = (uint64_t)s[i] << 40 | (uint64_t)s[i + 1] << 32 | (uint64_t)s[i + 2] << 24 |
                     (uint64_t)s[i + 3] << 16 | (uint64_t)s[i + 4] << 8 | s[i + 5];
        memcpy(o, ENC2[v >> 36], 2);
        memcpy(o + 2, ENC2[v >> 24 & 4095], 2);
        memcpy(o + 4, ENC2[v >> 12 & 4095], 2);
        memcpy(o + 6, ENC2[v & 4095], 2);
        o += 8;
    }
    for (; len - i >= 3; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        memcpy(o, ENC2[v >> 12], 2);
        memcpy(o + 2, ENC2[v & 4095], 2);
        o += 4;
    }
    if (len - i) {
        uint32_t v = (uint32_t)s[i] << 16 | (len - i == 2 ? (uint32_t)s[i + 1] << 8 : 0);
        memcpy(o, ENC2[v >> 12], 2);
        o[2] = len - i == 2 ? ENC2[v & 4095][0] : '=';
        o[3] = '=';
        o += 4;
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = 0;
}

static int bad_char(const char *s, size_t at, fl_err *err)
{
    unsigned char c = (unsigned char)s[at];
    if (c == '=')
        return fl_fail(err, "invalid base64 at offset %zu: '=' padding before the end of the data", at);
    if (c >= 0x20 && c < 0x7F)
        return fl_fail(err, "invalid base64 at offset %zu: character '%c' is not in the base64 alphabet", at, c);
    return fl_fail(err, "invalid base64 at offset %zu: byte 0x%02x is not in the base64 alphabet", at, c);
}

/* Offset of the first byte of s[from..to) outside the alphabet. */
static size_t first_bad(const char *s, size_t from, size_t to)
{
    while (from < to && D3[(unsigned char)s[from]] != BAD)
        from++;
    return from;
}

/* Stores the 3 bytes of a decoded quad; one 4-byte store where the byte
 * order allows (the 4th byte is scratch: the buffer always has a spare byte
 * for its NUL, and the next quad overwrites it). */
static void put3(unsigned char *o, uint32_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(o, &x, 4);
#else
    o[0] = (unsigned char)x;
    o[1] = (unsigned char)(x >> 8);
    o[2] = (unsigned char)(x >> 16);
#endif
}

int shim_base64_decode(const char *s, size_t len, fl_buf *out, fl_err *err)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t full = len / 4 * 4; /* the last quad may carry padding */
    size_t body = full ? full - 4 : 0;
    fl_buf_reserve(out, full / 4 * 3);
    unsigned char *o = (unsigned char *)out->data + out->len;
    for (size_t i = 0; i < body; i += 4) {
        uint32_t x = D0[u[i]] | D1[u[i + 1]] | D2[u[i + 2]] | D3[u[i + 3]];
        if (x & BAD) {
            out->data[out->len] = 0; /* nothing of the bad input is kept */
            return bad_char(s, first_bad(s, i, i + 4), err);
        }
        put3(o, x);
        o += 3;
    }
    /* the tail: the last quad, plus any bytes beyond a multiple of 4 */
    size_t at = first_bad(s, body, len), pad = 0;
    int rc = 0;
    if (at < len && s[at] != '=')
        rc = bad_char(s, at, err);
    for (size_t k = at; !rc && k < len; k++)
        if (s[k] != '=') /* data after padding, or a byte that is no base64 at all */
            rc = bad_char(s, D3[(unsigned char)s[k]] != BAD ? at : k, err);
    pad = len - at;
    if (!rc && pad > 2)
        rc = fl_fail(err, "invalid base64 at offset %zu: more than two '=' padding characters", at);
    if (!rc && len % 4)
        rc = fl_fail(err, "invalid base64: length %zu is not a multiple of 4 (missing '=' padding?)", len);
    if (rc) {
        out->data[out->len] = 0; /* nothing of the bad input is kept */
        return rc;
    }
    if (len) {
        uint32_t x = D0[u[body]] | D1[u[body + 1]] | (pad < 2 ? D2[u[body + 2]] : 0) | (pad < 1 ? D3[u[body + 3]] : 0);
        *o++ = (unsigned char)x;
        if (pad < 2)
            *o++ = (unsigned char)(x >> 8);
        if (pad < 1)
            *o++ = (unsigned char)(x >> 16);
    }
    out->len = (size_t)((char *)o - out->data);
    out->data[out->len] = 0;
    return 0;
}
