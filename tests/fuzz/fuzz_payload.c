/* libFuzzer: the provider-side parsers of untrusted bytes: a Lambda
 * response payload, a streaming prelude, base64. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "shim/shim.h"

static bool same(const fl_buf *a, const fl_buf *b)
{
    return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

static void check_response(const shim_response *r)
{
    CHECK(r->status >= 100 && r->status <= 599);
    for (size_t i = 0; i < r->headers.n; i++)
        CHECK(r->headers.v[i].name[0] && !strpbrk(r->headers.v[i].value, "\r\n"));
}

static void fuzz_payload(const char *s, size_t n)
{
    shim_response r;
    fl_err err;
    if (shim_payload_to_response(s, n, &r, &err)) {
        CHECK(err.msg[0] && !r.headers.n && !r.body.len);
        return;
    }
    check_response(&r);
    /* what it decoded goes back out as a Function URL payload and returns */
    fl_buf p = {0};
    bool is_error;
    CHECK(shim_response_to_payload(SHIM_URL, &r, NULL, &p, &is_error, &err) == 0);
    shim_response back;
    CHECK(shim_payload_to_response(p.data, p.len, &back, &err) == 0);
    bool empty = r.status < 200 || r.status == 204 || r.status == 205 || r.status == 304;
    CHECK(back.status == r.status && (empty ? back.body.len == 0 : same(&back.body, &r.body)));
    shim_response_free(&back);
    fl_buf_free(&p);
    shim_response_free(&r);
}

static void fuzz_prelude(const char *s, size_t n)
{
    shim_response r;
    size_t used = 0;
    fl_err err;
    int rc = shim_prelude_decode(s, n, &r, &used, &err);
    CHECK(rc >= -1 && rc <= 1);
    if (rc == 1) {
        CHECK(used >= 8 && used <= n);
        check_response(&r);
        fl_buf again = {0};
        shim_prelude_encode(r.status, &r.headers, &again);
        shim_response r2;
        size_t used2;
        CHECK(shim_prelude_decode(again.data, again.len, &r2, &used2, &err) == 1 && used2 == again.len);
        CHECK(r2.status == r.status);
        shim_response_free(&r2);
        fl_buf_free(&again);
    } else {
        CHECK(used == 0 && !r.headers.n);
    }
    shim_response_free(&r);
}

static void fuzz_base64(const char *s, size_t n)
{
    fl_buf out = {0}, enc = {0}, dec = {0};
    fl_err err;
    if (shim_base64_decode(s, n, &out, &err) == 0) {
        CHECK(n % 4 == 0 && out.len <= n / 4 * 3);
        shim_base64_encode(out.data, out.len, &enc);
        CHECK(enc.len == n);
        CHECK(shim_base64_decode(enc.data, enc.len, &dec, &err) == 0 && same(&dec, &out));
    } else {
        CHECK(out.len == 0 && strstr(err.msg, "base64"));
    }
    fl_buf_free(&out);
    fl_buf_free(&enc);
    fl_buf_free(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    fuzz_payload(s, size);
    fuzz_prelude(s, size);
    fuzz_base64(s, size);
    fl_headers none = {0};
    (void)shim_body_is_text(&none, s, size);
    return 0;
}
