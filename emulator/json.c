/* Strict JSON parsing of outside bytes: one value, only whitespace after
 * it (cJSON alone accepts trailing garbage). */
#include "emulator/internal.h"

cJSON *emu_json_parse_exact(const char *s, size_t len)
{
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(s, len, &end, false);
    if (!doc)
        return NULL;
    for (const char *p = end; p && p < s + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(doc);
            return NULL;
        }
    }
    return doc;
}
