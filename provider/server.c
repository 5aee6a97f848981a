/* provider_serve: configuration checked, the Lambda side chosen (an
 * endpoint, AWS, or the embedded emulator), the API served until SIGINT or
 * SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator/emulator.h"
#include "provider/internal.h"

#define CONTROL_TIMEOUT_MS 60000
#define CRED_FILE_MAX 4096

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int read_secret(const char *dir, const char *name, char **out, fl_err *err)
{
    char *path = fl_xasprintf("%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    fl_buf b = {0};
    int rc = fl_read_file(path, CRED_FILE_MAX, &b, err);
    if (rc == 0) {
        /* strings.TrimSpace, as the SDK */
        size_t s = 0, e = b.len;
        while (s < e && strchr(" \t\r\n", b.data[s]))
            s++;
        while (e > s && strchr(" \t\r\n", b.data[e - 1]))
            e--;
        *out = fl_xstrndup(b.data + s, e - s);
        memset(b.data, 0, b.len);
    } else {
        fl_fail_wrap(err, "basic_auth is on: failed to read basic auth credentials");
    }
    fl_buf_free(&b);
    free(path);
    return rc;
}


static int start_emulator(pv_server *s, char **endpoint, fl_err *err)
{
    const provider_config *c = s->cfg;
    char key[41] = "AKIDFAASLAMBDA", secret[41];
    const char *auth = c->emulator_auth ? c->emulator_auth : "none";
    /* strict: a secret of our own, so every request must be signed right */
    snprintf(secret, sizeof secret, "%08x%08x%08x", (unsigned)rand(), (unsigned)fl_mono_us(), (unsigned)getpid());
    /* on our loop: an invoke goes from our server to its front door and
     * back on one thread */
    emu_config ec = {.listen = "127.0.0.1:0", .region = EMU_REGION_DEFAULT, .state_dir = c->state_dir,
                     .freeze_after_ms = EMU_FREEZE_AFTER_DEFAULT_MS, .auth = auth, .access_key = key,
                     .secret_key = secret, .quiet_function_logs = fl_log_level() < FL_LOG_DEBUG};
    fl_loop *loops[FL_LOOPS_MAX];
    for (unsigned i = 0; i < s->nloops; i++)
        loops[i] = s->loops[i].loop;
    ec.loops = loops;
    ec.nloops = s->nloops;
    if (emu_config_check(&ec, err) || emu_start(&ec, &s->emu, err))
        return fl_fail_wrap(err, "starting the embedded Lambda emulator");
    *endpoint = fl_xstrdup(emu_url(s->emu));
    s->region = fl_xstrdup(EMU_REGION_DEFAULT);
    s->creds = pv_creds_static(key, secret, NULL, "the embedded emulator");
    fl_info("provider: no Lambda endpoint and no AWS region given: using the embedded Lambda emulator at %s "
            "(state in %s)", *endpoint, emu_state_dir(s->emu));
    return 0;
}

/* Picks the Lambda side; fills endpoint, region, credentials. */
static int choose_lambda(pv_server *s, char **endpoint, fl_err *err)
{
    const provider_config *c = s->cfg;
    const char *region = c->region ? c->region : env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");
    if (!c->lambda_endpoint && !c->aws && !region)
        return start_emulator(s, endpoint, err);
    char *profile_region = NULL;
    if (pv_creds_for_endpoint(c->lambda_endpoint, region, &s->creds, &profile_region, err))
        return -1;
    if (!region)
        region = profile_region;
    if (!region && !c->lambda_endpoint) {
        free(profile_region);
        return fl_fail(err, "--aws needs a region: --region, AWS_REGION, or region in the AWS profile");
    }
    s->region = fl_xstrdup(region ? region : EMU_REGION_DEFAULT);
    free(profile_region);
    s->on_aws = !c->lambda_endpoint;
    *endpoint = c->lambda_endpoint ? fl_xstrdup(c->lambda_endpoint)
                                   : fl_xasprintf("https://lambda.%s.amazonaws.com", s->region);
    fl_info("provider: Lambda at %s (region %s)", *endpoint, s->region);
    return 0;
}

static int check_config(const provider_config *c, fl_err *err)
{
    if (!pv_dns_label_valid(c->function_namespace))
        return fl_fail(err, "function_namespace %s is not a DNS-1123 label", c->function_namespace);
    if (c->role && !pv_role_arn_valid(c->role))
        return fl_fail(err, "--role %s is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", c->role);
    const char *repo = c->image_repository;
    if (repo && (strstr(repo, "://") || !strchr(repo, '/') || strchr(repo, '@') ||
                 strchr(strrchr(repo, '/'), ':')))
        return fl_fail(err, "--image-repository %s: use HOST[:PORT]/REPOSITORY, without scheme or tag", repo);
    if (c->memory_mb < 128 || c->memory_mb > 10240)
        return fl_fail(err, "--memory %u: Lambda allows 128 to 10240 MB", c->memory_mb);
    if (c->timeout_s < 1 || c->timeout_s > 900)
        return fl_fail(err, "--timeout %u: Lambda allows 1 to 900 s", c->timeout_s);
    return 0;
}

static void new_curlm(void *ud)
{
    pv_loop *l = ud;
    l->curlm = fl_curlm_new(l->loop);
}

static void free_curlm(void *ud)
{
    pv_loop *l = ud;
    fl_curlm_free(l->curlm);
    l->curlm = NULL;
}

/* The loops (each with a multi handle for its invokes) and the pools. */
static int start_loops(pv_server *s, fl_err *err)
{
    s->pool = fl_pool_new(PV_POOL_THREADS);
    s->streams = fl_pool_new(PV_STREAM_THREADS);
    s->nloops = fl_loop_count();
    for (unsigned i = 0; i < s->nloops; i++) {
        pv_loop *l = &s->loops[i];
        l->s = s;
        l->li = i;
        l->loop = fl_loop_new(err);
        if (!l->loop || fl_loop_start(l->loop, err))
            return -1;
        fl_loop_call(l->loop, new_curlm, l);
    }
    return 0;
}

static void stop_loops(pv_server *s)
{
    for (unsigned i = 0; i < s->nloops; i++) {
        pv_loop *l = &s->loops[i];
        if (l->curlm)
            fl_loop_call(l->loop, free_curlm, l);
        fl_loop_free(l->loop);
        if (l->own_api)
            pv_aws_endpoint_free(&l->api);
    }
    pv_pool_free(&s->lambda.loop_pool); /* its handles were the multis' */
}

static int setup(pv_server *s, fl_err *err)
{
    const provider_config *c = s->cfg;
    if (check_config(c, err) || start_loops(s, err))
        return -1;
    if (c->basic_auth && (read_secret(c->secret_mount_path, "basic-auth-user", &s->auth_user, err) ||
                          read_secret(c->secret_mount_path, "basic-auth-password", &s->auth_password, err)))
        return -1;
    char *endpoint = NULL;
    if (choose_lambda(s, &endpoint, err))
        return -1;
    pv_lambda *l = &s->lambda;
    pv_aws_endpoint_init(&l->api, endpoint, s->region, "lambda", s->creds);
    for (unsigned i = 0; i < s->nloops; i++) { /* each loop's invokes: the emulator's door on that loop */
        pv_loop *pl = &s->loops[i];
        pv_aws_endpoint_init(&pl->api, s->emu ? emu_loop_url(s->emu, i) : endpoint, s->region, "lambda", s->creds);
        pl->own_api = true;
    }
    char *logs = c->logs_endpoint ? fl_xstrdup(c->logs_endpoint)
                 : s->on_aws     ? fl_xasprintf("https://logs.%s.amazonaws.com", s->region)
                                 : fl_xstrdup(endpoint);
    char *ecr = c->ecr_endpoint ? fl_xstrdup(c->ecr_endpoint) : fl_xasprintf("https://api.ecr.%s.amazonaws.com", s->region);
    pv_aws_endpoint_init(&l->logs, logs, s->region, "logs", s->creds);
    pv_aws_endpoint_init(&l->ecr, ecr, s->region, "ecr", s->creds);
    l->timeout_ms = CONTROL_TIMEOUT_MS;
    free(endpoint);
    free(logs);
    free(ecr);
    s->role = c->role ? fl_xstrdup(c->role) : s->on_aws ? NULL : fl_xstrdup(PV_DEFAULT_ROLE);
    if (!s->role)
        fl_warn("provider: no --role: deployments need the annotation " PV_ANN_ROLE);
    const char *tmp = env("TMPDIR");
    s->work_dir = fl_xstrdup(c->work_dir ? c->work_dir : tmp ? tmp : "/tmp");
    s->bootstrap = c->bootstrap ? fl_xstrdup(c->bootstrap) : NULL;
    return pv_fed_init(s, err);
}

static void teardown(pv_server *s)
{
    pv_server_stop(s);
    fl_pool_free(s->pool); /* (when the server never started) */
    fl_pool_free(s->streams); /* the log streams see the stop and end */
    pv_fed_free(&s->fed);
    if (s->emu)
        emu_stop(s->emu);
    stop_loops(s);
    pv_aws_endpoint_free(&s->lambda.api);
    pv_aws_endpoint_free(&s->lambda.logs);
    pv_aws_endpoint_free(&s->lambda.ecr);
    pv_pool_free(&s->lambda.pool);
    pv_creds_free(s->creds);
    pv_metrics_free(&s->metrics);
    pv_counters_free(&s->calls);
    pv_locks_free(&s->locks);
    pthread_mutex_destroy(&s->ecr_mu);
    pthread_mutex_destroy(&s->parked_mu);
    if (s->auth_password)
        memset(s->auth_password, 0, strlen(s->auth_password));
    free(s->auth_user);
    free(s->auth_password);
    free(s->ecr_userpass);
    free(s->region);
    free(s->role);
    free(s->work_dir);
    free(s->bootstrap);
}

int provider_serve(const provider_config *c, fl_err *err)
{
    sigset_t stop; /* taken by sigwait below */
    fl_signals_take_stop(&stop);
    srand((unsigned)(fl_mono_us() ^ (uint64_t)getpid()));

    pv_server s;
    memset(&s, 0, sizeof s);
    s.cfg = c;
    pv_metrics_init(&s.metrics);
    pv_counters_init(&s.calls);
    pv_locks_init(&s.locks);
    pv_pool_init(&s.lambda.pool);
    pv_pool_init(&s.lambda.loop_pool);
    pthread_mutex_init(&s.ecr_mu, NULL);
    pthread_mutex_init(&s.parked_mu, NULL);
    if (setup(&s, err) || pv_server_start(&s, err)) {
        teardown(&s);
        return -1;
    }
    fl_info("provider: faas-provider API on http://%s%s%s:%u (namespace %s%s%s)", strchr(c->listen, ':') ? "[" : "",
            c->listen, strchr(c->listen, ':') ? "]" : "", c->port, c->function_namespace,
            c->basic_auth ? ", basic auth" : "", pv_fed_enabled(&s.fed) ? ", federated" : "");
    int sig = 0;
    sigwait(&stop, &sig);
    fl_info("provider: %s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    teardown(&s);
    return 0;
}
