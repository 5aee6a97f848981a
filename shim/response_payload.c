/* Watchdog response -> Lambda response payload (bootstrap side), in the shape
 * the event's source expects (lambda-runtime.md §2.2-2.4). */
#include <stdio.h>
#include <string.h>

#include "shim/internal.h"

/* Statuses whose responses have no body (RFC 9110 §6.4.1 and §15.3.6). */
static bool no_body_status(int status)
{
    return status < 200 || status == 204 || status == 205 || status == 304;
}

static void put_status(fl_buf *b, int status)
{
    fl_buf_printf(b, "{\"statusCode\":%d", status);
}

static void put_body_members(fl_buf *b, const char *body, size_t len, bool text)
{
    fl_buf_puts(b, ",\"body\":");
    shim_put_body(b, body, len, text);
    fl_buf_puts(b, text ? ",\"isBase64Encoded\":false}" : ",\"isBase64Encoded\":true}");
}

/* {"errorType":"Function.ErrorStatus","errorMessage":..,"statusCode":..,"body":..,"isBase64Encoded":..} */
static void error_doc(int status, const char *body, size_t len, bool text, fl_buf *out)
{
    const char *reason = fl_http_reason(status);
    fl_buf msg = {0};
    fl_buf_printf(&msg, "the function answered HTTP %d", status);
    if (strcmp(reason, "Unknown"))
        fl_buf_printf(&msg, " %s", reason);
    fl_buf_puts(out, "{\"errorType\":\"" SHIM_ERROR_STATUS_TYPE "\",\"errorMessage\":");
    fl_json_put_str(out, msg.data, msg.len);
    fl_buf_printf(out, ",\"statusCode\":%d", status);
    put_body_members(out, body, len, text);
    fl_buf_free(&msg);
}

static void rest_doc(int status, const fl_headers *h, fl_buf *out)
{
    put_status(out, status);
    fl_buf_puts(out, ",\"multiValueHeaders\":");
    shim_put_multi_headers(out, h);
}

static void v2_doc(int status, const fl_headers *h, fl_buf *out)
{
    put_status(out, status);
    fl_buf_puts(out, ",\"headers\":");
    shim_put_joined_headers(out, h, true);
    if (fl_headers_get(h, "Set-Cookie")) {
        fl_buf_puts(out, ",\"cookies\":");
        shim_put_cookies(out, h);
    }
}

static void alb_doc(int status, const fl_headers *h, bool multi, fl_buf *out)
{
    char desc[64];
    snprintf(desc, sizeof desc, "%d %s", status, fl_http_reason(status));
    put_status(out, status);
    fl_buf_puts(out, ",\"statusDescription\":");
    shim_put_str(out, desc);
    if (multi) {
        fl_buf_puts(out, ",\"multiValueHeaders\":");
        shim_put_multi_headers(out, h);
    } else {
        fl_buf_puts(out, ",\"headers\":"); /* one Set-Cookie at most: ALB's single-value limit */
        shim_put_joined_headers(out, h, false);
    }
}

int shim_response_to_payload(shim_kind kind, const shim_response *resp, const shim_options *opt, fl_buf *payload,
                             bool *is_error, fl_err *err)
{
    fl_buf_reset(payload);
    if (is_error)
        *is_error = false;
    int status = resp->status;
    if (status < 100 || status > 599)
        return fl_fail(err, "the function answered with status %d, which is not an HTTP status (100-599)", status);
    if (kind < SHIM_RAW || kind > SHIM_ALB_MULTI)
        return fl_fail(err, "unknown event kind %d", (int)kind);
    bool empty = no_body_status(status) || !resp->body.data;
    const char *body = empty ? "" : resp->body.data;
    size_t len = empty ? 0 : resp->body.len;

    if (opt && fl_status_set_has(&opt->error_statuses, status)) {
        if (is_error)
            *is_error = true;
        error_doc(status, body, len, shim_body_is_text(&resp->headers, body, len), payload);
        return 0;
    }
    if (kind == SHIM_RAW) {
        fl_buf_append(payload, body, len);
        return 0;
    }
    fl_headers h = {0};
    shim_copy_end_to_end(&h, &resp->headers, false);
    bool text = shim_body_is_text(&h, body, len);
    fl_buf_reserve(payload, (text ? len + len / 8 : shim_base64_len(len)) + 512);
    switch (kind) {
    case SHIM_REST_V1: rest_doc(status, &h, payload); break;
    case SHIM_HTTP_V2:
    case SHIM_URL: v2_doc(status, &h, payload); break;
    case SHIM_ALB:
    case SHIM_ALB_MULTI: alb_doc(status, &h, kind == SHIM_ALB_MULTI, payload); break;
    case SHIM_RAW: break;
    }
    put_body_members(payload, body, len, text);
    fl_headers_free(&h);
    return 0;
}
