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

void pv_aws_path_segment(fl_buf *path, const char *segment)
{
    fl_buf_putc(path, '/');
    fl_aws_uri_encode(path, segment, strlen(segment), false);
}

void pv_aws_canonical_query(const char *const *kv, fl_buf *out)
{
    fl_buf raw = {0};
    for (size_t i = 0; kv && kv[2 * i]; i++) {
        if (i)
            fl_buf_putc(&raw, '&');
        fl_aws_uri_encode(&raw, kv[2 * i], strlen(kv[2 * i]), false);
        fl_buf_putc(&raw, '=');
        if (kv[2 * i + 1])
            fl_aws_uri_encode(&raw, kv[2 * i + 1], strlen(kv[2 * i + 1]), false);
    }
    fl_buf_reset(out);
    fl_aws_canonical_query(raw.data ? raw.data : "", raw.len, out);
    fl_buf_free(&raw);
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
            if (fl_pct_decode(p, kl, FL_PCT_STRICT, &k) || fl_pct_decode(eq ? eq + 1 : p + l, eq ? l - kl - 1 : 0, FL_PCT_STRICT, &val)) {
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
