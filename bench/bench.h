/* What the bench clients share: a clock, the request body they send, and
 * the Function URL event that carries it (what the bootstrap turns into
 * POST /bench for the watchdog). Header-only: each bench is one file. */
#ifndef FL_BENCH_H
#define FL_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* SIZE bytes of text, NUL-terminated; the caller frees it. */
static inline char *bench_body(size_t size)
{
    char *body = malloc(size + 1);
    if (!body)
        abort();
    for (size_t i = 0; i < size; i++)
        body[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36];
    body[size] = 0;
    return body;
}

/* The event for POST /bench with BODY (text, no JSON escapes needed); its
 * length in *len; the caller frees it. */
static inline char *bench_url_event(const char *body, size_t body_len, size_t *len)
{
    size_t cap = body_len + 1024;
    char *event = malloc(cap);
    if (!event)
        abort();
    int n = snprintf(event, cap,
                     "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"/bench\",\"rawQueryString\":\"\","
                     "\"headers\":{\"content-type\":\"text/plain\",\"host\":\"x.lambda-url.us-east-1.on.aws\"},"
                     "\"requestContext\":{\"domainName\":\"x.lambda-url.us-east-1.on.aws\",\"http\":{\"method\":"
                     "\"POST\",\"path\":\"/bench\",\"protocol\":\"HTTP/1.1\",\"sourceIp\":\"127.0.0.1\"},"
                     "\"requestId\":\"r\",\"routeKey\":\"$default\",\"stage\":\"$default\"},"
                     "\"body\":\"%s\",\"isBase64Encoded\":false}",
                     body);
    if (n < 0 || (size_t)n >= cap)
        abort();
    *len = (size_t)n;
    return event;
}

#endif
