/* Text or binary: which bodies travel in JSON as they are and which as
 * base64 (lambda-runtime.md §2.5), and the UTF-8 checks behind it. */
#include <string.h>
#include <strings.h>

#include "shim/internal.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), 0 when invalid. n > 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

bool shim_utf8_valid_no_nul(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* ASCII without NUL, eight bytes at a time */
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            uint64_t zero = (w - 0x0101010101010101ull) & ~w;
            if ((w | zero) & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if (s[i] == 0)
            return false;
        size_t k = utf8_seq(s + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

void shim_utf8_sanitize(const char *str, size_t n, fl_buf *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;
    while (i < n) {
        size_t k = utf8_seq(s + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        fl_buf_append(out, str + run, i - run);
        fl_buf_puts(out, "\xEF\xBF\xBD");
        run = ++i;
    }
    fl_buf_append(out, str + run, n - run);
}

/* The media type of a Content-Type value: parameters and spaces cut off. */
static void media_type(const char *v, const char **type, size_t *len)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strcspn(v, ";");
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    *type = v;
    *len = n;
}

static bool eq_nocase(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && !strncasecmp(s, lit, n);
}

static bool is_text_type(const char *ct)
{
    static const char *const exact[] = {"application/json", "application/javascript", "application/xml",
                                        "application/yaml"};
    static const char *const suffix[] = {"+json", "+xml", "+yaml"};
    const char *t;
    size_t n;
    media_type(ct, &t, &n);
    if (n == 0)
        return true; /* an empty Content-Type says nothing: as if absent */
    if (n >= 5 && !strncasecmp(t, "text/", 5))
        return true;
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (eq_nocase(t, n, exact[i]))
            return true;
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
        size_t k = strlen(suffix[i]);
        if (n > k && !strncasecmp(t + n - k, suffix[i], k))
            return true;
    }
    return false;
}

static bool blank(const char *s)
{
    return s[strspn(s, " \t")] == 0;
}

bool shim_body_is_text(const fl_headers *headers, const char *body, size_t len)
{
    if (len == 0)
        return true; /* nothing to encode */
    const char *ce = fl_headers_get(headers, "Content-Encoding");
    if (ce && !blank(ce))
        return false; /* compressed bytes are bytes, whatever the type */
    const char *ct = fl_headers_get(headers, "Content-Type");
    if (ct && !is_text_type(ct))
        return false;
    return shim_utf8_valid_no_nul(body, len);
}
