/* GET /faas-lambda/code/HEX.zip: the uploaded zip, where GetFunction's and
 * GetLayerVersion's Code.Location point (S3 presigned URLs on AWS). */
#include <fcntl.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"

int emu_api_code(emu_req *r)
{
    const char *p = r->route.p1;
    size_t n = strlen(p);
    if (n != 68 || strcmp(p + 64, ".zip") || strspn(p, "0123456789abcdef") != 64)
        return emu_reply_error(r, 404, "ResourceNotFoundException", "No such code: %.100s", p);
    char *path = emu_store_path(r->e->store, "blobs/%s", p);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        if (fd >= 0)
            close(fd);
        return emu_reply_error(r, 404, "ResourceNotFoundException", "No such code: %.100s", p);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/zip");
    MHD_add_response_header(resp, "X-Amzn-RequestId", r->id);
    enum MHD_Result rc = MHD_queue_response(r->c, 200, resp);
    MHD_destroy_response(resp);
    return rc;
}
