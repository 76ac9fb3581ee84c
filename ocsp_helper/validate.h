/*
 * validate.h: one cert_validate request in, one reply out, one log line on stderr.
 *
 * Squid's own errors are passed back (an OK would wipe them out); unknown error codes become
 * X509_V_ERR_APPLICATION_VERIFICATION. Revocation is then checked on the chain verified here:
 * revoked is always refused; undetermined passes in soft mode (logged) and is reported in hard
 * mode (must-staple certificates are hard in soft mode too) so that sslproxy_cert_error refuses it.
 *
 * Ownership: struct validator borrows the store, cache and settings holder it is given.
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
#include "settings.h"

struct validator {
    X509_STORE *store;
    struct rev_cache *cache;
    struct chain_cache *chains;
    struct ocsp_settings_holder *settings;
    bool no_squid_anchor; /* never trust the anchor at the end of Squid's chain */
};

/* Fills reply and returns "OK" (reply empty) or "ERR". Never fails: errors become ERR bodies. */
const char *validator_run(struct validator *v, const char *body, size_t len,
                          struct si_crtvd_reply *reply);

/* Loads the trust anchors: ca_file and/or ca_dir, or OpenSSL's default paths when both NULL. */
X509_STORE *validator_store_new(const char *ca_file, const char *ca_dir, char *err,
                                size_t errsize);

#endif
