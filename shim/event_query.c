/* The raw query of an HTTP event ("" when there is none, never a lone '?').
 *
 * 2.0: rawQueryString as given. REST (1.0): rebuilt from
 * multiValueQueryStringParameters when it has members, else
 * queryStringParameters; API Gateway delivers those decoded, so keys and
 * values are percent-encoded again, in event order. ALB: the same maps, but
 * ALB does not decode them, so they are joined as given. In every case bytes
 * a request line cannot carry (controls, space, non-ASCII, '#') end up
 * percent-encoded. Null entries are skipped; other non-strings fail. */
#include <string.h>

#include "shim/internal.h"

static void put_part(fl_buf *out, const char *s, bool decoded)
{
    if (decoded)
        shim_pct_component(s, strlen(s), out);
    else
        shim_pct_query(s, strlen(s), out);
}

static void put_pair(fl_buf *out, const char *key, const char *value, bool decoded)
{
    if (out->len)
        fl_buf_putc(out, '&');
    put_part(out, key, decoded);
    fl_buf_putc(out, '=');
    put_part(out, value, decoded);
}

static int from_multi(const cJSON *mq, bool decoded, fl_buf *out, fl_err *err)
{
    const cJSON *m, *v;
    cJSON_ArrayForEach(m, mq)
    {
        if (cJSON_IsNull(m))
            continue;
        if (!cJSON_IsArray(m))
            return fl_fail(err, "multiValueQueryStringParameters: the value of \"%s\" is not an array", m->string);
        cJSON_ArrayForEach(v, m)
        {
            if (cJSON_IsNull(v))
                continue;
            if (!cJSON_IsString(v))
                return fl_fail(err, "multiValueQueryStringParameters: a value of \"%s\" is not a string", m->string);
            put_pair(out, m->string, v->valuestring, decoded);
        }
    }
    return 0;
}

static int from_single(const cJSON *q, bool decoded, fl_buf *out, fl_err *err)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, q)
    {
        if (cJSON_IsNull(m))
            continue;
        if (!cJSON_IsString(m))
            return fl_fail(err, "queryStringParameters: the value of \"%s\" is not a string", m->string);
        put_pair(out, m->string, m->valuestring, decoded);
    }
    return 0;
}

static int from_maps(const cJSON *ev, bool decoded, fl_buf *out, fl_err *err)
{
    const cJSON *mq = cJSON_GetObjectItemCaseSensitive(ev, "multiValueQueryStringParameters");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(ev, "queryStringParameters");
    if (mq && !cJSON_IsNull(mq) && !cJSON_IsObject(mq))
        return fl_fail(err, "member multiValueQueryStringParameters is not an object");
    if (q && !cJSON_IsNull(q) && !cJSON_IsObject(q))
        return fl_fail(err, "member queryStringParameters is not an object");
    if (cJSON_IsObject(mq) && mq->child)
        return from_multi(mq, decoded, out, err);
    return cJSON_IsObject(q) ? from_single(q, decoded, out, err) : 0;
}

int shim_event_query(const cJSON *ev, shim_kind kind, fl_buf *out, fl_err *err)
{
    if (kind == SHIM_HTTP_V2 || kind == SHIM_URL) {
        const cJSON *raw = cJSON_GetObjectItemCaseSensitive(ev, "rawQueryString");
        if (!raw || cJSON_IsNull(raw))
            return 0;
        if (!cJSON_IsString(raw))
            return fl_fail(err, "member rawQueryString is not a string");
        shim_pct_query(raw->valuestring, strlen(raw->valuestring), out);
        return 0;
    }
    return from_maps(ev, kind == SHIM_REST_V1, out, err);
}
