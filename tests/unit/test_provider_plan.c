/* A deployment as Lambda will get it: memory, the com.openfaas.lambda.*
 * annotations, the environment limit, secrets refused; and which backend a
 * federated deployment goes to. */
#include <criterion/criterion.h>
#include <string.h>

#include "provider/internal.h"

static const pv_plan_defaults def = {.ns = "openfaas-fn", .role = PV_DEFAULT_ROLE, .memory_mb = 128,
                                     .timeout_s = 30, .have_image_repository = false};

static int plan(const char *json, pv_plan *p, fl_err *err)
{
    pv_deployment d;
    cr_assert_eq(pv_deployment_parse(json, strlen(json), &d, err), 0, "%s", err->msg);
    int rc = pv_plan_make(&d, &def, p, err);
    pv_deployment_free(&d);
    return rc;
}

Test(plan, defaults)
{
    pv_plan p;
    fl_err err;
    cr_assert_eq(plan("{\"service\":\"fn\",\"image\":\"ghcr.io/openfaas/figlet:latest\"}", &p, &err), 0, "%s",
                 err.msg);
    cr_assert_str_eq(p.lname, "fn_openfaas-fn");
    cr_assert_str_eq(p.source, "docker://ghcr.io/openfaas/figlet:latest");
    cr_assert_eq(p.memory_mb, 128);
    cr_assert_eq(p.timeout_s, 30);
    cr_assert_null(p.arch);
    cr_assert_eq(p.package, PV_PKG_AUTO);
    cr_assert_str_eq(p.role, PV_DEFAULT_ROLE);
    cr_assert_null(p.layers);
    cr_assert_str_eq(pv_map_get(&p.tags, PV_TAG_NAMESPACE), "openfaas-fn");
    pv_plan_free(&p);
}

Test(plan, annotations)
{
    pv_plan p;
    fl_err err;
    const char *j = "{\"service\":\"fn\",\"namespace\":\"dev\",\"image\":\"docker://r:5000/a/b@sha256:00\","
                    "\"limits\":{\"memory\":\"1Gi\"},\"requests\":{\"memory\":\"64Mi\"},\"annotations\":{"
                    "\"com.openfaas.lambda.timeout\":\"2m\",\"com.openfaas.lambda.architecture\":\"aarch64\","
                    "\"com.openfaas.lambda.package\":\"zip\",\"com.openfaas.lambda.role\":"
                    "\"arn:aws:iam::123456789012:role/service-role/fn\",\"com.openfaas.lambda.layers\":"
                    "\"arn:aws:lambda:eu-west-1:123456789012:layer:a:1, arn:aws:lambda:eu-west-1:123456789012:layer:b:22\"}}";
    cr_assert_eq(plan(j, &p, &err), 0, "%s", err.msg);
    cr_assert_str_eq(p.lname, "fn_dev");
    cr_assert_str_eq(p.source, "docker://r:5000/a/b@sha256:00");
    cr_assert_eq(p.memory_mb, 1024);
    cr_assert_eq(p.timeout_s, 120);
    cr_assert_str_eq(p.arch, "arm64");
    cr_assert_eq(p.package, PV_PKG_ZIP);
    cr_assert_str_eq(p.role, "arn:aws:iam::123456789012:role/service-role/fn");
    cr_assert_str_eq(p.layers[1], "arn:aws:lambda:eu-west-1:123456789012:layer:b:22");
    cr_assert_null(p.layers[2]);
    pv_plan_free(&p);
    /* requests.memory when there is no limit; small values raised to 128 */
    cr_assert_eq(plan("{\"service\":\"fn\",\"image\":\"i\",\"requests\":{\"memory\":\"64Mi\"}}", &p, &err), 0);
    cr_assert_eq(p.memory_mb, 128);
    cr_assert(p.memory_raised);
    pv_plan_free(&p);
}

Test(plan, refusals)
{
    struct {
        const char *json, *words;
    } bad[] = {
        {"{\"service\":\"fn\",\"image\":\"i\",\"secrets\":[\"s\"]}", "secrets are not supported"},
        {"{\"image\":\"i\"}", "service"},
        {"{\"service\":\"fn\"}", "image is required"},
        {"{\"service\":\"fn\",\"image\":\"https://x/y\"}", "registry reference"},
        {"{\"service\":\"fn\",\"image\":\"docker-archive:/tmp/x.tar\"}", "registry reference"},
        {"{\"service\":\"fn\",\"image\":\"i\",\"annotations\":{\"com.openfaas.lambda.timeout\":\"0\"}}", "1 to 900"},
        {"{\"service\":\"fn\",\"image\":\"i\",\"annotations\":{\"com.openfaas.lambda.timeout\":\"1.5s\"}}", "whole"},
        {"{\"service\":\"fn\",\"image\":\"i\",\"annotations\":{\"com.openfaas.lambda.package\":\"image\"}}",
         "--image-repository"},
        {"{\"service\":\"fn\",\"image\":\"i\",\"envVars\":{\"1X\":\"v\"}}", "1X"},
        {"{\"service\":\"fn\",\"image\":\"i\",\"envVars\":{\"X\":\"v\"}}", "\"X\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pv_plan p;
        fl_err err;
        cr_assert_eq(plan(bad[i].json, &p, &err), -1, "%s", bad[i].json);
        cr_assert(strstr(err.msg, bad[i].words), "%s: %s", bad[i].json, err.msg);
    }
}

Test(plan, no_role_on_aws)
{
    pv_plan_defaults aws = def;
    aws.role = NULL;
    pv_deployment d;
    fl_err err;
    const char *j = "{\"service\":\"fn\",\"image\":\"i\"}";
    pv_deployment_parse(j, strlen(j), &d, &err);
    pv_plan p;
    cr_assert_eq(pv_plan_make(&d, &aws, &p, &err), -1);
    cr_assert(strstr(err.msg, "--role"), "%s", err.msg);
    pv_deployment_free(&d);
}

Test(plan, validators)
{
    cr_assert(pv_role_arn_valid("arn:aws:iam::000000000000:role/faas-lambda"));
    cr_assert(pv_role_arn_valid("arn:aws-cn:iam::123456789012:role/a+b=c,d.e@f-g_h/i"));
    cr_assert(!pv_role_arn_valid("arn:aws:iam::123:role/x"));
    cr_assert(!pv_role_arn_valid("arn:aws:iam::123456789012:user/x"));
    cr_assert(!pv_role_arn_valid("arn:aws:iam::123456789012:role/"));
    cr_assert(!pv_role_arn_valid("arn:aws:iam::123456789012:role/a b"));
    cr_assert(pv_layer_arn_valid("arn:aws:lambda:us-east-1:123456789012:layer:my-layer:3"));
    cr_assert(!pv_layer_arn_valid("arn:aws:lambda:us-east-1:123456789012:layer:my-layer"));
    cr_assert(!pv_layer_arn_valid("arn:aws:lambda:us-east-1:123456789012:layer:my-layer:0"));
    cr_assert(!pv_layer_arn_valid("arn:aws:s3:::bucket:x:1:2"));
    cr_assert(pv_env_name_valid("AB"));
    cr_assert(pv_env_name_valid("a_1"));
    cr_assert(!pv_env_name_valid("A"));
    cr_assert(!pv_env_name_valid("_A"));
    cr_assert(!pv_env_name_valid("A-B"));
}

Test(federation, pick)
{
    pv_backend b[3] = {{.name = "lambda"},
                       {.name = "faasnetes", .url = "http://faas-netes.openfaas:8080", .host = "faas-netes.openfaas"},
                       {.name = "edge", .url = "https://edge.example.com", .host = "edge.example.com"}};
    pv_fed f = {.b = b, .n = 3, .def = 1};
    pv_map a = {0};
    cr_assert_eq(pv_fed_pick(&f, &a), 1); /* no annotation: the default */
    pv_map_set(&a, PV_ANN_GATEWAY, "lambda");
    cr_assert_eq(pv_fed_pick(&f, &a), 0);
    pv_map_set(&a, PV_ANN_GATEWAY, "FAAS-NETES.openfaas"); /* the URL's host, any case */
    cr_assert_eq(pv_fed_pick(&f, &a), 1);
    pv_map_set(&a, PV_ANN_GATEWAY, "Edge");
    cr_assert_eq(pv_fed_pick(&f, &a), 2);
    pv_map_set(&a, PV_ANN_GATEWAY, "nowhere"); /* no match: the default, as faas-federation */
    cr_assert_eq(pv_fed_pick(&f, &a), 1);
    pv_map_free(&a);
    cr_assert(pv_fed_enabled(&f));
}

Test(federation, backend_specs)
{
    provider_backend b;
    fl_err err;
    cr_assert_eq(provider_backend_parse("netes=http://gw:8080/,user=admin,password-file=/s/p", &b, &err), 0, "%s",
                 err.msg);
    cr_assert_str_eq(b.name, "netes");
    cr_assert_str_eq(b.url, "http://gw:8080");
    cr_assert_str_eq(b.user, "admin");
    cr_assert_str_eq(b.password_file, "/s/p");
    provider_config c = {0};
    provider_config_add_backend(&c, &b);
    cr_assert_eq(c.nbackends, 1);
    provider_config_free(&c);
    const char *bad[] = {"nourl", "=http://x", "a=ftp://x", "a=http://", "a=http://x,user=u",
                         "a=http://x,colour=blue", "lambda=http://x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(provider_backend_parse(bad[i], &b, &err), -1, "%s", bad[i]);
    char *h = pv_url_host("https://user:pw@Edge.example.com:8443/x");
    cr_assert_str_eq(h, "Edge.example.com");
    free(h);
}
