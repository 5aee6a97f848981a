/* Packing a deployment's image with the packer: a zip for Lambda's direct
 * upload, or, for com.openfaas.lambda.package=image and for zips over
 * Lambda's 50 MB, a Lambda container image pushed to the image repository
 * (on AWS an ECR repository, logged in to with GetAuthorizationToken). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packer/packer.h"
#include "provider/internal.h"
#include "shim/shim.h"

#define ECR_MARGIN_MS (10 * 60 * 1000)

static bool is_ecr(const char *repo)
{
    size_t h = strcspn(repo, "/");
    char host[256];
    if (h >= sizeof host)
        return false;
    memcpy(host, repo, h);
    host[h] = 0;
    return strstr(host, ".dkr.ecr.") && (strstr(host, ".amazonaws.com") || strstr(host, ".amazonaws.com.cn"));
}

/* ECR's "AWS:password", cached until shortly before it expires. */
static int ecr_userpass(pv_server *s, char **out, fl_err *err)
{
    pthread_mutex_lock(&s->ecr_mu);
    int rc = 0;
    if (!s->ecr_userpass || s->ecr_expires_ms - ECR_MARGIN_MS < (int64_t)fl_wall_ms()) {
        free(s->ecr_userpass);
        s->ecr_userpass = NULL;
        rc = pv_ecr_login(&s->lambda, &s->ecr_userpass, &s->ecr_expires_ms, err);
    }
    *out = rc == 0 ? fl_xstrdup(s->ecr_userpass) : NULL;
    pthread_mutex_unlock(&s->ecr_mu);
    return rc;
}

/* A docker config with the configured one's entries and ECR's login. */
static int ecr_docker_config(pv_server *s, const char *repo, const char *dir, char **path, fl_err *err)
{
    char *up;
    if (ecr_userpass(s, &up, err))
        return -1;
    cJSON *root = NULL;
    if (s->cfg->docker_config) {
        fl_buf b = {0};
        if (fl_read_file(s->cfg->docker_config, 1u << 20, &b, err) == 0)
            root = cJSON_ParseWithLength(b.data, b.len);
        fl_buf_free(&b);
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        root = cJSON_CreateObject();
    }
    cJSON *auths = cJSON_GetObjectItemCaseSensitive(root, "auths");
    if (!cJSON_IsObject(auths)) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "auths");
        auths = cJSON_AddObjectToObject(root, "auths");
    }
    char *host = fl_xstrndup(repo, strcspn(repo, "/"));
    fl_buf b64 = {0};
    shim_base64_encode(up, strlen(up), &b64);
    cJSON_DeleteItemFromObjectCaseSensitive(auths, host);
    cJSON *e = cJSON_AddObjectToObject(auths, host);
    cJSON_AddStringToObject(e, "auth", fl_buf_cstr(&b64));
    fl_buf doc = {0};
    fl_json_print(&doc, root);
    *path = fl_xasprintf("%s/docker-config.json", dir);
    int rc = fl_write_file_atomic(*path, doc.data, doc.len, 0600, err);
    memset(doc.data, 0, doc.len);
    memset(b64.data, 0, b64.len);
    memset(up, 0, strlen(up));
    fl_buf_free(&doc);
    fl_buf_free(&b64);
    free(up);
    free(host);
    cJSON_Delete(root);
    return rc;
}

static void base_options(pv_server *s, const pv_deployment *d, const pv_plan *p, packer_options *o)
{
    memset(o, 0, sizeof *o);
    o->source = p->source;
    o->arch = p->arch;
    o->bootstrap = s->bootstrap;
    o->fprocess = d->env_process && *d->env_process ? d->env_process : NULL;
    o->docker_config = s->cfg->docker_config;
    o->insecure = s->cfg->insecure_registries;
    o->quiet = true;
}

static int pack_zip(pv_server *s, const pv_deployment *d, pv_plan *p, const char *dir, fl_buf *zip, char **arch,
                    bool *too_big, fl_err *err)
{
    packer_options o;
    base_options(s, d, p, &o);
    char *out = fl_xasprintf("%s/function.zip", dir);
    o.output = out;
    o.format = PACKER_ZIP;
    o.ignore_limits = p->package == PV_PKG_AUTO; /* measured here: over 50 MB becomes an image */
    packer_result res;
    memset(&res, 0, sizeof res);
    int rc = packer_pack(&o, &res, err);
    if (rc == 0) {
        *too_big = res.size > PACKER_LAMBDA_ZIP_MAX;
        *arch = fl_xstrdup(res.arch ? res.arch : "x86_64");
        if (!*too_big)
            rc = fl_read_file(out, PACKER_LAMBDA_ZIP_MAX, zip, err);
        unlink(out);
    }
    packer_result_free(&res);
    free(out);
    return rc;
}

static int pack_image(pv_server *s, const pv_deployment *d, pv_plan *p, const char *dir, char **uri, char **arch,
                      fl_err *err)
{
    const char *repo = s->cfg->image_repository;
    packer_options o;
    base_options(s, d, p, &o);
    char *cfg = NULL;
    if (s->on_aws && is_ecr(repo)) {
        if (ecr_docker_config(s, repo, dir, &cfg, err))
            return -1;
        o.docker_config = cfg;
    }
    char *out = fl_xasprintf("docker://%s:%s", repo, p->lname);
    o.output = out;
    o.format = PACKER_IMAGE;
    packer_result res;
    memset(&res, 0, sizeof res);
    int rc = packer_pack(&o, &res, err);
    if (rc == 0 && !res.pushed_digest)
        rc = fl_fail(err, "the packer pushed %s but reported no digest", out);
    if (rc == 0) {
        *uri = fl_xasprintf("%s@%s", repo, res.pushed_digest);
        *arch = fl_xstrdup(res.arch ? res.arch : "x86_64");
    }
    packer_result_free(&res);
    if (cfg) {
        unlink(cfg);
        free(cfg);
    }
    free(out);
    return rc;
}

int pv_pack(pv_server *s, const pv_deployment *d, pv_plan *p, fl_buf *zip, char **image_uri, char **arch_out,
            int *status, fl_err *err)
{
    *image_uri = *arch_out = NULL;
    *status = 400;
    char *dir = fl_xasprintf("%s/faas-lambda-deploy-XXXXXX", s->work_dir);
    if (!mkdtemp(dir)) {
        *status = 500;
        fl_fail(err, "cannot make a work directory under %s", s->work_dir);
        free(dir);
        return -1;
    }
    int rc = 0;
    bool too_big = false;
    if (p->package != PV_PKG_IMAGE) {
        rc = pack_zip(s, d, p, dir, zip, arch_out, &too_big, err);
        if (rc == 0 && too_big && !s->cfg->image_repository)
            rc = fl_fail(err, "the function's zip is over Lambda's 50 MB direct upload limit: start the provider with "
                              "--image-repository so it can deploy the function as a container image");
        if (rc == 0 && too_big) {
            fl_info("provider: %s.%s: the zip is over 50 MB, deploying a container image instead", p->name, p->ns);
            p->package = PV_PKG_IMAGE;
            free(*arch_out);
            *arch_out = NULL;
        }
    }
    if (rc == 0 && p->package == PV_PKG_IMAGE)
        rc = pack_image(s, d, p, dir, image_uri, arch_out, err);
    if (rc)
        fl_fail_wrap(err, "packing %s", p->source + strlen("docker://"));
    rmdir(dir);
    free(dir);
    return rc;
}
