/* Validation in the service model's terms: each failed constraint becomes
 * "Value 'x' at 'member' failed to satisfy constraint: Member must ...",
 * and they are reported together as AWS does ("2 validation errors
 * detected: ...; ..."). Plus the model's patterns that the emulator checks,
 * written out by hand (no regex engine on hostile input). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"

void emu_verr_add(emu_verr *v, const char *value, const char *member, const char *fmt, ...)
{
    if (v->n)
        fl_buf_puts(&v->list, "; ");
    v->n++;
    if (value)
        fl_buf_printf(&v->list, "Value '%.256s' at '%s' failed to satisfy constraint: ", value, member);
    else
        fl_buf_printf(&v->list, "Value null at '%s' failed to satisfy constraint: ", member);
    va_list ap;
    va_start(ap, fmt);
    char c[1024];
    vsnprintf(c, sizeof c, fmt, ap);
    va_end(ap);
    fl_buf_puts(&v->list, c);
}

void emu_verr_message(const emu_verr *v, fl_buf *out)
{
    if (v->custom.len) {
        fl_buf_append(out, v->custom.data, v->custom.len);
        return;
    }
    fl_buf_printf(out, "%u validation error%s detected: %s", v->n, v->n == 1 ? "" : "s",
                  v->list.data ? v->list.data : "");
}

void emu_verr_set(emu_verr *v, const char *type, const char *fmt, ...)
{
    if (v->custom.len)
        return; /* the first semantic error is the one reported */
    v->type = type;
    v->n++;
    va_list ap;
    va_start(ap, fmt);
    char c[2048];
    vsnprintf(c, sizeof c, fmt, ap);
    va_end(ap);
    fl_buf_puts(&v->custom, c);
}

void emu_verr_free(emu_verr *v)
{
    fl_buf_free(&v->list);
    fl_buf_free(&v->custom);
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool all_of(const char *s, size_t n, const char *extra)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && !strchr(extra, s[i]))
            return false;
    return true;
}

static bool digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* "arn:" PARTITION ":" — partition "aws" followed by [a-zA-Z-]*, or empty
 * when empty_ok. Returns what follows, or NULL. */
static const char *arn_partition(const char *s, bool any_alnum)
{
    if (strncmp(s, "arn:", 4))
        return NULL;
    s += 4;
    const char *colon = strchr(s, ':');
    if (!colon)
        return NULL;
    size_t n = (size_t)(colon - s);
    if (any_alnum ? !all_of(s, n, "-") : (n && (n < 3 || strncmp(s, "aws", 3) || (n > 3 && !all_of(s + 3, n - 3, "-")))))
        return NULL;
    return colon + 1;
}

bool emu_role_arn_valid(const char *s)
{
    /* arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+ */
    const char *p = arn_partition(s, false);
    if (!p || strncmp(p, "iam::", 5))
        return false;
    p += 5;
    if (!digits(p, 12) || p[12] != ':')
        return false;
    p += 13;
    if (strncmp(p, "role", 4))
        return false;
    p += 4;
    return all_of(p, strlen(p), "_+=,.@-/");
}

bool emu_handler_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return false;
    for (; *s; s++)
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
            return false;
    return true;
}

bool emu_layer_name_valid(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 140 && all_of(s, n, "-_");
}

/* arn:P:lambda:REGION:ACCOUNT:layer:NAME[:VERSION]; fills name and version
 * (0 when absent). */
int emu_parse_layer_arn(const char *s, char *name, size_t name_n, char *region, size_t region_n,
                        unsigned long *version)
{
    if (strlen(s) > 140)
        return -1;
    const char *p = arn_partition(s, true);
    if (!p || strncmp(p, "lambda:", 7))
        return -1;
    p += 7;
    const char *colon = strchr(p, ':');
    if (!colon || !all_of(p, (size_t)(colon - p), "-") || (size_t)(colon - p) >= region_n)
        return -1;
    memcpy(region, p, (size_t)(colon - p));
    region[colon - p] = 0;
    p = colon + 1;
    if (!digits(p, 12) || strncmp(p + 12, ":layer:", 7))
        return -1;
    p += 19;
    colon = strchr(p, ':');
    size_t nl = colon ? (size_t)(colon - p) : strlen(p);
    if (!all_of(p, nl, "-_") || nl >= name_n)
        return -1;
    memcpy(name, p, nl);
    name[nl] = 0;
    *version = 0;
    if (colon) {
        uint64_t v;
        if (fl_parse_u64(colon + 1, 0xffffffffu, &v) || v == 0)
            return -1;
        *version = (unsigned long)v;
    }
    return 0;
}

bool emu_env_key_valid(const char *k)
{
    size_t n = strlen(k);
    if (n < 2 || !((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z')))
        return false;
    return all_of(k + 1, n - 1, "_");
}
