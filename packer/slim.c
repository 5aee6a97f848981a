/* --slim: what a function never reads at run time. The directories stay
 * (empty), their contents go. */
#include <string.h>

#include "packer/internal.h"

static const char *const dropped[] = {
    "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/lintian", "usr/share/linda",
    "usr/share/gtk-doc", "usr/share/help", "usr/local/share/doc", "usr/local/share/man",
    "var/cache/apt", "var/lib/apt/lists", "var/cache/apk", "var/cache/yum", "var/cache/dnf",
    "var/cache/debconf", "var/log", "root/.cache", "root/.npm", "tmp", "var/tmp",
};

bool pk_slim_drop(const char *path)
{
    for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++) {
        size_t n = strlen(dropped[i]);
        if (!strncmp(path, dropped[i], n) && path[n] == '/')
            return true;
    }
    /* caches of language package managers, wherever a home directory is */
    const char *p = strstr(path, "/.cache/");
    return fl_str_has_prefix(path, "home/") && p != NULL;
}
