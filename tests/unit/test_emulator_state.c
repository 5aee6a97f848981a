/* The state: records and layers survive their own round trip through JSON;
 * FunctionConfiguration shows the states as AWS does; stored code is
 * content-addressed (one tree per zip) and the collector keeps exactly what
 * is referenced; patterns of the service model. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"

static emu_fn_record *sample(void)
{
    emu_fn_record *r = fl_xcalloc(1, sizeof *r);
    r->name = fl_xstrdup("fn");
    r->runtime = fl_xstrdup("provided.al2023");
    r->role = fl_xstrdup("arn:aws:iam::000000000000:role/r");
    r->handler = fl_xstrdup("h");
    r->description = fl_xstrdup("d \"quoted\"");
    r->arch = fl_xstrdup("arm64");
    r->package_type = fl_xstrdup("Zip");
    r->timeout_s = 42;
    r->memory_mb = 1024;
    r->ephemeral_mb = 2048;
    emu_kvs_set(&r->env, "K1", "v=1");
    emu_kvs_set(&r->tags, "team=x", "é");
    r->nlayers = 1;
    r->layers = fl_xcalloc(1, sizeof *r->layers);
    r->layers[0].arn = fl_xstrdup("arn:aws:lambda:us-east-1:000000000000:layer:L:3");
    memset(r->layers[0].hex, 'a', 64);
    r->layers[0].size = 7;
    strcpy(r->code_sha256, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    memset(r->code_hex, 'b', 64);
    r->code_size = 99;
    r->reserved = 0;
    r->url.set = true;
    strcpy(r->url.id, "abcdefghijklmnopqrstuvwxyz012345");
    r->url.auth_type = fl_xstrdup("NONE");
    r->url.invoke_mode = fl_xstrdup("RESPONSE_STREAM");
    r->url.cors = fl_xstrdup("{\"MaxAge\":5}");
    r->modified_ms = 1795709556840ull;
    strcpy(r->revision, "f3764dac-df5f-49ad-8d37-108a0d2424ca");
    return r;
}

Test(record, round_trip)
{
    emu_fn_record *r = sample();
    emu_fn_record *d = emu_record_dup(r);
    cJSON *a = emu_record_to_state(r), *b = emu_record_to_state(d);
    char *sa = cJSON_PrintUnformatted(a), *sb = cJSON_PrintUnformatted(b);
    cr_assert_str_eq(sa, sb);
    cr_assert_str_eq(emu_kvs_get(&d->tags, "team=x"), "é");
    cr_assert_eq(d->reserved, 0);
    cr_assert_str_eq(d->url.cors, "{\"MaxAge\":5}");
    free(sa);
    free(sb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    emu_record_free(r);
    emu_record_free(d);
}

Test(record, refuses_malformed_state)
{
    const char *bad[] = {"{}", "{\"FunctionName\":\"a.b\",\"PackageType\":\"Zip\",\"Architecture\":\"x86_64\"}",
                         "{\"FunctionName\":\"f\",\"PackageType\":\"Zip\",\"Architecture\":\"x86_64\",\"Code\":\"xyz\"}",
                         "{\"FunctionName\":\"f\",\"PackageType\":\"Zip\",\"Architecture\":\"x86_64\",\"Tags\":[1]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *o = cJSON_Parse(bad[i]);
        fl_err err;
        cr_assert_null(emu_record_from_state(o, &err), "%s", bad[i]);
        cJSON_Delete(o);
    }
}

Test(record, states_as_aws_reports_them)
{
    emu_fn_record *r = sample();
    r->pending_until_ms = 2000;
    r->updating_until_ms = 3000;
    cJSON *c = emu_record_configuration(r, "us-east-1", 1000, EMU_VIEW_NOW);
    cr_assert_str_eq(fl_json_str(c, "State"), "Pending");
    cr_assert_null(fl_json_str(c, "LastUpdateStatus"));
    cJSON_Delete(c);
    c = emu_record_configuration(r, "us-east-1", 2500, EMU_VIEW_NOW);
    cr_assert_str_eq(fl_json_str(c, "State"), "Active");
    cr_assert_str_eq(fl_json_str(c, "LastUpdateStatus"), "InProgress");
    cJSON_Delete(c);
    c = emu_record_configuration(r, "us-east-1", 3000, EMU_VIEW_NOW);
    cr_assert_str_eq(fl_json_str(c, "LastUpdateStatus"), "Successful");
    cr_assert_str_eq(fl_json_str(c, "FunctionArn"), "arn:aws:lambda:us-east-1:000000000000:function:fn");
    cr_assert_str_eq(fl_json_str(c, "LastModified"), "2026-11-26T16:12:36.840+0000");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "Architectures"), 0)->valuestring, "arm64");
    cJSON_Delete(c);
    c = emu_record_configuration(r, "us-east-1", 9999, EMU_VIEW_CREATED);
    cr_assert_str_eq(fl_json_str(c, "State"), "Pending");
    cJSON_Delete(c);
    emu_record_free(r);
}

Test(layer, round_trip_and_arns)
{
    emu_layer *l = fl_xcalloc(1, sizeof *l);
    l->name = fl_xstrdup("L");
    l->last_version = 4;
    l->n = 1;
    l->v = fl_xcalloc(1, sizeof *l->v);
    l->v[0].version = 4;
    memset(l->v[0].code.hex, 'c', 64);
    strcpy(l->v[0].code.sha256, "x");
    emu_strv_push(&l->v[0].runtimes, "provided.al2");
    emu_layer *d = emu_layer_dup(l);
    cr_assert_eq(d->last_version, 4);
    cr_assert_not_null(emu_layer_find(d, 4));
    cr_assert_null(emu_layer_find(d, 3));
    cJSON *j = emu_layer_version_json(d, &d->v[0], "eu-west-1", NULL);
    cr_assert_str_eq(fl_json_str(j, "LayerVersionArn"), "arn:aws:lambda:eu-west-1:000000000000:layer:L:4");
    cJSON_Delete(j);
    emu_layer_free(l);
    emu_layer_free(d);
}

static void zip_of(const char *content, fl_buf *out)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    size_t used = 0;
    fl_buf_reserve(out, 1 << 16);
    archive_write_open_memory(a, out->data, 1 << 16, &used);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "bootstrap");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0755);
    archive_entry_set_size(e, (la_int64_t)strlen(content));
    archive_write_header(a, e);
    archive_write_data(a, content, strlen(content));
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    out->len = used;
}

Test(store, content_addressed_and_collected)
{
    char tmpl[] = "/tmp/emu-store-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    emu_store *s;
    fl_err err;
    cr_assert_eq(emu_store_open(tmpl, &s, &err), 0, "%s", err.msg);
    emu_store *again;
    cr_assert_eq(emu_store_open(tmpl, &again, &err), -1, "a second opener must be refused");
    fl_buf z1 = {0}, z2 = {0};
    zip_of("one", &z1);
    zip_of("two", &z2);
    emu_code c1, c1b, c2;
    cr_assert_eq(emu_store_put_zip(s, z1.data, z1.len, 1 << 20, &c1, &err), 0, "%s", err.msg);
    cr_assert_eq(emu_store_put_zip(s, z1.data, z1.len, 1 << 20, &c1b, &err), 0);
    cr_assert_str_eq(c1.hex, c1b.hex);
    cr_assert_eq(c1b.unzipped, 3);
    cr_assert_eq(emu_store_put_zip(s, z2.data, z2.len, 1 << 20, &c2, &err), 0);
    cr_assert(emu_store_has_code(s, c1.hex) && emu_store_has_code(s, c2.hex));
    emu_strv keep = {0};
    emu_strv_push(&keep, c2.hex);
    emu_store_gc(s, &keep);
    cr_assert(!emu_store_has_code(s, c1.hex));
    cr_assert(emu_store_has_code(s, c2.hex));
    char *blob = emu_store_path(s, "blobs/%s.zip", c2.hex);
    struct stat st;
    cr_assert_eq(stat(blob, &st), 0);
    cr_assert_eq((size_t)st.st_size, z2.len);
    free(blob);
    emu_strv_free(&keep);
    fl_buf_free(&z1);
    fl_buf_free(&z2);
    emu_store_close(s);
    emu_rmtree(tmpl);
}

Test(patterns, service_model)
{
    cr_assert(emu_role_arn_valid("arn:aws:iam::123456789012:role/service-role/my_role+=,.@-"));
    cr_assert(emu_role_arn_valid("arn::iam::123456789012:role/x"));
    cr_assert(!emu_role_arn_valid("arn:aws:iam::12345678901:role/x"));
    cr_assert(!emu_role_arn_valid("arn:aws:iam::123456789012:user/x"));
    cr_assert(!emu_role_arn_valid("arn:azure:iam::123456789012:role/x"));
    cr_assert(emu_handler_valid("index.handler"));
    cr_assert(!emu_handler_valid("a b"));
    cr_assert(!emu_handler_valid(""));
    cr_assert(emu_env_key_valid("Ab_1"));
    cr_assert(!emu_env_key_valid("A"));
    cr_assert(!emu_env_key_valid("1A"));
    char name[160], region[64];
    unsigned long v;
    cr_assert_eq(emu_parse_layer_arn("arn:aws:lambda:us-east-1:123456789012:layer:my-layer:12", name, sizeof name,
                                     region, sizeof region, &v), 0);
    cr_assert_str_eq(name, "my-layer");
    cr_assert_eq(v, 12);
    cr_assert_eq(emu_parse_layer_arn("arn:aws:lambda:us-east-1:123456789012:layer:L", name, sizeof name, region,
                                     sizeof region, &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_neq(emu_parse_layer_arn("arn:aws:lambda:us-east-1:123456789012:layer:L:0", name, sizeof name, region,
                                      sizeof region, &v), 0);
    cr_assert_neq(emu_parse_layer_arn("arn:aws:lambda:us-east-1:1234:layer:L:1", name, sizeof name, region,
                                      sizeof region, &v), 0);
}

Test(validation, messages_as_aws_words_them)
{
    emu_verr v = {0};
    emu_verr_add(&v, "20000", "memorySize", "Member must have value less than or equal to %d", 10240);
    emu_verr_add(&v, NULL, "role", "Member must not be null");
    fl_buf m = {0};
    emu_verr_message(&v, &m);
    cr_assert_str_eq(m.data, "2 validation errors detected: Value '20000' at 'memorySize' failed to satisfy "
                             "constraint: Member must have value less than or equal to 10240; Value null at 'role' "
                             "failed to satisfy constraint: Member must not be null");
    fl_buf_free(&m);
    emu_verr_free(&v);
}
