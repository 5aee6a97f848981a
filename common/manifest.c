/* faas-lambda.json: the one definition of the package manifest's fields. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

static int str_array(const cJSON *root, const char *key, char ***out, fl_err *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!a)
        return 0;
    if (!cJSON_IsArray(a))
        return fl_fail(err, "manifest: \"%s\" must be an array of strings", key);
    size_t n = (size_t)cJSON_GetArraySize(a), i = 0;
    char **v = fl_xcalloc(n + 1, sizeof *v);
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        if (!cJSON_IsString(e)) {
            for (size_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return fl_fail(err, "manifest: \"%s\"[%zu] must be a string", key, i);
        }
        v[i++] = fl_xstrdup(e->valuestring);
    }
    *out = v;
    return 0;
}

static int opt_str(const cJSON *root, const char *key, char **out, fl_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v)
        return 0;
    if (!cJSON_IsString(v))
        return fl_fail(err, "manifest: \"%s\" must be a string", key);
    *out = fl_xstrdup(v->valuestring);
    return 0;
}

static int links(const cJSON *root, fl_manifest *m, fl_err *err)
{
    const cJSON *rel = cJSON_GetObjectItemCaseSensitive(root, "relocation");
    if (!rel)
        return 0;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(rel, "links");
    if (!cJSON_IsObject(rel) || (a && !cJSON_IsArray(a)))
        return fl_fail(err, "manifest: \"relocation\" must be {\"links\":[{\"path\":..,\"target\":..}]}");
    size_t n = (size_t)cJSON_GetArraySize(a);
    m->links = fl_xcalloc(n ? n : 1, sizeof *m->links);
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        const char *p = fl_json_str(e, "path"), *t = fl_json_str(e, "target");
        if (!p || !t || p[0] != '/')
            return fl_fail(err, "manifest: relocation link %zu needs an absolute \"path\" and a \"target\"",
                           m->nlinks);
        m->links[m->nlinks].path = fl_xstrdup(p);
        m->links[m->nlinks].target = fl_xstrdup(t);
        m->nlinks++;
    }
    return 0;
}

int fl_manifest_parse(const char *json, size_t len, fl_manifest *m, fl_err *err)
{
    memset(m, 0, sizeof *m);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fl_fail(err, "manifest: not a JSON object");
    }
    int rc = -1;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(root, "port");
    if (!cJSON_IsNumber(schema) || schema->valuedouble != FL_MANIFEST_SCHEMA) {
        fl_fail(err, "manifest: \"schema\" must be %d (made by another version of faas-lambda? repack)",
                FL_MANIFEST_SCHEMA);
        goto out;
    }
    if (port && (!cJSON_IsNumber(port) || port->valuedouble < 1 || port->valuedouble > 65535 ||
                 port->valuedouble != (int)port->valuedouble)) {
        fl_fail(err, "manifest: \"port\" must be a TCP port number");
        goto out;
    }
    m->port = port ? port->valueint : 0;
    if (str_array(root, "argv", &m->argv, err) || str_array(root, "env", &m->env, err) ||
        opt_str(root, "workdir", &m->workdir, err) || opt_str(root, "health_path", &m->health_path, err) ||
        opt_str(root, "readiness_protocol", &m->readiness_protocol, err) ||
        opt_str(root, "invoke_mode", &m->invoke_mode, err) || links(root, m, err))
        goto out;
    if (m->argv && !m->argv[0]) {
        fl_fail(err, "manifest: \"argv\" is empty");
        goto out;
    }
    for (char **e = m->env; e && *e; e++)
        if (!strchr(*e, '=') || **e == '=') {
            fl_fail(err, "manifest: environment entry \"%s\" is not NAME=VALUE", *e);
            goto out;
        }
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc)
        fl_manifest_free(m);
    return rc;
}

static void add_strs(cJSON *root, const char *key, char **v)
{
    if (!v)
        return;
    cJSON *a = cJSON_AddArrayToObject(root, key);
    for (; *v; v++)
        cJSON_AddItemToArray(a, cJSON_CreateString(*v));
}

void fl_manifest_to_json(const fl_manifest *m, fl_buf *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "schema", FL_MANIFEST_SCHEMA);
    add_strs(root, "argv", m->argv);
    add_strs(root, "env", m->env);
    if (m->workdir)
        cJSON_AddStringToObject(root, "workdir", m->workdir);
    if (m->port)
        cJSON_AddNumberToObject(root, "port", m->port);
    if (m->health_path)
        cJSON_AddStringToObject(root, "health_path", m->health_path);
    if (m->readiness_protocol)
        cJSON_AddStringToObject(root, "readiness_protocol", m->readiness_protocol);
    if (m->invoke_mode)
        cJSON_AddStringToObject(root, "invoke_mode", m->invoke_mode);
    if (m->nlinks) {
        cJSON *links = cJSON_AddArrayToObject(cJSON_AddObjectToObject(root, "relocation"), "links");
        for (size_t i = 0; i < m->nlinks; i++) {
            cJSON *l = cJSON_CreateObject();
            cJSON_AddStringToObject(l, "path", m->links[i].path);
            cJSON_AddStringToObject(l, "target", m->links[i].target);
            cJSON_AddItemToArray(links, l);
        }
    }
    char *s = cJSON_Print(root);
    fl_buf_puts(out, s);
    fl_buf_putc(out, '\n');
    cJSON_free(s);
    cJSON_Delete(root);
}

static void free_strs(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

void fl_manifest_free(fl_manifest *m)
{
    free_strs(m->argv);
    free_strs(m->env);
    free(m->workdir);
    free(m->health_path);
    free(m->readiness_protocol);
    free(m->invoke_mode);
    for (size_t i = 0; i < m->nlinks; i++) {
        free(m->links[i].path);
        free(m->links[i].target);
    }
    free(m->links);
    memset(m, 0, sizeof *m);
}
