/* faas-lambda emulate: arguments in, emulator out. Runs in the foreground
 * until SIGINT or SIGTERM. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/common.h"
#include "emulator/emulator.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: faas-lambda emulate [--state-dir DIR] [--listen ADDR] [OPTIONS]\n"
            "       faas-lambda emulate --task-root DIR [--name NAME] [OPTIONS]\n"
            "\n"
            "A local AWS Lambda: the Lambda REST API (functions, invoke, layers,\n"
            "concurrency, tags, Function URLs) and a CloudWatch Logs subset, on a loopback\n"
            "address, for the AWS CLI and SDKs (--endpoint-url). Each function runs its own\n"
            "bootstrap (a custom runtime) in bubblewrap sandboxes that talk to the Runtime\n"
            "API at 127.0.0.1:9001: the host's root read-only, the code at /var/task, the\n"
            "layers at /opt, a private /tmp, no network but its own loopback, exactly\n"
            "Lambda's environment; a pool per function, frozen when idle, memory limited\n"
            "by cgroups. Functions and layers persist in the state directory.\n"
            "\n"
            "With --task-root, one function (--name, default %s) runs from a host\n"
            "directory, kept in memory only; the state directory is then temporary unless\n"
            "--state-dir is given.\n"
            "\n"
            "options:\n"
            "  --state-dir DIR         functions, layers and code (default:\n"
            "                          $XDG_DATA_HOME/faas-lambda/emulator, else\n"
            "                          ~/.local/share/faas-lambda/emulator)\n"
            "  --listen ADDR           loopback only (default: %s)\n"
            "  --concurrency-limit N   the account's concurrent executions (default: %d)\n"
            "  --auth none|strict      none (default): any SigV4 signature is accepted;\n"
            "                          strict: requests must be signed with --access-key\n"
            "                          ID and --secret-key KEY\n"
            "  --access-key ID, --secret-key KEY\n"
            "  --idle-timeout T        an idle sandbox is stopped after T (default: 10m)\n"
            "  --freeze-after T        an idle sandbox is frozen after T (default: %ums)\n"
            "  --init-timeout T        a runtime's init limit (default: 10s)\n"
            "  --async-retry-delays T1,T2  before the 2 retries of a failed Event invoke\n"
            "                          (default: 1m,2m, as Lambda)\n"
            "  --state-delay T         how long a new function stays Pending and an update\n"
            "                          InProgress (default: 0)\n"
            "  --cgroups MODE          auto (default), v1, v2 or none (SIGSTOP, rlimits)\n"
            "  --runtime-root DIR      the root filesystem of zip functions' sandboxes instead of the\n"
            "                          host's (e.g. a minimal root, like Lambda's, without the image's libc)\n"
            "  --log-retention-kb N    log kept per function for the Logs API (default: %u)\n"
            "  --quiet                 do not copy the functions' output to stderr\n"
            "  -v, --verbose           debug logging\n"
            "  -h, --help              this text\n"
            "  (T: a number with ms, s or m; plain numbers are milliseconds)\n"
            "\n"
            "--task-root mode:\n"
            "  --task-root DIR         the function package, read-only at /var/task\n"
            "  --opt-dir DIR           a layer, read-only at /opt (default: an empty /opt)\n"
            "  --name NAME             the function's name (default: %s)\n"
            "  --handler H             the handler string, _HANDLER (default: %s)\n"
            "  --env K=V               a variable for the function; repeatable\n"
            "  --timeout SECONDS       invoke timeout, 1-%d (default: %d)\n"
            "  --memory MB             memory size, %d-%d (default: %d)\n"
            "\n"
            "The region is $AWS_REGION (default %s). Function URLs are served on the same\n"
            "port, by host name (http://ID.lambda-url.REGION.localhost:PORT/, e.g. with\n"
            "curl --resolve or a Host header) and by path (/lambda-url/NAME/...).\n"
            "\n"
            "examples:\n"
            "  faas-lambda emulate --state-dir ./lambda-state &\n"
            "  aws --endpoint-url http://127.0.0.1:9000 lambda create-function \\\n"
            "      --function-name hello --runtime provided.al2023 --handler x \\\n"
            "      --role arn:aws:iam::000000000000:role/x --zip-file fileb://package.zip\n"
            "  aws --endpoint-url http://127.0.0.1:9000 lambda invoke --function-name hello \\\n"
            "      --payload fileb://event.json --log-type Tail out.json\n"
            "  aws --endpoint-url http://127.0.0.1:9000 logs filter-log-events \\\n"
            "      --log-group-name /aws/lambda/hello\n"
            "  faas-lambda emulate --task-root ./package --name function\n"
            "  curl -d '{\"hello\":\"world\"}' \\\n"
            "      http://127.0.0.1:9000/2015-03-31/functions/function/invocations\n",
            EMU_NAME_DEFAULT, EMU_LISTEN_DEFAULT, EMU_CONCURRENCY_DEFAULT, EMU_FREEZE_AFTER_DEFAULT_MS,
            EMU_LOG_RETENTION_DEFAULT_KB, EMU_NAME_DEFAULT, EMU_HANDLER_DEFAULT, EMU_TIMEOUT_MAX, EMU_TIMEOUT_DEFAULT,
            EMU_MEMORY_MIN, EMU_MEMORY_MAX, EMU_MEMORY_DEFAULT, EMU_REGION_DEFAULT);
}

static int parse_uint(const char *opt, const char *s, unsigned min, unsigned max, unsigned *out)
{
    uint64_t v;
    if (fl_parse_u64(s, max, &v) || v < min)
        return cli_usage_error("emulate", "%s '%s': expected a whole number from %u to %u", opt, s, min, max);
    *out = (unsigned)v;
    return 0;
}

/* "250", "250ms", "3s", "10m" -> milliseconds (at most a day) */
static int parse_duration(const char *opt, const char *s, unsigned *ms)
{
    size_t n = strspn(s, "0123456789");
    char num[16];
    uint64_t v, mult = 1;
    const char *unit = s + n;
    if (n == 0 || n >= sizeof num)
        goto bad;
    memcpy(num, s, n);
    num[n] = 0;
    if (!strcmp(unit, "s"))
        mult = 1000;
    else if (!strcmp(unit, "m"))
        mult = 60000;
    else if (*unit && strcmp(unit, "ms"))
        goto bad;
    if (fl_parse_u64(num, 86400000, &v) || v * mult > 86400000)
        goto bad;
    *ms = (unsigned)(v * mult);
    return 0;
bad:
    return cli_usage_error("emulate", "%s '%s': expected a duration such as 250ms, 3s or 10m (at most 24h)", opt, s);
}

enum {
    OPT_TASK_ROOT = 256, OPT_OPT_DIR, OPT_HANDLER, OPT_ENV, OPT_TIMEOUT, OPT_MEMORY, OPT_LISTEN, OPT_NAME,
    OPT_STATE_DIR, OPT_CONCURRENCY, OPT_AUTH, OPT_ACCESS_KEY, OPT_SECRET_KEY, OPT_IDLE, OPT_FREEZE, OPT_INIT,
    OPT_RETRY, OPT_STATE_DELAY, OPT_CGROUPS, OPT_RUNTIME_ROOT, OPT_LOG_RETENTION, OPT_QUIET,
};

static int parse_retry(const char *s, emu_config *cfg)
{
    const char *comma = strchr(s, ',');
    if (!comma)
        return cli_usage_error("emulate", "--async-retry-delays '%s': expected two durations, e.g. 1m,2m", s);
    char first[32];
    snprintf(first, sizeof first, "%.*s", (int)(comma - s), s);
    if (parse_duration("--async-retry-delays", first, &cfg->async_retry_ms[0]) ||
        parse_duration("--async-retry-delays", comma + 1, &cfg->async_retry_ms[1]))
        return 2;
    /* 0 means "the default" in emu_config: the shortest delay is 1 ms */
    for (int i = 0; i < 2; i++)
        if (!cfg->async_retry_ms[i])
            cfg->async_retry_ms[i] = 1;
    return 0;
}

static int service_option(int c, emu_config *cfg)
{
    switch (c) {
    case OPT_LISTEN: cfg->listen = optarg; return 0;
    case OPT_STATE_DIR: cfg->state_dir = optarg; return 0;
    case OPT_CONCURRENCY: return parse_uint("--concurrency-limit", optarg, 1, 100000, &cfg->concurrency_limit);
    case OPT_AUTH: cfg->auth = optarg; return 0;
    case OPT_ACCESS_KEY: cfg->access_key = optarg; return 0;
    case OPT_SECRET_KEY: cfg->secret_key = optarg; return 0;
    case OPT_IDLE: return parse_duration("--idle-timeout", optarg, &cfg->idle_timeout_ms);
    case OPT_FREEZE:
        if (parse_duration("--freeze-after", optarg, &cfg->freeze_after_ms))
            return 2;
        if (!cfg->freeze_after_ms)
            cfg->freeze_after_ms = 1; /* "at once": 0 means the default in emu_config */
        return 0;
    case OPT_INIT: return parse_duration("--init-timeout", optarg, &cfg->init_timeout_ms);
    case OPT_RETRY: return parse_retry(optarg, cfg);
    case OPT_STATE_DELAY: return parse_duration("--state-delay", optarg, &cfg->state_delay_ms);
    case OPT_CGROUPS: cfg->cgroups = optarg; return 0;
    case OPT_RUNTIME_ROOT: cfg->runtime_root = optarg; return 0;
    case OPT_LOG_RETENTION: return parse_uint("--log-retention-kb", optarg, 1, 1048576, &cfg->log_retention_kb);
    case OPT_QUIET: cfg->quiet_function_logs = true; return 0;
    default: return -1;
    }
}

static int function_option(int c, emu_config *cfg, const char ***env, size_t *nenv)
{
    emu_function_config *f = &cfg->function;
    switch (c) {
    case OPT_TASK_ROOT: f->task_root = optarg; return 0;
    case OPT_OPT_DIR: f->opt_dir = optarg; return 0;
    case OPT_HANDLER: f->handler = optarg; return 0;
    case OPT_NAME: f->name = optarg; return 0;
    case OPT_ENV:
        *env = fl_xrealloc(*env, (*nenv + 2) * sizeof **env);
        (*env)[(*nenv)++] = optarg;
        (*env)[*nenv] = NULL;
        f->env = *env;
        return 0;
    case OPT_TIMEOUT: return parse_uint("--timeout", optarg, 1, EMU_TIMEOUT_MAX, &f->timeout_s);
    case OPT_MEMORY: return parse_uint("--memory", optarg, EMU_MEMORY_MIN, EMU_MEMORY_MAX, &f->memory_mb);
    default: return -1;
    }
}

/* Fills cfg (env points into argv); 0, 1 for --help, or an exit status. */
static int parse_args(int argc, char **argv, emu_config *cfg, const char ***env, bool *function_opts)
{
    static const struct option opts[] = {
        {"task-root", required_argument, NULL, OPT_TASK_ROOT},
        {"opt-dir", required_argument, NULL, OPT_OPT_DIR},
        {"handler", required_argument, NULL, OPT_HANDLER},
        {"env", required_argument, NULL, OPT_ENV},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"name", required_argument, NULL, OPT_NAME},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"concurrency-limit", required_argument, NULL, OPT_CONCURRENCY},
        {"auth", required_argument, NULL, OPT_AUTH},
        {"access-key", required_argument, NULL, OPT_ACCESS_KEY},
        {"secret-key", required_argument, NULL, OPT_SECRET_KEY},
        {"idle-timeout", required_argument, NULL, OPT_IDLE},
        {"freeze-after", required_argument, NULL, OPT_FREEZE},
        {"init-timeout", required_argument, NULL, OPT_INIT},
        {"async-retry-delays", required_argument, NULL, OPT_RETRY},
        {"state-delay", required_argument, NULL, OPT_STATE_DELAY},
        {"cgroups", required_argument, NULL, OPT_CGROUPS},
        {"runtime-root", required_argument, NULL, OPT_RUNTIME_ROOT},
        {"log-retention-kb", required_argument, NULL, OPT_LOG_RETENTION},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    size_t nenv = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        int rc = service_option(c, cfg);
        if (rc < 0) {
            rc = function_option(c, cfg, env, &nenv);
            if (rc >= 0 && c != OPT_TASK_ROOT)
                *function_opts = true;
        }
        if (rc > 0)
            return rc;
        if (rc == 0)
            continue;
        switch (c) {
        case 'v': fl_log_init("faas-lambda", FL_LOG_DEBUG); break;
        case 'h': usage(stdout); return 1;
        case ':': return cli_usage_error("emulate", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("emulate", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("emulate", "unexpected argument '%s'", argv[optind]);
    if (*function_opts && !cfg->function.task_root)
        return cli_usage_error("emulate", "--name, --handler, --env, --timeout, --memory and --opt-dir describe the "
                                          "--task-root function: give --task-root DIR too");
    return 0;
}

static void announce(const emu_config *cfg, emu *e)
{
    if (cfg->function.task_root)
        fl_info("function %s: POST %s/2015-03-31/functions/%s/invocations (timeout %u s, memory %u MB, region %s)",
                cfg->function.name, emu_url(e), cfg->function.name, cfg->function.timeout_s,
                cfg->function.memory_mb, cfg->region);
    fl_info("Lambda API at %s (region %s, state in %s); aws --endpoint-url %s lambda ...", emu_url(e), cfg->region,
            emu_state_dir(e), emu_url(e));
}

int cmd_emulate(int argc, char **argv)
{
    const char *region = getenv("AWS_REGION");
    emu_config cfg = {
        .listen = EMU_LISTEN_DEFAULT,
        .region = region && *region ? region : EMU_REGION_DEFAULT,
        .function = {
            .name = EMU_NAME_DEFAULT,
            .handler = EMU_HANDLER_DEFAULT,
            .timeout_s = EMU_TIMEOUT_DEFAULT,
            .memory_mb = EMU_MEMORY_DEFAULT,
        },
    };
    const char **env = NULL;
    bool function_opts = false;
    int rc = parse_args(argc, argv, &cfg, &env, &function_opts);
    if (rc) {
        free(env);
        return rc == 1 ? 0 : rc;
    }
    fl_err err;
    if (emu_config_check(&cfg, &err)) {
        free(env);
        return cli_usage_error("emulate", "%s", err.msg);
    }

    sigset_t stop; /* taken by sigwait below */
    fl_signals_take_stop(&stop);

    emu *e;
    if (emu_start(&cfg, &e, &err)) {
        fl_error("%s", err.msg);
        free(env);
        return 1;
    }
    announce(&cfg, e);
    int sig = 0;
    sigwait(&stop, &sig);
    fl_info("%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    emu_stop(e);
    free(env);
    return 0;
}
