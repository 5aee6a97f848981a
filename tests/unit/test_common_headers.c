/* fl_headers: order and duplicates kept, case-insensitive lookups, and the
 * text blocks behind names and values (pointers stay valid while the list
 * grows; clear keeps the memory; repeated sets do not grow it). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"

Test(headers, order_duplicates_and_lookups)
{
    fl_headers h = {0};
    fl_headers_add(&h, "Content-Type", "text/plain");
    fl_headers_add(&h, "X-A", "1");
    fl_headers_addn(&h, "x-aXXX", 3, "2YYY", 1);
    fl_headers_add(&h, "Empty", "");
    cr_assert_eq(h.n, 4u);
    cr_expect_str_eq(h.v[2].name, "x-a");
    cr_expect_str_eq(h.v[2].value, "2");
    cr_expect_str_eq(fl_headers_get(&h, "x-A"), "1");
    cr_expect_str_eq(fl_headers_get(&h, "empty"), "");
    cr_expect_null(fl_headers_get(&h, "X"));
    cr_expect_eq(fl_headers_count(&h, "X-a"), 2u);
    cr_expect_eq(fl_headers_del(&h, "x-a"), 2u);
    cr_expect_eq(h.n, 2u);
    cr_expect_str_eq(h.v[1].name, "Empty");
    fl_headers_set(&h, "content-type", "application/json");
    cr_expect_eq(h.n, 2u);
    cr_expect_str_eq(h.v[1].name, "content-type");
    cr_expect_str_eq(h.v[1].value, "application/json");
    fl_headers c = {0};
    fl_headers_copy(&c, &h);
    fl_headers_free(&h);
    cr_expect_eq(c.n, 2u);
    cr_expect_str_eq(c.v[0].name, "Empty");
    cr_expect_str_eq(c.v[1].value, "application/json");
    fl_headers_free(&c);
    cr_expect_eq(c.n, 0u);
    fl_headers_free(&c); /* a freed list is an empty list */
}

Test(headers, pointers_stay_valid_as_the_list_grows)
{
    fl_headers h = {0};
    char big[5000];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = 0;
    const char *first_name = NULL, *first_value = NULL;
    for (int i = 0; i < 2000; i++) {
        char name[32];
        snprintf(name, sizeof name, "H-%d", i);
        fl_headers_add(&h, name, i % 100 == 7 ? big : name);
        if (i == 0) {
            first_name = h.v[0].name;
            first_value = h.v[0].value;
        }
    }
    cr_expect_eq(first_name, h.v[0].name);
    cr_expect_eq(first_value, h.v[0].value);
    cr_expect_str_eq(first_name, "H-0");
    for (int i = 0; i < 2000; i++) {
        char name[32];
        snprintf(name, sizeof name, "H-%d", i);
        cr_assert_str_eq(h.v[i].name, name);
        cr_assert_str_eq(h.v[i].value, i % 100 == 7 ? big : name);
    }
    fl_headers_free(&h);
}

Test(headers, clear_keeps_memory_and_sets_do_not_grow)
{
    fl_headers h = {0};
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 40; i++)
            fl_headers_add(&h, "Name-Of-Some-Length", "and a value of some length, too");
        fl_headers_clear(&h);
        cr_expect_eq(h.n, 0u);
    }
    fl_headers_add(&h, "A", "1");
    const char *a = h.v[0].value;
    fl_headers_add(&h, "B", "2");
    const char *b_before = h.v[1].name;
    fl_headers_set(&h, "B", "3");
    cr_expect_eq(h.v[1].name, b_before, "the last entry's bytes are given back and reused");
    for (int i = 0; i < 100000; i++)
        fl_headers_set(&h, "B", "3");
    cr_expect_eq(h.v[1].name, b_before);
    cr_expect_str_eq(a, "1");
    cr_expect_eq(fl_headers_del(&h, "A"), 1u);
    cr_expect_str_eq(h.v[0].value, "3", "entries after a deleted one keep their text");
    fl_headers_free(&h);
}
