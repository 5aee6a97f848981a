/* Header rules shared by every direction: what a valid name and value are,
 * which headers are hop-by-hop, and headers read from JSON documents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shim/internal.h"

bool shim_token_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && !strchr("!#$%&'*+-.^_`|~", c))
            return false;
    }
    return true;
}

bool shim_header_value_ok(const char *s)
{
    return !s[strcspn(s, "\r\n")]; /* CR or LF would start a new header line */
}

bool shim_is_hop_by_hop(const char *name)
{
    static const char *const hop[] = {"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding",
                                      "TE",         "Trailer",    "Upgrade"};
    for (size_t i = 0; i < sizeof hop / sizeof *hop; i++)
        if (!strcasecmp(name, hop[i]))
            return true;
    return false;
}

void shim_copy_end_to_end(fl_headers *dst, const fl_headers *src, bool drop_length)
{
    for (size_t i = 0; i < src->n; i++) {
        const char *name = src->v[i].name;
        if (shim_is_hop_by_hop(name) || (drop_length && !strcasecmp(name, "Content-Length")))
            continue;
        fl_headers_add(dst, name, src->v[i].value);
    }
}

/* A JSON number as header text: integers without a fraction, others short. */
static void number_text(double d, char *out, size_t size)
{
    if (d > -9007199254740992.0 && d < 9007199254740992.0 && (double)(long long)d == d) {
        snprintf(out, size, "%lld", (long long)d);
        return;
    }
    snprintf(out, size, "%.15g", d);
    if (strtod(out, NULL) != d)
        snprintf(out, size, "%.17g", d);
}

int shim_header_from_json(fl_headers *h, const char *name, const cJSON *v, bool lenient, const char *what,
                          fl_err *err)
{
    char num[32];
    const char *value;
    if (cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v))
        value = v->valuestring;
    else if (lenient && cJSON_IsNumber(v)) {
        number_text(v->valuedouble, num, sizeof num);
        value = num;
    } else if (lenient && cJSON_IsBool(v))
        value = cJSON_IsTrue(v) ? "true" : "false";
    else
        return fl_fail(err, "%s: the value of header \"%s\" is not a string", what, name);
    if (!shim_token_ok(name))
        return fl_fail(err, "%s: \"%s\" is not a valid header name", what, name);
    if (!shim_header_value_ok(value))
        return fl_fail(err, "%s: the value of header \"%s\" contains CR or LF", what, name);
    fl_headers_add(h, name, value);
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

static int multi_values(fl_headers *out, const cJSON *m, fl_err *err)
{
    const char *what = "multiValueHeaders";
    if (!cJSON_IsArray(m))
        return shim_header_from_json(out, m->string, m, true, what, err); /* one bare value */
    const cJSON *v;
    cJSON_ArrayForEach(v, m)
    {
        if (shim_header_from_json(out, m->string, v, true, what, err))
            return -1;
    }
    return 0;
}

int shim_headers_from_doc(const cJSON *doc, fl_headers *out, fl_err *err)
{
    const cJSON *mvh = cJSON_GetObjectItemCaseSensitive(doc, "multiValueHeaders");
    const cJSON *hdr = cJSON_GetObjectItemCaseSensitive(doc, "headers");
    const cJSON *cookies = cJSON_GetObjectItemCaseSensitive(doc, "cookies");
    if (mvh && !cJSON_IsNull(mvh) && !cJSON_IsObject(mvh))
        return fl_fail(err, "multiValueHeaders is not an object");
    if (hdr && !cJSON_IsNull(hdr) && !cJSON_IsObject(hdr))
        return fl_fail(err, "headers is not an object");
    if (cookies && !cJSON_IsNull(cookies) && !cJSON_IsArray(cookies))
        return fl_fail(err, "cookies is not an array");

    /* the names multiValueHeaders has, sorted, so headers can skip them */
    size_t nm = (size_t)cJSON_GetArraySize(mvh), k = 0;
    const char **names = fl_xmalloc((nm ? nm : 1) * sizeof *names);
    const cJSON *m;
    const cJSON *mvh_obj = cJSON_IsObject(mvh) ? mvh : NULL, *hdr_obj = cJSON_IsObject(hdr) ? hdr : NULL;
    const cJSON *cookie_arr = cJSON_IsArray(cookies) ? cookies : NULL;
    int rc = 0;
    cJSON_ArrayForEach(m, mvh_obj)
    {
        names[k++] = m->string;
        if ((rc = multi_values(out, m, err)))
            goto done;
    }
    qsort(names, k, sizeof *names, cmp_name);
    cJSON_ArrayForEach(m, hdr_obj)
    {
        if (k && bsearch(&m->string, names, k, sizeof *names, cmp_name))
            continue;
        if ((rc = shim_header_from_json(out, m->string, m, true, "headers", err)))
            goto done;
    }
    cJSON_ArrayForEach(m, cookie_arr)
    {
        if (!cJSON_IsNull(m) && !cJSON_IsString(m)) {
            rc = fl_fail(err, "cookies: an element is not a string");
            goto done;
        }
        if ((rc = shim_header_from_json(out, "Set-Cookie", m, false, "cookies", err)))
            goto done;
    }
done:
    free(names);
    return rc;
}
