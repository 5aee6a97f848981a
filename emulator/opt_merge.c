/* /opt for a function with several layers: Lambda extracts the layers into
 * /opt in order, so a later layer's file replaces an earlier one's. Here
 * the merged tree is built once per list of layers (opt/KEY, KEY the
 * SHA-256 of their code addresses in order) out of hard links to the
 * layers' unpacked files, so it costs directory entries, not bytes. Nothing
 * is followed: a symlink in a layer is copied as a symlink. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"

void emu_opt_key(const emu_fn_record *r, char key[65])
{
    fl_buf b = {0};
    for (size_t i = 0; i < r->nlayers; i++)
        fl_buf_printf(&b, "%s\n", r->layers[i].hex);
    uint8_t md[32];
    emu_sha256(b.data, b.len, md);
    emu_hex(md, 32, key);
    fl_buf_free(&b);
}

/* Removes whatever is at name in dir unless it is a directory (which a
 * directory from a later layer merges into). */
static void clear_slot(int dir, const char *name, bool want_dir)
{
    struct stat st;
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW))
        return;
    if (!S_ISDIR(st.st_mode) || !want_dir)
        emu_rmtree_at(dir, name);
}

static int merge_dir(int src, int dst, int depth, fl_err *err)
{
    if (depth > (int)EMU_ZIP_DEPTH_MAX)
        return fl_fail(err, "layer tree too deep");
    DIR *d = fdopendir(dup(src));
    if (!d)
        return fl_fail(err, "reading a layer: %s", strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(src, e->d_name, &st, AT_SYMLINK_NOFOLLOW))
            continue;
        clear_slot(dst, e->d_name, S_ISDIR(st.st_mode));
        if (S_ISDIR(st.st_mode)) {
            mkdirat(dst, e->d_name, 0755);
            int s2 = openat(src, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int d2 = openat(dst, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            rc = s2 >= 0 && d2 >= 0 ? merge_dir(s2, d2, depth + 1, err) : fl_fail(err, "merging layers: %s",
                                                                                   strerror(errno));
            if (s2 >= 0)
                close(s2);
            if (d2 >= 0)
                close(d2);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlinkat(src, e->d_name, target, sizeof target - 1);
            if (n > 0) {
                target[n] = 0;
                if (symlinkat(target, dst, e->d_name))
                    rc = fl_fail(err, "merging layers: %s", strerror(errno));
            }
        } else if (S_ISREG(st.st_mode)) {
            if (linkat(src, e->d_name, dst, e->d_name, 0))
                rc = fl_fail(err, "merging layers: linking %s: %s", e->d_name, strerror(errno));
        }
    }
    closedir(d);
    return rc;
}

char *emu_opt_merge(emu_store *s, const emu_fn_record *r, fl_err *err)
{
    char key[65], rnd[17];
    emu_opt_key(r, key);
    char *out = emu_store_path(s, "opt/%s", key);
    if (emu_is_dir(out))
        return out;
    emu_random_hex(rnd, 8);
    char *tmp = emu_store_path(s, "tmp/opt-%s", rnd);
    int rc = mkdir(tmp, 0755) ? fl_fail(err, "creating %s: %s", tmp, strerror(errno)) : 0;
    int dst = rc ? -1 : open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (size_t i = 0; rc == 0 && i < r->nlayers; i++) {
        char *src_path = emu_store_path(s, "code/%s", r->layers[i].hex);
        int src = open(src_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        rc = src >= 0 ? merge_dir(src, dst, 0, err) : fl_fail(err, "layer %s: its code is missing (%s)",
                                                                r->layers[i].arn, src_path);
        if (src >= 0)
            close(src);
        free(src_path);
    }
    if (rc == 0 && (syncfs(dst) || rename(tmp, out)) && !emu_is_dir(out))
        rc = fl_fail(err, "storing merged layers: %s", strerror(errno));
    if (dst >= 0)
        close(dst);
    emu_rmtree(tmp);
    free(tmp);
    if (rc) {
        free(out);
        return NULL;
    }
    return out;
}
