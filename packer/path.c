/* Paths inside an image, handled as strings only: nothing here touches the
 * filesystem, so a hostile name cannot reach outside the output. */
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

/* Appends component c[0..n) to out, or pops one for "..". Returns -1 when
 * ".." is at the root. */
static int push_component(fl_buf *out, const char *c, size_t n)
{
    if (n == 1 && c[0] == '.')
        return 0;
    if (n == 2 && c[0] == '.' && c[1] == '.') {
        if (out->len == 0)
            return -1;
        out->len = pk_path_parent_len(out->data, out->len);
        out->data[out->len] = 0;
        return 0;
    }
    if (out->len)
        fl_buf_putc(out, '/');
    fl_buf_append(out, c, n);
    return 0;
}

int pk_path_norm(const char *in, char **out, bool *was_absolute, fl_err *err)
{
    fl_buf b = {0};
    size_t depth = 0;
    if (was_absolute)
        *was_absolute = in[0] == '/';
    if (strlen(in) > PK_MAX_PATH)
        return fl_fail(err, "a name longer than %d bytes", PK_MAX_PATH);
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n > PK_MAX_NAME) {
            fl_buf_free(&b);
            return fl_fail(err, "a name component longer than %d bytes", PK_MAX_NAME);
        }
        if (push_component(&b, p, n)) {
            fl_buf_free(&b);
            return fl_fail(err, "\"%.200s\" climbs out of the image root with \"..\"", in);
        }
        if (++depth > PK_MAX_DEPTH) {
            fl_buf_free(&b);
            return fl_fail(err, "a name deeper than %d directories", PK_MAX_DEPTH);
        }
        p += n;
    }
    *out = fl_buf_steal(&b);
    return 0;
}

size_t pk_path_parent_len(const char *path, size_t len)
{
    while (len > 0 && path[len - 1] != '/')
        len--;
    return len > 0 ? len - 1 : 0;
}

char *pk_link_resolve(const char *link_path, const char *target, bool *escaped)
{
    fl_buf b = {0};
    *escaped = false;
    if (target[0] != '/')
        fl_buf_append(&b, link_path, pk_path_parent_len(link_path, strlen(link_path)));
    fl_buf_cstr(&b);
    for (const char *p = target; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        if (push_component(&b, p, n))
            *escaped = true; /* ".." at the root stays at the root, as in a chroot */
        p += n;
    }
    return fl_buf_steal(&b);
}

/* Length of the next component of s and whether one is left. */
static size_t comp_len(const char *s)
{
    return strcspn(s, "/");
}

char *pk_path_relative(const char *from, const char *to)
{
    size_t dlen = pk_path_parent_len(from, strlen(from));
    const char *d = from, *dend = from + dlen, *t = to;
    /* skip the leading components the link's directory and the target share */
    while (d < dend && *t) {
        size_t dn = comp_len(d), tn = comp_len(t);
        if (d + dn > dend)
            dn = (size_t)(dend - d);
        if (dn != tn || memcmp(d, t, dn))
            break;
        d += dn + (d + dn < dend);
        t += tn + (t[tn] == '/');
    }
    fl_buf b = {0};
    while (d < dend) { /* one ".." per directory left in the link's directory */
        size_t dn = comp_len(d);
        fl_buf_puts(&b, b.len ? "/.." : "..");
        d += dn + 1;
    }
    if (*t) {
        if (b.len)
            fl_buf_putc(&b, '/');
        fl_buf_puts(&b, t);
    }
    if (!b.len)
        fl_buf_putc(&b, '.');
    return fl_buf_steal(&b);
}

bool pk_path_is_runtime(const char *t)
{
    static const char *const roots[] = {"/dev", "/proc", "/sys", "/tmp"};
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        size_t n = strlen(roots[i]);
        if (!strncmp(t, roots[i], n) && (t[n] == 0 || t[n] == '/'))
            return true;
    }
    return false;
}
