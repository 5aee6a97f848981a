/* A FunctionDeployment checked and turned into what Lambda is asked for:
 * the function name (names.c), memory (limits.memory, quantity.c), the
 * com.openfaas.lambda.* annotations, the environment (Lambda's 4 KB,
 * measured as the JSON object of the variables, as Lambda measures it) and
 * the tags (tags.c). Secrets are refused: Lambda has nowhere to mount them,
 * and dropping them silently would deploy a function that cannot work. */
#include <stdlib.h>
#include <string.h>

#include "provider/internal.h"

bool pv_role_arn_valid(const char *s)
{
    /* arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+ (the model's pattern) */
    if (strncmp(s, "arn:aws", 7))
        return false;
    const char *p = s + 7;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-')
        p++;
    if (strncmp(p, ":iam::", 6))
        return false;
    p += 6;
    for (int i = 0; i < 12; i++, p++)
        if (*p < '0' || *p > '9')
            return false;
    if (strncmp(p, ":role/", 6))
        return false;
    p += 6;
    if (!*p || strlen(s) > 2048)
        return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("+=,.@-_/", *p)))
            return false;
    return true;
}

bool pv_layer_arn_valid(const char *s)
{
    /* arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION */
    char **parts = NULL;
    size_t n = 0;
    char *copy = fl_xstrdup(s), *save = NULL;
    for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
        parts = fl_xrealloc(parts, (n + 1) * sizeof *parts);
        parts[n++] = t;
    }
    bool ok = n == 8 && !strcmp(parts[0], "arn") && fl_str_has_prefix(parts[1], "aws") &&
              !strcmp(parts[2], "lambda") && !strcmp(parts[5], "layer") && strlen(s) <= 140;
    uint64_t v;
    ok = ok && fl_parse_u64(parts[7], UINT32_MAX, &v) == 0 && v > 0;
    free(parts);
    free(copy);
    return ok;
}

bool pv_env_name_valid(const char *s)
{
    /* [a-zA-Z]([a-zA-Z0-9_])+ */
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) || !s[1])
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static int plan_source(const char *image, pv_plan *p, fl_err *err)
{
    if (!image || !*image)
        return fl_fail(err, "image is required");
    if (fl_str_has_prefix(image, "docker://"))
        image += 9;
    if (strstr(image, "://") || fl_str_has_prefix(image, "oci:") || fl_str_has_prefix(image, "docker-archive:") ||
        strlen(image) > 1024)
        return fl_fail(err, "image \"%.200s\" is not a registry reference (REGISTRY/REPO:TAG or REPO@sha256:...)",
                       image);
    p->source = fl_xasprintf("docker://%s", image);
    return 0;
}

static int plan_memory(const pv_deployment *d, const pv_plan_defaults *def, pv_plan *p, fl_err *err)
{
    const char *q = d->limits.memory && *d->limits.memory     ? d->limits.memory
                    : d->requests.memory && *d->requests.memory ? d->requests.memory
                                                                 : NULL;
    p->memory_mb = def->memory_mb;
    if (q && pv_memory_mb(q, &p->memory_mb, &p->memory_raised, err))
        return fl_fail_wrap(err, "limits.memory");
    return 0;
}

static int plan_annotations(const pv_deployment *d, const pv_plan_defaults *def, pv_plan *p, fl_err *err)
{
    const pv_map *a = &d->annotations;
    const char *v;
    p->timeout_s = def->timeout_s;
    if ((v = pv_map_get(a, PV_ANN_TIMEOUT))) {
        uint64_t ms;
        if (pv_duration_ms(v, &ms, err) || ms < 1000 || ms > PV_TIMEOUT_MAX * 1000ull || ms % 1000)
            return fl_fail(err, PV_ANN_TIMEOUT " \"%.40s\": use whole seconds from 1 to 900 (\"30\", \"90s\", "
                                "\"15m\")", v);
        p->timeout_s = (unsigned)(ms / 1000);
    }
    if ((v = pv_map_get(a, PV_ANN_ARCH))) {
        if (!strcmp(v, "x86_64") || !strcmp(v, "amd64"))
            p->arch = fl_xstrdup("x86_64");
        else if (!strcmp(v, "arm64") || !strcmp(v, "aarch64"))
            p->arch = fl_xstrdup("arm64");
        else
            return fl_fail(err, PV_ANN_ARCH " \"%.40s\": use x86_64 or arm64", v);
    }
    if ((v = pv_map_get(a, PV_ANN_PACKAGE))) {
        if (!strcmp(v, "zip"))
            p->package = PV_PKG_ZIP;
        else if (!strcmp(v, "image"))
            p->package = PV_PKG_IMAGE;
        else
            return fl_fail(err, PV_ANN_PACKAGE " \"%.40s\": use zip or image", v);
    }
    if (p->package == PV_PKG_IMAGE && !def->have_image_repository)
        return fl_fail(err, PV_ANN_PACKAGE " is image, but the provider has no image repository to push to "
                            "(start it with --image-repository)");
    v = pv_map_get(a, PV_ANN_ROLE);
    if (v && !pv_role_arn_valid(v))
        return fl_fail(err, PV_ANN_ROLE " \"%.200s\" is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", v);
    if (!v && !def->role)
        return fl_fail(err, "no execution role for the function: start the provider with --role ARN or set the "
                            "annotation " PV_ANN_ROLE);
    p->role = fl_xstrdup(v ? v : def->role);
    if ((v = pv_map_get(a, PV_ANN_LAYERS)) && *v) {
        char *copy = fl_xstrdup(v), *save = NULL;
        size_t n = 0;
        p->layers = fl_xcalloc(PV_LAYERS_MAX + 1, sizeof *p->layers);
        int rc = 0;
        for (char *t = strtok_r(copy, ", ", &save); t && !rc; t = strtok_r(NULL, ", ", &save)) {
            if (n == PV_LAYERS_MAX)
                rc = fl_fail(err, PV_ANN_LAYERS ": Lambda takes at most %u layers", PV_LAYERS_MAX);
            else if (!pv_layer_arn_valid(t))
                rc = fl_fail(err, PV_ANN_LAYERS ": \"%.200s\" is not a layer version ARN "
                                  "(arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)", t);
            else
                p->layers[n++] = fl_xstrdup(t);
        }
        free(copy);
        if (rc)
            return -1;
        if (n && p->package == PV_PKG_IMAGE)
            return fl_fail(err, PV_ANN_LAYERS " cannot be used with " PV_ANN_PACKAGE "=image: Lambda gives "
                                "container image functions no layers");
    }
    return 0;
}

static int plan_env(const pv_deployment *d, pv_plan *p, fl_err *err)
{
    p->env = cJSON_CreateObject();
    for (size_t i = 0; i < d->env_vars.n; i++) {
        if (!pv_env_name_valid(d->env_vars.k[i]))
            return fl_fail(err, "envVars: \"%.100s\" is not a name Lambda accepts: 2 or more of letters, digits and "
                                "'_', starting with a letter", d->env_vars.k[i]);
        cJSON_AddStringToObject(p->env, d->env_vars.k[i], d->env_vars.v[i]);
    }
    char *measured = cJSON_PrintUnformatted(p->env);
    size_t n = strlen(measured);
    free(measured);
    if (n > PV_ENV_MAX)
        return fl_fail(err, "envVars take %zu bytes as Lambda measures them (as one JSON object), over Lambda's "
                            "limit of 4 KB (4096 bytes)", n);
    return 0;
}

int pv_plan_make(const pv_deployment *d, const pv_plan_defaults *def, pv_plan *p, fl_err *err)
{
    memset(p, 0, sizeof *p);
    const char *ns = d->namespace && *d->namespace ? d->namespace : def->ns;
    int rc = -1;
    if (!d->service || !*d->service) {
        fl_fail(err, "service (the function's name) is required");
        goto out;
    }
    if (pv_strv_len(d->secrets)) {
        fl_fail(err, "secrets are not supported by faas-lambda: Lambda has no secret mounts "
                     "(/var/openfaas/secrets). Remove \"secrets\" from the deployment and read the secret at run "
                     "time (AWS Secrets Manager, SSM Parameter Store) or pass it in envVars");
        goto out;
    }
    if (pv_lambda_name(d->service, ns, p->lname, err))
        goto out;
    strcpy(p->name, d->service);
    strcpy(p->ns, ns);
    if (plan_source(d->image, p, err) || plan_memory(d, def, p, err) || plan_annotations(d, def, p, err) ||
        plan_env(d, p, err))
        goto out;
    pv_deployment tagged;
    pv_deployment_copy(&tagged, d);
    free(tagged.namespace);
    tagged.namespace = fl_xstrdup(ns);
    rc = pv_tags_encode(&tagged, &p->tags, err);
    pv_deployment_free(&tagged);
out:
    if (rc)
        pv_plan_free(p);
    return rc;
}

void pv_plan_free(pv_plan *p)
{
    free(p->source);
    free(p->arch);
    free(p->role);
    pv_strv_free(p->layers);
    cJSON_Delete(p->env);
    pv_map_free(&p->tags);
    memset(p, 0, sizeof *p);
}
