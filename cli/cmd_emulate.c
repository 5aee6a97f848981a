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
            "usage: faas-lambda emulate --task-root DIR [OPTIONS]\n"
            "\n"
            "Runs one function locally as AWS Lambda runs it: the Lambda Invoke API on a\n"
            "loopback address, and the function's own bootstrap (a custom runtime) in a\n"
            "bubblewrap sandbox that talks to the Runtime API at 127.0.0.1:9001. The\n"
            "sandbox has the host's root read-only, DIR at /var/task, a private /tmp, no\n"
            "network but its own loopback, and exactly Lambda's environment.\n"
            "\n"
            "options:\n"
            "  --task-root DIR     the function package, read-only at /var/task (required)\n"
            "  --opt-dir DIR       a layer, read-only at /opt (default: an empty /opt)\n"
            "  --handler H         the handler string, _HANDLER (default: %s)\n"
            "  --env K=V           a variable for the function; repeatable\n"
            "  --timeout SECONDS   invoke timeout, 1-%d (default: %d)\n"
            "  --memory MB         memory size, %d-%d (default: %d; reported, not enforced)\n"
            "  --listen ADDR       Invoke API address, loopback only (default: %s)\n"
            "  --name NAME         the function's name (default: %s)\n"
            "  -v, --verbose       debug logging\n"
            "  -h, --help          this text\n"
            "\n"
            "The region is $AWS_REGION (default %s). The function's output goes to stderr\n"
            "with Lambda's START/END/REPORT lines.\n"
            "\n"
            "examples:\n"
            "  faas-lambda emulate --task-root ./package\n"
            "  curl -d '{\"hello\":\"world\"}' \\\n"
            "      http://127.0.0.1:9000/2015-03-31/functions/function/invocations\n"
            "  aws --endpoint-url http://127.0.0.1:9000 lambda invoke --function-name function \\\n"
            "      --payload fileb://event.json --log-type Tail out.json\n"
            "  faas-lambda emulate --task-root ./app --opt-dir ./layer --name hello \\\n"
            "      --timeout 30 --env WRITE_DEBUG=true --listen 127.0.0.1:9100\n",
            EMU_HANDLER_DEFAULT, EMU_TIMEOUT_MAX, EMU_TIMEOUT_DEFAULT, EMU_MEMORY_MIN, EMU_MEMORY_MAX,
            EMU_MEMORY_DEFAULT, EMU_LISTEN_DEFAULT, EMU_NAME_DEFAULT, EMU_REGION_DEFAULT);
}

static int parse_uint(const char *opt, const char *s, unsigned min, unsigned max, unsigned *out)
{
    uint64_t v;
    if (fl_parse_u64(s, max, &v) || v < min)
        return cli_usage_error("emulate", "%s '%s': expected a whole number from %u to %u", opt, s, min, max);
    *out = (unsigned)v;
    return 0;
}

enum { OPT_TASK_ROOT = 256, OPT_OPT_DIR, OPT_HANDLER, OPT_ENV, OPT_TIMEOUT, OPT_MEMORY, OPT_LISTEN, OPT_NAME };

/* Fills cfg (env points into argv); 0, 1 for --help, or an exit status. */
static int parse_args(int argc, char **argv, emu_config *cfg, const char ***env)
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
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    size_t nenv = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        emu_function_config *f = &cfg->function;
        switch (c) {
        case OPT_TASK_ROOT: f->task_root = optarg; break;
        case OPT_OPT_DIR: f->opt_dir = optarg; break;
        case OPT_HANDLER: f->handler = optarg; break;
        case OPT_ENV:
            *env = fl_xrealloc(*env, (nenv + 2) * sizeof **env);
            (*env)[nenv++] = optarg;
            (*env)[nenv] = NULL;
            f->env = *env;
            break;
        case OPT_TIMEOUT:
            if (parse_uint("--timeout", optarg, 1, EMU_TIMEOUT_MAX, &f->timeout_s))
                return 2;
            break;
        case OPT_MEMORY:
            if (parse_uint("--memory", optarg, EMU_MEMORY_MIN, EMU_MEMORY_MAX, &f->memory_mb))
                return 2;
            break;
        case OPT_LISTEN: cfg->listen = optarg; break;
        case OPT_NAME: f->name = optarg; break;
        case 'v': fl_log_init("faas-lambda", FL_LOG_DEBUG); break;
        case 'h': usage(stdout); return 1;
        case ':': return cli_usage_error("emulate", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("emulate", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("emulate", "unexpected argument '%s'", argv[optind]);
    if (!cfg->function.task_root)
        return cli_usage_error("emulate", "--task-root DIR is required");
    return 0;
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
    int rc = parse_args(argc, argv, &cfg, &env);
    if (rc) {
        free(env);
        return rc == 1 ? 0 : rc;
    }
    fl_err err;
    if (emu_config_check(&cfg, &err)) {
        free(env);
        return cli_usage_error("emulate", "%s", err.msg);
    }

    /* Signals are taken by sigwait below; every thread inherits the mask. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    emu *e;
    if (emu_start(&cfg, &e, &err)) {
        fl_error("%s", err.msg);
        free(env);
        return 1;
    }
    fl_info("function %s: POST %s/2015-03-31/functions/%s/invocations (timeout %u s, memory %u MB, region %s)",
            cfg.function.name, emu_url(e), cfg.function.name, cfg.function.timeout_s, cfg.function.memory_mb,
            cfg.region);
    int sig = 0;
    sigwait(&stop, &sig);
    fl_info("%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    emu_stop(e);
    free(env);
    return 0;
}
