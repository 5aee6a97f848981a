/* Routing of the provider's requests (reference/openfaas.md §1.1): pure, so
 * that unit tests and the fuzzer drive it. As gorilla/mux: an unknown path
 * is 404, a known path with another method 405; paths are matched decoded;
 * {name} is [-a-zA-Z_0-9.]+. /function/{name}/{params} keeps the raw params
 * (path and query as sent) for the function. */
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

/* s is a valid {name} of length n that fits the route's buffer. */
static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= sizeof ((pv_route *)0)->name)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char(s[i]))
            return false;
    return true;
}

static bool is_method(const char *m, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (!strcmp(m, *allowed))
            return true;
    return false;
}

typedef struct fixed_route {
    const char *path;
    pv_route_id id;
    bool auth;
    const char *methods[5];
    pv_route_id per_method[5]; /* when set: the id for methods[i] */
} fixed_route;

static const fixed_route fixed[] = {
    {"/system/functions", PV_R_LIST, true, {"GET", "POST", "PUT", "DELETE"},
     {PV_R_LIST, PV_R_DEPLOY, PV_R_UPDATE, PV_R_DELETE}},
    {"/system/info", PV_R_INFO, true, {"GET"}, {0}},
    {"/system/secrets", PV_R_SECRETS, true, {"GET", "PUT", "POST", "DELETE"}, {0}},
    {"/system/logs", PV_R_LOGS, true, {"GET"}, {0}},
    {"/system/namespaces", PV_R_NAMESPACES, false, {"GET"}, {0}},
    {"/healthz", PV_R_HEALTHZ, false, {"GET", "HEAD"}, {0}},
};

/* /PREFIX{name}: the name (no further '/') into r->name. */
static bool match_named(const char *path, const char *prefix, bool empty_ok, pv_route *r)
{
    if (!fl_str_has_prefix(path, prefix))
        return false;
    const char *name = path + strlen(prefix);
    size_t n = strlen(name);
    if (strchr(name, '/') || (n == 0 && !empty_ok) || (n && !name_ok(name, n)))
        return false;
    memcpy(r->name, name, n);
    r->name[n] = 0;
    return true;
}

static void route_function(const char *method, const char *raw, pv_route *r)
{
    /* raw: the target after "/function/" */
    size_t n = strcspn(raw, "/?");
    fl_buf name = {0};
    if (fl_pct_decode(raw, n, FL_PCT_STRICT, &name) || !name_ok(name.data, name.len)) {
        fl_buf_free(&name);
        return; /* 404 */
    }
    memcpy(r->name, name.data, name.len + 1);
    fl_buf_free(&name);
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", NULL};
    r->id = is_method(method, methods) ? PV_R_INVOKE : PV_R_BAD_METHOD;
    r->params = raw + n;
    r->path = "/function";
}

void pv_route_request(const char *method, const char *target, pv_route *r)
{
    memset(r, 0, sizeof *r);
    r->id = PV_R_NOT_FOUND;
    r->params = "";
    r->path = "other";
    if (fl_str_has_prefix(target, "/function/")) {
        route_function(method, target + strlen("/function/"), r);
        return;
    }
    fl_buf path = {0};
    if (fl_pct_decode(target, strcspn(target, "?"), FL_PCT_STRICT, &path)) {
        fl_buf_free(&path);
        return;
    }
    const char *p = fl_buf_cstr(&path);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (strcmp(p, fixed[i].path))
            continue;
        r->path = fixed[i].path;
        r->auth = fixed[i].auth;
        r->id = PV_R_BAD_METHOD;
        for (size_t m = 0; m < 5 && fixed[i].methods[m]; m++)
            if (!strcmp(method, fixed[i].methods[m]))
                r->id = fixed[i].per_method[m] ? fixed[i].per_method[m] : fixed[i].id;
        goto out;
    }
    if (!strcmp(p, "/metrics")) {
        r->id = PV_R_METRICS;
        r->path = "/metrics";
    } else if (match_named(p, "/system/function/", false, r)) {
        r->id = strcmp(method, "GET") ? PV_R_BAD_METHOD : PV_R_STATUS;
        r->auth = true;
        r->path = "/system/function";
    } else if (match_named(p, "/system/scale-function/", false, r)) {
        r->id = strcmp(method, "POST") ? PV_R_BAD_METHOD : PV_R_SCALE;
        r->auth = true;
        r->path = "/system/scale-function";
    } else if (match_named(p, "/system/namespace/", true, r)) {
        r->id = strcmp(method, "GET") ? PV_R_BAD_METHOD : PV_R_NAMESPACE;
        r->path = "/system/namespace";
    }
out:
    fl_buf_free(&path);
}

char *pv_query_get(const char *target, const char *key)
{
    const char *q = strchr(target, '?');
    if (!q)
        return NULL;
    q++;
    size_t kl = strlen(key);
    while (*q) {
        size_t n = strcspn(q, "&;");
        fl_buf k = {0};
        const char *eq = memchr(q, '=', n);
        size_t klen = eq ? (size_t)(eq - q) : n;
        bool hit = fl_pct_decode(q, klen, FL_PCT_STRICT | FL_PCT_PLUS, &k) == 0 && k.len == kl && !memcmp(k.data, key, kl);
        fl_buf_free(&k);
        if (hit) {
            fl_buf v = {0};
            if (fl_pct_decode(eq ? eq + 1 : q + n, eq ? n - klen - 1 : 0, FL_PCT_STRICT | FL_PCT_PLUS, &v) == 0)
                return fl_buf_steal(&v);
            fl_buf_free(&v);
        }
        q += n;
        if (*q)
            q++;
    }
    return NULL;
}
