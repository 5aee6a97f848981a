/* Relocation: an image built on Alpine (musl) or Debian (glibc) runs from
 * /var/task on a Lambda host that has neither its libc nor its libraries.
 *  - ELF programs: PT_INTERP ("/lib/ld-musl-x86_64.so.1") is rewritten in
 *    place to a path of at most the same length under /tmp ("/tmp/fl-ld0",
 *    NUL-padded); the bootstrap links that path to the packaged loader at init.
 *  - Scripts: an absolute interpreter in the shebang becomes such a link
 *    too, so the image's interpreter runs when the image has one, and the
 *    runtime's own otherwise (an image of scripts for a layer's runtime).
 *  - The loader's configuration (ld.so.conf, ld-musl-*.path) is collected so
 *    the manifest's LD_LIBRARY_PATH names the image's library directories. */
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define LINK_PREFIX "/tmp/fl-ld"
#define MAX_PROBLEMS 50
#define SHEBANG_MAX 255 /* the kernel reads 256 bytes of a script's first line */

void pk_reloc_link_path(size_t i, char out[32])
{
    snprintf(out, 32, LINK_PREFIX "%zu", i);
}

static void problem(pk_reloc *r, const char *path, const char *why)
{
    if (r->nproblems >= MAX_PROBLEMS)
        return;
    r->problems = fl_xrealloc(r->problems, (r->nproblems + 2) * sizeof *r->problems);
    r->problems[r->nproblems++] = fl_xasprintf("/%s: %s", path, why);
    r->problems[r->nproblems] = NULL;
}

void pk_reloc_free(pk_reloc *r)
{
    pk_strv_free(r->interps);
    pk_strv_free(r->problems);
    fl_buf_free(&r->ldconf);
    r->interps = r->problems = NULL;
    r->ninterps = r->nproblems = 0;
}

static size_t interp_index(pk_reloc *r, const char *interp, bool elf_loader)
{
    for (size_t i = 0; i < r->ninterps; i++)
        if (!strcmp(r->interps[i], interp))
            return i;
    pk_strv_push(&r->interps, interp);
    if (elf_loader && strstr(interp, "ld-musl"))
        r->saw_musl = true;
    else if (elf_loader)
        r->saw_glibc = true;
    return r->ninterps++;
}

static void elf(pk_reloc *r, const char *path, unsigned char *head, size_t n, uint64_t size)
{
    pk_elf_info info;
    fl_err e;
    if (pk_elf_parse(head, n, size, &info, &e)) {
        problem(r, path, e.msg);
        return;
    }
    if (!info.is_elf || !info.has_interp)
        return;
    r->dynamic_elf++;
    const char *interp = (const char *)head + info.interp_off;
    if (fl_str_has_prefix(interp, LINK_PREFIX))
        return; /* packed before */
    char link[32];
    pk_reloc_link_path(interp_index(r, interp, true), link);
    if (pk_elf_set_interp(head, n, &info, link, &e)) {
        problem(r, path, "its ELF interpreter path is too short to rewrite");
        return;
    }
    r->elf_rewritten++;
}

/* "#!/usr/bin/env python3" -> "#!/tmp/fl-ld1 python3", the link naming the
 * image's /usr/bin/env when it has one. */
static void shebang(pk_reloc *r, const char *path, const unsigned char *head, size_t n, fl_buf *out,
                    bool *replaced)
{
    const char *h = (const char *)head;
    const char *nl = memchr(h, '\n', n < SHEBANG_MAX + 1 ? n : SHEBANG_MAX + 1);
    size_t line = nl ? (size_t)(nl - h) : n;
    size_t i = 2;
    while (i < line && (h[i] == ' ' || h[i] == '\t'))
        i++;
    if (i >= line || h[i] != '/')
        return;
    size_t rootlen = strlen(r->root);
    if ((!strncmp(h + i, r->root, rootlen) && h[i + rootlen] == '/') || !strncmp(h + i, LINK_PREFIX, strlen(LINK_PREFIX)))
        return;
    size_t tok = i;
    while (tok < line && h[tok] != ' ' && h[tok] != '\t' && h[tok] != '\r')
        tok++;
    char *interp = fl_xstrndup(h + i, tok - i);
    if (pk_path_is_runtime(interp)) {
        free(interp);
        return;
    }
    if (!nl && n > SHEBANG_MAX) {
        problem(r, path, "its #! line is longer than the kernel reads");
        free(interp);
        return;
    }
    char link[32];
    pk_reloc_link_path(interp_index(r, interp, false), link);
    free(interp);
    fl_buf_append(out, h, i);
    fl_buf_puts(out, link);
    fl_buf_append(out, h + tok, n - tok);
    *replaced = true;
    r->scripts_rewritten++;
}

static bool is_ldconf(const char *path)
{
    if (!strcmp(path, "etc/ld.so.conf"))
        return true;
    if (fl_str_has_prefix(path, "etc/ld.so.conf.d/")) {
        size_t n = strlen(path);
        return n > 5 && !strcmp(path + n - 5, ".conf") && !strchr(path + 17, '/');
    }
    return fl_str_has_prefix(path, "etc/ld-musl-") && strstr(path, ".path") && !strchr(path + 4, '/');
}

/* One directory per line (musl's files may also separate with ':');
 * comments, "include" and "hwcap" lines are skipped. */
static void collect_ldconf(pk_reloc *r, const unsigned char *head, size_t n)
{
    const char *p = (const char *)head, *end = p + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *hash = memchr(p, '#', (size_t)(eol - p));
        const char *stop = hash ? hash : eol;
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        while (p < stop && *p == '/') {
            const char *t = p;
            while (t < stop && *t != ' ' && *t != '\t' && *t != ':' && *t != '\r')
                t++;
            if ((size_t)(t - p) < 512) {
                fl_buf_append(&r->ldconf, p, (size_t)(t - p));
                fl_buf_putc(&r->ldconf, '\n');
            }
            p = t;
            while (p < stop && (*p == ' ' || *p == '\t' || *p == ':' || *p == '\r'))
                p++;
        }
        p = eol + 1;
    }
}

int pk_reloc_file(pk_reloc *r, const char *path, uint32_t mode, unsigned char *head, size_t n, uint64_t size,
                  fl_buf *new_head, bool *replaced, fl_err *err)
{
    *replaced = false;
    if (is_ldconf(path) && size == n) {
        collect_ldconf(r, head, n);
        return 0;
    }
    if (n >= 4 && !memcmp(head, "\x7f" "ELF", 4))
        elf(r, path, head, n, size);
    else if (n >= 3 && head[0] == '#' && head[1] == '!' && (mode & 0111))
        shebang(r, path, head, n, new_head, replaced);
    return 0;
}
