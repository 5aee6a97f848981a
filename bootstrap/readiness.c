/* Readiness: poll the watchdog's health check until it passes. Polls are
 * 250 us apart for the first 50 ms (fast watchdogs start in a few ms), then
 * 1 ms apart, so readiness is noticed within a millisecond either way. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bootstrap/bootstrap.h"

static bool tcp_ready(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

int boot_wait_ready(const boot_config *cfg, boot_watchdog *wd, uint64_t until_mono_us, char *status,
                    size_t status_len)
{
    char *url = fl_xasprintf("http://127.0.0.1:%d%s", cfg->readiness_port, cfg->health_path);
    CURL_handle *h = cfg->tcp_readiness ? NULL : fl_http_handle();
    fl_http_req req = {.url = url, .no_proxy = true, .timeout_ms = 1000, .max_body = 64 * 1024};
    uint64_t start = fl_mono_us();
    int result = 0;
    for (;;) {
        if (boot_watchdog_exited(wd, status, status_len)) {
            result = -1;
            break;
        }
        bool ok;
        if (h) {
            fl_http_resp resp;
            fl_err err;
            ok = fl_http_do(h, &req, &resp, &err) == 0 && fl_status_set_has(&cfg->healthy, resp.status);
            fl_http_resp_free(&resp);
        } else {
            ok = tcp_ready(cfg->readiness_port);
        }
        if (ok) {
            result = 1;
            break;
        }
        uint64_t now = fl_mono_us();
        if (now >= until_mono_us)
            break;
        fl_sleep_us(now - start < 50000 ? 250 : 1000);
    }
    fl_debug("readiness: %s after %.1f ms", result == 1 ? "ready" : "not ready",
             (double)(fl_mono_us() - start) / 1000.0);
    fl_http_handle_free(h);
    free(url);
    return result;
}
