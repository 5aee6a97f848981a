/* Lambda response payload -> HTTP response (provider side), as Function URLs
 * read it: a JSON object with statusCode is a response document; any other
 * JSON is a 200 application/json response carrying the payload; anything
 * else fails.
 *
 * Response documents are what functions write, so header values may also be
 * numbers or booleans (their text is used); null values are skipped; other
 * types fail. Hop-by-hop headers and Content-Length are dropped: the body's
 * length is the decoded body's, and the server sending it frames it. */
#include "shim/internal.h"

static const char *const PAYLOAD_KEYS[] = {"statusCode", "headers", "multiValueHeaders", "cookies",
                                           "body",       "isBase64Encoded", NULL};

static int get_status(const cJSON *doc, bool required, int *status, fl_err *err)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "statusCode");
    if (!s && !required) {
        *status = 200;
        return 0;
    }
    double d = cJSON_IsNumber(s) ? s->valuedouble : 0;
    if (!(d >= 100 && d <= 599) || d != (double)(int)d)
        return fl_fail(err, "statusCode must be an integer from 100 to 599");
    *status = (int)d;
    return 0;
}

int shim_doc_response(const cJSON *doc, bool status_required, shim_response *resp, fl_err *err)
{
    if (get_status(doc, status_required, &resp->status, err))
        return -1;
    fl_headers all = {0};
    int rc = shim_headers_from_doc(doc, &all, err);
    if (!rc)
        shim_copy_end_to_end(&resp->headers, &all, true);
    fl_headers_free(&all);
    return rc;
}

static int get_body(shim_doc *doc, shim_response *resp, fl_err *err)
{
    const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(doc->tree, "isBase64Encoded");
    if (b64 && !cJSON_IsNull(b64) && !cJSON_IsBool(b64))
        return fl_fail(err, "isBase64Encoded is not a boolean");
    if (doc->body_type == SHIM_JSON_OTHER)
        return fl_fail(err, "body is neither a string nor null");
    if (shim_doc_body(doc, cJSON_IsTrue(b64), &resp->body, err))
        return fl_fail_wrap(err, cJSON_IsTrue(b64) ? "body is marked isBase64Encoded but is not valid base64" : "body");
    return 0;
}

static int read_document(shim_doc *doc, shim_response *resp, fl_err *err)
{
    if (shim_doc_no_nul(doc, PAYLOAD_KEYS, NULL, err) || shim_doc_response(doc->tree, true, resp, err))
        return -1;
    return get_body(doc, resp, err);
}

int shim_payload_to_response(const char *payload, size_t len, shim_response *resp, fl_err *err)
{
    *resp = (shim_response){0};
    shim_doc doc;
    if (shim_doc_parse(payload, len, PAYLOAD_KEYS, "body", &doc, err))
        return fl_fail_wrap(err, "the function's response is not JSON");
    int rc = 0;
    if (doc.is_object && doc.member[0].p) {
        rc = read_document(&doc, resp, err);
    } else {
        resp->status = 200;
        fl_headers_add(&resp->headers, "Content-Type", "application/json");
        fl_buf_append(&resp->body, payload, len);
    }
    shim_doc_free(&doc);
    if (rc) {
        shim_response_free(resp);
        return fl_fail_wrap(err, "the function's response document is invalid");
    }
    return 0;
}
