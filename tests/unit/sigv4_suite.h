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
        if ((*p == ' ' || *p == '\t') && r->headers.n) {
            char *prev = r->headers.v[r->headers.n - 1].value;
            char *joined = fl_xasprintf("%s\n%.*s", prev, (int)n, p);
            free(prev);
            r->headers.v[r->headers.n - 1].value = joined;
        } else {
            const char *colon = memchr(p, ':', n);
            cr_assert_not_null(colon);
            fl_headers_addn(&r->headers, p, (size_t)(colon - p), colon + 1, n - (size_t)(colon - p) - 1);
        }
        p = e ? e + 1 : p + n;
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
