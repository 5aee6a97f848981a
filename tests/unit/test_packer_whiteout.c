/* OCI layer semantics decided top-down: each test lists layers from the top
 * (highest index) down, as pk_apply visits them, and checks the verdicts. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "packer/internal.h"

static pk_index ix;

static void setup(void)
{
    pk_index_init(&ix);
    pk_node *root = pk_index_put(&ix, "", 0);
    root->kind = PK_K_DIR;
    root->layer = 100;
    root->flags = PK_F_EXPLICIT;
}

static void teardown(void)
{
    pk_index_free(&ix);
}

/* Feeds one tar entry name of `layer` the way layers.c does. */
static pk_verdict put(int layer, const char *name, enum pk_kind kind)
{
    char *target = NULL;
    int wk = pk_whiteout_kind(name, &target);
    pk_tar_entry e = {.path = name, .kind = kind, .mode = 0644};
    if (wk) {
        e.path = target;
        e.kind = wk == 1 ? PK_K_WHITEOUT : PK_K_NONE;
    }
    pk_verdict v = pk_decide(&ix, layer, &e);
    free(target);
    return v;
}

#define D PK_K_DIR
#define F PK_K_FILE
#define L PK_K_SYMLINK

TestSuite(whiteout, .init = setup, .fini = teardown);

Test(whiteout, kinds)
{
    char *t = NULL;
    cr_assert_eq(pk_whiteout_kind("a/.wh.b", &t), 1);
    cr_assert_str_eq(t, "a/b");
    free(t);
    cr_assert_eq(pk_whiteout_kind(".wh.top", &t), 1);
    cr_assert_str_eq(t, "top");
    free(t);
    cr_assert_eq(pk_whiteout_kind("a/b/.wh..wh..opq", &t), 2);
    cr_assert_str_eq(t, "a/b");
    free(t);
    cr_assert_eq(pk_whiteout_kind("a/.wh.", &t), 0);
    cr_assert_eq(pk_whiteout_kind("a/.wh..", &t), 0);
    cr_assert_eq(pk_whiteout_kind("a/x.wh.b", &t), 0);
    cr_assert_eq(pk_whiteout_kind(".wh.x/real", &t), 0);
}

Test(whiteout, upper_file_wins)
{
    cr_assert_eq(put(1, "etc", D), PK_V_EMIT);
    cr_assert_eq(put(1, "etc/conf", F), PK_V_EMIT);
    cr_assert_eq(put(0, "etc", D), PK_V_SAME_DIR);
    cr_assert_eq(put(0, "etc/conf", F), PK_V_HIDDEN);
    cr_assert_eq(put(0, "etc/other", F), PK_V_EMIT);
}

Test(whiteout, whiteout_hides_lower_only)
{
    cr_assert_eq(put(2, "app/.wh.old", F), PK_V_WHITEOUT);
    cr_assert_eq(put(1, "app/old", F), PK_V_HIDDEN);
    cr_assert_eq(put(1, "app/old/child", F), PK_V_HIDDEN);
    cr_assert_eq(put(0, "app/old", D), PK_V_HIDDEN);
}

Test(whiteout, whiteout_and_entry_in_one_layer)
{
    /* the same layer deletes the lower directory and makes a new one */
    cr_assert_eq(put(1, ".wh.data", F), PK_V_WHITEOUT);
    cr_assert_eq(put(1, "data", D), PK_V_EMIT);
    cr_assert_eq(put(1, "data/new", F), PK_V_EMIT);
    cr_assert_eq(put(0, "data", D), PK_V_SAME_DIR);
    cr_assert_eq(put(0, "data/lower", F), PK_V_HIDDEN);
}

Test(whiteout, opaque_directory)
{
    cr_assert_eq(put(1, "cfg", D), PK_V_EMIT);
    cr_assert_eq(put(1, "cfg/.wh..wh..opq", F), PK_V_OPAQUE);
    cr_assert_eq(put(1, "cfg/mine", F), PK_V_EMIT);
    cr_assert_eq(put(0, "cfg/theirs", F), PK_V_HIDDEN);
    cr_assert_eq(put(0, "cfg/sub/deep", F), PK_V_HIDDEN);
    cr_assert_eq(put(0, "cfg", D), PK_V_SAME_DIR);
    cr_assert_eq(put(0, "other", F), PK_V_EMIT);
}

Test(whiteout, opaque_marker_before_its_directory)
{
    cr_assert_eq(put(2, "cfg/.wh..wh..opq", F), PK_V_OPAQUE);
    cr_assert_eq(put(2, "cfg", D), PK_V_EMIT_META);
    cr_assert_eq(put(1, "cfg/x", F), PK_V_HIDDEN);
}

Test(whiteout, file_replaces_directory)
{
    cr_assert_eq(put(1, "thing", F), PK_V_EMIT);
    cr_assert_eq(put(0, "thing", D), PK_V_HIDDEN);
    cr_assert_eq(put(0, "thing/inside", F), PK_V_HIDDEN);
}

Test(whiteout, directory_replaces_file)
{
    cr_assert_eq(put(1, "thing", D), PK_V_EMIT);
    cr_assert_eq(put(1, "thing/inside", F), PK_V_EMIT);
    cr_assert_eq(put(0, "thing", F), PK_V_HIDDEN);
    cr_assert_eq(put(0, "thing", L), PK_V_HIDDEN);
}

Test(whiteout, implicit_parent_takes_lower_metadata)
{
    cr_assert_eq(put(1, "usr/local/bin/tool", F), PK_V_EMIT);
    pk_node *n = pk_index_get(&ix, "usr/local", 9);
    cr_assert_not_null(n);
    cr_assert_eq(n->kind, PK_K_DIR);
    cr_assert_not(n->flags & PK_F_EXPLICIT);
    cr_assert_eq(put(0, "usr/local", D), PK_V_EMIT_META);
    cr_assert(n->flags & PK_F_EXPLICIT);
    cr_assert_eq(put(0, "usr/local", D), PK_V_SAME_DIR);
    /* a lower file where the upper layer needs a directory is replaced */
    cr_assert_eq(put(0, "usr/local/bin", F), PK_V_HIDDEN);
}

Test(whiteout, symlink_above_hides_lower_directory_contents)
{
    cr_assert_eq(put(1, "lib", L), PK_V_EMIT);
    cr_assert_eq(put(0, "lib", D), PK_V_HIDDEN);
    cr_assert_eq(put(0, "lib/libc.so", F), PK_V_HIDDEN);
}

Test(whiteout, path_through_symlink_in_one_layer)
{
    cr_assert_eq(put(0, "evil", L), PK_V_EMIT);
    cr_assert_eq(put(0, "evil/passwd", F), PK_V_THROUGH);
    cr_assert_eq(put(0, "evil/.wh.x", F), PK_V_THROUGH);
    cr_assert_eq(put(0, "evil/.wh..wh..opq", F), PK_V_THROUGH);
    cr_assert_eq(put(0, "file", F), PK_V_EMIT);
    cr_assert_eq(put(0, "file/x", F), PK_V_THROUGH);
}

Test(whiteout, duplicates_in_one_layer)
{
    cr_assert_eq(put(0, "a", F), PK_V_EMIT);
    cr_assert_eq(put(0, "a", F), PK_V_DUPLICATE);
    cr_assert_eq(put(0, "d", D), PK_V_EMIT);
    cr_assert_eq(put(0, "d", D), PK_V_SAME_DIR);
    cr_assert_eq(put(0, "p/child", F), PK_V_EMIT);
    cr_assert_eq(put(0, "p", F), PK_V_DUPLICATE);
}

Test(whiteout, whiteout_under_upper_file_is_moot)
{
    cr_assert_eq(put(2, "x", F), PK_V_EMIT);
    cr_assert_eq(put(1, "x/.wh.y", F), PK_V_HIDDEN);
    cr_assert_eq(put(1, ".wh.x", F), PK_V_HIDDEN);
    cr_assert_eq(put(0, "x", F), PK_V_HIDDEN);
}

Test(whiteout, reserved_names_hide_the_image)
{
    pk_node *n = pk_index_put(&ix, "bootstrap", 9);
    n->kind = PK_K_FILE;
    n->layer = 100;
    n->flags = PK_F_RESERVED;
    cr_assert_eq(put(3, "bootstrap", F), PK_V_HIDDEN);
    cr_assert_eq(put(3, "bootstrap/x", F), PK_V_HIDDEN);
}
