/* The AWS credential chain, in the order the AWS SDKs search it, with
 * refreshing of temporary credentials before they expire. Keys are never
 * logged: only where they come from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/aws.h"
#include "provider/internal.h"

#define TOKEN_FILE_MAX (64u << 10)
#define ECS_HOST "http://169.254.170.2"

static void wipe_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

void pv_cred_clear(pv_cred *c)
{
    wipe_free(c->akid);
    wipe_free(c->secret);
    wipe_free(c->token);
    memset(c, 0, sizeof *c);
}

void pv_cred_copy(pv_cred *dst, const pv_cred *src)
{
    dst->akid = src->akid ? fl_xstrdup(src->akid) : NULL;
    dst->secret = src->secret ? fl_xstrdup(src->secret) : NULL;
    dst->token = src->token ? fl_xstrdup(src->token) : NULL;
    dst->expires_ms = src->expires_ms;
}

static pv_creds *creds_new(pv_cred_kind kind, const char *source)
{
    pv_creds *c = fl_xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->kind = kind;
    snprintf(c->source, sizeof c->source, "%s", source);
    return c;
}

pv_creds *pv_creds_static(const char *akid, const char *secret, const char *token, const char *source)
{
    pv_creds *c = creds_new(PV_CRED_STATIC, source);
    c->cur.akid = fl_xstrdup(akid);
    c->cur.secret = fl_xstrdup(secret);
    c->cur.token = token && *token ? fl_xstrdup(token) : NULL;
    c->have = true;
    return c;
}

void pv_creds_free(pv_creds *c)
{
    if (!c)
        return;
    pv_cred_clear(&c->cur);
    free(c->role_arn);
    free(c->token_file);
    free(c->session_name);
    free(c->sts_endpoint);
    free(c->container_url);
    wipe_free(c->container_token);
    free(c->container_token_file);
    fl_http_handle_free(c->h);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* A token file's content without trailing whitespace. */
static int read_token(const char *path, fl_buf *out, fl_err *err)
{
    if (fl_read_file(path, TOKEN_FILE_MAX, out, err))
        return -1;
    while (out->len && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r' ||
                        out->data[out->len - 1] == ' '))
        out->len--;
    fl_buf_cstr(out);
    if (!out->len || memchr(out->data, '\n', out->len) || memchr(out->data, '\r', out->len))
        return fl_fail(err, "token file %s is empty or holds more than one line", path);
    return 0;
}

static void form_field(fl_buf *b, const char *k, const char *v)
{
    if (b->len)
        fl_buf_putc(b, '&');
    fl_buf_puts(b, k);
    fl_buf_putc(b, '=');
    fl_aws_uri_encode(b, v, strlen(v), false);
}

static int fetch_web_identity(pv_creds *c, pv_cred *out, fl_err *err)
{
    fl_buf token = {0}, body = {0};
    if (read_token(c->token_file, &token, err)) {
        fl_buf_free(&token);
        return -1;
    }
    form_field(&body, "Action", "AssumeRoleWithWebIdentity");
    form_field(&body, "Version", "2011-06-15");
    form_field(&body, "RoleArn", c->role_arn);
    form_field(&body, "RoleSessionName", c->session_name);
    form_field(&body, "WebIdentityToken", token.data);
    memset(token.data, 0, token.len);
    fl_buf_free(&token);
    fl_headers hs = {0};
    fl_headers_add(&hs, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    char *url = fl_xasprintf("%s/", c->sts_endpoint);
    fl_http_req req = {.method = "POST", .url = url, .headers = &hs, .body = body.data, .body_len = body.len,
                       .has_body = true, .timeout_ms = 15000, .connect_timeout_ms = 5000, .max_body = 65536};
    fl_http_resp resp;
    int rc = fl_http_do(c->h, &req, &resp, err);
    if (rc == 0) {
        rc = pv_sts_parse(resp.body.data ? resp.body.data : "", resp.body.len, out, err);
        if (rc == 0 && resp.status != 200)
            rc = fl_fail(err, "STS answered %d", resp.status);
        if (rc)
            fl_fail_wrap(err, "web identity credentials (role %s, STS %s)", c->role_arn, c->sts_endpoint);
    }
    memset(body.data, 0, body.len);
    fl_buf_free(&body);
    if (resp.body.data)
        memset(resp.body.data, 0, resp.body.len);
    fl_http_resp_free(&resp);
    fl_headers_free(&hs);
    free(url);
    return rc;
}

static int fetch_container(pv_creds *c, pv_cred *out, fl_err *err)
{
    fl_headers hs = {0};
    fl_buf token = {0};
    if (c->container_token_file) {
        if (read_token(c->container_token_file, &token, err)) {
            fl_buf_free(&token);
            return -1;
        }
        fl_headers_add(&hs, "Authorization", token.data);
        memset(token.data, 0, token.len);
    } else if (c->container_token) {
        fl_headers_add(&hs, "Authorization", c->container_token);
    }
    fl_buf_free(&token);
    fl_http_req req = {.method = "GET", .url = c->container_url, .headers = &hs, .timeout_ms = 5000,
                       .connect_timeout_ms = 2000, .max_body = 65536, .no_proxy = true};
    fl_http_resp resp;
    int rc = fl_http_do(c->h, &req, &resp, err);
    if (rc == 0 && resp.status != 200)
        rc = fl_fail(err, "the container credentials endpoint %s answered %d", c->container_url, resp.status);
    else if (rc == 0)
        rc = pv_container_creds_parse(resp.body.data ? resp.body.data : "", resp.body.len, out, err);
    for (size_t i = 0; i < hs.n; i++)
        memset(hs.v[i].value, 0, strlen(hs.v[i].value));
    fl_headers_free(&hs);
    if (resp.body.data)
        memset(resp.body.data, 0, resp.body.len);
    fl_http_resp_free(&resp);
    return rc;
}

static int refresh(pv_creds *c, fl_err *err)
{
    if (!c->h)
        c->h = fl_http_handle();
    pv_cred fresh = {0};
    int rc = c->kind == PV_CRED_WEB_IDENTITY ? fetch_web_identity(c, &fresh, err) : fetch_container(c, &fresh, err);
    if (rc)
        return -1;
    pv_cred_clear(&c->cur);
    c->cur = fresh;
    c->have = true;
    fl_debug("provider: AWS credentials from %s refreshed", c->source);
    return 0;
}

bool pv_creds_fresh(pv_creds *c)
{
    pthread_mutex_lock(&c->mu);
    int64_t now = (int64_t)fl_wall_ms();
    bool fresh = c->kind == PV_CRED_STATIC ||
                 (c->have && (!c->cur.expires_ms || c->cur.expires_ms - PV_CRED_REFRESH_MS > now));
    pthread_mutex_unlock(&c->mu);
    return fresh;
}

int pv_creds_get(pv_creds *c, pv_cred *out, fl_err *err)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&c->mu);
    int64_t now = (int64_t)fl_wall_ms();
    bool expiring = c->have && c->cur.expires_ms && c->cur.expires_ms - PV_CRED_REFRESH_MS <= now;
    int rc = 0;
    if (c->kind != PV_CRED_STATIC && (!c->have || expiring)) {
        fl_err e2;
        if (refresh(c, &e2)) {
            if (c->have && c->cur.expires_ms > now) {
                fl_warn("provider: refreshing AWS credentials failed, the current ones stay until they expire: %s",
                        e2.msg);
            } else {
                rc = -1;
                if (err)
                    *err = e2;
            }
        }
    }
    if (rc == 0)
        pv_cred_copy(out, &c->cur);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* ---- the chain ---- */

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static char *read_optional(const char *path)
{
    fl_buf b = {0};
    fl_err err;
    if (fl_read_file(path, 1u << 20, &b, &err)) {
        fl_buf_free(&b);
        return NULL;
    }
    return fl_buf_steal(&b);
}

static char *home_file(const char *var, const char *rel)
{
    if (env(var))
        return fl_xstrdup(env(var));
    const char *home = env("HOME");
    return home ? fl_xasprintf("%s/%s", home, rel) : NULL;
}

static char *sts_endpoint(const char *region)
{
    const char *e = env("AWS_ENDPOINT_URL_STS");
    if (!e)
        e = env("AWS_ENDPOINT_URL");
    if (e) {
        size_t n = strlen(e);
        while (n && e[n - 1] == '/')
            n--;
        return fl_xstrndup(e, n);
    }
    return region ? fl_xasprintf("https://sts.%s.amazonaws.com", region) : fl_xstrdup("https://sts.amazonaws.com");
}

static pv_creds *web_identity(const char *role, const char *file, const char *session, const char *region,
                              const char *source)
{
    pv_creds *c = creds_new(PV_CRED_WEB_IDENTITY, source);
    c->role_arn = fl_xstrdup(role);
    c->token_file = fl_xstrdup(file);
    c->session_name = session ? fl_xstrdup(session)
                              : fl_xasprintf("faas-lambda-%llu", (unsigned long long)(fl_wall_ms() / 1000));
    c->sts_endpoint = sts_endpoint(region);
    return c;
}

static int container(pv_creds **out, fl_err *err)
{
    const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!rel && !full)
        return 0;
    char *url = rel ? fl_xasprintf("%s%s%s", ECS_HOST, rel[0] == '/' ? "" : "/", rel) : fl_xstrdup(full);
    if (!rel && !pv_container_uri_allowed(url)) {
        fl_fail(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI %s is not allowed: use https, or http to a loopback "
                     "address, 169.254.170.2 or 169.254.170.23", url);
        free(url);
        return -1;
    }
    pv_creds *c = creds_new(PV_CRED_CONTAINER, "the container credentials endpoint");
    c->container_url = url;
    if (env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
        c->container_token_file = fl_xstrdup(env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
    else if (env("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
        c->container_token = fl_xstrdup(env("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    *out = c;
    return 0;
}

static int from_profile(const pv_profile *p, const char *name, const char *region, pv_creds **out, fl_err *err)
{
    char src[96];
    if (p->cred.akid) {
        snprintf(src, sizeof src, "the shared files, profile %.40s", name);
        *out = pv_creds_static(p->cred.akid, p->cred.secret, p->cred.token, src);
        return 0;
    }
    if (p->role_arn && p->web_identity_token_file) {
        snprintf(src, sizeof src, "web identity, profile %.40s", name);
        *out = web_identity(p->role_arn, p->web_identity_token_file, p->role_session_name, region, src);
        return 0;
    }
    if (p->unsupported)
        return fl_fail(err, "AWS profile %s uses %s, which faas-lambda does not support: give keys, a web identity "
                            "(role_arn + web_identity_token_file) or the environment variables", name,
                       p->unsupported);
    return 0;
}

int pv_creds_chain(const char *region, pv_creds **out, char **region_out, fl_err *err)
{
    *out = NULL;
    const char *profile = env("AWS_PROFILE") ? env("AWS_PROFILE") : env("AWS_DEFAULT_PROFILE");
    char *cpath = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    char *fpath = home_file("AWS_CONFIG_FILE", ".aws/config");
    char *ctext = cpath ? read_optional(cpath) : NULL, *ftext = fpath ? read_optional(fpath) : NULL;
    pv_profile prof;
    int rc = pv_profile_resolve(ctext, ftext, profile ? profile : "default", &prof, err);
    wipe_free(ctext);
    free(ftext);
    free(cpath);
    free(fpath);
    if (rc)
        return -1;
    if (region_out && prof.region)
        *region_out = fl_xstrdup(prof.region);
    if (!region)
        region = prof.region;
    const char *akid = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    if (akid || secret) {
        if (!akid || !secret)
            rc = fl_fail(err, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
        else
            *out = pv_creds_static(akid, secret, env("AWS_SESSION_TOKEN"), "the environment");
    } else if (env("AWS_WEB_IDENTITY_TOKEN_FILE") && env("AWS_ROLE_ARN")) {
        *out = web_identity(env("AWS_ROLE_ARN"), env("AWS_WEB_IDENTITY_TOKEN_FILE"), env("AWS_ROLE_SESSION_NAME"),
                            region, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)");
    } else if (profile && !prof.found) {
        rc = fl_fail(err, "AWS profile %s is in neither the credentials nor the config file", profile);
    } else {
        rc = from_profile(&prof, profile ? profile : "default", region, out, err);
        if (rc == 0 && !*out)
            rc = container(out, err);
    }
    pv_profile_free(&prof);
    if (rc == 0 && !*out)
        rc = fl_fail(err, "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile "
                          "(AWS_PROFILE, ~/.aws/credentials), a web identity (AWS_WEB_IDENTITY_TOKEN_FILE and "
                          "AWS_ROLE_ARN) or container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)");
    if (rc == 0) {
        pv_cred first;
        rc = pv_creds_get(*out, &first, err);
        pv_cred_clear(&first);
    }
    if (rc) {
        pv_creds_free(*out);
        *out = NULL;
        if (region_out) {
            free(*region_out);
            *region_out = NULL;
        }
        return -1;
    }
    fl_info("provider: AWS credentials from %s", (*out)->source);
    return 0;
}

static bool loopback_url(const char *url)
{
    char *host = pv_url_host(url);
    bool lo = !strcmp(host, "127.0.0.1") || !strcmp(host, "localhost") || !strcmp(host, "[::1]") ||
              fl_str_has_prefix(host, "127.");
    free(host);
    return lo;
}

int pv_creds_for_endpoint(const char *endpoint, const char *region, pv_creds **out, char **region_out, fl_err *err)
{
    fl_err cerr;
    if (pv_creds_chain(region, out, region_out, &cerr) == 0)
        return 0;
    if (!endpoint || !loopback_url(endpoint)) {
        *err = cerr;
        return -1;
    }
    /* a local Lambda (an emulator) takes any keys */
    *out = pv_creds_static("AKIDFAASLAMBDA", "faas-lambda", NULL, "placeholder keys for a local endpoint");
    return 0;
}
