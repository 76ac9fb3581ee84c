/*
 * security.h: evaluation of the <security-policy> section of a compiled policy (policy.h), with
 * no dependency on c-icap: srv_inspect, inspect-ctl explain/replay and the unit tests all call
 * the same code.
 *
 * Phases. A rule with <response> conditions, or a response-side change (add/set/remove-header
 * on="response", replace-body), is a response rule, evaluated in RESPMOD; every other rule is a
 * request rule, evaluated in REQMOD. Within a phase the first matching rule decides. A rule with
 * mode="monitor" that matches is recorded ("would have blocked") and evaluation goes on.
 * No match: the section's default (allow|block) in the request phase, allow in the response
 * phase.
 *
 * Bodies. Call si_security_evaluate() first with body == NULL (headers only, e.g. in the ICAP
 * preview). It returns SI_SEC_NEED_BODY when a rule that may still match needs body bytes
 * (body-match, file-type, or body-size without Content-Length), and SI_SEC_DECIDED otherwise,
 * so the caller can answer 204 without buffering. With a body prefix (complete == false) the
 * file-type condition can be decided; body-match needs the complete (decoded) body.
 * Malware. A <malware/> condition matches when facts->scan says infected (the reason names the
 * signature), does not when clean; on a scanner error it matches (on-error fail-closed, the
 * default) or not (fail-open), and out->fail says which and why.
 * With facts->response_unknown, a response rule that has <response> conditions and whose
 * request conditions match is undecided too (SI_SEC_NEED_BODY); out->rule_id then names the
 * first undecided rule (NULL for a rule undecided for want of the body).
 *
 * Ownership: the verdict points into the policy (rule ids, locations, modifications): keep a
 * policy reference while using it. Thread-safety: reentrant; the policy is read-only.
 */
#ifndef SI_SECURITY_H
#define SI_SECURITY_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

enum si_sec_action { SI_SEC_ALLOW = 0, SI_SEC_BLOCK = 1, SI_SEC_MODIFY = 2, SI_SEC_REDIRECT = 3 };
enum si_sec_phase { SI_PHASE_REQUEST = 0, SI_PHASE_RESPONSE = 1 };

const char *si_sec_action_name(enum si_sec_action a); /* "allow" "block" "modify" "redirect" */
/* The past participle, for logs and explain: "allowed" "blocked" "modified" "redirected". */
const char *si_sec_action_past(enum si_sec_action a);

/* Returns the value of the first header called name (case-insensitive) or NULL.
 * response: false = HTTP request headers, true = HTTP response headers. */
typedef const char *(*si_header_fn)(void *ctx, bool response, const char *name);

struct si_sec_facts {
    const char *client_ip, *user, *groups;
    const char *method;          /* "GET" */
    const char *host;            /* without port, e.g. "www.example.com" */
    const char *path;            /* "/a/b" (no query) */
    const char *query;           /* text after '?', NULL when the URL has none */
    si_header_fn header;         /* may be NULL: header conditions do not match */
    void *header_ctx;
    long long req_body_size;     /* Content-Length of the request, -1 unknown */
    int status;                  /* response status, 0 in the request phase */
    const char *content_type;    /* response Content-Type (parameters ignored) */
    long long resp_body_size;    /* Content-Length of the response, -1 unknown */
    bool response_unknown;       /* no response at hand (inspect-ctl replay of an access log):
                                  * a response rule with <response> conditions is undecided */
    const struct si_clamd_result *scan; /* clamd's verdict on this phase's (decoded) body, for
                                  * <malware/> conditions; NULL: not scanned (yet), so a rule
                                  * with <malware/> is undecided (SI_SEC_NEED_BODY) */
};

struct si_sec_body {
    const unsigned char *data; /* decoded body bytes (gzip/deflate already undone) */
    size_t len;
    bool complete;             /* false: only the first len bytes (preview) */
};

enum si_mod_type {
    SI_MOD_ADD_HEADER, SI_MOD_SET_HEADER, SI_MOD_REMOVE_HEADER, SI_MOD_SET_QUERY, SI_MOD_REPLACE_BODY
};

struct si_sec_mod {
    enum si_mod_type type;
    bool on_response; /* header changes: response headers instead of request headers */
    char *name;       /* header / query parameter name; replace-body: the text to find */
    char *value;      /* new value / replacement; NULL for remove-header */
};

#define SI_SEC_MAX_MONITOR 4

struct si_sec_monitor_hit {
    const char *rule_id;
    enum si_sec_action action; /* what would have happened */
    char reason[SI_POLICY_REASON_MAX];
};

struct si_sec_verdict {
    enum si_sec_action action;
    const char *rule_id;   /* "default" when no rule matched */
    int rule_line;
    bool is_default;
    const char *location;  /* redirect target */
    const char *message;   /* the rule's reason="..." text, or NULL */
    const struct si_sec_mod *mods; /* modifications of a modify rule, in document order */
    size_t nmods;
    char reason[SI_POLICY_REASON_MAX]; /* what matched */
    /* A <malware/> condition met a scanner error: "failed-open:scanner-down" (the rule did not
     * match, by its on-error="fail-open") or "failed-closed:scanner-timeout" (it matched);
     * the first such rule's, "" when none. */
    char fail[48];
    size_t nmonitor;
    struct si_sec_monitor_hit monitor[SI_SEC_MAX_MONITOR];
};

enum si_sec_eval { SI_SEC_DECIDED = 0, SI_SEC_NEED_BODY = 1 };

enum si_sec_eval si_security_evaluate(const struct si_policy *p, enum si_sec_phase phase,
                                      const struct si_sec_facts *facts,
                                      const struct si_sec_body *body, struct si_sec_verdict *out);

/* Whether any rule of the phase has a condition on the body, or modifies it (cheap). */
bool si_security_phase_uses_body(const struct si_policy *p, enum si_sec_phase phase);
/* Whether any rule has rules for the phase at all (no rules: answer 204 at once). */
bool si_security_phase_has_rules(const struct si_policy *p, enum si_sec_phase phase);

/* ---- helpers for applying verdicts, pure functions ---- */

/*
 * Payment-card numbers in text: runs of 13-19 digits (single spaces, dashes or '+' between
 * digits allowed) starting with 2-6 and passing the Luhn check. Counts up to limit.
 */
unsigned si_count_payment_cards(const unsigned char *data, size_t len, unsigned limit);
bool si_luhn_valid(const char *digits, size_t n);

/*
 * Sets query parameter name=value in the query string query (may be NULL), replacing every
 * existing occurrence or appending. name and value are percent-encoded. Returns a new string
 * (free()) or NULL on allocation failure.
 */
char *si_query_set_param(const char *query, const char *name, const char *value);

/*
 * Applies the replace-body modifications of mods to data. Returns a new buffer (free()) and its
 * length in *outlen, or NULL when nothing was replaced (the body is unchanged).
 */
unsigned char *si_body_replace(const unsigned char *data, size_t len, const struct si_sec_mod *mods,
                               size_t nmods, size_t *outlen);

#endif
