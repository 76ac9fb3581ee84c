/*
 * decide.h: turns one external ACL request from Squid's ssl_bump step 2 into an inspection
 * decision (policy.h) and the reply Squid logs. Request fields, in the order the
 * external_acl_type FORMAT of squid_conf/ sends them:
 *   %>a %un %ssl::>sni %>rd %>rP     client address, user, SNI, CONNECT host, CONNECT port
 *   %note{si_group_}                 the user's groups: the values of one transaction
 *                                    annotation, joined by commas by Squid ("-": none)
 *   (%DATA)                          the ACL's arguments, which Squid always appends ("-": none)
 * Squid always appends %DATA, so a request has 7 fields with the groups field and 6 without
 * (the older 5-code FORMAT): both are accepted. 5 fields (no %DATA) are accepted too.
 *
 * Reply notes (external ACL key=value pairs):
 *   clt_conn_tag=ACTION:RULE:CODE  copied by Squid onto the client connection, hence onto every
 *                                  request of a bumped or spliced connection; the access log
 *                                  prints it (%note{clt_conn_tag}).
 *   si_action_=splice|bump|terminate  what the ssl_bump rules act on (note ACLs)
 *   si_rule_=ID  si_reason_="..."     for cache.log and %note
 * ACTION is bypass, inspect or terminate. CODE is "matched" (a rule matched), "default" (no
 * rule matched), or for a verify-name rule the probe outcome: name-verified, name-mismatch,
 * cert-untrusted, probe-failed.
 *
 * Connect mode: when the ACL passes the argument "connect" (a sixth field: `acl X external
 * inspect_bump connect`), the request is the http_access check of the CONNECT itself, before
 * any TLS step. The reply then carries only si_connect_=splice|bump|terminate and
 * si_connect_rule_=ID, never si_action_ or clt_conn_tag: Squid keeps every note a helper ever
 * returned for a transaction, and a CONNECT-time answer must not stand beside (and outvote) the
 * step-2 decision made on the SNI. No verify-name probe is run in connect mode: it only serves
 * to refuse a terminated CONNECT host early, with an error page.
 *
 * Ownership: struct bp_decision is a caller-owned value; nothing is allocated.
 * Thread-safety: reentrant (the policy is immutable).
 */
#ifndef BUMP_DECIDE_H
#define BUMP_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "extacl_io.h"
#include "policy.h"
#include "probe.h"

enum bp_field { BF_CLIENT = 0, BF_USER, BF_SNI, BF_HOST, BF_PORT, BF_COUNT };
#define BF_GROUPS BF_COUNT /* present when the request has BF_COUNT + 2 fields or more */

struct bp_decision {
    enum si_inspect_action action;
    char client[64], user[128], server[256]; /* for the decision log line ("-" when unknown) */
    char groups[256];         /* the groups as received, for the log line (cut; "-": none) */
    char rule[128];
    char code[32];
    char reason[SI_POLICY_REASON_MAX + 160];
    bool connect_mode;        /* the CONNECT's http_access check (see "Connect mode" above) */
    bool need_probe;          /* bypass with verify-name: probe before answering */
    char probe_name[256];     /* the name the certificate must cover (SNI, else CONNECT host) */
    char probe_host[256];     /* where Squid will connect (CONNECT host) */
    int probe_port;
};

/* The groups and %DATA fields of a request (NULL when absent or "-"); see the field list. */
void bp_request_extras(const struct bp_extacl_request *req, const char **groups,
                         const char **data);

/* Fills *d from the request. Returns 0, or -1 when the request lacks what is needed (err). */
int bp_decide(const struct si_policy *p, const struct bp_extacl_request *req,
                struct bp_decision *d, char *err, size_t errsize);

/* Applies a verify-name probe result: keeps the bypass if verified, else on_mismatch. */
void bp_apply_probe(struct bp_decision *d, enum bp_probe_status st, const char *detail,
                      enum si_inspect_action on_mismatch);

/* The key=value part of the OK reply. */
void bp_format_reply(const struct bp_decision *d, char *kv, size_t kvsize);

/* "splice", "bump" or "terminate": the ssl_bump action for an inspection action. */
const char *bp_squid_action(enum si_inspect_action a);

#endif
