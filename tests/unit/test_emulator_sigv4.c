/* SigV4 verification against the AWS test suite, read from the shared
 * folder (testdata/sigv4; its README/SOURCES give the credentials and the
 * clock): for every case the verifier's canonical request and string to
 * sign are the suite's, and the suite's signature is accepted. Then what
 * must be refused, with AWS's error types. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator/emulator.h"
#include "emulator/internal.h"
#include "sigv4_suite.h"

#define KEY SUITE_KEY
#define SECRET SUITE_SECRET
#define NOW SUITE_NOW

typedef suite_req req;

static const char *suite_dir(void)
{
    return shared_testdata("sigv4");
}

static emu_sigv4_request view(const req *r)
{
    return (emu_sigv4_request){r->method, r->path, r->query, &r->headers, r->body.data, r->body.len};
}

/* Headers the signer added that the .req lacks (get-vanilla-with-session-
 * token's X-Amz-Security-Token is only in the signed request, .sreq). */
static void add_sent_headers(const char *dir, const char *name, req *r)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s.sreq", dir, name);
    char *text = slurp(path);
    if (!text)
        return;
    req sent;
    parse_suite_req(text, &sent);
    for (size_t i = 0; i < sent.headers.n; i++)
        if (!fl_str_eq_nocase(sent.headers.v[i].name, "Authorization") &&
            !fl_headers_get(&r->headers, sent.headers.v[i].name))
            fl_headers_add(&r->headers, sent.headers.v[i].name, sent.headers.v[i].value);
    free_suite_req(&sent);
    free(text);
}

static const emu_sigv4_creds suite_creds = {KEY, SECRET, "us-east-1", "service", NOW};

static int check_case(const char *dir, const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s.req", dir, name);
    char *text = slurp(path);
    snprintf(path, sizeof path, "%s/%s.creq", dir, name);
    char *creq = slurp(path);
    snprintf(path, sizeof path, "%s/%s.sts", dir, name);
    char *sts = slurp(path);
    snprintf(path, sizeof path, "%s/%s.authz", dir, name);
    char *authz = slurp(path);
    cr_assert(text && creq && sts && authz, "case %s is incomplete", name);
    req r;
    parse_suite_req(text, &r);
    add_sent_headers(dir, name, &r);
    fl_headers_set(&r.headers, "Authorization", authz);
    emu_sigv4_request v = view(&r);
    emu_sigv4_result res = {0};
    int rc = emu_sigv4_verify(&v, &suite_creds, &res);
    cr_expect_str_eq(fl_buf_cstr(&res.creq), creq, "%s: canonical request", name);
    cr_expect_str_eq(fl_buf_cstr(&res.sts), sts, "%s: string to sign", name);
    cr_expect_eq(rc, 0, "%s: refused: %s %s", name, res.type, res.message);
    emu_sigv4_result_free(&res);
    free_suite_req(&r);
    free(text);
    free(creq);
    free(sts);
    free(authz);
    return 1;
}

/* Every directory holding NAME/NAME.req, recursively. */
static int walk(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "the SigV4 suite is not at %s (set FL_SHARED)", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_type != DT_DIR)
            continue;
        char sub[1024], probe[2400];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        snprintf(probe, sizeof probe, "%s/%s.req", sub, e->d_name);
        n += access(probe, F_OK) == 0 ? check_case(sub, e->d_name) : walk(sub);
    }
    closedir(d);
    return n;
}

Test(sigv4_suite, every_case)
{
    int n = walk(suite_dir());
    cr_assert_geq(n, 30, "only %d cases found", n);
}

/* A request signed here (the pieces above), then changed one way. */
static void signed_request(req *r, const char *secret, const char *date, const char *scope_region)
{
    memset(r, 0, sizeof *r);
    r->method = fl_xstrdup("POST");
    r->path = fl_xstrdup("/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations");
    r->query = fl_xstrdup("Qualifier=%24LATEST");
    fl_headers_add(&r->headers, "Host", "127.0.0.1:9000");
    fl_headers_add(&r->headers, "X-Amz-Date", date);
    fl_buf_puts(&r->body, "{\"a\":1}");
    char hash[65], sig[65];
    emu_sigv4_payload_hash(r->body.data, r->body.len, hash);
    emu_sigv4_request v = view(r);
    fl_buf creq = {0}, sts = {0};
    emu_sigv4_canonical_request(&v, "host;x-amz-date", hash, &creq);
    char scope[128];
    snprintf(scope, sizeof scope, "%.8s/%s/lambda/aws4_request", date, scope_region);
    emu_sigv4_string_to_sign(date, scope, creq.data, creq.len, &sts);
    emu_sigv4_signature(secret, (char[9]){date[0], date[1], date[2], date[3], date[4], date[5], date[6], date[7], 0},
                        scope_region, "lambda", sts.data, sts.len, sig);
    char *authz = fl_xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=host;x-amz-date, Signature=%s", KEY,
                               scope, sig);
    fl_headers_add(&r->headers, "Authorization", authz);
    free(authz);
    fl_buf_free(&creq);
    fl_buf_free(&sts);
}

static void expect(req *r, long long now, int status, const char *type, const char *msg_part)
{
    emu_sigv4_creds c = {KEY, SECRET, "us-east-1", "lambda", now};
    emu_sigv4_request v = view(r);
    emu_sigv4_result res = {0};
    int rc = emu_sigv4_verify(&v, &c, &res);
    if (!status) {
        cr_expect_eq(rc, 0, "refused: %s %s", res.type, res.message);
    } else {
        cr_expect_eq(rc, -1);
        cr_expect_eq(res.status, status, "%s", res.message);
        cr_expect_str_eq(res.type, type);
        cr_expect(strstr(res.message, msg_part), "[%s] lacks [%s]", res.message, msg_part);
    }
    emu_sigv4_result_free(&res);
    free_suite_req(r);
}

Test(sigv4_verify, accepted_and_refused)
{
    req r;
    signed_request(&r, SECRET, "20150830T123600Z", "us-east-1");
    expect(&r, NOW + 14 * 60, 0, NULL, NULL);
    signed_request(&r, "another secret", "20150830T123600Z", "us-east-1");
    expect(&r, NOW, 403, "InvalidSignatureException", "The request signature we calculated does not match");
    signed_request(&r, SECRET, "20150830T123600Z", "us-east-1");
    fl_buf_puts(&r.body, " ");
    expect(&r, NOW, 403, "InvalidSignatureException", "The Canonical String for this request should have been");
    signed_request(&r, SECRET, "20150830T123600Z", "us-east-1");
    expect(&r, NOW + 16 * 60, 403, "InvalidSignatureException",
           "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)");
    signed_request(&r, SECRET, "20150830T123600Z", "us-east-1");
    expect(&r, NOW - 16 * 60, 403, "InvalidSignatureException",
           "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z");
    signed_request(&r, SECRET, "20150830T123600Z", "eu-west-1");
    expect(&r, NOW, 403, "InvalidSignatureException", "Credential should be scoped to a valid region.");
    signed_request(&r, SECRET, "20150830T123600Z", "us-east-1");
    fl_headers_set(&r.headers, "Authorization",
                   "AWS4-HMAC-SHA256 Credential=OTHERKEY/20150830/us-east-1/lambda/aws4_request, "
                   "SignedHeaders=host;x-amz-date, Signature=00");
    expect(&r, NOW, 403, "UnrecognizedClientException", "The security token included in the request is invalid.");
    signed_request(&r, SECRET, "20150830T123600Z", "us-east-1");
    fl_headers_del(&r.headers, "Authorization");
    expect(&r, NOW, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    signed_request(&r, SECRET, "20150830T123600Z", "us-east-1");
    fl_headers_set(&r.headers, "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request");
    expect(&r, NOW, 400, "IncompleteSignatureException", "Authorization header requires 'Signature' parameter.");
    signed_request(&r, SECRET, "20150830T123600Z", "us-east-1");
    fl_headers_set(&r.headers, "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/"
                                                "aws4_request, SignedHeaders=x-amz-date, Signature=00");
    expect(&r, NOW, 400, "IncompleteSignatureException", "'Host' or ':authority' must be a 'SignedHeader'");
}

Test(sigv4_parse, authorization_headers)
{
    emu_sigv4_auth a;
    cr_assert_eq(emu_sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/lambda/aws4_request,"
                                               "SignedHeaders=host;x-amz-date,Signature=abcd", &a), 0);
    cr_assert_str_eq(a.access_key, "AK");
    cr_assert_str_eq(a.region, "us-east-1");
    cr_assert_str_eq(a.service, "lambda");
    cr_assert_str_eq(a.signed_headers, "host;x-amz-date");
    cr_assert_str_eq(a.signature, "abcd");
    const char *bad[] = {
        "", "Basic dXNlcg==", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=AK/2015/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host, Signature=ab", "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s, SignedHeaders=host, Signature=a",
        "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, SignedHeaders=Host, Signature=a",
        "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, SignedHeaders=host;;a, Signature=a",
        "AWS4-HMAC-SHA256 Nonsense=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_neq(emu_sigv4_parse_authorization(bad[i], &a), 0, "[%s]", bad[i]);
    cr_assert_neq(emu_sigv4_parse_authorization(NULL, &a), 0);
}
