/* Answers: buffers handed to libmicrohttpd, Go's http.Error shape for
 * errors (text/plain; charset=utf-8, X-Content-Type-Options: nosniff, a
 * trailing newline), JSON, streams and pipes. */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provider/internal.h"

static int queue(pv_req *r, int status, struct MHD_Response *resp, const fl_headers *headers)
{
    if (!resp)
        return MHD_NO;
    for (size_t i = 0; headers && i < headers->n; i++)
        if (MHD_add_response_header(resp, headers->v[i].name, headers->v[i].value) != MHD_YES)
            fl_debug("provider: response header %.64s dropped", headers->v[i].name);
    r->status = status;
    int rc = MHD_queue_response(r->c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

int pv_reply(pv_req *r, int status, const fl_headers *headers, fl_buf *body)
{
    struct MHD_Response *resp;
    if (body && body->len) {
        size_t len = body->len;
        resp = MHD_create_response_from_buffer(len, fl_buf_steal(body), MHD_RESPMEM_MUST_FREE);
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (body)
            fl_buf_free(body);
    }
    return queue(r, status, resp, headers);
}

static int text_v(pv_req *r, int status, bool proxy, const char *fmt, va_list ap)
{
    fl_buf b = {0};
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fl_buf_printf(&b, "%s\n", msg);
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "text/plain; charset=utf-8");
    fl_headers_add(&h, "X-Content-Type-Options", "nosniff");
    if (proxy)
        fl_headers_add(&h, "X-OpenFaaS-Internal", "proxy");
    int rc = pv_reply(r, status, &h, &b);
    fl_headers_free(&h);
    return rc;
}

int pv_reply_text(pv_req *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = text_v(r, status, false, fmt, ap);
    va_end(ap);
    return rc;
}

int pv_reply_proxy_error(pv_req *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = text_v(r, status, true, fmt, ap);
    va_end(ap);
    return rc;
}

int pv_reply_json(pv_req *r, int status, cJSON *doc)
{
    fl_buf b = {0};
    fl_json_print(&b, doc);
    cJSON_Delete(doc);
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "application/json");
    int rc = pv_reply(r, status, &h, &b);
    fl_headers_free(&h);
    return rc;
}

/* A piped answer. The producer writes the pipe (blocking when it is full);
 * the loop reads it without blocking, parks the connection when it is
 * empty and watches it meanwhile. */
struct pv_pipe_resp {
    pv_server *s;
    pv_loop *l;
    struct MHD_Connection *c;
    int fd;
    bool parked;
    pv_pipe_resp *next;           /* in s->parked while parked */
};

static void unlink_parked(pv_pipe_resp *p)
{
    pthread_mutex_lock(&p->s->parked_mu);
    for (pv_pipe_resp **pp = &p->s->parked; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    pthread_mutex_unlock(&p->s->parked_mu);
    p->next = NULL;
}

/* Loop thread. */
static void unpark(pv_pipe_resp *p)
{
    if (!p->parked)
        return;
    p->parked = false;
    fl_loop_unwatch(p->l->loop, p->fd);
    unlink_parked(p);
    fl_mhd_resume(p->l->mhd, p->c);
}

static void pipe_ready(void *ud, uint32_t events)
{
    (void)events;
    unpark(ud);
}

static ssize_t pipe_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    pv_pipe_resp *p = cls;
    (void)pos;
    ssize_t n = read(p->fd, buf, max);
    if (n > 0)
        return n;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if ((errno != EAGAIN && errno != EINTR) || atomic_load(&p->s->stopping))
        return MHD_CONTENT_READER_END_WITH_ERROR;
    MHD_suspend_connection(p->c); /* called again once the producer wrote more */
    p->parked = true;
    pthread_mutex_lock(&p->s->parked_mu);
    p->next = p->s->parked;
    p->s->parked = p;
    pthread_mutex_unlock(&p->s->parked_mu);
    fl_loop_watch(p->l->loop, p->fd, FL_LOOP_IN, pipe_ready, p);
    return 0;
}

static void pipe_free(void *cls)
{
    pv_pipe_resp *p = cls;
    if (p->parked) {
        fl_loop_unwatch(p->l->loop, p->fd);
        unlink_parked(p);
    }
    close(p->fd); /* the producer's next write fails: it stops */
    free(p);
}

int pv_reply_pipe(pv_req *r, int status, const fl_headers *headers, int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    pv_pipe_resp *p = fl_xcalloc(1, sizeof *p);
    *p = (pv_pipe_resp){.s = r->s, .l = r->l, .c = r->c, .fd = fd};
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, pipe_read, p, pipe_free);
    if (!resp)
        pipe_free(p);
    return queue(r, status, resp, headers);
}

void pv_pipes_stop(pv_loop *l)
{
    pv_server *s = l->s;
    for (;;) {
        pthread_mutex_lock(&s->parked_mu);
        pv_pipe_resp *p = s->parked;
        while (p && p->l != l)
            p = p->next;
        pthread_mutex_unlock(&s->parked_mu);
        if (!p)
            return;
        unpark(p); /* read again, it finds the stop and ends */
    }
}
