/* Routing of request lines: which operation a method and path name. Pure;
 * the path is what libmicrohttpd hands over (percent-decoded, no query). */
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"

#define FRONT_PREFIX "/2015-03-31/functions/"
#define FRONT_SUFFIX "/invocations"

emu_front_route emu_route_front(const char *method, const char *url, char ref_out[EMU_FN_REF_MAX])
{
    ref_out[0] = 0;
    if (strcmp(method, "POST") || !fl_str_has_prefix(url, FRONT_PREFIX))
        return EMU_FRONT_UNKNOWN;
    const char *ref = url + strlen(FRONT_PREFIX);
    const char *slash = strchr(ref, '/');
    if (!slash || slash == ref || strcmp(slash, FRONT_SUFFIX))
        return EMU_FRONT_UNKNOWN;
    size_t n = (size_t)(slash - ref);
    if (n >= EMU_FN_REF_MAX)
        return EMU_FRONT_UNKNOWN;
    memcpy(ref_out, ref, n);
    ref_out[n] = 0;
    return EMU_FRONT_INVOKE;
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
