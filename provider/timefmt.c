/* Times between Lambda's format ("2026-11-26T10:00:00.000+0000"), epoch
 * milliseconds, and Go's RFC3339Nano (trailing zeros of the fraction
 * dropped, UTC as "Z"). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "provider/internal.h"

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* YYYY-MM-DDTHH:MM:SS at s: epoch seconds (UTC). */
static int parse_datetime(const char *s, int64_t *secs)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, se;
    if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *secs = (int64_t)timegm(&tm);
    return 0;
}

/* The fraction (".123456") at *p, as milliseconds; advances *p. */
static int parse_fraction_ms(const char **p, int *ms)
{
    *ms = 0;
    if (**p != '.')
        return 0;
    (*p)++;
    int n = 0, scale = 100;
    for (; **p >= '0' && **p <= '9'; (*p)++, n++) {
        *ms += (**p - '0') * scale;
        scale /= 10;
    }
    return n ? 0 : -1;
}

/* Z, +HH:MM, -HH:MM, +HHMM: the offset in seconds east of UTC. */
static int parse_zone(const char *p, int *off)
{
    if ((p[0] == 'Z' || p[0] == 'z') && !p[1]) {
        *off = 0;
        return 0;
    }
    int h, m;
    if ((p[0] != '+' && p[0] != '-') || digits(p + 1, 2, &h))
        return -1;
    const char *mm = p + 3 + (p[3] == ':');
    if (digits(mm, 2, &m) || mm[2])
        return -1;
    *off = (p[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 0;
}

int pv_parse_rfc3339(const char *s, int64_t *ms)
{
    int64_t secs;
    int frac, off;
    if (parse_datetime(s, &secs))
        return -1;
    const char *p = s + 19;
    if (parse_fraction_ms(&p, &frac) || parse_zone(p, &off))
        return -1;
    *ms = (secs - off) * 1000 + frac;
    return 0;
}

void pv_format_rfc3339_ms(uint64_t ms, char out[48])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned f = (unsigned)(ms % 1000);
    if (!f) {
        snprintf(out, 48, "%sZ", base);
        return;
    }
    char fr[8];
    snprintf(fr, sizeof fr, "%03u", f);
    for (int i = 2; i > 0 && fr[i] == '0'; i--)
        fr[i] = 0;
    snprintf(out, 48, "%s.%sZ", base, fr);
}

int pv_lambda_time_to_rfc3339(const char *t, char out[48])
{
    int64_t ms;
    if (!t || pv_parse_rfc3339(t, &ms) || ms < 0)
        return -1;
    pv_format_rfc3339_ms((uint64_t)ms, out);
    return 0;
}
