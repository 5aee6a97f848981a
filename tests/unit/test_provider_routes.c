/* Routing of the faas-provider API (reference §1.1), query parsing, basic
 * auth. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

static pv_route route(const char *m, const char *t)
{
    pv_route r;
    pv_route_request(m, t, &r);
    return r;
}

Test(routes, system_functions)
{
    cr_assert_eq(route("GET", "/system/functions").id, PV_R_LIST);
    cr_assert_eq(route("GET", "/system/functions?namespace=dev").id, PV_R_LIST);
    cr_assert_eq(route("POST", "/system/functions").id, PV_R_DEPLOY);
    cr_assert_eq(route("PUT", "/system/functions").id, PV_R_UPDATE);
    cr_assert_eq(route("DELETE", "/system/functions").id, PV_R_DELETE);
    cr_assert_eq(route("PATCH", "/system/functions").id, PV_R_BAD_METHOD);
    cr_assert_eq(route("GET", "/system/functions/").id, PV_R_NOT_FOUND);
    cr_assert(route("GET", "/system/functions").auth);
}

Test(routes, named)
{
    pv_route r = route("GET", "/system/function/figlet?namespace=openfaas-fn&usage=false");
    cr_assert_eq(r.id, PV_R_STATUS);
    cr_assert_str_eq(r.name, "figlet");
    cr_assert(r.auth);
    cr_assert_eq(route("POST", "/system/function/figlet").id, PV_R_BAD_METHOD);
    cr_assert_eq(route("GET", "/system/function/").id, PV_R_NOT_FOUND);
    cr_assert_eq(route("GET", "/system/function/a/b").id, PV_R_NOT_FOUND);
    cr_assert_eq(route("GET", "/system/function/a%20b").id, PV_R_NOT_FOUND);
    r = route("POST", "/system/scale-function/fn.dev?namespace=dev");
    cr_assert_eq(r.id, PV_R_SCALE);
    cr_assert_str_eq(r.name, "fn.dev");
    r = route("GET", "/system/namespace/");
    cr_assert_eq(r.id, PV_R_NAMESPACE);
    cr_assert(!r.auth);
    cr_assert_eq(route("POST", "/system/namespace/x").id, PV_R_BAD_METHOD);
}

Test(routes, fixed)
{
    cr_assert_eq(route("GET", "/system/info").id, PV_R_INFO);
    cr_assert_eq(route("GET", "/system/logs?name=x&follow=true").id, PV_R_LOGS);
    pv_route r = route("GET", "/system/namespaces");
    cr_assert_eq(r.id, PV_R_NAMESPACES);
    cr_assert(!r.auth);
    cr_assert_eq(route("DELETE", "/system/secrets").id, PV_R_SECRETS);
    cr_assert_eq(route("HEAD", "/healthz").id, PV_R_HEALTHZ);
    cr_assert(!route("GET", "/healthz").auth);
    cr_assert_eq(route("POST", "/healthz").id, PV_R_BAD_METHOD);
    cr_assert_eq(route("POST", "/metrics").id, PV_R_METRICS);
    cr_assert_eq(route("GET", "/").id, PV_R_NOT_FOUND);
    cr_assert_eq(route("GET", "/system/info%").id, PV_R_NOT_FOUND);
}

Test(routes, function_proxy)
{
    pv_route r = route("POST", "/function/figlet");
    cr_assert_eq(r.id, PV_R_INVOKE);
    cr_assert_str_eq(r.name, "figlet");
    cr_assert_str_eq(r.params, "");
    cr_assert(!r.auth);
    r = route("GET", "/function/figlet.dev/a/b%2Fc?x=1&y=%20");
    cr_assert_str_eq(r.name, "figlet.dev");
    cr_assert_str_eq(r.params, "/a/b%2Fc?x=1&y=%20");
    r = route("PUT", "/function/fn?q");
    cr_assert_str_eq(r.params, "?q");
    r = route("DELETE", "/function/fn/");
    cr_assert_str_eq(r.params, "/");
    cr_assert_eq(route("TRACE", "/function/fn").id, PV_R_BAD_METHOD);
    cr_assert_eq(route("CONNECT", "/function/fn").id, PV_R_BAD_METHOD);
    cr_assert_eq(route("GET", "/function/").id, PV_R_NOT_FOUND);
    cr_assert_eq(route("GET", "/function/a b").id, PV_R_NOT_FOUND);
    cr_assert_eq(route("GET", "/function/%00").id, PV_R_NOT_FOUND);
    const char *m[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"};
    for (size_t i = 0; i < 7; i++)
        cr_assert_eq(route(m[i], "/function/f/x").id, PV_R_INVOKE, "%s", m[i]);
}

Test(query, get)
{
    char *v = pv_query_get("/x?a=1&b=hello+world%21&a=2", "b");
    cr_assert_str_eq(v, "hello world!");
    free(v);
    v = pv_query_get("/x?a=1&a=2", "a");
    cr_assert_str_eq(v, "1");
    free(v);
    v = pv_query_get("/x?flag&c=", "flag");
    cr_assert_str_eq(v, "");
    free(v);
    cr_assert_null(pv_query_get("/x?a=1", "b"));
    cr_assert_null(pv_query_get("/x", "a"));
    cr_assert_null(pv_query_get("/x?a=%zz", "a"));
}

Test(auth, basic)
{
    /* "user:pass" */
    cr_assert(pv_basic_auth_ok("Basic dXNlcjpwYXNz", "user", "pass"));
    cr_assert(pv_basic_auth_ok("basic dXNlcjpwYXNz", "user", "pass"));
    cr_assert(!pv_basic_auth_ok("Basic dXNlcjpwYXNz", "user", "pas"));
    cr_assert(!pv_basic_auth_ok("Basic dXNlcjpwYXNz", "use", "pass"));
    cr_assert(!pv_basic_auth_ok("Bearer dXNlcjpwYXNz", "user", "pass"));
    cr_assert(!pv_basic_auth_ok("Basic !!!", "user", "pass"));
    cr_assert(!pv_basic_auth_ok("Basic dXNlcnBhc3M=", "user", "pass")); /* no colon */
    cr_assert(!pv_basic_auth_ok(NULL, "user", "pass"));
    /* "admin:p:w" (colon in the password) */
    cr_assert(pv_basic_auth_ok("Basic YWRtaW46cDp3", "admin", "p:w"));
    cr_assert(pv_const_eq("abc", 3, "abc", 3));
    cr_assert(!pv_const_eq("abc", 3, "abd", 3));
    cr_assert(!pv_const_eq("abc", 3, "abcd", 4));
    cr_assert(pv_const_eq("", 0, "", 0));
}
