/* Applying layers: top-down, one decompression pass per layer, each visible
 * entry streamed from its layer's tar straight into the sink. What the layers
 * above decided lives in the index (packer/whiteout.c); hard links, which a
 * zip cannot hold, are written afterwards with their target's content
 * (packer/hardlink.c); directories that only exist as parents come last. */
#include <archive_entry.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "packer/internal.h"

#define COPY_BUF (256u << 10)

void pk_stats_warn(pk_apply_stats *st, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fl_warn("%s", msg);
    st->warnings = fl_xrealloc(st->warnings, (st->nwarnings + 2) * sizeof *st->warnings);
    st->warnings[st->nwarnings++] = fl_xstrdup(msg);
    st->warnings[st->nwarnings] = NULL;
}

void pk_apply_stats_free(pk_apply_stats *st)
{
    for (size_t i = 0; i < st->nwarnings; i++)
        free(st->warnings[i]);
    free(st->warnings);
    free(st->ex_special);
    free(st->ex_setid);
    free(st->ex_abs);
    free(st->ex_clamped);
    free(st->ex_reserved);
    free(st->ex_replaced);
    memset(st, 0, sizeof *st);
}

static void note(uint64_t *count, char **example, const char *path)
{
    if ((*count)++ == 0)
        *example = fl_xstrdup(path);
}

/* ---- reading an entry's content out of the tar ---- */
typedef struct tar_content {
    pk_apply_ctx *c;
    pk_tar *t;
} tar_content;

static ssize_t tar_content_read(pk_content *pc, void *buf, size_t n, fl_err *err)
{
    tar_content *tc = pc->ud;
    ssize_t r = pk_tar_read(tc->t, buf, n, err);
    if (r > 0 && tc->c->bytes_base + pk_tar_bytes(tc->t) > tc->c->o->max_bytes)
        return fl_fail(err, "the layers hold more than %llu bytes uncompressed (--max-size): refusing to go on",
                       (unsigned long long)tc->c->o->max_bytes);
    return r;
}

int pk_apply_open_layer(pk_apply_ctx *c, size_t i, bool verify, pk_tar **t, fl_err *err)
{
    pk_stream s;
    const char *diff_id;
    char name[64];
    if (pk_image_layer(c->img, i, &s, &diff_id, err))
        return -1;
    return pk_tar_open(t, &s, verify ? diff_id : NULL, pk_layer_name(c->img, i, name), err);
}

int pk_apply_emit(pk_apply_ctx *c, const pk_out_entry *e, pk_content *src, fl_err *err)
{
    if (c->sink->entry(c->sink->ud, e, src, err))
        return -1;
    c->st->emitted++;
    if (e->kind == PK_K_FILE)
        c->st->emitted_bytes += e->size;
    pk_node *n = pk_index_get(c->ix, e->path, strlen(e->path));
    if (n)
        n->flags |= PK_F_EMITTED;
    return 0;
}

/* Lambda runs the function as a user that owns none of the files: what the
 * image could read or run must be readable and runnable by everyone. setuid
 * and setgid mean nothing there and are cleared. */
static uint32_t lambda_mode(pk_apply_ctx *c, enum pk_kind k, uint32_t mode, const char *path)
{
    if (k == PK_K_SYMLINK)
        return 0777;
    if (mode & 06000)
        note(&c->st->setid_cleared, &c->st->ex_setid, path);
    mode &= 01777;
    if (k == PK_K_DIR)
        return mode | 0555;
    mode |= 0444;
    return mode & 0111 ? mode | 0111 : mode;
}

static bool filtered_out(const pk_apply_opts *o, const char *path)
{
    if (o->slim && pk_slim_drop(path))
        return true;
    if (!o->paths)
        return false;
    for (size_t i = 0; o->paths[i]; i++) {
        size_t n = strlen(o->paths[i]);
        if (n == 0 || (!strncmp(path, o->paths[i], n) && (path[n] == 0 || path[n] == '/')))
            return false;
    }
    return true;
}

/* A symlink's target: resolved for the index (NULL for runtime paths like
 * /dev/stdout), and the text to write, which stays inside the package root:
 * absolute targets become relative, ".." beyond the root is clamped. */
static void symlink_target(pk_apply_ctx *c, const char *path, const char *target, const char **link,
                           char **text)
{
    bool escaped;
    char *resolved = pk_link_resolve(path, target, &escaped);
    if (target[0] == '/') {
        char *abs = fl_xasprintf("/%s", resolved);
        if (pk_path_is_runtime(abs)) {
            *link = NULL;
            *text = abs;
            free(resolved);
            return;
        }
        free(abs);
    }
    if (escaped)
        note(&c->st->links_clamped, &c->st->ex_clamped, path);
    *link = pk_index_strdup(c->ix, resolved);
    *text = target[0] != '/' && !escaped && target[0] ? fl_xstrdup(target) : pk_path_relative(path, resolved);
    free(resolved);
}

/* A lower symlink replaced by a directory that an upper layer only wrote
 * into (it has no entry of its own there): docker would have followed the
 * link and written through it; here the directory wins, and it is said. */
static bool implicit_dir_hides(const pk_index *ix, const char *path, enum pk_kind kind)
{
    pk_node *n = pk_index_get(ix, path, strlen(path));
    return kind == PK_K_SYMLINK && n && n->kind == PK_K_DIR && !(n->flags & PK_F_EXPLICIT);
}

static bool reserved_hides(const pk_index *ix, const char *path)
{
    size_t first = strcspn(path, "/");
    pk_node *n = pk_index_get(ix, path, first);
    return n && (n->flags & PK_F_RESERVED);
}

static int add_pending(pk_apply_ctx *c, const char *path, const char *target, uint32_t mode, int layer,
                       uint64_t ord)
{
    if (c->nlinks == c->caplinks) {
        c->caplinks = c->caplinks ? c->caplinks * 2 : 64;
        c->links = fl_xrealloc(c->links, c->caplinks * sizeof *c->links);
    }
    c->links[c->nlinks++] = (pk_pending_link){fl_xstrdup(path), fl_xstrdup(target), mode, layer, ord, false};
    c->st->hardlinks++;
    return 0;
}

static int whiteout_entry(pk_apply_ctx *c, int layer, const char *lname, const char *path, int kind,
                          const char *target, fl_err *err)
{
    pk_tar_entry e = {.path = target, .kind = kind == 1 ? PK_K_WHITEOUT : PK_K_NONE};
    if (pk_decide(c->ix, layer, &e) == PK_V_THROUGH)
        return fl_fail(err, "%s: whiteout %s goes through a symlink or file of the same layer: refusing this image",
                       lname, path);
    c->st->whiteouts++;
    return 0;
}

static int entry(pk_apply_ctx *c, pk_tar *t, int layer, uint64_t ord, const pk_tar_hdr *h, const char *lname,
                 fl_err *err)
{
    char *path = NULL, *target = NULL, *text = NULL;
    bool abs;
    int rc = 0;
    if (pk_path_norm(h->name, &path, &abs, err))
        return fl_fail_wrap(err, "%s: entry %.200s is broken or hostile, refusing the image", lname, h->name);
    if (!*path)
        goto out; /* the root itself ("/" or "./") */
    if (abs)
        note(&c->st->absolute_names, &c->st->ex_abs, path);
    int wk = pk_whiteout_kind(path, &target);
    if (wk) {
        rc = whiteout_entry(c, layer, lname, path, wk, target, err);
        goto out;
    }
    pk_tar_entry e = {.path = path};
    bool special = false, hard = h->hardlink != NULL;
    if (hard) {
        e.kind = PK_K_FILE;
        if (pk_path_norm(h->hardlink, &target, NULL, err)) {
            rc = fl_fail_wrap(err, "%s: hard link %s points outside the image root: refusing this image", lname,
                              path);
            goto out;
        }
    } else if (h->type == AE_IFDIR) {
        e.kind = PK_K_DIR;
    } else if (h->type == AE_IFREG) {
        e.kind = PK_K_FILE;
        e.size = (uint64_t)h->size;
    } else if (h->type == AE_IFLNK) {
        e.kind = PK_K_SYMLINK;
        if (strlen(h->symlink) > PK_MAX_PATH) {
            rc = fl_fail(err, "%s: symlink %s has a target longer than %d bytes: refusing this image", lname, path,
                         PK_MAX_PATH);
            goto out;
        }
        symlink_target(c, path, h->symlink, &e.link, &text);
    } else {
        e.kind = PK_K_FILE; /* device, FIFO, socket: it still hides what is below */
        special = true;
    }
    e.mode = lambda_mode(c, e.kind, h->mode, path);
    if (h->has_xattrs)
        c->st->xattrs_dropped++;
    switch (pk_decide(c->ix, layer, &e)) {
    case PK_V_HIDDEN:
        c->st->hidden++;
        if (reserved_hides(c->ix, path))
            note(&c->st->reserved_hidden, &c->st->ex_reserved, path);
        else if (implicit_dir_hides(c->ix, path, e.kind))
            note(&c->st->links_replaced, &c->st->ex_replaced, path);
        goto out;
    case PK_V_THROUGH:
        rc = fl_fail(err,
                     "%s: %s lies under a symlink or file that the same layer created (a path through a "
                     "symlink): refusing this image",
                     lname, path);
        goto out;
    case PK_V_DUPLICATE:
        rc = fl_fail(err, "%s: two entries for %s in one layer: repack the image (e.g. umoci repack)", lname, path);
        goto out;
    case PK_V_EMIT:
    case PK_V_EMIT_META:
        break;
    default:
        goto out;
    }
    pk_node *n = pk_index_get(c->ix, path, strlen(path));
    if (special)
        note(&c->st->skipped_special, &c->st->ex_special, path);
    if (special || filtered_out(c->o, path)) {
        n->flags |= PK_F_FILTERED;
        if (!special)
            c->st->slimmed++;
        goto out;
    }
    if (e.kind == PK_K_FILE && (e.mode & 0111))
        n->flags |= PK_F_EXEC;
    if (hard) {
        if (!strcmp(target, path))
            pk_stats_warn(c->st, "%s: hard link %s points at itself: skipped", lname, path);
        else
            add_pending(c, path, target, e.mode, layer, ord);
        goto out;
    }
    pk_out_entry oe = {.path = path, .kind = e.kind, .mode = e.mode, .size = e.size, .link = text};
    tar_content tc = {c, t};
    pk_content content = {tar_content_read, &tc};
    rc = pk_apply_emit(c, &oe, &content, err);
out:
    free(path);
    free(target);
    free(text);
    return rc;
}

/* A layer that fails may do so because its blob is damaged: then that is
 * the message, not the symptom. */
static int layer_failed(pk_tar *t, fl_err *err)
{
    fl_err berr;
    if (pk_tar_blob_check(t, &berr))
        *err = berr;
    pk_tar_abort(t);
    return -1;
}

/* Checks the limits after each entry; -1 with err when one is broken. */
static int within_limits(pk_apply_ctx *c, pk_tar *t, const pk_tar_hdr *h, const char *lname, fl_err *err)
{
    if (++c->st->entries_read > c->o->max_entries)
        return fl_fail(err, "%s: the layers hold more than %llu entries (--max-entries): refusing to go on", lname,
                       (unsigned long long)c->o->max_entries);
    if ((uint64_t)h->size > c->o->max_bytes)
        return fl_fail(err, "%s: entry %.200s claims %lld bytes, over the %llu allowed (--max-size)", lname, h->name,
                       (long long)h->size, (unsigned long long)c->o->max_bytes);
    if (c->bytes_base + pk_tar_bytes(t) > c->o->max_bytes)
        return fl_fail(err, "the layers hold more than %llu bytes uncompressed (--max-size): refusing to go on",
                       (unsigned long long)c->o->max_bytes);
    return 0;
}

static int apply_layer(pk_apply_ctx *c, int layer, fl_err *err)
{
    char lname[64];
    pk_layer_name(c->img, (size_t)layer, lname);
    pk_tar *t;
    if (pk_apply_open_layer(c, (size_t)layer, true, &t, err))
        return -1;
    pk_progress prog;
    pk_progress_start(&prog, c->o->progress, lname, c->img->manifest.descs[layer].size);
    pk_tar_hdr h;
    uint64_t ord = 0;
    int r, rc = 0;
    while ((r = pk_tar_next(t, &h, err)) == 1) {
        if (within_limits(c, t, &h, lname, err)) {
            pk_tar_abort(t);
            rc = -1;
            break;
        }
        if (entry(c, t, layer, ++ord, &h, lname, err)) {
            rc = layer_failed(t, err);
            break;
        }
        pk_progress_add(&prog, pk_tar_raw_bytes(t) - prog.done);
    }
    if (rc == 0 && r < 0)
        rc = layer_failed(t, err);
    if (rc == 0) {
        c->bytes_base += pk_tar_bytes(t);
        pk_progress_add(&prog, pk_tar_raw_bytes(t) - prog.done);
    }
    pk_progress_end(&prog);
    return rc ? rc : pk_tar_finish(t, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Directories that exist only as parents of entries: last, sorted. */
static int implicit_dirs(pk_apply_ctx *c, fl_err *err)
{
    size_t n = 0;
    const char **v = fl_xcalloc(c->ix->n + 1, sizeof *v);
    for (size_t i = 0; i < c->ix->cap; i++) {
        pk_node *nd = c->ix->slots[i];
        if (nd && nd->kind == PK_K_DIR && nd->path[0] && !(nd->flags & (PK_F_EMITTED | PK_F_FILTERED)) &&
            !filtered_out(c->o, nd->path))
            v[n++] = nd->path;
    }
    qsort(v, n, sizeof *v, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        pk_out_entry e = {.path = v[i], .kind = PK_K_DIR, .mode = 0755};
        rc = pk_apply_emit(c, &e, NULL, err);
    }
    free(v);
    return rc;
}

static void summarize(pk_apply_stats *st)
{
    if (st->skipped_special)
        pk_stats_warn(st, "skipped %llu device nodes, FIFOs or sockets (a Lambda package cannot hold them), e.g. /%s",
                      (unsigned long long)st->skipped_special, st->ex_special);
    if (st->setid_cleared)
        pk_stats_warn(st, "cleared setuid/setgid on %llu files (meaningless on Lambda), e.g. /%s",
                      (unsigned long long)st->setid_cleared, st->ex_setid);
    if (st->absolute_names)
        pk_stats_warn(st, "%llu entries had absolute names (made relative to the image root), e.g. /%s",
                      (unsigned long long)st->absolute_names, st->ex_abs);
    if (st->links_clamped)
        pk_stats_warn(st,
                      "%llu symlinks pointed above the image root with \"..\": clamped at the root as in a "
                      "container, e.g. /%s",
                      (unsigned long long)st->links_clamped, st->ex_clamped);
    if (st->links_replaced)
        pk_stats_warn(st,
                      "%llu symlinks of lower layers were replaced by directories that upper layers write into "
                      "without an entry for them (docker would have written through the link), e.g. /%s",
                      (unsigned long long)st->links_replaced, st->ex_replaced);
    if (st->reserved_hidden)
        pk_stats_warn(st, "the image's /%s was replaced by the package's own file of that name", st->ex_reserved);
}

int pk_apply(pk_image *img, const pk_apply_opts *o, pk_sink *sink, pk_index *ix, pk_apply_stats *st, fl_err *err)
{
    pk_apply_ctx c = {.img = img, .o = o, .sink = sink, .ix = ix, .st = st};
    int top = (int)img->manifest.ndescs;
    pk_index_init(ix);
    pk_node *root = pk_index_put(ix, "", 0);
    root->kind = PK_K_DIR;
    root->layer = (int16_t)top;
    root->flags = PK_F_EXPLICIT | PK_F_EMITTED;
    root->mode = 0755;
    for (size_t i = 0; o->reserved && o->reserved[i]; i++) {
        pk_node *n = pk_index_put(ix, o->reserved[i], strlen(o->reserved[i]));
        n->kind = PK_K_FILE;
        n->layer = (int16_t)top;
        n->flags = PK_F_RESERVED | PK_F_FILTERED;
    }
    c.buf = fl_xmalloc(COPY_BUF);
    int rc = 0;
    for (int l = top - 1; l >= 0 && rc == 0; l--)
        rc = apply_layer(&c, l, err);
    st->bytes_read = c.bytes_base;
    if (rc == 0)
        rc = pk_hardlinks_resolve(&c, err);
    if (rc == 0)
        rc = implicit_dirs(&c, err);
    if (rc == 0)
        summarize(st);
    for (size_t i = 0; i < c.nlinks; i++) {
        free(c.links[i].path);
        free(c.links[i].target);
    }
    free(c.links);
    free(c.buf);
    return rc;
}
