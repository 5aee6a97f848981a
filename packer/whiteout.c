/* OCI layer semantics, decided top-down. Layers are visited last first; the
 * index holds what the layers above decided, so an entry of a lower layer is
 * visible only when nothing above hides it:
 *  - a non-directory or a whiteout above, at its path or at an ancestor;
 *  - an opaque marker above in an ancestor directory;
 *  - a directory above at its path when it is not a directory itself.
 * A directory above at the same path takes the lower directory's metadata only
 * when no layer above had an entry for it (it existed implicitly, as a parent).
 * Whiteouts and opaque markers hide lower layers only, never entries of their
 * own layer (OCI image spec, "Whiteouts"). */
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define WH ".wh."
#define OPQ ".wh..wh..opq"

int pk_whiteout_kind(const char *path, char **target)
{
    size_t len = strlen(path), dir = pk_path_parent_len(path, len);
    const char *base = path + (dir ? dir + 1 : 0);
    if (strncmp(base, WH, 4))
        return 0;
    if (!strcmp(base, OPQ)) {
        *target = fl_xstrndup(path, dir);
        return 2;
    }
    if (!base[4] || !strcmp(base + 4, ".") || !strcmp(base + 4, ".."))
        return 0; /* ".wh." alone names nothing: an ordinary file */
    *target = dir ? fl_xasprintf("%.*s/%s", (int)dir, path, base + 4) : fl_xstrdup(base + 4);
    return 1;
}

/* Checks the ancestors of path[0..len): PK_V_EMIT when none hides it. */
static pk_verdict check_ancestors(pk_index *ix, int layer, const char *path, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (path[i] != '/')
            continue;
        pk_node *a = pk_index_get(ix, path, i);
        if (!a)
            continue;
        switch (a->kind) {
        case PK_K_WHITEOUT:
            if (a->layer > layer)
                return PK_V_HIDDEN;
            break;
        case PK_K_FILE:
        case PK_K_SYMLINK:
            return a->layer > layer ? PK_V_HIDDEN : PK_V_THROUGH;
        case PK_K_DIR:
            if (a->opaque > layer)
                return PK_V_HIDDEN;
            break;
        default:
            break;
        }
    }
    return PK_V_EMIT;
}

/* Makes every ancestor a directory of this layer unless one exists. A
 * whiteout of this layer becomes an opaque directory: the layer removed the
 * lower one and made a new one. */
static void make_parents(pk_index *ix, int layer, const char *path, size_t len)
{
    for (size_t i = 0; i <= len; i++) {
        if (i < len && path[i] != '/')
            continue;
        if (i == len)
            break;
        pk_node *a = pk_index_put(ix, path, i);
        if (a->kind == PK_K_NONE || a->kind == PK_K_WHITEOUT) {
            a->opaque = a->kind == PK_K_WHITEOUT ? (int16_t)layer : -1;
            a->kind = PK_K_DIR;
            a->layer = (int16_t)layer;
            a->mode = 0755;
        }
    }
}

static void set_node(pk_node *n, int layer, const pk_tar_entry *e)
{
    bool was_whiteout = n->kind == PK_K_WHITEOUT;
    n->kind = (uint8_t)e->kind;
    n->layer = (int16_t)layer;
    n->mode = e->mode;
    n->size = e->size;
    n->link = e->link;
    n->opaque = e->kind == PK_K_DIR && was_whiteout ? (int16_t)layer : -1;
    if (e->kind == PK_K_DIR)
        n->flags |= PK_F_EXPLICIT;
}

static pk_verdict decide_whiteout(pk_index *ix, int layer, const char *path, size_t len)
{
    pk_verdict v = check_ancestors(ix, layer, path, len);
    if (v != PK_V_EMIT)
        return v;
    pk_node *n = pk_index_get(ix, path, len);
    if (n && n->layer > layer)
        return PK_V_HIDDEN; /* decided above already */
    if (!n) {
        n = pk_index_put(ix, path, len);
        n->kind = PK_K_WHITEOUT;
        n->layer = (int16_t)layer;
    } else if (n->kind == PK_K_DIR) {
        n->opaque = (int16_t)layer; /* same layer: its lower contents are gone */
    }
    return PK_V_WHITEOUT;
}

static pk_verdict decide_opaque(pk_index *ix, int layer, const char *dir, size_t len)
{
    pk_verdict v = check_ancestors(ix, layer, dir, len);
    if (v != PK_V_EMIT)
        return v;
    pk_node *n = pk_index_get(ix, dir, len);
    if (n && n->kind != PK_K_DIR && n->kind != PK_K_WHITEOUT && n->kind != PK_K_NONE)
        return n->layer > layer ? PK_V_HIDDEN : PK_V_THROUGH;
    if (n && n->kind == PK_K_WHITEOUT && n->layer > layer)
        return PK_V_HIDDEN;
    make_parents(ix, layer, dir, len);
    n = pk_index_put(ix, dir, len);
    if (n->kind != PK_K_DIR) {
        n->kind = PK_K_DIR;
        n->layer = (int16_t)layer;
        n->mode = 0755;
    }
    if (n->opaque < layer)
        n->opaque = (int16_t)layer;
    return PK_V_OPAQUE;
}

pk_verdict pk_decide(pk_index *ix, int layer, const pk_tar_entry *e)
{
    size_t len = strlen(e->path);
    if (e->kind == PK_K_WHITEOUT)
        return decide_whiteout(ix, layer, e->path, len);
    if (e->kind == PK_K_NONE) /* an opaque marker: e->path is its directory */
        return decide_opaque(ix, layer, e->path, len);
    pk_verdict v = check_ancestors(ix, layer, e->path, len);
    if (v != PK_V_EMIT)
        return v;
    pk_node *n = pk_index_get(ix, e->path, len);
    if (n) {
        switch (n->kind) {
        case PK_K_WHITEOUT:
            if (n->layer > layer)
                return PK_V_HIDDEN;
            break; /* whiteout and entry in one layer: the entry stays */
        case PK_K_FILE:
        case PK_K_SYMLINK:
            return n->layer > layer ? PK_V_HIDDEN : PK_V_DUPLICATE;
        case PK_K_DIR:
            if (e->kind != PK_K_DIR)
                return n->layer > layer ? PK_V_HIDDEN : PK_V_DUPLICATE;
            if (n->flags & PK_F_EXPLICIT)
                return PK_V_SAME_DIR;
            n->flags |= PK_F_EXPLICIT;
            n->mode = e->mode;
            return PK_V_EMIT_META;
        default:
            break;
        }
    }
    make_parents(ix, layer, e->path, len);
    set_node(pk_index_put(ix, e->path, len), layer, e);
    return PK_V_EMIT;
}
