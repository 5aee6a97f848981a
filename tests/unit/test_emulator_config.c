/* Configuration: names, the loopback rule, the environment Lambda gives and
 * the keys it reserves. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "emulator/internal.h"

Test(listen, loopback_only)
{
    struct sockaddr_storage ss;
    unsigned len;
    fl_err err = {{0}};
    cr_assert_eq(emu_parse_listen("127.0.0.1:9000", &ss, &len, &err), 0, "%s", err.msg);
    cr_assert_eq(ss.ss_family, AF_INET);
    cr_assert_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9000);
    cr_assert_eq(emu_parse_listen("127.1.2.3:0", &ss, &len, &err), 0);
    cr_assert_eq(emu_parse_listen("[::1]:9000", &ss, &len, &err), 0, "%s", err.msg);
    cr_assert_eq(ss.ss_family, AF_INET6);
    const char *bad[] = {"0.0.0.0:9000", "10.0.0.1:9000", "[::]:9000", "localhost:9000", "127.0.0.1", "127.0.0.1:65536",
                         "127.0.0.1:x", "[::1]9000", ":9000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(emu_parse_listen(bad[i], &ss, &len, &err), -1, "%s accepted", bad[i]);
    emu_parse_listen("0.0.0.0:9000", &ss, &len, &err);
    cr_assert(strstr(err.msg, "not a loopback address"), "%s", err.msg);
}

Test(names, function_names)
{
    cr_assert(emu_name_valid("a"));
    cr_assert(emu_name_valid("My-function_2"));
    cr_assert_not(emu_name_valid(""));
    cr_assert_not(emu_name_valid("a.b"));
    cr_assert_not(emu_name_valid("a:b"));
    char n[66];
    memset(n, 'x', 65);
    n[65] = 0;
    cr_assert_not(emu_name_valid(n));
    n[64] = 0;
    cr_assert(emu_name_valid(n));
}

Test(env, checks)
{
    fl_err err = {{0}};
    const char *ok[] = {"FOO=bar", "PATH=/x", "TZ=UTC", "Ab=", "EMPTY=", "EQ=a=b", NULL};
    cr_assert_eq(emu_env_check(ok, &err), 0, "%s", err.msg);
    const char *reserved[] = {"FOO=1", "AWS_REGION=x", "_HANDLER=y", NULL};
    cr_assert_eq(emu_env_check(reserved, &err), -1);
    cr_assert(strstr(err.msg, "Reserved keys used in this request: AWS_REGION, _HANDLER"), "%s", err.msg);
    const char *bad_name[] = {"1X=a", NULL};
    cr_assert_eq(emu_env_check(bad_name, &err), -1);
    const char *one_letter[] = {"X=a", NULL};
    cr_assert_eq(emu_env_check(one_letter, &err), -1);
    const char *no_eq[] = {"FOO", NULL};
    cr_assert_eq(emu_env_check(no_eq, &err), -1);
    static char big[5000];
    memset(big, 'v', sizeof big - 1);
    memcpy(big, "BIG=", 4);
    const char *too_big[] = {big, NULL};
    cr_assert_eq(emu_env_check(too_big, &err), -1);
    cr_assert(strstr(err.msg, "4096"), "%s", err.msg);
    cr_assert(emu_env_reserved("LAMBDA_TASK_ROOT", 16));
    cr_assert_not(emu_env_reserved("LAMBDA_TASK_ROO", 15));
}

Test(env, what_the_sandbox_gets)
{
    emu_fn_conf c = {.name = "fn", .handler = "h.x", .region = "eu-west-1", .memory_mb = 512};
    emu_strv_push(&c.env, "PATH=/custom");
    emu_strv_push(&c.env, "EXTRA=1");
    emu_strv_push(&c.env, "EXTRA=2");
    emu_strv env = {0};
    emu_env_build(&c, "2026/01/02/[$LATEST]abc", &env);
    const char *want[] = {
        "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "AWS_LAMBDA_FUNCTION_NAME=fn", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
        "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/fn", "AWS_LAMBDA_LOG_STREAM_NAME=2026/01/02/[$LATEST]abc",
        "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001", "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand", "AWS_REGION=eu-west-1",
        "AWS_DEFAULT_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=ASIAEMULATOR00000000",
        "AWS_SECRET_ACCESS_KEY=faas-lambda-emulate-dummy-secret-access-key",
        "AWS_SESSION_TOKEN=faas-lambda-emulate-dummy-session-token", "_HANDLER=h.x", "LAMBDA_TASK_ROOT=/var/task",
        "LAMBDA_RUNTIME_DIR=/var/runtime", "TZ=:UTC", "LANG=en_US.UTF-8", "PATH=/custom",
        "LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
        "EXTRA=2",
    };
    cr_assert_eq(env.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < env.n; i++)
        cr_assert_str_eq(env.v[i], want[i]);
    cr_assert_null(env.v[env.n]);
    for (size_t i = 0; i < env.n; i++)
        cr_assert_not(strncmp(env.v[i], "AWS_EXECUTION_ENV=", 18) == 0);
    emu_strv_free(&env);
    emu_strv_free(&c.env);
}
