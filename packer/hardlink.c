/* Hard links. A zip has none, so each visible hard link is written as a file
 * with its target's content. The main pass only records them (the target may
 * sit earlier in the same tar, already streamed out, or in a lower layer);
 * here each layer that holds targets is read once more, top-down, and every
 * link is written when its target's entry streams by. A target shared by
 * several links is spooled once to an unlinked temp file. */
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packer/internal.h"

#define MAX_RESCANS 16

typedef struct scan {
    pk_apply_ctx *c;
    pk_pending_link **rel; /* the links looking in this layer, sorted by target */
    size_t nrel;
    bool *moved;           /* retargeted during this scan (a chain of hard links) */
    char **moved_to;       /* their new targets, applied after the scan (rel stays sorted) */
    uint64_t *moved_before;
    bool again;
} scan;

static int cmp_link(const void *a, const void *b)
{
    const pk_pending_link *x = *(pk_pending_link *const *)a, *y = *(pk_pending_link *const *)b;
    int r = strcmp(x->target, y->target);
    return r ? r : strcmp(x->path, y->path);
}

/* The first link whose target is path, or nrel. */
static size_t lower_bound(const scan *s, const char *path)
{
    size_t lo = 0, hi = s->nrel;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(s->rel[mid]->target, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

typedef struct fd_content {
    int fd;
    uint64_t left;
} fd_content;

static ssize_t fd_content_read(pk_content *pc, void *buf, size_t n, fl_err *err)
{
    fd_content *f = pc->ud;
    if (n > f->left)
        n = (size_t)f->left;
    ssize_t r = read(f->fd, buf, n);
    if (r < 0)
        return fl_fail(err, "reading back a spooled hard link target: %s", strerror(errno));
    f->left -= (uint64_t)r;
    return r;
}

typedef struct tar_src {
    pk_tar *t;
} tar_src;

static ssize_t tar_src_read(pk_content *pc, void *buf, size_t n, fl_err *err)
{
    return pk_tar_read(((tar_src *)pc->ud)->t, buf, n, err);
}

static int emit_file(pk_apply_ctx *c, pk_pending_link *p, uint64_t size, pk_content *src, fl_err *err)
{
    pk_node *n = pk_index_get(c->ix, p->path, strlen(p->path));
    if (n)
        n->size = size;
    pk_out_entry e = {.path = p->path, .kind = PK_K_FILE, .mode = p->mode, .size = size};
    p->done = true;
    return pk_apply_emit(c, &e, src, err);
}

/* Writes links m[0..k) with the content of the current entry. */
static int emit_from_tar(pk_apply_ctx *c, pk_tar *t, pk_pending_link **m, size_t k, uint64_t size, fl_err *err)
{
    tar_src ts = {t};
    pk_content src = {tar_src_read, &ts};
    if (k == 1)
        return emit_file(c, m[0], size, &src, err);
    FILE *spool = tmpfile();
    if (!spool)
        return fl_fail(err, "cannot create a temp file for a hard link target: %s (set TMPDIR)", strerror(errno));
    int fd = fileno(spool), rc = 0;
    for (;;) {
        ssize_t r = pk_tar_read(t, c->buf, 256u << 10, err);
        if (r < 0 || (r > 0 && write(fd, c->buf, (size_t)r) != r)) {
            rc = r < 0 ? -1 : fl_fail(err, "cannot spool a hard link target: %s", strerror(errno));
            break;
        }
        if (r == 0)
            break;
    }
    for (size_t i = 0; i < k && rc == 0; i++) {
        lseek(fd, 0, SEEK_SET);
        fd_content f = {fd, size};
        pk_content fc = {fd_content_read, &f};
        rc = emit_file(c, m[i], size, &fc, err);
    }
    fclose(spool);
    return rc;
}

static int emit_symlinks(pk_apply_ctx *c, const char *src_path, const char *target, pk_pending_link **m, size_t k,
                         fl_err *err)
{
    bool escaped;
    char *resolved = pk_link_resolve(src_path, target, &escaped);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++) {
        char *text = pk_path_relative(m[i]->path, resolved);
        pk_node *n = pk_index_get(c->ix, m[i]->path, strlen(m[i]->path));
        if (n) {
            n->kind = PK_K_SYMLINK;
            n->link = pk_index_strdup(c->ix, resolved);
            n->flags &= (uint8_t)~PK_F_EXEC;
        }
        pk_out_entry e = {.path = m[i]->path, .kind = PK_K_SYMLINK, .mode = 0777, .link = text};
        m[i]->done = true;
        rc = pk_apply_emit(c, &e, NULL, err);
        free(text);
    }
    free(resolved);
    return rc;
}

/* The links that the entry number ord at path serves. */
static size_t matches(scan *s, const char *path, uint64_t ord, pk_pending_link ***out)
{
    size_t k = 0;
    for (size_t i = lower_bound(s, path); i < s->nrel && !strcmp(s->rel[i]->target, path); i++) {
        pk_pending_link *p = s->rel[i];
        if (!p->done && !s->moved[i] && (p->before == 0 || ord < p->before))
            (*out)[k++] = p;
    }
    return k;
}

static int on_entry(scan *s, pk_tar *t, const pk_tar_hdr *h, uint64_t ord, const char *lname, fl_err *err)
{
    char *path;
    if (pk_path_norm(h->name, &path, NULL, NULL))
        return 0;
    pk_pending_link **m = fl_xcalloc(s->nrel, sizeof *m);
    size_t k = matches(s, path, ord, &m);
    int rc = 0;
    char *next = NULL;
    if (k == 0) {
    } else if (h->hardlink) { /* a link to a link: follow it within this layer */
        if (pk_path_norm(h->hardlink, &next, NULL, NULL) == 0) {
            for (size_t i = lower_bound(s, path); i < s->nrel && !strcmp(s->rel[i]->target, path); i++)
                for (size_t j = 0; j < k; j++)
                    if (s->rel[i] == m[j]) {
                        s->moved_to[i] = fl_xstrdup(next);
                        s->moved_before[i] = ord;
                        s->moved[i] = true;
                    }
            s->again = true;
        }
    } else if (h->type == AE_IFREG) {
        rc = emit_from_tar(s->c, t, m, k, (uint64_t)h->size, err);
    } else if (h->type == AE_IFLNK) {
        rc = emit_symlinks(s->c, path, h->symlink, m, k, err);
    } else {
        for (size_t i = 0; i < k; i++) {
            pk_stats_warn(s->c->st, "%s: hard link /%s points at /%s, which is not a regular file: skipped", lname,
                          m[i]->path, path);
            m[i]->done = true;
        }
    }
    free(next);
    free(m);
    free(path);
    return rc;
}

static int scan_layer(scan *s, int layer, fl_err *err)
{
    char lname[64];
    pk_layer_name(s->c->img, (size_t)layer, lname);
    /* when every link here has its source before a known entry, stop there */
    uint64_t stop = 0;
    for (size_t i = 0; i < s->nrel; i++) {
        if (s->rel[i]->before == 0) {
            stop = UINT64_MAX;
            break;
        }
        if (s->rel[i]->before > stop)
            stop = s->rel[i]->before;
    }
    pk_tar *t;
    if (pk_apply_open_layer(s->c, (size_t)layer, false, &t, err))
        return -1;
    pk_tar_hdr h;
    uint64_t ord = 0;
    int r = 0;
    while (ord + 1 < stop && (r = pk_tar_next(t, &h, err)) == 1) {
        if (on_entry(s, t, &h, ++ord, lname, err)) {
            pk_tar_abort(t);
            return -1;
        }
    }
    pk_tar_abort(t); /* read once already and verified then */
    return ord + 1 < stop && r < 0 ? -1 : 0;
}

int pk_hardlinks_resolve(pk_apply_ctx *c, fl_err *err)
{
    int layer = -1;
    for (size_t i = 0; i < c->nlinks; i++)
        if (c->links[i].layer > layer)
            layer = c->links[i].layer;
    int rescans = 0;
    pk_pending_link **rel = fl_xcalloc(c->nlinks + 1, sizeof *rel);
    bool *moved = fl_xcalloc(c->nlinks + 1, sizeof *moved);
    char **moved_to = fl_xcalloc(c->nlinks + 1, sizeof *moved_to);
    uint64_t *moved_before = fl_xcalloc(c->nlinks + 1, sizeof *moved_before);
    int rc = 0;
    while (layer >= 0 && rc == 0) {
        size_t n = 0;
        for (size_t i = 0; i < c->nlinks; i++)
            if (!c->links[i].done && c->links[i].layer == layer)
                rel[n++] = &c->links[i];
        if (n == 0) {
            layer--;
            rescans = 0;
            continue;
        }
        qsort(rel, n, sizeof *rel, cmp_link);
        memset(moved, 0, n * sizeof *moved);
        scan s = {c, rel, n, moved, moved_to, moved_before, false};
        rc = scan_layer(&s, layer, err);
        for (size_t i = 0; i < n; i++)
            if (moved[i]) {
                free(rel[i]->target);
                rel[i]->target = moved_to[i];
                rel[i]->before = moved_before[i];
                moved_to[i] = NULL;
            } else if (!rel[i]->done) {
                rel[i]->layer = layer - 1; /* not in this layer before the link: look below */
                rel[i]->before = 0;
            }
        if (!s.again || ++rescans > MAX_RESCANS) {
            layer--;
            rescans = 0;
        }
    }
    for (size_t i = 0; i < c->nlinks && rc == 0; i++)
        if (!c->links[i].done)
            pk_stats_warn(c->st, "hard link /%s points at /%s, which no layer holds: skipped", c->links[i].path,
                          c->links[i].target);
    free(rel);
    free(moved);
    free(moved_to);
    free(moved_before);
    return rc;
}
