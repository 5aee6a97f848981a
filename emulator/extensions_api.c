/* The Extensions API (2020-01-01), enough for what runtimes do with it:
 * register an internal extension (so that Lambda sends them SIGTERM at
 * shutdown), then wait on /extension/event/next. Every registrant is an
 * internal extension here (external ones in /opt/extensions are not started
 * yet), so, as on Lambda, SHUTDOWN cannot be subscribed to and event/next
 * returns only INVOKE events, or never. Errors follow RIE (403 + type). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

#define EXT_NAME_MAX 256

static int forbidden(struct MHD_Connection *c, const char *type, const char *msg)
{
    return emu_respond_rapi_error(c, 403, type, "%s", msg);
}

/* Validates the events list; 0, or -1 with the event named in msg. */
static int parse_events(const cJSON *events, bool *want_invoke, char *msg, size_t n)
{
    *want_invoke = false;
    if (!events || cJSON_IsNull(events))
        return 0;
    if (!cJSON_IsArray(events)) {
        snprintf(msg, n, "events must be an array of event names");
        return -1;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, events) {
        const char *name = cJSON_GetStringValue(e);
        if (name && !strcmp(name, "INVOKE")) {
            *want_invoke = true;
        } else if (name && !strcmp(name, "SHUTDOWN")) {
            snprintf(msg, n, "SHUTDOWN: ShutdownEvent is not supported for internal extensions");
            return -1;
        } else {
            snprintf(msg, n, "%.64s: invalid event type", name ? name : "(not a string)");
            return -1;
        }
    }
    return 0;
}

static emu_extension *find_ext(emu_sandbox *sb, const char *id)
{
    for (size_t i = 0; i < sb->next_ext; i++)
        if (!strcmp(sb->ext[i].id, id))
            return &sb->ext[i];
    return NULL;
}

int emu_ext_register(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r)
{
    emu_function *fn = sb->fn;
    const char *name = emu_header(c, "Lambda-Extension-Name");
    if (!name || !*name || strlen(name) > EXT_NAME_MAX)
        return forbidden(c, "Extension.InvalidExtensionName", "Empty extension name");
    cJSON *doc = emu_json_parse_exact(r->body.data ? r->body.data : "", r->body.len);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return forbidden(c, "InvalidRequestFormat", "the body must be a JSON object like {\"events\":[]}");
    }
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(doc, "configurationKeys");
    if (cJSON_GetArraySize(keys) > 0) {
        cJSON_Delete(doc);
        return forbidden(c, "InvalidRequestFormat", "configurationKeys are deprecated; use environment variables instead");
    }
    bool want_invoke;
    char msg[160];
    int bad = parse_events(cJSON_GetObjectItemCaseSensitive(doc, "events"), &want_invoke, msg, sizeof msg);
    cJSON_Delete(doc);
    if (bad)
        return forbidden(c, "Extension.InvalidEventType", msg);

    pthread_mutex_lock(&fn->mu);
    const char *type = NULL, *why = NULL;
    if (sb->initialized || sb->doomed) {
        type = "Extension.RegistrationClosed", why = "Extension registration closed already";
    } else if (sb->next_ext == EMU_MAX_EXTENSIONS) {
        type = "Extension.TooManyExtensions", why = "Extension limit (10) reached";
    } else {
        for (size_t i = 0; i < sb->next_ext; i++)
            if (!strcmp(sb->ext[i].name, name))
                type = "Extension.InvalidExtensionState", why = "Extension with this name already registered";
    }
    if (type) {
        pthread_mutex_unlock(&fn->mu);
        return forbidden(c, type, why);
    }
    emu_extension *x = &sb->ext[sb->next_ext++];
    emu_new_uuid(x->id);
    x->name = fl_xstrdup(name);
    x->want_invoke = want_invoke;
    fl_headers h = {0};
    fl_headers_add(&h, "Lambda-Extension-Identifier", x->id);
    fl_buf body = {0};
    fl_buf_puts(&body, "{\"functionName\":");
    fl_json_put_str(&body, fn->conf.name, strlen(fn->conf.name));
    fl_buf_printf(&body, ",\"functionVersion\":\"%s\",\"handler\":", EMU_VERSION);
    fl_json_put_str(&body, fn->conf.handler, strlen(fn->conf.handler));
    fl_buf_putc(&body, '}');
    fl_info("sandbox %u: extension '%s' registered (%s); the runtime will get SIGTERM at shutdown", sb->seq, x->name,
            want_invoke ? "INVOKE events" : "no events");
    pthread_mutex_unlock(&fn->mu);
    int rc = emu_respond(c, 200, "application/json", &body, &h);
    fl_headers_free(&h);
    return rc;
}

/* The extension named by the identifier header, or a 403 queued (NULL). */
static emu_extension *identify(emu_sandbox *sb, struct MHD_Connection *c, int *rc)
{
    const char *id = emu_header(c, "Lambda-Extension-Identifier");
    if (!id) {
        *rc = forbidden(c, "Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header");
        return NULL;
    }
    if (!emu_is_uuid(id)) {
        *rc = forbidden(c, "Extension.InvalidExtensionIdentifier", "Invalid Lambda-Extension-Identifier");
        return NULL;
    }
    emu_extension *x = find_ext(sb, id);
    if (!x)
        *rc = forbidden(c, "Extension.UnknownExtensionIdentifier", "Unknown extension");
    return x;
}

int emu_ext_next(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r)
{
    emu_function *fn = sb->fn;
    int rc = MHD_NO;
    pthread_mutex_lock(&fn->mu);
    emu_extension *x = r->ext ? r->ext : identify(sb, c, &rc);
    if (x && x->waiting && x->waiting != r) { /* a newer call of the same extension wins */
        x->waiting->dropped = true;
        emu_rapi_unpark(x->waiting);
        x->waiting = NULL;
    }
    if (x && !sb->closing && !r->dropped && !x->head) {
        r->ext = x;
        x->waiting = r;
        emu_rapi_park(r);
        pthread_mutex_unlock(&fn->mu);
        return MHD_YES;
    }
    if (x && x->waiting == r)
        x->waiting = NULL;
    if (!x || sb->closing || r->dropped || !x->head) {
        pthread_mutex_unlock(&fn->mu);
        return x ? MHD_NO : rc; /* the sandbox is going away, or the caller left: just the end */
    }
    emu_ext_event *e = x->head;
    x->head = e->next;
    if (!x->head)
        x->tail = NULL;
    x->nevents--;
    pthread_mutex_unlock(&fn->mu);
    char event_id[EMU_UUID_LEN + 1];
    emu_new_uuid(event_id);
    fl_headers h = {0};
    fl_headers_add(&h, "Lambda-Extension-Event-Identifier", event_id);
    fl_buf body = {0};
    fl_buf_puts(&body, e->json);
    free(e->json);
    free(e);
    rc = emu_respond(c, 200, "application/json", &body, &h);
    fl_headers_free(&h);
    return rc;
}

int emu_ext_error(emu_sandbox *sb, struct MHD_Connection *c, emu_rapi_req *r)
{
    emu_function *fn = sb->fn;
    char type[EMU_ERROR_TYPE_MAX];
    emu_ext_error_type_normalize(emu_header(c, "Lambda-Extension-Function-Error-Type"), type);
    int rc = MHD_NO;
    pthread_mutex_lock(&fn->mu);
    emu_extension *x = identify(sb, c, &rc);
    if (!x) {
        pthread_mutex_unlock(&fn->mu);
        return rc;
    }
    if (r->route == EMU_RAPI_EXT_EXIT_ERROR) {
        fl_warn("sandbox %u: extension '%s' reported an exit error (%s)", sb->seq, x->name, type);
    } else if (sb->initialized || sb->doomed) {
        pthread_mutex_unlock(&fn->mu);
        return forbidden(c, "Extension.InvalidExtensionState", "/extension/init/error is only accepted during init");
    } else {
        /* like /runtime/init/error: the waiting invoke fails, the sandbox goes */
        fl_warn("sandbox %u: extension '%s' reported an init error (%s)", sb->seq, x->name, type);
        sb->doomed = true;
        sb->kill_at_us = fl_mono_us() + EMU_INIT_ERROR_GRACE_US;
        emu_invoke *pending = fn->q_head;
        emu_log_init_report(sb, "error", type);
        if (pending) {
            fl_buf doc = {0}, msg = {0};
            fl_buf_printf(&msg, "RequestId: %s Error: extension %s failed to initialize", pending->id, x->name);
            if (r->body.len)
                fl_buf_printf(&msg, ": %.*s", (int)(r->body.len > 1024 ? 1024 : r->body.len), r->body.data);
            emu_error_doc(&doc, type, fl_buf_cstr(&msg));
            fl_buf_free(&msg);
            emu_fail_queued(fn, pending, EMU_RES_ERROR, type, &doc);
        }
        emu_function_wake(fn);
    }
    pthread_mutex_unlock(&fn->mu);
    fl_buf ok = {0};
    fl_buf_puts(&ok, "{\"status\":\"OK\"}");
    return emu_respond(c, 202, "application/json", &ok, NULL);
}

void emu_ext_notify_invoke(emu_sandbox *sb, const emu_invoke *inv)
{
    bool any = false;
    for (size_t i = 0; i < sb->next_ext; i++) {
        emu_extension *x = &sb->ext[i];
        if (!x->want_invoke)
            continue;
        if (x->nevents == EMU_EXT_EVENTS_MAX) { /* an extension that never reads: drop its oldest */
            emu_ext_event *old = x->head;
            x->head = old->next;
            if (!x->head)
                x->tail = NULL;
            x->nevents--;
            free(old->json);
            free(old);
        }
        emu_ext_event *e = fl_xcalloc(1, sizeof *e);
        fl_buf j = {0};
        fl_buf_printf(&j, "{\"eventType\":\"INVOKE\",\"deadlineMs\":%llu,\"requestId\":\"%s\",\"invokedFunctionArn\":",
                      (unsigned long long)inv->deadline_ms, inv->id);
        fl_json_put_str(&j, sb->fn->conf.arn, strlen(sb->fn->conf.arn));
        fl_buf_puts(&j, ",\"tracing\":{\"type\":\"X-Amzn-Trace-Id\",\"value\":");
        fl_json_put_str(&j, inv->trace_id, strlen(inv->trace_id));
        fl_buf_puts(&j, "}}");
        e->json = fl_buf_steal(&j);
        if (x->tail)
            x->tail->next = e;
        else
            x->head = e;
        x->tail = e;
        x->nevents++;
        any = true;
    }
    if (any)
        emu_rapi_kick(sb);
}

void emu_ext_free_all(emu_sandbox *sb)
{
    for (size_t i = 0; i < sb->next_ext; i++) {
        emu_extension *x = &sb->ext[i];
        while (x->head) {
            emu_ext_event *e = x->head;
            x->head = e->next;
            free(e->json);
            free(e);
        }
        free(x->name);
    }
    sb->next_ext = 0;
}
