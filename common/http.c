/* The one HTTP client: libcurl easy handles, reused by their owners. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static bool inited;

CURL_handle *fl_http_handle(void)
{
    if (!inited) { /* first call happens before any thread is started */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = true;
    }
    return curl_easy_init();
}

void fl_http_global_cleanup(void)
{
    if (inited)
        curl_global_cleanup();
    inited = false;
}

void fl_http_handle_free(CURL_handle *h)
{
    if (h)
        curl_easy_cleanup((CURL *)h);
}

typedef struct sink_ctx {
    CURL *h;
    const fl_http_req *req;
    fl_http_resp *resp;
    fl_buf *body;
    uint64_t got;
} sink_ctx;

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

static void collect_headers(CURL *h, fl_http_resp *resp)
{
    struct curl_header *prev = NULL, *hd;
    while ((hd = curl_easy_nextheader(h, CURLH_HEADER, -1, prev))) {
        fl_headers_add(&resp->headers, hd->name, hd->value);
        prev = hd;
    }
}

int fl_http_do(CURL_handle *handle, const fl_http_req *req, fl_http_resp *resp, fl_err *err)
{
    CURL *h = handle;
    memset(resp, 0, sizeof *resp);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    /* libcurl allocates this buffer for every transfer and frees it after:
     * at its default 64 KB each request maps and unmaps fresh memory (musl). */
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
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

    const char *method = req->method ? req->method : "GET";
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

    /* Send exactly the caller's headers: suppress curl's own Accept and
     * Expect unless the caller gave them. Not when signing: curl's SigV4
     * signer signs every line of the list, removals included, and would
     * name headers the request does not carry. */
    struct curl_slist *list = NULL;
    const fl_headers *hs = req->headers;
    bool has_accept = hs && fl_headers_get(hs, "Accept");
    fl_buf line = {0}; /* one buffer for every line: curl copies each */
    for (size_t i = 0; hs && i < hs->n; i++) {
        fl_buf_reset(&line);
        fl_buf_puts(&line, hs->v[i].name);
        fl_buf_puts(&line, hs->v[i].value[0] ? ": " : ";");
        fl_buf_puts(&line, hs->v[i].value);
        list = curl_slist_append(list, line.data);
    }
    fl_buf_free(&line);
    if (!has_accept && !req->aws_sigv4)
        list = curl_slist_append(list, "Accept:");
    if (!(hs && fl_headers_get(hs, "Expect")) && !req->aws_sigv4)
        list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);

    sink_ctx ctx = {h, req, resp, req->body_into ? req->body_into : &resp->body, 0};
    if (req->body_into)
        fl_buf_reset(req->body_into);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ctx);

    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(list);
    resp->curl_code = (int)rc;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    resp->status = (int)status;
    long connects = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    resp->reused_connection = connects == 0;
    if (status)
        collect_headers(h, resp);
    if (resp->too_large)
        return fl_fail(err, "%s %s: response body is larger than the %zu bytes allowed", method, req->url,
                       req->max_body);
    if (rc != CURLE_OK)
        return fl_fail(err, "%s %s: %s (curl error %d)", method, req->url, fl_http_strerror(rc), (int)rc);
    return 0;
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
