/* The metadata prelude of a streamed HTTP response (lambda-runtime.md §4):
 * {"statusCode":..,"headers":{..},"cookies":[..]} then exactly 8 NUL bytes,
 * then the body. The JSON never holds a raw NUL (fl_json_put_str escapes
 * it), so the first NUL is where the delimiter starts. */
#include <string.h>

#include "shim/internal.h"

static const char DELIM[8] = {0};

void shim_prelude_encode(int status, const fl_headers *headers, fl_buf *out)
{
    fl_headers h = {0};
    /* the body is streamed: its length is not known up front */
    shim_copy_end_to_end(&h, headers, true);
    fl_buf_printf(out, "{\"statusCode\":%d,\"headers\":", status);
    shim_put_joined_headers(out, &h, true);
    fl_buf_puts(out, ",\"cookies\":");
    shim_put_cookies(out, &h);
    fl_buf_putc(out, '}');
    fl_buf_append(out, DELIM, sizeof DELIM);
    fl_headers_free(&h);
}

static const char *const PRELUDE_KEYS[] = {"statusCode", "headers", "multiValueHeaders", "cookies", NULL};

static int read_prelude(const shim_doc *doc, shim_response *resp, fl_err *err)
{
    if (shim_doc_no_nul(doc, PRELUDE_KEYS, NULL, err))
        return -1;
    return shim_doc_response(doc->tree, false, resp, err);
}

int shim_prelude_decode(const char *data, size_t len, shim_response *resp, size_t *consumed, fl_err *err)
{
    *resp = (shim_response){0};
    *consumed = 0;
    size_t look = len < SHIM_PRELUDE_MAX + 1 ? len : SHIM_PRELUDE_MAX + 1;
    const char *nul = memchr(data, 0, look);
    if (!nul) {
        if (len > SHIM_PRELUDE_MAX)
            return fl_fail(err, "streamed response: no prelude delimiter within %u bytes", SHIM_PRELUDE_MAX);
        return 0;
    }
    size_t json = (size_t)(nul - data), have = len - json;
    size_t check = have < sizeof DELIM ? have : sizeof DELIM;
    if (memcmp(nul, DELIM, check))
        return fl_fail(err, "streamed response: the prelude contains a NUL byte at offset %zu (only the 8-byte "
                            "delimiter may)", json);
    if (have < sizeof DELIM)
        return 0;
    shim_doc doc;
    if (shim_doc_parse(data, json, PRELUDE_KEYS, NULL, &doc, err))
        return fl_fail_wrap(err, "streamed response: the prelude is not JSON");
    int rc = doc.is_object ? read_prelude(&doc, resp, err) : fl_fail(err, "the prelude is not a JSON object");
    shim_doc_free(&doc);
    if (rc) {
        shim_response_free(resp);
        return fl_fail_wrap(err, "streamed response");
    }
    *consumed = json + sizeof DELIM;
    return 1;
}
