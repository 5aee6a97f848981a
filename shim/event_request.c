/* Event -> HTTP request for the watchdog (bootstrap side).
 *
 * Required members of HTTP events: the method (httpMethod, or
 * requestContext.http.method for 2.0), a token; the path (path, or rawPath
 * for 2.0), a string starting with '/'. Optional members that are absent or
 * null are as if absent; present with another type they fail, naming the
 * member (body: a string; isBase64Encoded: a boolean). */
#include <string.h>

#include "shim/internal.h"

static const char *const EVENT_KEYS[] = {
    "body",    "version",           "httpMethod",     "path",
    "rawPath", "rawQueryString",    "requestContext", "headers",
    "cookies", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters",
    "isBase64Encoded", NULL,
};

/* The members each shape reads (a NUL in any other one does no harm). */
static const char *const V1_READS[] = {"version", "httpMethod", "path", "requestContext", "headers",
                                       "multiValueHeaders", "queryStringParameters",
                                       "multiValueQueryStringParameters", NULL};
static const char *const V2_READS[] = {"version", "rawPath", "rawQueryString", "requestContext",
                                       "headers", "multiValueHeaders", "cookies", NULL};

static shim_span member(const shim_doc *doc, const char *key)
{
    for (int i = 0; EVENT_KEYS[i]; i++)
        if (!strcmp(EVENT_KEYS[i], key))
            return doc->member[i];
    return (shim_span){0};
}

static bool is_v2(shim_kind kind)
{
    return kind == SHIM_HTTP_V2 || kind == SHIM_URL;
}

static int get_method(const cJSON *ev, shim_kind kind, shim_request *req, fl_err *err)
{
    const char *field = is_v2(kind) ? "requestContext.http.method" : "httpMethod";
    const char *m = is_v2(kind) ? fl_json_str(fl_json_obj(fl_json_obj(ev, "requestContext"), "http"), "method")
                                : fl_json_str(ev, "httpMethod");
    if (!m)
        return fl_fail(err, "no %s string", field);
    if (!shim_token_ok(m))
        return fl_fail(err, "member %s \"%.100s\" is not a valid HTTP method", field, m);
    req->method = fl_xstrdup(m);
    return 0;
}

/* Strips base (e.g. "/api") from the front of path, only at a '/' boundary:
 * "/api/x" -> "/x", "/api" -> "/", "/apix" stays. */
static void remove_base_path(fl_buf *path, const char *base)
{
    if (!base)
        return;
    while (*base == '/')
        base++;
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    if (!n || path->len < n + 1 || memcmp(path->data + 1, base, n))
        return;
    size_t cut = n + 1; /* the leading '/' and base */
    if (path->len > cut && path->data[cut] != '/')
        return;
    memmove(path->data, path->data + cut, path->len - cut);
    path->len -= cut;
    if (!path->len)
        fl_buf_putc(path, '/');
    fl_buf_cstr(path);
}

static int get_path(const cJSON *ev, shim_kind kind, const shim_options *opt, shim_request *req, fl_err *err)
{
    const char *field = is_v2(kind) ? "rawPath" : "path";
    const char *p = fl_json_str(ev, field);
    if (!p)
        return fl_fail(err, "no %s string", field);
    if (p[0] != '/')
        return fl_fail(err, "member %s \"%.200s\" does not start with '/'", field, p);
    fl_buf b = {0};
    /* HTTP APIs deliver rawPath decoded; the others keep the client's encoding */
    shim_pct_path(p, strlen(p), kind == SHIM_HTTP_V2, &b);
    remove_base_path(&b, opt ? opt->remove_base_path : NULL);
    req->path = fl_buf_steal(&b);
    return 0;
}

static int get_body(shim_doc *doc, shim_request *req, fl_err *err)
{
    const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(doc->tree, "isBase64Encoded");
    if (b64 && !cJSON_IsNull(b64) && !cJSON_IsBool(b64))
        return fl_fail(err, "member isBase64Encoded is not a boolean");
    if (doc->body_type == SHIM_JSON_OTHER)
        return fl_fail(err, "member body is neither a string nor null");
    bool is_b64 = cJSON_IsTrue(b64);
    if (shim_doc_body(doc, is_b64, &req->body, err))
        return fl_fail_wrap(err, is_b64 ? "member body is marked isBase64Encoded but is not valid base64" : "member body");
    return 0;
}

static int http_request(shim_doc *doc, shim_kind kind, const shim_options *opt, shim_request *req,
                        fl_err *err)
{
    const cJSON *ev = doc->tree;
    if (get_method(ev, kind, req, err) || get_path(ev, kind, opt, req, err))
        return -1;
    fl_buf q = {0};
    int rc = shim_event_query(ev, kind, &q, err);
    req->query = fl_buf_steal(&q);
    if (rc || shim_event_headers(ev, kind, &req->headers, err) || get_body(doc, req, err))
        return -1;
    shim_span ctx = member(doc, "requestContext");
    fl_buf c = {0};
    shim_json_compact(ctx.p, ctx.n, &c); /* detection made sure it is an object */
    req->request_context = fl_buf_steal(&c);
    return 0;
}

/* Not an HTTP event: POSTed to the pass-through path as it is. */
static void raw_request(const char *event, size_t len, const shim_options *opt, shim_request *req)
{
    const char *path = opt && opt->pass_through_path && *opt->pass_through_path ? opt->pass_through_path : "/";
    req->method = fl_xstrdup("POST");
    req->path = fl_xstrdup(path);
    req->query = fl_xstrdup("");
    fl_headers_add(&req->headers, "Content-Type", "application/json");
    fl_buf_append(&req->body, event, len);
}

int shim_event_to_request(const char *event, size_t len, const shim_options *opt, shim_kind *kind, shim_request *req,
                          fl_err *err)
{
    fl_buf body = req->body; /* reused: see shim.h */
    fl_buf_reset(&body);
    *req = (shim_request){.body = body};
    if (kind)
        *kind = SHIM_RAW;
    shim_doc doc;
    if (shim_doc_parse(event, len, EVENT_KEYS, "body", &doc, err))
        return fl_fail_wrap(err, "event");
    shim_kind k = doc.is_object ? shim_detect(doc.tree) : SHIM_RAW;
    if (kind)
        *kind = k;
    int rc = 0;
    if (k == SHIM_RAW)
        raw_request(event, len, opt, req);
    else if (!(rc = shim_doc_no_nul(&doc, EVENT_KEYS, is_v2(k) ? V2_READS : V1_READS, err)))
        rc = http_request(&doc, k, opt, req, err);
    shim_doc_free(&doc);
    if (rc) {
        shim_request_free(req);
        return fl_fail_wrap(err, "%s event", shim_kind_name(k));
    }
    return 0;
}
