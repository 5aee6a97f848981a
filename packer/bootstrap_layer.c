/* The bootstrap layer zip: one entry, the static bootstrap, at the root. */
#include <stdlib.h>

#include "packer/internal.h"

int packer_bootstrap_layer(const char *arch, const char *bootstrap, const char *self_exe, const char *output,
                           char **code_sha256, fl_err *err)
{
    char *file = NULL;
    if (pk_bootstrap_find(bootstrap, arch, self_exe, &file, err))
        return -1;
    pk_zip *z;
    pk_zip_opts zo = {.path = output, .level = 9};
    int rc = pk_zip_open(&z, &zo, err);
    if (rc == 0 && pk_zip_add_path(z, "bootstrap", 0755, file, err)) {
        pk_zip_abort(z);
        rc = -1;
    }
    char sha[45];
    uint64_t zipped, unzipped, entries;
    if (rc == 0)
        rc = pk_zip_close(z, &zipped, &unzipped, &entries, sha, err);
    if (rc == 0 && code_sha256)
        *code_sha256 = fl_xstrdup(sha);
    free(file);
    return rc;
}
