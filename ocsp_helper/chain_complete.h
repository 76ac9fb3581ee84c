/*
 * chain_complete.h: the missing issuers of a chain an origin sent incomplete.
 *
 * Squid 5.7 fetches a missing intermediate itself (AIA caIssuers) and then sends the validator
 * the leaf alone, without errors. The validator builds the chain again here, so it needs the same
 * issuers: first from an optional intermediates file (PEM, loaded at start-up), then from the
 * certificate's AIA caIssuers URLs (http only, fetch.h's bounded GET: the OCSP deadline and byte
 * cap of the settings; the answer may be DER, PEM or a PKCS#7 certs-only bundle). Downloads are
 * cached per URL for an hour; a failing URL enters the revocation cache's backoff like a failing
 * responder, and concurrent fetches of one URL are merged (single flight).
 *
 * Ownership: the completer owns the intermediates and the download cache; issuers handed out are
 * new references pushed onto the caller's stack.
 * Thread-safety: oc_chain_complete_issuers may run on many threads at once (the cache locks itself).
 */
#ifndef OCSP_CHAIN_COMPLETE_H
#define OCSP_CHAIN_COMPLETE_H

#include <stddef.h>

#include <openssl/x509.h>

#include "cache.h"

struct oc_chain_completer;

/* intermediates_file may be NULL. NULL with err when the file cannot be read or holds no
 * certificate. */
struct oc_chain_completer *oc_chain_completer_new(const char *intermediates_file, size_t max_entries,
                                            char *err, size_t errsize);
void oc_chain_completer_free(struct oc_chain_completer *cc);

/*
 * Pushes onto out (new references) every certificate that issued cert, from the intermediates
 * file, else from cert's caIssuers URLs. Returns how many were pushed; why gets one line saying
 * where they came from or what failed.
 */
int oc_chain_complete_issuers(struct oc_chain_completer *cc, struct oc_rev_cache *cache, X509 *cert,
                           unsigned timeout_ms, size_t max_bytes, STACK_OF(X509) *out,
                           char *why, size_t whysize);

#endif
