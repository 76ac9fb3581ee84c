/*
 * ctl_trace.h: `inspect-ctl trace REF`: everything the logs say about one reference a user
 * quotes from a page: srv_inspect's block page (si-HEXTIME-HEXPID-N) or Squid's error pages
 * (sq-START-XACTION, the ref= field of the `inspect` logformat).
 *
 * It prints, in order: Squid's access-log lines of that client connection (same client address
 * and cport=, from its CONNECT on), the helpers' lines in cache.log for that connection
 * (inspect-bump's decisions, inspect-ocsp's validation, inspect-certgen's certificate line,
 * matched by client, server name and time), srv_inspect's decision lines in c-icap's server log
 * (by si- reference), then one summary paragraph: outcome, rule, reason.
 *
 * Exit status: 0 found, 1 the reference is in none of the logs, 2 usage error or malformed
 * REF, 3 a log file cannot be read.
 * Ownership: everything is freed before ctl_trace_main returns.
 * Thread-safety: none (one command per process).
 */
#ifndef CTL_TRACE_H
#define CTL_TRACE_H

#include <stdbool.h>
#include <stdio.h>

#include "ctl_accesslog.h"

#define CTL_TRACE_MAX_LINES 64   /* access-log lines kept for one connection */
#define CTL_TRACE_GAP 600.0      /* seconds of silence that end a connection without CONNECT */

/* What the helper and service lines said about the traced transaction. */
struct ctl_trace_facts {
    char bump_action[32], bump_rule[128], bump_reason[256]; /* inspect-bump decision */
    char ocsp_result[64], ocsp_reason[256];                  /* inspect-ocsp validation */
    char svc_action[32], svc_rule[128], svc_reason[256], svc_phase[16]; /* srv_inspect */
};

/* The helpers' lines to look for in cache.log. */
struct ctl_trace_query {
    const char *client, *server; /* server NULL: no TLS connection, no helper lines */
    double start, end;           /* the connection's first moment and its CONNECT line's time */
};

/* true when ref is "si-HEX-HEX-DIGITS" or "sq-DIGITS.DDD-[DIGITS]". */
bool ctl_trace_ref_valid(const char *ref);
/* The start time of an sq- reference (its %tS), or -1. */
double ctl_trace_ref_time(const char *ref);
/* true when the verdict header value v carries "ref=REF" (whole word). */
bool ctl_trace_verdict_has_ref(const char *v, const char *ref);
/* Copies the si- reference inside verdict value v into out (size n); false if none. */
bool ctl_trace_verdict_ref(const char *v, char *out, size_t n);
/* The value of key=VALUE (or key="VALUE") in msg into out (size n); false if absent. */
bool ctl_trace_kv(const char *msg, const char *key, char *out, size_t n);
/* Seconds since the epoch of an si_log line ("2026-12-05T05:06:07.971Z ident[pid] LEVEL: ..."),
 * -1 if the line has no such prefix; *msg = the text after "LEVEL: ". */
double ctl_trace_log_time(const char *line, const char **msg, char *ident, size_t identsize);

/* Prints the matching helper lines of cache log f; fills the bump and ocsp facts. */
unsigned ctl_trace_helpers(FILE *f, FILE *out, const struct ctl_trace_query *q,
                           struct ctl_trace_facts *facts);
/* Prints the c-icap server-log lines of f for the si- references refs (n of them); fills the
 * service facts from the refusing one, else the last one. Returns how many were printed. */
unsigned ctl_trace_service(FILE *f, FILE *out, char refs[][64], size_t n,
                           struct ctl_trace_facts *facts);
/* Prints the summary paragraph for target line t of connection c (c may be t or NULL). */
void ctl_trace_summary(FILE *out, const struct ctl_logrec *t, const struct ctl_logrec *c,
                       const struct ctl_trace_facts *facts);

int ctl_trace_main(int argc, char **argv);

#endif
