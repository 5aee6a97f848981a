/* How fast the bootstrap notices a ready watchdog and reaches /next.
 * This program is both sides of the bootstrap: a Runtime API (it records the
 * first GET /next) and the watchdog's health check (503 until a chosen
 * moment, then 200; it records the first 200 served). The bootstrap's
 * "watchdog" is a process that only sleeps, so every health answer comes from
 * here. Per run it prints JSON with
 *   notice_us: first 200 served - the moment the check turned healthy
 *   next_us:   first /next      - the moment the check turned healthy
 *   init_us:   first /next      - bootstrap exec
 * usage: readiness BOOTSTRAP RUNS */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"

static _Atomic uint64_t healthy_at, first_ok, first_next;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *hdr, const char *val)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
    if (hdr)
        MHD_add_response_header(r, hdr, val);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result health(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **ctx)
{
    uint64_t now = fl_mono_us(), h = atomic_load(&healthy_at);
    if (h && now >= h) {
        uint64_t zero = 0;
        atomic_compare_exchange_strong(&first_ok, &zero, now);
        return reply(c, 200, NULL, NULL);
    }
    return reply(c, 503, NULL, NULL);
}

static enum MHD_Result rapi(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                            const char *version, const char *data, size_t *size, void **ctx)
{
    if (!*ctx) {
        *ctx = (void *)1;
        return MHD_YES;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    if (strstr(url, "/extension/register"))
        return reply(c, 200, "Lambda-Extension-Identifier", "bench");
    if (strstr(url, "/runtime/invocation/next")) {
        uint64_t zero = 0;
        atomic_compare_exchange_strong(&first_next, &zero, fl_mono_us());
    }
    return MHD_NO; /* /next and event/next: hang up; the run is over */
}

static int port_of(struct MHD_Daemon *d)
{
    return MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: readiness BOOTSTRAP RUNS\n");
        return 2;
    }
    int runs = atoi(argv[2]);
    struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    struct MHD_Daemon *h = MHD_start_daemon(flags, 0, NULL, NULL, health, NULL, MHD_OPTION_SOCK_ADDR, &lo, MHD_OPTION_END);
    struct MHD_Daemon *r = MHD_start_daemon(flags, 0, NULL, NULL, rapi, NULL, MHD_OPTION_SOCK_ADDR, &lo, MHD_OPTION_END);
    if (!h || !r)
        return 1;
    char dir[] = "/tmp/fl-readiness-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char manifest[4096], path[4200], api[64], port[16];
    snprintf(manifest, sizeof manifest, "{\"schema\":1,\"argv\":[\"/bin/sleep\",\"60\"]}\n");
    snprintf(path, sizeof path, "%s/faas-lambda.json", dir);
    fl_err err;
    if (fl_write_file_atomic(path, manifest, strlen(manifest), 0644, &err))
        return 1;
    snprintf(api, sizeof api, "127.0.0.1:%d", port_of(r));
    snprintf(port, sizeof port, "%d", port_of(h));
    for (int i = 0; i < runs; i++) {
        atomic_store(&first_ok, 0);
        atomic_store(&first_next, 0);
        uint64_t start = fl_mono_us();
        atomic_store(&healthy_at, start + 20000); /* healthy 20 ms after exec */
        pid_t pid = fork();
        if (pid == 0) {
            setenv("AWS_LAMBDA_RUNTIME_API", api, 1);
            setenv("LAMBDA_TASK_ROOT", dir, 1);
            setenv("FAAS_LAMBDA_PORT", port, 1);
            execl(argv[1], argv[1], (char *)NULL);
            _exit(127);
        }
        while (!atomic_load(&first_next) && fl_mono_us() - start < 5000000)
            fl_sleep_us(200);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        uint64_t hz = atomic_load(&healthy_at), ok = atomic_load(&first_ok), nx = atomic_load(&first_next);
        printf("{\"notice_us\":%lld,\"next_us\":%lld,\"init_us\":%lld}\n", (long long)(ok - hz), (long long)(nx - hz),
               (long long)(nx - start));
        fflush(stdout);
    }
    unlink(path);
    rmdir(dir);
    MHD_stop_daemon(h);
    MHD_stop_daemon(r);
    return 0;
}
