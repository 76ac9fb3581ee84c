/*
 * inspect-ocsp: Squid sslcrtvalidator_program that passes Squid's chain errors through and adds
 * revocation checking (OCSP, then CRL), with a soft/hard-fail policy: the <certificate-validation>
 * section of the squid-inspect policy file, or the built-in policy its options make
 * (cli_policy.h), kept by lib/policy_holder. See inspect-ocsp(8).
 * The exchange with Squid: lib/helper_io.h (framing) and lib/crtvd_request.h (bodies).
 *
 * Concurrency: one reader thread (this one) and a fixed pool of worker threads.
 * - The reader parses the framing (lib/helper_io) and queues each request that carries a channel
 *   ID; any idle worker takes it, validates it and writes the reply for that ID as soon as it is
 *   ready (replies are written whole under helper_io's lock). A black-holed responder therefore
 *   ties up only the workers whose requests need it, for at most its deadline, and the negative
 *   cache makes later requests skip it at once; every other ID is answered meanwhile.
 * - Without IDs (concurrency=0) Squid needs replies in request order, so the reader validates
 *   such requests itself, one at a time.
 * Threads rather than a poll loop over non-blocking OSSL_HTTP_REQ_CTX: validation also does chain
 * building, signature checks and CRL parsing, which would stall a single loop, and the blocking
 * steps that remain (DNS, connect, HTTP) are bounded by per-request deadlines in fetch.c.
 *
 * Ownership: the queue owns queued requests; a worker owns the request it took.
 * Thread-safety: the queue is guarded by one mutex and condition variable.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "chain_complete.h"
#include "crtvd_request.h"
#include "helper_io.h"
#include "cli_policy.h"
#include "log.h"
#include "policy_holder.h"
#include "settings.h"
#include "validate.h"

#define MAX_BODY (1024 * 1024)

struct job {
    struct job *next;
    struct si_helper_request req;
};

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct job *head, *tail;
    bool closing;
    struct oc_validator *v;
};

static void answer(struct oc_validator *v, struct si_helper_request *req)
{
    struct si_crtvd_reply reply = {0};
    const char *result;

    if (strcmp(req->code, "cert_validate") != 0) {
        si_warn("request code '%.31s' is not cert_validate; answered BH", req->code);
        si_helper_reply_bh(STDOUT_FILENO, req, "unknown request code %s", req->code);
        return;
    }
    result = oc_validator_run(v, req->body, req->body_len, &reply);
    if (si_helper_reply(STDOUT_FILENO, req, result, reply.buf, reply.len) < 0)
        si_error("cannot write the reply to Squid: %s", strerror(errno));
    si_crtvd_reply_free(&reply);
}

static void *worker(void *arg)
{
    struct pool *p = arg;

    for (;;) {
        struct job *j;

        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->closing)
            pthread_cond_wait(&p->cond, &p->lock);
        j = p->head;
        if (j) {
            p->head = j->next;
            if (!p->head)
                p->tail = NULL;
        }
        pthread_mutex_unlock(&p->lock);
        if (!j)
            return NULL;
        answer(p->v, &j->req);
        si_helper_request_clear(&j->req);
        free(j);
    }
}

static void enqueue(struct pool *p, struct si_helper_request *req)
{
    struct job *j = calloc(1, sizeof(*j));

    if (!j) {
        si_helper_reply_bh(STDOUT_FILENO, req, "validator out of memory");
        si_helper_request_clear(req);
        return;
    }
    j->req = *req; /* takes the body */
    memset(req, 0, sizeof(*req));
    pthread_mutex_lock(&p->lock);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static void read_loop(struct pool *p, struct si_policy_holder *holder)
{
    struct si_helper_reader *r = si_helper_reader_new(STDIN_FILENO, MAX_BODY);
    struct si_helper_request req;
    bool ids_seen = false; /* Squid runs us with concurrency >= 1 */
    char err[256];

    if (!r) {
        si_error("out of memory at start-up");
        return;
    }
    for (;;) {
        enum si_read_status st = si_helper_read(r, &req, err, sizeof(err));

        if (st == SI_READ_EOF)
            break;
        si_policy_holder_poll(holder, 0); /* a stat a request: each sees the current file */
        ids_seen = ids_seen || req.has_id;
        if (st == SI_READ_BAD) {
            /* With IDs in use, a reply without one would be taken for channel 0 and could cost
             * Squid the next real reply: only a request whose ID was read is answered. */
            si_warn("bad request from Squid: %s%s", err,
                    ids_seen && !req.has_id ? " (no ID: not answered)" : "");
            if (req.has_id || !ids_seen)
                si_helper_reply_bh(STDOUT_FILENO, &req, "bad request: %s", err);
            si_helper_request_clear(&req);
            continue;
        }
        if (req.has_id) {
            enqueue(p, &req);
        } else {
            answer(p->v, &req);
            si_helper_request_clear(&req);
        }
    }
    si_helper_reader_free(r);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: inspect-ocsp [options]   (Squid sslcrtvalidator_program)\n"
            "  --policy=FILE           enforce the <certificate-validation> section of FILE\n"
            "                          (default " SI_DEFAULT_POLICY " when it exists)\n"
            "  --no-policy             enforce the built-in policy the options below make\n"
            "  --state-dir=DIR         write the policy status file for inspect-ctl status\n"
            "Built-in policy (no policy file, or the file cannot be loaded at start-up):\n"
            "  --revocation=off|soft|hard   default soft\n"
            "  --ocsp-timeout=DUR      whole OCSP exchange incl. DNS (3s, 1500ms, 1m); default 3s\n"
            "  --crl=off|fallback|always  CRL when OCSP gives no answer, or always; default fallback\n"
            "  --override=NAME=MODE    per server name (.example.com = domain and subdomains);\n"
            "                          repeatable, the first matching one applies\n"
            "Transport:\n"
            "  --crl-timeout=DUR       whole CRL download incl. DNS; default 5s\n"
            "  --check-intermediates   check intermediates too (default: leaf only)\n"
            "  --nonce                 send an OCSP nonce (default off)\n"
            "  --ca-file=FILE --ca-dir=DIR  trust anchors (default: OpenSSL's default paths)\n"
            "  --intermediates=FILE    PEM intermediates for chains sent incomplete (before\n"
            "                          AIA caIssuers, which is always tried)\n"
            "  --no-squid-anchor       do not trust the root at the end of an error-free chain\n"
            "                          from Squid (use with tls_outgoing_options DONT_VERIFY_PEER)\n"
            "  --threads=N             concurrent validations (default 32)\n"
            "  --cache-entries=N       per cache table (default 10000)\n"
            "  --debug | --quiet       log level\n");
}

struct opts {
    struct oc_settings s;
    struct oc_cli_policy cli;
    const char *policy, *state_dir, *ca_file, *ca_dir, *intermediates;
    bool no_policy, no_squid_anchor;
    long threads, cache_entries;
};

static int set_timeout(const char *arg, unsigned *out, const char *name)
{
    long ms = oc_duration_ms(arg);

    if (ms < 0) {
        fprintf(stderr, "inspect-ocsp: --%s: '%s' is not a duration like 3s or 1500ms\n", name, arg);
        return -1;
    }
    *out = (unsigned)ms;
    return 0;
}

/* Applies one option; -1 on a bad value. */
static int apply_option(struct opts *o, int c, const char *arg)
{
    char err[300];

    switch (c) {
    case 'p': o->policy = arg; return 0;
    case 'P': o->no_policy = true; return 0;
    case 'S': o->state_dir = arg; return 0;
    case 'T': return set_timeout(arg, &o->s.crl_timeout_ms, "crl-timeout");
    case 'r': case 't': case 'c': case 'o':
        if (oc_cli_policy_set(&o->cli, c, arg, err, sizeof(err)) == 0)
            return 0;
        fprintf(stderr, "inspect-ocsp: %s\n", err);
        return -1;
    case 'i': o->s.check_intermediates = true; return 0;
    case 'n': o->s.nonce = true; return 0;
    case 'f': o->ca_file = arg; return 0;
    case 'A': o->no_squid_anchor = true; return 0;
    case 'd': o->ca_dir = arg; return 0;
    case 'I': o->intermediates = arg; return 0;
    case 'j': o->threads = strtol(arg, NULL, 10); return o->threads >= 1 && o->threads <= 1024 ? 0 : -1;
    case 'e': o->cache_entries = strtol(arg, NULL, 10); return o->cache_entries >= 1 ? 0 : -1;
    case 'D': si_log_set_level(SI_LOG_DEBUG); return 0;
    case 'q': si_log_set_level(SI_LOG_WARN); return 0;
    }
    fprintf(stderr, "inspect-ocsp: bad value '%s'\n", arg ? arg : "");
    return -1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"policy", required_argument, NULL, 'p'}, {"no-policy", no_argument, NULL, 'P'},
        {"state-dir", required_argument, NULL, 'S'},
        {"revocation", required_argument, NULL, 'r'},
        {"ocsp-timeout", required_argument, NULL, 't'}, {"crl-timeout", required_argument, NULL, 'T'},
        {"crl", required_argument, NULL, 'c'}, {"override", required_argument, NULL, 'o'},
        {"check-intermediates", no_argument, NULL, 'i'}, {"nonce", no_argument, NULL, 'n'},
        {"ca-file", required_argument, NULL, 'f'}, {"ca-dir", required_argument, NULL, 'd'},
        {"no-squid-anchor", no_argument, NULL, 'A'},
        {"intermediates", required_argument, NULL, 'I'},
        {"threads", required_argument, NULL, 'j'}, {"cache-entries", required_argument, NULL, 'e'},
        {"debug", no_argument, NULL, 'D'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int c;

    oc_settings_defaults(&o->s);
    o->threads = 32;
    o->cache_entries = 10000;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (c == 'V') {
            printf("inspect-ocsp %s\n", PACKAGE_VERSION);
            exit(0);
        }
        if (c == '?' || apply_option(o, c, optarg) < 0) {
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "inspect-ocsp: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (o->no_policy)
        o->policy = NULL;
    else if (!o->policy && access(SI_DEFAULT_POLICY, R_OK) == 0)
        o->policy = SI_DEFAULT_POLICY; /* the file c-icap's service reads too */
    return 0;
}

/* The policy in force at start-up, with its section defaults (overrides: per server). */
static void log_started(struct si_policy_holder *holder, long workers, const struct opts *o)
{
    struct si_policy *p = si_policy_holder_get(holder);
    struct si_validation_settings vs;

    si_policy_validation_for(p, NULL, &vs);
    si_info("started: %ld workers, enforcing %s (digest %s): revocation=%s ocsp-timeout=%ums "
            "crl=%s crl-timeout=%ums intermediates=%s", workers, si_policy_source(p),
            si_policy_digest(p), si_revocation_name(vs.revocation), vs.ocsp_timeout_ms,
            si_crl_mode_name(vs.crl), o->s.crl_timeout_ms, o->s.check_intermediates ? "yes" : "no");
    if (o->policy && oc_cli_policy_given(&o->cli) &&
        strcmp(si_policy_source(p), OCSP_CLI_POLICY_NAME) != 0)
        si_warn("--revocation, --ocsp-timeout, --crl and --override are not in force: they make the "
                "built-in policy, enforced only when there is no policy file (--policy %s is)",
                o->policy);
    si_policy_unref(p);
}

/* The holder: the policy file (or none) with the built-in policy from the options. */
static struct si_policy_holder *policy_new(const struct opts *o, char *err, size_t errsize)
{
    struct si_policy *builtin = oc_cli_policy_build(&o->cli, err, errsize);
    struct si_policy_holder *h = builtin ? si_policy_holder_new(o->policy) : NULL;

    if (!h) {
        if (builtin)
            snprintf(err, errsize, "out of memory");
        si_policy_unref(builtin);
        return NULL;
    }
    si_policy_holder_configure(h, "inspect-ocsp", o->state_dir, NULL);
    si_policy_holder_set_builtin(h, builtin);
    /* A file that cannot be loaded does not stop the helper (Squid would stop: "helpers
     * crashing too rapidly"): the built-in policy is enforced, logged as such, until it loads. */
    si_policy_holder_poll(h, 0);
    return h;
}

static int run(struct opts *o)
{
    struct oc_validator v = {.no_squid_anchor = o->no_squid_anchor, .settings = &o->s};
    struct pool p = {.v = &v};
    pthread_t *tids = calloc((size_t)o->threads, sizeof(*tids));
    pthread_attr_t attr;
    char err[512];
    long started = 0;
    int rc = 1;

    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond, NULL);
    if (!tids || !(v.store = oc_validator_store_new(o->ca_file, o->ca_dir, err, sizeof(err))) ||
        !(v.policy = policy_new(o, err, sizeof(err))) ||
        !(v.cache = oc_rev_cache_new((size_t)o->cache_entries)) ||
        !(v.chains = oc_chain_cache_new((size_t)o->cache_entries, 300)) ||
        !(v.completer = oc_chain_completer_new(o->intermediates, (size_t)o->cache_entries, err,
                                            sizeof(err)))) {
        si_error("cannot start: %s", tids ? err : "out of memory");
        goto out;
    }
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    for (; started < o->threads; started++) {
        if (pthread_create(&tids[started], &attr, worker, &p) != 0)
            break;
    }
    pthread_attr_destroy(&attr);
    if (started == 0) {
        si_error("cannot start any worker thread");
        goto out;
    }
    log_started(v.policy, started, o);
    read_loop(&p, v.policy);
    rc = 0;
out:
    pthread_mutex_lock(&p.lock);
    p.closing = true;
    pthread_cond_broadcast(&p.cond);
    pthread_mutex_unlock(&p.lock);
    for (long i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    oc_rev_cache_free(v.cache);
    oc_chain_cache_free(v.chains);
    oc_chain_completer_free(v.completer);
    si_policy_holder_free(v.policy);
    X509_STORE_free(v.store);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o = {0};
    int rc;

    si_log_init("inspect-ocsp", SI_LOG_INFO);
    signal(SIGPIPE, SIG_IGN); /* a responder closing early must not kill the helper */
    if (parse_args(argc, argv, &o) < 0)
        return 2;
    rc = run(&o);
    oc_cli_policy_clear(&o.cli);
    return rc;
}
