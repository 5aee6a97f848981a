/* faas-lambda inspect: arguments only; packer/ does the work. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/common.h"
#include "packer/packer.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: faas-lambda inspect SOURCE [OPTIONS]\n\n"
            "Describes an image for Lambda: its platforms, layers and sizes, config, the watchdog\n"
            "it starts (mode, fprocess, upstream) and what would keep it from running on Lambda.\n"
            "SOURCE is oci:DIR[:REF], docker-archive:FILE[:NAME] or docker://NAME[:TAG|@DIGEST].\n\n"
            "      --json                    print JSON\n"
            "      --config-only             do not read the layers (no unzipped size, no watchdog check)\n"
            "      --platform OS/ARCH[/V]    the image to take from a multi-platform index (linux/amd64)\n"
            "      --creds USER:PASS         registry credentials\n"
            "      --docker-config FILE      a docker config.json to take credentials from\n"
            "      --insecure-registry HOST  allow plain HTTP to HOST\n"
            "      --cache-dir DIR           the blob cache\n"
            "  -q, --quiet                   no progress\n\n"
            "Example:\n"
            "  faas-lambda inspect docker://ghcr.io/openfaas/figlet:latest\n");
}

enum { O_JSON = 256, O_CONFIG_ONLY, O_PLATFORM, O_CREDS, O_DOCKER_CONFIG, O_INSECURE, O_CACHE_DIR };

int cmd_inspect(int argc, char **argv)
{
    static const struct option longs[] = {
        {"json", no_argument, 0, O_JSON}, {"config-only", no_argument, 0, O_CONFIG_ONLY},
        {"platform", required_argument, 0, O_PLATFORM}, {"creds", required_argument, 0, O_CREDS},
        {"docker-config", required_argument, 0, O_DOCKER_CONFIG},
        {"insecure-registry", required_argument, 0, O_INSECURE}, {"cache-dir", required_argument, 0, O_CACHE_DIR},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    packer_options o = {0};
    bool json = false, config_only = false;
    size_t ninsecure = 0;
    int c, rc = 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longs, NULL)) != -1) {
        switch (c) {
        case O_JSON: json = true; break;
        case O_CONFIG_ONLY: config_only = true; break;
        case O_PLATFORM: o.platform = optarg; break;
        case O_CREDS:
            if (!strchr(optarg, ':')) {
                rc = cli_usage_error("inspect", "--creds needs USER:PASS");
                goto out;
            }
            o.creds = optarg;
            break;
        case O_DOCKER_CONFIG: o.docker_config = optarg; break;
        case O_INSECURE:
            o.insecure = realloc(o.insecure, (ninsecure + 2) * sizeof *o.insecure);
            o.insecure[ninsecure++] = optarg;
            o.insecure[ninsecure] = NULL;
            break;
        case O_CACHE_DIR: o.cache_dir = optarg; break;
        case 'q': o.quiet = true; break;
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        default:
            rc = cli_usage_error("inspect", "unknown option");
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage_error("inspect", optind >= argc ? "SOURCE is missing" : "one SOURCE only");
        goto out;
    }
    o.source = argv[optind];
    o.progress = !o.quiet && isatty(STDERR_FILENO);
    fl_buf b = {0};
    fl_err err = {{0}};
    if (packer_inspect(&o, json, config_only, &b, &err)) {
        fl_error("%s", err.msg);
        rc = 1;
    } else {
        fwrite(b.data, 1, b.len, stdout);
        rc = 0;
    }
    fl_buf_free(&b);
out:
    free(o.insecure);
    return rc;
}
