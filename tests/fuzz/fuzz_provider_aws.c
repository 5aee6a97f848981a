/* libFuzzer: the provider's parsers of what AWS (or whoever answers in its
 * place) sends back. The first byte picks the parser:
 *   0 STS AssumeRoleWithWebIdentity (XML), 1 container credentials (JSON),
 *   2 the shared credentials file, 3 the config file, 4 an AWS error answer,
 *   5 a GetFunction answer read as FunctionStatus (tags decoded). */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "provider/aws.h"
#include "provider/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    char *text = fl_xstrndup(s, n);
    fl_err err;
    pv_cred c;
    pv_profile p;
    switch (data[0] % 6) {
    case 0:
        if (pv_sts_parse(s, n, &c, &err) == 0)
            pv_cred_clear(&c);
        break;
    case 1:
        if (pv_container_creds_parse(s, n, &c, &err) == 0)
            pv_cred_clear(&c);
        break;
    case 2:
    case 3:
        if (pv_profile_resolve(data[0] % 6 == 2 ? text : NULL, data[0] % 6 == 3 ? text : NULL, "default", &p,
                               &err) == 0)
            pv_profile_free(&p);
        break;
    case 4: {
        fl_http_resp r = {.status = 400};
        fl_buf_append(&r.body, s, n);
        char type[96], msg[512];
        pv_aws_error(&r, type, sizeof type, msg, sizeof msg);
        fl_http_resp_free(&r);
        break;
    }
    default: {
        cJSON *doc = cJSON_ParseWithLength(s, n);
        pv_server srv;
        memset(&srv, 0, sizeof srv);
        pv_counters_init(&srv.calls);
        pv_status st;
        if (doc && pv_status_from_doc(&srv, doc, &st, &err) == 0)
            pv_status_free(&st);
        pv_counters_free(&srv.calls);
        cJSON_Delete(doc);
    }
    }
    free(text);
    return 0;
}
