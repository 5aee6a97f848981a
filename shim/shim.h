/* shim: translation between Lambda events and HTTP. Pure: no I/O, no clocks,
 * no environment. Used on both ends of an invoke:
 *   bootstrap: event -> HTTP request (for the watchdog), HTTP response -> payload
 *   provider:  HTTP request -> 2.0 event,                payload -> HTTP response
 *
 * Wire facts follow ../shared/reference/lambda-runtime.md §2 and §4. */
#ifndef FL_SHIM_H
#define FL_SHIM_H

#include "common/common.h"

typedef enum shim_kind {
    SHIM_RAW,       /* not an HTTP event (SQS, SNS, S3, EventBridge, anything) */
    SHIM_REST_V1,   /* API Gateway REST API, or HTTP API payload 1.0 */
    SHIM_HTTP_V2,   /* API Gateway HTTP API payload 2.0 */
    SHIM_URL,       /* Lambda Function URL (2.0 shape, *.lambda-url.* domain) */
    SHIM_ALB,       /* ALB target, single-value headers */
    SHIM_ALB_MULTI, /* ALB target with multi-value headers enabled */
} shim_kind;

const char *shim_kind_name(shim_kind kind);

typedef struct shim_request {
    char *method;          /* "GET", ... */
    char *path;            /* request-line path, percent-encoded, starts with '/' */
    char *query;           /* raw query without '?'; "" when there is none */
    fl_headers headers;    /* in event order; repeated headers kept */
    fl_buf body;           /* decoded bytes */
    char *request_context; /* the event's requestContext as compact JSON; NULL if none */
} shim_request;

typedef struct shim_response {
    int status;
    fl_headers headers;
    fl_buf body;
} shim_response;

typedef struct shim_options {
    const char *pass_through_path; /* where raw events are POSTed; NULL means "/" */
    const char *remove_base_path;  /* stripped from the front of HTTP paths; NULL = none */
    fl_status_set error_statuses;  /* responses with these statuses become invoke errors */
} shim_options;

/* Error type used when a response status is in error_statuses. */
#define SHIM_ERROR_STATUS_TYPE "Function.ErrorStatus"

/* ---- bootstrap side ---- */

/* Classifies a parsed event (§2.1). */
shim_kind shim_detect(const cJSON *event);

/* Turns an event into the HTTP request for the watchdog. Raw events become
 * POST pass_through_path with Content-Type: application/json and the event
 * bytes as body. Fails (with a message naming the field) on a malformed HTTP
 * event, e.g. a body marked isBase64Encoded that is not base64. */
int shim_event_to_request(const char *event, size_t len, const shim_options *opt, shim_kind *kind,
                          shim_request *req, fl_err *err);

/* Turns the watchdog's response into the Lambda response payload for kind.
 * When the status is in opt->error_statuses, *is_error is set and payload is
 * a Lambda error document ({"errorType":SHIM_ERROR_STATUS_TYPE,...}) to post
 * to /error instead. For SHIM_RAW the payload is the body itself. */
int shim_response_to_payload(shim_kind kind, const shim_response *resp, const shim_options *opt,
                             fl_buf *payload, bool *is_error, fl_err *err);

/* True when a body with these headers travels as text, false when it must be
 * base64 (§2.5: text types, +json/+xml/+yaml, no Content-Encoding, and the
 * bytes are valid UTF-8 without NUL). */
bool shim_body_is_text(const fl_headers *headers, const char *body, size_t len);

/* ---- streaming (§4) ---- */

/* The prelude for an HTTP response streamed to a Function URL / API Gateway:
 * {"statusCode":..,"headers":{..},"cookies":[..]} followed by 8 NUL bytes. */
#define SHIM_STREAM_CONTENT_TYPE "application/vnd.awslambda.http-integration-response"
void shim_prelude_encode(int status, const fl_headers *headers, fl_buf *out);
/* Parses a prelude from the start of data. Returns 1 and sets *consumed (JSON
 * + the 8 NULs) when complete, 0 when more bytes are needed, -1 when invalid.
 * resp->body is left empty. */
int shim_prelude_decode(const char *data, size_t len, shim_response *resp, size_t *consumed, fl_err *err);

/* ---- provider side ---- */

typedef struct shim_event_ctx {
    const char *request_id;  /* requestContext.requestId */
    const char *source_ip;   /* requestContext.http.sourceIp */
    const char *domain_name; /* requestContext.domainName; NULL for "localhost" */
    const char *account_id;  /* NULL for "anonymous" */
    uint64_t time_epoch_ms;  /* requestContext.timeEpoch */
} shim_event_ctx;

/* Builds a Function URL shaped 2.0 event. AWS's shape lower-cases header
 * names and comma-joins repeats; so that a request survives the round trip
 * exactly, a header that repeats is also listed in a "multiValueHeaders"
 * member, which shim_event_to_request prefers (AWS never sends it in 2.0). */
int shim_request_to_event(const shim_request *req, const shim_event_ctx *ctx, fl_buf *event, fl_err *err);

/* Turns an invoke's response payload into the HTTP response, as Function
 * URLs do: a JSON object with statusCode is a response document (headers,
 * multiValueHeaders, cookies, body, isBase64Encoded); other JSON becomes 200
 * application/json with the payload as body; anything else fails. */
int shim_payload_to_response(const char *payload, size_t len, shim_response *resp, fl_err *err);

/* ---- base64 (RFC 4648, standard alphabet, padded) ---- */
void shim_base64_encode(const void *data, size_t len, fl_buf *out);
/* Strict decode: rejects bad characters and bad padding (names the offset). */
int shim_base64_decode(const char *s, size_t len, fl_buf *out, fl_err *err);

void shim_request_free(shim_request *req);
void shim_response_free(shim_response *resp);

#endif
