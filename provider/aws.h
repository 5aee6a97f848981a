/* provider internals: the AWS side. Signed requests (SigV4 by libcurl),
 * the credential chain, Lambda, CloudWatch Logs and ECR calls. Not a
 * public header. */
#ifndef FL_PROVIDER_AWS_H
#define FL_PROVIDER_AWS_H

#include <pthread.h>

#include "common/common.h"

/* ---- URIs for SigV4 (aws_uri.c, pure) ---- */
/* Appends "/" + the encoded segment to a wire path. */
void pv_aws_path_segment(fl_buf *path, const char *segment);
/* The canonical query of raw pairs (kv: key, value, ..., NULL): encoded,
 * sorted by key then value. The same string goes on the wire. */
void pv_aws_canonical_query(const char *const *kv, fl_buf *out);
/* Raw query ("a=1&b=%20") into decoded pairs, NULL-terminated; -1 when a
 * %-escape is malformed. Free with pv_strv_free. */
int pv_query_split(const char *raw, char ***kv);

/* ---- credentials (credentials*.c) ---- */
typedef struct pv_cred {
    char *akid, *secret, *token;  /* token NULL for long-term keys */
    int64_t expires_ms;           /* epoch ms; 0: does not expire */
} pv_cred;

void pv_cred_clear(pv_cred *c);   /* wipes and frees */
void pv_cred_copy(pv_cred *dst, const pv_cred *src);

/* A named profile of the shared files, merged: the credentials file's
 * section wins over the config file's "[profile NAME]" ("[default]"). */
typedef struct pv_profile {
    bool found;
    pv_cred cred;                 /* akid NULL when the profile has no keys */
    char *region;
    char *role_arn, *web_identity_token_file, *role_session_name;
    char *unsupported;            /* a source this client does not do, e.g. "credential_process" */
} pv_profile;

/* From the texts of the credentials and config files (either NULL). */
int pv_profile_resolve(const char *credentials, const char *config, const char *profile, pv_profile *out,
                       fl_err *err);
void pv_profile_free(pv_profile *p);

typedef enum pv_cred_kind {
    PV_CRED_STATIC,               /* fixed keys (environment, profile, emulator) */
    PV_CRED_WEB_IDENTITY,         /* STS AssumeRoleWithWebIdentity (EKS IRSA) */
    PV_CRED_CONTAINER,            /* the container endpoint (ECS, EKS Pod Identity) */
} pv_cred_kind;

typedef struct pv_creds {
    pthread_mutex_t mu;
    pv_cred_kind kind;
    char source[96];              /* where the keys come from, for the log (never the keys) */
    pv_cred cur;
    bool have;
    /* web identity */
    char *role_arn, *token_file, *session_name, *sts_endpoint;
    /* container */
    char *container_url, *container_token, *container_token_file;
    CURL_handle *h;               /* refreshes, under mu */
} pv_creds;

/* Refresh this long before credentials expire. */
#define PV_CRED_REFRESH_MS (5 * 60 * 1000)

pv_creds *pv_creds_static(const char *akid, const char *secret, const char *token, const char *source);
/* True when pv_creds_get would not have to fetch (fixed keys, or keys far
 * from expiring): an invoke on the loop may take them there. */
bool pv_creds_fresh(pv_creds *c);
/* The chain, as the AWS SDKs search it: environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); web identity
 * (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME]);
 * the shared files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, default
 * ~/.aws/credentials and ~/.aws/config, profile AWS_PROFILE or "default");
 * container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 * _FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN). The STS
 * endpoint is AWS_ENDPOINT_URL_STS, else https://sts.REGION.amazonaws.com.
 * Fetches the first credentials (so a bad source fails at start-up).
 * *region_out (may be NULL) gets the profile's region when it has one. */
int pv_creds_chain(const char *region, pv_creds **out, char **region_out, fl_err *err);
/* The chain for a Lambda endpoint (NULL: AWS's); a loopback endpoint (an
 * emulator, which takes any keys) gets placeholder keys when the chain has
 * none. */
int pv_creds_for_endpoint(const char *endpoint, const char *region, pv_creds **out, char **region_out, fl_err *err);
/* A copy of current credentials, refreshed first when they expire within
 * PV_CRED_REFRESH_MS. A failed refresh keeps unexpired credentials. */
int pv_creds_get(pv_creds *c, pv_cred *out, fl_err *err);
void pv_creds_free(pv_creds *c);

/* Parses an STS AssumeRoleWithWebIdentity answer (XML), or its error. */
int pv_sts_parse(const char *xml, size_t len, pv_cred *out, fl_err *err);
/* Parses a container credentials answer (JSON). */
int pv_container_creds_parse(const char *json, size_t len, pv_cred *out, fl_err *err);
/* Whether a full container-credentials URI may be used: https, or http to
 * loopback or the ECS/EKS link-local addresses (as the SDKs allow). */
bool pv_container_uri_allowed(const char *url);

/* ---- signed requests (aws_request.c) ---- */
typedef struct pv_aws_endpoint {
    char *base;                   /* "https://lambda.us-east-1.amazonaws.com", no trailing '/' */
    char *region, *service;
    char sigv4[160];              /* "aws:amz:REGION:SERVICE" */
    pv_creds *creds;              /* not owned */
} pv_aws_endpoint;

void pv_aws_endpoint_init(pv_aws_endpoint *ep, const char *base, const char *region, const char *service,
                          pv_creds *creds);
void pv_aws_endpoint_free(pv_aws_endpoint *ep);

typedef struct pv_aws_call {
    const char *method;
    const char *path;             /* wire form: segments encoded (pv_aws_path_segment) */
    const char *const *query;     /* raw pairs, NULL-terminated; may be NULL */
    const fl_headers *headers;    /* more headers, e.g. Content-Type, X-Amz-Target */
    const void *body;
    size_t body_len;
    bool has_body;
    long timeout_ms;
    size_t max_body;              /* 0: PV_LAMBDA_RESPONSE_MAX */
    bool unnormalized_path;       /* S3-style: the path is not normalized for signing */
    bool sign_body;               /* add X-Amz-Content-Sha256 (the payload hash, signed) */
} pv_aws_call;

/* One signed request. Repeated headers are joined with ',' and folded
 * values unfolded before signing (what the canonical form does). Fails only
 * when no answer came; the status is in resp. */
int pv_aws_do(const pv_aws_endpoint *ep, CURL_handle *h, const pv_aws_call *c, fl_http_resp *resp, fl_err *err);
/* With explicit credentials instead of the endpoint's (tests, the suite). */
int pv_aws_do_with(const pv_aws_endpoint *ep, const pv_cred *cred, CURL_handle *h, const pv_aws_call *c,
                   fl_http_resp *resp, fl_err *err);

/* A signed request ready for libcurl (the strings it points to are its
 * own; the body is the call's): what pv_aws_do sends, for a caller that
 * sends it itself (on the loop's multi handle). */
typedef struct pv_aws_prepared {
    fl_http_req req;
    fl_buf url, target;
    fl_headers headers;
    char *userpwd;
} pv_aws_prepared;
void pv_aws_prepare(const pv_aws_endpoint *ep, const pv_cred *cred, const pv_aws_call *c, pv_aws_prepared *p);
/* Wipes the key pair and frees. */
void pv_aws_prepared_free(pv_aws_prepared *p);

/* The error of an AWS answer: the type from X-Amzn-ErrorType or the body's
 * __type/code/Type, the message from message/Message. */
void pv_aws_error(const fl_http_resp *resp, char *type, size_t tn, char *msg, size_t mn);

/* ---- a pool of curl handles, so connections are reused (handle_pool.c) ---- */
typedef struct pv_handle_pool {
    pthread_mutex_t mu;
    CURL_handle **free_h;
    size_t n, cap;
} pv_handle_pool;

void pv_pool_init(pv_handle_pool *p);
CURL_handle *pv_pool_get(pv_handle_pool *p);
void pv_pool_put(pv_handle_pool *p, CURL_handle *h);
void pv_pool_free(pv_handle_pool *p);

/* ---- Lambda, CloudWatch Logs and ECR (lambda_client.c, lambda_ops.c) ---- */
typedef struct pv_lambda {
    pv_aws_endpoint api, logs, ecr;
    pv_handle_pool pool;
    pv_handle_pool loop_pool;     /* the handles of invokes on the loop (their connections are the multi's) */
    long timeout_ms;              /* control-plane calls */
} pv_lambda;

typedef struct pv_api_result {
    int status;                   /* 0: no answer */
    cJSON *doc;                   /* the JSON answer when it is one */
    char type[96];                /* error type, "" on success */
    char message[512];
} pv_api_result;

void pv_api_result_free(pv_api_result *r);

/* One call of a REST JSON API (Lambda): retried with backoff on throttling,
 * 5xx and transport failures. 0 with r filled whenever an answer came (any
 * status); -1 when none did. body may be NULL. */
int pv_lambda_rest(pv_lambda *l, const char *method, const char *path, const char *const *query, const char *body,
                   size_t body_len, pv_api_result *r, fl_err *err);
/* One call of a JSON 1.1 API (Logs, ECR): POST / with X-Amz-Target. */
int pv_aws_json11(pv_lambda *l, pv_aws_endpoint *ep, const char *target, const char *body, pv_api_result *r,
                  fl_err *err);

/* Path builders: "/2015-03-31/functions/NAME" + suffix. */
char *pv_lambda_fn_path(const char *version, const char *name, const char *suffix);

/* GetFunction: 0 and the document (Configuration, Tags, Concurrency); 1 when
 * there is no such function; -1 on failure (err). */
int pv_lambda_get_function(pv_lambda *l, const char *name, cJSON **doc, fl_err *err);
/* GetFunctionConfiguration, same convention. */
int pv_lambda_get_configuration(pv_lambda *l, const char *name, cJSON **doc, fl_err *err);
/* Polls until LastUpdateStatus is not InProgress (and State not Pending
 * when want_active), up to timeout_ms. 0 Successful/Active; -1 with the
 * reason (Failed, or time out). */
int pv_lambda_wait_ready(pv_lambda *l, const char *name, bool want_active, uint64_t timeout_ms, fl_err *err);
/* Every function name (ListFunctions, all pages). */
int pv_lambda_list_names(pv_lambda *l, char ***names, fl_err *err);

/* Invoke (RequestResponse). */
typedef struct pv_invoke_result {
    int status;                   /* Lambda's HTTP status */
    fl_buf payload;               /* the response payload, or the error body */
    char function_error[64];      /* X-Amz-Function-Error, "" if none */
    char type[96], message[512];  /* when status is not 200 */
} pv_invoke_result;
int pv_lambda_invoke(pv_lambda *l, CURL_handle *h, const char *name, const char *payload, size_t len,
                     long timeout_ms, pv_invoke_result *r, fl_err *err);
void pv_invoke_result_free(pv_invoke_result *r);
/* The same on a loop's multi handle, without waiting (loop thread, with
 * credentials that need no refresh: pv_creds_fresh). done runs on the loop
 * with fl_http_do's rc and err; the result is freed after it. */
typedef void (*pv_invoke_done)(void *ud, int rc, pv_invoke_result *r, fl_err *err);
void pv_lambda_invoke_start(pv_lambda *l, const pv_aws_endpoint *api, fl_curlm *m, const char *name,
                            const char *payload, size_t len, long timeout_ms, pv_invoke_done done, void *ud);

/* One page of FilterLogEvents on /aws/lambda/NAME. */
typedef struct pv_log_event {
    char *stream, *message, *id;
    int64_t timestamp;
} pv_log_event;
typedef struct pv_log_page {
    pv_log_event *ev;
    size_t n;
    char *next_token;
    bool no_group;                /* the log group does not exist (yet) */
} pv_log_page;
int pv_logs_filter(pv_lambda *l, const char *fn, int64_t start_ms, const char *token, unsigned limit,
                   pv_log_page *page, fl_err *err);
void pv_log_page_free(pv_log_page *p);

/* ECR GetAuthorizationToken: "AWS:password" for the registry. */
int pv_ecr_login(pv_lambda *l, char **userpass, int64_t *expires_ms, fl_err *err);

#endif
