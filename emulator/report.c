/* Lambda's REPORT line, and the memory figure in it: the peak resident set
 * of every process in the sandbox's PID namespace (VmHWM, summed). cgroups
 * will give a truer figure once sandboxes get one. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator/internal.h"

void emu_format_report(fl_buf *out, const char *id, double duration_ms, unsigned memory_mb, unsigned used_mb,
                       double init_ms, const char *status, const char *error_type)
{
    /* billed: whole milliseconds, rounded up; the init of a custom runtime is billed */
    double billable = duration_ms + (init_ms > 0 ? init_ms : 0);
    unsigned long long billed = (unsigned long long)billable;
    if ((double)billed < billable || billed == 0)
        billed++;
    fl_buf_printf(out,
                  "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %llu ms\tMemory Size: %u MB\t"
                  "Max Memory Used: %u MB",
                  id, duration_ms, billed, memory_mb, used_mb);
    if (init_ms >= 0)
        fl_buf_printf(out, "\tInit Duration: %.2f ms", init_ms);
    if (status)
        fl_buf_printf(out, "\tStatus: %s", status);
    if (error_type && *error_type)
        fl_buf_printf(out, "\tError Type: %s", error_type);
}

static unsigned long vmhwm_kb(const char *pid)
{
    char path[300], line[256];
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    unsigned long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static bool in_pidns(const char *pid, const char *ns)
{
    char path[300], link[64];
    snprintf(path, sizeof path, "/proc/%s/ns/pid", pid);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n <= 0)
        return false;
    link[n] = 0;
    return !strcmp(link, ns);
}

unsigned emu_proc_memory_mb(const char *pidns)
{
    char self[64];
    ssize_t n = readlink("/proc/self/ns/pid", self, sizeof self - 1);
    if (!pidns || !*pidns || (n > 0 && (self[n] = 0, !strcmp(self, pidns))))
        return 0; /* never count the host's processes */
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    unsigned long kb = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        if (in_pidns(e->d_name, pidns))
            kb += vmhwm_kb(e->d_name);
    }
    closedir(d);
    return (unsigned)((kb + 1023) / 1024);
}
