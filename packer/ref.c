/* Image references: oci:DIR[:REF], docker-archive:FILE[:NAME], and
 * docker://NAME[:TAG|@DIGEST] with docker's rules for names (a first path
 * component is a registry host only when it has a '.' or a ':', is
 * "localhost", or has upper case; otherwise the image is on Docker Hub, and a
 * one-component Hub name lives under library/). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define NAME_MAX_LEN 255

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | [-]+ */
static bool path_component_valid(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    while (i < n) {
        if (is_lower_alnum(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        if (s[i] == '.')
            j = i + 1;
        else if (s[i] == '_')
            j = (i + 1 < n && s[i + 1] == '_') ? i + 2 : i + 1;
        else if (s[i] == '-')
            while (j < n && s[j] == '-')
                j++;
        else
            return false;
        if (j >= n || !is_lower_alnum(s[j]))
            return false;
        i = j;
    }
    return true;
}

static bool repo_valid(const char *s)
{
    const char *p = s;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (!path_component_valid(p, n))
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

/* host[:port]; host is domain components, or [IPv6]. */
static bool domain_valid(const char *s)
{
    const char *port = NULL;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close == s + 1)
            return false;
        for (const char *p = s + 1; p < close; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':')
                return false;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1])
            return false;
    } else {
        const char *colon = strchr(s, ':');
        size_t hlen = colon ? (size_t)(colon - s) : strlen(s);
        if (hlen == 0)
            return false;
        size_t comp = 0;
        for (size_t i = 0; i <= hlen; i++) {
            char c = i < hlen ? s[i] : '.';
            if (c == '.') {
                if (comp == 0 || s[i - 1] == '-' || s[i - comp] == '-')
                    return false;
                comp = 0;
            } else if (isalnum((unsigned char)c) || c == '-') {
                comp++;
            } else {
                return false;
            }
        }
        if (colon)
            port = colon + 1;
    }
    if (port) {
        uint64_t v;
        if (fl_parse_u64(port, 65535, &v) != 0 || v == 0)
            return false;
    }
    return true;
}

bool pk_tag_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        bool word = isalnum((unsigned char)c) || c == '_';
        if (!(word || (i > 0 && (c == '.' || c == '-'))))
            return false;
    }
    return true;
}

void pk_ref_free(pk_ref *r)
{
    free(r->path);
    free(r->name);
    free(r->domain);
    free(r->repo);
    free(r->tag);
    free(r->digest);
    memset(r, 0, sizeof *r);
}

int pk_docker_ref_parse(const char *s, pk_ref *r, fl_err *err)
{
    memset(r, 0, sizeof *r);
    r->kind = PK_SRC_DOCKER;
    if (!*s)
        return fl_fail(err, "empty image name: give one like alpine:3.19 or registry.example.com/team/fn:1.0");
    char *work = fl_xstrdup(s);
    char *at = strchr(work, '@');
    if (at) {
        *at = 0;
        if (!pk_digest_valid(at + 1)) {
            fl_fail(err, "image %s: the digest must be sha256: followed by 64 lowercase hex digits", s);
            goto fail;
        }
        r->digest = fl_xstrdup(at + 1);
    }
    char *last_slash = strrchr(work, '/');
    char *colon = strrchr(last_slash ? last_slash : work, ':');
    if (colon) {
        *colon = 0;
        if (!pk_tag_valid(colon + 1)) {
            fl_fail(err, "image %s: tag \"%s\" is not valid (letters, digits, _ . -, at most 128)", s, colon + 1);
            goto fail;
        }
        r->tag = fl_xstrdup(colon + 1);
    }
    char *slash = strchr(work, '/');
    const char *remote = work;
    if (slash) {
        size_t n = (size_t)(slash - work);
        bool upper = false;
        for (size_t i = 0; i < n; i++)
            upper |= isupper((unsigned char)work[i]) != 0;
        if (memchr(work, '.', n) || memchr(work, ':', n) || (n == 9 && !memcmp(work, "localhost", 9)) || upper) {
            *slash = 0;
            if (!domain_valid(work)) {
                fl_fail(err, "image %s: \"%s\" is not a valid registry host[:port]", s, work);
                goto fail;
            }
            r->domain = fl_xstrdup(work);
            remote = slash + 1;
        }
    }
    if (!r->domain || !strcmp(r->domain, "index.docker.io") || !strcmp(r->domain, "registry-1.docker.io")) {
        free(r->domain);
        r->domain = fl_xstrdup("docker.io");
    }
    if (!repo_valid(remote)) {
        fl_fail(err,
                "image %s: repository \"%s\" is not valid (lowercase letters, digits and . _ - "
                "between them, components separated by /)",
                s, remote);
        goto fail;
    }
    if (!strcmp(r->domain, "docker.io") && !strchr(remote, '/'))
        r->repo = fl_xasprintf("library/%s", remote);
    else
        r->repo = fl_xstrdup(remote);
    if (strlen(r->domain) + 1 + strlen(r->repo) > NAME_MAX_LEN) {
        fl_fail(err, "image %s: the name is longer than %d characters", s, NAME_MAX_LEN);
        goto fail;
    }
    if (!r->tag && !r->digest)
        r->tag = fl_xstrdup("latest");
    free(work);
    return 0;
fail:
    free(work);
    pk_ref_free(r);
    return -1;
}

/* skopeo's rule: the path ends at the first ':' (so it cannot contain one). */
static void split_path(const char *s, char **path, char **name)
{
    const char *colon = strchr(s, ':');
    *path = colon ? fl_xstrndup(s, (size_t)(colon - s)) : fl_xstrdup(s);
    *name = colon && colon[1] ? fl_xstrdup(colon + 1) : NULL;
}

int pk_ref_parse(const char *s, pk_ref *r, fl_err *err)
{
    memset(r, 0, sizeof *r);
    if (fl_str_has_prefix(s, "docker://"))
        return pk_docker_ref_parse(s + 9, r, err);
    if (fl_str_has_prefix(s, "oci:")) {
        r->kind = PK_SRC_OCI;
        split_path(s + 4, &r->path, &r->name);
    } else if (fl_str_has_prefix(s, "docker-archive:")) {
        r->kind = PK_SRC_ARCHIVE;
        split_path(s + 15, &r->path, &r->name);
    } else {
        return fl_fail(err,
                       "source \"%s\" has no transport: use oci:DIR[:REF], docker-archive:FILE or "
                       "docker://NAME[:TAG] (e.g. docker://alpine:3.19)",
                       s);
    }
    if (!*r->path) {
        pk_ref_free(r);
        return fl_fail(err, "source \"%s\" names no path", s);
    }
    return 0;
}

const char *pk_ref_endpoint(const pk_ref *r)
{
    return strcmp(r->domain, "docker.io") ? r->domain : "registry-1.docker.io";
}

char *pk_ref_string(const pk_ref *r)
{
    switch (r->kind) {
    case PK_SRC_OCI:
        return r->name ? fl_xasprintf("oci:%s:%s", r->path, r->name) : fl_xasprintf("oci:%s", r->path);
    case PK_SRC_ARCHIVE:
        return r->name ? fl_xasprintf("docker-archive:%s:%s", r->path, r->name)
                       : fl_xasprintf("docker-archive:%s", r->path);
    case PK_SRC_DOCKER:
        break;
    }
    if (r->digest)
        return fl_xasprintf("%s/%s@%s", r->domain, r->repo, r->digest);
    return fl_xasprintf("%s/%s:%s", r->domain, r->repo, r->tag);
}
