/* HTTP response -> Lambda response payload, per event kind
 * (lambda-runtime.md §2.2-2.5), and the text/binary decision. */
#include "test_shim_util.h"

typedef struct hdr {
    const char *name, *value;
} hdr;

static void make_response(shim_response *r, int status, const hdr *h, const char *body, size_t len)
{
    *r = (shim_response){.status = status};
    for (; h && h->name; h++)
        fl_headers_add(&r->headers, h->name, h->value);
    fl_buf_append(&r->body, body, len);
}

/* Translates and returns the payload as a string (the test owns it). */
static char *payload_of(shim_kind kind, const shim_response *r, const shim_options *opt, bool *is_error)
{
    fl_buf p = {0};
    fl_err err = {{0}};
    bool e = true;
    cr_assert_eq(shim_response_to_payload(kind, r, opt, &p, &e, &err), 0, "%s", err.msg);
    if (is_error)
        *is_error = e;
    else
        cr_expect(!e, "not an error");
    return fl_buf_steal(&p);
}

static void expect_payload(shim_kind kind, const shim_response *r, const char *want)
{
    char *got = payload_of(kind, r, NULL, NULL);
    cr_expect_str_eq(got, want, "%s payload", shim_kind_name(kind));
    free(got);
}

/* Repeated headers (grouped case-insensitively, first spelling kept, in order
 * of first appearance) and several Set-Cookie with commas in Expires. */
static const hdr MIXED[] = {
    {"Content-Type", "text/plain; charset=utf-8"},
    {"Set-Cookie", "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/"},
    {"X-Multi", "one"},
    {"Cache-Control", "no-cache"},
    {"x-multi", "two, three"},
    {"set-cookie", "b=2"},
    {NULL, NULL},
};

Test(shim_response, rest_v1_text)
{
    shim_response r;
    make_response(&r, 200, MIXED, "hello \"world\"\n", 14);
    expect_payload(SHIM_REST_V1, &r,
                   "{\"statusCode\":200,\"multiValueHeaders\":{\"Content-Type\":[\"text/plain; charset=utf-8\"],"
                   "\"Set-Cookie\":[\"a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/\",\"b=2\"],"
                   "\"X-Multi\":[\"one\",\"two, three\"],\"Cache-Control\":[\"no-cache\"]},"
                   "\"body\":\"hello \\\"world\\\"\\n\",\"isBase64Encoded\":false}");
    shim_response_free(&r);
}

Test(shim_response, http_v2_and_url_text)
{
    shim_response r;
    make_response(&r, 201, MIXED, "ok", 2);
    const char *want = "{\"statusCode\":201,\"headers\":{\"Content-Type\":\"text/plain; charset=utf-8\","
                       "\"X-Multi\":\"one,two, three\",\"Cache-Control\":\"no-cache\"},"
                       "\"cookies\":[\"a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/\",\"b=2\"],"
                       "\"body\":\"ok\",\"isBase64Encoded\":false}";
    expect_payload(SHIM_HTTP_V2, &r, want);
    expect_payload(SHIM_URL, &r, want);
    shim_response_free(&r);
}

Test(shim_response, alb_single_and_multi_value)
{
    shim_response r;
    make_response(&r, 404, MIXED, "nope", 4);
    /* single-value: repeats comma-joined, but Set-Cookie cannot be: only the first */
    expect_payload(SHIM_ALB, &r,
                   "{\"statusCode\":404,\"statusDescription\":\"404 Not Found\",\"headers\":{"
                   "\"Content-Type\":\"text/plain; charset=utf-8\","
                   "\"Set-Cookie\":\"a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/\","
                   "\"X-Multi\":\"one,two, three\",\"Cache-Control\":\"no-cache\"},"
                   "\"body\":\"nope\",\"isBase64Encoded\":false}");
    expect_payload(SHIM_ALB_MULTI, &r,
                   "{\"statusCode\":404,\"statusDescription\":\"404 Not Found\",\"multiValueHeaders\":{"
                   "\"Content-Type\":[\"text/plain; charset=utf-8\"],"
                   "\"Set-Cookie\":[\"a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/\",\"b=2\"],"
                   "\"X-Multi\":[\"one\",\"two, three\"],\"Cache-Control\":[\"no-cache\"]},"
                   "\"body\":\"nope\",\"isBase64Encoded\":false}");
    shim_response_free(&r);
}

Test(shim_response, alb_status_description_for_an_unlisted_code)
{
    shim_response r;
    make_response(&r, 299, NULL, "", 0);
    expect_payload(SHIM_ALB, &r,
                   "{\"statusCode\":299,\"statusDescription\":\"299 Unknown\",\"headers\":{},\"body\":\"\","
                   "\"isBase64Encoded\":false}");
    shim_response_free(&r);
}

static const char BINARY[] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n', '\0', '\xff'};

Test(shim_response, binary_body_is_base64)
{
    static const hdr png[] = {{"Content-Type", "image/png"}, {NULL, NULL}};
    shim_response r;
    make_response(&r, 200, png, BINARY, sizeof BINARY);
    expect_payload(SHIM_URL, &r,
                   "{\"statusCode\":200,\"headers\":{\"Content-Type\":\"image/png\"},"
                   "\"body\":\"iVBORw0KGgoA/w==\",\"isBase64Encoded\":true}");
    expect_payload(SHIM_REST_V1, &r,
                   "{\"statusCode\":200,\"multiValueHeaders\":{\"Content-Type\":[\"image/png\"]},"
                   "\"body\":\"iVBORw0KGgoA/w==\",\"isBase64Encoded\":true}");
    shim_response_free(&r);
}

/* Compressed bytes are binary whatever the type; so is text that is not
 * UTF-8 or holds a NUL. */
Test(shim_response, gzip_and_bad_text_are_base64)
{
    static const hdr gz[] = {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}, {NULL, NULL}};
    shim_response r;
    make_response(&r, 200, gz, "{}", 2);
    char *p = payload_of(SHIM_URL, &r, NULL, NULL);
    cr_expect(strstr(p, "\"body\":\"e30=\",\"isBase64Encoded\":true"), "%s", p);
    free(p);
    shim_response_free(&r);

    static const hdr text[] = {{"Content-Type", "text/plain"}, {NULL, NULL}};
    make_response(&r, 200, text, "caf\xe9", 4); /* Latin-1, not UTF-8 */
    p = payload_of(SHIM_URL, &r, NULL, NULL);
    cr_expect(strstr(p, "\"body\":\"Y2Fm6Q==\",\"isBase64Encoded\":true"), "%s", p);
    free(p);
    shim_response_free(&r);

    make_response(&r, 200, text, "a\0b", 3);
    p = payload_of(SHIM_URL, &r, NULL, NULL);
    cr_expect(strstr(p, "\"body\":\"YQBi\",\"isBase64Encoded\":true"), "%s", p);
    free(p);
    shim_response_free(&r);
}

Test(shim_response, raw_payload_is_the_body_itself)
{
    static const hdr json[] = {{"Content-Type", "application/json"}, {"X-Ignored", "1"}, {NULL, NULL}};
    shim_response r;
    make_response(&r, 200, json, "{\"ok\":true}", 11);
    expect_payload(SHIM_RAW, &r, "{\"ok\":true}");
    shim_response_free(&r);
    make_response(&r, 200, NULL, BINARY, sizeof BINARY);
    fl_buf p = {0};
    bool e;
    fl_err err;
    cr_assert_eq(shim_response_to_payload(SHIM_RAW, &r, NULL, &p, &e, &err), 0);
    cr_expect(p.len == sizeof BINARY && !memcmp(p.data, BINARY, sizeof BINARY));
    fl_buf_free(&p);
    shim_response_free(&r);
}

/* 1xx, 204, 205 and 304 carry no body, whatever the function wrote. */
Test(shim_response, null_body_statuses_drop_the_body)
{
    static const int statuses[] = {101, 204, 205, 304};
    for (size_t i = 0; i < 4; i++) {
        shim_response r;
        make_response(&r, statuses[i], NULL, "should vanish", 13);
        char *p = payload_of(SHIM_URL, &r, NULL, NULL);
        cr_expect(strstr(p, "\"body\":\"\",\"isBase64Encoded\":false}"), "%d: %s", statuses[i], p);
        free(p);
        p = payload_of(SHIM_RAW, &r, NULL, NULL);
        cr_expect_str_eq(p, "", "%d raw", statuses[i]);
        free(p);
        shim_response_free(&r);
    }
}

Test(shim_response, hop_by_hop_headers_are_stripped)
{
    static const hdr h[] = {{"Connection", "keep-alive, X-Secret"},
                            {"Keep-Alive", "timeout=5"},
                            {"Proxy-Connection", "keep-alive"},
                            {"Transfer-Encoding", "chunked"},
                            {"TE", "trailers"},
                            {"Trailer", "X-Checksum"},
                            {"Upgrade", "h2c"},
                            {"Content-Length", "2"},
                            {"X-Kept", "yes"},
                            {NULL, NULL}};
    shim_response r;
    make_response(&r, 200, h, "ok", 2);
    expect_payload(SHIM_URL, &r,
                   "{\"statusCode\":200,\"headers\":{\"Content-Length\":\"2\",\"X-Kept\":\"yes\"},"
                   "\"body\":\"ok\",\"isBase64Encoded\":false}");
    expect_payload(SHIM_ALB_MULTI, &r,
                   "{\"statusCode\":200,\"statusDescription\":\"200 OK\",\"multiValueHeaders\":{"
                   "\"Content-Length\":[\"2\"],\"X-Kept\":[\"yes\"]},\"body\":\"ok\",\"isBase64Encoded\":false}");
    shim_response_free(&r);
}

Test(shim_response, error_statuses_become_error_documents)
{
    shim_options opt = {0};
    fl_err err;
    cr_assert_eq(fl_status_set_parse("500-599,429", &opt.error_statuses, &err), 0);
    static const hdr text[] = {{"Content-Type", "text/plain"}, {NULL, NULL}};
    shim_response r;
    make_response(&r, 502, text, "upstream \"down\"", 15);
    bool is_error = false;
    char *p = payload_of(SHIM_URL, &r, &opt, &is_error);
    cr_expect(is_error);
    cr_expect_str_eq(p, "{\"errorType\":\"Function.ErrorStatus\",\"errorMessage\":\"the function answered HTTP 502 Bad "
                        "Gateway\",\"statusCode\":502,\"body\":\"upstream \\\"down\\\"\",\"isBase64Encoded\":false}");
    free(p);
    shim_response_free(&r);

    static const hdr png[] = {{"Content-Type", "image/png"}, {NULL, NULL}};
    make_response(&r, 599, png, BINARY, sizeof BINARY);
    p = payload_of(SHIM_RAW, &r, &opt, &is_error);
    cr_expect(is_error, "raw events too");
    cr_expect_str_eq(p, "{\"errorType\":\"Function.ErrorStatus\",\"errorMessage\":\"the function answered HTTP "
                        "599\",\"statusCode\":599,\"body\":\"iVBORw0KGgoA/w==\",\"isBase64Encoded\":true}");
    free(p);
    shim_response_free(&r);

    make_response(&r, 404, text, "x", 1); /* not in the set */
    p = payload_of(SHIM_REST_V1, &r, &opt, &is_error);
    cr_expect(!is_error);
    cr_expect(!strncmp(p, "{\"statusCode\":404,", 18), "%s", p);
    free(p);
    shim_response_free(&r);
}

Test(shim_response, invalid_status_or_kind_fails)
{
    shim_response r;
    make_response(&r, 99, NULL, "", 0);
    fl_buf p = {0};
    bool e;
    fl_err err = {{0}};
    cr_expect_eq(shim_response_to_payload(SHIM_URL, &r, NULL, &p, &e, &err), -1);
    cr_expect(strstr(err.msg, "99"), "%s", err.msg);
    r.status = 600;
    cr_expect_eq(shim_response_to_payload(SHIM_URL, &r, NULL, &p, &e, &err), -1);
    r.status = 200;
    cr_expect_eq(shim_response_to_payload((shim_kind)42, &r, NULL, &p, &e, &err), -1);
    fl_buf_free(&p);
    shim_response_free(&r);
}

/* Header names and values with JSON-special bytes still make valid JSON. */
Test(shim_response, every_payload_is_valid_json)
{
    static const hdr odd[] = {{"X-Quote", "a \"quoted\" \\ value\t\x01"}, {"X-Utf8", "\xc3\xa9t\xc3\xa9"}, {NULL, NULL}};
    shim_kind kinds[] = {SHIM_REST_V1, SHIM_HTTP_V2, SHIM_URL, SHIM_ALB, SHIM_ALB_MULTI};
    for (size_t k = 0; k < 5; k++) {
        shim_response r;
        make_response(&r, 200, odd, "line1\nline2\x7f", 12);
        char *p = payload_of(kinds[k], &r, NULL, NULL);
        cJSON *j = parse_json(p, strlen(p));
        const cJSON *h = cJSON_GetObjectItem(j, kinds[k] == SHIM_REST_V1 || kinds[k] == SHIM_ALB_MULTI ? "multiValueHeaders" : "headers");
        const cJSON *q = cJSON_GetObjectItem(h, "X-Quote");
        if (cJSON_IsArray(q))
            q = cJSON_GetArrayItem(q, 0);
        cr_expect(cJSON_IsString(q) && !strcmp(q->valuestring, "a \"quoted\" \\ value\t\x01"), "%s", p);
        cr_expect_str_eq(cJSON_GetObjectItem(j, "body")->valuestring, "line1\nline2\x7f");
        cJSON_Delete(j);
        free(p);
        shim_response_free(&r);
    }
}

Test(shim_response, payload_buffer_is_replaced)
{
    shim_response r;
    make_response(&r, 200, NULL, "x", 1);
    fl_buf p = {0};
    fl_buf_puts(&p, "old contents");
    bool e;
    fl_err err;
    cr_assert_eq(shim_response_to_payload(SHIM_RAW, &r, NULL, &p, &e, &err), 0);
    cr_expect_str_eq(fl_buf_cstr(&p), "x");
    fl_buf_free(&p);
    shim_response_free(&r);
}

/* §2.5: text types, +json/+xml/+yaml, parameters and case ignored; no
 * Content-Type and no Content-Encoding is text; any Content-Encoding is
 * binary; text must be UTF-8 without NUL. */
Test(shim_response, body_is_text_rules)
{
    static const struct {
        const char *ct, *ce, *body;
        bool text;
    } cases[] = {
        {"text/plain", NULL, "hi", true},
        {"TEXT/HTML; charset=UTF-8", NULL, "hi", true},
        {"text/csv", NULL, "a,b", true},
        {"application/json", NULL, "{}", true},
        {"Application/JSON ; charset=utf-8", NULL, "{}", true},
        {"application/javascript", NULL, "x", true},
        {"application/xml", NULL, "<a/>", true},
        {"application/yaml", NULL, "a: 1", true},
        {"application/problem+json", NULL, "{}", true},
        {"application/atom+xml", NULL, "<a/>", true},
        {"application/x+yaml", NULL, "a: 1", true},
        {"image/svg+xml", NULL, "<svg/>", true},
        {"application/jsonp", NULL, "x", false},
        {"application/octet-stream", NULL, "hi", false},
        {"image/png", NULL, "hi", false},
        {"application/x-www-form-urlencoded", NULL, "a=1", false},
        {"+json", NULL, "x", false},
        {NULL, NULL, "plain", true},
        {NULL, NULL, "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", true},
        {NULL, NULL, "\xff", false},
        {NULL, NULL, "\xc0\xaf", false},          /* overlong */
        {NULL, NULL, "\xed\xa0\x80", false},      /* surrogate */
        {NULL, NULL, "\xf4\x90\x80\x80", false},  /* above U+10FFFF */
        {NULL, NULL, "\xe2\x82", false},          /* cut short */
        {"text/plain", "gzip", "hi", false},
        {NULL, "br", "hi", false},
        {"", NULL, "hi", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fl_headers h = {0};
        if (cases[i].ct)
            fl_headers_add(&h, "Content-Type", cases[i].ct);
        if (cases[i].ce)
            fl_headers_add(&h, "content-encoding", cases[i].ce);
        const char *b = cases[i].body;
        cr_expect_eq(shim_body_is_text(&h, b, strlen(b)), cases[i].text, "%s / %s / case %zu",
                     cases[i].ct ? cases[i].ct : "-", cases[i].ce ? cases[i].ce : "-", i);
        fl_headers_free(&h);
    }
    fl_headers none = {0};
    cr_expect(shim_body_is_text(&none, "a\0b", 0), "an empty body is text");
    cr_expect(!shim_body_is_text(&none, "a\0b", 3), "NUL is not text");
    char long_ascii[100];
    memset(long_ascii, 'a', sizeof long_ascii);
    long_ascii[57] = 0;
    cr_expect(!shim_body_is_text(&none, long_ascii, sizeof long_ascii), "NUL past the first words");
}
