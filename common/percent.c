/* Percent-encoding (RFC 3986): the one decoder, and AWS's SigV4 forms of
 * URIs, which the emulator checks and the provider's client builds. Pure. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int fl_pct_decode(const char *s, size_t n, unsigned flags, fl_buf *out)
{
    fl_buf_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int hi = -1, lo = -1;
        if (c == '%' && n - i >= 3)
            hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
        if (c == '%' && hi >= 0 && lo >= 0) {
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '%' && (flags & FL_PCT_STRICT)) {
            return -1;
        } else if (c == '+' && (flags & FL_PCT_PLUS)) {
            c = ' ';
        }
        if (c == 0 && (flags & FL_PCT_STRICT))
            return -1;
        out->data[out->len++] = c;
    }
    out->data[out->len] = 0;
    return 0;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

void fl_aws_uri_encode(fl_buf *out, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    fl_buf_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            fl_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            fl_buf_append(out, e, 3);
        }
    }
    fl_buf_cstr(out);
}

/* Removes "." and ".." segments and empty ones (repeated slashes), keeping a
 * trailing slash (RFC 3986 §5.2.4, as AWS applies it): "//a/./b/../" -> "/a/". */
static void normalize(const char *path, size_t n, fl_buf *out)
{
    const char **seg = fl_xcalloc(n + 1, sizeof *seg);
    size_t *len = fl_xcalloc(n + 1, sizeof *len), nseg = 0;
    bool trailing = false;
    for (const char *p = path, *end = path + n; p < end;) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        size_t l = slash ? (size_t)(slash - p) : (size_t)(end - p);
        if (l == 0) {
            p++;
            continue;
        }
        bool dot = l == 1 && p[0] == '.', dotdot = l == 2 && p[0] == '.' && p[1] == '.';
        if (dotdot && nseg)
            nseg--;
        else if (!dot && !dotdot) {
            seg[nseg] = p;
            len[nseg++] = l;
        }
        p += l;
        trailing = dot || dotdot || p < end;
    }
    for (size_t i = 0; i < nseg; i++) {
        fl_buf_putc(out, '/');
        fl_buf_append(out, seg[i], len[i]);
    }
    if (!nseg || trailing)
        fl_buf_putc(out, '/');
    free(seg);
    free(len);
}

void fl_aws_canonical_uri(const char *path, size_t n, bool normalize_path, fl_buf *out)
{
    fl_buf norm = {0};
    if (!n)
        path = "/", n = 1;
    if (normalize_path) {
        normalize(path, n, &norm);
        path = norm.data, n = norm.len;
    }
    fl_aws_uri_encode(out, path, n, true);
    fl_buf_free(&norm);
}

typedef struct qparam {
    char *name, *value; /* encoded */
} qparam;

static int cmp_param(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* Decoded (a malformed escape kept as it is), then encoded AWS's way. */
static char *reencode(const char *s, size_t n)
{
    fl_buf dec = {0}, enc = {0};
    fl_pct_decode(s, n, 0, &dec);
    fl_aws_uri_encode(&enc, dec.data, dec.len, false);
    fl_buf_free(&dec);
    return fl_buf_steal(&enc);
}

void fl_aws_canonical_query(const char *raw, size_t n, fl_buf *out)
{
    size_t cap = 16, k = 0;
    qparam *v = fl_xmalloc(cap * sizeof *v);
    for (const char *p = raw, *end = raw + n; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t len = amp ? (size_t)(amp - p) : (size_t)(end - p);
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t kl = eq ? (size_t)(eq - p) : len;
            if (k == cap)
                v = fl_xrealloc(v, (cap *= 2) * sizeof *v);
            v[k].name = reencode(p, kl);
            v[k].value = eq ? reencode(eq + 1, len - kl - 1) : fl_xstrdup("");
            k++;
        }
        p += len + 1;
    }
    qsort(v, k, sizeof *v, cmp_param);
    for (size_t i = 0; i < k; i++) {
        fl_buf_printf(out, "%s%s=%s", i ? "&" : "", v[i].name, v[i].value);
        free(v[i].name);
        free(v[i].value);
    }
    fl_buf_cstr(out);
    free(v);
}
