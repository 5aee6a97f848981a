/* Internal to the HTTP client (http.c, http_headers.c) and to callers that
 * drive libcurl themselves (the bootstrap's streaming transfers). */
#ifndef FL_HTTP_INTERNAL_H
#define FL_HTTP_INTERNAL_H

#include <curl/curl.h>

#include "common/common.h"

/* A transfer's response headers, collected from CURLOPT_HEADERFUNCTION lines
 * into a caller's list: exactly what curl's header API gives for
 * curl_easy_nextheader(h, CURLH_HEADER, -1, ...) (the final response of the
 * last request; no 1xx, trailer or CONNECT headers; names and values split
 * and trimmed, folded lines joined as curl joins them), without curl storing
 * every header for its API. Lines curl's header store would refuse fail the
 * transfer with the code that store fails it with. */
typedef struct fl_http_headers_ctx {
    CURL *h;
    fl_headers *out;
    bool in_request;  /* a request was sent (CURLOPT_PREREQFUNCTION): not CONNECT lines */
    bool final_done;  /* the final response's header block ended: lines now are trailers */
    bool block_1xx;   /* the block being read is an interim response */
    size_t line;      /* lines read in this block; the first one is the status line */
    enum { FL_HPREV_NONE, FL_HPREV_KEPT, FL_HPREV_OTHER } prev; /* what a folded line continues */
    bool bad;
} fl_http_headers_ctx;

void fl_http_headers_init(fl_http_headers_ctx *c, CURL *h, fl_headers *out);
/* From CURLOPT_PREREQFUNCTION: a request starts; what came before is not its answer. */
void fl_http_headers_request(fl_http_headers_ctx *c);
/* From CURLOPT_HEADERFUNCTION: returns len, or 0 to fail the transfer. */
size_t fl_http_header_line(fl_http_headers_ctx *c, const char *p, size_t len);
/* The transfer's result, as it would be with curl's header store. */
CURLcode fl_http_headers_done(const fl_http_headers_ctx *c, CURLcode code);

/* fl_http_do in two halves, for a caller that runs the transfer itself
 * (loop_curl.c: on a multi handle). x holds the transfer's state: it stays
 * where it is until fl_http_end. */
typedef struct fl_http_xfer {
    CURL *h;
    const fl_http_req *req;
    fl_http_resp *resp;
    fl_buf *body;
    uint64_t got;
    fl_http_headers_ctx headers;
} fl_http_xfer;
/* Sets h up for req (a handle from fl_http_handle); -1 and err when it cannot. */
int fl_http_begin(CURL *h, const fl_http_req *req, fl_http_resp *resp, fl_http_xfer *x, fl_err *err);
/* After the transfer ended with cc: fl_http_do's result. */
int fl_http_end(fl_http_xfer *x, CURLcode cc, fl_err *err);

#endif
