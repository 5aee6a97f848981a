/* Answers of the REST API, in AWS's shapes: x-amzn-RequestId on every
 * answer; errors as status + x-amzn-ErrorType + {"Type":..,"message":..}.
 * The message member is spelt as the service model spells it for that
 * exception ("Message" for some, "message" for most): SDKs that read the
 * model's shape find it where they look. */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"

/* Exceptions whose model member is "Message" (botocore lambda/2015-03-31). */
static const char *const capital_message[] = {
    "ResourceNotFoundException", "ServiceException", "CodeSigningConfigNotFoundException",
    "CodeVerificationFailedException", "InvalidCodeSignatureException", "InvalidRuntimeException",
    "InvalidZipFileException", "ResourceInUseException", "EC2UnexpectedException",
};

static const char *message_member(const char *type)
{
    for (size_t i = 0; i < sizeof capital_message / sizeof capital_message[0]; i++)
        if (!strcmp(type, capital_message[i]))
            return "Message";
    return "message";
}

int emu_reply(emu_req *r, unsigned status, const char *content_type, fl_buf *body, fl_headers *extra)
{
    fl_headers h = {0};
    fl_headers_add(&h, "X-Amzn-RequestId", r->id);
    for (size_t i = 0; extra && i < extra->n; i++)
        fl_headers_add(&h, extra->v[i].name, extra->v[i].value);
    int rc = emu_respond(r->c, status, content_type, body, &h);
    fl_headers_free(&h);
    if (extra)
        fl_headers_free(extra);
    return rc;
}

int emu_reply_json(emu_req *r, unsigned status, cJSON *doc)
{
    fl_buf b = {0};
    fl_json_print(&b, doc);
    cJSON_Delete(doc);
    return emu_reply(r, status, "application/json", &b, NULL);
}

int emu_reply_empty(emu_req *r, unsigned status)
{
    return emu_reply(r, status, NULL, NULL, NULL);
}

static int error_doc(emu_req *r, unsigned status, const char *type, const char *reason, const char *msg)
{
    fl_buf body = {0};
    fl_buf_printf(&body, "{\"Type\":\"%s\",\"%s\":", status >= 500 ? "Service" : "User", message_member(type));
    fl_json_put_str(&body, msg, strlen(msg));
    if (reason)
        fl_buf_printf(&body, ",\"Reason\":\"%s\"", reason);
    fl_buf_putc(&body, '}');
    fl_headers h = {0};
    fl_headers_add(&h, "x-amzn-ErrorType", type);
    if (reason)
        fl_headers_add(&h, "Retry-After", "1");
    if (r->kind == EMU_REQ_API || r->kind == EMU_REQ_URL)
        fl_debug("%s %s: %u %s: %s", r->method, r->uri, status, type, msg);
    return emu_reply(r, status, "application/json", &body, &h);
}

int emu_reply_error(emu_req *r, unsigned status, const char *type, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return error_doc(r, status, type, NULL, msg);
}

int emu_reply_throttle(emu_req *r, const char *reason)
{
    return error_doc(r, 429, "TooManyRequestsException", reason, "Rate Exceeded.");
}

int emu_reply_not_found(emu_req *r, const char *name, const char *qualifier)
{
    char arn[512];
    emu_function_arn(r->e->region, name, arn, sizeof arn);
    return emu_reply_error(r, 404, "ResourceNotFoundException", "Function not found: %s%s%s", arn,
                           qualifier && *qualifier ? ":" : "", qualifier ? qualifier : "");
}

int emu_reply_verr(emu_req *r, emu_verr *v)
{
    fl_buf msg = {0};
    emu_verr_message(v, &msg);
    int rc = emu_reply_error(r, 400, v->type ? v->type : "ValidationException", "%s", fl_buf_cstr(&msg));
    fl_buf_free(&msg);
    emu_verr_free(v);
    return rc;
}
