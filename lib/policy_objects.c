/*
 * policy_objects.c: <settings> and <objects> of a policy (the references to objects and the
 * XML helpers are in policy_loadctx.c).
 */
#include "policy_loadctx.h"

#include <ctype.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

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
            if (!size || si_parse_size(size, &p->settings.inspection_limit) < 0)
                rc = lc_error(lc, pl_line(n), "inspection-limit: size '%s' is not a size",
                              size ? size : "");
            p->settings.too_large_block = act && strcmp(act, "block") == 0;
            free(size);
            free(act);
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
        struct pobj *dup = id ? pl_find_object(lc->p, id) : NULL;
        if (dup) {
            rc = lc_error(lc, pl_line(n), "duplicate object id '%s' (first defined on line %d)", id,
                          dup->line);
            free(id);
            continue;
        }
        struct pobj *o = pl_new_object(lc, kind, pl_line(n), id);
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
