/* common: the small pieces every component needs, written once.
 *
 * Errors: a fallible call returns 0 on success or -1 on failure and fills a
 * caller-owned fl_err with a message that says what failed, on what input,
 * and what to do. Allocation failure is not an error a caller can handle here:
 * the x-allocators and buffers abort with a message instead (memory is bounded
 * by explicit limits on every input, not by malloc failing). */
#ifndef FL_COMMON_H
#define FL_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define FL_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- errors ---- */
typedef struct fl_err {
    char msg[1024];
} fl_err;

/* Sets err (when not NULL) and returns -1, so `return fl_fail(err, ...)`. */
int fl_fail(fl_err *err, const char *fmt, ...) FL_PRINTF(2, 3);
/* Prefixes an existing message: "context: old message". Returns -1. */
int fl_fail_wrap(fl_err *err, const char *fmt, ...) FL_PRINTF(2, 3);

/* ---- memory ---- */
void *fl_xmalloc(size_t n);
void *fl_xcalloc(size_t n, size_t size);
void *fl_xrealloc(void *p, size_t n);
char *fl_xstrdup(const char *s);
char *fl_xstrndup(const char *s, size_t n);
char *fl_xasprintf(const char *fmt, ...) FL_PRINTF(1, 2);

/* ---- growable byte buffer; a zeroed fl_buf is an empty buffer ---- */
typedef struct fl_buf {
    char *data;
    size_t len, cap;
} fl_buf;

void fl_buf_reserve(fl_buf *b, size_t extra);
/* Before a body's first byte: room for what its Content-Length announces,
 * when that is at most max, so that a body of megabytes is not copied over
 * and over as it grows. */
void fl_buf_expect(fl_buf *b, const char *content_length, size_t max);
void fl_buf_append(fl_buf *b, const void *p, size_t n);
void fl_buf_puts(fl_buf *b, const char *s);
void fl_buf_putc(fl_buf *b, char c);
void fl_buf_printf(fl_buf *b, const char *fmt, ...) FL_PRINTF(2, 3);
/* NUL-terminates (not counted in len) and returns data; never NULL. */
char *fl_buf_cstr(fl_buf *b);
/* Returns the data (NUL-terminated) and leaves b empty; caller frees. */
char *fl_buf_steal(fl_buf *b);
void fl_buf_reset(fl_buf *b);
void fl_buf_free(fl_buf *b);

/* ---- HTTP header list: ordered, duplicates kept, names compared
 * case-insensitively, original spelling kept; a zeroed fl_headers is an
 * empty list. v[i].name and v[i].value belong to the list (its text blocks):
 * read them, never free or replace them; they stay valid until the entry is
 * deleted or the list cleared or freed. ---- */
typedef struct fl_header {
    char *name, *value;
} fl_header;
typedef struct fl_headers {
    fl_header *v;
    size_t n, cap;
    struct fl_headers_text *text; /* where names and values live */
} fl_headers;

void fl_headers_add(fl_headers *h, const char *name, const char *value);
void fl_headers_addn(fl_headers *h, const char *name, size_t nlen, const char *value, size_t vlen);
/* First value of name, or NULL. */
const char *fl_headers_get(const fl_headers *h, const char *name);
size_t fl_headers_count(const fl_headers *h, const char *name);
/* Removes every header called name; returns how many were removed. */
size_t fl_headers_del(fl_headers *h, const char *name);
/* Replaces every header called name with one header. */
void fl_headers_set(fl_headers *h, const char *name, const char *value);
void fl_headers_copy(fl_headers *dst, const fl_headers *src);
/* Empties the list but keeps its memory, for the next request. */
void fl_headers_clear(fl_headers *h);
void fl_headers_free(fl_headers *h);

/* ---- logging to stderr: "<prog>: <level>: message" ---- */
enum { FL_LOG_ERROR, FL_LOG_WARN, FL_LOG_INFO, FL_LOG_DEBUG };
void fl_log_init(const char *prog, int level);
int fl_log_level(void);
void fl_log(int level, const char *fmt, ...) FL_PRINTF(2, 3);
#define fl_error(...) fl_log(FL_LOG_ERROR, __VA_ARGS__)
#define fl_warn(...) fl_log(FL_LOG_WARN, __VA_ARGS__)
#define fl_info(...) fl_log(FL_LOG_INFO, __VA_ARGS__)
#define fl_debug(...) (fl_log_level() >= FL_LOG_DEBUG ? fl_log(FL_LOG_DEBUG, __VA_ARGS__) : (void)0)
/* libmicrohttpd's external logger (MHD_OPTION_EXTERNAL_LOGGER): its messages
 * as debug lines, prefixed with cls (a string naming the server). */
void fl_log_mhd(void *cls, const char *fmt, va_list ap);

/* ---- event loop (loop.c) and a pool of threads for blocking work (pool.c) ----
 * One thread runs the loop: callbacks for ready descriptors, timers and
 * calls posted from other threads all run on it, and must not block. */
typedef struct fl_loop fl_loop;
typedef void (*fl_loop_fn)(void *ud);
typedef void (*fl_loop_io_fn)(void *ud, uint32_t events);
#define FL_LOOP_IN 0x001u    /* EPOLLIN */
#define FL_LOOP_OUT 0x004u   /* EPOLLOUT */
#define FL_LOOP_ERR 0x008u   /* EPOLLERR */
#define FL_LOOP_HUP 0x010u   /* EPOLLHUP */
#define FL_LOOP_RDHUP 0x2000u /* EPOLLRDHUP */

/* How many loops a server runs: one per online CPU, at most FL_LOOPS_MAX. */
#define FL_LOOPS_MAX 16
unsigned fl_loop_count(void);
fl_loop *fl_loop_new(fl_err *err);
/* Stops the loop first (see fl_loop_stop). */
void fl_loop_free(fl_loop *l);
/* Runs the loop on the calling thread until fl_loop_stop. */
void fl_loop_run(fl_loop *l);
/* Runs the loop on a thread of its own. */
int fl_loop_start(fl_loop *l, fl_err *err);
/* From any thread: the loop ends after the calls already posted; joins the
 * loop's own thread. */
void fl_loop_stop(fl_loop *l);
/* True on the loop's thread while it runs. */
bool fl_loop_here(const fl_loop *l);
/* Loop thread only: one watch per descriptor, level-triggered unless events
 * says otherwise; unwatch before closing the descriptor. */
void fl_loop_watch(fl_loop *l, int fd, uint32_t events, fl_loop_io_fn fn, void *ud);
/* Changes what a watched descriptor is watched for. */
void fl_loop_modify(fl_loop *l, int fd, uint32_t events);
void fl_loop_unwatch(fl_loop *l, int fd);
/* From any thread: fn(ud) runs on the loop's thread, in the order posted. */
void fl_loop_post(fl_loop *l, fl_loop_fn fn, void *ud);
/* From any thread but the loop's: runs fn(ud) on the loop and waits for
 * it. On the loop's thread (or before the loop runs) it runs fn at once. */
void fl_loop_call(fl_loop *l, fl_loop_fn fn, void *ud);
/* One-shot timers in caller-owned memory, loop thread only. (Re)arming an
 * armed timer moves it. at_us is fl_mono_us() time. */
typedef struct fl_timer {
    uint64_t at_us;
    fl_loop_fn fn;
    void *ud;
    struct fl_timer *next;
    bool armed;
} fl_timer;
void fl_loop_timer(fl_loop *l, fl_timer *t, uint64_t at_us, fl_loop_fn fn, void *ud);
void fl_loop_timer_cancel(fl_loop *l, fl_timer *t);

typedef struct fl_pool fl_pool;
fl_pool *fl_pool_new(unsigned max_threads);
/* From any thread: fn(ud) runs on a pool thread; jobs start in order. */
void fl_pool_run(fl_pool *p, fl_loop_fn fn, void *ud);
/* Runs the jobs still queued, then joins the threads. */
void fl_pool_free(fl_pool *p);

/* A libmicrohttpd daemon (started with MHD_USE_EPOLL and no internal
 * thread) run by a loop (loop_mhd.c, host builds only). Attach, detach and
 * run on the loop's thread. */
struct MHD_Daemon;
struct MHD_Connection;
typedef struct fl_mhd fl_mhd;
fl_mhd *fl_mhd_attach(fl_loop *l, struct MHD_Daemon *d, fl_err *err);
/* From any thread: MHD_resume_connection, and a run of the daemon on the
 * loop so that it notices (in this mode it has no wake-up of its own). */
void fl_mhd_resume(fl_mhd *m, struct MHD_Connection *c);
/* Stops watching (loop thread); the caller then stops the daemon, after
 * resuming every connection it suspended. */
void fl_mhd_detach(fl_mhd *m);

/* ---- signals ---- */
#include <signal.h>
/* For daemons that stop on SIGINT/SIGTERM taken with sigwait: blocks both in
 * the calling thread (threads started later inherit the mask), ignores
 * SIGPIPE (peers hang up), and fills stop with the two for sigwait. */
void fl_signals_take_stop(sigset_t *stop);

/* ---- time ---- */
uint64_t fl_wall_ms(void);  /* Unix epoch, milliseconds */
uint64_t fl_mono_us(void);  /* monotonic, microseconds */
void fl_sleep_us(uint64_t us);

/* ---- strings and numbers ---- */
bool fl_str_eq_nocase(const char *a, const char *b);
bool fl_str_has_prefix(const char *s, const char *prefix);
/* Parses a whole decimal string in [0, max]; -1 on anything else. */
int fl_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Parses "200-299,404" style lists of status codes into a 600-bit set. */
typedef struct fl_status_set {
    uint64_t bits[10];
} fl_status_set;
int fl_status_set_parse(const char *s, fl_status_set *set, fl_err *err);
bool fl_status_set_has(const fl_status_set *set, int status);
bool fl_status_set_empty(const fl_status_set *set);
/* "OK" for 200 etc.; "Unknown" when the code has no standard reason. */
const char *fl_http_reason(int status);

/* ---- percent-encoding (percent.c) ---- */
#define FL_PCT_PLUS 1u   /* '+' decodes to a space (query strings, forms) */
#define FL_PCT_STRICT 2u /* a malformed escape or a NUL fails (-1); else they are kept */
/* Appends the decoding of s[0..n) to out (NUL-terminated). */
int fl_pct_decode(const char *s, size_t n, unsigned flags, fl_buf *out);
/* AWS's URI encoding (SigV4): every byte but A-Z a-z 0-9 - _ . ~ (and '/'
 * when keep_slash) as %XX, upper-case. Appends. */
void fl_aws_uri_encode(fl_buf *out, const char *s, size_t n, bool keep_slash);
/* SigV4's canonical URI of a path as sent: dot segments and empty segments
 * removed (every service but S3: normalize), then URI-encoded once more, so
 * a client's %3A becomes %253A. Appends. */
void fl_aws_canonical_uri(const char *path, size_t n, bool normalize, fl_buf *out);
/* SigV4's canonical query of a raw query: each name and value decoded then
 * encoded AWS's way, sorted by name, then value. Appends. */
void fl_aws_canonical_query(const char *raw, size_t n, fl_buf *out);

/* ---- network addresses (net.c) ---- */
struct sockaddr_storage;
/* An IP address literal (IPv4, IPv6, or IPv6 in brackets) with a port, as a
 * socket address for bind(2); -1 when host is not an IP address. */
int fl_sockaddr_ip(const char *host, uint16_t port, struct sockaddr_storage *ss, unsigned *len);
/* A TCP socket listening on the address (SOCK_CLOEXEC, SO_REUSEADDR). */
int fl_listen_socket(const struct sockaddr_storage *ss, unsigned len, int *fd, fl_err *err);
/* n of them on the same address (SO_REUSEPORT: the kernel spreads new
 * connections over them, one per loop); with port 0, one port for all. */
int fl_listen_sockets(const struct sockaddr_storage *ss, unsigned len, unsigned n, int *fds, fl_err *err);

/* ---- files ---- */
/* Reads a whole file, refusing more than max bytes. */
int fl_read_file(const char *path, size_t max, fl_buf *out, fl_err *err);
/* Writes a file atomically: temp file in the same directory, fsync, rename,
 * fsync of the directory. Readers see the old or the new content, never a mix. */
int fl_write_file_atomic(const char *path, const void *data, size_t len, int mode, fl_err *err);
/* mkdir -p with the given mode for created directories. */
int fl_mkdirs(const char *path, int mode, fl_err *err);

/* ---- JSON helpers over cJSON ---- */
/* Member lookups that return NULL when absent or of another type. */
const char *fl_json_str(const cJSON *obj, const char *key);
const cJSON *fl_json_obj(const cJSON *obj, const char *key);
const cJSON *fl_json_arr(const cJSON *obj, const char *key);
/* True/false for a JSON boolean; def when absent or not a boolean. */
bool fl_json_bool(const cJSON *obj, const char *key, bool def);
/* Appends s[0..n) as a JSON string literal (with quotes) to b. One pass, no
 * tree: used where bodies of megabytes go into a document. */
void fl_json_put_str(fl_buf *b, const char *s, size_t n);
/* Prints a cJSON tree unformatted into b (appending). */
void fl_json_print(fl_buf *b, const cJSON *item);

/* ---- the package manifest, faas-lambda.json at the package root ----
 * Written by the packer, read by the bootstrap. Paths are absolute, as the
 * function sees them (/var/task/... for zips). Schema:
 *   {"schema":1, "argv":["/var/task/home/app/fwatchdog"], "env":["K=V",..],
 *    "workdir":"/var/task/home/app", "port":8080, "health_path":"/_/health",
 *    "readiness_protocol":"http"|"tcp", "invoke_mode":"buffered"|"response_stream",
 *    "relocation":{"links":[{"path":"/tmp/...","target":"/var/task/..."}]}}
 * Every member but "schema" is optional. */
#define FL_MANIFEST_NAME "faas-lambda.json"
#define FL_MANIFEST_SCHEMA 1
#define FL_MANIFEST_MAX (1u << 20)

typedef struct fl_link {
    char *path, *target;
} fl_link;

typedef struct fl_manifest {
    char **argv;               /* NULL-terminated; NULL when absent */
    char **env;                /* NULL-terminated "K=V"; NULL when absent */
    char *workdir;
    int port;                  /* 0 when absent */
    char *health_path;
    char *readiness_protocol;
    char *invoke_mode;
    fl_link *links;
    size_t nlinks;
} fl_manifest;

int fl_manifest_parse(const char *json, size_t len, fl_manifest *m, fl_err *err);
void fl_manifest_to_json(const fl_manifest *m, fl_buf *out);
void fl_manifest_free(fl_manifest *m);

/* ---- HTTP client over libcurl ----
 * One request on a caller-owned easy handle from fl_http_handle (so
 * connections are reused; the handle keeps its options and buffers from
 * request to request). Response headers are those of the final answer, as
 * curl's header API gives them; the body is collected up to max_body bytes
 * or handed to sink as it arrives. */
typedef void CURL_handle; /* a CURL *, without making every user include curl */
typedef size_t (*fl_http_sink)(void *ud, const char *data, size_t n); /* returns n, or 0 to abort */

typedef struct fl_http_req {
    const char *method;         /* default "GET" */
    const char *url;
    const fl_headers *headers;  /* sent as given; NULL for none */
    const void *body;           /* sent when has_body */
    size_t body_len;
    bool has_body;
    long timeout_ms;            /* whole transfer; 0 = none */
    long connect_timeout_ms;    /* 0 = curl's default */
    size_t max_body;            /* 0 = unlimited */
    fl_http_sink sink;          /* when set, the body goes here, not to resp->body */
    void *sink_ud;
    fl_buf *body_into;          /* when set, the body is collected here (reset first), not in
                                 * resp->body: a buffer kept across requests saves the page
                                 * faults of fresh megabytes on every call */
    const char *aws_sigv4;      /* CURLOPT_AWS_SIGV4, e.g. "aws:amz:us-east-1:lambda" */
    const char *userpwd;        /* "user:password" (Basic, or the SigV4 key pair) */
    bool no_proxy;              /* ignore proxy variables (loopback peers) */
    bool fresh_connect;         /* do not reuse a pooled connection */
    bool follow_redirects;
    bool path_as_is;            /* send the path byte for byte (no dot-segment removal) */
    const char *request_target; /* CURLOPT_REQUEST_TARGET: sent instead of the URL's path and
                                 * query, so a SigV4 caller can give curl's signer the
                                 * canonical URI in url and the wire form here */
} fl_http_req;

typedef struct fl_http_resp {
    int status;
    fl_headers headers;
    fl_buf body;
    bool too_large;             /* max_body was exceeded (the call failed) */
    int curl_code;              /* CURLcode of the transfer */
    bool reused_connection;     /* the request went over a pooled connection */
} fl_http_resp;

/* curl's global init, once (fl_http_handle and fl_curlm_new do it first). */
void fl_http_global_init(void);
CURL_handle *fl_http_handle(void);
void fl_http_handle_free(CURL_handle *h);
/* At the end of the process, when no thread uses libcurl any more. */
void fl_http_global_cleanup(void);
int fl_http_do(CURL_handle *h, const fl_http_req *req, fl_http_resp *resp, fl_err *err);
/* A short description of a CURLcode that also works with the bootstrap's
 * static libcurl, which has no message strings of its own. */
const char *fl_http_strerror(int curl_code);
void fl_http_resp_free(fl_http_resp *resp);

/* fl_http_do without waiting: on a loop's multi handle (loop thread), with
 * a handle from fl_http_handle. done(ud, rc, resp, err) runs on the loop
 * when it ended, rc and err as fl_http_do's; req, what it points to and
 * resp stay valid until then. */
typedef struct fl_curlm fl_curlm;
typedef void (*fl_http_done)(void *ud, int rc, fl_http_resp *resp, fl_err *err);
void fl_http_start(fl_curlm *m, CURL_handle *h, const fl_http_req *req, fl_http_resp *resp, fl_http_done done,
                   void *ud);

/* libcurl's multi interface run by a loop (loop_curl.c, host builds only):
 * transfers of easy handles, every one of them on the loop's thread. */
typedef void (*fl_curlm_done)(void *ud, int curl_code);
fl_curlm *fl_curlm_new(fl_loop *l);
/* Loop thread, with no transfer in flight. */
void fl_curlm_free(fl_curlm *m);
/* Loop thread: runs the transfer h is set up for; done(ud, CURLcode) is
 * called on the loop when it ended, the handle already taken out again. */
void fl_curlm_add(fl_curlm *m, CURL_handle *h, fl_curlm_done done, void *ud);

#endif
