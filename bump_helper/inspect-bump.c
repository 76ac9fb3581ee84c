/*
 * inspect-bump: Squid external ACL helper that takes the ssl_bump step-2 decision (splice,
 * bump or terminate) from the <https-inspection> rules of the squid-inspect XML policy.
 *
 *   external_acl_type inspect_bump ttl=0 negative_ttl=0 concurrency=N ... \
 *       %>a %un %ssl::>sni %>rd %>rP %note{si_group_} \
 *       inspect-bump --policy /etc/squid-inspect/policy.xml
 * (the groups field is optional: decide.h lists the fields).
 *
 * The main thread reads requests and answers those it can decide at once. Bypass rules with
 * verify-name="true" need a TLS probe of the server (probe.h): with concurrency those go to a
 * small pool of probe threads and are answered out of order; without concurrency (no channel
 * IDs) they are probed inline. stdout carries replies only; diagnostics go to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decide.h"
#include "extacl_io.h"
#include "log.h"
#include "policy_watch.h"
#include "probe.h"

#define QUEUE_MAX 1024

/* A queued probe: the decision and the channel ID to answer on (not the whole request, whose
 * line buffer is large). */
struct job {
    bool has_id;
    char id[sizeof(((struct bp_extacl_request *)0)->id)];
    struct bp_decision d;
};

struct opts {
    const char *policy;
    const char *state_dir;
    struct bp_probe_opts probe;
    unsigned threads, queue, interval;
    enum si_inspect_action on_mismatch;
    bool quiet;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct job *q[QUEUE_MAX];
    size_t head, count, max;
    bool closing;
    struct bp_prober *prober;
    enum si_inspect_action on_mismatch;
    bool quiet;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* Answers the request on channel (has_id, id) with decision d, and logs the decision. */
static void answer(bool has_id, const char *id, const struct bp_decision *d)
{
    char kv[BP_EXTACL_LINE_MAX / 2];

    bp_format_reply(d, kv, sizeof(kv));
    if (bp_extacl_reply_to(STDOUT_FILENO, has_id, id, "OK", kv) < 0)
        si_error("cannot write reply to Squid: %s", strerror(errno));
    if (!pool.quiet)
        si_info("decision%s client=%s user=%s groups=%s server=%s action=%s rule=%s code=%s "
                "reason=\"%s\"", d->connect_mode ? " (CONNECT check)" : "", d->client, d->user,
                d->groups, d->server, si_inspect_action_name(d->action), d->rule, d->code,
                d->reason);
}

/* Probes, then answers on the channel (has_id, id) of the request. */
static void probe_and_answer(bool has_id, const char *id, struct bp_decision *d)
{
    char detail[160];
    bool cached;
    enum bp_probe_status st = bp_probe_check(pool.prober, d->probe_name, d->probe_host,
                                             d->probe_port, detail, sizeof(detail), &cached);

    if (cached)
        snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), " (cached)");
    bp_apply_probe(d, st, detail, pool.on_mismatch);
    answer(has_id, id, d);
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        struct job *j;
        pthread_mutex_lock(&pool.lock);
        while (pool.count == 0 && !pool.closing)
            pthread_cond_wait(&pool.cond, &pool.lock);
        if (pool.count == 0) {
            pthread_mutex_unlock(&pool.lock);
            return NULL;
        }
        j = pool.q[pool.head];
        pool.head = (pool.head + 1) % QUEUE_MAX;
        pool.count--;
        pthread_mutex_unlock(&pool.lock);
        probe_and_answer(j->has_id, j->id, &j->d);
        free(j);
    }
}

/* Queues a probe; false when the queue is full (the caller answers without probing). */
static bool enqueue(const struct bp_extacl_request *req, const struct bp_decision *d)
{
    struct job *j = malloc(sizeof(*j));
    bool ok = false;

    if (!j)
        return false;
    j->has_id = req->has_id;
    memcpy(j->id, req->id, sizeof(j->id));
    j->d = *d;
    pthread_mutex_lock(&pool.lock);
    if (pool.count < pool.max) {
        pool.q[(pool.head + pool.count) % QUEUE_MAX] = j;
        pool.count++;
        ok = true;
        pthread_cond_signal(&pool.cond);
    }
    pthread_mutex_unlock(&pool.lock);
    if (!ok)
        free(j);
    return ok;
}

static void handle(struct bp_watch *w, const struct bp_extacl_request *req, bool threaded)
{
    struct bp_decision d;
    char err[1024];
    struct si_policy *p = bp_watch_get(w, err, sizeof(err));

    if (!p) {
        bp_extacl_reply(STDOUT_FILENO, req, "BH", "message=\"no valid policy loaded\"");
        si_error("no decision (answered BH, Squid's fallback applies): %s", err);
        return;
    }
    if (bp_decide(p, req, &d, err, sizeof(err)) < 0) {
        bp_extacl_reply(STDOUT_FILENO, req, "BH", "message=\"bad request\"");
        si_error("bad request from Squid (answered BH): %s", err);
        return;
    }
    if (!d.need_probe) {
        answer(req->has_id, req->id, &d);
    } else if (!threaded || !req->has_id) {
        probe_and_answer(req->has_id, req->id, &d);
    } else if (!enqueue(req, &d)) {
        bp_apply_probe(&d, BP_PROBE_FAILED, "probe queue full", pool.on_mismatch);
        answer(req->has_id, req->id, &d);
    }
}

static const char usage[] =
    "usage: inspect-bump --policy FILE [--ca-file PEM] [--ca-path DIR]\n"
    "                    [--on-name-mismatch inspect|terminate] [--probe-timeout MS]\n"
    "                    [--probe-ttl S] [--probe-fail-ttl S] [--probe-threads N]\n"
    "                    [--check-interval S] [--state-dir DIR] [--quiet] [--debug]\n"
    "Squid external ACL helper: ssl_bump decisions from the <https-inspection> policy.\n"
    "Request fields: %>a %un %ssl::>sni %>rd %>rP [%note{GROUPS}] (see squid-inspect.conf).\n";

static unsigned uarg(const char *s, unsigned max)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*end || end == s || v > max) {
        fprintf(stderr, "inspect-bump: bad number '%s'\n%s", s, usage);
        exit(2);
    }
    return (unsigned)v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"policy", required_argument, NULL, 'p'},      {"ca-file", required_argument, NULL, 'c'},
        {"ca-path", required_argument, NULL, 'C'},     {"probe-timeout", required_argument, NULL, 't'},
        {"probe-ttl", required_argument, NULL, 'T'},   {"probe-fail-ttl", required_argument, NULL, 'F'},
        {"probe-threads", required_argument, NULL, 'n'}, {"check-interval", required_argument, NULL, 'i'},
        {"on-name-mismatch", required_argument, NULL, 'm'}, {"quiet", no_argument, NULL, 'q'},
        {"debug", no_argument, NULL, 'd'},             {"help", no_argument, NULL, 'h'},
        {"state-dir", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *o = (struct opts){.threads = 8, .queue = 256, .interval = 1,
                       .on_mismatch = SI_INSPECT_INSPECT,
                       .probe = {.timeout_ms = 3000, .ttl_ok = 600, .ttl_fail = 60}};
    while ((c = getopt_long(argc, argv, "p:qdh", lo, NULL)) != -1) {
        switch (c) {
        case 'p': o->policy = optarg; break;
        case 's': o->state_dir = optarg; break;
        case 'c': o->probe.ca_file = optarg; break;
        case 'C': o->probe.ca_path = optarg; break;
        case 't': o->probe.timeout_ms = uarg(optarg, 60000); break;
        case 'T': o->probe.ttl_ok = uarg(optarg, 86400); break;
        case 'F': o->probe.ttl_fail = uarg(optarg, 86400); break;
        case 'n': o->threads = uarg(optarg, 64); break;
        case 'i': o->interval = uarg(optarg, 3600); break;
        case 'q': o->quiet = true; break;
        case 'd': si_log_set_level(SI_LOG_DEBUG); break;
        case 'm':
            if (!strcmp(optarg, "inspect"))
                o->on_mismatch = SI_INSPECT_INSPECT;
            else if (!strcmp(optarg, "terminate"))
                o->on_mismatch = SI_INSPECT_TERMINATE;
            else
                goto bad;
            break;
        case 'h': fputs(usage, stdout); exit(0);
        default: goto bad;
        }
    }
    if (!o->policy || optind != argc)
        goto bad;
    return;
bad:
    fputs(usage, stderr);
    exit(2);
}

static void on_hup(int sig)
{
    (void)sig;
    bp_watch_request_reload();
}

int main(int argc, char **argv)
{
    struct opts o;
    struct bp_extacl_reader *r;
    struct bp_extacl_request *req = malloc(sizeof(*req));
    struct bp_watch *w;
    pthread_t tids[64];
    char err[512], dummy[8];
    int rc;

    si_log_init("inspect-bump", SI_LOG_INFO);
    parse_opts(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, on_hup);
    pool.max = o.queue;
    pool.on_mismatch = o.on_mismatch;
    pool.quiet = o.quiet;
    pool.prober = bp_probe_new(&o.probe, err, sizeof(err));
    if (!pool.prober)
        si_error("verify-name probes disabled (every verify-name bypass falls back to %s): %s",
                 si_inspect_action_name(o.on_mismatch), err);
    w = bp_watch_new(o.policy, o.interval, o.state_dir);
    r = bp_extacl_reader_new(STDIN_FILENO);
    if (!w || !r || !req) {
        si_error("out of memory at start-up");
        return 1;
    }
    bp_watch_get(w, dummy, sizeof(dummy)); /* load now: errors show at start-up */
    for (unsigned i = 0; pool.prober && i < o.threads; i++) {
        if (pthread_create(&tids[i], NULL, worker, NULL) != 0) {
            o.threads = i;
            break;
        }
    }
    while ((rc = bp_extacl_read(r, req, err, sizeof(err))) != 0) {
        if (rc < 0) {
            si_error("unreadable request (answered BH): %s", err);
            bp_extacl_reply(STDOUT_FILENO, req, "BH", "message=\"unreadable request\"");
            continue;
        }
        if (!pool.prober) {
            struct si_policy *p = bp_watch_get(w, err, sizeof(err));
            struct bp_decision d;
            if (p && bp_decide(p, req, &d, err, sizeof(err)) == 0 && d.need_probe) {
                bp_apply_probe(&d, BP_PROBE_FAILED, "probes disabled", o.on_mismatch);
                answer(req->has_id, req->id, &d);
                continue;
            }
        }
        handle(w, req, pool.prober && o.threads > 0);
    }
    pthread_mutex_lock(&pool.lock);
    pool.closing = true;
    pthread_cond_broadcast(&pool.cond);
    pthread_mutex_unlock(&pool.lock);
    for (unsigned i = 0; pool.prober && i < o.threads; i++)
        pthread_join(tids[i], NULL);
    bp_probe_free(pool.prober);
    bp_watch_free(w);
    bp_extacl_reader_free(r);
    free(req);
    return 0;
}
