/* Throughput of the Invoke API: N client threads, each with its own
 * keep-alive connection, invoking one function back to back for S seconds
 * with a 1 KB Function URL event (what the bootstrap turns into an HTTP
 * request for the watchdog). Prints invokes per second and latency
 * percentiles as JSON. usage: emulator_load INVOKE_URL THREADS SECONDS */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#define MAX_SAMPLES 2000000

typedef struct worker {
    const char *url;
    double until;
    const char *event;
    size_t n;
    double *lat;
    size_t count, errors;
} worker;

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    (void)p, (void)ud;
    return s * n;
}

static void *run(void *arg)
{
    worker *w = arg;
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    hd = curl_slist_append(hd, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, w->url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, w->event);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)w->n);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    while (bench_now_us() < w->until && w->count < MAX_SAMPLES) {
        double t = bench_now_us();
        long status = 0;
        if (curl_easy_perform(h) != CURLE_OK || (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status), status != 200))
            w->errors++;
        else
            w->lat[w->count++] = bench_now_us() - t;
    }
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: emulator_load INVOKE_URL THREADS SECONDS\n");
        return 2;
    }
    int threads = atoi(argv[2]);
    double secs = atof(argv[3]);
    if (threads < 1 || threads > 64 || secs <= 0)
        return 2;
    char *body = bench_body(1024);
    size_t n;
    char *event = bench_url_event(body, 1024, &n);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    worker *w = calloc((size_t)threads, sizeof *w);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    double start = bench_now_us(), until = start + secs * 1e6;
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){.url = argv[1], .until = until, .event = event, .n = n};
        w[i].lat = malloc(sizeof(double) * MAX_SAMPLES);
        pthread_create(&t[i], NULL, run, &w[i]);
    }
    size_t total = 0, errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += w[i].count;
        errors += w[i].errors;
    }
    double elapsed = (bench_now_us() - start) / 1e6;
    double *all = malloc(sizeof(double) * (total ? total : 1));
    size_t k = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(all + k, w[i].lat, w[i].count * sizeof(double));
        k += w[i].count;
        free(w[i].lat);
    }
    qsort(all, total, sizeof *all, cmp);
    printf("{\"threads\":%d,\"seconds\":%.2f,\"invokes\":%zu,\"errors\":%zu,\"per_second\":%.0f,"
           "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f}\n",
           threads, elapsed, total, errors, total / elapsed, total ? all[total / 2] : 0,
           total ? all[total * 9 / 10] : 0, total ? all[total * 99 / 100] : 0);
    free(all);
    free(event);
    free(body);
    free(w);
    free(t);
    curl_global_cleanup();
    return errors ? 1 : 0;
}
