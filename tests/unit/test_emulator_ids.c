/* Identifiers: UUIDs, X-Ray trace ids, request ids, log stream names. */
#include <criterion/criterion.h>
#include <regex.h>
#include <string.h>

#include "emulator/internal.h"

static bool matches(const char *s, const char *re)
{
    regex_t r;
    cr_assert_eq(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec(&r, s, 0, NULL, 0) == 0;
    regfree(&r);
    return ok;
}

#define UUID_RE "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"

Test(uuid, format_sets_version_and_variant)
{
    uint8_t ff[16];
    memset(ff, 0xff, sizeof ff);
    char out[EMU_UUID_LEN + 1];
    emu_format_uuid(ff, out);
    cr_assert_str_eq(out, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    uint8_t zero[16] = {0};
    emu_format_uuid(zero, out);
    cr_assert_str_eq(out, "00000000-0000-4000-8000-000000000000");
}

Test(uuid, random_ones_differ_and_parse)
{
    char a[EMU_UUID_LEN + 1], b[EMU_UUID_LEN + 1];
    emu_new_uuid(a);
    emu_new_uuid(b);
    cr_assert(matches(a, UUID_RE), "%s", a);
    cr_assert_str_neq(a, b);
    cr_assert(emu_is_uuid(a));
    cr_assert(emu_is_uuid("8476A536-E9F4-11E8-9739-2DFE598C3FCD"));
    cr_assert_not(emu_is_uuid("8476a536-e9f4-11e8-9739-2dfe598c3fc"));
    cr_assert_not(emu_is_uuid("8476a536+e9f4-11e8-9739-2dfe598c3fcd"));
    cr_assert_not(emu_is_uuid("g476a536-e9f4-11e8-9739-2dfe598c3fcd"));
}

Test(trace, format)
{
    uint8_t root[12], parent[8];
    for (int i = 0; i < 12; i++)
        root[i] = (uint8_t)(i * 17);
    for (int i = 0; i < 8; i++)
        parent[i] = (uint8_t)(0xa0 + i);
    char out[EMU_TRACE_MAX];
    emu_format_trace_id(0x5759e988, root, parent, out);
    cr_assert_str_eq(out, "Root=1-5759e988-00112233445566778899aabb;Parent=a0a1a2a3a4a5a6a7;Sampled=0");
    emu_new_trace_id(out);
    cr_assert(matches(out, "^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$"), "%s", out);
}

Test(request_id, what_a_path_may_carry)
{
    cr_assert(emu_request_id_valid("abc-DEF-123", 11));
    cr_assert_not(emu_request_id_valid("", 0));
    cr_assert_not(emu_request_id_valid("a_b", 3));
    cr_assert_not(emu_request_id_valid("a.b", 3));
    char long_id[65];
    memset(long_id, 'a', 64);
    long_id[64] = 0;
    cr_assert(emu_request_id_valid(long_id, 64));
    cr_assert_not(emu_request_id_valid(long_id, 65));
}

Test(log_stream, format)
{
    char s[96];
    emu_new_log_stream(s);
    cr_assert(matches(s, "^[0-9]{4}/[0-9]{2}/[0-9]{2}/\\[\\$LATEST\\][0-9a-f]{32}$"), "%s", s);
}
