/* The members of CreateFunction and UpdateFunctionConfiguration, checked
 * as the service model and Lambda check them, applied to a record. Members
 * that only mean something on AWS (VpcConfig, KMSKeyArn, TracingConfig,
 * DeadLetterConfig, FileSystemConfigs, SnapStart, CodeSigningConfigArn)
 * are accepted and ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

#define FUNCTION_NAME_PATTERN                                                                                          \
    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:("      \
    "\\$LATEST|[a-zA-Z0-9-_]+))?"
#define ROLE_PATTERN "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"
#define LAYER_ARN_PATTERN "arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+"

/* The runtimes of the model's enum (and newer ones); only the OS-only
 * custom runtimes run here. */
static const char *const custom_runtimes[] = {"provided", "provided.al2", "provided.al2023"};
static const char *const other_runtimes[] = {
    "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x",
    "nodejs18.x", "nodejs20.x", "nodejs22.x", "java8", "java8.al2", "java11", "java17", "java21", "python2.7",
    "python3.6", "python3.7", "python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
    "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "nodejs4.3-edge",
    "go1.x", "ruby2.5", "ruby2.7", "ruby3.2", "ruby3.3",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, list[i]))
            return true;
    return false;
}

void emu_verr_bad_name(emu_verr *v, const char *value, const char *member)
{
    emu_verr_add(v, value, member, "Member must satisfy regular expression pattern: %s", FUNCTION_NAME_PATTERN);
}

/* A member's value, or NULL (absent or null); a type error is recorded. */
static const cJSON *member(const cJSON *body, const char *key, const char *path, int type, emu_verr *v)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!m || cJSON_IsNull(m))
        return NULL;
    if ((m->type & 0xff) & type)
        return m;
    const char *want = type == cJSON_Object   ? "a structure"
                       : type == cJSON_Array  ? "a list"
                       : type == cJSON_String ? "a string"
                       : type == cJSON_Number ? "an integer"
                                              : "another type";
    char *printed = cJSON_PrintUnformatted(m);
    emu_verr_add(v, printed, path, "Member must be %s", want);
    free(printed);
    return NULL;
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = fl_xstrdup(s);
}

static bool integer(const cJSON *m, long lo, long hi, const char *path, emu_verr *v, unsigned *out)
{
    if (!m)
        return false;
    double d = m->valuedouble;
    char val[32];
    snprintf(val, sizeof val, "%.0f", d);
    if (d != (double)(long)d) {
        emu_verr_add(v, val, path, "Member must be an integer");
        return false;
    }
    if (d < (double)lo) {
        emu_verr_add(v, val, path, "Member must have value greater than or equal to %ld", lo);
        return false;
    }
    if (d > (double)hi) {
        emu_verr_add(v, val, path, "Member must have value less than or equal to %ld", hi);
        return false;
    }
    *out = (unsigned)d;
    return true;
}

static void input_runtime(const cJSON *b, emu_fn_record *r, emu_verr *v)
{
    const cJSON *m = member(b, "Runtime", "runtime", cJSON_String, v);
    if (!m)
        return;
    const char *s = m->valuestring;
    if (in_list(s, custom_runtimes, 3)) {
        set_str(&r->runtime, s);
    } else if (in_list(s, other_runtimes, sizeof other_runtimes / sizeof other_runtimes[0])) {
        emu_verr_set(v, "InvalidParameterValueException",
                     "The runtime parameter of %s is not supported by faas-lambda emulate, which runs custom "
                     "runtimes only: use provided.al2023 or provided.al2 with a bootstrap in the package",
                     s);
    } else {
        emu_verr_add(v, s, "runtime", "Member must satisfy enum value set: [provided, provided.al2, "
                                      "provided.al2023, nodejs20.x, python3.12, java21, ...]");
    }
}

static void input_strings(const cJSON *b, emu_fn_record *r, emu_verr *v)
{
    const cJSON *m;
    if ((m = member(b, "Role", "role", cJSON_String, v))) {
        if (emu_role_arn_valid(m->valuestring))
            set_str(&r->role, m->valuestring);
        else
            emu_verr_add(v, m->valuestring, "role", "Member must satisfy regular expression pattern: %s", ROLE_PATTERN);
    }
    if ((m = member(b, "Handler", "handler", cJSON_String, v))) {
        if (strlen(m->valuestring) > 128)
            emu_verr_add(v, m->valuestring, "handler", "Member must have length less than or equal to 128");
        else if (!emu_handler_valid(m->valuestring))
            emu_verr_add(v, m->valuestring, "handler", "Member must satisfy regular expression pattern: [^\\s]+");
        else
            set_str(&r->handler, m->valuestring);
    }
    if ((m = member(b, "Description", "description", cJSON_String, v))) {
        if (strlen(m->valuestring) > 256)
            emu_verr_add(v, m->valuestring, "description", "Member must have length less than or equal to 256");
        else
            set_str(&r->description, m->valuestring);
    }
}

static void input_numbers(const cJSON *b, emu_fn_record *r, emu_verr *v)
{
    integer(member(b, "Timeout", "timeout", cJSON_Number, v), 1, EMU_TIMEOUT_MAX, "timeout", v, &r->timeout_s);
    integer(member(b, "MemorySize", "memorySize", cJSON_Number, v), EMU_MEMORY_MIN, EMU_MEMORY_MAX, "memorySize", v,
            &r->memory_mb);
    const cJSON *eph = member(b, "EphemeralStorage", "ephemeralStorage", cJSON_Object, v);
    if (eph) {
        const cJSON *size = member(eph, "Size", "ephemeralStorage.size", cJSON_Number, v);
        if (!size && !cJSON_HasObjectItem(eph, "Size"))
            emu_verr_add(v, NULL, "ephemeralStorage.size", "Member must not be null");
        integer(size, EMU_EPHEMERAL_DEFAULT, EMU_EPHEMERAL_MAX, "ephemeralStorage.size", v, &r->ephemeral_mb);
    }
}

/* Lambda measures the variables as the JSON object they make. */
static void input_environment(const cJSON *b, emu_fn_record *r, emu_verr *v)
{
    const cJSON *env = member(b, "Environment", "environment", cJSON_Object, v);
    if (!env)
        return;
    const cJSON *vars = member(env, "Variables", "environment.variables", cJSON_Object, v);
    emu_strv kv = {0};
    fl_buf reserved = {0};
    const cJSON *it;
    cJSON_ArrayForEach(it, vars) {
        if (!cJSON_IsString(it)) {
            emu_verr_add(v, it->string, "environment.variables", "Map values must be strings");
            continue;
        }
        if (emu_env_reserved(it->string, strlen(it->string)))
            fl_buf_printf(&reserved, "%s%s", reserved.len ? ", " : "", it->string);
        else if (!emu_env_key_valid(it->string))
            emu_verr_add(v, it->string, "environment.variables", "Map keys must satisfy constraint: [Member must "
                         "satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
        emu_kvs_set(&kv, it->string, it->valuestring);
    }
    if (reserved.len)
        emu_verr_set(v, "InvalidParameterValueException",
                     "Lambda was unable to configure your environment variables because the environment variables "
                     "you have provided contains reserved keys that are currently not supported for modification. "
                     "Reserved keys used in this request: %s", reserved.data);
    fl_buf_free(&reserved);
    char *measured = cJSON_PrintUnformatted(vars ? vars : env);
    if (vars && strlen(measured) > EMU_ENV_MAX_BYTES)
        emu_verr_set(v, "InvalidParameterValueException",
                     "Lambda was unable to configure your environment variables because the environment variables "
                     "you have provided exceeded the 4KB limit. String measured: %.1200s", measured);
    free(measured);
    emu_strv_free(&r->env);
    r->env = kv;
}

static void tags_input(const cJSON *tags, emu_strv *out, emu_verr *v)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, tags) {
        if (!cJSON_IsString(it)) {
            emu_verr_add(v, it->string, "tags", "Map values must be strings");
            continue;
        }
        size_t kl = strlen(it->string);
        if (kl == 0 || kl > 128 || strlen(it->valuestring) > 256 || fl_str_has_prefix(it->string, "aws:"))
            emu_verr_set(v, "InvalidParameterValueException",
                         "Tag keys must be 1 to 128 characters not starting with aws:, tag values at most 256 "
                         "characters ('%.128s')", it->string);
        emu_kvs_set(out, it->string, it->valuestring);
    }
    if (out->n / 2 > 50)
        emu_verr_set(v, "InvalidParameterValueException", "A function can have at most 50 tags");
}

void emu_input_tags(const cJSON *b, emu_strv *tags, emu_verr *v)
{
    const cJSON *m = member(b, "Tags", "tags", cJSON_Object, v);
    if (m)
        tags_input(m, tags, v);
}

/* Layers: version ARNs of this region and account that exist; their code
 * goes into the record. e->mu held. */
static void input_layers(emu *e, const cJSON *b, emu_fn_record *r, emu_verr *v)
{
    const cJSON *m = member(b, "Layers", "layers", cJSON_Array, v);
    if (!m)
        return;
    int n = cJSON_GetArraySize(m);
    if (n > EMU_LAYERS_MAX) {
        emu_verr_set(v, "InvalidParameterValueException", "Cannot reference more than %d layers.", EMU_LAYERS_MAX);
        return;
    }
    emu_fn_layer *layers = fl_xcalloc(n ? (size_t)n : 1, sizeof *layers);
    size_t k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, m) {
        char name[160], region[64];
        unsigned long version;
        const char *arn = cJSON_GetStringValue(it);
        if (!arn || emu_parse_layer_arn(arn, name, sizeof name, region, sizeof region, &version) || !version) {
            emu_verr_add(v, arn, "layers", "Member must satisfy constraint: [Member must satisfy regular expression "
                         "pattern: %s]", LAYER_ARN_PATTERN);
            continue;
        }
        const emu_layer_version *lv = emu_layer_find(emu_find_layer(e, name), (unsigned)version);
        if (!lv || strcmp(region, e->region) || !strstr(arn, ":" EMU_ACCOUNT ":")) {
            emu_verr_set(v, "InvalidParameterValueException", "Layer version %s does not exist.", arn);
            continue;
        }
        for (size_t j = 0; j < k; j++)
            if (!strncmp(layers[j].arn, arn, strlen(arn) - strlen(strrchr(arn, ':'))))
                emu_verr_set(v, "InvalidParameterValueException",
                             "Two different versions of the same layer are not allowed.");
        layers[k].arn = fl_xstrdup(arn);
        snprintf(layers[k].hex, sizeof layers[k].hex, "%s", lv->code.hex);
        layers[k].size = lv->code.size;
        layers[k].unzipped = lv->code.unzipped;
        k++;
    }
    for (size_t i = 0; i < r->nlayers; i++)
        free(r->layers[i].arn);
    free(r->layers);
    r->layers = layers;
    r->nlayers = k;
}

static void input_strlist(const cJSON *m, const char *path, size_t max, emu_strv *out, emu_verr *v)
{
    emu_strv_free(out);
    if (cJSON_GetArraySize(m) > (int)max) {
        emu_verr_add(v, NULL, path, "Member must have length less than or equal to %zu", max);
        return;
    }
    if (emu_strv_from_json(m, out))
        emu_verr_add(v, NULL, path, "Member must be a list of strings");
}

static void input_image_config(const cJSON *b, emu_fn_record *r, emu_verr *v)
{
    const cJSON *ic = member(b, "ImageConfig", "imageConfig", cJSON_Object, v);
    if (!ic)
        return;
    r->img_set = true;
    const cJSON *m;
    r->img_entrypoint_set = (m = member(ic, "EntryPoint", "imageConfig.entryPoint", cJSON_Array, v)) != NULL;
    if (m)
        input_strlist(m, "imageConfig.entryPoint", 1500, &r->img_entrypoint, v);
    else
        emu_strv_free(&r->img_entrypoint);
    r->img_command_set = (m = member(ic, "Command", "imageConfig.command", cJSON_Array, v)) != NULL;
    if (m)
        input_strlist(m, "imageConfig.command", 1500, &r->img_command, v);
    else
        emu_strv_free(&r->img_command);
    free(r->img_workdir);
    r->img_workdir = NULL;
    if ((m = member(ic, "WorkingDirectory", "imageConfig.workingDirectory", cJSON_String, v))) {
        if (strlen(m->valuestring) > 1000)
            emu_verr_add(v, m->valuestring, "imageConfig.workingDirectory",
                         "Member must have length less than or equal to 1000");
        else
            r->img_workdir = fl_xstrdup(m->valuestring);
    }
}

void emu_input_architectures(const cJSON *b, emu_fn_record *r, emu_verr *v)
{
    const cJSON *m = member(b, "Architectures", "architectures", cJSON_Array, v);
    if (!m)
        return;
    int n = cJSON_GetArraySize(m);
    const char *a = cJSON_GetStringValue(cJSON_GetArrayItem(m, 0));
    if (n != 1)
        emu_verr_add(v, NULL, "architectures", "Member must have length %s 1", n < 1 ? "greater than or equal to"
                                                                                     : "less than or equal to");
    else if (!a || (strcmp(a, "x86_64") && strcmp(a, "arm64")))
        emu_verr_add(v, a, "architectures", "Member must satisfy constraint: [Member must satisfy enum value set: "
                                            "[x86_64, arm64]]");
    else
        set_str(&r->arch, a);
}

void emu_input_config(emu *e, const cJSON *b, emu_fn_record *r, emu_verr *v)
{
    input_runtime(b, r, v);
    input_strings(b, r, v);
    input_numbers(b, r, v);
    input_environment(b, r, v);
    input_image_config(b, r, v);
    pthread_mutex_lock(&e->mu);
    input_layers(e, b, r, v);
    pthread_mutex_unlock(&e->mu);
    uint64_t unzipped = r->unzipped;
    for (size_t i = 0; i < r->nlayers; i++)
        unzipped += r->layers[i].unzipped;
    if (unzipped > EMU_UNZIPPED_MAX)
        emu_verr_set(v, "InvalidParameterValueException",
                     "Function code combined with layers exceeds the maximum allowed size of %u bytes. The actual "
                     "size is %llu bytes.", EMU_UNZIPPED_MAX, (unsigned long long)unzipped);
}
