/* provider: the OpenFaaS provider for Lambda (`faas-lambda serve`).
 *
 * It serves the faas-provider REST API (what faas-cli and the OpenFaaS
 * gateway call; reference/openfaas.md §1) and maps it onto the Lambda REST
 * API, the only way it talks to Lambda: AWS itself (SigV4 with the AWS
 * credential chain), any Lambda API endpoint, or the embedded emulator,
 * started in-process on loopback when no endpoint and no region is given.
 *
 *   deploy    the image is packed (packer) into a zip, or a Lambda container
 *             image pushed to image_repository, then CreateFunction or
 *             UpdateFunctionCode + UpdateFunctionConfiguration;
 *   status    GetFunction: configuration, tags (what OpenFaaS knows that
 *             Lambda does not, see tags.c) and reserved concurrency;
 *   scale     0 replicas: reserved concurrency 0; more: none;
 *   invoke    HTTP -> 2.0 event (shim) -> Invoke -> HTTP, byte for byte;
 *   logs      CloudWatch Logs FilterLogEvents;
 *   federate  functions annotated com.openfaas.federation.gateway live on
 *             another provider: requests about them are forwarded.
 *
 * Functions: NAME.NAMESPACE is the Lambda function NAME_NAMESPACE (names.c).
 * Configuration: environment variables the OpenFaaS way (provider_config_env)
 * overridden by the command line. */
#ifndef FL_PROVIDER_H
#define FL_PROVIDER_H

#include "common/common.h"

#define PROVIDER_PORT_DEFAULT 8081
#define PROVIDER_LISTEN_DEFAULT "127.0.0.1"
#define PROVIDER_TIMEOUT_DEFAULT_MS 10000u
#define PROVIDER_NAMESPACE_DEFAULT "openfaas-fn"
#define PROVIDER_SECRETS_DEFAULT "/run/secrets/"
#define PROVIDER_MEMORY_DEFAULT 128       /* MB, when a deployment sets no limit */
#define PROVIDER_FN_TIMEOUT_DEFAULT 30    /* s, when no annotation sets one */
#define PROVIDER_LAMBDA_BACKEND "lambda"  /* the name of our own backend */

typedef struct provider_backend {
    char *name;           /* what the annotation or --default-provider says */
    char *url;            /* http[s]://HOST[:PORT], no trailing '/' */
    char *user;           /* basic auth for the /system calls; NULL: none */
    char *password_file;
} provider_backend;

typedef struct provider_config {
    /* the faas-provider API */
    char *listen;                 /* address to bind; loopback unless set */
    unsigned port;
    uint64_t read_timeout_ms, write_timeout_ms;
    bool basic_auth;
    char *secret_mount_path;      /* basic-auth-user, basic-auth-password */
    char *function_namespace;
    /* Lambda */
    char *lambda_endpoint;        /* NULL: AWS when aws/region, else the emulator */
    char *logs_endpoint;          /* NULL: AWS's, or lambda_endpoint */
    char *ecr_endpoint;           /* NULL: AWS's */
    bool aws;
    char *region;                 /* NULL: AWS_REGION, AWS_DEFAULT_REGION, the profile's */
    char *state_dir;              /* the embedded emulator's */
    char *emulator_auth;          /* the embedded emulator's --auth ("none", "strict") */
    char *role;                   /* execution role ARN for every function */
    char *image_repository;       /* HOST[:PORT]/REPO for image packages */
    char *docker_config;          /* registry credentials for pulls and pushes */
    char **insecure_registries;   /* NULL-terminated */
    char *work_dir;               /* where packages are built; NULL: $TMPDIR or /tmp */
    char *bootstrap;              /* NULL: next to the executable */
    unsigned memory_mb;           /* default MemorySize */
    unsigned timeout_s;           /* default Timeout */
    /* federation */
    provider_backend *backends;
    size_t nbackends;
    char *default_provider;       /* a backend name; NULL: PROVIDER_LAMBDA_BACKEND */
} provider_config;

/* Defaults, then the OpenFaaS environment variables: port, read_timeout,
 * write_timeout, basic_auth ("true"), secret_mount_path, function_namespace;
 * and lambda_endpoint, lambda_execution_role, image_repository,
 * docker_config, insecure_registries (comma-separated), state_dir, and
 * faas-federation's providers (comma-separated URLs) and default_provider. */
int provider_config_env(provider_config *c, fl_err *err);
/* "NAME=URL[,user=U][,password-file=F]" (--federate). */
int provider_backend_parse(const char *spec, provider_backend *b, fl_err *err);
void provider_config_add_backend(provider_config *c, provider_backend *b);
void provider_config_free(provider_config *c);

/* Runs the provider until SIGINT or SIGTERM (then drains and returns 0).
 * Fails at start-up on bad configuration, missing basic-auth files, no
 * credentials for AWS, or a port in use. */
int provider_serve(const provider_config *c, fl_err *err);

/* `faas-lambda layer publish`: PublishLayerVersion of a layer zip, with the
 * compatible runtimes provided.al2023 and provided.al2 and the architecture;
 * AddLayerVersionPermission for everyone when public. The same Lambda client
 * as serve: lambda_endpoint, else AWS in region (else AWS_REGION). */
typedef struct provider_layer_publish {
    const char *zip;             /* the layer zip */
    const char *name;            /* the layer's name */
    const char *arch;            /* "x86_64" | "arm64" */
    const char *description;
    const char *lambda_endpoint; /* NULL: AWS */
    const char *region;          /* NULL: AWS_REGION, AWS_DEFAULT_REGION, the profile's */
    bool is_public;
} provider_layer_publish;

/* *arn (caller frees): the new layer version's ARN. */
int provider_publish_layer(const provider_layer_publish *o, char **arn, fl_err *err);

#endif
