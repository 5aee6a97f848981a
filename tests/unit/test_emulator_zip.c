/* Uploaded zips: names checked before anything touches the disk, hostile
 * archives refused (escapes, links through symlinks, bombs), good ones
 * unpacked exactly, and CodeSha256 as Lambda computes it. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"

Test(zip_name, normalized)
{
    char out[EMU_ZIP_NAME_MAX];
    const char *why;
    cr_assert_eq(emu_zip_path_clean("a/b/c", out, sizeof out, &why), 0);
    cr_assert_str_eq(out, "a/b/c");
    cr_assert_eq(emu_zip_path_clean("./a//b/./c/", out, sizeof out, &why), 0);
    cr_assert_str_eq(out, "a/b/c");
    cr_assert_eq(emu_zip_path_clean("./", out, sizeof out, &why), 1);
    cr_assert_eq(emu_zip_path_clean("bootstrap", out, sizeof out, &why), 0);
    cr_assert_eq(emu_zip_path_clean("..a/b..", out, sizeof out, &why), 0);
    cr_assert_str_eq(out, "..a/b..");
    cr_assert_eq(emu_zip_path_clean("\xc3\xa9t\xc3\xa9", out, sizeof out, &why), 0);
}

Test(zip_name, refused)
{
    char out[EMU_ZIP_NAME_MAX];
    const char *why;
    const char *bad[] = {"", "/etc/passwd", "../x", "a/../../x", "a/..", "..", "a\nb", "a\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(emu_zip_path_clean(bad[i], out, sizeof out, &why), -1, "[%s]", bad[i]);
        cr_assert_not_null(why);
    }
    cr_assert_eq(emu_zip_path_clean(NULL, out, sizeof out, &why), -1);
    char longc[300];
    memset(longc, 'a', 299);
    longc[299] = 0;
    cr_assert_eq(emu_zip_path_clean(longc, out, sizeof out, &why), -1);
    char deep[1000] = "";
    for (int i = 0; i < 200; i++)
        strcat(deep, "a/");
    cr_assert_eq(emu_zip_path_clean(deep, out, sizeof out, &why), -1);
}

typedef struct entry {
    const char *name;
    int type;            /* AE_IFREG, AE_IFDIR, AE_IFLNK */
    const char *data;    /* file content or link target */
    size_t zeros;        /* a file of this many zero bytes instead */
    int mode;
} entry;

static void make_zip(const entry *e, size_t n, fl_buf *out)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    size_t cap = 64u << 20, used = 0;
    fl_buf_reserve(out, cap);
    cr_assert_eq(archive_write_open_memory(a, out->data, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e[i].name);
        archive_entry_set_filetype(ae, (unsigned)e[i].type);
        archive_entry_set_perm(ae, e[i].mode ? (unsigned)e[i].mode : 0644);
        size_t size = e[i].type == AE_IFREG ? (e[i].zeros ? e[i].zeros : strlen(e[i].data)) : 0;
        if (e[i].type == AE_IFLNK)
            archive_entry_set_symlink(ae, e[i].data);
        archive_entry_set_size(ae, (la_int64_t)size);
        archive_write_header(a, ae);
        if (e[i].type == AE_IFREG) {
            if (e[i].zeros) {
                char *z = calloc(1, e[i].zeros);
                archive_write_data(a, z, e[i].zeros);
                free(z);
            } else {
                archive_write_data(a, e[i].data, size);
            }
        }
        archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
    out->len = used;
}

static char *tmpdir(void)
{
    char *t = strdup("/tmp/emu-zip-XXXXXX");
    cr_assert_not_null(mkdtemp(t));
    return t;
}

static int unzip_entries(const entry *e, size_t n, const char *dest, uint64_t max, fl_err *err)
{
    fl_buf z = {0};
    make_zip(e, n, &z);
    uint64_t unzipped = 0;
    int rc = emu_unzip(z.data, z.len, dest, max, &unzipped, err);
    fl_buf_free(&z);
    return rc;
}

Test(unzip, a_good_package)
{
    char *t = tmpdir();
    char *dest = fl_xasprintf("%s/out", t);
    entry e[] = {
        {"bootstrap", AE_IFREG, "#!/bin/sh\n", 0, 0755},
        {"lib/", AE_IFDIR, "", 0, 0755},
        {"lib/a.so", AE_IFREG, "elf", 0, 0644},
        {"deep/er/file", AE_IFREG, "x", 0, 0600},
        {"lib/link", AE_IFLNK, "/opt/lib/a.so", 0, 0777},
        {"bootstrap", AE_IFREG, "#!/bin/sh\necho later wins\n", 0, 0755},
    };
    fl_err err;
    cr_assert_eq(unzip_entries(e, sizeof e / sizeof e[0], dest, 1 << 20, &err), 0, "%s", err.msg);
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/bootstrap", dest);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0755);
    fl_buf b = {0};
    cr_assert_eq(fl_read_file(path, 1000, &b, &err), 0);
    cr_assert_str_eq(b.data, "#!/bin/sh\necho later wins\n");
    fl_buf_free(&b);
    snprintf(path, sizeof path, "%s/lib/link", dest);
    char target[100];
    ssize_t n = readlink(path, target, sizeof target - 1);
    cr_assert_gt(n, 0);
    target[n] = 0;
    cr_assert_str_eq(target, "/opt/lib/a.so");
    snprintf(path, sizeof path, "%s/deep/er/file", dest);
    cr_assert_eq(stat(path, &st), 0);
    emu_rmtree(t);
    free(dest);
    free(t);
}

static void refused(const entry *e, size_t n, uint64_t max, const char *want)
{
    char *t = tmpdir();
    char *dest = fl_xasprintf("%s/out", t);
    fl_err err;
    cr_assert_eq(unzip_entries(e, n, dest, max, &err), -1, "accepted: %s", e[n - 1].name);
    cr_assert(strstr(err.msg, want), "[%s] lacks [%s]", err.msg, want);
    /* nothing outside dest */
    char path[512];
    snprintf(path, sizeof path, "%s/escaped", t);
    cr_assert_neq(access(path, F_OK), 0);
    emu_rmtree(t);
    free(dest);
    free(t);
}

Test(unzip, hostile)
{
    entry dotdot[] = {{"../escaped", AE_IFREG, "x", 0, 0}};
    refused(dotdot, 1, 1 << 20, "'..'");
    entry abs[] = {{"/tmp/escaped", AE_IFREG, "x", 0, 0}};
    refused(abs, 1, 1 << 20, "absolute");
    /* a symlink to the outside, then a file "through" it */
    entry via_link[] = {{"d", AE_IFLNK, "..", 0, 0}, {"d/escaped", AE_IFREG, "x", 0, 0}};
    refused(via_link, 2, 1 << 20, "goes through a symlink");
    /* a bomb: 8 MB of zeros (a few KB zipped) against a 1 MB cap */
    entry bomb[] = {{"zeros", AE_IFREG, NULL, 8u << 20, 0}};
    refused(bomb, 1, 1 << 20, "Unzipped size must be smaller than 1048576 bytes");
}

Test(unzip, not_a_zip)
{
    char *t = tmpdir();
    char *dest = fl_xasprintf("%s/out", t);
    fl_err err;
    uint64_t u;
    cr_assert_eq(emu_unzip("hello world, not a zip", 22, dest, 1 << 20, &u, &err), -1);
    cr_assert(strstr(err.msg, "Could not unzip uploaded file"), "%s", err.msg);
    emu_rmtree(t);
    free(dest);
    free(t);
}

Test(digest, code_sha256_is_base64_of_sha256)
{
    char hex[65], b64[45];
    emu_code_digest("abc", 3, hex, b64);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_str_eq(b64, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}
