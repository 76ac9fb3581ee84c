/*
 * ctl_policy.c: `inspect-ctl validate`, `explain` (see ctl_policy.h); `replay` lives in
 * ctl_replay.c. All policy knowledge comes from lib/ (policy.h, security.h).
 */
#include "ctl_policy.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_target.h"
#include "policy.h"
#include "policy_trace.h"
#include "security.h"

int ctl_validate_main(int argc, char **argv)
{
    int rc = 0;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs("usage: inspect-ctl validate POLICY...\n"
              "  Schema and semantic checks; errors as file:line, exit status 1 if any.\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 1; i < argc; i++) {
        char err[4096];
        struct si_policy_stats st;
        struct si_policy *p = si_policy_load(argv[i], err, sizeof(err));
        if (!p) {
            fprintf(stderr, "%s\n", err);
            rc = 1;
            continue;
        }
        si_policy_get_stats(p, &st);
        printf("%s: valid (digest %s): %zu objects, %zu domain names, %zu inspection rules, "
               "%zu validation overrides, %zu security rules\n", argv[i], si_policy_digest(p),
               st.objects, st.domain_names, st.inspection_rules, st.validation_overrides,
               st.security_rules);
        si_policy_unref(p);
    }
    return rc;
}

static void print_step(void *ctx, const struct si_inspect_trace_step *s)
{
    (void)ctx;
    printf("  rule %s (line %d, %s%s): %s\n", s->rule_id, s->rule_line,
           si_inspect_action_name(s->action), s->verify_name ? ", verify-name" : "",
           s->matched ? "MATCHES" : "no match");
    if (s->matched_conds[0])
        printf("      matched:     %s\n", s->matched_conds);
    if (s->unmatched_conds[0])
        printf("      not matched: %s\n", s->unmatched_conds);
}

static enum si_inspect_action print_inspection(const struct si_policy *p, const struct ctl_target *t)
{
    struct si_inspect_facts f = {.client_ip = t->client, .user = t->user, .groups = t->groups,
                                 .server_name = t->host, .port = t->port};
    struct si_inspect_result r;
    struct si_validation_settings v;

    si_policy_inspection_decide(p, &f, &r);
    printf("https-inspection: %s", si_inspect_action_name(r.action));
    if (r.is_default)
        printf(" (default: no rule matched)\n");
    else
        printf(" by rule %s (line %d)\n", r.rule_id, r.rule_line);
    printf("  matched: %s\n", r.reason);
    printf("  rules evaluated in order (first match wins):\n");
    if (si_policy_inspection_trace(p, &f, print_step, NULL) == 0)
        printf("  (the section has no rules)\n");
    if (r.action == SI_INSPECT_BYPASS && r.verify_name)
        printf("  verify-name: spliced only if %s:%d presents a trusted certificate for %s;\n"
               "  otherwise inspect-bump inspects (or terminates) and logs name-mismatch\n",
               t->host, t->port, t->host);
    printf("  squid: ssl_bump %s; access log tls=%s:%s:%s\n",
           r.action == SI_INSPECT_BYPASS ? "splice" : r.action == SI_INSPECT_INSPECT ? "bump"
                                                                                    : "terminate",
           si_inspect_action_name(r.action), r.rule_id,
           r.is_default ? "default" : r.verify_name ? "name-verified" : "matched");
    if (r.action != SI_INSPECT_INSPECT)
        return r.action;
    si_policy_validation_for(p, t->host, &v);
    printf("certificate-validation: revocation %s, ocsp-timeout %ums, crl %s (%s)\n",
           si_revocation_name(v.revocation), v.ocsp_timeout_ms, si_crl_mode_name(v.crl),
           v.source);
    return r.action;
}

static void print_verdict(const char *phase, const struct si_sec_verdict *v, enum si_sec_eval ev)
{
    if (ev == SI_SEC_NEED_BODY) {
        printf("security-policy %s: undecided without the body (a rule that may still match "
               "looks at the body)\n", phase);
        return;
    }
    printf("security-policy %s: %s", phase, si_sec_action_name(v->action));
    if (v->is_default)
        printf(" (default: no rule matched)\n");
    else
        printf(" by rule %s (line %d)\n", v->rule_id, v->rule_line);
    if (v->reason[0])
        printf("  matched: %s\n", v->reason);
    if (v->fail[0])
        printf("  malware scanner: %s\n", v->fail);
    if (v->message)
        printf("  message: %s\n", v->message);
    if (v->location)
        printf("  location: %s\n", v->location);
    for (size_t i = 0; i < v->nmods; i++)
        printf("  modify: %s%s %s%s%s\n",
               v->mods[i].type == SI_MOD_ADD_HEADER ? "add-header" :
               v->mods[i].type == SI_MOD_SET_HEADER ? "set-header" :
               v->mods[i].type == SI_MOD_REMOVE_HEADER ? "remove-header" :
               v->mods[i].type == SI_MOD_SET_QUERY ? "set-query-param" : "replace-body",
               v->mods[i].on_response ? " (response)" : "", v->mods[i].name ? v->mods[i].name : "",
               v->mods[i].value ? "=" : "", v->mods[i].value ? v->mods[i].value : "");
    for (size_t i = 0; i < v->nmonitor; i++)
        printf("  monitor: rule %s would have %s (%s)\n", v->monitor[i].rule_id,
               si_sec_action_past(v->monitor[i].action), v->monitor[i].reason);
}

static void print_sec_step(void *ctx, const struct si_sec_trace_step *s)
{
    (void)ctx;
    printf("  rule %s (line %d, %s%s): %s\n", s->rule_id, s->rule_line, si_sec_action_name(s->action),
           s->monitor ? ", monitor" : "",
           s->result > 0 ? (s->monitor ? "matches (monitor: logged, evaluation goes on)" : "MATCHES")
           : s->result < 0 ? "undecided without the body" : "no match");
    if (s->matched_conds[0])
        printf("      matched:     %s\n", s->matched_conds);
    if (s->unmatched_conds[0])
        printf("      not matched: %s\n", s->unmatched_conds);
    if (s->undecided_conds[0])
        printf("      needs body:  %s\n", s->undecided_conds);
}

static void print_security(const struct si_policy *p, const struct ctl_target *t)
{
    struct si_sec_facts f = {.client_ip = t->client, .user = t->user, .groups = t->groups,
                             .method = t->method, .host = t->host, .path = t->path,
                             .query = t->query, .req_body_size = -1, .resp_body_size = -1};
    struct si_sec_verdict v;
    enum si_sec_eval ev;

    /* Requests of these methods carry no body: evaluate them as complete and empty (and an
     * empty body is clean for <malware/>: there is nothing to scan). */
    static const struct si_sec_body empty = {.data = (const unsigned char *)"", .complete = true};
    static const struct si_clamd_result empty_scan = {.verdict = SI_CLAMD_CLEAN};
    bool bodyless = !strcmp(t->method, "GET") || !strcmp(t->method, "HEAD") ||
                    !strcmp(t->method, "OPTIONS") || !strcmp(t->method, "DELETE");

    f.req_body_size = bodyless ? 0 : -1;
    f.scan = bodyless ? &empty_scan : NULL;
    ev = si_security_evaluate(p, SI_PHASE_REQUEST, &f, bodyless ? &empty : NULL, &v);
    print_verdict(bodyless ? "(request, no body)" : "(request, headers only)", &v, ev);
    si_security_trace(p, SI_PHASE_REQUEST, &f, bodyless ? &empty : NULL, print_sec_step, NULL);
    if (v.action == SI_SEC_BLOCK || v.action == SI_SEC_REDIRECT)
        return;
    f.status = t->status;
    f.content_type = t->content_type;
    f.scan = NULL; /* the response body is not at hand */
    ev = si_security_evaluate(p, SI_PHASE_RESPONSE, &f, NULL, &v);
    print_verdict(t->status ? "(response, headers only)" : "(response, status unknown)", &v, ev);
    si_security_trace(p, SI_PHASE_RESPONSE, &f, NULL, print_sec_step, NULL);
}

static const char explain_usage[] =
    "usage: inspect-ctl explain POLICY --client IP [--user U] [--group G]... [--groups G1,G2]\n"
    "                           [--port N] [--method M] [--status N] [--content-type T]\n"
    "                           URL-or-host\n"
    "  Which https-inspection rule and which security rules would fire, and why.\n"
    "  --group (repeatable) and --groups (commas or spaces) give the user's groups, as Squid\n"
    "  passes them (squid-inspect.conf: GROUPS_NOTE) to inspect-bump and the ICAP service.\n";

/* Appends one --group/--groups value to the comma-separated list; false when too long. */
static bool add_groups(char *list, size_t size, const char *more)
{
    size_t used = strlen(list);
    int n = snprintf(list + used, size - used, "%s%s", used ? "," : "", more);

    if (n < 0 || (size_t)n >= size - used) {
        list[used] = '\0';
        return false;
    }
    return true;
}

int ctl_explain_main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"client", required_argument, NULL, 'c'}, {"user", required_argument, NULL, 'u'},
        {"groups", required_argument, NULL, 'g'}, {"group", required_argument, NULL, 'g'},
        {"port", required_argument, NULL, 'p'},
        {"method", required_argument, NULL, 'm'}, {"status", required_argument, NULL, 's'},
        {"content-type", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ctl_target t = {.method = "GET"};
    const char *client = NULL, *user = NULL, *ctype = NULL;
    int port = 0, status = 0, c;
    char err[4096], groups[4096] = "";
    struct si_policy *p;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'c': client = optarg; break;
        case 'u': user = optarg; break;
        case 'g':
            if (!add_groups(groups, sizeof(groups), optarg)) {
                fprintf(stderr, "inspect-ctl explain: the groups are longer than %zu bytes\n",
                        sizeof(groups) - 1);
                return 2;
            }
            break;
        case 'p': port = atoi(optarg); break;
        case 'm': t.method = optarg; break;
        case 's': status = atoi(optarg); break;
        case 't': ctype = optarg; break;
        case 'h': fputs(explain_usage, stdout); return 0;
        default: fputs(explain_usage, stderr); return 2;
        }
    }
    if (argc - optind != 2 || !client) {
        fputs(explain_usage, stderr);
        return 2;
    }
    if (ctl_target_parse(argv[optind + 1], &t, err, sizeof(err)) < 0) {
        fprintf(stderr, "inspect-ctl explain: %s\n", err);
        return 2;
    }
    t.client = client;
    t.user = user;
    t.groups = groups[0] ? groups : NULL;
    t.status = status;
    t.content_type = ctype;
    if (port)
        t.port = port;
    if (!(p = si_policy_load(argv[optind], err, sizeof(err)))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("policy %s (digest %s)\n", argv[optind], si_policy_digest(p));
    printf("facts: client %s, user %s, groups %s, server %s, port %d, %s %s%s%s\n", client,
           user ? user : "(none)", groups[0] ? groups : "(none)", t.host, t.port, t.method,
           t.path, t.query ? "?" : "", t.query ? t.query : "");
    if (!t.tls) {
        printf("https-inspection: not applicable (plain HTTP)\n");
        print_security(p, &t);
    } else if (print_inspection(p, &t) == SI_INSPECT_INSPECT) {
        print_security(p, &t);
    } else {
        printf("security-policy: not applied (the connection is not decrypted)\n");
    }
    si_policy_unref(p);
    return 0;
}
