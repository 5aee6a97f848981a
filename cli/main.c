/* faas-lambda: dispatch to a subcommand. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/common.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static int cmd_version(int argc, char **argv)
{
    (void)argc, (void)argv;
    printf("faas-lambda %s (%s)\n", FL_VERSION, FL_GIT_REV);
    return 0;
}

static const command commands[] = {
    {"emulate", cmd_emulate, "run a local Lambda (Invoke API + Runtime API) for functions in sandboxes"},
    {"pack", cmd_pack, "turn an OpenFaaS function image into a Lambda package (zip, layer, image)"},
    {"inspect", cmd_inspect, "describe an image: platforms, layers, watchdog, Lambda compatibility"},
    {"layer", cmd_layer, "build and publish the Lambda layer that carries the bootstrap"},
    {"serve", cmd_serve, "the OpenFaaS provider for Lambda (faas-provider API, federation)"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *to)
{
    fprintf(to, "usage: faas-lambda COMMAND [OPTIONS]\n\n"
                "Runs OpenFaaS functions on AWS Lambda, unchanged.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nRun 'faas-lambda COMMAND --help' for a command's options and examples.\n");
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "faas-lambda %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nRun 'faas-lambda %s --help' for usage.\n", cmd);
    return 2;
}

int main(int argc, char **argv)
{
    fl_log_init("faas-lambda", FL_LOG_INFO);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            int rc = commands[i].run(argc - 1, argv + 1);
            fl_http_global_cleanup(); /* every command has joined its threads */
            return rc;
        }
    fprintf(stderr, "faas-lambda: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
