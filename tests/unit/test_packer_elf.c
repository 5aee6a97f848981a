/* ELF interpreter rewriting, shebangs and loader configuration (relocation). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "packer/internal.h"

static void put(unsigned char *p, uint64_t v, size_t n, bool be)
{
    for (size_t i = 0; i < n; i++)
        p[be ? n - 1 - i : i] = (unsigned char)(v >> (8 * i));
}

/* A minimal executable head: header, two program headers, the interp string. */
static size_t make_elf(unsigned char *b, bool is64, bool be, const char *interp)
{
    memset(b, 0, 4096);
    memcpy(b, "\x7f" "ELF", 4);
    b[4] = is64 ? 2 : 1;
    b[5] = be ? 2 : 1;
    b[6] = 1;
    size_t eh = is64 ? 64 : 52, ph = is64 ? 56 : 32;
    put(b + 16, 3, 2, be);               /* ET_DYN */
    put(b + 18, is64 ? 62 : 3, 2, be);   /* x86_64 / i386 */
    put(b + (is64 ? 32 : 28), eh, is64 ? 8 : 4, be);
    put(b + (is64 ? 54 : 42), ph, 2, be);
    put(b + (is64 ? 56 : 44), 2, 2, be);
    size_t ioff = eh + 2 * ph, ilen = strlen(interp) + 1;
    unsigned char *p0 = b + eh, *p1 = b + eh + ph;
    put(p0, 6, 4, be); /* PT_PHDR */
    put(p1, 3, 4, be); /* PT_INTERP */
    if (is64) {
        put(p1 + 8, ioff, 8, be);
        put(p1 + 32, ilen, 8, be);
    } else {
        put(p1 + 4, ioff, 4, be);
        put(p1 + 16, ilen, 4, be);
    }
    memcpy(b + ioff, interp, ilen);
    return ioff + ilen + 100;
}

Test(elf, parses_and_rewrites_all_flavours)
{
    static const bool flavours[][2] = {{true, false}, {false, false}, {true, true}, {false, true}};
    for (size_t f = 0; f < 4; f++) {
        unsigned char b[4096];
        size_t n = make_elf(b, flavours[f][0], flavours[f][1], "/lib/ld-musl-x86_64.so.1");
        pk_elf_info info;
        fl_err err = {{0}};
        cr_assert_eq(pk_elf_parse(b, n, n, &info, &err), 0, "%s", err.msg);
        cr_assert(info.is_elf && info.has_interp);
        cr_assert_eq(info.interp_size, strlen("/lib/ld-musl-x86_64.so.1") + 1);
        cr_assert_str_eq((char *)b + info.interp_off, "/lib/ld-musl-x86_64.so.1");
        cr_assert_eq(pk_elf_set_interp(b, n, &info, "/tmp/fl-ld0", &err), 0);
        cr_assert_str_eq((char *)b + info.interp_off, "/tmp/fl-ld0");
        for (size_t i = strlen("/tmp/fl-ld0"); i < info.interp_size; i++)
            cr_assert_eq(b[info.interp_off + i], 0);
        cr_assert_eq(pk_elf_set_interp(b, n, &info, "/a/path/longer/than/the/interpreter", &err), -1);
    }
}

Test(elf, refuses_lies)
{
    unsigned char b[4096];
    size_t n = make_elf(b, true, false, "/lib64/ld-linux-x86-64.so.2");
    pk_elf_info info;
    fl_err err;
    /* file shorter than the interpreter segment says */
    cr_assert_eq(pk_elf_parse(b, n, 100, &info, &err), -1);
    /* program headers past the bytes we have */
    cr_assert_eq(pk_elf_parse(b, 64, n, &info, &err), -1);
    /* interpreter not NUL-terminated */
    unsigned char c[4096];
    memcpy(c, b, sizeof c);
    c[64 + 112 + strlen("/lib64/ld-linux-x86-64.so.2")] = 'x';
    cr_assert_eq(pk_elf_parse(c, n, n, &info, &err), -1);
    /* huge phnum */
    memcpy(c, b, sizeof c);
    put(c + 56, 60000, 2, false);
    cr_assert_eq(pk_elf_parse(c, n, n, &info, &err), -1);
    /* not ELF at all */
    cr_assert_eq(pk_elf_parse((const unsigned char *)"#!/bin/sh\n", 10, 10, &info, &err), 0);
    cr_assert_not(info.is_elf);
    cr_assert_eq(pk_elf_parse((const unsigned char *)"\x7f" "EL", 3, 3, &info, &err), 0);
    cr_assert_not(info.is_elf);
}

Test(elf, this_very_program)
{
    int fd = open("/proc/self/exe", O_RDONLY);
    cr_assert_geq(fd, 0);
    unsigned char b[65536];
    ssize_t n = read(fd, b, sizeof b);
    off_t size = lseek(fd, 0, SEEK_END);
    close(fd);
    pk_elf_info info;
    fl_err err = {{0}};
    cr_assert_eq(pk_elf_parse(b, (size_t)n, (uint64_t)size, &info, &err), 0, "%s", err.msg);
    cr_assert(info.is_elf);
    cr_assert(info.has_interp, "the test binary is dynamically linked");
    cr_assert_eq(((char *)b)[info.interp_off], '/');
}

static pk_reloc reloc(void)
{
    return (pk_reloc){.root = "/var/task", .enabled = true};
}

static char *reloc_script(pk_reloc *r, const char *script, uint32_t mode)
{
    fl_buf out = {0};
    bool replaced = false;
    fl_err err;
    size_t n = strlen(script);
    unsigned char *copy = (unsigned char *)fl_xstrdup(script);
    cr_assert_eq(pk_reloc_file(r, "app/run", mode, copy, n, n, &out, &replaced, &err), 0);
    char *res = replaced ? fl_buf_steal(&out) : fl_xstrdup((char *)copy);
    fl_buf_free(&out);
    free(copy);
    return res;
}

Test(reloc, shebangs)
{
    pk_reloc r = reloc();
    /* Absolute interpreters become relocation links, numbered in order of
     * discovery; the manifest points each at the image's copy or the
     * runtime's own. */
    static const char *cases[][2] = {
        {"#!/bin/sh\necho hi\n", "#!/tmp/fl-ld0\necho hi\n"},
        {"#! /usr/bin/env python3\nprint(1)\n", "#! /tmp/fl-ld1 python3\nprint(1)\n"},
        {"#!/var/task/bin/sh\n", "#!/var/task/bin/sh\n"},
        {"#!sh\n", "#!sh\n"},
        {"#!/tmp/x\n", "#!/tmp/x\n"},
        {"#!/bin/bash", "#!/tmp/fl-ld2"},
        {"#!/bin/sh -e\n", "#!/tmp/fl-ld0 -e\n"},
        {"#!/tmp/fl-ld0\n", "#!/tmp/fl-ld0\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = reloc_script(&r, cases[i][0], 0755);
        cr_assert_str_eq(s, cases[i][1], "[%s] gave [%s]", cases[i][0], s);
        free(s);
    }
    cr_assert_eq(r.ninterps, 3);
    cr_assert_str_eq(r.interps[0], "/bin/sh");
    cr_assert_str_eq(r.interps[1], "/usr/bin/env");
    cr_assert_str_eq(r.interps[2], "/bin/bash");
    cr_assert(!r.saw_glibc && !r.saw_musl, "script interpreters are not ELF loaders");
    /* not executable: left alone */
    char *s = reloc_script(&r, "#!/bin/sh\n", 0644);
    cr_assert_str_eq(s, "#!/bin/sh\n");
    free(s);
    cr_assert_eq(r.scripts_rewritten, 4);
    /* a first line longer than the kernel reads is reported, not cut */
    char longline[300] = "#!/";
    memset(longline + 3, 'a', 280);
    longline[283] = '\n';
    longline[284] = 0;
    s = reloc_script(&r, longline, 0755);
    cr_assert_str_eq(s, longline);
    free(s);
    cr_assert_eq(r.nproblems, 1);
    pk_reloc_free(&r);
}

Test(reloc, elf_interpreters_are_numbered)
{
    pk_reloc r = reloc();
    unsigned char b[4096];
    fl_buf out = {0};
    bool replaced;
    fl_err err;
    size_t n = make_elf(b, true, false, "/lib/ld-musl-x86_64.so.1");
    cr_assert_eq(pk_reloc_file(&r, "bin/a", 0755, b, n, n, &out, &replaced, &err), 0);
    cr_assert_not(replaced);
    cr_assert_str_eq((char *)b + 176, "/tmp/fl-ld0");
    n = make_elf(b, true, false, "/lib64/ld-linux-x86-64.so.2");
    cr_assert_eq(pk_reloc_file(&r, "bin/b", 0755, b, n, n, &out, &replaced, &err), 0);
    cr_assert_str_eq((char *)b + 176, "/tmp/fl-ld1");
    n = make_elf(b, true, false, "/lib/ld-musl-x86_64.so.1");
    cr_assert_eq(pk_reloc_file(&r, "lib/c.so", 0644, b, n, n, &out, &replaced, &err), 0);
    cr_assert_str_eq((char *)b + 176, "/tmp/fl-ld0");
    /* packing a packed image again changes nothing */
    cr_assert_eq(pk_reloc_file(&r, "lib/c.so", 0644, b, n, n, &out, &replaced, &err), 0);
    cr_assert_eq(r.ninterps, 2);
    cr_assert_eq(r.elf_rewritten, 3);
    cr_assert(r.saw_musl && r.saw_glibc);
    n = make_elf(b, true, false, "/ld");
    cr_assert_eq(pk_reloc_file(&r, "bin/short", 0755, b, n, n, &out, &replaced, &err), 0);
    cr_assert_eq(r.nproblems, 1);
    pk_reloc_free(&r);
}

Test(reloc, loader_configuration)
{
    pk_reloc r = reloc();
    const char *conf = "# libc default configuration\ninclude /etc/ld.so.conf.d/*.conf\n/usr/local/lib\n"
                       "  /opt/lib  # trailing\n";
    fl_buf out = {0};
    bool replaced;
    fl_err err;
    unsigned char *c = (unsigned char *)fl_xstrdup(conf);
    cr_assert_eq(pk_reloc_file(&r, "etc/ld.so.conf", 0644, c, strlen(conf), strlen(conf), &out, &replaced, &err), 0);
    free(c);
    const char *musl = "/lib:/usr/lib\n/opt/musl\n";
    c = (unsigned char *)fl_xstrdup(musl);
    cr_assert_eq(pk_reloc_file(&r, "etc/ld-musl-x86_64.path", 0644, c, strlen(musl), strlen(musl), &out, &replaced,
                               &err),
                 0);
    free(c);
    cr_assert_str_eq(fl_buf_cstr(&r.ldconf), "/usr/local/lib\n/opt/lib\n/lib\n/usr/lib\n/opt/musl\n");
    pk_reloc_free(&r);
}
