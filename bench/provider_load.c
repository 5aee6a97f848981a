/* Provider overhead on invoke: the same HTTP request sent (a) through
 * `faas-lambda serve` (/function/NAME: HTTP -> 2.0 event -> signed Invoke ->
 * HTTP) and (b) as the equivalent event straight to the Lambda Invoke API
 * the provider uses, in the same run.
 *   latency:    COUNT requests on one connection per path, interleaved so
 *               that both see the same machine state; p50/p90/p99;
 *   throughput: CONC clients for SECONDS on each path (provider, direct,
 *               provider, direct: the halves averaged), requests per second.
 * usage: provider_load PROVIDER_URL INVOKE_URL BODY_BYTES COUNT CONC SECONDS
 * Prints one JSON object. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "shim/shim.h"

typedef struct target {
    const char *url;
    const char *body;
    size_t len;
    struct curl_slist *hdr;
} target;

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    (void)p, (void)ud;
    return s * n;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double post(CURL *h, const target *t)
{
    curl_easy_setopt(h, CURLOPT_URL, t->url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    double start = bench_now_us();
    CURLcode rc = curl_easy_perform(h);
    double d = bench_now_us() - start;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
        fprintf(stderr, "provider_load: %s -> %s %ld\n", t->url, curl_easy_strerror(rc), status);
        exit(1);
    }
    return d;
}

typedef struct worker {
    const target *t;
    double until;
    long done;
} worker;

static void *run(void *arg)
{
    worker *w = arg;
    CURL *h = curl_easy_init();
    while (bench_now_us() < w->until) {
        post(h, w->t);
        w->done++;
    }
    curl_easy_cleanup(h);
    return NULL;
}

static double throughput(const target *t, int conc, double seconds)
{
    worker *w = calloc((size_t)conc, sizeof *w);
    pthread_t *th = calloc((size_t)conc, sizeof *th);
    double start = bench_now_us(), until = start + seconds * 1e6;
    for (int i = 0; i < conc; i++) {
        w[i] = (worker){t, until, 0};
        pthread_create(&th[i], NULL, run, &w[i]);
    }
    long total = 0;
    for (int i = 0; i < conc; i++) {
        pthread_join(th[i], NULL);
        total += w[i].done;
    }
    double rate = (double)total / ((bench_now_us() - start) / 1e6);
    free(w);
    free(th);
    return rate;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: provider_load PROVIDER_URL INVOKE_URL BODY_BYTES COUNT CONC SECONDS\n");
        return 2;
    }
    size_t size = strtoul(argv[3], NULL, 10);
    int count = atoi(argv[4]), conc = atoi(argv[5]);
    double secs = atof(argv[6]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char *body = bench_body(size);
    /* the provider's request, and the event it makes of it */
    shim_request q = {.method = "POST", .path = "/bench", .query = ""};
    fl_headers_add(&q.headers, "Content-Type", "text/plain");
    fl_headers_add(&q.headers, "X-Fixture-Body", "ok");
    fl_buf_append(&q.body, body, size);
    shim_event_ctx ctx = {.request_id = "bench", .source_ip = "127.0.0.1"};
    fl_buf event = {0};
    fl_err err;
    if (shim_request_to_event(&q, &ctx, &event, &err)) {
        fprintf(stderr, "provider_load: %s\n", err.msg);
        return 1;
    }
    target tp = {argv[1], body, size, NULL}, td = {argv[2], event.data, event.len, NULL};
    tp.hdr = curl_slist_append(curl_slist_append(curl_slist_append(NULL, "Content-Type: text/plain"),
                                                 "X-Fixture-Body: ok"), "Expect:");
    td.hdr = curl_slist_append(curl_slist_append(NULL, "Content-Type: application/json"), "Expect:");
    CURL *a = curl_easy_init(), *b = curl_easy_init();
    for (int i = 0; i < 50; i++) { /* warm both paths and the sandbox */
        post(a, &tp);
        post(b, &td);
    }
    double *lp = malloc(sizeof(double) * (size_t)count), *ld = malloc(sizeof(double) * (size_t)count);
    for (int i = 0; i < count; i++) {
        lp[i] = post(a, &tp);
        ld[i] = post(b, &td);
    }
    qsort(lp, (size_t)count, sizeof *lp, cmp);
    qsort(ld, (size_t)count, sizeof *ld, cmp);
    double tp1 = throughput(&tp, conc, secs / 2), td1 = throughput(&td, conc, secs / 2);
    double tp2 = throughput(&tp, conc, secs / 2), td2 = throughput(&td, conc, secs / 2);
    double rp = (tp1 + tp2) / 2, rd = (td1 + td2) / 2;
    printf("{\"body_bytes\":%zu,\"count\":%d,\"provider_p50_us\":%.1f,\"provider_p90_us\":%.1f,"
           "\"provider_p99_us\":%.1f,\"direct_p50_us\":%.1f,\"direct_p90_us\":%.1f,\"direct_p99_us\":%.1f,"
           "\"overhead_p50_us\":%.1f,\"concurrency\":%d,\"provider_rps\":%.0f,\"direct_rps\":%.0f,"
           "\"throughput_ratio\":%.3f}\n",
           size, count, lp[count / 2], lp[count * 9 / 10], lp[count * 99 / 100], ld[count / 2], ld[count * 9 / 10],
           ld[count * 99 / 100], lp[count / 2] - ld[count / 2], conc, rp, rd, rp / rd);
    return 0;
}
