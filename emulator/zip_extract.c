/* Unpacking an uploaded zip into a directory, trusting none of it: names
 * are checked (zip_path.c), every directory on the way is opened with
 * O_NOFOLLOW (an earlier entry that is a symlink cannot redirect a later
 * one), nothing is overwritten outside the new directory, and the bytes
 * actually written are capped (a zip's declared sizes may lie). Symlinks are
 * kept as they are: they resolve inside the sandbox, never here. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"

#define BAD_ZIP "Could not unzip uploaded file. Please check your file, then try to upload again."

typedef struct unzip {
    int root;
    uint64_t max_bytes, written, entries;
    fl_err *err;
} unzip;

/* Opens (creating as needed) the directory that holds the last component
 * of path; *leaf points at that component. -1 (err set) on failure. */
static int open_parent(unzip *u, char *path, const char **leaf)
{
    int fd = dup(u->root);
    char *p = path;
    for (;;) {
        char *slash = strchr(p, '/');
        if (!slash) {
            *leaf = p;
            return fd;
        }
        *slash = 0;
        if (mkdirat(fd, p, 0755) && errno != EEXIST) {
            int e = errno;
            close(fd);
            *slash = '/';
            return fl_fail(u->err, "%s (%s: %s)", BAD_ZIP, path, strerror(e));
        }
        int next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        *slash = '/';
        if (next < 0)
            return fl_fail(u->err, "%s (%s goes through a symlink or a file)", BAD_ZIP, path);
        fd = next;
        p = slash + 1;
    }
}

static int write_data(unzip *u, struct archive *a, int fd, const char *name)
{
    const void *buf;
    size_t size;
    la_int64_t off;
    for (;;) {
        int r = archive_read_data_block(a, &buf, &size, &off);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r != ARCHIVE_OK)
            return fl_fail(u->err, "%s (%s: %s)", BAD_ZIP, name, archive_error_string(a));
        u->written += size;
        if (u->written > u->max_bytes)
            return fl_fail(u->err, "Unzipped size must be smaller than %llu bytes",
                           (unsigned long long)u->max_bytes);
        const char *p = buf;
        while (size) {
            ssize_t w = pwrite(fd, p, size, off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return fl_fail(u->err, "writing %s: %s", name, strerror(errno));
            p += w;
            off += w;
            size -= (size_t)w;
        }
    }
}

static int put_file(unzip *u, struct archive *a, int dir, const char *leaf, const char *name, mode_t mode)
{
    int fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode & 0777) | 0400);
    if (fd < 0 && errno == EEXIST) {
        /* a name repeated in the zip: the later entry wins, as with unzip -o */
        struct stat st;
        if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) && unlinkat(dir, leaf, 0) == 0)
            fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode & 0777) | 0400);
    }
    if (fd < 0)
        return fl_fail(u->err, "%s (%s: %s)", BAD_ZIP, name, strerror(errno));
    int rc = write_data(u, a, fd, name);
    fchmod(fd, (mode & 0777) | 0400); /* the umask must not change what the zip says */
    close(fd);
    return rc;
}

static int put_symlink(unzip *u, int dir, const char *leaf, const char *name, const char *target)
{
    if (!target || !*target || strlen(target) >= 4096)
        return fl_fail(u->err, "%s (%s: a symlink without a usable target)", BAD_ZIP, name);
    unlinkat(dir, leaf, 0);
    if (symlinkat(target, dir, leaf))
        return fl_fail(u->err, "%s (%s: %s)", BAD_ZIP, name, strerror(errno));
    return 0;
}

static int put_entry(unzip *u, struct archive *a, struct archive_entry *ent)
{
    char path[EMU_ZIP_NAME_MAX];
    const char *why;
    const char *name = archive_entry_pathname(ent);
    int c = emu_zip_path_clean(name, path, sizeof path, &why);
    if (c < 0)
        return fl_fail(u->err, "%s (%s)", BAD_ZIP, why);
    if (c == 1)
        return 0;
    if (++u->entries > EMU_ZIP_ENTRIES_MAX)
        return fl_fail(u->err, "%s (more than %u entries)", BAD_ZIP, EMU_ZIP_ENTRIES_MAX);
    mode_t type = archive_entry_filetype(ent);
    if (archive_entry_hardlink(ent))
        return fl_fail(u->err, "%s (%s: hard links are not supported)", BAD_ZIP, path);
    const char *leaf = path;
    int dir = open_parent(u, path, &leaf);
    if (dir < 0)
        return -1;
    int rc;
    if (type == AE_IFDIR) {
        rc = mkdirat(dir, leaf, 0755) && errno != EEXIST ? fl_fail(u->err, "%s (%s: %s)", BAD_ZIP, path,
                                                                    strerror(errno))
                                                          : 0;
    } else if (type == AE_IFLNK) {
        rc = put_symlink(u, dir, leaf, path, archive_entry_symlink(ent));
    } else if (type == AE_IFREG || type == 0) {
        rc = put_file(u, a, dir, leaf, path, archive_entry_perm(ent) ? archive_entry_perm(ent) : 0644);
    } else {
        rc = fl_fail(u->err, "%s (%s: only files, directories and symlinks are allowed)", BAD_ZIP, path);
    }
    close(dir);
    return rc;
}

int emu_unzip(const void *zip, size_t len, const char *dest, uint64_t max_bytes, uint64_t *unzipped, fl_err *err)
{
    if (mkdir(dest, 0755))
        return fl_fail(err, "creating %s: %s", dest, strerror(errno));
    unzip u = {.max_bytes = max_bytes, .err = err};
    u.root = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (u.root < 0)
        return fl_fail(err, "opening %s: %s", dest, strerror(errno));
    struct archive *a = archive_read_new();
    archive_read_support_format_zip_seekable(a);
    int rc = 0;
    if (archive_read_open_memory(a, zip, len) != ARCHIVE_OK) {
        rc = fl_fail(err, "%s (%s)", BAD_ZIP, archive_error_string(a) ? archive_error_string(a) : "not a zip file");
    } else {
        struct archive_entry *ent;
        int r;
        while (rc == 0 && (r = archive_read_next_header(a, &ent)) != ARCHIVE_EOF) {
            if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                rc = fl_fail(err, "%s (%s)", BAD_ZIP, archive_error_string(a));
            else
                rc = put_entry(&u, a, ent);
        }
    }
    archive_read_free(a);
    if (rc == 0 && syncfs(u.root))
        rc = fl_fail(err, "syncing %s: %s", dest, strerror(errno));
    close(u.root);
    if (rc == 0)
        *unzipped = u.written;
    return rc;
}
