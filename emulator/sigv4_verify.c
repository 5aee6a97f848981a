/* AWS Signature Version 4, checked on the server side: the canonical
 * request rebuilt from the request as received, the string to sign, the
 * signing key (HMAC-SHA256 chain) and the signature, compared in constant
 * time. Errors carry AWS's types and messages (IncompleteSignature,
 * InvalidSignature, UnrecognizedClient, MissingAuthenticationToken), and a
 * wrong signature's message shows the canonical request and string to sign
 * expected, as AWS's does. Pure but for the clock given in; the
 * Authorization parser is fuzzed (tests/fuzz/fuzz_emu_sigv4.c).
 *
 * Canonical URI: the path as sent, dot segments and repeated slashes
 * removed, then URI-encoded once more (every service but S3, so a client's
 * %3A becomes %253A). Query: each name and value decoded then encoded,
 * sorted by name then value. Headers: the signed ones, lower-cased, values
 * trimmed with inner runs of spaces collapsed, repeats joined by ','. */
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator/emulator.h"
#include "emulator/internal.h"

#define SKEW_S (15 * 60)

/* A header value trimmed, runs of spaces (and tabs) made one space. */
static void put_value(fl_buf *out, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    bool space = false;
    size_t start = out->len;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
            space = true;
            continue;
        }
        if (space && out->len > start)
            fl_buf_putc(out, ' ');
        space = false;
        fl_buf_putc(out, *v);
    }
}

static void canonical_headers(const fl_headers *h, const char *signed_headers, fl_buf *out)
{
    const char *p = signed_headers;
    while (*p) {
        size_t n = strcspn(p, ";");
        fl_buf_append(out, p, n);
        fl_buf_putc(out, ':');
        bool first = true;
        for (size_t i = 0; h && i < h->n; i++) {
            if (strlen(h->v[i].name) != n || strncasecmp(h->v[i].name, p, n))
                continue;
            if (!first)
                fl_buf_putc(out, ',');
            put_value(out, h->v[i].value);
            first = false;
        }
        fl_buf_putc(out, '\n');
        p += n + (p[n] == ';');
    }
}

void emu_sigv4_payload_hash(const void *body, size_t len, char hex[65])
{
    uint8_t md[32];
    emu_sha256(body ? body : "", len, md);
    emu_hex(md, 32, hex);
}

void emu_sigv4_canonical_request(const emu_sigv4_request *r, const char *signed_headers, const char *payload_hash,
                                 fl_buf *out)
{
    fl_buf_puts(out, r->method);
    fl_buf_putc(out, '\n');
    fl_aws_canonical_uri(r->path, strlen(r->path), true, out);
    fl_buf_putc(out, '\n');
    if (r->query)
        fl_aws_canonical_query(r->query, strlen(r->query), out);
    fl_buf_putc(out, '\n');
    canonical_headers(r->headers, signed_headers, out);
    fl_buf_putc(out, '\n');
    fl_buf_puts(out, signed_headers);
    fl_buf_putc(out, '\n');
    fl_buf_puts(out, payload_hash);
}

void emu_sigv4_string_to_sign(const char *amz_date, const char *scope, const char *creq, size_t n, fl_buf *out)
{
    uint8_t md[32];
    char hex[65];
    emu_sha256(creq, n, md);
    emu_hex(md, 32, hex);
    fl_buf_printf(out, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, hex);
}

static void hmac(const void *key, size_t klen, const char *data, size_t n, uint8_t out[32])
{
    unsigned len = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)data, n, out, &len);
}

void emu_sigv4_signature(const char *secret, const char *date, const char *region, const char *service,
                         const char *sts, size_t n, char hex[65])
{
    char *k0 = fl_xasprintf("AWS4%s", secret);
    uint8_t k1[32], k2[32], k3[32], k4[32], sig[32];
    hmac(k0, strlen(k0), date, strlen(date), k1);
    hmac(k1, 32, region, strlen(region), k2);
    hmac(k2, 32, service, strlen(service), k3);
    hmac(k3, 32, "aws4_request", 12, k4);
    hmac(k4, 32, sts, n, sig);
    emu_hex(sig, 32, hex);
    OPENSSL_cleanse(k0, strlen(k0));
    free(k0);
}

/* name=value up to ',' in an Authorization header; copies value. */
static bool take_param(const char *p, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    if (strncmp(p, name, nl) || p[nl] != '=')
        return false;
    p += nl + 1;
    size_t len = strcspn(p, ",");
    while (len && (p[len - 1] == ' '))
        len--;
    if (len >= n)
        return false;
    memcpy(out, p, len);
    out[len] = 0;
    return true;
}

int emu_sigv4_parse_authorization(const char *v, emu_sigv4_auth *a)
{
    memset(a, 0, sizeof *a);
    if (!v || strncmp(v, "AWS4-HMAC-SHA256 ", 17))
        return -1;
    const char *p = v + 17;
    char credential[512] = "";
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        if (!take_param(p, "Credential", credential, sizeof credential) &&
            !take_param(p, "SignedHeaders", a->signed_headers, sizeof a->signed_headers) &&
            !take_param(p, "Signature", a->signature, sizeof a->signature))
            return -1;
        p += strcspn(p, ",");
    }
    a->has_credential = credential[0] != 0;
    a->has_signed_headers = a->signed_headers[0] != 0;
    a->has_signature = a->signature[0] != 0;
    if (!a->has_credential || !a->has_signed_headers || !a->has_signature)
        return -2;
    /* AKID/DATE/REGION/SERVICE/aws4_request */
    char *parts[5], *save = NULL;
    size_t k = 0;
    for (char *t = strtok_r(credential, "/", &save); t && k < 5; t = strtok_r(NULL, "/", &save))
        parts[k++] = t;
    if (k != 5 || strtok_r(NULL, "/", &save) || strlen(parts[0]) >= sizeof a->access_key ||
        strlen(parts[1]) != 8 || strlen(parts[2]) >= sizeof a->region || strlen(parts[3]) >= sizeof a->service)
        return -3;
    strcpy(a->access_key, parts[0]);
    strcpy(a->date, parts[1]);
    strcpy(a->region, parts[2]);
    strcpy(a->service, parts[3]);
    a->terminator_ok = !strcmp(parts[4], "aws4_request");
    /* signed header names: lower-case, sorted, ';'-separated, no empties */
    for (const char *s = a->signed_headers; *s; s++)
        if (isupper((unsigned char)*s) || *s == ' ' || (*s == ';' && (s[1] == ';' || s[1] == 0)))
            return -4;
    return 0;
}

static int fail(emu_sigv4_result *res, int status, const char *type, const char *fmt, ...) FL_PRINTF(4, 5);

static int fail(emu_sigv4_result *res, int status, const char *type, const char *fmt, ...)
{
    res->status = status;
    snprintf(res->type, sizeof res->type, "%s", type);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* 20150830T123600Z -> seconds since the epoch; -1 if malformed. */
static long long parse_amz_date(const char *s)
{
    struct tm tm = {0};
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i]))
            return -1;
    sscanf(s, "%4d%2d%2dT%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

static void format_amz_date(long long t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int check_clock(const char *amz, long long now, emu_sigv4_result *res)
{
    long long t = parse_amz_date(amz);
    if (t < 0)
        return fail(res, 400, "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Got '%.40s'. "
                    "See http://en.wikipedia.org/wiki/ISO_8601", amz);
    char a[17], b[17];
    if (now && t < now - SKEW_S) {
        format_amz_date(now - SKEW_S, a);
        format_amz_date(now, b);
        return fail(res, 403, "InvalidSignatureException", "Signature expired: %s is now earlier than %s (%s - 15 min.)",
                    amz, a, b);
    }
    if (now && t > now + SKEW_S) {
        format_amz_date(now + SKEW_S, a);
        format_amz_date(now, b);
        return fail(res, 403, "InvalidSignatureException",
                    "Signature not yet current: %s is still later than %s (%s + 15 min.)", amz, a, b);
    }
    return 0;
}

static int check_scope(const emu_sigv4_auth *a, const emu_sigv4_creds *c, const char *amz, emu_sigv4_result *res)
{
    if (!a->terminator_ok)
        return fail(res, 403, "InvalidSignatureException", "Credential should be scoped with a valid terminator: "
                    "'aws4_request', not '%s'.", "other");
    if (strncmp(a->date, amz, 8))
        return fail(res, 403, "InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from "
                    "ISO-8601 version of date from HTTP: '%s' != '%.8s', from '%s'.", a->date, amz, amz);
    if (strcmp(a->region, c->region))
        return fail(res, 403, "InvalidSignatureException", "Credential should be scoped to a valid region. ");
    if (strcmp(a->service, c->service))
        return fail(res, 403, "InvalidSignatureException", "Credential should be scoped to correct service: '%s'. ",
                    c->service);
    return 0;
}

static bool signed_host(const char *sh)
{
    for (const char *p = sh; *p;) {
        size_t n = strcspn(p, ";");
        if (n == 4 && !strncmp(p, "host", 4))
            return true;
        p += n + (p[n] == ';');
    }
    return false;
}

static const char *header(const fl_headers *h, const char *name)
{
    return h ? fl_headers_get(h, name) : NULL;
}

static int parse_auth(const char *authz, emu_sigv4_auth *a, emu_sigv4_result *res)
{
    int p = emu_sigv4_parse_authorization(authz, a);
    if (p == -2) {
        return fail(res, 400, "IncompleteSignatureException", "%s%s%sAuthorization=%.200s",
                    a->has_credential ? "" : "Authorization header requires 'Credential' parameter. ",
                    a->has_signature ? "" : "Authorization header requires 'Signature' parameter. ",
                    a->has_signed_headers ? "" : "Authorization header requires 'SignedHeaders' parameter. ", authz);
    }
    if (p)
        return fail(res, 400, "IncompleteSignatureException", "Authorization header requires existence of either a "
                    "'X-Amz-Date' or a 'Date' header. Authorization=%.200s", authz);
    if (!signed_host(a->signed_headers))
        return fail(res, 400, "IncompleteSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the "
                    "AWS Authorization.");
    return 0;
}

int emu_sigv4_verify(const emu_sigv4_request *r, const emu_sigv4_creds *c, emu_sigv4_result *res)
{
    memset(res->type, 0, sizeof res->type);
    res->status = 0;
    const char *authz = header(r->headers, "Authorization");
    if (!authz)
        return fail(res, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    emu_sigv4_auth a;
    if (parse_auth(authz, &a, res))
        return -1;
    const char *amz = header(r->headers, "X-Amz-Date");
    if (!amz)
        return fail(res, 400, "IncompleteSignatureException", "Authorization header requires existence of either a "
                    "'X-Amz-Date' or a 'Date' header. Authorization=%.200s", authz);
    if (check_clock(amz, c->now_s, res))
        return -1;
    if (strcmp(a.access_key, c->access_key))
        return fail(res, 403, "UnrecognizedClientException", "The security token included in the request is invalid.");
    if (check_scope(&a, c, amz, res))
        return -1;
    char hash[65];
    emu_sigv4_payload_hash(r->body, r->body_len, hash);
    const char *claimed = header(r->headers, "X-Amz-Content-Sha256");
    if (claimed && strcmp(claimed, "UNSIGNED-PAYLOAD") && strcmp(claimed, hash))
        return fail(res, 400, "InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match "
                    "what was computed.");
    fl_buf_reset(&res->creq);
    fl_buf_reset(&res->sts);
    emu_sigv4_canonical_request(r, a.signed_headers, claimed ? claimed : hash, &res->creq);
    char scope[200];
    snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", a.date, a.region, a.service);
    emu_sigv4_string_to_sign(amz, scope, res->creq.data, res->creq.len, &res->sts);
    char want[65];
    emu_sigv4_signature(c->secret_key, a.date, a.region, a.service, res->sts.data, res->sts.len, want);
    if (strlen(a.signature) != 64 || CRYPTO_memcmp(want, a.signature, 64))
        return fail(res, 403, "InvalidSignatureException", "The request signature we calculated does not match the "
                    "signature you provided. Check your AWS Secret Access Key and signing method. Consult the service "
                    "documentation for details.\n\nThe Canonical String for this request should have been\n'%.600s'\n\n"
                    "The String-to-Sign should have been\n'%.300s'\n", fl_buf_cstr(&res->creq), fl_buf_cstr(&res->sts));
    return 0;
}

void emu_sigv4_result_free(emu_sigv4_result *res)
{
    fl_buf_free(&res->creq);
    fl_buf_free(&res->sts);
}
