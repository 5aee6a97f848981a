/* One validating pass over a JSON document that hands the small top-level
 * members to cJSON and keeps the (possibly 6 MB) body as a span of the input.
 * cJSON alone costs ~2 ms per MB of body string and cuts strings at \u0000;
 * this pass is word-at-a-time over string contents. */
#include <string.h>

#include "shim/internal.h"

enum { MAX_DEPTH = 4096 };

typedef struct scan {
    const char *s;
    size_t len, pos;
    bool nul; /* a string seen since the flag was cleared held a NUL */
    fl_err *err;
} scan;

static int bad(scan *sc, const char *what)
{
    return fl_fail(sc->err, "invalid JSON at byte %zu: %s", sc->pos, what);
}

static void skip_ws(scan *sc)
{
    while (sc->pos < sc->len) {
        char c = sc->s[sc->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        sc->pos++;
    }
}

/* sc->pos at the opening quote; leaves pos after the closing one. */
static int scan_string(scan *sc)
{
    const char *end = sc->s + sc->len, *p = sc->s + sc->pos + 1;
    for (;;) {
        p = shim_json_find_special(p, end);
        if (p == end) {
            sc->pos = sc->len;
            return bad(sc, "unterminated string");
        }
        if (*p == '"')
            break;
        if (*p != '\\') {
            sc->pos = (size_t)(p - sc->s);
            return bad(sc, "control character in a string (it must be escaped)");
        }
        unsigned cp;
        size_t n = shim_json_escape(p, end, &cp);
        if (!n) {
            sc->pos = (size_t)(p - sc->s);
            return bad(sc, "invalid escape in a string");
        }
        sc->nul |= cp == 0;
        p += n;
    }
    sc->pos = (size_t)(p - sc->s) + 1;
    return 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t digits(scan *sc)
{
    size_t start = sc->pos;
    while (sc->pos < sc->len && is_digit(sc->s[sc->pos]))
        sc->pos++;
    return sc->pos - start;
}

static int scan_number(scan *sc)
{
    if (sc->s[sc->pos] == '-')
        sc->pos++;
    if (sc->pos < sc->len && sc->s[sc->pos] == '0')
        sc->pos++;
    else if (!digits(sc))
        return bad(sc, "invalid number");
    if (sc->pos < sc->len && sc->s[sc->pos] == '.') {
        sc->pos++;
        if (!digits(sc))
            return bad(sc, "invalid number");
    }
    if (sc->pos < sc->len && (sc->s[sc->pos] == 'e' || sc->s[sc->pos] == 'E')) {
        sc->pos++;
        if (sc->pos < sc->len && (sc->s[sc->pos] == '+' || sc->s[sc->pos] == '-'))
            sc->pos++;
        if (!digits(sc))
            return bad(sc, "invalid number");
    }
    return 0;
}

static int scan_literal(scan *sc, const char *lit)
{
    size_t n = strlen(lit);
    if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, lit, n))
        return bad(sc, "unexpected character");
    sc->pos += n;
    return 0;
}

static int scan_scalar(scan *sc)
{
    char c = sc->s[sc->pos];
    switch (c) {
    case '"': return scan_string(sc);
    case 't': return scan_literal(sc, "true");
    case 'f': return scan_literal(sc, "false");
    case 'n': return scan_literal(sc, "null");
    default:
        if (c == '-' || is_digit(c))
            return scan_number(sc);
        return bad(sc, "unexpected character");
    }
}

/* Expects an object key, then ':'. *name gets the key's literal contents. */
static int scan_key(scan *sc, shim_span *name)
{
    skip_ws(sc);
    if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
        return bad(sc, "expected a member name");
    size_t at = sc->pos + 1;
    if (scan_string(sc))
        return -1;
    if (name)
        *name = (shim_span){sc->s + at, sc->pos - 1 - at};
    skip_ws(sc);
    if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
        return bad(sc, "expected ':'");
    sc->pos++;
    return 0;
}

/* One value of any kind, iteratively (no recursion on hostile nesting). */
static int scan_value(scan *sc)
{
    unsigned char is_obj[MAX_DEPTH / 8];
    size_t depth = 0;
    for (;;) {
        skip_ws(sc);
        if (sc->pos >= sc->len)
            return bad(sc, "unexpected end");
        char c = sc->s[sc->pos];
        if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH)
                return bad(sc, "nested too deeply");
            bool obj = c == '{';
            is_obj[depth / 8] = (unsigned char)((is_obj[depth / 8] & ~(1u << depth % 8)) | (unsigned)obj << depth % 8);
            depth++;
            sc->pos++;
            skip_ws(sc);
            if (sc->pos < sc->len && sc->s[sc->pos] == (obj ? '}' : ']')) {
                sc->pos++;
                depth--;
            } else {
                if (obj && scan_key(sc, NULL))
                    return -1;
                continue;
            }
        } else if (scan_scalar(sc)) {
            return -1;
        }
        /* after a value: close containers or move to the next element */
        for (;;) {
            if (depth == 0)
                return 0;
            bool obj = is_obj[(depth - 1) / 8] >> (depth - 1) % 8 & 1;
            skip_ws(sc);
            if (sc->pos >= sc->len)
                return bad(sc, "unexpected end");
            char d = sc->s[sc->pos];
            if (d == ',') {
                sc->pos++;
                if (obj && scan_key(sc, NULL))
                    return -1;
                break;
            }
            if (d != (obj ? '}' : ']'))
                return bad(sc, obj ? "expected ',' or '}'" : "expected ',' or ']'");
            sc->pos++;
            depth--;
        }
    }
}

/* Index in keys of the member name literal s[0..n) (quotes excluded), or -1. */
static int wanted_index(const char *s, size_t n, const char *const *keys)
{
    char name[64];
    size_t len = n;
    if (memchr(s, '\\', n)) { /* rare: an escaped name ("b\u006fdy") still counts */
        fl_buf b = {0};
        if (n >= 6 * sizeof name || shim_json_unescape(s, n, &b, NULL) || b.len >= sizeof name) {
            fl_buf_free(&b);
            return -1;
        }
        memcpy(name, b.data, b.len);
        len = b.len;
        fl_buf_free(&b);
    } else {
        if (n >= sizeof name)
            return -1;
        memcpy(name, s, n);
    }
    for (int i = 0; keys[i]; i++)
        if (strlen(keys[i]) == len && !memcmp(keys[i], name, len))
            return i;
    return -1;
}

static shim_json_type type_of(const char *v)
{
    return *v == '"' ? SHIM_JSON_STRING : *v == 'n' ? SHIM_JSON_NULL : SHIM_JSON_OTHER;
}

/* The body string (sc->pos at its opening quote): kept as a span of the
 * input while it has no escape, which is the common case (base64 has none);
 * from the first escape on, decoded into doc->body_buf in the same pass. */
static int scan_body(scan *sc, shim_doc *doc)
{
    const char *start = sc->s + sc->pos + 1, *end = sc->s + sc->len;
    const char *p = shim_json_find_special(start, end);
    if (p < end && *p == '"') {
        doc->body = (shim_span){start, (size_t)(p - start)};
        sc->pos = (size_t)(p - sc->s) + 1;
        return 0;
    }
    fl_buf *b = &doc->body_buf;
    fl_buf_reserve(b, (size_t)(end - start) + 8);
    memcpy(b->data, start, (size_t)(p - start));
    char *o = b->data + (p - start);
    const char *why;
    p = shim_json_decode(p, end, &o, &why);
    sc->pos = (size_t)(p - sc->s);
    if (why)
        return bad(sc, why);
    if (p == end)
        return bad(sc, "unterminated string");
    b->len = (size_t)(o - b->data);
    b->data[b->len] = 0;
    doc->body_decoded = true;
    sc->pos++;
    return 0;
}

/* The top-level object: records each wanted member's first value. */
static int scan_members(scan *sc, const char *const *keys, const char *body_key, shim_doc *doc)
{
    sc->pos++; /* '{' */
    skip_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
        sc->pos++;
        return 0;
    }
    for (;;) {
        shim_span name;
        if (scan_key(sc, &name))
            return -1;
        int idx = wanted_index(name.p, name.n, keys);
        skip_ws(sc);
        size_t at = sc->pos;
        sc->nul = false;
        bool is_body = idx >= 0 && !doc->member[idx].p && body_key && !strcmp(keys[idx], body_key);
        if (is_body && at < sc->len && sc->s[at] == '"' ? scan_body(sc, doc) : scan_value(sc))
            return -1;
        if (idx >= 0 && !doc->member[idx].p) {
            doc->member[idx] = (shim_span){sc->s + at, sc->pos - at};
            doc->nul[idx] = sc->nul && !is_body;
        }
        skip_ws(sc);
        if (sc->pos >= sc->len)
            return bad(sc, "unexpected end");
        char d = sc->s[sc->pos++];
        if (d == '}')
            return 0;
        if (d != ',') {
            sc->pos--;
            return bad(sc, "expected ',' or '}'");
        }
    }
}

/* cJSON tree of the wanted members but the body: small, so copied once. */
static int build_tree(const char *const *keys, const char *body_key, shim_doc *doc, fl_err *err)
{
    fl_buf b = {0};
    fl_buf_putc(&b, '{');
    for (int i = 0; keys[i]; i++) {
        if (!doc->member[i].p || (body_key && !strcmp(keys[i], body_key)))
            continue;
        if (b.len > 1)
            fl_buf_putc(&b, ',');
        shim_put_key(&b, keys[i]);
        fl_buf_append(&b, doc->member[i].p, doc->member[i].n);
    }
    fl_buf_putc(&b, '}');
    doc->tree = cJSON_ParseWithLength(b.data, b.len);
    fl_buf_free(&b);
    if (!doc->tree)
        return fl_fail(err, "JSON document nested more deeply than %d levels", CJSON_NESTING_LIMIT);
    return 0;
}

int shim_doc_parse(const char *s, size_t len, const char *const *keys, const char *body_key, shim_doc *doc,
                   fl_err *err)
{
    *doc = (shim_doc){0};
    size_t nkeys = 0;
    while (keys[nkeys])
        nkeys++;
    if (nkeys > SHIM_DOC_MAX_KEYS)
        return fl_fail(err, "internal: %zu members wanted, at most %d", nkeys, SHIM_DOC_MAX_KEYS);
    scan sc = {.s = s, .len = len, .err = err};
    skip_ws(&sc);
    if (sc.pos >= len)
        return fl_fail(err, "invalid JSON: the document is empty");
    int rc;
    if (s[sc.pos] == '{') {
        doc->is_object = true;
        rc = scan_members(&sc, keys, body_key, doc);
    } else {
        rc = scan_value(&sc);
    }
    skip_ws(&sc);
    if (!rc && sc.pos != len)
        rc = bad(&sc, "unexpected data after the document");
    if (rc) {
        shim_doc_free(doc);
        return -1;
    }
    if (!doc->is_object)
        return 0;
    for (int i = 0; body_key && keys[i]; i++) {
        if (strcmp(keys[i], body_key) || !doc->member[i].p)
            continue;
        doc->body_type = type_of(doc->member[i].p);
    }
    if (build_tree(keys, body_key, doc, err)) {
        shim_doc_free(doc);
        return -1;
    }
    return 0;
}

int shim_doc_no_nul(const shim_doc *doc, const char *const *keys, const char *const *which, fl_err *err)
{
    for (int i = 0; keys[i]; i++) {
        if (!doc->nul[i])
            continue;
        bool checked = !which;
        for (int k = 0; which && which[k] && !checked; k++)
            checked = !strcmp(which[k], keys[i]);
        if (checked)
            return fl_fail(err, "member \"%s\" contains a NUL character (\\u0000), which HTTP cannot carry", keys[i]);
    }
    return 0;
}

void shim_doc_free(shim_doc *doc)
{
    cJSON_Delete(doc->tree);
    fl_buf_free(&doc->body_buf);
    *doc = (shim_doc){0};
}

int shim_doc_body(shim_doc *doc, bool b64, fl_buf *out, fl_err *err)
{
    if (doc->body_type != SHIM_JSON_STRING)
        return 0;
    const char *s = doc->body_decoded ? doc->body_buf.data : doc->body.p;
    size_t n = doc->body_decoded ? doc->body_buf.len : doc->body.n;
    if (b64)
        return shim_base64_decode(s, n, out, err);
    if (doc->body_decoded && !out->len) { /* take the buffer: no second copy */
        fl_buf_free(out);
        *out = doc->body_buf;
        doc->body_buf = (fl_buf){0};
        return 0;
    }
    fl_buf_append(out, s, n);
    return 0;
}

int shim_json_validate(const char *s, size_t len, fl_err *err)
{
    scan sc = {.s = s, .len = len, .err = err};
    skip_ws(&sc);
    if (sc.pos >= len)
        return fl_fail(err, "invalid JSON: the document is empty");
    if (scan_value(&sc))
        return -1;
    skip_ws(&sc);
    return sc.pos == len ? 0 : bad(&sc, "unexpected data after the document");
}
