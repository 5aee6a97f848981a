/* Authentication at the front door. By default any request is accepted,
 * signed or not (as a local tool should be). With --auth strict every
 * request of the REST API and the Logs API, and every request to a
 * Function URL of AuthType AWS_IAM, must carry a SigV4 signature made with
 * the configured key pair for this region (service lambda, or logs), within
 * 15 minutes of now (sigv4_verify.c). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator/internal.h"

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    fl_headers_add(cls, key, value ? value : "");
    return MHD_YES;
}

static int reply_failure(emu_req *r, const emu_sigv4_result *res)
{
    if (r->kind == EMU_REQ_URL)
        return emu_reply_url_error(r, 403, "Forbidden");
    if (r->kind == EMU_REQ_LOGS) {
        fl_buf b = {0};
        fl_buf_printf(&b, "{\"__type\":\"%s\",\"message\":", res->type);
        fl_json_put_str(&b, res->message, strlen(res->message));
        fl_buf_putc(&b, '}');
        fl_headers h = {0};
        fl_headers_add(&h, "x-amzn-ErrorType", res->type);
        return emu_reply(r, (unsigned)res->status, "application/x-amz-json-1.1", &b, &h);
    }
    return emu_reply_error(r, (unsigned)res->status, res->type, "%s", res->message);
}

static int verify(emu_req *r)
{
    emu *e = r->e;
    fl_headers h = {0};
    MHD_get_connection_values(r->c, MHD_HEADER_KIND, collect, &h);
    size_t pl = strcspn(r->uri, "?");
    char *path = fl_xstrndup(r->uri, pl);
    emu_sigv4_request req = {
        .method = r->method,
        .path = path,
        .query = r->uri[pl] == '?' ? r->uri + pl + 1 : "",
        .headers = &h,
        .body = r->body.data,
        .body_len = r->body.len,
    };
    emu_sigv4_creds c = {
        .access_key = e->access_key,
        .secret_key = e->secret_key,
        .region = e->region,
        .service = r->kind == EMU_REQ_LOGS ? "logs" : "lambda",
        .now_s = (long long)time(NULL),
    };
    emu_sigv4_result res = {0};
    int rc = emu_sigv4_verify(&req, &c, &res);
    if (rc) {
        fl_debug("%s %s: %s: %s", r->method, r->uri, res.type, res.message);
        r->auth_rc = reply_failure(r, &res);
    }
    emu_sigv4_result_free(&res);
    fl_headers_free(&h);
    free(path);
    return rc;
}

/* Before the body is read: an unsigned request need not upload 50 MB. */
int emu_auth_precheck(emu_req *r)
{
    if (r->e->auth != EMU_AUTH_STRICT || emu_header(r->c, "Authorization"))
        return 0;
    emu_sigv4_result res = {.status = 403};
    snprintf(res.type, sizeof res.type, "MissingAuthenticationTokenException");
    snprintf(res.message, sizeof res.message, "Missing Authentication Token");
    r->auth_rc = reply_failure(r, &res);
    return -1;
}

int emu_auth_verify(emu_req *r)
{
    return r->e->auth == EMU_AUTH_STRICT ? verify(r) : 0;
}

int emu_url_auth(emu_req *r)
{
    if (r->e->auth == EMU_AUTH_STRICT)
        return verify(r);
    const char *a = emu_header(r->c, "Authorization");
    if (a && fl_str_has_prefix(a, "AWS4-HMAC-SHA256 "))
        return 0;
    r->auth_rc = emu_reply_url_error(r, 403, "Forbidden");
    return -1;
}
