/* The shim is on every invoke's path: 1 MiB bodies, binary and JSON text,
 * each way, timed (best of several runs) against a peer measured in the same
 * run: cJSON parsing or printing the same document, which is what a naive
 * translation would cost. The shim must beat it, and stay under an absolute
 * bound that catches quadratic or per-byte-append regressions. Timings are
 * logged; the checks are skipped in sanitizer builds. */
#include <time.h>

#include "test_shim_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define TIMED_CHECKS 0
#else
#define TIMED_CHECKS 1
#endif

enum { BODY = 1 << 20, RUNS = 15 };
#define BOUND_MS 5.0

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
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
    rng r = {7};
    for (int i = 0; i < BODY; i++)
        fl_buf_putc(b, (char)rng_next(&r));
}

typedef struct timing {
    double to_event, from_event, to_payload, from_payload; /* shim */
    double parse_event, print_payload;                        /* peers */
} timing;

static void keep_min(double *best, double t)
{
    if (t < *best)
        *best = t;
}

static void measure(const char *what, const char *content_type, const fl_buf *body, timing *t)
{
    *t = (timing){1e9, 1e9, 1e9, 1e9, 1e9, 1e9};
    shim_request req = {0};
    req.method = fl_xstrdup("POST");
    req.path = fl_xstrdup("/upload");
    req.query = fl_xstrdup("");
    fl_headers_add(&req.headers, "Content-Type", content_type);
    fl_buf_append(&req.body, body->data, body->len);
    fl_buf ev = {0}, payload = {0};
    fl_err err;
    for (int run = 0; run < RUNS; run++) {
        double t0 = now_ms();
        cr_assert_eq(shim_request_to_event(&req, NULL, &ev, &err), 0);
        double t1 = now_ms();
        shim_request back;
        shim_kind kind;
        cr_assert_eq(shim_event_to_request(ev.data, ev.len, NULL, &kind, &back, &err), 0, "%s", err.msg);
        double t2 = now_ms();
        cr_assert(back.body.len == body->len && !memcmp(back.body.data, body->data, body->len), "%s body", what);
        shim_response resp = {.status = 200, .headers = back.headers, .body = back.body};
        bool is_error;
        double t3 = now_ms();
        cr_assert_eq(shim_response_to_payload(SHIM_URL, &resp, NULL, &payload, &is_error, &err), 0);
        double t4 = now_ms();
        shim_response out;
        cr_assert_eq(shim_payload_to_response(payload.data, payload.len, &out, &err), 0, "%s", err.msg);
        double t5 = now_ms();
        cr_assert(out.body.len == body->len && !memcmp(out.body.data, body->data, body->len), "%s body back", what);
        /* peers: cJSON reading the event, cJSON writing the payload */
        double p0 = now_ms();
        cJSON *j = cJSON_ParseWithLength(ev.data, ev.len);
        double p1 = now_ms();
        cr_assert(j);
        char *printed = cJSON_PrintUnformatted(j);
        double p2 = now_ms();
        cJSON_free(printed);
        cJSON_Delete(j);
        keep_min(&t->to_event, t1 - t0);
        keep_min(&t->from_event, t2 - t1);
        keep_min(&t->to_payload, t4 - t3);
        keep_min(&t->from_payload, t5 - t4);
        keep_min(&t->parse_event, p1 - p0);
        keep_min(&t->print_payload, p2 - p1);
        shim_response_free(&out);
        shim_request_free(&back);
    }
    cr_log_info("%s 1 MiB: request->event %.3f ms, event->request %.3f ms, response->payload %.3f ms, "
                "payload->response %.3f ms; cJSON parse %.3f ms, print %.3f ms",
                what, t->to_event, t->from_event, t->to_payload, t->from_payload, t->parse_event, t->print_payload);
    fl_buf_free(&ev);
    fl_buf_free(&payload);
    shim_request_free(&req);
}

static void check(const char *what, const timing *t)
{
    if (!TIMED_CHECKS)
        return;
    cr_expect_lt(t->from_event, t->parse_event, "%s: event->request slower than cJSON parsing the event", what);
    cr_expect_lt(t->from_payload, t->parse_event, "%s: payload->response slower than cJSON parsing", what);
    cr_expect_lt(t->to_event, t->print_payload, "%s: request->event slower than cJSON printing", what);
    cr_expect_lt(t->to_payload, t->print_payload, "%s: response->payload slower than cJSON printing", what);
    double all[] = {t->to_event, t->from_event, t->to_payload, t->from_payload};
    for (int i = 0; i < 4; i++)
        cr_expect_lt(all[i], BOUND_MS, "%s: %.3f ms for 1 MiB", what, all[i]);
}

Test(shim_speed, binary_body_one_mib, .timeout = 120)
{
    fl_buf b = {0};
    binary(&b);
    timing t;
    measure("binary", "application/octet-stream", &b, &t);
    check("binary", &t);
    fl_buf_free(&b);
}

Test(shim_speed, json_text_body_one_mib, .timeout = 120)
{
    fl_buf b = {0};
    json_text(&b);
    timing t;
    measure("json text", "application/json", &b, &t);
    check("json text", &t);
    fl_buf_free(&b);
}
