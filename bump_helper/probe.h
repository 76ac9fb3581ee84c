/*
 * probe.h: verify-name probes for inspect-bump. Before a bypass rule with verify-name="true" is
 * honoured, the helper opens its own TLS connection to the destination the client asked for,
 * sends the client's SNI, and checks that the certificate the server presents chains to a
 * trusted CA and covers that name. The client's own connection is not touched: if the name is
 * verified, Squid splices the client's bytes untouched.
 *
 * Each probe is bounded (connect + handshake within timeout_ms) and sends no application data.
 * Name resolution (getaddrinfo) is bounded by the system resolver's own timeouts (resolv.conf),
 * not by timeout_ms; Squid resolves the same name for the connection itself.
 * Results are cached per (name, host, port): verified results for ttl_ok seconds, others for
 * ttl_fail seconds.
 *
 * Ownership: the prober owns its SSL_CTX and cache; bp_probe_free() releases them.
 * Thread-safety: bp_probe_check() may be called from several threads at once (the cache has a
 * mutex; each probe uses its own SSL object).
 */
#ifndef BP_PROBE_H
#define BP_PROBE_H

#include <stdbool.h>
#include <stddef.h>

enum bp_probe_status {
    BP_PROBE_VERIFIED = 0,  /* certificate trusted and covers the name */
    BP_PROBE_MISMATCH = 1,  /* trusted certificate, but it does not cover the name */
    BP_PROBE_UNTRUSTED = 2, /* certificate does not chain to a trusted CA (or expired...) */
    BP_PROBE_FAILED = 3,    /* no answer: DNS, connect, handshake error or timeout */
};

const char *bp_probe_status_name(enum bp_probe_status s); /* "name-verified" "name-mismatch"
                                                              "cert-untrusted" "probe-failed" */

struct bp_probe_opts {
    const char *ca_file;   /* PEM bundle of trusted roots; NULL = OpenSSL default paths */
    const char *ca_path;   /* hashed directory; NULL = none unless ca_file is NULL too */
    unsigned timeout_ms;   /* whole probe, default 3000 */
    unsigned ttl_ok;       /* seconds, default 600 */
    unsigned ttl_fail;     /* seconds, default 60 */
    size_t cache_max;      /* entries, default 65536 */
};

struct bp_prober;

struct bp_prober *bp_probe_new(const struct bp_probe_opts *o, char *err, size_t errsize);
void bp_probe_free(struct bp_prober *p);

/*
 * Verifies that host:port presents a certificate valid for `name` (sent as SNI).
 * detail (may be NULL) receives a short explanation for logs. *cached tells whether the result
 * came from the cache.
 */
enum bp_probe_status bp_probe_check(struct bp_prober *p, const char *name, const char *host,
                                    int port, char *detail, size_t detailsize, bool *cached);

#endif
