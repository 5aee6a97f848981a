/* bootstrap: the Lambda custom runtime that runs an OpenFaaS watchdog.
 *
 * Init: read configuration (faas-lambda.json, then FAAS_LAMBDA_* / AWS_LWA_*),
 * create relocation links, register an internal extension (so Lambda delivers
 * SIGTERM), start the watchdog and wait until its health check passes.
 * Loop: GET /next, turn the event into an HTTP request (shim), forward it to
 * the watchdog, turn the answer into the Lambda response, POST it.
 *
 * Error types this runtime reports (all match (Runtime|Function)\.[A-Z][a-zA-Z]+):
 *   Runtime.InvalidConfiguration  a FAAS_LAMBDA_* / AWS_LWA_* value or name is wrong (init)
 *   Runtime.InvalidManifest       faas-lambda.json is unreadable or invalid (init)
 *   Runtime.InvalidEntrypoint     the watchdog program cannot be executed (init)
 *   Runtime.WatchdogNotReady      the health check did not pass within the init limit (init)
 *   Runtime.WatchdogExited        the watchdog exited (init or invoke), with its status
 *   Runtime.WatchdogTimeout       no answer before the invoke's deadline
 *   Runtime.WatchdogUnreachable   the watchdog runs but refused or dropped the request
 *   Runtime.InvalidWatchdogResponse  the watchdog's answer is not valid HTTP
 *   Runtime.InvalidEvent          the event is malformed (bad JSON, bad base64 body)
 *   Function.ResponseSizeTooLarge the response exceeds Lambda's 6 MB buffered limit
 *   Function.ErrorStatus          the status is in FAAS_LAMBDA_ERROR_STATUS_CODES
 *
 * Watchdog exits: the in-flight invoke gets Runtime.WatchdogExited; the
 * watchdog is restarted before the next invoke is taken, with a backoff that
 * grows (100 ms, doubling to 3.2 s) while restarts keep failing; after 5
 * consecutive failed restarts the bootstrap exits so that Lambda replaces the
 * sandbox. */
#ifndef FL_BOOTSTRAP_H
#define FL_BOOTSTRAP_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/common.h"
#include "shim/shim.h"

#define BOOT_MAX_EVENT (6u * 1024 * 1024 + 1024 * 1024) /* 6 MB payload + headroom */
#define BOOT_MAX_BUFFERED_RESPONSE (6u * 1024 * 1024)   /* Lambda's buffered limit */
#define BOOT_MAX_HEADER_BYTES (1000u * 1000)             /* under libcurl's 1 MiB request head */
#define BOOT_KEEP_BUFFER (2u * 1024 * 1024)              /* larger buffers are freed after an invoke */
#define BOOT_TAIL_BYTES 2048                            /* watchdog stderr kept for init errors */

typedef struct boot_config {
    /* the watchdog */
    char **argv;          /* NULL-terminated, argv[0] an absolute path or a name to find on PATH */
    char **env;           /* NULL-terminated, complete environment of the watchdog */
    char *workdir;
    fl_link *links;       /* relocation links to create under /tmp */
    size_t nlinks;
    /* readiness */
    int port;
    int readiness_port;
    char *health_path;
    bool tcp_readiness;
    fl_status_set healthy;
    bool async_init;
    uint64_t init_timeout_ms;
    uint64_t shutdown_ms;
    /* invokes */
    bool streaming;
    shim_options shim;
    char *pass_through_path;
    char *remove_base_path;
    /* Lambda's environment */
    char *runtime_api;    /* host:port */
} boot_config;

/* config.c: loads the manifest and the variables. On failure, err names the
 * problem and *error_type the Lambda error type to report. */
int boot_config_load(boot_config *cfg, const char **error_type, fl_err *err);
void boot_config_free(boot_config *cfg);

/* runtime.c: the Runtime API client. One HTTP/1.1 connection, reused. */
typedef struct boot_invoke {
    char request_id[128];
    uint64_t deadline_ms;
    char *function_arn;
    char *trace_id;
    char *client_context;
    char *cognito_identity;
    char *tenant_id;
    fl_buf event;
} boot_invoke;

typedef struct boot_runtime boot_runtime;
boot_runtime *boot_runtime_new(const char *api);
void boot_runtime_free(boot_runtime *rt);
/* GET /next into inv, which is reused from invoke to invoke (its event buffer
 * keeps its memory); blocks without a timeout. Returns -1 when the Runtime
 * API is gone (the caller exits), after bounded retries of transient failures. */
int boot_runtime_next(boot_runtime *rt, boot_invoke *inv, fl_err *err);
/* POST /response with a complete payload. */
int boot_runtime_respond(boot_runtime *rt, const char *request_id, const char *content_type,
                         const fl_buf *payload, fl_err *err);
/* POST /error (request_id) or /init/error (request_id NULL). */
int boot_runtime_error(boot_runtime *rt, const char *request_id, const char *error_type,
                       const char *message, fl_err *err);
/* The same, with a prepared error document (from the shim). */
int boot_runtime_error_doc(boot_runtime *rt, const char *request_id, const char *error_type,
                           const fl_buf *doc, fl_err *err);
/* Drops one invoke's data but keeps the event buffer's memory. */
void boot_invoke_clear(boot_invoke *inv);
void boot_invoke_free(boot_invoke *inv);
/* Base URL of the Runtime API, e.g. "http://127.0.0.1:9001/2018-06-01". */
const char *boot_runtime_base(const boot_runtime *rt);

/* extension.c: registers an internal extension with no events and parks a
 * thread on /extension/event/next, so that Lambda sends SIGTERM at shutdown. */
int boot_extension_start(const char *api, fl_err *err);

/* watchdog.c: the child process and its logs. */
typedef struct boot_watchdog boot_watchdog;
boot_watchdog *boot_watchdog_new(const boot_config *cfg);
void boot_watchdog_free(boot_watchdog *wd);
/* Creates the relocation links and starts the watchdog. */
int boot_watchdog_start(boot_watchdog *wd, const char **error_type, fl_err *err);
/* True when the watchdog has exited; *status gets a description
 * ("exit status 3", "killed by signal 9"). Reaps the child. */
bool boot_watchdog_exited(boot_watchdog *wd, char *status, size_t status_len);
pid_t boot_watchdog_pid(const boot_watchdog *wd);
/* Copies the last bytes the watchdog wrote to stderr. */
void boot_watchdog_tail(boot_watchdog *wd, char *out, size_t out_len);
/* SIGTERM, then SIGKILL to the process group after budget_ms. */
void boot_watchdog_stop(boot_watchdog *wd, uint64_t budget_ms);

/* readiness.c: polls the health check. Returns 1 ready, 0 timed out, -1 the
 * watchdog exited (status filled). */
int boot_wait_ready(const boot_config *cfg, boot_watchdog *wd, uint64_t until_mono_us, char *status,
                    size_t status_len);

/* forward.c / stream.c: one invoke, start to posted response. Return 0 when
 * the runtime may go on, -1 when it must exit (the Runtime API failed). */
typedef struct boot_forwarder boot_forwarder;
boot_forwarder *boot_forwarder_new(const boot_config *cfg, boot_runtime *rt, boot_watchdog *wd);
void boot_forwarder_free(boot_forwarder *fw);
int boot_forward(boot_forwarder *fw, const boot_invoke *inv);
/* Frees b when it grew over BOOT_KEEP_BUFFER. */
void boot_buf_trim(fl_buf *b);
/* Whether the watchdog passed its health check (set by init). */
void boot_forwarder_set_ready(boot_forwarder *fw, bool ready);
/* After a failed call: notes whether the watchdog is gone. */
void boot_forwarder_lost(boot_forwarder *fw);

/* Internal to forward.c and stream.c. */
typedef struct boot_request {
    shim_kind kind;
    shim_request req;
    fl_headers out_headers; /* request headers as sent to the watchdog */
    char *url;
} boot_request;
/* br: zeroed, or used before (its body's allocation is reused). */
int boot_prepare_request(const boot_config *cfg, const boot_invoke *inv, boot_request *br, fl_err *err);
void boot_request_reset(boot_request *br); /* frees all but the body's allocation */
void boot_request_free(boot_request *br);
/* stream.c: the streamed variant of the watchdog call and /response. */
typedef struct boot_streamer boot_streamer;
boot_streamer *boot_streamer_new(void);
void boot_streamer_free(boot_streamer *st);
int boot_stream_invoke(boot_streamer *st, const boot_config *cfg, boot_runtime *rt, boot_watchdog *wd,
                       const boot_invoke *inv, boot_request *br, long timeout_ms);
/* Shared failure reporting: maps a failed watchdog call to an error type. */
const char *boot_classify_failure(boot_watchdog *wd, int curl_code, bool got_status, char *msg, size_t msg_len);

#endif
