/* A registry client for the Distribution API v2 on fl_http_do (libcurl):
 * HTTPS unless the host is loopback or named with --insecure-registry; the
 * anonymous, Basic and Bearer-token flows driven by WWW-Authenticate;
 * retries with backoff on 429, 5xx and broken transfers; blobs followed
 * through redirects and checked (size, SHA-256) as they arrive. */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "packer/internal.h"

#ifndef FL_VERSION
#define FL_VERSION "dev"
#endif
#define USER_AGENT "faas-lambda/" FL_VERSION
#define MAX_TRIES 5
#define ACCEPT_MANIFESTS                                                                                    \
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "               \
    "application/vnd.docker.distribution.manifest.list.v2+json, "                                         \
    "application/vnd.docker.distribution.manifest.v2+json"

bool pk_host_is_loopback(const char *host)
{
    size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
    return (n == 9 && !strncmp(host, "localhost", 9)) || !strncmp(host, "127.", 4) ||
           (n == 5 && !strncmp(host, "[::1]", 5));
}

static bool insecure_ok(const char *host, char *const *insecure)
{
    for (size_t i = 0; insecure && insecure[i]; i++)
        if (!strcmp(insecure[i], host))
            return true;
    return pk_host_is_loopback(host);
}

int pk_reg_open(pk_registry **out, const pk_ref *ref, const pk_reg_opts *o, fl_err *err)
{
    pk_registry *r = fl_xcalloc(1, sizeof *r);
    r->domain = fl_xstrdup(ref->domain);
    r->host = fl_xstrdup(pk_ref_endpoint(ref));
    r->repo = fl_xstrdup(ref->repo);
    r->loopback = pk_host_is_loopback(r->host);
    r->base = fl_xasprintf("%s://%s", insecure_ok(r->host, o->insecure) ? "http" : "https", r->host);
    r->progress = o->progress;
    r->scopes = o->mount_from ? fl_xasprintf("repository:%s:%s repository:%s:pull", r->repo,
                                             o->push ? "pull,push" : "pull", o->mount_from)
                              : fl_xasprintf("repository:%s:%s", r->repo, o->push ? "pull,push" : "pull");
    if (o->creds)
        r->basic = fl_xstrdup(o->creds);
    else if (pk_docker_config_creds(o->docker_config, r->domain, &r->basic, err)) {
        pk_reg_close(r);
        return -1;
    }
    r->h = fl_http_handle();
    *out = r;
    return 0;
}

void pk_reg_close(pk_registry *r)
{
    if (!r)
        return;
    fl_http_handle_free(r->h);
    free(r->domain);
    free(r->host);
    free(r->base);
    free(r->repo);
    free(r->basic);
    free(r->authz);
    free(r->scopes);
    free(r);
}


/* A short printable excerpt of an error body, for messages. */
const char *pk_reg_excerpt(const fl_buf *b, char out[160])
{
    size_t n = 0;
    for (size_t i = 0; i < b->len && n < 150; i++) {
        unsigned char c = (unsigned char)b->data[i];
        out[n++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
    }
    out[n] = 0;
    return out;
}

static bool retryable_transport(int code)
{
    return code != CURLE_COULDNT_CONNECT && code != CURLE_COULDNT_RESOLVE_HOST &&
           code != CURLE_COULDNT_RESOLVE_PROXY && code != CURLE_SSL_CONNECT_ERROR &&
           code != CURLE_PEER_FAILED_VERIFICATION && code != CURLE_WRITE_ERROR &&
           code != CURLE_UNSUPPORTED_PROTOCOL && code != CURLE_URL_MALFORMAT;
}

static uint64_t backoff_us(const fl_http_resp *resp, int attempt)
{
    uint64_t us = 250000ull << attempt;
    const char *ra = resp ? fl_headers_get(&resp->headers, "Retry-After") : NULL;
    uint64_t secs;
    if (ra && fl_parse_u64(ra, 30, &secs) == 0)
        us = secs * 1000000ull;
    return us;
}

/* One request with authentication and retries; resp is the final answer. */
int pk_reg_send(pk_registry *r, const pk_reg_req *q, fl_http_resp *resp, fl_err *err)
{
    int auth_round = 0;
    for (int attempt = 0;;) {
        fl_headers hs = {0};
        fl_headers_add(&hs, "User-Agent", USER_AGENT);
        if (q->accept)
            fl_headers_add(&hs, "Accept", q->accept);
        if (q->content_type)
            fl_headers_add(&hs, "Content-Type", q->content_type);
        if (q->content_range)
            fl_headers_add(&hs, "Content-Range", q->content_range);
        if (r->authz)
            fl_headers_add(&hs, "Authorization", r->authz);
        if (q->reset)
            q->reset(q->sink_ud);
        fl_http_req req = {.method = q->method, .url = q->url, .headers = &hs, .body = q->body,
                           .body_len = q->body_len, .has_body = q->has_body, .timeout_ms = q->timeout_ms,
                           .connect_timeout_ms = 30000, .max_body = q->max_body, .sink = q->sink,
                           .sink_ud = q->sink_ud, .no_proxy = r->loopback, .follow_redirects = q->follow};
        int rc = fl_http_do(r->h, &req, resp, err);
        fl_headers_free(&hs);
        if (rc && resp->status == 0) { /* no answer at all */
            if (retryable_transport(resp->curl_code) && ++attempt < MAX_TRIES) {
                fl_debug("%s %s: %s; retrying", q->method, q->url, err->msg);
                fl_http_resp_free(resp);
                fl_sleep_us(backoff_us(NULL, attempt));
                continue;
            }
            fl_fail_wrap(err, "cannot reach registry %s", r->host);
            fl_http_resp_free(resp);
            return -2;
        }
        if (rc && resp->status != 401 && resp->status != 429 && resp->status < 500) {
            fl_http_resp_free(resp); /* too large, or the sink refused */
            return -1;
        }
        if (resp->status == 401 && auth_round < 3) {
            int a = pk_reg_authenticate(r, resp, auth_round++, err);
            fl_http_resp_free(resp);
            if (a)
                return -1;
            continue;
        }
        if ((resp->status == 429 || resp->status >= 500) && ++attempt < MAX_TRIES) {
            fl_debug("%s %s: %d; retrying", q->method, q->url, resp->status);
            uint64_t us = backoff_us(resp, attempt);
            fl_http_resp_free(resp);
            fl_sleep_us(us);
            continue;
        }
        return 0;
    }
}

int pk_reg_status_error(pk_registry *r, const char *what, const fl_http_resp *resp, fl_err *err)
{
    char ex[160];
    if (resp->status == 401 || resp->status == 403)
        return fl_fail(err, "registry %s: access to %s denied (%d): pass --creds USER:PASS", r->host, what,
                       resp->status);
    if (resp->status == 404)
        return fl_fail(err, "registry %s: %s not found", r->host, what);
    return fl_fail(err, "registry %s: %s: HTTP %d %s", r->host, what, resp->status, pk_reg_excerpt(&resp->body, ex));
}

int pk_reg_manifest(pk_registry *r, const char *reference, fl_buf *body, char **ct, char **digest, fl_err *err)
{
    char *url = fl_xasprintf("%s/v2/%s/manifests/%s", r->base, r->repo, reference);
    pk_reg_req q = {.method = body ? "GET" : "HEAD", .url = url, .accept = ACCEPT_MANIFESTS,
                 .max_body = PK_MAX_MANIFEST, .timeout_ms = 120000, .follow = true};
    fl_http_resp resp;
    int rc = pk_reg_send(r, &q, &resp, err);
    free(url);
    if (rc)
        return rc;
    if (resp.status != 200) {
        char *what = fl_xasprintf("manifest %s:%s", r->repo, reference);
        rc = pk_reg_status_error(r, what, &resp, err);
        free(what);
    } else {
        const char *c = fl_headers_get(&resp.headers, "Content-Type");
        const char *d = fl_headers_get(&resp.headers, "Docker-Content-Digest");
        if (ct)
            *ct = c ? fl_xstrndup(c, strcspn(c, ";")) : NULL;
        if (digest)
            *digest = d && pk_digest_valid(d) ? fl_xstrdup(d) : NULL;
        if (body) {
            fl_buf_reset(body);
            fl_buf_append(body, resp.body.data, resp.body.len);
        }
    }
    fl_http_resp_free(&resp);
    return rc;
}

int pk_reg_blob_small(pk_registry *r, const char *digest, size_t max, fl_buf *out, fl_err *err)
{
    char *url = fl_xasprintf("%s/v2/%s/blobs/%s", r->base, r->repo, digest);
    pk_reg_req q = {.method = "GET", .url = url, .max_body = max, .timeout_ms = 120000, .follow = true};
    fl_http_resp resp;
    int rc = pk_reg_send(r, &q, &resp, err);
    free(url);
    if (rc)
        return rc;
    char sd[20], got[72];
    if (resp.status != 200) {
        char *what = fl_xasprintf("blob %s of %s", pk_digest_short(digest, sd), r->repo);
        rc = pk_reg_status_error(r, what, &resp, err);
        free(what);
    } else {
        pk_sha256_digest(resp.body.data, resp.body.len, got);
        if (strcmp(got, digest))
            rc = fl_fail(err, "registry %s sent blob %s with digest %s: corrupt or tampered with; refusing it",
                         r->host, digest, got);
        else {
            fl_buf_reset(out);
            fl_buf_append(out, resp.body.data, resp.body.len);
        }
    }
    fl_http_resp_free(&resp);
    return rc;
}

typedef struct blob_sink {
    int fd;
    pk_hash hash;
    uint64_t got, size;
    bool failed;
    int err_no;
    pk_progress prog;
    bool progress;
    const char *label;
} blob_sink;

static size_t blob_write(void *ud, const char *p, size_t n)
{
    blob_sink *b = ud;
    if (b->got + n > b->size)
        return 0; /* more than the descriptor says: stop now */
    size_t left = n;
    while (left) {
        ssize_t w = write(b->fd, p + (n - left), left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            b->failed = true;
            b->err_no = errno;
            return 0;
        }
        left -= (size_t)w;
    }
    pk_hash_update(&b->hash, p, n);
    b->got += n;
    pk_progress_add(&b->prog, n);
    return n;
}

static void blob_reset(void *ud)
{
    blob_sink *b = ud;
    if (ftruncate(b->fd, 0) == 0)
        lseek(b->fd, 0, SEEK_SET);
    pk_hash_free(&b->hash);
    pk_hash_init(&b->hash);
    b->got = 0;
    pk_progress_start(&b->prog, b->progress, b->label, b->size);
}

int pk_reg_blob(pk_registry *r, const char *digest, uint64_t size, int fd, const char *label, fl_err *err)
{
    char *url = fl_xasprintf("%s/v2/%s/blobs/%s", r->base, r->repo, digest);
    blob_sink b = {.fd = fd, .size = size, .progress = r->progress, .label = label};
    pk_hash_init(&b.hash);
    pk_reg_req q = {.method = "GET", .url = url, .sink = blob_write, .sink_ud = &b, .reset = blob_reset,
                 .follow = true, .timeout_ms = (long)(300000 + size / 64)};
    fl_http_resp resp;
    int rc = pk_reg_send(r, &q, &resp, err);
    free(url);
    char sd[20];
    if (rc == 0 && resp.status != 200) {
        char *what = fl_xasprintf("blob %s of %s", pk_digest_short(digest, sd), r->repo);
        rc = pk_reg_status_error(r, what, &resp, err);
        free(what);
    } else if (rc && b.failed) {
        rc = fl_fail(err, "cannot write blob %s into the cache: %s", digest, strerror(b.err_no));
    } else if (rc && b.got + 1 > size) {
        rc = fl_fail(err, "registry %s sent more than the %llu bytes blob %s has: refusing it", r->host,
                     (unsigned long long)size, digest);
    }
    pk_progress_end(&b.prog);
    fl_http_resp_free(&resp);
    if (rc) {
        pk_hash_free(&b.hash);
        return -1;
    }
    char got[72];
    pk_hash_final(&b.hash, got);
    if (b.got != size)
        return fl_fail(err, "registry %s sent %llu bytes of blob %s, which has %llu", r->host,
                       (unsigned long long)b.got, digest, (unsigned long long)size);
    if (strcmp(got, digest))
        return fl_fail(err, "registry %s sent blob %s with digest %s: corrupt or tampered with; refusing it",
                       r->host, digest, got);
    return 0;
}
