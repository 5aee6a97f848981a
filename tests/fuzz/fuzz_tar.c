/* libFuzzer: layer tars from untrusted bytes, merged as pk_apply does it. The
 * input is split into two layers (the first byte says where) so whiteouts,
 * opaque markers, replacements and hard links across layers are reached; the
 * sink runs relocation over every file head. Asserts that nothing emitted can
 * leave the package root. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "packer/internal.h"

typedef struct mem_src {
    pk_source base;
    const unsigned char *layer[2];
    size_t len[2];
} mem_src;

typedef struct cursor {
    const unsigned char *p;
    size_t left;
} cursor;

static ssize_t cur_read(pk_stream *s, void *buf, size_t n, fl_err *err)
{
    cursor *c = s->ud;
    if (n > c->left)
        n = c->left;
    memcpy(buf, c->p, n);
    c->p += n;
    c->left -= n;
    return (ssize_t)n;
}

static void cur_close(pk_stream *s)
{
    free(s->ud);
}

static int mem_open_layer(pk_source *base, const pk_image *img, size_t i, pk_stream *out, fl_err *err)
{
    mem_src *m = (mem_src *)base;
    cursor *c = fl_xcalloc(1, sizeof *c);
    c->p = m->layer[i];
    c->left = m->len[i];
    memset(out, 0, sizeof *out);
    out->read = cur_read;
    out->close = cur_close;
    out->ud = c;
    out->fd = -1;
    return 0;
}

static int mem_get_small(pk_source *s, const char *digest, const char *mt, size_t max, fl_buf *out, fl_err *err)
{
    return fl_fail(err, "no blobs");
}

typedef struct sink_state {
    pk_reloc rel;
    unsigned char head[4096];
} sink_state;

static int sink_entry(void *ud, const pk_out_entry *e, pk_content *c, fl_err *err)
{
    sink_state *s = ud;
    CHECK(e->path[0] && e->path[0] != '/');
    CHECK(strcmp(e->path, "..") && strncmp(e->path, "../", 3) && !strstr(e->path, "/../") && !strstr(e->path, "//"));
    if (e->kind == PK_K_SYMLINK) {
        bool escaped;
        if (e->link[0] != '/') {
            char *r = pk_link_resolve(e->path, e->link, &escaped);
            CHECK(!escaped); /* what is written stays inside the root */
            free(r);
        } else {
            CHECK(pk_path_is_runtime(e->link));
        }
        return 0;
    }
    if (e->kind != PK_K_FILE)
        return 0;
    CHECK((e->mode & 06000) == 0);
    size_t got = 0;
    for (;;) {
        ssize_t n = c->read(c, s->head + (got < sizeof s->head ? got : 0),
                            got < sizeof s->head ? sizeof s->head - got : sizeof s->head, err);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    CHECK(got == e->size);
    fl_buf repl = {0};
    bool replaced;
    size_t h = got < sizeof s->head ? got : sizeof s->head;
    pk_reloc_file(&s->rel, e->path, e->mode, s->head, h, e->size, &repl, &replaced, err);
    fl_buf_free(&repl);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = size > 1 ? (data[0] * (size - 1)) / 255 : 0;
    mem_src src = {.base = {.get_small = mem_get_small, .open_layer = mem_open_layer}};
    src.layer[0] = data + 1;
    src.len[0] = split;
    src.layer[1] = data + 1 + split;
    src.len[1] = size - 1 - split;
    pk_image img;
    memset(&img, 0, sizeof img);
    img.src = &src.base;
    pk_desc descs[2];
    memset(descs, 0, sizeof descs);
    descs[0].digest = descs[1].digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    img.manifest.descs = descs;
    img.manifest.ndescs = split ? 2 : 1;
    if (!split) {
        src.layer[0] = src.layer[1];
        src.len[0] = src.len[1];
    }
    sink_state s = {.rel = {.root = "/var/task", .enabled = true}};
    pk_sink sink = {sink_entry, &s};
    char *reserved[] = {"bootstrap", NULL};
    pk_apply_opts o = {.max_bytes = 8u << 20, .max_entries = 2000, .reserved = reserved};
    pk_index ix;
    pk_apply_stats st = {0};
    fl_err err;
    fl_log_init("fuzz_tar", -1);
    pk_apply(&img, &o, &sink, &ix, &st, &err);
    pk_index_free(&ix);
    pk_apply_stats_free(&st);
    pk_reloc_free(&s.rel);
    return 0;
}
