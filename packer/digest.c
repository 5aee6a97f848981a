/* SHA-256 digests (OpenSSL EVP): every blob is checked against one. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

void pk_hash_init(pk_hash *h)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        fl_error("OpenSSL cannot start a SHA-256 digest");
        abort();
    }
    h->ctx = c;
}

void pk_hash_update(pk_hash *h, const void *p, size_t n)
{
    if (n)
        EVP_DigestUpdate((EVP_MD_CTX *)h->ctx, p, n);
}

static void hex(const unsigned char *raw, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 15];
    }
    out[2 * n] = 0;
}

void pk_hash_final(pk_hash *h, char out[72])
{
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex((EVP_MD_CTX *)h->ctx, raw, &n);
    memcpy(out, "sha256:", 7);
    hex(raw, n, out + 7);
    pk_hash_free(h);
}

void pk_hash_final_raw(pk_hash *h, unsigned char raw[32])
{
    unsigned int n = 0;
    EVP_DigestFinal_ex((EVP_MD_CTX *)h->ctx, raw, &n);
    pk_hash_free(h);
}

void pk_hash_free(pk_hash *h)
{
    if (h->ctx)
        EVP_MD_CTX_free((EVP_MD_CTX *)h->ctx);
    h->ctx = NULL;
}

void pk_sha256_digest(const void *p, size_t n, char out[72])
{
    pk_hash h;
    pk_hash_init(&h);
    pk_hash_update(&h, p, n);
    pk_hash_final(&h, out);
}

void pk_sha256_b64(const unsigned char raw[32], char out[45])
{
    EVP_EncodeBlock((unsigned char *)out, raw, 32);
}

bool pk_digest_valid(const char *d)
{
    if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
        return false;
    for (const char *p = d + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

const char *pk_digest_hex(const char *d)
{
    return d + 7;
}

const char *pk_digest_short(const char *d, char buf[20])
{
    snprintf(buf, 20, "%.19s", d ? d : "?");
    return buf;
}
