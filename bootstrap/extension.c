/* An internal extension with no events. Lambda sends SIGTERM at shutdown only
 * to runtimes with at least one registered extension, and init completes only
 * once every extension waits in /event/next, so a thread parks there. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap/bootstrap.h"

typedef struct ext {
    char *url;
    fl_headers headers;
} ext;

static void *park(void *arg)
{
    ext *e = arg;
    CURL_handle *h = fl_http_handle();
    fl_http_req req = {.url = e->url, .headers = &e->headers, .no_proxy = true, .max_body = 64 * 1024};
    fl_http_resp resp;
    fl_err err;
    /* Internal extensions receive no events; /next answers at most at
     * shutdown. Stop on the first failure rather than spin. */
    while (fl_http_do(h, &req, &resp, &err) == 0 && resp.status == 200)
        fl_http_resp_free(&resp);
    fl_debug("extension: event/next ended (%d)", resp.status);
    fl_http_resp_free(&resp);
    fl_http_handle_free(h);
    fl_headers_free(&e->headers);
    free(e->url);
    free(e);
    return NULL;
}

int boot_extension_start(const char *api, fl_err *err)
{
    char *url = fl_xasprintf("http://%s/2020-01-01/extension/register", api);
    fl_headers h = {0};
    fl_headers_add(&h, "Lambda-Extension-Name", "faas-lambda");
    fl_headers_add(&h, "Content-Type", "application/json");
    static const char body[] = "{\"events\":[]}";
    fl_http_req req = {.method = "POST", .url = url, .headers = &h, .body = body, .body_len = sizeof body - 1,
                       .has_body = true, .no_proxy = true, .max_body = 64 * 1024, .timeout_ms = 5000};
    fl_http_resp resp;
    CURL_handle *handle = fl_http_handle();
    int rc = fl_http_do(handle, &req, &resp, err);
    const char *id = fl_headers_get(&resp.headers, "Lambda-Extension-Identifier");
    if (rc == 0 && (resp.status != 200 || !id || !*id))
        rc = fl_fail(err, "extension register answered %d%s", resp.status, id ? "" : " without an identifier");
    if (rc == 0) {
        ext *e = fl_xcalloc(1, sizeof *e);
        e->url = fl_xasprintf("http://%s/2020-01-01/extension/event/next", api);
        fl_headers_add(&e->headers, "Lambda-Extension-Identifier", id);
        pthread_attr_t attr;
        pthread_t t;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 * 1024); /* curl keeps buffers on the stack */
        if (pthread_create(&t, &attr, park, e) != 0) {
            fl_headers_free(&e->headers);
            free(e->url);
            free(e);
            rc = fl_fail(err, "cannot start the extension thread");
        }
        pthread_attr_destroy(&attr);
    }
    fl_http_resp_free(&resp);
    fl_http_handle_free(handle);
    fl_headers_free(&h);
    free(url);
    return rc;
}
