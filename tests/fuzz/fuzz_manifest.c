/* libFuzzer: registry and layout documents from untrusted bytes: manifests,
 * indexes, image configs and WWW-Authenticate challenges. Asserts that what
 * parses is what the packer relies on (valid digests, bounded counts). */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "packer/internal.h"

static void check_doc(const pk_doc *d)
{
    if (d->kind == PK_DOC_MANIFEST) {
        CHECK(pk_digest_valid(d->config.digest));
        CHECK(d->ndescs <= PK_MAX_LAYERS);
    } else {
        CHECK(d->ndescs <= PK_MAX_INDEX_ENTRIES);
    }
    for (size_t i = 0; i < d->ndescs; i++) {
        CHECK(pk_digest_valid(d->descs[i].digest));
        CHECK(d->descs[i].media_type && d->descs[i].media_type[0]);
    }
}

static void docs(const char *s, size_t n)
{
    static const char *const types[] = {NULL, "application/vnd.oci.image.index.v1+json",
                                        "application/vnd.docker.distribution.manifest.v2+json", "text/plain"};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        pk_doc d;
        fl_err err;
        if (pk_doc_parse(s, n, types[t], &d, &err) == 0) {
            check_doc(&d);
            if (d.kind == PK_DOC_INDEX) {
                pk_platform want;
                CHECK(pk_platform_parse("linux/amd64", &want, &err) == 0);
                ssize_t i = pk_index_select(&d, &want, &err);
                CHECK(i < (ssize_t)d.ndescs);
            }
            pk_doc_free(&d);
        } else {
            CHECK(err.msg[0]);
        }
    }
    pk_config c;
    fl_err err;
    if (pk_config_parse(s, n, &c, &err) == 0) {
        for (size_t i = 0; i < c.ndiff_ids; i++)
            CHECK(pk_digest_valid(c.diff_ids[i]));
        for (size_t i = 0; c.env && c.env[i]; i++)
            CHECK(strchr(c.env[i], '=') && c.env[i][0] != '=');
        CHECK(c.port >= 0 && c.port <= 65535);
        pk_config_free(&c);
    }
}

static void challenge(const char *s)
{
    pk_auth_challenge c;
    fl_err err;
    if (pk_auth_parse(s, &c, &err) == 0) {
        CHECK(c.scheme[0]);
        if (!strcasecmp(c.scheme, "Bearer"))
            CHECK(c.realm && c.realm[0]);
        pk_auth_challenge_free(&c);
    }
}

static void reference(const char *s)
{
    pk_ref r;
    fl_err err;
    if (pk_ref_parse(s, &r, &err) == 0) {
        if (r.kind == PK_SRC_DOCKER) {
            CHECK(r.domain && r.repo && (r.tag || r.digest));
            CHECK(!r.digest || pk_digest_valid(r.digest));
            char *str = pk_ref_string(&r);
            pk_ref again;
            char *prefixed = fl_xasprintf("docker://%s", str);
            CHECK(pk_ref_parse(prefixed, &again, &err) == 0); /* canonical names parse again */
            pk_ref_free(&again);
            free(prefixed);
            free(str);
        }
        pk_ref_free(&r);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    docs((const char *)data, size);
    char *s = fl_xstrndup((const char *)data, size);
    challenge(s);
    reference(s);
    free(s);
    return 0;
}
