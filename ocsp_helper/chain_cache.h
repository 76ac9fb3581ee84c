/*
 * chain_cache.h: parsed and verified chains by the SHA-256 of the PEM text Squid sent.
 *
 * Squid sends the same chain (as PEM) again for every connection to a server. Parsing PEM and
 * building the chain cost most of a cached validation under OpenSSL 3.0 (decoder locks), so the
 * parsed certificates, the verified chain and the store it verified against are kept for a few
 * minutes (never past the earliest notAfter in the chain). Failed verifications are not cached;
 * an entry may hold parsed certificates only (chain NULL) until a verification fills it in.
 * At most max_entries chains are kept (lib/ttlmap: the least recently used goes first).
 *
 * Ownership: get/put take and hand out their own references (X509_up_ref, X509_STORE_up_ref);
 * the caller frees what it gets with oc_chain_hit_clear.
 * Thread-safety: all functions may be called from any thread (one mutex).
 */
#ifndef OCSP_CHAIN_CACHE_H
#define OCSP_CHAIN_CACHE_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "crtvd_request.h"

struct oc_chain_hit {
    X509 *certs[SI_CRTVD_MAX_CERTS]; /* as in the request, index = cert_N */
    size_t ncerts;
    STACK_OF(X509) *chain; /* verified, leaf first; NULL: parsed only */
    X509_STORE *store;     /* what it verified against (NULL with chain) */
};

struct oc_chain_cache;

struct oc_chain_cache *oc_chain_cache_new(size_t max_entries, unsigned ttl_s);
void oc_chain_cache_free(struct oc_chain_cache *c);

/* key: SHA-256 over the request's certificates and whether Squid reported errors. */
void oc_chain_cache_key(struct oc_chain_cache *c, const struct si_crtvd_request *req,
                     unsigned char key[32]);

/* Fills hit with new references on a hit (returns 1), else 0. */
int oc_chain_cache_get(struct oc_chain_cache *c, const unsigned char key[32], time_t now,
                    struct oc_chain_hit *hit);
/* Stores new references to what hit holds (hit stays the caller's). */
void oc_chain_cache_put(struct oc_chain_cache *c, const unsigned char key[32], const struct oc_chain_hit *hit,
                     time_t now);
void oc_chain_hit_clear(struct oc_chain_hit *hit);

#endif
