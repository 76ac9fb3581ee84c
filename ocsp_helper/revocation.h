/*
 * revocation.h: the revocation status of one certificate: OCSP first (cache, backoff, fetch,
 * verify), then the CRL from its distribution point, as the settings allow.
 *
 * Ownership: arguments are borrowed; the result is a plain value.
 * Thread-safety: reentrant; the cache serialises itself.
 */
#ifndef OCSP_REVOCATION_H
#define OCSP_REVOCATION_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "cache.h"
#include "ocsp_verify.h"
#include "policy.h"
#include "settings.h"

enum oc_rev_source { SRC_NONE = 0, SRC_OCSP, SRC_CRL, SRC_CACHE };

struct oc_rev_result {
    enum oc_rev_status status; /* GOOD, REVOKED, or why it is undetermined */
    enum oc_rev_source source; /* where the decisive answer came from */
    bool from_crl;          /* the decisive answer is a CRL's (also when cached) */
    bool no_pointer;        /* the certificate has neither an OCSP URL nor a CRL pointer */
    char why[420];          /* one line: what was tried and what came of it */
};

const char *oc_rev_source_name(enum oc_rev_source src);

/*
 * Checks cert, whose verified issuer chain (issuer first, up to the anchor) is `above`, against
 * the trust anchors in store, with the transport settings s and what the policy says for this
 * server (vs: crl mode, ocsp-timeout). Spends at most vs->ocsp_timeout_ms on OCSP and
 * s->crl_timeout_ms on the CRL.
 */
void oc_rev_check(struct oc_rev_cache *cache, const struct oc_settings *s,
               const struct si_validation_settings *vs, X509 *cert, STACK_OF(X509) *above,
               X509_STORE *store, struct oc_rev_result *res);

/* The limits of s in the form ocsp_verify wants. */
void oc_rev_limits_from(const struct oc_settings *s, struct oc_rev_limits *lim);

#endif
