/* libFuzzer: the provider's parsers of request bytes. The first byte picks
 * the parser; the rest is the input:
 *   0 FunctionDeployment, then its tags encoded and decoded: what reads back
 *     is what was deployed (labels, annotations, image, envProcess, limits),
 *     and the tags keep Lambda's limits; and the deploy plan;
 *   1 DeleteFunctionRequest, 2 ScaleServiceRequest;
 *   3 a request line "METHOD TARGET": routing and query parsing;
 *   4 an Authorization header against fixed credentials;
 *   5 Kubernetes quantities and Go durations. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "provider/internal.h"

static bool same_str(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

static void check_tags(const pv_map *tags)
{
    CHECK(tags->n <= PV_TAGS_MAX);
    for (size_t i = 0; i < tags->n; i++) {
        CHECK(strlen(tags->k[i]) >= 1 && strlen(tags->k[i]) <= PV_TAG_KEY_MAX);
        CHECK(strlen(tags->v[i]) <= PV_TAG_VALUE_MAX);
        CHECK(strncmp(tags->k[i], "aws:", 4));
    }
}

static void deployment(const char *s, size_t n)
{
    pv_deployment d;
    fl_err err;
    if (pv_deployment_parse(s, n, &d, &err))
        return;
    pv_deployment t;
    pv_deployment_copy(&t, &d);
    if (!t.service || !*t.service) {
        free(t.service);
        t.service = fl_xstrdup("fn");
    }
    free(t.namespace);
    t.namespace = fl_xstrdup("ns");
    pv_map tags = {0};
    if (pv_tags_encode(&t, &tags, &err) == 0) {
        check_tags(&tags);
        pv_deployment back;
        CHECK(pv_tags_decode(&tags, &back, &err) == 0);
        CHECK(same_str(back.image, t.image) && same_str(back.env_process, t.env_process));
        CHECK(pv_map_equal(&back.labels, &t.labels) && pv_map_equal(&back.annotations, &t.annotations));
        CHECK(same_str(back.limits.memory, t.limits.memory) && back.read_only_root_fs == t.read_only_root_fs);
        pv_deployment_free(&back);
    }
    pv_map_free(&tags);
    pv_plan_defaults def = {.ns = "openfaas-fn", .role = PV_DEFAULT_ROLE, .memory_mb = 128, .timeout_s = 30};
    pv_plan p;
    if (pv_plan_make(&d, &def, &p, &err) == 0) {
        CHECK(p.memory_mb >= 128 && p.memory_mb <= 10240 && p.timeout_s >= 1 && p.timeout_s <= 900);
        CHECK(strlen(p.lname) <= 64);
        pv_plan_free(&p);
    }
    pv_status st = {.d = t};
    cJSON *j = pv_status_to_json(&st);
    cJSON_Delete(j);
    pv_deployment_free(&t);
    pv_deployment_free(&d);
}

static void request_line(const char *s, size_t n)
{
    char *line = fl_xstrndup(s, n);
    char *sp = strchr(line, ' ');
    if (sp) {
        *sp = 0;
        pv_route r;
        pv_route_request(line, sp + 1, &r);
        CHECK(r.id < PV_R_COUNT && strlen(r.name) < sizeof r.name);
        free(pv_query_get(sp + 1, "namespace"));
        char name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
        fl_err err;
        if (r.name[0] && pv_split_qualified(r.name, "openfaas-fn", name, ns, &err) == 0) {
            char l[PV_LAMBDA_NAME_MAX + 1], n2[PV_NAME_MAX + 1], ns2[PV_NAME_MAX + 1];
            if (pv_lambda_name(name, ns, l, &err) == 0) {
                CHECK(pv_lambda_name_parse(l, n2, ns2) == 0);
                CHECK(!strcmp(n2, name) && !strcmp(ns2, ns));
            }
        }
    }
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    fl_err err;
    switch (data[0] % 6) {
    case 0: deployment(s, n); break;
    case 1: {
        pv_delete_req d;
        if (pv_delete_parse(s, n, &d, &err) == 0)
            pv_delete_free(&d);
        break;
    }
    case 2: {
        pv_scale_req q;
        if (pv_scale_parse(s, n, &q, &err) == 0)
            pv_scale_free(&q);
        break;
    }
    case 3: request_line(s, n); break;
    case 4: {
        char *h = fl_xstrndup(s, n);
        pv_basic_auth_ok(h, "admin", "secret");
        free(h);
        break;
    }
    default: {
        char *q = fl_xstrndup(s, n);
        uint64_t v;
        unsigned mb;
        bool raised;
        if (pv_memory_mb(q, &mb, &raised, &err) == 0)
            CHECK(mb >= 128 && mb <= 10240);
        pv_quantity_bytes(q, &v, &err);
        pv_duration_ms(q, &v, &err);
        int64_t ms;
        pv_parse_rfc3339(q, &ms);
        free(q);
    }
    }
    return 0;
}
