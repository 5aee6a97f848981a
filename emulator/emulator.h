/* emulator: a local AWS Lambda.
 *
 * Today it runs one function (`faas-lambda emulate --task-root DIR`): the
 * Lambda Invoke API on a loopback address in front, and behind it the
 * function's own `bootstrap` in a bubblewrap sandbox that talks to a Runtime
 * API served by the emulator at 127.0.0.1:9001 inside the sandbox's private
 * network namespace. It is built to grow into a local Lambda service (many
 * functions, the Lambda REST API, pools of sandboxes, cgroups, freeze/thaw);
 * the objects already have that shape (see internal.h):
 *
 *   emu           the service: the front door (Invoke API) and its functions
 *   emu_function  configuration, a queue of invokes, a controller thread that
 *                 starts, times out and reaps its sandboxes (one for now)
 *   emu_sandbox   one bwrap process tree, its Runtime/Extensions API server
 *                 and the reader of its stdout/stderr
 *   emu_invoke    request id, payload, deadline, result and log tail; shared
 *                 by reference count between the front door and the sandbox
 *
 * Not yet: Event (asynchronous) invokes, more than one function and the
 * Lambda REST API, more than one sandbox per function, memory limits and
 * freezing between invokes (cgroups), external extensions (/opt/extensions),
 * the Logs and Telemetry APIs, SnapStart's restore endpoints.
 *
 * Privileges.
 *   As root: bwrap creates the PID/IPC/UTS/network/mount namespaces itself;
 *   the emulator enters the sandbox's network namespace from a short-lived
 *   thread (setns(CLONE_NEWNET) needs CAP_SYS_ADMIN) to create the Runtime
 *   API's listening socket there.
 *   Unprivileged: needs a kernel that allows unprivileged user namespaces
 *   (user.max_user_namespaces > 0, kernel.unprivileged_userns_clone = 1 where
 *   that knob exists, no AppArmor userns restriction for bwrap). bwrap then
 *   adds a user namespace, which owns the network namespace; a multithreaded
 *   process cannot join a user namespace, so the emulator forks a helper that
 *   joins the user namespace, then the network namespace, creates the socket
 *   and passes it back over a Unix socket (SCM_RIGHTS). The function runs as
 *   the caller's uid. Nothing else needs privilege: the front door binds a
 *   loopback port (>= 1024 unless root) and memory is read from /proc of the
 *   caller's own processes. A setuid bwrap is not supported. */
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
    emu_function_config function;
} emu_config;

typedef struct emu emu;

/* Checks a configuration without starting anything: names, directories,
 * loopback address, environment (reserved keys, 4 KB), limits, bwrap. */
int emu_config_check(const emu_config *cfg, fl_err *err);

/* Starts the front door and the function's controller. No sandbox starts
 * until the first invoke (a cold start, as on Lambda). */
int emu_start(const emu_config *cfg, emu **out, fl_err *err);

/* "http://127.0.0.1:9000": where the Invoke API listens (the real port when
 * the configuration asked for port 0). */
const char *emu_url(const emu *e);

/* Shuts down as Lambda does: pending invokes fail, a runtime that registered
 * an extension gets SIGTERM and 500 ms, then everything gets SIGKILL. Frees e. */
void emu_stop(emu *e);

#endif
