/* InvokeWithResponseStream (POST /2021-11-15/functions/{name}/
 * response-streaming-invocations): the function's response as it comes, in
 * the event stream encoding: PayloadChunk events, then one InvokeComplete
 * (ErrorCode and ErrorDetails when the invoke failed, LogResult for Tail).
 * The answer is sent by a content callback on the loop, which parks the
 * connection while the runtime has sent nothing new (stream.c). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

#define CHUNK_MAX (256u << 10)

typedef struct es_state {
    emu *e;
    fl_mhd *mhd;
    struct MHD_Connection *c;
    unsigned li;
    emu_ticket t;
    emu_invoke *inv;
    bool tail, finished;
    fl_buf out;                   /* encoded bytes not yet handed to libmicrohttpd */
    size_t off;
} es_state;

static void complete_event(es_state *st)
{
    emu_result_kind kind;
    fl_buf body = {0}, log = {0};
    emu_invoke_take_result(st->t.rt, st->inv, &kind, &body, st->tail ? &log : NULL);
    cJSON *doc = cJSON_CreateObject();
    if (kind != EMU_RES_OK) {
        cJSON_AddStringToObject(doc, "ErrorCode", kind == EMU_RES_SERVICE ? "ServiceException"
                                                  : st->inv->error_type[0] ? st->inv->error_type : "Unhandled");
        cJSON_AddStringToObject(doc, "ErrorDetails", fl_buf_cstr(&body));
    }
    if (st->tail)
        cJSON_AddStringToObject(doc, "LogResult", fl_buf_cstr(&log));
    fl_buf j = {0};
    fl_json_print(&j, doc);
    cJSON_Delete(doc);
    emu_es_event(&st->out, "InvokeComplete", "application/json", j.data, j.len);
    fl_buf_free(&j);
    fl_buf_free(&body);
    fl_buf_free(&log);
}

static ssize_t es_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    es_state *st = cls;
    while (st->off == st->out.len) {
        if (st->finished)
            return MHD_CONTENT_READER_END_OF_STREAM;
        fl_buf_reset(&st->out);
        st->off = 0;
        fl_buf chunk = {0};
        bool ended;
        emu_stream_read(st->inv->stream, &chunk, CHUNK_MAX, &ended);
        if (chunk.len)
            emu_es_event(&st->out, "PayloadChunk", "application/octet-stream", chunk.data, chunk.len);
        fl_buf_free(&chunk);
        if (ended) {
            complete_event(st);
            st->finished = true;
        } else if (st->out.len == 0 && emu_stream_park_reader(st->inv->stream, st->mhd, st->c, false)) {
            return 0; /* called again once the runtime sends more, or the invoke ends */
        }
    }
    size_t n = st->out.len - st->off;
    if (n > max)
        n = max;
    memcpy(buf, st->out.data + st->off, n);
    st->off += n;
    return (ssize_t)n;
}

static void es_release(void *ud)
{
    es_state *st = ud;
    emu_release(st->e, &st->t);
    emu_invoke_unref(st->inv);
    fl_buf_free(&st->out);
    free(st);
}

/* The answer is done (or the client left): the invoke still holds its
 * concurrency until it ends, which its deadline bounds. */
static void es_free(void *cls)
{
    es_state *st = cls;
    emu_stream_leave(st->inv->stream);
    emu_invoke_when_done(st->t.rt, st->inv, st->e->loops[st->li], es_release, st);
}

int emu_api_invoke_stream(emu_req *r)
{
    char name[EMU_FN_REF_MAX];
    const char *type;
    bool tail;
    char *cc;
    int rc;
    if (emu_invoke_checks(r, name, &type, &tail, &cc, &rc))
        return rc;
    if (!strcmp(type, "Event")) {
        free(cc);
        emu_verr v = {0};
        emu_verr_add(&v, type, "invocationType", "Member must satisfy enum value set: [RequestResponse, DryRun]");
        return emu_reply_verr(r, &v);
    }
    es_state *st = fl_xcalloc(1, sizeof *st);
    st->e = r->e;
    st->mhd = r->mhd;
    st->c = r->c;
    st->li = r->li;
    st->tail = tail;
    const char *reason;
    fl_err err;
    emu_admit_rc arc = emu_admit(r->e, name, &st->t, &reason, &err);
    if (arc != EMU_ADMIT_OK || !strcmp(type, "DryRun")) {
        free(cc);
        if (arc == EMU_ADMIT_OK)
            emu_release(r->e, &st->t);
        free(st);
        return arc == EMU_ADMIT_OK ? emu_reply_empty(r, 204) : emu_reply_admit_error(r, arc, name, reason, &err);
    }
    st->inv = emu_invoke_new(&r->body, cc, NULL);
    st->inv->home = (int)r->li;
    st->inv->stream = emu_stream_new();
    bool throttled;
    if (emu_function_submit(st->t.rt, st->inv, &throttled, &err)) {
        emu_release(r->e, &st->t);
        emu_invoke_unref(st->inv);
        free(st);
        return throttled ? emu_reply_throttle(r, "ConcurrentInvocationLimitExceeded")
                         : emu_reply_error(r, 500, "ServiceException", "%s", err.msg);
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, es_read, st, es_free);
    if (!resp) {
        es_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/vnd.amazon.eventstream");
    MHD_add_response_header(resp, "X-Amz-Executed-Version", EMU_VERSION);
    MHD_add_response_header(resp, "X-Amzn-RequestId", st->inv->id);
    enum MHD_Result ok = MHD_queue_response(r->c, 200, resp);
    MHD_destroy_response(resp);
    return ok;
}
