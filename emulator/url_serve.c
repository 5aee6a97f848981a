/* Function URLs, served on the emulator's port: by host name
 * (ID.lambda-url.REGION.localhost) or under /lambda-url/NAME/. The HTTP
 * request becomes a Function URL event (shim_request_to_event), the
 * function's payload becomes the HTTP response (shim_payload_to_response);
 * with InvokeMode RESPONSE_STREAM the response is streamed as the function
 * writes it, after its prelude (shim_prelude_decode). Errors are AWS's:
 * 403 Forbidden for no such URL, 502 when the function fails. Served on the
 * loop: the connection is parked while the function runs (call.c), and a
 * streamed answer parks it whenever the runtime has sent nothing new. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "shim/shim.h"

#define CHUNK_MAX (256u << 10)

int emu_reply_url_error(emu_req *r, unsigned status, const char *msg)
{
    fl_buf body = {0};
    fl_buf_puts(&body, "{\"Message\":");
    fl_json_put_str(&body, msg, strlen(msg));
    fl_buf_putc(&body, '}');
    return emu_reply(r, status, "application/json", &body, NULL);
}

typedef struct url_target {
    char name[EMU_FN_REF_MAX];
    char id[EMU_URL_ID_LEN + 1];
    bool iam, streaming;
    const char *path;             /* into r->uri: the path the function sees, with its query */
} url_target;

/* Which function a request is for, and the request target it sees. */
static int find_target(emu_req *r, url_target *t)
{
    emu *e = r->e;
    memset(t, 0, sizeof *t);
    t->path = r->uri;
    char name[EMU_FN_REF_MAX] = "";
    if (!r->url_id[0]) {
        const char *p = r->uri + strlen(EMU_URL_PATH_PREFIX);
        size_t n = strcspn(p, "/?");
        if (n == 0 || emu_percent_decode(p, n, name, sizeof name) || !emu_name_valid(name))
            return -1;
        t->path = p + n;
    }
    pthread_mutex_lock(&e->mu);
    emu_entry *en = NULL;
    if (name[0]) {
        en = emu_find(e, name);
    } else {
        for (size_t i = 0; i < e->nfns && !en; i++)
            if (e->fns[i]->rec->url.set && !strcmp(e->fns[i]->rec->url.id, r->url_id))
                en = e->fns[i];
    }
    if (en && en->rec->url.set) {
        snprintf(t->name, sizeof t->name, "%s", en->rec->name);
        snprintf(t->id, sizeof t->id, "%s", en->rec->url.id);
        t->iam = !strcmp(en->rec->url.auth_type, "AWS_IAM");
        t->streaming = en->rec->url.invoke_mode && !strcmp(en->rec->url.invoke_mode, "RESPONSE_STREAM");
    }
    pthread_mutex_unlock(&e->mu);
    return t->name[0] ? 0 : -1;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    fl_headers_add(cls, key, value ? value : "");
    return MHD_YES;
}

static const char *client_ip(emu_req *r, char *buf, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, n, "127.0.0.1");
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, buf, (socklen_t)n);
    else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, buf, (socklen_t)n);
    return buf;
}

static int build_event(emu_req *r, const url_target *t, fl_buf *event, fl_err *err)
{
    shim_request req = {0};
    size_t pl = strcspn(t->path, "?");
    req.method = fl_xstrdup(r->method);
    req.path = pl ? fl_xstrndup(t->path, pl) : fl_xstrdup("/");
    req.query = fl_xstrdup(t->path[pl] == '?' ? t->path + pl + 1 : "");
    MHD_get_connection_values(r->c, MHD_HEADER_KIND, collect_header, &req.headers);
    req.body = r->body;
    r->body = (fl_buf){0};
    char ip[64], domain[128];
    snprintf(domain, sizeof domain, "%s.lambda-url.%s.on.aws", t->id, r->e->region);
    shim_event_ctx ctx = {
        .request_id = r->id,
        .source_ip = client_ip(r, ip, sizeof ip),
        .domain_name = domain,
        .time_epoch_ms = fl_wall_ms(),
    };
    int rc = shim_request_to_event(&req, &ctx, event, err);
    shim_request_free(&req);
    return rc;
}

static int reply_response(emu_req *r, shim_response *resp)
{
    fl_headers h = {0};
    fl_headers_copy(&h, &resp->headers);
    fl_buf body = resp->body;
    resp->body = (fl_buf){0};
    int rc = emu_reply(r, (unsigned)resp->status, NULL, &body, &h);
    shim_response_free(resp);
    return rc;
}

/* A buffered answer: the payload as a Function URL response. A payload
 * that a streaming runtime sent whole (prelude, NULs, body) is read too. */
static int reply_payload(emu_req *r, emu_result_kind kind, fl_buf *payload)
{
    if (kind != EMU_RES_OK)
        return emu_reply_url_error(r, 502, "Internal Server Error");
    shim_response resp;
    fl_err err;
    size_t used;
    if (shim_payload_to_response(payload->data ? payload->data : "", payload->len, &resp, &err) == 0)
        return reply_response(r, &resp);
    if (shim_prelude_decode(payload->data ? payload->data : "", payload->len, &resp, &used, &err) == 1) {
        fl_buf_append(&resp.body, payload->data + used, payload->len - used);
        return reply_response(r, &resp);
    }
    fl_warn("Function URL of %s: the function's answer is not an HTTP response: %s", r->uri, err.msg);
    return emu_reply_url_error(r, 502, "Internal Server Error");
}

typedef struct url_stream {
    emu *e;
    fl_mhd *mhd;
    struct MHD_Connection *c;
    unsigned li;
    emu_ticket t;
    emu_invoke *inv;
    fl_buf pending;               /* bytes read past the prelude */
    size_t off;
    bool ended;
} url_stream;

static ssize_t url_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    url_stream *st = cls;
    while (st->off == st->pending.len) {
        if (st->ended)
            return MHD_CONTENT_READER_END_OF_STREAM;
        fl_buf_reset(&st->pending);
        st->off = 0;
        emu_stream_read(st->inv->stream, &st->pending, CHUNK_MAX, &st->ended);
        if (!st->pending.len && !st->ended && emu_stream_park_reader(st->inv->stream, st->mhd, st->c, false))
            return 0; /* called again once the runtime sends more, or the invoke ends */
    }
    size_t n = st->pending.len - st->off;
    if (n > max)
        n = max;
    memcpy(buf, st->pending.data + st->off, n);
    st->off += n;
    return (ssize_t)n;
}

static void url_release(void *ud)
{
    url_stream *st = ud;
    emu_release(st->e, &st->t);
    emu_invoke_unref(st->inv);
    fl_buf_free(&st->pending);
    free(st);
}

/* The invoke still holds its concurrency until it ends (its deadline
 * bounds that): released then. */
static void url_free(void *cls)
{
    url_stream *st = cls;
    emu_stream_leave(st->inv->stream);
    emu_invoke_when_done(st->t.rt, st->inv, st->e->loops[st->li], url_release, st);
}

void emu_url_stream_free(emu_req *r)
{
    if (r->url_stream)
        url_free(r->url_stream);
    r->url_stream = NULL;
}

/* Reads the prelude of an http-integration stream into resp: 1 when it is
 * complete, 0 when r was parked for more, -1 when there is none. */
static int read_prelude(url_stream *st, shim_response *resp)
{
    for (;;) {
        size_t used;
        fl_err err;
        int d = shim_prelude_decode(st->pending.data ? st->pending.data : "", st->pending.len, resp, &used, &err);
        if (d == 1) {
            st->off = used;
            return 1;
        }
        shim_response_free(resp);
        *resp = (shim_response){.status = 200};
        if (d < 0 || st->ended)
            return -1;
        size_t before = st->pending.len;
        emu_stream_read(st->inv->stream, &st->pending, CHUNK_MAX, &st->ended);
        if (st->pending.len == before && !st->ended && emu_stream_park_reader(st->inv->stream, st->mhd, st->c, false))
            return 0;
    }
}

static int reply_stream(emu_req *r, url_stream *st, const char *content_type)
{
    shim_response resp = {.status = 200};
    bool prelude = content_type && !strcmp(content_type, SHIM_STREAM_CONTENT_TYPE);
    int got = prelude ? read_prelude(st, &resp) : 1;
    if (got == 0)
        return -2; /* parked: read on when resumed */
    if (got < 0) {
        shim_response_free(&resp);
        url_free(st);
        return emu_reply_url_error(r, 502, "Internal Server Error");
    }
    if (!prelude)
        fl_headers_add(&resp.headers, "Content-Type", content_type ? content_type : "application/octet-stream");
    struct MHD_Response *mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, url_read, st, url_free);
    if (!mr) {
        shim_response_free(&resp);
        url_free(st);
        return MHD_NO;
    }
    for (size_t i = 0; i < resp.headers.n; i++)
        MHD_add_response_header(mr, resp.headers.v[i].name, resp.headers.v[i].value);
    MHD_add_response_header(mr, "X-Amzn-RequestId", r->id);
    enum MHD_Result ok = MHD_queue_response(r->c, (unsigned)resp.status, mr);
    MHD_destroy_response(mr);
    shim_response_free(&resp);
    return ok;
}

static int url_reply_admit(emu_req *r, emu_admit_rc arc)
{
    if (arc == EMU_ADMIT_THROTTLED)
        return emu_reply_url_error(r, 429, "Rate Exceeded.");
    if (arc == EMU_ADMIT_NOT_FOUND)
        return emu_reply_url_error(r, 403, "Forbidden");
    return emu_reply_url_error(r, 502, "Internal Server Error");
}

/* A streaming URL's connection, parked until the runtime starts its
 * stream (or the invoke ends), then until its prelude is complete. */
static int stream_step(emu_req *r)
{
    url_stream *st = r->url_stream;
    if (emu_stream_park_reader(st->inv->stream, st->mhd, st->c, true)) {
        r->resume = stream_step;
        return MHD_YES;
    }
    bool streamed;
    char *content_type;
    emu_stream_started(st->inv->stream, &streamed, &content_type);
    if (streamed) {
        int rc = reply_stream(r, st, content_type);
        free(content_type);
        if (rc == -2) { /* parked for more of the prelude */
            r->resume = stream_step;
            return MHD_YES;
        }
        r->url_stream = NULL;
        return rc;
    }
    /* the runtime answered whole: the stream ended with the invoke */
    emu_result_kind kind;
    fl_buf payload = {0};
    emu_invoke_take_result(st->t.rt, st->inv, &kind, &payload, NULL);
    int rc = reply_payload(r, kind, &payload);
    fl_buf_free(&payload);
    r->url_stream = NULL;
    url_free(st);
    return rc;
}

/* The streaming invoke started, ended or failed to start (call.c): the
 * stream takes the invoke and its ticket over from the call. */
static int stream_started(emu_req *r)
{
    emu_call *k = r->call;
    if (k->arc != EMU_ADMIT_OK)
        return url_reply_admit(r, k->arc);
    url_stream *st = fl_xcalloc(1, sizeof *st);
    st->e = r->e;
    st->mhd = r->mhd;
    st->c = r->c;
    st->li = r->li;
    st->t = k->t;
    st->inv = k->inv;
    k->t = (emu_ticket){0};
    k->inv = NULL;
    r->url_stream = st;
    return stream_step(r);
}

/* A buffered URL's invoke is over (call.c). */
static int answer(emu_req *r)
{
    emu_call *k = r->call;
    if (k->arc != EMU_ADMIT_OK)
        return url_reply_admit(r, k->arc);
    emu_result_kind kind;
    fl_buf payload = {0};
    emu_invoke_take_result(k->t.rt, k->inv, &kind, &payload, NULL);
    int rc = reply_payload(r, kind, &payload);
    fl_buf_free(&payload);
    return rc;
}

int emu_url_serve(emu_req *r)
{
    url_target t;
    if (find_target(r, &t))
        return emu_reply_url_error(r, 403, "Forbidden");
    if (t.iam && emu_url_auth(r))
        return r->auth_rc;
    fl_buf event = {0};
    fl_err err;
    if (build_event(r, &t, &event, &err)) {
        fl_buf_free(&event);
        return emu_reply_url_error(r, 400, "Bad Request");
    }
    emu_invoke *inv = emu_invoke_new(&event, NULL, NULL);
    snprintf(inv->id, sizeof inv->id, "%s", r->id);
    if (t.streaming) {
        inv->stream = emu_stream_new();
        return emu_call_start(r, t.name, inv, false, stream_started);
    }
    return emu_call_start(r, t.name, inv, false, answer);
}
