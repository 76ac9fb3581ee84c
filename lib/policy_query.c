/*
 * policy_query.c: https-inspection decisions, certificate-validation lookups, and the condition
 * helpers security.c shares. Read-only on the policy: safe from any number of threads.
 */
#include "policy_internal.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pq_reason_add(char *reason, size_t rsize, const char *fmt, ...)
{
    size_t used;
    va_list ap;

    if (!reason || rsize == 0)
        return;
    used = strlen(reason);
    if (used && used + 2 < rsize) {
        memcpy(reason + used, "; ", 3);
        used += 2;
    }
    if (used + 1 >= rsize)
        return;
    va_start(ap, fmt);
    vsnprintf(reason + used, rsize - used, fmt, ap);
    va_end(ap);
}

const char *pq_obj_label(const struct pobj *o, char *buf, size_t size)
{
    if (o->kind == OBJ_CATEGORY)
        snprintf(buf, size, "category %s (%s)", o->id, o->src->id);
    else if (o->id)
        snprintf(buf, size, "%s '%s'", pl_kind_name(o->kind), o->id);
    else
        snprintf(buf, size, "the list on line %d", o->line);
    return buf;
}

bool pq_names_match(const struct refs *r, const char *host, const char **which)
{
    for (size_t i = 0; host && *host && i < r->n; i++)
        if (si_nameset_match(r->v[i]->names, host)) {
            if (which)
                *which = (const char *)r->v[i];
            return true;
        }
    return false;
}

/* Index of the object in r containing name exactly, or -1. */
static long refs_contains(const struct refs *r, const char *name)
{
    for (size_t i = 0; name && *name && i < r->n; i++)
        if (si_nameset_contains(r->v[i]->names, name))
            return (long)i;
    return -1;
}

static bool groups_match(const struct refs *r, const char *groups, char *hit, size_t hsize,
                         long *idx)
{
    char *copy = strdup(groups ? groups : ""), *save = NULL;
    bool found = false;

    for (char *g = copy ? strtok_r(copy, " ,\t", &save) : NULL; g && !found;
         g = strtok_r(NULL, " ,\t", &save))
        if ((*idx = refs_contains(r, g)) >= 0) {
            snprintf(hit, hsize, "%s", g);
            found = true;
        }
    free(copy);
    return found;
}

bool pq_cond_common(const struct cond_common *c, const char *client_ip, const char *user,
                    const char *groups, char *reason, size_t rsize)
{
    char label[128], ip[64], hit[96];
    long idx;

    if (c->has_nets) {
        struct si_addr a;
        size_t i;
        if (!client_ip || si_addr_parse(client_ip, &a) < 0)
            return false;
        for (i = 0; i < c->nets.n; i++)
            if (si_cidr_list_match(c->nets.v[i]->cidrs, &a))
                break;
        if (i == c->nets.n)
            return false;
        pq_reason_add(reason, rsize, "source %s in %s", si_log_sanitize(ip, sizeof(ip), client_ip),
                      pq_obj_label(c->nets.v[i], label, sizeof(label)));
    }
    if (c->has_users) {
        if ((idx = refs_contains(&c->users, user)) < 0)
            return false;
        pq_reason_add(reason, rsize, "user %s in %s", si_log_sanitize(hit, sizeof(hit), user),
                      pq_obj_label(c->users.v[idx], label, sizeof(label)));
    }
    if (c->has_groups) {
        char g[96];
        if (!groups_match(&c->groups, groups, g, sizeof(g), &idx))
            return false;
        pq_reason_add(reason, rsize, "group %s in %s", si_log_sanitize(hit, sizeof(hit), g),
                      pq_obj_label(c->groups.v[idx], label, sizeof(label)));
    }
    return true;
}

static bool rule_matches(const struct insp_rule *r, const struct si_inspect_facts *f,
                         char *reason, size_t rsize)
{
    char label[128], host[128];
    const char *which = NULL;

    if (!pq_cond_common(&r->c, f->client_ip, f->user, f->groups, reason, rsize))
        return false;
    if (r->has_names) {
        if (!pq_names_match(&r->names, f->server_name, &which))
            return false;
        pq_reason_add(reason, rsize, "server-name %s in %s",
                      si_log_sanitize(host, sizeof(host), f->server_name),
                      pq_obj_label((const struct pobj *)which, label, sizeof(label)));
    }
    if (r->has_ports) {
        size_t i;
        for (i = 0; i < r->nports; i++)
            if (f->port > 0 && (unsigned)f->port >= r->ports[i].lo &&
                (unsigned)f->port <= r->ports[i].hi)
                break;
        if (i == r->nports)
            return false;
        pq_reason_add(reason, rsize, "port %d in %u-%u", f->port, r->ports[i].lo, r->ports[i].hi);
    }
    if (r->nkeys == 0)
        pq_reason_add(reason, rsize, "rule has no conditions (matches everything)");
    return true;
}

enum si_inspect_action si_policy_inspection_decide(const struct si_policy *p,
                                                   const struct si_inspect_facts *facts,
                                                   struct si_inspect_result *out)
{
    static const struct si_inspect_facts none;

    memset(out, 0, sizeof(*out));
    if (!facts)
        facts = &none;
    for (size_t i = 0; i < p->ninsp; i++) {
        const struct insp_rule *r = &p->insp[i];
        out->reason[0] = '\0';
        if (!rule_matches(r, facts, out->reason, sizeof(out->reason)))
            continue;
        out->action = r->action;
        out->rule_id = r->id;
        out->rule_line = r->line;
        out->verify_name = r->verify_name;
        return out->action;
    }
    out->action = p->insp_default;
    out->rule_id = "default";
    out->is_default = true;
    snprintf(out->reason, sizeof(out->reason), "no https-inspection rule matched; default %s",
             si_inspect_action_name(p->insp_default));
    return out->action;
}

void si_policy_validation_for(const struct si_policy *p, const char *server_name,
                              struct si_validation_settings *out)
{
    *out = p->val_default;
    for (size_t i = 0; server_name && i < p->novr; i++) {
        const struct override *o = &p->ovr[i];
        if (!pq_names_match(&o->names, server_name, NULL))
            continue;
        if (o->revocation >= 0)
            out->revocation = (enum si_revocation)o->revocation;
        if (o->crl >= 0)
            out->crl = (enum si_crl_mode)o->crl;
        if (o->timeout_ms >= 0)
            out->ocsp_timeout_ms = (unsigned)o->timeout_ms;
        out->override_line = o->line;
        snprintf(out->source, sizeof(out->source), "override line %d (%.90s)", o->line, o->label);
        return;
    }
}
