/*
 * ctl_replay.c: `inspect-ctl replay POLICY [--baseline OLD] ACCESS_LOG...` (ctl_policy.h).
 *
 * Each TLS connection of the log (the CONNECT line Squid writes when the ssl_bump decision is
 * taken; the duplicate TCP_TUNNEL line of a splice is skipped) goes through the https-inspection
 * rules; each decrypted or plain-HTTP request through the request phase of the security policy
 * (headers only: the access log has no bodies or headers, so body and header conditions cannot
 * match and rules needing the body are counted as undecided), and, when the log shows a RESPMOD
 * answer for it, through the response phase (the log has no response: a response rule testing
 * it is undecided, never a change). Each phase's decision is compared with the baseline policy,
 * or, without one, with what the log recorded for that phase (tls=, req_verdict= and verdict=
 * with their phase= word); monitor-mode hits decide nothing and are not compared.
 * A verify-name bypass depends on the server's certificate: it is predicted from the probe
 * outcome the log line carries (tls=ACTION:RULE:CODE), else keyed bypass-if-name-verified:RULE.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_accesslog.h"
#include "ctl_policy.h"
#include "ctl_target.h"
#include "policy.h"
#include "security.h"

#define KEY_MAX 200
#define UNDECIDED_RESPONSE "undecided-without-response"

struct tally {
    char key[KEY_MAX];
    unsigned long n;
    char **examples;
    unsigned nex;
};

struct tallies {
    struct tally *t;
    size_t n, cap;
};

/* What a verify-name bypass rule does to a connection: it depends on the server's certificate,
 * which only the log's probe outcome (tls=ACTION:RULE:CODE) tells. */
enum vn_outcome { VN_NONE, VN_VERIFIED, VN_FAILED, VN_UNPROBED, VN_COUNT };

struct replay {
    struct si_policy *pol, *base;
    unsigned max_examples;
    unsigned long lines, parsed, native, conns, native_conns, reqs, resps, unphased;
    unsigned long vn[VN_COUNT]; /* connections decided by a verify-name rule of POLICY */
    struct tallies tls, tls_changes, sec, sec_changes, resp, resp_changes;
};

static struct tally *tally_get(struct tallies *ts, const char *key)
{
    for (size_t i = 0; i < ts->n; i++) {
        if (!strcmp(ts->t[i].key, key))
            return &ts->t[i];
    }
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 32;
        struct tally *n = realloc(ts->t, cap * sizeof(*n));
        if (!n)
            return NULL;
        ts->t = n;
        ts->cap = cap;
    }
    memset(&ts->t[ts->n], 0, sizeof(ts->t[0]));
    snprintf(ts->t[ts->n].key, KEY_MAX, "%s", key);
    return &ts->t[ts->n++];
}

static void tally_add(struct tallies *ts, const char *key, const char *example, unsigned maxex)
{
    struct tally *t = tally_get(ts, key);
    char **ex;

    if (!t)
        return;
    t->n++;
    if (!example || t->nex >= maxex || !(ex = realloc(t->examples, (t->nex + 1) * sizeof(*ex))))
        return;
    t->examples = ex;
    if ((ex[t->nex] = strdup(example)))
        t->nex++;
}

static void tallies_free(struct tallies *ts)
{
    for (size_t i = 0; i < ts->n; i++) {
        for (unsigned e = 0; e < ts->t[i].nex; e++)
            free(ts->t[i].examples[e]);
        free(ts->t[i].examples);
    }
    free(ts->t);
}

static int by_count(const void *a, const void *b)
{
    const struct tally *x = a, *y = b;

    return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->key, y->key);
}

static void tallies_print(struct tallies *ts, const char *title, const char *none)
{
    printf("%s\n", title);
    if (ts->n == 0)
        printf("  %s\n", none);
    if (ts->n)
        qsort(ts->t, ts->n, sizeof(*ts->t), by_count);
    for (size_t i = 0; i < ts->n; i++) {
        printf("  %8lu  %s\n", ts->t[i].n, ts->t[i].key);
        for (unsigned e = 0; e < ts->t[i].nex; e++)
            printf("            e.g. %s\n", ts->t[i].examples[e]);
    }
}

static bool is_probe_word(const char *code)
{
    static const char *const words[] = {"name-verified", "name-mismatch", "cert-untrusted",
                                        "probe-failed"}; /* bump_helper/probe.c */

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (!strcmp(code, words[i]))
            return true;
    }
    return false;
}

/* The key of a verify-name bypass by RULE: what the logged probe outcome predicts (the name was
 * verified: bypass; it failed: the fallback the helper logged), or undecided without one. */
static enum vn_outcome verify_name_key(const struct ctl_logrec *r, const char *rule, char *key,
                                       size_t keysize)
{
    if (!is_probe_word(r->tls_code)) {
        snprintf(key, keysize, "bypass-if-name-verified:%s", rule);
        return VN_UNPROBED;
    }
    if (!strcmp(r->tls_code, "name-verified")) {
        snprintf(key, keysize, "bypass:%s", rule);
        return VN_VERIFIED;
    }
    snprintf(key, keysize, "%s:%s", r->tls_action[0] && strcmp(r->tls_action, "bypass") ?
             r->tls_action : "inspect", rule);
    return VN_FAILED;
}

static enum vn_outcome tls_key(const struct si_policy *p, const struct ctl_logrec *r,
                               const struct ctl_target *t, char *key, size_t keysize)
{
    struct si_inspect_facts f = {.client_ip = r->client, .user = r->user, .groups = r->groups,
                                 .server_name = r->sni ? r->sni : t->host, .port = t->port};
    struct si_inspect_result res;

    si_policy_inspection_decide(p, &f, &res);
    if (res.action == SI_INSPECT_BYPASS && res.verify_name)
        return verify_name_key(r, res.rule_id, key, keysize);
    snprintf(key, keysize, "%s:%s", si_inspect_action_name(res.action), res.rule_id);
    return VN_NONE;
}

static void logged_tls_key(const struct ctl_logrec *r, char *key, size_t keysize)
{
    if (r->tls_action[0])
        snprintf(key, keysize, "%s:%s", r->tls_action, r->tls_rule);
    else /* a log from before inspect-bump: only the bump mode is known */
        snprintf(key, keysize, "%s:?", !strcmp(r->bump, "splice") ? "bypass" :
                 !strcmp(r->bump, "terminate") ? "terminate" : "inspect");
}

/* The decision of POLICY's phase for the request of r: "ACTION:RULE", or undecided-without-body,
 * or (response phase) undecided-without-response:RULE for a rule testing the response. */
static void sec_key(const struct si_policy *p, enum si_sec_phase phase, const struct ctl_logrec *r,
                    const struct ctl_target *t, char *key, size_t keysize)
{
    struct si_sec_facts f = {.client_ip = r->client, .user = r->user, .groups = r->groups,
                             .method = r->method,
                             .host = t->host, .path = t->path, .query = t->query,
                             .req_body_size = -1, .resp_body_size = -1,
                             .response_unknown = phase == SI_PHASE_RESPONSE};
    struct si_sec_verdict v;
    static const struct si_sec_body empty = {.data = (const unsigned char *)"", .complete = true};
    bool bodyless = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD") ||
                    !strcmp(r->method, "OPTIONS") || !strcmp(r->method, "DELETE");

    f.req_body_size = bodyless ? 0 : -1;
    if (si_security_evaluate(p, phase, &f, bodyless ? &empty : NULL, &v) == SI_SEC_NEED_BODY) {
        if (v.rule_id)
            snprintf(key, keysize, "%s:%s", UNDECIDED_RESPONSE, v.rule_id);
        else
            snprintf(key, keysize, "undecided-without-body");
    } else
        snprintf(key, keysize, "%s:%s", si_sec_action_name(v.action), v.rule_id);
}

/* "blocked; rule=no-exe; ref=...; phase=respmod" as written by srv_inspect -> "block:no-exe". */
static void logged_sec_key(const char *v, char *key, size_t keysize)
{
    const char *rule;
    size_t alen;

    if (!v) {
        snprintf(key, keysize, "not-logged");
        return;
    }
    static const char *const words[][2] = { /* srv_inspect logs outcomes, policy names actions */
        {"allowed", "allow"}, {"blocked", "block"}, {"modified", "modify"},
        {"redirected", "redirect"},
    };
    const char *action = v;

    alen = strcspn(v, "; ");
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i][0]) == alen && !strncmp(v, words[i][0], alen)) {
            action = words[i][1];
            alen = strlen(action);
        }
    }
    rule = strstr(v, "rule=");
    snprintf(key, keysize, "%.*s:%.*s", (int)alen, action,
             rule ? (int)strcspn(rule + 5, "; ") : 1, rule ? rule + 5 : "?");
}

static void compare(struct replay *rp, struct tallies *changes, const char *old, const char *new,
                    const struct ctl_logrec *r, const char *what)
{
    char tr[2 * KEY_MAX + 8], ex[600];

    if (!strcmp(old, new))
        return;
    snprintf(tr, sizeof(tr), "%s -> %s", old, new);
    snprintf(ex, sizeof(ex), "%.3f %s %s %s", r->time, r->client, r->user ? r->user : "-", what);
    tally_add(changes, tr, ex, rp->max_examples);
}

/* The CONNECT lines that stand for one ssl_bump decision: in the inspect format the step-2
 * line (the TCP_TUNNEL line of a splice repeats it); in the native format, which a Squid that
 * does not bump yet writes once per CONNECT, every CONNECT that http_access let through. */
static bool is_tls_decision(const struct ctl_logrec *r)
{
    if (!strncmp(r->code, "TCP_DENIED", 10)) /* refused before any ssl_bump decision */
        return false;
    if (r->native)
        return true;
    return r->bump && (!strcmp(r->bump, "splice") || !strcmp(r->bump, "bump") ||
                       !strcmp(r->bump, "terminate")) && strncmp(r->code, "TCP_TUNNEL", 10);
}

static void replay_conn(struct replay *rp, const struct ctl_logrec *r, const struct ctl_target *t)
{
    char newk[KEY_MAX], oldk[KEY_MAX];

    rp->conns++;
    rp->native_conns += r->native;
    rp->vn[tls_key(rp->pol, r, t, newk, sizeof(newk))]++;
    if (rp->base)
        tls_key(rp->base, r, t, oldk, sizeof(oldk));
    else if (r->native) /* Squid's own format records no decision */
        snprintf(oldk, sizeof(oldk), "unknown");
    else
        logged_tls_key(r, oldk, sizeof(oldk));
    tally_add(&rp->tls, newk, NULL, 0);
    if (rp->base || !r->native)
        compare(rp, &rp->tls_changes, oldk, newk, r, r->sni ? r->sni : t->host);
}

static bool is_undecided(const char *key)
{
    return !strncmp(key, "undecided-", 10);
}

/* The response phase of a request whose RESPMOD answer the log shows (a request blocked in
 * REQMOD, or served from the cache, had none). */
static void replay_response(struct replay *rp, const struct ctl_logrec *r,
                            const struct ctl_target *t)
{
    char newk[KEY_MAX], oldk[KEY_MAX];

    rp->resps++;
    sec_key(rp->pol, SI_PHASE_RESPONSE, r, t, newk, sizeof(newk));
    if (rp->base)
        sec_key(rp->base, SI_PHASE_RESPONSE, r, t, oldk, sizeof(oldk));
    else
        logged_sec_key(r->respmod, oldk, sizeof(oldk));
    tally_add(&rp->resp, newk, NULL, 0);
    if (!is_undecided(newk) && !is_undecided(oldk))
        compare(rp, &rp->resp_changes, oldk, newk, r, r->url);
}

static void replay_request(struct replay *rp, const struct ctl_logrec *r,
                           const struct ctl_target *t)
{
    char newk[KEY_MAX], oldk[KEY_MAX];
    bool logged = r->reqmod != NULL;

    rp->reqs++;
    rp->unphased += r->verdict_unphased;
    sec_key(rp->pol, SI_PHASE_REQUEST, r, t, newk, sizeof(newk));
    if (rp->base)
        sec_key(rp->base, SI_PHASE_REQUEST, r, t, oldk, sizeof(oldk));
    else if (logged)
        logged_sec_key(r->reqmod, oldk, sizeof(oldk));
    tally_add(&rp->sec, newk, NULL, 0);
    if (rp->base || logged)
        compare(rp, &rp->sec_changes, oldk, newk, r, r->url);
    if (r->respmod)
        replay_response(rp, r, t);
}

static void replay_line(struct replay *rp, const char *line)
{
    struct ctl_logrec *r = malloc(sizeof(*r));
    struct ctl_target t = {0};
    char err[256];

    rp->lines++;
    if (!r || !ctl_log_parse(line, r))
        goto out;
    if (r->native)
        rp->native++;
    else
        rp->parsed++;
    if (ctl_target_parse(r->url, &t, err, sizeof(err)) < 0)
        goto out;
    if (strcmp(r->method, "CONNECT") != 0)
        replay_request(rp, r, &t);
    else if (is_tls_decision(r))
        replay_conn(rp, r, &t);
out:
    free(r);
}

static int replay_file(struct replay *rp, const char *path)
{
    FILE *fp = strcmp(path, "-") ? fopen(path, "r") : stdin;
    char *line = NULL;
    size_t cap = 0;

    if (!fp) {
        fprintf(stderr, "inspect-ctl replay: cannot open %s\n", path);
        return -1;
    }
    while (getline(&line, &cap, fp) > 0)
        replay_line(rp, line);
    free(line);
    if (fp != stdin)
        fclose(fp);
    return 0;
}

static void print_verify_name_summary(const struct replay *rp)
{
    unsigned long n = rp->vn[VN_VERIFIED] + rp->vn[VN_FAILED] + rp->vn[VN_UNPROBED];

    if (n)
        printf("# %lu connection%s depend%s on name verification (verify-name): %lu verified in "
               "the log, %lu failed it, %lu never probed\n", n, n == 1 ? "" : "s",
               n == 1 ? "s" : "", rp->vn[VN_VERIFIED], rp->vn[VN_FAILED], rp->vn[VN_UNPROBED]);
}

static void report(struct replay *rp, const char *polpath, const char *basepath)
{
    printf("# replay: %lu lines, %lu in the inspect format", rp->lines, rp->parsed);
    if (rp->native)
        printf(", %lu in Squid's native format", rp->native);
    printf(": %lu TLS connections, %lu requests, %lu with a logged response phase\n", rp->conns,
           rp->reqs, rp->resps);
    printf("# policy %s (digest %s); compared with %s%s%s\n", polpath, si_policy_digest(rp->pol),
           rp->base ? "baseline " : "what the log recorded (tls=, req_verdict=, verdict=)",
           rp->base ? basepath : "", rp->base ? "" : "");
    if (rp->native_conns && !rp->base)
        printf("# %lu connections from native-format lines have no recorded decision (unknown): "
               "compare with --baseline to see changes\n", rp->native_conns);
    if (rp->unphased)
        printf("# %lu requests carry a verdict without phase= (a log from before req_verdict=): "
               "their ICAP verdicts were not compared\n", rp->unphased);
    print_verify_name_summary(rp);
    tallies_print(&rp->tls, "https-inspection decisions (per connection):", "(no TLS connection)");
    tallies_print(&rp->tls_changes, "https-inspection changes (before -> after):",
                  rp->base || rp->native_conns < rp->conns ?
                  "none: every connection would be treated as before" :
                  "none known: native-format lines record no decision to compare with");
    tallies_print(&rp->sec, "security-policy, request phase (from the log: no headers, no body):",
                  "(no request)");
    tallies_print(&rp->sec_changes, "security-policy changes, request phase (before -> after):",
                  rp->base ? "none" : "none (or no verdicts in the log to compare with)");
    tallies_print(&rp->resp, "security-policy, response phase (from the log: no response, so "
                  "rules testing it are undecided):", "(no response phase in the log)");
    tallies_print(&rp->resp_changes, "security-policy changes, response phase (before -> after):",
                  "none (undecided ones are not counted)");
}

static const char replay_usage[] =
    "usage: inspect-ctl replay POLICY [--baseline OLD_POLICY] [--examples N] ACCESS_LOG...\n"
    "  Runs an access log (inspect logformat, or Squid's native one) through POLICY: decisions\n"
    "  per rule, and what would change against OLD_POLICY (or against what the log recorded).\n";

int ctl_replay_main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"baseline", required_argument, NULL, 'b'}, {"examples", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    struct replay rp = {.max_examples = 3};
    const char *base = NULL;
    char err[4096];
    int c, rc = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'b': base = optarg; break;
        case 'e': rp.max_examples = (unsigned)atoi(optarg); break;
        case 'h': fputs(replay_usage, stdout); return 0;
        default: fputs(replay_usage, stderr); return 2;
        }
    }
    if (argc - optind < 2) {
        fputs(replay_usage, stderr);
        return 2;
    }
    if (!(rp.pol = si_policy_load(argv[optind], err, sizeof(err))) ||
        (base && !(rp.base = si_policy_load(base, err, sizeof(err))))) {
        fprintf(stderr, "%s\n", err);
        si_policy_unref(rp.pol);
        return 1;
    }
    for (int i = optind + 1; i < argc; i++) {
        if (replay_file(&rp, argv[i]) < 0)
            rc = 1;
    }
    report(&rp, argv[optind], base);
    tallies_free(&rp.tls);
    tallies_free(&rp.tls_changes);
    tallies_free(&rp.sec);
    tallies_free(&rp.sec_changes);
    tallies_free(&rp.resp);
    tallies_free(&rp.resp_changes);
    si_policy_unref(rp.pol);
    si_policy_unref(rp.base);
    return rc;
}
