/* Identifiers: request ids and extension ids (UUID v4), X-Ray trace ids,
 * log stream names. Formatting is pure; randomness comes from getrandom. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "emulator/internal.h"

static void random_bytes(void *p, size_t n)
{
    unsigned char *b = p;
    while (n) {
        ssize_t r = getrandom(b, n, 0);
        if (r <= 0)
            continue; /* EINTR; the pool is always ready after boot */
        b += r;
        n -= (size_t)r;
    }
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

void emu_format_uuid(const uint8_t b[16], char out[EMU_UUID_LEN + 1])
{
    uint8_t v[16];
    memcpy(v, b, 16);
    v[6] = (uint8_t)((v[6] & 0x0f) | 0x40); /* version 4 */
    v[8] = (uint8_t)((v[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char h[33];
    hex(v, 16, h);
    snprintf(out, EMU_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

void emu_format_trace_id(uint32_t epoch_s, const uint8_t root[12], const uint8_t parent[8], char out[EMU_TRACE_MAX])
{
    char r[25], p[17];
    hex(root, 12, r);
    hex(parent, 8, p);
    snprintf(out, EMU_TRACE_MAX, "Root=1-%08x-%s;Parent=%s;Sampled=0", epoch_s, r, p);
}

void emu_new_uuid(char out[EMU_UUID_LEN + 1])
{
    uint8_t b[16];
    random_bytes(b, sizeof b);
    emu_format_uuid(b, out);
}

void emu_new_trace_id(char out[EMU_TRACE_MAX])
{
    uint8_t r[20];
    random_bytes(r, sizeof r);
    emu_format_trace_id((uint32_t)(fl_wall_ms() / 1000), r, r + 12, out);
}

bool emu_is_uuid(const char *s)
{
    if (strlen(s) != EMU_UUID_LEN)
        return false;
    for (size_t i = 0; i < EMU_UUID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

bool emu_request_id_valid(const char *s, size_t n)
{
    if (n == 0 || n >= EMU_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
            return false;
    }
    return true;
}

void emu_new_log_stream(char out[96])
{
    uint8_t b[16];
    char h[33];
    random_bytes(b, sizeof b);
    hex(b, sizeof b, h);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(out, 96, "%04d/%02d/%02d/[%s]%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, EMU_VERSION, h);
}
