/* The shim's JSON string fast paths (word-at-a-time decoding and encoding of
 * bodies) against simple references, on random escape-dense strings whose
 * escapes fall at every offset of a word: decoding against a byte-by-byte
 * decoder written here, encoding against fl_json_put_str. */
#include "test_shim_util.h"
#include "shim/internal.h"

static int hexv(char c)
{
    return hex_digit(c);
}

/* Reference: RFC 8259 string contents, one byte at a time. */
static void ref_decode(const char *s, size_t n, fl_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            fl_buf_putc(out, s[i]);
            continue;
        }
        char c = s[++i];
        const char *map = "\"\"\\\\//b\bf\fn\nr\rt\t";
        const char *m = strchr(map, c);
        if (c != 'u') {
            fl_buf_putc(out, m[1]);
            continue;
        }
        unsigned cp = 0;
        for (int k = 1; k <= 4; k++)
            cp = cp << 4 | (unsigned)hexv(s[i + k]);
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo = 0;
            for (int k = 3; k <= 6; k++)
                lo = lo << 4 | (unsigned)hexv(s[i + k]);
            i += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        char u[4];
        size_t len;
        if (cp < 0x80) {
            u[0] = (char)cp;
            len = 1;
        } else if (cp < 0x800) {
            u[0] = (char)(0xC0 | cp >> 6);
            u[1] = (char)(0x80 | (cp & 0x3F));
            len = 2;
        } else if (cp < 0x10000) {
            u[0] = (char)(0xE0 | cp >> 12);
            u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
            u[2] = (char)(0x80 | (cp & 0x3F));
            len = 3;
        } else {
            u[0] = (char)(0xF0 | cp >> 18);
            u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
            u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
            u[3] = (char)(0x80 | (cp & 0x3F));
            len = 4;
        }
        fl_buf_append(out, u, len);
    }
}

static void random_literal(rng *r, fl_buf *lit)
{
    static const char *const pieces[] = {
        "a", "bcdefgh", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0000", "\\u00e9",
        "\\u20AC", "\\ud83d\\ude00", "\xc3\xa9", "\\\\\\\\", "\\\\n", " ", "0123456789abcdef", "'", "\\u001f",
    };
    size_t n = rng_below(r, 8) ? rng_below(r, 40) : rng_below(r, 2000);
    for (size_t i = 0; i < n; i++)
        fl_buf_puts(lit, rng_pick(r, pieces, sizeof pieces / sizeof *pieces));
}

Test(shim_json, body_decoding_matches_the_reference, .timeout = 60)
{
    rng r = {1234567};
    for (int round = 0; round < 20000; round++) {
        fl_buf lit = {0}, doc = {0}, want = {0};
        random_literal(&r, &lit);
        /* vary the body's alignment in the document */
        fl_buf_printf(&doc, "{\"statusCode\":200,%.*s\"body\":\"", (int)rng_below(&r, 9), "        ");
        fl_buf_append(&doc, lit.data ? lit.data : "", lit.len);
        fl_buf_puts(&doc, "\"}");
        ref_decode(lit.data ? lit.data : "", lit.len, &want);
        shim_response resp;
        fl_err err;
        cr_assert_eq(shim_payload_to_response(doc.data, doc.len, &resp, &err), 0, "%s: %s", doc.data, err.msg);
        bool same = resp.body.len == want.len && (!want.len || !memcmp(resp.body.data, want.data, want.len));
        if (!same) {
            char *g = escape_bytes(resp.body.data ? resp.body.data : "", resp.body.len);
            char *w = escape_bytes(want.data ? want.data : "", want.len);
            cr_assert_fail("round %d: %s\n-- got:  %s\n-- want: %s", round, doc.data, g, w);
        }
        shim_response_free(&resp);
        fl_buf_free(&lit);
        fl_buf_free(&doc);
        fl_buf_free(&want);
    }
}

/* Bad escapes and raw control bytes at every offset are refused. */
Test(shim_json, bad_strings_fail_at_any_offset)
{
    static const char *const bad[] = {"\\x", "\\u12", "\\u12G4", "\\ud800", "\\udc00x", "\\ud800\\u0041", "\x01",
                                      "\x1f", "\\", "\\\x01"};
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        for (int pad = 0; pad < 24; pad++) {
            fl_buf doc = {0};
            fl_buf_printf(&doc, "{\"statusCode\":200,\"body\":\"%.*s%s", pad, "abcdefghijklmnopqrstuvwx", bad[b]);
            fl_buf_puts(&doc, "Xtail tail tail tail\"}");
            shim_response resp;
            fl_err err = {{0}};
            cr_expect_eq(shim_payload_to_response(doc.data, doc.len, &resp, &err), -1, "%s must fail", doc.data);
            shim_response_free(&resp);
            fl_buf_free(&doc);
        }
    }
}

static void random_text(rng *r, fl_buf *t)
{
    static const char *const pieces[] = {"a", "bcdefgh", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x01",
                                         "\x1f", "\x7f", "\xc3\xa9", "\xf0\x9f\x98\x80", " ", "0123456789abcdef"};
    size_t n = rng_below(r, 8) ? rng_below(r, 40) : rng_below(r, 2000);
    for (size_t i = 0; i < n; i++)
        fl_buf_puts(t, rng_pick(r, pieces, sizeof pieces / sizeof *pieces));
}

Test(shim_json, body_encoding_matches_fl_json_put_str, .timeout = 60)
{
    rng r = {7654321};
    for (int round = 0; round < 20000; round++) {
        fl_buf text = {0}, want = {0}, payload = {0};
        random_text(&r, &text);
        shim_response resp = {.status = 200};
        fl_headers_add(&resp.headers, "Content-Type", "text/plain");
        fl_buf_append(&resp.body, text.data ? text.data : "", text.len);
        bool is_error;
        fl_err err;
        cr_assert_eq(shim_response_to_payload(SHIM_URL, &resp, NULL, &payload, &is_error, &err), 0);
        fl_json_put_str(&want, text.data ? text.data : "", text.len);
        const char *body = strstr(payload.data, ",\"body\":");
        cr_assert(body, "%s", payload.data);
        body += 8;
        size_t n = payload.len - (size_t)(body - payload.data) - strlen(",\"isBase64Encoded\":false}");
        bool same = n == want.len && !memcmp(body, want.data, n);
        cr_assert(same, "round %d:\n-- got:  %.*s\n-- want: %s", round, (int)n, body, want.data);
        shim_response_free(&resp);
        fl_buf_free(&text);
        fl_buf_free(&want);
        fl_buf_free(&payload);
    }
}

/* The validator the emulator runs on Invoke payloads: valid texts of every
 * kind pass, and each way of being invalid fails with the byte it is at. */
Test(shim_json, validate_accepts_json_and_names_the_bad_byte)
{
    static const char *good[] = {"{}", " [ ] ", "0", "-1.5e+3", "\"a\\u00e9\\ud83d\\ude00\"", "true", "null",
                                 "{\"a\":[1,{\"b\":false},\"\\\"\"],\"c\":{}}\n"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        fl_err err = {0};
        cr_expect_eq(shim_json_validate(good[i], strlen(good[i]), &err), 0, "%s: %s", good[i], err.msg);
    }
    static const struct { const char *doc, *msg; } bad[] = {
        {"", "the document is empty"},
        {"  ", "the document is empty"},
        {"{\"a\":1", "byte 6: unexpected end"},
        {"{\"a\":1}x", "byte 7: unexpected data after the document"},
        {"[1,]", "byte 3"},
        {"{\"a\" 1}", "byte 5: expected ':'"},
        {"\"a\tb\"", "byte 2: control character"},
        {"\"\\ud800\"", "byte 1: invalid escape"},
        {"01", "byte 1: unexpected data"},
        {"nul", "byte 0: unexpected character"},
        {"{} {}", "byte 3: unexpected data"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fl_err err = {0};
        cr_expect_eq(shim_json_validate(bad[i].doc, strlen(bad[i].doc), &err), -1, "%s accepted", bad[i].doc);
        cr_expect(strstr(err.msg, bad[i].msg), "%s: got \"%s\", want \"%s\"", bad[i].doc, err.msg, bad[i].msg);
    }
    /* nesting: 4096 levels pass, one more is refused, without recursion */
    for (int depth = 4096; depth <= 4097; depth++) {
        fl_buf b = {0};
        for (int i = 0; i < depth; i++)
            fl_buf_putc(&b, '[');
        for (int i = 0; i < depth; i++)
            fl_buf_putc(&b, ']');
        fl_err err = {0};
        int rc = shim_json_validate(b.data, b.len, &err);
        cr_expect_eq(rc, depth == 4096 ? 0 : -1, "depth %d: %s", depth, err.msg);
        fl_buf_free(&b);
    }
}

/* The scanner behind validation and escaping finds the first '"', '\\' or
 * control byte wherever it is: in the vector part, the word part and the
 * tail, and never stops at a byte that only looks like one (0x7f, 0xff, a
 * byte that differs from '"' in its high bit). */
Test(json, special_bytes_found_at_every_offset)
{
    const unsigned char specials[] = {'"', '\\', 0x00, 0x01, 0x1f};
    const unsigned char plain[] = {'a', 0x20, 0x7f, 0x80, 0xa2, 0xdc, 0xff};
    char buf[96];
    for (size_t len = 0; len <= sizeof buf; len++) {
        for (size_t k = 0; k < sizeof plain; k++) {
            memset(buf, plain[k], sizeof buf);
            cr_assert_eq(shim_json_find_special(buf, buf + len), buf + len, "len %zu plain 0x%02x", len, plain[k]);
        }
        for (size_t at = 0; at < len; at++) {
            for (size_t k = 0; k < sizeof specials; k++) {
                memset(buf, 'x', sizeof buf);
                buf[at] = (char)specials[k];
                if (at + 1 < len)
                    buf[at + 1] = '"'; /* a later one does not hide the first */
                cr_assert_eq(shim_json_find_special(buf, buf + len), buf + at, "len %zu at %zu byte 0x%02x", len, at,
                             specials[k]);
            }
        }
    }
}
