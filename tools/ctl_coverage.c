/*
 * ctl_coverage.c: `inspect-ctl coverage ACCESS_LOG...`: how much traffic was really inspected.
 * TLS connections by what happened (inspected, bypassed, terminated, refused without a
 * decision) and by rule; bumped connections by the revocation state of the origin certificate
 * (rev=: those whose status was not confirmed, undetermined:REASON, counted apart); requests by
 * whether the ICAP service gave a verdict; every failure word of the fail= field. Reads the
 * `inspect` logformat (ctl_accesslog.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_accesslog.h"
#include "ctl_policy.h"

#define MAX_KEYS 256

struct counts {
    char *key[MAX_KEYS];
    unsigned long n[MAX_KEYS];
    size_t used;
    unsigned long other; /* keys beyond MAX_KEYS */
};

struct coverage {
    unsigned long lines, parsed, native, conns, reqs, verdicts, bumped, undetermined;
    struct counts outcome, rules, fails, revs;
};

static void count(struct counts *c, const char *key)
{
    for (size_t i = 0; i < c->used; i++) {
        if (!strcmp(c->key[i], key)) {
            c->n[i]++;
            return;
        }
    }
    if (c->used == MAX_KEYS || !(c->key[c->used] = strdup(key))) {
        c->other++;
        return;
    }
    c->n[c->used++] = 1;
}

static void counts_print(const struct counts *c, const char *title, unsigned long total)
{
    printf("%s\n", title);
    if (!c->used)
        printf("  (none)\n");
    for (size_t i = 0; i < c->used; i++)
        printf("  %8lu %5.1f%%  %s\n", c->n[i], total ? 100.0 * c->n[i] / total : 0.0, c->key[i]);
    if (c->other)
        printf("  %8lu         (other keys)\n", c->other);
}

static void counts_free(struct counts *c)
{
    for (size_t i = 0; i < c->used; i++)
        free(c->key[i]);
}

static const char *outcome(const struct ctl_logrec *r)
{
    if (!strncmp(r->code, "TCP_DENIED", 10))
        return r->fail && strstr(r->fail, "no-decision") ? "refused: no decision (failed closed)"
                                                          : "refused by http_access";
    if (!strcmp(r->bump, "splice"))
        return r->tls ? "bypassed (spliced, bytes untouched)"
                      : "spliced WITHOUT a decision (failed open)";
    if (!strcmp(r->bump, "terminate"))
        return "terminated";
    if (r->fail && !strcmp(r->fail, "client-rejected-cert"))
        return "bumped, client rejected the forged certificate";
    if (r->fail && strstr(r->fail, "origin-tls"))
        return "bumped, origin TLS failed (failed closed)";
    return "inspected (bumped)";
}

/* The outcome of a connection whose bytes after CONNECT were not TLS, from its fail= word. */
static const char *not_tls_outcome(const char *fail)
{
    if (strstr(fail, "failed-open"))
        return "not TLS, tunnelled uninspected (failed open)";
    if (strstr(fail, "refused"))
        return "not TLS, refused";
    return "not TLS (see the tunnel's line)";
}

/* The revocation state of a bumped connection (its CONNECT line's rev=). */
static void count_rev(struct coverage *cv, const struct ctl_logrec *r)
{
    if (strcmp(r->bump, "bump") != 0)
        return;
    cv->bumped++;
    if (r->rev && !strncmp(r->rev, "undetermined", 12))
        cv->undetermined++;
    count(&cv->revs, r->rev ? r->rev : "- (no revocation state: refused for another reason, "
                                       "or no validator)");
}

static void add_line(struct coverage *cv, const char *line)
{
    struct ctl_logrec *r = malloc(sizeof(*r));

    cv->lines++;
    if (!r || !ctl_log_parse(line, r))
        goto out;
    if (r->native) { /* Squid's own format: no bump mode, decision or failure word to count */
        cv->native++;
        goto out;
    }
    cv->parsed++;
    if (r->fail)
        count(&cv->fails, r->fail);
    if (!strcmp(r->method, "CONNECT") && r->bump && !strcmp(r->bump, "peek") && r->fail &&
        strstr(r->fail, "not-tls")) {
        /* The client's bytes were not TLS: Squid never got past peeking. One CONNECT line per
         * connection (a tunnel that followed logs its own line, method "-"). */
        cv->conns++;
        count(&cv->outcome, not_tls_outcome(r->fail));
    } else if (!strcmp(r->method, "CONNECT")) {
        /* One line per connection. A decided splice logs its step-2 line then a TCP_TUNNEL
         * line: count the first. An undecided one logs a step-2 line without tls= and then the
         * refusal (TCP_DENIED) or the tunnel (TCP_TUNNEL, failed open): count the second. */
        bool tunnel = !strncmp(r->code, "TCP_TUNNEL", 10), denied = !strncmp(r->code, "TCP_DENIED", 10);
        if (!r->bump || (strcmp(r->bump, "splice") && strcmp(r->bump, "bump") &&
                         strcmp(r->bump, "terminate")))
            goto out;
        if (!strcmp(r->bump, "splice") && (r->tls ? tunnel : !(tunnel || denied)))
            goto out;
        cv->conns++;
        count(&cv->outcome, outcome(r));
        count_rev(cv, r);
        if (r->tls_action[0]) {
            char k[256];
            snprintf(k, sizeof(k), "%s by rule %s (%s)", r->tls_action, r->tls_rule, r->tls_code);
            count(&cv->rules, k);
        }
    } else if (strcmp(r->method, "-") != 0) {
        cv->reqs++;
        if (r->verdict)
            cv->verdicts++;
    }
out:
    free(r);
}

int ctl_coverage_main(int argc, char **argv)
{
    struct coverage cv;
    int rc = 0;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs("usage: inspect-ctl coverage ACCESS_LOG...\n"
              "  What share of the traffic was inspected, bypassed (by rule), terminated or\n"
              "  failed, the revocation state of bumped connections (rev=), and every failure\n"
              "  word of the log.\n", argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    memset(&cv, 0, sizeof(cv));
    for (int i = 1; i < argc; i++) {
        FILE *fp = strcmp(argv[i], "-") ? fopen(argv[i], "r") : stdin;
        char *line = NULL;
        size_t cap = 0;
        if (!fp) {
            fprintf(stderr, "inspect-ctl coverage: cannot open %s\n", argv[i]);
            rc = 1;
            continue;
        }
        while (getline(&line, &cap, fp) > 0)
            add_line(&cv, line);
        free(line);
        if (fp != stdin)
            fclose(fp);
    }
    printf("# coverage: %lu lines, %lu in the inspect format: %lu TLS connections, %lu requests\n",
           cv.lines, cv.parsed, cv.conns, cv.reqs);
    ctl_log_native_note(stdout, "coverage", cv.native);
    counts_print(&cv.outcome, "TLS connections by what happened:", cv.conns);
    counts_print(&cv.rules, "TLS connections by inspection decision:", cv.conns);
    printf("bumped connections whose revocation status was not confirmed (rev=undetermined...): "
           "%lu of %lu\n", cv.undetermined, cv.bumped);
    counts_print(&cv.revs, "bumped connections by revocation state (rev=):", cv.bumped);
    printf("requests with an ICAP verdict: %lu of %lu (%.1f%%)\n", cv.verdicts, cv.reqs,
           cv.reqs ? 100.0 * cv.verdicts / cv.reqs : 0.0);
    counts_print(&cv.fails, "failure words (fail=), per log line:", cv.parsed);
    counts_free(&cv.outcome);
    counts_free(&cv.rules);
    counts_free(&cv.fails);
    counts_free(&cv.revs);
    return rc;
}
