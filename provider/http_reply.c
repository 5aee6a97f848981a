/* Answers: buffers handed to libmicrohttpd, Go's http.Error shape for
 * errors (text/plain; charset=utf-8, X-Content-Type-Options: nosniff, a
 * trailing newline), JSON, streams and pipes. */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

static int queue(pv_req *r, int status, struct MHD_Response *resp, const fl_headers *headers)
{
    if (!resp)
        return MHD_NO;
    for (size_t i = 0; headers && i < headers->n; i++)
        if (MHD_add_response_header(resp, headers->v[i].name, headers->v[i].value) != MHD_YES)
            fl_debug("provider: response header %.64s dropped", headers->v[i].name);
    r->status = status;
    int rc = MHD_queue_response(r->c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

int pv_reply(pv_req *r, int status, const fl_headers *headers, fl_buf *body)
{
    struct MHD_Response *resp;
    if (body && body->len) {
        size_t len = body->len;
        resp = MHD_create_response_from_buffer(len, fl_buf_steal(body), MHD_RESPMEM_MUST_FREE);
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (body)
            fl_buf_free(body);
    }
    return queue(r, status, resp, headers);
}

static int text_v(pv_req *r, int status, bool proxy, const char *fmt, va_list ap)
{
    fl_buf b = {0};
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fl_buf_printf(&b, "%s\n", msg);
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "text/plain; charset=utf-8");
    fl_headers_add(&h, "X-Content-Type-Options", "nosniff");
    if (proxy)
        fl_headers_add(&h, "X-OpenFaaS-Internal", "proxy");
    int rc = pv_reply(r, status, &h, &b);
    fl_headers_free(&h);
    return rc;
}

int pv_reply_text(pv_req *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = text_v(r, status, false, fmt, ap);
    va_end(ap);
    return rc;
}

int pv_reply_proxy_error(pv_req *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = text_v(r, status, true, fmt, ap);
    va_end(ap);
    return rc;
}

int pv_reply_json(pv_req *r, int status, cJSON *doc)
{
    fl_buf b = {0};
    fl_json_print(&b, doc);
    cJSON_Delete(doc);
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "application/json");
    int rc = pv_reply(r, status, &h, &b);
    fl_headers_free(&h);
    return rc;
}

int pv_reply_stream(pv_req *r, int status, const char *content_type, pv_stream_fn fn, void *ud,
                    void (*free_ud)(void *))
{
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
                                                                  (MHD_ContentReaderCallback)fn, ud, free_ud);
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", content_type);
    fl_headers_add(&h, "X-Content-Type-Options", "nosniff");
    int rc = queue(r, status, resp, &h);
    fl_headers_free(&h);
    return rc;
}

int pv_reply_pipe(pv_req *r, int status, const fl_headers *headers, int fd)
{
    return queue(r, status, MHD_create_response_from_pipe(fd), headers);
}
