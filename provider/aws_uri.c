/* URIs for SigV4 (pure).
 *
 * AWS canonicalises a request as: the path (dot segments removed, repeated
 * slashes collapsed, for all services but S3) URI-encoded once more, so a
 * segment the client percent-encoded on the wire is encoded twice; the
 * query as key=value pairs, each side URI-encoded, sorted by key then value.
 * libcurl's signer (CURLOPT_AWS_SIGV4) uses the URL's path and query as they
 * are, so the client hands curl a URL that already is the canonical form and
 * sends the wire form with CURLOPT_REQUEST_TARGET. URI-encoding here is AWS's:
 * every byte but A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex). */
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"
#include "provider/aws.h"

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

void pv_uri_encode(fl_buf *out, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
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

void pv_aws_path_segment(fl_buf *path, const char *segment)
{
    fl_buf_putc(path, '/');
    pv_uri_encode(path, segment, strlen(segment), false);
}

/* Removes "." and ".." segments and empty segments (repeated slashes),
 * keeping a trailing slash (RFC 3986 §5.2.4, as AWS applies it). */
static void normalize(const char *path, fl_buf *out)
{
    size_t n = strlen(path), nseg = 0;
    const char **seg = fl_xcalloc(n + 1, sizeof *seg);
    size_t *len = fl_xcalloc(n + 1, sizeof *len);
    bool trailing = false;
    for (const char *p = path; *p;) {
        size_t l = strcspn(p, "/");
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
        trailing = dot || dotdot || *p == '/';
    }
    fl_buf_reset(out);
    for (size_t i = 0; i < nseg; i++) {
        fl_buf_putc(out, '/');
        fl_buf_append(out, seg[i], len[i]);
    }
    if (!nseg || trailing)
        fl_buf_putc(out, '/');
    fl_buf_cstr(out);
    free(seg);
    free(len);
}

void pv_aws_canonical_path(const char *wire_path, bool normalize_path, fl_buf *out)
{
    fl_buf norm = {0};
    const char *p = wire_path && *wire_path ? wire_path : "/";
    if (normalize_path) {
        normalize(p, &norm);
        p = norm.data;
    }
    fl_buf_reset(out);
    pv_uri_encode(out, p, strlen(p), true);
    fl_buf_free(&norm);
}

typedef struct pair {
    fl_buf k, v;
} pair;

static int pair_cmp(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    int c = strcmp(x->k.data, y->k.data);
    return c ? c : strcmp(x->v.data, y->v.data);
}

void pv_aws_canonical_query(const char *const *kv, fl_buf *out)
{
    size_t n = 0;
    while (kv && kv[2 * n])
        n++;
    pair *ps = fl_xcalloc(n + 1, sizeof *ps);
    for (size_t i = 0; i < n; i++) {
        const char *k = kv[2 * i], *v = kv[2 * i + 1] ? kv[2 * i + 1] : "";
        pv_uri_encode(&ps[i].k, k, strlen(k), false);
        pv_uri_encode(&ps[i].v, v, strlen(v), false);
    }
    qsort(ps, n, sizeof *ps, pair_cmp);
    fl_buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fl_buf_putc(out, '&');
        fl_buf_append(out, ps[i].k.data, ps[i].k.len);
        fl_buf_putc(out, '=');
        fl_buf_append(out, ps[i].v.data, ps[i].v.len);
        fl_buf_free(&ps[i].k);
        fl_buf_free(&ps[i].v);
    }
    fl_buf_cstr(out);
    free(ps);
}

int pv_query_split(const char *raw, char ***kv)
{
    size_t cap = 8, n = 0;
    char **v = fl_xcalloc(cap, sizeof *v);
    const char *p = raw ? raw : "";
    while (*p) {
        size_t l = strcspn(p, "&");
        if (l) {
            const char *eq = memchr(p, '=', l);
            size_t kl = eq ? (size_t)(eq - p) : l;
            fl_buf k = {0}, val = {0};
            if (pv_url_decode(p, kl, false, &k) || pv_url_decode(eq ? eq + 1 : p + l, eq ? l - kl - 1 : 0, false, &val)) {
                fl_buf_free(&k);
                fl_buf_free(&val);
                pv_strv_free(v);
                return -1;
            }
            if (n + 3 > cap) {
                cap *= 2;
                v = fl_xrealloc(v, cap * sizeof *v);
            }
            v[n++] = fl_buf_steal(&k);
            v[n++] = fl_buf_steal(&val);
            v[n] = NULL;
        }
        p += l + (p[l] == '&');
    }
    *kv = v;
    return 0;
}
