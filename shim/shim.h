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
    const char *pass_through_path; /* where raw events are POSTed; NULL or "" means "/" */
    const char *remove_base_path;  /* stripped from the front of HTTP paths, only at a '/'
                                    * boundary ("/api": "/api/x" -> "/x", "/api" -> "/",
                                    * "/apix" stays); NULL = none */
    fl_status_set error_statuses;  /* responses with these statuses become invoke errors */
} shim_options;

/* Error type used when a response status is in error_statuses. */
#define SHIM_ERROR_STATUS_TYPE "Function.ErrorStatus"

/* ---- bootstrap side ---- */

/* Classifies a parsed event (§2.1): requestContext.elb -> ALB (multi-value
 * when multiValueHeaders is an object); version "2.0" with
 * requestContext.http -> Function URL when requestContext.domainName
 * contains ".lambda-url." or is "localhost" (what shim_request_to_event
 * writes without a domain), else HTTP API 2.0; WebSocket events
 * (requestContext.connectionId/eventType) -> raw; a string httpMethod with
 * requestContext (version absent or "1.0") -> REST; anything else -> raw. */
shim_kind shim_detect(const cJSON *event);

/* Turns an event into the HTTP request for the watchdog. Raw events become
 * POST pass_through_path with Content-Type: application/json and the event
 * bytes as body. Fails (with a message naming the field) on a malformed HTTP
 * event, e.g. a body marked isBase64Encoded that is not base64, and on text
 * that is not JSON. *req is overwritten (zeroed on failure), except that the
 * body is decoded into the allocation req->body already holds: zero *req
 * before its first use, and a caller translating event after event keeps
 * one shim_request, emptied with shim_request_reset, so that bodies of
 * megabytes do not take fresh memory each time. kind may be NULL.
 * The rules, in full, head shim/event_request.c, event_headers.c and
 * event_query.c; in short: path and query keep the client's encoding (HTTP
 * API 2.0 paths are re-encoded) with bytes no request line may carry
 * percent-encoded; headers come from multiValueHeaders when it has members,
 * else headers; hop-by-hop headers and Content-Length are dropped; Cookie
 * (2.0 cookies[]), Host, X-Forwarded-For/-Proto/-Port are added when absent;
 * members of the wrong type fail, null ones count as absent. */
int shim_event_to_request(const char *event, size_t len, const shim_options *opt, shim_kind *kind,
                          shim_request *req, fl_err *err);

/* Turns the watchdog's response into the Lambda response payload for kind.
 * When the status is in opt->error_statuses, *is_error is set and payload is
 * a Lambda error document ({"errorType":SHIM_ERROR_STATUS_TYPE,...}) to post
 * to /error instead. For SHIM_RAW the payload is the body itself. payload is
 * replaced (its memory reused). Hop-by-hop headers are dropped; 1xx, 204,
 * 205 and 304 responses lose their body; headers are grouped by name
 * case-insensitively (first spelling, order of first appearance). ALB
 * single-value responses can carry one Set-Cookie: the first is kept. */
int shim_response_to_payload(shim_kind kind, const shim_response *resp, const shim_options *opt,
                             fl_buf *payload, bool *is_error, fl_err *err);

/* True when a body with these headers travels as text, false when it must be
 * base64 (§2.5: text types, +json/+xml/+yaml, no Content-Encoding, and the
 * bytes are valid UTF-8 without NUL). An empty body is text. */
bool shim_body_is_text(const fl_headers *headers, const char *body, size_t len);

/* ---- streaming (§4) ---- */

/* The prelude for an HTTP response streamed to a Function URL / API Gateway:
 * {"statusCode":..,"headers":{..},"cookies":[..]} followed by 8 NUL bytes,
 * appended to out. Hop-by-hop headers and Content-Length are left out (the
 * body is streamed); repeated headers are comma-joined, Set-Cookie apart. */
#define SHIM_STREAM_CONTENT_TYPE "application/vnd.awslambda.http-integration-response"
void shim_prelude_encode(int status, const fl_headers *headers, fl_buf *out);
/* Parses a prelude from the start of data. Returns 1 and sets *consumed (JSON
 * + the 8 NULs) when complete, 0 when more bytes are needed, -1 when invalid.
 * resp->body is left empty. statusCode defaults to 200; headers,
 * multiValueHeaders (API Gateway) and cookies are read as in
 * shim_payload_to_response. A prelude with no delimiter within
 * SHIM_PRELUDE_MAX bytes is invalid (so a caller never buffers without end). */
#define SHIM_PRELUDE_MAX (1u << 20)
int shim_prelude_decode(const char *data, size_t len, shim_response *resp, size_t *consumed, fl_err *err);

/* ---- provider side ---- */

typedef struct shim_event_ctx {
    const char *request_id;  /* requestContext.requestId */
    const char *source_ip;   /* requestContext.http.sourceIp */
    const char *domain_name; /* requestContext.domainName; NULL for "localhost". Must be a
                              * Function URL host (<id>.lambda-url.<region>.on.aws) or NULL:
                              * any other domain reads back as HTTP API 2.0, whose rawPath
                              * is decoded, so the path would be encoded twice. */
    const char *account_id;  /* NULL for "anonymous" */
    uint64_t time_epoch_ms;  /* requestContext.timeEpoch */
} shim_event_ctx;

/* Builds a Function URL shaped 2.0 event into event (replaced). AWS's shape
 * lower-cases header names and comma-joins repeats; so that a request
 * survives the round trip exactly, when a header name repeats the event also
 * carries a "multiValueHeaders" member with every header, exact names and
 * values, which shim_event_to_request prefers (AWS never sends it in 2.0).
 * JSON objects group values by name, so the headers come back grouped by
 * name (case-insensitively, first spelling) in order of first appearance:
 * the order within a name is kept, which is the order HTTP gives meaning to
 * (RFC 9110 §5.3). Fails when method is not a token or path lacks its '/'. */
int shim_request_to_event(const shim_request *req, const shim_event_ctx *ctx, fl_buf *event, fl_err *err);

/* Turns an invoke's response payload into the HTTP response, as Function
 * URLs do: a JSON object with statusCode is a response document (headers,
 * multiValueHeaders, cookies, body, isBase64Encoded); other JSON becomes 200
 * application/json with the payload as body; anything else fails. Header
 * values may be numbers or booleans (as functions write them); hop-by-hop
 * headers and Content-Length are dropped. *resp is overwritten. */
int shim_payload_to_response(const char *payload, size_t len, shim_response *resp, fl_err *err);

/* ---- JSON ---- */
/* Validates s[0..len) as one JSON text without building a tree (RFC 8259;
 * raw control bytes in strings, lone surrogates and nesting deeper than 4096
 * are rejected): one word-at-a-time pass, for payloads of megabytes. */
int shim_json_validate(const char *s, size_t len, fl_err *err);

/* ---- base64 (RFC 4648, standard alphabet, padded); both append to out ---- */
void shim_base64_encode(const void *data, size_t len, fl_buf *out);
/* Strict decode: rejects bad characters and bad padding (names the offset),
 * and a length that is not a multiple of 4 (padding is required). The pad
 * bits of the last character are ignored. On failure out is unchanged. */
int shim_base64_decode(const char *s, size_t len, fl_buf *out, fl_err *err);

void shim_request_free(shim_request *req);
/* Frees everything but the body's allocation, which is kept, emptied, for
 * the next shim_event_to_request. */
void shim_request_reset(shim_request *req);
void shim_response_free(shim_response *resp);

#endif
