/* A CloudWatch Logs subset for the functions' logs, on the same port:
 * POST / with X-Amz-Target: Logs_20140328.OPERATION and a JSON 1.1 body.
 * FilterLogEvents, GetLogEvents, DescribeLogGroups, DescribeLogStreams, so
 * `aws logs filter-log-events`, `get-log-events` and `tail` work locally
 * as on AWS. Errors are JSON 1.1's: 400 {"__type":..,"message":..}.
 * Filter patterns: terms that must all appear, "quoted phrases", and
 * -term for a term that must not (no JSON or metric patterns). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

#define LIMIT_MAX 10000
#define TERMS_MAX 16

static int logs_error(emu_req *r, unsigned status, const char *type, const char *msg)
{
    fl_buf b = {0};
    fl_buf_printf(&b, "{\"__type\":\"%s\",\"message\":", type);
    fl_json_put_str(&b, msg, strlen(msg));
    fl_buf_putc(&b, '}');
    fl_headers h = {0};
    fl_headers_add(&h, "x-amzn-ErrorType", type);
    return emu_reply(r, status, "application/x-amz-json-1.1", &b, &h);
}

static int logs_reply(emu_req *r, cJSON *doc)
{
    fl_buf b = {0};
    fl_json_print(&b, doc);
    cJSON_Delete(doc);
    return emu_reply(r, 200, "application/x-amz-json-1.1", &b, NULL);
}

typedef struct filter {
    char term[TERMS_MAX][256];
    bool negate[TERMS_MAX];
    size_t n;
} filter;

static int parse_filter(const char *p, filter *f)
{
    memset(f, 0, sizeof *f);
    while (p && *p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (*p == '{' || *p == '[' || f->n == TERMS_MAX)
            return -1;
        bool neg = *p == '-';
        if (neg)
            p++;
        size_t n;
        if (*p == '"') {
            const char *end = strchr(p + 1, '"');
            if (!end)
                return -1;
            n = (size_t)(end - p - 1);
            if (n >= sizeof f->term[0])
                return -1;
            memcpy(f->term[f->n], p + 1, n);
            p = end + 1;
        } else {
            n = strcspn(p, " ");
            if (n >= sizeof f->term[0])
                return -1;
            memcpy(f->term[f->n], p, n);
            p += n;
        }
        f->term[f->n][n] = 0;
        f->negate[f->n++] = neg;
    }
    return 0;
}

static bool filter_match(const filter *f, const char *msg)
{
    for (size_t i = 0; i < f->n; i++)
        if ((strstr(msg, f->term[i]) != NULL) == f->negate[i])
            return false;
    return true;
}

static uint64_t num(const cJSON *b, const char *k, uint64_t def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 ? (uint64_t)v->valuedouble : def;
}

static const char *group_name(const cJSON *b)
{
    const char *g = fl_json_str(b, "logGroupName");
    if (!g)
        g = fl_json_str(b, "logGroupIdentifier");
    return g;
}

static bool stream_selected(const cJSON *b, const char *name)
{
    const cJSON *names = fl_json_arr(b, "logStreamNames");
    const char *prefix = fl_json_str(b, "logStreamNamePrefix");
    if (prefix && !fl_str_has_prefix(name, prefix))
        return false;
    if (!names)
        return true;
    const cJSON *it;
    cJSON_ArrayForEach(it, names)
        if (cJSON_IsString(it) && !strcmp(it->valuestring, name))
            return true;
    return false;
}

static int filter_events(emu_req *r, const cJSON *b, emu_log_group *g)
{
    filter f;
    if (parse_filter(fl_json_str(b, "filterPattern"), &f))
        return logs_error(r, 400, "InvalidParameterException", "This filter pattern is not supported by faas-lambda "
                          "emulate: use terms, \"quoted phrases\" and -excluded terms");
    uint64_t start = num(b, "startTime", 0), end = num(b, "endTime", UINT64_MAX);
    uint64_t limit = num(b, "limit", LIMIT_MAX), from = 0;
    const char *token = fl_json_str(b, "nextToken");
    if (token && (token[0] != 's' || fl_parse_u64(token + 1, UINT64_MAX, &from)))
        return logs_error(r, 400, "InvalidParameterException", "The specified nextToken is invalid.");
    if (limit < 1 || limit > LIMIT_MAX)
        limit = LIMIT_MAX;
    cJSON *doc = cJSON_CreateObject();
    cJSON *events = cJSON_AddArrayToObject(doc, "events");
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++) {
        const emu_log_event *ev = g->ring[(g->head + i) % g->cap];
        const char *stream = g->streams[ev->stream].name;
        if (ev->seq < from || ev->ts < start || ev->ts > end || !stream_selected(b, stream) ||
            !filter_match(&f, ev->msg))
            continue;
        if (n == limit) {
            char next[32];
            snprintf(next, sizeof next, "s%llu", (unsigned long long)ev->seq);
            cJSON_AddStringToObject(doc, "nextToken", next);
            break;
        }
        char id[64];
        snprintf(id, sizeof id, "%056llu", (unsigned long long)ev->seq);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "logStreamName", stream);
        cJSON_AddNumberToObject(e, "timestamp", (double)ev->ts);
        cJSON_AddStringToObject(e, "message", ev->msg);
        cJSON_AddNumberToObject(e, "ingestionTime", (double)ev->ts);
        cJSON_AddStringToObject(e, "eventId", id);
        cJSON_AddItemToArray(events, e);
        n++;
    }
    cJSON *searched = cJSON_AddArrayToObject(doc, "searchedLogStreams");
    for (size_t i = 0; i < g->nstreams; i++) {
        if (!stream_selected(b, g->streams[i].name))
            continue;
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "logStreamName", g->streams[i].name);
        cJSON_AddBoolToObject(s, "searchedCompletely", true);
        cJSON_AddItemToArray(searched, s);
    }
    return logs_reply(r, doc);
}

/* GetLogEvents' tokens: f/SEQ (from SEQ on) and b/SEQ (before SEQ). */
static int get_events(emu_req *r, const cJSON *b, emu_log_group *g)
{
    const char *stream = fl_json_str(b, "logStreamName");
    size_t si = g->nstreams;
    for (size_t i = 0; stream && i < g->nstreams; i++)
        if (!strcmp(g->streams[i].name, stream))
            si = i;
    if (si == g->nstreams)
        return logs_error(r, 400, "ResourceNotFoundException", "The specified log stream does not exist.");
    uint64_t start = num(b, "startTime", 0), end = num(b, "endTime", UINT64_MAX);
    uint64_t limit = num(b, "limit", LIMIT_MAX), pos = 0;
    if (limit < 1 || limit > LIMIT_MAX)
        limit = LIMIT_MAX;
    const char *token = fl_json_str(b, "nextToken");
    bool forward = fl_json_bool(b, "startFromHead", false), anchored = forward;
    if (token) {
        if ((token[0] != 'f' && token[0] != 'b') || token[1] != '/' || fl_parse_u64(token + 2, UINT64_MAX, &pos))
            return logs_error(r, 400, "InvalidParameterException", "The specified nextToken is invalid.");
        forward = token[0] == 'f';
        anchored = true;
    }
    /* the stream's matching events, oldest first */
    size_t cap = 0, n = 0;
    const emu_log_event **sel = NULL;
    for (size_t i = 0; i < g->n; i++) {
        const emu_log_event *ev = g->ring[(g->head + i) % g->cap];
        if (ev->stream != si || ev->ts < start || ev->ts > end)
            continue;
        if (anchored && (forward ? ev->seq < pos : ev->seq >= pos))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            sel = fl_xrealloc(sel, cap * sizeof *sel);
        }
        sel[n++] = ev;
    }
    size_t first = forward && anchored ? 0 : (n > limit ? n - limit : 0);
    size_t last = forward && anchored ? (n < limit ? n : limit) : n;
    cJSON *doc = cJSON_CreateObject();
    cJSON *events = cJSON_AddArrayToObject(doc, "events");
    for (size_t i = first; i < last; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "timestamp", (double)sel[i]->ts);
        cJSON_AddStringToObject(e, "message", sel[i]->msg);
        cJSON_AddNumberToObject(e, "ingestionTime", (double)sel[i]->ts);
        cJSON_AddItemToArray(events, e);
    }
    char fwd[32], back[32];
    uint64_t next = last > first ? sel[last - 1]->seq + 1 : (anchored && forward ? pos : g->next_seq);
    uint64_t prev = last > first ? sel[first]->seq : (anchored && !forward ? pos : g->next_seq);
    snprintf(fwd, sizeof fwd, "f/%llu", (unsigned long long)next);
    snprintf(back, sizeof back, "b/%llu", (unsigned long long)prev);
    cJSON_AddStringToObject(doc, "nextForwardToken", fwd);
    cJSON_AddStringToObject(doc, "nextBackwardToken", back);
    free(sel);
    return logs_reply(r, doc);
}

static int describe_groups(emu_req *r, const cJSON *b, emu_logstore *ls)
{
    const char *prefix = fl_json_str(b, "logGroupNamePrefix");
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(doc, "logGroups");
    for (size_t i = 0; i < ls->n; i++) {
        emu_log_group *g = ls->groups[i];
        if (prefix && !fl_str_has_prefix(g->name, prefix))
            continue;
        char arn[400];
        snprintf(arn, sizeof arn, "arn:aws:logs:%s:%s:log-group:%s:*", r->e->region, EMU_ACCOUNT, g->name);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "logGroupName", g->name);
        cJSON_AddNumberToObject(o, "creationTime", (double)g->created);
        cJSON_AddNumberToObject(o, "metricFilterCount", 0);
        cJSON_AddStringToObject(o, "arn", arn);
        cJSON_AddNumberToObject(o, "storedBytes", (double)g->bytes);
        cJSON_AddItemToArray(arr, o);
    }
    return logs_reply(r, doc);
}

static int describe_streams(emu_req *r, const cJSON *b, emu_log_group *g)
{
    const char *prefix = fl_json_str(b, "logStreamNamePrefix");
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(doc, "logStreams");
    for (size_t i = 0; i < g->nstreams; i++) {
        const emu_log_stream *s = &g->streams[i];
        if (!s->events || (prefix && !fl_str_has_prefix(s->name, prefix)))
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "logStreamName", s->name);
        cJSON_AddNumberToObject(o, "creationTime", (double)s->created);
        cJSON_AddNumberToObject(o, "firstEventTimestamp", (double)s->first_ts);
        cJSON_AddNumberToObject(o, "lastEventTimestamp", (double)s->last_ts);
        cJSON_AddNumberToObject(o, "lastIngestionTime", (double)s->last_ts);
        cJSON_AddNumberToObject(o, "storedBytes", 0);
        cJSON_AddItemToArray(arr, o);
    }
    return logs_reply(r, doc);
}

int emu_logs_api(emu_req *r)
{
    const char *op = emu_header(r->c, "X-Amz-Target") + strlen("Logs_20140328.");
    cJSON *b = r->body.len ? emu_json_parse_exact(r->body.data, r->body.len) : cJSON_CreateObject();
    if (!cJSON_IsObject(b)) {
        cJSON_Delete(b);
        return logs_error(r, 400, "SerializationException", "The request body is not a JSON object.");
    }
    emu_logstore *ls = r->e->env.logs;
    int rc;
    pthread_mutex_lock(&ls->mu);
    if (!strcmp(op, "DescribeLogGroups")) {
        rc = describe_groups(r, b, ls);
    } else if (strcmp(op, "FilterLogEvents") && strcmp(op, "GetLogEvents") && strcmp(op, "DescribeLogStreams")) {
        rc = logs_error(r, 400, "UnknownOperationException", "faas-lambda emulate serves FilterLogEvents, "
                        "GetLogEvents, DescribeLogGroups and DescribeLogStreams of the Logs API");
    } else {
        const char *name = group_name(b);
        emu_log_group *g = name ? emu_logstore_group(ls, name) : NULL;
        if (!name)
            rc = logs_error(r, 400, "InvalidParameterException", "logGroupName is required");
        else if (!g)
            rc = logs_error(r, 400, "ResourceNotFoundException", "The specified log group does not exist.");
        else if (!strcmp(op, "FilterLogEvents"))
            rc = filter_events(r, b, g);
        else if (!strcmp(op, "GetLogEvents"))
            rc = get_events(r, b, g);
        else
            rc = describe_streams(r, b, g);
    }
    pthread_mutex_unlock(&ls->mu);
    cJSON_Delete(b);
    return rc;
}
