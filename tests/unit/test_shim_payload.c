/* Lambda response payload -> HTTP response (provider side), as Function
 * URLs read payloads. */
#include "test_shim_util.h"

static void decode_ok(const char *payload, size_t len, shim_response *r)
{
    fl_err err = {{0}};
    cr_assert_eq(shim_payload_to_response(payload, len, r, &err), 0, "%s: %s", payload, err.msg);
}

static void expect_response(const char *payload, int status, const char *headers, const char *body, size_t body_len)
{
    shim_response r;
    decode_ok(payload, strlen(payload), &r);
    cr_expect_eq(r.status, status, "%s: status", payload);
    char *h = headers_text(&r.headers);
    cr_expect_str_eq(h, headers, "%s: headers", payload);
    free(h);
    bool same = r.body.len == body_len && (!body_len || !memcmp(r.body.data, body, body_len));
    char *got = escape_bytes(r.body.data ? r.body.data : "", r.body.len);
    cr_expect(same, "%s: body %s", payload, got);
    free(got);
    shim_response_free(&r);
}

Test(shim_payload, url_response_document)
{
    expect_response("{\"statusCode\":201,\"headers\":{\"Content-Type\":\"text/plain\",\"X-A\":\"1,2\"},"
                    "\"cookies\":[\"a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT\",\"b=2\"],"
                    "\"body\":\"hello \\\"you\\\"\\n\",\"isBase64Encoded\":false}",
                    201,
                    "Content-Type: text/plain\nX-A: 1,2\nSet-Cookie: a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT\n"
                    "Set-Cookie: b=2\n",
                    "hello \"you\"\n", 12);
}

Test(shim_payload, base64_body)
{
    expect_response("{\"statusCode\":200,\"body\":\"iVBORw0KGgoA/w==\",\"isBase64Encoded\":true}", 200, "",
                    "\x89PNG\r\n\x1a\n\0\xff", 10);
    /* encoders that escape '/' */
    expect_response("{\"statusCode\":200,\"body\":\"iVBORw0KGgoA\\/w==\",\"isBase64Encoded\":true}", 200, "",
                    "\x89PNG\r\n\x1a\n\0\xff", 10);
}

/* multiValueHeaders is canonical for its names; headers adds the others. */
Test(shim_payload, rest_style_document)
{
    expect_response("{\"statusCode\":302,\"headers\":{\"Location\":\"/x\",\"X-Dup\":\"single\"},"
                    "\"multiValueHeaders\":{\"x-dup\":[\"m1\",\"m2\"],\"Set-Cookie\":[\"s=1\",\"t=2\"]},"
                    "\"body\":null}",
                    302, "x-dup: m1\nx-dup: m2\nSet-Cookie: s=1\nSet-Cookie: t=2\nLocation: /x\n", "", 0);
}

/* Functions write numbers and booleans as header values: their text is used;
 * null values are skipped. */
Test(shim_payload, lenient_header_values)
{
    expect_response("{\"statusCode\":200,\"headers\":{\"X-Count\":3,\"X-Big\":12345678901,\"X-Frac\":1.5,"
                    "\"X-Flag\":false,\"X-None\":null},\"multiValueHeaders\":{\"X-M\":[1,\"two\",null],\"X-S\":\"one\"}}",
                    200, "X-M: 1\nX-M: two\nX-S: one\nX-Count: 3\nX-Big: 12345678901\nX-Frac: 1.5\nX-Flag: false\n", "",
                    0);
}

Test(shim_payload, hop_by_hop_and_length_dropped)
{
    expect_response("{\"statusCode\":200,\"headers\":{\"Content-Length\":\"999\",\"Transfer-Encoding\":\"chunked\","
                    "\"connection\":\"close\",\"X-Kept\":\"1\"},\"body\":\"ab\"}",
                    200, "X-Kept: 1\n", "ab", 2);
}

/* Valid JSON that is not a response document: 200 application/json with the
 * payload as the body, byte for byte. */
Test(shim_payload, plain_json_is_a_200)
{
    static const char *docs[] = {"{\"message\":\"hi\"}", " [1, 2, 3] ", "\"just a string\"", "42", "null", "true",
                                 "{\"statuscode\":200}"};
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        expect_response(docs[i], 200, "Content-Type: application/json\n", docs[i], strlen(docs[i]));
}

Test(shim_payload, body_with_nul_and_unicode_escapes)
{
    expect_response("{\"statusCode\":200,\"body\":\"a\\u0000b\\u00e9\\ud83d\\ude00\"}", 200, "",
                    "a\0b\xc3\xa9\xf0\x9f\x98\x80", 9);
}

Test(shim_payload, invalid_payloads)
{
    static const struct {
        const char *payload, *message;
    } bad[] = {
        {"", "not JSON"},
        {"not json", "not JSON"},
        {"{\"statusCode\":200", "not JSON"},
        {"{\"statusCode\":200} trailing", "not JSON"},
        {"{\"statusCode\":\"200\"}", "statusCode must be an integer"},
        {"{\"statusCode\":null}", "statusCode must be an integer"},
        {"{\"statusCode\":99}", "statusCode"},
        {"{\"statusCode\":1e3}", "statusCode"},
        {"{\"statusCode\":200,\"body\":{}}", "body is neither a string nor null"},
        {"{\"statusCode\":200,\"body\":5}", "body is neither"},
        {"{\"statusCode\":200,\"isBase64Encoded\":\"true\",\"body\":\"\"}", "isBase64Encoded is not a boolean"},
        {"{\"statusCode\":200,\"isBase64Encoded\":true,\"body\":\"not base64!\"}", "not valid base64"},
        {"{\"statusCode\":200,\"body\":\"bad \\x escape\"}", "not JSON"},
        {"{\"statusCode\":200,\"body\":\"raw \n newline\"}", "control character"},
        {"{\"statusCode\":200,\"body\":\"\\ud800 lone\"}", "not JSON"},
        {"{\"statusCode\":200,\"headers\":{\"a\":[\"x\"]}}", "not a string"},
        {"{\"statusCode\":200,\"headers\":\"a\"}", "headers is not an object"},
        {"{\"statusCode\":200,\"headers\":{\"a\\u0000b\":\"x\"}}", "NUL"},
        {"{\"statusCode\":200,\"headers\":{\"a\":\"x\\u0000y\"}}", "NUL"},
        {"{\"statusCode\":200,\"headers\":{\"a:b\":\"x\"}}", "not a valid header name"},
        {"{\"statusCode\":200,\"headers\":{\"\":\"x\"}}", "not a valid header name"},
        {"{\"statusCode\":200,\"headers\":{\"a\":\"x\\ny\"}}", "CR or LF"},
        {"{\"statusCode\":200,\"multiValueHeaders\":{\"a\":[{}]}}", "not a string"},
        {"{\"statusCode\":200,\"cookies\":[\"a\\r\\nb\"]}", "CR or LF"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        shim_response r;
        fl_err err = {{0}};
        cr_expect_eq(shim_payload_to_response(bad[i].payload, strlen(bad[i].payload), &r, &err), -1, "%s must fail",
                     bad[i].payload);
        cr_expect(strstr(err.msg, bad[i].message), "%s: \"%s\" lacks \"%s\"", bad[i].payload, err.msg,
                  bad[i].message);
        cr_expect(r.status == 0 && r.headers.n == 0 && r.body.len == 0, "%s: nothing is left behind", bad[i].payload);
        shim_response_free(&r);
    }
}

/* The first of duplicate members counts, as cJSON_GetObjectItem reads it. */
Test(shim_payload, duplicate_members_first_wins)
{
    expect_response("{\"statusCode\":204,\"statusCode\":500,\"body\":\"a\",\"body\":\"b\"}", 204, "", "a", 1);
}
