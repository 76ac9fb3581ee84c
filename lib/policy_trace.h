/*
 * policy_trace.h: a per-rule trace of the <https-inspection> evaluation, for
 * `inspect-ctl explain`: for every rule up to the one that decides, which conditions matched
 * and which did not. Same semantics as si_policy_inspection_decide() (first match wins); this
 * module only reports, it decides nothing. (Owner: the inspect/tools component; it reads the
 * compiled policy through policy_internal.h like the other policy_*.c modules.)
 *
 * Ownership: each step is passed to the callback by pointer, valid during the call only.
 * Thread-safety: reentrant; the policy is read-only.
 */
#ifndef SI_POLICY_TRACE_H
#define SI_POLICY_TRACE_H

#include <stdbool.h>

#include "policy.h"

struct si_inspect_trace_step {
    const char *rule_id;
    int rule_line;
    enum si_inspect_action action;
    bool verify_name;
    bool matched;
    char matched_conds[SI_POLICY_REASON_MAX];   /* "source 10.1.2.3 in network 'staff'" */
    char unmatched_conds[SI_POLICY_REASON_MAX]; /* "user bob not in users 'pilot'" */
};

typedef void (*si_inspect_trace_fn)(void *ctx, const struct si_inspect_trace_step *step);

/* Calls fn for each rule evaluated (stopping after the first that matches). Returns the number
 * of rules reported; when no rule matched, the section's default applies. */
unsigned si_policy_inspection_trace(const struct si_policy *p, const struct si_inspect_facts *f,
                                    si_inspect_trace_fn fn, void *ctx);

#endif

/* ---- security-policy ---- */
#include "security.h"

struct si_sec_trace_step {
    const char *rule_id;
    int rule_line;
    enum si_sec_action action;
    bool monitor;
    int result; /* 1 matches, 0 does not, -1 undecided without the body */
    char matched_conds[SI_POLICY_REASON_MAX];
    char unmatched_conds[SI_POLICY_REASON_MAX];
    char undecided_conds[SI_POLICY_REASON_MAX];
};

typedef void (*si_sec_trace_fn)(void *ctx, const struct si_sec_trace_step *step);

/*
 * Calls fn for each security rule of `phase` evaluated by si_security_evaluate() with the same
 * arguments, up to and including the deciding rule (monitor rules are reported and passed).
 * Each condition family (source, user, groups, method, host, url, path, query, request/response
 * headers, body size, body, status, content-type, file-type, malware) is evaluated alone by the
 * engine itself on a one-rule view of the policy, so the trace cannot disagree with the
 * decision.
 */
unsigned si_security_trace(const struct si_policy *p, enum si_sec_phase phase,
                           const struct si_sec_facts *facts, const struct si_sec_body *body,
                           si_sec_trace_fn fn, void *ctx);
