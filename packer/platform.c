/* Platforms: "os/arch[/variant]", and picking one manifest from an index. */
#include <string.h>

#include "packer/internal.h"

int pk_platform_parse(const char *s, pk_platform *p, fl_err *err)
{
    memset(p, 0, sizeof *p);
    const char *a = strchr(s, '/');
    const char *v = a ? strchr(a + 1, '/') : NULL;
    size_t on = a ? (size_t)(a - s) : 0, an = a ? (v ? (size_t)(v - a - 1) : strlen(a + 1)) : 0;
    size_t vn = v ? strlen(v + 1) : 0;
    if (!a || on == 0 || an == 0 || on >= sizeof p->os || an >= sizeof p->arch || vn >= sizeof p->variant ||
        (v && (vn == 0 || strchr(v + 1, '/'))))
        return fl_fail(err, "platform \"%s\" is not OS/ARCH[/VARIANT] (e.g. linux/amd64, linux/arm64)", s);
    memcpy(p->os, s, on);
    memcpy(p->arch, a + 1, an);
    if (v)
        memcpy(p->variant, v + 1, vn);
    return 0;
}

bool pk_platform_match(const pk_platform *want, const char *os, const char *arch, const char *variant)
{
    if (!os || !arch || strcmp(want->os, os) || strcmp(want->arch, arch))
        return false;
    if (!want->variant[0])
        return true;
    /* arm64 images often omit v8; amd64 ones omit v1 */
    const char *have = variant && *variant ? variant : !strcmp(arch, "arm64") ? "v8" : "";
    return !strcmp(want->variant, have);
}

ssize_t pk_index_select(const pk_doc *idx, const pk_platform *want, fl_err *err)
{
    ssize_t best = -1;
    for (size_t i = 0; i < idx->ndescs; i++) {
        const pk_desc *d = &idx->descs[i];
        if (!pk_platform_match(want, d->os, d->arch, d->variant))
            continue;
        /* without a variant asked for, an entry with none (or the first) wins */
        if (best < 0 || (!want->variant[0] && (!d->variant || !*d->variant) && idx->descs[best].variant &&
                         *idx->descs[best].variant))
            best = (ssize_t)i;
    }
    if (best >= 0)
        return best;
    fl_buf have = {0};
    for (size_t i = 0; i < idx->ndescs; i++) {
        const pk_desc *d = &idx->descs[i];
        if (!d->os || !d->arch || !strcmp(d->os, "unknown"))
            continue;
        fl_buf_printf(&have, "%s%s/%s%s%s", have.len ? ", " : "", d->os, d->arch, d->variant ? "/" : "",
                      d->variant ? d->variant : "");
    }
    fl_fail(err, "the image has no manifest for %s/%s%s%s (it has: %s); choose one with --platform", want->os,
            want->arch, want->variant[0] ? "/" : "", want->variant, have.len ? fl_buf_cstr(&have) : "none");
    fl_buf_free(&have);
    return -1;
}

const char *pk_lambda_arch(const char *oci_arch)
{
    if (!oci_arch)
        return NULL;
    if (!strcmp(oci_arch, "amd64"))
        return "x86_64";
    if (!strcmp(oci_arch, "arm64"))
        return "arm64";
    return NULL;
}
