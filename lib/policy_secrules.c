/*
 * policy_secrules.c: compiles <security-policy> rules (conditions and modify actions) into
 * struct sec_rule, with their phase (request or response) and unreachable-check keys.
 */
#include "policy_internal.h"

#include <ctype.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filetype.h"

static const char *const sec_names[] = {"allow", "block", "modify", "redirect"};

const char *si_sec_action_name(enum si_sec_action a)
{
    return (unsigned)a < 4 ? sec_names[a] : "?";
}

const char *si_sec_action_past(enum si_sec_action a)
{
    static const char *const past[] = {"allowed", "blocked", "modified", "redirected"};
    return (unsigned)a < 4 ? past[a] : "?";
}

/* A key with exactly one token (patterns may contain spaces). */
static int key1(struct sec_rule *r, const char *key, const char *kind, const char *pat)
{
    size_t n = strlen(kind) + strlen(pat) + 2;
    char *t = malloc(n);
    int rc;

    if (!t)
        return -1;
    snprintf(t, n, "%s:%s", kind, pat);
    for (char *c = t; *c; c++)
        if (isspace((unsigned char)*c))
            *c = '\x1f';
    rc = pl_ckey_add(&r->keys, &r->nkeys, key, t);
    free(t);
    return rc;
}

/* glob="..." or regex="..." on n; key records it. */
static int str_match(struct load_ctx *lc, xmlNodePtr n, struct si_strmatch **out, bool icase,
                     struct sec_rule *r, const char *key)
{
    char *g = pl_attr(n, "glob"), *re = g ? NULL : pl_attr(n, "regex"), err[200];
    int rc = 0;

    if (g || re) {
        *out = si_strmatch_new(g ? SI_MATCH_GLOB : SI_MATCH_REGEX, g ? g : re, icase, err,
                               sizeof(err));
        if (!*out)
            rc = lc_error(lc, pl_line(n), "bad regular expression '%s': %s", re, err);
        else if (key1(r, key, g ? "glob" : "regex", g ? g : re) < 0)
            rc = lc_error(lc, pl_line(n), "out of memory");
    }
    free(g);
    free(re);
    return rc;
}

static int words(struct load_ctx *lc, xmlNodePtr n, char ***out, size_t *nout, bool upper,
                 struct sec_rule *r, const char *key)
{
    char *text = pl_text(n), *save = NULL;
    int rc = 0;

    if (!text)
        return lc_error(lc, pl_line(n), "out of memory");
    for (char *c = text; *c; c++)
        *c = (char)(upper ? toupper((unsigned char)*c) : tolower((unsigned char)*c));
    if (pl_ckey_add(&r->keys, &r->nkeys, key, text) < 0)
        rc = lc_error(lc, pl_line(n), "out of memory");
    for (char *w = strtok_r(text, " \t\r\n,", &save); w && rc == 0;
         w = strtok_r(NULL, " \t\r\n,", &save)) {
        char **nv = realloc(*out, (*nout + 1) * sizeof(*nv));
        if (!nv)
            return lc_error(lc, pl_line(n), "out of memory");
        *out = nv;
        (*out)[(*nout)++] = strdup(w);
    }
    if (rc == 0 && *nout == 0)
        rc = lc_error(lc, pl_line(n), "<%s> needs at least one value", (const char *)n->name);
    free(text);
    return rc;
}

static int header_cond(struct load_ctx *lc, xmlNodePtr n, struct sec_side *s, struct sec_rule *r,
                       const char *side)
{
    char *name = pl_attr(n, "name"), key[200];
    struct header_cond *nv = realloc(s->headers, (s->nheaders + 1) * sizeof(*nv));

    if (!nv || !name) {
        free(name);
        return lc_error(lc, pl_line(n), "out of memory");
    }
    s->headers = nv;
    struct header_cond *h = &s->headers[s->nheaders++];
    h->name = name;
    h->m = NULL;
    for (char *c = name; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    snprintf(key, sizeof(key), "%s-header:%s", side, name);
    if (!xmlHasProp(n, BAD_CAST "glob") && !xmlHasProp(n, BAD_CAST "regex"))
        return key1(r, key, "present", "");
    return str_match(lc, n, &h->m, true, r, key);
}

static int body_cond(struct load_ctx *lc, xmlNodePtr n, struct body_cond *b, struct sec_rule *r,
                     const char *side)
{
    char *kind = pl_attr(n, "kind"), *min = pl_attr(n, "min"), *text = pl_text(n), err[200];
    char key[64], tok[48];
    int rc = 0;

    b->set = true;
    b->min = min ? (unsigned)strtoul(min, NULL, 10) : 1;
    b->kind = strcmp(kind ? kind : "", "regex") == 0     ? BODY_REGEX
              : strcmp(kind ? kind : "", "keyword") == 0 ? BODY_KEYWORD
                                                         : BODY_CARD;
    snprintf(key, sizeof(key), "%s-body", side);
    snprintf(tok, sizeof(tok), "%s/%u", kind ? kind : "", b->min);
    if (b->kind == BODY_REGEX) {
        if (!(b->re = si_strmatch_new(SI_MATCH_REGEX, text ? text : "", false, err, sizeof(err))))
            rc = lc_error(lc, pl_line(n), "bad regular expression: %s", err);
    } else if (b->kind == BODY_KEYWORD) {
        char *save = NULL;
        for (char *l = strtok_r(text, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
            while (isspace((unsigned char)*l))
                l++;
            size_t len = strlen(l);
            while (len && isspace((unsigned char)l[len - 1]))
                l[--len] = '\0';
            char **nv = len ? realloc(b->keywords, (b->nkw + 1) * sizeof(*nv)) : NULL;
            if (!nv)
                continue;
            b->keywords = nv;
            for (char *c = l; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            b->keywords[b->nkw++] = strdup(l);
        }
        if (b->nkw == 0)
            rc = lc_error(lc, pl_line(n), "body-match kind=\"keyword\" needs keywords, one a line");
        free(text);
        text = pl_text(n);
    } else if (text && strspn(text, " \t\r\n") != strlen(text)) {
        rc = lc_error(lc, pl_line(n), "body-match kind=\"payment-card\" takes no text");
    }
    if (rc == 0 && key1(r, key, tok, text ? text : "") < 0)
        rc = lc_error(lc, pl_line(n), "out of memory");
    free(kind);
    free(min);
    free(text);
    return rc;
}

static int size_cond(struct load_ctx *lc, xmlNodePtr n, struct size_cond *s, struct sec_rule *r,
                     const char *side)
{
    char *min = pl_attr(n, "min"), *max = pl_attr(n, "max"), key[64], tok[80];
    int rc = 0;

    s->set = true;
    if ((min && pl_parse_size(min, &s->min) < 0) || (max && pl_parse_size(max, &s->max) < 0))
        rc = lc_error(lc, pl_line(n), "body-size: not a size");
    else if (!min && !max)
        rc = lc_error(lc, pl_line(n), "body-size needs min, max or both");
    else if (max && s->max < s->min)
        rc = lc_error(lc, pl_line(n), "body-size: max is below min");
    snprintf(key, sizeof(key), "%s-body-size", side);
    snprintf(tok, sizeof(tok), "%llu-%llu", s->min, s->max);
    if (rc == 0)
        rc = pl_ckey_add(&r->keys, &r->nkeys, key, tok);
    free(min);
    free(max);
    return rc;
}

/* <malware on-error="fail-closed|fail-open"/>: needs the settings' <malware-scanner>. */
static int malware_cond(struct load_ctx *lc, xmlNodePtr n, struct malware_cond *m,
                        struct sec_rule *r, const char *side)
{
    char *on = pl_attr(n, "on-error"), key[32];
    m->set = true;
    m->fail_open = on && strcmp(on, "fail-open") == 0;
    m->line = pl_line(n);
    snprintf(key, sizeof(key), "%s-malware", side);
    int rc = pl_ckey_add(&r->keys, &r->nkeys, key, m->fail_open ? "fail-open" : "fail-closed");
    free(on);
    if (!lc->p->settings.malware_socket)
        rc = lc_error(lc, m->line, "rule '%s': <malware/> needs <malware-scanner socket=\"...\"/> "
                      "in <settings> (clamd to scan with)", r->id);
    return rc;
}

static int side_common(struct load_ctx *lc, xmlNodePtr c, struct sec_side *s, struct sec_rule *r,
                       const char *side)
{
    if (pl_is(c, "malware"))
        return malware_cond(lc, c, &s->malware, r, side);
    if (pl_is(c, "header"))
        return header_cond(lc, c, s, r, side);
    if (pl_is(c, "body-match"))
        return body_cond(lc, c, &s->body, r, side);
    if (pl_is(c, "body-size"))
        return size_cond(lc, c, &s->size, r, side);
    return 0;
}

static int status_cond(struct load_ctx *lc, xmlNodePtr n, struct sec_rule *r)
{
    char *text = pl_text(n), *save = NULL;
    int rc = pl_ckey_add(&r->keys, &r->nkeys, "status", text);

    for (char *w = strtok_r(text, " \t\r\n,", &save); w && rc == 0;
         w = strtok_r(NULL, " \t\r\n,", &save)) {
        struct status_range sr;
        if (strlen(w) == 3 && w[0] >= '1' && w[0] <= '5' && (w[1] == 'x' || w[1] == 'X') &&
            (w[2] == 'x' || w[2] == 'X'))
            sr = (struct status_range){(w[0] - '0') * 100, (w[0] - '0') * 100 + 99};
        else if (strlen(w) == 3 && strspn(w, "0123456789") == 3 && w[0] >= '1' && w[0] <= '5')
            sr.lo = sr.hi = atoi(w);
        else {
            rc = lc_error(lc, pl_line(n), "'%s' is not an HTTP status (e.g. 404 or 4xx)", w);
            break;
        }
        struct status_range *nv = realloc(r->status, (r->nstatus + 1) * sizeof(*nv));
        if (!nv)
            break;
        r->status = nv;
        r->status[r->nstatus++] = sr;
    }
    free(text);
    return rc;
}

static int filetype_cond(struct load_ctx *lc, xmlNodePtr n, struct sec_rule *r)
{
    char *text = pl_text(n), *save = NULL;
    int rc = pl_ckey_add(&r->keys, &r->nkeys, "file-type", text);

    for (char *w = strtok_r(text, " \t\r\n,", &save); w; w = strtok_r(NULL, " \t\r\n,", &save)) {
        unsigned bit = si_filetype_from_name(w, strlen(w));
        if (!bit) {
            rc = lc_error(lc, pl_line(n), "unknown file type '%s' (known: %s)", w,
                          si_filetype_all_names());
            break;
        }
        r->filetypes |= bit;
    }
    free(text);
    return rc;
}

static int response_conds(struct load_ctx *lc, xmlNodePtr n, struct sec_rule *r)
{
    int rc = 0;

    for (xmlNodePtr c = n->children; c; c = c->next) {
        int k = 0;
        if (pl_is(c, "status"))
            k = status_cond(lc, c, r);
        else if (pl_is(c, "content-type"))
            k = words(lc, c, &r->ctypes, &r->nctypes, false, r, "content-type");
        else if (pl_is(c, "file-type"))
            k = filetype_cond(lc, c, r);
        else
            k = side_common(lc, c, &r->resp, r, "response");
        if (k < 0)
            rc = -1;
    }
    return rc;
}

static const char *mod_name(enum si_mod_type t)
{
    static const char *const names[] = {"add-header", "set-header", "remove-header",
                                        "set-query-param", "replace-body"};
    return (unsigned)t < 5 ? names[t] : "?";
}

static int add_mod(struct load_ctx *lc, xmlNodePtr n, struct sec_rule *r, bool resp_default)
{
    struct si_sec_mod m = {0};
    const char *error = NULL;
    char *on;

    for (size_t i = 0; i < 5; i++)
        if (pl_is(n, mod_name((enum si_mod_type)i)))
            m.type = (enum si_mod_type)i;
    on = pl_attr(n, "on");
    m.on_response = on ? strcmp(on, "response") == 0 : resp_default;
    free(on);
    if (m.type == SI_MOD_REPLACE_BODY) {
        m.on_response = true;
        m.name = pl_attr(n, "find");
        m.value = pl_attr(n, "replace");
    } else {
        m.name = pl_attr(n, "name");
        m.value = m.type == SI_MOD_REMOVE_HEADER ? NULL : pl_attr(n, "value");
    }
    if (m.type == SI_MOD_REPLACE_BODY && (!m.name || !*m.name))
        error = "replace-body: find must not be empty";
    else if (m.type == SI_MOD_SET_QUERY && resp_default)
        error = "set-query-param only applies to requests";
    else if (m.value && (strchr(m.value, '\r') || strchr(m.value, '\n')) &&
             m.type != SI_MOD_REPLACE_BODY)
        error = "header and query values must not contain line breaks";
    struct si_sec_mod *nv = error ? NULL : realloc(r->mods, (r->nmods + 1) * sizeof(*nv));
    if (!nv) {
        free(m.name);
        free(m.value);
        return lc_error(lc, pl_line(n), "%s", error ? error : "out of memory");
    }
    r->mods = nv;
    r->mods[r->nmods++] = m;
    return 0;
}

/* A rule of the response phase runs when the request has already gone to the origin (RESPMOD):
 * a change of the request (header or query) can no longer take effect there, so it is refused. */
static int request_mods_in_respmod(struct load_ctx *lc, const struct sec_rule *r,
                                   bool has_response)
{
    int rc = 0;

    if (r->phase != SI_PHASE_RESPONSE)
        return 0;
    for (size_t i = 0; i < r->nmods; i++) {
        const struct si_sec_mod *m = &r->mods[i];
        if (m->on_response)
            continue;
        rc = lc_error(lc, r->line, "rule '%s' has %s, so it runs at RESPMOD where %s%s cannot "
                      "take effect (the request has already been sent; make two rules)", r->id,
                      has_response ? "a response condition" : "a response-side change",
                      mod_name(m->type), m->type == SI_MOD_SET_QUERY ? "" : " on=\"request\"");
    }
    return rc;
}

static int rule_cond(struct load_ctx *lc, xmlNodePtr c, struct sec_rule *r)
{
    int k = pl_common_cond(lc, c, &r->c, &r->keys, &r->nkeys);

    if (k != 0)
        return k < 0 ? -1 : 0;
    if (pl_is(c, "method"))
        return words(lc, c, &r->methods, &r->nmethods, true, r, "method");
    if (pl_is(c, "host")) {
        r->has_hosts = true;
        return pl_name_cond(lc, c, &r->hosts, &r->keys, &r->nkeys, "host");
    }
    if (pl_is(c, "url")) {
        char *ids = pl_attr(c, "list");
        int rc = 0;
        if (ids) {
            rc = pl_resolve_refs(lc, pl_line(c), ids, OBJ_URLS, &r->url_lists);
            if (rc == 0)
                rc = key1(r, "url", "list", ids);
            free(ids);
            return rc;
        }
        return str_match(lc, c, &r->url_m, true, r, "url");
    }
    if (pl_is(c, "path"))
        return str_match(lc, c, &r->path_m, false, r, "path");
    if (pl_is(c, "query"))
        return str_match(lc, c, &r->query_m, false, r, "query");
    if (pl_is(c, "request")) {
        int rc = 0;
        for (xmlNodePtr s = c->children; s; s = s->next)
            if (side_common(lc, s, &r->req, r, "request") < 0)
                rc = -1;
        return rc;
    }
    if (pl_is(c, "response"))
        return response_conds(lc, c, r);
    return 0;
}

static int compile_sec_rule(struct load_ctx *lc, xmlNodePtr n, struct sec_rule *r)
{
    char *act = pl_attr(n, "action"), *mode = pl_attr(n, "mode");
    bool has_response = false;
    int rc = 0;

    r->line = pl_line(n);
    r->id = pl_attr(n, "id");
    r->location = pl_attr(n, "location");
    r->reason = pl_attr(n, "reason");
    r->action = SI_SEC_ALLOW;
    for (int i = 0; act && i < 4; i++)
        if (strcmp(act, sec_names[i]) == 0)
            r->action = (enum si_sec_action)i;
    r->monitor = mode && strcmp(mode, "monitor") == 0;
    free(act);
    free(mode);
    for (xmlNodePtr c = n->children; c; c = c->next)
        has_response |= pl_is(c, "response");
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (pl_is(c, "add-header") || pl_is(c, "set-header") || pl_is(c, "remove-header") ||
            pl_is(c, "set-query-param") || pl_is(c, "replace-body")) {
            if (add_mod(lc, c, r, has_response) < 0)
                rc = -1;
        } else if (rule_cond(lc, c, r) < 0) {
            rc = -1;
        }
    }
    r->phase = has_response ? SI_PHASE_RESPONSE : SI_PHASE_REQUEST;
    for (size_t i = 0; i < r->nmods; i++)
        if (r->mods[i].on_response)
            r->phase = SI_PHASE_RESPONSE;
    if (request_mods_in_respmod(lc, r, has_response) < 0)
        rc = -1;
    r->needs_body = r->req.body.set || r->req.size.set || r->resp.body.set || r->resp.size.set ||
                    r->filetypes || r->req.malware.set || r->resp.malware.set;
    r->uses_body = r->needs_body;
    for (size_t i = 0; i < r->nmods; i++)
        r->uses_body |= r->mods[i].type == SI_MOD_REPLACE_BODY;
    if (r->action == SI_SEC_REDIRECT && (!r->location || !*r->location))
        rc = lc_error(lc, r->line, "rule '%s': action=\"redirect\" needs location=\"URL\"", r->id);
    if (r->action != SI_SEC_REDIRECT && r->location)
        rc = lc_error(lc, r->line, "rule '%s': location is only for action=\"redirect\"", r->id);
    if (r->action == SI_SEC_MODIFY && r->nmods == 0)
        rc = lc_error(lc, r->line, "rule '%s': action=\"modify\" needs at least one of "
                      "add-header, set-header, remove-header, set-query-param, replace-body", r->id);
    if (r->action != SI_SEC_MODIFY && r->nmods)
        rc = lc_error(lc, r->line, "rule '%s': header/query/body changes need action=\"modify\"",
                      r->id);
    if (r->phase == SI_PHASE_RESPONSE && (r->req.body.set || r->req.malware.set))
        rc = lc_error(lc, r->line, "rule '%s': request body conditions cannot be combined with "
                      "response conditions or response changes (make two rules)", r->id);
    if (r->location && (strchr(r->location, '\r') || strchr(r->location, '\n')))
        rc = lc_error(lc, r->line, "rule '%s': location must not contain line breaks", r->id);
    return rc;
}

#define PREFILTER_MAX_NAMES 4096 /* larger lists keep their own O(1) lookup */

static int union_add(void *ctx, const char *name, bool domain)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "%s%s", domain ? "." : "", name);
    return n > 0 && (size_t)n < sizeof(buf) ? (si_nameset_add(ctx, buf, (size_t)n) < 0) : 1;
}

/* Builds p->host_union from rules whose host lists are all small, the list of the other
 * rules, and the per-phase summaries (policy_internal.h). */
static int build_host_prefilter(struct load_ctx *lc)
{
    struct si_policy *p = lc->p;

    p->host_union = si_nameset_new(256);
    if (!p->host_union)
        return lc_error(lc, 0, "out of memory");
    for (size_t i = 0; i < p->nsec; i++) {
        struct sec_rule *r = &p->sec[i];
        bool small = r->has_hosts;
        for (size_t j = 0; small && j < r->hosts.n; j++)
            small = si_nameset_count(r->hosts.v[j]->names) <= PREFILTER_MAX_NAMES;
        for (size_t j = 0; small && j < r->hosts.n; j++)
            if (si_nameset_foreach(r->hosts.v[j]->names, union_add, p->host_union) != 0)
                return lc_error(lc, r->line, "out of memory");
        r->host_prefiltered = small;
    }
    p->sec_unfiltered = calloc(p->nsec ? p->nsec : 1, sizeof(*p->sec_unfiltered));
    if (!p->sec_unfiltered)
        return lc_error(lc, 0, "out of memory");
    for (size_t i = 0; i < p->nsec; i++) {
        const struct sec_rule *r = &p->sec[i];
        if (!r->host_prefiltered)
            p->sec_unfiltered[p->nsec_unfiltered++] = i;
        p->sec_phase_rules[r->phase] = true;
        p->sec_phase_body[r->phase] = p->sec_phase_body[r->phase] || r->uses_body;
    }
    return 0;
}

int pl_compile_security(struct load_ctx *lc, xmlNodePtr sec)
{
    struct si_policy *p = lc->p;
    char *dflt = pl_attr(sec, "default");
    size_t count = 0;
    int rc = 0;

    p->sec_default = dflt && strcmp(dflt, "block") == 0 ? SI_SEC_BLOCK : SI_SEC_ALLOW;
    free(dflt);
    for (xmlNodePtr n = sec->children; n; n = n->next)
        count += pl_is(n, "rule");
    p->sec = calloc(count ? count : 1, sizeof(*p->sec));
    if (!p->sec)
        return lc_error(lc, pl_line(sec), "out of memory");
    for (xmlNodePtr n = sec->children; n; n = n->next) {
        if (!pl_is(n, "rule"))
            continue;
        struct sec_rule *r = &p->sec[p->nsec++];
        if (compile_sec_rule(lc, n, r) < 0)
            rc = -1;
        for (size_t i = 0; r->id && i + 1 < p->nsec; i++)
            if (p->sec[i].id && strcmp(p->sec[i].id, r->id) == 0)
                rc = lc_error(lc, r->line, "duplicate security-policy rule id '%s' (line %d)",
                              r->id, p->sec[i].line);
    }
    if (rc == 0)
        rc = build_host_prefilter(lc);
    return rc;
}
