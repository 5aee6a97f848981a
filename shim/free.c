/* Freeing the shim's request and response; both leave a zeroed value. */
#include <stdlib.h>

#include "shim/internal.h"

void shim_request_reset(shim_request *req)
{
    fl_buf body = req->body;
    req->body = (fl_buf){0};
    shim_request_free(req);
    fl_buf_reset(&body);
    req->body = body;
}

void shim_request_free(shim_request *req)
{
    free(req->method);
    free(req->path);
    free(req->query);
    fl_headers_free(&req->headers);
    fl_buf_free(&req->body);
    free(req->request_context);
    *req = (shim_request){0};
}

void shim_response_free(shim_response *resp)
{
    fl_headers_free(&resp->headers);
    fl_buf_free(&resp->body);
    *resp = (shim_response){0};
}
