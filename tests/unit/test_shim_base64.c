/* Base64: RFC 4648 §10 test vectors, every byte value, random round trips,
 * and the inputs the strict decoder must reject (with the offset named). */
#include "test_shim_util.h"

static const struct {
    const char *plain, *encoded;
} RFC4648[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

Test(shim_base64, rfc4648_vectors_encode)
{
    for (size_t i = 0; i < sizeof RFC4648 / sizeof *RFC4648; i++) {
        fl_buf b = {0};
        shim_base64_encode(RFC4648[i].plain, strlen(RFC4648[i].plain), &b);
        cr_expect_str_eq(fl_buf_cstr(&b), RFC4648[i].encoded, "encode \"%s\"", RFC4648[i].plain);
        fl_buf_free(&b);
    }
}

Test(shim_base64, rfc4648_vectors_decode)
{
    for (size_t i = 0; i < sizeof RFC4648 / sizeof *RFC4648; i++) {
        fl_buf b = {0};
        fl_err err = {{0}};
        cr_expect_eq(shim_base64_decode(RFC4648[i].encoded, strlen(RFC4648[i].encoded), &b, &err), 0, "%s: %s",
                     RFC4648[i].encoded, err.msg);
        cr_expect_str_eq(fl_buf_cstr(&b), RFC4648[i].plain, "decode \"%s\"", RFC4648[i].encoded);
        fl_buf_free(&b);
    }
}

Test(shim_base64, every_byte_value_round_trips)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    fl_buf enc = {0}, dec = {0};
    fl_err err;
    shim_base64_encode(all, sizeof all, &enc);
    cr_assert_eq(enc.len, 344);
    cr_assert_eq(shim_base64_decode(enc.data, enc.len, &dec, &err), 0, "%s", err.msg);
    cr_assert_eq(dec.len, 256);
    cr_expect(!memcmp(dec.data, all, 256));
    fl_buf_free(&enc);
    fl_buf_free(&dec);
}

Test(shim_base64, random_lengths_round_trip_and_append)
{
    rng r = {42};
    for (int round = 0; round < 2000; round++) {
        size_t n = rng_below(&r, round < 1000 ? 40 : 5000);
        unsigned char *data = fl_xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
            data[i] = (unsigned char)rng_next(&r);
        fl_buf enc = {0}, dec = {0};
        fl_buf_puts(&enc, "prefix:"); /* both functions append */
        fl_buf_puts(&dec, "kept");
        shim_base64_encode(data, n, &enc);
        cr_assert_eq(enc.len, 7 + (n + 2) / 3 * 4, "length for %zu bytes", n);
        fl_err err;
        cr_assert_eq(shim_base64_decode(enc.data + 7, enc.len - 7, &dec, &err), 0, "%s", err.msg);
        cr_assert_eq(dec.len, 4 + n);
        cr_assert(!memcmp(dec.data, "kept", 4) && (!n || !memcmp(dec.data + 4, data, n)), "round %d (%zu bytes)",
                  round, n);
        cr_assert_eq(dec.data[dec.len], 0, "the buffer stays NUL-terminated");
        free(data);
        fl_buf_free(&enc);
        fl_buf_free(&dec);
    }
}

/* The pad bits of the last character are ignored (RFC 4648 §3.5 lets a
 * decoder do either): "Zh==" is "f" as "Zg==" is. */
Test(shim_base64, pad_bits_are_ignored)
{
    fl_buf b = {0};
    fl_err err;
    cr_assert_eq(shim_base64_decode("Zh==", 4, &b, &err), 0, "%s", err.msg);
    cr_expect_str_eq(fl_buf_cstr(&b), "f");
    fl_buf_free(&b);
}

static const struct {
    const char *input;
    size_t len; /* 0: strlen */
    const char *message;
} BAD[] = {
    {"Hello from Lambda!", 0, "offset 5: character ' ' is not in the base64 alphabet"},
    {"Zg", 0, "length 2 is not a multiple of 4 (missing '=' padding?)"},
    {"Zg=", 0, "length 3 is not a multiple of 4"},
    {"Zm9vY", 0, "length 5 is not a multiple of 4"},
    {"Z===", 0, "offset 1: more than two '=' padding characters"},
    {"====", 0, "offset 0: more than two '=' padding characters"},
    {"Zg==Zg==", 0, "offset 2: '=' padding before the end of the data"},
    {"Zm=v", 0, "offset 2: '=' padding before the end of the data"},
    {"Zm9v!mFy", 0, "offset 4: character '!' is not in the base64 alphabet"},
    {"Zm9v\nYmFy", 0, "offset 4: byte 0x0a is not in the base64 alphabet"},
    {"Zm9vYmF\xff", 0, "offset 7: byte 0xff is not in the base64 alphabet"},
    {"Zm9v\0mFy", 8, "offset 4: byte 0x00 is not in the base64 alphabet"},
    {"Zm9vYm-_", 0, "offset 6: character '-' is not in the base64 alphabet"}, /* base64url is not base64 */
    {"Zg==\n", 0, "offset 4: byte 0x0a is not in the base64 alphabet"},
};

Test(shim_base64, bad_input_is_rejected_with_the_offset)
{
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        size_t n = BAD[i].len ? BAD[i].len : strlen(BAD[i].input);
        fl_buf b = {0};
        fl_buf_puts(&b, "kept");
        fl_err err = {{0}};
        char *shown = escape_bytes(BAD[i].input, n);
        cr_expect_eq(shim_base64_decode(BAD[i].input, n, &b, &err), -1, "\"%s\" must be rejected", shown);
        cr_expect(strstr(err.msg, BAD[i].message), "\"%s\": message \"%s\" lacks \"%s\"", shown, err.msg,
                  BAD[i].message);
        cr_expect_str_eq(fl_buf_cstr(&b), "kept", "\"%s\": the output keeps only what it had", shown);
        free(shown);
        fl_buf_free(&b);
    }
}
