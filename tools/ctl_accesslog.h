/*
 * ctl_accesslog.h: reads one line of Squid's access log in the squid-inspect `inspect`
 * logformat (squid_conf/squid-inspect.conf.in):
 *
 *   TIME ELAPSED CLIENT CODE/STATUS BYTES METHOD URL USER key=value ...
 *
 * Keys used by inspect-ctl: bump (%ssl::bump_mode), sni, cport (client port), tls
 * (%note{clt_conn_tag} = ACTION:RULE:CODE from inspect-bump), err (%err_code/%err_detail),
 * cert_errors, rev (%note{si_rev}: the origin certificate's revocation state: good, revoked,
 * undetermined:REASON, undetermined-refused, off), verdict (the last ICAP answer: srv_inspect's
 * X-Inspect-Verdict header), req_verdict (the REQMOD answer when a RESPMOD answer followed), fail
 * (%note{si_fail}), groups (the user's groups, comma-separated: %note{si_group_} by default), ref
 * (sq-START-XACTION: the reference on Squid's error pages). Values may
 * be "quoted"; "-" means empty. Unknown keys are ignored, so older or extended formats parse.
 *
 * The verdicts of the two ICAP phases (reqmod, respmod) come from verdict and req_verdict by the
 * "phase=reqmod|respmod" word srv_inspect writes into each. A line from before that word (no
 * req_verdict= field, verdict without phase=) sets verdict_unphased: its verdict is the last
 * ICAP answer, of either phase.
 *
 * Squid's default native `squid` logformat shares the first 8 fields and goes on with
 * HIERARCHY/PEER and the content type (no key=value fields):
 *
 *   TIME ELAPSED CLIENT CODE/STATUS BYTES METHOD URL USER HIER_DIRECT/192.0.2.10 text/html
 *
 * Such a line parses too, with rec->native set and none of the keys above.
 *
 * Ownership: a record points into its own copy of the line (rec->buf).
 * Thread-safety: reentrant.
 */
#ifndef CTL_ACCESSLOG_H
#define CTL_ACCESSLOG_H

#include <stdbool.h>
#include <stdio.h>

#define CTL_LOG_LINE_MAX 16384

struct ctl_logrec {
    double time;
    const char *client, *code, *method, *url, *user; /* user NULL for "-" */
    int status;
    long long bytes;
    const char *bump, *sni, *cport, *tls, *err, *cert_errors, *rev, *verdict, *req_verdict, *fail,
        *groups, *ref; /* NULL = absent/"-" */
    const char *reqmod, *respmod; /* the verdict of each ICAP phase, NULL = none logged */
    bool verdict_unphased;        /* verdict set, but no phase= in it (an older log) */
    char tls_action[32], tls_rule[128], tls_code[32]; /* split from tls, "" when absent */
    bool native;          /* a line of Squid's native `squid` logformat (no key=value fields) */
    char buf[CTL_LOG_LINE_MAX];
};

/* Returns true when the line is an `inspect` or native format line (it needs the first 8 fields). */
bool ctl_log_parse(const char *line, struct ctl_logrec *rec);

/* For commands that need the inspect logformat's fields: says on out, when native > 0, that
 * that many lines were in Squid's native format and were skipped. */
void ctl_log_native_note(FILE *out, const char *command, unsigned long native);

/* The server name of a record: SNI, else the host of a CONNECT/https URL, else NULL.
 * Writes into host (size hostsize). */
const char *ctl_log_server_name(const struct ctl_logrec *rec, char *host, unsigned hostsize);

#endif
