/* Helpers shared by the shim tests (static inline: each test binary uses a
 * different subset). */
#ifndef TEST_SHIM_UTIL_H
#define TEST_SHIM_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shared_data.h"
#include "shim/shim.h"

static inline const char *shared_events_dir(void)
{
    return shared_testdata("events");
}

static inline void read_all(const char *path, fl_buf *out)
{
    fl_err err = {{0}};
    if (fl_read_file(path, 64u << 20, out, &err))
        cr_assert_fail("%s", err.msg);
}

/* Printable form of bytes: \\ \r \n \t and \xHH for the rest of the
 * non-printables (the expectation files use the same escapes). */
static inline char *escape_bytes(const char *s, size_t n)
{
    fl_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\\': fl_buf_puts(&b, "\\\\"); break;
        case '\r': fl_buf_puts(&b, "\\r"); break;
        case '\n': fl_buf_puts(&b, "\\n"); break;
        case '\t': fl_buf_puts(&b, "\\t"); break;
        default:
            if (c < 0x20 || c >= 0x7F)
                fl_buf_printf(&b, "\\x%02x", c);
            else
                fl_buf_putc(&b, (char)c);
        }
    }
    return fl_buf_steal(&b);
}

static inline int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static inline void unescape_into(const char *s, fl_buf *out)
{
    for (; *s; s++) {
        if (*s != '\\' || !s[1]) {
            fl_buf_putc(out, *s);
            continue;
        }
        s++;
        switch (*s) {
        case 'r': fl_buf_putc(out, '\r'); break;
        case 'n': fl_buf_putc(out, '\n'); break;
        case 't': fl_buf_putc(out, '\t'); break;
        case 'x':
            if (hex_digit(s[1]) >= 0 && hex_digit(s[2]) >= 0) {
                fl_buf_putc(out, (char)(hex_digit(s[1]) << 4 | hex_digit(s[2])));
                s += 2;
                break;
            }
            /* fall through */
        default: fl_buf_putc(out, *s);
        }
    }
}

/* Deterministic PRNG (xorshift64*), so generated cases are reproducible. */
typedef struct rng {
    uint64_t s;
} rng;

static inline uint64_t rng_next(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

static inline size_t rng_below(rng *r, size_t n)
{
    return n ? (size_t)(rng_next(r) % n) : 0;
}

static inline const char *rng_pick(rng *r, const char *const *v, size_t n)
{
    return v[rng_below(r, n)];
}

/* Headers as one printable text, "name: value\n" each, for readable diffs. */
static inline char *headers_text(const fl_headers *h)
{
    fl_buf b = {0};
    for (size_t i = 0; i < h->n; i++) {
        char *v = escape_bytes(h->v[i].value, strlen(h->v[i].value));
        fl_buf_printf(&b, "%s: %s\n", h->v[i].name, v);
        free(v);
    }
    return fl_buf_steal(&b);
}

/* Parses a JSON document the test expects to be valid; fails the test if not. */
static inline cJSON *parse_json(const char *s, size_t n)
{
    cJSON *j = cJSON_ParseWithLength(s, n);
    if (!j) {
        char *e = escape_bytes(s, n > 300 ? 300 : n);
        cr_assert_fail("not JSON: %s", e);
    }
    return j;
}

#endif
