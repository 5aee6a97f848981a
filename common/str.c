/* Small string and number parsing helpers. */
#include <string.h>
#include <strings.h>

#include "common.h"

bool fl_str_eq_nocase(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

bool fl_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int fl_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_status(const char *s, size_t n, int *out)
{
    char tmp[8];
    uint64_t v;
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (fl_parse_u64(tmp, 599, &v) || v < 100)
        return -1;
    *out = (int)v;
    return 0;
}

int fl_status_set_parse(const char *s, fl_status_set *set, fl_err *err)
{
    memset(set, 0, sizeof *set);
    const char *p = s;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        const char *dash = memchr(p, '-', n);
        int lo, hi;
        if (dash ? parse_status(p, (size_t)(dash - p), &lo) || parse_status(dash + 1, n - (size_t)(dash - p) - 1, &hi)
                 : parse_status(p, n, &lo))
            return fl_fail(err, "invalid status code list \"%s\": expected codes 100-599 and ranges, e.g. \"500,502-504\"", s);
        if (!dash)
            hi = lo;
        if (hi < lo)
            return fl_fail(err, "invalid status code range in \"%s\": the range ends before it starts", s);
        for (int c = lo; c <= hi; c++)
            set->bits[c / 64] |= (uint64_t)1 << (c % 64);
        p += n;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
    }
    return 0;
}

bool fl_status_set_has(const fl_status_set *set, int status)
{
    if (status < 0 || status >= 600)
        return false;
    return (set->bits[status / 64] >> (status % 64)) & 1;
}

bool fl_status_set_empty(const fl_status_set *set)
{
    for (size_t i = 0; i < sizeof set->bits / sizeof set->bits[0]; i++)
        if (set->bits[i])
            return false;
    return true;
}

const char *fl_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 422: return "Unprocessable Entity";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
    }
}
