/* Splitting output into lines and keeping a log's tail. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"

typedef struct seen {
    char lines[16][64];
    size_t n;
} seen;

static void collect(void *ud, const char *line, size_t n)
{
    seen *s = ud;
    cr_assert_lt(s->n, 16);
    cr_assert_lt(n, 64);
    memcpy(s->lines[s->n], line, n);
    s->lines[s->n++][n] = 0;
}

Test(linebuf, lines_across_reads)
{
    emu_linebuf lb = {0};
    seen s = {0};
    const char *parts[] = {"one\ntw", "o\n", "", "\nthr", "ee"};
    for (size_t i = 0; i < 5; i++)
        emu_linebuf_feed(&lb, parts[i], strlen(parts[i]), 100, collect, &s);
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(s.lines[0], "one");
    cr_assert_str_eq(s.lines[1], "two");
    cr_assert_str_eq(s.lines[2], "");
    emu_linebuf_flush(&lb, collect, &s);
    cr_assert_eq(s.n, 4);
    cr_assert_str_eq(s.lines[3], "three");
    emu_linebuf_flush(&lb, collect, &s); /* nothing left */
    cr_assert_eq(s.n, 4);
    emu_linebuf_free(&lb);
}

Test(linebuf, bytes_are_kept_as_they_are)
{
    emu_linebuf lb = {0};
    seen s = {0};
    emu_linebuf_feed(&lb, "a\r\n\tb \x01\n", 8, 100, collect, &s);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.lines[0], "a\r");
    cr_assert_str_eq(s.lines[1], "\tb \x01");
    emu_linebuf_free(&lb);
}

Test(linebuf, long_lines_are_cut)
{
    emu_linebuf lb = {0};
    seen s = {0};
    emu_linebuf_feed(&lb, "abcdefghij\nxy", 13, 4, collect, &s);
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(s.lines[0], "abcd");
    cr_assert_str_eq(s.lines[1], "efgh");
    cr_assert_str_eq(s.lines[2], "ij");
    emu_linebuf_feed(&lb, "zw", 2, 4, collect, &s); /* a pending part reaching the limit */
    cr_assert_eq(s.n, 3);
    emu_linebuf_feed(&lb, "q\n", 2, 4, collect, &s);
    cr_assert_eq(s.n, 5);
    cr_assert_str_eq(s.lines[3], "xyzw");
    cr_assert_str_eq(s.lines[4], "q");
    emu_linebuf_free(&lb);
}

Test(tail, keeps_the_last_bytes)
{
    fl_buf t = {0};
    for (int i = 0; i < 1000; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "line %04d", i);
        emu_tail_append(&t, line, (size_t)n, 100);
        cr_assert_leq(t.len, 200);
    }
    const char *p;
    size_t n;
    emu_tail_last(&t, 100, &p, &n);
    cr_assert_eq(n, 100);
    cr_assert(memcmp(p + 100 - 10, "line 0999\n", 10) == 0);
    fl_buf_free(&t);
}

Test(tail, a_huge_line_keeps_its_end)
{
    fl_buf t = {0};
    char big[500];
    memset(big, 'a', sizeof big);
    big[499] = 'z';
    emu_tail_append(&t, "first", 5, 100);
    emu_tail_append(&t, big, sizeof big, 100);
    const char *p;
    size_t n;
    emu_tail_last(&t, 100, &p, &n);
    cr_assert_eq(n, 100);
    cr_assert_eq(p[98], 'z');
    cr_assert_eq(p[99], '\n');
    fl_buf_free(&t);
}

Test(tail, empty)
{
    fl_buf t = {0};
    const char *p;
    size_t n;
    emu_tail_last(&t, 100, &p, &n);
    cr_assert_eq(n, 0);
    cr_assert_not_null(p);
}
