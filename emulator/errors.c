/* Error types and error documents, as Lambda and RIE shape them
 * (lambda-runtime.md §1.3). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "emulator/internal.h"

/* prefix followed by [A-Z][a-zA-Z]+ and nothing else */
static bool type_matches(const char *t, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(t, prefix, pl))
        return false;
    const char *p = t + pl;
    if (!(*p >= 'A' && *p <= 'Z'))
        return false;
    size_t n = 1;
    for (p++; *p; p++, n++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
            return false;
    return n >= 2 && pl + n < EMU_ERROR_TYPE_MAX;
}

bool emu_error_type_valid(const char *t)
{
    return t && (type_matches(t, "Runtime.") || type_matches(t, "Function."));
}

void emu_error_type_normalize(const char *t, char out[EMU_ERROR_TYPE_MAX])
{
    if (emu_error_type_valid(t))
        snprintf(out, EMU_ERROR_TYPE_MAX, "%s", t);
    else if (t && fl_str_has_prefix(t, "Function."))
        snprintf(out, EMU_ERROR_TYPE_MAX, "Function.Unknown");
    else
        snprintf(out, EMU_ERROR_TYPE_MAX, "Runtime.Unknown");
}

void emu_ext_error_type_normalize(const char *t, char out[EMU_ERROR_TYPE_MAX])
{
    snprintf(out, EMU_ERROR_TYPE_MAX, "%s", t && type_matches(t, "Extension.") ? t : "Extension.Unknown");
}

void emu_error_doc(fl_buf *out, const char *type, const char *msg)
{
    fl_buf_puts(out, "{\"errorMessage\":");
    fl_json_put_str(out, msg, strlen(msg));
    fl_buf_puts(out, ",\"errorType\":");
    fl_json_put_str(out, type, strlen(type));
    fl_buf_putc(out, '}');
}

void emu_error_from_runtime(const char *type_header, const char *body, size_t len, fl_buf *out,
                            char type_out[EMU_ERROR_TYPE_MAX])
{
    emu_error_type_normalize(type_header, type_out);
    cJSON *doc = len ? emu_json_parse_exact(body, len) : NULL;
    if (cJSON_IsObject(doc) && fl_json_str(doc, "errorType")) {
        if (cJSON_HasObjectItem(doc, "errorCause")) {
            /* application/vnd.aws.lambda.error.cause+json: the cause is for X-Ray */
            cJSON_DeleteItemFromObjectCaseSensitive(doc, "errorCause");
            fl_json_print(out, doc);
        } else {
            fl_buf_append(out, body, len);
        }
        cJSON_Delete(doc);
        return;
    }
    cJSON_Delete(doc);
    /* No usable document: build one from the header, keeping whatever text
     * the runtime sent as the message. */
    fl_buf msg = {0};
    if (len)
        fl_buf_append(&msg, body, len);
    else
        fl_buf_puts(&msg, "Unknown application error occurred");
    fl_buf_puts(out, "{\"errorMessage\":");
    fl_json_put_str(out, msg.data, msg.len);
    fl_buf_puts(out, ",\"errorType\":");
    fl_json_put_str(out, type_out, strlen(type_out));
    fl_buf_putc(out, '}');
    fl_buf_free(&msg);
}

/* Go's names, which Lambda's messages use ("signal: killed"). */
static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGHUP: return "hangup";
    case SIGINT: return "interrupt";
    case SIGQUIT: return "quit";
    case SIGILL: return "illegal instruction";
    case SIGTRAP: return "trace/breakpoint trap";
    case SIGABRT: return "aborted";
    case SIGBUS: return "bus error";
    case SIGFPE: return "floating point exception";
    case SIGKILL: return "killed";
    case SIGUSR1: return "user defined signal 1";
    case SIGSEGV: return "segmentation fault";
    case SIGUSR2: return "user defined signal 2";
    case SIGPIPE: return "broken pipe";
    case SIGALRM: return "alarm clock";
    case SIGTERM: return "terminated";
    case SIGXCPU: return "CPU time limit exceeded";
    case SIGXFSZ: return "file size limit exceeded";
    case SIGSYS: return "bad system call";
    default: return NULL;
    }
}

static void describe_signal(int sig, char *out, size_t n)
{
    const char *name = signal_name(sig);
    if (name)
        snprintf(out, n, "Runtime exited with error: signal: %s", name);
    else
        snprintf(out, n, "Runtime exited with error: signal %d", sig);
}

void emu_exit_reason(int wstatus, char *out, size_t n)
{
    if (WIFSIGNALED(wstatus)) {
        describe_signal(WTERMSIG(wstatus), out, n);
        return;
    }
    int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    if (code == 0)
        snprintf(out, n, "Runtime exited without providing a reason");
    else if (code > 128 && code < 128 + 65)
        describe_signal(code - 128, out, n); /* bwrap: 128 + signal of its child */
    else
        snprintf(out, n, "Runtime exited with error: exit status %d", code);
}

void emu_aws_error_body(fl_buf *out, bool service, const char *msg)
{
    fl_buf_printf(out, "{\"Type\":\"%s\",\"message\":", service ? "Service" : "User");
    fl_json_put_str(out, msg, strlen(msg));
    fl_buf_putc(out, '}');
}
