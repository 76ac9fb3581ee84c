/* ctl_trace_summary.c: the closing paragraph of `inspect-ctl trace` (ctl_trace.h): what
 * happened, which rule decided, and why, from the access-log fields and the helper and
 * service lines found. The first words are "Summary: outcome=OUTCOME rule=RULE." */
#include <string.h>

#include "ctl_trace.h"

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* The connection's TLS decision in words (rule and reason of inspect-bump). */
static void tls_words(FILE *out, const struct ctl_logrec *c, const struct ctl_trace_facts *f)
{
    const char *action = c && c->tls_action[0] ? c->tls_action : f->bump_action;
    const char *rule = c && c->tls_rule[0] ? c->tls_rule : f->bump_rule;

    if (!action[0]) {
        fprintf(out, " No https-inspection decision was logged for the connection.");
        return;
    }
    fprintf(out, " The connection's https-inspection decision was %s by rule %s", action,
            or_dash(rule));
    if (f->bump_reason[0])
        fprintf(out, " (%s)", f->bump_reason);
    fputc('.', out);
}

static bool service_decided(const struct ctl_trace_facts *f)
{
    return f->svc_action[0] && strcmp(f->svc_action, "allowed") != 0;
}

static bool cert_refused(const struct ctl_logrec *t)
{
    return (t->rev && !strcmp(t->rev, "revoked")) || t->cert_errors ||
           (t->err && !strncmp(t->err, "ERR_SECURE_CONNECT_FAIL", 23));
}

/* outcome, rule and the reason sentence, by the order in which the layers decide. */
static void decide(const struct ctl_logrec *t, const struct ctl_logrec *c,
                   const struct ctl_trace_facts *f, const char **outcome, const char **rule)
{
    const struct ctl_logrec *k = c ? c : t;

    if (service_decided(f)) {
        *outcome = f->svc_action, *rule = f->svc_rule;
    } else if (!strcmp(k->tls_action, "terminate")) {
        *outcome = "terminated", *rule = k->tls_rule;
    } else if (t->rev && !strcmp(t->rev, "revoked")) {
        *outcome = "refused-revoked", *rule = k->tls_rule;
    } else if (cert_refused(t)) {
        *outcome = "refused-certificate", *rule = k->tls_rule;
    } else if (k->bump && !strcmp(k->bump, "splice")) {
        *outcome = k->tls ? "bypassed" : "spliced-without-decision", *rule = k->tls_rule;
    } else if (!strncmp(t->code, "TCP_DENIED", 10) || t->status == 403) {
        *outcome = "denied", *rule = t->fail ? t->fail : "http_access";
    } else if (t->fail) {
        *outcome = "failed", *rule = k->tls_rule;
    } else {
        *outcome = f->svc_action[0] ? f->svc_action : "allowed";
        *rule = f->svc_rule[0] ? f->svc_rule : k->tls_rule;
    }
}

static void why(FILE *out, const char *outcome, const struct ctl_logrec *t,
                const struct ctl_trace_facts *f)
{
    if (service_decided(f))
        fprintf(out, " srv_inspect (%s) %s it by security-policy rule %s: %s.", f->svc_phase,
                f->svc_action, f->svc_rule, or_dash(f->svc_reason));
    else if (!strncmp(outcome, "refused-", 8))
        fprintf(out, " Squid refused the origin's certificate (%s%s%s)%s%s.",
                or_dash(t->cert_errors), t->rev ? ", revocation " : "", t->rev ? t->rev : "",
                f->ocsp_reason[0] ? "; inspect-ocsp: " : "", f->ocsp_reason);
    else if (!strcmp(outcome, "bypassed"))
        fprintf(out, " Its bytes were spliced, never decrypted: no security-policy rule saw them.");
    else if (!strcmp(outcome, "terminated"))
        fprintf(out, " The connection was closed with the terminate page; nothing was sent to "
                     "the origin.");
    else if (!strcmp(outcome, "denied"))
        fprintf(out, " Squid's http_access refused it (err=%s).", or_dash(t->err));
    else if (!strcmp(outcome, "failed"))
        fprintf(out, " It failed: fail=%s err=%s.", t->fail, or_dash(t->err));
    if (t->err && strcmp(outcome, "denied") && strcmp(outcome, "failed"))
        fprintf(out, " Squid's error: %s.", t->err);
}

void ctl_trace_summary(FILE *out, const struct ctl_logrec *t, const struct ctl_logrec *c,
                       const struct ctl_trace_facts *f)
{
    const char *outcome, *rule;
    char host[256];
    const char *server = ctl_log_server_name(c ? c : t, host, sizeof(host));

    decide(t, c, f, &outcome, &rule);
    fprintf(out, "Summary: outcome=%s rule=%s. %s %s from %s", outcome, or_dash(rule), t->method,
            t->url, t->client);
    if (t->user)
        fprintf(out, " (user %s)", t->user);
    fprintf(out, " got %s/%03d", t->code, t->status);
    if (server && strcmp(t->method, "CONNECT"))
        fprintf(out, " inside a connection to %s", server);
    fputc('.', out);
    why(out, outcome, t, f);
    if (server)
        tls_words(out, c, f);
    fputc('\n', out);
}
