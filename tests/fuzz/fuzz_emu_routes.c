/* libFuzzer: the emulator's parsers of request lines: the REST API route
 * (method + raw target, percent-decoding), the query, Function URL host
 * names, function names and ARNs, layer ARNs. Asserts what the rest of the
 * emulator relies on: parameters are bounded, NUL-free and decoded; a
 * parsed function name is a valid one. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "emulator/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = 0;
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
    emu_route r;
    for (size_t i = 0; i < 4; i++) {
        emu_op op = emu_route_api(methods[i], s, &r);
        CHECK(op >= EMU_OP_UNKNOWN && op < EMU_OP_COUNT);
        CHECK(strlen(r.p1) < EMU_PARAM_MAX && strlen(r.p2) < EMU_PARAM_MAX);
    }
    emu_query q;
    if (emu_query_parse(s, &q) == 0) {
        CHECK(q.n <= EMU_QUERY_MAX);
        for (size_t i = 0; i < q.n; i++)
            CHECK(strlen(q.v[i].key) < 128 && strlen(q.v[i].value) < EMU_PARAM_MAX);
    }
    emu_query_free(&q);
    char id[EMU_URL_ID_LEN + 1];
    if (emu_url_host_id(s, id))
        CHECK(strlen(id) == EMU_URL_ID_LEN);
    emu_fn_ref ref;
    if (emu_parse_fn_ref(s, &ref) == 0)
        CHECK(emu_name_valid(ref.name));
    char name[160], region[64];
    unsigned long version;
    if (emu_parse_layer_arn(s, name, sizeof name, region, sizeof region, &version) == 0)
        CHECK(emu_layer_name_valid(name));
    char out[256];
    if (emu_percent_decode(s, size, out, sizeof out) == 0)
        CHECK(strlen(out) < sizeof out);
    emu_role_arn_valid(s);
    emu_handler_valid(s);
    free(s);
    return 0;
}
