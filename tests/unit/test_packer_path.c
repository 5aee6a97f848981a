/* Paths inside images: normalisation, escapes, symlink targets kept inside
 * the root, relative targets, and the index's symlink resolution. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "packer/internal.h"

static char *norm_ok(const char *in, bool *abs)
{
    char *out = NULL;
    fl_err err = {{0}};
    cr_assert_eq(pk_path_norm(in, &out, abs, &err), 0, "%s: %s", in, err.msg);
    return out;
}

Test(path, normalises)
{
    static const char *cases[][2] = {
        {"./usr/bin/x", "usr/bin/x"}, {"usr//bin/./x", "usr/bin/x"}, {"/etc/passwd", "etc/passwd"},
        {"a/b/../c", "a/c"},          {"./", ""},                    {"/", ""},
        {"a/", "a"},                  {"a/./././b/", "a/b"},         {"a/..", ""},
        {".wh..wh..opq", ".wh..wh..opq"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *o = norm_ok(cases[i][0], NULL);
        cr_assert_str_eq(o, cases[i][1], "%s -> %s", cases[i][0], o);
        free(o);
    }
    bool abs;
    free(norm_ok("/x", &abs));
    cr_assert(abs);
    free(norm_ok("x", &abs));
    cr_assert_not(abs);
}

Test(path, refuses_escapes_and_limits)
{
    static const char *bad[] = {"../etc/passwd", "a/../../b", "..", "/../x", "./a/b/../../../c"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL;
        fl_err err = {{0}};
        cr_assert_eq(pk_path_norm(bad[i], &out, NULL, &err), -1, "%s accepted", bad[i]);
        cr_assert(strstr(err.msg, "climbs out"), "%s", err.msg);
    }
    char name[300];
    memset(name, 'n', sizeof name);
    name[sizeof name - 1] = 0;
    char *out;
    fl_err err;
    cr_assert_eq(pk_path_norm(name, &out, NULL, &err), -1);
    char deep[2000] = "";
    for (int i = 0; i < 300; i++)
        strcat(deep, "d/");
    cr_assert_eq(pk_path_norm(deep, &out, NULL, &err), -1);
    char huge[5000];
    memset(huge, 'a', sizeof huge);
    huge[sizeof huge - 1] = 0;
    for (size_t i = 100; i < sizeof huge - 1; i += 100)
        huge[i] = '/';
    cr_assert_eq(pk_path_norm(huge, &out, NULL, &err), -1);
}

Test(path, link_resolution_stays_in_root)
{
    static const struct {
        const char *link, *target, *want;
        bool escaped;
    } cases[] = {
        {"usr/bin/python", "python3.11", "usr/bin/python3.11", false},
        {"lib", "usr/lib", "usr/lib", false},
        {"lib64/ld.so", "/lib/x86_64-linux-gnu/ld.so", "lib/x86_64-linux-gnu/ld.so", false},
        {"a/b/l", "../../../../etc/shadow", "etc/shadow", true},
        {"l", "..", "", true},
        {"a/l", "/", "", false},
        {"a/l", "../b/./c/", "b/c", false},
        {"x", "/proc/../etc/passwd", "etc/passwd", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool esc;
        char *r = pk_link_resolve(cases[i].link, cases[i].target, &esc);
        cr_assert_str_eq(r, cases[i].want, "%s -> %s gave %s", cases[i].link, cases[i].target, r);
        cr_assert_eq(esc, cases[i].escaped, "%s -> %s", cases[i].link, cases[i].target);
        free(r);
    }
}

Test(path, relative_targets)
{
    static const char *cases[][3] = {
        {"usr/bin/x", "usr/lib/y", "../lib/y"},
        {"home/app/wd", "usr/bin/fwatchdog", "../../usr/bin/fwatchdog"},
        {"lib64/ld.so", "lib/x86_64-linux-gnu/ld.so", "../lib/x86_64-linux-gnu/ld.so"},
        {"l", "etc/passwd", "etc/passwd"},
        {"a/b/c", "a/b", "."},
        {"a/b/c", "a/b/d", "d"},
        {"a/b/c", "", "../.."},
        {"l", "", "."},
        {"ab/c", "a/x", "../a/x"},
        {"a/b/c", "a/bc/d", "../bc/d"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = pk_path_relative(cases[i][0], cases[i][1]);
        cr_assert_str_eq(r, cases[i][2], "from %s to %s gave %s", cases[i][0], cases[i][1], r);
        free(r);
    }
}

Test(path, runtime_paths)
{
    cr_assert(pk_path_is_runtime("/dev/stdout"));
    cr_assert(pk_path_is_runtime("/proc/self/fd/1"));
    cr_assert(pk_path_is_runtime("/tmp"));
    cr_assert_not(pk_path_is_runtime("/tmpfoo"));
    cr_assert_not(pk_path_is_runtime("/etc/passwd"));
    cr_assert_not(pk_path_is_runtime("/devices"));
}

static void add(pk_index *ix, const char *path, enum pk_kind k, const char *link)
{
    pk_node *n = pk_index_put(ix, path, strlen(path));
    n->kind = (uint8_t)k;
    n->link = link ? pk_index_strdup(ix, link) : NULL;
}

Test(index, grows_and_resolves)
{
    pk_index ix;
    pk_index_init(&ix);
    add(&ix, "", PK_K_DIR, NULL);
    add(&ix, "usr", PK_K_DIR, NULL);
    add(&ix, "usr/lib", PK_K_DIR, NULL);
    add(&ix, "usr/lib/libc.so", PK_K_FILE, NULL);
    add(&ix, "lib", PK_K_SYMLINK, "usr/lib");
    add(&ix, "lib64", PK_K_DIR, NULL);
    add(&ix, "lib64/ld.so", PK_K_SYMLINK, "lib/libc.so");
    add(&ix, "loop", PK_K_SYMLINK, "loop");
    add(&ix, "out", PK_K_SYMLINK, NULL);
    add(&ix, "rootlink", PK_K_SYMLINK, "");
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof buf, "usr/share/f%d", i);
        add(&ix, buf, PK_K_FILE, NULL);
    }
    cr_assert_eq(ix.n, 5010);
    cr_assert_not_null(pk_index_get(&ix, "usr/share/f4999", 15));
    cr_assert_not_null(pk_index_get(&ix, "usr/share/f4999xyz", 15));
    cr_assert_null(pk_index_get(&ix, "usr/share/f5000", 15));
    char *res = NULL;
    pk_node *n = pk_index_resolve(&ix, "lib64/ld.so", &res);
    cr_assert_not_null(n);
    cr_assert_eq(n->kind, PK_K_FILE);
    cr_assert_str_eq(res, "usr/lib/libc.so");
    free(res);
    cr_assert_null(pk_index_resolve(&ix, "loop", NULL));
    cr_assert_null(pk_index_resolve(&ix, "out", NULL));
    cr_assert_null(pk_index_resolve(&ix, "usr/lib/libc.so/x", NULL));
    n = pk_index_resolve(&ix, "rootlink/usr/lib", NULL);
    cr_assert_not_null(n);
    cr_assert_eq(n->kind, PK_K_DIR);
    n = pk_index_resolve(&ix, "rootlink", NULL);
    cr_assert_not_null(n);
    cr_assert_str_eq(n->path, "");
    pk_index_free(&ix);
}

Test(slim, drops_docs_and_caches)
{
    cr_assert(pk_slim_drop("usr/share/doc/bash/README"));
    cr_assert(pk_slim_drop("var/lib/apt/lists/deb.debian.org_x"));
    cr_assert(pk_slim_drop("home/app/.cache/pip/x"));
    cr_assert_not(pk_slim_drop("usr/share/doc"));
    cr_assert_not(pk_slim_drop("usr/share/documentation/x"));
    cr_assert_not(pk_slim_drop("usr/bin/python3"));
}

Test(sniff, precompressed)
{
    cr_assert(pk_zip_precompressed("a/x", (const unsigned char *)"\x1f\x8b\x08", 3));
    cr_assert(pk_zip_precompressed("a/x.jar", (const unsigned char *)"PK\x03\x04", 4));
    cr_assert(pk_zip_precompressed("a/x.png", (const unsigned char *)"\x89PNG\r\n", 6));
    cr_assert(pk_zip_precompressed("a/x.br", (const unsigned char *)"abc", 3));
    cr_assert_not(pk_zip_precompressed("a/x.txt", (const unsigned char *)"hello", 5));
    cr_assert_not(pk_zip_precompressed("a/x", (const unsigned char *)"", 0));
}
