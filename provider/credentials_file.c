/* The shared credentials and config files (~/.aws/credentials,
 * ~/.aws/config): INI sections of "key = value" lines. The credentials file
 * names a profile [NAME]; the config file [profile NAME], or [default].
 * Lines starting with '#' or ';' are comments; indented lines belong to a
 * nested block (s3 = ...) and are skipped. */
#include <stdlib.h>
#include <string.h>

#include "provider/aws.h"
#include "provider/internal.h"

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

/* Whether the header [h] names the profile in this kind of file. */
static bool section_is(const char *h, const char *profile, bool config_file)
{
    if (!config_file)
        return !strcmp(h, profile);
    if (!strcmp(profile, "default") && !strcmp(h, "default"))
        return true;
    if (strncmp(h, "profile", 7) || (h[7] != ' ' && h[7] != '\t'))
        return false;
    const char *n = h + 8;
    while (*n == ' ' || *n == '\t')
        n++;
    return !strcmp(n, profile);
}

/* The key/value pairs of the profile's section(s) of one file. */
static int read_section(const char *text, const char *profile, bool config_file, pv_map *out, bool *found,
                        fl_err *err)
{
    if (!text)
        return 0;
    char *copy = fl_xstrdup(text), *save = NULL;
    bool in = false;
    unsigned lineno = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (line[0] == ' ' || line[0] == '\t')
            continue; /* nested block or continuation */
        char *l = trim(line);
        if (!*l || *l == '#' || *l == ';')
            continue;
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (!end) {
                free(copy);
                return fl_fail(err, "malformed section header on line %u of the %s file", lineno,
                               config_file ? "config" : "credentials");
            }
            *end = 0;
            in = section_is(trim(l + 1), profile, config_file);
            *found |= in;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!in || !eq)
            continue;
        *eq = 0;
        pv_map_set(out, trim(l), trim(eq + 1));
    }
    free(copy);
    return 0;
}

static char *take(const pv_map *m, const char *k)
{
    const char *v = pv_map_get(m, k);
    return v && *v ? fl_xstrdup(v) : NULL;
}

int pv_profile_resolve(const char *credentials, const char *config, const char *profile, pv_profile *out,
                       fl_err *err)
{
    memset(out, 0, sizeof *out);
    pv_map cred = {0}, conf = {0};
    bool fc = false, fo = false;
    if (read_section(credentials, profile, false, &cred, &fc, err) ||
        read_section(config, profile, true, &conf, &fo, err)) {
        pv_map_free(&cred);
        pv_map_free(&conf);
        return -1;
    }
    out->found = fc || fo;
    const pv_map *src = pv_map_get(&cred, "aws_access_key_id") ? &cred : &conf;
    out->cred.akid = take(src, "aws_access_key_id");
    out->cred.secret = take(src, "aws_secret_access_key");
    out->cred.token = take(src, "aws_session_token");
    out->region = take(&conf, "region");
    out->role_arn = take(&conf, "role_arn");
    out->web_identity_token_file = take(&conf, "web_identity_token_file");
    out->role_session_name = take(&conf, "role_session_name");
    static const char *const unsupported[] = {"credential_process", "sso_session", "sso_start_url", "source_profile",
                                              "credential_source"};
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported && !out->cred.akid; i++)
        if (pv_map_get(&conf, unsupported[i]) || pv_map_get(&cred, unsupported[i]))
            out->unsupported = fl_xstrdup(unsupported[i]);
    int rc = 0;
    if (out->cred.akid && !out->cred.secret)
        rc = fl_fail(err, "profile %s has aws_access_key_id but no aws_secret_access_key", profile);
    pv_map_free(&cred);
    pv_map_free(&conf);
    if (rc)
        pv_profile_free(out);
    return rc;
}

void pv_profile_free(pv_profile *p)
{
    pv_cred_clear(&p->cred);
    free(p->region);
    free(p->role_arn);
    free(p->web_identity_token_file);
    free(p->role_session_name);
    free(p->unsupported);
    memset(p, 0, sizeof *p);
}
