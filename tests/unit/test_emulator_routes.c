/* Routing: the Invoke API path, function names and ARNs, Runtime API paths. */
#include <criterion/criterion.h>
#include <string.h>

#include "emulator/internal.h"

Test(api, invoke_path)
{
    emu_route r;
    cr_assert_eq(emu_route_api("POST", "/2015-03-31/functions/fn/invocations", &r), EMU_OP_INVOKE);
    cr_assert_str_eq(r.p1, "fn");
    cr_assert_eq(emu_route_api("POST", "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST/invocations", &r),
                 EMU_OP_INVOKE);
    cr_assert_str_eq(r.p1, "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST");
    /* the segment is percent-decoded; the query is not part of the path */
    cr_assert_eq(emu_route_api("POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations?Qualifier=%24LATEST", &r),
                 EMU_OP_INVOKE);
    cr_assert_str_eq(r.p1, "arn:aws:lambda:us-east-1:000000000000:function:f");
}

Test(api, every_operation)
{
    static const struct {
        const char *method, *target;
        emu_op op;
        const char *p1, *p2;
    } cases[] = {
        {"POST", "/2015-03-31/functions", EMU_OP_CREATE_FUNCTION, "", ""},
        {"GET", "/2015-03-31/functions/", EMU_OP_LIST_FUNCTIONS, "", ""},
        {"GET", "/2015-03-31/functions/?Marker=a&MaxItems=2", EMU_OP_LIST_FUNCTIONS, "", ""},
        {"GET", "/2015-03-31/functions/f", EMU_OP_GET_FUNCTION, "f", ""},
        {"DELETE", "/2015-03-31/functions/f", EMU_OP_DELETE_FUNCTION, "f", ""},
        {"GET", "/2015-03-31/functions/f/configuration", EMU_OP_GET_FUNCTION_CONFIGURATION, "f", ""},
        {"PUT", "/2015-03-31/functions/f/configuration", EMU_OP_UPDATE_FUNCTION_CONFIGURATION, "f", ""},
        {"PUT", "/2015-03-31/functions/f/code", EMU_OP_UPDATE_FUNCTION_CODE, "f", ""},
        {"POST", "/2021-11-15/functions/f/response-streaming-invocations", EMU_OP_INVOKE_STREAM, "f", ""},
        {"PUT", "/2017-10-31/functions/f/concurrency", EMU_OP_PUT_CONCURRENCY, "f", ""},
        {"DELETE", "/2017-10-31/functions/f/concurrency", EMU_OP_DELETE_CONCURRENCY, "f", ""},
        {"GET", "/2019-09-30/functions/f/concurrency", EMU_OP_GET_CONCURRENCY, "f", ""},
        {"GET", "/2018-10-31/layers", EMU_OP_LIST_LAYERS, "", ""},
        {"GET", "/2018-10-31/layers?find=LayerVersion&Arn=x", EMU_OP_LIST_LAYERS, "", ""},
        {"POST", "/2018-10-31/layers/L/versions", EMU_OP_PUBLISH_LAYER_VERSION, "L", ""},
        {"GET", "/2018-10-31/layers/L/versions", EMU_OP_LIST_LAYER_VERSIONS, "L", ""},
        {"GET", "/2018-10-31/layers/L/versions/3", EMU_OP_GET_LAYER_VERSION, "L", "3"},
        {"DELETE", "/2018-10-31/layers/L/versions/3", EMU_OP_DELETE_LAYER_VERSION, "L", "3"},
        {"POST", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af", EMU_OP_TAG_RESOURCE,
         "arn:aws:lambda:us-east-1:000000000000:function:f", ""},
        {"DELETE", "/2017-03-31/tags/a?tagKeys=x&tagKeys=y", EMU_OP_UNTAG_RESOURCE, "a", ""},
        {"GET", "/2017-03-31/tags/a", EMU_OP_LIST_TAGS, "a", ""},
        {"GET", "/2016-08-19/account-settings/", EMU_OP_GET_ACCOUNT_SETTINGS, "", ""},
        {"POST", "/2021-10-31/functions/f/url", EMU_OP_CREATE_URL, "f", ""},
        {"GET", "/2021-10-31/functions/f/url", EMU_OP_GET_URL, "f", ""},
        {"PUT", "/2021-10-31/functions/f/url", EMU_OP_UPDATE_URL, "f", ""},
        {"DELETE", "/2021-10-31/functions/f/url", EMU_OP_DELETE_URL, "f", ""},
        {"GET", "/2021-10-31/functions/f/urls", EMU_OP_LIST_URLS, "f", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        emu_route r;
        cr_assert_eq(emu_route_api(cases[i].method, cases[i].target, &r), cases[i].op, "%s %s", cases[i].method,
                     cases[i].target);
        cr_assert_str_eq(r.p1, cases[i].p1, "%s", cases[i].target);
        cr_assert_str_eq(r.p2, cases[i].p2, "%s", cases[i].target);
    }
}

Test(api, everything_else_is_unknown)
{
    emu_route r;
    const char *bad[] = {
        "/2015-03-31/functions/fn/invocations//", "/2015-03-31/functions//invocations",
        "/2015-03-31/functions/a/b/invocations", "/2015-03-31/functions/fn/invocationsx",
        "/2014-11-13/functions/fn/invoke-async/", "/", "", "/2015-03-31/functions/a%zz/invocations",
        "/2015-03-31/functions/a%00b/invocations", "/2015-03-31/functions/a%4/invocations",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(emu_route_api("POST", bad[i], &r), EMU_OP_UNKNOWN, "%s", bad[i]);
    cr_assert_eq(emu_route_api("GET", "/2015-03-31/functions/fn/invocations", &r), EMU_OP_UNKNOWN);
    cr_assert_eq(emu_route_api("PATCH", "/2015-03-31/functions/fn", &r), EMU_OP_UNKNOWN);
    char long_url[1200] = "/2015-03-31/functions/";
    memset(long_url + strlen(long_url), 'a', 600);
    strcat(long_url, "/invocations");
    cr_assert_eq(emu_route_api("POST", long_url, &r), EMU_OP_UNKNOWN);
}

Test(query, decoded_in_order)
{
    emu_query q;
    cr_assert_eq(emu_query_parse("/x?tagKeys=a%20b&tagKeys=c&Qualifier=%24LATEST&flag&&e=", &q), 0);
    cr_assert_str_eq(q.v[0].key, "tagKeys");
    cr_assert_eq(q.n, 5);
    cr_assert_str_eq(q.v[0].value, "a b");
    cr_assert_str_eq(q.v[1].value, "c");
    cr_assert_str_eq(emu_query_get(&q, "Qualifier"), "$LATEST");
    cr_assert_str_eq(emu_query_get(&q, "flag"), "");
    cr_assert_str_eq(emu_query_get(&q, "e"), "");
    cr_assert_null(emu_query_get(&q, "nope"));
    emu_query_free(&q);
    cr_assert_eq(emu_query_parse("/x", &q), 0);
    cr_assert_eq(q.n, 0);
    emu_query_free(&q);
    cr_assert_eq(emu_query_parse("/x?a=%2", &q), -1);
    emu_query_free(&q);
    char many[600] = "/x?";
    for (int i = 0; i < 40; i++)
        strcat(many, "a=b&");
    cr_assert_eq(emu_query_parse(many, &q), -1);
    emu_query_free(&q);
}

Test(url_host, function_url_host_names)
{
    char id[EMU_URL_ID_LEN + 1];
    cr_assert(emu_url_host_id("abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.localhost", id));
    cr_assert_str_eq(id, "abcdefghijklmnopqrstuvwxyz012345");
    cr_assert(emu_url_host_id("abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.localhost:9000", id));
    const char *bad[] = {
        "127.0.0.1:9000", "abcdefghijklmnopqrstuvwxyz01234.lambda-url.us-east-1.localhost",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345.lambda-url.us-east-1.localhost",
        "abcdefghijklmnopqrstuvwxyz012345.lambda-url..localhost",
        "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.localhost:x",
        "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us_east.localhost", "", "localhost",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert(!emu_url_host_id(bad[i], id), "%s", bad[i]);
    cr_assert(!emu_url_host_id(NULL, id));
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
