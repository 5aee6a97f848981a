/* Error texts: fixed-size, caller-owned, never allocated. */
#include <stdio.h>
#include <string.h>

#include "common.h"

int fl_fail(fl_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int fl_fail_wrap(fl_err *err, const char *fmt, ...)
{
    if (err) {
        char old[sizeof err->msg];
        memcpy(old, err->msg, sizeof old);
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n + 2 < sizeof err->msg) {
            size_t k = (size_t)n;
            err->msg[k++] = ':';
            err->msg[k++] = ' ';
            size_t ol = strnlen(old, sizeof err->msg - k - 1);
            memcpy(err->msg + k, old, ol);
            err->msg[k + ol] = 0;
        }
    }
    return -1;
}
