/* Basic authentication of the /system routes (reference/openfaas.md §1.2): the
 * credentials from secret_mount_path, compared in constant time. */
#include <string.h>
#include <strings.h>

#include "provider/internal.h"
#include "shim/shim.h"

#define AUTH_HEADER_MAX 4096

bool pv_const_eq(const char *a, size_t an, const char *b, size_t bn)
{
    /* Walks the longer input whatever the contents, so the time depends on
     * the lengths only. */
    size_t n = an > bn ? an : bn;
    unsigned char diff = an != bn;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < an ? (unsigned char)a[i] : 0, y = i < bn ? (unsigned char)b[i] : 0;
        diff |= x ^ y;
    }
    return diff == 0;
}

bool pv_basic_auth_ok(const char *authorization, const char *user, const char *password)
{
    if (!authorization || strlen(authorization) > AUTH_HEADER_MAX)
        return false;
    if (strncasecmp(authorization, "Basic ", 6))
        return false;
    const char *b64 = authorization + 6;
    while (*b64 == ' ')
        b64++;
    fl_buf plain = {0};
    fl_err err;
    bool ok = false;
    if (shim_base64_decode(b64, strlen(b64), &plain, &err) == 0) {
        const char *colon = memchr(plain.data, ':', plain.len);
        if (colon) {
            size_t ul = (size_t)(colon - plain.data);
            bool u = pv_const_eq(plain.data, ul, user, strlen(user));
            bool p = pv_const_eq(colon + 1, plain.len - ul - 1, password, strlen(password));
            ok = u & p;
        }
    }
    if (plain.data)
        memset(plain.data, 0, plain.len);
    fl_buf_free(&plain);
    return ok;
}
