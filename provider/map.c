/* String maps with unique keys kept sorted: labels, annotations, envVars,
 * tags. Sorted so that output is deterministic and equality is a walk. */
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

/* Index of k, or where it would go (with *found false). */
static size_t find(const pv_map *m, const char *k, bool *found)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->k[mid], k);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

void pv_map_set(pv_map *m, const char *k, const char *v)
{
    bool found;
    size_t i = find(m, k, &found);
    if (found) {
        free(m->v[i]);
        m->v[i] = fl_xstrdup(v);
        return;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->k = fl_xrealloc(m->k, m->cap * sizeof *m->k);
        m->v = fl_xrealloc(m->v, m->cap * sizeof *m->v);
    }
    memmove(m->k + i + 1, m->k + i, (m->n - i) * sizeof *m->k);
    memmove(m->v + i + 1, m->v + i, (m->n - i) * sizeof *m->v);
    m->k[i] = fl_xstrdup(k);
    m->v[i] = fl_xstrdup(v);
    m->n++;
}

const char *pv_map_get(const pv_map *m, const char *k)
{
    bool found;
    size_t i = find(m, k, &found);
    return found ? m->v[i] : NULL;
}

bool pv_map_del(pv_map *m, const char *k)
{
    bool found;
    size_t i = find(m, k, &found);
    if (!found)
        return false;
    free(m->k[i]);
    free(m->v[i]);
    memmove(m->k + i, m->k + i + 1, (m->n - i - 1) * sizeof *m->k);
    memmove(m->v + i, m->v + i + 1, (m->n - i - 1) * sizeof *m->v);
    m->n--;
    return true;
}

void pv_map_copy(pv_map *dst, const pv_map *src)
{
    for (size_t i = 0; i < src->n; i++)
        pv_map_set(dst, src->k[i], src->v[i]);
}

bool pv_map_equal(const pv_map *a, const pv_map *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->k[i], b->k[i]) || strcmp(a->v[i], b->v[i]))
            return false;
    return true;
}

void pv_map_free(pv_map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->k[i]);
        free(m->v[i]);
    }
    free(m->k);
    free(m->v);
    memset(m, 0, sizeof *m);
}

int pv_map_from_json(const cJSON *obj, pv_map *m, const char *what, fl_err *err)
{
    if (!obj || cJSON_IsNull(obj))
        return 0;
    if (!cJSON_IsObject(obj))
        return fl_fail(err, "%s must be an object of strings", what);
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        if (cJSON_IsNull(it)) { /* Go stores "" for a null string */
            pv_map_set(m, it->string, "");
            continue;
        }
        if (!cJSON_IsString(it))
            return fl_fail(err, "%s.%.100s must be a string", what, it->string);
        pv_map_set(m, it->string, it->valuestring);
    }
    return 0;
}

cJSON *pv_map_to_json(const pv_map *m)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < m->n; i++)
        cJSON_AddStringToObject(o, m->k[i], m->v[i]);
    return o;
}
