/* Streaming prelude (lambda-runtime.md §4): JSON {statusCode, headers,
 * cookies} then exactly 8 NUL bytes; decoding copes with partial input. */
#include "test_shim_util.h"

static const char DELIM[8] = {0};

static void encode_sample(fl_buf *out)
{
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "text/event-stream");
    fl_headers_add(&h, "Set-Cookie", "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT");
    fl_headers_add(&h, "Transfer-Encoding", "chunked");
    fl_headers_add(&h, "X-Rep", "1");
    fl_headers_add(&h, "Content-Length", "99");
    fl_headers_add(&h, "Set-Cookie", "b=2");
    fl_headers_add(&h, "x-rep", "2");
    fl_headers_add(&h, "Connection", "keep-alive");
    shim_prelude_encode(201, &h, out);
    fl_headers_free(&h);
}

/* Hop-by-hop headers and Content-Length go (the body is streamed); repeats
 * are comma-joined; every Set-Cookie goes to cookies, unsplit. */
Test(shim_prelude, encode_is_json_then_eight_nuls)
{
    fl_buf b = {0};
    fl_buf_puts(&b, "x"); /* appends */
    encode_sample(&b);
    const char *json = "{\"statusCode\":201,\"headers\":{\"Content-Type\":\"text/event-stream\",\"X-Rep\":\"1,2\"},"
                       "\"cookies\":[\"a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT\",\"b=2\"]}";
    size_t n = strlen(json);
    cr_assert_eq(b.len, 1 + n + 8);
    cr_expect(!memcmp(b.data + 1, json, n), "got %.*s", (int)(b.len - 9), b.data + 1);
    cr_expect(!memcmp(b.data + 1 + n, DELIM, 8));
    fl_buf_free(&b);
}

Test(shim_prelude, encode_without_headers)
{
    fl_buf b = {0};
    fl_headers none = {0};
    shim_prelude_encode(200, &none, &b);
    const char *json = "{\"statusCode\":200,\"headers\":{},\"cookies\":[]}";
    cr_assert_eq(b.len, strlen(json) + 8);
    cr_expect(!memcmp(b.data, json, strlen(json)));
    fl_buf_free(&b);
}

Test(shim_prelude, decode_reads_back_what_encode_wrote)
{
    fl_buf b = {0};
    encode_sample(&b);
    size_t prelude_len = b.len;
    fl_buf_puts(&b, "body bytes"); /* what follows is the body: not consumed */
    shim_response resp;
    size_t used = 0;
    fl_err err;
    cr_assert_eq(shim_prelude_decode(b.data, b.len, &resp, &used, &err), 1, "%s", err.msg);
    cr_expect_eq(used, prelude_len);
    cr_expect_eq(resp.status, 201);
    char *h = headers_text(&resp.headers);
    cr_expect_str_eq(h, "Content-Type: text/event-stream\nX-Rep: 1,2\n"
                        "Set-Cookie: a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT\nSet-Cookie: b=2\n");
    cr_expect_eq(resp.body.len, 0);
    free(h);
    shim_response_free(&resp);
    fl_buf_free(&b);
}

/* Every strict prefix needs more bytes; the whole prelude decodes. */
Test(shim_prelude, partial_input_asks_for_more)
{
    fl_buf b = {0};
    encode_sample(&b);
    for (size_t n = 0; n < b.len; n++) {
        shim_response resp;
        size_t used = 77;
        fl_err err = {{0}};
        cr_assert_eq(shim_prelude_decode(b.data, n, &resp, &used, &err), 0, "prefix of %zu bytes: %s", n, err.msg);
        cr_assert_eq(used, 0);
        shim_response_free(&resp);
    }
    shim_response resp;
    size_t used;
    fl_err err;
    cr_expect_eq(shim_prelude_decode(b.data, b.len, &resp, &used, &err), 1, "%s", err.msg);
    shim_response_free(&resp);
    fl_buf_free(&b);
}

static int decode_text(const char *s, size_t n, shim_response *resp, fl_err *err)
{
    size_t used;
    return shim_prelude_decode(s, n, resp, &used, err);
}

/* A NUL inside the JSON is not the delimiter: the 8 bytes from the first NUL
 * must all be NUL, else the prelude is invalid. */
Test(shim_prelude, nul_inside_the_prelude_is_invalid)
{
    static const char with_nul[] = "{\"statusCode\":200,\"headers\":{\"a\":\"b\0c\"}}\0\0\0\0\0\0\0\0";
    shim_response resp;
    fl_err err = {{0}};
    cr_expect_eq(decode_text(with_nul, sizeof with_nul - 1, &resp, &err), -1);
    cr_expect(strstr(err.msg, "NUL"), "%s", err.msg);
    shim_response_free(&resp);
    /* a JSON cut by the NUL, then 8 NULs: the cut JSON is invalid */
    static const char cut[] = "{\"statusCode\":200,\"hea\0\0\0\0\0\0\0\0ders\":{}}";
    cr_expect_eq(decode_text(cut, sizeof cut - 1, &resp, &err), -1);
    shim_response_free(&resp);
    /* fewer than 8 NULs then more data */
    static const char short_delim[] = "{\"statusCode\":200}\0\0\0\0\0\0\0x";
    cr_expect_eq(decode_text(short_delim, sizeof short_delim - 1, &resp, &err), -1);
    shim_response_free(&resp);
}

Test(shim_prelude, invalid_documents)
{
    static const struct {
        const char *json, *message;
    } bad[] = {
        {"", "empty"},
        {"not json", "not JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"statusCode\":\"200\"}", "statusCode"},
        {"{\"statusCode\":99}", "statusCode"},
        {"{\"statusCode\":600}", "statusCode"},
        {"{\"statusCode\":200.5}", "statusCode"},
        {"{\"statusCode\":200,\"headers\":[]}", "headers is not an object"},
        {"{\"statusCode\":200,\"headers\":{\"a\":{}}}", "not a string"},
        {"{\"statusCode\":200,\"headers\":{\"bad name\":\"x\"}}", "not a valid header name"},
        {"{\"statusCode\":200,\"headers\":{\"a\":\"x\\r\\nInjected: 1\"}}", "CR or LF"},
        {"{\"statusCode\":200,\"cookies\":[1]}", "cookies"},
        {"{\"statusCode\":200,\"cookies\":\"a=b\"}", "cookies is not an array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fl_buf b = {0};
        fl_buf_puts(&b, bad[i].json);
        fl_buf_append(&b, DELIM, 8);
        shim_response resp;
        fl_err err = {{0}};
        cr_expect_eq(decode_text(b.data, b.len, &resp, &err), -1, "%s should be invalid", bad[i].json);
        cr_expect(strstr(err.msg, bad[i].message), "%s: \"%s\" lacks \"%s\"", bad[i].json, err.msg, bad[i].message);
        cr_expect_eq(resp.headers.n, 0, "nothing is left behind");
        shim_response_free(&resp);
        fl_buf_free(&b);
    }
}

/* statusCode defaults to 200; API Gateway's prelude may carry
 * multiValueHeaders; number and boolean header values are taken as text. */
Test(shim_prelude, lenient_where_runtimes_differ)
{
    static const char p[] = "{\"headers\":{\"x-n\":5,\"x-b\":true,\"x-null\":null},"
                            "\"multiValueHeaders\":{\"x-m\":[\"1\",\"2\"]},\"cookies\":[\"c=d\"]}\0\0\0\0\0\0\0\0";
    shim_response resp;
    fl_err err;
    cr_assert_eq(decode_text(p, sizeof p - 1, &resp, &err), 1, "%s", err.msg);
    cr_expect_eq(resp.status, 200);
    char *h = headers_text(&resp.headers);
    cr_expect_str_eq(h, "x-m: 1\nx-m: 2\nx-n: 5\nx-b: true\nSet-Cookie: c=d\n");
    free(h);
    shim_response_free(&resp);
}

Test(shim_prelude, no_delimiter_within_the_limit_is_invalid)
{
    size_t n = SHIM_PRELUDE_MAX + 1;
    char *big = fl_xmalloc(n);
    memset(big, ' ', n);
    big[0] = '{';
    shim_response resp;
    fl_err err = {{0}};
    size_t used;
    cr_expect_eq(shim_prelude_decode(big, SHIM_PRELUDE_MAX, &resp, &used, &err), 0, "at the limit: more needed");
    cr_expect_eq(shim_prelude_decode(big, n, &resp, &used, &err), -1, "past the limit: invalid");
    cr_expect(strstr(err.msg, "delimiter"), "%s", err.msg);
    free(big);
}
