/* Signed requests to AWS APIs (and to the emulator, which speaks the same):
 * libcurl signs (CURLOPT_AWS_SIGV4) over a URL that is the canonical form
 * of the request (aws_uri.c), while CURLOPT_REQUEST_TARGET puts the wire
 * form on the request line. Session credentials add X-Amz-Security-Token,
 * which is signed like every header the request carries. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/aws.h"
#include "provider/internal.h"

void pv_aws_endpoint_init(pv_aws_endpoint *ep, const char *base, const char *region, const char *service,
                          pv_creds *creds)
{
    memset(ep, 0, sizeof *ep);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    ep->base = fl_xstrndup(base, n);
    ep->region = fl_xstrdup(region);
    ep->service = fl_xstrdup(service);
    snprintf(ep->sigv4, sizeof ep->sigv4, "aws:amz:%s:%s", region, service);
    ep->creds = creds;
}

void pv_aws_endpoint_free(pv_aws_endpoint *ep)
{
    free(ep->base);
    free(ep->region);
    free(ep->service);
    memset(ep, 0, sizeof *ep);
}

/* Headers as the canonical form sees them: one line per name (repeats
 * joined with ',' in order), folded values unfolded, no CR/LF left. */
static void canonical_headers(const fl_headers *in, fl_headers *out)
{
    for (size_t i = 0; in && i < in->n; i++) {
        if (fl_headers_get(out, in->v[i].name))
            continue;
        fl_buf v = {0};
        for (size_t j = i; j < in->n; j++) {
            if (!fl_str_eq_nocase(in->v[j].name, in->v[i].name))
                continue;
            if (v.len)
                fl_buf_putc(&v, ',');
            for (const char *p = in->v[j].value; *p; p++)
                fl_buf_putc(&v, *p == '\r' || *p == '\n' ? ' ' : *p);
        }
        fl_headers_add(out, in->v[i].name, fl_buf_cstr(&v));
        fl_buf_free(&v);
    }
}

static void add_payload_hash(fl_headers *hs, const void *body, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_Digest(body ? body : "", len, md, &n, EVP_sha256(), NULL);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    fl_headers_set(hs, "X-Amz-Content-Sha256", hex);
}

void pv_aws_prepare(const pv_aws_endpoint *ep, const pv_cred *cred, const pv_aws_call *c, pv_aws_prepared *p)
{
    memset(p, 0, sizeof *p);
    fl_buf canon = {0}, query = {0};
    const char *path = c->path && *c->path ? c->path : "/";
    fl_aws_canonical_uri(path, strlen(path), !c->unnormalized_path, &canon);
    pv_aws_canonical_query(c->query, &query);
    fl_buf_printf(&p->url, "%s%s%s%s", ep->base, canon.data, query.len ? "?" : "", query.len ? query.data : "");
    fl_buf_printf(&p->target, "%s%s%s", path, query.len ? "?" : "", query.len ? query.data : "");
    fl_buf_free(&canon);
    fl_buf_free(&query);
    canonical_headers(c->headers, &p->headers);
    if (c->sign_body)
        add_payload_hash(&p->headers, c->body, c->body_len);
    if (cred->token && !fl_headers_get(&p->headers, "X-Amz-Security-Token"))
        fl_headers_add(&p->headers, "X-Amz-Security-Token", cred->token);
    p->userpwd = fl_xasprintf("%s:%s", cred->akid, cred->secret);
    p->req = (fl_http_req){
        .method = c->method,
        .url = p->url.data,
        .request_target = p->target.data,
        .headers = &p->headers,
        .body = c->body,
        .body_len = c->body_len,
        .has_body = c->has_body,
        .timeout_ms = c->timeout_ms,
        .connect_timeout_ms = 10000,
        .max_body = c->max_body ? c->max_body : PV_LAMBDA_RESPONSE_MAX,
        .aws_sigv4 = ep->sigv4,
        .userpwd = p->userpwd,
        .path_as_is = true,
    };
}

void pv_aws_prepared_free(pv_aws_prepared *p)
{
    if (p->userpwd) {
        memset(p->userpwd, 0, strlen(p->userpwd));
        free(p->userpwd);
    }
    fl_headers_free(&p->headers);
    fl_buf_free(&p->url);
    fl_buf_free(&p->target);
    memset(p, 0, sizeof *p);
}

int pv_aws_do_with(const pv_aws_endpoint *ep, const pv_cred *cred, CURL_handle *h, const pv_aws_call *c,
                   fl_http_resp *resp, fl_err *err)
{
    pv_aws_prepared p;
    pv_aws_prepare(ep, cred, c, &p);
    int rc = fl_http_do(h, &p.req, resp, err);
    pv_aws_prepared_free(&p);
    return rc;
}

int pv_aws_do(const pv_aws_endpoint *ep, CURL_handle *h, const pv_aws_call *c, fl_http_resp *resp, fl_err *err)
{
    pv_cred cred = {0};
    if (pv_creds_get(ep->creds, &cred, err)) {
        memset(resp, 0, sizeof *resp);
        return -1;
    }
    int rc = pv_aws_do_with(ep, &cred, h, c, resp, err);
    pv_cred_clear(&cred);
    return rc;
}

static void copy_trunc(char *dst, size_t n, const char *src, size_t len)
{
    if (!n)
        return;
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = 0;
}

void pv_aws_error(const fl_http_resp *resp, char *type, size_t tn, char *msg, size_t mn)
{
    type[0] = msg[0] = 0;
    const char *h = fl_headers_get(&resp->headers, "X-Amzn-ErrorType");
    if (h && *h)
        copy_trunc(type, tn, h, strcspn(h, ":"));
    cJSON *doc = resp->body.len ? cJSON_ParseWithLength(resp->body.data, resp->body.len) : NULL;
    bool is_obj = cJSON_IsObject(doc);
    if (is_obj) {
        const char *t = fl_json_str(doc, "__type");
        if (!t)
            t = fl_json_str(doc, "code");
        if (!t)
            t = fl_json_str(doc, "Code");
        if (!type[0] && t) {
            const char *hash = strrchr(t, '#'); /* "com.amazonaws...#ResourceNotFoundException" */
            t = hash ? hash + 1 : t;
            copy_trunc(type, tn, t, strcspn(t, ":"));
        }
        const char *m = fl_json_str(doc, "message");
        if (!m)
            m = fl_json_str(doc, "Message");
        if (!m)
            m = fl_json_str(doc, "errorMessage");
        if (m)
            copy_trunc(msg, mn, m, strlen(m));
    }
    cJSON_Delete(doc);
    if (!type[0])
        snprintf(type, tn, "HTTP%d", resp->status);
    if (!msg[0] && resp->body.len && !is_obj)
        copy_trunc(msg, mn, resp->body.data, resp->body.len);
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
}
