/* Image references: docker's naming rules, transports, and what is refused. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "packer/internal.h"

static pk_ref parse_ok(const char *s)
{
    pk_ref r;
    fl_err err = {{0}};
    cr_assert_eq(pk_ref_parse(s, &r, &err), 0, "%s: %s", s, err.msg);
    return r;
}

static void parse_bad(const char *s, const char *needle)
{
    pk_ref r;
    fl_err err = {{0}};
    cr_assert_eq(pk_ref_parse(s, &r, &err), -1, "%s parsed", s);
    cr_assert(strstr(err.msg, needle), "%s: message [%s] lacks [%s]", s, err.msg, needle);
}

Test(ref, hub_short_name)
{
    pk_ref r = parse_ok("docker://alpine:3.19");
    cr_assert_str_eq(r.domain, "docker.io");
    cr_assert_str_eq(r.repo, "library/alpine");
    cr_assert_str_eq(r.tag, "3.19");
    cr_assert_null(r.digest);
    cr_assert_str_eq(pk_ref_endpoint(&r), "registry-1.docker.io");
    char *s = pk_ref_string(&r);
    cr_assert_str_eq(s, "docker.io/library/alpine:3.19");
    free(s);
    pk_ref_free(&r);
}

Test(ref, hub_defaults_and_user_repos)
{
    pk_ref r = parse_ok("docker://alpine");
    cr_assert_str_eq(r.tag, "latest");
    pk_ref_free(&r);
    r = parse_ok("docker://openfaas/figlet:0.13.0");
    cr_assert_str_eq(r.domain, "docker.io");
    cr_assert_str_eq(r.repo, "openfaas/figlet");
    pk_ref_free(&r);
    r = parse_ok("docker://index.docker.io/library/busybox");
    cr_assert_str_eq(r.domain, "docker.io");
    cr_assert_str_eq(r.repo, "library/busybox");
    pk_ref_free(&r);
}

Test(ref, registry_hosts)
{
    pk_ref r = parse_ok("docker://127.0.0.1:5000/team/fn:1.0");
    cr_assert_str_eq(r.domain, "127.0.0.1:5000");
    cr_assert_str_eq(r.repo, "team/fn");
    cr_assert_str_eq(r.tag, "1.0");
    cr_assert_str_eq(pk_ref_endpoint(&r), "127.0.0.1:5000");
    pk_ref_free(&r);
    r = parse_ok("docker://localhost/fn");
    cr_assert_str_eq(r.domain, "localhost");
    cr_assert_str_eq(r.repo, "fn");
    pk_ref_free(&r);
    r = parse_ok("docker://ghcr.io/openfaas/of-watchdog:0.10.9");
    cr_assert_str_eq(r.domain, "ghcr.io");
    pk_ref_free(&r);
    r = parse_ok("docker://[::1]:5000/fn:x");
    cr_assert_str_eq(r.domain, "[::1]:5000");
    pk_ref_free(&r);
}

Test(ref, digests)
{
    const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char buf[200];
    snprintf(buf, sizeof buf, "docker://alpine@%s", d);
    pk_ref r = parse_ok(buf);
    cr_assert_str_eq(r.digest, d);
    cr_assert_null(r.tag);
    char *s = pk_ref_string(&r);
    cr_assert(strstr(s, "@sha256:"));
    free(s);
    pk_ref_free(&r);
    snprintf(buf, sizeof buf, "docker://alpine:3.19@%s", d);
    r = parse_ok(buf);
    cr_assert_str_eq(r.tag, "3.19");
    cr_assert_str_eq(r.digest, d);
    pk_ref_free(&r);
    parse_bad("docker://alpine@sha256:abc", "digest");
    parse_bad("docker://alpine@sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "digest");
}

Test(ref, refused_names)
{
    parse_bad("docker://Alpine", "repository");
    parse_bad("docker://alpine:bad tag", "tag");
    parse_bad("docker://alpine:-x", "tag");
    parse_bad("docker://a..b/c", "registry host");
    parse_bad("docker://host:99999/c", "registry host");
    parse_bad("docker://team//fn", "repository");
    parse_bad("docker://team/fn_", "repository");
    parse_bad("docker://", "empty");
    parse_bad("alpine:3.19", "transport");
    parse_bad("oci:", "no path");
    char longname[400];
    memset(longname, 'a', sizeof longname);
    memcpy(longname, "docker://", 9);
    longname[sizeof longname - 1] = 0;
    parse_bad(longname, "longer");
}

Test(ref, separators)
{
    pk_ref r = parse_ok("docker://my-org/my__fn.x-y:v1.2_3");
    cr_assert_str_eq(r.repo, "my-org/my__fn.x-y");
    pk_ref_free(&r);
    parse_bad("docker://my___fn", "repository");
    parse_bad("docker://my..fn", "repository");
}

Test(ref, layouts_and_archives)
{
    pk_ref r = parse_ok("oci:/tmp/layout:fn");
    cr_assert_eq(r.kind, PK_SRC_OCI);
    cr_assert_str_eq(r.path, "/tmp/layout");
    cr_assert_str_eq(r.name, "fn");
    pk_ref_free(&r);
    r = parse_ok("oci:./layout");
    cr_assert_null(r.name);
    pk_ref_free(&r);
    r = parse_ok("docker-archive:/tmp/x.tar");
    cr_assert_eq(r.kind, PK_SRC_ARCHIVE);
    cr_assert_str_eq(r.path, "/tmp/x.tar");
    cr_assert_null(r.name);
    pk_ref_free(&r);
    r = parse_ok("docker-archive:/tmp/x.tar:fn:latest");
    cr_assert_str_eq(r.name, "fn:latest");
    pk_ref_free(&r);
}

Test(platform, parse_and_match)
{
    pk_platform p;
    fl_err err;
    cr_assert_eq(pk_platform_parse("linux/arm64", &p, &err), 0);
    cr_assert(pk_platform_match(&p, "linux", "arm64", NULL));
    cr_assert(pk_platform_match(&p, "linux", "arm64", "v8"));
    cr_assert_not(pk_platform_match(&p, "linux", "amd64", NULL));
    cr_assert_eq(pk_platform_parse("linux/arm64/v8", &p, &err), 0);
    cr_assert(pk_platform_match(&p, "linux", "arm64", NULL));
    cr_assert_not(pk_platform_match(&p, "linux", "arm", "v7"));
    cr_assert_eq(pk_platform_parse("linux", &p, &err), -1);
    cr_assert_eq(pk_platform_parse("linux/", &p, &err), -1);
    cr_assert_eq(pk_platform_parse("linux/arm/v7/x", &p, &err), -1);
    cr_assert_str_eq(pk_lambda_arch("amd64"), "x86_64");
    cr_assert_str_eq(pk_lambda_arch("arm64"), "arm64");
    cr_assert_null(pk_lambda_arch("s390x"));
}
