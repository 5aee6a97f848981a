/* Response headers from CURLOPT_HEADERFUNCTION lines: what curl's header API
 * (lib/headers.c of curl 7.88, Curl_headers_push and curl_easy_nextheader)
 * would hand back, computed the way it computes them, so that the bootstrap's
 * libcurl can be built without that API (it stores every header of every
 * response in an allocation of its own). curl has already parsed and checked
 * each line (status line, colon, NUL bytes) before it gets here; this only
 * splits name from value and follows which response a line belongs to. */
#include <string.h>

#include "common/http_internal.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_space(char c)
{
    return is_blank(c) || (c >= '\n' && c <= '\r');
}

void fl_http_headers_init(fl_http_headers_ctx *c, CURL *h, fl_headers *out)
{
    *c = (fl_http_headers_ctx){.h = h, .out = out};
}

void fl_http_headers_request(fl_http_headers_ctx *c)
{
    /* curl_easy_nextheader(..., -1, ...) answers for the last request only */
    fl_headers_clear(c->out);
    c->in_request = true;
    c->final_done = c->block_1xx = false;
    c->line = 0;
    if (c->prev == FL_HPREV_KEPT)
        c->prev = FL_HPREV_OTHER;
}

/* A folded line: curl appends it to the previous header's value, trailing
 * space cut and at most one leading blank kept. */
static int unfold(fl_http_headers_ctx *c, const char *p, size_t n)
{
    if (c->prev == FL_HPREV_NONE)
        return -1;
    while (n && is_space(p[n - 1]))
        n--;
    while (n > 1 && is_blank(p[0]) && is_blank(p[1])) {
        n--;
        p++;
    }
    if (c->prev == FL_HPREV_KEPT) { /* the last entry: replaced, its old text left in the list's block */
        const fl_header *last = &c->out->v[c->out->n - 1];
        const char *name = last->name;
        fl_buf v = {0};
        fl_buf_puts(&v, last->value);
        fl_buf_append(&v, p, n);
        c->out->n--;
        fl_headers_addn(c->out, name, strlen(name), v.data, v.len);
        fl_buf_free(&v);
    }
    return 0;
}

/* One header line, as curl's store splits it. */
static int header(fl_http_headers_ctx *c, const char *p, size_t n, bool keep)
{
    const char *colon = memchr(p, ':', n);
    if (!colon)
        return -1;
    const char *v = colon + 1, *e = p + n - 1; /* e: the line's last byte, its CR or LF */
    while (v < e && is_blank(*v))
        v++;
    while (e > v && is_space(*e))
        e--;
    if (keep)
        fl_headers_addn(c->out, p, (size_t)(colon - p), v, (size_t)(e - v) + 1);
    c->prev = keep ? FL_HPREV_KEPT : FL_HPREV_OTHER;
    return 0;
}

size_t fl_http_header_line(fl_http_headers_ctx *c, const char *p, size_t len)
{
    if (!len)
        return 0;
    if (p[0] == '\r' || p[0] == '\n') { /* the end of a header block */
        if (c->line && !c->final_done) {
            if (c->block_1xx || !c->in_request)
                c->line = 0; /* another block follows */
            else
                c->final_done = true;
        }
        return len;
    }
    bool trailer = c->final_done;
    if (!trailer && c->line++ == 0) { /* a status line: curl does not store it */
        long status = 0;
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
        c->block_1xx = status / 100 == 1;
        return len;
    }
    /* curl reads the line up to its first CR, else LF, in a NUL-terminated copy */
    size_t k = strnlen(p, len);
    const char *end = memchr(p, '\r', k);
    if (!end)
        end = memchr(p, '\n', k);
    int rc = -1;
    if (end) {
        size_t n = (size_t)(end - p) + 1;
        bool keep = c->in_request && !trailer && !c->block_1xx;
        rc = is_blank(p[0]) ? unfold(c, p, n) : header(c, p, n, keep);
    }
    if (rc) {
        c->bad = true;
        return 0;
    }
    return len;
}

CURLcode fl_http_headers_done(const fl_http_headers_ctx *c, CURLcode code)
{
    /* curl's store refuses such a line with CURLE_BAD_FUNCTION_ARGUMENT; a
     * header callback that refuses it makes curl report a write error */
    return c->bad && code == CURLE_WRITE_ERROR ? CURLE_BAD_FUNCTION_ARGUMENT : code;
}
