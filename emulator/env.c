/* The sandbox's environment: exactly what Lambda gives a custom runtime
 * (lambda-runtime.md §1.6), then the user's variables. AWS_EXECUTION_ENV is
 * not set: Lambda defines it for managed runtimes only, not for the OS-only
 * provided.* runtimes that a bootstrap runs on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

/* Keys Lambda refuses in a function's configuration. */
static const char *const reserved[] = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
};

bool emu_env_reserved(const char *key, size_t keylen)
{
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == keylen && !memcmp(reserved[i], key, keylen))
            return true;
    return false;
}

/* Lambda's pattern for keys: [a-zA-Z]([a-zA-Z0-9_])+ */
static bool key_valid(const char *k, size_t n)
{
    if (n < 2 || !((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z')))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') ||
              k[i] == '_'))
            return false;
    return true;
}

int emu_env_check(const char *const *env, fl_err *err)
{
    size_t total = 0;
    fl_buf used = {0};
    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        if (!eq) {
            fl_buf_free(&used);
            return fl_fail(err, "environment variable '%s' is not KEY=VALUE", env[i]);
        }
        size_t kl = (size_t)(eq - env[i]);
        if (emu_env_reserved(env[i], kl)) {
            fl_buf_printf(&used, "%s%.*s", used.len ? ", " : "", (int)kl, env[i]);
        } else if (!key_valid(env[i], kl)) {
            fl_buf_free(&used);
            return fl_fail(err,
                           "environment variable name '%.*s' is invalid: Lambda requires [a-zA-Z][a-zA-Z0-9_]+",
                           (int)kl, env[i]);
        }
        total += strlen(env[i]) - 1;
    }
    if (used.len) {
        fl_fail(err,
                "Lambda was unable to configure your environment variables because the environment variables "
                "you have provided contains reserved keys that are currently not supported for modification. "
                "Reserved keys used in this request: %s",
                used.data);
        fl_buf_free(&used);
        return -1;
    }
    if (total > EMU_ENV_MAX_BYTES)
        return fl_fail(err, "environment variables take %zu bytes; Lambda allows %u in total", total,
                       EMU_ENV_MAX_BYTES);
    return 0;
}

/* Replaces KEY=... in env if present, else appends. */
static void env_set(emu_strv *env, const char *kv)
{
    size_t kl = (size_t)(strchr(kv, '=') - kv);
    for (size_t i = 0; i < env->n; i++) {
        if (!strncmp(env->v[i], kv, kl) && env->v[i][kl] == '=') {
            free(env->v[i]);
            env->v[i] = fl_xstrdup(kv);
            return;
        }
    }
    emu_strv_push(env, kv);
}

void emu_env_build(const emu_fn_conf *c, const char *log_stream, emu_strv *env)
{
    emu_strv_pushf(env, "AWS_LAMBDA_FUNCTION_VERSION=%s", EMU_VERSION);
    emu_strv_pushf(env, "AWS_LAMBDA_FUNCTION_NAME=%s", c->name);
    emu_strv_pushf(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%u", c->memory_mb);
    emu_strv_pushf(env, "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s", c->name);
    emu_strv_pushf(env, "AWS_LAMBDA_LOG_STREAM_NAME=%s", log_stream);
    emu_strv_pushf(env, "AWS_LAMBDA_RUNTIME_API=%s:%d", EMU_RAPI_HOST, EMU_RAPI_PORT);
    emu_strv_push(env, "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand");
    emu_strv_pushf(env, "AWS_REGION=%s", c->region);
    emu_strv_pushf(env, "AWS_DEFAULT_REGION=%s", c->region);
    /* dummies: a function that signs requests gets credentials of the right shape */
    emu_strv_push(env, "AWS_ACCESS_KEY_ID=ASIAEMULATOR00000000");
    emu_strv_push(env, "AWS_SECRET_ACCESS_KEY=faas-lambda-emulate-dummy-secret-access-key");
    emu_strv_push(env, "AWS_SESSION_TOKEN=faas-lambda-emulate-dummy-session-token");
    emu_strv_pushf(env, "_HANDLER=%s", c->handler);
    emu_strv_push(env, "LAMBDA_TASK_ROOT=/var/task");
    emu_strv_push(env, "LAMBDA_RUNTIME_DIR=/var/runtime");
    emu_strv_push(env, "TZ=:UTC");
    emu_strv_push(env, "LANG=en_US.UTF-8");
    emu_strv_push(env, "PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin");
    emu_strv_push(env, "LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:"
                       "/opt/lib");
    /* a container image's ENV, but not over what Lambda reserves */
    for (size_t i = 0; i < c->image_env.n; i++) {
        const char *eq = strchr(c->image_env.v[i], '=');
        if (eq && eq != c->image_env.v[i] && !emu_env_reserved(c->image_env.v[i], (size_t)(eq - c->image_env.v[i])))
            env_set(env, c->image_env.v[i]);
    }
    for (size_t i = 0; i < c->env.n; i++)
        env_set(env, c->env.v[i]);
}
