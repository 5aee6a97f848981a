/* The image config: what runs (Entrypoint, Cmd), with what (Env, WorkingDir),
 * and the uncompressed layer digests (rootfs.diff_ids). */
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

size_t pk_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

char **pk_strv_dup(char *const *v)
{
    if (!v)
        return NULL;
    size_t n = pk_strv_len(v);
    char **out = fl_xcalloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = fl_xstrdup(v[i]);
    return out;
}

void pk_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

void pk_strv_push(char ***v, const char *s)
{
    size_t n = pk_strv_len(*v);
    *v = fl_xrealloc(*v, (n + 2) * sizeof **v);
    (*v)[n] = fl_xstrdup(s);
    (*v)[n + 1] = NULL;
}

const char *pk_env_get(char *const *env, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; env && env[i]; i++)
        if (!strncmp(env[i], name, n) && env[i][n] == '=')
            return env[i] + n + 1;
    return NULL;
}

/* An optional array of strings; null counts as absent. */
static int strv(const cJSON *obj, const char *key, char ***out, fl_err *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!a || cJSON_IsNull(a))
        return 0;
    if (!cJSON_IsArray(a))
        return fl_fail(err, "image config: \"%s\" must be an array of strings", key);
    size_t n = (size_t)cJSON_GetArraySize(a), i = 0;
    char **v = fl_xcalloc(n + 1, sizeof *v);
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        if (!cJSON_IsString(e)) {
            pk_strv_free(v);
            return fl_fail(err, "image config: \"%s\"[%zu] is not a string", key, i);
        }
        v[i++] = fl_xstrdup(e->valuestring);
    }
    *out = v;
    return 0;
}

static int opt_str(const cJSON *obj, const char *key, char **out, fl_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return fl_fail(err, "image config: \"%s\" must be a string", key);
    *out = fl_xstrdup(v->valuestring);
    return 0;
}

/* One "NNNN/tcp" (or "NNNN") in ExposedPorts gives the watchdog's port. */
static int exposed_port(const cJSON *ports)
{
    int port = 0, n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, ports) {
        if (!e->string)
            continue;
        uint64_t v;
        char num[16];
        size_t len = strcspn(e->string, "/");
        if (len == 0 || len >= sizeof num || (e->string[len] && strcmp(e->string + len, "/tcp")))
            continue;
        memcpy(num, e->string, len);
        num[len] = 0;
        if (fl_parse_u64(num, 65535, &v) == 0 && v > 0) {
            port = (int)v;
            n++;
        }
    }
    return n == 1 ? port : 0;
}

void pk_config_free(pk_config *c)
{
    free(c->os);
    free(c->arch);
    free(c->variant);
    pk_strv_free(c->entrypoint);
    pk_strv_free(c->cmd);
    pk_strv_free(c->env);
    free(c->workdir);
    free(c->user);
    pk_strv_free(c->diff_ids);
    cJSON_Delete(c->raw);
    memset(c, 0, sizeof *c);
}

int pk_config_parse(const char *json, size_t len, pk_config *c, fl_err *err)
{
    memset(c, 0, sizeof *c);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fl_fail(err, "image config: not a JSON object");
    }
    c->raw = root;
    if (opt_str(root, "os", &c->os, err) || opt_str(root, "architecture", &c->arch, err) ||
        opt_str(root, "variant", &c->variant, err))
        goto fail;
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(root, "config");
    if (cc && !cJSON_IsNull(cc)) {
        if (!cJSON_IsObject(cc)) {
            fl_fail(err, "image config: \"config\" must be an object");
            goto fail;
        }
        if (strv(cc, "Entrypoint", &c->entrypoint, err) || strv(cc, "Cmd", &c->cmd, err) ||
            strv(cc, "Env", &c->env, err) || opt_str(cc, "WorkingDir", &c->workdir, err) ||
            opt_str(cc, "User", &c->user, err))
            goto fail;
        for (size_t i = 0; c->env && c->env[i]; i++)
            if (c->env[i][0] == '=' || !strchr(c->env[i], '=')) {
                fl_fail(err, "image config: Env entry \"%.100s\" is not NAME=VALUE", c->env[i]);
                goto fail;
            }
        const cJSON *ports = fl_json_obj(cc, "ExposedPorts");
        if (ports)
            c->port = exposed_port(ports);
    }
    const cJSON *rootfs = fl_json_obj(root, "rootfs");
    if (rootfs) {
        if (strv(rootfs, "diff_ids", &c->diff_ids, err))
            goto fail;
        c->ndiff_ids = pk_strv_len(c->diff_ids);
        for (size_t i = 0; i < c->ndiff_ids; i++)
            if (!pk_digest_valid(c->diff_ids[i])) {
                fl_fail(err, "image config: diff_id %zu is not sha256:<64 hex>", i + 1);
                goto fail;
            }
    }
    return 0;
fail:
    pk_config_free(c);
    return -1;
}
