/* A listening socket inside another process's network namespace. A socket
 * belongs to the namespace it was created in, whoever holds it later; so the
 * emulator creates the Runtime API socket "inside" the sandbox and serves it
 * from outside. Two ways in (see emulator.h, Privileges):
 *   same user namespace: a short-lived thread calls setns(CLONE_NEWNET);
 *     only that thread changes namespace, and it ends right after;
 *   the sandbox has its own user namespace (unprivileged bwrap): setns into
 *     a user namespace is refused to a multithreaded process, so a forked
 *     (single-threaded) helper joins the user then the network namespace and
 *     sends the socket back with SCM_RIGHTS. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emulator/internal.h"

#define HELPER_TIMEOUT_MS 5000

/* Only async-signal-safe calls: also runs in the forked helper. Returns the
 * socket, or -1 with *e = errno. IP_FREEBIND: bwrap may not have brought
 * the namespace's loopback up yet when we bind. */
static int listen_here(const char *host, uint16_t port, int *e)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        *e = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *e = errno;
        return -1;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one) || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        listen(fd, 64)) {
        *e = errno;
        close(fd);
        return -1;
    }
    return fd;
}

typedef struct ns_job {
    int netfd;
    const char *host;
    uint16_t port;
    int fd, err;
    const char *step;
} ns_job;

static void *ns_thread(void *arg)
{
    ns_job *j = arg;
    if (setns(j->netfd, CLONE_NEWNET)) {
        j->err = errno;
        j->step = "setns(net)";
        return NULL;
    }
    j->fd = listen_here(j->host, j->port, &j->err);
    j->step = "listen";
    return NULL;
}

static int via_thread(ns_job *j)
{
    pthread_t t;
    int rc = pthread_create(&t, NULL, ns_thread, j);
    if (rc) {
        j->err = rc;
        j->step = "pthread_create";
        return -1;
    }
    pthread_join(t, NULL);
    return j->fd >= 0 ? 0 : -1;
}

static void send_result(int sock, int fd, int e)
{
    struct msghdr m;
    memset(&m, 0, sizeof m);
    struct iovec iov = {&e, sizeof e};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    if (fd >= 0) {
        memset(&u, 0, sizeof u);
        m.msg_control = u.buf;
        m.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t w = sendmsg(sock, &m, MSG_NOSIGNAL);
    (void)w;
}

static int recv_result(int sock, int *fd, int *e)
{
    struct pollfd p = {sock, POLLIN, 0};
    if (poll(&p, 1, HELPER_TIMEOUT_MS) != 1) {
        *e = ETIMEDOUT;
        return -1;
    }
    struct msghdr m;
    memset(&m, 0, sizeof m);
    struct iovec iov = {e, sizeof *e};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    m.msg_control = u.buf;
    m.msg_controllen = sizeof u.buf;
    ssize_t r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    if (r != (ssize_t)sizeof *e) {
        *e = r < 0 ? errno : EPROTO;
        return -1;
    }
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (!c || c->cmsg_type != SCM_RIGHTS)
        return -1;
    memcpy(fd, CMSG_DATA(c), sizeof *fd);
    return 0;
}

static int via_helper(ns_job *j, int userfd)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
        j->err = errno;
        j->step = "socketpair";
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int e = 0, fd = -1;
        if (setns(userfd, CLONE_NEWUSER))
            e = errno;
        else if (setns(j->netfd, CLONE_NEWNET))
            e = errno;
        else
            fd = listen_here(j->host, j->port, &e);
        send_result(sp[1], fd, e);
        _exit(0);
    }
    close(sp[1]);
    if (pid < 0) {
        j->err = errno;
        j->step = "fork";
        close(sp[0]);
        return -1;
    }
    int fd = -1, e = 0;
    j->step = "helper (setns(user), setns(net), listen)";
    if (recv_result(sp[0], &fd, &e) == 0)
        j->fd = fd;
    else
        j->err = e ? e : EPROTO;
    close(sp[0]);
    kill(pid, SIGKILL); /* no-op when it has finished; a stuck helper must not linger */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return j->fd >= 0 ? 0 : -1;
}

static bool same_userns(pid_t pid)
{
    char path[64];
    struct stat a, b;
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    if (stat(path, &a) || stat("/proc/self/ns/user", &b))
        return true; /* cannot tell: try the plain way, its error will say why */
    return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int emu_netns_listen(pid_t pid, const char *host, uint16_t port, int *fd, fl_err *err)
{
    char path[64];
    ns_job j = {.host = host, .port = port, .fd = -1, .step = "open"};
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    j.netfd = open(path, O_RDONLY | O_CLOEXEC);
    if (j.netfd < 0)
        return fl_fail(err, "opening %s: %s", path, strerror(errno));
    int rc;
    if (same_userns(pid)) {
        rc = via_thread(&j);
    } else {
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
        int userfd = open(path, O_RDONLY | O_CLOEXEC);
        if (userfd < 0) {
            j.err = errno;
            rc = -1;
        } else {
            rc = via_helper(&j, userfd);
            close(userfd);
        }
    }
    close(j.netfd);
    if (rc)
        return fl_fail(err, "creating the Runtime API socket %s:%u in the sandbox's network namespace (pid %d): %s: %s",
                       host, port, (int)pid, j.step, strerror(j.err));
    *fd = j.fd;
    return 0;
}
