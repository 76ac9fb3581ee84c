/*
 * policy_loadctx.c: the load context the policy_*.c load modules share: error collection
 * (lc_error), the files a load reads (pl_input_add), the XML helpers and the objects of a
 * policy (creation, references by id, inline lists).
 */
#include "policy_loadctx.h"

#include <assert.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int lc_error(struct load_ctx *lc, int line, const char *fmt, ...)
{
    size_t used;
    va_list ap;

    assert(lc->err && lc->errsize > 0);
    used = strlen(lc->err);
    if (lc->nerr++ >= SI_POLICY_MAX_ERRORS || used + 2 >= lc->errsize)
        return -1;
    if (used) {
        lc->err[used++] = '\n';
        lc->err[used] = '\0';
    }
    int n = line > 0 ? snprintf(lc->err + used, lc->errsize - used, "%s:%d: ", lc->name, line)
                     : snprintf(lc->err + used, lc->errsize - used, "%s: ", lc->name);
    if (n < 0 || (size_t)n >= lc->errsize - used)
        return -1;
    used += (size_t)n;
    va_start(ap, fmt);
    vsnprintf(lc->err + used, lc->errsize - used, fmt, ap);
    va_end(ap);
    return -1;
}

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

struct pobj *pl_new_object(struct load_ctx *lc, enum pobj_kind kind, int line, char *id)
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
    return pl_new_object(lc, kind, line, NULL);
}

const char *pl_kind_name(enum pobj_kind k)
{
    static const char *const names[OBJ_KIND_COUNT] = {"network", "domains", "users", "groups",
                                                      "urls", "categories", "category"};
    assert((unsigned)k < OBJ_KIND_COUNT);
    return (unsigned)k < OBJ_KIND_COUNT ? names[k] : "?";
}

/* Objects declared in <objects> (loaded categories have their own name space). */
struct pobj *pl_find_object(const struct si_policy *p, const char *id)
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
        struct pobj *o = pl_find_object(lc->p, id);
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

static unsigned long long fnv(unsigned long long h, const void *data, size_t n)
{
    const unsigned char *b = data;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Folds path and its identity now (or "absent") into h. */
static unsigned long long fold_identity(unsigned long long h, const char *path)
{
    struct stat st;

    h = fnv(h, path, strlen(path) + 1);
    if (stat(path, &st) < 0)
        return fnv(h, "-", 1);
    h = fnv(h, &st.st_dev, sizeof(st.st_dev));
    h = fnv(h, &st.st_ino, sizeof(st.st_ino));
    h = fnv(h, &st.st_size, sizeof(st.st_size));
    h = fnv(h, &st.st_mtim.tv_sec, sizeof(st.st_mtim.tv_sec));
    return fnv(h, &st.st_mtim.tv_nsec, sizeof(st.st_mtim.tv_nsec));
}

#define SIG_SEED 1469598103934665603ull

void pl_input_add(struct si_policy *p, const char *path)
{
    char **nv = realloc(p->inputs, (p->ninputs + 1) * sizeof(*nv));

    if (!nv)
        return; /* only the watch for changes is lost */
    p->inputs = nv;
    if (!(p->inputs[p->ninputs] = strdup(path)))
        return;
    p->ninputs++;
    p->inputs_sig = fold_identity(p->inputs_sig ? p->inputs_sig : SIG_SEED, path);
}

unsigned long long si_policy_inputs_signature(const struct si_policy *p, bool live)
{
    unsigned long long h = 0;

    if (!live || !p)
        return p ? p->inputs_sig : 0;
    for (size_t i = 0; i < p->ninputs; i++)
        h = fold_identity(h ? h : SIG_SEED, p->inputs[i]);
    return h;
}
