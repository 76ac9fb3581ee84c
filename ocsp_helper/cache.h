/*
 * cache.h: the three caches of inspect-ocsp, all in memory, per helper process.
 *
 * - answers: OCSP/CRL verdicts by key (DER CertID for OCSP), until cache_until; the caller
 *   re-checks freshness (thisUpdate/nextUpdate) on every hit.
 * - crls: parsed CRLs by URL, until their nextUpdate (or a short TTL); each hit is re-judged.
 * - down: failing responders/CRL servers ("host:port" or URL) with a backoff that doubles from
 *   60 s up to 15 min, so a dead responder costs its timeout once, not on every connection.
 *   Failures are forgotten 15 min after the backoff ends, or at the first success.
 *
 * Ownership: lookups copy answers out; cache_crl_get returns a new reference (X509_CRL_free it).
 * Thread-safety: all functions may be called from any thread (one mutex per cache).
 */
#ifndef OCSP_CACHE_H
#define OCSP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "ocsp_verify.h"

struct oc_rev_cache;

/* max_entries bounds the answer and backoff tables, max_entries / 16 + 1 the CRL table; a full
 * table drops its least recently used entry (lib/ttlmap). */
struct oc_rev_cache *oc_rev_cache_new(size_t max_entries);
void oc_rev_cache_free(struct oc_rev_cache *c);

bool oc_rev_cache_answer_get(struct oc_rev_cache *c, const unsigned char *key, size_t keylen, time_t now,
                          struct oc_rev_answer *out);
void oc_rev_cache_answer_put(struct oc_rev_cache *c, const unsigned char *key, size_t keylen,
                          const struct oc_rev_answer *ans);

X509_CRL *oc_rev_cache_crl_get(struct oc_rev_cache *c, const char *url, time_t now);
void oc_rev_cache_crl_put(struct oc_rev_cache *c, const char *url, X509_CRL *crl, time_t until);

/* True (and *until set) when name is in backoff at now. */
bool oc_rev_cache_down(struct oc_rev_cache *c, const char *name, time_t now, time_t *until);
/* Records a failure (starting or extending the backoff) or a success (clearing it). */
void oc_rev_cache_note(struct oc_rev_cache *c, const char *name, bool ok, time_t now);

/*
 * Single flight: the first caller for key becomes the leader (returns true) and must call
 * oc_rev_cache_flight_end; later callers wait until the leader ends or deadline_ms
 * (CLOCK_MONOTONIC ms) passes, then return false and look in the cache again.
 */
bool oc_rev_cache_flight_begin(struct oc_rev_cache *c, const char *key, long long deadline_ms);
void oc_rev_cache_flight_end(struct oc_rev_cache *c, const char *key);

/* Entry counts, for the benchmark and tests. */
size_t oc_rev_cache_count(struct oc_rev_cache *c);

#endif
