/*
 * policy_objects.c: <settings> and <objects> of a policy, object references and XML helpers
 * shared by the other policy_*.c modules.
 */
#include "policy_internal.h"

#include <ctype.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *pl_attr(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    char *copy;

    if (!v)
        return NULL;
    copy = strdup((const char *)v);
    xmlFree(v);
    return copy;
}

char *pl_text(xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *copy = strdup(v ? (const char *)v : "");

    xmlFree(v);
    return copy;
}

int pl_line(xmlNodePtr n)
{
    return (int)xmlGetLineNo(n);
}

bool pl_is(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name);
}

int pl_parse_size(const char *s, unsigned long long *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;

    if (end == s)
        return -1;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || v > (~0ull >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

int pl_parse_duration_ms(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (end == s || v < 0)
        return -1;
    if (strcmp(end, "ms") == 0)
        *out = v;
    else if (*end == '\0' || strcmp(end, "s") == 0)
        *out = v * 1000;
    else if (strcmp(end, "m") == 0)
        *out = v * 60000;
    else
        return -1;
    return 0;
}

char *pl_path_resolve(const struct si_policy *p, const char *file)
{
    char *out;

    if (file[0] == '/')
        return strdup(file);
    size_t n = strlen(p->base_dir) + strlen(file) + 2;
    out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", p->base_dir, file);
    return out;
}

/* Reads a block-page template (at most 64 KiB, no NUL bytes). */
static char *read_template(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(65537);
    size_t n = 0;

    if (f && buf)
        n = fread(buf, 1, 65537, f);
    if (f)
        fclose(f);
    if (!f || !buf || n == 0 || n > 65536 || memchr(buf, '\0', n)) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* <malware-scanner socket= timeout= max-body=>: a socket clamd.h accepts, a timeout > 0. */
static int malware_scanner(struct load_ctx *lc, xmlNodePtr n)
{
    struct si_policy_settings *s = &lc->p->settings;
    char *timeout = pl_attr(n, "timeout"), *max = pl_attr(n, "max-body"), why[256];
    int rc = 0;
    free(lc->p->malware_socket);
    lc->p->malware_socket = pl_attr(n, "socket");
    s->malware_socket = lc->p->malware_socket;
    if (si_clamd_addr_parse(s->malware_socket, &s->malware_addr, why, sizeof(why)) < 0)
        rc = lc_error(lc, pl_line(n), "malware-scanner: %s", why);
    if (timeout && (pl_parse_duration_ms(timeout, &s->malware_timeout_ms) < 0 ||
                    s->malware_timeout_ms <= 0 || s->malware_timeout_ms > 3600000))
        rc = lc_error(lc, pl_line(n), "malware-scanner: timeout '%s' is not a duration from 1ms "
                      "to 60m (e.g. 30s, 500ms)", timeout);
    if (max && (pl_parse_size(max, &s->malware_max_body) < 0 || s->malware_max_body == 0))
        rc = lc_error(lc, pl_line(n), "malware-scanner: max-body '%s' is not a size above 0 "
                      "(e.g. 100M)", max);
    free(timeout);
    free(max);
    return rc;
}

int pl_compile_settings(struct load_ctx *lc, xmlNodePtr sec)
{
    struct si_policy *p = lc->p;
    int rc = 0;

    for (xmlNodePtr n = sec->children; n; n = n->next) {
        if (pl_is(n, "user-header")) {
            char *enc = pl_attr(n, "encoding");
            free(p->user_header);
            p->user_header = pl_attr(n, "name");
            p->settings.user_header = p->user_header;
            p->settings.user_header_base64 = enc && strcmp(enc, "base64") == 0;
            free(enc);
        } else if (pl_is(n, "groups-header")) {
            free(p->groups_header);
            p->groups_header = pl_attr(n, "name");
            p->settings.groups_header = p->groups_header;
        } else if (pl_is(n, "inspection-limit")) {
            char *size = pl_attr(n, "size"), *act = pl_attr(n, "action");
            if (!size || pl_parse_size(size, &p->settings.inspection_limit) < 0)
                rc = lc_error(lc, pl_line(n), "inspection-limit: size '%s' is not a size",
                              size ? size : "");
            p->settings.too_large_block = act && strcmp(act, "block") == 0;
            free(size);
            free(act);
        } else if (pl_is(n, "malware-scanner")) {
            if (malware_scanner(lc, n) < 0)
                rc = -1;
        } else if (pl_is(n, "block-page")) {
            char *t = pl_attr(n, "template");
            free(p->block_template);
            p->block_template = t ? pl_path_resolve(p, t) : NULL;
            p->settings.block_template = p->block_template;
            free(t);
            free(p->block_html);
            if (p->block_template)
                pl_input_add(p, p->block_template);
            p->block_html = p->block_template ? read_template(p->block_template) : NULL;
            if (!p->block_html)
                rc = lc_error(lc, pl_line(n), "block-page: cannot read template '%s' (a text "
                              "file of at most 64 KiB)", p->block_template ? p->block_template : "");
        }
    }
    return rc;
}

static struct pobj *new_object(struct load_ctx *lc, enum pobj_kind kind, int line, char *id)
{
    struct si_policy *p = lc->p;
    struct pobj *o = calloc(1, sizeof(*o));
    struct pobj **nv = realloc(p->objs, (p->nobjs + 1) * sizeof(*nv));

    if (!o || !nv) {
        free(o);
        if (nv)
            p->objs = nv;
        free(id);
        lc_error(lc, line, "out of memory");
        return NULL;
    }
    p->objs = nv;
    o->id = id;
    o->kind = kind;
    o->line = line;
    p->objs[p->nobjs++] = o;
    return o;
}

struct pobj *pl_inline_object(struct load_ctx *lc, enum pobj_kind kind, int line)
{
    return new_object(lc, kind, line, NULL);
}

const char *pl_kind_name(enum pobj_kind k)
{
    static const char *const names[OBJ_KIND_COUNT] = {"network", "domains", "users", "groups",
                                                      "urls", "categories", "category"};
    return (unsigned)k < OBJ_KIND_COUNT ? names[k] : "?";
}

/* Objects declared in <objects> (loaded categories have their own name space). */
static struct pobj *find_object(const struct si_policy *p, const char *id)
{
    for (size_t i = 0; i < p->nobjs; i++)
        if (p->objs[i]->id && p->objs[i]->kind != OBJ_CATEGORY && strcmp(p->objs[i]->id, id) == 0)
            return p->objs[i];
    return NULL;
}

int pl_refs_add(struct refs *r, struct pobj *o)
{
    struct pobj **nv = realloc(r->v, (r->n + 1) * sizeof(*nv));

    if (!nv)
        return -1;
    r->v = nv;
    r->v[r->n++] = o;
    return 0;
}

int pl_resolve_refs(struct load_ctx *lc, int line, const char *ids, enum pobj_kind kind,
                    struct refs *out)
{
    char *copy = strdup(ids ? ids : ""), *save = NULL;
    int rc = 0;

    for (char *id = strtok_r(copy, " \t\r\n", &save); id; id = strtok_r(NULL, " \t\r\n", &save)) {
        struct pobj *o = find_object(lc->p, id);
        if (!o)
            rc = lc_error(lc, line, "unknown object '%s' (no <%s id=\"%s\"> in <objects>)", id,
                          pl_kind_name(kind), id);
        else if (o->kind != kind)
            rc = lc_error(lc, line, "object '%s' (line %d) is a <%s>, a <%s> is needed here", id,
                          o->line, pl_kind_name(o->kind), pl_kind_name(kind));
        else if (pl_refs_add(out, o) < 0)
            rc = lc_error(lc, line, "out of memory");
    }
    free(copy);
    return rc;
}

/* An inline list of names (domains, users, groups) as an anonymous object. */
int pl_names_inline(struct load_ctx *lc, int line, const char *text, enum pobj_kind kind,
                    struct refs *out)
{
    struct pobj *o = pl_inline_object(lc, kind, line);
    char bad[96];

    if (!o)
        return -1;
    if (!(o->names = si_nameset_new(8)) || pl_refs_add(out, o) < 0)
        return lc_error(lc, line, "out of memory");
    if (si_nameset_add_words(o->names, text, bad, sizeof(bad)) < 0)
        return lc_error(lc, line, "'%s' is not a valid name", bad);
    if (si_nameset_count(o->names) == 0)
        return lc_error(lc, line, "empty list of names");
    return 0;
}

static int compile_network(struct load_ctx *lc, xmlNodePtr n, struct pobj *o)
{
    char *cidr = pl_attr(n, "cidr"), *file = pl_attr(n, "file"), bad[96], ferr[512];
    int rc = 0;

    if (cidr) {
        if (si_cidr_list_parse(&o->cidrs, cidr, bad, sizeof(bad)) < 0)
            rc = lc_error(lc, o->line, "network '%s': '%s' is not an address or CIDR", o->id, bad);
    } else if (file) {
        char *path = pl_path_resolve(lc->p, file);
        if (path)
            pl_input_add(lc->p, path);
        if (!path || si_cidr_list_load_file(&o->cidrs, path, ferr, sizeof(ferr)) < 0)
            rc = lc_error(lc, o->line, "network '%s': %s", o->id, path ? ferr : "out of memory");
        free(path);
    }
    free(cidr);
    free(file);
    return rc;
}

static int compile_names(struct load_ctx *lc, xmlNodePtr n, struct pobj *o)
{
    char *file = pl_attr(n, "file"), *text, bad[96], ferr[512];
    int rc = 0;

    if (file) {
        char *path = pl_path_resolve(lc->p, file);
        if (path)
            pl_input_add(lc->p, path);
        if (!(o->names = si_nameset_new(1024)) || !path ||
            si_nameset_load_file(o->names, path, ferr, sizeof(ferr)) < 0)
            rc = lc_error(lc, o->line, "%s '%s': %s", pl_kind_name(o->kind), o->id,
                          path ? ferr : "out of memory");
        free(path);
        free(file);
        return rc;
    }
    text = o->kind == OBJ_DOMAINS ? pl_text(n) : pl_attr(n, "names");
    if (!(o->names = si_nameset_new(16)) || !text)
        rc = lc_error(lc, o->line, "out of memory");
    else if (si_nameset_add_words(o->names, text, bad, sizeof(bad)) < 0)
        rc = lc_error(lc, o->line, "%s '%s': '%s' is not a valid name", pl_kind_name(o->kind), o->id,
                      bad);
    free(text);
    return rc;
}

static int compile_urls(struct load_ctx *lc, xmlNodePtr n, struct pobj *o)
{
    char rerr[200];
    int rc = 0;

    for (xmlNodePtr c = n->children; c; c = c->next) {
        bool re = pl_is(c, "regex");
        if (!re && !pl_is(c, "glob"))
            continue;
        char *pat = pl_text(c);
        struct si_strmatch *m =
            pat ? si_strmatch_new(re ? SI_MATCH_REGEX : SI_MATCH_GLOB, pat, true, rerr,
                                  sizeof(rerr))
                : NULL;
        struct si_strmatch **nv = m ? realloc(o->pats, (o->npats + 1) * sizeof(*nv)) : NULL;
        if (!nv) {
            rc = lc_error(lc, pl_line(c), "urls '%s': bad regex '%s': %s", o->id, pat ? pat : "",
                          m ? "out of memory" : rerr);
            si_strmatch_free(m);
        } else {
            o->pats = nv;
            o->pats[o->npats++] = m;
        }
        free(pat);
    }
    return rc;
}

int pl_compile_objects(struct load_ctx *lc, xmlNodePtr sec)
{
    int rc = 0;

    for (xmlNodePtr n = sec->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        enum pobj_kind kind = OBJ_NETWORK;
        for (int k = 0; k <= OBJ_CATEGORIES; k++)
            if (pl_is(n, pl_kind_name((enum pobj_kind)k)))
                kind = (enum pobj_kind)k;
        char *id = pl_attr(n, "id");
        struct pobj *dup = id ? find_object(lc->p, id) : NULL;
        if (dup) {
            rc = lc_error(lc, pl_line(n), "duplicate object id '%s' (first defined on line %d)", id,
                          dup->line);
            free(id);
            continue;
        }
        struct pobj *o = new_object(lc, kind, pl_line(n), id);
        if (!o)
            return -1;
        if (kind == OBJ_NETWORK && compile_network(lc, n, o) < 0)
            rc = -1;
        else if ((kind == OBJ_DOMAINS || kind == OBJ_USERS || kind == OBJ_GROUPS) &&
                 compile_names(lc, n, o) < 0)
            rc = -1;
        else if (kind == OBJ_URLS && compile_urls(lc, n, o) < 0)
            rc = -1;
        else if (kind == OBJ_CATEGORIES && pl_compile_categories(lc, n, o) < 0)
            rc = -1;
    }
    return rc;
}

void pl_free_objects(struct si_policy *p)
{
    for (size_t i = 0; i < p->nobjs; i++) {
        struct pobj *o = p->objs[i];
        si_nameset_free(o->names);
        si_cidr_list_free(o->cidrs);
        for (size_t j = 0; j < o->npats; j++)
            si_strmatch_free(o->pats[j]);
        free(o->pats);
        pl_free_categories(o);
        free(o->id);
        free(o);
    }
    free(p->objs);
    p->objs = NULL;
    p->nobjs = 0;
}
