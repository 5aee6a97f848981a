/* Tag encoding: everything a deployment says reads back identically, within
 * Lambda's tag limits; FunctionDeployment parsing and FunctionStatus JSON. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "provider/internal.h"

static pv_deployment parse(const char *json)
{
    pv_deployment d;
    fl_err err;
    cr_assert_eq(pv_deployment_parse(json, strlen(json), &d, &err), 0, "%s", err.msg);
    return d;
}

static void check_limits(const pv_map *tags)
{
    cr_assert_leq(tags->n, PV_TAGS_MAX);
    for (size_t i = 0; i < tags->n; i++) {
        cr_assert_leq(strlen(tags->k[i]), PV_TAG_KEY_MAX, "%s", tags->k[i]);
        cr_assert_leq(strlen(tags->v[i]), PV_TAG_VALUE_MAX, "%s", tags->k[i]);
        cr_assert(strncmp(tags->k[i], "aws:", 4));
        for (const char *p = tags->k[i]; *p; p++)
            cr_assert(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.:/=+-@", *p),
                      "key %s", tags->k[i]);
        for (const char *p = tags->v[i]; *p; p++)
            cr_assert(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.:/=+-@", *p),
                      "value of %s", tags->k[i]);
    }
}

static void round_trip(const pv_deployment *d)
{
    pv_map tags = {0};
    fl_err err;
    cr_assert_eq(pv_tags_encode(d, &tags, &err), 0, "%s", err.msg);
    check_limits(&tags);
    pv_deployment back;
    cr_assert_eq(pv_tags_decode(&tags, &back, &err), 0, "%s", err.msg);
    cr_assert_str_eq(back.service, d->service);
    cr_assert_str_eq(back.namespace, d->namespace);
    cr_assert_str_eq(back.image, d->image);
    cr_assert_str_eq(back.env_process ? back.env_process : "", d->env_process ? d->env_process : "");
    cr_assert(pv_map_equal(&back.labels, &d->labels));
    cr_assert(pv_map_equal(&back.annotations, &d->annotations));
    cr_assert_eq(back.limits.set, d->limits.set);
    cr_assert_str_eq(back.limits.memory ? back.limits.memory : "", d->limits.memory ? d->limits.memory : "");
    cr_assert_eq(back.read_only_root_fs, d->read_only_root_fs);
    cr_assert_eq(pv_strv_len(back.constraints), pv_strv_len(d->constraints));
    pv_deployment_free(&back);
    pv_map_free(&tags);
}

Test(tags, simple_labels_are_readable_tags)
{
    pv_deployment d = parse("{\"service\":\"figlet\",\"namespace\":\"openfaas-fn\",\"image\":\"ghcr.io/openfaas/"
                            "figlet:latest\",\"labels\":{\"com.openfaas.scale.min\":\"1\"},"
                            "\"annotations\":{\"topic\":\"cron-function\"}}");
    pv_map tags = {0};
    fl_err err;
    cr_assert_eq(pv_tags_encode(&d, &tags, &err), 0);
    cr_assert_str_eq(pv_map_get(&tags, "faas-lambda:label:com.openfaas.scale.min"), "1");
    cr_assert_str_eq(pv_map_get(&tags, "faas-lambda:annotation:topic"), "cron-function");
    cr_assert_str_eq(pv_map_get(&tags, "faas-lambda:name"), "figlet");
    cr_assert_str_eq(pv_map_get(&tags, "faas-lambda:namespace"), "openfaas-fn");
    cr_assert_not_null(pv_map_get(&tags, "faas-lambda:meta:0"));
    round_trip(&d);
    pv_map_free(&tags);
    pv_deployment_free(&d);
}

Test(tags, hostile_values_survive)
{
    pv_deployment d = parse(
        "{\"service\":\"f\",\"namespace\":\"n\",\"image\":\"x\",\"envProcess\":\"python3 index.py --flag=\\\"a b\\\"\","
        "\"labels\":{\"a\":\"\",\"sp\":\" lead\",\"utf\":\"h\\u00e9llo \\u2603\",\"json\":\"{\\\"k\\\":[1,2]}\","
        "\"nl\":\"line1\\nline2\",\"aws:x\":\"reserved prefix ok in ours\"},"
        "\"annotations\":{\"com.openfaas.health.http.path\":\"/_/health?x=1&y=2\",\"\":\"empty key\","
        "\"weird key!\":\"v\"},\"limits\":{\"memory\":\"512M\",\"cpu\":\"100m\"},"
        "\"constraints\":[\"node=arm\"],\"readOnlyRootFilesystem\":true}");
    round_trip(&d);
    pv_deployment_free(&d);
}

Test(tags, long_values_and_keys)
{
    pv_deployment d = {0};
    d.service = "f";
    d.namespace = "n";
    d.image = "registry.example.com/a/very/long/path/to/an/image/that/keeps/going/and/going/and/going/and/going/"
              "and/going/and/going/and/going/and/going/and/going/and/going/and/going/and/going/and/going/and/going/"
              "and/going@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char big[2000];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = 0;
    pv_map_set(&d.labels, "big", big);
    char key[200];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = 0;
    pv_map_set(&d.annotations, key, "v");
    round_trip(&d);
    pv_map_free(&d.labels);
    pv_map_free(&d.annotations);
}

Test(tags, many_entries_fit_50_tags)
{
    pv_deployment d = {0};
    d.service = "f";
    d.namespace = "n";
    d.image = "img";
    for (int i = 0; i < 120; i++) {
        char k[32], v[32];
        snprintf(k, sizeof k, "label-%03d", i);
        snprintf(v, sizeof v, "value-%d", i);
        pv_map_set(i % 2 ? &d.labels : &d.annotations, k, v);
    }
    pv_map tags = {0};
    fl_err err;
    cr_assert_eq(pv_tags_encode(&d, &tags, &err), 0, "%s", err.msg);
    cr_assert_leq(tags.n, 50);
    pv_map_free(&tags);
    round_trip(&d);
    pv_map_free(&d.labels);
    pv_map_free(&d.annotations);
}

Test(tags, too_much_is_a_clear_error)
{
    pv_deployment d = {0};
    d.service = "f";
    d.namespace = "n";
    d.image = "img";
    char big[20000];
    memset(big, '!', sizeof big - 1);
    big[sizeof big - 1] = 0;
    pv_map_set(&d.labels, "big", big);
    pv_map tags = {0};
    fl_err err;
    cr_assert_eq(pv_tags_encode(&d, &tags, &err), -1);
    cr_assert(strstr(err.msg, "too large"), "%s", err.msg);
    pv_map_free(&tags);
    pv_map_free(&d.labels);
}

Test(tags, only_valid_names_are_tagged)
{
    pv_deployment d = {0};
    d.service = "Not_A_Label";
    d.namespace = "n";
    d.image = "img";
    pv_map tags = {0};
    fl_err err;
    cr_assert_eq(pv_tags_encode(&d, &tags, &err), -1);
    cr_assert_eq(tags.n, 0);
    d.service = "f";
    d.namespace = NULL;
    cr_assert_eq(pv_tags_encode(&d, &tags, &err), -1);
}

Test(tags, foreign_and_broken_tags)
{
    pv_map tags = {0};
    pv_deployment d;
    fl_err err;
    pv_map_set(&tags, "team", "x");
    cr_assert_eq(pv_tags_decode(&tags, &d, &err), -1);
    pv_map_set(&tags, "faas-lambda:name", "f");
    pv_map_set(&tags, "faas-lambda:namespace", "n");
    pv_map_set(&tags, "faas-lambda:meta:0", "!!!notbase64");
    cr_assert_eq(pv_tags_decode(&tags, &d, &err), -1);
    pv_map_free(&tags);
}

Test(types, deployment_go_rules)
{
    pv_deployment d = parse("{\"Service\":\"fn\",\"image\":\"img\",\"unknown\":[1,2],\"labels\":null,"
                            "\"envVars\":{\"A\":\"1\",\"A\":\"2\",\"N\":null},\"secrets\":[]}");
    cr_assert_str_eq(d.service, "fn");
    cr_assert_str_eq(pv_map_get(&d.env_vars, "A"), "2");
    cr_assert_str_eq(pv_map_get(&d.env_vars, "N"), "");
    cr_assert_eq(pv_strv_len(d.secrets), 0);
    pv_deployment_free(&d);
    const char *bad[] = {"", "[]", "{\"service\":1}", "{\"envVars\":{\"A\":1}}", "{\"labels\":[]}",
                         "{\"secrets\":\"s\"}", "{\"limits\":{\"memory\":128}}",
                         "{\"readOnlyRootFilesystem\":\"yes\"}", "{} x", "{\"service\":\"a\""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pv_deployment x;
        fl_err err;
        cr_assert_eq(pv_deployment_parse(bad[i], strlen(bad[i]), &x, &err), -1, "%s", bad[i]);
    }
}

Test(types, status_json)
{
    pv_status s = {0};
    s.d = parse("{\"service\":\"fn\",\"image\":\"img\",\"namespace\":\"openfaas-fn\",\"labels\":{\"a\":\"b\"}}");
    s.replicas = 1;
    s.available_replicas = 1;
    s.invocation_count = 3;
    strcpy(s.created_at, "2026-11-26T10:00:00Z");
    cJSON *j = pv_status_to_json(&s);
    char *txt = cJSON_PrintUnformatted(j);
    cr_assert_str_eq(txt, "{\"name\":\"fn\",\"image\":\"img\",\"namespace\":\"openfaas-fn\",\"labels\":{\"a\":\"b\"},"
                          "\"annotations\":{},\"invocationCount\":3,\"replicas\":1,\"availableReplicas\":1,"
                          "\"createdAt\":\"2026-11-26T10:00:00Z\"}");
    free(txt);
    cJSON_Delete(j);
    s.replicas = s.available_replicas = 0;
    s.invocation_count = 0;
    s.created_at[0] = 0;
    j = pv_status_to_json(&s);
    cr_assert_null(cJSON_GetObjectItem(j, "replicas"));
    cr_assert_str_eq(fl_json_str(j, "createdAt"), "0001-01-01T00:00:00Z");
    cJSON_Delete(j);
    pv_status_free(&s);
}

Test(types, scale_and_delete)
{
    pv_scale_req s;
    fl_err err;
    const char *j = "{\"serviceName\":\"fn\",\"replicas\":0,\"namespace\":\"dev\"}";
    cr_assert_eq(pv_scale_parse(j, strlen(j), &s, &err), 0);
    cr_assert_eq(s.replicas, 0);
    cr_assert_str_eq(s.namespace, "dev");
    pv_scale_free(&s);
    const char *bad[] = {"{\"replicas\":-1}", "{\"replicas\":1.5}", "{\"replicas\":\"1\"}"};
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(pv_scale_parse(bad[i], strlen(bad[i]), &s, &err), -1, "%s", bad[i]);
    pv_delete_req d;
    j = "{\"functionName\":\"fn\"}";
    cr_assert_eq(pv_delete_parse(j, strlen(j), &d, &err), 0);
    cr_assert_str_eq(d.function_name, "fn");
    cr_assert_null(d.namespace);
    pv_delete_free(&d);
}
