/* Registry authentication, driven by the WWW-Authenticate challenge of a
 * 401: Basic with the user's credentials, or a Bearer token fetched from the
 * realm the registry names (with the credentials, when there are some and
 * the token service is HTTPS or on loopback). */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "packer/internal.h"

#ifndef FL_VERSION
#define FL_VERSION "dev"
#endif
#define USER_AGENT "faas-lambda/" FL_VERSION
#define MAX_TRIES 5

static char *b64(const char *s)
{
    size_t n = strlen(s);
    char *out = fl_xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

static char *esc(pk_registry *r, const char *s)
{
    char *e = curl_easy_escape((CURL *)r->h, s, 0);
    char *out = fl_xstrdup(e ? e : "");
    curl_free(e);
    return out;
}

static void set_authz(pk_registry *r, char *value)
{
    free(r->authz);
    r->authz = value;
}

static int fetch_token(pk_registry *r, const pk_auth_challenge *c, fl_err *err)
{
    if (strncmp(c->realm, "https://", 8) && strncmp(c->realm, "http://", 7))
        return fl_fail(err, "registry %s: token realm %s is not an http(s) URL", r->host, c->realm);
    bool plain = !strncmp(c->realm, "http://", 7);
    fl_buf url = {0};
    fl_buf_printf(&url, "%s%s", c->realm, strchr(c->realm, '?') ? "&" : "?");
    if (c->service) {
        char *s = esc(r, c->service);
        fl_buf_printf(&url, "service=%s", s);
        free(s);
    }
    /* our scopes (pull, push, mount source) and the one asked for */
    fl_buf scopes = {0};
    fl_buf_puts(&scopes, r->scopes);
    if (c->scope && !strstr(r->scopes, c->scope))
        fl_buf_printf(&scopes, " %s", c->scope);
    char *save = NULL;
    for (char *sc = strtok_r(fl_buf_cstr(&scopes), " ", &save); sc; sc = strtok_r(NULL, " ", &save)) {
        char *s = esc(r, sc);
        fl_buf_printf(&url, "%sscope=%s", c->service ? "&" : "", s);
        free(s);
    }
    fl_buf_free(&scopes);
    const char *rest = c->realm + (plain ? 7 : 8);
    char *realm_host = fl_xstrndup(rest, strcspn(rest, "/?"));
    bool send_creds = r->basic && (!plain || pk_host_is_loopback(realm_host));
    if (r->basic && !send_creds)
        fl_warn("registry %s: not sending credentials to the plain-HTTP token service %s", r->host, realm_host);
    free(realm_host);
    fl_headers hs = {0};
    fl_headers_add(&hs, "User-Agent", USER_AGENT);
    fl_http_req req = {.url = fl_buf_cstr(&url), .headers = &hs, .timeout_ms = 60000, .connect_timeout_ms = 30000,
                       .max_body = 1u << 20, .userpwd = send_creds ? r->basic : NULL,
                       .no_proxy = r->loopback};
    fl_http_resp resp;
    int rc = -1;
    for (int i = 0; i < MAX_TRIES; i++) {
        rc = fl_http_do(r->h, &req, &resp, err);
        if (rc == 0 && resp.status != 429 && resp.status < 500)
            break;
        fl_http_resp_free(&resp);
        fl_sleep_us(250000ull << i);
    }
    fl_buf_free(&url);
    fl_headers_free(&hs);
    if (rc)
        return fl_fail_wrap(err, "registry %s: getting a token", r->host);
    char ex[160];
    if (resp.status == 401 || resp.status == 403) {
        rc = fl_fail(err, "registry %s: the token service refused %s (%d): %s", r->host,
                     r->basic ? "these credentials" : "anonymous access; pass --creds USER:PASS", resp.status,
                     pk_reg_excerpt(&resp.body, ex));
    } else if (resp.status != 200) {
        rc = fl_fail(err, "registry %s: the token service answered %d: %s", r->host, resp.status,
                     pk_reg_excerpt(&resp.body, ex));
    } else {
        cJSON *j = cJSON_ParseWithLength(resp.body.data, resp.body.len);
        const char *tok = fl_json_str(j, "token");
        if (!tok || !*tok)
            tok = fl_json_str(j, "access_token");
        if (tok && *tok && strlen(tok) < 65536 && !strpbrk(tok, "\r\n"))
            set_authz(r, fl_xasprintf("Bearer %s", tok));
        else
            rc = fl_fail(err, "registry %s: the token service gave no token", r->host);
        cJSON_Delete(j);
    }
    fl_http_resp_free(&resp);
    return rc;
}

int pk_reg_authenticate(pk_registry *r, const fl_http_resp *resp, int round, fl_err *err)
{
    const char *h = fl_headers_get(&resp->headers, "WWW-Authenticate");
    if (!h)
        return fl_fail(err, "registry %s answered 401 without a WWW-Authenticate challenge", r->host);
    pk_auth_challenge c;
    if (pk_auth_parse(h, &c, err))
        return fl_fail_wrap(err, "registry %s", r->host);
    int rc = 0;
    if (!strcasecmp(c.scheme, "Basic")) {
        if (!r->basic)
            rc = fl_fail(err,
                         "registry %s needs credentials: pass --creds USER:PASS or log in with docker login "
                         "(~/.docker/config.json)",
                         r->host);
        else if (round > 0)
            rc = fl_fail(err, "registry %s refused the credentials for %.*s", r->host,
                         (int)strcspn(r->basic, ":"), r->basic);
        else {
            char *e = b64(r->basic);
            set_authz(r, fl_xasprintf("Basic %s", e));
            free(e);
        }
    } else if (!strcasecmp(c.scheme, "Bearer")) {
        rc = round > 1 ? fl_fail(err, "registry %s: access to %s denied (%s)", r->host, r->repo, r->scopes)
                       : fetch_token(r, &c, err);
    } else {
        rc = fl_fail(err, "registry %s asks for %s authentication, which faas-lambda does not speak", r->host,
                     c.scheme);
    }
    pk_auth_challenge_free(&c);
    return rc;
}
