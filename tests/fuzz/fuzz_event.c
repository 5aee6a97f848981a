/* libFuzzer: an event from untrusted bytes -> HTTP request; then that
 * request's response -> payload for every kind, and the request through a
 * 2.0 event and back. Asserts the invariants the bootstrap relies on. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "shim/shim.h"

static bool request_line_safe(const char *s, bool is_path)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7F || c == '#' || (is_path && c == '?'))
            return false;
    }
    return true;
}

static void check_request(const shim_request *req, shim_kind kind)
{
    CHECK(req->method && req->path && req->query);
    CHECK(req->path[0] == '/');
    if (kind != SHIM_RAW) {
        CHECK(request_line_safe(req->path, true) && request_line_safe(req->query, false));
        CHECK(req->request_context && !strpbrk(req->request_context, "\r\n")); /* it becomes a header */
    }
    for (size_t i = 0; i < req->headers.n; i++) {
        CHECK(req->headers.v[i].name[0]);
        CHECK(!strpbrk(req->headers.v[i].value, "\r\n"));
    }
}

/* The request through a Function URL event comes back the same. */
static void check_event_round_trip(const shim_request *req)
{
    shim_event_ctx ctx = {"id", "192.0.2.1", NULL, NULL, 1};
    fl_buf ev = {0};
    fl_err err;
    CHECK(shim_request_to_event(req, &ctx, &ev, &err) == 0);
    shim_request back = {0};
    shim_kind kind;
    CHECK(shim_event_to_request(ev.data, ev.len, NULL, &kind, &back, &err) == 0);
    CHECK(kind == SHIM_URL);
    CHECK(!strcmp(back.method, req->method) && !strcmp(back.path, req->path) && !strcmp(back.query, req->query));
    CHECK(back.body.len == req->body.len && (!back.body.len || !memcmp(back.body.data, req->body.data, back.body.len)));
    shim_request_free(&back);
    fl_buf_free(&ev);
}

static void check_payloads(const shim_request *req, const uint8_t *data, size_t size, const shim_options *opt)
{
    shim_response resp = {.status = 100 + (int)(size % 500), .headers = req->headers, .body = req->body};
    for (int k = SHIM_RAW; k <= SHIM_ALB_MULTI; k++) {
        fl_buf payload = {0};
        bool is_error;
        fl_err err;
        CHECK(shim_response_to_payload((shim_kind)k, &resp, opt, &payload, &is_error, &err) == 0);
        if (k != SHIM_RAW && !is_error) {
            shim_response back;
            CHECK(shim_payload_to_response(payload.data, payload.len, &back, &err) == 0);
            CHECK(back.status == resp.status);
            shim_response_free(&back);
        }
        fl_buf_free(&payload);
    }
    (void)data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    shim_options opt = {.pass_through_path = "/events", .remove_base_path = (size & 1) ? "/api" : NULL};
    fl_status_set_parse("500-599", &opt.error_statuses, NULL);
    shim_request req = {0};
    shim_kind kind;
    fl_err err;
    if (shim_event_to_request((const char *)data, size, &opt, &kind, &req, &err) == 0) {
        check_request(&req, kind);
        if (kind != SHIM_RAW)
            check_event_round_trip(&req);
        check_payloads(&req, data, size, &opt);
    } else {
        CHECK(err.msg[0]);
        CHECK(!req.method && !req.headers.n && !req.body.len);
    }
    shim_request_free(&req);
    return 0;
}
