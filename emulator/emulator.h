/* emulator: a local AWS Lambda, for the AWS CLI and SDKs (--endpoint-url).
 *
 * One HTTP server on a loopback address (front.c) serves:
 *   - the Lambda REST API (2015-03-31 and friends, shapes from botocore's
 *     lambda/2015-03-31/service-2.json): functions (zip or container image),
 *     Invoke (RequestResponse, Event, DryRun), InvokeWithResponseStream (AWS
 *     event stream encoding), layers, reserved concurrency, tags, account
 *     settings, Function URL configs; errors in AWS's shape;
 *   - a CloudWatch Logs subset (POST / with X-Amz-Target: Logs_20140328.*):
 *     FilterLogEvents, GetLogEvents, DescribeLogGroups/-Streams, for the
 *     functions' logs (/aws/lambda/NAME, a stream per sandbox, in memory,
 *     bounded per group);
 *   - the functions' URLs, by host name (ID.lambda-url.REGION.localhost:PORT,
 *     e.g. curl --resolve or a Host header) and by path
 *     (http://127.0.0.1:PORT/lambda-url/NAME/...), buffered or streamed.
 * SigV4 signatures are accepted as they come, or checked (auth "strict").
 *
 * Objects (internal.h):
 *   emu           the service: settings, the state directory, the registry
 *                 of functions (emu_entry: record + runtime) and layers
 *   emu_fn_record a function's configuration as CreateFunction and the
 *                 updates set it; persisted in functions/NAME.json
 *   emu_function  a runtime: one configuration's pool of sandboxes, a queue
 *                 of invokes and a controller thread (cold starts, deadlines,
 *                 stopping idle ones, reaping); replaced when the configuration
 *                 changes
 *   emu_sandbox   one bwrap process tree, its cgroups, its Runtime/Extensions
 *                 API server (inside its network namespace at 127.0.0.1:9001)
 *                 and its stdout/stderr, read by the loop it is bound to
 *   emu_invoke    request id, payload, deadline, result and log tail; shared
 *                 by reference count between the caller and the sandbox
 *
 * Threads: one event loop per CPU runs the HTTP servers (the front door,
 * every sandbox's Runtime API) and reads the sandboxes' pipes; an invoke and
 * its runtime's /next and /response meet on one loop (the sandbox's), so no
 * thread is woken between them. Requests that wait park their connection;
 * the operations that block (state files, zips, images) run on a pool.
 *
 * State: one directory (default $XDG_DATA_HOME/faas-lambda/emulator), every
 * file written to a temporary name, fsynced and renamed; code and images by
 * content (store.c). A restart brings every function and layer back.
 *
 * Sandboxes: the host's root read-only (or a container image's tree), the
 * code at /var/task, layers merged at /opt, a private /tmp of the ephemeral
 * size, no network but its own loopback, Lambda's environment. Per sandbox a
 * memory cgroup (the function's memory; Max Memory Used from its peak), a
 * pids limit and a freezer (cgroup v1 or v2; SIGSTOP and RLIMIT_DATA where
 * no cgroup is writable). A pool per function: concurrent invokes get
 * separate sandboxes, idle ones are frozen and, after a while, stopped.
 *
 * Not yet: versions and aliases (only $LATEST), S3 code locations, external
 * extensions (/opt/extensions), the Logs and Telemetry APIs inside the
 * sandbox, SnapStart, event source mappings and destinations.
 *
 * Privileges.
 *   As root: bwrap creates the PID/IPC/UTS/network/mount namespaces itself;
 *   the emulator enters the sandbox's network namespace from a short-lived
 *   thread (setns(CLONE_NEWNET) needs CAP_SYS_ADMIN) to create the Runtime
 *   API's listening socket there; cgroups are made under the emulator's own.
 *   Unprivileged: needs a kernel that allows unprivileged user namespaces
 *   (user.max_user_namespaces > 0, kernel.unprivileged_userns_clone = 1 where
 *   that knob exists, no AppArmor userns restriction for bwrap). bwrap then
 *   adds a user namespace, which owns the network namespace; a multithreaded
 *   process cannot join a user namespace, so the emulator forks a helper that
 *   joins the user namespace, then the network namespace, creates the socket
 *   and passes it back over a Unix socket (SCM_RIGHTS). The function runs as
 *   the caller's uid. Without writable cgroups, idle sandboxes are stopped
 *   with SIGSTOP, memory is capped by RLIMIT_DATA and measured from /proc of
 *   the caller's own processes. A setuid bwrap is not supported. */
#ifndef FL_EMULATOR_H
#define FL_EMULATOR_H

#include "common/common.h"

#define EMU_TIMEOUT_DEFAULT 3     /* seconds, Lambda's default */
#define EMU_TIMEOUT_MAX 900
#define EMU_MEMORY_DEFAULT 128    /* MB */
#define EMU_MEMORY_MIN 128
#define EMU_MEMORY_MAX 10240
#define EMU_ENV_MAX_BYTES 4096    /* Lambda: all variables together */
#define EMU_LISTEN_DEFAULT "127.0.0.1:9000"
#define EMU_REGION_DEFAULT "us-east-1"
#define EMU_HANDLER_DEFAULT "function.handler"
#define EMU_NAME_DEFAULT "function"

typedef struct emu_function_config {
    const char *name;           /* [A-Za-z0-9_-]{1,64} */
    const char *task_root;      /* host directory, read-only at /var/task */
    const char *opt_dir;        /* host directory, read-only at /opt; NULL: empty /opt */
    const char *handler;        /* _HANDLER */
    const char *const *env;     /* "K=V" set by the user; NULL-terminated, may be NULL */
    unsigned timeout_s;         /* 1..EMU_TIMEOUT_MAX */
    unsigned memory_mb;         /* EMU_MEMORY_MIN..EMU_MEMORY_MAX */
} emu_function_config;

typedef struct emu_config {
    const char *listen;         /* "127.0.0.1:PORT" or "[::1]:PORT"; loopback only */
    const char *region;         /* AWS_REGION of the sandboxes and the ARNs */
    const char *state_dir;      /* NULL: the default (emu_default_state_dir), or with
                                 * function.task_root a temporary one removed at the end */
    /* --task-root mode: one function from host directories, kept in memory
     * (not in the state directory); task_root NULL: none */
    emu_function_config function;
    unsigned concurrency_limit; /* the account's concurrent executions; 0: default */
    unsigned idle_timeout_ms;   /* an idle sandbox is stopped after this; 0: default */
    unsigned freeze_after_ms;   /* an idle sandbox is frozen after this; 0: default */
    unsigned init_timeout_ms;   /* init limit (Lambda: 10 s); 0: default */
    unsigned async_retry_ms[2]; /* delays before an Event invoke's 2 retries; 0: default */
    unsigned state_delay_ms;    /* how long State stays Pending, LastUpdateStatus InProgress */
    const char *cgroups;        /* "auto" (NULL), "v1", "v2" or "none" */
    const char *runtime_root;   /* the root filesystem of zip functions' sandboxes instead of the
                                 * host's (a stand-in for Lambda's provided.* base); NULL: the host's */
    const char *auth;           /* "none" (NULL): any signature; "strict": SigV4 checked */
    const char *access_key, *secret_key; /* for "strict" */
    unsigned log_retention_kb;  /* per log group (function); 0: default */
    bool quiet_function_logs;   /* do not copy function output to stderr */
    fl_loop *const *loops;      /* the event loops to run the servers on (running, and outliving
                                 * the emulator), nloops of them; NULL: its own, one per CPU */
    unsigned nloops;
} emu_config;

#define EMU_CONCURRENCY_DEFAULT 10
#define EMU_IDLE_TIMEOUT_DEFAULT_MS 600000u
#define EMU_FREEZE_AFTER_DEFAULT_MS 50u
#define EMU_INIT_TIMEOUT_DEFAULT_MS 10000u
#define EMU_ASYNC_RETRY1_DEFAULT_MS 60000u
#define EMU_ASYNC_RETRY2_DEFAULT_MS 120000u
#define EMU_LOG_RETENTION_DEFAULT_KB 4096u

typedef struct emu emu;

/* Checks a configuration without starting anything: names, directories,
 * loopback address, environment (reserved keys, 4 KB), limits, bwrap,
 * credentials for strict authentication. */
int emu_config_check(const emu_config *cfg, fl_err *err);

/* Opens the state directory (functions and layers of earlier runs come
 * back), and starts the front door. No sandbox starts until an invoke needs
 * one (a cold start, as on Lambda). */
int emu_start(const emu_config *cfg, emu **out, fl_err *err);

/* "http://127.0.0.1:9000": where the Invoke API listens (the real port when
 * the configuration asked for port 0). */
const char *emu_url(const emu *e);
/* The address of loop i's own front door: a client that runs on the
 * embedder's loop i (cfg.loops) and calls it there stays on that thread. */
const char *emu_loop_url(const emu *e, unsigned i);

/* The state directory in use. */
const char *emu_state_dir(const emu *e);

/* Shuts down as Lambda does: pending invokes fail, a runtime that registered
 * an extension gets SIGTERM and 500 ms, then everything gets SIGKILL. Frees e. */
void emu_stop(emu *e);


/* ---- SigV4 verification (sigv4_verify.c), for any server of the project ----
 * The request as received: method, the raw path and query of the request
 * line (percent-encoded as sent), every header in order, the body. */
typedef struct emu_sigv4_request {
    const char *method;
    const char *path;           /* without the query */
    const char *query;          /* without '?'; NULL or "" when none */
    const fl_headers *headers;
    const void *body;
    size_t body_len;
} emu_sigv4_request;

typedef struct emu_sigv4_creds {
    const char *access_key, *secret_key;
    const char *region, *service; /* the scope a request must be signed for */
    long long now_s;            /* the clock (Unix seconds); 0: no skew check */
} emu_sigv4_creds;

typedef struct emu_sigv4_result {
    int status;                 /* on failure: 400 or 403 */
    char type[64];              /* x-amzn-ErrorType: IncompleteSignatureException, ... */
    char message[2048];
    fl_buf creq, sts;           /* the canonical request and string to sign computed */
} emu_sigv4_result;

/* 0 when the Authorization header is a valid signature of the request by
 * the credentials, within 15 minutes of now; -1 with AWS's error in res.
 * res->creq and res->sts are filled whenever the request got that far. */
int emu_sigv4_verify(const emu_sigv4_request *r, const emu_sigv4_creds *c, emu_sigv4_result *res);
void emu_sigv4_result_free(emu_sigv4_result *res);

typedef struct emu_sigv4_auth {
    char access_key[128], date[9], region[64], service[64];
    char signed_headers[1024];
    char signature[128];
    bool has_credential, has_signed_headers, has_signature, terminator_ok;
} emu_sigv4_auth;
/* "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=HEX": 0; -1 not SigV4 or malformed; -2 a
 * part missing (the has_ flags say which); -3 a bad Credential; -4 bad
 * SignedHeaders. */
int emu_sigv4_parse_authorization(const char *value, emu_sigv4_auth *a);
/* The pieces, for tests against the AWS suite. */
void emu_sigv4_canonical_request(const emu_sigv4_request *r, const char *signed_headers, const char *payload_hash,
                                 fl_buf *out);
void emu_sigv4_string_to_sign(const char *amz_date, const char *scope, const char *creq, size_t n, fl_buf *out);
void emu_sigv4_signature(const char *secret, const char *date, const char *region, const char *service,
                         const char *sts, size_t n, char hex[65]);
void emu_sigv4_payload_hash(const void *body, size_t len, char hex[65]);

#endif
