/* shim_event_to_request on constructed events: each translation rule on its
 * own, and hostile events (wrong member types, NULs, bad JSON, huge counts)
 * that must fail cleanly or follow the documented rule. */
#include <time.h>

#include "test_shim_util.h"

#define REST_CTX "\"requestContext\":{\"identity\":{\"sourceIp\":\"192.0.2.1\"},\"domainName\":\"api.example.com\"}"
#define V2_CTX(domain) "\"requestContext\":{\"http\":{\"method\":\"GET\",\"sourceIp\":\"192.0.2.2\"},\"domainName\":\"" domain "\"}"
#define API_DOMAIN "id.execute-api.us-east-1.amazonaws.com"
#define URL_DOMAIN "abc.lambda-url.us-east-1.on.aws"

static int translate(const char *event, const shim_options *opt, shim_kind *kind, shim_request *req, fl_err *err)
{
    return shim_event_to_request(event, strlen(event), opt, kind, req, err);
}

static void expect_ok(const char *event, const shim_options *opt, shim_request *req)
{
    shim_kind kind;
    fl_err err = {{0}};
    cr_assert_eq(translate(event, opt, &kind, req, &err), 0, "%s: %s", event, err.msg);
}

static void expect_fail(const char *event, const char *message)
{
    shim_request req = {0};
    shim_kind kind;
    fl_err err = {{0}};
    cr_expect_eq(translate(event, NULL, &kind, &req, &err), -1, "%s must fail", event);
    cr_expect(strstr(err.msg, message), "%s: \"%s\" lacks \"%s\"", event, err.msg, message);
    cr_expect(!req.method && !req.path && !req.headers.n && !req.body.len, "nothing is left behind");
    shim_request_free(&req);
}

static void expect_path(const char *event, const shim_options *opt, const char *path)
{
    shim_request req = {0};
    expect_ok(event, opt, &req);
    cr_expect_str_eq(req.path, path, "%s", event);
    shim_request_free(&req);
}

static void expect_query(const char *event, const char *query)
{
    shim_request req = {0};
    expect_ok(event, NULL, &req);
    cr_expect_str_eq(req.query, query, "%s", event);
    shim_request_free(&req);
}

static void expect_headers(const char *event, const char *headers)
{
    shim_request req = {0};
    expect_ok(event, NULL, &req);
    char *h = headers_text(&req.headers);
    cr_expect_str_eq(h, headers, "%s", event);
    free(h);
    shim_request_free(&req);
}

Test(shim_event_rules, remove_base_path_only_at_a_slash)
{
    static const struct {
        const char *base, *path, *want;
    } cases[] = {
        {"/api", "/api/users", "/users"}, {"/api", "/api", "/"},         {"/api", "/api/", "/"},
        {"/api", "/apix/y", "/apix/y"},   {"/api/", "/api/users", "/users"}, {"api", "/api/users", "/users"},
        {"/", "/api/users", "/api/users"}, {"", "/x", "/x"},            {"/a/b", "/a/b/c", "/c"},
        {"/a/b", "/a/bc", "/a/bc"},       {"/api", "/API/x", "/API/x"}, {"/api", "/", "/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        shim_options opt = {.remove_base_path = cases[i].base};
        char *ev = fl_xasprintf("{\"httpMethod\":\"GET\",\"path\":\"%s\"," REST_CTX "}", cases[i].path);
        expect_path(ev, &opt, cases[i].want);
        free(ev);
    }
    /* HTTP API: encoded first, then stripped */
    shim_options opt = {.remove_base_path = "/Prod"};
    expect_path("{\"version\":\"2.0\",\"rawPath\":\"/Prod/a b\"," V2_CTX(API_DOMAIN) "}", &opt, "/a%20b");
}

Test(shim_event_rules, pass_through_path)
{
    shim_options opt = {.pass_through_path = "/events"};
    shim_request req = {0};
    const char *ev = "{\"Records\":[{\"eventSource\":\"aws:sqs\",\"body\":\"x\"}]}";
    expect_ok(ev, &opt, &req);
    cr_expect_str_eq(req.method, "POST");
    cr_expect_str_eq(req.path, "/events");
    cr_expect_str_eq(req.query, "");
    cr_expect(req.body.len == strlen(ev) && !memcmp(req.body.data, ev, req.body.len));
    cr_expect_null(req.request_context);
    shim_request_free(&req);
    opt.pass_through_path = "";
    expect_path(ev, &opt, "/");
}

/* HTTP API 2.0 delivers rawPath decoded: '%', space, '?', '#', controls and
 * non-ASCII are encoded again. REST, ALB and Function URLs keep the
 * client's encoding; only bytes no request line may hold are encoded. */
Test(shim_event_rules, path_encoding_per_kind)
{
    expect_path("{\"version\":\"2.0\",\"rawPath\":\"/a b/100%/?x#y/\xc3\xa9/\\u0001\"," V2_CTX(API_DOMAIN) "}", NULL,
                "/a%20b/100%25/%3Fx%23y/%C3%A9/%01");
    expect_path("{\"version\":\"2.0\",\"rawPath\":\"/a%20b/\xc3\xa9?\"," V2_CTX(URL_DOMAIN) "}", NULL,
                "/a%20b/%C3%A9%3F");
    expect_path("{\"httpMethod\":\"GET\",\"path\":\"/a%2Fb/c d\"," REST_CTX "}", NULL, "/a%2Fb/c%20d");
    expect_path("{\"httpMethod\":\"GET\",\"path\":\"/x%3F#\",\"requestContext\":{\"elb\":{}}}", NULL, "/x%3F%23");
    expect_path("{\"httpMethod\":\"GET\",\"path\":\"//double//slash/\"," REST_CTX "}", NULL, "//double//slash/");
}

/* REST delivers decoded values: re-encoded as encodeURIComponent does, in
 * event order, multi-value map first. ALB does not decode: joined as given. */
Test(shim_event_rules, query_per_kind)
{
    expect_query("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"multiValueQueryStringParameters\":"
                 "{\"q\":[\"a b\",\"c&d\"],\"e\":[\"\"],\"u\":[\"\xc3\xa9\"],\"p\":[\"1+1=2\"],\"k y\":[\"~!*'()\"],"
                 "\"n\":null,\"m\":[null,\"#\"]},\"queryStringParameters\":{\"ignored\":\"x\"}}",
                 "q=a%20b&q=c%26d&e=&u=%C3%A9&p=1%2B1%3D2&k%20y=~!*'()&m=%23");
    expect_query("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"multiValueQueryStringParameters\":null,"
                 "\"queryStringParameters\":{\"a\":\"/x?y\",\"b\":null}}",
                 "a=%2Fx%3Fy");
    expect_query("{\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":{\"elb\":{}},"
                 "\"queryStringParameters\":{\"q\":\"%3Fa+b\",\"r\":\"a b#c\\u0001\"}}",
                 "q=%3Fa+b&r=a%20b%23c%01");
    expect_query("{\"version\":\"2.0\",\"rawPath\":\"/\",\"rawQueryString\":\"a=b c&d=%41+e#f\"," V2_CTX(API_DOMAIN)
                 ",\"queryStringParameters\":{\"x\":\"y\"}}",
                 "a=b%20c&d=%41+e%23f");
    expect_query("{\"version\":\"2.0\",\"rawPath\":\"/\",\"rawQueryString\":null," V2_CTX(URL_DOMAIN) "}", "");
}

Test(shim_event_rules, header_sources_and_additions)
{
    /* REST: multiValueHeaders canonical, a "headers" map only when it is empty */
    expect_headers("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"headers\":{\"A\":\"last\",\"B\":\"b\"},"
                   "\"multiValueHeaders\":{\"A\":[\"first\",\"last\"],\"Host\":[\"h\"],\"n\":null,\"m\":[null,\"v\"]}}",
                   "A: first\nA: last\nHost: h\nm: v\nX-Forwarded-For: 192.0.2.1\nX-Forwarded-Proto: https\n"
                   "X-Forwarded-Port: 443\n");
    expect_headers("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"headers\":{\"A\":\"a\",\"N\":null},"
                   "\"multiValueHeaders\":{}}",
                   "A: a\nHost: api.example.com\nX-Forwarded-For: 192.0.2.1\nX-Forwarded-Proto: https\n"
                   "X-Forwarded-Port: 443\n");
    /* 2.0: the shim's multiValueHeaders extension, exact names, preferred */
    expect_headers("{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX(URL_DOMAIN) ",\"headers\":{\"x-a\":\"1,2\"},"
                   "\"multiValueHeaders\":{\"X-A\":[\"1\",\"2\"]},\"cookies\":[\"c=1\",null,\"d=2\"]}",
                   "X-A: 1\nX-A: 2\nCookie: c=1; d=2\nHost: " URL_DOMAIN "\nX-Forwarded-For: 192.0.2.2\n"
                   "X-Forwarded-Proto: https\nX-Forwarded-Port: 443\n");
    /* hop-by-hop headers and Content-Length never reach the watchdog */
    expect_headers("{\"httpMethod\":\"POST\",\"path\":\"/\",\"requestContext\":{\"elb\":{}},\"headers\":{"
                   "\"connection\":\"keep-alive\",\"keep-alive\":\"5\",\"te\":\"trailers\",\"trailer\":\"x\","
                   "\"upgrade\":\"h2c\",\"proxy-connection\":\"x\",\"transfer-encoding\":\"chunked\","
                   "\"content-length\":\"5\",\"expect\":\"100-continue\",\"x-forwarded-proto\":\"http\"}}",
                   "expect: 100-continue\nx-forwarded-proto: http\nX-Forwarded-Port: 443\n");
}

Test(shim_event_rules, bodies)
{
    shim_request req = {0};
    /* a text body with a NUL and a surrogate pair, decoded exactly */
    expect_ok("{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX(URL_DOMAIN)
              ",\"body\":\"a\\u0000b\\ud83d\\ude00\\/\\\"\",\"isBase64Encoded\":false}",
              NULL, &req);
    cr_expect(req.body.len == 9 && !memcmp(req.body.data, "a\0b\xf0\x9f\x98\x80/\"", 9));
    shim_request_free(&req);
    /* base64 with an escaped '/' */
    expect_ok("{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX(URL_DOMAIN) ",\"body\":\"AP\\/+\",\"isBase64Encoded\":true}",
              NULL, &req);
    cr_expect(req.body.len == 3 && !memcmp(req.body.data, "\x00\xff\xfe", 3));
    shim_request_free(&req);
    /* null body, absent isBase64Encoded */
    expect_ok("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"body\":null,\"isBase64Encoded\":null}", NULL, &req);
    cr_expect_eq(req.body.len, 0);
    shim_request_free(&req);
    /* a body member under an escaped name is still the body */
    expect_ok("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"b\\u006fdy\":\"x\"}", NULL, &req);
    cr_expect(req.body.len == 1 && req.body.data[0] == 'x');
    shim_request_free(&req);
}

/* requestContext is passed on compact, byte for byte otherwise (numbers and
 * escapes as written). */
Test(shim_event_rules, request_context_compact)
{
    shim_request req = {0};
    expect_ok("{ \"httpMethod\" : \"GET\" , \"path\":\"/\", \"requestContext\" : { \"a\" : [ 1 , 2.50 , 1e400 ] ,"
              " \"s\" : \"x y\\u0041\\\" \" , \"o\" : { } } }",
              NULL, &req);
    cr_expect_str_eq(req.request_context, "{\"a\":[1,2.50,1e400],\"s\":\"x y\\u0041\\\" \",\"o\":{}}");
    shim_request_free(&req);
}

Test(shim_event_rules, detection)
{
    static const struct {
        const char *event;
        shim_kind kind;
    } cases[] = {
        {"{\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":{}}", SHIM_REST_V1},
        {"{\"version\":\"1.0\",\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":{}}", SHIM_REST_V1},
        {"{\"version\":\"3.0\",\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":{}}", SHIM_RAW},
        {"{\"httpMethod\":\"GET\",\"path\":\"/\"}", SHIM_RAW},
        {"{\"httpMethod\":5,\"path\":\"/\",\"requestContext\":{}}", SHIM_RAW},
        {"{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX(API_DOMAIN) "}", SHIM_HTTP_V2},
        {"{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX(URL_DOMAIN) "}", SHIM_URL},
        {"{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX("localhost") "}", SHIM_URL},
        {"{\"version\":\"2.0\",\"rawPath\":\"/\",\"requestContext\":{}}", SHIM_RAW},
        {"{\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":{\"elb\":{}}}", SHIM_ALB},
        {"{\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":{\"elb\":{}},\"multiValueHeaders\":null}", SHIM_ALB},
        {"{\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":{\"elb\":{}},\"multiValueHeaders\":{}}",
         SHIM_ALB_MULTI},
        {"{\"requestContext\":{\"eventType\":\"CONNECT\",\"connectionId\":\"x\"},\"headers\":{}}", SHIM_RAW},
        {"{\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":{\"eventType\":\"MESSAGE\"}}", SHIM_RAW},
        {"[1,2]", SHIM_RAW},
        {"\"a string\"", SHIM_RAW},
        {" 42 ", SHIM_RAW},
        {"null", SHIM_RAW},
        {"{}", SHIM_RAW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        shim_request req = {0};
        shim_kind kind = (shim_kind)-1;
        fl_err err = {{0}};
        cr_expect_eq(translate(cases[i].event, NULL, &kind, &req, &err), 0, "%s: %s", cases[i].event, err.msg);
        cr_expect_eq(kind, cases[i].kind, "%s: %s", cases[i].event, shim_kind_name(kind));
        shim_request_free(&req);
        cJSON *j = parse_json(cases[i].event, strlen(cases[i].event));
        cr_expect_eq(shim_detect(j), cases[i].kind, "shim_detect: %s", cases[i].event);
        cJSON_Delete(j);
    }
}

Test(shim_event_rules, hostile_members_fail_naming_the_member)
{
    expect_fail("{\"version\":\"2.0\",\"rawPath\":\"/\",\"requestContext\":{\"http\":{}}}",
                "no requestContext.http.method string");
    expect_fail("{\"version\":\"2.0\",\"rawPath\":\"/\",\"requestContext\":{\"http\":{\"method\":\"G T\"}}}",
                "not a valid HTTP method");
    expect_fail("{\"httpMethod\":\"\",\"path\":\"/\"," REST_CTX "}", "not a valid HTTP method");
    expect_fail("{\"httpMethod\":\"GET\"," REST_CTX "}", "no path string");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":[]," REST_CTX "}", "no path string");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"x\"," REST_CTX "}", "does not start with '/'");
    expect_fail("{\"version\":\"2.0\"," V2_CTX(URL_DOMAIN) "}", "no rawPath string");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"headers\":{\"a\":1}}",
                "headers: the value of header \"a\" is not a string");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"headers\":[\"a\"]}", "headers is not an object");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"multiValueHeaders\":{\"a\":\"x\"}}",
                "the value of header \"a\" is not an array");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"multiValueHeaders\":{\"a\":[1]}}",
                "multiValueHeaders: the value of header \"a\" is not a string");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"multiValueHeaders\":7}",
                "multiValueHeaders is not an object");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"headers\":{\"bad name\":\"x\"}}",
                "\"bad name\" is not a valid header name");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"headers\":{\"a\":\"x\\r\\nInjected: 1\"}}",
                "contains CR or LF");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"headers\":{\"a\":\"x\\u0000y\"}}",
                "member \"headers\" contains a NUL character");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/a\\u0000b\"," REST_CTX "}", "member \"path\" contains a NUL");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"body\":5}", "body is neither a string nor null");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"body\":{\"a\":1}}", "body is neither");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"isBase64Encoded\":\"true\"}",
                "isBase64Encoded is not a boolean");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"isBase64Encoded\":true,\"body\":\"QUJD\\n\"}",
                "offset 4");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"queryStringParameters\":{\"a\":1}}",
                "queryStringParameters: the value of \"a\" is not a string");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"multiValueQueryStringParameters\":{\"a\":\"x\"}}",
                "multiValueQueryStringParameters: the value of \"a\" is not an array");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"multiValueQueryStringParameters\":{\"a\":[1]}}",
                "a value of \"a\" is not a string");
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"queryStringParameters\":\"a=b\"}",
                "queryStringParameters is not an object");
    expect_fail("{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX(URL_DOMAIN) ",\"rawQueryString\":5}",
                "rawQueryString is not a string");
    expect_fail("{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX(URL_DOMAIN) ",\"cookies\":\"a=b\"}",
                "cookies is not an array");
    expect_fail("{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX(URL_DOMAIN) ",\"cookies\":[{}]}",
                "cookies: an element is not a string");
    expect_fail("{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX(URL_DOMAIN) ",\"cookies\":[\"a\\nb\"]}",
                "cookies contains CR or LF");
    expect_fail("{\"version\":\"2.0\",\"rawPath\":\"/\",\"requestContext\":{\"http\":{\"method\":\"GET\"},"
                "\"domainName\":\"x.lambda-url.y\\r\\nz\"}}",
                "requestContext.domainName contains CR or LF");
}

/* A NUL only matters in members the event's shape reads: HTTP API 2.0 has
 * queryStringParameters decoded ("?a=%00" gives "\u0000") but reads
 * rawQueryString. */
Test(shim_event_rules, nul_only_matters_where_read)
{
    shim_request req = {0};
    expect_ok("{\"version\":\"2.0\",\"rawPath\":\"/\",\"rawQueryString\":\"a=%00\"," V2_CTX(URL_DOMAIN)
              ",\"queryStringParameters\":{\"a\":\"\\u0000\"},\"pathParameters\":{\"p\":\"\\u0000\"}}",
              NULL, &req);
    cr_expect_str_eq(req.query, "a=%00");
    shim_request_free(&req);
    expect_fail("{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"queryStringParameters\":{\"a\":\"\\u0000\"}}",
                "member \"queryStringParameters\" contains a NUL");
    expect_fail("{\"version\":\"2.0\",\"rawPath\":\"/\"," V2_CTX(URL_DOMAIN) ",\"cookies\":[\"a=\\u0000\"]}",
                "member \"cookies\" contains a NUL");
    /* raw events are passed on as bytes: a NUL anywhere is fine */
    expect_ok("{\"Records\":[{\"body\":\"\\u0000\"}],\"headers\":{\"a\":\"\\u0000\"}}", NULL, &req);
    shim_request_free(&req);
}

Test(shim_event_rules, invalid_json_fails_with_the_offset)
{
    expect_fail("", "event: invalid JSON: the document is empty");
    expect_fail("   ", "the document is empty");
    expect_fail("{\"a\":1", "invalid JSON at byte 6: unexpected end");
    expect_fail("{\"a\":1}x", "invalid JSON at byte 7: unexpected data after the document");
    expect_fail("{\"a\":tru}", "invalid JSON at byte 5");
    expect_fail("{\"a\":01}", "invalid JSON");
    expect_fail("{\"a\":-}", "invalid number");
    expect_fail("{\"a\":1.}", "invalid number");
    expect_fail("{\"a\":\"\\x\"}", "invalid escape");
    expect_fail("{\"a\":\"\\udc00\"}", "invalid escape");
    expect_fail("{\"a\":\"\\ud800x\"}", "invalid escape");
    expect_fail("{\"a\":\"tab\there\"}", "control character");
    expect_fail("{\"a\":[1,]}", "invalid JSON");
    expect_fail("{\"a\" 1}", "expected ':'");
    expect_fail("{,}", "expected a member name");
    expect_fail("[1 2]", "expected ',' or ']'");
    expect_fail("{\"body\":\"unterminated", "unterminated string");
    expect_fail("{\"body\":\"unterminated\\", "invalid escape");
    expect_fail("\xef\xbb\xbf{}", "invalid JSON at byte 0"); /* no BOM */
}

static char *nested(size_t depth, const char *wrap_key)
{
    fl_buf b = {0};
    fl_buf_printf(&b, "{\"httpMethod\":\"GET\",\"path\":\"/\",\"%s\":", wrap_key);
    for (size_t i = 0; i < depth; i++)
        fl_buf_puts(&b, "[");
    for (size_t i = 0; i < depth; i++)
        fl_buf_puts(&b, "]");
    fl_buf_puts(&b, ",\"requestContext\":{}}");
    return fl_buf_steal(&b);
}

Test(shim_event_rules, deep_nesting)
{
    char *ev = nested(3000, "other"); /* not read by the shim: fine */
    shim_request req = {0};
    expect_ok(ev, NULL, &req);
    cr_expect_str_eq(req.method, "GET");
    shim_request_free(&req);
    free(ev);
    ev = nested(5000, "other");
    expect_fail(ev, "nested too deeply");
    free(ev);
    ev = nested(1500, "headers"); /* read with cJSON, which stops at 1000 */
    expect_fail(ev, "nested more deeply than 1000 levels");
    free(ev);
}

/* The first of duplicate members counts, as cJSON_GetObjectItem reads it. */
Test(shim_event_rules, duplicate_members_first_wins)
{
    shim_request req = {0};
    expect_ok("{\"httpMethod\":\"GET\",\"httpMethod\":\"POST\",\"path\":\"/a\",\"path\":\"/b\"," REST_CTX
              ",\"body\":\"1\",\"body\":\"2\",\"headers\":{\"x\":\"1\",\"x\":\"2\"}}",
              NULL, &req);
    cr_expect_str_eq(req.method, "GET");
    cr_expect_str_eq(req.path, "/a");
    cr_expect(req.body.len == 1 && req.body.data[0] == '1');
    cr_expect_eq(fl_headers_count(&req.headers, "x"), 2, "repeated names inside a map are all headers");
    shim_request_free(&req);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A hostile event with 200000 headers and query keys: no quadratic work. */
Test(shim_event_rules, many_headers_stay_linear, .timeout = 60)
{
    fl_buf b = {0};
    fl_buf_puts(&b, "{\"httpMethod\":\"GET\",\"path\":\"/\"," REST_CTX ",\"multiValueHeaders\":{");
    for (int i = 0; i < 200000; i++)
        fl_buf_printf(&b, "%s\"h%d\":[\"v\",\"w\"]", i ? "," : "", i % 50000);
    fl_buf_puts(&b, "},\"multiValueQueryStringParameters\":{");
    for (int i = 0; i < 200000; i++)
        fl_buf_printf(&b, "%s\"q%d\":[\"v\"]", i ? "," : "", i);
    fl_buf_puts(&b, "}}");
    shim_request req = {0};
    shim_kind kind;
    fl_err err;
    double t = now_ms();
    cr_assert_eq(shim_event_to_request(b.data, b.len, NULL, &kind, &req, &err), 0, "%s", err.msg);
    double spent = now_ms() - t;
    cr_expect_eq(req.headers.n, 400000 + 4, "plus Host, X-Forwarded-For, -Proto and -Port");
    cr_expect(spent < 10000, "took %.0f ms", spent);

    shim_response resp = {.status = 200, .headers = req.headers};
    fl_buf payload = {0};
    bool is_error;
    t = now_ms();
    cr_assert_eq(shim_response_to_payload(SHIM_REST_V1, &resp, NULL, &payload, &is_error, &err), 0);
    cr_assert_eq(shim_response_to_payload(SHIM_URL, &resp, NULL, &payload, &is_error, &err), 0);
    fl_buf ev = {0};
    cr_assert_eq(shim_request_to_event(&req, NULL, &ev, &err), 0);
    spent = now_ms() - t;
    cr_expect(spent < 10000, "took %.0f ms", spent);
    fl_buf_free(&ev);
    fl_buf_free(&payload);
    shim_request_free(&req);
    fl_buf_free(&b);
}

/* A caller that keeps one shim_request across events (the bootstrap) gets
 * each event's own body in the allocation it already holds, and nothing of
 * the earlier event: not its body, headers, path or query. */
Test(shim_event_rules, a_kept_request_reuses_its_body_allocation_only)
{
    fl_buf big = {0};
    fl_buf_puts(&big, "{\"version\":\"2.0\",\"rawPath\":\"/big\",\"rawQueryString\":\"a=1\",\"headers\":{\"x-one\":\"1\"},"
                      "\"body\":\"");
    for (int i = 0; i < 100000; i++)
        fl_buf_putc(&big, (char)('a' + i % 26));
    fl_buf_puts(&big, "\",\"isBase64Encoded\":false," V2_CTX(URL_DOMAIN) "}");
    shim_request req = {0};
    shim_kind kind;
    fl_err err = {{0}};
    cr_assert_eq(shim_event_to_request(big.data, big.len, NULL, &kind, &req, &err), 0, "%s", err.msg);
    cr_assert_eq(req.body.len, 100000);
    const char *kept = req.body.data;

    shim_request_reset(&req);
    cr_expect(!req.method && !req.path && !req.query && !req.headers.n && !req.request_context && !req.body.len);
    cr_expect_eq(req.body.data, kept, "the allocation is kept");
    expect_ok("{\"version\":\"2.0\",\"rawPath\":\"/small\",\"body\":\"aGk=\",\"isBase64Encoded\":true," V2_CTX(URL_DOMAIN) "}",
              NULL, &req);
    cr_expect_eq(req.body.data, kept, "and used again");
    cr_expect_eq(req.body.len, 2);
    cr_expect_eq(memcmp(req.body.data, "hi", 2), 0);
    cr_expect_str_eq(req.path, "/small");
    cr_expect_str_eq(req.query, "");
    cr_expect(!fl_headers_get(&req.headers, "x-one"), "no header of the earlier event");

    shim_request_reset(&req);
    expect_ok("[1,2]", NULL, &req); /* raw: the event itself */
    cr_expect_eq(req.body.len, 5);
    cr_expect_eq(memcmp(req.body.data, "[1,2]", 5), 0);

    shim_request_reset(&req);
    cr_expect_eq(translate("{\"version\":\"2.0\",\"rawPath\":\"/x\",\"body\":\"!\",\"isBase64Encoded\":true,"
                           V2_CTX(URL_DOMAIN) "}", NULL, &kind, &req, &err), -1);
    cr_expect(!req.body.data && !req.body.len, "a failure frees and zeroes everything");
    expect_ok("{}", NULL, &req);
    cr_expect_eq(req.body.len, 2);
    shim_request_free(&req);
    fl_buf_free(&big);
}
