/* The shim on 1 MiB bodies, each way, against the naive peer measured in the
 * same run: cJSON parsing the event (what reading it with cJSON alone costs)
 * and cJSON printing it. Best of RUNS. Prints markdown table rows. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shim/shim.h"

enum { BODY = 1 << 20, RUNS = 15 };

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void keep_min(double *best, double t)
{
    if (t < *best)
        *best = t;
}

/* Pretty-printed JSON records: a quote or newline every few bytes. */
static void json_text(fl_buf *b)
{
    for (int i = 0; b->len < BODY; i++)
        fl_buf_printf(b, "  {\n    \"id\": %d,\n    \"name\": \"item %d\",\n    \"tags\": [\"red\", \"green\"],\n"
                         "    \"note\": \"a \\\"quoted\\\" word\"\n  },\n", i, i);
    b->len = BODY;
}

static void binary(fl_buf *b)
{
    uint32_t x = 7;
    for (int i = 0; i < BODY; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        fl_buf_putc(b, (char)x);
    }
}

static int measure(const char *what, const char *content_type, const fl_buf *body)
{
    double to_event = 1e9, from_event = 1e9, to_payload = 1e9, from_payload = 1e9, parse = 1e9, print = 1e9;
    shim_request req = {.method = fl_xstrdup("POST"), .path = fl_xstrdup("/upload"), .query = fl_xstrdup("")};
    fl_headers_add(&req.headers, "Content-Type", content_type);
    fl_buf_append(&req.body, body->data, body->len);
    fl_buf ev = {0}, payload = {0};
    fl_err err;
    for (int run = 0; run < RUNS; run++) {
        shim_request back = {0};
        shim_response out;
        shim_kind kind;
        bool is_error;
        double t0 = now_ms();
        if (shim_request_to_event(&req, NULL, &ev, &err))
            goto fail;
        double t1 = now_ms();
        if (shim_event_to_request(ev.data, ev.len, NULL, &kind, &back, &err))
            goto fail;
        double t2 = now_ms();
        shim_response resp = {.status = 200, .headers = back.headers, .body = back.body};
        if (shim_response_to_payload(SHIM_URL, &resp, NULL, &payload, &is_error, &err))
            goto fail;
        double t3 = now_ms();
        if (shim_payload_to_response(payload.data, payload.len, &out, &err))
            goto fail;
        double t4 = now_ms();
        if (out.body.len != body->len || memcmp(out.body.data, body->data, body->len)) {
            fprintf(stderr, "shim_speed: %s body changed on the way\n", what);
            return 1;
        }
        cJSON *j = cJSON_ParseWithLength(ev.data, ev.len);
        double p1 = now_ms();
        char *printed = cJSON_PrintUnformatted(j);
        double p2 = now_ms();
        cJSON_free(printed);
        cJSON_Delete(j);
        keep_min(&to_event, t1 - t0);
        keep_min(&from_event, t2 - t1);
        keep_min(&to_payload, t3 - t2);
        keep_min(&from_payload, t4 - t3);
        keep_min(&parse, p1 - t4);
        keep_min(&print, p2 - p1);
        shim_response_free(&out);
        shim_request_free(&back);
    }
    printf("| %s, event → request | %.3f ms | %.3f ms (parse) | %.1f× |\n", what, from_event, parse, parse / from_event);
    printf("| %s, payload → response | %.3f ms | %.3f ms (parse) | %.1f× |\n", what, from_payload, parse,
           parse / from_payload);
    printf("| %s, request → event | %.3f ms | %.3f ms (print) | %.1f× |\n", what, to_event, print, print / to_event);
    printf("| %s, response → payload | %.3f ms | %.3f ms (print) | %.1f× |\n", what, to_payload, print,
           print / to_payload);
    fl_buf_free(&ev);
    fl_buf_free(&payload);
    shim_request_free(&req);
    return 0;
fail:
    fprintf(stderr, "shim_speed: %s: %s\n", what, err.msg);
    return 1;
}

int main(void)
{
    fl_buf bin = {0}, text = {0};
    binary(&bin);
    json_text(&text);
    printf("| 1 MiB body, direction | shim | cJSON alone | ratio |\n|---|---|---|---|\n");
    int rc = measure("binary", "application/octet-stream", &bin) || measure("JSON text", "application/json", &text);
    fl_buf_free(&bin);
    fl_buf_free(&text);
    return rc;
}
