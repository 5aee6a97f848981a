/* Credentials fetched over HTTP: STS AssumeRoleWithWebIdentity (what EKS's
 * IAM roles for service accounts provide: a token file and a role) and the
 * container credentials endpoint (ECS task roles, EKS Pod Identity). Both
 * answers are parsed here; the requests are unsigned. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/aws.h"
#include "provider/internal.h"

#define STS_ANSWER_MAX (64u << 10)

/* The text of the first <tag>...</tag> after from, XML entities decoded. */
static char *xml_text(const char *xml, size_t len, const char *from, const char *tag)
{
    const char *p = xml, *end = xml + len;
    if (from) {
        p = memmem(xml, len, from, strlen(from));
        if (!p)
            return NULL;
    }
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = memmem(p, (size_t)(end - p), open, strlen(open));
    if (!a)
        return NULL;
    a += strlen(open);
    const char *b = memmem(a, (size_t)(end - a), close, strlen(close));
    if (!b)
        return NULL;
    fl_buf out = {0};
    for (const char *q = a; q < b; q++) {
        static const struct {
            const char *e;
            char c;
        } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        bool done = false;
        for (size_t i = 0; i < 5 && *q == '&'; i++) {
            size_t el = strlen(ents[i].e);
            if ((size_t)(b - q) >= el && !memcmp(q, ents[i].e, el)) {
                fl_buf_putc(&out, ents[i].c);
                q += el - 1;
                done = true;
                break;
            }
        }
        if (!done)
            fl_buf_putc(&out, *q);
    }
    return fl_buf_steal(&out);
}

static int expiry_ms(const char *t, int64_t *ms)
{
    if (!t)
        return -1;
    return pv_parse_rfc3339(t, ms);
}

int pv_sts_parse(const char *xml, size_t len, pv_cred *out, fl_err *err)
{
    memset(out, 0, sizeof *out);
    char *code = xml_text(xml, len, "<Error>", "Code");
    if (code) {
        char *msg = xml_text(xml, len, "<Error>", "Message");
        fl_fail(err, "STS AssumeRoleWithWebIdentity failed: %.100s: %.300s", code, msg ? msg : "");
        free(code);
        free(msg);
        return -1;
    }
    out->akid = xml_text(xml, len, "<Credentials>", "AccessKeyId");
    out->secret = xml_text(xml, len, "<Credentials>", "SecretAccessKey");
    out->token = xml_text(xml, len, "<Credentials>", "SessionToken");
    char *exp = xml_text(xml, len, "<Credentials>", "Expiration");
    int rc = 0;
    if (!out->akid || !out->secret || !out->token || expiry_ms(exp, &out->expires_ms))
        rc = fl_fail(err, "STS answered without complete credentials (AccessKeyId, SecretAccessKey, SessionToken, "
                          "Expiration)");
    free(exp);
    if (rc)
        pv_cred_clear(out);
    return rc;
}

int pv_container_creds_parse(const char *json, size_t len, pv_cred *out, fl_err *err)
{
    memset(out, 0, sizeof *out);
    cJSON *doc = cJSON_ParseWithLength(json, len);
    const char *a = fl_json_str(doc, "AccessKeyId"), *s = fl_json_str(doc, "SecretAccessKey"),
               *t = fl_json_str(doc, "Token"), *e = fl_json_str(doc, "Expiration");
    int rc = 0;
    if (!a || !s) {
        const char *m = fl_json_str(doc, "message");
        if (!m)
            m = fl_json_str(doc, "Message");
        rc = fl_fail(err, "the container credentials endpoint answered without AccessKeyId and SecretAccessKey%s%.200s",
                     m ? ": " : "", m ? m : "");
    } else {
        out->akid = fl_xstrdup(a);
        out->secret = fl_xstrdup(s);
        out->token = t && *t ? fl_xstrdup(t) : NULL;
        if (e && expiry_ms(e, &out->expires_ms))
            rc = fl_fail(err, "the container credentials endpoint answered an unreadable Expiration \"%.40s\"", e);
    }
    cJSON_Delete(doc);
    if (rc)
        pv_cred_clear(out);
    return rc;
}

/* The host of an http(s) URL, without brackets or port. */
static bool url_host(const char *url, char *host, size_t n, bool *https)
{
    const char *p;
    if (fl_str_has_prefix(url, "https://"))
        *https = true, p = url + 8;
    else if (fl_str_has_prefix(url, "http://"))
        *https = false, p = url + 7;
    else
        return false;
    size_t l;
    if (*p == '[') {
        p++;
        l = strcspn(p, "]");
        if (!p[l])
            return false;
    } else {
        l = strcspn(p, ":/?#");
    }
    if (l == 0 || l >= n)
        return false;
    memcpy(host, p, l);
    host[l] = 0;
    return true;
}

bool pv_container_uri_allowed(const char *url)
{
    char host[256];
    bool https;
    if (!url_host(url, host, sizeof host, &https))
        return false;
    if (https)
        return true;
    if (!strcmp(host, "localhost") || !strcmp(host, "169.254.170.2") || !strcmp(host, "169.254.170.23"))
        return true;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        static const unsigned char eks[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23};
        return IN6_IS_ADDR_LOOPBACK(&a6) || !memcmp(&a6, eks, 16);
    }
    return false;
}
