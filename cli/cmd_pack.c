/* faas-lambda pack: arguments only; packer/ does the work. */
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
            "usage: faas-lambda pack SOURCE -o OUTPUT [OPTIONS]\n\n"
            "Packs an OpenFaaS function image for AWS Lambda.\n\n"
            "SOURCE:\n"
            "  oci:DIR[:REF]                 an OCI image layout\n"
            "  docker-archive:FILE[:NAME]    the output of docker save\n"
            "  docker://NAME[:TAG|@DIGEST]   a registry (alpine:3.19 means docker.io/library/alpine:3.19)\n\n"
            "Output:\n"
            "  -o, --output OUT              the zip; for --format image: oci:DIR[:TAG] or docker://NAME[:TAG]\n"
            "      --format zip|layer|image  zip (default): a custom-runtime function package;\n"
            "                                layer: a Lambda layer zip; image: a Lambda container image\n"
            "      --platform OS/ARCH[/V]    the image to take from a multi-platform index (linux/amd64)\n"
            "      --arch x86_64|arm64       check the image is for this Lambda architecture\n"
            "      --bootstrap FILE          the bootstrap to package (default: next to faas-lambda)\n"
            "      --no-bootstrap            package none (a Lambda layer provides /opt/bootstrap)\n"
            "      --env NAME=VALUE          set a variable for the function (repeatable; wins over the image)\n"
            "      --fprocess CMD            the function process (the deployment's envProcess)\n"
            "      --slim                    drop docs, man pages and package caches\n"
            "      --path P                  layer: take only P and what is under it (repeatable)\n"
            "      --no-relocate             keep ELF interpreters and #! lines as they are\n"
            "      --ignore-limits           write a zip over Lambda's 250 MiB unzipped limit anyway\n"
            "      --compression-level N     deflate level 1 (fastest) to 9 (smallest); default 4\n"
            "      --max-size BYTES          refuse layers holding more (default 8G; suffixes K M G)\n"
            "      --max-entries N           refuse layers with more entries (default 2000000)\n"
            "Registry:\n"
            "      --creds USER:PASS         credentials (default: ~/.docker/config.json auths)\n"
            "      --docker-config FILE      a docker config.json to take credentials from\n"
            "      --insecure-registry HOST  allow plain HTTP to HOST (loopback always may)\n"
            "      --cache-dir DIR           the blob cache (default $XDG_CACHE_HOME/faas-lambda/blobs)\n"
            "Reporting:\n"
            "  -q, --quiet                   no progress and no summary\n"
            "      --json                    print what was written as JSON\n\n"
            "Examples:\n"
            "  faas-lambda pack docker://ghcr.io/openfaas/figlet:latest -o figlet.zip\n"
            "  faas-lambda pack oci:./img:fn -o fn.zip --env write_timeout=30s\n"
            "  faas-lambda pack docker://ghcr.io/openfaas/of-watchdog:0.10.9 --format layer "
            "--path /fwatchdog -o watchdog-layer.zip\n");
}

enum {
    O_FORMAT = 256, O_PLATFORM, O_ARCH, O_BOOTSTRAP, O_NO_BOOTSTRAP, O_ENV, O_FPROCESS, O_SLIM, O_PATH,
    O_NO_RELOCATE, O_IGNORE_LIMITS, O_MAX_SIZE, O_MAX_ENTRIES, O_CREDS, O_DOCKER_CONFIG, O_INSECURE,
    O_CACHE_DIR, O_JSON, O_LEVEL,
};

/* "512M" -> bytes. */
static int parse_size(const char *s, uint64_t *out)
{
    char num[32];
    size_t n = strlen(s);
    uint64_t mul = 1;
    if (n && strchr("kKmMgGtT", s[n - 1])) {
        char c = s[n - 1];
        mul = (c == 'k' || c == 'K') ? 1ull << 10 : (c == 'm' || c == 'M') ? 1ull << 20
                                                 : (c == 'g' || c == 'G') ? 1ull << 30 : 1ull << 40;
        n--;
    }
    if (n == 0 || n >= sizeof num)
        return -1;
    memcpy(num, s, n);
    num[n] = 0;
    uint64_t v;
    if (fl_parse_u64(num, UINT64_MAX / mul, &v) || v == 0)
        return -1;
    *out = v * mul;
    return 0;
}

static void push(char ***v, size_t *n, char *s)
{
    *v = realloc(*v, (*n + 2) * sizeof **v);
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

int cmd_pack(int argc, char **argv)
{
    static const struct option longs[] = {
        {"output", required_argument, 0, 'o'}, {"format", required_argument, 0, O_FORMAT},
        {"platform", required_argument, 0, O_PLATFORM}, {"arch", required_argument, 0, O_ARCH},
        {"bootstrap", required_argument, 0, O_BOOTSTRAP}, {"no-bootstrap", no_argument, 0, O_NO_BOOTSTRAP},
        {"env", required_argument, 0, O_ENV}, {"fprocess", required_argument, 0, O_FPROCESS},
        {"slim", no_argument, 0, O_SLIM}, {"path", required_argument, 0, O_PATH},
        {"no-relocate", no_argument, 0, O_NO_RELOCATE}, {"ignore-limits", no_argument, 0, O_IGNORE_LIMITS},
        {"max-size", required_argument, 0, O_MAX_SIZE}, {"max-entries", required_argument, 0, O_MAX_ENTRIES},
        {"creds", required_argument, 0, O_CREDS}, {"docker-config", required_argument, 0, O_DOCKER_CONFIG},
        {"insecure-registry", required_argument, 0, O_INSECURE}, {"cache-dir", required_argument, 0, O_CACHE_DIR},
        {"quiet", no_argument, 0, 'q'}, {"json", no_argument, 0, O_JSON}, {"help", no_argument, 0, 'h'},
        {"compression-level", required_argument, 0, O_LEVEL},
        {0, 0, 0, 0},
    };
    packer_options o = {0};
    size_t nenv = 0, npaths = 0, ninsecure = 0;
    bool json = false;
    int c, rc = 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o.output = optarg; break;
        case O_FORMAT:
            if (!strcmp(optarg, "zip"))
                o.format = PACKER_ZIP;
            else if (!strcmp(optarg, "layer"))
                o.format = PACKER_LAYER;
            else if (!strcmp(optarg, "image"))
                o.format = PACKER_IMAGE;
            else {
                rc = cli_usage_error("pack", "--format must be zip, layer or image, not %s", optarg);
                goto out;
            }
            break;
        case O_PLATFORM: o.platform = optarg; break;
        case O_ARCH:
            if (strcmp(optarg, "x86_64") && strcmp(optarg, "arm64")) {
                rc = cli_usage_error("pack", "--arch must be x86_64 or arm64, not %s", optarg);
                goto out;
            }
            o.arch = optarg;
            break;
        case O_BOOTSTRAP: o.bootstrap = optarg; break;
        case O_NO_BOOTSTRAP: o.no_bootstrap = true; break;
        case O_ENV:
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                rc = cli_usage_error("pack", "--env %s is not NAME=VALUE", optarg);
                goto out;
            }
            push(&o.env, &nenv, optarg);
            break;
        case O_FPROCESS: o.fprocess = optarg; break;
        case O_SLIM: o.slim = true; break;
        case O_PATH: push(&o.paths, &npaths, optarg); break;
        case O_NO_RELOCATE: o.no_relocate = true; break;
        case O_IGNORE_LIMITS: o.ignore_limits = true; break;
        case O_MAX_SIZE:
            if (parse_size(optarg, &o.max_bytes)) {
                rc = cli_usage_error("pack", "--max-size %s is not a size like 512M or 4G", optarg);
                goto out;
            }
            break;
        case O_MAX_ENTRIES:
            if (fl_parse_u64(optarg, UINT32_MAX, &o.max_entries) || !o.max_entries) {
                rc = cli_usage_error("pack", "--max-entries %s is not a positive number", optarg);
                goto out;
            }
            break;
        case O_CREDS:
            if (!strchr(optarg, ':')) {
                rc = cli_usage_error("pack", "--creds needs USER:PASS");
                goto out;
            }
            o.creds = optarg;
            break;
        case O_DOCKER_CONFIG: o.docker_config = optarg; break;
        case O_INSECURE: push(&o.insecure, &ninsecure, optarg); break;
        case O_CACHE_DIR: o.cache_dir = optarg; break;
        case O_LEVEL: {
            uint64_t v;
            if (fl_parse_u64(optarg, 9, &v) || v < 1) {
                rc = cli_usage_error("pack", "--compression-level must be 1 to 9, not %s", optarg);
                goto out;
            }
            o.compression_level = (int)v;
            break;
        }
        case 'q': o.quiet = true; break;
        case O_JSON: json = true; break;
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        default:
            rc = cli_usage_error("pack", "unknown option");
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage_error("pack", optind >= argc ? "SOURCE is missing" : "one SOURCE only");
        goto out;
    }
    if (!o.output) {
        rc = cli_usage_error("pack", "-o OUTPUT is missing");
        goto out;
    }
    if (npaths && o.format != PACKER_LAYER) {
        rc = cli_usage_error("pack", "--path applies to --format layer only");
        goto out;
    }
    o.source = argv[optind];
    o.progress = !o.quiet && isatty(STDERR_FILENO);
    packer_result res;
    fl_err err = {{0}};
    if (packer_pack(&o, &res, &err)) {
        fl_error("%s", err.msg);
        packer_result_free(&res);
        rc = 1;
        goto out;
    }
    if (json) {
        fl_buf b = {0};
        packer_result_json(&res, &b);
        fwrite(b.data, 1, b.len, stdout);
        fl_buf_free(&b);
    } else if (!o.quiet) {
        if (o.format == PACKER_IMAGE)
            printf("wrote %s (%s, %s)%s%s\n", res.output, res.image, res.platform,
                   res.pushed_digest ? " manifest " : "", res.pushed_digest ? res.pushed_digest : "");
        else
            printf("wrote %s (%s, %s): %llu entries, %llu bytes unzipped, %llu bytes zipped, CodeSha256 %s\n",
                   res.output, res.image, res.platform, (unsigned long long)res.entries,
                   (unsigned long long)res.unzipped_size, (unsigned long long)res.size, res.code_sha256);
        for (size_t i = 0; res.notes && res.notes[i]; i++)
            printf("  %s\n", res.notes[i]);
    }
    packer_result_free(&res);
    rc = 0;
out:
    free(o.env);
    free(o.paths);
    free(o.insecure);
    return rc;
}
