/* libFuzzer: SigV4 verification of hostile requests: the Authorization
 * header parser, and the canonical request built from a fuzzed request line
 * and headers (path normalization, query sorting, header folding). The
 * input is split at NUL bytes: Authorization, path, query, then header
 * lines "name:value". A request never verifies by accident, and nothing
 * crashes or reads out of bounds. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "emulator/emulator.h"
#include "emulator/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    char *s = malloc(size + 2);
    memcpy(s, data, size);
    s[size] = s[size + 1] = 0;
    const char *parts[16];
    size_t n = 0;
    for (char *p = s; p <= s + size && n < 16; p += strlen(p) + 1)
        parts[n++] = p;
    emu_sigv4_auth a;
    if (emu_sigv4_parse_authorization(parts[0], &a) == 0) {
        CHECK(strlen(a.date) == 8);
        CHECK(strlen(a.signed_headers) < sizeof a.signed_headers);
    }
    fl_headers h = {0};
    fl_headers_add(&h, "Authorization", parts[0]);
    fl_headers_add(&h, "X-Amz-Date", "20150830T123600Z");
    for (size_t i = 3; i < n; i++) {
        const char *colon = strchr(parts[i], ':');
        if (colon)
            fl_headers_addn(&h, parts[i], (size_t)(colon - parts[i]), colon + 1, strlen(colon + 1));
    }
    emu_sigv4_request r = {"POST", n > 1 ? parts[1] : "/", n > 2 ? parts[2] : "", &h, s, size};
    emu_sigv4_creds c = {"AKIDEXAMPLE", "secret", "us-east-1", "lambda", 1440938160LL};
    emu_sigv4_result res = {0};
    if (emu_sigv4_verify(&r, &c, &res) == 0)
        abort(); /* a fuzzer cannot know the secret */
    CHECK(res.status == 400 || res.status == 403);
    emu_sigv4_result_free(&res);
    fl_headers_free(&h);
    free(s);
    return 0;
}
