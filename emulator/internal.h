/* emulator internals: the objects and the functions the emulator's files
 * share. Not a public header: components use emulator.h.
 *
 * Threads: the HTTP servers (the front door and every sandbox's Runtime
 * API) and the sandboxes' output pipes are served by one event loop thread
 * (env.loop), which never blocks: requests that wait park their connection
 * (emu_waiter), operations that block run on a pool (emu.pool). Each
 * function has a controller thread; Event invokes have their own workers.
 *
 * Locking: one mutex per function (fn->mu) guards the function's queue, its
 * sandbox's state (current invoke, extensions, flags, parked calls, output
 * lines) and every invoke's state and result. Threads never block on the
 * outside world (a pipe, a socket, a process) while holding fn->mu. */
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
#define EMU_ASYNC_PAYLOAD_MAX 1048576u    /* Event invokes */
#define EMU_CODE_REQUEST_MAX 69905067u    /* CreateFunction etc.: 50 MB of zip in base64 */
#define EMU_API_BODY_MAX (1u << 20)       /* every other operation */
#define EMU_UNZIPPED_MAX 262144000u       /* function + layers, unzipped */
#define EMU_ZIP_NAME_MAX 4096u
#define EMU_ZIP_DEPTH_MAX 128u
#define EMU_ZIP_ENTRIES_MAX 200000u
#define EMU_RECORD_FILE_MAX (1u << 20)
#define EMU_EPHEMERAL_DEFAULT 512u        /* MB of /tmp */
#define EMU_EPHEMERAL_MAX 10240u
#define EMU_LAYERS_MAX 5
#define EMU_URL_ID_LEN 32
#define EMU_PARAM_MAX 512
#define EMU_QUERY_MAX 32
#define EMU_LIST_DEFAULT 50
#define EMU_POOL_THREADS 32               /* the operations that block, at once */

/* ---- string vectors (argv, envp): always NULL-terminated once non-empty ---- */
typedef struct emu_strv {
    char **v;
    size_t n, cap;
} emu_strv;

void emu_strv_push(emu_strv *s, const char *str);
void emu_strv_pushf(emu_strv *s, const char *fmt, ...) FL_PRINTF(2, 3);
void emu_strv_free(emu_strv *s);
void emu_strv_copy(emu_strv *dst, const emu_strv *src);
void emu_strv_to_json(const emu_strv *s, cJSON *arr);
/* An array of strings; -1 when it is something else. */
int emu_strv_from_json(const cJSON *arr, emu_strv *s);

/* ---- key/value lists (kvs.c): alternating keys and values in an emu_strv ---- */
const char *emu_kvs_get(const emu_strv *kv, const char *key);
void emu_kvs_set(emu_strv *kv, const char *key, const char *value);
bool emu_kvs_del(emu_strv *kv, const char *key);
void emu_kvs_to_json(const emu_strv *kv, cJSON *obj);
/* An object of strings; -1 when it is something else. */
int emu_kvs_from_json(const cJSON *obj, emu_strv *kv);

/* ---- digests and files (digest.c, fsutil.c) ---- */
void emu_sha256(const void *data, size_t len, uint8_t out[32]);
void emu_hex(const uint8_t *b, size_t n, char *out);
/* hex: the content address; b64: CodeSha256 as Lambda computes it */
void emu_code_digest(const void *data, size_t len, char hex[65], char b64[45]);
/* s is exactly n lowercase hex digits */
bool emu_hex_valid(const char *s, size_t n);
/* rm -rf that never follows a symlink */
int emu_rmtree(const char *path);
/* 2 * nbytes random hex digits (nbytes <= 64) */
void emu_random_hex(char *out, size_t nbytes);
bool emu_is_dir(const char *path);
/* rm -rf of the entry name in dir */
int emu_rmtree_at(int dir, const char *name);

/* ---- zips (zip_path.c, zip_extract.c) ---- */
/* Normalizes a zip entry name ("./a//b/" -> "a/b"): 0, 1 for the root
 * itself (nothing to create), -1 with *why for a name that is absolute,
 * climbs with "..", holds control characters or is too long/deep. */
int emu_zip_path_clean(const char *name, char *out, size_t n, const char **why);
/* Unpacks zip into dest (created here), writing at most max_bytes. */
int emu_unzip(const void *zip, size_t len, const char *dest, uint64_t max_bytes, uint64_t *unzipped, fl_err *err);

/* ---- configuration (config.c, env.c) ---- */
/* What a function's sandboxes are made from: a snapshot of its record. */
typedef struct emu_fn_conf {
    char *name, *task_root, *opt_dir, *handler, *region, *arn;
    emu_strv env;               /* the user's "K=V", in order, duplicates resolved */
    unsigned timeout_s, memory_mb, ephemeral_mb;
    /* container images: the root filesystem, the command, its directory
     * and the image's environment ("K=V"); rootfs NULL for zips */
    char *rootfs, *workdir;
    emu_strv argv, image_env;
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
typedef enum emu_op {
    EMU_OP_UNKNOWN,
    EMU_OP_CREATE_FUNCTION,
    EMU_OP_LIST_FUNCTIONS,
    EMU_OP_GET_FUNCTION,
    EMU_OP_DELETE_FUNCTION,
    EMU_OP_GET_FUNCTION_CONFIGURATION,
    EMU_OP_UPDATE_FUNCTION_CONFIGURATION,
    EMU_OP_UPDATE_FUNCTION_CODE,
    EMU_OP_INVOKE,
    EMU_OP_INVOKE_STREAM,
    EMU_OP_PUT_CONCURRENCY,
    EMU_OP_DELETE_CONCURRENCY,
    EMU_OP_GET_CONCURRENCY,
    EMU_OP_LIST_LAYERS,
    EMU_OP_PUBLISH_LAYER_VERSION,
    EMU_OP_LIST_LAYER_VERSIONS,
    EMU_OP_GET_LAYER_VERSION,
    EMU_OP_DELETE_LAYER_VERSION,
    EMU_OP_ADD_LAYER_PERMISSION,
    EMU_OP_GET_LAYER_POLICY,
    EMU_OP_REMOVE_LAYER_PERMISSION,
    EMU_OP_TAG_RESOURCE,
    EMU_OP_UNTAG_RESOURCE,
    EMU_OP_LIST_TAGS,
    EMU_OP_GET_ACCOUNT_SETTINGS,
    EMU_OP_CREATE_URL,
    EMU_OP_GET_URL,
    EMU_OP_UPDATE_URL,
    EMU_OP_DELETE_URL,
    EMU_OP_LIST_URLS,
    EMU_OP_GET_CODE,
    EMU_OP_LOGS,
    EMU_OP_COUNT
} emu_op;

typedef struct emu_route {
    emu_op op;
    char p1[EMU_PARAM_MAX];           /* path parameters, percent-decoded */
    char p2[EMU_PARAM_MAX];
    char p3[EMU_PARAM_MAX];
} emu_route;

/* Which Lambda operation a method and raw request target name. */
emu_op emu_route_api(const char *method, const char *target, emu_route *out);
const char *emu_op_name(emu_op op);
/* %XX decoding of s[0..n) into out; -1 on a bad escape, a NUL, or no room. */
int emu_percent_decode(const char *s, size_t n, char *out, size_t outn);

typedef struct emu_query_arg {
    const char *key, *value;      /* into buf */
} emu_query_arg;
typedef struct emu_query {
    emu_query_arg v[EMU_QUERY_MAX];
    size_t n;
    char *buf;                    /* the decoded names and values */
} emu_query;
/* The query of a raw target, decoded; -1 when malformed or too long (names
 * up to 127 bytes, values up to EMU_PARAM_MAX - 1). Free with
 * emu_query_free either way. */
int emu_query_parse(const char *target, emu_query *q);
const char *emu_query_get(const emu_query *q, const char *key);
void emu_query_free(emu_query *q);
/* A Function URL host name: ID.lambda-url.REGION.localhost[:PORT]. */
bool emu_url_host_id(const char *host, char id_out[EMU_URL_ID_LEN + 1]);

#define EMU_FN_REF_MAX 256
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

/* A connection suspended until something happens (waiter.c). The HTTP
 * servers run on the emulator's event loop: a request that must wait (for
 * an invoke, for the runtime's next bytes) parks its connection instead of
 * blocking a thread, and whoever makes the change it waits for wakes it. */
typedef struct emu_waiter {
    fl_mhd *mhd;                  /* the daemon of c; NULL when nothing is parked */
    struct MHD_Connection *c;
} emu_waiter;
/* Suspends c (in one of its daemon's callbacks, on the loop) and records it. */
void emu_waiter_park(emu_waiter *w, fl_mhd *m, struct MHD_Connection *c);
/* From any thread: resumes what is parked, if anything; the daemon calls the
 * connection's handler (or content reader) again. */
void emu_waiter_wake(emu_waiter *w);
bool emu_waiter_parked(const emu_waiter *w);

/* stream.c: a response passed through as it is produced. Never blocks: the
 * reader (a front connection) and the writer (the runtime's connection)
 * park in it when there is nothing to read or no room, and wake each other. */
typedef struct emu_stream {
    pthread_mutex_t mu;
    fl_buf buf;                   /* bytes from off on are unread */
    size_t off;
    uint64_t total;
    char *content_type;           /* of the runtime's streamed response */
    bool streamed;                /* the runtime streams (else: the payload at the end) */
    bool ended, gone;
    emu_waiter reader, writer;
} emu_stream;

emu_stream *emu_stream_new(void);
void emu_stream_free(emu_stream *s);
void emu_stream_begin(emu_stream *s, const char *content_type);
/* Appends (nothing when the reader left: -1; a stream that ended takes no
 * more when !always: -1). */
int emu_stream_write(emu_stream *s, const void *p, size_t n, bool always);
/* The writer's connection c parks when the unread bytes fill the buffer:
 * true when it was parked (then the bytes wait), false when there is room. */
bool emu_stream_park_writer(emu_stream *s, fl_mhd *m, struct MHD_Connection *c);
void emu_stream_end(emu_stream *s);
/* Appends at most max unread bytes to out; *ended once everything is read
 * and the stream ended. */
size_t emu_stream_read(emu_stream *s, fl_buf *out, size_t max, bool *ended);
/* The reader's connection c parks until there are bytes or the end (or,
 * for_start, until the runtime starts streaming or the invoke ends): true
 * when it was parked, false when there is something to go on with. */
bool emu_stream_park_reader(emu_stream *s, fl_mhd *m, struct MHD_Connection *c, bool for_start);
/* Whether the runtime streams, and what (caller frees); valid once a
 * reader parked for the start was woken or found no need to park. */
void emu_stream_started(emu_stream *s, bool *streamed, char **content_type);
void emu_stream_leave(emu_stream *s);

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
    emu_stream *stream;           /* the caller reads the response as it comes; or NULL */
    pthread_cond_t done;          /* broadcast when state becomes DONE */
    emu_waiter waiter;            /* a connection parked until DONE, woken then */
    int home;                     /* the loop of the connection that asked for it; -1: none. A
                                   * sandbox on the same loop hands it over without a thread hop */
    fl_loop *loop;                /* with on_done: called on this loop once DONE */
    fl_loop_fn on_done;
    void *on_done_ud;
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
    struct emu_rapi_req *waiting; /* its event/next call, parked */
} emu_extension;

/* ---- cgroups (cgroup.c) ---- */
typedef struct emu_cgroups emu_cgroups;
/* mode: auto, v1, v2, none. *out NULL when none is usable. */
int emu_cgroups_open(const char *mode, emu_cgroups **out, fl_err *err);
void emu_cgroups_free(emu_cgroups *cg);
bool emu_cgroups_memory(const emu_cgroups *cg);
bool emu_cgroups_freezer(const emu_cgroups *cg);

/* One sandbox's cgroups. */
typedef struct emu_cg {
    char *mem_dir, *freezer_dir, *pids_dir, *v2_dir;
    bool v2_mem;
    int peak_fd;                  /* memory.max_usage_in_bytes / memory.peak */
    int freeze_fd;                /* freezer.state / cgroup.freeze */
    int procs_fd[4];              /* cgroup.procs: the child writes itself in */
    int nprocs;
} emu_cg;
/* NULL when cgs is NULL. Missing pieces (no freezer, ...) are left out. */
emu_cg *emu_cg_new(emu_cgroups *cgs, const char *name, unsigned memory_mb);
void emu_cg_free(emu_cg *c);
uint64_t emu_cg_peak_bytes(const emu_cg *c);
bool emu_cg_has_memory(const emu_cg *c);
bool emu_cg_can_freeze(const emu_cg *c);
int emu_cg_freeze(emu_cg *c, bool frozen);

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
    struct MHD_Daemon *rapi;      /* run by the sandbox's loop */
    fl_mhd *rapi_mhd;
    fl_loop *loop;                /* its Runtime API's and its pipes' */
    unsigned li;                  /* its index in env.loops */
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
    int next_waiters;             /* /next calls parked in the Runtime API (0 or 1) */
    struct emu_rapi_req *next_req; /* that /next call, its connection parked */
    emu_invoke *current;          /* dispatched, not yet finished (a reference) */
    emu_invoke *log_target;       /* where output lines go besides stderr (a reference) */
    char last_id[EMU_UUID_LEN + 1];
    emu_extension ext[EMU_MAX_EXTENSIONS];
    size_t next_ext;
    unsigned peak_mem_mb;
    /* the pool (pool.c), under fn->mu */
    struct emu_sandbox *next;     /* in fn->sbs */
    struct emu_sandbox *idle_next; /* in fn->idle */
    bool idle;                    /* waiting in /next with nothing to do */
    uint64_t idle_since_us;
    uint64_t done_us;             /* when its last invoke completed */
    bool frozen;
    fl_timer freeze_timer;        /* on its loop: freezes it freeze_after into idleness */
    pid_t pgid;                   /* SIGSTOP freezing: the runtime's process group */
    emu_cg *cg;                   /* its cgroups, or NULL */
    /* its output (logs.c): read by the loop, and drained before END */
    int out_fd, err_fd;           /* -1 once at EOF */
    emu_linebuf out_lines, err_lines; /* under fn->mu */
    bool logs_watched;
} emu_sandbox;

/* Starts bwrap (held before exec), the Runtime API inside its network
 * namespace and the reading of its output, both on the loop of target's
 * connection (target may be NULL), which receives the output of init; the
 * caller passes a reference. */
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
/* Kills, reaps, stops the Runtime API server and the reading of its output
 * (on its loop) and frees. Call without fn->mu, after closing was set. */
void emu_sandbox_destroy(emu_sandbox *sb);
/* Peak memory of the sandbox, MB: its memory cgroup's peak, else the sum
 * of its processes' VmHWM; 0 if gone. */
unsigned emu_sandbox_memory_mb(const emu_sandbox *sb);

/* pool.c, with fn->mu held */
void emu_pool_add(emu_function *fn, emu_sandbox *sb);
void emu_pool_remove(emu_function *fn, emu_sandbox *sb);
void emu_pool_idle_push(emu_function *fn, emu_sandbox *sb);
void emu_pool_idle_remove(emu_function *fn, emu_sandbox *sb);
/* The most recently idle sandbox (the warmest) on loop home (else any;
 * home -1: any), taken off the idle list. */
emu_sandbox *emu_pool_idle_pop(emu_function *fn, int home);
/* Stops the sandbox's processes (cgroup freezer, else SIGSTOP), and lets
 * them go on. Idempotent. */
void emu_sandbox_freeze(emu_sandbox *sb);
void emu_sandbox_thaw(emu_sandbox *sb);
/* The pid of the runtime (the bootstrap), found in /proc; -1 when gone. */
pid_t emu_sandbox_runtime_pid(const emu_sandbox *sb);

typedef struct emu_host_entry {
    char *name;
    char *link;                   /* symlink target, or NULL */
} emu_host_entry;

typedef struct emu_bwrap_spec {
    const char *task_root, *opt_dir;
    const char *const *env;
    const char *bootstrap;        /* path inside the sandbox */
    const char *base;             /* where root and var are: "" (the host) or --runtime-root */
    const emu_host_entry *root;   /* entries of the host's / */
    size_t nroot;
    const emu_host_entry *var;    /* entries of the host's /var */
    size_t nvar;
    int info_fd, block_fd;
    unsigned tmp_mb;              /* size of /tmp */
    /* a container image: its tree replaces the host's, its command and
     * directory the bootstrap's */
    const char *rootfs, *workdir;
    const char *const *argv;
    /* host directories hidden under an empty tmpfs (the state directory:
     * other functions' code; home directories: their owners' secrets) */
    const char *const *hide;
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
typedef struct emu_spawn_extra {
    const int *cg_fds;            /* cgroup.procs files the child writes itself into */
    int ncg;
    uint64_t rlimit_data;         /* RLIMIT_DATA for the child; 0: unchanged */
} emu_spawn_extra;
int emu_spawn(const char *path, char *const argv[], const int child_fds[EMU_SPAWN_FDS], const emu_spawn_extra *x,
              pid_t *pid, fl_err *err);
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
/* The loop reads the sandbox's pipes from now on (any thread; waits). */
void emu_logs_start(emu_sandbox *sb);
/* Emits what the function wrote before this call, a line without its
 * newline included. fn->mu held; does not block. */
void emu_logs_drain(emu_sandbox *sb);
/* Stops reading (any thread but the loop's; waits), drains, closes. */
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
    const struct emu_rt_env *env; /* the service's; outlives the function */
    unsigned users;               /* invokes holding it (under the service's mu) */
    uint64_t idle_since_us;       /* no sandbox and no user since (under the service's mu) */
    struct emu_function *retired_next;
    pthread_mutex_t mu;
    int wake_fd;                  /* eventfd: wakes the controller */
    emu_invoke *q_head, *q_tail;  /* each queued invoke holds a reference */
    size_t q_len;
    emu_sandbox *sbs;             /* the pool */
    unsigned nsb;
    emu_sandbox *idle;            /* those waiting for an invoke, warmest first */
    uint64_t ctl_wake_at;         /* while the controller sleeps: when it wakes (else 0) */
    fl_timer queue_timer[FL_LOOPS_MAX]; /* on each loop: an invoke queued for a sandbox that was
                                   * about to take it; the controller looks if it still waits */
    unsigned sandboxes;           /* started so far */
    bool stopping;
    pthread_t controller;
    bool controller_started;
};

/* Takes conf (zeroed here). */
emu_function *emu_function_new(emu_fn_conf *conf, const struct emu_rt_env *env, fl_err *err);
/* True when it has no sandbox and nothing queued. */
bool emu_function_idle(emu_function *fn);
/* Fails pending invokes, shuts the sandbox down (SIGTERM if the runtime
 * registered an extension, 500 ms, SIGKILL), joins the controller, frees. */
void emu_function_free(emu_function *fn);
/* Queues inv and waits until it is done. -1 (and a message) when the
 * function cannot take it (stopping, queue full: *throttled). */
int emu_function_invoke(emu_function *fn, emu_invoke *inv, bool *throttled, fl_err *err);
/* The two halves of it. */
int emu_function_submit(emu_function *fn, emu_invoke *inv, bool *throttled, fl_err *err);
void emu_function_wait(emu_function *fn, emu_invoke *inv);
/* Calls fn_done(ud) on loop once inv is done (at once, here, when it is). */
void emu_invoke_when_done(emu_function *fn, emu_invoke *inv, fl_loop *loop, fl_loop_fn fn_done, void *ud);
/* Sets stopping and joins the controller: afterwards every invoke is done. */
void emu_function_stop(emu_function *fn);
void emu_function_wake(emu_function *fn);
/* A new deadline at t (fn->mu held): wakes the controller only when it
 * would otherwise sleep past t, so the invoke path rarely wakes it. */
void emu_function_timer(emu_function *fn, uint64_t t);
/* Condition variables on CLOCK_MONOTONIC, deadlines in fl_mono_us() time. */
void emu_cond_init(pthread_cond_t *c);
void emu_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, uint64_t deadline_us);

void *emu_controller_main(void *arg);
/* Lambda holds a sandbox after a response until the runtime asks for the
 * next event; one that just answered is counted on to take the next invoke
 * for this long before another sandbox is started. */
#define EMU_POST_RESPONSE_GRACE_US 50000u
/* It will take an invoke soon: starting, idle, or just answered (fn->mu). */
bool emu_sandbox_will_take(const emu_sandbox *sb, uint64_t now);

/* invoke_flow.c: transitions, each called with fn->mu held. */
/* Hands the first queued invoke to sb (for /next). */
emu_invoke *emu_dispatch(emu_sandbox *sb);
/* Finishes a dispatched invoke (RUNNING/RESPONDING): sets the result, drains
 * the sandbox's output, logs END and REPORT, wakes the caller. Drops fn->mu
 * only to read /proc where no memory cgroup tells the peak. No-op if the
 * invoke is past that. */
void emu_complete(emu_sandbox *sb, emu_invoke *inv, emu_result_kind kind, const char *error_type, fl_buf *body,
                  const char *status);
/* Fails an invoke that never reached a runtime (removes it from the queue). */
void emu_fail_queued(emu_function *fn, emu_invoke *inv, emu_result_kind kind, const char *error_type,
                     fl_buf *body);
/* INIT_REPORT for a failed init, to stderr and the pending invoke's tail. */
void emu_log_init_report(emu_sandbox *sb, const char *status, const char *error_type);

/* ---- HTTP servers (invoke_api.c, runtime_api.c, extensions_api.c, mhd_util.c) ---- */
typedef struct emu_front emu_front;
/* Takes the listening sockets, one per loop (closed on failure too). */
emu_front *emu_front_start(const int *listen_fds, struct emu *e, fl_err *err);
void emu_front_stop(emu_front *f);

/* The sandbox's Runtime API server, run by the loop (any thread; waits). */
int emu_rapi_start(emu_sandbox *sb, int listen_fd, fl_err *err);
/* Ends every parked call and stops the server (any thread but the loop's;
 * waits). fn->mu not held. */
void emu_rapi_stop(emu_sandbox *sb);
/* Any thread, fn->mu held: the sandbox's state changed (an invoke queued,
 * an event for an extension, closing): parked calls look again. */
void emu_rapi_kick(emu_sandbox *sb);

/* A Runtime API request in progress (one per HTTP request). */
typedef struct emu_rapi_req {
    emu_sandbox *sb;
    struct MHD_Connection *c;
    emu_rapi_route route;
    char id[EMU_ID_MAX];
    emu_invoke *inv;              /* reference, for response/error */
    fl_buf body;
    size_t limit;
    bool streaming;
    bool to_stream;               /* passed through to inv->stream as it comes */
    bool too_large;
    bool answered;                /* a response was queued in the first call */
    bool parked;                  /* a long poll (/next, event/next) whose connection is suspended */
    bool dropped;                 /* its caller hung up, or a newer call replaced it */
    int fd;                       /* its socket, watched for a hang-up while parked */
    int body_fd;                  /* the same, watched while a /response body comes */
    struct emu_extension *ext;    /* event/next: the extension that waits */
} emu_rapi_req;

int emu_ext_register(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r);
int emu_ext_next(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r);
/* A long poll parked (its connection suspended, its socket watched for a
 * hang-up) and resumed; fn->mu held, loop thread, in r's handler (park). */
void emu_rapi_park(emu_rapi_req *r);
void emu_rapi_unpark(emu_rapi_req *r);
int emu_ext_error(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r);
/* Queues an INVOKE event for extensions that asked for it. fn->mu held. */
void emu_ext_notify_invoke(emu_sandbox *sb, const emu_invoke *inv);
void emu_ext_free_all(emu_sandbox *sb);

/* mhd_util.c */
int emu_respond(struct MHD_Connection *c, unsigned status, const char *content_type, fl_buf *body,
                const fl_headers *extra);
/* The same with a response made by the caller (taken; NULL: MHD_NO). */
struct MHD_Response;
int emu_respond_with(struct MHD_Connection *c, unsigned status, struct MHD_Response *r, const char *content_type,
                     const fl_headers *extra);
/* Runtime API error: {"errorMessage":...,"errorType":...} */
int emu_respond_rapi_error(struct MHD_Connection *c, unsigned status, const char *type, const char *fmt, ...)
    FL_PRINTF(4, 5);
const char *emu_header(struct MHD_Connection *c, const char *name);
/* The socket of c. */
int emu_conn_fd(struct MHD_Connection *c);
/* "http://127.0.0.1:PORT" (or [::1]) of a listening socket. */
void emu_socket_url(int fd, char *out, size_t n);


/* ---- the state directory (store.c, store_code.c, store_gc.c) ---- */
typedef struct emu_store {
    char *root;                   /* absolute */
    bool temporary;               /* made for this run; removed at the end */
    int lock_fd;
} emu_store;

typedef struct emu_code {
    char hex[65];                 /* content address */
    char sha256[45];              /* CodeSha256 */
    uint64_t size, unzipped;
} emu_code;

/* dir NULL: a temporary directory of our own. */
int emu_store_open(const char *dir, emu_store **out, fl_err *err);
void emu_store_close(emu_store *s);
char *emu_default_state_dir(void);
char *emu_store_path(const emu_store *s, const char *fmt, ...) FL_PRINTF(2, 3);
int emu_store_write_json(const emu_store *s, const char *rel, const cJSON *doc, fl_err *err);
int emu_store_remove(const emu_store *s, const char *rel, fl_err *err);
int emu_store_each_json(const emu_store *s, const char *sub, void (*fn)(void *ud, const char *file, cJSON *doc),
                        void *ud);
/* Stores a zip (content-addressed; a no-op when already there) unpacked. */
int emu_store_put_zip(emu_store *s, const void *zip, size_t len, uint64_t max_unzipped, emu_code *c, fl_err *err);
bool emu_store_has_code(const emu_store *s, const char *hex);
/* Removes code/, blobs/ and opt/ entries whose name is not in keep. */
void emu_store_gc(emu_store *s, const emu_strv *keep);

/* ---- function records (record.c) ---- */
struct emu_fn_record;
typedef struct emu_fn_layer {
    char *arn;                    /* arn:aws:lambda:R:A:layer:NAME:VERSION */
    char hex[65];                 /* its code */
    uint64_t size, unzipped;
} emu_fn_layer;

typedef struct emu_url_conf {
    bool set;
    char id[EMU_URL_ID_LEN + 1];
    char *auth_type;              /* NONE | AWS_IAM */
    char *invoke_mode;            /* BUFFERED | RESPONSE_STREAM */
    char *cors;                   /* compact JSON, or NULL */
    uint64_t created_ms, modified_ms;
} emu_url_conf;

typedef struct emu_fn_record {
    char *name, *runtime, *role, *handler, *description, *arch, *package_type;
    unsigned timeout_s, memory_mb, ephemeral_mb;
    emu_strv env, tags;           /* key/value lists (kvs.c) */
    emu_fn_layer *layers;
    size_t nlayers;
    char code_sha256[72], code_hex[65];  /* CodeSha256: base64 for zips, hex digest for images */
    uint64_t code_size, unzipped;
    char *image_uri, *image_digest;
    bool img_set, img_entrypoint_set, img_command_set;
    emu_strv img_entrypoint, img_command;
    char *img_workdir;
    int reserved;                 /* reserved concurrency; -1: none */
    emu_url_conf url;
    uint64_t modified_ms, pending_until_ms, updating_until_ms;
    char revision[EMU_UUID_LEN + 1];
    /* --task-root: kept in memory only, code from host directories */
    bool external;
    char *task_root, *opt_dir;
} emu_fn_record;

void emu_record_free(emu_fn_record *r);
emu_fn_record *emu_record_dup(const emu_fn_record *r);
cJSON *emu_record_to_state(const emu_fn_record *r);
emu_fn_record *emu_record_from_state(const cJSON *o, fl_err *err);
/* FunctionConfiguration. view: what the state fields say: as they are at
 * now_ms, or as the answer to a create (Pending) or an update (InProgress). */
typedef enum emu_view { EMU_VIEW_NOW, EMU_VIEW_CREATED, EMU_VIEW_UPDATED } emu_view;
cJSON *emu_record_configuration(const emu_fn_record *r, const char *region, uint64_t now_ms, emu_view view);
bool emu_record_pending(const emu_fn_record *r, uint64_t now_ms);
bool emu_record_updating(const emu_fn_record *r, uint64_t now_ms);
void emu_format_time(uint64_t ms, char out[40]);   /* 2026-11-26T10:00:00.000+0000 */
void emu_format_time_z(uint64_t ms, char out[40]); /* 2026-11-26T10:00:00.000000Z */
void emu_function_arn(const char *region, const char *name, char *out, size_t n);
/* opt_merge.c: /opt for several layers, merged once (opt/KEY) */
void emu_opt_key(const emu_fn_record *r, char key[65]);
char *emu_opt_merge(emu_store *s, const emu_fn_record *r, fl_err *err);


/* ---- validation in the model's words (validate.c) ---- */
typedef struct emu_verr {
    fl_buf list;                  /* "Value 'x' at 'y' failed ..." joined by "; " */
    unsigned n;
    const char *type;             /* for a semantic error: its exception */
    fl_buf custom;                /* its message */
} emu_verr;
void emu_verr_add(emu_verr *v, const char *value, const char *member, const char *fmt, ...) FL_PRINTF(4, 5);
/* A semantic error (e.g. InvalidParameterValueException): reported alone. */
void emu_verr_set(emu_verr *v, const char *type, const char *fmt, ...) FL_PRINTF(3, 4);
void emu_verr_message(const emu_verr *v, fl_buf *out);
void emu_verr_free(emu_verr *v);
bool emu_role_arn_valid(const char *s);
bool emu_handler_valid(const char *s);
bool emu_layer_name_valid(const char *s);
bool emu_env_key_valid(const char *k);
int emu_parse_layer_arn(const char *s, char *name, size_t name_n, char *region, size_t region_n,
                        unsigned long *version);

/* ---- layers (layer.c) ---- */
typedef struct emu_layer_version {
    unsigned version;
    char *description, *license;
    emu_strv runtimes, archs;
    emu_code code;
    uint64_t created_ms;
    cJSON *statements;            /* AddLayerVersionPermission's, a JSON array; NULL: none */
    char revision[40];            /* of the policy */
} emu_layer_version;

typedef struct emu_layer {
    char *name;
    unsigned last_version;        /* versions are never reused, even after a delete */
    emu_layer_version *v;         /* ascending */
    size_t n;
} emu_layer;

void emu_layer_version_free(emu_layer_version *v);
void emu_layer_free(emu_layer *l);
cJSON *emu_layer_to_state(const emu_layer *l);
emu_layer *emu_layer_from_state(const cJSON *o);
emu_layer *emu_layer_dup(const emu_layer *l);
emu_layer_version *emu_layer_find(const emu_layer *l, unsigned version);
void emu_layer_arn(const char *region, const char *name, unsigned version, char *out, size_t n);
/* GetLayerVersion / PublishLayerVersion's answer */
cJSON *emu_layer_version_json(const emu_layer *l, const emu_layer_version *v, const char *region, const char *base_url);

/* ---- the service (service.c, registry.c, admit.c, janitor.c) ---- */
typedef struct emu_rt_env {       /* what runtimes share; outlives them */
    char *bwrap;
    char *runtime_root;           /* zip functions' root instead of the host's; NULL: the host's */
    const char *state_root;       /* hidden from the sandboxes */
    const char *region;
    uint64_t idle_timeout_us, freeze_after_us, init_timeout_us;
    unsigned pool_max;
    struct emu_cgroups *cg;
    struct emu_logstore *logs;
    bool quiet;
    fl_loop *const *loops;        /* run the HTTP servers: one per CPU */
    unsigned nloops;
} emu_rt_env;

typedef struct emu_entry {
    unsigned refs;                /* all under e->mu */
    emu_fn_record *rec;           /* replaced on update, never changed */
    emu_function *rt;             /* its runtime; NULL until an invoke needs it */
    unsigned inflight;            /* invokes admitted, not finished */
    bool deleted;
} emu_entry;

typedef enum emu_auth_mode { EMU_AUTH_NONE, EMU_AUTH_STRICT } emu_auth_mode;

struct emu {
    emu_rt_env env;
    char *region;
    unsigned limit;               /* the account's concurrent executions */
    uint64_t state_delay_ms;
    unsigned async_retry_ms[2];
    emu_auth_mode auth;
    char *access_key, *secret_key;
    emu_store *store;
    pthread_mutex_t mu;           /* the registry and the counters below */
    pthread_mutex_t write_mu;     /* state changes (and GC) one at a time; taken before mu */
    emu_entry **fns;              /* sorted by name */
    size_t nfns, capfns;
    emu_layer **layers;           /* sorted by name; replaced on change */
    size_t nlayers, caplayers;
    unsigned unreserved_inflight, reserved_sum;
    emu_function *retired;        /* runtimes replaced or idle, freed by the janitor */
    bool gc_wanted;
    bool stopping;
    pthread_t janitor;
    bool janitor_started;
    pthread_cond_t janitor_cond;
    emu_front *front;
    fl_loop **loops;              /* env.loops: the servers' event loops */
    unsigned nloops;
    bool own_loops;               /* started by the emulator (else the embedder's) */
    fl_pool *pool;                /* the operations that block (files, unzipping, images) */
    struct emu_async *async;
    char url[96];
};

/* registry.c, all with e->mu held */
emu_entry *emu_find(emu *e, const char *name);
void emu_insert(emu *e, emu_entry *en);
void emu_remove(emu *e, emu_entry *en);
void emu_entry_unref(emu *e, emu_entry *en);
/* Swaps in a new record (takes it); retires the runtime when the change
 * needs new sandboxes. */
void emu_entry_replace(emu *e, emu_entry *en, emu_fn_record *rec, bool new_runtime);
/* Writes rec to functions/NAME.json (nothing for the --task-root function).
 * Under write_mu. */
int emu_record_persist(emu *e, const emu_fn_record *rec, fl_err *err);
/* Makes *rec the function's record (takes it: *rec becomes NULL) if the
 * function still exists. Under write_mu, not mu. */
void emu_record_install(emu *e, emu_fn_record **rec, bool new_runtime);
void emu_retire_runtime(emu *e, emu_function *rt);
emu_layer *emu_find_layer(emu *e, const char *name);
/* Replaces (or adds, or with l NULL removes) the layer called name. */
void emu_put_layer(emu *e, const char *name, emu_layer *l);

/* admit.c: concurrency, and the runtime an invoke runs on */
typedef enum emu_admit_rc {
    EMU_ADMIT_OK,
    EMU_ADMIT_NOT_FOUND,
    EMU_ADMIT_PENDING,            /* State Pending: ResourceConflictException */
    EMU_ADMIT_THROTTLED,          /* *reason says which limit */
    EMU_ADMIT_FAILED,             /* err says why */
    EMU_ADMIT_WOULD_BLOCK,        /* the function's runtime must be made first: admit on a pool thread */
} emu_admit_rc;

typedef struct emu_ticket {
    emu_entry *entry;
    emu_function *rt;
    bool reserved;                /* counted against the function's reservation */
} emu_ticket;

emu_admit_rc emu_admit(emu *e, const char *name, emu_ticket *t, const char **reason, fl_err *err);
/* The same; !may_block: EMU_ADMIT_WOULD_BLOCK (and nothing taken) when the
 * runtime does not exist yet (making it reads files, may unpack an image). */
emu_admit_rc emu_admit_nb(emu *e, const char *name, emu_ticket *t, const char **reason, fl_err *err, bool may_block);
void emu_release(emu *e, emu_ticket *t);

/* service.c */
int emu_conf_from_record(emu *e, const emu_fn_record *r, emu_fn_conf *c, fl_err *err);
/* janitor.c: frees retired runtimes, retires idle ones, collects garbage */
int emu_janitor_start(emu *e, fl_err *err);
void emu_janitor_stop(emu *e);
void emu_janitor_wake(emu *e);
void emu_gc(emu *e);

/* ---- the front door (front.c, reply.c, api_*.c) ---- */
typedef enum emu_req_kind { EMU_REQ_API, EMU_REQ_LOGS, EMU_REQ_URL } emu_req_kind;
#define EMU_URL_PATH_PREFIX "/lambda-url/"

typedef struct emu_req {
    emu *e;
    struct MHD_Connection *c;
    char *uri;                    /* the request target as sent */
    bool uri_too_long;
    const char *method;
    emu_req_kind kind;
    emu_route route;
    emu_query query;
    char url_id[EMU_URL_ID_LEN + 1];
    char id[EMU_UUID_LEN + 1];    /* x-amzn-RequestId */
    fl_buf body;
    size_t limit;
    bool started, too_large, answered;
    int auth_rc;                  /* the answer queued by a failed auth check */
    /* Requests that wait (an invoke) or block (everything else runs on a
     * pool thread) park their connection; when it is resumed, resume (if
     * set) gives the answer on the loop. */
    fl_mhd *mhd;                  /* its daemon's, on loop li */
    unsigned li;
    int (*resume)(struct emu_req *r);
    int (*work)(struct emu_req *r);
    int work_rc;
    struct emu_call *call;        /* an invoke in flight (api_invoke.c, url_serve.c) */
    struct url_stream *url_stream; /* a Function URL's streamed answer (url_serve.c) */
} emu_req;

/* front.c: runs work(r) on a pool thread (c parked meanwhile); its answer
 * is queued there, on the suspended connection. Returns MHD_YES. */
int emu_front_offload(emu_req *r, int (*work)(emu_req *r));
/* Parks r's connection until emu_front_wake; then resume(r) answers (on the
 * loop). */
void emu_front_park(emu_req *r, int (*resume)(emu_req *r));

int emu_reply(emu_req *r, unsigned status, const char *content_type, fl_buf *body, fl_headers *extra);
int emu_reply_json(emu_req *r, unsigned status, cJSON *doc);
int emu_reply_empty(emu_req *r, unsigned status);
int emu_reply_error(emu_req *r, unsigned status, const char *type, const char *fmt, ...) FL_PRINTF(4, 5);
int emu_reply_throttle(emu_req *r, const char *reason);
int emu_reply_not_found(emu_req *r, const char *name, const char *qualifier);
int emu_reply_verr(emu_req *r, emu_verr *v);
int emu_reply_too_large(emu_req *r);
int emu_reply_url_error(emu_req *r, unsigned status, const char *msg);

int emu_api_dispatch(emu_req *r);
int emu_api_functions(emu_req *r);
int emu_api_invoke(emu_req *r);
int emu_api_concurrency(emu_req *r);
int emu_api_layers(emu_req *r);
int emu_api_tags(emu_req *r);
int emu_api_urls(emu_req *r);
int emu_api_code(emu_req *r);
int emu_logs_api(emu_req *r);
int emu_url_serve(emu_req *r);
/* http://ID.lambda-url.REGION.localhost:PORT/ */
void emu_url_of(emu *e, const emu_fn_record *rec, char *out, size_t n);
/* auth.c: 0 to go on; -1 when an error answer was queued (r->auth_rc) */
int emu_auth_precheck(emu_req *r);
int emu_auth_verify(emu_req *r);
/* A Function URL with AuthType AWS_IAM: signed (checked in strict mode). */
int emu_url_auth(emu_req *r);

/* The function a path parameter names (name, ARN or partial ARN, with the
 * Qualifier query parameter): 0 and its name, or -1 with the error queued
 * (ValidationException, ResourceNotFoundException for another region or a
 * version other than $LATEST) in *rc. */
int emu_resolve_function(emu_req *r, const char *ref, char name[EMU_FN_REF_MAX], int *rc);
/* The parsed JSON body (an object), or NULL with the error queued in *rc. */
cJSON *emu_body_object(emu_req *r, int *rc);


/* fn_input.c: members of CreateFunction / UpdateFunctionConfiguration */
void emu_verr_bad_name(emu_verr *v, const char *value, const char *member);
/* Runtime, Role, Handler, Description, Timeout, MemorySize,
 * EphemeralStorage, Environment, ImageConfig, Layers (takes e->mu). */
void emu_input_config(emu *e, const cJSON *body, emu_fn_record *r, emu_verr *v);
void emu_input_tags(const cJSON *body, emu_strv *tags, emu_verr *v);
void emu_input_architectures(const cJSON *body, emu_fn_record *r, emu_verr *v);

/* api_invoke.c */
int emu_reply_admit_error(emu_req *r, emu_admit_rc rc, const char *name, const char *reason, const fl_err *err);
/* The checks common to Invoke and InvokeWithResponseStream. */
int emu_invoke_checks(emu_req *r, char name[EMU_FN_REF_MAX], const char **type, bool *tail, char **cc, int *rc);
int emu_invoke_sync(emu *e, const char *name, emu_invoke *inv, emu_ticket *t, emu_admit_rc *arc, const char **reason,
                    fl_err *err);
/* Moves the result out of inv (and the base64 log tail when log64). */
void emu_invoke_take_result(emu_function *fn, emu_invoke *inv, emu_result_kind *kind, fl_buf *body, fl_buf *log64);
int emu_api_invoke_stream(emu_req *r);

/* call.c: an invoke a front connection waits for, parked (RequestResponse
 * and Function URLs). emu_call_start admits (on a pool thread when the
 * runtime must be made), submits, and parks r; answer(r) runs on the loop
 * once the invoke is done (with inv->stream: once the runtime started
 * streaming or the invoke ended) or failed to start (call->arc says which),
 * and the call is freed after it: answer may take t and inv from it. Takes
 * inv. Returns MHD_YES. */
typedef struct emu_call {
    emu_invoke *inv;
    emu_ticket t;
    emu_admit_rc arc;             /* EMU_ADMIT_OK: inv ran (its result is in inv) */
    const char *reason;
    fl_err err;
    char name[EMU_FN_REF_MAX];
    bool tail;                    /* X-Amz-Log-Type: Tail */
    int (*answer)(emu_req *r);
} emu_call;
int emu_call_start(emu_req *r, const char *name, emu_invoke *inv, bool tail, int (*answer)(emu_req *r));
/* What is left of r's call or streamed URL answer, when its connection
 * ends without them (front.c). */
void emu_call_free(emu_req *r);
void emu_url_stream_free(emu_req *r);

/* ---- asynchronous (Event) invokes (async.c) ---- */
int emu_async_start(emu *e, fl_err *err);
/* Stops the workers; events still queued are dropped (and logged). */
void emu_async_stop(emu *e);
/* Queues r's payload for name; answers 202 (takes cc). */
int emu_async_submit(emu_req *r, const char *name, char *cc, const char *trace);

/* ---- container images (image.c) ---- */
/* Pulls (or finds in the cache) the image, fills the record's image fields. */
int emu_image_take(emu *e, const char *uri, emu_fn_record *rec, emu_verr *v);
char *emu_image_resolved_uri(const emu_fn_record *rec);
/* "sha256:HEX" -> "sha256-HEX" (its directory under images/) */
void emu_image_dir_name(const char *digest, char out[80]);
/* Fills the image fields of c from the record and the image's config. */
int emu_image_conf(emu *e, const emu_fn_record *r, emu_fn_conf *c, fl_err *err);

/* ---- the functions' logs (logstore.c): CloudWatch Logs, in memory ---- */
typedef struct emu_log_event {
    uint64_t ts, seq;             /* seq: per group, from 0 */
    uint32_t stream, len;
    char msg[];
} emu_log_event;
typedef struct emu_log_stream {
    char *name;
    uint64_t created, first_ts, last_ts;
    size_t events;                /* still kept */
} emu_log_stream;
typedef struct emu_log_group {
    char *name;
    uint64_t created, next_seq;
    emu_log_event **ring;         /* oldest at head */
    size_t cap, head, n, bytes;
    emu_log_stream *streams;
    size_t nstreams, capstreams;
} emu_log_group;
typedef struct emu_logstore {
    pthread_mutex_t mu;           /* taken after a function's mu, never before */
    emu_log_group **groups;
    size_t n, group_max;
} emu_logstore;
/* The group called name, or NULL. ls->mu held. */
emu_log_group *emu_logstore_group(emu_logstore *ls, const char *name);
emu_logstore *emu_logstore_new(size_t group_max_bytes);
void emu_logstore_free(emu_logstore *ls);
/* One event: group /aws/lambda/FN, stream, its text. */
void emu_logstore_put(emu_logstore *ls, const char *fn, const char *stream, const char *msg, size_t n);



/* ---- the AWS event stream encoding (eventstream.c) ---- */
typedef struct emu_es_header {
    const char *name, *value;     /* string headers (type 7) */
} emu_es_header;
void emu_es_message(fl_buf *out, const emu_es_header *h, size_t nh, const void *payload, size_t n);
/* An event: :event-type, :content-type, :message-type event. */
void emu_es_event(fl_buf *out, const char *event_type, const char *content_type, const void *payload, size_t n);

#define EMU_ES_MAX (24u << 20)
#define EMU_ES_HEADERS_MAX 16
typedef struct emu_es_hdr {
    const char *name, *value;     /* into the decoded bytes */
    size_t name_len, value_len;
} emu_es_hdr;
typedef struct emu_es_msg {
    emu_es_hdr headers[EMU_ES_HEADERS_MAX]; /* the string ones */
    size_t nheaders;
    const uint8_t *payload;
    size_t payload_len;
} emu_es_msg;
/* One message from the front of d: 1 (and *consumed), 0 when more bytes
 * are needed, -1 when malformed (lengths, CRCs, header types). */
int emu_es_decode(const uint8_t *d, size_t len, emu_es_msg *m, size_t *consumed);

#endif
