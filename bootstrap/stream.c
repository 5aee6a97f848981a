/* Response streaming: the watchdog's answer is forwarded to POST /response
 * as it arrives (chunked, Lambda-Runtime-Function-Response-Mode: streaming),
 * behind the prelude for HTTP events. The two transfers run in one curl multi
 * handle and meet in a fixed ring buffer, so memory stays constant whatever
 * the body's size: a full ring pauses the watchdog side, an empty one pauses
 * the Lambda side. A failure after the first byte went out is reported in
 * the Lambda-Runtime-Function-Error-Type/-Body trailers. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap/bootstrap.h"

#define RING_SIZE (64 * 1024)

struct boot_streamer {
    CURLM *multi; /* keeps both connections alive between invokes */
    CURL *w, *u;  /* the watchdog call, the Lambda /response call */
    char ring[RING_SIZE];
};

typedef enum { WAITING, STREAMING, COLLECTING } flow_mode;

typedef struct flow {
    boot_streamer *st;
    const boot_config *cfg;
    boot_watchdog *wd;
    boot_request *br;
    flow_mode mode;
    bool start_u, u_started, w_done, u_done, w_paused, u_paused, w_overflow;
    CURLcode w_code, u_code;
    int status;
    fl_headers headers;  /* the watchdog's response headers */
    fl_buf collect;      /* body of an answer that becomes an error */
    fl_buf prelude;
    size_t prelude_off;
    size_t head, len;    /* ring contents */
    const char *err_type;
    char err_msg[768];
    char content_type[256];
} flow;

boot_streamer *boot_streamer_new(void)
{
    boot_streamer *st = fl_xcalloc(1, sizeof *st);
    fl_http_handle_free(fl_http_handle()); /* curl_global_init, once */
    st->multi = curl_multi_init();
    st->w = curl_easy_init();
    st->u = curl_easy_init();
    return st;
}

void boot_streamer_free(boot_streamer *st)
{
    if (!st)
        return;
    curl_easy_cleanup(st->w);
    curl_easy_cleanup(st->u);
    curl_multi_cleanup(st->multi);
    free(st);
}

/* ---- the watchdog side ---- */

static void headers_done(flow *f)
{
    CURL *w = f->st->w;
    long status = 0;
    curl_easy_getinfo(w, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200)
        return; /* an interim 1xx answer */
    f->status = (int)status;
    struct curl_header *prev = NULL, *h;
    while ((h = curl_easy_nextheader(w, CURLH_HEADER, -1, prev))) {
        fl_headers_add(&f->headers, h->name, h->value);
        prev = h;
    }
    if (fl_status_set_has(&f->cfg->shim.error_statuses, f->status)) {
        f->mode = COLLECTING;
        return;
    }
    f->mode = STREAMING;
    f->start_u = true;
    if (f->br->kind == SHIM_RAW) {
        const char *ct = fl_headers_get(&f->headers, "Content-Type");
        snprintf(f->content_type, sizeof f->content_type, "%s", ct ? ct : "application/octet-stream");
    } else {
        snprintf(f->content_type, sizeof f->content_type, "%s", SHIM_STREAM_CONTENT_TYPE);
        shim_prelude_encode(f->status, &f->headers, &f->prelude);
    }
}

static size_t on_w_header(char *p, size_t size, size_t n, void *ud)
{
    flow *f = ud;
    size_t len = size * n;
    if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n'))
        headers_done(f);
    return len;
}

static size_t on_w_body(char *p, size_t size, size_t n, void *ud)
{
    flow *f = ud;
    size_t len = size * n;
    if (f->mode == COLLECTING || f->mode == WAITING) {
        if (f->collect.len + len > BOOT_MAX_BUFFERED_RESPONSE) {
            f->w_overflow = true;
            return 0;
        }
        fl_buf_append(&f->collect, p, len);
        return len;
    }
    if (RING_SIZE - f->len < len) {
        f->w_paused = true;
        return CURL_WRITEFUNC_PAUSE; /* curl keeps the data and offers it again */
    }
    size_t tail = (f->head + f->len) % RING_SIZE, first = RING_SIZE - tail < len ? RING_SIZE - tail : len;
    memcpy(f->st->ring + tail, p, first);
    memcpy(f->st->ring, p + first, len - first);
    f->len += len;
    return len;
}

/* ---- the Lambda side ---- */

static size_t on_u_read(char *out, size_t size, size_t n, void *ud)
{
    flow *f = ud;
    size_t room = size * n, done = 0;
    if (f->prelude_off < f->prelude.len) {
        done = f->prelude.len - f->prelude_off < room ? f->prelude.len - f->prelude_off : room;
        memcpy(out, f->prelude.data + f->prelude_off, done);
        f->prelude_off += done;
        return done;
    }
    if (f->len) {
        size_t take = f->len < room ? f->len : room;
        size_t first = RING_SIZE - f->head < take ? RING_SIZE - f->head : take;
        memcpy(out, f->st->ring + f->head, first);
        memcpy(out + first, f->st->ring, take - first);
        f->head = (f->head + take) % RING_SIZE;
        f->len -= take;
        return take;
    }
    if (f->w_done)
        return 0; /* end of the body: the last chunk and the trailers follow */
    f->u_paused = true;
    return CURL_READFUNC_PAUSE;
}

static int on_u_trailers(struct curl_slist **list, void *ud)
{
    flow *f = ud;
    if (!f->err_type)
        return CURL_TRAILERFUNC_OK;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "errorMessage", f->err_msg);
    cJSON_AddStringToObject(doc, "errorType", f->err_type);
    char *json = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    fl_buf b64 = {0};
    shim_base64_encode(json, strlen(json), &b64);
    cJSON_free(json);
    char *type = fl_xasprintf("Lambda-Runtime-Function-Error-Type: %s", f->err_type);
    char *body = fl_xasprintf("Lambda-Runtime-Function-Error-Body: %s", fl_buf_cstr(&b64));
    *list = curl_slist_append(curl_slist_append(*list, type), body);
    free(type);
    free(body);
    fl_buf_free(&b64);
    return CURL_TRAILERFUNC_OK;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

/* ---- driving both ---- */

static struct curl_slist *slist_of(const fl_headers *h)
{
    struct curl_slist *l = NULL;
    for (size_t i = 0; i < h->n; i++) {
        char *line = h->v[i].value[0] ? fl_xasprintf("%s: %s", h->v[i].name, h->v[i].value)
                                      : fl_xasprintf("%s;", h->v[i].name);
        l = curl_slist_append(l, line);
        free(line);
    }
    if (!fl_headers_get(h, "Accept"))
        l = curl_slist_append(l, "Accept:");
    return curl_slist_append(l, "Expect:");
}

static struct curl_slist *setup_w(flow *f, long timeout_ms)
{
    CURL *w = f->st->w;
    boot_request *br = f->br;
    curl_easy_reset(w);
    curl_easy_setopt(w, CURLOPT_URL, br->url);
    curl_easy_setopt(w, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(w, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(w, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(w, CURLOPT_TIMEOUT_MS, timeout_ms);
    const char *m = br->req.method;
    bool body = br->req.body.len || !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
    if (!strcmp(m, "HEAD"))
        curl_easy_setopt(w, CURLOPT_NOBODY, 1L);
    else if (strcmp(m, "POST") && !(!strcmp(m, "GET") && !body))
        curl_easy_setopt(w, CURLOPT_CUSTOMREQUEST, m);
    if (body) {
        curl_easy_setopt(w, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)br->req.body.len);
        curl_easy_setopt(w, CURLOPT_POSTFIELDS, br->req.body.len ? br->req.body.data : "");
    }
    struct curl_slist *hl = slist_of(&br->out_headers);
    curl_easy_setopt(w, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(w, CURLOPT_HEADERFUNCTION, on_w_header);
    curl_easy_setopt(w, CURLOPT_HEADERDATA, f);
    curl_easy_setopt(w, CURLOPT_WRITEFUNCTION, on_w_body);
    curl_easy_setopt(w, CURLOPT_WRITEDATA, f);
    return hl;
}

static struct curl_slist *setup_u(flow *f, const boot_runtime *rt, const boot_invoke *inv)
{
    CURL *u = f->st->u;
    char *url = fl_xasprintf("%s/runtime/invocation/%s/response", boot_runtime_base(rt), inv->request_id);
    curl_easy_reset(u);
    curl_easy_setopt(u, CURLOPT_URL, url);
    free(url); /* curl keeps its own copy */
    curl_easy_setopt(u, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(u, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(u, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(u, CURLOPT_POST, 1L);
    curl_easy_setopt(u, CURLOPT_READFUNCTION, on_u_read);
    curl_easy_setopt(u, CURLOPT_READDATA, f);
    curl_easy_setopt(u, CURLOPT_TRAILERFUNCTION, on_u_trailers);
    curl_easy_setopt(u, CURLOPT_TRAILERDATA, f);
    curl_easy_setopt(u, CURLOPT_WRITEFUNCTION, discard);
    struct curl_slist *hl = NULL;
    char *ct = fl_xasprintf("Content-Type: %s", f->content_type);
    hl = curl_slist_append(hl, ct);
    free(ct);
    hl = curl_slist_append(hl, "Lambda-Runtime-Function-Response-Mode: streaming");
    hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
    hl = curl_slist_append(hl, "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body");
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(u, CURLOPT_HTTPHEADER, hl);
    return hl;
}

static void drain_messages(flow *f)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(f->st->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        if (msg->easy_handle == f->st->w) {
            f->w_done = true;
            f->w_code = msg->data.result;
        } else if (msg->easy_handle == f->st->u) {
            f->u_done = true;
            f->u_code = msg->data.result;
        }
    }
}

/* Runs the transfers until the watchdog call ends and, if the stream
 * started, until Lambda has the whole response. */
static void run(flow *f, const boot_runtime *rt, const boot_invoke *inv, struct curl_slist **u_headers)
{
    boot_streamer *st = f->st;
    curl_multi_add_handle(st->multi, st->w);
    for (;;) {
        int running;
        curl_multi_perform(st->multi, &running);
        drain_messages(f);
        if (f->start_u && !f->u_started) {
            *u_headers = setup_u(f, rt, inv);
            curl_multi_add_handle(st->multi, st->u);
            f->u_started = true;
            continue;
        }
        /* Decide the trailers before the Lambda side reads the end of the body. */
        if (f->w_done && f->u_started && f->w_code != CURLE_OK && !f->err_type)
            f->err_type = boot_classify_failure(f->wd, f->w_code, true, f->err_msg, sizeof f->err_msg);
        bool kicked = false;
        if (f->u_paused && (f->len || f->prelude_off < f->prelude.len || f->w_done)) {
            f->u_paused = false;
            curl_easy_pause(st->u, CURLPAUSE_CONT);
            kicked = true;
        }
        if (f->w_paused && RING_SIZE - f->len >= CURL_MAX_WRITE_SIZE) {
            f->w_paused = false;
            curl_easy_pause(st->w, CURLPAUSE_CONT);
            kicked = true;
        }
        if (f->w_done && (!f->u_started || f->u_done))
            break;
        if (f->u_done && !f->w_done) { /* Lambda stopped listening: stop reading */
            f->w_done = true;
            f->w_code = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (!kicked)
            curl_multi_poll(st->multi, NULL, 0, 100, NULL);
    }
    curl_multi_remove_handle(st->multi, st->w);
    if (f->u_started)
        curl_multi_remove_handle(st->multi, st->u);
}

int boot_stream_invoke(boot_streamer *st, const boot_config *cfg, boot_runtime *rt, boot_watchdog *wd,
                       const boot_invoke *inv, boot_request *br, long timeout_ms)
{
    flow *f = fl_xcalloc(1, sizeof *f);
    f->st = st;
    f->cfg = cfg;
    f->wd = wd;
    f->br = br;
    struct curl_slist *w_headers = setup_w(f, timeout_ms), *u_headers = NULL;
    run(f, rt, inv, &u_headers);
    int rc = 0;
    fl_err err;
    char msg[1024];
    if (f->u_started) {
        long status = 0;
        curl_easy_getinfo(st->u, CURLINFO_RESPONSE_CODE, &status);
        if (f->u_code != CURLE_OK) {
            fl_error("invoke %s: streaming the response to Lambda failed (curl error %d)", inv->request_id,
                     (int)f->u_code);
            rc = -1;
        } else if (status != 202) {
            fl_error("invoke %s: POST /response (streaming) answered %ld", inv->request_id, status);
            rc = status >= 500 ? -1 : 0;
        }
        if (f->err_type)
            fl_error("invoke %s: %s: %s (reported in the stream's trailers)", inv->request_id, f->err_type, f->err_msg);
    } else if (f->w_overflow) {
        snprintf(msg, sizeof msg, "the function's error response is larger than %u bytes",
                 BOOT_MAX_BUFFERED_RESPONSE);
        rc = boot_runtime_error(rt, inv->request_id, "Function.ResponseSizeTooLarge", msg, &err);
    } else if (f->w_code != CURLE_OK || f->mode == WAITING) {
        const char *type = boot_classify_failure(wd, f->w_code, f->status != 0, msg, sizeof msg);
        rc = boot_runtime_error(rt, inv->request_id, type, msg, &err);
    } else { /* an answer whose status is in the error set */
        shim_response sr = {.status = f->status, .headers = f->headers, .body = f->collect};
        fl_buf doc = {0};
        bool is_error = false;
        if (shim_response_to_payload(br->kind, &sr, &cfg->shim, &doc, &is_error, &err) == 0)
            rc = boot_runtime_error_doc(rt, inv->request_id, SHIM_ERROR_STATUS_TYPE, &doc, &err);
        else
            rc = boot_runtime_error(rt, inv->request_id, "Runtime.InvalidWatchdogResponse", err.msg, &err);
        fl_buf_free(&doc);
    }
    curl_slist_free_all(w_headers);
    curl_slist_free_all(u_headers);
    /* A fresh handle for the next stream: libcurl 7.88 reuses the state of a
     * paused chunked upload and writes before its upload buffer otherwise.
     * The connection stays in the multi handle's pool. */
    curl_easy_cleanup(st->u);
    st->u = curl_easy_init();
    fl_headers_free(&f->headers);
    fl_buf_free(&f->collect);
    fl_buf_free(&f->prelude);
    free(f);
    return rc;
}
