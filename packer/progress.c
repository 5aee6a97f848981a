/* Progress lines on a terminal: one line per transfer, rewritten in place at
 * most ten times a second. The caller decides whether stderr is a TTY. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "packer/internal.h"

const char *pk_human(uint64_t n, char buf[32])
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, 32, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, 32, "%.1f %s", v, units[u]);
    return buf;
}

static void draw(pk_progress *p, bool final)
{
    char a[32], b[32], r[32];
    double secs = (double)(fl_mono_us() - p->start_us) / 1e6;
    uint64_t rate = secs > 0 ? (uint64_t)((double)p->done / secs) : 0;
    char line[256];
    int n = snprintf(line, sizeof line, "\r%s %s/%s %s/s%s", p->label, pk_human(p->done, a),
                     pk_human(p->total, b), pk_human(rate, r), final ? "\n" : "   ");
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)w;
    }
}

void pk_progress_start(pk_progress *p, bool on, const char *label, uint64_t total)
{
    memset(p, 0, sizeof *p);
    p->on = on;
    p->label = label;
    p->total = total;
    p->start_us = p->last_us = fl_mono_us();
}

void pk_progress_add(pk_progress *p, uint64_t n)
{
    p->done += n;
    if (!p->on)
        return;
    uint64_t now = fl_mono_us();
    if (now - p->last_us >= 100000) {
        p->last_us = now;
        draw(p, false);
    }
}

void pk_progress_end(pk_progress *p)
{
    if (p->on)
        draw(p, true);
    p->on = false;
}
