/* probe.c: bounded TLS probes that check a server certificate covers a name (see probe.h). */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define PROBE_BUCKETS 4096

struct centry {
    struct centry *next;
    time_t expires;
    enum bp_probe_status status;
    char detail[96];
    char key[];
};

struct bp_prober {
    SSL_CTX *ctx;
    struct bp_probe_opts o;
    pthread_mutex_t lock;
    struct centry *bucket[PROBE_BUCKETS];
    size_t entries;
};

const char *bp_probe_status_name(enum bp_probe_status s)
{
    switch (s) {
    case BP_PROBE_VERIFIED: return "name-verified";
    case BP_PROBE_MISMATCH: return "name-mismatch";
    case BP_PROBE_UNTRUSTED: return "cert-untrusted";
    case BP_PROBE_FAILED: return "probe-failed";
    }
    return "probe-failed";
}

struct bp_prober *bp_probe_new(const struct bp_probe_opts *o, char *err, size_t errsize)
{
    struct bp_prober *p = calloc(1, sizeof(*p));

    if (!p) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    p->o = *o;
    if (!p->o.timeout_ms)
        p->o.timeout_ms = 3000;
    if (!p->o.cache_max)
        p->o.cache_max = 65536;
    pthread_mutex_init(&p->lock, NULL);
    p->ctx = SSL_CTX_new(TLS_client_method());
    if (!p->ctx || !SSL_CTX_set_min_proto_version(p->ctx, TLS1_2_VERSION))
        goto fail;
    SSL_CTX_set_verify(p->ctx, SSL_VERIFY_NONE, NULL); /* judged after the handshake */
    if (o->ca_file || o->ca_path) {
        if (!SSL_CTX_load_verify_locations(p->ctx, o->ca_file, o->ca_path)) {
            snprintf(err, errsize, "cannot load trusted CAs from %s",
                     o->ca_file ? o->ca_file : o->ca_path);
            goto out;
        }
    } else if (!SSL_CTX_set_default_verify_paths(p->ctx)) {
        goto fail;
    }
    return p;
fail:
    snprintf(err, errsize, "TLS client context: %s", ERR_reason_error_string(ERR_get_error()));
out:
    bp_probe_free(p);
    return NULL;
}

void bp_probe_free(struct bp_prober *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < PROBE_BUCKETS; i++) {
        for (struct centry *e = p->bucket[i], *n; e; e = n) {
            n = e->next;
            free(e);
        }
    }
    SSL_CTX_free(p->ctx);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static size_t hash_key(const char *k)
{
    size_t h = 1469598103934665603ULL;

    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return h % PROBE_BUCKETS;
}

static bool cache_get(struct bp_prober *p, const char *key, enum bp_probe_status *st, char *detail,
                      size_t detailsize)
{
    time_t now = time(NULL);
    bool hit = false;

    pthread_mutex_lock(&p->lock);
    for (struct centry *e = p->bucket[hash_key(key)]; e; e = e->next) {
        if (strcmp(e->key, key) == 0 && e->expires > now) {
            *st = e->status;
            if (detail)
                snprintf(detail, detailsize, "%s", e->detail);
            hit = true;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return hit;
}

/* Drops expired entries; if the cache is still full, drops everything (simple and bounded). */
static void cache_trim(struct bp_prober *p, time_t now)
{
    for (size_t i = 0; i < PROBE_BUCKETS; i++) {
        struct centry **pp = &p->bucket[i];
        while (*pp) {
            struct centry *e = *pp;
            if (e->expires <= now || p->entries >= p->o.cache_max) {
                *pp = e->next;
                free(e);
                p->entries--;
            } else {
                pp = &e->next;
            }
        }
    }
}

static void cache_put(struct bp_prober *p, const char *key, enum bp_probe_status st,
                      const char *detail)
{
    time_t now = time(NULL);
    unsigned ttl = st == BP_PROBE_VERIFIED ? p->o.ttl_ok : p->o.ttl_fail;
    size_t klen = strlen(key) + 1, b = hash_key(key);
    struct centry *e;

    if (ttl == 0 || !(e = malloc(sizeof(*e) + klen)))
        return;
    memcpy(e->key, key, klen);
    e->expires = now + (time_t)ttl;
    e->status = st;
    snprintf(e->detail, sizeof(e->detail), "%s", detail);
    pthread_mutex_lock(&p->lock);
    if (p->entries >= p->o.cache_max)
        cache_trim(p, now);
    for (struct centry **pp = &p->bucket[b]; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) { /* replace a stale or concurrent result */
            struct centry *old = *pp;
            e->next = old->next;
            *pp = e;
            free(old);
            pthread_mutex_unlock(&p->lock);
            return;
        }
    }
    e->next = p->bucket[b];
    p->bucket[b] = e;
    p->entries++;
    pthread_mutex_unlock(&p->lock);
}

static long ms_left(const struct timespec *deadline)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

static bool wait_fd(int fd, short events, const struct timespec *deadline)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    long left;
    int n;

    while ((left = ms_left(deadline)) > 0) {
        n = poll(&pfd, 1, (int)left);
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
    return false;
}

/* Non-blocking connect to the first address of host:port that answers before the deadline. */
static int connect_host(const char *host, int port, const struct timespec *deadline, char *detail,
                        size_t detailsize)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char portstr[8], h[256];
    size_t hl = strlen(host);
    int fd = -1, rc;

    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') { /* [v6] as Squid writes it */
        snprintf(h, sizeof(h), "%.*s", (int)(hl - 2), host + 1);
    } else {
        snprintf(h, sizeof(h), "%s", host);
    }
    snprintf(portstr, sizeof(portstr), "%d", port);
    rc = getaddrinfo(h, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(detail, detailsize, "cannot resolve %s: %s", h, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai && ms_left(deadline) > 0; ai = ai->ai_next) {
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
            (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) &&
             getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0))
            break;
        snprintf(detail, detailsize, "cannot connect to %s:%d: %s", h, port,
                 soerr ? strerror(soerr) : "timeout");
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static bool is_ip(const char *name)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/* Drives SSL_connect until it completes, fails, or the deadline passes. */
static bool handshake(SSL *ssl, int fd, const struct timespec *deadline)
{
    for (;;) {
        int rc = SSL_connect(ssl);
        if (rc == 1)
            return true;
        switch (SSL_get_error(ssl, rc)) {
        case SSL_ERROR_WANT_READ:
            if (!wait_fd(fd, POLLIN, deadline))
                return false;
            break;
        case SSL_ERROR_WANT_WRITE:
            if (!wait_fd(fd, POLLOUT, deadline))
                return false;
            break;
        default:
            return false;
        }
    }
}

static enum bp_probe_status judge(SSL *ssl, const char *name, char *detail, size_t detailsize)
{
    long vr = SSL_get_verify_result(ssl);
    X509 *cert = SSL_get1_peer_certificate(ssl);

    if (!cert) {
        snprintf(detail, detailsize, "server sent no certificate");
        return BP_PROBE_FAILED;
    }
    X509_free(cert);
    if (vr == X509_V_OK) {
        snprintf(detail, detailsize, "certificate valid for %s", name);
        return BP_PROBE_VERIFIED;
    }
    snprintf(detail, detailsize, "%s", X509_verify_cert_error_string(vr));
    if (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
        return BP_PROBE_MISMATCH;
    return BP_PROBE_UNTRUSTED;
}

static enum bp_probe_status run_probe(struct bp_prober *p, const char *name, const char *host,
                                      int port, char *detail, size_t detailsize)
{
    struct timespec deadline;
    enum bp_probe_status st = BP_PROBE_FAILED;
    SSL *ssl = NULL;
    int fd;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += p->o.timeout_ms / 1000;
    deadline.tv_nsec += (long)(p->o.timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    fd = connect_host(host, port, &deadline, detail, detailsize);
    if (fd < 0)
        return BP_PROBE_FAILED;
    if (!(ssl = SSL_new(p->ctx)) || !SSL_set_fd(ssl, fd)) {
        snprintf(detail, detailsize, "out of memory");
        goto out;
    }
    if (is_ip(name)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
    } else {
        SSL_set_tlsext_host_name(ssl, name);
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        SSL_set1_host(ssl, name);
    }
    if (!handshake(ssl, fd, &deadline)) {
        snprintf(detail, detailsize, "TLS handshake with %s:%d failed%s", host, port,
                 ms_left(&deadline) <= 0 ? " (timeout)" : "");
        goto out;
    }
    st = judge(ssl, name, detail, detailsize);
out:
    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
    return st;
}

enum bp_probe_status bp_probe_check(struct bp_prober *p, const char *name, const char *host,
                                    int port, char *detail, size_t detailsize, bool *cached)
{
    char key[600], tmp[96];
    enum bp_probe_status st;

    if (!detail) {
        detail = tmp;
        detailsize = sizeof(tmp);
    }
    *cached = false;
    if (!name || !host || port <= 0 || port > 65535) {
        snprintf(detail, detailsize, "no server name or destination to probe");
        return BP_PROBE_FAILED;
    }
    snprintf(key, sizeof(key), "%s|%s|%d", name, host, port);
    if (cache_get(p, key, &st, detail, detailsize)) {
        *cached = true;
        return st;
    }
    st = run_probe(p, name, host, port, detail, detailsize);
    cache_put(p, key, st, detail);
    return st;
}
