/* The faas-provider API's HTTP server: libmicrohttpd on the event loop,
 * where invokes are sent to Lambda without waiting (http_invoke.c); every
 * other route runs on a pool thread with its connection parked. The raw
 * request target comes from the URI log callback (so a function sees its
 * path and query as the client sent them); bodies are bounded; basic auth
 * stands in front of the /system routes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provider/internal.h"

#define URI_MAX 16384
#define HEADER_MEMORY (64u << 10) /* headers up to ~60 KiB; libmicrohttpd clears the pool per request, so it is kept small (1 MiB cost 25 us per request) */

const char *pv_header(pv_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    fl_headers_add(cls, key, value ? value : "");
    return MHD_YES;
}

void pv_request_headers(pv_req *r, fl_headers *out)
{
    MHD_get_connection_values(r->c, MHD_HEADER_KIND, add_header, out);
}

void pv_client_addr(pv_req *r, char *out, size_t n, bool with_port)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[INET6_ADDRSTRLEN] = "";
    unsigned port = 0;
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ci->client_addr;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs(a->sin_port);
    } else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ci->client_addr;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
    }
    bool v6 = strchr(ip, ':') != NULL;
    if (with_port)
        snprintf(out, n, v6 ? "[%s]:%u" : "%s:%u", ip, port);
    else
        snprintf(out, n, "%s", ip);
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    pv_loop *l = cls;
    pv_req *r = fl_xcalloc(1, sizeof *r);
    r->s = l->s;
    r->l = l;
    r->c = c;
    r->uri = fl_xstrndup(uri, strnlen(uri, URI_MAX + 1));
    r->start_us = fl_mono_us();
    return r;
}

void pv_offload_job(void *ud)
{
    pv_req *r = ud;
    r->work(r);
    fl_mhd_resume(r->l->mhd, r->c); /* its answer is queued, or it is closed */
}

int pv_offload(pv_req *r, int (*fn)(pv_req *r))
{
    r->work = fn;
    MHD_suspend_connection(r->c);
    fl_pool_run(r->s->pool, pv_offload_job, r);
    return MHD_YES;
}

static int dispatch_blocking(pv_req *r)
{
    switch (r->route.id) {
    case PV_R_LIST: return pv_h_list(r);
    case PV_R_DEPLOY: return pv_h_deploy(r, false);
    case PV_R_UPDATE: return pv_h_deploy(r, true);
    case PV_R_DELETE: return pv_h_delete(r);
    case PV_R_STATUS: return pv_h_status(r);
    case PV_R_SCALE: return pv_h_scale(r);
    case PV_R_INFO: return pv_h_info(r);
    case PV_R_SECRETS: return pv_h_secrets(r);
    case PV_R_LOGS: return pv_h_logs(r);
    case PV_R_NAMESPACES: return pv_h_namespaces(r);
    case PV_R_NAMESPACE: return pv_h_namespace(r);
    case PV_R_INVOKE: return pv_h_invoke_blocking(r);
    case PV_R_HEALTHZ: return pv_h_healthz(r);
    case PV_R_METRICS: return pv_h_metrics(r);
    case PV_R_BAD_METHOD: return pv_reply_text(r, 405, "Method Not Allowed");
    default: return pv_reply_text(r, 404, "404 page not found");
    }
}

static bool authorized(pv_req *r)
{
    pv_server *s = r->s;
    return !s->cfg->basic_auth || !r->route.auth ||
           pv_basic_auth_ok(pv_header(r, "Authorization"), s->auth_user, s->auth_password);
}

static int too_large(pv_req *r)
{
    if (r->route.id == PV_R_INVOKE)
        return pv_reply_proxy_error(r, 413, "Request body too large: Lambda takes at most %zu bytes", r->limit);
    return pv_reply_text(r, 413, "Request body too large: at most %zu bytes", r->limit);
}

static int first_call(pv_req *r)
{
    if (strlen(r->uri) > URI_MAX)
        return pv_reply_text(r, 414, "Request URI too long");
    pv_route_request(r->method, r->uri, &r->route);
    if (!authorized(r)) {
        fl_headers h = {0};
        fl_headers_add(&h, "WWW-Authenticate", "Basic realm=\"Restricted\"");
        fl_buf body = {0};
        fl_buf_puts(&body, "invalid credentials\n");
        int rc = pv_reply(r, 401, &h, &body);
        fl_headers_free(&h);
        return rc;
    }
    r->limit = r->route.id == PV_R_INVOKE ? PV_INVOKE_PAYLOAD_MAX : PV_SYSTEM_BODY_MAX;
    const char *cl = pv_header(r, "Content-Length");
    uint64_t len;
    if (cl && fl_parse_u64(cl, UINT64_MAX, &len) == 0 && len > r->limit)
        return too_large(r); /* before the body is sent (Expect: 100-continue) */
    return -2; /* go on */
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *data, size_t *size, void **con_cls)
{
    pv_req *r = *con_cls;
    if (!r->started) {
        r->started = true;
        r->c = c;
        r->method = method;
        int rc = first_call(r);
        if (rc != -2) {
            r->answered = true;
            return (enum MHD_Result)rc;
        }
        return MHD_YES;
    }
    if (r->work)
        return MHD_NO; /* resumed by its pool thread without an answer: closed */
    if (r->answered) {
        *size = 0; /* drop what follows an early answer */
        return MHD_YES;
    }
    if (*size) {
        if (!r->too_large && r->body.len + *size > r->limit) {
            r->too_large = true;
            fl_buf_free(&r->body);
        } else if (!r->too_large) {
            fl_buf_expect(&r->body, pv_header(r, "Content-Length"), r->limit);
            fl_buf_append(&r->body, data, *size);
        }
        *size = 0;
        return MHD_YES;
    }
    r->answered = true;
    if (r->too_large)
        return (enum MHD_Result)too_large(r);
    if (atomic_load(&r->s->stopping))
        return (enum MHD_Result)pv_reply_text(r, 503, "the provider is shutting down");
    if (r->route.id == PV_R_INVOKE)
        return (enum MHD_Result)pv_h_invoke(r);
    if (r->route.id == PV_R_HEALTHZ)
        return (enum MHD_Result)pv_h_healthz(r);
    return (enum MHD_Result)pv_offload(r, dispatch_blocking);
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    pv_req *r = *con_cls;
    if (!r)
        return;
    pv_server *s = cls;
    if (r->started)
        pv_metrics_observe(&s->metrics, r->method, r->route.path ? r->route.path : "other", r->status,
                           (double)(fl_mono_us() - r->start_us) / 1e6);
    pv_invoke_free(r);
    fl_buf_free(&r->body);
    free(r->uri);
    free(r);
    *con_cls = NULL;
}

static int bind_addr(const char *host, unsigned port, struct sockaddr_storage *ss, unsigned *len, fl_err *err)
{
    if (fl_sockaddr_ip(strcmp(host, "localhost") ? host : "127.0.0.1", (uint16_t)port, ss, len))
        return fl_fail(err, "--listen %s: give an IP address (127.0.0.1, 0.0.0.0, ::1, ::)", host);
    return 0;
}

static void attach(void *ud)
{
    pv_loop *l = ud;
    fl_err err;
    l->mhd = fl_mhd_attach(l->loop, l->d, &err);
    if (!l->mhd)
        fl_error("provider: %s", err.msg);
}

/* One server per loop, all accepting from one socket (each its own copy
 * of the descriptor, which it closes). */
int pv_server_start(pv_server *s, fl_err *err)
{
    struct sockaddr_storage ss;
    unsigned sl;
    int fds[FL_LOOPS_MAX];
    if (bind_addr(s->cfg->listen, s->cfg->port, &ss, &sl, err))
        return -1;
    if (fl_listen_sockets(&ss, sl, s->nloops, fds, err))
        return fl_fail(err, "cannot listen on %s port %u (in use, or not an address of this host)", s->cfg->listen,
                       s->cfg->port);
    unsigned idle = (unsigned)((s->cfg->read_timeout_ms > s->cfg->write_timeout_ms ? s->cfg->read_timeout_ms
                                                                                    : s->cfg->write_timeout_ms) /
                               1000) + 60;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    for (unsigned i = 0; i < s->nloops; i++) {
        pv_loop *l = &s->loops[i];
        l->d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, l, MHD_OPTION_LISTEN_SOCKET, fds[i],
                                MHD_OPTION_URI_LOG_CALLBACK, uri_log, l, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
                                MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_CONNECTION_TIMEOUT, idle,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY, MHD_OPTION_EXTERNAL_LOGGER,
                                fl_log_mhd, (void *)"provider: http", MHD_OPTION_END);
        if (!l->d || (fl_loop_call(l->loop, attach, l), !l->mhd)) {
            for (unsigned k = l->d ? i + 1 : i; k < s->nloops; k++)
                close(fds[k]);
            return fl_fail(err, "starting the HTTP server on %s port %u failed", s->cfg->listen, s->cfg->port);
        }
    }
    return 0;
}

/* On l: the answers that wait for a producer end, the server stops. */
static void stop(void *ud)
{
    pv_loop *l = ud;
    pv_pipes_stop(l);
    fl_mhd_detach(l->mhd);
    l->mhd = NULL;
    MHD_stop_daemon(l->d);
    l->d = NULL;
}

/* New requests are refused from now on; the invokes in flight end (within
 * their read timeout: Lambda's answer or the timeout), then the requests
 * on the pool; then the server stops. */
void pv_server_stop(pv_server *s)
{
    atomic_store(&s->stopping, true);
    while (atomic_load(&s->inflight) > 0)
        fl_sleep_us(10000);
    fl_pool_free(s->pool);
    s->pool = NULL;
    for (unsigned i = 0; i < s->nloops; i++) {
        pv_loop *l = &s->loops[i];
        if (l->mhd)
            fl_loop_call(l->loop, stop, l);
        else if (l->d)
            MHD_stop_daemon(l->d);
        l->d = NULL;
    }
}
