/* The AWS credential sources' parsing: shared files and profiles, STS
 * answers, container answers, which container URIs are allowed. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "provider/aws.h"
#include "provider/internal.h"

static const char *creds_file =
    "# comment\n"
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "aws_secret_access_key=secretdefault\n"
    "\n"
    "[dev]\n"
    "aws_access_key_id = AKIDDEV \n"
    "aws_secret_access_key = sec/ret+dev=\n"
    "aws_session_token = tokendev\n"
    "s3 =\n"
    "  max_concurrent_requests = 20\n"
    "[broken]\n"
    "aws_access_key_id = AKIDONLY\n";

static const char *config_file =
    "[default]\n"
    "region = eu-west-1\n"
    "[profile dev]\n"
    "region = us-west-2\n"
    "aws_access_key_id = AKIDCONFIG\n"
    "aws_secret_access_key = ignored-credentials-file-wins\n"
    "; comment\n"
    "[profile irsa]\n"
    "role_arn = arn:aws:iam::123456789012:role/fn\n"
    "web_identity_token_file = /var/run/token\n"
    "role_session_name = sess\n"
    "[profile keysonly]\n"
    "aws_access_key_id = AKIDCFG\n"
    "aws_secret_access_key = cfgsecret\n"
    "[profile sso]\n"
    "sso_session = x\n"
    "[dev]\n"
    "region = not-a-profile-header-in-config\n";

Test(profiles, default_and_named)
{
    pv_profile p;
    fl_err err;
    cr_assert_eq(pv_profile_resolve(creds_file, config_file, "default", &p, &err), 0, "%s", err.msg);
    cr_assert(p.found);
    cr_assert_str_eq(p.cred.akid, "AKIDDEFAULT");
    cr_assert_str_eq(p.cred.secret, "secretdefault");
    cr_assert_null(p.cred.token);
    cr_assert_str_eq(p.region, "eu-west-1");
    pv_profile_free(&p);
    cr_assert_eq(pv_profile_resolve(creds_file, config_file, "dev", &p, &err), 0);
    cr_assert_str_eq(p.cred.akid, "AKIDDEV");
    cr_assert_str_eq(p.cred.secret, "sec/ret+dev=");
    cr_assert_str_eq(p.cred.token, "tokendev");
    cr_assert_str_eq(p.region, "us-west-2");
    pv_profile_free(&p);
}

Test(profiles, config_file_only)
{
    pv_profile p;
    fl_err err;
    cr_assert_eq(pv_profile_resolve(NULL, config_file, "keysonly", &p, &err), 0);
    cr_assert_str_eq(p.cred.akid, "AKIDCFG");
    pv_profile_free(&p);
    cr_assert_eq(pv_profile_resolve(creds_file, config_file, "irsa", &p, &err), 0);
    cr_assert_null(p.cred.akid);
    cr_assert_str_eq(p.role_arn, "arn:aws:iam::123456789012:role/fn");
    cr_assert_str_eq(p.web_identity_token_file, "/var/run/token");
    cr_assert_str_eq(p.role_session_name, "sess");
    pv_profile_free(&p);
    cr_assert_eq(pv_profile_resolve(creds_file, config_file, "sso", &p, &err), 0);
    cr_assert_str_eq(p.unsupported, "sso_session");
    pv_profile_free(&p);
    cr_assert_eq(pv_profile_resolve(creds_file, config_file, "nosuch", &p, &err), 0);
    cr_assert(!p.found);
    pv_profile_free(&p);
}

Test(profiles, errors)
{
    pv_profile p;
    fl_err err;
    cr_assert_eq(pv_profile_resolve(creds_file, NULL, "broken", &p, &err), -1);
    cr_assert(strstr(err.msg, "aws_secret_access_key"), "%s", err.msg);
    cr_assert_eq(pv_profile_resolve("[default\nx=1\n", NULL, "default", &p, &err), -1);
    cr_assert(strstr(err.msg, "line 1"), "%s", err.msg);
    cr_assert_eq(pv_profile_resolve("", "", "default", &p, &err), 0);
    cr_assert(!p.found);
    pv_profile_free(&p);
}

Test(sts, answer)
{
    const char *xml =
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
        "  <AssumeRoleWithWebIdentityResult>\n"
        "    <SubjectFromWebIdentityToken>system:serviceaccount:openfaas:faas-lambda</SubjectFromWebIdentityToken>\n"
        "    <Credentials>\n"
        "      <SessionToken>FQoG&amp;token/+=</SessionToken>\n"
        "      <SecretAccessKey>wJalr/secret</SecretAccessKey>\n"
        "      <Expiration>2026-11-26T12:00:00Z</Expiration>\n"
        "      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
        "    </Credentials>\n"
        "  </AssumeRoleWithWebIdentityResult>\n"
        "</AssumeRoleWithWebIdentityResponse>\n";
    pv_cred c;
    fl_err err;
    cr_assert_eq(pv_sts_parse(xml, strlen(xml), &c, &err), 0, "%s", err.msg);
    cr_assert_str_eq(c.akid, "ASIAEXAMPLE");
    cr_assert_str_eq(c.secret, "wJalr/secret");
    cr_assert_str_eq(c.token, "FQoG&token/+=");
    int64_t want;
    pv_parse_rfc3339("2026-11-26T12:00:00Z", &want);
    cr_assert_eq(c.expires_ms, want);
    pv_cred_clear(&c);
}

Test(sts, errors)
{
    const char *err_xml = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
                          "<Message>No OpenIDConnect provider found</Message></Error></ErrorResponse>";
    pv_cred c;
    fl_err err;
    cr_assert_eq(pv_sts_parse(err_xml, strlen(err_xml), &c, &err), -1);
    cr_assert(strstr(err.msg, "InvalidIdentityToken") && strstr(err.msg, "OpenIDConnect"), "%s", err.msg);
    const char *partial = "<Credentials><AccessKeyId>A</AccessKeyId></Credentials>";
    cr_assert_eq(pv_sts_parse(partial, strlen(partial), &c, &err), -1);
    cr_assert_eq(pv_sts_parse("", 0, &c, &err), -1);
}

Test(container, answer)
{
    const char *j = "{\"AccessKeyId\":\"ASIACONT\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
                    "\"Expiration\":\"2026-11-26T12:00:00Z\",\"RoleArn\":\"x\"}";
    pv_cred c;
    fl_err err;
    cr_assert_eq(pv_container_creds_parse(j, strlen(j), &c, &err), 0, "%s", err.msg);
    cr_assert_str_eq(c.akid, "ASIACONT");
    cr_assert_str_eq(c.token, "t");
    cr_assert_gt(c.expires_ms, 0);
    pv_cred_clear(&c);
    const char *bad = "{\"message\":\"denied\"}";
    cr_assert_eq(pv_container_creds_parse(bad, strlen(bad), &c, &err), -1);
    cr_assert(strstr(err.msg, "denied"), "%s", err.msg);
}

Test(container, allowed_uris)
{
    const char *ok[] = {"https://example.com/creds", "http://127.0.0.1:8080/x", "http://127.1.2.3/x",
                        "http://localhost:5/x", "http://169.254.170.2/v2/credentials/x",
                        "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials",
                        "http://[::1]:9/x"};
    const char *no[] = {"http://example.com/creds", "http://10.0.0.1/x", "ftp://127.0.0.1/x", "http://[::2]/x",
                        "http://169.254.169.254/latest", "127.0.0.1/x", ""};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        cr_assert(pv_container_uri_allowed(ok[i]), "%s", ok[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        cr_assert(!pv_container_uri_allowed(no[i]), "%s", no[i]);
}

Test(chain, environment_and_profiles)
{
    unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    unsetenv("AWS_PROFILE");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    pv_creds *c;
    char *region = NULL;
    fl_err err;
    cr_assert_eq(pv_creds_chain(NULL, &c, &region, &err), 0, "%s", err.msg);
    pv_cred v;
    cr_assert_eq(pv_creds_get(c, &v, &err), 0);
    cr_assert_str_eq(v.akid, "AKIDENV");
    cr_assert_str_eq(v.token, "envtoken");
    pv_cred_clear(&v);
    pv_creds_free(c);
    unsetenv("AWS_SECRET_ACCESS_KEY");
    cr_assert_eq(pv_creds_chain(NULL, &c, &region, &err), -1);
    cr_assert(strstr(err.msg, "together"), "%s", err.msg);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SESSION_TOKEN");
    setenv("AWS_PROFILE", "nosuch", 1);
    cr_assert_eq(pv_creds_chain(NULL, &c, &region, &err), -1);
    cr_assert(strstr(err.msg, "nosuch"), "%s", err.msg);
    unsetenv("AWS_PROFILE");
    cr_assert_eq(pv_creds_chain(NULL, &c, &region, &err), -1);
    cr_assert(strstr(err.msg, "no AWS credentials found"), "%s", err.msg);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
    cr_assert_eq(pv_creds_chain(NULL, &c, &region, &err), -1);
    cr_assert(strstr(err.msg, "not allowed"), "%s", err.msg);
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}
