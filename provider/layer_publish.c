/* `faas-lambda layer publish`: one layer version, through the same signed
 * Lambda client as the provider. */
#include <stdlib.h>
#include <string.h>

#include "provider/aws.h"
#include "provider/internal.h"
#include "shim/shim.h"

#define LAYER_ZIP_MAX (50u * 1024 * 1024) /* PublishLayerVersion's direct upload limit */

static int publish(pv_lambda *l, const provider_layer_publish *o, const fl_buf *zip, char **arn, long *version,
                   fl_err *err)
{
    cJSON *req = cJSON_CreateObject();
    fl_buf b64 = {0};
    shim_base64_encode(zip->data, zip->len, &b64);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "Content"), "ZipFile", fl_buf_cstr(&b64));
    fl_buf_free(&b64);
    cJSON *rt = cJSON_AddArrayToObject(req, "CompatibleRuntimes");
    cJSON_AddItemToArray(rt, cJSON_CreateString("provided.al2023"));
    cJSON_AddItemToArray(rt, cJSON_CreateString("provided.al2"));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(req, "CompatibleArchitectures"), cJSON_CreateString(o->arch));
    if (o->description)
        cJSON_AddStringToObject(req, "Description", o->description);
    fl_buf body = {0};
    fl_json_print(&body, req);
    cJSON_Delete(req);
    fl_buf path = {0};
    fl_buf_puts(&path, "/2018-10-31/layers");
    pv_aws_path_segment(&path, o->name);
    fl_buf_puts(&path, "/versions");
    pv_api_result r = {0};
    int rc = pv_lambda_rest(l, "POST", fl_buf_cstr(&path), NULL, body.data, body.len, &r, err);
    const char *a = rc == 0 ? fl_json_str(r.doc, "LayerVersionArn") : NULL;
    const cJSON *v = rc == 0 ? cJSON_GetObjectItemCaseSensitive(r.doc, "Version") : NULL;
    if (rc == 0 && (r.status != 201 || !a || !cJSON_IsNumber(v)))
        rc = fl_fail(err, "PublishLayerVersion of %s answered %d: %s%s%s", o->name, r.status, r.type,
                     r.type[0] ? ": " : "", r.message);
    if (rc == 0) {
        *arn = fl_xstrdup(a);
        *version = (long)v->valuedouble;
    }
    pv_api_result_free(&r);
    fl_buf_free(&path);
    fl_buf_free(&body);
    return rc;
}

static int make_public(pv_lambda *l, const char *name, long version, fl_err *err)
{
    fl_buf path = {0};
    fl_buf_puts(&path, "/2018-10-31/layers");
    pv_aws_path_segment(&path, name);
    fl_buf_printf(&path, "/versions/%ld/policy", version);
    static const char body[] = "{\"StatementId\":\"faas-lambda-public\",\"Action\":\"lambda:GetLayerVersion\","
                               "\"Principal\":\"*\"}";
    pv_api_result r = {0};
    int rc = pv_lambda_rest(l, "POST", fl_buf_cstr(&path), NULL, body, sizeof body - 1, &r, err);
    if (rc == 0 && r.status != 201)
        rc = fl_fail(err, "AddLayerVersionPermission of %s:%ld answered %d: %s%s%s", name, version, r.status,
                     r.type, r.type[0] ? ": " : "", r.message);
    pv_api_result_free(&r);
    fl_buf_free(&path);
    return rc;
}

int provider_publish_layer(const provider_layer_publish *o, char **arn, fl_err *err)
{
    const char *region = o->region ? o->region : getenv("AWS_REGION") ? getenv("AWS_REGION") : getenv("AWS_DEFAULT_REGION");
    fl_buf zip = {0};
    if (fl_read_file(o->zip, LAYER_ZIP_MAX, &zip, err))
        return -1;
    pv_creds *creds = NULL;
    char *profile_region = NULL;
    if (pv_creds_for_endpoint(o->lambda_endpoint, region, &creds, &profile_region, err)) {
        fl_buf_free(&zip);
        return -1;
    }
    if (!region)
        region = profile_region;
    int rc = -1;
    if (!region && !o->lambda_endpoint) {
        fl_fail(err, "no region: give --region, AWS_REGION, or a region in the AWS profile (or --lambda-endpoint)");
        goto out;
    }
    char *endpoint = o->lambda_endpoint ? fl_xstrdup(o->lambda_endpoint)
                                        : fl_xasprintf("https://lambda.%s.amazonaws.com", region);
    pv_lambda l = {.timeout_ms = 120000};
    pv_pool_init(&l.pool);
    pv_aws_endpoint_init(&l.api, endpoint, region ? region : "us-east-1", "lambda", creds);
    long version = 0;
    rc = publish(&l, o, &zip, arn, &version, err);
    if (rc == 0 && o->is_public && make_public(&l, o->name, version, err)) {
        free(*arn);
        *arn = NULL;
        rc = -1;
    }
    pv_aws_endpoint_free(&l.api);
    pv_pool_free(&l.pool);
    free(endpoint);
out:
    pv_creds_free(creds);
    free(profile_region);
    fl_buf_free(&zip);
    return rc;
}
