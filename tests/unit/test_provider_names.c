/* Names: OpenFaaS NAME.NAMESPACE <-> Lambda NAME_NAMESPACE, quantities,
 * durations and times. */
#include <criterion/criterion.h>
#include <string.h>

#include "provider/internal.h"

Test(names, dns_labels)
{
    const char *good[] = {"a", "figlet", "nodeinfo-2", "0abc", "a1-b2-c3"};
    const char *bad[] = {"", "-a", "a-", "A", "a_b", "a.b", "a b", "é"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_assert(pv_dns_label_valid(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert(!pv_dns_label_valid(bad[i]), "%s", bad[i]);
    char long63[64], long64[65];
    memset(long63, 'a', 63);
    long63[63] = 0;
    memset(long64, 'a', 64);
    long64[64] = 0;
    cr_assert(pv_dns_label_valid(long63));
    cr_assert(!pv_dns_label_valid(long64));
}

Test(names, lambda_name_round_trip)
{
    char l[PV_LAMBDA_NAME_MAX + 1], n[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    fl_err err;
    cr_assert_eq(pv_lambda_name("figlet", "openfaas-fn", l, &err), 0);
    cr_assert_str_eq(l, "figlet_openfaas-fn");
    cr_assert_eq(pv_lambda_name_parse(l, n, ns), 0);
    cr_assert_str_eq(n, "figlet");
    cr_assert_str_eq(ns, "openfaas-fn");
    /* distinct pairs never collide: a-b/c vs a/b-c */
    char l2[PV_LAMBDA_NAME_MAX + 1];
    cr_assert_eq(pv_lambda_name("a-b", "c", l, &err), 0);
    cr_assert_eq(pv_lambda_name("a", "b-c", l2, &err), 0);
    cr_assert_str_neq(l, l2);
}

Test(names, lambda_name_limits)
{
    char l[PV_LAMBDA_NAME_MAX + 1];
    fl_err err;
    char name[64];
    memset(name, 'f', 52);
    name[52] = 0; /* 52 + 1 + 11 = 64 */
    cr_assert_eq(pv_lambda_name(name, "openfaas-fn", l, &err), 0);
    cr_assert_eq(strlen(l), 64);
    name[52] = 'f';
    name[53] = 0;
    cr_assert_eq(pv_lambda_name(name, "openfaas-fn", l, &err), -1);
    cr_assert(strstr(err.msg, "64"), "%s", err.msg);
    cr_assert_eq(pv_lambda_name("Fig", "openfaas-fn", l, &err), -1);
    cr_assert(strstr(err.msg, "DNS-1123"), "%s", err.msg);
    cr_assert_eq(pv_lambda_name("fig", "ns_x", l, &err), -1);
}

Test(names, lambda_name_parse_rejects_foreign_functions)
{
    char n[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    const char *bad[] = {"myfunction", "a_b_c", "_x", "x_", "Upper_ns", "a-_b", "fn_-ns"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(pv_lambda_name_parse(bad[i], n, ns), -1, "%s", bad[i]);
}

Test(names, qualified)
{
    char n[PV_NAME_MAX + 1], ns[PV_NAME_MAX + 1];
    fl_err err;
    cr_assert_eq(pv_split_qualified("figlet", "openfaas-fn", n, ns, &err), 0);
    cr_assert_str_eq(ns, "openfaas-fn");
    cr_assert_eq(pv_split_qualified("figlet.dev", "openfaas-fn", n, ns, &err), 0);
    cr_assert_str_eq(n, "figlet");
    cr_assert_str_eq(ns, "dev");
    cr_assert_eq(pv_split_qualified("a.b.c", "x", n, ns, &err), -1); /* a.b is no label */
    cr_assert_eq(pv_split_qualified(".dev", "x", n, ns, &err), -1);
    cr_assert_eq(pv_split_qualified("fn.", "x", n, ns, &err), -1);
}

static uint64_t qb(const char *q)
{
    uint64_t b = 0;
    fl_err err;
    cr_assert_eq(pv_quantity_bytes(q, &b, &err), 0, "%s: %s", q, err.msg);
    return b;
}

Test(quantity, kubernetes_forms)
{
    cr_assert_eq(qb("128Mi"), 128ull << 20);
    cr_assert_eq(qb("1Gi"), 1ull << 30);
    cr_assert_eq(qb("512M"), 512000000ull);
    cr_assert_eq(qb("1e9"), 1000000000ull);
    cr_assert_eq(qb("1E3"), 1000ull);
    cr_assert_eq(qb("0.5Gi"), 1ull << 29);
    cr_assert_eq(qb("1.5k"), 1500ull);
    cr_assert_eq(qb("+2Ki"), 2048ull);
    cr_assert_eq(qb("129e6"), 129000000ull);
    cr_assert_eq(qb("128974848"), 128974848ull);
    cr_assert_eq(qb("128974848000m"), 128974848ull);
    cr_assert_eq(qb("1500m"), 2ull); /* 1.5 bytes, rounded up */
    cr_assert_eq(qb("0.001Ki"), 2ull);
    cr_assert_eq(qb("00128Mi"), 128ull << 20);
}

Test(quantity, rejects)
{
    const char *bad[] = {"", "Mi", "128MB", "128mi", "-1Gi", "0", "0Mi", "1.2.3", "1e", "1e99", ".", "12 Mi",
                         "1Gi ", "9999999999Ei", "1234567890123456789012345678901Mi"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t b;
        fl_err err;
        cr_assert_eq(pv_quantity_bytes(bad[i], &b, &err), -1, "%s", bad[i]);
    }
}

Test(quantity, memory_mb)
{
    unsigned mb;
    bool raised;
    fl_err err;
    cr_assert_eq(pv_memory_mb("128Mi", &mb, &raised, &err), 0);
    cr_assert_eq(mb, 128);
    cr_assert(!raised);
    cr_assert_eq(pv_memory_mb("512M", &mb, &raised, &err), 0);
    cr_assert_eq(mb, 489); /* 488.28 MiB, rounded up */
    cr_assert_eq(pv_memory_mb("1Gi", &mb, &raised, &err), 0);
    cr_assert_eq(mb, 1024);
    cr_assert_eq(pv_memory_mb("40Mi", &mb, &raised, &err), 0);
    cr_assert_eq(mb, 128);
    cr_assert(raised);
    cr_assert_eq(pv_memory_mb("10Gi", &mb, &raised, &err), 0);
    cr_assert_eq(mb, 10240);
    cr_assert_eq(pv_memory_mb("11Gi", &mb, &raised, &err), -1);
    cr_assert(strstr(err.msg, "10240"), "%s", err.msg);
}

Test(duration, forms)
{
    uint64_t ms;
    fl_err err;
    struct {
        const char *s;
        uint64_t ms;
    } ok[] = {{"10", 10000}, {"0", 0}, {"10s", 10000}, {"1m30s", 90000}, {"500ms", 500}, {"1.5h", 5400000},
              {"2h45m", 9900000}, {"100us", 0}, {"1500000us", 1500}, {"1m0.5s", 60500}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        cr_assert_eq(pv_duration_ms(ok[i].s, &ms, &err), 0, "%s: %s", ok[i].s, err.msg);
        cr_assert_eq(ms, ok[i].ms, "%s: %llu", ok[i].s, (unsigned long long)ms);
    }
    const char *bad[] = {"", "s", "10x", "-5s", "1..5s", "5 s", "m"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(pv_duration_ms(bad[i], &ms, &err), -1, "%s", bad[i]);
}

Test(timefmt, lambda_to_rfc3339)
{
    char out[48];
    cr_assert_eq(pv_lambda_time_to_rfc3339("2026-11-26T10:00:00.000+0000", out), 0);
    cr_assert_str_eq(out, "2026-11-26T10:00:00Z");
    cr_assert_eq(pv_lambda_time_to_rfc3339("2026-11-26T10:00:00.120+0000", out), 0);
    cr_assert_str_eq(out, "2026-11-26T10:00:00.12Z");
    cr_assert_eq(pv_lambda_time_to_rfc3339("2026-11-26T12:00:00.000+0200", out), 0);
    cr_assert_str_eq(out, "2026-11-26T10:00:00Z");
    cr_assert_eq(pv_lambda_time_to_rfc3339("yesterday", out), -1);
    int64_t ms;
    cr_assert_eq(pv_parse_rfc3339("1970-01-01T00:00:01.5Z", &ms), 0);
    cr_assert_eq(ms, 1500);
    cr_assert_eq(pv_parse_rfc3339("1970-01-01T01:00:00+01:00", &ms), 0);
    cr_assert_eq(ms, 0);
    cr_assert_eq(pv_parse_rfc3339("1970-01-01T00:00:00", &ms), -1);
}
