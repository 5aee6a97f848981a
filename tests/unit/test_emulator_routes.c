/* Routing: the Invoke API path, function names and ARNs, Runtime API paths. */
#include <criterion/criterion.h>
#include <string.h>

#include "emulator/internal.h"

Test(front, invoke_path)
{
    char ref[EMU_FN_REF_MAX];
    cr_assert_eq(emu_route_front("POST", "/2015-03-31/functions/fn/invocations", ref), EMU_FRONT_INVOKE);
    cr_assert_str_eq(ref, "fn");
    cr_assert_eq(emu_route_front("POST", "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST/invocations", ref),
                 EMU_FRONT_INVOKE);
    cr_assert_str_eq(ref, "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST");
}

Test(front, everything_else_is_unknown)
{
    char ref[EMU_FN_REF_MAX];
    const char *bad[] = {
        "/2015-03-31/functions/fn/invocations/", "/2015-03-31/functions//invocations",
        "/2015-03-31/functions/fn", "/2015-03-31/functions/a/b/invocations", "/2015-03-31/functions/fn/invocationsx",
        "/2014-11-13/functions/fn/invoke-async/", "/", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(emu_route_front("POST", bad[i], ref), EMU_FRONT_UNKNOWN, "%s", bad[i]);
    cr_assert_eq(emu_route_front("GET", "/2015-03-31/functions/fn/invocations", ref), EMU_FRONT_UNKNOWN);
    char long_url[600] = "/2015-03-31/functions/";
    memset(long_url + strlen(long_url), 'a', 300);
    strcat(long_url, "/invocations");
    cr_assert_eq(emu_route_front("POST", long_url, ref), EMU_FRONT_UNKNOWN);
}

Test(fn_ref, names_arns_and_partial_arns)
{
    emu_fn_ref r;
    cr_assert_eq(emu_parse_fn_ref("my-fn_1", &r), 0);
    cr_assert_str_eq(r.name, "my-fn_1");
    cr_assert_str_eq(r.qualifier, "");
    cr_assert_eq(emu_parse_fn_ref("my-fn:$LATEST", &r), 0);
    cr_assert_str_eq(r.qualifier, "$LATEST");
    cr_assert_eq(emu_parse_fn_ref("123456789012:function:f", &r), 0);
    cr_assert_str_eq(r.account, "123456789012");
    cr_assert_str_eq(r.name, "f");
    cr_assert_eq(emu_parse_fn_ref("123456789012:function:f:prod", &r), 0);
    cr_assert_str_eq(r.qualifier, "prod");
    cr_assert_eq(emu_parse_fn_ref("arn:aws:lambda:eu-west-1:000000000000:function:f:7", &r), 0);
    cr_assert_str_eq(r.region, "eu-west-1");
    cr_assert_str_eq(r.account, "000000000000");
    cr_assert_str_eq(r.name, "f");
    cr_assert_str_eq(r.qualifier, "7");
    cr_assert_eq(emu_parse_fn_ref("arn:aws-cn:lambda:cn-north-1:000000000000:function:f", &r), 0);
    cr_assert_str_eq(r.qualifier, "");
}

Test(fn_ref, refused)
{
    emu_fn_ref r;
    const char *bad[] = {
        "", "a b", "f:", ":f", "a:b:c", "12345:function:f", "123456789012:func:f",
        "arn:aws:s3:us-east-1:000000000000:function:f", "arn:aws:lambda:us-east-1:000000000000:layer:f",
        "arn:aws:lambda::000000000000:function:f", "arn:aws:lambda:us-east-1:000000000000:function:f:1:2",
        "arn:aws:lambda:us-east-1:000000000000:function", "f:q q", "f/../g",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(emu_parse_fn_ref(bad[i], &r), -1, "[%s] parsed", bad[i]);
}

Test(rapi, runtime_routes)
{
    char id[EMU_ID_MAX];
    cr_assert_eq(emu_route_rapi("GET", "/2018-06-01/runtime/invocation/next", id), EMU_RAPI_NEXT);
    cr_assert_eq(emu_route_rapi("POST", "/2018-06-01/runtime/invocation/next", id), EMU_RAPI_BAD_METHOD);
    cr_assert_eq(emu_route_rapi("POST", "/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response", id),
                 EMU_RAPI_RESPONSE);
    cr_assert_str_eq(id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
    cr_assert_eq(emu_route_rapi("POST", "/2018-06-01/runtime/invocation/abc/error", id), EMU_RAPI_ERROR);
    cr_assert_str_eq(id, "abc");
    cr_assert_eq(emu_route_rapi("GET", "/2018-06-01/runtime/invocation/abc/error", id), EMU_RAPI_BAD_METHOD);
    cr_assert_eq(emu_route_rapi("POST", "/2018-06-01/runtime/init/error", id), EMU_RAPI_INIT_ERROR);
}

Test(rapi, bad_ids)
{
    char id[EMU_ID_MAX];
    const char *bad[] = {
        "/2018-06-01/runtime/invocation//response", "/2018-06-01/runtime/invocation/a b/response",
        "/2018-06-01/runtime/invocation/a%2Fb/response", "/2018-06-01/runtime/invocation/\x01/response",
        "/2018-06-01/runtime/invocation/..:x/response",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(emu_route_rapi("POST", bad[i], id), EMU_RAPI_BAD_ID, "%s", bad[i]);
    char url[200] = "/2018-06-01/runtime/invocation/";
    memset(url + strlen(url), 'a', 65);
    strcat(url, "/response");
    cr_assert_eq(emu_route_rapi("POST", url, id), EMU_RAPI_BAD_ID);
    cr_assert_eq(emu_route_rapi("POST", "/2018-06-01/runtime/invocation/a/b/response", id), EMU_RAPI_NOT_FOUND);
}

Test(rapi, extension_routes_and_the_rest)
{
    char id[EMU_ID_MAX];
    cr_assert_eq(emu_route_rapi("POST", "/2020-01-01/extension/register", id), EMU_RAPI_EXT_REGISTER);
    cr_assert_eq(emu_route_rapi("GET", "/2020-01-01/extension/event/next", id), EMU_RAPI_EXT_NEXT);
    cr_assert_eq(emu_route_rapi("POST", "/2020-01-01/extension/init/error", id), EMU_RAPI_EXT_INIT_ERROR);
    cr_assert_eq(emu_route_rapi("POST", "/2020-01-01/extension/exit/error", id), EMU_RAPI_EXT_EXIT_ERROR);
    cr_assert_eq(emu_route_rapi("GET", "/2020-01-01/extension/register", id), EMU_RAPI_BAD_METHOD);
    cr_assert_eq(emu_route_rapi("GET", "/2018-06-01/runtime/invocation", id), EMU_RAPI_NOT_FOUND);
    cr_assert_eq(emu_route_rapi("GET", "/2020-08-15/logs", id), EMU_RAPI_NOT_FOUND);
    cr_assert_eq(emu_route_rapi("GET", "/", id), EMU_RAPI_NOT_FOUND);
}
