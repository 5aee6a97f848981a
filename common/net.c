/* IP address literals as socket addresses, and listening sockets: the
 * listeners of emulate and serve take the same forms. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

int fl_sockaddr_ip(const char *host, uint16_t port, struct sockaddr_storage *ss, unsigned *len)
{
    memset(ss, 0, sizeof *ss);
    char h[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        host++, n -= 2;
    if (n >= sizeof h)
        return -1;
    memcpy(h, host, n);
    h[n] = 0;
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, h, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        *len = sizeof *in4;
        return 0;
    }
    if (inet_pton(AF_INET6, h, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *len = sizeof *in6;
        return 0;
    }
    return -1;
}

static int listen_one(const struct sockaddr_storage *ss, unsigned sslen, bool reuseport, int *fd, fl_err *err)
{
    int s = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return fl_fail(err, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport)
        setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (ss->ss_family == AF_INET6) /* an IPv6 address is only that (as libmicrohttpd binds them) */
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(s, (const struct sockaddr *)ss, sslen) || listen(s, 128)) {
        int e = errno;
        close(s);
        return fl_fail(err, "%s", strerror(e));
    }
    *fd = s;
    return 0;
}

int fl_listen_socket(const struct sockaddr_storage *ss, unsigned sslen, int *fd, fl_err *err)
{
    return listen_one(ss, sslen, false, fd, err);
}

int fl_listen_sockets(const struct sockaddr_storage *ss, unsigned sslen, unsigned n, int *fds, fl_err *err)
{
    struct sockaddr_storage at = *ss;
    for (unsigned i = 0; i < n; i++) {
        if (listen_one(&at, sslen, n > 1, &fds[i], err)) {
            while (i--)
                close(fds[i]);
            return -1;
        }
        if (i == 0) { /* port 0: the others take the port the first one got */
            socklen_t len = sizeof at;
            getsockname(fds[0], (struct sockaddr *)&at, &len);
        }
    }
    return 0;
}
