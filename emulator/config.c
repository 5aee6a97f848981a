/* Configuration: validation of what the user asked for, and the function's
 * own copy of it. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"

bool emu_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64)
        return false;
    for (; *name; name++)
        if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') || (*name >= '0' && *name <= '9') ||
              *name == '-' || *name == '_'))
            return false;
    return true;
}

static int parse_port(const char *s, uint16_t *port)
{
    uint64_t v;
    if (fl_parse_u64(s, 65535, &v))
        return -1;
    *port = (uint16_t)v;
    return 0;
}

int emu_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned *sslen, fl_err *err)
{
    memset(ss, 0, sizeof *ss);
    char host[64];
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
            return fl_fail(err, "--listen '%s': expected [IPV6]:PORT", s);
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = 0;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof host)
            return fl_fail(err, "--listen '%s': expected HOST:PORT, e.g. 127.0.0.1:9000", s);
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = 0;
    }
    uint16_t port;
    if (parse_port(colon + 1, &port))
        return fl_fail(err, "--listen '%s': '%s' is not a port (0-65535)", s, colon + 1);
    if (fl_sockaddr_ip(host, port, ss, sslen))
        return fl_fail(err, "--listen '%s': '%s' is not an IP address; use 127.0.0.1:PORT or [::1]:PORT", s, host);
    bool loopback = ss->ss_family == AF_INET
                        ? ntohl(((struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24 == 127
                        : IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)ss)->sin6_addr);
    if (!loopback)
        return fl_fail(err, "--listen '%s': %s is not a loopback address; the emulator serves 127.0.0.0/8 or "
                            "[::1] only (it has no authentication)", s, host);
    return 0;
}

static int check_dir(const char *what, const char *path, fl_err *err)
{
    struct stat st;
    if (stat(path, &st))
        return fl_fail(err, "%s '%s': %s", what, path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fl_fail(err, "%s '%s' is not a directory", what, path);
    return 0;
}

static bool region_valid(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > 32)
        return false;
    for (; *r; r++)
        if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
            return false;
    return true;
}

char *emu_find_bwrap(void)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        if (n) {
            char *cand = fl_xasprintf("%.*s/bwrap", (int)n, path);
            if (cand[0] == '/' && access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
        path += n + (end ? 1 : 0);
    }
    return NULL;
}

static int check_function(const emu_function_config *f, fl_err *err)
{
    if (!emu_name_valid(f->name))
        return fl_fail(err, "function name '%s' is invalid: 1 to 64 of [A-Za-z0-9_-]", f->name);
    if (check_dir("--task-root", f->task_root, err))
        return -1;
    if (f->opt_dir && check_dir("--opt-dir", f->opt_dir, err))
        return -1;
    if (!f->handler[0] || strlen(f->handler) > 128)
        return fl_fail(err, "handler '%s' must be 1 to 128 characters", f->handler);
    if (f->timeout_s < 1 || f->timeout_s > EMU_TIMEOUT_MAX)
        return fl_fail(err, "timeout %u s is out of Lambda's range 1-%u", f->timeout_s, EMU_TIMEOUT_MAX);
    if (f->memory_mb < EMU_MEMORY_MIN || f->memory_mb > EMU_MEMORY_MAX)
        return fl_fail(err, "memory %u MB is out of Lambda's range %u-%u", f->memory_mb, EMU_MEMORY_MIN,
                       EMU_MEMORY_MAX);
    return emu_env_check(f->env, err);
}

int emu_config_check(const emu_config *cfg, fl_err *err)
{
    struct sockaddr_storage ss;
    unsigned sslen;
    if (emu_parse_listen(cfg->listen, &ss, &sslen, err))
        return -1;
    if (!region_valid(cfg->region))
        return fl_fail(err, "region '%s' is not a valid AWS region name (e.g. us-east-1)", cfg->region);
    if (cfg->function.task_root && check_function(&cfg->function, err))
        return -1;
    struct stat rst;
    if (cfg->runtime_root && (cfg->runtime_root[0] != '/' || stat(cfg->runtime_root, &rst) || !S_ISDIR(rst.st_mode)))
        return fl_fail(err, "--runtime-root %s: expected an absolute path to a directory", cfg->runtime_root);
    if (cfg->cgroups && strcmp(cfg->cgroups, "auto") && strcmp(cfg->cgroups, "v1") && strcmp(cfg->cgroups, "v2") &&
        strcmp(cfg->cgroups, "none"))
        return fl_fail(err, "--cgroups '%s': expected auto, v1, v2 or none", cfg->cgroups);
    if (cfg->auth && strcmp(cfg->auth, "none") && strcmp(cfg->auth, "strict"))
        return fl_fail(err, "--auth '%s': expected none or strict", cfg->auth);
    if (cfg->auth && !strcmp(cfg->auth, "strict") &&
        (!cfg->access_key || !*cfg->access_key || !cfg->secret_key || !*cfg->secret_key))
        return fl_fail(err, "--auth strict needs --access-key ID and --secret-key KEY (the credentials clients sign "
                            "with)");
    if (cfg->concurrency_limit > 100000)
        return fl_fail(err, "concurrency limit %u is too large (at most 100000)", cfg->concurrency_limit);
    char *bwrap = emu_find_bwrap();
    if (!bwrap)
        return fl_fail(err, "bwrap (bubblewrap) is not on PATH; install it (Debian: apt-get install bubblewrap)");
    free(bwrap);
    return 0;
}

void emu_fn_conf_free(emu_fn_conf *c)
{
    free(c->name);
    free(c->task_root);
    free(c->opt_dir);
    free(c->handler);
    free(c->region);
    free(c->arn);
    emu_strv_free(&c->env);
    free(c->rootfs);
    free(c->workdir);
    emu_strv_free(&c->argv);
    emu_strv_free(&c->image_env);
    *c = (emu_fn_conf){0};
}
