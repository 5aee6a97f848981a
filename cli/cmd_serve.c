/* faas-lambda serve: the OpenFaaS provider for Lambda. Environment first
 * (the OpenFaaS variables), then the command line; runs in the foreground
 * until SIGINT or SIGTERM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/common.h"
#include "provider/internal.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: faas-lambda serve [OPTIONS]\n"
            "\n"
            "The OpenFaaS provider for AWS Lambda: the faas-provider REST API (what faas-cli\n"
            "and the OpenFaaS gateway call) with functions that live on Lambda. Deploying\n"
            "packs the function's image into a Lambda package; invoking passes the HTTP\n"
            "request to the function unchanged. With neither --lambda-endpoint nor --aws\n"
            "(nor AWS_REGION), it runs the embedded Lambda emulator on loopback.\n"
            "\n"
            "the API (environment variables in parentheses):\n"
            "  --port N                 TCP port (port; default %d)\n"
            "  --listen ADDR            address to bind (default %s; 0.0.0.0 for all)\n"
            "  --read-timeout T         seconds or a Go duration (read_timeout; default 10s);\n"
            "                           also the invoke timeout\n"
            "  --write-timeout T        (write_timeout; default 10s); also how long\n"
            "                           /system/logs?follow=true streams\n"
            "  --basic-auth             basic auth on /system/* (basic_auth=true)\n"
            "  --secret-mount-path DIR  where basic-auth-user and basic-auth-password are\n"
            "                           (secret_mount_path; default %s)\n"
            "  --function-namespace NS  the default namespace (function_namespace; default %s)\n"
            "\n"
            "Lambda:\n"
            "  --lambda-endpoint URL    a Lambda API endpoint (lambda_endpoint)\n"
            "  --aws                    AWS Lambda in --region (also when AWS_REGION is set)\n"
            "  --region R               the AWS region (default: AWS_REGION, AWS_DEFAULT_REGION,\n"
            "                           the profile's)\n"
            "  --logs-endpoint URL      CloudWatch Logs (default: AWS's, or the Lambda endpoint)\n"
            "  --ecr-endpoint URL       ECR (default: AWS's)\n"
            "  --state-dir DIR          the embedded emulator's state (state_dir)\n"
            "  --emulator-auth MODE     the embedded emulator's SigV4 check: none or strict\n"
            "  --role ARN               execution role of every function (lambda_execution_role);\n"
            "                           the annotation com.openfaas.lambda.role overrides it\n"
            "  --memory MB              MemorySize when a deployment sets no memory (default %d)\n"
            "  --timeout S              Timeout when no com.openfaas.lambda.timeout (default %d)\n"
            "  AWS credentials: the SDKs' chain (environment, AWS_PROFILE and the shared\n"
            "  files, web identity as EKS IRSA sets it, container credentials as ECS and\n"
            "  EKS Pod Identity set them).\n"
            "\n"
            "packing:\n"
            "  --image-repository REPO  HOST[:PORT]/REPO for container image packages (an ECR\n"
            "                           repository on AWS) (image_repository)\n"
            "  --docker-config FILE     registry credentials (docker_config)\n"
            "  --insecure-registry HOST a registry reached over plain HTTP; repeatable\n"
            "                           (insecure_registries, comma-separated)\n"
            "  --work-dir DIR           where packages are built (default $TMPDIR or /tmp)\n"
            "  --bootstrap FILE         the bootstrap to pack (default: next to faas-lambda)\n"
            "\n"
            "federation:\n"
            "  --federate NAME=URL[,user=U,password-file=F]\n"
            "                           another provider (faas-netes, a second faas-lambda);\n"
            "                           repeatable (providers: comma-separated URLs, named by host)\n"
            "  --default-provider NAME  where functions without the annotation\n"
            "                           com.openfaas.federation.gateway go (default_provider;\n"
            "                           default %s, this provider's Lambda)\n"
            "\n"
            "  -v, --verbose            debug logging\n"
            "  -h, --help               this text\n"
            "\n"
            "examples:\n"
            "  faas-lambda serve                       # local Lambda, port 8081\n"
            "  faas-cli deploy -g http://127.0.0.1:8081 --image ghcr.io/openfaas/figlet:latest \\\n"
            "      --name figlet --fprocess figlet\n"
            "  echo hi | faas-cli invoke -g http://127.0.0.1:8081 figlet\n"
            "  AWS_REGION=eu-west-1 faas-lambda serve --listen 0.0.0.0 --basic-auth \\\n"
            "      --role arn:aws:iam::123456789012:role/openfaas-fn \\\n"
            "      --image-repository 123456789012.dkr.ecr.eu-west-1.amazonaws.com/openfaas\n"
            "  faas-lambda serve --federate faasnetes=http://faas-netes.openfaas:8080\n",
            PROVIDER_PORT_DEFAULT, PROVIDER_LISTEN_DEFAULT, PROVIDER_SECRETS_DEFAULT, PROVIDER_NAMESPACE_DEFAULT,
            PROVIDER_MEMORY_DEFAULT, PROVIDER_FN_TIMEOUT_DEFAULT, PROVIDER_LAMBDA_BACKEND);
}

enum {
    OPT_PORT = 256, OPT_LISTEN, OPT_READ, OPT_WRITE, OPT_BASIC, OPT_SECRETS, OPT_NS, OPT_ENDPOINT, OPT_AWS,
    OPT_REGION, OPT_LOGS, OPT_ECR, OPT_STATE, OPT_EMU_AUTH, OPT_ROLE, OPT_MEMORY, OPT_TIMEOUT, OPT_REPO,
    OPT_DOCKER, OPT_INSECURE, OPT_WORK, OPT_BOOTSTRAP, OPT_FEDERATE, OPT_DEFAULT,
};

static void set(char **dst, const char *v)
{
    free(*dst);
    *dst = fl_xstrdup(v);
}

static int number(const char *opt, const char *s, unsigned min, unsigned max, unsigned *out)
{
    uint64_t v;
    if (fl_parse_u64(s, max, &v) || v < min)
        return cli_usage_error("serve", "%s '%s': expected a whole number from %u to %u", opt, s, min, max);
    *out = (unsigned)v;
    return 0;
}

static int duration(const char *opt, const char *s, uint64_t *ms)
{
    fl_err err;
    return pv_duration_ms(s, ms, &err) ? cli_usage_error("serve", "%s: %s", opt, err.msg) : 0;
}

static void add_insecure(provider_config *c, const char *host)
{
    size_t n = pv_strv_len(c->insecure_registries);
    c->insecure_registries = fl_xrealloc(c->insecure_registries, (n + 2) * sizeof *c->insecure_registries);
    c->insecure_registries[n] = fl_xstrdup(host);
    c->insecure_registries[n + 1] = NULL;
}

static int federate(provider_config *c, const char *spec)
{
    provider_backend b;
    fl_err err;
    if (provider_backend_parse(spec, &b, &err))
        return cli_usage_error("serve", "%s", err.msg);
    provider_config_add_backend(c, &b);
    return 0;
}

static int option(int o, provider_config *c)
{
    switch (o) {
    case OPT_PORT: return number("--port", optarg, 1, 65535, &c->port);
    case OPT_LISTEN: set(&c->listen, optarg); return 0;
    case OPT_READ: return duration("--read-timeout", optarg, &c->read_timeout_ms);
    case OPT_WRITE: return duration("--write-timeout", optarg, &c->write_timeout_ms);
    case OPT_BASIC: c->basic_auth = true; return 0;
    case OPT_SECRETS: set(&c->secret_mount_path, optarg); return 0;
    case OPT_NS: set(&c->function_namespace, optarg); return 0;
    case OPT_ENDPOINT: set(&c->lambda_endpoint, optarg); return 0;
    case OPT_AWS: c->aws = true; return 0;
    case OPT_REGION: set(&c->region, optarg); return 0;
    case OPT_LOGS: set(&c->logs_endpoint, optarg); return 0;
    case OPT_ECR: set(&c->ecr_endpoint, optarg); return 0;
    case OPT_STATE: set(&c->state_dir, optarg); return 0;
    case OPT_EMU_AUTH: set(&c->emulator_auth, optarg); return 0;
    case OPT_ROLE: set(&c->role, optarg); return 0;
    case OPT_MEMORY: return number("--memory", optarg, 128, 10240, &c->memory_mb);
    case OPT_TIMEOUT: return number("--timeout", optarg, 1, 900, &c->timeout_s);
    case OPT_REPO: set(&c->image_repository, optarg); return 0;
    case OPT_DOCKER: set(&c->docker_config, optarg); return 0;
    case OPT_INSECURE: add_insecure(c, optarg); return 0;
    case OPT_WORK: set(&c->work_dir, optarg); return 0;
    case OPT_BOOTSTRAP: set(&c->bootstrap, optarg); return 0;
    case OPT_FEDERATE: return federate(c, optarg);
    case OPT_DEFAULT: set(&c->default_provider, optarg); return 0;
    default: return -1;
    }
}

/* 0, 1 for --help, or an exit status. */
static int parse_args(int argc, char **argv, provider_config *c)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, OPT_PORT},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"read-timeout", required_argument, NULL, OPT_READ},
        {"write-timeout", required_argument, NULL, OPT_WRITE},
        {"basic-auth", no_argument, NULL, OPT_BASIC},
        {"secret-mount-path", required_argument, NULL, OPT_SECRETS},
        {"function-namespace", required_argument, NULL, OPT_NS},
        {"lambda-endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"aws", no_argument, NULL, OPT_AWS},
        {"region", required_argument, NULL, OPT_REGION},
        {"logs-endpoint", required_argument, NULL, OPT_LOGS},
        {"ecr-endpoint", required_argument, NULL, OPT_ECR},
        {"state-dir", required_argument, NULL, OPT_STATE},
        {"emulator-auth", required_argument, NULL, OPT_EMU_AUTH},
        {"role", required_argument, NULL, OPT_ROLE},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"image-repository", required_argument, NULL, OPT_REPO},
        {"docker-config", required_argument, NULL, OPT_DOCKER},
        {"insecure-registry", required_argument, NULL, OPT_INSECURE},
        {"work-dir", required_argument, NULL, OPT_WORK},
        {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
        {"federate", required_argument, NULL, OPT_FEDERATE},
        {"default-provider", required_argument, NULL, OPT_DEFAULT},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        int rc = option(o, c);
        if (rc > 0)
            return rc;
        if (rc == 0)
            continue;
        switch (o) {
        case 'v': fl_log_init("faas-lambda", FL_LOG_DEBUG); break;
        case 'h': usage(stdout); return 1;
        case ':': return cli_usage_error("serve", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if (c->lambda_endpoint && c->aws)
        return cli_usage_error("serve", "--lambda-endpoint and --aws exclude each other");
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    provider_config c;
    fl_err err;
    if (provider_config_env(&c, &err)) {
        provider_config_free(&c);
        return cli_usage_error("serve", "%s", err.msg);
    }
    int rc = parse_args(argc, argv, &c);
    if (rc) {
        provider_config_free(&c);
        return rc == 1 ? 0 : rc;
    }
    rc = provider_serve(&c, &err) ? 1 : 0;
    if (rc)
        fl_error("%s", err.msg);
    provider_config_free(&c);
    return rc;
}
