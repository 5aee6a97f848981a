/* Which bootstrap goes into the package: --bootstrap FILE, else the one built
 * next to the faas-lambda executable (build/bootstrap, build/bootstrap-arm64),
 * else the installed one (PREFIX/lib/faas-lambda/bootstrap-ARCH). It must be
 * a static ELF for the package's architecture. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "packer/internal.h"

#define EM_X86_64_ 62
#define EM_AARCH64_ 183

static int check(const char *file, const char *arch, fl_err *err)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fl_fail(err, "cannot open bootstrap %s: %s", file, strerror(errno));
    unsigned char head[4096];
    ssize_t n = read(fd, head, sizeof head);
    struct stat st;
    int st_ok = fstat(fd, &st);
    close(fd);
    pk_elf_info info;
    fl_err e;
    if (n < 0 || st_ok != 0 || pk_elf_parse(head, (size_t)n, (uint64_t)st.st_size, &info, &e) || !info.is_elf)
        return fl_fail(err, "bootstrap %s is not an ELF executable", file);
    uint16_t want = !strcmp(arch, "arm64") ? EM_AARCH64_ : EM_X86_64_;
    if (info.machine != want)
        return fl_fail(err, "bootstrap %s is not built for %s (pass the %s one with --bootstrap)", file, arch, arch);
    if (info.has_interp)
        return fl_fail(err, "bootstrap %s is dynamically linked; Lambda needs the static one", file);
    return 0;
}

int pk_bootstrap_find(const char *explicit_file, const char *arch, const char *self_exe, char **out, fl_err *err)
{
    if (explicit_file) {
        if (check(explicit_file, arch, err))
            return -1;
        *out = fl_xstrdup(explicit_file);
        return 0;
    }
    char exe[4096];
    if (self_exe) {
        snprintf(exe, sizeof exe, "%s", self_exe);
    } else {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n < 0)
            return fl_fail(err, "cannot find the faas-lambda executable: pass --bootstrap FILE");
        exe[n] = 0;
    }
    char *dir = fl_xstrdup(dirname(exe));
    char *cands[2];
    cands[0] = fl_xasprintf("%s/%s", dir, !strcmp(arch, "arm64") ? "bootstrap-arm64" : "bootstrap");
    cands[1] = fl_xasprintf("%s/../lib/faas-lambda/bootstrap-%s", dir, arch);
    free(dir);
    int rc = -1;
    for (size_t i = 0; i < 2 && rc; i++) {
        if (access(cands[i], R_OK) != 0)
            continue;
        rc = check(cands[i], arch, err);
        if (rc == 0)
            *out = fl_xstrdup(cands[i]);
    }
    if (rc && access(cands[0], R_OK) != 0 && access(cands[1], R_OK) != 0)
        fl_fail(err,
                "no %s bootstrap found (looked for %s and %s): build it (make build/bootstrap%s), pass "
                "--bootstrap FILE, or --no-bootstrap when a Lambda layer provides /opt/bootstrap",
                arch, cands[0], cands[1], !strcmp(arch, "arm64") ? "-arm64" : "");
    free(cands[0]);
    free(cands[1]);
    return rc;
}
