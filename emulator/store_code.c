/* Code in the state directory, addressed by the SHA-256 of the zip's bytes:
 * the zip itself (blobs/HEX.zip, what GetFunction's Code.Location serves),
 * its size facts (blobs/HEX.json, written last: its presence means the rest
 * is complete) and the unpacked tree (code/HEX/). The same zip uploaded
 * twice, by two functions or as a layer, is stored and unpacked once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"

static int read_meta(const emu_store *s, emu_code *c)
{
    char *path = emu_store_path(s, "blobs/%s.json", c->hex);
    fl_buf b = {0};
    fl_err err;
    int rc = -1;
    if (fl_read_file(path, 4096, &b, &err) == 0) {
        cJSON *doc = emu_json_parse_exact(b.data, b.len);
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(doc, "unzipped");
        if (cJSON_IsNumber(u)) {
            c->unzipped = (uint64_t)u->valuedouble;
            rc = 0;
        }
        cJSON_Delete(doc);
    }
    fl_buf_free(&b);
    free(path);
    return rc;
}

bool emu_store_has_code(const emu_store *s, const char *hex)
{
    char *dir = emu_store_path(s, "code/%s", hex);
    char *meta = emu_store_path(s, "blobs/%s.json", hex);
    struct stat st;
    bool ok = emu_is_dir(dir) && stat(meta, &st) == 0;
    free(dir);
    free(meta);
    return ok;
}

static int unpack(emu_store *s, const void *zip, size_t len, uint64_t max_unzipped, emu_code *c, fl_err *err)
{
    char rnd[17];
    emu_random_hex(rnd, 8);
    char *tmp = emu_store_path(s, "tmp/unzip-%s", rnd);
    char *dir = emu_store_path(s, "code/%s", c->hex);
    int rc = emu_unzip(zip, len, tmp, max_unzipped, &c->unzipped, err);
    if (rc == 0) {
        emu_rmtree(dir); /* a tree without its meta file: from a run that died */
        if (rename(tmp, dir))
            rc = fl_fail(err, "storing the code: %s", strerror(errno));
    }
    if (rc)
        emu_rmtree(tmp);
    free(tmp);
    free(dir);
    return rc;
}

static int write_blob(emu_store *s, const void *zip, size_t len, const emu_code *c, fl_err *err)
{
    char *path = emu_store_path(s, "blobs/%s.zip", c->hex);
    int rc = fl_write_file_atomic(path, zip, len, 0600, err);
    free(path);
    if (rc)
        return -1;
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddNumberToObject(meta, "size", (double)len);
    cJSON_AddNumberToObject(meta, "unzipped", (double)c->unzipped);
    char rel[128];
    snprintf(rel, sizeof rel, "blobs/%s.json", c->hex);
    rc = emu_store_write_json(s, rel, meta, err);
    cJSON_Delete(meta);
    return rc;
}

int emu_store_put_zip(emu_store *s, const void *zip, size_t len, uint64_t max_unzipped, emu_code *c, fl_err *err)
{
    memset(c, 0, sizeof *c);
    emu_code_digest(zip, len, c->hex, c->sha256);
    c->size = len;
    if (emu_store_has_code(s, c->hex) && read_meta(s, c) == 0) {
        if (c->unzipped > max_unzipped)
            return fl_fail(err, "Unzipped size must be smaller than %llu bytes", (unsigned long long)max_unzipped);
        return 0;
    }
    if (unpack(s, zip, len, max_unzipped, c, err) || write_blob(s, zip, len, c, err))
        return -1;
    return 0;
}
