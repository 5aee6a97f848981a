/* /metrics in the Prometheus text format (version 0.0.4):
 * provider_http_requests_total and provider_http_request_duration_seconds
 * by code, method and path (the faas-provider SDK's names), and
 * provider_function_invocations_total by function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

static const double bounds[11] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define ROWS_MAX 4096 /* methods x paths x codes is small; this bounds odd clients */

void pv_metrics_init(pv_metrics *m)
{
    pthread_mutex_init(&m->mu, NULL);
    m->rows = NULL;
    m->n = m->cap = 0;
}

static pv_metric_row *row(pv_metrics *m, const char *method, const char *path, int code)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->rows[i].code == code && !strcmp(m->rows[i].method, method) && !strcmp(m->rows[i].path, path))
            return &m->rows[i];
    if (m->n == ROWS_MAX)
        return NULL;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 32;
        m->rows = fl_xrealloc(m->rows, m->cap * sizeof *m->rows);
    }
    pv_metric_row *r = &m->rows[m->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->method, sizeof r->method, "%s", method);
    snprintf(r->path, sizeof r->path, "%s", path);
    r->code = code;
    return r;
}

void pv_metrics_observe(pv_metrics *m, const char *method, const char *path, int code, double seconds)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    const char *meth = "other";
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (method && !strcmp(method, known[i]))
            meth = known[i];
    pthread_mutex_lock(&m->mu);
    pv_metric_row *r = row(m, meth, path, code);
    if (r) {
        r->count++;
        r->sum += seconds;
        for (size_t i = 0; i < 11; i++)
            if (seconds <= bounds[i])
                r->buckets[i]++;
    }
    pthread_mutex_unlock(&m->mu);
}

/* A label value as the text format wants it (\\, \", \n escaped). */
static void label(fl_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            fl_buf_putc(b, '\\');
        if (*v == '\n') {
            fl_buf_puts(b, "\\n");
            continue;
        }
        fl_buf_putc(b, *v);
    }
}

void pv_metrics_render(pv_metrics *m, pv_counters *calls, fl_buf *out)
{
    pthread_mutex_lock(&m->mu);
    fl_buf_puts(out, "# HELP provider_http_requests_total Total HTTP requests processed by the provider.\n"
                     "# TYPE provider_http_requests_total counter\n");
    for (size_t i = 0; i < m->n; i++) {
        pv_metric_row *r = &m->rows[i];
        fl_buf_printf(out, "provider_http_requests_total{code=\"%d\",method=\"%s\",path=\"%s\"} %llu\n", r->code,
                      r->method, r->path, (unsigned long long)r->count);
    }
    fl_buf_puts(out, "# HELP provider_http_request_duration_seconds Seconds spent serving HTTP requests.\n"
                     "# TYPE provider_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < m->n; i++) {
        pv_metric_row *r = &m->rows[i];
        char labels[128];
        snprintf(labels, sizeof labels, "code=\"%d\",method=\"%s\",path=\"%s\"", r->code, r->method, r->path);
        for (size_t b = 0; b < 11; b++)
            fl_buf_printf(out, "provider_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", labels,
                          bounds[b], (unsigned long long)r->buckets[b]);
        fl_buf_printf(out, "provider_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
                      (unsigned long long)r->count);
        fl_buf_printf(out, "provider_http_request_duration_seconds_sum{%s} %.9g\n", labels, r->sum);
        fl_buf_printf(out, "provider_http_request_duration_seconds_count{%s} %llu\n", labels,
                      (unsigned long long)r->count);
    }
    pthread_mutex_unlock(&m->mu);
    fl_buf_puts(out, "# HELP provider_function_invocations_total Invocations of Lambda functions through the "
                     "provider.\n# TYPE provider_function_invocations_total counter\n");
    pthread_mutex_lock(&calls->mu);
    for (size_t i = 0; i < calls->counts.n; i++) {
        fl_buf_puts(out, "provider_function_invocations_total{function_name=\"");
        label(out, calls->counts.k[i]);
        fl_buf_printf(out, "\"} %s\n", calls->counts.v[i]);
    }
    pthread_mutex_unlock(&calls->mu);
}

void pv_metrics_free(pv_metrics *m)
{
    free(m->rows);
    pthread_mutex_destroy(&m->mu);
}
