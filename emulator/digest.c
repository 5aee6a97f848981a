/* SHA-256 in the two spellings the emulator needs: lowercase hex (content
 * addresses in the state directory) and base64 (CodeSha256, as Lambda
 * reports it). */
#include <openssl/evp.h>
#include <stdio.h>

#include "emulator/internal.h"
#include "shim/shim.h"

void emu_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned n = 32;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void emu_hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

void emu_code_digest(const void *data, size_t len, char hex[65], char b64[45])
{
    uint8_t md[32];
    emu_sha256(data, len, md);
    emu_hex(md, 32, hex);
    fl_buf b = {0};
    shim_base64_encode(md, 32, &b);
    snprintf(b64, 45, "%s", fl_buf_cstr(&b));
    fl_buf_free(&b);
}

bool emu_hex_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[n] == 0;
}
