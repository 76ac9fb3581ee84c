/*
 * policy.h: the squid-inspect policy: load, validate and compile the XML policy file
 * (schema/policy.rng, described in schema/POLICY.md) into an immutable, reference-counted object, and
 * query its https-inspection and certificate-validation sections.
 * The security-policy section is evaluated through security.h.
 *
 * Loading:
 *   struct si_policy *p = si_policy_load("/etc/squid-inspect/policy.xml", err, sizeof err);
 *   if (!p) fprintf(stderr, "%s\n", err);     err: "policy.xml:12: <reason>" (one line per
 *                                             problem, at most SI_POLICY_MAX_ERRORS lines)
 * The file is parsed by libxml2 with network access off, no DTD loading, no entity
 * substitution and no XInclude; a document with a DOCTYPE is refused. It is then validated
 * against the built-in copy of schema/policy.rng and checked semantically: unknown object
 * references, duplicate ids, invalid CIDRs/regexes, and unreachable rules (a rule that can never
 * match because an earlier non-monitor rule matches everything it could match) are errors.
 * Relative file names in the policy (domain lists, network lists, category directories,
 * block-page template) are resolved against the directory of the policy file. Of a category
 * database (<categories dir=...>) only the categories that rules name are read.
 *
 * Ownership and lifetime: si_policy_load*() returns a policy with one reference. Every
 * si_policy_ref() needs one si_policy_unref(); the last unref frees it. Strings returned by the
 * query functions (rule ids, reasons inside result structs are copies) that are `const char *`
 * point into the policy and stay valid while the caller holds a reference.
 *
 * Thread-safety: loading is reentrant (one policy per call; libxml2 is initialised once).
 * A loaded policy is never modified, so any number of threads may query it concurrently.
 * si_policy_ref/unref are atomic.
 */
#ifndef SI_POLICY_H
#define SI_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "clamd.h"

#define SI_POLICY_MAX_ERRORS 8
#define SI_POLICY_REASON_MAX 384

struct si_policy;

struct si_policy *si_policy_load(const char *path, char *err, size_t errsize);
/*
 * Same, from memory. name is used in error messages ("name:line: ..."), base_dir resolves the
 * relative file names inside the policy (NULL: the current directory).
 */
struct si_policy *si_policy_load_mem(const char *xml, size_t len, const char *name,
                                     const char *base_dir, char *err, size_t errsize);

struct si_policy *si_policy_ref(struct si_policy *p);
void si_policy_unref(struct si_policy *p); /* accepts NULL */

/*
 * First 16 hex digits of a SHA-256 over the policy file's bytes and the name and bytes of every
 * file it read (domain and network lists, category files, the block-page template), so that
 * editing a list changes it too (an ISTag, a log field, the status `inspect-ctl status` shows).
 */
const char *si_policy_digest(const struct si_policy *p);
/* The file name the policy was loaded from (or the name given to si_policy_load_mem). */
const char *si_policy_source(const struct si_policy *p);

/*
 * The files the policy read besides itself (domain and network lists, category files, the
 * block-page template): a signature of their identities (path, device, inode, size, mtime) as
 * they were when read (live = false) or as they are now (live = true, one stat() a file). The
 * two differ once one of them has changed since the load; policy_holder.h reloads then.
 */
unsigned long long si_policy_inputs_signature(const struct si_policy *p, bool live);

/* Counts for `inspect-ctl validate` and logs. */
struct si_policy_stats {
    size_t objects, domain_names, inspection_rules, validation_overrides, security_rules;
    size_t categories, category_names; /* categories loaded (the ones rules name) and names */
};
void si_policy_get_stats(const struct si_policy *p, struct si_policy_stats *out);

/* ---------------- <settings> ---------------- */
struct si_policy_settings {
    const char *user_header;   /* ICAP header with the user name; default X-Client-Username */
    bool user_header_base64;   /* default false (Squid's icap_client_username_encode off) */
    const char *groups_header; /* default X-Authenticated-Groups */
    unsigned long long inspection_limit; /* bytes; default 16 MiB */
    bool too_large_block;      /* action above the limit: false = allow (default), true = block */
    const char *block_template;/* absolute path of the HTML template, or NULL for the built-in */
    /* <malware-scanner>: clamd for <malware/> conditions. malware_socket NULL: none set (a
     * policy with a <malware/> condition is then refused). */
    const char *malware_socket;          /* as written in the policy */
    struct si_clamd_addr malware_addr;   /* parsed (Unix socket, or TCP on loopback) */
    long malware_timeout_ms;             /* each wait on clamd; default 30000 */
    unsigned long long malware_max_body; /* largest body scanned; default 100 MiB */
};
const struct si_policy_settings *si_policy_settings(const struct si_policy *p);
/* Text of the <block-page template="..."> file read at load time, or NULL (built-in page). */
const char *si_policy_block_html(const struct si_policy *p);

/* ---------------- <https-inspection> ---------------- */
enum si_inspect_action {
    SI_INSPECT_BYPASS = 0,    /* splice: bytes relayed untouched */
    SI_INSPECT_INSPECT = 1,   /* bump */
    SI_INSPECT_TERMINATE = 2, /* refuse the connection */
};
const char *si_inspect_action_name(enum si_inspect_action a); /* "bypass" "inspect" "terminate" */

/* What is known about a connection when the inspection decision is taken. Any field may be
 * NULL/0 when unknown; a condition on an unknown fact does not match. */
struct si_inspect_facts {
    const char *client_ip;   /* "10.1.2.3" or "fd00::1" (IPv4-mapped accepted) */
    const char *user;        /* authenticated user name */
    const char *groups;      /* user's groups, separated by spaces or commas */
    const char *server_name; /* TLS SNI, else the CONNECT host; no port */
    int port;                /* destination port (CONNECT port), 0 = unknown */
};

struct si_inspect_result {
    enum si_inspect_action action;
    const char *rule_id;  /* matching rule's id, or "default" when no rule matched */
    int rule_line;        /* line of the rule in the policy file, 0 for the default */
    bool verify_name;     /* the rule asks that the server certificate match the SNI */
    bool is_default;
    char reason[SI_POLICY_REASON_MAX]; /* what matched, e.g. "server-name a.bank.example in
                                          domains 'finance-sites'; port 443 in 443" */
};

/*
 * First-match evaluation of the https-inspection rules. Always fills *out (default action when
 * no rule matches; the default default is "inspect"). Returns out->action.
 */
enum si_inspect_action si_policy_inspection_decide(const struct si_policy *p,
                                                   const struct si_inspect_facts *facts,
                                                   struct si_inspect_result *out);

/* ---------------- <certificate-validation> ---------------- */
enum si_revocation { SI_REVOCATION_OFF = 0, SI_REVOCATION_SOFT = 1, SI_REVOCATION_HARD = 2 };
enum si_crl_mode { SI_CRL_OFF = 0, SI_CRL_FALLBACK = 1, SI_CRL_ALWAYS = 2 };
const char *si_revocation_name(enum si_revocation r); /* "off" "soft" "hard" */
const char *si_crl_mode_name(enum si_crl_mode m);     /* "off" "fallback" "always" */

struct si_validation_settings {
    enum si_revocation revocation; /* default soft */
    unsigned ocsp_timeout_ms;      /* default 3000 */
    enum si_crl_mode crl;          /* default fallback (CRL when OCSP gives no answer) */
    int override_line;             /* line of the <override> that applied, 0 = section defaults */
    char source[128];              /* "defaults" or "override line 31 (.bank.example)" */
};

/*
 * Effective settings for a server name: the section's attributes, with the first <override>
 * whose server-name/list matches applied on top (attributes it does not set are inherited).
 * server_name may be NULL (no SNI): section defaults. Always succeeds.
 */
void si_policy_validation_for(const struct si_policy *p, const char *server_name,
                              struct si_validation_settings *out);

#endif
