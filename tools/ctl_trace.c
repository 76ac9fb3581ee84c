/* ctl_trace.c: `inspect-ctl trace REF` (ctl_trace.h): options, the access-log side (the
 * transaction's line and the lines of its client connection) and the order of the output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_trace.h"

#define EXIT_NOT_FOUND 1
#define EXIT_USAGE 2
#define EXIT_IO 3

static const char usage[] =
    "usage: inspect-ctl trace [--access-log FILE] [--cache-log FILE] [--icap-log FILE] REF\n"
    "  REF: si-... (srv_inspect's block page) or sq-TIME-ID (Squid's error pages, ref= field)\n"
    "  defaults: /var/log/squid/access.log, /var/log/squid/cache.log, /var/log/c-icap/server.log\n"
    "  exit: 0 found, 1 REF in none of the logs, 2 usage or malformed REF, 3 a log unreadable\n";

struct trace {
    const char *ref, *access, *cache, *icap;
    struct ctl_logrec target;
    bool found;
    char *conn[CTL_TRACE_MAX_LINES]; /* lines of the same client address and cport */
    size_t nconn;
};

static double rec_start(const struct ctl_logrec *r)
{
    double t = ctl_trace_ref_time(r->ref);
    return t >= 0 ? t : r->time;
}

static bool is_target(const struct ctl_logrec *r, const char *ref)
{
    if (!strncmp(ref, "si-", 3))
        return ctl_trace_verdict_has_ref(r->verdict, ref) ||
               ctl_trace_verdict_has_ref(r->req_verdict, ref);
    if (!r->ref || strncmp(r->ref, ref, strlen(ref)))
        return false;
    /* Squid 7 writes "sq-T--" where the page shows "sq-T-" (no transaction id) */
    return !r->ref[strlen(ref)] || !strcmp(r->ref + strlen(ref), "-");
}

static bool same_conn(const struct ctl_logrec *r, const struct ctl_logrec *t)
{
    return r->cport && t->cport && !strcmp(r->cport, t->cport) && !strcmp(r->client, t->client) &&
           r->time > rec_start(t) - 86400 && rec_start(r) < t->time + 86400;
}

/* One pass: the target line, and every line of its client address and port near it. */
static void scan_access(FILE *f, struct trace *tr)
{
    static char line[CTL_LOG_LINE_MAX];
    static struct ctl_logrec r;

    while (fgets(line, sizeof(line), f)) {
        if (!ctl_log_parse(line, &r) || r.native)
            continue;
        if (!tr->found && is_target(&r, tr->ref)) {
            ctl_log_parse(line, &tr->target); /* its fields point into its own buf */
            tr->found = true;
            rewind(f);
            continue;
        }
        if (tr->found && tr->target.cport && same_conn(&r, &tr->target) &&
            tr->nconn < CTL_TRACE_MAX_LINES)
            tr->nconn += (tr->conn[tr->nconn] = strndup(line, strcspn(line, "\r\n"))) != NULL;
    }
}

static int by_start(const void *a, const void *b)
{
    static struct ctl_logrec ra, rb;
    double x, y;

    ctl_log_parse(*(char *const *)a, &ra);
    ctl_log_parse(*(char *const *)b, &rb);
    x = rec_start(&ra), y = rec_start(&rb);
    return x < y ? -1 : x > y;
}

/* The slice [*lo, *hi) of tr->conn that is the target's connection: from the CONNECT at or
 * before the target to the next CONNECT, or a pause of CTL_TRACE_GAP seconds. */
static size_t conn_slice(struct trace *tr, size_t *lo, size_t *hi, struct ctl_logrec *connect)
{
    static struct ctl_logrec r, prev;
    double ts = rec_start(&tr->target), last;
    size_t at = 0;

    qsort(tr->conn, tr->nconn, sizeof(tr->conn[0]), by_start);
    for (size_t i = 0; i < tr->nconn; i++) {
        if (ctl_log_parse(tr->conn[i], &r) && rec_start(&r) <= ts)
            at = i;
    }
    for (*lo = at; *lo > 0; (*lo)--) {
        ctl_log_parse(tr->conn[*lo], &r);
        ctl_log_parse(tr->conn[*lo - 1], &prev);
        if (!strcmp(r.method, "CONNECT") || rec_start(&r) - prev.time > CTL_TRACE_GAP)
            break;
    }
    ctl_log_parse(tr->conn[*lo], connect);
    ctl_log_parse(tr->conn[at], &r);
    last = r.time;
    for (*hi = at + 1; *hi < tr->nconn; (*hi)++) {
        ctl_log_parse(tr->conn[*hi], &r);
        if (!strcmp(r.method, "CONNECT") || rec_start(&r) - last > CTL_TRACE_GAP)
            break;
        if (r.time > last)
            last = r.time;
    }
    return *hi - *lo;
}

static FILE *open_log(const char *what, const char *path)
{
    FILE *f = fopen(path, "r");

    if (!f)
        fprintf(stderr, "inspect-ctl trace: cannot read %s %s: %s (point to it with --%s)\n",
                what, path, strerror(errno),
                !strcmp(what, "Squid's access log") ? "access-log"
                : !strcmp(what, "Squid's cache.log") ? "cache-log" : "icap-log");
    return f;
}

static int parse_args(int argc, char **argv, struct trace *tr)
{
    for (int i = 1; i < argc; i++) {
        const char **dst = !strcmp(argv[i], "--access-log") ? &tr->access
                           : !strcmp(argv[i], "--cache-log") ? &tr->cache
                           : !strcmp(argv[i], "--icap-log") ? &tr->icap : NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (dst && i + 1 < argc)
            *dst = argv[++i];
        else if (argv[i][0] != '-' && !tr->ref)
            tr->ref = argv[i];
        else
            return EXIT_USAGE;
    }
    if (!tr->ref)
        return EXIT_USAGE;
    if (!ctl_trace_ref_valid(tr->ref)) {
        fprintf(stderr, "inspect-ctl trace: malformed reference '%.80s': expected si-HEX-HEX-N "
                        "(block page) or sq-SECONDS.MMM-N (Squid's error pages)\n", tr->ref);
        return EXIT_USAGE;
    }
    return -1;
}

/* Prints the connection's access-log lines; *connect = its first (CONNECT) line. */
static bool print_access(FILE *out, struct trace *tr, struct ctl_logrec *connect)
{
    size_t lo, hi;

    fprintf(out, "== Squid access log (%s)\n", tr->access);
    if (!tr->found) {
        fprintf(out, "   (no line with %s)\n", tr->ref);
        return false;
    }
    if (!tr->nconn || !conn_slice(tr, &lo, &hi, connect)) {
        fputs(tr->target.buf, out);
        fputc('\n', out);
        return false;
    }
    for (size_t i = lo; i < hi; i++)
        fprintf(out, "%s%s\n", strstr(tr->conn[i], tr->target.ref ? tr->target.ref : "\1")
                                   ? "> " : "  ", tr->conn[i]);
    return !strcmp(connect->method, "CONNECT");
}

static size_t service_refs(const struct trace *tr, char refs[][64])
{
    size_t n = 0;

    if (!strncmp(tr->ref, "si-", 3))
        snprintf(refs[n++], 64, "%s", tr->ref);
    if (tr->found && ctl_trace_verdict_ref(tr->target.req_verdict, refs[n], 64) &&
        (!n || strcmp(refs[n], refs[0])))
        n++;
    if (tr->found && ctl_trace_verdict_ref(tr->target.verdict, refs[n], 64) &&
        (!n || strcmp(refs[n], refs[0])))
        n++;
    return n;
}

static void print_helpers(FILE *out, FILE *cf, const struct trace *tr,
                          const struct ctl_logrec *connect, bool have_connect,
                          struct ctl_trace_facts *facts)
{
    char host[256];
    const struct ctl_logrec *k = have_connect ? connect : &tr->target;
    struct ctl_trace_query q = {k->client, NULL, rec_start(k), k->time};

    fprintf(out, "== helpers in cache.log (%s), by client, server name and time\n", tr->cache);
    q.server = tr->found ? ctl_log_server_name(k, host, sizeof(host)) : NULL;
    if (!q.server)
        fprintf(out, "   (not a TLS connection: no helper decides on it)\n");
    else if (!ctl_trace_helpers(cf, out, &q, facts))
        fprintf(out, "   (none found for %s at that time)\n", q.server);
}

static int run(struct trace *tr, FILE *af, FILE *cf, FILE *icf)
{
    struct ctl_logrec *connect = calloc(1, sizeof(*connect));
    struct ctl_trace_facts facts;
    char refs[3][64];
    size_t nrefs;
    unsigned nsvc;
    bool have_connect;

    if (!connect)
        return EXIT_IO;
    memset(&facts, 0, sizeof(facts));
    scan_access(af, tr);
    have_connect = print_access(stdout, tr, connect);
    print_helpers(stdout, cf, tr, connect, have_connect, &facts);
    nrefs = service_refs(tr, refs);
    printf("== srv_inspect decisions in c-icap's server log (%s)\n", tr->icap);
    nsvc = nrefs ? ctl_trace_service(icf, stdout, refs, nrefs, &facts) : 0;
    if (!nsvc)
        printf("   (none: %s)\n", nrefs ? "not logged (with inspect.LogAllowed off, allowed "
                                          "requests are not)" : "no ICAP verdict on this line");
    if (tr->found)
        ctl_trace_summary(stdout, &tr->target, have_connect ? connect : NULL, &facts);
    free(connect);
    if (!tr->found && !nsvc) {
        fprintf(stderr, "inspect-ctl trace: %s not found in the logs\n", tr->ref);
        return EXIT_NOT_FOUND;
    }
    if (!tr->found)
        printf("Summary: outcome=%s rule=%s. Only srv_inspect's line was found (the access-log "
               "line may be in a rotated file): %s.\n", facts.svc_action, facts.svc_rule,
               facts.svc_reason);
    return 0;
}

int ctl_trace_main(int argc, char **argv)
{
    struct trace *tr = calloc(1, sizeof(*tr));
    FILE *af = NULL, *cf = NULL, *icf = NULL;
    int rc;

    if (!tr)
        return EXIT_IO;
    tr->access = "/var/log/squid/access.log";
    tr->cache = "/var/log/squid/cache.log";
    tr->icap = "/var/log/c-icap/server.log";
    rc = parse_args(argc, argv, tr);
    if (rc == EXIT_USAGE && (!tr->ref || ctl_trace_ref_valid(tr->ref)))
        fputs(usage, stderr);
    if (rc < 0) {
        af = open_log("Squid's access log", tr->access);
        cf = open_log("Squid's cache.log", tr->cache);
        icf = open_log("c-icap's server log", tr->icap);
        rc = af && cf && icf ? run(tr, af, cf, icf) : EXIT_IO;
    }
    if (af)
        fclose(af);
    if (cf)
        fclose(cf);
    if (icf)
        fclose(icf);
    for (size_t i = 0; i < tr->nconn; i++)
        free(tr->conn[i]);
    free(tr);
    return rc;
}
