/* faas-lambda layer: the published Lambda layer that carries the bootstrap. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/common.h"
#include "packer/packer.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: faas-lambda layer build --arch x86_64|arm64 -o FILE [--bootstrap FILE]\n\n"
            "Writes the bootstrap layer: a deterministic zip with the static bootstrap at its root,\n"
            "so that functions using the layer find /opt/bootstrap (pack them with --no-bootstrap).\n\n"
            "  -a, --arch ARCH        x86_64 or arm64 (default x86_64)\n"
            "  -o, --output FILE      the zip to write\n"
            "      --bootstrap FILE   the bootstrap to put in (default: the one built or installed\n"
            "                         with this faas-lambda)\n\n"
            "Example:\n"
            "  faas-lambda layer build --arch arm64 -o faas-lambda-bootstrap-arm64.zip\n");
}

static int build(int argc, char **argv)
{
    static const struct option longs[] = {
        {"arch", required_argument, 0, 'a'}, {"output", required_argument, 0, 'o'},
        {"bootstrap", required_argument, 0, 'b'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *arch = "x86_64", *out = NULL, *bootstrap = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "a:o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'a': arch = optarg; break;
        case 'o': out = optarg; break;
        case 'b': bootstrap = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("layer build", "unknown option");
        }
    }
    if (strcmp(arch, "x86_64") && strcmp(arch, "arm64"))
        return cli_usage_error("layer build", "--arch must be x86_64 or arm64, not %s", arch);
    if (!out || optind != argc)
        return cli_usage_error("layer build", "needs -o FILE and no other arguments");
    fl_err err;
    char *sha = NULL;
    if (packer_bootstrap_layer(arch, bootstrap, NULL, out, &sha, &err)) {
        fprintf(stderr, "faas-lambda layer build: %s\n", err.msg);
        return 1;
    }
    printf("%s\t%s\tCodeSha256 %s\n", out, arch, sha);
    free(sha);
    return 0;
}

int cmd_layer(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "build"))
        return build(argc - 1, argv + 1);
    return cli_usage_error("layer", "unknown subcommand '%s' (expected build)", argv[1]);
}
