/* The state directory. Layout:
 *   functions/NAME.json   one function's record (record.c)
 *   layers/NAME.json      one layer: its versions (layer_store.c)
 *   blobs/HEX.zip         uploaded zips, by the SHA-256 of their bytes
 *   blobs/HEX.json        {"size":..,"unzipped":..} of that zip
 *   code/HEX/             the zip unpacked (a function's /var/task, a layer)
 *   opt/HEX/              layers merged for /opt (opt_merge.c)
 *   images/DIGEST/        container image root filesystems (image.c)
 *   tmp/                  scratch; emptied at start
 * Every file is written to a temporary name, fsynced and renamed, and a
 * record is written only after everything it names exists; so a crash at
 * any point leaves the old state or the new, plus perhaps unreferenced
 * blobs and directories, which the next start collects (store_gc.c). One
 * emulator per state directory: a lock (flock) on .lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"

static const char *const subdirs[] = {"functions", "layers", "blobs", "code", "opt", "images", "tmp"};

char *emu_store_path(const emu_store *s, const char *fmt, ...)
{
    char rel[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    return fl_xasprintf("%s/%s", s->root, rel);
}

/* $XDG_DATA_HOME/faas-lambda/emulator, else ~/.local/share/faas-lambda/emulator */
char *emu_default_state_dir(void)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    if (xdg && xdg[0] == '/')
        return fl_xasprintf("%s/faas-lambda/emulator", xdg);
    const char *home = getenv("HOME");
    if (!home || home[0] != '/')
        return NULL;
    return fl_xasprintf("%s/.local/share/faas-lambda/emulator", home);
}

static int make_temporary(emu_store *s, fl_err *err)
{
    const char *tmp = getenv("TMPDIR");
    char *tmpl = fl_xasprintf("%s/faas-lambda-emulate-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
        fl_fail(err, "creating a temporary state directory %s: %s", tmpl, strerror(errno));
        free(tmpl);
        return -1;
    }
    s->root = tmpl;
    s->temporary = true;
    return 0;
}

static int lock_root(emu_store *s, fl_err *err)
{
    char *path = emu_store_path(s, ".lock");
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(path);
    if (s->lock_fd < 0)
        return fl_fail(err, "state directory %s: cannot create its lock file: %s", s->root, strerror(errno));
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB))
        return fl_fail(err, "state directory %s is in use by another faas-lambda emulate (pick another "
                            "--state-dir)", s->root);
    return 0;
}

/* Leftovers of an earlier run that died: scratch files and temporaries of
 * atomic writes. */
static void clean_temporaries(emu_store *s)
{
    char *tmp = emu_store_path(s, "tmp");
    emu_rmtree(tmp);
    mkdir(tmp, 0700);
    free(tmp);
    static const char *const dirs[] = {"functions", "layers", "blobs"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *d = emu_store_path(s, "%s", dirs[i]);
        DIR *dir = opendir(d);
        free(d);
        if (!dir)
            continue;
        struct dirent *e;
        while ((e = readdir(dir)))
            if (strstr(e->d_name, ".tmp."))
                unlinkat(dirfd(dir), e->d_name, 0);
        closedir(dir);
    }
}

int emu_store_open(const char *dir, emu_store **out, fl_err *err)
{
    emu_store *s = fl_xcalloc(1, sizeof *s);
    s->lock_fd = -1;
    if (!dir) {
        if (make_temporary(s, err))
            goto fail;
    } else {
        if (fl_mkdirs(dir, 0700, err))
            goto fail;
        s->root = realpath(dir, NULL);
        if (!s->root) {
            fl_fail(err, "state directory %s: %s", dir, strerror(errno));
            goto fail;
        }
    }
    if (lock_root(s, err))
        goto fail;
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        char *p = emu_store_path(s, "%s", subdirs[i]);
        int rc = mkdir(p, 0700) && errno != EEXIST ? -1 : 0;
        if (rc)
            fl_fail(err, "state directory: creating %s: %s", p, strerror(errno));
        free(p);
        if (rc)
            goto fail;
    }
    clean_temporaries(s);
    *out = s;
    return 0;
fail:
    emu_store_close(s);
    return -1;
}

void emu_store_close(emu_store *s)
{
    if (!s)
        return;
    if (s->temporary && s->root)
        emu_rmtree(s->root);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->root);
    free(s);
}

int emu_store_write_json(const emu_store *s, const char *rel, const cJSON *doc, fl_err *err)
{
    char *path = emu_store_path(s, "%s", rel);
    fl_buf b = {0};
    fl_json_print(&b, doc);
    fl_buf_putc(&b, '\n');
    int rc = fl_write_file_atomic(path, b.data, b.len, 0600, err);
    fl_buf_free(&b);
    free(path);
    return rc;
}

int emu_store_remove(const emu_store *s, const char *rel, fl_err *err)
{
    char *path = emu_store_path(s, "%s", rel);
    int rc = 0;
    if (unlink(path) && errno != ENOENT)
        rc = fl_fail(err, "removing %s: %s", path, strerror(errno));
    /* the directory entry's removal must be durable before we answer */
    char *dir = fl_xstrdup(path);
    char *slash = strrchr(dir, '/');
    *slash = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
    free(path);
    return rc;
}

/* Calls fn for each *.json document in a subdirectory. */
int emu_store_each_json(const emu_store *s, const char *sub, void (*fn)(void *ud, const char *file, cJSON *doc),
                        void *ud)
{
    char *d = emu_store_path(s, "%s", sub);
    DIR *dir = opendir(d);
    if (!dir) {
        free(d);
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") || strchr(e->d_name, '~'))
            continue;
        char *path = fl_xasprintf("%s/%s", d, e->d_name);
        fl_buf b = {0};
        fl_err err;
        if (fl_read_file(path, EMU_RECORD_FILE_MAX, &b, &err) == 0) {
            cJSON *doc = emu_json_parse_exact(b.data, b.len);
            if (doc)
                fn(ud, e->d_name, doc);
            else
                fl_warn("state: %s is not valid JSON; ignored", path);
            cJSON_Delete(doc);
        } else {
            fl_warn("state: %s", err.msg);
        }
        fl_buf_free(&b);
        free(path);
    }
    closedir(dir);
    free(d);
    return 0;
}
