/* security.c: first-match evaluation of <security-policy> rules; see security.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filetype.h"
#include "log.h"
#include "policy_internal.h"

enum { NO = 0, YES = 1, NEED = -1, UNKNOWN_RESPONSE = -2 };

struct eval {
    const struct si_policy *p;
    char *fail; /* the verdict's fail field */
    size_t failsize;
    int union_hit; /* -1 unknown, else whether the host matches p->host_union */
    const struct si_sec_facts *f;
    const struct si_sec_body *body;
    char *lower; /* lower-cased copy of the body for keyword search, made on first use */
};

static int headers_match(const struct eval *e, const struct sec_side *s, bool resp, char *reason,
                         size_t rs)
{
    for (size_t i = 0; i < s->nheaders; i++) {
        const struct header_cond *h = &s->headers[i];
        const char *v = e->f->header ? e->f->header(e->f->header_ctx, resp, h->name) : NULL;
        if (!v || (h->m && !si_strmatch_test(h->m, v, strlen(v))))
            return NO;
        pq_reason_add(reason, rs, "%s header %s %s", resp ? "response" : "request", h->name,
                      h->m ? "matches" : "present");
    }
    return YES;
}

static int size_match(const struct eval *e, const struct size_cond *s, long long known,
                      char *reason, size_t rs)
{
    unsigned long long size;

    if (!s->set)
        return YES;
    if (known >= 0)
        size = (unsigned long long)known;
    else if (e->body && e->body->complete)
        size = e->body->len;
    else
        return NEED;
    if (size < s->min || (s->max && size > s->max))
        return NO;
    pq_reason_add(reason, rs, "body size %llu", size);
    return YES;
}

static unsigned count_keywords(struct eval *e, const struct body_cond *b)
{
    const struct si_sec_body *body = e->body;
    unsigned n = 0;

    if (!e->lower) {
        e->lower = malloc(body->len + 1);
        if (!e->lower)
            return 0;
        for (size_t i = 0; i < body->len; i++)
            e->lower[i] = (char)tolower(body->data[i]);
        e->lower[body->len] = '\0';
    }
    for (size_t k = 0; k < b->nkw && n < b->min; k++) {
        size_t klen = strlen(b->keywords[k]);
        const char *p = e->lower, *end = e->lower + body->len;
        while (n < b->min && p < end) {
            const char *hit = memmem(p, (size_t)(end - p), b->keywords[k], klen);
            if (!hit)
                break;
            n++;
            p = hit + klen;
        }
    }
    return n;
}

static int body_match(struct eval *e, const struct body_cond *b, char *reason, size_t rs)
{
    static const char *const kinds[] = {"keyword", "regex", "payment card"};
    unsigned n;

    if (!b->set)
        return YES;
    if (!e->body || !e->body->complete)
        return NEED;
    if (b->kind == BODY_KEYWORD)
        n = count_keywords(e, b);
    else if (b->kind == BODY_REGEX)
        n = si_strmatch_count(b->re, (const char *)e->body->data, e->body->len, b->min);
    else
        n = si_count_payment_cards(e->body->data, e->body->len, b->min);
    if (n < b->min)
        return NO;
    pq_reason_add(reason, rs, "body: %u %s match%s (min %u)", n, kinds[b->kind],
                  n == 1 ? "" : "es", b->min);
    return YES;
}

static int malware_match(struct eval *e, const struct malware_cond *m, char *reason, size_t rs)
{
    const struct si_clamd_result *r = e->f->scan;

    if (!m->set)
        return YES;
    if (!r)
        return NEED;
    if (r->verdict == SI_CLAMD_CLEAN)
        return NO;
    if (r->verdict == SI_CLAMD_INFECTED) {
        pq_reason_add(reason, rs, "malware: %s (clamd)", r->signature);
        return YES;
    }
    const char *word = si_clamd_error_word(r->error);
    if (e->fail && !e->fail[0])
        snprintf(e->fail, e->failsize, "%s:%s", m->fail_open ? "failed-open" : "failed-closed",
                 word);
    if (m->fail_open)
        return NO;
    pq_reason_add(reason, rs, "malware: not scanned (%s), on-error fail-closed", word);
    return YES;
}

static bool ctype_match(const struct sec_rule *r, const char *ct, char *reason, size_t rs)
{
    char t[128];
    size_t n = 0;

    if (!ct)
        return false;
    while (isspace((unsigned char)*ct))
        ct++;
    while (ct[n] && ct[n] != ';' && !isspace((unsigned char)ct[n]) && n + 1 < sizeof(t)) {
        t[n] = (char)tolower((unsigned char)ct[n]);
        n++;
    }
    t[n] = '\0';
    for (size_t i = 0; i < r->nctypes; i++) {
        const char *pat = r->ctypes[i];
        size_t pl = strlen(pat);
        bool ok = strcmp(pat, t) == 0 ||
                  (pl >= 2 && strcmp(pat + pl - 2, "/*") == 0 && strncmp(pat, t, pl - 1) == 0) ||
                  strcmp(pat, "*/*") == 0;
        if (ok) {
            pq_reason_add(reason, rs, "content-type %s", t);
            return true;
        }
    }
    return false;
}

static int response_match(struct eval *e, const struct sec_rule *r, char *reason, size_t rs)
{
    const struct si_sec_facts *f = e->f;

    if (r->nstatus) {
        size_t i;
        for (i = 0; i < r->nstatus; i++)
            if (f->status >= r->status[i].lo && f->status <= r->status[i].hi)
                break;
        if (i == r->nstatus)
            return NO;
        pq_reason_add(reason, rs, "status %d", f->status);
    }
    if (r->nctypes && !ctype_match(r, f->content_type, reason, rs))
        return NO;
    return headers_match(e, &r->resp, true, reason, rs);
}

static int filetype_match(const struct eval *e, const struct sec_rule *r, char *reason, size_t rs)
{
    if (!r->filetypes)
        return YES;
    if (!e->body || (!e->body->complete && e->body->len < 16))
        return NEED;
    unsigned t = si_filetype_detect(e->body->data, e->body->len);
    if (!(t & r->filetypes))
        return NO;
    pq_reason_add(reason, rs, "file type %s (magic bytes)", si_filetype_name(t));
    return YES;
}

static bool url_match(const struct eval *e, const struct sec_rule *r, char *reason, size_t rs)
{
    const struct si_sec_facts *f = e->f;
    size_t n = strlen(f->host ? f->host : "") + strlen(f->path ? f->path : "") +
               (f->query ? strlen(f->query) + 1 : 0) + 1;
    char *url = malloc(n);
    bool ok = false;

    if (!url)
        return false;
    snprintf(url, n, "%s%s%s%s", f->host ? f->host : "", f->path ? f->path : "",
             f->query ? "?" : "", f->query ? f->query : "");
    if (r->url_m)
        ok = si_strmatch_test(r->url_m, url, n - 1);
    for (size_t i = 0; !ok && i < r->url_lists.n; i++)
        for (size_t j = 0; !ok && j < r->url_lists.v[i]->npats; j++)
            ok = si_strmatch_test(r->url_lists.v[i]->pats[j], url, n - 1);
    free(url);
    if (ok)
        pq_reason_add(reason, rs, "url matches");
    return ok;
}

/* Index of method in the rule's methods, r->nmethods when it is not there (or NULL). */
static size_t method_index(const struct sec_rule *r, const char *method)
{
    size_t i;

    for (i = 0; method && i < r->nmethods; i++)
        if (strcasecmp(method, r->methods[i]) == 0)
            break;
    return method ? i : r->nmethods;
}

/* Conditions known from the request line and headers. */
static int request_match(struct eval *e, const struct sec_rule *r, char *reason, size_t rs)
{
    const struct si_sec_facts *f = e->f;
    char buf[128];

    /* the method first: it is cheaper than the source/user/group conditions (parsing the
     * client address); the reasons keep their order (source, user, group, then method) */
    size_t mi = method_index(r, f->method);
    if (mi == r->nmethods && r->nmethods)
        return NO;
    if (!pq_cond_common(&r->c, f->client_ip, f->user, f->groups, reason, rs))
        return NO;
    if (r->nmethods)
        pq_reason_add(reason, rs, "method %s", r->methods[mi]);
    if (r->has_hosts) {
        if (r->host_prefiltered) {
            if (e->union_hit < 0)
                e->union_hit = si_nameset_match(e->p->host_union, f->host);
            if (!e->union_hit)
                return NO;
        }
        const char *which = NULL;
        char label[128];
        if (!pq_names_match(&r->hosts, f->host, &which))
            return NO;
        /* a named list or a category is named; an inline list is the rule's own */
        const struct pobj *o = (const struct pobj *)which;
        pq_reason_add(reason, rs, "host %s%s%s", si_log_sanitize(buf, sizeof(buf), f->host),
                      o->id ? " in " : "", o->id ? pq_obj_label(o, label, sizeof(label)) : "");
    }
    if ((r->url_m || r->url_lists.n) && !url_match(e, r, reason, rs))
        return NO;
    if (r->path_m) {
        if (!f->path || !si_strmatch_test(r->path_m, f->path, strlen(f->path)))
            return NO;
        pq_reason_add(reason, rs, "path matches %s", si_strmatch_pattern(r->path_m));
    }
    if (r->query_m) {
        const char *q = f->query ? f->query : "";
        if (!si_strmatch_test(r->query_m, q, strlen(q)))
            return NO;
        pq_reason_add(reason, rs, "query matches %s", si_strmatch_pattern(r->query_m));
    }
    return headers_match(e, &r->req, false, reason, rs);
}

/* Whether a response rule tests the response itself (status, type, headers, size, body). */
static bool has_response_conds(const struct sec_rule *r)
{
    return r->nstatus || r->nctypes || r->resp.nheaders || r->filetypes || r->resp.body.set ||
           r->resp.size.set || r->resp.malware.set;
}

/* YES, NO, NEED (body bytes needed to decide), or UNKNOWN_RESPONSE (facts->response_unknown
 * and the rule tests the response). Header conditions are checked first. */
static int rule_match(struct eval *e, const struct sec_rule *r, enum si_sec_phase phase,
                      char *reason, size_t rs)
{
    int m;

    reason[0] = '\0';
    if (request_match(e, r, reason, rs) == NO)
        return NO;
    if (phase == SI_PHASE_RESPONSE && e->f->response_unknown && has_response_conds(r))
        return UNKNOWN_RESPONSE;
    if (phase == SI_PHASE_RESPONSE && response_match(e, r, reason, rs) == NO)
        return NO;
    if (phase == SI_PHASE_REQUEST) {
        if ((m = size_match(e, &r->req.size, e->f->req_body_size, reason, rs)) != YES ||
            (m = body_match(e, &r->req.body, reason, rs)) != YES ||
            (m = malware_match(e, &r->req.malware, reason, rs)) != YES)
            return m;
    } else {
        if ((m = size_match(e, &r->resp.size, e->f->resp_body_size, reason, rs)) != YES ||
            (m = filetype_match(e, r, reason, rs)) != YES ||
            (m = body_match(e, &r->resp.body, reason, rs)) != YES ||
            (m = malware_match(e, &r->resp.malware, reason, rs)) != YES)
            return m;
    }
    if (r->nkeys == 0)
        pq_reason_add(reason, rs, "rule has no conditions (matches everything)");
    return YES;
}

static void set_verdict(struct si_sec_verdict *out, const struct sec_rule *r)
{
    out->action = r->action;
    out->rule_id = r->id;
    out->rule_line = r->line;
    out->location = r->location;
    out->message = r->reason;
    out->mods = r->mods;
    out->nmods = r->nmods;
}

enum si_sec_eval si_security_evaluate(const struct si_policy *p, enum si_sec_phase phase,
                                      const struct si_sec_facts *facts,
                                      const struct si_sec_body *body, struct si_sec_verdict *out)
{
    static const struct si_sec_facts none = {.req_body_size = -1, .resp_body_size = -1};
    struct eval e = {.p = p, .union_hit = -1, .f = facts ? facts : &none, .body = body,
                     .fail = out->fail, .failsize = sizeof(out->fail)};
    char reason[SI_POLICY_REASON_MAX];

    /* not a memset of the whole verdict: the reason buffers are large and written on demand */
    out->action = SI_SEC_ALLOW;
    out->rule_id = NULL;
    out->rule_line = 0;
    out->is_default = false;
    out->location = out->message = NULL;
    out->mods = NULL;
    out->nmods = 0;
    out->reason[0] = '\0';
    out->fail[0] = '\0';
    out->nmonitor = 0;
    /* A host outside the union of the prefiltered rules' names can match none of them: walk
     * only the others (same order, so first match is unchanged). */
    bool skip_prefiltered = p->nsec_unfiltered < p->nsec &&
                            !(e.union_hit = si_nameset_match(p->host_union, e.f->host));
    size_t n = skip_prefiltered ? p->nsec_unfiltered : p->nsec;
    for (size_t k = 0; k < n; k++) {
        const struct sec_rule *r = &p->sec[skip_prefiltered ? p->sec_unfiltered[k] : k];
        if (r->phase != phase)
            continue;
        int m = rule_match(&e, r, phase, reason, sizeof(reason));
        if (m == UNKNOWN_RESPONSE)
            out->rule_id = r->id;
        if (m == NEED || m == UNKNOWN_RESPONSE) {
            free(e.lower);
            return SI_SEC_NEED_BODY;
        }
        if (m == NO)
            continue;
        if (r->monitor) {
            if (out->nmonitor < SI_SEC_MAX_MONITOR) {
                struct si_sec_monitor_hit *h = &out->monitor[out->nmonitor++];
                h->rule_id = r->id;
                h->action = r->action;
                memcpy(h->reason, reason, sizeof(h->reason));
            }
            continue;
        }
        set_verdict(out, r);
        memcpy(out->reason, reason, sizeof(out->reason));
        free(e.lower);
        return SI_SEC_DECIDED;
    }
    free(e.lower);
    out->action = phase == SI_PHASE_REQUEST ? p->sec_default : SI_SEC_ALLOW;
    out->rule_id = "default";
    out->is_default = true;
    /* every request that matches nothing passes here: no formatting for the usual two */
    if (out->action == SI_SEC_ALLOW || out->action == SI_SEC_BLOCK)
        strcpy(out->reason, out->action == SI_SEC_ALLOW
                                ? "no security-policy rule matched; default allow"
                                : "no security-policy rule matched; default block");
    else
        snprintf(out->reason, sizeof(out->reason), "no security-policy rule matched; default %s",
                 si_sec_action_name(out->action));
    return SI_SEC_DECIDED;
}

bool si_security_phase_uses_body(const struct si_policy *p, enum si_sec_phase phase)
{
    return p->sec_phase_body[phase];
}

bool si_security_phase_has_rules(const struct si_policy *p, enum si_sec_phase phase)
{
    return p->sec_phase_rules[phase] || (phase == SI_PHASE_REQUEST && p->sec_default != SI_SEC_ALLOW);
}
