/* The index of decided paths: an open-addressing hash table of nodes that
 * live in an arena. Memory grows with the number of entries, never with
 * their bytes. */
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define CHUNK (256u << 10)

struct pk_arena_chunk {
    pk_arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

static void *arena_alloc(pk_index *ix, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    pk_arena_chunk *c = ix->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK ? n : CHUNK;
        c = fl_xmalloc(sizeof *c + cap);
        c->cap = cap;
        c->used = 0;
        c->next = ix->chunks;
        ix->chunks = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

char *pk_index_strdup(pk_index *ix, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(ix, n);
    memcpy(p, s, n);
    return p;
}

void pk_index_init(pk_index *ix)
{
    memset(ix, 0, sizeof *ix);
    ix->cap = 1024;
    ix->slots = fl_xcalloc(ix->cap, sizeof *ix->slots);
}

void pk_index_free(pk_index *ix)
{
    for (pk_arena_chunk *c = ix->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(ix->slots);
    memset(ix, 0, sizeof *ix);
}

/* FNV-1a: paths are short, and a hostile image cannot make this quadratic
 * beyond its entry limit. */
static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static size_t find_slot(pk_node *const *slots, size_t cap, const char *path, size_t len, uint32_t h)
{
    size_t i = h & (cap - 1);
    while (slots[i]) {
        if (slots[i]->hash == h && !strncmp(slots[i]->path, path, len) && slots[i]->path[len] == 0)
            return i;
        i = (i + 1) & (cap - 1);
    }
    return i;
}

pk_node *pk_index_get(const pk_index *ix, const char *path, size_t len)
{
    return ix->slots[find_slot(ix->slots, ix->cap, path, len, hash(path, len))];
}

static void grow(pk_index *ix)
{
    size_t cap = ix->cap * 2;
    pk_node **slots = fl_xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->slots[i])
            slots[find_slot(slots, cap, ix->slots[i]->path, strlen(ix->slots[i]->path), ix->slots[i]->hash)] =
                ix->slots[i];
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
}

pk_node *pk_index_put(pk_index *ix, const char *path, size_t len)
{
    uint32_t h = hash(path, len);
    size_t i = find_slot(ix->slots, ix->cap, path, len, h);
    if (ix->slots[i])
        return ix->slots[i];
    if ((ix->n + 1) * 4 > ix->cap * 3) {
        grow(ix);
        i = find_slot(ix->slots, ix->cap, path, len, h);
    }
    pk_node *nd = arena_alloc(ix, sizeof *nd + len + 1);
    memset(nd, 0, sizeof *nd);
    char *p = (char *)(nd + 1);
    memcpy(p, path, len);
    p[len] = 0;
    nd->path = p;
    nd->hash = h;
    nd->opaque = -1;
    ix->slots[i] = nd;
    ix->n++;
    return nd;
}

pk_node *pk_index_resolve(const pk_index *ix, const char *path, char **resolved)
{
    fl_buf cur = {0};
    fl_buf_puts(&cur, path);
    pk_node *nd = NULL;
    for (int hops = 0; hops <= 40; hops++) {
        /* resolve the components one by one; a symlink restarts the walk */
        size_t i = 0;
        bool restarted = false;
        nd = NULL;
        while (i <= cur.len) {
            size_t end = i + strcspn(cur.data + i, "/");
            nd = pk_index_get(ix, cur.data, end);
            if (!nd || nd->kind == PK_K_WHITEOUT || nd->kind == PK_K_NONE) {
                nd = NULL;
                goto out;
            }
            if (nd->kind == PK_K_SYMLINK) {
                if (!nd->link) { /* a runtime path (/dev, /proc ...): not in the image */
                    nd = NULL;
                    goto out;
                }
                fl_buf next = {0};
                fl_buf_puts(&next, nd->link);
                if (end < cur.len) {
                    if (next.len)
                        fl_buf_putc(&next, '/');
                    fl_buf_puts(&next, cur.data + end + 1);
                }
                fl_buf_free(&cur);
                cur = next;
                fl_buf_cstr(&cur);
                restarted = true;
                break;
            }
            if (end < cur.len && nd->kind != PK_K_DIR) {
                nd = NULL;
                goto out;
            }
            i = end + 1;
        }
        if (!restarted)
            goto out;
        if (cur.len == 0) { /* a link to the root */
            nd = pk_index_get(ix, "", 0);
            goto out;
        }
    }
    nd = NULL; /* a loop */
out:
    if (resolved && nd)
        *resolved = fl_buf_steal(&cur);
    else
        fl_buf_free(&cur);
    return nd;
}
