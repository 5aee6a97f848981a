/* OpenFaaS names <-> Lambda function names.
 *
 * OpenFaaS addresses a function as NAME.NAMESPACE; both parts are DNS-1123
 * labels ([a-z0-9-], starting and ending alphanumeric, at most 63), as
 * faas-netes requires. Lambda allows [A-Za-z0-9_-]{1,64}. The Lambda name is
 * NAME_NAMESPACE: '_' never occurs in either part, so the split at the one
 * '_' gives both back, and two OpenFaaS functions never share a Lambda name.
 * The cost: name and namespace together are at most 63 characters. */
#include <stdio.h>
#include <string.h>

#include "provider/internal.h"

bool pv_dns_label_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PV_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && i < n - 1))
            return false;
    }
    return true;
}

static int check_label(const char *what, const char *s, fl_err *err)
{
    if (pv_dns_label_valid(s))
        return 0;
    return fl_fail(err, "invalid %s \"%.100s\": use 1 to 63 of a-z, 0-9 and '-', starting and ending with a letter "
                        "or digit (a DNS-1123 label)", what, s);
}

int pv_lambda_name(const char *name, const char *ns, char out[PV_LAMBDA_NAME_MAX + 1], fl_err *err)
{
    if (check_label("function name", name, err) || check_label("namespace", ns, err))
        return -1;
    size_t n = strlen(name) + 1 + strlen(ns);
    if (n > PV_LAMBDA_NAME_MAX)
        return fl_fail(err, "function %s.%s is too long for Lambda: the function is named %s_%s there, %zu "
                            "characters, and Lambda allows 64 (shorten the name or the namespace)",
                       name, ns, name, ns, n);
    size_t nl = strlen(name);
    memcpy(out, name, nl);
    out[nl] = '_';
    memcpy(out + nl + 1, ns, strlen(ns) + 1);
    return 0;
}

int pv_lambda_name_parse(const char *lname, char name[PV_NAME_MAX + 1], char ns[PV_NAME_MAX + 1])
{
    const char *sep = strchr(lname, '_');
    if (!sep || strchr(sep + 1, '_') || strlen(lname) > PV_LAMBDA_NAME_MAX)
        return -1;
    size_t nl = (size_t)(sep - lname);
    if (nl == 0 || nl > PV_NAME_MAX)
        return -1;
    memcpy(name, lname, nl);
    name[nl] = 0;
    if (strlen(sep + 1) > PV_NAME_MAX)
        return -1;
    memcpy(ns, sep + 1, strlen(sep + 1) + 1);
    return pv_dns_label_valid(name) && pv_dns_label_valid(ns) ? 0 : -1;
}

int pv_split_qualified(const char *qname, const char *def_ns, char name[PV_NAME_MAX + 1],
                       char ns[PV_NAME_MAX + 1], fl_err *err)
{
    const char *dot = strrchr(qname, '.');
    size_t nl = dot ? (size_t)(dot - qname) : strlen(qname);
    const char *nsp = dot ? dot + 1 : def_ns;
    if (nl == 0 || nl > PV_NAME_MAX || strlen(nsp) > PV_NAME_MAX) {
        return fl_fail(err, "invalid function name \"%.100s\": use NAME or NAME.NAMESPACE, each 1 to 63 of a-z, "
                            "0-9 and '-'", qname);
    }
    memcpy(name, qname, nl);
    name[nl] = 0;
    memcpy(ns, nsp, strlen(nsp) + 1);
    return check_label("function name", name, err) || check_label("namespace", ns, err) ? -1 : 0;
}
