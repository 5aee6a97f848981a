/* shim internals: declarations shared by the files in shim/, not part of the public
 * contract (shim.h). */
#ifndef FL_SHIM_INTERNAL_H
#define FL_SHIM_INTERNAL_H

#include "shim/shim.h"

#define SHIM_NONE ((size_t)-1)

/* ---- word-at-a-time string scanning (json_string.c, json_write.c) ---- */
#define SHIM_ONES 0x0101010101010101ull
#define SHIM_HIGHS 0x8080808080808080ull
/* High bit set in each byte of w that is below 0x20, a '"' or a '\\': the
 * bytes a JSON string cannot hold raw. The lowest flagged byte is exact (the
 * borrows that can flag a later byte only run upwards). */
static inline uint64_t shim_word_special(uint64_t w)
{
    uint64_t q = w ^ (SHIM_ONES * '"'), b = w ^ (SHIM_ONES * '\\');
    uint64_t lo = (w - SHIM_ONES * 0x20) & ~w;
    uint64_t zq = (q - SHIM_ONES) & ~q, zb = (b - SHIM_ONES) & ~b;
    return (lo | zq | zb) & SHIM_HIGHS;
}
/* High bit set exactly in each byte of w equal to c (no false positives,
 * unlike shim_word_special, so every flagged byte can be used). */
static inline uint64_t shim_word_eq(uint64_t w, unsigned char c)
{
    uint64_t t = w ^ (SHIM_ONES * c), low7 = SHIM_ONES * 0x7F;
    return ~(((t & low7) + low7) | t | low7);
}
/* High bit set exactly in each byte of w below 0x20. */
static inline uint64_t shim_word_ctl(uint64_t w)
{
    return ~((w & SHIM_ONES * 0x7F) + SHIM_ONES * 0x60) & ~w & SHIM_HIGHS;
}
/* Byte masks index bytes in memory order only on little-endian targets (all
 * the shim is built for); elsewhere the word paths are skipped. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SHIM_WORD_LE 1
#else
#define SHIM_WORD_LE 0
#endif
/* Index of the first flagged byte of a nonzero mask (a word loaded with
 * memcpy; little-endian only). */
static inline size_t shim_first_flagged(uint64_t m)
{
#if SHIM_WORD_LE
    return (size_t)__builtin_ctzll(m) / 8;
#else
    (void)m;
    return 0;
#endif
}

/* ---- json_scan.c: one validating pass over a document, cJSON only for the
 * small members. cJSON would copy (and re-scan) a 6 MB body string; here the
 * body stays a span of the input and is decoded once, straight into place. */

typedef struct shim_span {
    const char *p; /* NULL when the member is absent */
    size_t n;
} shim_span;

enum { SHIM_DOC_MAX_KEYS = 16 };

typedef enum shim_json_type {
    SHIM_JSON_ABSENT,
    SHIM_JSON_NULL,
    SHIM_JSON_STRING,
    SHIM_JSON_OTHER,
} shim_json_type;

typedef struct shim_doc {
    bool is_object;                    /* the top-level value is an object */
    cJSON *tree;                       /* wanted members but body_key, as one object (NULL if !is_object) */
    shim_span member[SHIM_DOC_MAX_KEYS]; /* raw value of each wanted key (first occurrence) */
    bool nul[SHIM_DOC_MAX_KEYS];       /* that value holds a string with a NUL (cJSON cuts it there) */
    shim_json_type body_type;
    shim_span body;   /* body string contents when they hold no escape: the raw bytes are the text */
    fl_buf body_buf;  /* else the decoded contents */
    bool body_decoded;
} shim_doc;

/* Validates s[0..len) as one JSON text (RFC 8259; raw control bytes in
 * strings, lone surrogates and nesting deeper than 4096 are rejected) and
 * collects the top-level members named in keys (NULL-terminated, at most
 * SHIM_DOC_MAX_KEYS). */
int shim_doc_parse(const char *s, size_t len, const char *const *keys, const char *body_key, shim_doc *doc,
                   fl_err *err);
/* Fails, naming the member, when one of which (NULL-terminated; NULL: all
 * members) holds a string with a NUL character, which cJSON would silently
 * cut short. Only members that will be read need the check. */
int shim_doc_no_nul(const shim_doc *doc, const char *const *keys, const char *const *which, fl_err *err);
void shim_doc_free(shim_doc *doc);
/* Appends the body bytes (the JSON string, base64-decoded when b64) to out;
 * may take over doc's decoded buffer when out is empty. */
int shim_doc_body(shim_doc *doc, bool b64, fl_buf *out, fl_err *err);

/* ---- json_string.c: string contents ---- */
/* First byte in [p, end) that is '"', '\\' or a control byte; end if none. */
const char *shim_json_find_special(const char *p, const char *end);
/* Validates the escape at p (p[0] == '\\'; a surrogate pair counts as one).
 * Returns its length, 0 when invalid; *cp = the code point it stands for. */
size_t shim_json_escape(const char *p, const char *end, unsigned *cp);
/* Decodes string contents from p up to a '"' or end, writing at *o (and
 * moving it); the output needs room for (end - p) + 8 bytes. Returns where
 * it stopped; *why is set on a bad escape or a raw control byte. */
const char *shim_json_decode(const char *p, const char *end, char **o, const char **why);
/* Appends the decoded bytes of a JSON string's contents (no quotes). */
int shim_json_unescape(const char *s, size_t n, fl_buf *out, fl_err *err);
/* Appends a valid JSON value with the whitespace outside strings removed. */
void shim_json_compact(const char *s, size_t n, fl_buf *out);

/* ---- json_write.c: small writers for the documents the shim emits ---- */
void shim_put_key(fl_buf *b, const char *key);   /* "key": (key is a C string) */
void shim_put_str(fl_buf *b, const char *s);     /* "s" */
/* Appends the body as a JSON string: text as is, else base64 (no escaping needed). */
void shim_put_body(fl_buf *b, const char *body, size_t len, bool text);

/* ---- group.c: grouping equal keys without quadratic scans ---- */
typedef struct shim_key {
    const char *p;
    size_t n;
} shim_key;

/* For keys[0..n): next[i] = index of the next key equal to keys[i] (bytes, or
 * ASCII case-insensitively when nocase), SHIM_NONE at the end of a group;
 * head[i] = true for the first key of each group. O(n log n). */
void shim_group(const shim_key *keys, size_t n, bool nocase, size_t *next, bool *head);
/* Same for header names; next/head are allocated (caller frees both). */
void shim_group_headers(const fl_headers *h, size_t **next, bool **head);

/* ---- headers.c ---- */
bool shim_token_ok(const char *s);          /* RFC 9110 token: header names, methods */
bool shim_header_value_ok(const char *s);   /* no CR, LF */
/* Hop-by-hop headers a hop must not forward (Connection, Keep-Alive,
 * Proxy-Connection, Transfer-Encoding, TE, Trailer, Upgrade). */
bool shim_is_hop_by_hop(const char *name);
/* Copies src without hop-by-hop headers (and without Content-Length when
 * drop_length) into dst. */
void shim_copy_end_to_end(fl_headers *dst, const fl_headers *src, bool drop_length);
/* Appends one header from a JSON member value; null is skipped. lenient
 * turns numbers and booleans into their text (what functions return);
 * anything else that is not a string fails, naming what. */
int shim_header_from_json(fl_headers *h, const char *name, const cJSON *v, bool lenient, const char *what,
                          fl_err *err);
/* Appends the headers of a response document or prelude: multiValueHeaders
 * (canonical for the names it has), then headers whose names it lacks, then
 * each cookie as a Set-Cookie. */
int shim_headers_from_doc(const cJSON *doc, fl_headers *out, fl_err *err);

/* ---- header_write.c: headers as JSON, grouped by name case-insensitively
 * (first spelling kept, groups in order of first appearance) ---- */
/* {"name":"v1,v2",..}. Set-Cookie is left out when cookies_apart, else only
 * its first value is written (Set-Cookie cannot be comma-joined). */
void shim_put_joined_headers(fl_buf *b, const fl_headers *h, bool cookies_apart);
/* {"name":["v1","v2"],..} */
void shim_put_multi_headers(fl_buf *b, const fl_headers *h);
/* ["every Set-Cookie value",..] */
void shim_put_cookies(fl_buf *b, const fl_headers *h);

/* ---- percent.c ---- */
/* Appends a path for a request line: bytes that cannot appear there (CTL,
 * space, DEL, non-ASCII, '?', '#') are percent-encoded, and '%' too when
 * encode_pct (HTTP API 2.0 delivers the path decoded). */
void shim_pct_path(const char *s, size_t n, bool encode_pct, fl_buf *out);
/* Appends a raw query: CTL, space, DEL, non-ASCII and '#' percent-encoded. */
void shim_pct_query(const char *s, size_t n, fl_buf *out);
/* Appends one decoded query key or value, encoded as encodeURIComponent does
 * (all but A-Z a-z 0-9 - _ . ! ~ * ' ( )). */
void shim_pct_component(const char *s, size_t n, fl_buf *out);

/* ---- text.c ---- */
bool shim_utf8_valid_no_nul(const char *s, size_t n);
/* Appends s with each invalid UTF-8 sequence replaced by U+FFFD. */
void shim_utf8_sanitize(const char *s, size_t n, fl_buf *out);

/* ---- base64.c ---- */
size_t shim_base64_len(size_t n); /* encoded length of n bytes */

/* ---- payload_response.c ---- */
/* Status (200 when absent and not required) and headers of a response
 * document or prelude, hop-by-hop headers and Content-Length dropped. */
int shim_doc_response(const cJSON *doc, bool status_required, shim_response *resp, fl_err *err);

/* ---- event_headers.c / event_query.c ---- */
int shim_event_headers(const cJSON *ev, shim_kind kind, fl_headers *out, fl_err *err);
int shim_event_query(const cJSON *ev, shim_kind kind, fl_buf *out, fl_err *err);

#endif
