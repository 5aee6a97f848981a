/* faas-lambda layer: the published Lambda layer that carries the bootstrap. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/common.h"
#include "packer/packer.h"
#include "provider/provider.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: faas-lambda layer build --arch x86_64|arm64 -o FILE [--bootstrap FILE]\n"
            "       faas-lambda layer publish --arch x86_64|arm64 [--name NAME] [--region R]\n"
            "                                 [--lambda-endpoint URL] [--public] [--zip FILE]\n\n"
            "The bootstrap layer: a deterministic zip with the static bootstrap at its root, so that\n"
            "functions using the layer find /opt/bootstrap (pack them with --no-bootstrap).\n\n"
            "build writes it; publish builds it (or takes --zip) and publishes it with\n"
            "PublishLayerVersion (compatible runtimes provided.al2023 and provided.al2, the\n"
            "architecture), lets every account use it with --public, and prints its ARN.\n\n"
            "  -a, --arch ARCH          x86_64 or arm64 (default x86_64)\n"
            "  -o, --output FILE        build: the zip to write\n"
            "      --bootstrap FILE     the bootstrap to put in (default: the one built or installed\n"
            "                           with this faas-lambda)\n"
            "      --name NAME          publish: the layer's name (default faas-lambda-bootstrap-ARCH)\n"
            "      --zip FILE           publish: this layer zip instead of building one\n"
            "      --region R           publish: the AWS region (default AWS_REGION, the profile's)\n"
            "      --lambda-endpoint URL  publish: another Lambda API, e.g. faas-lambda emulate's\n"
            "      --public             publish: AddLayerVersionPermission for everyone\n"
            "AWS credentials come from the SDKs' chain (environment, AWS_PROFILE, web identity,\n"
            "container credentials).\n\n"
            "Examples:\n"
            "  faas-lambda layer build --arch arm64 -o faas-lambda-bootstrap-arm64.zip\n"
            "  faas-lambda layer publish --arch x86_64 --region eu-west-1 --public\n"
            "  faas-lambda layer publish --lambda-endpoint http://127.0.0.1:9000\n");
}

static int publish(int argc, char **argv)
{
    static const struct option longs[] = {
        {"arch", required_argument, 0, 'a'}, {"name", required_argument, 0, 'n'},
        {"zip", required_argument, 0, 'z'}, {"bootstrap", required_argument, 0, 'b'},
        {"region", required_argument, 0, 'r'}, {"lambda-endpoint", required_argument, 0, 'e'},
        {"public", no_argument, 0, 'p'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    provider_layer_publish o = {.arch = "x86_64", .description = "faas-lambda bootstrap " FL_VERSION
                                                                 ": runs OpenFaaS watchdogs on Lambda"};
    const char *bootstrap = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "a:h", longs, NULL)) != -1) {
        switch (c) {
        case 'a': o.arch = optarg; break;
        case 'n': o.name = optarg; break;
        case 'z': o.zip = optarg; break;
        case 'b': bootstrap = optarg; break;
        case 'r': o.region = optarg; break;
        case 'e': o.lambda_endpoint = optarg; break;
        case 'p': o.is_public = true; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("layer publish", "unknown option");
        }
    }
    if (strcmp(o.arch, "x86_64") && strcmp(o.arch, "arm64"))
        return cli_usage_error("layer publish", "--arch must be x86_64 or arm64, not %s", o.arch);
    if (optind != argc)
        return cli_usage_error("layer publish", "unexpected argument %s", argv[optind]);
    const char *tmpdir = getenv("TMPDIR");
    char name[64], tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/faas-lambda-layer-XXXXXX", tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp");
    if (!o.name) {
        snprintf(name, sizeof name, "faas-lambda-bootstrap-%s", o.arch);
        o.name = name;
    }
    fl_err err;
    char *arn = NULL;
    int rc = 1;
    bool made = false;
    if (!o.zip) {
        if (!mkdtemp(tmp)) {
            fprintf(stderr, "faas-lambda layer publish: cannot make a temporary directory\n");
            return 1;
        }
        char *zip = fl_xasprintf("%s/layer.zip", tmp);
        made = true;
        o.zip = zip;
        if (packer_bootstrap_layer(o.arch, bootstrap, NULL, zip, NULL, &err))
            goto out;
    }
    if (provider_publish_layer(&o, &arn, &err))
        goto out;
    printf("%s\n", arn);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "faas-lambda layer publish: %s\n", err.msg);
    if (made) {
        unlink(o.zip);
        rmdir(tmp);
        free((char *)o.zip);
    }
    free(arn);
    return rc;
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
    if (!strcmp(argv[1], "publish"))
        return publish(argc - 1, argv + 1);
    return cli_usage_error("layer", "unknown subcommand '%s' (expected build or publish)", argv[1]);
}
