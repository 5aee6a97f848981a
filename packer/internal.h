/* packer internals: declarations shared by the files of packer/, not part of the public
 * API (packer/packer.h). Prefix pk_. Every byte of an image or of a registry
 * answer is hostile until one of these functions has checked it. */
#ifndef FL_PACKER_INTERNAL_H
#define FL_PACKER_INTERNAL_H

#include <stdio.h>
#include <sys/types.h>

#include "common/common.h"
#include "packer/packer.h"

/* ---- limits on outside bytes (the user raises the totals with flags) ---- */
#define PK_MAX_MANIFEST (4u << 20)   /* manifest or index document */
#define PK_MAX_CONFIG (8u << 20)     /* image config */
#define PK_MAX_LAYERS 256
#define PK_MAX_PATH 4096             /* one entry's path, or a link target */
#define PK_MAX_NAME 255              /* one path component */
#define PK_MAX_DEPTH 256             /* path components */
#define PK_MAX_INDEX_ENTRIES 4096    /* manifests in an index */

typedef struct pk_tar pk_tar;

/* ---- digests (SHA-256 only: the one algorithm registries use) ---- */
typedef struct pk_hash {
    void *ctx; /* EVP_MD_CTX */
} pk_hash;

void pk_hash_init(pk_hash *h);
void pk_hash_update(pk_hash *h, const void *p, size_t n);
/* Writes "sha256:<64 hex>" (72 bytes with NUL) and frees the context. */
void pk_hash_final(pk_hash *h, char out[72]);
void pk_hash_final_raw(pk_hash *h, unsigned char raw[32]);
void pk_hash_free(pk_hash *h);
void pk_sha256_digest(const void *p, size_t n, char out[72]);
/* Raw 32-byte digest, base64 (Lambda's CodeSha256). */
void pk_sha256_b64(const unsigned char raw[32], char out[45]);
/* True for "sha256:" + 64 lowercase hex digits. */
bool pk_digest_valid(const char *d);
/* The hex part of a valid digest. */
const char *pk_digest_hex(const char *d);
/* "sha256:0123456789ab": a digest shortened for messages. */
const char *pk_digest_short(const char *d, char buf[20]);

/* ---- image references (SOURCE and -o arguments) ---- */
typedef enum pk_src_kind { PK_SRC_OCI, PK_SRC_ARCHIVE, PK_SRC_DOCKER } pk_src_kind;

typedef struct pk_ref {
    pk_src_kind kind;
    char *path;     /* oci: layout directory; docker-archive: file */
    char *name;     /* oci: ref name; docker-archive: image name; NULL = the only one */
    char *domain;   /* docker: "docker.io", "127.0.0.1:5000" */
    char *repo;     /* docker: "library/alpine" */
    char *tag;      /* docker: "3.19"; NULL when only a digest was given */
    char *digest;   /* docker: "sha256:..." or NULL */
} pk_ref;

int pk_ref_parse(const char *s, pk_ref *r, fl_err *err);
/* NAME[:TAG|@DIGEST] as docker reads it (no transport prefix). */
int pk_docker_ref_parse(const char *s, pk_ref *r, fl_err *err);
/* The host to talk to: docker.io -> registry-1.docker.io. */
const char *pk_ref_endpoint(const pk_ref *r);
/* "docker.io/library/alpine:3.19" or ".../alpine@sha256:..."; caller frees. */
char *pk_ref_string(const pk_ref *r);
void pk_ref_free(pk_ref *r);
bool pk_tag_valid(const char *t);

/* ---- image documents: manifest, index, config ---- */
typedef enum pk_doc_kind { PK_DOC_MANIFEST, PK_DOC_INDEX } pk_doc_kind;

typedef enum pk_compression { PK_COMP_NONE, PK_COMP_GZIP, PK_COMP_ZSTD } pk_compression;

typedef struct pk_desc {
    char *media_type;
    char *digest;
    uint64_t size;
    char *os, *arch, *variant; /* index entries */
    char *ref_name;            /* org.opencontainers.image.ref.name annotation */
    pk_compression comp;       /* layers */
} pk_desc;

typedef struct pk_doc {
    pk_doc_kind kind;
    char *media_type;
    bool docker; /* Docker v2 schema 2 media types (else OCI) */
    pk_desc config;
    pk_desc *descs; /* layers (manifest) or manifests (index) */
    size_t ndescs;
} pk_doc;

int pk_doc_parse(const char *json, size_t len, const char *content_type, pk_doc *d, fl_err *err);
void pk_doc_free(pk_doc *d);
void pk_desc_free(pk_desc *d);

typedef struct pk_config {
    char *os, *arch, *variant;
    char **entrypoint; /* NULL-terminated, NULL when absent */
    char **cmd;
    char **env;
    char *workdir, *user;
    char **diff_ids;
    size_t ndiff_ids;
    int port; /* from ExposedPorts when exactly one tcp port; 0 otherwise */
    cJSON *raw; /* the whole document, for outputs that keep it */
} pk_config;

int pk_config_parse(const char *json, size_t len, pk_config *c, fl_err *err);
void pk_config_free(pk_config *c);
/* Value of NAME in a "K=V" list, or NULL. */
const char *pk_env_get(char *const *env, const char *name);
char **pk_strv_dup(char *const *v);
size_t pk_strv_len(char *const *v);
void pk_strv_free(char **v);
void pk_strv_push(char ***v, const char *s);

/* ---- platforms ---- */
typedef struct pk_platform {
    char os[32], arch[32], variant[16];
} pk_platform;

int pk_platform_parse(const char *s, pk_platform *p, fl_err *err);
bool pk_platform_match(const pk_platform *want, const char *os, const char *arch, const char *variant);
/* Index of the manifest for want in an index, or -1 (err lists what exists). */
ssize_t pk_index_select(const pk_doc *idx, const pk_platform *want, fl_err *err);
/* "x86_64" | "arm64" for a Lambda architecture, NULL when Lambda has none. */
const char *pk_lambda_arch(const char *oci_arch);

/* ---- byte streams over blobs ---- */
typedef struct pk_stream pk_stream;
struct pk_stream {
    /* Returns bytes read, 0 at the end, -1 on error (err filled). */
    ssize_t (*read)(pk_stream *s, void *buf, size_t n, fl_err *err);
    void (*close)(pk_stream *s);
    void *ud;
    int fd;
};

/* A stream over fd (owned, closed by close). */
void pk_stream_fd(pk_stream *s, int fd);
ssize_t pk_stream_read(pk_stream *s, void *buf, size_t n, fl_err *err);
void pk_stream_close(pk_stream *s);

/* A stream that checks a blob: exactly size bytes (when size_known) and the
 * SHA-256 digest, verified when the underlying stream ends. Takes inner. */
void pk_stream_verify(pk_stream *s, pk_stream *inner, const char *digest, uint64_t size, bool size_known,
                      const char *what);

/* ---- the content-addressed blob cache ---- */
typedef struct pk_cache {
    char *dir; /* holds sha256/<hex> and refs/ */
} pk_cache;

int pk_cache_open(pk_cache *c, const char *dir, fl_err *err);
void pk_cache_close(pk_cache *c);
char *pk_cache_path(const pk_cache *c, const char *digest); /* caller frees */
bool pk_cache_has(const pk_cache *c, const char *digest, uint64_t size);
/* A temp file in the cache; commit renames it to digest (after the caller
 * verified it), abort removes it. */
int pk_cache_tmp(const pk_cache *c, char **tmp_path, fl_err *err);
int pk_cache_commit(const pk_cache *c, const char *tmp_path, const char *digest, fl_err *err);
int pk_cache_put(const pk_cache *c, const char *digest, const void *p, size_t n, fl_err *err);
int pk_cache_get(const pk_cache *c, const char *digest, size_t max, fl_buf *out, fl_err *err);
/* tag -> manifest digest, for working offline. */
void pk_cache_ref_put(const pk_cache *c, const char *ref, const char *digest);
char *pk_cache_ref_get(const pk_cache *c, const char *ref);

/* ---- progress on a TTY ---- */
typedef struct pk_progress {
    bool on;
    const char *label;
    uint64_t total, done;
    uint64_t start_us, last_us;
} pk_progress;

void pk_progress_start(pk_progress *p, bool on, const char *label, uint64_t total);
void pk_progress_add(pk_progress *p, uint64_t n);
void pk_progress_end(pk_progress *p);
/* Human size: "12.3 MB". */
const char *pk_human(uint64_t n, char buf[32]);

/* ---- registries: Distribution API v2 ---- */
typedef struct pk_auth_challenge {
    char scheme[16]; /* "Bearer" | "Basic" */
    char *realm, *service, *scope;
} pk_auth_challenge;

/* Parses one WWW-Authenticate value. */
int pk_auth_parse(const char *value, pk_auth_challenge *c, fl_err *err);
void pk_auth_challenge_free(pk_auth_challenge *c);
/* USER:PASS for domain from a docker config file (NULL: $DOCKER_CONFIG or
 * ~/.docker/config.json); *out NULL when it has none. */
int pk_docker_config_creds(const char *file, const char *domain, char **out, fl_err *err);

typedef struct pk_registry pk_registry;
typedef struct pk_reg_opts {
    const char *creds;         /* USER:PASS */
    const char *docker_config; /* file */
    char *const *insecure;     /* hosts allowed plain HTTP; NULL-terminated */
    bool progress;
    bool push;                 /* ask for pull,push access */
    const char *mount_from;    /* a repository of the same registry blobs may be mounted from */
} pk_reg_opts;

int pk_reg_open(pk_registry **out, const pk_ref *ref, const pk_reg_opts *o, fl_err *err);
void pk_reg_close(pk_registry *r);
/* Requests return -1 on errors, -2 when the registry did not answer at all. */
/* GET (or HEAD when body is NULL) a manifest by tag or digest. */
int pk_reg_manifest(pk_registry *r, const char *reference, fl_buf *body, char **content_type, char **digest,
                    fl_err *err);
/* A small blob (a config) into memory, checked. */
int pk_reg_blob_small(pk_registry *r, const char *digest, size_t max, fl_buf *out, fl_err *err);
/* Downloads a blob into fd, checking size and digest on the way. */
int pk_reg_blob(pk_registry *r, const char *digest, uint64_t size, int fd, const char *label, fl_err *err);
/* Push side. */
int pk_reg_blob_exists(pk_registry *r, const char *digest, bool *exists, fl_err *err);
int pk_reg_blob_mount(pk_registry *r, const char *digest, const char *from_repo, bool *mounted, fl_err *err);
int pk_reg_blob_upload(pk_registry *r, const char *digest, uint64_t size, pk_stream *content, fl_err *err);
int pk_reg_put_manifest(pk_registry *r, const char *reference, const char *media_type, const void *body,
                        size_t len, fl_err *err);
bool pk_host_is_loopback(const char *host);

/* Shared by registry.c, registry_auth.c and registry_push.c. */
struct pk_registry {
    CURL_handle *h;
    char *domain, *host, *base, *repo;
    char *basic;       /* USER:PASS */
    char *authz;       /* the Authorization value in use */
    char *scopes;      /* "repository:R:pull[,push] [repository:F:pull]" */
    bool loopback, progress;
};

typedef struct pk_reg_req {
    const char *method;
    const char *url;
    const char *accept, *content_type, *content_range;
    const void *body;
    size_t body_len;
    bool has_body;
    fl_http_sink sink;
    void *sink_ud;
    void (*reset)(void *ud);
    size_t max_body;
    bool follow;
    long timeout_ms;
} pk_reg_req;
/* One request with authentication and retries; resp is the final answer
 * (the caller frees it; on failure it is freed already). */
int pk_reg_send(pk_registry *r, const pk_reg_req *q, fl_http_resp *resp, fl_err *err);
/* Answers a 401: sets r->authz for the next try, or says why it cannot. */
int pk_reg_authenticate(pk_registry *r, const fl_http_resp *resp, int round, fl_err *err);
int pk_reg_status_error(pk_registry *r, const char *what, const fl_http_resp *resp, fl_err *err);
const char *pk_reg_excerpt(const fl_buf *b, char out[160]);

/* ---- image sources: a manifest, a config, and layer blobs ---- */
typedef struct pk_source pk_source;

typedef struct pk_image {
    pk_ref ref;
    char *manifest_digest;
    fl_buf manifest_raw;
    pk_doc manifest;
    fl_buf config_raw;
    pk_config config;
    pk_platform platform; /* of the chosen manifest */
    char **platforms;     /* every platform an index offered ("linux/amd64") */
    pk_source *src;
} pk_image;

typedef struct pk_open_opts {
    const char *platform; /* "linux/amd64" when NULL */
    pk_reg_opts reg;
    const char *cache_dir; /* NULL: $XDG_CACHE_HOME/faas-lambda/blobs */
    bool fetch_layers;     /* registry: download every layer into the cache */
} pk_open_opts;

int pk_image_open(pk_image *img, const char *source, const pk_open_opts *o, fl_err *err);
void pk_image_close(pk_image *img);
/* The compressed bytes of layer i, verified as they are read (digest, or
 * diff_id for docker-archive, whose layers are checked after decompression). */
int pk_image_layer(pk_image *img, size_t i, pk_stream *out, const char **diff_id, fl_err *err);
/* "layer 2/5 (sha256:0123456789ab)". */
const char *pk_layer_name(const pk_image *img, size_t i, char buf[64]);

/* Source backends. */
struct pk_source {
    /* A small blob (a manifest when media_type says so, or the config) by
     * digest, verified, at most max bytes. */
    int (*get_small)(pk_source *s, const char *digest, const char *media_type, size_t max, fl_buf *out,
                     fl_err *err);
    /* A layer blob, verified as it is read. */
    int (*open_layer)(pk_source *s, const pk_image *img, size_t i, pk_stream *out, fl_err *err);
    void (*close)(pk_source *s);
    bool layers_are_diffs; /* docker-archive: layers are checked against diff_ids */
};

int pk_oci_open(pk_image *img, const pk_platform *want, bool platform_given, fl_err *err);
int pk_archive_open(pk_image *img, const pk_platform *want, bool platform_given, fl_err *err);
int pk_regsrc_open(pk_image *img, const pk_open_opts *o, const pk_platform *want, bool platform_given,
                   fl_err *err);
/* Shared by backends: from a manifest or index document (verified bytes) down
 * to one manifest and its config. */
int pk_image_resolve(pk_image *img, const char *json, size_t len, const char *content_type, const char *digest,
                     const pk_platform *want, bool platform_given, fl_err *err);
/* Takes an already parsed manifest (docker-archive makes one up). */
int pk_image_set_manifest(pk_image *img, pk_doc *doc, const char *digest, const pk_platform *want,
                          bool platform_given, fl_err *err);

/* ---- paths inside an image ---- */
/* Normalises a tar entry name into a relative path without "." or empty
 * components; "" is the root. Returns -1 when it climbs out of the root or
 * breaks a limit. *was_absolute tells the caller it started with '/'. */
int pk_path_norm(const char *in, char **out, bool *was_absolute, fl_err *err);
/* Resolves a symlink target as the kernel would inside a root (".." stops at
 * the root). link_path is the link's own normalised path. The result is
 * normalised and relative to the root; *escaped is set when ".." had to be
 * clamped at the root. */
char *pk_link_resolve(const char *link_path, const char *target, bool *escaped);
/* The relative target that reaches root-relative path to from the directory of
 * the link at from ("a/b/l" -> "c/d" gives "../../c/d"). */
char *pk_path_relative(const char *from, const char *to);
/* True when an absolute symlink target names a runtime filesystem that exists
 * on Lambda (/dev, /proc, /sys, /tmp) and must stay absolute. */
bool pk_path_is_runtime(const char *abs_target);
/* The length of the parent part of path[0..len) ("a/b/c" -> 3, "a" -> 0). */
size_t pk_path_parent_len(const char *path, size_t len);

/* ---- the index of decided paths (upper layers win) ---- */
enum pk_kind { PK_K_NONE, PK_K_DIR, PK_K_FILE, PK_K_SYMLINK, PK_K_WHITEOUT };
enum {
    PK_F_EXPLICIT = 1, /* a layer had an entry for this directory */
    PK_F_EMITTED = 2,  /* handed to the sink */
    PK_F_RESERVED = 4, /* a name the package itself uses (bootstrap) */
    PK_F_FILTERED = 8, /* decided, but not written (--slim, --path) */
    PK_F_EXEC = 16,    /* a regular file with an execute bit */
};

typedef struct pk_node {
    const char *path;
    uint32_t hash;
    uint8_t kind;
    uint8_t flags;
    int16_t layer;  /* the layer that decided it */
    int16_t opaque; /* children from layers below this one are hidden; -1 none */
    uint32_t mode;
    const char *link; /* symlinks: resolved, root-relative target ("" = root); NULL if runtime-absolute */
    uint64_t size;
} pk_node;

typedef struct pk_arena_chunk pk_arena_chunk;
typedef struct pk_index {
    pk_node **slots;
    size_t cap, n;
    pk_arena_chunk *chunks;
} pk_index;

void pk_index_init(pk_index *ix);
void pk_index_free(pk_index *ix);
pk_node *pk_index_get(const pk_index *ix, const char *path, size_t len);
/* The node for path, created (kind NONE) when absent. */
pk_node *pk_index_put(pk_index *ix, const char *path, size_t len);
char *pk_index_strdup(pk_index *ix, const char *s);
/* Follows symlinks (at most 40) from root-relative path; returns the final
 * node or NULL; *resolved (optional, caller frees) gets the final path. */
pk_node *pk_index_resolve(const pk_index *ix, const char *path, char **resolved);

/* ---- whiteout decisions: what an entry of layer L becomes ---- */
typedef enum pk_verdict {
    PK_V_EMIT,      /* new, visible: emit it */
    PK_V_EMIT_META, /* a directory whose implicit node gains metadata: emit it */
    PK_V_HIDDEN,    /* something above hides it */
    PK_V_SAME_DIR,  /* a directory already given by this layer or above */
    PK_V_THROUGH,   /* its path goes through a non-directory of the same layer */
    PK_V_DUPLICATE, /* a second non-directory for this path in the same layer */
    PK_V_WHITEOUT,  /* a whiteout recorded */
    PK_V_OPAQUE,    /* an opaque marker recorded */
} pk_verdict;

typedef struct pk_tar_entry {
    const char *path; /* normalised */
    enum pk_kind kind;
    uint32_t mode;
    uint64_t size;
    const char *link; /* symlink: resolved target as for pk_node.link */
} pk_tar_entry;

/* Classifies a whiteout name: 0 none, 1 ".wh.NAME" (*target gets the hidden
 * path, caller frees), 2 opaque marker (*target = the directory). */
int pk_whiteout_kind(const char *path, char **target);
/* Decides an entry of layer `layer` (layers above were decided already) and
 * records the decision in the index. */
pk_verdict pk_decide(pk_index *ix, int layer, const pk_tar_entry *e);

/* ---- ELF and scripts (relocation) ---- */
typedef struct pk_elf_info {
    bool is_elf;
    bool is_64, big_endian;
    uint16_t machine;
    uint16_t type;        /* ET_EXEC, ET_DYN */
    bool has_interp;
    uint64_t interp_off;  /* in the file */
    uint64_t interp_size; /* p_filesz, with the NUL */
    bool has_dynamic;
} pk_elf_info;

/* Parses what is in buf (the first n bytes of a file). Returns 0 when the
 * header is an ELF header that makes sense (info->is_elf), 0 with is_elf
 * false when it is not ELF, -1 when it is a broken ELF (err). */
int pk_elf_parse(const unsigned char *buf, size_t n, uint64_t file_size, pk_elf_info *info, fl_err *err);
/* Rewrites PT_INTERP in buf to new_interp (NUL-padded). Requires the interp
 * inside buf and strlen(new_interp) < interp_size. */
int pk_elf_set_interp(unsigned char *buf, size_t n, const pk_elf_info *info, const char *new_interp, fl_err *err);

/* ---- relocation: running /var/task copies of glibc/musl images ---- */
typedef struct pk_reloc {
    const char *root;       /* "/var/task" */
    bool enabled;
    char **interps;         /* original PT_INTERP paths, in order of discovery */
    size_t ninterps;
    uint64_t elf_rewritten, scripts_rewritten;
    uint64_t static_elf, dynamic_elf;
    char **problems;        /* files that cannot be relocated, and why */
    size_t nproblems;
    bool saw_glibc, saw_musl;
    fl_buf ldconf; /* library directories named by the image's loader configuration, one per line */
} pk_reloc;

/* "/tmp/fl-ld0": the link path for interpreter number i. */
void pk_reloc_link_path(size_t i, char out[32]);
/* Rewrites the head of a regular file in place (ELF interpreter) or into a new
 * head (shebang); *new_head/new_len are set when the content changed size. */
int pk_reloc_file(pk_reloc *r, const char *path, uint32_t mode, unsigned char *head, size_t head_len,
                  uint64_t size, fl_buf *new_head, bool *replaced, fl_err *err);
void pk_reloc_free(pk_reloc *r);

/* ---- the sink: where visible entries of the merged image go ---- */
typedef struct pk_content pk_content;
struct pk_content {
    ssize_t (*read)(pk_content *c, void *buf, size_t n, fl_err *err);
    void *ud;
};

typedef struct pk_out_entry {
    const char *path;   /* normalised, relative */
    enum pk_kind kind;  /* DIR, FILE, SYMLINK */
    uint32_t mode;      /* permission bits */
    uint64_t size;      /* FILE */
    const char *link;   /* SYMLINK: target text to write */
} pk_out_entry;

typedef struct pk_sink {
    int (*entry)(void *ud, const pk_out_entry *e, pk_content *c, fl_err *err);
    void *ud;
} pk_sink;

/* ---- applying layers ---- */
typedef struct pk_apply_opts {
    uint64_t max_bytes;   /* uncompressed tar bytes over all layers */
    uint64_t max_entries; /* tar entries over all layers */
    bool slim;
    char *const *paths;   /* --path filters (normalised), NULL-terminated; NULL = all */
    char *const *reserved; /* names the package uses itself, hidden in the image */
    bool progress;
} pk_apply_opts;

typedef struct pk_apply_stats {
    uint64_t entries_read, bytes_read;
    uint64_t emitted, emitted_bytes;
    uint64_t hidden, whiteouts, hardlinks;
    uint64_t skipped_special, setid_cleared, absolute_names, links_clamped, slimmed, xattrs_dropped;
    uint64_t reserved_hidden, links_replaced;
    char *ex_special, *ex_setid, *ex_abs, *ex_clamped, *ex_reserved, *ex_replaced; /* first example of each */
    char **warnings; /* distinct warnings, in order */
    size_t nwarnings;
} pk_apply_stats;

/* Merges the layers of img top-down and hands each visible entry to sink once;
 * ix receives the merged tree (for queries afterwards). */
int pk_apply(pk_image *img, const pk_apply_opts *o, pk_sink *sink, pk_index *ix, pk_apply_stats *st,
             fl_err *err);
void pk_apply_stats_free(pk_apply_stats *st);
void pk_stats_warn(pk_apply_stats *st, const char *fmt, ...) FL_PRINTF(2, 3);

/* Shared by layers.c and hardlink.c. */
typedef struct pk_pending_link {
    char *path;       /* the link (visible, to be written with the content of target) */
    char *target;     /* normalised; follows chains of hard links */
    uint32_t mode;
    int layer;        /* the layer to look in next */
    uint64_t before;  /* in that layer, the source must come before this entry number (0: anywhere) */
    bool done;
} pk_pending_link;

typedef struct pk_apply_ctx {
    pk_image *img;
    const pk_apply_opts *o;
    pk_sink *sink;
    pk_index *ix;
    pk_apply_stats *st;
    unsigned char *buf; /* copy buffer */
    uint64_t bytes_base; /* uncompressed bytes of the layers finished */
    pk_pending_link *links;
    size_t nlinks, caplinks;
} pk_apply_ctx;

/* Opens layer i as a tar (verifying on the way when verify). */
int pk_apply_open_layer(pk_apply_ctx *c, size_t i, bool verify, pk_tar **t, fl_err *err);
/* Hands one visible entry to the sink; content (FILE) is read from src. */
int pk_apply_emit(pk_apply_ctx *c, const pk_out_entry *e, pk_content *src, fl_err *err);
/* Writes the hard links found by the main pass, reading their targets again. */
int pk_hardlinks_resolve(pk_apply_ctx *c, fl_err *err);

/* Reading one layer's tar: decompression (gzip, zstd, none) and the checks
 * that go with it (sizes, diff_id). */
/* Takes blob (closed by finish/abort, also on failure). */
int pk_tar_open(pk_tar **t, pk_stream *blob, const char *diff_id, const char *what, fl_err *err);
typedef struct pk_tar_hdr {
    const char *name;     /* raw entry name */
    const char *hardlink; /* raw hardlink target or NULL */
    const char *symlink;  /* raw symlink target or NULL */
    uint32_t type;        /* AE_IF* */
    uint32_t mode;
    int64_t size;
    bool has_xattrs;
} pk_tar_hdr;
/* 1 with an entry, 0 at the end, -1 on error. */
int pk_tar_next(pk_tar *t, pk_tar_hdr *h, fl_err *err);
ssize_t pk_tar_read(pk_tar *t, void *buf, size_t n, fl_err *err);
/* Reads what is left of the blob (so its digest can be checked) and closes;
 * returns -1 when the blob did not verify. */
int pk_tar_finish(pk_tar *t, fl_err *err);
void pk_tar_abort(pk_tar *t);
/* After a failure: reads the rest of the blob; -1 (err says why) when the blob
 * itself does not verify, which is then the real cause. */
int pk_tar_blob_check(pk_tar *t, fl_err *err);
uint64_t pk_tar_bytes(const pk_tar *t);     /* uncompressed bytes so far */
uint64_t pk_tar_raw_bytes(const pk_tar *t); /* blob bytes so far */

/* ---- --slim ---- */
bool pk_slim_drop(const char *path);

/* ---- outputs ---- */
/* Deflate 4: 3-5 times faster than zip's default 6 on typical images, for
 * zips about 7% larger (bench/pack.sh measures both). */
#define PK_ZIP_LEVEL_DEFAULT 4
typedef struct pk_zip pk_zip;
typedef struct pk_zip_opts {
    const char *path; /* final file; written to a temp name first */
    pk_reloc *reloc;  /* NULL: no relocation */
    int level;        /* deflate level 1-9, 0 = PK_ZIP_LEVEL_DEFAULT */
} pk_zip_opts;

int pk_zip_open(pk_zip **z, const pk_zip_opts *o, fl_err *err);
pk_sink pk_zip_sink(pk_zip *z);
/* Adds a file from memory (bootstrap, manifest). */
int pk_zip_add_file(pk_zip *z, const char *name, uint32_t mode, const void *data, size_t len, fl_err *err);
int pk_zip_add_path(pk_zip *z, const char *name, uint32_t mode, const char *file, fl_err *err);
uint64_t pk_zip_unzipped(const pk_zip *z); /* file bytes so far */
/* Finishes the archive and renames it into place; sizes and CodeSha256. */
int pk_zip_close(pk_zip *z, uint64_t *zip_bytes, uint64_t *unzipped_bytes, uint64_t *entries, char sha_b64[45],
                 fl_err *err);
void pk_zip_abort(pk_zip *z);
/* True when path's content is already compressed (stored, not deflated). */
bool pk_zip_precompressed(const char *path, const unsigned char *head, size_t n);

/* The manifest for a function zip. */
typedef struct pk_mf_opts {
    const char *root;       /* "/var/task" */
    char *const *env;       /* --env K=V */
    const char *fprocess;
    bool relocate;
} pk_mf_opts;

int pk_manifest_build(const pk_image *img, const pk_index *ix, const pk_reloc *rel, const pk_mf_opts *o,
                      fl_manifest *m, char ***notes, fl_err *err);
/* The watchdog as the image config names it: argv with argv[0] resolved in
 * the merged tree (root-relative path), or NULL. */
char *pk_find_entry(const pk_image *img, const pk_index *ix, char ***argv_out);

/* The bootstrap to package for arch ("x86_64" | "arm64"). */
int pk_bootstrap_find(const char *explicit_file, const char *arch, const char *self_exe, char **out, fl_err *err);

typedef struct pk_media_types {
    const char *manifest, *config, *layer;
} pk_media_types;

/* Where --format image puts the bootstrap and the manifest (no leading /). */
#define PK_IMAGE_BOOTSTRAP "var/runtime/bootstrap"
#define PK_IMAGE_MANIFEST "var/task/" FL_MANIFEST_NAME

/* A destination for --format image. */
typedef struct pk_dest pk_dest;
struct pk_dest {
    /* may_mount: the blob is one of the source image's, worth a mount attempt */
    int (*has)(pk_dest *d, const char *digest, bool may_mount, bool *yes, fl_err *err);
    int (*put)(pk_dest *d, const char *digest, uint64_t size, pk_stream *content, fl_err *err);
    int (*finish)(pk_dest *d, const char *tag, const void *manifest, size_t len, fl_err *err);
    void (*close)(pk_dest *d);
    const pk_media_types *mt;
    char *dir;           /* OCI layout */
    pk_registry *reg;    /* registry */
    const char *mount_from;
};

/* -o oci:DIR[:TAG] or -o docker://NAME[:TAG]; *tag gets the tag to write. */
int pk_dest_open(pk_dest *d, const pk_image *img, const packer_options *o, pk_ref *ref, char **tag, fl_err *err);
int pk_dest_put_mem(pk_dest *d, const char *digest, const void *p, size_t n, fl_err *err);
/* Sends layer i (recompressed to gzip when it is not); digest and size as written. */
int pk_image_send_layer(pk_image *img, size_t i, pk_dest *d, char digest[72], uint64_t *size, fl_err *err);
/* The added layer (bootstrap at /var/runtime/bootstrap, manifest at
 * /var/task/faas-lambda.json), gzipped, with its diff_id and digest. */
int pk_image_boot_layer(const fl_buf *boot, const fl_buf *manifest, fl_buf *gz, char diff_id[72], char digest[72],
                        fl_err *err);

/* Image output (OCI layout or registry push). */
int pk_image_write(pk_image *img, const packer_options *o, packer_result *res, fl_err *err);

#endif
