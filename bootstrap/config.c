/* Configuration: defaults < faas-lambda.json < FAAS_LAMBDA_* (AWS_LWA_* alias).
 * Invalid values and unknown FAAS_LAMBDA_* names fail init with a message; an
 * AWS_LWA_* name the bootstrap does not support is logged, since Web Adapter
 * users switching over may carry settings that have no meaning here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bootstrap/bootstrap.h"

extern char **environ;

typedef struct var {
    const char *suffix;
    bool lwa_alias; /* also read as AWS_LWA_<suffix> */
} var;

static const var vars[] = {
    {"PORT", true},
    {"READINESS_CHECK_PORT", true},
    {"READINESS_CHECK_PATH", true},
    {"READINESS_CHECK_PROTOCOL", true},
    {"READINESS_CHECK_HEALTHY_STATUS", true},
    {"ASYNC_INIT", true},
    {"REMOVE_BASE_PATH", true},
    {"INVOKE_MODE", true},
    {"PASS_THROUGH_PATH", true},
    {"ERROR_STATUS_CODES", true},
    {"INIT_TIMEOUT_MS", false},
    {"SHUTDOWN_MS", false},
    {"LOG_LEVEL", false},
    {"MANIFEST", false},
};

/* The value of FAAS_LAMBDA_<suffix>, else AWS_LWA_<suffix>; *name gets the
 * variable's full name for messages. */
static const char *lookup(const char *suffix, char *name, size_t name_len)
{
    snprintf(name, name_len, "FAAS_LAMBDA_%s", suffix);
    const char *v = getenv(name);
    if (v)
        return v;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (!strcmp(vars[i].suffix, suffix) && vars[i].lwa_alias) {
            snprintf(name, name_len, "AWS_LWA_%s", suffix);
            return getenv(name);
        }
    return NULL;
}

static int check_names(fl_err *err)
{
    for (char **e = environ; *e; e++) {
        bool faas = fl_str_has_prefix(*e, "FAAS_LAMBDA_"), lwa = fl_str_has_prefix(*e, "AWS_LWA_");
        if (!faas && !lwa)
            continue;
        const char *suffix = *e + (faas ? strlen("FAAS_LAMBDA_") : strlen("AWS_LWA_"));
        size_t n = strcspn(suffix, "=");
        bool known = false;
        for (size_t i = 0; i < sizeof vars / sizeof vars[0] && !known; i++)
            known = strlen(vars[i].suffix) == n && !strncmp(vars[i].suffix, suffix, n) && (faas || vars[i].lwa_alias);
        if (known)
            continue;
        int len = (int)(strcspn(*e, "="));
        if (faas)
            return fl_fail(err, "unknown variable %.*s; known FAAS_LAMBDA_ settings: PORT, READINESS_CHECK_PORT, "
                                "READINESS_CHECK_PATH, READINESS_CHECK_PROTOCOL, READINESS_CHECK_HEALTHY_STATUS, "
                                "ASYNC_INIT, REMOVE_BASE_PATH, INVOKE_MODE, PASS_THROUGH_PATH, ERROR_STATUS_CODES, "
                                "INIT_TIMEOUT_MS, SHUTDOWN_MS, LOG_LEVEL, MANIFEST",
                           len, *e);
        fl_warn("%.*s is a Web Adapter setting that faas-lambda does not support; it is ignored", len, *e);
    }
    return 0;
}

static int parse_bool(const char *name, const char *v, bool *out, fl_err *err)
{
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"))
        *out = true;
    else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no"))
        *out = false;
    else
        return fl_fail(err, "%s=%s: expected true or false", name, v);
    return 0;
}

static int parse_port(const char *name, const char *v, int *out, fl_err *err)
{
    uint64_t p;
    if (fl_parse_u64(v, 65535, &p) || p == 0)
        return fl_fail(err, "%s=%s: expected a TCP port, 1-65535", name, v);
    *out = (int)p;
    return 0;
}

static int parse_path(const char *name, const char *v, char **out, fl_err *err)
{
    if (v[0] != '/' || strpbrk(v, " ?#\r\n"))
        return fl_fail(err, "%s=%s: expected an absolute URL path such as /_/health", name, v);
    free(*out);
    *out = fl_xstrdup(v);
    return 0;
}

static int parse_ms(const char *name, const char *v, uint64_t max, uint64_t *out, fl_err *err)
{
    if (fl_parse_u64(v, max, out) || *out == 0)
        return fl_fail(err, "%s=%s: expected milliseconds, 1-%llu", name, v, (unsigned long long)max);
    return 0;
}

/* Loads faas-lambda.json; a missing file is not an error (m stays empty). */
static int load_manifest(const char *path, fl_manifest *m, fl_err *err)
{
    fl_buf b = {0};
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return 0;
    int rc = fl_read_file(path, FL_MANIFEST_MAX, &b, err);
    if (rc == 0)
        rc = fl_manifest_parse(b.data, b.len, m, err);
    fl_buf_free(&b);
    return rc ? fl_fail_wrap(err, "%s", path) : 0;
}

/* True when env[0..n) has a variable named like kv's first klen bytes. */
static bool env_has(char **env, size_t n, const char *kv, size_t klen)
{
    for (size_t i = 0; i < n; i++)
        if (!strncmp(env[i], kv, klen + 1))
            return true;
    return false;
}

static size_t strv_len(char **v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* The watchdog's environment: Lambda's (which carries the function's
 * configured variables) plus the manifest's. The manifest does not override
 * what the function's configuration set, except for the variables Lambda
 * itself sets to defaults that would hide the image's own (PATH and friends). */
static char **merge_env(char **manifest_env)
{
    static const char *image_wins[] = {"PATH=", "LD_LIBRARY_PATH=", "LANG=", "TZ=", NULL};
    size_t n = strv_len(environ), m = strv_len(manifest_env), k = 0;
    char **env = fl_xcalloc(n + m + 1, sizeof *env);
    for (size_t i = 0; i < m; i++) {
        const char *kv = manifest_env[i];
        size_t klen = strcspn(kv, "=");
        bool wins = false;
        for (const char **w = image_wins; *w && !wins; w++)
            wins = !strncmp(kv, *w, klen + 1);
        if ((wins || !env_has(environ, n, kv, klen)) && !env_has(env, k, kv, klen))
            env[k++] = fl_xstrdup(kv);
    }
    for (size_t i = 0; i < n; i++)
        if (!env_has(env, k, environ[i], strcspn(environ[i], "=")))
            env[k++] = fl_xstrdup(environ[i]);
    return env;
}

static const char *env_get(char **env, const char *key)
{
    size_t kl = strlen(key);
    for (; env && *env; env++)
        if (!strncmp(*env, key, kl) && (*env)[kl] == '=')
            return *env + kl + 1;
    return NULL;
}

static char **default_argv(void)
{
    const char *root = getenv("LAMBDA_TASK_ROOT"), *handler = getenv("_HANDLER");
    char **argv = fl_xcalloc(2, sizeof *argv);
    if (!handler || !*handler)
        handler = "fwatchdog";
    argv[0] = handler[0] == '/' ? fl_xstrdup(handler) : fl_xasprintf("%s/%s", root ? root : "/var/task", handler);
    return argv;
}

static int apply_vars(boot_config *cfg, fl_manifest *m, fl_err *err)
{
    char name[64];
    const char *v;
    fl_status_set set;

    cfg->port = m->port;
    if ((v = lookup("PORT", name, sizeof name)) && parse_port(name, v, &cfg->port, err))
        return -1;
    if (!cfg->port && (v = env_get(cfg->env, "port")) && parse_port("the watchdog's port variable", v, &cfg->port, err))
        return -1;
    if (!cfg->port)
        cfg->port = 8080;
    cfg->readiness_port = cfg->port;
    if ((v = lookup("READINESS_CHECK_PORT", name, sizeof name)) && parse_port(name, v, &cfg->readiness_port, err))
        return -1;

    cfg->health_path = fl_xstrdup(m->health_path ? m->health_path : "/_/health");
    if ((v = lookup("READINESS_CHECK_PATH", name, sizeof name)) && parse_path(name, v, &cfg->health_path, err))
        return -1;
    const char *proto = m->readiness_protocol ? m->readiness_protocol : "http";
    if ((v = lookup("READINESS_CHECK_PROTOCOL", name, sizeof name)))
        proto = v;
    if (strcasecmp(proto, "http") && strcasecmp(proto, "tcp"))
        return fl_fail(err, "readiness check protocol \"%s\": expected http or tcp", proto);
    cfg->tcp_readiness = !strcasecmp(proto, "tcp");
    fl_status_set_parse("200-399", &cfg->healthy, NULL);
    if ((v = lookup("READINESS_CHECK_HEALTHY_STATUS", name, sizeof name))) {
        if (fl_status_set_parse(v, &set, err))
            return fl_fail_wrap(err, "%s", name);
        cfg->healthy = set;
    }
    if ((v = lookup("ASYNC_INIT", name, sizeof name)) && parse_bool(name, v, &cfg->async_init, err))
        return -1;
    cfg->init_timeout_ms = 9500;
    if ((v = lookup("INIT_TIMEOUT_MS", name, sizeof name)) && parse_ms(name, v, 900000, &cfg->init_timeout_ms, err))
        return -1;
    cfg->shutdown_ms = 400;
    if ((v = lookup("SHUTDOWN_MS", name, sizeof name)) && parse_ms(name, v, 2000, &cfg->shutdown_ms, err))
        return -1;

    const char *mode = m->invoke_mode ? m->invoke_mode : "buffered";
    if ((v = lookup("INVOKE_MODE", name, sizeof name)))
        mode = v;
    if (strcasecmp(mode, "buffered") && strcasecmp(mode, "response_stream"))
        return fl_fail(err, "invoke mode \"%s\": expected buffered or response_stream", mode);
    cfg->streaming = !strcasecmp(mode, "response_stream");

    cfg->pass_through_path = fl_xstrdup("/");
    if ((v = lookup("PASS_THROUGH_PATH", name, sizeof name)) && parse_path(name, v, &cfg->pass_through_path, err))
        return -1;
    if ((v = lookup("REMOVE_BASE_PATH", name, sizeof name)) && parse_path(name, v, &cfg->remove_base_path, err))
        return -1;
    if ((v = lookup("ERROR_STATUS_CODES", name, sizeof name))) {
        if (fl_status_set_parse(v, &set, err))
            return fl_fail_wrap(err, "%s", name);
        cfg->shim.error_statuses = set;
    }
    cfg->shim.pass_through_path = cfg->pass_through_path;
    cfg->shim.remove_base_path = cfg->remove_base_path;

    if ((v = lookup("LOG_LEVEL", name, sizeof name))) {
        static const char *levels[] = {"error", "warn", "info", "debug"};
        int level = -1;
        for (int i = 0; i < 4; i++)
            if (!strcasecmp(v, levels[i]))
                level = i;
        if (level < 0)
            return fl_fail(err, "%s=%s: expected error, warn, info or debug", name, v);
        fl_log_init("bootstrap", level);
    }
    return 0;
}

int boot_config_load(boot_config *cfg, const char **error_type, fl_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    *error_type = "Runtime.InvalidConfiguration";
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || !*api)
        return fl_fail(err, "AWS_LAMBDA_RUNTIME_API is not set: the bootstrap runs only inside Lambda "
                            "(or faas-lambda emulate)");
    cfg->runtime_api = fl_xstrdup(api);
    if (check_names(err))
        return -1;

    char name[64];
    const char *root = getenv("LAMBDA_TASK_ROOT");
    const char *mpath = lookup("MANIFEST", name, sizeof name);
    char *dflt = fl_xasprintf("%s/%s", root ? root : "/var/task", FL_MANIFEST_NAME);
    fl_manifest m;
    memset(&m, 0, sizeof m);
    int rc = load_manifest(mpath ? mpath : dflt, &m, err);
    free(dflt);
    if (rc) {
        *error_type = "Runtime.InvalidManifest";
        return -1;
    }
    cfg->argv = m.argv ? m.argv : default_argv();
    m.argv = NULL;
    cfg->env = merge_env(m.env);
    cfg->workdir = m.workdir ? m.workdir : fl_xstrdup(root ? root : "/var/task");
    m.workdir = NULL;
    cfg->links = m.links;
    cfg->nlinks = m.nlinks;
    m.links = NULL;
    m.nlinks = 0;
    rc = apply_vars(cfg, &m, err);
    fl_manifest_free(&m);
    return rc;
}

static void free_strv(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

void boot_config_free(boot_config *cfg)
{
    free_strv(cfg->argv);
    free_strv(cfg->env);
    free(cfg->workdir);
    for (size_t i = 0; i < cfg->nlinks; i++) {
        free(cfg->links[i].path);
        free(cfg->links[i].target);
    }
    free(cfg->links);
    free(cfg->health_path);
    free(cfg->pass_through_path);
    free(cfg->remove_base_path);
    free(cfg->runtime_api);
    memset(cfg, 0, sizeof *cfg);
}
