/* The request headers of an HTTP event.
 *
 * Source: multiValueHeaders when it is an object with at least one member
 * (canonical in REST and ALB multi-value events; the shim's own extension in
 * 2.0 events), else headers. Values must be strings (arrays of strings in
 * multiValueHeaders); null entries are skipped; anything else fails, naming
 * the member. Names must be tokens and values free of CR/LF.
 *
 * Then: hop-by-hop headers and Content-Length are dropped (the client that
 * forwards the request frames the body itself); for 2.0 events without a
 * Cookie header, cookies[] becomes one "Cookie: a; b" (Function URLs send
 * both, with the same content); and, each only when absent, Host
 * (requestContext.domainName), X-Forwarded-For (the source IP),
 * X-Forwarded-Proto (https) and X-Forwarded-Port (443) are appended. */
#include <strings.h>

#include "shim/internal.h"

static int from_multi(const cJSON *mvh, fl_headers *out, fl_err *err)
{
    const cJSON *m, *v;
    cJSON_ArrayForEach(m, mvh)
    {
        if (cJSON_IsNull(m))
            continue;
        if (!cJSON_IsArray(m))
            return fl_fail(err, "multiValueHeaders: the value of header \"%s\" is not an array", m->string);
        cJSON_ArrayForEach(v, m)
        {
            if (shim_header_from_json(out, m->string, v, false, "multiValueHeaders", err))
                return -1;
        }
    }
    return 0;
}

static int from_single(const cJSON *hdr, fl_headers *out, fl_err *err)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, hdr)
    {
        if (shim_header_from_json(out, m->string, m, false, "headers", err))
            return -1;
    }
    return 0;
}

static int collect(const cJSON *ev, fl_headers *out, fl_err *err)
{
    const cJSON *mvh = cJSON_GetObjectItemCaseSensitive(ev, "multiValueHeaders");
    const cJSON *hdr = cJSON_GetObjectItemCaseSensitive(ev, "headers");
    if (mvh && !cJSON_IsNull(mvh) && !cJSON_IsObject(mvh))
        return fl_fail(err, "member multiValueHeaders is not an object");
    if (hdr && !cJSON_IsNull(hdr) && !cJSON_IsObject(hdr))
        return fl_fail(err, "member headers is not an object");
    if (cJSON_IsObject(mvh) && mvh->child)
        return from_multi(mvh, out, err);
    return cJSON_IsObject(hdr) ? from_single(hdr, out, err) : 0;
}

/* cookies[] of a 2.0 event as one Cookie value; "" when there are none. */
static int cookie_line(const cJSON *ev, fl_buf *line, fl_err *err)
{
    const cJSON *cookies = cJSON_GetObjectItemCaseSensitive(ev, "cookies"), *c;
    if (!cookies || cJSON_IsNull(cookies))
        return 0;
    if (!cJSON_IsArray(cookies))
        return fl_fail(err, "member cookies is not an array");
    cJSON_ArrayForEach(c, cookies)
    {
        if (cJSON_IsNull(c))
            continue;
        if (!cJSON_IsString(c))
            return fl_fail(err, "member cookies: an element is not a string");
        if (line->len)
            fl_buf_puts(line, "; ");
        fl_buf_puts(line, c->valuestring);
    }
    return 0;
}

/* Appends name: value unless a header of that name is there already. */
static int add_absent(fl_headers *h, const char *name, const char *value, const char *from, fl_err *err)
{
    if (!value || !*value || fl_headers_get(h, name))
        return 0;
    if (!shim_header_value_ok(value))
        return fl_fail(err, "member %s contains CR or LF", from);
    fl_headers_add(h, name, value);
    return 0;
}

static const char *source_ip(const cJSON *rc, shim_kind kind)
{
    if (kind == SHIM_HTTP_V2 || kind == SHIM_URL)
        return fl_json_str(fl_json_obj(rc, "http"), "sourceIp");
    return fl_json_str(fl_json_obj(rc, "identity"), "sourceIp"); /* ALB has none: it sets X-Forwarded-For */
}

int shim_event_headers(const cJSON *ev, shim_kind kind, fl_headers *out, fl_err *err)
{
    fl_headers all = {0};
    fl_buf cookie = {0};
    int rc = collect(ev, &all, err);
    if (!rc)
        shim_copy_end_to_end(out, &all, true);
    fl_headers_free(&all);
    if (!rc && (kind == SHIM_HTTP_V2 || kind == SHIM_URL) && !fl_headers_get(out, "Cookie")) {
        rc = cookie_line(ev, &cookie, err);
        if (!rc && cookie.len)
            rc = add_absent(out, "Cookie", cookie.data, "cookies", err);
    }
    fl_buf_free(&cookie);
    if (rc)
        return -1;
    const cJSON *ctx = fl_json_obj(ev, "requestContext");
    if (add_absent(out, "Host", fl_json_str(ctx, "domainName"), "requestContext.domainName", err) ||
        add_absent(out, "X-Forwarded-For", source_ip(ctx, kind), "requestContext sourceIp", err) ||
        add_absent(out, "X-Forwarded-Proto", "https", "", err) || add_absent(out, "X-Forwarded-Port", "443", "", err))
        return -1;
    return 0;
}
