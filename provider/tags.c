/* What OpenFaaS knows about a function and Lambda does not, kept in the
 * function's tags so that status reads it back as deployed (the scheme is
 * described in internal.h). Lambda's limits: 50 tags, keys 1-128 and values
 * 0-256 characters, keys not starting with "aws:"; the characters below are
 * the ones every AWS tagging API accepts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"
#include "shim/shim.h"

#define META_CHUNK PV_TAG_VALUE_MAX
#define META_MAX_CHUNKS 48

static bool tag_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_' ||
           c == '.' || c == ':' || c == '/' || c == '=' || c == '+' || c == '-' || c == '@';
}

static bool tag_text(const char *s, size_t max, bool empty_ok)
{
    size_t n = strlen(s);
    if ((!n && !empty_ok) || n > max || (n && (s[0] == ' ' || s[n - 1] == ' ')))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!tag_char((unsigned char)s[i]))
            return false;
    return true;
}

bool pv_tag_is_ours(const char *key)
{
    return fl_str_has_prefix(key, PV_TAG_PREFIX);
}

typedef struct entry {
    const char *prefix, *k, *v;
    bool is_label, inline_tag;
} entry;

static size_t entry_size(const entry *e)
{
    return strlen(e->k) + strlen(e->v);
}

static int by_size(const void *a, const void *b)
{
    const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
    size_t sx = entry_size(x), sy = entry_size(y);
    if (sx != sy)
        return sx < sy ? -1 : 1;
    int c = strcmp(x->prefix, y->prefix);
    return c ? c : strcmp(x->k, y->k);
}

/* The meta document: the deployment's other members and the entries that
 * are not inline tags; base64. */
static void meta_encode(const pv_deployment *d, const entry *es, size_t n, fl_buf *out)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "image", d->image ? d->image : "");
    if (d->env_process && *d->env_process)
        cJSON_AddStringToObject(o, "envProcess", d->env_process);
    if (d->limits.set)
        cJSON_AddItemToObject(o, "limits", pv_resources_to_json(&d->limits));
    if (d->requests.set)
        cJSON_AddItemToObject(o, "requests", pv_resources_to_json(&d->requests));
    if (d->constraints) {
        cJSON *a = cJSON_AddArrayToObject(o, "constraints");
        for (size_t i = 0; d->constraints[i]; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(d->constraints[i]));
    }
    if (d->read_only_root_fs)
        cJSON_AddTrueToObject(o, "readOnlyRootFilesystem");
    cJSON *labels = NULL, *annotations = NULL;
    for (size_t i = 0; i < n; i++) {
        if (es[i].inline_tag)
            continue;
        cJSON **dst = es[i].is_label ? &labels : &annotations;
        if (!*dst)
            *dst = cJSON_AddObjectToObject(o, es[i].is_label ? "labels" : "annotations");
        cJSON_AddStringToObject(*dst, es[i].k, es[i].v);
    }
    fl_buf json = {0};
    fl_json_print(&json, o);
    cJSON_Delete(o);
    fl_buf_reset(out);
    shim_base64_encode(json.data, json.len, out);
    fl_buf_free(&json);
}

static void collect(const pv_map *m, const char *prefix, bool is_label, entry *es, size_t *n)
{
    for (size_t i = 0; i < m->n; i++) {
        entry *e = &es[(*n)++];
        *e = (entry){prefix, m->k[i], m->v[i], is_label, false};
        e->inline_tag = tag_text(m->k[i], PV_TAG_KEY_MAX - strlen(prefix), false) &&
                        tag_text(m->v[i], PV_TAG_VALUE_MAX, true);
    }
}

int pv_tags_encode(const pv_deployment *d, pv_map *tags, fl_err *err)
{
    if (!d->service || !d->namespace || !pv_dns_label_valid(d->service) || !pv_dns_label_valid(d->namespace))
        return fl_fail(err, "the function's name and namespace must be DNS-1123 labels to be tagged");
    size_t total = d->labels.n + d->annotations.n, n = 0, ninline = 0;
    entry *es = fl_xcalloc(total + 1, sizeof *es);
    collect(&d->labels, PV_TAG_LABEL, true, es, &n);
    collect(&d->annotations, PV_TAG_ANNOTATION, false, es, &n);
    entry **order = fl_xcalloc(total + 1, sizeof *order);
    for (size_t i = 0; i < n; i++) {
        order[i] = &es[i];
        ninline += es[i].inline_tag;
    }
    qsort(order, n, sizeof *order, by_size);
    fl_buf meta = {0};
    size_t next = 0, chunks;
    for (;;) {
        meta_encode(d, es, n, &meta);
        chunks = (meta.len + META_CHUNK - 1) / META_CHUNK;
        if (2 + chunks + ninline <= PV_TAGS_MAX || ninline == 0)
            break;
        while (!order[next]->inline_tag)
            next++;
        order[next]->inline_tag = false; /* the smallest inline entry moves into meta */
        ninline--;
    }
    int rc = 0;
    if (2 + chunks + ninline > PV_TAGS_MAX || chunks > META_MAX_CHUNKS) {
        rc = fl_fail(err, "labels and annotations are too large for Lambda's tags: they need %zu bytes encoded, "
                          "and a function's 50 tags hold %u", meta.len, (unsigned)(META_MAX_CHUNKS * META_CHUNK));
        goto out;
    }
    pv_map_set(tags, PV_TAG_NAME, d->service);
    pv_map_set(tags, PV_TAG_NAMESPACE, d->namespace);
    for (size_t i = 0; i < n; i++) {
        if (!es[i].inline_tag)
            continue;
        char *key = fl_xasprintf("%s%s", es[i].prefix, es[i].k);
        pv_map_set(tags, key, es[i].v);
        free(key);
    }
    for (size_t c = 0; c < chunks; c++) {
        char key[64], val[META_CHUNK + 1];
        size_t off = c * META_CHUNK, len = meta.len - off < META_CHUNK ? meta.len - off : META_CHUNK;
        snprintf(key, sizeof key, PV_TAG_META "%zu", c);
        memcpy(val, meta.data + off, len);
        val[len] = 0;
        pv_map_set(tags, key, val);
    }
out:
    fl_buf_free(&meta);
    free(order);
    free(es);
    return rc;
}

/* Joins meta:0, meta:1, ... (contiguous from 0) and parses the document. */
static cJSON *meta_decode(const pv_map *tags, fl_err *err)
{
    fl_buf b64 = {0}, json = {0};
    for (unsigned c = 0; c < META_MAX_CHUNKS; c++) {
        char key[64];
        snprintf(key, sizeof key, PV_TAG_META "%u", c);
        const char *v = pv_map_get(tags, key);
        if (!v)
            break;
        fl_buf_puts(&b64, v);
    }
    cJSON *doc = NULL;
    if (!b64.len)
        fl_fail(err, "the function has no " PV_TAG_META "0 tag");
    else if (shim_base64_decode(b64.data, b64.len, &json, err) == 0) {
        doc = cJSON_ParseWithLength(json.data, json.len);
        if (!cJSON_IsObject(doc)) {
            cJSON_Delete(doc);
            doc = NULL;
            fl_fail(err, "the function's " PV_TAG_META " tags do not hold a JSON object");
        }
    }
    fl_buf_free(&b64);
    fl_buf_free(&json);
    return doc;
}

static int apply_meta(const cJSON *doc, pv_deployment *d, fl_err *err)
{
    const char *image = fl_json_str(doc, "image"), *fp = fl_json_str(doc, "envProcess");
    d->image = fl_xstrdup(image ? image : "");
    if (fp)
        d->env_process = fl_xstrdup(fp);
    d->read_only_root_fs = fl_json_bool(doc, "readOnlyRootFilesystem", false);
    const cJSON *limits = fl_json_obj(doc, "limits"), *requests = fl_json_obj(doc, "requests");
    if (pv_resources_from_json(limits, &d->limits, "limits", err) ||
        pv_resources_from_json(requests, &d->requests, "requests", err) ||
        pv_strv_from_json(fl_json_arr(doc, "constraints"), &d->constraints, "constraints", err) ||
        pv_map_from_json(fl_json_obj(doc, "labels"), &d->labels, "labels", err) ||
        pv_map_from_json(fl_json_obj(doc, "annotations"), &d->annotations, "annotations", err))
        return -1;
    return 0;
}

int pv_tags_decode(const pv_map *tags, pv_deployment *d, fl_err *err)
{
    memset(d, 0, sizeof *d);
    const char *name = pv_map_get(tags, PV_TAG_NAME), *ns = pv_map_get(tags, PV_TAG_NAMESPACE);
    if (!name || !ns)
        return fl_fail(err, "not a function of faas-lambda (no " PV_TAG_NAME " and " PV_TAG_NAMESPACE " tags)");
    d->service = fl_xstrdup(name);
    d->namespace = fl_xstrdup(ns);
    cJSON *doc = meta_decode(tags, err);
    if (!doc || apply_meta(doc, d, err)) {
        cJSON_Delete(doc);
        pv_deployment_free(d);
        return -1;
    }
    cJSON_Delete(doc);
    for (size_t i = 0; i < tags->n; i++) {
        if (fl_str_has_prefix(tags->k[i], PV_TAG_LABEL))
            pv_map_set(&d->labels, tags->k[i] + strlen(PV_TAG_LABEL), tags->v[i]);
        else if (fl_str_has_prefix(tags->k[i], PV_TAG_ANNOTATION))
            pv_map_set(&d->annotations, tags->k[i] + strlen(PV_TAG_ANNOTATION), tags->v[i]);
    }
    return 0;
}
