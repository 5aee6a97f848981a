/* Logging: one line per call, written with a single write(2) so that lines
 * from concurrent threads and processes sharing stderr do not interleave. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static const char *log_prog = "faas-lambda";
static int log_max = FL_LOG_INFO;

void fl_log_init(const char *prog, int level)
{
    log_prog = prog;
    log_max = level;
}

int fl_log_level(void)
{
    return log_max;
}

void fl_log(int level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (level > log_max)
        return;
    char line[4096];
    int n = snprintf(line, sizeof line, "%s: %s: ", log_prog, names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    int saved = errno;
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
    errno = saved;
}

void fl_log_mhd(void *cls, const char *fmt, va_list ap)
{
    if (fl_log_level() < FL_LOG_DEBUG)
        return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = 0;
    fl_debug("%s: %s", (const char *)cls, line);
}
