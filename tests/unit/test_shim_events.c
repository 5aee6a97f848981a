/* Every public sample event in <shared>/testdata/events is translated by
 * shim_event_to_request and compared with a hand-written expectation in
 * tests/unit/shim_expect/<dir>/<name>.txt (the event's path, .json -> .txt).
 * A sample without an expectation, or an expectation without a sample, fails.
 *
 * Expectation format: one item per line; lines starting with '#' and blank
 * lines are ignored; the value is what follows "key:" and one space.
 *   kind: <shim_kind_name>   e.g. rest-v1, http-v2, function-url, alb, alb-multi, raw
 *   method: GET
 *   path: /my/path
 *   query: a=1&b=2           nothing after the colon: no query
 *   header: Name: value      one line per header: the full list, in order
 *   body: bytes              escapes \\ \r \n \t \xHH; nothing after the colon: empty
 *   body-is-event            the body is the event file, byte for byte
 *   error: text              translation fails with a message containing text
 * Translation uses default options (pass-through path "/", no base path). */
#include <dirent.h>

#include "test_shim_util.h"

#define EXPECT_DIR "tests/unit/shim_expect"

typedef struct expect {
    char *kind, *method, *path, *query, *error;
    fl_buf headers; /* "name: value\n" lines, escapes decoded */
    fl_buf body;
    bool body_is_event, has_body;
} expect;

static void set_str(char **dst, const char *v)
{
    fl_buf b = {0};
    unescape_into(v, &b);
    free(*dst);
    *dst = fl_buf_steal(&b);
}

static void parse_expect(const char *file, expect *e)
{
    fl_buf text = {0};
    read_all(file, &text);
    char *save = NULL;
    for (char *line = strtok_r(fl_buf_cstr(&text), "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!*line || *line == '#')
            continue;
        if (!strcmp(line, "body-is-event")) {
            e->body_is_event = true;
            continue;
        }
        char *colon = strchr(line, ':');
        cr_assert(colon, "%s: line without a key: %s", file, line);
        *colon = 0;
        const char *v = colon[1] == ' ' ? colon + 2 : colon + 1;
        if (!strcmp(line, "kind"))
            set_str(&e->kind, v);
        else if (!strcmp(line, "method"))
            set_str(&e->method, v);
        else if (!strcmp(line, "path"))
            set_str(&e->path, v);
        else if (!strcmp(line, "query"))
            set_str(&e->query, v);
        else if (!strcmp(line, "error"))
            set_str(&e->error, v);
        else if (!strcmp(line, "header")) {
            unescape_into(v, &e->headers);
            fl_buf_putc(&e->headers, '\n');
        } else if (!strcmp(line, "body")) {
            unescape_into(v, &e->body);
            e->has_body = true;
        } else
            cr_assert_fail("%s: unknown key \"%s\"", file, line);
    }
    fl_buf_free(&text);
    cr_assert(e->kind, "%s: no kind", file);
    if (!e->error)
        cr_assert(e->method && e->path && e->query && (e->has_body || e->body_is_event),
                  "%s: method, path, query and body are required unless error is given", file);
}

static void free_expect(expect *e)
{
    free(e->kind);
    free(e->method);
    free(e->path);
    free(e->query);
    free(e->error);
    fl_buf_free(&e->headers);
    fl_buf_free(&e->body);
}

static void check_event(const char *event_file, const char *expect_file)
{
    expect e = {0};
    parse_expect(expect_file, &e);
    fl_buf ev = {0};
    read_all(event_file, &ev);
    shim_request req = {0};
    shim_kind kind;
    fl_err err = {{0}};
    int rc = shim_event_to_request(ev.data, ev.len, NULL, &kind, &req, &err);

    cr_expect_str_eq(shim_kind_name(kind), e.kind, "%s: kind", event_file);
    if (e.error) {
        cr_expect_eq(rc, -1, "%s: translation should fail", event_file);
        cr_expect(strstr(err.msg, e.error), "%s: error \"%s\" does not contain \"%s\"", event_file, err.msg, e.error);
    } else if (rc) {
        cr_expect_fail("%s: translation failed: %s", event_file, err.msg);
    } else {
        cr_expect_str_eq(req.method, e.method, "%s: method", event_file);
        cr_expect_str_eq(req.path, e.path, "%s: path", event_file);
        cr_expect_str_eq(req.query, e.query, "%s: query", event_file);
        char *got = headers_text(&req.headers);
        cr_expect_str_eq(got, fl_buf_cstr(&e.headers), "%s: headers\n-- got:\n%s-- expected:\n%s", event_file, got,
                         fl_buf_cstr(&e.headers));
        free(got);
        const fl_buf *want = e.body_is_event ? &ev : &e.body;
        bool same = req.body.len == want->len && (!want->len || !memcmp(req.body.data, want->data, want->len));
        char *g = escape_bytes(req.body.data ? req.body.data : "", req.body.len);
        char *w = escape_bytes(want->data ? want->data : "", want->len);
        cr_expect(same, "%s: body\n-- got: %s\n-- expected: %s", event_file, g, w);
        free(g);
        free(w);
        cr_expect_eq(req.request_context == NULL, kind == SHIM_RAW, "%s: request_context", event_file);
    }
    shim_request_free(&req);
    fl_buf_free(&ev);
    free_expect(&e);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* Calls fn(root, rel) for each file under root ending in suffix. */
static void walk(const char *root, const char *rel, const char *suffix, void (*fn)(const char *, const char *),
                 size_t *count)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    cr_assert(d, "cannot open %s", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char sub[4096], full[8192];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        cr_assert(!stat(full, &st), "cannot stat %s", full);
        if (S_ISDIR(st.st_mode))
            walk(root, sub, suffix, fn, count);
        else if (ends_with(de->d_name, suffix)) {
            fn(root, sub);
            (*count)++;
        }
    }
    closedir(d);
}

static char *swap_suffix(const char *rel, const char *from, const char *to)
{
    return fl_xasprintf("%.*s%s", (int)(strlen(rel) - strlen(from)), rel, to);
}

static void one_event(const char *root, const char *rel)
{
    char *name = swap_suffix(rel, ".json", ".txt");
    char *event_file = fl_xasprintf("%s/%s", root, rel);
    char *expect_file = fl_xasprintf("%s/%s", EXPECT_DIR, name);
    struct stat st;
    if (stat(expect_file, &st))
        cr_expect_fail("%s has no expectation: write %s (see the format at the top of %s)", event_file, expect_file,
                       __FILE__);
    else
        check_event(event_file, expect_file);
    free(name);
    free(event_file);
    free(expect_file);
}

static const char *events_root;

static void one_expectation(const char *root, const char *rel)
{
    char *name = swap_suffix(rel, ".txt", ".json");
    char *event_file = fl_xasprintf("%s/%s", events_root, name);
    struct stat st;
    cr_expect(!stat(event_file, &st), "%s/%s: no such sample event %s (stale expectation?)", root, rel, event_file);
    free(name);
    free(event_file);
}

Test(shim_events, every_sample_event_matches_its_expectation)
{
    events_root = shared_events_dir();
    size_t events = 0, expectations = 0;
    walk(events_root, "", ".json", one_event, &events);
    walk(EXPECT_DIR, "", ".txt", one_expectation, &expectations);
    cr_expect_gt(events, 30, "only %zu sample events under %s", events, events_root);
    cr_expect_eq(events, expectations, "%zu events, %zu expectations", events, expectations);
}
