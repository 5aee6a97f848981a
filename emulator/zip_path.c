/* The names inside an uploaded zip, checked before anything touches the
 * disk. Pure, so it is fuzzed on its own (tests/fuzz/fuzz_emu_zip_name.c).
 * Lambda unpacks a package under /var/task: a name may not leave it. */
#include <string.h>

#include "emulator/internal.h"

int emu_zip_path_clean(const char *name, char *out, size_t n, const char **why)
{
    *why = NULL;
    if (!name || !*name) {
        *why = "an entry has an empty name";
        return -1;
    }
    size_t len = strlen(name);
    if (len >= EMU_ZIP_NAME_MAX || len >= n) {
        *why = "an entry name is longer than 4095 bytes";
        return -1;
    }
    if (name[0] == '/') {
        *why = "an entry name is an absolute path";
        return -1;
    }
    size_t o = 0, depth = 0;
    const char *p = name;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t cl = slash ? (size_t)(slash - p) : strlen(p);
        if (cl == 2 && p[0] == '.' && p[1] == '.') {
            *why = "an entry name contains '..'";
            return -1;
        }
        if (cl > 255) {
            *why = "an entry name has a component longer than 255 bytes";
            return -1;
        }
        for (size_t i = 0; i < cl; i++) {
            if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
                *why = "an entry name contains a control character";
                return -1;
            }
        }
        if (cl && !(cl == 1 && p[0] == '.')) {
            if (++depth > EMU_ZIP_DEPTH_MAX) {
                *why = "an entry name is nested too deeply";
                return -1;
            }
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, cl);
            o += cl;
        }
        p += cl + (slash ? 1 : 0);
    }
    out[o] = 0;
    return o ? 0 : 1; /* 1: the package root itself ("./") */
}
