/* Pushing to a registry: blob checks, cross-repository mounts, uploads
 * (monolithic below CHUNK, else PATCH chunks of CHUNK bytes, so memory stays
 * bounded), and the manifest. */
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define CHUNK (16u << 20)

int pk_reg_blob_exists(pk_registry *r, const char *digest, bool *exists, fl_err *err)
{
    char *url = fl_xasprintf("%s/v2/%s/blobs/%s", r->base, r->repo, digest);
    pk_reg_req q = {.method = "HEAD", .url = url, .timeout_ms = 60000, .follow = true};
    fl_http_resp resp;
    int rc = pk_reg_send(r, &q, &resp, err);
    free(url);
    if (rc == 0) {
        *exists = resp.status == 200;
        if (resp.status != 200 && resp.status != 404)
            rc = pk_reg_status_error(r, "a blob check", &resp, err);
    }
    fl_http_resp_free(&resp);
    return rc;
}

int pk_reg_blob_mount(pk_registry *r, const char *digest, const char *from, bool *mounted, fl_err *err)
{
    char *url = fl_xasprintf("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", r->base, r->repo, digest, from);
    pk_reg_req q = {.method = "POST", .url = url, .has_body = true, .timeout_ms = 60000};
    fl_http_resp resp;
    int rc = pk_reg_send(r, &q, &resp, err);
    free(url);
    if (rc == 0) {
        *mounted = resp.status == 201;
        if (resp.status != 201 && resp.status != 202)
            rc = pk_reg_status_error(r, "a blob mount", &resp, err);
    }
    fl_http_resp_free(&resp);
    return rc;
}

/* Location headers may be relative to the registry. */
static char *absolute(pk_registry *r, const char *loc)
{
    if (!strncmp(loc, "http://", 7) || !strncmp(loc, "https://", 8))
        return fl_xstrdup(loc);
    return fl_xasprintf("%s%s%s", r->base, loc[0] == '/' ? "" : "/", loc);
}

static int location(pk_registry *r, const fl_http_resp *resp, char **out, fl_err *err)
{
    const char *loc = fl_headers_get(&resp->headers, "Location");
    if (!loc || !*loc)
        return fl_fail(err, "registry %s started an upload without a Location", r->host);
    free(*out);
    *out = absolute(r, loc);
    return 0;
}

static ssize_t read_full(pk_stream *s, char *buf, size_t n, fl_err *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pk_stream_read(s, buf + got, n - got, err);
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

int pk_reg_blob_upload(pk_registry *r, const char *digest, uint64_t size, pk_stream *content, fl_err *err)
{
    char *url = fl_xasprintf("%s/v2/%s/blobs/uploads/", r->base, r->repo), *loc = NULL;
    pk_reg_req q = {.method = "POST", .url = url, .has_body = true, .timeout_ms = 60000};
    fl_http_resp resp;
    int rc = pk_reg_send(r, &q, &resp, err);
    free(url);
    if (rc == 0 && resp.status != 202)
        rc = pk_reg_status_error(r, "starting an upload", &resp, err);
    if (rc == 0)
        rc = location(r, &resp, &loc, err);
    fl_http_resp_free(&resp);
    char *buf = rc == 0 ? fl_xmalloc(size < CHUNK ? (size_t)size + 1 : CHUNK) : NULL;
    uint64_t done = 0;
    pk_progress prog;
    char sd[20], label[64];
    snprintf(label, sizeof label, "push %s", pk_digest_short(digest, sd));
    pk_progress_start(&prog, r->progress, label, size);
    /* PATCH chunks while more than one chunk is left; the last goes with the PUT */
    while (rc == 0 && size - done > CHUNK) {
        ssize_t n = read_full(content, buf, CHUNK, err);
        if (n != (ssize_t)CHUNK) {
            rc = n < 0 ? -1 : fl_fail(err, "blob %s ended before its %llu bytes", digest, (unsigned long long)size);
            break;
        }
        char range[64];
        snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)done, (unsigned long long)(done + CHUNK - 1));
        pk_reg_req p = {.method = "PATCH", .url = loc, .content_type = "application/octet-stream",
                     .content_range = range, .body = buf, .body_len = CHUNK, .has_body = true,
                     .timeout_ms = 600000};
        rc = pk_reg_send(r, &p, &resp, err);
        if (rc == 0 && resp.status != 202)
            rc = pk_reg_status_error(r, "uploading a chunk", &resp, err);
        if (rc == 0)
            rc = location(r, &resp, &loc, err);
        fl_http_resp_free(&resp);
        done += CHUNK;
        pk_progress_add(&prog, CHUNK);
    }
    if (rc == 0) {
        size_t last = (size_t)(size - done);
        ssize_t n = read_full(content, buf, last + 1, err);
        if (n != (ssize_t)last)
            rc = n < 0 ? -1 : fl_fail(err, "blob %s is not %llu bytes long", digest, (unsigned long long)size);
        if (rc == 0) {
            char *put = fl_xasprintf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", digest);
            pk_reg_req p = {.method = "PUT", .url = put, .content_type = "application/octet-stream", .body = buf,
                         .body_len = last, .has_body = true, .timeout_ms = 600000};
            rc = pk_reg_send(r, &p, &resp, err);
            if (rc == 0 && resp.status != 201)
                rc = pk_reg_status_error(r, "finishing an upload", &resp, err);
            fl_http_resp_free(&resp);
            free(put);
            pk_progress_add(&prog, last);
        }
    }
    pk_progress_end(&prog);
    free(buf);
    free(loc);
    return rc;
}

int pk_reg_put_manifest(pk_registry *r, const char *reference, const char *media_type, const void *body, size_t len,
                        fl_err *err)
{
    char *url = fl_xasprintf("%s/v2/%s/manifests/%s", r->base, r->repo, reference);
    pk_reg_req q = {.method = "PUT", .url = url, .content_type = media_type, .body = body, .body_len = len,
                 .has_body = true, .timeout_ms = 120000};
    fl_http_resp resp;
    int rc = pk_reg_send(r, &q, &resp, err);
    free(url);
    if (rc == 0 && resp.status != 201 && resp.status != 200) {
        char *what = fl_xasprintf("pushing manifest %s:%s", r->repo, reference);
        rc = pk_reg_status_error(r, what, &resp, err);
        free(what);
    }
    fl_http_resp_free(&resp);
    return rc;
}
