/* fl_http_do against a scripted server on 127.0.0.1 that answers with raw
 * bytes: response headers are what curl's own header API gives (the host's
 * libcurl has it, so each answer is checked against curl_easy_nextheader on
 * the same handle), a handle's options do not carry over from one request
 * to the next, and a handle survives dead pooled connections. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "common/http_internal.h"

/* ---- the scripted server: one thread, one connection at a time ---- */
#define HANG_UP "" /* an answer that closes the connection without a byte */

typedef struct server {
    int fd, port;
    const char *const *answers; /* in turn, the last one repeated */
    size_t n, next;
    bool close_each;            /* close the connection after every answer */
    int drop_every;             /* >0: every such request on a reused connection is hung up on */
    pthread_mutex_t mu;
    fl_buf heads;               /* every request received, head and body */
    pthread_t t;
} server;

static size_t content_length(const char *head)
{
    const char *p = strcasestr(head, "\r\nContent-Length:");
    return p ? (size_t)strtoul(p + 17, NULL, 10) : 0;
}

static void *serve(void *arg)
{
    server *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char buf[65536];
        size_t have = 0;
        int on_conn = 0;
        for (;;) {
            char *end = NULL;
            while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
                ssize_t r = have < sizeof buf - 1 ? read(c, buf + have, sizeof buf - 1 - have) : 0;
                if (r <= 0)
                    goto next_conn;
                have += (size_t)r;
                buf[have] = 0;
            }
            size_t head = (size_t)(end - buf) + 4, body = content_length(buf);
            while (have < head + body) {
                ssize_t r = read(c, buf + have, sizeof buf - 1 - have);
                if (r <= 0)
                    goto next_conn;
                have += (size_t)r;
            }
            pthread_mutex_lock(&s->mu);
            fl_buf_append(&s->heads, buf, head + body);
            fl_buf_puts(&s->heads, "|\n");
            const char *a = s->answers[s->next < s->n ? s->next : s->n - 1];
            s->next++;
            pthread_mutex_unlock(&s->mu);
            memmove(buf, buf + head + body, have - head - body);
            have -= head + body;
            on_conn++;
            if (!*a || (s->drop_every && on_conn > 1 && on_conn % s->drop_every == 0))
                break; /* hang up, unanswered */
            if (write(c, a, strlen(a)) != (ssize_t)strlen(a) || s->close_each)
                break;
        }
    next_conn:
        close(c);
    }
}

static void server_start(server *s, const char *const *answers, size_t n)
{
    s->answers = answers;
    s->n = n;
    pthread_mutex_init(&s->mu, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert_eq(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(s->fd, 8), 0);
    getsockname(s->fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->t, NULL, serve, s);
}

/* After the client's handle is freed (its connections closed). */
static void server_stop(server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->t, NULL);
    close(s->fd);
    fl_buf_free(&s->heads);
    pthread_mutex_destroy(&s->mu);
}

static char *url(const server *s, const char *path)
{
    return fl_xasprintf("http://127.0.0.1:%d%s", s->port, path);
}

static char *server_heads(server *s)
{
    pthread_mutex_lock(&s->mu);
    char *out = fl_xstrdup(fl_buf_cstr(&s->heads));
    fl_buf_reset(&s->heads);
    pthread_mutex_unlock(&s->mu);
    return out;
}

/* "name=value|" for each header, values with CR and LF shown as \r \n */
static void put_text(fl_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\r')
            fl_buf_puts(b, "\\r");
        else if (*s == '\n')
            fl_buf_puts(b, "\\n");
        else
            fl_buf_putc(b, *s);
    }
}

static char *list_text(const fl_headers *h)
{
    fl_buf b = {0};
    for (size_t i = 0; i < h->n; i++) {
        put_text(&b, h->v[i].name);
        fl_buf_putc(&b, '=');
        put_text(&b, h->v[i].value);
        fl_buf_putc(&b, '|');
    }
    return fl_buf_steal(&b);
}

static char *curl_store_text(CURL_handle *h)
{
    fl_buf b = {0};
    struct curl_header *prev = NULL, *hd;
    while ((hd = curl_easy_nextheader((CURL *)h, CURLH_HEADER, -1, prev))) {
        put_text(&b, hd->name);
        fl_buf_putc(&b, '=');
        put_text(&b, hd->value);
        fl_buf_putc(&b, '|');
        prev = hd;
    }
    return fl_buf_steal(&b);
}

/* ---- response headers: the same as curl's header API ---- */

typedef struct answer_case {
    const char *answer;
    const char *want;    /* the headers, as list_text writes them */
    bool follow;
} answer_case;

static const answer_case answer_cases[] = {
    {"HTTP/1.1 200 OK\r\nA: 1\r\nB:  two  \r\na: 3\r\nContent-Length: 2\r\n\r\nhi",
     "A=1|B=two|a=3|Content-Length=2|", false},
    /* an empty value is read as curl 7.88's store reads it: the line's CR */
    {"HTTP/1.1 200 OK\r\nEmpty:\r\nSpaces:   \r\nColon:: x\r\n:anonymous\r\nContent-Length: 0\r\n\r\n",
     "Empty=\\r|Spaces=\\r|Colon=: x|=anonymous|Content-Length=0|", false},
    {"HTTP/1.1 200 OK\nLf: only\nTab:\tv\t\nContent-Length: 0\n\n", "Lf=only|Tab=v|Content-Length=0|", false},
    /* folded values are joined, one leading blank kept */
    {"HTTP/1.1 200 OK\r\nF: a\r\n   b  \r\n\tc\r\nG: d\r\nContent-Length: 0\r\n\r\n",
     "F=a b\tc|G=d|Content-Length=0|", false},
    /* interim answers are not the answer */
    {"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
     "HTTP/1.1 201 Created\r\nY: 2\r\nContent-Length: 2\r\n\r\nhi",
     "Y=2|Content-Length=2|", false},
    /* trailers are not headers, but a folded trailer continues the last header */
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nT: x\r\n\r\n2\r\nhi\r\n0\r\nTr: 1\r\nTr2: 2\r\n\r\n",
     "Transfer-Encoding=chunked|T=x|", false},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nT: x\r\n\r\n2\r\nhi\r\n0\r\n  more\r\n\r\n",
     "Transfer-Encoding=chunked|T=x more|", false},
    {"HTTP/1.1 204 No Content\r\nZ: 1\r\n\r\n", "Z=1|", false},
    {"HTTP/1.0 200 OK\r\nOld: yes\r\n\r\nbody until close", "Old=yes|", false},
    /* only the last request's answer counts when redirects are followed */
    {"HTTP/1.1 302 Found\r\nLocation: /next\r\nR: 1\r\nContent-Length: 0\r\n\r\n", "N=2|Content-Length=0|", true},
};

static const char *const redirect_answers[] = {
    "HTTP/1.1 302 Found\r\nLocation: /next\r\nR: 1\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nN: 2\r\nContent-Length: 0\r\n\r\n",
};

Test(http, response_headers_are_curls)
{
    for (size_t i = 0; i < sizeof answer_cases / sizeof *answer_cases; i++) {
        const answer_case *c = &answer_cases[i];
        server s = {0};
        const char *one[] = {c->answer};
        if (c->follow)
            server_start(&s, redirect_answers, 2);
        else
            server_start(&s, one, 1);
        s.close_each = true;
        CURL_handle *h = fl_http_handle();
        char *u = url(&s, "/x");
        fl_http_req req = {.url = u, .follow_redirects = c->follow, .timeout_ms = 5000};
        fl_http_resp resp;
        fl_err err;
        int rc = fl_http_do(h, &req, &resp, &err);
        cr_assert_eq(rc, 0, "case %zu: %s", i, err.msg);
        char *got = list_text(&resp.headers), *store = curl_store_text(h);
        cr_expect_str_eq(got, store, "case %zu: as curl's header API", i);
        cr_expect_str_eq(got, c->want, "case %zu", i);
        free(got);
        free(store);
        free(u);
        fl_http_resp_free(&resp);
        fl_http_handle_free(h);
        server_stop(&s);
    }
}

/* Lines curl's header store refuses fail the transfer as that store fails
 * it (the bootstrap's libcurl has no store: the collector checks itself). */
Test(http, collector_refuses_what_curls_store_refuses)
{
    fl_headers out = {0};
    fl_http_headers_ctx c;
    CURL *h = curl_easy_init();
    fl_http_headers_init(&c, h, &out);
    fl_http_headers_request(&c);
    cr_assert_eq(fl_http_header_line(&c, "HTTP/1.1 200 OK\r\n", 17), 17);
    cr_assert_eq(fl_http_header_line(&c, "A: 1\r\n", 6), 6);
    cr_assert_eq(fl_http_header_line(&c, "\r\n", 2), 2);
    cr_expect_eq(fl_http_header_line(&c, "no colon in this trailer\r\n", 26), 0);
    cr_expect_eq(fl_http_headers_done(&c, CURLE_WRITE_ERROR), CURLE_BAD_FUNCTION_ARGUMENT);
    cr_expect_eq(fl_http_headers_done(&c, CURLE_OK), CURLE_OK);

    fl_http_headers_init(&c, h, &out);
    fl_http_headers_request(&c);
    cr_assert_eq(fl_http_header_line(&c, "HTTP/1.1 200 OK\r\n", 17), 17);
    cr_expect_eq(fl_http_header_line(&c, " folded first\r\n", 15), 0, "nothing to continue");
    fl_http_headers_init(&c, h, &out);
    fl_http_headers_request(&c);
    cr_assert_eq(fl_http_header_line(&c, "HTTP/1.1 200 OK\r\n", 17), 17);
    cr_expect_eq(fl_http_header_line(&c, "A: 1", 4), 0, "a line without its end");
    cr_expect_eq(fl_http_header_line(&c, "B: x\0\r\n", 7), 0, "a NUL before the end");
    fl_headers_free(&out);
    curl_easy_cleanup(h);
}

/* ---- requests: what one request sets does not carry over ---- */

static const char *const ok_answer[] = {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};

Test(http, options_do_not_carry_over)
{
    server s = {0};
    server_start(&s, ok_answer, 1);
    CURL_handle *h = fl_http_handle();
    char *u = url(&s, "/a/../b?q=1");
    fl_headers hs = {0};
    fl_headers_add(&hs, "X-One", "1");
    fl_headers_add(&hs, "X-Empty", "");
    fl_headers_add(&hs, "x-one", "again");
    fl_http_req reqs[] = {
        {.method = "POST", .url = u, .headers = &hs, .body = "abc", .body_len = 3, .has_body = true,
         .path_as_is = true, .userpwd = "u:p", .no_proxy = true, .request_target = "/target"},
        {.url = u},
        {.method = "HEAD", .url = u},
        {.method = "PUT", .url = u, .body = "12345", .body_len = 5, .has_body = true, .path_as_is = true},
        {.method = "GET", .url = u, .body = "g", .body_len = 1, .has_body = true},
        {.method = "DELETE", .url = u, .no_proxy = true},
        {.method = "POST", .url = u, .has_body = true},
        {.url = u, .headers = &hs},
    };
    const char *want[] = {
        "POST /target HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Basic dTpw\r\nX-One: 1\r\nX-Empty:\r\n"
        "x-one: again\r\nContent-Length: 3\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nabc|\n",
        "GET /b?q=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n|\n",
        "HEAD /b?q=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n|\n",
        "PUT /a/../b?q=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 5\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n12345|\n",
        "GET /b?q=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\ng|\n",
        "DELETE /b?q=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n|\n",
        "POST /b?q=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 0\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n|\n",
        "GET /b?q=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-One: 1\r\nX-Empty:\r\nx-one: again\r\n\r\n|\n",
    };
    for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
        fl_http_resp resp;
        fl_err err;
        reqs[i].timeout_ms = 5000;
        cr_assert_eq(fl_http_do(h, &reqs[i], &resp, &err), 0, "request %zu: %s", i, err.msg);
        cr_expect_eq(resp.status, 200);
        cr_expect_eq(resp.body.len, i == 2 ? 0u : 2u, "request %zu", i);
        fl_http_resp_free(&resp);
        char *got = server_heads(&s);
        char *w = fl_xasprintf(want[i], s.port);
        cr_expect_str_eq(got, w, "request %zu", i);
        free(w);
        free(got);
    }
    fl_headers_free(&hs);
    free(u);
    fl_http_handle_free(h);
    server_stop(&s);
}

/* A pooled connection the server hung up on is retried on a fresh one, on
 * every request of a handle's life (libcurl 7.88 counts the retries per
 * handle, not per request). */
Test(http, dead_pooled_connections_are_retried_for_ever)
{
    server s = {0};
    server_start(&s, ok_answer, 1);
    s.drop_every = 2;
    CURL_handle *h = fl_http_handle();
    char *u = url(&s, "/");
    for (int i = 0; i < 20; i++) {
        fl_http_req req = {.url = u, .timeout_ms = 5000};
        fl_http_resp resp;
        fl_err err;
        cr_assert_eq(fl_http_do(h, &req, &resp, &err), 0, "request %d: %s", i, err.msg);
        cr_expect_eq(resp.status, 200);
        fl_http_resp_free(&resp);
    }
    free(u);
    fl_http_handle_free(h);
    server_stop(&s);
}

/* body_into, max_body and a sink, on one handle */
static size_t count_sink(void *ud, const char *data, size_t n)
{
    (void)data;
    *(size_t *)ud += n;
    return n;
}

Test(http, bodies)
{
    static const char *const answers[] = {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"};
    server s = {0};
    server_start(&s, answers, 1);
    CURL_handle *h = fl_http_handle();
    char *u = url(&s, "/");
    fl_buf kept = {0};
    fl_buf_puts(&kept, "old");
    fl_http_resp resp;
    fl_err err;
    fl_http_req a = {.url = u, .body_into = &kept};
    cr_assert_eq(fl_http_do(h, &a, &resp, &err), 0, "%s", err.msg);
    cr_expect_str_eq(fl_buf_cstr(&kept), "0123456789");
    cr_expect_eq(resp.body.len, 0u);
    fl_http_resp_free(&resp);
    fl_http_req b = {.url = u, .max_body = 5};
    cr_expect_eq(fl_http_do(h, &b, &resp, &err), -1);
    cr_expect(resp.too_large);
    cr_expect(strstr(err.msg, "larger than the 5 bytes allowed"), "%s", err.msg);
    fl_http_resp_free(&resp);
    size_t got = 0;
    fl_http_req c = {.url = u, .sink = count_sink, .sink_ud = &got};
    cr_assert_eq(fl_http_do(h, &c, &resp, &err), 0, "%s", err.msg);
    cr_expect_eq(got, 10u);
    cr_expect_str_eq(fl_headers_get(&resp.headers, "content-length"), "10");
    fl_http_resp_free(&resp);
    fl_buf_free(&kept);
    free(u);
    fl_http_handle_free(h);
    server_stop(&s);
}
