/*
 * validate.h: one cert_validate request in, one reply out, one log line on stderr.
 *
 * Squid's own errors are passed back (an OK would wipe them out); unknown error codes become
 * X509_V_ERR_APPLICATION_VERIFICATION. Revocation is then checked on the chain verified here:
 * revoked is always refused; undetermined passes in soft mode (logged) and is reported in hard
 * mode (must-staple certificates are hard in soft mode too) so that sslproxy_cert_error refuses it.
 *
 * What to check for the server (revocation mode, ocsp-timeout, crl) comes from the policy the
 * holder keeps, through si_policy_validation_for(); how to fetch (deadlines, caps) from settings.
 *
 * Ownership: struct validator borrows the store, caches, settings and policy holder it is given.
 * Thread-safety: validator_run may run on many threads at once.
 */
#ifndef OCSP_VALIDATE_H
#define OCSP_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "cache.h"
#include "chain_cache.h"
#include "crtvd_request.h"
#include "policy_holder.h"
#include "settings.h"

struct validator {
    X509_STORE *store;
    struct rev_cache *cache;
    struct chain_cache *chains;
    const struct ocsp_settings *settings; /* transport settings */
    struct si_policy_holder *policy;      /* <certificate-validation>: what to check */
    bool no_squid_anchor; /* never trust the anchor at the end of Squid's chain */
};

/* Fills reply and returns "OK" (reply empty) or "ERR". Never fails: errors become ERR bodies. */
const char *validator_run(struct validator *v, const char *body, size_t len,
                          struct si_crtvd_reply *reply);

/* Loads the trust anchors: ca_file and/or ca_dir, or OpenSSL's default paths when both NULL. */
X509_STORE *validator_store_new(const char *ca_file, const char *ca_dir, char *err,
                                size_t errsize);

#endif
