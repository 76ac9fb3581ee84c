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
    static const char *const kinds[] = {"network", "domains", "users", "groups", "urls"};
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < r->n && used < size; i++) {
        const struct pobj *o = r->v[i];
        int n = o->id ? snprintf(buf + used, size - used, "%s%s '%s'", i ? " or " : "",
                                 kinds[o->kind], o->id)
                      : snprintf(buf + used, size - used, "%sthe list on line %d", i ? " or " : "",
                                 o->line);
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
        bool ok = pq_names_match(&r->names, f->server_name, NULL);
        snprintf(v, sizeof(v), "server-name %s", f->server_name ? f->server_name : "(unknown)");
        si_log_sanitize(v, sizeof(v), v);
        add(ok ? s->matched_conds : s->unmatched_conds, SI_POLICY_REASON_MAX,
            ok ? "%s in %s" : "%s not in %s", v, labels(&r->names, lab, sizeof(lab)));
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
