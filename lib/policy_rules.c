/*
 * policy_rules.c: compiles <https-inspection> and <certificate-validation>, the conditions they
 * share with <security-policy> (source, user, group), and frees all compiled rules.
 */
#include "policy_loadctx.h"

#include <ctype.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* Appends the unreachable-check tokens of referenced lists ("@id ") to buf. */
static void id_tokens(const char *ids, char *buf, size_t size)
{
    char *save = NULL, *copy = strdup(ids);

    for (char *w = copy ? strtok_r(copy, " \t\r\n", &save) : NULL; w;
         w = strtok_r(NULL, " \t\r\n", &save)) {
        size_t used = strlen(buf);
        if (used < size)
            snprintf(buf + used, size - used, "@%s ", w);
    }
    free(copy);
}

/* Compiles a list condition: attribute listattr names objects, else the inline text/attr. */
static int list_cond(struct load_ctx *lc, xmlNodePtr n, const char *listattr, const char *inl,
                     enum pobj_kind kind, struct refs *out, struct ckey **keys, size_t *nkeys,
                     const char *key)
{
    char *ids = pl_attr(n, listattr), *text = NULL, tokbuf[1024];
    int rc = 0;

    if (ids) {
        rc = pl_resolve_refs(lc, pl_line(n), ids, kind, out);
        tokbuf[0] = '\0';
        id_tokens(ids, tokbuf, sizeof(tokbuf));
        if (pl_ckey_add(keys, nkeys, key, tokbuf) < 0)
            rc = -1;
        free(ids);
        return rc;
    }
    text = inl ? pl_attr(n, inl) : pl_text(n);
    if (!text)
        return lc_error(lc, pl_line(n), "out of memory");
    if (kind == OBJ_NETWORK) {
        struct pobj *o = pl_inline_object(lc, OBJ_NETWORK, pl_line(n));
        char bad[96];
        if (!o || pl_refs_add(out, o) < 0)
            rc = lc_error(lc, pl_line(n), "out of memory");
        else if (si_cidr_list_parse(&o->cidrs, text, bad, sizeof(bad)) < 0)
            rc = lc_error(lc, pl_line(n), "'%s' is not an address or CIDR", bad);
    } else {
        rc = pl_names_inline(lc, pl_line(n), text, kind, out);
    }
    if (rc == 0) {
        for (char *c = text; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        rc = pl_ckey_add(keys, nkeys, key, text);
    }
    free(text);
    return rc;
}

/* source / user / group. Returns 1 if n was one of them, 0 if not, -1 on error. */
int pl_common_cond(struct load_ctx *lc, xmlNodePtr n, struct cond_common *c, struct ckey **keys,
                   size_t *nkeys)
{
    if (pl_is(n, "source")) {
        c->has_nets = true;
        return list_cond(lc, n, "network", "cidr", OBJ_NETWORK, &c->nets, keys, nkeys, "source") < 0
                   ? -1 : 1;
    }
    if (pl_is(n, "user")) {
        c->has_users = true;
        return list_cond(lc, n, "list", "names", OBJ_USERS, &c->users, keys, nkeys, "user") < 0
                   ? -1 : 1;
    }
    if (pl_is(n, "group")) {
        c->has_groups = true;
        return list_cond(lc, n, "list", "names", OBJ_GROUPS, &c->groups, keys, nkeys, "group") < 0
                   ? -1 : 1;
    }
    return 0;
}

/* A server-name or host list: list="ids" and/or category="names" (ORed), or inline text. */
int pl_name_cond(struct load_ctx *lc, xmlNodePtr n, struct refs *out, struct ckey **keys,
                 size_t *nkeys, const char *key)
{
    char *cats = pl_attr(n, "category"), *ids, tok[1024] = "";
    int rc = 0;

    if (!cats)
        return list_cond(lc, n, "list", NULL, OBJ_DOMAINS, out, keys, nkeys, key);
    if ((ids = pl_attr(n, "list")) != NULL) {
        rc = pl_resolve_refs(lc, pl_line(n), ids, OBJ_DOMAINS, out);
        id_tokens(ids, tok, sizeof(tok));
    }
    if (pl_category_refs(lc, pl_line(n), cats, out, tok, sizeof(tok)) < 0)
        rc = -1;
    if (pl_ckey_add(keys, nkeys, key, tok) < 0)
        rc = -1;
    free(ids);
    free(cats);
    return rc;
}

static int parse_ports(struct load_ctx *lc, xmlNodePtr n, struct insp_rule *r)
{
    char *text = pl_text(n), *save = NULL;
    int rc = 0;

    for (char *w = text ? strtok_r(text, " \t\r\n,", &save) : NULL; w;
         w = strtok_r(NULL, " \t\r\n,", &save)) {
        char *end, *end2;
        unsigned long lo = strtoul(w, &end, 10), hi = lo;
        if (*end == '-')
            hi = strtoul(end + 1, &end2, 10), end = end2;
        struct port_range *nv = realloc(r->ports, (r->nports + 1) * sizeof(*nv));
        if (end == w || *end || lo == 0 || hi > 65535 || lo > hi || !nv) {
            if (nv)
                r->ports = nv;
            rc = lc_error(lc, pl_line(n), "'%s' is not a port or port range (1-65535)", w);
            break;
        }
        r->ports = nv;
        r->ports[r->nports++] = (struct port_range){(unsigned)lo, (unsigned)hi};
    }
    if (rc == 0 && r->nports == 0)
        rc = lc_error(lc, pl_line(n), "empty <port> list");
    if (rc == 0) {
        char *orig = pl_text(n); /* ports compare by their text */
        rc = pl_ckey_add(&r->keys, &r->nkeys, "port", orig ? orig : "");
        free(orig);
    }
    free(text);
    return rc;
}

static int enum_of(const char *v, const char *const *names, int n, int dflt)
{
    for (int i = 0; v && i < n; i++)
        if (strcmp(v, names[i]) == 0)
            return i;
    return dflt;
}

static const char *const insp_names[] = {"bypass", "inspect", "terminate"};

static int compile_insp_rule(struct load_ctx *lc, xmlNodePtr n, struct insp_rule *r)
{
    char *act = pl_attr(n, "action"), *vn = pl_attr(n, "verify-name");
    int rc = 0;

    r->line = pl_line(n);
    r->id = pl_attr(n, "id");
    r->action = (enum si_inspect_action)enum_of(act, insp_names, 3, SI_INSPECT_INSPECT);
    r->verify_name = vn && strcmp(vn, "true") == 0;
    free(act);
    free(vn);
    for (xmlNodePtr c = n->children; c; c = c->next) {
        int k = pl_common_cond(lc, c, &r->c, &r->keys, &r->nkeys);
        if (k < 0)
            rc = -1;
        if (k != 0)
            continue;
        if (pl_is(c, "server-name")) {
            r->has_names = true;
            if (pl_name_cond(lc, c, &r->names, &r->keys, &r->nkeys, "server-name") < 0)
                rc = -1;
        } else if (pl_is(c, "port")) {
            r->has_ports = true;
            if (parse_ports(lc, c, r) < 0)
                rc = -1;
        }
    }
    return rc;
}

int pl_compile_inspection(struct load_ctx *lc, xmlNodePtr sec)
{
    struct si_policy *p = lc->p;
    char *dflt = pl_attr(sec, "default");
    size_t count = 0;
    int rc = 0;

    p->insp_default = (enum si_inspect_action)enum_of(dflt, insp_names, 3, SI_INSPECT_INSPECT);
    free(dflt);
    for (xmlNodePtr n = sec->children; n; n = n->next)
        count += pl_is(n, "rule");
    p->insp = calloc(count ? count : 1, sizeof(*p->insp));
    if (!p->insp)
        return lc_error(lc, pl_line(sec), "out of memory");
    for (xmlNodePtr n = sec->children; n; n = n->next) {
        if (!pl_is(n, "rule"))
            continue;
        struct insp_rule *r = &p->insp[p->ninsp++];
        if (compile_insp_rule(lc, n, r) < 0)
            rc = -1;
        for (size_t i = 0; r->id && i + 1 < p->ninsp; i++)
            if (p->insp[i].id && strcmp(p->insp[i].id, r->id) == 0)
                rc = lc_error(lc, r->line, "duplicate https-inspection rule id '%s' (line %d)",
                              r->id, p->insp[i].line);
    }
    return rc;
}

static const char *const rev_names[] = {"off", "soft", "hard"};
static const char *const crl_names[] = {"off", "fallback", "always"};

/* Reads revocation/ocsp-timeout/crl attributes; -1 in an out field = attribute absent. */
static int revocation_attrs(struct load_ctx *lc, xmlNodePtr n, int *rev, long *tmo, int *crl)
{
    char *r = pl_attr(n, "revocation"), *t = pl_attr(n, "ocsp-timeout"), *c = pl_attr(n, "crl");
    int rc = 0;

    *rev = r ? enum_of(r, rev_names, 3, -1) : -1;
    *crl = c ? enum_of(c, crl_names, 3, -1) : -1;
    *tmo = -1;
    if (t && (si_parse_duration_ms(t, tmo) < 0 || *tmo < 1 || *tmo > 600000))
        rc = lc_error(lc, pl_line(n), "ocsp-timeout '%s' must be between 1ms and 10m", t);
    free(r);
    free(t);
    free(c);
    return rc;
}

int pl_compile_validation(struct load_ctx *lc, xmlNodePtr sec)
{
    struct si_policy *p = lc->p;
    struct si_validation_settings *d = &p->val_default;
    int rev, crl, rc;
    long tmo;
    size_t count = 0;

    rc = revocation_attrs(lc, sec, &rev, &tmo, &crl);
    if (rev >= 0)
        d->revocation = (enum si_revocation)rev;
    if (crl >= 0)
        d->crl = (enum si_crl_mode)crl;
    if (tmo >= 0)
        d->ocsp_timeout_ms = (unsigned)tmo;
    for (xmlNodePtr n = sec->children; n; n = n->next)
        count += pl_is(n, "override");
    p->ovr = calloc(count ? count : 1, sizeof(*p->ovr));
    if (!p->ovr)
        return lc_error(lc, pl_line(sec), "out of memory");
    for (xmlNodePtr n = sec->children; n; n = n->next) {
        if (!pl_is(n, "override"))
            continue;
        struct override *o = &p->ovr[p->novr++];
        char *names = pl_attr(n, "server-name"), *list = pl_attr(n, "list");
        o->line = pl_line(n);
        o->label = strdup(names ? names : list ? list : "");
        if (revocation_attrs(lc, n, &o->revocation, &o->timeout_ms, &o->crl) < 0)
            rc = -1;
        if (names && pl_names_inline(lc, o->line, names, OBJ_DOMAINS, &o->names) < 0)
            rc = -1;
        if (list && pl_resolve_refs(lc, o->line, list, OBJ_DOMAINS, &o->names) < 0)
            rc = -1;
        free(names);
        free(list);
    }
    return rc;
}

const char *si_revocation_name(enum si_revocation r)
{
    return (unsigned)r < 3 ? rev_names[r] : "?";
}

const char *si_crl_mode_name(enum si_crl_mode m)
{
    return (unsigned)m < 3 ? crl_names[m] : "?";
}

const char *si_inspect_action_name(enum si_inspect_action a)
{
    return (unsigned)a < 3 ? insp_names[a] : "?";
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_side(struct sec_side *s)
{
    for (size_t i = 0; i < s->nheaders; i++) {
        free(s->headers[i].name);
        si_strmatch_free(s->headers[i].m);
    }
    free(s->headers);
    free_strv(s->body.keywords, s->body.nkw);
    si_strmatch_free(s->body.re);
}

static void free_sec_rule(struct sec_rule *r)
{
    free(r->id);
    free(r->location);
    free(r->reason);
    free(r->c.nets.v);
    free(r->c.users.v);
    free(r->c.groups.v);
    free_strv(r->methods, r->nmethods);
    free(r->hosts.v);
    free(r->url_lists.v);
    si_strmatch_free(r->url_m);
    si_strmatch_free(r->path_m);
    si_strmatch_free(r->query_m);
    free_side(&r->req);
    free_side(&r->resp);
    free(r->status);
    free_strv(r->ctypes, r->nctypes);
    for (size_t i = 0; i < r->nmods; i++) {
        free(r->mods[i].name);
        free(r->mods[i].value);
    }
    free(r->mods);
    pl_ckeys_free(r->keys, r->nkeys);
}

void pl_free_rules(struct si_policy *p)
{
    for (size_t i = 0; i < p->ninsp; i++) {
        struct insp_rule *r = &p->insp[i];
        free(r->id);
        free(r->c.nets.v);
        free(r->c.users.v);
        free(r->c.groups.v);
        free(r->names.v);
        free(r->ports);
        pl_ckeys_free(r->keys, r->nkeys);
    }
    free(p->insp);
    for (size_t i = 0; i < p->novr; i++) {
        free(p->ovr[i].names.v);
        free(p->ovr[i].label);
    }
    free(p->ovr);
    for (size_t i = 0; i < p->nsec; i++)
        free_sec_rule(&p->sec[i]);
    free(p->sec);
    si_nameset_free(p->host_union);
    free(p->sec_unfiltered);
}
