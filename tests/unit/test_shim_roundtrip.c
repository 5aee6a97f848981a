/* Round-trip properties over thousands of generated cases (fixed seed):
 *
 *   request -> shim_request_to_event -> shim_event_to_request
 * keeps the method, path, query, body bytes and headers: names
 * (case-insensitively), values, repeats and order, where order is that of
 * the headers grouped by name in order of first appearance (RFC 9110 §5.3:
 * only the order within a name is significant). The only differences are
 * the documented additions, each only when absent: Host (the event's
 * domain), X-Forwarded-For (the source IP), X-Forwarded-Proto, -Port.
 *
 *   response -> shim_response_to_payload -> shim_payload_to_response
 * keeps status and body; headers come back grouped the same way (comma-joined
 * into one value for 2.0 payloads, Set-Cookie apart), without Content-Length. */
#include <strings.h>

#include "test_shim_util.h"

static const char *const METHODS[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND"};

/* Path segments as clients send them (already percent-encoded). */
static const char *const SEGMENTS[] = {
    "a",      "users",   "b%2Fc",         "%20x",  "%25",   "%E2%82%AC",  "", "~user",  "a.b", "%3F", "%23",
    "x+y",    "caf%C3%A9", "..%2F",       "a;b=c", "@:!$", "%00",       "_", "(x)", "%2e%2E",
};

static const char *const QUERY_PARTS[] = {
    "a=1", "a=2", "empty=", "plus=a+b", "eq=%3D", "noeq", "k=%26", "x=%E2%82%AC", "sp=%20", "a=1", "=v",
    "q=%25", "multi=a%2Cb", "u=%FF", "t=a/b?c", "z", "nul=%00",
};

static const char *const NAMES[] = {
    "Accept", "X-Custom", "x-custom", "X-CUSTOM", "User-Agent", "Content-Type", "Cookie", "Authorization",
    "X-Amz-Date", "X-Forwarded-For", "Host", "If-None-Match", "X-Empty", "Accept-Language", "X-Forwarded-Proto",
};

static const char *const CONTENT_TYPES[] = {"text/plain", "application/json", "image/png", "application/octet-stream",
                                            "application/problem+json; charset=utf-8", "text/html; charset=UTF-8"};

static void random_value(rng *r, fl_buf *v)
{
    static const char *const pieces[] = {"a", "b c", "\"q\"", "\\", ",", ";", "=", "\xc3\xa9", "\xf0\x9f\x98\x80",
                                         " ", "\t", "x=1; y=2", "1.0", "{}", "\x7f", "/", "%41", "\xff"};
    size_t n = rng_below(r, 6);
    for (size_t i = 0; i < n; i++)
        fl_buf_puts(v, rng_pick(r, pieces, sizeof pieces / sizeof *pieces));
}

static void random_body(rng *r, fl_buf *b, fl_headers *h)
{
    size_t kind = rng_below(r, 6), n = rng_below(r, 3) ? rng_below(r, 300) : rng_below(r, 70000);
    if (kind == 0)
        return; /* empty */
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 1: fl_buf_putc(b, (char)(' ' + rng_below(r, 95))); break;          /* ASCII text */
        case 2: fl_buf_puts(b, rng_below(r, 4) ? "\"k\": \"v\",\n" : "\xc3\xa9\\"); break; /* JSON-ish */
        case 3: fl_buf_putc(b, (char)rng_next(r)); break;                       /* binary: NUL, bad UTF-8 */
        case 4: fl_buf_putc(b, (char)rng_below(r, 32)); break;                  /* control bytes */
        default: fl_buf_putc(b, rng_below(r, 2) ? '\xff' : 'a'); break;         /* invalid UTF-8 */
        }
    }
    if (rng_below(r, 4))
        fl_headers_add(h, "Content-Type", rng_pick(r, CONTENT_TYPES, sizeof CONTENT_TYPES / sizeof *CONTENT_TYPES));
    if (!rng_below(r, 8))
        fl_headers_add(h, "Content-Encoding", "gzip");
}

static void random_request(rng *r, shim_request *req)
{
    *req = (shim_request){0};
    req->method = fl_xstrdup(rng_pick(r, METHODS, sizeof METHODS / sizeof *METHODS));
    fl_buf p = {0};
    size_t segs = rng_below(r, 5);
    if (!segs)
        fl_buf_putc(&p, '/');
    for (size_t i = 0; i < segs; i++) {
        fl_buf_putc(&p, '/');
        fl_buf_puts(&p, rng_pick(r, SEGMENTS, sizeof SEGMENTS / sizeof *SEGMENTS));
    }
    if (segs && !rng_below(r, 4))
        fl_buf_putc(&p, '/'); /* trailing slash */
    req->path = fl_buf_steal(&p);
    fl_buf q = {0};
    size_t parts = rng_below(r, 3) ? rng_below(r, 5) : 0;
    for (size_t i = 0; i < parts; i++) {
        if (i)
            fl_buf_putc(&q, '&');
        fl_buf_puts(&q, rng_pick(r, QUERY_PARTS, sizeof QUERY_PARTS / sizeof *QUERY_PARTS));
    }
    if (parts && !rng_below(r, 5))
        fl_buf_putc(&q, '&'); /* trailing '&' */
    req->query = fl_buf_steal(&q);
    size_t nh = rng_below(r, 8);
    for (size_t i = 0; i < nh; i++) {
        fl_buf v = {0};
        random_value(r, &v);
        fl_headers_add(&req->headers, rng_pick(r, NAMES, sizeof NAMES / sizeof *NAMES), fl_buf_cstr(&v));
        fl_buf_free(&v);
    }
    random_body(r, &req->body, &req->headers);
}

/* The headers grouped by name (case-insensitively) in order of first
 * appearance, values in order: what an event can carry. */
static void grouped(const fl_headers *in, fl_headers *out)
{
    bool *done = fl_xcalloc(in->n + 1, 1);
    for (size_t i = 0; i < in->n; i++) {
        if (done[i])
            continue;
        for (size_t j = i; j < in->n; j++) {
            if (!done[j] && !strcasecmp(in->v[i].name, in->v[j].name)) {
                fl_headers_add(out, in->v[i].name, in->v[j].value);
                done[j] = true;
            }
        }
    }
    free(done);
}

static void add_if_absent(fl_headers *h, const char *name, const char *value)
{
    if (value && *value && !fl_headers_get(h, name))
        fl_headers_add(h, name, value);
}

static void expect_same_headers(const fl_headers *got, const fl_headers *want, int round)
{
    bool same = got->n == want->n;
    for (size_t i = 0; same && i < got->n; i++)
        same = !strcasecmp(got->v[i].name, want->v[i].name) && !strcmp(got->v[i].value, want->v[i].value);
    if (!same) {
        char *g = headers_text(got), *w = headers_text(want);
        cr_expect_fail("round %d: headers\n-- got:\n%s-- want:\n%s", round, g, w);
        free(g);
        free(w);
    }
}

static bool same_bytes(const fl_buf *a, const fl_buf *b)
{
    return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

Test(shim_roundtrip, request_event_request_is_identity, .timeout = 120)
{
    rng r = {0x5eed5eed};
    int rounds = 3000;
    size_t binary = 0, text = 0, with_repeats = 0;
    for (int round = 0; round < rounds; round++) {
        shim_request req = {0};
        random_request(&r, &req);
        static const char *const domains[] = {NULL, "abcdefgh.lambda-url.us-east-1.on.aws"};
        static const char *const ips[] = {NULL, "203.0.113.9", "2001:db8::1"};
        shim_event_ctx ctx = {
            .request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            .source_ip = ips[rng_below(&r, 3)],
            .domain_name = domains[rng_below(&r, 2)],
            .account_id = rng_below(&r, 2) ? "123456789012" : NULL,
            .time_epoch_ms = 1583348638390ull + (uint64_t)round * 86400000ull * 7,
        };
        fl_buf ev = {0};
        fl_err err = {{0}};
        cr_assert_eq(shim_request_to_event(&req, &ctx, &ev, &err), 0, "round %d: %s", round, err.msg);

        /* the event is valid JSON of the Function URL shape */
        cJSON *j = parse_json(ev.data, ev.len);
        cr_assert_eq(shim_detect(j), SHIM_URL, "round %d", round);
        bool b64 = cJSON_IsTrue(cJSON_GetObjectItem(j, "isBase64Encoded"));
        cr_expect_eq(b64, !shim_body_is_text(&req.headers, req.body.data ? req.body.data : "", req.body.len));
        b64 ? binary++ : text++;
        with_repeats += cJSON_GetObjectItem(j, "multiValueHeaders") != NULL;
        cJSON_Delete(j);

        shim_request back = {0};
        shim_kind kind;
        cr_assert_eq(shim_event_to_request(ev.data, ev.len, NULL, &kind, &back, &err), 0, "round %d: %s", round,
                     err.msg);
        cr_expect_eq(kind, SHIM_URL);
        cr_expect_str_eq(back.method, req.method, "round %d", round);
        cr_expect_str_eq(back.path, req.path, "round %d", round);
        cr_expect_str_eq(back.query, req.query, "round %d", round);
        cr_expect(same_bytes(&back.body, &req.body), "round %d: body (%zu vs %zu bytes)", round, back.body.len,
                  req.body.len);

        fl_headers want = {0};
        grouped(&req.headers, &want);
        add_if_absent(&want, "Host", ctx.domain_name ? ctx.domain_name : "localhost");
        add_if_absent(&want, "X-Forwarded-For", ctx.source_ip);
        add_if_absent(&want, "X-Forwarded-Proto", "https");
        add_if_absent(&want, "X-Forwarded-Port", "443");
        expect_same_headers(&back.headers, &want, round);

        fl_headers_free(&want);
        shim_request_free(&back);
        shim_request_free(&req);
        fl_buf_free(&ev);
    }
    cr_expect(binary > 300 && text > 300 && with_repeats > 300, "coverage: %zu binary, %zu text, %zu with repeats",
              binary, text, with_repeats);
}

/* The derived members of the event, checked on one request. */
Test(shim_roundtrip, event_members_follow_the_function_url_shape)
{
    shim_request req = {0};
    req.method = fl_xstrdup("POST");
    req.path = fl_xstrdup("/a%20b/c");
    req.query = fl_xstrdup("x=1&y=a+b&x=2&e=%E2%82%AC&bad=%FF&n&&z=");
    fl_headers_add(&req.headers, "User-Agent", "curl/8");
    fl_headers_add(&req.headers, "Cookie", "a=1;b=2 ; c=3");
    fl_headers_add(&req.headers, "X-Rep", "1");
    fl_headers_add(&req.headers, "cookie", " d=4;; ");
    fl_headers_add(&req.headers, "x-rep", "2");
    fl_buf_puts(&req.body, "{\"k\":\"v\"}");
    fl_headers_add(&req.headers, "Content-Type", "application/json");
    shim_event_ctx ctx = {"req-1", "198.51.100.7", "abc123.lambda-url.eu-west-1.on.aws", "111122223333",
                          1583348638390ull};
    fl_buf ev = {0};
    fl_err err;
    cr_assert_eq(shim_request_to_event(&req, &ctx, &ev, &err), 0);
    const char *want =
        "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"/a%20b/c\","
        "\"rawQueryString\":\"x=1&y=a+b&x=2&e=%E2%82%AC&bad=%FF&n&&z=\","
        "\"cookies\":[\"a=1\",\"b=2\",\"c=3\",\"d=4\"],"
        "\"headers\":{\"user-agent\":\"curl/8\",\"cookie\":\"a=1;b=2 ; c=3;  d=4;; \",\"x-rep\":\"1,2\","
        "\"content-type\":\"application/json\"},"
        "\"multiValueHeaders\":{\"User-Agent\":[\"curl/8\"],\"Cookie\":[\"a=1;b=2 ; c=3\",\" d=4;; \"],"
        "\"X-Rep\":[\"1\",\"2\"],\"Content-Type\":[\"application/json\"]},"
        "\"queryStringParameters\":{\"x\":\"1,2\",\"y\":\"a b\",\"e\":\"\xe2\x82\xac\",\"bad\":\"\xef\xbf\xbd\","
        "\"n\":\"\",\"z\":\"\"},"
        "\"requestContext\":{\"accountId\":\"111122223333\",\"apiId\":\"abc123\","
        "\"domainName\":\"abc123.lambda-url.eu-west-1.on.aws\",\"domainPrefix\":\"abc123\","
        "\"http\":{\"method\":\"POST\",\"path\":\"/a%20b/c\",\"protocol\":\"HTTP/1.1\",\"sourceIp\":\"198.51.100.7\","
        "\"userAgent\":\"curl/8\"},\"requestId\":\"req-1\",\"routeKey\":\"$default\",\"stage\":\"$default\","
        "\"time\":\"04/Mar/2020:19:03:58 +0000\",\"timeEpoch\":1583348638390},"
        "\"body\":\"{\\\"k\\\":\\\"v\\\"}\",\"isBase64Encoded\":false}";
    cr_expect_str_eq(fl_buf_cstr(&ev), want);
    fl_buf_free(&ev);
    shim_request_free(&req);
}

Test(shim_roundtrip, event_defaults_without_context)
{
    shim_request req = {0};
    req.method = fl_xstrdup("GET");
    req.path = fl_xstrdup("/");
    fl_buf ev = {0};
    fl_err err;
    cr_assert_eq(shim_request_to_event(&req, NULL, &ev, &err), 0, "%s", err.msg);
    cr_expect_str_eq(fl_buf_cstr(&ev),
                     "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"/\",\"rawQueryString\":\"\","
                     "\"headers\":{},\"requestContext\":{\"accountId\":\"anonymous\",\"apiId\":\"localhost\","
                     "\"domainName\":\"localhost\",\"domainPrefix\":\"localhost\",\"http\":{\"method\":\"GET\","
                     "\"path\":\"/\",\"protocol\":\"HTTP/1.1\",\"sourceIp\":\"\",\"userAgent\":\"\"},"
                     "\"requestId\":\"\",\"routeKey\":\"$default\",\"stage\":\"$default\","
                     "\"time\":\"01/Jan/1970:00:00:00 +0000\",\"timeEpoch\":0},\"body\":\"\",\"isBase64Encoded\":false}");
    fl_buf_free(&ev);
    free(req.path);
    req.path = fl_xstrdup("no-slash");
    cr_expect_eq(shim_request_to_event(&req, NULL, &ev, &err), -1);
    free(req.method);
    req.method = fl_xstrdup("BAD METHOD");
    free(req.path);
    req.path = fl_xstrdup("/");
    cr_expect_eq(shim_request_to_event(&req, NULL, &ev, &err), -1);
    fl_buf_free(&ev);
    shim_request_free(&req);
}

static void random_response(rng *r, shim_response *resp)
{
    static const int statuses[] = {200, 201, 204, 301, 304, 400, 404, 418, 500, 502, 299, 101};
    static const char *const names[] = {"Content-Type", "Set-Cookie", "set-cookie", "X-Rep", "x-rep", "ETag",
                                        "Cache-Control", "Content-Length", "Location", "X-Empty"};
    *resp = (shim_response){.status = statuses[rng_below(r, sizeof statuses / sizeof *statuses)]};
    size_t nh = rng_below(r, 7);
    for (size_t i = 0; i < nh; i++) {
        const char *name = names[rng_below(r, sizeof names / sizeof *names)];
        fl_buf v = {0};
        if (!strcasecmp(name, "Set-Cookie"))
            fl_buf_printf(&v, "c%zu=v; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/", i);
        else
            random_value(r, &v);
        fl_headers_add(&resp->headers, name, fl_buf_cstr(&v));
        fl_buf_free(&v);
    }
    random_body(r, &resp->body, &resp->headers);
}

/* What a payload of this kind carries back: grouped headers (2.0: joined,
 * Set-Cookie values apart and last), no Content-Length; null-body statuses
 * lose the body. */
static void expected_response(shim_kind kind, const shim_response *in, shim_response *want)
{
    fl_headers g = {0}, cookies = {0};
    grouped(&in->headers, &g);
    *want = (shim_response){.status = in->status};
    for (size_t i = 0; i < g.n; i++) {
        const char *name = g.v[i].name;
        if (!strcasecmp(name, "Content-Length"))
            continue;
        bool v2 = kind == SHIM_URL || kind == SHIM_HTTP_V2;
        if (v2 && !strcasecmp(name, "Set-Cookie")) {
            fl_headers_add(&cookies, "Set-Cookie", g.v[i].value);
        } else if (v2 && want->headers.n && !strcasecmp(want->headers.v[want->headers.n - 1].name, name)) {
            char *joined = fl_xasprintf("%s,%s", want->headers.v[want->headers.n - 1].value, g.v[i].value);
            fl_headers_set(&want->headers, name, joined);
            free(joined);
        } else {
            fl_headers_add(&want->headers, name, g.v[i].value);
        }
    }
    fl_headers_copy(&want->headers, &cookies);
    int s = in->status;
    if (!(s < 200 || s == 204 || s == 205 || s == 304))
        fl_buf_append(&want->body, in->body.data, in->body.len);
    fl_headers_free(&g);
    fl_headers_free(&cookies);
}

Test(shim_roundtrip, response_payload_response, .timeout = 120)
{
    rng r = {0xfeedface};
    shim_kind kinds[] = {SHIM_URL, SHIM_HTTP_V2, SHIM_REST_V1, SHIM_ALB_MULTI};
    for (int round = 0; round < 2000; round++) {
        shim_response resp, back, want;
        random_response(&r, &resp);
        shim_kind kind = kinds[rng_below(&r, 4)];
        fl_buf payload = {0};
        bool is_error;
        fl_err err = {{0}};
        cr_assert_eq(shim_response_to_payload(kind, &resp, NULL, &payload, &is_error, &err), 0, "%s", err.msg);
        cr_assert_eq(shim_payload_to_response(payload.data, payload.len, &back, &err), 0, "round %d: %s", round,
                     err.msg);
        expected_response(kind, &resp, &want);
        cr_expect_eq(back.status, resp.status, "round %d", round);
        cr_expect(same_bytes(&back.body, &want.body), "round %d (%s): body", round, shim_kind_name(kind));
        expect_same_headers(&back.headers, &want.headers, round);
        shim_response_free(&resp);
        shim_response_free(&back);
        shim_response_free(&want);
        fl_buf_free(&payload);
    }
}
