/* The functions' logs: groups per function, streams per sandbox, events in
 * order with increasing sequence numbers, and the byte budget that drops the
 * oldest first. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"

Test(logstore, groups_streams_and_order)
{
    emu_logstore *ls = emu_logstore_new(1 << 20);
    emu_logstore_put(ls, "a", "s1", "one", 3);
    emu_logstore_put(ls, "a", "s2", "two", 3);
    emu_logstore_put(ls, "b", "s1", "three", 5);
    emu_log_group *g = emu_logstore_group(ls, "/aws/lambda/a");
    cr_assert_not_null(g);
    cr_assert_eq(g->n, 2);
    cr_assert_eq(g->nstreams, 2);
    cr_assert_str_eq(g->ring[g->head]->msg, "one");
    cr_assert_eq(g->ring[g->head]->seq, 0);
    cr_assert_eq(g->ring[(g->head + 1) % g->cap]->seq, 1);
    cr_assert_str_eq(g->streams[g->ring[(g->head + 1) % g->cap]->stream].name, "s2");
    cr_assert_null(emu_logstore_group(ls, "/aws/lambda/c"));
    emu_logstore_free(ls);
}

Test(logstore, bounded_oldest_first)
{
    emu_logstore *ls = emu_logstore_new(4096);
    char line[64];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(line, sizeof line, "line %04d", i);
        emu_logstore_put(ls, "f", "s", line, (size_t)n);
    }
    emu_log_group *g = emu_logstore_group(ls, "/aws/lambda/f");
    cr_assert_leq(g->bytes, 4096);
    cr_assert_gt(g->n, 10);
    cr_assert_str_eq(g->ring[(g->head + g->n - 1) % g->cap]->msg, "line 0999");
    cr_assert_eq(g->ring[g->head]->seq, 1000 - g->n);
    cr_assert_eq(g->streams[0].events, g->n);
    emu_logstore_free(ls);
}
