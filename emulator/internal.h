/* emulator internals: the objects and the functions the emulator's files
 * share. Not a public header: components use emulator.h.
 *
 * Locking: one mutex per function (fn->mu) guards the function's queue, its
 * sandbox's state (current invoke, extensions, flags) and every invoke's state
 * and result. fn->cond is broadcast on any change; waiters re-check their
 * condition. The log reader of a sandbox has its own mutex (sync protocol
 * only) and never holds it together with fn->mu. Threads never block on
 * the outside world (a pipe, a socket, a process) while holding fn->mu. */
#ifndef FL_EMULATOR_INTERNAL_H
#define FL_EMULATOR_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/common.h"
#include "emulator/emulator.h"

struct MHD_Daemon;
struct MHD_Connection;

/* ---- limits and constants (lambda-runtime.md §1.4, §1.5, §3.4) ---- */
#define EMU_INVOKE_PAYLOAD_MAX 6291456u   /* Invoke API request body */
#define EMU_RESPONSE_MAX 6291556u         /* buffered response: RIE's 6 MiB + 100 B */
#define EMU_STREAM_MAX (200u << 20)       /* streamed response */
#define EMU_CLIENT_CONTEXT_MAX 3583u      /* base64 bytes of X-Amz-Client-Context */
#define EMU_INIT_TIMEOUT_US 10000000u     /* init: start to first /next */
#define EMU_SHUTDOWN_GRACE_US 500000u     /* SIGTERM to SIGKILL, internal extension */
#define EMU_INIT_ERROR_GRACE_US 500000u   /* after /init/error, before SIGKILL */
#define EMU_LOG_TAIL 4096u                /* X-Amz-Log-Result: last 4 KB */
#define EMU_LOG_LINE_MAX (256u << 10)     /* longer lines are split */
#define EMU_RAPI_PORT 9001
#define EMU_RAPI_HOST "127.0.0.1"
#define EMU_ACCOUNT "000000000000"
#define EMU_VERSION "$LATEST"
#define EMU_MAX_EXTENSIONS 10
#define EMU_EXT_EVENTS_MAX 100            /* undelivered events kept per extension */
#define EMU_QUEUE_MAX 64                  /* invokes waiting for the sandbox */
#define EMU_ID_MAX 65                     /* request ids: 1..64 of [A-Za-z0-9-] */
#define EMU_UUID_LEN 36
#define EMU_TRACE_MAX 256
#define EMU_ERROR_TYPE_MAX 128
#define EMU_SMALL_BODY_MAX (64u << 10)    /* /extension/register */
#define EMU_ERROR_BODY_MAX (1u << 20)     /* init/error and extension error reports */

/* ---- string vectors (argv, envp): always NULL-terminated once non-empty ---- */
typedef struct emu_strv {
    char **v;
    size_t n, cap;
} emu_strv;

void emu_strv_push(emu_strv *s, const char *str);
void emu_strv_pushf(emu_strv *s, const char *fmt, ...) FL_PRINTF(2, 3);
void emu_strv_free(emu_strv *s);

/* ---- configuration (config.c, env.c) ---- */
typedef struct emu_fn_conf {
    char *name, *task_root, *opt_dir, *handler, *region, *arn;
    emu_strv env;               /* the user's "K=V", in order, duplicates resolved */
    unsigned timeout_s, memory_mb;
} emu_fn_conf;

bool emu_name_valid(const char *name);
/* "127.0.0.1:9000" / "[::1]:9000" -> address; refuses non-loopback hosts. */
int emu_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned *sslen, fl_err *err);
/* Each "K=V": a valid name, not reserved by Lambda, 4 KB in total. */
int emu_env_check(const char *const *env, fl_err *err);
bool emu_env_reserved(const char *key, size_t keylen);
/* Exactly the environment Lambda gives a custom runtime (§1.6), then the
 * user's variables, which may replace the unreserved defaults. */
void emu_env_build(const emu_fn_conf *c, const char *log_stream, emu_strv *env);
int emu_fn_conf_init(emu_fn_conf *c, const emu_function_config *in, const char *region, fl_err *err);
void emu_fn_conf_free(emu_fn_conf *c);
/* The full path of bwrap on PATH, or NULL. Caller frees. */
char *emu_find_bwrap(void);

/* ---- ids (ids.c) ---- */
void emu_format_uuid(const uint8_t b[16], char out[EMU_UUID_LEN + 1]);
void emu_format_trace_id(uint32_t epoch_s, const uint8_t root[12], const uint8_t parent[8],
                         char out[EMU_TRACE_MAX]);
void emu_new_uuid(char out[EMU_UUID_LEN + 1]);
void emu_new_trace_id(char out[EMU_TRACE_MAX]);
bool emu_is_uuid(const char *s);
/* 1..64 of [A-Za-z0-9-]: what a request id in a Runtime API path may be. */
bool emu_request_id_valid(const char *s, size_t n);
/* "2026/11/26/[$LATEST]" + 32 hex */
void emu_new_log_stream(char out[96]);

/* ---- JSON (json.c) ---- */
/* One JSON value and nothing but whitespace after it; NULL otherwise. */
cJSON *emu_json_parse_exact(const char *s, size_t len);

/* ---- errors (errors.c) ---- */
bool emu_error_type_valid(const char *t);
/* The rule (Runtime|Function)\.[A-Z][a-zA-Z]+, else Function.Unknown for a
 * "Function." prefix and Runtime.Unknown for anything else (NULL included). */
void emu_error_type_normalize(const char *t, char out[EMU_ERROR_TYPE_MAX]);
/* Same for extensions: Extension\.[A-Z][a-zA-Z]+ else Extension.Unknown. */
void emu_ext_error_type_normalize(const char *t, char out[EMU_ERROR_TYPE_MAX]);
/* {"errorMessage":msg,"errorType":type} */
void emu_error_doc(fl_buf *out, const char *type, const char *msg);
/* The body a caller sees for an error a runtime posted: the body itself when
 * it is a JSON object with a string errorType (without "errorCause", which
 * goes to X-Ray), else one built from the error-type header. Sets type_out to
 * the normalized header type. */
void emu_error_from_runtime(const char *type_header, const char *body, size_t len, fl_buf *out,
                            char type_out[EMU_ERROR_TYPE_MAX]);
/* How a runtime process ended, as Lambda words it: "Runtime exited without
 * providing a reason", "Runtime exited with error: exit status 3",
 * "Runtime exited with error: signal: killed". wstatus is bwrap's wait status
 * (bwrap exits 128+N when the runtime died of signal N). */
void emu_exit_reason(int wstatus, char *out, size_t n);
/* AWS REST error body: {"Type":"User","message":...} */
void emu_aws_error_body(fl_buf *out, bool service, const char *msg);

/* ---- routes (routes.c): pure parsing of request lines ---- */
typedef enum emu_front_route {
    EMU_FRONT_UNKNOWN,
    EMU_FRONT_INVOKE,
} emu_front_route;

#define EMU_FN_REF_MAX 256
/* POST /2015-03-31/functions/{ref}/invocations. ref is copied to ref_out. */
emu_front_route emu_route_front(const char *method, const char *url, char ref_out[EMU_FN_REF_MAX]);

typedef struct emu_fn_ref {
    char name[EMU_FN_REF_MAX];
    char qualifier[EMU_FN_REF_MAX];   /* "" when none */
    char region[64];                  /* "" unless an ARN */
    char account[16];                 /* "" unless an ARN or partial ARN */
} emu_fn_ref;
/* NAME, NAME:QUALIFIER, ACCOUNT:function:NAME[:Q], arn:aws:lambda:REGION:ACCOUNT:function:NAME[:Q] */
int emu_parse_fn_ref(const char *ref, emu_fn_ref *out);

typedef enum emu_rapi_route {
    EMU_RAPI_NOT_FOUND,
    EMU_RAPI_BAD_METHOD,
    EMU_RAPI_BAD_ID,
    EMU_RAPI_NEXT,
    EMU_RAPI_RESPONSE,
    EMU_RAPI_ERROR,
    EMU_RAPI_INIT_ERROR,
    EMU_RAPI_EXT_REGISTER,
    EMU_RAPI_EXT_NEXT,
    EMU_RAPI_EXT_INIT_ERROR,
    EMU_RAPI_EXT_EXIT_ERROR,
} emu_rapi_route;
emu_rapi_route emu_route_rapi(const char *method, const char *url, char id_out[EMU_ID_MAX]);

/* ---- lines and log tails (linebuf.c): pure ---- */
typedef void (*emu_line_fn)(void *ud, const char *line, size_t n);
typedef struct emu_linebuf {
    fl_buf pending;
} emu_linebuf;
/* Calls fn for each complete line (without its '\n'); a line longer than
 * max is cut into pieces of max bytes. */
void emu_linebuf_feed(emu_linebuf *lb, const char *data, size_t n, size_t max, emu_line_fn fn, void *ud);
/* Emits a pending partial line, if any. */
void emu_linebuf_flush(emu_linebuf *lb, emu_line_fn fn, void *ud);
void emu_linebuf_free(emu_linebuf *lb);
/* Appends line + '\n' to tail, keeping at least the last keep bytes (and at
 * most 2 * keep, to move memory rarely). */
void emu_tail_append(fl_buf *tail, const char *line, size_t n, size_t keep);
/* The last (at most) keep bytes of tail. */
void emu_tail_last(const fl_buf *tail, size_t keep, const char **p, size_t *n);

/* ---- invokes (invoke.c) ---- */
typedef enum emu_invoke_state {
    EMU_INV_QUEUED,       /* waiting for a sandbox's /next */
    EMU_INV_RUNNING,      /* handed to the runtime; deadline runs */
    EMU_INV_RESPONDING,   /* the runtime is posting its response */
    EMU_INV_FINISHING,    /* result known; logs being flushed */
    EMU_INV_DONE,
} emu_invoke_state;

typedef enum emu_result_kind {
    EMU_RES_OK,           /* the payload the runtime posted */
    EMU_RES_ERROR,        /* a function error: X-Amz-Function-Error: Unhandled */
    EMU_RES_SERVICE,      /* the emulator failed: 500 ServiceException */
} emu_result_kind;

typedef struct emu_invoke {
    atomic_int refs;
    char id[EMU_UUID_LEN + 1];
    char trace_id[EMU_TRACE_MAX];
    fl_buf payload;
    char *client_context;         /* compact JSON or NULL */
    /* under fn->mu: */
    emu_invoke_state state;
    uint64_t start_us, deadline_us; /* monotonic, from dispatch */
    uint64_t deadline_ms;           /* epoch ms, Lambda-Runtime-Deadline-Ms */
    emu_result_kind kind;
    char error_type[EMU_ERROR_TYPE_MAX]; /* for REPORT's Status; "" when OK */
    fl_buf result;                /* payload, error document or service message */
    fl_buf log_tail;
    struct emu_invoke *next;      /* function queue link */
} emu_invoke;

emu_invoke *emu_invoke_new(fl_buf *payload, char *client_context, const char *trace_id);
emu_invoke *emu_invoke_ref(emu_invoke *inv);
void emu_invoke_unref(emu_invoke *inv);
/* Sets the result (moves body). */
void emu_invoke_set_result(emu_invoke *inv, emu_result_kind kind, const char *error_type, fl_buf *body);

/* ---- extensions registered in a sandbox (extensions_api.c) ---- */
typedef struct emu_ext_event {
    char *json;
    struct emu_ext_event *next;
} emu_ext_event;

typedef struct emu_extension {
    char id[EMU_UUID_LEN + 1];
    char *name;
    bool want_invoke;
    emu_ext_event *head, *tail;
    size_t nevents;
} emu_extension;

/* ---- sandboxes (sandbox.c, bwrap.c, netns.c, logs.c) ---- */
typedef struct emu_function emu_function;

typedef struct emu_sandbox {
    emu_function *fn;
    unsigned seq;                 /* 1, 2, ... per function, for log lines */
    pid_t bwrap_pid;              /* our child */
    int pidfd;                    /* readable once bwrap has exited */
    pid_t ns_pid;                 /* pid 1 of the sandbox's PID namespace */
    int ns_pidfd;                 /* signals go through it: no pid reuse races */
    char pidns[64];               /* its /proc/PID/ns/pid link, to find its processes */
    int block_fd;                 /* bwrap waits for a byte here before exec */
    struct MHD_Daemon *rapi;
    char log_stream[96];
    uint64_t spawn_us;
    /* under fn->mu: */
    bool initialized;             /* the runtime has called /next */
    bool cold;                    /* the next REPORT carries Init Duration */
    double init_ms;
    bool doomed;                  /* init failed: no dispatch; killed at kill_at_us */
    uint64_t kill_at_us;
    uint64_t busy_until_us;       /* after a response: the runtime must call /next by then */
    bool killed;                  /* we sent SIGKILL */
    bool closing;                 /* being torn down: blocked handlers return */
    bool exited;
    int wait_status;
    int next_waiters;             /* /next calls blocked in the Runtime API */
    emu_invoke *current;          /* dispatched, not yet finished (a reference) */
    emu_invoke *log_target;       /* where output lines go besides stderr (a reference) */
    char last_id[EMU_UUID_LEN + 1];
    emu_extension ext[EMU_MAX_EXTENSIONS];
    size_t next_ext;
    unsigned peak_mem_mb;
    /* log reader (logs.c) */
    int out_fd, err_fd;           /* owned by the reader thread once it runs */
    int log_wake;                 /* eventfd: sync or stop */
    pthread_t log_thread;
    bool log_started;
    pthread_mutex_t log_mu;
    pthread_cond_t log_cond;
    uint64_t sync_req, sync_ack;
    bool log_stop, log_done;
} emu_sandbox;

/* Starts bwrap (held before exec), the Runtime API inside its network
 * namespace and the log reader. target (may be NULL) receives the output of
 * init; the caller passes a reference. */
emu_sandbox *emu_sandbox_spawn(emu_function *fn, const char *bootstrap, unsigned seq, emu_invoke *target,
                               fl_err *err);
/* Lets bwrap exec the bootstrap. */
void emu_sandbox_release(emu_sandbox *sb);
/* SIGKILL to the whole process tree (PID namespace). Idempotent. */
void emu_sandbox_kill(emu_sandbox *sb);
/* SIGTERM to the runtime process (the bootstrap). */
void emu_sandbox_term_runtime(emu_sandbox *sb);
/* Non-blocking: true once bwrap has exited (sets exited and wait_status). */
bool emu_sandbox_reap(emu_sandbox *sb);
/* Waits up to timeout_us for bwrap to exit. */
bool emu_sandbox_wait_exit(emu_sandbox *sb, uint64_t timeout_us);
/* Kills, reaps, stops the Runtime API server (joining its threads), joins
 * the log reader and frees. Call without fn->mu, after closing was set. */
void emu_sandbox_destroy(emu_sandbox *sb);
/* Peak memory of the sandbox's processes, MB (sum of VmHWM); 0 if gone. */
unsigned emu_sandbox_memory_mb(const emu_sandbox *sb);

typedef struct emu_host_entry {
    char *name;
    char *link;                   /* symlink target, or NULL */
} emu_host_entry;

typedef struct emu_bwrap_spec {
    const char *task_root, *opt_dir;
    const char *const *env;
    const char *bootstrap;        /* path inside the sandbox */
    const emu_host_entry *root;   /* entries of the host's / */
    size_t nroot;
    const emu_host_entry *var;    /* entries of the host's /var */
    size_t nvar;
    int info_fd, block_fd;
} emu_bwrap_spec;

/* The bwrap command line (argv[0] = "bwrap"): see bwrap.c for the layout. */
void emu_bwrap_args(const emu_bwrap_spec *s, emu_strv *argv);
/* Lists a host directory for the sandbox's view of it, skipping names that
 * the sandbox provides itself. */
int emu_host_entries(const char *dir, const char *const *skip, emu_host_entry **out, size_t *n, fl_err *err);
void emu_host_entries_free(emu_host_entry *e, size_t n);
/* Starts path with the given fds as the child's 0..EMU_SPAWN_FDS-1, every
 * other fd closed, default signal dispositions and an empty environment. */
#define EMU_SPAWN_FDS 5
int emu_spawn(const char *path, char *const argv[], const int child_fds[EMU_SPAWN_FDS], pid_t *pid, fl_err *err);
/* Parses bwrap's --info-fd JSON; 0 and *pid when complete. */
int emu_bwrap_parse_info(const char *json, size_t len, pid_t *pid);

/* A TCP socket listening on host:port inside the network namespace of pid. */
int emu_netns_listen(pid_t pid, const char *host, uint16_t port, int *fd, fl_err *err);

/* Finds the bootstrap as Lambda does: /var/task/bootstrap, then
 * /opt/bootstrap, each a regular executable file after following symlinks
 * (resolved as the sandbox sees them). 0 and its sandbox path, or -1. */
int emu_find_bootstrap(const emu_fn_conf *c, char out[64]);
/* Maps a path inside the sandbox to the host path that backs it. */
int emu_sandbox_path_to_host(const emu_fn_conf *c, const char *path, char *out, size_t n);

/* logs.c */
int emu_logs_start(emu_sandbox *sb, fl_err *err);
/* Waits (bounded) until output written before this call has been read. */
void emu_logs_sync(emu_sandbox *sb, uint64_t timeout_us);
void emu_logs_stop(emu_sandbox *sb);
/* One line to stderr and to the log target's tail. Caller holds fn->mu. */
void emu_log_line(emu_sandbox *sb, const char *line, size_t n);
void emu_log_linef(emu_sandbox *sb, const char *fmt, ...) FL_PRINTF(2, 3);
/* Caller holds fn->mu. */
void emu_set_log_target(emu_sandbox *sb, emu_invoke *inv);

/* report.c: Lambda's platform lines */
void emu_format_report(fl_buf *out, const char *id, double duration_ms, unsigned memory_mb, unsigned used_mb,
                       double init_ms, const char *status, const char *error_type);
/* Sum of VmHWM over the processes in the PID namespace named by pidns
 * (the "pid:[N]" link text); 0 for the host's own namespace. */
unsigned emu_proc_memory_mb(const char *pidns);

/* ---- functions (function.c, controller.c, invoke_flow.c) ---- */
struct emu_function {
    emu_fn_conf conf;
    char *bwrap;                  /* path of bwrap */
    pthread_mutex_t mu;
    pthread_cond_t cond;          /* CLOCK_MONOTONIC */
    int wake_fd;                  /* eventfd: wakes the controller */
    emu_invoke *q_head, *q_tail;  /* each queued invoke holds a reference */
    size_t q_len;
    emu_sandbox *sb;              /* the sandbox (a pool later) */
    unsigned sandboxes;           /* started so far */
    bool stopping;
    pthread_t controller;
    bool controller_started;
};

emu_function *emu_function_new(const emu_function_config *cfg, const char *region, fl_err *err);
/* Fails pending invokes, shuts the sandbox down (SIGTERM if the runtime
 * registered an extension, 500 ms, SIGKILL), joins the controller, frees. */
void emu_function_free(emu_function *fn);
/* Queues inv and waits until it is done. -1 (and a message) when the
 * function cannot take it (stopping, queue full: *throttled). */
int emu_function_invoke(emu_function *fn, emu_invoke *inv, bool *throttled, fl_err *err);
/* Sets stopping and joins the controller: afterwards every invoke is done. */
void emu_function_stop(emu_function *fn);
void emu_function_wake(emu_function *fn);
/* Condition variables on CLOCK_MONOTONIC, deadlines in fl_mono_us() time. */
void emu_cond_init(pthread_cond_t *c);
void emu_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, uint64_t deadline_us);

void *emu_controller_main(void *arg);

/* invoke_flow.c: transitions, each called with fn->mu held. */
/* Hands the first queued invoke to sb (for /next). */
emu_invoke *emu_dispatch(emu_sandbox *sb);
/* Finishes a dispatched invoke (RUNNING/RESPONDING): sets the result, flushes
 * the sandbox's output, logs END and REPORT, wakes the caller. Drops fn->mu
 * while waiting for the log reader. No-op if the invoke is past that. */
void emu_complete(emu_sandbox *sb, emu_invoke *inv, emu_result_kind kind, const char *error_type, fl_buf *body,
                  const char *status);
/* Fails an invoke that never reached a runtime (removes it from the queue). */
void emu_fail_queued(emu_function *fn, emu_invoke *inv, emu_result_kind kind, const char *error_type,
                     fl_buf *body);
/* INIT_REPORT for a failed init, to stderr and the pending invoke's tail. */
void emu_log_init_report(emu_sandbox *sb, const char *status, const char *error_type);

/* ---- HTTP servers (invoke_api.c, runtime_api.c, extensions_api.c, mhd_util.c) ---- */
typedef struct emu_front emu_front;
emu_front *emu_front_start(int listen_fd, emu_function *fn, fl_err *err);
void emu_front_stop(emu_front *f);

struct MHD_Daemon *emu_rapi_start(emu_sandbox *sb, int listen_fd, fl_err *err);

/* A Runtime API request in progress (one per HTTP request). */
typedef struct emu_rapi_req {
    emu_rapi_route route;
    char id[EMU_ID_MAX];
    emu_invoke *inv;              /* reference, for response/error */
    fl_buf body;
    size_t limit;
    bool streaming;
    bool too_large;
    bool answered;                /* a response was queued in the first call */
} emu_rapi_req;

int emu_ext_register(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r);
int emu_ext_next(emu_sandbox *sb, struct MHD_Connection *c);
int emu_ext_error(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r);
/* Queues an INVOKE event for extensions that asked for it. fn->mu held. */
void emu_ext_notify_invoke(emu_sandbox *sb, const emu_invoke *inv);
void emu_ext_free_all(emu_sandbox *sb);

/* mhd_util.c */
int emu_respond(struct MHD_Connection *c, unsigned status, const char *content_type, fl_buf *body,
                const fl_headers *extra);
/* Runtime API error: {"errorMessage":...,"errorType":...} */
int emu_respond_rapi_error(struct MHD_Connection *c, unsigned status, const char *type, const char *fmt, ...)
    FL_PRINTF(4, 5);
const char *emu_header(struct MHD_Connection *c, const char *name);
/* False once the peer has closed its end (a long-poll caller went away). */
bool emu_peer_alive(struct MHD_Connection *c);
void emu_mhd_logger(void *cls, const char *fmt, va_list ap);
/* A listening TCP socket for addr (SOCK_CLOEXEC, SO_REUSEADDR). */
int emu_listen_socket(const struct sockaddr_storage *ss, unsigned sslen, int *fd, fl_err *err);

#endif
