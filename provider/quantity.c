/* Kubernetes resource quantities (limits.memory) in bytes, and Lambda's
 * MemorySize from them.
 *
 * Grammar (k8s.io/apimachinery resource.Quantity):
 *   [+-]? DIGITS [. DIGITS] SUFFIX, SUFFIX one of
 *   Ki Mi Gi Ti Pi Ei (powers of 1024), n u m "" k M G T P E (powers of
 *   1000), or e/E followed by a signed integer exponent.
 * Computed exactly: the number is M / 10^f, scaled by the suffix, and the
 * bytes are rounded up; 128-bit arithmetic with a bounded input. */
#include <string.h>

#include "provider/internal.h"

#define QUANTITY_MAX_LEN 64
#define MAX_BYTES (1ull << 53)

typedef unsigned __int128 u128;

static bool mul_ok(u128 *v, u128 by)
{
    if (by && *v > ((u128)-1) / by)
        return false;
    *v *= by;
    return true;
}

static u128 pow10u(unsigned e)
{
    u128 v = 1;
    while (e--)
        v *= 10;
    return v;
}

/* Reads the suffix at s: scale = num/den. */
static int parse_suffix(const char *s, u128 *num, u128 *den)
{
    static const struct {
        const char *s;
        unsigned bin_shift;  /* 1024^n as a shift */
        int dec_exp;         /* 10^n */
    } sfx[] = {
        {"Ki", 10, 0}, {"Mi", 20, 0}, {"Gi", 30, 0}, {"Ti", 40, 0}, {"Pi", 50, 0}, {"Ei", 60, 0},
        {"n", 0, -9},  {"u", 0, -6},  {"m", 0, -3},  {"", 0, 0},    {"k", 0, 3},   {"M", 0, 6},
        {"G", 0, 9},   {"T", 0, 12},  {"P", 0, 15},  {"E", 0, 18},
    };
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        if (strcmp(s, sfx[i].s))
            continue;
        *num = (u128)1 << sfx[i].bin_shift;
        *den = 1;
        if (sfx[i].dec_exp > 0)
            *num *= pow10u((unsigned)sfx[i].dec_exp);
        else if (sfx[i].dec_exp < 0)
            *den = pow10u((unsigned)-sfx[i].dec_exp);
        return 0;
    }
    if (*s != 'e' && *s != 'E')
        return -1;
    s++;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    uint64_t e;
    if (fl_parse_u64(s, 30, &e))
        return -1;
    *num = neg ? 1 : pow10u((unsigned)e);
    *den = neg ? pow10u((unsigned)e) : 1;
    return 0;
}

int pv_quantity_bytes(const char *q, uint64_t *bytes, fl_err *err)
{
    size_t len = strlen(q);
    const char *p = q;
    if (len == 0 || len > QUANTITY_MAX_LEN)
        goto bad;
    if (*p == '+')
        p++;
    else if (*p == '-')
        return fl_fail(err, "invalid memory quantity \"%s\": it must be positive", q);
    u128 mant = 0;
    unsigned digits = 0, sig = 0, frac = 0;
    bool dot = false;
    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.') {
            if (dot)
                goto bad;
            dot = true;
            continue;
        }
        digits++;
        if (dot)
            frac++;
        if (mant == 0 && *p == '0')
            continue; /* leading zeros do not grow the mantissa */
        if (++sig > 30)
            goto bad;
        mant = mant * 10 + (unsigned)(*p - '0');
    }
    if (digits == 0)
        goto bad;
    if (frac > 30)
        goto bad;
    u128 num, den;
    if (parse_suffix(p, &num, &den))
        goto bad;
    u128 top = mant, bottom = den;
    if (!mul_ok(&top, num) || !mul_ok(&bottom, pow10u(frac)))
        goto too_big;
    u128 v = top / bottom + (top % bottom ? 1 : 0);
    if (v == 0)
        return fl_fail(err, "invalid memory quantity \"%s\": it must be positive", q);
    if (v > MAX_BYTES)
        goto too_big;
    *bytes = (uint64_t)v;
    return 0;
bad:
    return fl_fail(err, "invalid memory quantity \"%.80s\": use a Kubernetes quantity such as 128Mi, 1Gi or 512M", q);
too_big:
    return fl_fail(err, "memory quantity \"%s\" is too large", q);
}

int pv_memory_mb(const char *q, unsigned *mb, bool *raised, fl_err *err)
{
    uint64_t bytes;
    if (pv_quantity_bytes(q, &bytes, err))
        return -1;
    uint64_t m = (bytes + (1u << 20) - 1) >> 20;
    *raised = m < PV_MEMORY_MIN;
    if (m > PV_MEMORY_MAX)
        return fl_fail(err, "memory %s is %llu MB, more than Lambda's maximum of %u MB", q, (unsigned long long)m,
                       PV_MEMORY_MAX);
    *mb = *raised ? PV_MEMORY_MIN : (unsigned)m;
    return 0;
}
