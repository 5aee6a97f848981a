/* Garbage collection of the state directory: code trees, blobs, merged
 * /opt trees and image root filesystems that nothing references any more
 * (after a delete or an update, or left by a run that died mid-write). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

static bool kept(const emu_strv *keep, const char *name, size_t n)
{
    for (size_t i = 0; i < keep->n; i++)
        if (strlen(keep->v[i]) == n && !strncmp(keep->v[i], name, n))
            return true;
    return false;
}

static void sweep(emu_store *s, const char *sub, const emu_strv *keep)
{
    char *dir = emu_store_path(s, "%s", sub);
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strcspn(e->d_name, "."); /* HEX, HEX.zip, HEX.json */
        if (kept(keep, e->d_name, n))
            continue;
        char *path = fl_xasprintf("%s/%s", dir, e->d_name);
        fl_debug("state: removing unreferenced %s/%s", sub, e->d_name);
        emu_rmtree(path);
        free(path);
    }
    closedir(d);
    free(dir);
}

void emu_store_gc(emu_store *s, const emu_strv *keep)
{
    sweep(s, "blobs", keep);
    sweep(s, "code", keep);
    sweep(s, "opt", keep);
    sweep(s, "images", keep);
}
