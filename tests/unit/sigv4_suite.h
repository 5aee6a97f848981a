/* Reading the AWS SigV4 test suites (testdata/sigv4, testdata/sigv4-aws-c-auth)
 * for the provider's signer and the emulator's verifier. */
#ifndef TEST_SIGV4_SUITE_H
#define TEST_SIGV4_SUITE_H

#include <string.h>

#include "shared_data.h"

#define SUITE_KEY "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_NOW 1440938160LL /* 20150830T123600Z, the classic suite's clock */

typedef struct suite_req {
    char *method, *path, *query;
    fl_headers headers;
    fl_buf body;
} suite_req;

/* A suite request: "METHOD TARGET HTTP/1.1", header lines (a line starting
 * with whitespace continues the previous value: kept joined by "\n", as
 * folded on the wire), a blank line, the body. The target may hold raw
 * spaces (get-space), so it runs to the last ' '. */
static inline void parse_suite_req(const char *text, suite_req *r)
{
    memset(r, 0, sizeof *r);
    const char *nl = strchr(text, '\n');
    size_t l0 = nl ? (size_t)(nl - text) : strlen(text);
    char *line = fl_xstrndup(text, l0);
    char *sp = strchr(line, ' '), *last = strrchr(line, ' ');
    cr_assert(sp && last && last > sp, "request line: %s", line);
    r->method = fl_xstrndup(line, (size_t)(sp - line));
    char *target = fl_xstrndup(sp + 1, (size_t)(last - sp - 1));
    char *q = strchr(target, '?');
    r->query = fl_xstrdup(q ? q + 1 : "");
    if (q)
        *q = 0;
    r->path = target;
    free(line);
    const char *p = nl ? nl + 1 : text + l0;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0) { /* the body follows */
            p = e ? e + 1 : p;
            fl_buf_append(&r->body, p, strlen(p));
            return;
        }
        /* the list owns its strings: a folded value is joined before it is added */
        const char *colon = memchr(p, ':', n);
        cr_assert_not_null(colon);
        fl_buf value = {0};
        fl_buf_append(&value, colon + 1, n - (size_t)(colon - p) - 1);
        const char *name = p;
        size_t name_len = (size_t)(colon - p);
        p = e ? e + 1 : p + n;
        while (*p == ' ' || *p == '\t') {
            e = strchr(p, '\n');
            n = e ? (size_t)(e - p) : strlen(p);
            fl_buf_putc(&value, '\n');
            fl_buf_append(&value, p, n);
            p = e ? e + 1 : p + n;
        }
        fl_headers_addn(&r->headers, name, name_len, fl_buf_cstr(&value), value.len);
        fl_buf_free(&value);
    }
}

static inline void free_suite_req(suite_req *r)
{
    free(r->method);
    free(r->path);
    free(r->query);
    fl_headers_free(&r->headers);
    fl_buf_free(&r->body);
}

#endif
