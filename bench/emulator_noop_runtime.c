/* A custom runtime that does nothing: GET /next, POST "{}" as the response,
 * forever, over one keep-alive connection with plain sockets. It measures
 * the emulator's own cold start (sandbox start to the first /next answered)
 * without any watchdog's start-up in it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[1 << 16];

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one response; copies the request id header when asked. */
static int read_response(int fd, char *id, size_t idn)
{
    size_t len = 0;
    char *end = NULL;
    while (!(end = strstr(buf, "\r\n\r\n"))) {
        if (len + 1 >= sizeof buf)
            return -1;
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = 0;
    }
    size_t body = 0;
    char *cl = strcasestr(buf, "\r\nContent-Length:");
    if (cl)
        body = strtoul(cl + 17, NULL, 10);
    char *rid = strcasestr(buf, "\r\nLambda-Runtime-Aws-Request-Id:");
    if (id && rid) {
        rid += 32;
        while (*rid == ' ')
            rid++;
        size_t n = strcspn(rid, "\r");
        snprintf(id, idn, "%.*s", (int)n, rid);
    }
    size_t have = len - (size_t)(end + 4 - buf);
    while (have < body) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            return -1;
        have += (size_t)r;
    }
    buf[0] = 0;
    return 0;
}

int main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api)
        return 2;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(strchr(api, ':') + 1))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a))
        return 3;
    static const char next[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char id[128], req[512];
    for (;;) {
        buf[0] = 0;
        if (send_all(fd, next, sizeof next - 1) || read_response(fd, id, sizeof id))
            return 4;
        int n = snprintf(req, sizeof req,
                         "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Content-Length: 2\r\n\r\n{}", id);
        if (send_all(fd, req, (size_t)n) || read_response(fd, NULL, 0))
            return 5;
    }
}
