/* The sandbox's pure parts: bwrap's command line and info, finding the
 * bootstrap as the sandbox will see it, the REPORT line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/internal.h"

/* index of the sequence a, b, c... in argv, or -1 */
static int find_seq(const emu_strv *a, const char *const *seq, size_t n)
{
    for (size_t i = 0; i + n <= a->n; i++) {
        size_t k = 0;
        while (k < n && !strcmp(a->v[i + k], seq[k]))
            k++;
        if (k == n)
            return (int)i;
    }
    return -1;
}
#define HAS(a, ...) (find_seq((a), (const char *const[]){__VA_ARGS__}, \
                              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))

Test(bwrap, command_line)
{
    emu_host_entry root[] = {{"bin", "usr/bin"}, {"etc", NULL}, {"usr", NULL}};
    emu_host_entry var[] = {{"lib", NULL}, {"run", "/run"}};
    const char *env[] = {"A=1", "B=x=y", NULL};
    emu_bwrap_spec s = {.task_root = "/srv/pkg", .env = env, .bootstrap = "/var/task/bootstrap", .root = root,
                        .nroot = 3, .var = var, .nvar = 2, .info_fd = 3, .block_fd = 4};
    emu_strv a = {0};
    emu_bwrap_args(&s, &a);
    cr_assert_str_eq(a.v[0], "bwrap");
    cr_assert_geq(HAS(&a, "--unshare-net"), 0);
    cr_assert_geq(HAS(&a, "--unshare-pid"), 0);
    cr_assert_geq(HAS(&a, "--die-with-parent"), 0);
    cr_assert_geq(HAS(&a, "--cap-drop", "ALL"), 0);
    cr_assert_geq(HAS(&a, "--info-fd", "3", "--block-fd", "4"), 0);
    cr_assert_geq(HAS(&a, "--symlink", "usr/bin", "/bin"), 0);
    cr_assert_geq(HAS(&a, "--ro-bind", "/etc", "/etc"), 0);
    cr_assert_geq(HAS(&a, "--ro-bind", "/var/lib", "/var/lib"), 0);
    cr_assert_geq(HAS(&a, "--symlink", "/run", "/var/run"), 0);
    int task = HAS(&a, "--ro-bind", "/srv/pkg", "/var/task");
    cr_assert_geq(task, 0);
    cr_assert_geq(HAS(&a, "--perms", "0755", "--dir", "/opt"), 0, "an empty /opt without --opt-dir");
    cr_assert_geq(HAS(&a, "--perms", "1777", "--size", "536870912", "--tmpfs", "/tmp"), 0);
    int ro = HAS(&a, "--remount-ro", "/");
    cr_assert_gt(ro, task, "the root is made read-only after the mounts");
    cr_assert_geq(HAS(&a, "--chdir", "/var/task", "--clearenv", "--setenv", "A", "1", "--setenv", "B", "x=y"), 0);
    cr_assert_str_eq(a.v[a.n - 2], "--");
    cr_assert_str_eq(a.v[a.n - 1], "/var/task/bootstrap");
    emu_strv_free(&a);

    s.opt_dir = "/srv/layer";
    emu_bwrap_args(&s, &a);
    cr_assert_geq(HAS(&a, "--ro-bind", "/srv/layer", "/opt"), 0);
    cr_assert_eq(HAS(&a, "--dir", "/opt"), -1);
    emu_strv_free(&a);
}

Test(bwrap, info)
{
    pid_t pid = 0;
    const char *doc = "{\n    \"child-pid\": 4242,\n    \"cgroup-namespace\": 4026531835\n}\n";
    cr_assert_eq(emu_bwrap_parse_info(doc, strlen(doc), &pid), 0);
    cr_assert_eq(pid, 4242);
    cr_assert_eq(emu_bwrap_parse_info("{\n    \"child-pid\": 42", 21, &pid), -1); /* not complete yet */
    cr_assert_eq(emu_bwrap_parse_info("{\"child-pid\": 1}", 16, &pid), -1);
    cr_assert_eq(emu_bwrap_parse_info("{\"child-pid\": \"7\"}", 18, &pid), -1);
    cr_assert_eq(emu_bwrap_parse_info("{}", 2, &pid), -1);
}

Test(bwrap, host_entries_skip_and_sort)
{
    char dir[] = "/tmp/emu-entries-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char p[256];
    snprintf(p, sizeof p, "%s/b", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/a", dir);
    symlink("b", p);
    snprintf(p, sizeof p, "%s/skipme", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/f", dir);
    fclose(fopen(p, "w"));
    emu_host_entry *e;
    size_t n;
    const char *skip[] = {"skipme", NULL};
    fl_err err;
    cr_assert_eq(emu_host_entries(dir, skip, &e, &n, &err), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(e[0].name, "a");
    cr_assert_str_eq(e[0].link, "b");
    cr_assert_str_eq(e[1].name, "b");
    cr_assert_null(e[1].link);
    cr_assert_str_eq(e[2].name, "f");
    emu_host_entries_free(e, n);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static char tmp_root[64];

static void mk(const char *rel, const char *content, int mode)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", tmp_root, rel);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f, "%s", p);
    fputs(content, f);
    fclose(f);
    chmod(p, (mode_t)mode);
}

static void ln(const char *target, const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", tmp_root, rel);
    cr_assert_eq(symlink(target, p), 0, "%s", p);
}

static void setup_dirs(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/emu-boot-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_root));
    char p[256];
    snprintf(p, sizeof p, "%s/task", tmp_root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/opt", tmp_root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/opt/bin", tmp_root);
    mkdir(p, 0755);
}

static void teardown_dirs(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_root);
    cr_assert_eq(system(cmd), 0);
}

static emu_fn_conf conf_for(bool with_opt)
{
    emu_fn_conf c = {0};
    c.task_root = fl_xasprintf("%s/task", tmp_root);
    c.opt_dir = with_opt ? fl_xasprintf("%s/opt", tmp_root) : NULL;
    return c;
}

static void conf_free(emu_fn_conf *c)
{
    free(c->task_root);
    free(c->opt_dir);
}

Test(bootstrap, path_mapping, .init = setup_dirs, .fini = teardown_dirs)
{
    emu_fn_conf c = conf_for(false);
    char out[512];
    cr_assert_eq(emu_sandbox_path_to_host(&c, "/var/task/x/y", out, sizeof out), 0);
    cr_assert_str_eq(out + strlen(tmp_root), "/task/x/y");
    cr_assert_eq(emu_sandbox_path_to_host(&c, "/var/taskforce", out, sizeof out), 0);
    cr_assert_str_eq(out, "/var/taskforce");
    cr_assert_eq(emu_sandbox_path_to_host(&c, "/opt/bootstrap", out, sizeof out), -1, "no layer: /opt is empty");
    cr_assert_eq(emu_sandbox_path_to_host(&c, "/tmp/x", out, sizeof out), -1);
    cr_assert_eq(emu_sandbox_path_to_host(&c, "/usr/bin/env", out, sizeof out), 0);
    cr_assert_str_eq(out, "/usr/bin/env");
    conf_free(&c);
}

Test(bootstrap, task_first_then_opt, .init = setup_dirs, .fini = teardown_dirs)
{
    emu_fn_conf c = conf_for(true);
    char found[64];
    cr_assert_eq(emu_find_bootstrap(&c, found), -1);
    mk("opt/bootstrap", "#!/bin/sh\n", 0755);
    cr_assert_eq(emu_find_bootstrap(&c, found), 0);
    cr_assert_str_eq(found, "/opt/bootstrap");
    mk("task/bootstrap", "#!/bin/sh\n", 0644); /* not executable: skipped */
    cr_assert_eq(emu_find_bootstrap(&c, found), 0);
    cr_assert_str_eq(found, "/opt/bootstrap");
    mk("task/bootstrap", "#!/bin/sh\n", 0755);
    cr_assert_eq(emu_find_bootstrap(&c, found), 0);
    cr_assert_str_eq(found, "/var/task/bootstrap");
    conf_free(&c);
}

Test(bootstrap, links_resolve_as_in_the_sandbox, .init = setup_dirs, .fini = teardown_dirs)
{
    emu_fn_conf c = conf_for(true);
    char found[64];
    mk("opt/bin/real", "#!/bin/sh\n", 0755);
    ln("/opt/bin/real", "task/bootstrap"); /* absolute: into the layer */
    cr_assert_eq(emu_find_bootstrap(&c, found), 0);
    cr_assert_str_eq(found, "/var/task/bootstrap");
    conf_free(&c);
    c = conf_for(false); /* without the layer the same link dangles */
    cr_assert_eq(emu_find_bootstrap(&c, found), -1);
    conf_free(&c);
}

Test(bootstrap, relative_and_looping_links, .init = setup_dirs, .fini = teardown_dirs)
{
    emu_fn_conf c = conf_for(false);
    char found[64];
    mk("task/run.sh", "#!/bin/sh\n", 0755);
    ln("./sub/../run.sh", "task/bootstrap");
    cr_assert_eq(emu_find_bootstrap(&c, found), -1, "sub does not exist");
    char p[256];
    snprintf(p, sizeof p, "%s/task/sub", tmp_root);
    mkdir(p, 0755);
    cr_assert_eq(emu_find_bootstrap(&c, found), 0);
    snprintf(p, sizeof p, "%s/task/bootstrap", tmp_root);
    unlink(p);
    ln("bootstrap", "task/bootstrap"); /* loop */
    cr_assert_eq(emu_find_bootstrap(&c, found), -1);
    conf_free(&c);
}

Test(report, lines)
{
    fl_buf b = {0};
    emu_format_report(&b, "id-1", 1.234, 128, 30, -1, NULL, NULL);
    cr_assert_str_eq(fl_buf_cstr(&b), "REPORT RequestId: id-1\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t"
                                      "Max Memory Used: 30 MB");
    fl_buf_reset(&b);
    emu_format_report(&b, "id-2", 3000.5, 256, 31, 100.25, "timeout", NULL);
    cr_assert_str_eq(fl_buf_cstr(&b), "REPORT RequestId: id-2\tDuration: 3000.50 ms\tBilled Duration: 3101 ms\tMemory Size: 256 MB\t"
                                      "Max Memory Used: 31 MB\tInit Duration: 100.25 ms\tStatus: timeout");
    fl_buf_reset(&b);
    emu_format_report(&b, "id-3", 2.0, 128, 1, -1, "error", "Runtime.ExitError");
    cr_assert_str_eq(fl_buf_cstr(&b), "REPORT RequestId: id-3\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t"
                                      "Max Memory Used: 1 MB\tStatus: error\tError Type: Runtime.ExitError");
    fl_buf_free(&b);
}

Test(memory, never_counts_the_host)
{
    char self[64];
    ssize_t n = readlink("/proc/self/ns/pid", self, sizeof self - 1);
    cr_assert_gt(n, 0);
    self[n] = 0;
    cr_assert_eq(emu_proc_memory_mb(self), 0);
    cr_assert_eq(emu_proc_memory_mb(""), 0);
    cr_assert_eq(emu_proc_memory_mb("pid:[1]"), 0);
}
