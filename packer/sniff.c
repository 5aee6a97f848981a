/* Is a file already compressed? Deflating a PNG or a jar again costs time and
 * gains nothing, so those are stored. Decided by magic bytes, and by name
 * for formats without one. */
#include <string.h>

#include "packer/internal.h"

/* Whether the head's bytes are spread as evenly as random data's
 * (compressed, encrypted, random): a chi-squared test of the byte histogram
 * against the uniform one. Random data scores about 255 whatever n, deflate
 * streams a few thousand per 64 KiB, text and code millions; below the
 * threshold deflating gains a percent or two and costs the most time. */
static bool looks_random(const unsigned char *h, size_t n)
{
    uint64_t count[256] = {0};
    for (size_t i = 0; i < n; i++)
        count[h[i]]++;
    double expect = (double)n / 256, chi2 = 0;
    for (size_t i = 0; i < 256; i++) {
        double d = (double)count[i] - expect;
        chi2 += d * d / expect;
    }
    return chi2 < 256.0 + (double)n / 16;
}

static bool starts(const unsigned char *h, size_t n, const char *magic, size_t m)
{
    return n >= m && !memcmp(h, magic, m);
}

static bool by_magic(const unsigned char *h, size_t n)
{
    return starts(h, n, "\x1f\x8b", 2) ||                 /* gzip */
           starts(h, n, "PK\x03\x04", 4) ||               /* zip, jar, whl, apk */
           starts(h, n, "PK\x05\x06", 4) ||               /* empty zip */
           starts(h, n, "BZh", 3) ||                      /* bzip2 */
           starts(h, n, "\xfd" "7zXZ\x00", 6) ||          /* xz */
           starts(h, n, "\x28\xb5\x2f\xfd", 4) ||         /* zstd */
           starts(h, n, "7z\xbc\xaf\x27\x1c", 6) ||       /* 7z */
           starts(h, n, "\x04\x22\x4d\x18", 4) ||         /* lz4 */
           starts(h, n, "\x89PNG", 4) || starts(h, n, "\xff\xd8\xff", 3) || starts(h, n, "GIF8", 4) ||
           (starts(h, n, "RIFF", 4) && n >= 12 && !memcmp(h + 8, "WEBP", 4)) || starts(h, n, "wOFF", 4) ||
           starts(h, n, "wOF2", 4) || starts(h, n, "OggS", 4) || starts(h, n, "ID3", 3) ||
           (n >= 8 && !memcmp(h + 4, "ftyp", 4)) ||       /* mp4, mov, heic */
           starts(h, n, "Rar!", 4);
}

static bool by_name(const char *path)
{
    static const char *const ext[] = {".br", ".gz", ".tgz", ".zip", ".jar", ".whl", ".xz", ".zst", ".bz2", ".lz4"};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t m = strlen(ext[i]);
        if (n > m && !strcmp(path + n - m, ext[i]))
            return true;
    }
    return false;
}

bool pk_zip_precompressed(const char *path, const unsigned char *head, size_t n)
{
    /* a head too small to judge by its bytes is deflated unless named */
    return by_magic(head, n) || by_name(path) || (n >= 16384 && looks_random(head, n));
}
