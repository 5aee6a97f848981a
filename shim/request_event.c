/* HTTP request -> Function URL shaped 2.0 event (provider side).
 *
 * As AWS writes it: header names lower-cased with repeats comma-joined
 * (Cookie repeats joined with "; "), cookies[] split from the Cookie headers,
 * queryStringParameters decoded with repeats comma-joined, rawPath and
 * rawQueryString as received. So that the request survives the trip exactly,
 * a request whose header names repeat also carries "multiValueHeaders" with
 * the exact names (first spelling) and values, which shim_event_to_request
 * prefers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "shim/internal.h"

static void put_member(fl_buf *b, const char *key, const char *value)
{
    fl_buf_putc(b, ',');
    shim_put_key(b, key);
    shim_put_str(b, value);
}

/* Header names lower-cased, values of repeated names joined. */
static void put_headers(fl_buf *b, const fl_headers *h, size_t *next, const bool *head)
{
    fl_buf_puts(b, ",\"headers\":{");
    fl_buf v = {0};
    bool first = true;
    for (size_t i = 0; i < h->n; i++) {
        if (!head[i])
            continue;
        if (!first)
            fl_buf_putc(b, ',');
        first = false;
        fl_buf_reset(&v);
        fl_buf_puts(&v, h->v[i].name);
        for (char *c = v.data; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        fl_json_put_str(b, v.data, v.len);
        fl_buf_putc(b, ':');
        const char *sep = strcmp(v.data, "cookie") ? "," : "; ";
        fl_buf_reset(&v);
        for (size_t j = i; j != SHIM_NONE; j = next[j]) {
            if (j != i)
                fl_buf_puts(&v, sep);
            fl_buf_puts(&v, h->v[j].value);
        }
        fl_json_put_str(b, v.data, v.len);
    }
    fl_buf_putc(b, '}');
    fl_buf_free(&v);
}

/* "cookies":[..] from every Cookie header split on ';', spaces trimmed. */
static void put_cookies(fl_buf *b, const fl_headers *h)
{
    if (!fl_headers_get(h, "Cookie"))
        return;
    fl_buf_puts(b, ",\"cookies\":[");
    bool first = true;
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->v[i].name, "Cookie"))
            continue;
        for (const char *p = h->v[i].value; *p;) {
            size_t n = strcspn(p, ";");
            const char *s = p, *e = p + n;
            p = *e ? e + 1 : e;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (s == e)
                continue;
            if (!first)
                fl_buf_putc(b, ',');
            first = false;
            fl_json_put_str(b, s, (size_t)(e - s));
        }
    }
    fl_buf_putc(b, ']');
}

typedef struct qpair {
    size_t k, kn, v, vn; /* offsets into the decoded text */
} qpair;

/* Decodes s[0..n) as a query key or value into dec: form-decoded, then
 * invalid UTF-8 replaced (this map is informational; rawQueryString is exact). */
static void decode_part(const char *s, size_t n, fl_buf *dec, fl_buf *tmp, size_t *off, size_t *len)
{
    fl_buf_reset(tmp);
    fl_pct_decode(s, n, FL_PCT_PLUS, tmp);
    *off = dec->len;
    shim_utf8_sanitize(tmp->data, tmp->len, dec);
    *len = dec->len - *off;
}

/* Splits q on '&' into decoded key/value pairs (empty pieces skipped; no
 * '=' means an empty value). Returns how many; *pairs is allocated. */
static size_t split_query(const char *q, fl_buf *dec, qpair **pairs)
{
    size_t cap = 1, n = 0;
    for (const char *p = q; *p; p++)
        cap += *p == '&';
    *pairs = fl_xmalloc(cap * sizeof **pairs);
    fl_buf tmp = {0};
    for (const char *p = q; *p;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t kl = eq ? (size_t)(eq - p) : len;
        if (len) {
            qpair *x = &(*pairs)[n++];
            decode_part(p, kl, dec, &tmp, &x->k, &x->kn);
            decode_part(eq ? eq + 1 : p + len, eq ? len - kl - 1 : 0, dec, &tmp, &x->v, &x->vn);
        }
        p += len + (p[len] == '&');
    }
    fl_buf_free(&tmp);
    return n;
}

/* "queryStringParameters":{..}, repeated keys' values comma-joined. */
static void put_query_params(fl_buf *b, const char *q)
{
    fl_buf dec = {0}, joined = {0};
    qpair *pairs;
    size_t n = split_query(q, &dec, &pairs);
    shim_key *keys = fl_xmalloc((n ? n : 1) * sizeof *keys);
    size_t *next = fl_xmalloc((n ? n : 1) * sizeof *next);
    bool *head = fl_xmalloc((n ? n : 1) * sizeof *head);
    for (size_t i = 0; i < n; i++)
        keys[i] = (shim_key){dec.data + pairs[i].k, pairs[i].kn};
    shim_group(keys, n, false, next, head);
    if (n)
        fl_buf_puts(b, ",\"queryStringParameters\":{");
    for (size_t i = 0; i < n; i++) {
        if (!head[i])
            continue;
        if (i)
            fl_buf_putc(b, ',');
        fl_json_put_str(b, keys[i].p, keys[i].n);
        fl_buf_putc(b, ':');
        fl_buf_reset(&joined);
        fl_buf_cstr(&joined);
        for (size_t j = i; j != SHIM_NONE; j = next[j]) {
            if (j != i)
                fl_buf_putc(&joined, ',');
            fl_buf_append(&joined, dec.data + pairs[j].v, pairs[j].vn);
        }
        fl_json_put_str(b, joined.data, joined.len);
    }
    if (n)
        fl_buf_putc(b, '}');
    free(keys);
    free(next);
    free(head);
    free(pairs);
    fl_buf_free(&dec);
    fl_buf_free(&joined);
}

/* "12/Mar/2020:19:03:58 +0000", as requestContext.time reads. */
static void format_time(uint64_t epoch_ms, char *out, size_t size)
{
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(epoch_ms / 1000);
    struct tm tm;
    if (epoch_ms / 1000 > (uint64_t)253402300799 || !gmtime_r(&t, &tm)) { /* past 9999-12-31 */
        t = 0;
        gmtime_r(&t, &tm);
    }
    snprintf(out, size, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void put_context(fl_buf *b, const shim_request *req, const shim_event_ctx *ctx)
{
    const char *domain = ctx && ctx->domain_name ? ctx->domain_name : "localhost";
    const char *ua = fl_headers_get(&req->headers, "User-Agent");
    char prefix[256], when[64];
    snprintf(prefix, sizeof prefix, "%.*s", (int)strcspn(domain, "."), domain);
    format_time(ctx ? ctx->time_epoch_ms : 0, when, sizeof when);

    fl_buf_puts(b, ",\"requestContext\":{\"accountId\":");
    shim_put_str(b, ctx && ctx->account_id ? ctx->account_id : "anonymous");
    put_member(b, "apiId", prefix);
    put_member(b, "domainName", domain);
    put_member(b, "domainPrefix", prefix);
    fl_buf_puts(b, ",\"http\":{\"method\":");
    shim_put_str(b, req->method);
    put_member(b, "path", req->path);
    put_member(b, "protocol", "HTTP/1.1");
    put_member(b, "sourceIp", ctx && ctx->source_ip ? ctx->source_ip : "");
    put_member(b, "userAgent", ua ? ua : "");
    fl_buf_putc(b, '}');
    put_member(b, "requestId", ctx && ctx->request_id ? ctx->request_id : "");
    put_member(b, "routeKey", "$default");
    put_member(b, "stage", "$default");
    put_member(b, "time", when);
    fl_buf_printf(b, ",\"timeEpoch\":%llu}", (unsigned long long)(ctx ? ctx->time_epoch_ms : 0));
}

int shim_request_to_event(const shim_request *req, const shim_event_ctx *ctx, fl_buf *event, fl_err *err)
{
    fl_buf_reset(event);
    if (!req->method || !shim_token_ok(req->method))
        return fl_fail(err, "request method \"%.100s\" is not an HTTP method", req->method ? req->method : "");
    if (!req->path || req->path[0] != '/')
        return fl_fail(err, "request path \"%.200s\" does not start with '/'", req->path ? req->path : "");
    const char *query = req->query ? req->query : "";
    const char *body = req->body.data ? req->body.data : "";
    size_t len = req->body.len;
    bool text = shim_body_is_text(&req->headers, body, len);
    fl_buf_reserve(event, (text ? len + len / 8 : shim_base64_len(len)) + 2048);

    size_t *next;
    bool *head;
    shim_group_headers(&req->headers, &next, &head);
    bool repeats = false;
    for (size_t i = 0; i < req->headers.n && !repeats; i++)
        repeats = next[i] != SHIM_NONE;

    fl_buf_puts(event, "{\"version\":\"2.0\",\"routeKey\":\"$default\"");
    put_member(event, "rawPath", req->path);
    put_member(event, "rawQueryString", query);
    put_cookies(event, &req->headers);
    put_headers(event, &req->headers, next, head);
    if (repeats) {
        fl_buf_puts(event, ",\"multiValueHeaders\":");
        shim_put_multi_headers(event, &req->headers);
    }
    put_query_params(event, query);
    put_context(event, req, ctx);
    fl_buf_puts(event, ",\"body\":");
    shim_put_body(event, body, len, text);
    fl_buf_puts(event, text ? ",\"isBase64Encoded\":false}" : ",\"isBase64Encoded\":true}");
    free(next);
    free(head);
    return 0;
}
