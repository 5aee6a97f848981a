/* libFuzzer: uploaded zips. The entry-name check on raw bytes (a name that
 * passes is relative, without "..", control characters or empty
 * components), then the whole unpacker on the bytes as a zip, into a
 * scratch directory, with a small size cap: nothing may land outside it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "emulator/internal.h"

static void check_name(const char *s)
{
    char out[EMU_ZIP_NAME_MAX];
    const char *why;
    int rc = emu_zip_path_clean(s, out, sizeof out, &why);
    if (rc < 0) {
        CHECK(why != NULL);
        return;
    }
    if (rc == 1)
        return;
    CHECK(out[0] && out[0] != '/');
    CHECK(!strstr(out, "//"));
    for (const char *p = out; *p; p++)
        CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    for (const char *p = out; *p;) {
        size_t n = strcspn(p, "/");
        CHECK(n > 0 && !(n == 2 && p[0] == '.' && p[1] == '.') && !(n == 1 && p[0] == '.'));
        p += n + (p[n] == '/');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = 0;
    check_name(s);
    static char scratch[64];
    if (!scratch[0])
        snprintf(scratch, sizeof scratch, "/tmp/fuzz-emu-zip-%ld", (long)getpid());
    char dest[96];
    snprintf(dest, sizeof dest, "%s/out", scratch);
    emu_rmtree(scratch);
    CHECK(mkdir(scratch, 0700) == 0);
    uint64_t unzipped = 0;
    fl_err err;
    if (emu_unzip(data, size, dest, 1 << 20, &unzipped, &err) == 0)
        CHECK(unzipped <= 1 << 20);
    emu_rmtree(scratch);
    free(s);
    return 0;
}
