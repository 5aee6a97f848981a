/* Federation: one provider in front of several, as faas-federation did
 * (reference/openfaas.md §4.2), with this provider's Lambda as backend 0
 * ("lambda"). A deployment goes where its annotation
 * com.openfaas.federation.gateway says (a backend's name, or the host of its
 * URL, compared case-insensitively); other calls go where the function is,
 * learnt from the answers and, when unknown, by asking each backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "provider/internal.h"

#define PROBE_TIMEOUT_MS 5000
#define PASSWORD_MAX 4096

bool pv_fed_enabled(const pv_fed *f)
{
    return f->n > 1;
}

static int read_password(const char *file, char **out, fl_err *err)
{
    fl_buf b = {0};
    if (fl_read_file(file, PASSWORD_MAX, &b, err)) {
        fl_buf_free(&b);
        return -1;
    }
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' || b.data[b.len - 1] == ' '))
        b.len--;
    *out = fl_buf_steal(&b);
    return 0;
}

int pv_fed_init(pv_server *s, fl_err *err)
{
    const provider_config *c = s->cfg;
    pv_fed *f = &s->fed;
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->b = fl_xcalloc(c->nbackends + 1, sizeof *f->b);
    f->b[0].name = fl_xstrdup(PROVIDER_LAMBDA_BACKEND);
    pv_pool_init(&f->b[0].pool);
    f->n = 1;
    for (size_t i = 0; i < c->nbackends; i++) {
        const provider_backend *cb = &c->backends[i];
        for (size_t j = 0; j < f->n; j++)
            if (!strcasecmp(f->b[j].name, cb->name))
                return fl_fail(err, "two backends are named %s", cb->name);
        pv_backend *b = &f->b[f->n];
        b->name = fl_xstrdup(cb->name);
        b->url = fl_xstrdup(cb->url);
        b->host = pv_url_host(cb->url);
        pv_pool_init(&b->pool);
        f->n++;
        if (cb->user) {
            char *pw;
            if (read_password(cb->password_file, &pw, err))
                return fl_fail_wrap(err, "backend %s", cb->name);
            b->userpwd = fl_xasprintf("%s:%s", cb->user, pw);
            memset(pw, 0, strlen(pw));
            free(pw);
        }
    }
    const char *def = c->default_provider ? c->default_provider : PROVIDER_LAMBDA_BACKEND;
    bool found = false;
    for (size_t i = 0; i < f->n && !found; i++)
        if (!strcasecmp(f->b[i].name, def) || (f->b[i].url && (!strcasecmp(f->b[i].url, def) ||
                                                                !strcasecmp(f->b[i].host, def)))) {
            f->def = i;
            found = true;
        }
    if (!found)
        return fl_fail(err, "--default-provider %s names no backend (lambda, or a --federate NAME)", def);
    return 0;
}

void pv_fed_free(pv_fed *f)
{
    if (!f->b)
        return; /* never set up */
    for (size_t i = 0; i < f->n; i++) {
        free(f->b[i].name);
        free(f->b[i].url);
        free(f->b[i].host);
        if (f->b[i].userpwd) {
            memset(f->b[i].userpwd, 0, strlen(f->b[i].userpwd));
            free(f->b[i].userpwd);
        }
        pv_pool_free(&f->b[i].pool);
    }
    free(f->b);
    pv_map_free(&f->where);
    pthread_mutex_destroy(&f->mu);
    memset(f, 0, sizeof *f);
}

size_t pv_fed_pick(const pv_fed *f, const pv_map *annotations)
{
    const char *v = pv_map_get(annotations, PV_ANN_GATEWAY);
    if (!v || !*v)
        return f->def;
    for (size_t i = 0; i < f->n; i++)
        if (!strcasecmp(f->b[i].name, v) || (f->b[i].host && !strcasecmp(f->b[i].host, v)))
            return i;
    return f->def;
}

static char *key(const char *name, const char *ns)
{
    return fl_xasprintf("%s.%s", name, ns);
}

void pv_fed_remember(pv_fed *f, const char *name, const char *ns, size_t idx)
{
    char *k = key(name, ns);
    pthread_mutex_lock(&f->mu);
    pv_map_set(&f->where, k, f->b[idx].name);
    pthread_mutex_unlock(&f->mu);
    free(k);
}

void pv_fed_forget(pv_fed *f, const char *name, const char *ns)
{
    char *k = key(name, ns);
    pthread_mutex_lock(&f->mu);
    pv_map_del(&f->where, k);
    pthread_mutex_unlock(&f->mu);
    free(k);
}

static bool cached(pv_fed *f, const char *name, const char *ns, size_t *idx)
{
    char *k = key(name, ns);
    bool hit = false;
    pthread_mutex_lock(&f->mu);
    const char *b = pv_map_get(&f->where, k);
    for (size_t i = 0; b && i < f->n && !hit; i++)
        if (!strcmp(f->b[i].name, b)) {
            *idx = i;
            hit = true;
        }
    pthread_mutex_unlock(&f->mu);
    free(k);
    return hit;
}

/* 0 found there, 1 not there, -1 cannot tell. */
static int probe(pv_server *s, size_t i, const char *name, const char *ns, fl_err *err)
{
    if (i == 0) {
        pv_status st;
        int rc = pv_lambda_status(s, name, ns, &st, err);
        if (rc == 0)
            pv_status_free(&st);
        return rc;
    }
    fl_buf t = {0};
    fl_buf_printf(&t, "/system/function/%s?namespace=%s", name, ns);
    fl_http_resp resp;
    int rc = pv_fed_call(s, i, "GET", t.data, NULL, NULL, 0, PROBE_TIMEOUT_MS, &resp, err);
    if (rc == 0)
        rc = resp.status == 200 ? 0 : resp.status == 404 ? 1 : fl_fail(err, "backend %s answered %d", s->fed.b[i].name,
                                                                         resp.status);
    fl_http_resp_free(&resp);
    fl_buf_free(&t);
    return rc;
}

bool pv_req_federates(pv_req *r)
{
    return pv_fed_enabled(&r->s->fed) && !pv_header(r, PV_FED_HOP_HEADER);
}

int pv_fed_locate(pv_req *r, const char *name, const char *ns, size_t *idx, fl_err *err)
{
    pv_server *s = r->s;
    pv_fed *f = &s->fed;
    if (!pv_req_federates(r)) {
        *idx = 0;
        return 0;
    }
    if (cached(f, name, ns, idx))
        return 0;
    bool unsure = false;
    for (size_t k = 0; k < f->n; k++) {
        size_t i = (f->def + k) % f->n; /* the default first: most functions are there */
        fl_err e2;
        int rc = probe(s, i, name, ns, &e2);
        if (rc == 0) {
            pv_fed_remember(f, name, ns, i);
            *idx = i;
            return 0;
        }
        if (rc < 0) {
            fl_warn("provider: federation: asking backend %s about %s.%s: %s", f->b[i].name, name, ns, e2.msg);
            *err = e2;
            unsure = true;
        }
    }
    return unsure ? -1 : 1;
}
