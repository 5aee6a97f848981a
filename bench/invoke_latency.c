/* Added latency of the Lambda path: the same HTTP request sent (a) directly
 * to the fixture watchdog and (b) as a Function URL event through the Invoke
 * API of `faas-lambda emulate` -> Runtime API -> bootstrap -> the watchdog.
 * The two are interleaved so that both see the same machine state.
 * usage: invoke_latency INVOKE_URL DIRECT_URL BODY_BYTES COUNT */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    *(size_t *)ud += s * n;
    return s * n;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double post(CURL *h, const char *url, const char *body, size_t len, struct curl_slist *hdr, size_t *got)
{
    *got = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, got);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    double t = bench_now_us();
    CURLcode rc = curl_easy_perform(h);
    double d = bench_now_us() - t;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
        fprintf(stderr, "invoke_latency: %s -> %s %ld\n", url, curl_easy_strerror(rc), status);
        exit(1);
    }
    return d;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: invoke_latency INVOKE_URL DIRECT_URL BODY_BYTES COUNT\n");
        return 2;
    }
    size_t size = strtoul(argv[3], NULL, 10);
    int count = atoi(argv[4]);
    char *body = bench_body(size);
    size_t n;
    char *event = bench_url_event(body, size, &n);
    CURL *a = curl_easy_init(), *b = curl_easy_init();
    struct curl_slist *ih = curl_slist_append(NULL, "Content-Type: application/json");
    ih = curl_slist_append(ih, "Expect:");
    struct curl_slist *dh = curl_slist_append(NULL, "Content-Type: text/plain");
    dh = curl_slist_append(dh, "Expect:");
    double *ti = malloc(sizeof(double) * count), *td = malloc(sizeof(double) * count);
    size_t got;
    for (int i = 0; i < 20; i++) { /* warm both paths */
        post(a, argv[1], event, n, ih, &got);
        post(b, argv[2], body, size, dh, &got);
    }
    for (int i = 0; i < count; i++) {
        ti[i] = post(a, argv[1], event, n, ih, &got);
        td[i] = post(b, argv[2], body, size, dh, &got);
    }
    qsort(ti, count, sizeof *ti, cmp);
    qsort(td, count, sizeof *td, cmp);
    double pi = ti[count / 2], pd = td[count / 2];
    printf("{\"body_bytes\":%zu,\"count\":%d,\"invoke_p50_us\":%.1f,\"invoke_p90_us\":%.1f,\"invoke_p99_us\":%.1f,"
           "\"direct_p50_us\":%.1f,\"direct_p90_us\":%.1f,\"added_p50_us\":%.1f,\"ratio_p50\":%.2f}\n",
           size, count, pi, ti[count * 9 / 10], ti[count * 99 / 100], pd, td[count * 9 / 10], pi - pd, pi / pd);
    return 0;
}
