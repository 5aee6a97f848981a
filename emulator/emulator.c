/* The emulator service: the front door plus its functions (one for now). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "emulator/internal.h"

struct emu {
    emu_function *fn;
    emu_front *front;
    char url[96];
};

static void format_url(int fd, char *out, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            port = ntohs(a->sin6_port);
            snprintf(out, n, "http://[%s]:%u", host, port);
            return;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
    }
    snprintf(out, n, "http://%s:%u", host, port);
}

int emu_start(const emu_config *cfg, emu **out, fl_err *err)
{
    if (emu_config_check(cfg, err))
        return -1;
    struct sockaddr_storage ss;
    unsigned sslen;
    int fd = -1;
    if (emu_parse_listen(cfg->listen, &ss, &sslen, err))
        return -1;
    if (emu_listen_socket(&ss, sslen, &fd, err))
        return fl_fail_wrap(err, "listening on %s", cfg->listen);
    emu *e = fl_xcalloc(1, sizeof *e);
    format_url(fd, e->url, sizeof e->url);
    e->fn = emu_function_new(&cfg->function, cfg->region, err);
    if (!e->fn) {
        close(fd);
        free(e);
        return -1;
    }
    e->front = emu_front_start(fd, e->fn, err);
    if (!e->front) {
        close(fd);
        emu_function_free(e->fn);
        free(e);
        return -1;
    }
    *out = e;
    return 0;
}

const char *emu_url(const emu *e)
{
    return e->url;
}

void emu_stop(emu *e)
{
    if (!e)
        return;
    emu_function_stop(e->fn); /* every waiting invoke ends here */
    emu_front_stop(e->front);
    emu_function_free(e->fn);
    free(e);
}
