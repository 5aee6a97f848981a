/* Which kind of event this is (lambda-runtime.md §2.1), in the order that
 * cannot mistake one for another: ALB (requestContext.elb), payload 2.0
 * (version "2.0" with requestContext.http), WebSocket (raw), payload 1.0
 * (httpMethod + requestContext), and everything else raw. */
#include <string.h>

#include "shim/internal.h"

const char *shim_kind_name(shim_kind kind)
{
    switch (kind) {
    case SHIM_RAW: return "raw";
    case SHIM_REST_V1: return "rest-v1";
    case SHIM_HTTP_V2: return "http-v2";
    case SHIM_URL: return "function-url";
    case SHIM_ALB: return "alb";
    case SHIM_ALB_MULTI: return "alb-multi";
    }
    return "unknown";
}

/* Function URL domains are <url-id>.lambda-url.<region>.on.aws; "localhost"
 * is what shim_request_to_event writes when it is given no domain. */
static bool is_url_domain(const char *d)
{
    return d && (strstr(d, ".lambda-url.") || !strcmp(d, "localhost"));
}

shim_kind shim_detect(const cJSON *event)
{
    const cJSON *rc = fl_json_obj(event, "requestContext");
    if (!rc)
        return SHIM_RAW;
    if (fl_json_obj(rc, "elb"))
        return fl_json_obj(event, "multiValueHeaders") ? SHIM_ALB_MULTI : SHIM_ALB;
    const char *version = fl_json_str(event, "version");
    if (version && !strcmp(version, "2.0") && fl_json_obj(rc, "http"))
        return is_url_domain(fl_json_str(rc, "domainName")) ? SHIM_URL : SHIM_HTTP_V2;
    if (cJSON_GetObjectItemCaseSensitive(rc, "connectionId") || cJSON_GetObjectItemCaseSensitive(rc, "eventType"))
        return SHIM_RAW; /* WebSocket API: not a request/response exchange */
    if (fl_json_str(event, "httpMethod") && (!version || !strcmp(version, "1.0")))
        return SHIM_REST_V1;
    return SHIM_RAW;
}
