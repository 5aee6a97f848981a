/* Registry authentication: the WWW-Authenticate challenge (RFC 7235 syntax,
 * as registries send it: Bearer realm="...",service="...",scope="..."), and
 * credentials from a docker config.json ("auths": {"host": {"auth":
 * base64(user:pass)}}). Credential helpers are not run. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "packer/internal.h"

#define MAX_PARAM 4096

void pk_auth_challenge_free(pk_auth_challenge *c)
{
    free(c->realm);
    free(c->service);
    free(c->scope);
    memset(c, 0, sizeof *c);
}

static bool is_tchar(char c)
{
    return c && (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* token or quoted-string; returns the end, or NULL when malformed. */
static const char *value(const char *p, fl_buf *out)
{
    if (*p != '"') {
        const char *s = p;
        while (is_tchar(*p) || *p == '/' || *p == ':' || *p == '=')
            p++;
        if (p == s)
            return NULL;
        fl_buf_append(out, s, (size_t)(p - s));
        return p;
    }
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
            p++;
        if (out->len >= MAX_PARAM)
            return NULL;
        fl_buf_putc(out, *p);
    }
    return *p == '"' ? p + 1 : NULL;
}

static int parse_one(const char **pp, pk_auth_challenge *c, fl_err *err)
{
    const char *p = skip_ws(*pp), *s = p;
    while (is_tchar(*p))
        p++;
    if (p == s || (size_t)(p - s) >= sizeof c->scheme)
        return fl_fail(err, "WWW-Authenticate without an auth scheme");
    memcpy(c->scheme, s, (size_t)(p - s));
    c->scheme[p - s] = 0;
    p = skip_ws(p);
    for (;;) {
        const char *ks = p;
        while (is_tchar(*p))
            p++;
        size_t klen = (size_t)(p - ks);
        const char *q = skip_ws(p);
        if (klen == 0 || *q != '=') { /* the next challenge starts here, or the end */
            *pp = ks;
            return 0;
        }
        fl_buf v = {0};
        const char *end = value(skip_ws(q + 1), &v);
        if (!end) {
            fl_buf_free(&v);
            return fl_fail(err, "WWW-Authenticate: a malformed parameter value");
        }
        char **slot = klen == 5 && !strncasecmp(ks, "realm", 5)     ? &c->realm
                      : klen == 7 && !strncasecmp(ks, "service", 7) ? &c->service
                      : klen == 5 && !strncasecmp(ks, "scope", 5)   ? &c->scope
                                                                     : NULL;
        if (slot) {
            free(*slot);
            *slot = fl_buf_steal(&v);
        }
        fl_buf_free(&v);
        p = skip_ws(end);
        if (*p != ',') {
            *pp = p;
            return 0;
        }
        p = skip_ws(p + 1);
        while (*p == ',')
            p = skip_ws(p + 1);
    }
}

int pk_auth_parse(const char *v, pk_auth_challenge *out, fl_err *err)
{
    memset(out, 0, sizeof *out);
    const char *p = v;
    bool have = false;
    while (*skip_ws(p)) {
        pk_auth_challenge c;
        memset(&c, 0, sizeof c);
        const char *before = p;
        if (parse_one(&p, &c, err)) {
            pk_auth_challenge_free(&c);
            break;
        }
        /* Bearer is what registries mean; Basic is the fallback */
        if (!have || (!strcasecmp(c.scheme, "Bearer") && strcasecmp(out->scheme, "Bearer"))) {
            pk_auth_challenge_free(out);
            *out = c;
            have = true;
        } else {
            pk_auth_challenge_free(&c);
        }
        if (p == before)
            break;
    }
    if (!have)
        return fl_fail(err, "cannot read the registry's WWW-Authenticate header \"%.200s\"", v);
    if (!strcasecmp(out->scheme, "Bearer") && (!out->realm || !*out->realm)) {
        pk_auth_challenge_free(out);
        return fl_fail(err, "the registry asks for a Bearer token but names no realm");
    }
    return 0;
}

/* "https://index.docker.io/v1/" -> "index.docker.io"; Hub aliases -> docker.io. */
static char *config_host(const char *key)
{
    const char *p = key;
    if (!strncmp(p, "https://", 8))
        p += 8;
    else if (!strncmp(p, "http://", 7))
        p += 7;
    char *h = fl_xstrndup(p, strcspn(p, "/"));
    if (!strcmp(h, "index.docker.io") || !strcmp(h, "registry-1.docker.io")) {
        free(h);
        h = fl_xstrdup("docker.io");
    }
    return h;
}

static char *b64_creds(const char *b64)
{
    size_t n = strlen(b64);
    if (n == 0 || n > 8192 || n % 4)
        return NULL;
    unsigned char *raw = fl_xmalloc(n);
    int m = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    if (m < 0) {
        free(raw);
        return NULL;
    }
    while (m > 0 && n > 0 && b64[--n] == '=')
        m--;
    char *s = fl_xstrndup((char *)raw, (size_t)m);
    free(raw);
    if (strlen(s) != (size_t)m || !strchr(s, ':')) {
        free(s);
        return NULL;
    }
    return s;
}

static char *default_config(void)
{
    const char *d = getenv("DOCKER_CONFIG");
    if (d && *d)
        return fl_xasprintf("%s/config.json", d);
    const char *home = getenv("HOME");
    return home && *home ? fl_xasprintf("%s/.docker/config.json", home) : NULL;
}

int pk_docker_config_creds(const char *file, const char *domain, char **out, fl_err *err)
{
    *out = NULL;
    char *path = file ? fl_xstrdup(file) : default_config();
    if (!path)
        return 0;
    fl_buf b = {0};
    fl_err rerr;
    if (fl_read_file(path, 1u << 20, &b, &rerr)) {
        int rc = file ? fl_fail(err, "--docker-config: %s", rerr.msg) : 0;
        free(path);
        fl_buf_free(&b);
        return rc;
    }
    cJSON *root = cJSON_ParseWithLength(b.data, b.len);
    fl_buf_free(&b);
    if (!cJSON_IsObject(root)) {
        fl_warn("%s is not a JSON object: ignoring it", path);
        cJSON_Delete(root);
        free(path);
        return 0;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, fl_json_obj(root, "auths")) {
        char *h = config_host(e->string);
        bool match = !strcmp(h, domain);
        free(h);
        if (!match)
            continue;
        const char *auth = fl_json_str(e, "auth"), *user = fl_json_str(e, "username"),
                   *pass = fl_json_str(e, "password");
        if (auth && *auth)
            *out = b64_creds(auth);
        else if (user && pass)
            *out = fl_xasprintf("%s:%s", user, pass);
        if (!*out && fl_json_str(e, "identitytoken"))
            fl_warn("%s: identity tokens for %s are not supported; pass --creds USER:PASS", path, domain);
        else if (!*out)
            fl_warn("%s: the credentials for %s cannot be read; pass --creds USER:PASS", path, domain);
        break;
    }
    if (!*out) {
        const cJSON *helpers = fl_json_obj(root, "credHelpers");
        const char *store = fl_json_str(root, "credsStore");
        cJSON_ArrayForEach(e, helpers) {
            char *h = config_host(e->string);
            if (!strcmp(h, domain))
                fl_warn("%s: credential helper %s for %s is not run by faas-lambda; pass --creds USER:PASS", path,
                        cJSON_IsString(e) ? e->valuestring : "?", domain);
            free(h);
        }
        (void)store; /* a store holds credentials we cannot read either; anonymous is tried first */
    }
    cJSON_Delete(root);
    free(path);
    return 0;
}
