/* Ordered key/value lists (tags, environment variables): an emu_strv of
 * alternating keys and values, keys unique and compared exactly. */
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

const char *emu_kvs_get(const emu_strv *kv, const char *key)
{
    for (size_t i = 0; i + 1 < kv->n; i += 2)
        if (!strcmp(kv->v[i], key))
            return kv->v[i + 1];
    return NULL;
}

void emu_kvs_set(emu_strv *kv, const char *key, const char *value)
{
    for (size_t i = 0; i + 1 < kv->n; i += 2) {
        if (!strcmp(kv->v[i], key)) {
            free(kv->v[i + 1]);
            kv->v[i + 1] = fl_xstrdup(value);
            return;
        }
    }
    emu_strv_push(kv, key);
    emu_strv_push(kv, value);
}

bool emu_kvs_del(emu_strv *kv, const char *key)
{
    for (size_t i = 0; i + 1 < kv->n; i += 2) {
        if (strcmp(kv->v[i], key))
            continue;
        free(kv->v[i]);
        free(kv->v[i + 1]);
        memmove(kv->v + i, kv->v + i + 2, (kv->n - i - 2) * sizeof *kv->v);
        kv->n -= 2;
        kv->v[kv->n] = NULL;
        return true;
    }
    return false;
}

void emu_kvs_to_json(const emu_strv *kv, cJSON *obj)
{
    for (size_t i = 0; i + 1 < kv->n; i += 2)
        cJSON_AddStringToObject(obj, kv->v[i], kv->v[i + 1]);
}

int emu_kvs_from_json(const cJSON *obj, emu_strv *kv)
{
    if (!obj || cJSON_IsNull(obj))
        return 0;
    if (!cJSON_IsObject(obj))
        return -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        if (!cJSON_IsString(it) || !it->string)
            return -1;
        emu_kvs_set(kv, it->string, it->valuestring);
    }
    return 0;
}

void emu_strv_to_json(const emu_strv *s, cJSON *arr)
{
    for (size_t i = 0; i < s->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(s->v[i]));
}

int emu_strv_from_json(const cJSON *arr, emu_strv *s)
{
    if (!arr || cJSON_IsNull(arr))
        return 0;
    if (!cJSON_IsArray(arr))
        return -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsString(it))
            return -1;
        emu_strv_push(s, it->valuestring);
    }
    return 0;
}

void emu_strv_copy(emu_strv *dst, const emu_strv *src)
{
    for (size_t i = 0; i < src->n; i++)
        emu_strv_push(dst, src->v[i]);
}
