/* Percent-encoding for request lines (RFC 3986 §2.1, upper-case hex). */
#include <string.h>

#include "shim/internal.h"

static const char HEX[] = "0123456789ABCDEF";

/* Appends s, percent-encoding each byte for which enc() is true. */
static void encode(const char *s, size_t n, bool (*enc)(unsigned char, bool), bool flag, fl_buf *out)
{
    fl_buf_reserve(out, n);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!enc(c, flag))
            continue;
        fl_buf_append(out, s + run, i - run);
        char e[3] = {'%', HEX[c >> 4], HEX[c & 15]};
        fl_buf_append(out, e, 3);
        run = i + 1;
    }
    fl_buf_append(out, s + run, n - run);
}

/* Bytes no request line may carry raw: controls, space, DEL, non-ASCII. */
static bool unsafe(unsigned char c)
{
    return c <= 0x20 || c >= 0x7F;
}

static bool enc_path(unsigned char c, bool pct)
{
    return unsafe(c) || c == '?' || c == '#' || (pct && c == '%');
}

static bool enc_query(unsigned char c, bool unused)
{
    return unsafe(c) || c == '#';
}

static bool enc_component(unsigned char c, bool unused)
{
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return !alnum && !(c && strchr("-_.!~*'()", c));
}

void shim_pct_path(const char *s, size_t n, bool encode_pct, fl_buf *out)
{
    encode(s, n, enc_path, encode_pct, out);
}

void shim_pct_query(const char *s, size_t n, fl_buf *out)
{
    encode(s, n, enc_query, false, out);
}

void shim_pct_component(const char *s, size_t n, fl_buf *out)
{
    encode(s, n, enc_component, false, out);
}
