/* JSON string contents: finding their end, validating and decoding escapes
 * (RFC 8259 §7), word-at-a-time where the bytes allow. Body strings are
 * megabytes; JSON text bodies have an escape every few bytes. */
#include <string.h>

#include "shim/internal.h"

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* 16 bytes at a time where the compiler has vectors for it (SSE2 on
 * x86_64, NEON on arm64): strings of megabytes are mostly plain bytes. */
typedef unsigned char shim_v16 __attribute__((vector_size(16)));

static bool v16_special(const char *p)
{
    shim_v16 v, q, b, c;
    memcpy(&v, p, 16);
    memset(&q, '"', 16);
    memset(&b, '\\', 16);
    memset(&c, 0x20, 16);
    shim_v16 m = (shim_v16)((v == q) | (v == b) | (v < c));
    uint64_t w[2];
    memcpy(w, &m, 16);
    return (w[0] | w[1]) != 0;
}

/* First byte in [p, end) that is '"', '\\' or a control byte; end if none. */
const char *shim_json_find_special(const char *p, const char *end)
{
    while (end - p >= 32 && !v16_special(p) && !v16_special(p + 16))
        p += 32;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if (shim_word_special(w))
            break;
        p += 8;
    }
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20)
            return p;
        p++;
    }
    return end;
}

/* Validates one \-escape at p (p[0] == '\\'), end is the input end. Returns
 * its length, or 0 when invalid. Sets *cp to the code point for \u escapes
 * (surrogate pairs combined), else to the escaped character. */
size_t shim_json_escape(const char *p, const char *end, unsigned *cp)
{
    if (end - p < 2)
        return 0;
    switch (p[1]) {
    case '"': *cp = '"'; return 2;
    case '\\': *cp = '\\'; return 2;
    case '/': *cp = '/'; return 2;
    case 'b': *cp = '\b'; return 2;
    case 'f': *cp = '\f'; return 2;
    case 'n': *cp = '\n'; return 2;
    case 'r': *cp = '\r'; return 2;
    case 't': *cp = '\t'; return 2;
    case 'u': break;
    default: return 0;
    }
    unsigned hi, lo;
    if (end - p < 6 || hex4(p + 2, &hi))
        return 0;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return 0; /* lone low surrogate */
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return 6;
    }
    if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
        return 0; /* high surrogate without its low half */
    *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    return 12;
}

/* Writes code point cp as UTF-8 at o; returns the end. */
static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* The byte a one-character escape stands for (0: none, e.g. 'u'). */
#define UNESC(c)                                                                                             \
    ((c) == '"' ? '"' : (c) == '\\' ? '\\' : (c) == '/' ? '/' : (c) == 'b' ? '\b' : (c) == 'f' ? '\f'             \
     : (c) == 'n' ? '\n' : (c) == 'r' ? '\r' : (c) == 't' ? '\t' : 0)
#define U4(c) UNESC(c), UNESC((c) + 1), UNESC((c) + 2), UNESC((c) + 3)
#define U16(c) U4(c), U4((c) + 4), U4((c) + 8), U4((c) + 12)
#define U64(c) U16(c), U16((c) + 16), U16((c) + 32), U16((c) + 48)
static const unsigned char UNESCAPE[256] = {U64(0), U64(64), U64(128), U64(192)};

/* Decodes the word at p (16 readable bytes) when its escapes are the
 * common kind: one-character escapes, none next to another backslash, and
 * no raw '"' or control byte. Work is per escape, not per byte: the plain
 * runs between escapes are moved as whole words (overlapping stores).
 * Returns the bytes consumed (8, or 9 when the last escape's second byte is
 * the next word's first), 0 to leave the word to the byte-wise path. */
static size_t decode_word(const unsigned char *p, char **o_io)
{
    if (!SHIM_WORD_LE)
        return 0;
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t bs = shim_word_eq(w, '\\');
    if (bs & (bs << 8))
        return 0; /* "\\\\" and the like: the byte-wise path pairs them */
    uint64_t escaped = bs << 8; /* the bytes right after a backslash */
    if ((shim_word_eq(w, '"') | shim_word_ctl(w)) & ~escaped)
        return 0; /* the closing quote, or a raw control byte */
    char *o = *o_io;
    size_t from = 0;
    for (uint64_t e = bs; e; e &= e - 1) {
        size_t k = shim_first_flagged(e);
        unsigned char u = UNESCAPE[p[k + 1]];
        if (!u) { /* \u or invalid: keep what is done, the rest goes byte-wise */
            memcpy(o, p + from, 8);
            *o_io = o + (k - from);
            return k;
        }
        memcpy(o, p + from, 8); /* the run [from, k), and junk after it */
        o += k - from;
        *o++ = (char)u;
        from = k + 2;
    }
    if (from < 8) {
        memcpy(o, p + from, 8);
        o += 8 - from;
        from = 8;
    }
    *o_io = o;
    return from;
}

/* Byte-wise: plain bytes and one-character escapes, up to 8 bytes at p (8
 * readable), stopping before a '"', a control byte, a \u or invalid escape,
 * or an escape cut by the word's end. Returns the bytes consumed. */
static size_t decode_bytes(const unsigned char *p, char **o_io)
{
    char *o = *o_io;
    size_t i = 0;
    while (i < 8) {
        unsigned c = p[i];
        if (c == '\\') {
            unsigned char u = i + 1 < 8 ? UNESCAPE[p[i + 1]] : 0;
            if (!u)
                break;
            *o++ = (char)u;
            i += 2;
        } else if (c == '"' || c < 0x20) {
            break;
        } else {
            *o++ = (char)c;
            i++;
        }
    }
    *o_io = o;
    return i;
}

/* See internal.h. The decoded form is never longer than its source; words
 * are stored whole, hence the 8 spare bytes. */
const char *shim_json_decode(const char *p, const char *end, char **o_io, const char **why)
{
    char *o = *o_io;
    *why = NULL;
    while (p < end) {
        if (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (!shim_word_special(w)) {
                memcpy(o, &w, 8);
                o += 8;
                p += 8;
                continue;
            }
            size_t k = end - p >= 16 ? decode_word((const unsigned char *)p, &o) : 0;
            if (!k)
                k = decode_bytes((const unsigned char *)p, &o);
            p += k;
            if (k)
                continue;
        }
        /* one step the slow way: the last bytes, a quote, \u, errors */
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c == '\\') {
            unsigned cp;
            size_t k = shim_json_escape(p, end, &cp);
            if (!k) {
                *why = "invalid escape in a string";
                break;
            }
            o = put_utf8(o, cp);
            p += k;
        } else if (c < 0x20) {
            *why = "control character in a string (it must be escaped)";
            break;
        } else {
            *o++ = (char)c;
            p++;
        }
    }
    *o_io = o;
    return p;
}

int shim_json_unescape(const char *s, size_t n, fl_buf *out, fl_err *err)
{
    fl_buf_reserve(out, n + 8);
    char *o = out->data + out->len;
    const char *why, *stop = shim_json_decode(s, s + n, &o, &why);
    if (!why && stop != s + n)
        why = "unescaped '\"' in a string";
    if (why) {
        out->data[out->len] = 0;
        return fl_fail(err, "invalid JSON string at byte %zu: %s", (size_t)(stop - s), why);
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = 0;
    return 0;
}

void shim_json_compact(const char *s, size_t n, fl_buf *out)
{
    fl_buf_reserve(out, n);
    const char *end = s + n;
    while (s < end) {
        char c = *s;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            s++;
            continue;
        }
        if (c != '"') {
            fl_buf_putc(out, c);
            s++;
            continue;
        }
        /* copy a string verbatim, escapes included */
        const char *p = s + 1;
        while (p < end && *p != '"')
            p += *p == '\\' && p + 1 < end ? 2 : 1;
        if (p < end)
            p++;
        fl_buf_append(out, s, (size_t)(p - s));
        s = p;
    }
}

