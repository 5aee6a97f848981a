/* The one HTTP client: libcurl easy handles, reused by their owners.
 *
 * Each handle carries our state (CURLOPT_PRIVATE): the request header list
 * lives in buffers the handle keeps, so a request allocates nothing for its
 * headers. Response headers are collected by http_headers.c as curl hands
 * them over. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_internal.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool inited;

/* Once per process, whichever thread calls first: curl counts its global
 * inits, and one cleanup must match them. */
static void global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    inited = true;
}

void fl_http_global_init(void)
{
    pthread_once(&once, global_init);
}

struct fl_http_state {
    fl_buf lines;             /* request header lines, NUL-terminated, back to back */
    struct curl_slist *nodes; /* the list curl reads, pointing into lines */
    size_t nodes_cap;
};

CURL_handle *fl_http_handle(void)
{
    fl_http_global_init();
    CURL *h = curl_easy_init();
    if (h)
        curl_easy_setopt(h, CURLOPT_PRIVATE, fl_xcalloc(1, sizeof(struct fl_http_state)));
    return h;
}

void fl_http_global_cleanup(void)
{
    if (inited)
        curl_global_cleanup();
    inited = false; /* no handle is made after this */
}

static struct fl_http_state *state_of(CURL *h)
{
    char *p = NULL;
    curl_easy_getinfo(h, CURLINFO_PRIVATE, &p);
    return (struct fl_http_state *)(void *)p;
}

void fl_http_handle_free(CURL_handle *handle)
{
    CURL *h = handle;
    if (!h)
        return;
    struct fl_http_state *st = state_of(h);
    curl_easy_cleanup(h);
    if (st) {
        fl_buf_free(&st->lines);
        free(st->nodes);
        free(st);
    }
}

typedef fl_http_xfer sink_ctx;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sink_ctx *c = ud;
    size_t len = size * n;
    if (c->req->max_body && c->got + len > c->req->max_body) {
        c->resp->too_large = true;
        return 0;
    }
    if (c->got == 0 && !c->req->sink) { /* one allocation when the size is announced */
        curl_off_t cl = -1;
        curl_easy_getinfo(c->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        if (cl > 0 && (!c->req->max_body || (uint64_t)cl <= c->req->max_body))
            fl_buf_reserve(c->body, (size_t)cl);
    }
    c->got += len;
    if (c->req->sink)
        return c->req->sink(c->req->sink_ud, p, len) == len ? len : 0;
    fl_buf_append(c->body, p, len);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    sink_ctx *c = ud;
    return fl_http_header_line(&c->headers, p, size * n);
}

static int on_prereq(void *ud, char *ip, char *local_ip, int port, int local_port)
{
    (void)ip, (void)local_ip, (void)port, (void)local_port;
    fl_http_headers_request(&((sink_ctx *)ud)->headers);
    return CURL_PREREQFUNC_OK;
}

/* The header list, built in the handle's buffers: nodes and lines are kept
 * from request to request, so a request allocates nothing for its headers.
 * Send exactly the caller's headers: suppress curl's own Accept and Expect
 * unless the caller gave them. Not when signing: curl's SigV4 signer signs
 * every line of the list, removals included, and would name headers the
 * request does not carry. */
static struct curl_slist *header_list(struct fl_http_state *st, const fl_http_req *req)
{
    const fl_headers *hs = req->headers;
    size_t n = hs ? hs->n : 0, bytes = 0;
    bool accept = !req->aws_sigv4 && !(hs && fl_headers_get(hs, "Accept"));
    bool expect = !req->aws_sigv4 && !(hs && fl_headers_get(hs, "Expect"));
    size_t count = n + accept + expect;
    if (!count)
        return NULL;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(hs->v[i].name) + strlen(hs->v[i].value) + 3;
    fl_buf_reset(&st->lines);
    fl_buf_reserve(&st->lines, bytes + sizeof "Accept:" + sizeof "Expect:"); /* no move while nodes point in */
    if (count > st->nodes_cap) {
        st->nodes_cap = count * 2;
        st->nodes = fl_xrealloc(st->nodes, st->nodes_cap * sizeof *st->nodes);
    }
    char *o = st->lines.data;
    for (size_t i = 0; i < count; i++) {
        st->nodes[i].data = o;
        st->nodes[i].next = i + 1 < count ? &st->nodes[i + 1] : NULL;
        if (i >= n) { /* the removals */
            const char *line = i == n && accept ? "Accept:" : "Expect:";
            memcpy(o, line, sizeof "Accept:");
            o += sizeof "Accept:";
            continue;
        }
        size_t nl = strlen(hs->v[i].name), vl = strlen(hs->v[i].value);
        memcpy(o, hs->v[i].name, nl);
        o += nl;
        if (vl) { /* "Name:" alone would remove the header: an empty value is "Name;" */
            memcpy(o, ": ", 2);
            o += 2;
        } else {
            *o++ = ';';
        }
        memcpy(o, hs->v[i].value, vl);
        o += vl;
        *o++ = 0;
    }
    st->lines.len = (size_t)(o - st->lines.data);
    return st->nodes;
}

/* Every option a request depends on, from a reset handle. (Keeping them set
 * from request to request would save a little more, but libcurl 7.88 counts
 * the retries on dead pooled connections per handle and only a reset clears
 * the count.) */
static int set_options(CURL *h, struct fl_http_state *st, bool own, const fl_http_req *req, const char *method,
                       fl_err *err)
{
    curl_easy_reset(h);
    if (!own)
        curl_easy_setopt(h, CURLOPT_PRIVATE, st);
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    /* libcurl allocates this buffer for every transfer and frees it after:
     * at its default 64 KB each request maps and unmaps fresh memory (musl). */
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
    if (req->no_proxy)
        curl_easy_setopt(h, CURLOPT_PROXY, "");
    if (req->timeout_ms)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    if (req->connect_timeout_ms)
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    if (req->fresh_connect)
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    if (req->follow_redirects) {
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    }
    if (req->path_as_is)
        curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    if (req->userpwd)
        curl_easy_setopt(h, CURLOPT_USERPWD, req->userpwd);
    if (req->aws_sigv4 && curl_easy_setopt(h, CURLOPT_AWS_SIGV4, req->aws_sigv4) != CURLE_OK)
        return fl_fail(err, "this libcurl cannot sign requests with AWS SigV4");
    if (req->request_target)
        curl_easy_setopt(h, CURLOPT_REQUEST_TARGET, req->request_target);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    else if (!strcmp(method, "GET") && !req->has_body)
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    else if (strcmp(method, "POST"))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (req->has_body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body_len ? req->body : "");
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list(st, req));
    return 0;
}

/* One request's setup: its options, and where its answer goes. */
static int start(CURL *h, struct fl_http_state *st, bool own, const fl_http_req *req, fl_http_resp *resp,
                 sink_ctx *ctx, fl_err *err)
{
    memset(resp, 0, sizeof *resp);
    const char *method = req->method ? req->method : "GET";
    if (set_options(h, st, own, req, method, err))
        return -1;
    *ctx = (sink_ctx){h, req, resp, req->body_into ? req->body_into : &resp->body, 0, {0}};
    fl_http_headers_init(&ctx->headers, h, &resp->headers);
    if (req->body_into)
        fl_buf_reset(req->body_into);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, ctx);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, ctx);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, ctx);
    return 0;
}

/* The transfer ended with cc: the answer's status and the verdict. */
int fl_http_end(fl_http_xfer *ctx, CURLcode cc, fl_err *err)
{
    CURL *h = ctx->h;
    const fl_http_req *req = ctx->req;
    fl_http_resp *resp = ctx->resp;
    const char *method = req->method ? req->method : "GET";
    cc = fl_http_headers_done(&ctx->headers, cc);
    resp->curl_code = (int)cc;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    resp->status = (int)status;
    long connects = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    resp->reused_connection = connects == 0;
    if (!status)
        fl_headers_clear(&resp->headers);
    if (resp->too_large)
        return fl_fail(err, "%s %s: response body is larger than the %zu bytes allowed", method, req->url,
                       req->max_body);
    if (cc != CURLE_OK)
        return fl_fail(err, "%s %s: %s (curl error %d)", method, req->url, fl_http_strerror(cc), (int)cc);
    return 0;
}

int fl_http_do(CURL_handle *handle, const fl_http_req *req, fl_http_resp *resp, fl_err *err)
{
    CURL *h = handle;
    struct fl_http_state own = {0}, *st = state_of(h);
    if (!st) /* a handle from curl_easy_init: state for this request only */
        st = &own;
    sink_ctx ctx;
    int rc = start(h, st, st == &own, req, resp, &ctx, err);
    CURLcode cc = rc ? CURLE_OK : curl_easy_perform(h);
    if (st == &own) { /* curl keeps the list's address, but reads it in perform only */
        fl_buf_free(&own.lines);
        free(own.nodes);
    }
    return rc ? rc : fl_http_end(&ctx, cc, err);
}

int fl_http_begin(CURL *h, const fl_http_req *req, fl_http_resp *resp, fl_http_xfer *x, fl_err *err)
{
    struct fl_http_state *st = state_of(h);
    if (!st) {
        memset(resp, 0, sizeof *resp);
        return fl_fail(err, "a transfer of its own needs a handle from fl_http_handle");
    }
    return start(h, st, false, req, resp, x, err);
}

const char *fl_http_strerror(int code)
{
    switch (code) {
    case CURLE_OK: return "no error";
    case CURLE_UNSUPPORTED_PROTOCOL: return "not an HTTP/1.x answer";
    case CURLE_URL_MALFORMAT: return "malformed URL";
    case CURLE_COULDNT_RESOLVE_HOST: return "host name not resolved";
    case CURLE_COULDNT_CONNECT: return "connection refused";
    case CURLE_WEIRD_SERVER_REPLY: return "malformed HTTP answer";
    case CURLE_PARTIAL_FILE: return "connection closed before the end of the body";
    case CURLE_WRITE_ERROR: return "answer not accepted";
    case CURLE_OUT_OF_MEMORY: return "out of memory, or a request head over 1 MiB";
    case CURLE_OPERATION_TIMEDOUT: return "timed out";
    case CURLE_GOT_NOTHING: return "connection closed without an answer";
    case CURLE_SEND_ERROR: return "connection broken while sending";
    case CURLE_RECV_ERROR: return "connection broken while receiving";
    case CURLE_BAD_CONTENT_ENCODING: return "malformed content or transfer encoding";
    case CURLE_PEER_FAILED_VERIFICATION: return "TLS certificate not trusted";
    case CURLE_SSL_CONNECT_ERROR: return "TLS handshake failed";
    case CURLE_TOO_MANY_REDIRECTS: return "too many redirects";
    default: return curl_easy_strerror((CURLcode)code);
    }
}

void fl_http_resp_free(fl_http_resp *resp)
{
    fl_headers_free(&resp->headers);
    fl_buf_free(&resp->body);
}
