/* Timeouts the OpenFaaS way: an integer is seconds, anything else a Go
 * duration ("1m30s", "500ms", "1.5h", "2h45m"; units ns us µs ms s m h). */
#include <string.h>

#include "provider/internal.h"

#define DURATION_MAX_MS (365ull * 24 * 3600 * 1000)

static int unit_ns(const char **p, double *ns)
{
    static const struct {
        const char *u;
        double ns;
    } units[] = {
        {"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9},
        {"h", 3600e9},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].u);
        /* "m" must not take the "m" of "ms" */
        if (!strncmp(*p, units[i].u, n) && !(n == 1 && **p == 'm' && (*p)[1] == 's')) {
            *p += n;
            *ns = units[i].ns;
            return 0;
        }
    }
    return -1;
}

int pv_duration_ms(const char *s, uint64_t *ms, fl_err *err)
{
    uint64_t secs;
    if (fl_parse_u64(s, DURATION_MAX_MS / 1000, &secs) == 0) {
        *ms = secs * 1000;
        return 0;
    }
    const char *p = s;
    double total_ns = 0;
    if (*p == '+')
        p++;
    if (!*p || strlen(s) > 64)
        goto bad;
    if (!strcmp(p, "0")) {
        *ms = 0;
        return 0;
    }
    while (*p) {
        double v = 0, scale = 1;
        bool any = false, dot = false;
        for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
            if (*p == '.') {
                if (dot)
                    goto bad;
                dot = true;
                continue;
            }
            any = true;
            if (dot)
                v += (*p - '0') * (scale /= 10);
            else
                v = v * 10 + (*p - '0');
        }
        double u;
        if (!any || unit_ns(&p, &u))
            goto bad;
        total_ns += v * u;
        if (total_ns / 1e6 > (double)DURATION_MAX_MS)
            goto bad;
    }
    *ms = (uint64_t)(total_ns / 1e6 + 0.5);
    return 0;
bad:
    return fl_fail(err, "invalid duration \"%.64s\": use seconds (60) or a Go duration (1m30s, 500ms)", s);
}
