/* policy_trace.c: per-rule trace of the https-inspection rules (see policy_trace.h). */
#include "policy_trace.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "policy_internal.h"

static void add(char *buf, size_t size, const char *fmt, const char *a, const char *b)
{
    size_t used = strlen(buf);

    if (used >= size - 1)
        return;
    snprintf(buf + used, size - used, "%s", used ? "; " : "");
    used = strlen(buf);
    snprintf(buf + used, size - used, fmt, a, b);
}

static const char *labels(const struct refs *r, char *buf, size_t size)
{
    char one[160];
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < r->n && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? " or " : "",
                         pq_obj_label(r->v[i], one, sizeof(one)));
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}

/* One condition kind of cond_common, evaluated alone through the engine's own matcher. */
static bool common_one(const struct cond_common *c, int which, const struct si_inspect_facts *f)
{
    struct cond_common one = {0};

    if (which == 0) {
        one.nets = c->nets;
        one.has_nets = true;
    } else if (which == 1) {
        one.users = c->users;
        one.has_users = true;
    } else {
        one.groups = c->groups;
        one.has_groups = true;
    }
    return pq_cond_common(&one, f->client_ip, f->user, f->groups, NULL, 0);
}

static void trace_common(const struct insp_rule *r, const struct si_inspect_facts *f,
                         struct si_inspect_trace_step *s)
{
    static const char *const what[] = {"source", "user", "groups"};
    const bool has[] = {r->c.has_nets, r->c.has_users, r->c.has_groups};
    const struct refs *refs[] = {&r->c.nets, &r->c.users, &r->c.groups};
    const char *val[] = {f->client_ip, f->user, f->groups};
    char lab[200], v[128], fmt[64];

    for (int k = 0; k < 3; k++) {
        if (!has[k])
            continue;
        bool ok = common_one(&r->c, k, f);
        snprintf(v, sizeof(v), "%s %s", what[k], val[k] ? val[k] : "(unknown)");
        si_log_sanitize(v, sizeof(v), v);
        snprintf(fmt, sizeof(fmt), "%%s %s %%s", ok ? "in" : "not in");
        add(ok ? s->matched_conds : s->unmatched_conds, SI_POLICY_REASON_MAX, fmt, v,
            labels(refs[k], lab, sizeof(lab)));
        s->matched = s->matched && ok;
    }
}

static void trace_rule(const struct insp_rule *r, const struct si_inspect_facts *f,
                       struct si_inspect_trace_step *s)
{
    char lab[200], v[160], ports[96];

    memset(s, 0, sizeof(*s));
    s->rule_id = r->id;
    s->rule_line = r->line;
    s->action = r->action;
    s->verify_name = r->verify_name;
    s->matched = true;
    trace_common(r, f, s);
    if (r->has_names) {
        const char *which = NULL;
        bool ok = pq_names_match(&r->names, f->server_name, &which);
        snprintf(v, sizeof(v), "server-name %s", f->server_name ? f->server_name : "(unknown)");
        si_log_sanitize(v, sizeof(v), v);
        /* matched: the list or category that did; not matched: every one that was tried */
        add(ok ? s->matched_conds : s->unmatched_conds, SI_POLICY_REASON_MAX,
            ok ? "%s in %s" : "%s not in %s", v,
            ok ? pq_obj_label((const struct pobj *)which, lab, sizeof(lab))
               : labels(&r->names, lab, sizeof(lab)));
        s->matched = s->matched && ok;
    }
    if (r->has_ports) {
        bool ok = false;
        size_t used = 0;
        ports[0] = '\0';
        for (size_t i = 0; i < r->nports; i++) {
            if (f->port > 0 && (unsigned)f->port >= r->ports[i].lo && (unsigned)f->port <= r->ports[i].hi)
                ok = true;
            if (used < sizeof(ports))
                used += (size_t)snprintf(ports + used, sizeof(ports) - used, "%s%u-%u",
                                         i ? " " : "", r->ports[i].lo, r->ports[i].hi);
        }
        snprintf(v, sizeof(v), "port %d", f->port);
        add(ok ? s->matched_conds : s->unmatched_conds, SI_POLICY_REASON_MAX,
            ok ? "%s in %s" : "%s not in %s", v, ports);
        s->matched = s->matched && ok;
    }
    if (r->nkeys == 0 && !r->has_names && !r->has_ports)
        add(s->matched_conds, SI_POLICY_REASON_MAX, "%s%s", "no conditions (matches everything)", "");
}

unsigned si_policy_inspection_trace(const struct si_policy *p, const struct si_inspect_facts *f,
                                    si_inspect_trace_fn fn, void *ctx)
{
    static const struct si_inspect_facts none;
    struct si_inspect_trace_step s;
    unsigned n = 0;

    if (!f)
        f = &none;
    for (size_t i = 0; i < p->ninsp; i++) {
        trace_rule(&p->insp[i], f, &s);
        fn(ctx, &s);
        n++;
        if (s.matched)
            break;
    }
    return n;
}

/* ---------------- security-policy ---------------- */

enum fam { F_SOURCE, F_USER, F_GROUPS, F_METHOD, F_HOST, F_URL, F_PATH, F_QUERY, F_REQ_HEADERS,
           F_REQ_SIZE, F_REQ_BODY, F_STATUS, F_CTYPE, F_RESP_HEADERS, F_RESP_SIZE, F_FILETYPE,
           F_RESP_BODY, F_REQ_MALWARE, F_RESP_MALWARE, F_COUNT };
static const char *const fam_names[F_COUNT] = {
    "source", "user", "groups", "method", "host", "url", "path", "query", "request headers",
    "request body size", "request body", "status", "content-type", "response headers",
    "response body size", "file-type", "response body", "request malware", "response malware",
};

/* The rule reduced to one condition family; false when the rule has none of that family. */
static bool only_family(const struct sec_rule *r, enum fam f, struct sec_rule *out)
{
    memset(out, 0, sizeof(*out));
    out->id = r->id;
    out->line = r->line;
    out->action = r->action;
    out->phase = r->phase;
    out->nkeys = 1; /* no "matches everything" note */
    switch (f) {
    case F_SOURCE: out->c.nets = r->c.nets; return (out->c.has_nets = r->c.has_nets);
    case F_USER: out->c.users = r->c.users; return (out->c.has_users = r->c.has_users);
    case F_GROUPS: out->c.groups = r->c.groups; return (out->c.has_groups = r->c.has_groups);
    case F_METHOD: out->methods = r->methods; return (out->nmethods = r->nmethods) != 0;
    case F_HOST: out->hosts = r->hosts; return (out->has_hosts = r->has_hosts);
    case F_URL: out->url_m = r->url_m; out->url_lists = r->url_lists;
        return r->url_m || r->url_lists.n;
    case F_PATH: return (out->path_m = r->path_m) != NULL;
    case F_QUERY: return (out->query_m = r->query_m) != NULL;
    case F_REQ_HEADERS: out->req.headers = r->req.headers;
        return (out->req.nheaders = r->req.nheaders) != 0;
    case F_REQ_SIZE: out->req.size = r->req.size; return r->req.size.set;
    case F_REQ_BODY: out->req.body = r->req.body; return r->req.body.set;
    case F_STATUS: out->status = r->status; return (out->nstatus = r->nstatus) != 0;
    case F_CTYPE: out->ctypes = r->ctypes; return (out->nctypes = r->nctypes) != 0;
    case F_RESP_HEADERS: out->resp.headers = r->resp.headers;
        return (out->resp.nheaders = r->resp.nheaders) != 0;
    case F_RESP_SIZE: out->resp.size = r->resp.size; return r->resp.size.set;
    case F_FILETYPE: return (out->filetypes = r->filetypes) != 0;
    case F_RESP_BODY: out->resp.body = r->resp.body; return r->resp.body.set;
    case F_REQ_MALWARE: out->req.malware = r->req.malware; return r->req.malware.set;
    case F_RESP_MALWARE: out->resp.malware = r->resp.malware; return r->resp.malware.set;
    case F_COUNT: break;
    }
    return false;
}

/* The fact a family looks at, for "not matched: host x.test". */
static const char *fam_fact(const struct si_sec_facts *f, enum fam k, char *buf, size_t size)
{
    switch (k) {
    case F_SOURCE: return f->client_ip;
    case F_USER: return f->user;
    case F_GROUPS: return f->groups;
    case F_METHOD: return f->method;
    case F_HOST: return f->host;
    case F_PATH: return f->path;
    case F_QUERY: return f->query;
    case F_URL:
        snprintf(buf, size, "%s%s%s%s", f->host ? f->host : "", f->path ? f->path : "",
                 f->query ? "?" : "", f->query ? f->query : "");
        return buf;
    case F_STATUS:
        if (!f->status)
            return NULL;
        snprintf(buf, size, "%d", f->status);
        return buf;
    case F_CTYPE: return f->content_type;
    default: return NULL;
    }
}

/* Evaluates one rule alone through si_security_evaluate(): 1, 0 or -1 (needs the body). */
static int eval_alone(const struct si_policy *p, const struct sec_rule *r, enum si_sec_phase ph,
                      const struct si_sec_facts *f, const struct si_sec_body *body, char *why,
                      size_t whysize)
{
    struct si_policy view;
    struct sec_rule one = *r;
    struct si_sec_verdict v;

    memcpy(&view, p, sizeof(view)); /* read-only view; refs are never touched */
    one.monitor = false;
    view.sec = &one;
    view.nsec = 1;
    view.nsec_unfiltered = 1; /* evaluate this rule itself: no prefilter shortcut in a view */
    if (si_security_evaluate(&view, ph, f, body, &v) == SI_SEC_NEED_BODY)
        return -1;
    if (v.is_default)
        return 0;
    snprintf(why, whysize, "%s", v.reason);
    return 1;
}

static void trace_sec_rule(const struct si_policy *p, const struct sec_rule *r,
                           enum si_sec_phase ph, const struct si_sec_facts *f,
                           const struct si_sec_body *body, struct si_sec_trace_step *s)
{
    struct sec_rule part;
    char why[SI_POLICY_REASON_MAX];

    memset(s, 0, sizeof(*s));
    s->rule_id = r->id;
    s->rule_line = r->line;
    s->action = r->action;
    s->monitor = r->monitor;
    s->result = eval_alone(p, r, ph, f, body, why, sizeof(why));
    for (int k = 0; k < F_COUNT; k++) {
        if (!only_family(r, (enum fam)k, &part))
            continue;
        switch (eval_alone(p, &part, ph, f, body, why, sizeof(why))) {
        case 1: add(s->matched_conds, SI_POLICY_REASON_MAX, "%s%s", why, ""); break;
        case 0: {
            char fb[256], v[300];
            const char *fact = fam_fact(f, (enum fam)k, fb, sizeof(fb));
            snprintf(v, sizeof(v), " %s", fact ? fact : "(unknown)");
            si_log_sanitize(v, sizeof(v), v);
            add(s->unmatched_conds, SI_POLICY_REASON_MAX, "%s%s", fam_names[k],
                (k <= F_QUERY || k == F_STATUS || k == F_CTYPE) ? v : "");
            break;
        }
        default: add(s->undecided_conds, SI_POLICY_REASON_MAX, "%s%s", fam_names[k], ""); break;
        }
    }
    if (r->nkeys == 0)
        add(s->matched_conds, SI_POLICY_REASON_MAX, "%s%s", "no conditions (matches everything)", "");
}

unsigned si_security_trace(const struct si_policy *p, enum si_sec_phase phase,
                           const struct si_sec_facts *facts, const struct si_sec_body *body,
                           si_sec_trace_fn fn, void *ctx)
{
    static const struct si_sec_facts none = {.req_body_size = -1, .resp_body_size = -1};
    struct si_sec_trace_step s;
    unsigned n = 0;

    if (!facts)
        facts = &none;
    for (size_t i = 0; i < p->nsec; i++) {
        if (p->sec[i].phase != phase)
            continue;
        trace_sec_rule(p, &p->sec[i], phase, facts, body, &s);
        fn(ctx, &s);
        n++;
        if (s.result < 0 || (s.result > 0 && !s.monitor))
            break; /* decided here, or the engine stops here for the body */
    }
    return n;
}
