/* Routing of request lines: which operation a method and request target
 * name, the parameters in the path and the query. Pure, and fuzzed
 * (tests/fuzz/fuzz_emu_routes.c): the target is the raw one from the
 * request line, percent-decoding happens here, per segment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

/* The Lambda REST API: method + path pattern ("{}" is one non-empty path
 * segment, percent-decoded into a parameter). A trailing slash is optional
 * everywhere: the CLI sends /2015-03-31/functions/ for ListFunctions and
 * /2015-03-31/functions for CreateFunction. */
static const struct {
    const char *method, *pattern;
    emu_op op;
} api_routes[] = {
    {"POST", "/2015-03-31/functions", EMU_OP_CREATE_FUNCTION},
    {"GET", "/2015-03-31/functions", EMU_OP_LIST_FUNCTIONS},
    {"GET", "/2015-03-31/functions/{}", EMU_OP_GET_FUNCTION},
    {"DELETE", "/2015-03-31/functions/{}", EMU_OP_DELETE_FUNCTION},
    {"GET", "/2015-03-31/functions/{}/configuration", EMU_OP_GET_FUNCTION_CONFIGURATION},
    {"PUT", "/2015-03-31/functions/{}/configuration", EMU_OP_UPDATE_FUNCTION_CONFIGURATION},
    {"PUT", "/2015-03-31/functions/{}/code", EMU_OP_UPDATE_FUNCTION_CODE},
    {"POST", "/2015-03-31/functions/{}/invocations", EMU_OP_INVOKE},
    {"POST", "/2021-11-15/functions/{}/response-streaming-invocations", EMU_OP_INVOKE_STREAM},
    {"PUT", "/2017-10-31/functions/{}/concurrency", EMU_OP_PUT_CONCURRENCY},
    {"DELETE", "/2017-10-31/functions/{}/concurrency", EMU_OP_DELETE_CONCURRENCY},
    {"GET", "/2019-09-30/functions/{}/concurrency", EMU_OP_GET_CONCURRENCY},
    {"GET", "/2018-10-31/layers", EMU_OP_LIST_LAYERS},
    {"POST", "/2018-10-31/layers/{}/versions", EMU_OP_PUBLISH_LAYER_VERSION},
    {"GET", "/2018-10-31/layers/{}/versions", EMU_OP_LIST_LAYER_VERSIONS},
    {"GET", "/2018-10-31/layers/{}/versions/{}", EMU_OP_GET_LAYER_VERSION},
    {"DELETE", "/2018-10-31/layers/{}/versions/{}", EMU_OP_DELETE_LAYER_VERSION},
    {"POST", "/2018-10-31/layers/{}/versions/{}/policy", EMU_OP_ADD_LAYER_PERMISSION},
    {"GET", "/2018-10-31/layers/{}/versions/{}/policy", EMU_OP_GET_LAYER_POLICY},
    {"DELETE", "/2018-10-31/layers/{}/versions/{}/policy/{}", EMU_OP_REMOVE_LAYER_PERMISSION},
    {"POST", "/2017-03-31/tags/{}", EMU_OP_TAG_RESOURCE},
    {"DELETE", "/2017-03-31/tags/{}", EMU_OP_UNTAG_RESOURCE},
    {"GET", "/2017-03-31/tags/{}", EMU_OP_LIST_TAGS},
    {"GET", "/2016-08-19/account-settings", EMU_OP_GET_ACCOUNT_SETTINGS},
    {"POST", "/2021-10-31/functions/{}/url", EMU_OP_CREATE_URL},
    {"GET", "/2021-10-31/functions/{}/url", EMU_OP_GET_URL},
    {"PUT", "/2021-10-31/functions/{}/url", EMU_OP_UPDATE_URL},
    {"DELETE", "/2021-10-31/functions/{}/url", EMU_OP_DELETE_URL},
    {"GET", "/2021-10-31/functions/{}/urls", EMU_OP_LIST_URLS},
    {"GET", "/faas-lambda/code/{}", EMU_OP_GET_CODE},
};

static const char *const op_names[EMU_OP_COUNT] = {
    [EMU_OP_UNKNOWN] = "Unknown",
    [EMU_OP_CREATE_FUNCTION] = "CreateFunction",
    [EMU_OP_LIST_FUNCTIONS] = "ListFunctions",
    [EMU_OP_GET_FUNCTION] = "GetFunction",
    [EMU_OP_DELETE_FUNCTION] = "DeleteFunction",
    [EMU_OP_GET_FUNCTION_CONFIGURATION] = "GetFunctionConfiguration",
    [EMU_OP_UPDATE_FUNCTION_CONFIGURATION] = "UpdateFunctionConfiguration",
    [EMU_OP_UPDATE_FUNCTION_CODE] = "UpdateFunctionCode",
    [EMU_OP_INVOKE] = "Invoke",
    [EMU_OP_INVOKE_STREAM] = "InvokeWithResponseStream",
    [EMU_OP_PUT_CONCURRENCY] = "PutFunctionConcurrency",
    [EMU_OP_DELETE_CONCURRENCY] = "DeleteFunctionConcurrency",
    [EMU_OP_GET_CONCURRENCY] = "GetFunctionConcurrency",
    [EMU_OP_LIST_LAYERS] = "ListLayers",
    [EMU_OP_PUBLISH_LAYER_VERSION] = "PublishLayerVersion",
    [EMU_OP_LIST_LAYER_VERSIONS] = "ListLayerVersions",
    [EMU_OP_GET_LAYER_VERSION] = "GetLayerVersion",
    [EMU_OP_DELETE_LAYER_VERSION] = "DeleteLayerVersion",
    [EMU_OP_ADD_LAYER_PERMISSION] = "AddLayerVersionPermission",
    [EMU_OP_GET_LAYER_POLICY] = "GetLayerVersionPolicy",
    [EMU_OP_REMOVE_LAYER_PERMISSION] = "RemoveLayerVersionPermission",
    [EMU_OP_TAG_RESOURCE] = "TagResource",
    [EMU_OP_UNTAG_RESOURCE] = "UntagResource",
    [EMU_OP_LIST_TAGS] = "ListTags",
    [EMU_OP_GET_ACCOUNT_SETTINGS] = "GetAccountSettings",
    [EMU_OP_CREATE_URL] = "CreateFunctionUrlConfig",
    [EMU_OP_GET_URL] = "GetFunctionUrlConfig",
    [EMU_OP_UPDATE_URL] = "UpdateFunctionUrlConfig",
    [EMU_OP_DELETE_URL] = "DeleteFunctionUrlConfig",
    [EMU_OP_LIST_URLS] = "ListFunctionUrlConfigs",
    [EMU_OP_GET_CODE] = "GetCode",
    [EMU_OP_LOGS] = "Logs",
};

const char *emu_op_name(emu_op op)
{
    return op >= 0 && op < EMU_OP_COUNT && op_names[op] ? op_names[op] : "Unknown";
}

int emu_percent_decode(const char *s, size_t n, char *out, size_t outn)
{
    fl_buf b = {0};
    int rc = fl_pct_decode(s, n, FL_PCT_STRICT, &b) || b.len + 1 > outn ? -1 : 0;
    if (rc == 0)
        memcpy(out, b.data, b.len + 1);
    fl_buf_free(&b);
    return rc;
}

/* Matches one pattern against the path (without its query); fills the
 * parameters. */
static bool match(const char *pattern, const char *path, size_t plen, emu_route *out)
{
    const char *p = pattern, *s = path, *end = path + plen;
    int param = 0;
    while (*p && s < end) {
        if (p[0] == '{' && p[1] == '}') {
            const char *seg_end = memchr(s, '/', (size_t)(end - s));
            if (!seg_end)
                seg_end = end;
            if (seg_end == s || param == 3)
                return false;
            char *dst = param == 0 ? out->p1 : param == 1 ? out->p2 : out->p3;
            if (emu_percent_decode(s, (size_t)(seg_end - s), dst, EMU_PARAM_MAX))
                return false;
            param++;
            s = seg_end;
            p += 2;
            continue;
        }
        if (*p != *s)
            return false;
        p++, s++;
    }
    return !*p && s == end;
}

emu_op emu_route_api(const char *method, const char *target, emu_route *out)
{
    memset(out, 0, sizeof *out);
    size_t plen = strcspn(target, "?");
    if (plen > 1 && target[plen - 1] == '/')
        plen--; /* the optional trailing slash */
    for (size_t i = 0; i < sizeof api_routes / sizeof api_routes[0]; i++) {
        if (strcmp(method, api_routes[i].method))
            continue;
        emu_route r = {0};
        if (match(api_routes[i].pattern, target, plen, &r)) {
            *out = r;
            out->op = api_routes[i].op;
            return out->op;
        }
    }
    return EMU_OP_UNKNOWN;
}

int emu_query_parse(const char *target, emu_query *q)
{
    memset(q, 0, sizeof *q);
    const char *qs = strchr(target, '?');
    if (!qs)
        return 0;
    size_t len = strlen(qs + 1);
    q->buf = fl_xmalloc(len + 2 * EMU_QUERY_MAX + 2); /* decoding never grows a string */
    char *w = q->buf;
    const char *p = qs + 1;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (n) {
            if (q->n == EMU_QUERY_MAX)
                return -1;
            const char *eq = memchr(p, '=', n);
            size_t kl = eq ? (size_t)(eq - p) : n;
            size_t vl = eq ? n - kl - 1 : 0;
            emu_query_arg *a = &q->v[q->n++];
            if (kl >= 128 || vl >= EMU_PARAM_MAX || emu_percent_decode(p, kl, w, kl + 1))
                return -1;
            a->key = w;
            w += strlen(w) + 1;
            if (emu_percent_decode(eq ? eq + 1 : p + n, vl, w, vl + 1))
                return -1;
            a->value = w;
            w += strlen(w) + 1;
        }
        p += n + (amp ? 1 : 0);
    }
    return 0;
}

void emu_query_free(emu_query *q)
{
    free(q->buf);
    q->buf = NULL;
    q->n = 0;
}

const char *emu_query_get(const emu_query *q, const char *key)
{
    for (size_t i = 0; i < q->n; i++)
        if (!strcmp(q->v[i].key, key))
            return q->v[i].value;
    return NULL;
}

/* <32 of [a-z0-9]>.lambda-url.<region>.localhost, with an optional :port */
bool emu_url_host_id(const char *host, char id_out[EMU_URL_ID_LEN + 1])
{
    if (!host)
        return false;
    size_t n = strcspn(host, ":");
    if (host[n] == ':') {
        uint64_t port;
        if (fl_parse_u64(host + n + 1, 65535, &port))
            return false;
    }
    static const char mid[] = ".lambda-url.", tail[] = ".localhost";
    if (n < EMU_URL_ID_LEN + sizeof mid - 1 + sizeof tail || strncmp(host + EMU_URL_ID_LEN, mid, sizeof mid - 1) ||
        strncmp(host + n - (sizeof tail - 1), tail, sizeof tail - 1))
        return false;
    for (size_t i = 0; i < EMU_URL_ID_LEN; i++) {
        char c = host[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    }
    const char *region = host + EMU_URL_ID_LEN + sizeof mid - 1;
    size_t rl = (size_t)(host + n - (sizeof tail - 1) - region);
    if (rl == 0 || rl > 32)
        return false;
    for (size_t i = 0; i < rl; i++)
        if (!((region[i] >= 'a' && region[i] <= 'z') || (region[i] >= '0' && region[i] <= '9') || region[i] == '-'))
            return false;
    memcpy(id_out, host, EMU_URL_ID_LEN);
    id_out[EMU_URL_ID_LEN] = 0;
    return true;
}

static bool qualifier_valid(const char *q)
{
    size_t n = strlen(q);
    if (n == 0 || n > 128)
        return false;
    for (; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '$' ||
              *q == '_' || *q == '-'))
            return false;
    return true;
}

/* Splits s at ':' into at most max parts (copies into buf). */
static size_t split_colons(const char *s, char *buf, size_t bufsz, char **parts, size_t max)
{
    if (strlen(s) >= bufsz)
        return 0;
    strcpy(buf, s);
    size_t n = 0;
    char *p = buf;
    for (;;) {
        if (n == max)
            return max + 1; /* too many */
        parts[n++] = p;
        char *c = strchr(p, ':');
        if (!c)
            return n;
        *c = 0;
        p = c + 1;
    }
}

static int set_ref(emu_fn_ref *out, const char *name, const char *qual)
{
    if (!emu_name_valid(name) || (qual && !qualifier_valid(qual)))
        return -1;
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->qualifier, sizeof out->qualifier, "%s", qual ? qual : "");
    return 0;
}

static bool account_valid(const char *a)
{
    if (strlen(a) != 12)
        return false;
    for (; *a; a++)
        if (*a < '0' || *a > '9')
            return false;
    return true;
}

int emu_parse_fn_ref(const char *ref, emu_fn_ref *out)
{
    *out = (emu_fn_ref){0};
    char buf[EMU_FN_REF_MAX];
    char *p[8];
    size_t n = split_colons(ref, buf, sizeof buf, p, 8);
    if (n == 0 || n > 8)
        return -1;
    if (!strcmp(p[0], "arn")) {
        /* arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] */
        if (n < 7 || !fl_str_has_prefix(p[1], "aws") || strcmp(p[2], "lambda") || strcmp(p[5], "function") ||
            !account_valid(p[4]) || !*p[3] || strlen(p[3]) >= sizeof out->region)
            return -1;
        snprintf(out->region, sizeof out->region, "%s", p[3]);
        snprintf(out->account, sizeof out->account, "%s", p[4]);
        return set_ref(out, p[6], n == 8 ? p[7] : NULL);
    }
    switch (n) {
    case 1: return set_ref(out, p[0], NULL);
    case 2: return set_ref(out, p[0], p[1]);
    case 3:
    case 4:
        /* ACCOUNT:function:NAME[:QUALIFIER] */
        if (!account_valid(p[0]) || strcmp(p[1], "function"))
            return -1;
        snprintf(out->account, sizeof out->account, "%s", p[0]);
        return set_ref(out, p[2], n == 4 ? p[3] : NULL);
    default: return -1;
    }
}

static emu_rapi_route need(const char *method, const char *want, emu_rapi_route r)
{
    return strcmp(method, want) ? EMU_RAPI_BAD_METHOD : r;
}

#define INVOCATION "/2018-06-01/runtime/invocation/"

static emu_rapi_route route_invocation(const char *method, const char *rest, char id_out[EMU_ID_MAX])
{
    if (!strcmp(rest, "next"))
        return need(method, "GET", EMU_RAPI_NEXT);
    const char *slash = strchr(rest, '/');
    if (!slash)
        return EMU_RAPI_NOT_FOUND;
    emu_rapi_route r;
    if (!strcmp(slash, "/response"))
        r = EMU_RAPI_RESPONSE;
    else if (!strcmp(slash, "/error"))
        r = EMU_RAPI_ERROR;
    else
        return EMU_RAPI_NOT_FOUND;
    if (strcmp(method, "POST"))
        return EMU_RAPI_BAD_METHOD;
    size_t n = (size_t)(slash - rest);
    if (!emu_request_id_valid(rest, n))
        return EMU_RAPI_BAD_ID;
    memcpy(id_out, rest, n);
    id_out[n] = 0;
    return r;
}

emu_rapi_route emu_route_rapi(const char *method, const char *url, char id_out[EMU_ID_MAX])
{
    id_out[0] = 0;
    if (fl_str_has_prefix(url, INVOCATION))
        return route_invocation(method, url + strlen(INVOCATION), id_out);
    static const struct {
        const char *path, *method;
        emu_rapi_route route;
    } fixed[] = {
        {"/2018-06-01/runtime/init/error", "POST", EMU_RAPI_INIT_ERROR},
        {"/2020-01-01/extension/register", "POST", EMU_RAPI_EXT_REGISTER},
        {"/2020-01-01/extension/event/next", "GET", EMU_RAPI_EXT_NEXT},
        {"/2020-01-01/extension/init/error", "POST", EMU_RAPI_EXT_INIT_ERROR},
        {"/2020-01-01/extension/exit/error", "POST", EMU_RAPI_EXT_EXIT_ERROR},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!strcmp(url, fixed[i].path))
            return need(method, fixed[i].method, fixed[i].route);
    return EMU_RAPI_NOT_FOUND;
}
