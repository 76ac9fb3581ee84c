/*
 * policy_categories.c: category databases in a policy.
 *
 * <categories id="ut1" dir="lists/ut1"/> declares a source laid out as squidGuard / UT1
 * blacklists are: DIR/<category>/domains, one name per line, each name matching itself and its
 * subdomains (the `urls` and `expressions` files of those trees are not read: server-name and
 * host decisions only need names). <category name="x" file="f"/> children add or replace single
 * categories. Declaring a source loads nothing; a category is loaded into a hash set (nameset.h)
 * when a rule first names it (<server-name category="finance"/>, <host category="ut1:bank"/>),
 * and once per policy however many rules name it. A policy that uses 3 categories of a
 * 100-category tree reads 3 files.
 *
 * Names: "finance" is looked up in every source and must be in exactly one; "ut1:finance"
 * names the source. An unknown or ambiguous name, a missing directory or domains file is a
 * file:line error of the policy.
 *
 * Ownership: sources and categories are struct pobj owned by the policy's object array.
 * Thread-safety: runs only while a policy is being loaded (single-threaded per policy).
 */
#include "policy_loadctx.h"

#include <errno.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CAT_PATH_MAX 4096

static int add_catfile(struct load_ctx *lc, struct pobj *o, xmlNodePtr c)
{
    char *name = pl_attr(c, "name"), *file = pl_attr(c, "file");
    char *path = file ? pl_path_resolve(lc->p, file) : NULL;
    struct catfile *nv = NULL;
    int rc = 0;

    for (size_t i = 0; name && i < o->ncats; i++)
        if (strcmp(o->cats[i].name, name) == 0) {
            rc = lc_error(lc, pl_line(c), "categories '%s': category '%s' is declared twice "
                          "(first on line %d)", o->id, name, o->cats[i].line);
            goto out;
        }
    if (name && strchr(name, ':')) {
        rc = lc_error(lc, pl_line(c), "categories '%s': a category name cannot contain ':' "
                      "('%s')", o->id, name);
        goto out;
    }
    if (!name || !path || !(nv = realloc(o->cats, (o->ncats + 1) * sizeof(*nv)))) {
        rc = lc_error(lc, pl_line(c), "out of memory");
        goto out;
    }
    o->cats = nv;
    if (access(path, R_OK) < 0)
        rc = lc_error(lc, pl_line(c), "categories '%s': category '%s': cannot read %s: %s",
                      o->id, name, path, strerror(errno));
    o->cats[o->ncats++] = (struct catfile){.name = name, .path = path, .line = pl_line(c)};
    name = path = NULL;
out:
    free(name);
    free(path);
    free(file);
    return rc;
}

int pl_compile_categories(struct load_ctx *lc, xmlNodePtr n, struct pobj *o)
{
    char *dir = pl_attr(n, "dir");
    struct stat st;
    int rc = 0;

    if (strchr(o->id, ':'))
        rc = lc_error(lc, o->line, "categories '%s': the id of a categories source cannot "
                      "contain ':' (rules write SOURCE:CATEGORY)", o->id);
    if (dir) {
        o->dir = pl_path_resolve(lc->p, dir);
        if (!o->dir)
            rc = lc_error(lc, o->line, "out of memory");
        else if (stat(o->dir, &st) < 0)
            rc = lc_error(lc, o->line, "categories '%s': cannot open directory %s: %s", o->id,
                          o->dir, strerror(errno));
        else if (!S_ISDIR(st.st_mode))
            rc = lc_error(lc, o->line, "categories '%s': %s is not a directory", o->id, o->dir);
    }
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (pl_is(c, "category") && add_catfile(lc, o, c) < 0)
            rc = -1;
    if (!dir && o->ncats == 0 && rc == 0)
        rc = lc_error(lc, o->line, "categories '%s': needs dir=\"...\" or <category> entries",
                      o->id);
    free(dir);
    return rc;
}

void pl_free_categories(struct pobj *o)
{
    for (size_t i = 0; i < o->ncats; i++) {
        free(o->cats[i].name);
        free(o->cats[i].path);
    }
    free(o->cats);
    free(o->dir);
}

/*
 * Does source src have category name? 1 (path set to its domains file), 0 (no such category),
 * -1 (a directory without a readable domains file; why says so).
 */
static int source_has(const struct pobj *src, const char *name, char *path, char *why,
                      size_t whysize)
{
    struct stat st;

    for (size_t i = 0; i < src->ncats; i++)
        if (strcmp(src->cats[i].name, name) == 0) {
            snprintf(path, CAT_PATH_MAX, "%s", src->cats[i].path);
            return 1;
        }
    if (!src->dir || !name[0] || name[0] == '.' || strchr(name, '/'))
        return 0;
    snprintf(path, CAT_PATH_MAX, "%s/%s", src->dir, name);
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    snprintf(path, CAT_PATH_MAX, "%s/%s/domains", src->dir, name);
    if (access(path, R_OK) == 0)
        return 1;
    snprintf(why, whysize, "category '%s' of categories '%s' has no readable domains file "
             "(%s: %s; urls and expressions files are not used)", name, src->id, path,
             strerror(errno));
    return -1;
}

/* The loaded category (src, name), or NULL. */
static struct pobj *find_loaded(const struct si_policy *p, const struct pobj *src,
                                const char *name)
{
    for (size_t i = 0; i < p->nobjs; i++)
        if (p->objs[i]->kind == OBJ_CATEGORY && p->objs[i]->src == src &&
            strcmp(p->objs[i]->id, name) == 0)
            return p->objs[i];
    return NULL;
}

static struct pobj *load_category(struct load_ctx *lc, int line, const struct pobj *src,
                                  const char *name, const char *path)
{
    struct pobj *o = find_loaded(lc->p, src, name);
    char ferr[512];
    struct stat st;

    if (o)
        return o;
    if (!(o = pl_inline_object(lc, OBJ_CATEGORY, line)))
        return NULL;
    o->src = src;
    /* a low estimate of the line count (lines are rarely over 40 bytes): the table grows from
     * there; an over-estimate would cost memory, every slot of a hash table gets touched */
    size_t expect = stat(path, &st) == 0 ? (size_t)st.st_size / 40 + 16 : 1024;
    if (!(o->id = strdup(name)) || !(o->names = si_nameset_new(expect))) {
        lc_error(lc, line, "out of memory");
        return NULL;
    }
    pl_input_add(lc->p, path);
    if (si_nameset_load_domains_file(o->names, path, ferr, sizeof(ferr)) < 0) {
        lc_error(lc, line, "category '%s' of categories '%s': %s", name, src->id, ferr);
        return NULL;
    }
    return o;
}

/* Sources that have name: the first in *found, how many in the return value (-1: broken). */
static int find_sources(struct load_ctx *lc, int line, const char *name, const struct pobj **found,
                        char *path, char *others, size_t osize)
{
    char why[CAT_PATH_MAX + 256], tmp[CAT_PATH_MAX];
    int count = 0;

    others[0] = '\0';
    for (size_t i = 0; i < lc->p->nobjs; i++) {
        const struct pobj *s = lc->p->objs[i];
        if (s->kind != OBJ_CATEGORIES)
            continue;
        int has = source_has(s, name, count ? tmp : path, why, sizeof(why));
        if (has < 0)
            return lc_error(lc, line, "%s", why);
        size_t used = strlen(others);
        snprintf(others + used, osize - used, "%s'%s'", used ? ", " : "", s->id);
        if (has && count++ == 0)
            *found = s;
    }
    return count;
}

/* One name of a category="..." attribute. */
static struct pobj *resolve_one(struct load_ctx *lc, int line, const char *word)
{
    char path[CAT_PATH_MAX], why[CAT_PATH_MAX + 256], srcs[512];
    const char *colon = strchr(word, ':'), *name = colon ? colon + 1 : word;
    const struct pobj *src = NULL;

    if (colon) {
        for (size_t i = 0; i < lc->p->nobjs && !src; i++)
            if (lc->p->objs[i]->kind == OBJ_CATEGORIES &&
                strncmp(lc->p->objs[i]->id, word, (size_t)(colon - word)) == 0 &&
                lc->p->objs[i]->id[colon - word] == '\0')
                src = lc->p->objs[i];
        if (!src) {
            lc_error(lc, line, "unknown category '%s': no <categories id=\"%.*s\"> in <objects>",
                     word, (int)(colon - word), word);
            return NULL;
        }
        int has = source_has(src, name, path, why, sizeof(why));
        if (has <= 0) {
            if (has == 0)
                lc_error(lc, line, "unknown category '%s': categories '%s' has no category "
                         "'%s'%s%s", word, src->id, name, src->dir ? " in " : "",
                         src->dir ? src->dir : "");
            else
                lc_error(lc, line, "%s", why);
            return NULL;
        }
        return load_category(lc, line, src, name, path);
    }
    int count = find_sources(lc, line, name, &src, path, srcs, sizeof(srcs));
    if (count < 0)
        return NULL;
    if (count == 0) {
        lc_error(lc, line, "unknown category '%s' (%s%s)", name,
                 srcs[0] ? "not in categories " : "no <categories> in <objects>", srcs);
        return NULL;
    }
    if (count > 1) {
        lc_error(lc, line, "category '%s' is in more than one of categories %s: write "
                 "SOURCE:%s", name, srcs, name);
        return NULL;
    }
    return load_category(lc, line, src, name, path);
}

int pl_category_refs(struct load_ctx *lc, int line, const char *names, struct refs *out,
                     char *tok, size_t toksize)
{
    char *copy = strdup(names ? names : ""), *save = NULL;
    int rc = copy ? 0 : lc_error(lc, line, "out of memory");

    for (char *w = copy ? strtok_r(copy, " \t\r\n", &save) : NULL; w;
         w = strtok_r(NULL, " \t\r\n", &save)) {
        struct pobj *o = resolve_one(lc, line, w);
        if (!o) {
            rc = -1;
            continue;
        }
        if (pl_refs_add(out, o) < 0)
            rc = lc_error(lc, line, "out of memory");
        size_t used = strlen(tok);
        if (used < toksize)
            snprintf(tok + used, toksize - used, "%%%s:%s ", o->src->id, o->id);
    }
    free(copy);
    return rc;
}
