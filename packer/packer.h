/* packer: Lambda packages from OCI images.
 *
 * Sources: "oci:DIR[:REF]" (OCI image layout), "docker-archive:FILE[:NAME]"
 * (docker save), "docker://HOST[:PORT]/REPO[:TAG|@sha256:DIGEST]" (a registry
 * over the Distribution API v2; short names resolve as docker does:
 * alpine:3.19 is docker.io/library/alpine:3.19, served by registry-1.docker.io).
 *
 * The layers are merged top-down (last layer first) with OCI semantics, each
 * layer decompressed once and streamed straight into the output: no copy of
 * the root filesystem on disk, memory proportional to the number of entries.
 *
 * Outputs:
 *   zip    a custom-runtime function package: /bootstrap, the image root
 *          filesystem mirrored under the task root, /faas-lambda.json;
 *   layer  a layer zip: the image root (or --path subtrees) under /opt;
 *   image  a Lambda container image: pushed to a registry with Docker v2
 *          schema 2 media types, or written to an OCI layout with OCI ones
 *          (what skopeo and umoci read from a layout).
 *
 * ---- What a zip (or layer zip) holds ----
 * The merged root filesystem, as docker would extract it (whiteouts, opaque
 * directories, file<->directory replacement; the uppermost directory entry
 * gives a directory's mode), except:
 *  - hard links are files with their target's content (a zip has no links);
 *  - symlinks stay symlinks, with targets made relative so they resolve
 *    inside the package wherever it is extracted (/var/task, /opt); targets
 *    under /dev, /proc, /sys and /tmp stay absolute; ".." past the root is
 *    clamped at the root, as in a container;
 *  - device nodes, FIFOs and sockets are left out; setuid/setgid bits are
 *    cleared; every file and directory is made readable (and executables
 *    and directories searchable) by all, since Lambda's user owns none;
 *  - mtime 0, uid/gid 0, the order of the merge (top layer first), deflate
 *    except for empty and already compressed files: the same image and
 *    options give the same bytes.
 * Refused, with a message naming the layer and entry: names climbing out of
 * the root, paths through a symlink or file of the same layer, hard links
 * out of the root, two entries for one path in a layer, blobs whose digest
 * (or diff_id) does not match, layers over --max-size / --max-entries.
 *
 * ---- What the bootstrap must do with faas-lambda.json (schema 1) ----
 * The manifest is the one in common/common.h (fl_manifest). For a zip the
 * packer writes it at the package root ($LAMBDA_TASK_ROOT/faas-lambda.json);
 * for --format image at /var/task/faas-lambda.json in the added layer. At
 * init, before anything else, the bootstrap:
 *  1. relocation.links: for each {path, target}, in order, creates the parent
 *     directories of path (0755) and the symlink path -> target, replacing a
 *     different symlink left at path by an earlier init of the same sandbox.
 *     path is /tmp/fl-ldN (N = 0, 1, ... one per distinct ELF interpreter in
 *     the image); target is absolute, under the task root: the image's own
 *     loader as the image named it (/var/task/lib64/ld-linux-x86-64.so.2,
 *     /var/task/lib/ld-musl-x86_64.so.1), reached through the package's
 *     symlinks, which are all relative. Every dynamically linked ELF file in
 *     the package has PT_INTERP = that path (NUL-padded to its old length),
 *     so the links must exist before the watchdog or anything it runs starts.
 *     Failing to make one is an init error naming the link.
 *  2. env: the watchdog's environment is Lambda's plus these "K=V" entries; an
 *     entry does not replace a variable the function's configuration set,
 *     except PATH, LD_LIBRARY_PATH, LANG and TZ, where the manifest wins
 *     (Lambda's defaults would hide the image's: its LD_LIBRARY_PATH starts
 *     with /lib64, the host's libc, which must never reach a relocated
 *     program). The packer has already merged image Env < --env < --fprocess
 *     (deployment wins), mapped PATH and LD_LIBRARY_PATH under the task root
 *     (LD_LIBRARY_PATH only when the image has dynamic programs: the image's
 *     own value, its ld.so.conf / ld-musl-ARCH.path directories, then the
 *     libc's defaults, each existing directory once), mapped fprocess's
 *     program when it is an absolute image path, and mapped other variables
 *     whose value is an absolute path (or ':' list) that exists in the image
 *     (JAVA_HOME=/opt/java -> /var/task/opt/java).
 *  3. argv: execs argv (argv[0] is absolute under the task root when the
 *     packer found the program in the image; otherwise it is the image's
 *     name, to be looked up on the watchdog's PATH) in workdir (absolute;
 *     the image's WorkingDir under the task root, or the task root).
 *  4. port (the image's $port, else its single exposed TCP port, else 8080),
 *     health_path (/_/health) and readiness_protocol (http): where the
 *     watchdog listens and how to tell that it is ready.
 * In a zip, every absolute #! line of an executable script has the task root
 * in front (#!/var/task/usr/bin/env python3), so scripts run the image's
 * interpreters, not the host's. For --format image nothing is relocated: the
 * paths are the image's own, there are no links, the bootstrap is at
 * /var/runtime/bootstrap (the config's Entrypoint) and Cmd is the image's
 * original Entrypoint + Cmd.
 *
 * Known limit of relocation: programs of the Lambda host started by absolute
 * path (/bin/sh from system(3) and popen(3)) run with the image's
 * LD_LIBRARY_PATH; with a glibc image they may fail to load. */
#ifndef FL_PACKER_H
#define FL_PACKER_H

#include "common/common.h"

typedef enum packer_format { PACKER_ZIP, PACKER_LAYER, PACKER_IMAGE } packer_format;

typedef struct packer_options {
    const char *source;        /* SOURCE as above */
    const char *output;        /* zip/layer: a file; image: oci:DIR[:TAG] or docker://... */
    packer_format format;
    const char *platform;      /* "linux/amd64" when NULL; picks from an index */
    const char *arch;          /* "x86_64" | "arm64"; NULL follows the image */
    const char *bootstrap;     /* a file; NULL finds it next to the executable */
    bool no_bootstrap;         /* a Lambda layer provides /opt/bootstrap */
    const char *self_exe;      /* where to look for the bootstrap; NULL = /proc/self/exe */
    char **env;                /* --env K=V, NULL-terminated; deployment wins */
    const char *fprocess;      /* --fprocess CMD: sets fprocess */
    bool slim;                 /* drop docs, man pages, package caches */
    char **paths;              /* layer format: --path P (NULL-terminated) */
    bool no_relocate;
    bool ignore_limits;        /* write a zip over Lambda's limits anyway */
    uint64_t max_bytes;        /* 0: default (8 GiB of uncompressed layers) */
    uint64_t max_entries;      /* 0: default (2,000,000 tar entries) */
    int compression_level;     /* deflate level 1-9; 0: default (4) */
    /* registry */
    const char *creds;         /* USER:PASS */
    const char *docker_config; /* a docker config.json */
    char **insecure;           /* hosts allowed over plain HTTP, NULL-terminated */
    const char *cache_dir;     /* the blob cache; NULL: $XDG_CACHE_HOME/faas-lambda/blobs */
    bool quiet;                /* no progress, no summary */
    bool progress;             /* progress lines (the caller decides: a TTY) */
} packer_options;

#define PACKER_DEFAULT_MAX_BYTES (8ull << 30)
#define PACKER_DEFAULT_MAX_ENTRIES 2000000ull
#define PACKER_LAMBDA_ZIP_MAX (50ull * 1024 * 1024)          /* direct upload, zipped */
#define PACKER_LAMBDA_UNZIPPED_MAX (250ull * 1024 * 1024)   /* function + layers, unzipped */

typedef struct packer_result {
    char *output;
    packer_format format;
    char *image;            /* the source, canonical */
    char *image_digest;     /* manifest digest (docker-archive: the config digest, docker's image ID) */
    char *platform;         /* "linux/amd64" */
    char *arch;             /* Lambda architecture: x86_64 | arm64 */
    uint64_t size;          /* bytes written (zip) */
    uint64_t unzipped_size; /* zip: sum of file sizes */
    uint64_t entries;
    char code_sha256[45];   /* zip: base64 SHA-256, as Lambda reports CodeSha256 */
    char *pushed_digest;    /* image: the new manifest digest */
    fl_manifest manifest;   /* zip/image: what faas-lambda.json says */
    bool has_manifest;
    char **warnings;        /* NULL-terminated */
    char **notes;           /* what relocation and mapping did */
} packer_result;

/* Packs o->source into o->output. Warnings are logged as they happen and
 * collected in res. Nothing is left at o->output on failure. */
int packer_pack(const packer_options *o, packer_result *res, fl_err *err);
/* The result as JSON (for --json). */
void packer_result_json(const packer_result *res, fl_buf *out);
void packer_result_free(packer_result *res);

/* Describes o->source: platforms, layers and sizes, config, the watchdog and
 * its mode/fprocess/upstream, and Lambda compatibility warnings. With
 * config_only the layers are not read (no sizes unzipped, no watchdog check). */
int packer_inspect(const packer_options *o, bool json, bool config_only, fl_buf *out, fl_err *err);

/* The published bootstrap layer: a deterministic zip holding only the static
 * bootstrap for arch ("x86_64" | "arm64") at its root, so that Lambda finds
 * /opt/bootstrap. bootstrap NULL finds it as packer_pack does (self_exe NULL
 * = /proc/self/exe). *code_sha256 (optional, caller frees) gets the
 * CodeSha256 Lambda will report. */
int packer_bootstrap_layer(const char *arch, const char *bootstrap, const char *self_exe, const char *output,
                           char **code_sha256, fl_err *err);

#endif
