/* Helpers over cJSON: typed member lookups, and a one-pass string writer for
 * documents whose bodies are megabytes (cJSON would copy them twice more). */
#include <stdlib.h>
#include <string.h>

#include "common.h"

const char *fl_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *fl_json_obj(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *fl_json_arr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

bool fl_json_bool(const cJSON *obj, const char *key, bool def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

void fl_json_put_str(fl_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    fl_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fl_buf_append(b, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0};
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            fl_buf_append(b, esc, 6);
            continue;
        }
        fl_buf_append(b, esc, 2);
    }
    fl_buf_append(b, s + run, n - run);
    fl_buf_putc(b, '"');
}

void fl_json_print(fl_buf *b, const cJSON *item)
{
    char *s = cJSON_PrintUnformatted(item);
    if (!s) {
        fl_buf_puts(b, "null");
        return;
    }
    fl_buf_puts(b, s);
    cJSON_free(s);
}
