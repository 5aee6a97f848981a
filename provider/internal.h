/* provider internals: what the provider's files share. Not a public header:
 * the command uses provider.h. Prefix pv_. */
#ifndef FL_PROVIDER_INTERNAL_H
#define FL_PROVIDER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "common/common.h"
#include "provider/aws.h"
#include "provider/provider.h"

/* ---- limits ---- */
#define PV_SYSTEM_BODY_MAX (1u << 20)       /* request bodies of the /system routes */
#define PV_INVOKE_PAYLOAD_MAX 6291456u      /* Lambda's synchronous Invoke payload (6 MB) */
#define PV_INVOKE_RESPONSE_MAX 6291556u     /* Lambda's response payload, + slack */
#define PV_LAMBDA_RESPONSE_MAX (16u << 20)  /* any other Lambda API answer */
#define PV_ENV_MAX 4096u                    /* Lambda: variables as one JSON object */
#define PV_TAGS_MAX 50u                     /* Lambda: tags per function */
#define PV_TAG_KEY_MAX 128u
#define PV_TAG_VALUE_MAX 256u
#define PV_MEMORY_MIN 128u                  /* MB */
#define PV_MEMORY_MAX 10240u
#define PV_TIMEOUT_MAX 900u                 /* s */
#define PV_NAME_MAX 63u                     /* DNS-1123 label */
#define PV_LAMBDA_NAME_MAX 64u
#define PV_LAYERS_MAX 5u

/* ---- string maps: unique keys, kept sorted (map.c) ---- */
typedef struct pv_map {
    char **k, **v;
    size_t n, cap;
} pv_map;

void pv_map_set(pv_map *m, const char *k, const char *v);
const char *pv_map_get(const pv_map *m, const char *k);
bool pv_map_del(pv_map *m, const char *k);
void pv_map_copy(pv_map *dst, const pv_map *src);
bool pv_map_equal(const pv_map *a, const pv_map *b);
void pv_map_free(pv_map *m);
/* A JSON object whose members are all strings; null counts as empty. what
 * names the member in the error ("envVars"). */
int pv_map_from_json(const cJSON *obj, pv_map *m, const char *what, fl_err *err);
cJSON *pv_map_to_json(const pv_map *m);

/* ---- names (names.c) ----
 * OpenFaaS names and namespaces are DNS-1123 labels; the Lambda function is
 * NAME_NAMESPACE ('_' stands for the '.' of NAME.NAMESPACE: neither part can
 * hold one, and Lambda names cannot hold a '.'), at most 64 characters. */
bool pv_dns_label_valid(const char *s);
int pv_lambda_name(const char *name, const char *ns, char out[PV_LAMBDA_NAME_MAX + 1], fl_err *err);
/* The reverse: 0 when lname is one of ours by its shape. */
int pv_lambda_name_parse(const char *lname, char name[PV_NAME_MAX + 1], char ns[PV_NAME_MAX + 1]);
/* "fn.ns" (split at the last '.') or "fn" with def_ns; checks both. */
int pv_split_qualified(const char *qname, const char *def_ns, char name[PV_NAME_MAX + 1],
                       char ns[PV_NAME_MAX + 1], fl_err *err);

/* ---- quantities and durations (quantity.c, duration.c) ---- */
/* A Kubernetes quantity ("128Mi", "1Gi", "512M", "1e9", "0.5Gi") in bytes,
 * rounded up. Fails on anything else, on zero and negative values, and past
 * 2^53 bytes. */
int pv_quantity_bytes(const char *q, uint64_t *bytes, fl_err *err);
/* Lambda's MemorySize for a memory quantity: MiB rounded up, raised to
 * Lambda's minimum (128); over 10240 fails. *raised tells it was raised. */
int pv_memory_mb(const char *q, unsigned *mb, bool *raised, fl_err *err);
/* An integer (seconds) or a Go duration ("1m30s", "500ms", "1.5h"), in ms. */
int pv_duration_ms(const char *s, uint64_t *ms, fl_err *err);

/* ---- OpenFaaS JSON types (types.c) ---- */
typedef struct pv_resources {
    bool set;
    char *memory, *cpu;
    pv_map extra;                   /* the GPU members, as given */
} pv_resources;

typedef struct pv_deployment {
    char *service, *image, *namespace, *env_process;
    pv_map env_vars, labels, annotations;
    char **constraints, **secrets;  /* NULL-terminated or NULL */
    pv_resources limits, requests;
    bool read_only_root_fs;
} pv_deployment;

typedef struct pv_status {
    pv_deployment d;                /* d.service is the name */
    double invocation_count;
    uint64_t replicas, available_replicas;
    char created_at[48];            /* RFC 3339, "" when unknown */
} pv_status;

/* FunctionDeployment, with Go's rules: unknown members ignored, null is
 * absent, a member of the wrong type fails naming it. */
int pv_deployment_parse(const char *json, size_t len, pv_deployment *d, fl_err *err);
void pv_deployment_free(pv_deployment *d);
void pv_deployment_copy(pv_deployment *dst, const pv_deployment *src);
void pv_status_free(pv_status *s);
cJSON *pv_status_to_json(const pv_status *s);
cJSON *pv_resources_to_json(const pv_resources *r);
int pv_resources_from_json(const cJSON *o, pv_resources *r, const char *what, fl_err *err);
/* NULL-terminated string vector from a JSON array of strings. */
int pv_strv_from_json(const cJSON *arr, char ***out, const char *what, fl_err *err);
void pv_strv_free(char **v);
size_t pv_strv_len(char *const *v);

/* DeleteFunctionRequest and ScaleServiceRequest. */
typedef struct pv_delete_req {
    char *function_name, *namespace;
} pv_delete_req;
typedef struct pv_scale_req {
    char *service_name, *namespace;
    uint64_t replicas;
} pv_scale_req;
int pv_delete_parse(const char *json, size_t len, pv_delete_req *r, fl_err *err);
int pv_scale_parse(const char *json, size_t len, pv_scale_req *r, fl_err *err);
void pv_delete_free(pv_delete_req *r);
void pv_scale_free(pv_scale_req *r);

/* Lambda's "2026-11-26T10:00:00.000+0000" as Go's RFC3339Nano
 * ("2026-11-26T10:00:00Z"); -1 when it is not that shape. */
int pv_lambda_time_to_rfc3339(const char *t, char out[48]);
/* Epoch ms as RFC3339Nano in UTC ("2026-11-26T10:00:00.123Z"). */
void pv_format_rfc3339_ms(uint64_t ms, char out[48]);
/* RFC 3339 to epoch ms; -1 when malformed. */
int pv_parse_rfc3339(const char *s, int64_t *ms);

/* ---- tags: what OpenFaaS knows and Lambda does not (tags.c) ----
 * Every function the provider makes carries:
 *   faas-lambda:name, faas-lambda:namespace     who it is (ownership mark)
 *   faas-lambda:label:KEY = VALUE               a label that fits a tag
 *   faas-lambda:annotation:KEY = VALUE          an annotation that fits a tag
 *   faas-lambda:meta:N (N = 0, 1, ...)          base64 of a JSON document cut
 *                                               into 256-character values:
 *       {"image","envProcess","limits","requests","constraints",
 *        "readOnlyRootFilesystem","labels":{..},"annotations":{..}}
 *       with the labels and annotations that do not fit a tag of their own.
 * A label or annotation fits when key and value use only characters every
 * AWS service accepts in tags (letters, digits, space, _ . : / = + - @;
 * ASCII), no space at either end, within 128/256 characters with the
 * prefix. When the function would carry more than 50 tags, the smallest
 * entries move into the meta document until it fits. */
#define PV_TAG_PREFIX "faas-lambda:"
#define PV_TAG_NAME PV_TAG_PREFIX "name"
#define PV_TAG_NAMESPACE PV_TAG_PREFIX "namespace"
#define PV_TAG_LABEL PV_TAG_PREFIX "label:"
#define PV_TAG_ANNOTATION PV_TAG_PREFIX "annotation:"
#define PV_TAG_META PV_TAG_PREFIX "meta:"

/* The tags for a deployment (d->service and d->namespace set). */
int pv_tags_encode(const pv_deployment *d, pv_map *tags, fl_err *err);
/* The deployment back from a function's tags: service, namespace, image,
 * envProcess, labels, annotations, limits, requests, constraints,
 * readOnlyRootFilesystem. -1 when the tags are not ours. */
int pv_tags_decode(const pv_map *tags, pv_deployment *d, fl_err *err);
bool pv_tag_is_ours(const char *key);

/* ---- routing of the provider's requests (http_routes.c) ---- */
typedef enum pv_route_id {
    PV_R_NOT_FOUND,
    PV_R_BAD_METHOD,
    PV_R_LIST,            /* GET /system/functions */
    PV_R_DEPLOY,          /* POST /system/functions */
    PV_R_UPDATE,          /* PUT /system/functions */
    PV_R_DELETE,          /* DELETE /system/functions */
    PV_R_STATUS,          /* GET /system/function/{name} */
    PV_R_SCALE,           /* POST /system/scale-function/{name} */
    PV_R_INFO,
    PV_R_SECRETS,
    PV_R_LOGS,
    PV_R_NAMESPACES,
    PV_R_NAMESPACE,       /* /system/namespace/{name}: GET only, 501 */
    PV_R_INVOKE,          /* /function/{name}[/{params}] */
    PV_R_HEALTHZ,
    PV_R_METRICS,
    PV_R_COUNT
} pv_route_id;

typedef struct pv_route {
    pv_route_id id;
    bool auth;            /* behind basic auth when it is on */
    char name[256];       /* {name}, "" when none */
    const char *params;   /* /function: the raw rest after {name} ("" or "/..."),
                           * pointing into the raw target given */
    const char *path;     /* a short label for metrics: "/system/functions" */
} pv_route;

/* Routes a method and the raw request target (path and query, as sent). */
void pv_route_request(const char *method, const char *target, pv_route *r);
/* The first value of query parameter key in a raw target, decoded with
 * form rules (as Go's URL.Query().Get); NULL when absent. Caller frees. */
char *pv_query_get(const char *target, const char *key);


/* ---- basic auth (http_auth.c) ---- */
/* Whether an Authorization header carries these credentials; compares in
 * time independent of where they differ. */
bool pv_basic_auth_ok(const char *authorization, const char *user, const char *password);
bool pv_const_eq(const char *a, size_t an, const char *b, size_t bn);

/* ---- configuration helpers (config.c) ---- */
/* The host of a URL, without user info and port. Caller frees. */
char *pv_url_host(const char *url);

/* ---- the server (server.c, http_server.c, http_reply.c) ---- */
struct MHD_Daemon;
struct MHD_Connection;
struct emu;

/* Counters by name (invocations per function), under their own lock. */
typedef struct pv_counters {
    pthread_mutex_t mu;
    pv_map counts;                /* decimal strings */
} pv_counters;

void pv_counters_init(pv_counters *c);
void pv_counters_add(pv_counters *c, const char *key, uint64_t n);
uint64_t pv_counters_get(pv_counters *c, const char *key);
void pv_counters_free(pv_counters *c);

/* Prometheus metrics of the API (metrics.c): provider_http_requests_total
 * and provider_http_request_duration_seconds{code,method,path}, as the SDK
 * names them, and function invocations. */
typedef struct pv_metric_row {
    char method[12], path[32];
    int code;
    uint64_t count;
    double sum;
    uint64_t buckets[11];
} pv_metric_row;

typedef struct pv_metrics {
    pthread_mutex_t mu;
    pv_metric_row *rows;
    size_t n, cap;
} pv_metrics;

void pv_metrics_init(pv_metrics *m);
void pv_metrics_observe(pv_metrics *m, const char *method, const char *path, int code, double seconds);
void pv_metrics_render(pv_metrics *m, pv_counters *calls, fl_buf *out);
void pv_metrics_free(pv_metrics *m);

/* Names in use (locks.c): deploys, updates and deletes of one function run
 * one at a time. */
typedef struct pv_locks {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pv_map held;
} pv_locks;

void pv_locks_init(pv_locks *l);
void pv_lock(pv_locks *l, const char *name);
void pv_unlock(pv_locks *l, const char *name);
void pv_locks_free(pv_locks *l);

/* Federation (federation.c). Backend 0 is this provider's Lambda. */
typedef struct pv_backend {
    char *name, *url, *host;      /* url NULL for Lambda */
    char *userpwd;                /* "user:password" for the /system calls, or NULL */
    pv_handle_pool pool;
} pv_backend;

typedef struct pv_fed {
    pv_backend *b;
    size_t n, def;                /* def: the default backend */
    pthread_mutex_t mu;
    pv_map where;                 /* "name.namespace" -> backend name, learnt */
} pv_fed;

#define PV_POOL_THREADS 64     /* /system requests and federated calls at once */
#define PV_STREAM_THREADS 64   /* log streams followed at once */

typedef struct pv_pipe_resp pv_pipe_resp;

/* One loop per CPU; each runs an HTTP server on the provider's address
 * (the loops accept from one socket) and the calls of its invokes to
 * Lambda (libcurl multi), and, embedded, the emulator's servers: an invoke
 * stays on one thread from the client to the function and back. */
typedef struct pv_loop {
    fl_loop *loop;
    struct MHD_Daemon *d;
    fl_mhd *mhd;
    fl_curlm *curlm;
    pv_aws_endpoint api;          /* embedded: Lambda at this loop's own front door */
    bool own_api;
    struct pv_server *s;
    unsigned li;
} pv_loop;

/* Every other request runs on a pool thread with its connection parked,
 * log streams on a pool of their own. */
typedef struct pv_server {
    const provider_config *cfg;
    pv_loop loops[FL_LOOPS_MAX];
    unsigned nloops;
    fl_pool *pool;                /* requests that block */
    fl_pool *streams;             /* log streams, which poll for as long as they are followed */
    pthread_mutex_t parked_mu;
    pv_pipe_resp *parked;         /* piped answers waiting for their producer, resumed at the stop */
    atomic_bool stopping;         /* new requests get 503 */
    atomic_int inflight;          /* invokes on the loop, waited for at the stop */
    char *auth_user, *auth_password;
    pv_creds *creds;
    pv_lambda lambda;
    struct emu *emu;              /* the embedded emulator, or NULL */
    bool on_aws;
    char *region;
    char *role;                   /* the default execution role */
    char *work_dir;
    char *bootstrap;
    pv_fed fed;
    pv_metrics metrics;
    pv_counters calls;
    pv_locks locks;
    pthread_mutex_t ecr_mu;       /* ECR login, cached until it expires */
    char *ecr_userpass;
    int64_t ecr_expires_ms;
} pv_server;

/* One request in progress. */
typedef struct pv_req {
    pv_server *s;
    struct MHD_Connection *c;
    char *uri;                    /* the raw target: path and query as sent */
    const char *method;
    pv_route route;
    fl_buf body;
    size_t limit;
    bool started, too_large, answered;
    uint64_t start_us;
    int status;                   /* what was answered, for the metrics */
    pv_loop *l;                   /* the loop of its connection */
    int (*work)(struct pv_req *r); /* what a pool thread answers with (the connection parked) */
    struct pv_invoke *inv;        /* an invoke on the loop (http_invoke.c) */
} pv_req;

/* Parks r's connection and runs work(r) on the pool; its answer is queued
 * from there. Returns MHD_YES. */
int pv_offload(pv_req *r, int (*work)(pv_req *r));
/* The pool's job for a parked request: r->work(r), then the resume. */
void pv_offload_job(void *ud);

int pv_server_start(pv_server *s, fl_err *err);
void pv_server_stop(pv_server *s);

/* A request header (first value), NULL if absent. */
const char *pv_header(pv_req *r, const char *name);
/* Every request header, in order. */
void pv_request_headers(pv_req *r, fl_headers *out);
/* "ip:port" of the client. */
void pv_client_addr(pv_req *r, char *out, size_t n, bool with_port);

/* Answers (http_reply.c). Each returns the MHD result to return. */
int pv_reply(pv_req *r, int status, const fl_headers *headers, fl_buf *body);
int pv_reply_text(pv_req *r, int status, const char *fmt, ...) FL_PRINTF(3, 4);
int pv_reply_json(pv_req *r, int status, cJSON *doc);
int pv_reply_proxy_error(pv_req *r, int status, const char *fmt, ...) FL_PRINTF(3, 4);
/* An answer streamed from a pipe that a producer (a thread) writes: read on
 * the loop as bytes come, the connection parked meanwhile. Takes fd. */
int pv_reply_pipe(pv_req *r, int status, const fl_headers *headers, int fd);
/* At the stop: every piped answer parked on l is resumed (on l). */
void pv_pipes_stop(pv_loop *l);

/* Handlers (http_*.c) */
int pv_h_list(pv_req *r);
int pv_h_deploy(pv_req *r, bool update);
int pv_h_delete(pv_req *r);
int pv_h_status(pv_req *r);
int pv_h_scale(pv_req *r);
int pv_h_info(pv_req *r);
int pv_h_secrets(pv_req *r);
int pv_h_logs(pv_req *r);
int pv_h_namespaces(pv_req *r);
int pv_h_namespace(pv_req *r);
/* On the loop: invokes without waiting (the connection parked until Lambda
 * answers), or hands the request to the pool (federation, credentials to
 * refresh) where pv_h_invoke_blocking does it all. */
int pv_h_invoke(pv_req *r);
int pv_h_invoke_blocking(pv_req *r);
void pv_invoke_free(pv_req *r);
int pv_h_healthz(pv_req *r);
int pv_h_metrics(pv_req *r);

/* The namespace a request names: ?namespace=, else the body's, else the
 * default. Validated; on failure the 400 is queued and -1 returned with *rc. */
int pv_request_namespace(pv_req *r, const char *from_body, char ns[PV_NAME_MAX + 1], int *rc);

/* ---- reading functions back from Lambda (status.c) ---- */
/* FunctionStatus from a GetFunction answer; -1 when it is not one of ours. */
int pv_status_from_doc(pv_server *s, const cJSON *doc, pv_status *st, fl_err *err);
/* 0 found, 1 no such function (or not ours), -1 failure. */
int pv_lambda_status(pv_server *s, const char *name, const char *ns, pv_status *st, fl_err *err);
/* Our functions in namespace ns (NULL: every namespace). */
int pv_lambda_list(pv_server *s, const char *ns, pv_status **out, size_t *n, fl_err *err);
void pv_status_list_free(pv_status *v, size_t n);
/* Namespaces our functions are in. */
int pv_lambda_namespaces(pv_server *s, pv_map *out, fl_err *err);

/* ---- deploy (deploy_plan.c, deploy_pack.c, deploy.c) ---- */
#define PV_ANN_TIMEOUT "com.openfaas.lambda.timeout"
#define PV_ANN_ARCH "com.openfaas.lambda.architecture"
#define PV_ANN_PACKAGE "com.openfaas.lambda.package"
#define PV_ANN_ROLE "com.openfaas.lambda.role"
#define PV_ANN_LAYERS "com.openfaas.lambda.layers"
#define PV_ANN_GATEWAY "com.openfaas.federation.gateway"
#define PV_DEFAULT_ROLE "arn:aws:iam::000000000000:role/faas-lambda"

typedef enum pv_package { PV_PKG_AUTO, PV_PKG_ZIP, PV_PKG_IMAGE } pv_package;

/* Everything a deployment becomes on Lambda, checked before anything is
 * packed or called, so a bad deployment gets its 400 at once. */
typedef struct pv_plan {
    char name[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    char lname[PV_LAMBDA_NAME_MAX + 1];
    char *source;                 /* docker://IMAGE */
    unsigned memory_mb, timeout_s;
    bool memory_raised;
    char *arch;                   /* NULL: the image's */
    pv_package package;
    char *role;
    char **layers;                /* NULL-terminated or NULL */
    cJSON *env;                   /* Environment.Variables (an object) */
    pv_map tags;
} pv_plan;

typedef struct pv_plan_defaults {
    const char *ns;               /* function_namespace */
    const char *role;             /* NULL: none (AWS without --role) */
    unsigned memory_mb, timeout_s;
    bool have_image_repository;
} pv_plan_defaults;

/* 0, or -1 with a message for a 400. d->namespace may be NULL. */
int pv_plan_make(const pv_deployment *d, const pv_plan_defaults *def, pv_plan *p, fl_err *err);
void pv_plan_free(pv_plan *p);
bool pv_role_arn_valid(const char *s);
bool pv_layer_arn_valid(const char *s);
bool pv_env_name_valid(const char *s);

/* Packs p->source: a zip (read into *zip), or an image pushed to the
 * image repository (*image_uri: REPO@DIGEST). Switches an AUTO package to
 * an image when the zip is over Lambda's 50 MB. -1 with *status (400, 500). */
int pv_pack(pv_server *s, const pv_deployment *d, pv_plan *p, fl_buf *zip, char **image_uri, char **arch_out,
            int *status, fl_err *err);

/* POST (update false) or PUT (update true) of a deployment on Lambda: 0 and
 * *status (202, 200), or -1 with *status (400, 404, 409, 500) and err. */
int pv_deploy(pv_server *s, const pv_deployment *d, bool update, int *status, fl_err *err);
/* DeleteFunction: 0 deleted, 1 no such function, -1 failure. */
int pv_delete(pv_server *s, const char *name, const char *ns, fl_err *err);
/* Reserved concurrency 0 for replicas 0, none otherwise: 0, 1 (no such
 * function), -1. */
int pv_scale(pv_server *s, const char *name, const char *ns, uint64_t replicas, fl_err *err);

/* ---- federation (federation.c, federation_forward.c) ---- */
/* Set on every request forwarded to a backend: a provider receiving it
 * answers from its own Lambda only, so backends federating back (a cycle)
 * cannot send a request round forever. */
#define PV_FED_HOP_HEADER "X-Faas-Lambda-Forwarded"
int pv_fed_init(pv_server *s, fl_err *err);
void pv_fed_free(pv_fed *f);
bool pv_fed_enabled(const pv_fed *f);
/* The backend a deployment goes to: the annotation com.openfaas.federation.gateway
 * names a backend (its name, or its URL's host, case-insensitively, as
 * faas-federation matched); none or no match: the default. */
size_t pv_fed_pick(const pv_fed *f, const pv_map *annotations);
/* Whether the request in progress may be sent to other backends (federation
 * on, and the request was not forwarded here by one). */
bool pv_req_federates(pv_req *r);
/* Where NAME.NS lives: 0 and *idx; 1 nowhere; -1 failure. Learnt answers are
 * remembered. Without federation (or for a forwarded request): backend 0. */
int pv_fed_locate(pv_req *r, const char *name, const char *ns, size_t *idx, fl_err *err);
void pv_fed_remember(pv_fed *f, const char *name, const char *ns, size_t idx);
void pv_fed_forget(pv_fed *f, const char *name, const char *ns);
/* One call to a remote backend: target is path and query. /system calls
 * carry the backend's credentials. */
int pv_fed_call(pv_server *s, size_t idx, const char *method, const char *target, const fl_headers *headers,
                const void *body, size_t len, long timeout_ms, fl_http_resp *resp, fl_err *err);
/* Forwards the request in progress to a remote backend and answers with
 * what it answered (502 when it cannot be reached). target: path and query;
 * body: the request's (or another). */
int pv_fed_forward(pv_req *r, size_t idx, const char *target, const void *body, size_t len, long timeout_ms);
/* Forwards a streamed answer (logs with follow): 200 at once, then the bytes. */
int pv_fed_forward_stream(pv_req *r, size_t idx, const char *target);

#endif
