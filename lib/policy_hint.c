/*
 * policy_hint.c: completes libxml2's RELAX NG messages about attributes ("Element rule failed
 * to validate attributes", "Invalid attribute action for element rule") with what
 * schema/policy.rng allows there: the values of an attribute that is a <choice> of <value>s,
 * or the attributes of the element. Used by policy_load.c's error handler only; reads the
 * built-in copy of the schema on each call (errors only). Thread-safe: no shared state.
 */
#include "policy_internal.h"

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <stdio.h>
#include <string.h>

extern const char si_policy_rng[]; /* schema/policy.rng, generated into policy_rng.c */
extern const unsigned long si_policy_rng_len;

#define HINT_MAX_DEPTH 8 /* <ref> levels followed; the schema nests three at most */

struct hint {
    const char *attr;  /* the attribute asked about, or NULL */
    bool found;        /* the element declares attr */
    char names[300];   /* the element's attributes, ", "-separated */
    char values[300];  /* attr's allowed values, ", "-separated (empty: free text) */
};

static bool is(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name);
}

static bool named(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST "name");
    bool eq = v && xmlStrEqual(v, BAD_CAST name);

    xmlFree(v);
    return eq;
}

/* Whether word is an item of list ("a, b, c"). */
static bool in_list(const char *list, const char *word)
{
    size_t wl = strlen(word);

    for (const char *p = strstr(list, word); p && wl; p = strstr(p + 1, word))
        if ((p == list || p[-1] == ' ') && (p[wl] == ',' || p[wl] == '\0'))
            return true;
    return false;
}

/* Appends ", word" (or "word" first) to list unless already there. */
static void list_add(char *list, size_t size, const char *word)
{
    size_t used = strlen(list);

    if (!in_list(list, word))
        snprintf(list + used, size - used, "%s%s", used ? ", " : "", word);
}

static xmlNodePtr find_define(xmlNodePtr grammar, xmlChar *name)
{
    xmlNodePtr d = NULL;

    for (xmlNodePtr c = grammar->children; c && !d && name; c = c->next)
        if (is(c, "define") && named(c, (const char *)name))
            d = c;
    xmlFree(name);
    return d;
}

static void collect_values(xmlNodePtr grammar, xmlNodePtr n, struct hint *h, int depth)
{
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (is(c, "value")) {
            xmlChar *t = xmlNodeGetContent(c);
            if (t)
                list_add(h->values, sizeof(h->values), (const char *)t);
            xmlFree(t);
        } else if (is(c, "ref") && depth < HINT_MAX_DEPTH) {
            xmlNodePtr d = find_define(grammar, xmlGetProp(c, BAD_CAST "name"));
            if (d)
                collect_values(grammar, d, h, depth + 1);
        } else if (c->type == XML_ELEMENT_NODE) {
            collect_values(grammar, c, h, depth);
        }
    }
}

/* The attributes of one element pattern, following <ref>s, not entering nested elements. */
static void scan_attrs(xmlNodePtr grammar, xmlNodePtr n, struct hint *h, int depth)
{
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (is(c, "attribute")) {
            xmlChar *name = xmlGetProp(c, BAD_CAST "name");
            if (name) {
                list_add(h->names, sizeof(h->names), (const char *)name);
                if (h->attr && !strcmp((const char *)name, h->attr)) {
                    h->found = true;
                    collect_values(grammar, c, h, depth);
                }
            }
            xmlFree(name);
        } else if (is(c, "ref") && depth < HINT_MAX_DEPTH) {
            xmlNodePtr d = find_define(grammar, xmlGetProp(c, BAD_CAST "name"));
            if (d)
                scan_attrs(grammar, d, h, depth + 1);
        } else if (c->type == XML_ELEMENT_NODE && !is(c, "element")) {
            scan_attrs(grammar, c, h, depth);
        }
    }
}

/* How well schema pattern <element name=...> n fits a document element under parent:
 * 2 when its enclosing schema element has parent's name, 1 when it has none (a define). */
static int fit(xmlNodePtr n, const xmlChar *parent)
{
    for (xmlNodePtr a = n->parent; a && a->type == XML_ELEMENT_NODE; a = a->parent)
        if (is(a, "element"))
            return parent && named(a, (const char *)parent) ? 2 : 0;
    return 1;
}

static void best_element(xmlNodePtr n, const char *name, const xmlChar *parent, xmlNodePtr *best,
                         int *score)
{
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "element") && named(c, name)) {
            int s = fit(c, parent);
            if (s > *score) {
                *best = c;
                *score = s;
            }
        }
        best_element(c, name, parent, best, score);
    }
}

/* Fills h for the document element el; false if the schema has no such element. */
static bool describe(xmlDocPtr rng, xmlNodePtr el, const char *attr, struct hint *h)
{
    xmlNodePtr grammar = xmlDocGetRootElement(rng), best = NULL;
    const xmlChar *parent = el->parent && el->parent->type == XML_ELEMENT_NODE ? el->parent->name
                                                                                : NULL;
    int score = 0;

    memset(h, 0, sizeof(*h));
    h->attr = attr;
    best_element(grammar, (const char *)el->name, parent, &best, &score);
    if (best)
        scan_attrs(grammar, best, h, 0);
    return best != NULL;
}

/* One attribute of el, appended to out when the schema refuses it; true if it did. who names
 * the element before the attribute ("<body-match> ") or is "". */
static bool attr_hint(xmlDocPtr rng, xmlNodePtr el, xmlAttrPtr a, char *out, size_t size,
                      const char *sep, const char *who)
{
    struct hint h;
    xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
    const char *val = v ? (const char *)v : "";
    size_t used = strlen(out);
    bool said = false;

    if (used + 1 < size && describe(rng, el, (const char *)a->name, &h)) {
        if (!h.found) {
            snprintf(out + used, size - used, "%s attribute %s is not allowed on <%s> "
                     "(allowed: %s)", sep, a->name, el->name, h.names);
            said = true;
        } else if (h.values[0] && !in_list(h.values, val)) {
            snprintf(out + used, size - used, "%s %s%s=\"%s\" is not one of the allowed values: "
                     "%s", sep, who, a->name, val, h.values);
            said = true;
        }
    }
    xmlFree(v);
    return said;
}

/* Every refused attribute of el (and, deep levels down, of the elements inside it); name_it:
 * say which element each attribute is on. */
static void attrs_hint(xmlDocPtr rng, xmlNodePtr el, char *out, size_t size, bool *said,
                       int deep, bool name_it)
{
    char who[80] = "";

    if (name_it)
        snprintf(who, sizeof(who), "<%s> ", (const char *)el->name);
    for (xmlAttrPtr a = el->properties; a; a = a->next)
        if (attr_hint(rng, el, a, out, size, *said ? ";" : ":", who))
            *said = true;
    for (xmlNodePtr c = el->children; c && deep; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            attrs_hint(rng, c, out, size, said, deep - 1, true);
}

void pl_schema_hint(const struct _xmlError *e, char *msg, size_t msgsize)
{
    xmlNodePtr el = e->node;
    struct hint h;
    xmlDocPtr rng;
    bool said = false;

    if (e->domain != XML_FROM_RELAXNGV || !el || !e->str1 || strlen(msg) + 1 >= msgsize ||
        (e->code != XML_RELAXNG_ERR_ATTRVALID && e->code != XML_RELAXNG_ERR_INVALIDATTR &&
         e->code != XML_RELAXNG_ERR_CONTENTVALID))
        return;
    /* ATTRVALID and CONTENTVALID name the element in str1 (the node may be inside it);
     * INVALIDATTR names the attribute in str1 and the element in str2. */
    const char *ename = e->code == XML_RELAXNG_ERR_INVALIDATTR ? e->str2 : e->str1;
    while (el && !(el->type == XML_ELEMENT_NODE && ename && xmlStrEqual(el->name, BAD_CAST ename)))
        el = el->parent;
    rng = el ? xmlReadMemory(si_policy_rng, (int)si_policy_rng_len, "policy.rng", NULL,
                             XML_PARSE_NONET | XML_PARSE_NOBLANKS) : NULL;
    if (!rng)
        return;
    if (e->code == XML_RELAXNG_ERR_CONTENTVALID) {
        for (xmlNodePtr c = el->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE)
                attrs_hint(rng, c, msg, msgsize, &said, HINT_MAX_DEPTH, true);
    } else {
        xmlAttrPtr a = e->code == XML_RELAXNG_ERR_INVALIDATTR ? xmlHasProp(el, BAD_CAST e->str1)
                                                                : NULL;
        said = a && attr_hint(rng, el, a, msg, msgsize, ":", "");
        if (!said)
            attrs_hint(rng, el, msg, msgsize, &said, 0, false);
        if (!said && describe(rng, el, NULL, &h) && h.names[0]) {
            size_t used = strlen(msg);
            snprintf(msg + used, msgsize - used, " (attributes of <%s>: %s)", el->name, h.names);
        }
    }
    xmlFreeDoc(rng);
}
