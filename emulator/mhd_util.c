/* Small helpers over libmicrohttpd shared by the front door and the
 * Runtime API. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emulator/internal.h"

int emu_respond_with(struct MHD_Connection *c, unsigned status, struct MHD_Response *r, const char *content_type,
                     const fl_headers *extra)
{
    if (!r)
        return MHD_NO;
    if (content_type)
        MHD_add_response_header(r, "Content-Type", content_type);
    for (size_t i = 0; extra && i < extra->n; i++)
        MHD_add_response_header(r, extra->v[i].name, extra->v[i].value);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

int emu_respond(struct MHD_Connection *c, unsigned status, const char *content_type, fl_buf *body,
                const fl_headers *extra)
{
    struct MHD_Response *r;
    if (body && body->len) {
        size_t len = body->len;
        r = MHD_create_response_from_buffer_with_free_callback(len, fl_buf_steal(body), free);
    } else {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (body)
            fl_buf_free(body);
    }
    return emu_respond_with(c, status, r, content_type, extra);
}

int emu_respond_rapi_error(struct MHD_Connection *c, unsigned status, const char *type, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fl_buf body = {0};
    emu_error_doc(&body, type, msg);
    return emu_respond(c, status, "application/json", &body, NULL);
}

const char *emu_header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

int emu_conn_fd(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

void emu_socket_url(int fd, char *out, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            snprintf(out, n, "http://[%s]:%u", host, ntohs(a->sin6_port));
            return;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
    }
    snprintf(out, n, "http://%s:%u", host, port);
}
