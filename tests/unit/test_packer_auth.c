/* WWW-Authenticate challenges and docker config.json credentials. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "packer/internal.h"

static pk_auth_challenge ok(const char *v)
{
    pk_auth_challenge c;
    fl_err err = {{0}};
    cr_assert_eq(pk_auth_parse(v, &c, &err), 0, "%s: %s", v, err.msg);
    return c;
}

Test(auth, bearer)
{
    pk_auth_challenge c = ok("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                             "scope=\"repository:library/alpine:pull\"");
    cr_assert_str_eq(c.scheme, "Bearer");
    cr_assert_str_eq(c.realm, "https://auth.docker.io/token");
    cr_assert_str_eq(c.service, "registry.docker.io");
    cr_assert_str_eq(c.scope, "repository:library/alpine:pull");
    pk_auth_challenge_free(&c);
}

Test(auth, spacing_case_and_escapes)
{
    pk_auth_challenge c = ok("  bearer   REALM = \"http://127.0.0.1:9/t\" ,  Scope=\"a\\\"b\", extra=token68==");
    cr_assert_str_eq(c.scheme, "bearer");
    cr_assert_str_eq(c.realm, "http://127.0.0.1:9/t");
    cr_assert_str_eq(c.scope, "a\"b");
    cr_assert_null(c.service);
    pk_auth_challenge_free(&c);
}

Test(auth, basic_and_unquoted)
{
    pk_auth_challenge c = ok("Basic realm=Registry");
    cr_assert_str_eq(c.scheme, "Basic");
    cr_assert_str_eq(c.realm, "Registry");
    pk_auth_challenge_free(&c);
}

Test(auth, bearer_preferred_among_several)
{
    pk_auth_challenge c = ok("Basic realm=\"x\", Bearer realm=\"https://t/token\",service=\"s\"");
    cr_assert_str_eq(c.scheme, "Bearer");
    cr_assert_str_eq(c.realm, "https://t/token");
    cr_assert_str_eq(c.service, "s");
    pk_auth_challenge_free(&c);
}

Test(auth, refused)
{
    static const char *bad[] = {"", "   ", "Bearer service=\"x\"", "Bearer realm=\"unterminated", "=x", "Bearer realm="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pk_auth_challenge c;
        fl_err err = {{0}};
        cr_assert_eq(pk_auth_parse(bad[i], &c, &err), -1, "[%s] parsed", bad[i]);
        cr_assert(err.msg[0]);
    }
}

static char *config_file(const char *json)
{
    char *p = strdup("/tmp/test_packer_auth_XXXXXX");
    int fd = mkstemp(p);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    return p;
}

Test(auth, docker_config)
{
    /* "alice:s3cret" and "bob:pw" in base64 */
    char *f = config_file("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"Ym9iOnB3\"},"
                          "\"127.0.0.1:5000\":{\"auth\":\"YWxpY2U6czNjcmV0\"},"
                          "\"http://reg.example.com/v2/\":{\"username\":\"u\",\"password\":\"p:w\"},"
                          "\"bad.example.com\":{\"auth\":\"!!!!\"}}}");
    char *creds = NULL;
    fl_err err;
    cr_assert_eq(pk_docker_config_creds(f, "docker.io", &creds, &err), 0);
    cr_assert_str_eq(creds, "bob:pw");
    free(creds);
    cr_assert_eq(pk_docker_config_creds(f, "127.0.0.1:5000", &creds, &err), 0);
    cr_assert_str_eq(creds, "alice:s3cret");
    free(creds);
    cr_assert_eq(pk_docker_config_creds(f, "reg.example.com", &creds, &err), 0);
    cr_assert_str_eq(creds, "u:p:w");
    free(creds);
    cr_assert_eq(pk_docker_config_creds(f, "bad.example.com", &creds, &err), 0);
    cr_assert_null(creds);
    cr_assert_eq(pk_docker_config_creds(f, "other.example.com", &creds, &err), 0);
    cr_assert_null(creds);
    unlink(f);
    free(f);
    cr_assert_eq(pk_docker_config_creds("/nonexistent/config.json", "docker.io", &creds, &err), -1);
}

Test(auth, loopback_hosts)
{
    cr_assert(pk_host_is_loopback("127.0.0.1:5000"));
    cr_assert(pk_host_is_loopback("localhost"));
    cr_assert(pk_host_is_loopback("localhost:80"));
    cr_assert(pk_host_is_loopback("[::1]:5000"));
    cr_assert_not(pk_host_is_loopback("localhost.example.com"));
    cr_assert_not(pk_host_is_loopback("10.0.0.1:5000"));
}
