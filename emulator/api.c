/* The REST API's dispatch and what every operation needs: the function a
 * path names, and the request body as a JSON object. */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"

int emu_api_dispatch(emu_req *r)
{
    switch (r->route.op) {
    case EMU_OP_CREATE_FUNCTION:
    case EMU_OP_LIST_FUNCTIONS:
    case EMU_OP_GET_FUNCTION:
    case EMU_OP_DELETE_FUNCTION:
    case EMU_OP_GET_FUNCTION_CONFIGURATION:
    case EMU_OP_UPDATE_FUNCTION_CONFIGURATION:
    case EMU_OP_UPDATE_FUNCTION_CODE:
        return emu_api_functions(r);
    case EMU_OP_INVOKE:
    case EMU_OP_INVOKE_STREAM:
        return emu_api_invoke(r);
    case EMU_OP_PUT_CONCURRENCY:
    case EMU_OP_DELETE_CONCURRENCY:
    case EMU_OP_GET_CONCURRENCY:
    case EMU_OP_GET_ACCOUNT_SETTINGS:
        return emu_api_concurrency(r);
    case EMU_OP_LIST_LAYERS:
    case EMU_OP_PUBLISH_LAYER_VERSION:
    case EMU_OP_LIST_LAYER_VERSIONS:
    case EMU_OP_GET_LAYER_VERSION:
    case EMU_OP_DELETE_LAYER_VERSION:
    case EMU_OP_ADD_LAYER_PERMISSION:
    case EMU_OP_GET_LAYER_POLICY:
    case EMU_OP_REMOVE_LAYER_PERMISSION:
        return emu_api_layers(r);
    case EMU_OP_TAG_RESOURCE:
    case EMU_OP_UNTAG_RESOURCE:
    case EMU_OP_LIST_TAGS:
        return emu_api_tags(r);
    case EMU_OP_CREATE_URL:
    case EMU_OP_GET_URL:
    case EMU_OP_UPDATE_URL:
    case EMU_OP_DELETE_URL:
    case EMU_OP_LIST_URLS:
        return emu_api_urls(r);
    case EMU_OP_GET_CODE:
        return emu_api_code(r);
    default:
        return emu_reply_error(r, 404, "UnknownOperationException", "Unknown operation: %.16s %.200s", r->method,
                               r->uri);
    }
}

int emu_resolve_function(emu_req *r, const char *ref, char name[EMU_FN_REF_MAX], int *rc)
{
    emu_fn_ref fr;
    if (strlen(ref) > 170 || emu_parse_fn_ref(ref, &fr)) {
        emu_verr v = {0};
        emu_verr_bad_name(&v, ref, "functionName");
        *rc = emu_reply_verr(r, &v);
        return -1;
    }
    const char *q = emu_query_get(&r->query, "Qualifier");
    if (q && fr.qualifier[0] && strcmp(q, fr.qualifier)) {
        *rc = emu_reply_error(r, 400, "InvalidParameterValueException",
                              "The derived qualifier from the function name does not match the specified qualifier.");
        return -1;
    }
    const char *qualifier = fr.qualifier[0] ? fr.qualifier : q ? q : "";
    bool here = (!fr.region[0] || !strcmp(fr.region, r->e->region)) && (!fr.account[0] || !strcmp(fr.account,
                                                                                                  EMU_ACCOUNT));
    if (!here || (*qualifier && strcmp(qualifier, EMU_VERSION))) {
        char arn[1200];
        snprintf(arn, sizeof arn, "arn:aws:lambda:%s:%s:function:%s%s%s", fr.region[0] ? fr.region : r->e->region,
                 fr.account[0] ? fr.account : EMU_ACCOUNT, fr.name, *qualifier ? ":" : "", qualifier);
        *rc = emu_reply_error(r, 404, "ResourceNotFoundException", "Function not found: %s", arn);
        return -1;
    }
    snprintf(name, EMU_FN_REF_MAX, "%s", fr.name);
    return 0;
}

cJSON *emu_body_object(emu_req *r, int *rc)
{
    if (r->body.len == 0)
        return cJSON_CreateObject();
    cJSON *doc = emu_json_parse_exact(r->body.data, r->body.len);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        *rc = emu_reply_error(r, 400, "InvalidRequestContentException",
                              "Could not parse request body into json: the body of %s must be a JSON object",
                              emu_op_name(r->route.op));
        return NULL;
    }
    return doc;
}
