/* Configuration: defaults, then the environment the OpenFaaS way (the
 * variable names faas-provider, faas-netes and faas-federation read); the
 * command line overrides both (cli/cmd_serve.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void set_str(char **dst, const char *v)
{
    if (!v)
        return;
    free(*dst);
    *dst = fl_xstrdup(v);
}

static char **split_commas(const char *s)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    char **v = fl_xcalloc(n + 1, sizeof *v);
    size_t i = 0;
    for (const char *p = s;;) {
        size_t l = strcspn(p, ",");
        while (l && *p == ' ')
            p++, l--;
        while (l && p[l - 1] == ' ')
            l--;
        if (l)
            v[i++] = fl_xstrndup(p, l);
        p += strcspn(p, ",");
        if (!*p)
            break;
        p++;
    }
    return v;
}

/* The host of a URL (what faas-federation matched the annotation with). */
static char *url_host(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *at = strchr(p, '@');
    if (at && at < p + strcspn(p, "/"))
        p = at + 1;
    return fl_xstrndup(p, strcspn(p, ":/?#"));
}

static int check_url(const char *url, fl_err *err)
{
    if (!fl_str_has_prefix(url, "http://") && !fl_str_has_prefix(url, "https://"))
        return fl_fail(err, "backend URL %s must start with http:// or https://", url);
    char *host = url_host(url);
    bool ok = *host != 0;
    free(host);
    return ok ? 0 : fl_fail(err, "backend URL %s has no host", url);
}

static char *trim_url(const char *url)
{
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    return fl_xstrndup(url, n);
}

int provider_backend_parse(const char *spec, provider_backend *b, fl_err *err)
{
    memset(b, 0, sizeof *b);
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec)
        return fl_fail(err, "--federate %s: use NAME=URL[,user=U][,password-file=F]", spec);
    b->name = fl_xstrndup(spec, (size_t)(eq - spec));
    char **parts = split_commas(eq + 1);
    int rc = 0;
    if (!parts[0]) {
        rc = fl_fail(err, "--federate %s: no URL", spec);
        goto out;
    }
    b->url = trim_url(parts[0]);
    if ((rc = check_url(b->url, err)))
        goto out;
    for (size_t i = 1; parts[i]; i++) {
        if (fl_str_has_prefix(parts[i], "user="))
            set_str(&b->user, parts[i] + 5);
        else if (fl_str_has_prefix(parts[i], "password-file="))
            set_str(&b->password_file, parts[i] + 14);
        else {
            rc = fl_fail(err, "--federate %s: unknown option \"%s\" (user=, password-file=)", spec, parts[i]);
            goto out;
        }
    }
    if (!b->user != !b->password_file)
        rc = fl_fail(err, "--federate %s: give user= and password-file= together", spec);
    if (!strcmp(b->name, PROVIDER_LAMBDA_BACKEND))
        rc = fl_fail(err, "--federate %s: the name \"%s\" is this provider's own Lambda backend", spec,
                     PROVIDER_LAMBDA_BACKEND);
out:
    pv_strv_free(parts);
    if (rc) {
        free(b->name);
        free(b->url);
        free(b->user);
        free(b->password_file);
        memset(b, 0, sizeof *b);
    }
    return rc;
}

void provider_config_add_backend(provider_config *c, provider_backend *b)
{
    c->backends = fl_xrealloc(c->backends, (c->nbackends + 1) * sizeof *c->backends);
    c->backends[c->nbackends++] = *b;
    memset(b, 0, sizeof *b);
}

static int env_timeout(const char *name, uint64_t *ms, fl_err *err)
{
    const char *v = env(name);
    if (!v)
        return 0;
    if (pv_duration_ms(v, ms, err))
        return fl_fail_wrap(err, "%s", name);
    return 0;
}

/* faas-federation's "providers" (URLs) become backends named by host. */
static void env_providers(provider_config *c)
{
    const char *v = env("providers");
    if (!v)
        return;
    char **urls = split_commas(v);
    for (size_t i = 0; urls[i]; i++) {
        fl_err err;
        if (check_url(urls[i], &err)) {
            fl_warn("providers: %s", err.msg);
            continue;
        }
        provider_backend b = {.name = url_host(urls[i]), .url = trim_url(urls[i])};
        provider_config_add_backend(c, &b);
    }
    pv_strv_free(urls);
}

int provider_config_env(provider_config *c, fl_err *err)
{
    memset(c, 0, sizeof *c);
    c->listen = fl_xstrdup(PROVIDER_LISTEN_DEFAULT);
    c->port = PROVIDER_PORT_DEFAULT;
    c->read_timeout_ms = c->write_timeout_ms = PROVIDER_TIMEOUT_DEFAULT_MS;
    c->secret_mount_path = fl_xstrdup(PROVIDER_SECRETS_DEFAULT);
    c->function_namespace = fl_xstrdup(PROVIDER_NAMESPACE_DEFAULT);
    c->memory_mb = PROVIDER_MEMORY_DEFAULT;
    c->timeout_s = PROVIDER_FN_TIMEOUT_DEFAULT;
    const char *port = env("port");
    uint64_t p;
    if (port && (fl_parse_u64(port, 65535, &p) || p == 0))
        return fl_fail(err, "port=%s: use a TCP port, 1-65535", port);
    if (port)
        c->port = (unsigned)p;
    if (env_timeout("read_timeout", &c->read_timeout_ms, err) || env_timeout("write_timeout", &c->write_timeout_ms, err))
        return -1;
    c->basic_auth = env("basic_auth") && !strcmp(env("basic_auth"), "true");
    set_str(&c->secret_mount_path, env("secret_mount_path"));
    set_str(&c->function_namespace, env("function_namespace"));
    set_str(&c->lambda_endpoint, env("lambda_endpoint"));
    set_str(&c->role, env("lambda_execution_role"));
    set_str(&c->image_repository, env("image_repository"));
    set_str(&c->docker_config, env("docker_config"));
    set_str(&c->state_dir, env("state_dir"));
    if (env("insecure_registries"))
        c->insecure_registries = split_commas(env("insecure_registries"));
    env_providers(c);
    set_str(&c->default_provider, env("default_provider"));
    return 0;
}

void provider_config_free(provider_config *c)
{
    char **strs[] = {&c->listen, &c->secret_mount_path, &c->function_namespace, &c->lambda_endpoint,
                     &c->logs_endpoint, &c->ecr_endpoint, &c->region, &c->state_dir, &c->emulator_auth,
                     &c->role, &c->image_repository, &c->docker_config, &c->work_dir, &c->bootstrap,
                     &c->default_provider};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        free(*strs[i]);
    pv_strv_free(c->insecure_registries);
    for (size_t i = 0; i < c->nbackends; i++) {
        free(c->backends[i].name);
        free(c->backends[i].url);
        free(c->backends[i].user);
        free(c->backends[i].password_file);
    }
    free(c->backends);
    memset(c, 0, sizeof *c);
}

char *pv_url_host(const char *url)
{
    return url_host(url);
}
