/*
 * validate.h: one cert_validate request in, one reply out, one log line on stderr.
 *
 * Squid's own errors are passed back (an OK would wipe them out); unknown error codes become
 * X509_V_ERR_APPLICATION_VERIFICATION. Revocation is then checked on the chain verified here:
 * revoked is always refused; undetermined is reported in hard mode (must-staple certificates are
 * hard in soft mode too) so that sslproxy_cert_error refuses it. An undetermined status in soft mode,
 * and "off", are reported too, as one of the REV_STATE_* errors below, which squid-inspect.conf
 * waives (sslproxy_cert_error allow) while marking the connection's rev= log field with it.
 * A chain sent incomplete (Squid completed it through AIA) is completed here (chain_complete.h).
 * A leaf without subjectAltName (a CN-only certificate) is refused as browsers do.
 *
 * What to check for the server (revocation mode, ocsp-timeout, crl) comes from the policy the
 * holder keeps, through si_policy_validation_for(); how to fetch (deadlines, caps) from settings.
 *
 * Ownership: struct oc_validator borrows the store, caches, settings and policy holder it is given.
 * Thread-safety: oc_validator_run may run on many threads at once.
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

/*
 * The revocation states that let a connection through, as error names Squid 5.7 accepts from a
 * validator. Squid's own verification never raises them (they are CRL-checking errors, and Squid
 * checks no CRL), and none is in an ssl:: error group (so none changes how the forged
 * certificate is signed). squid-inspect.conf maps each one to its rev= word:
 */
#define REV_STATE_TIMEOUT "X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD"   /* undetermined:timeout */
#define REV_STATE_NO_ANSWER "X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER"       /* undetermined:no-answer */
#define REV_STATE_BAD_ANSWER "X509_V_ERR_CRL_PATH_VALIDATION_ERROR"     /* undetermined:bad-answer */
#define REV_STATE_NO_POINTER "X509_V_ERR_DIFFERENT_CRL_SCOPE"           /* undetermined:no-pointer */
#define REV_STATE_CHAIN "X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION"   /* undetermined:chain */
#define REV_STATE_OFF "X509_V_ERR_KEYUSAGE_NO_CRL_SIGN"                 /* off */

/* How a CN-only leaf is refused (squid_conf/errors/error-details.txt words it for the page). */
#define CN_ONLY_ERROR "X509_V_ERR_HOSTNAME_MISMATCH"
#define CN_ONLY_REASON "certificate without subjectAltName (its server is named only in the " \
                       "Common Name, which browsers have refused since 2017)"

struct oc_chain_completer;

struct oc_validator {
    X509_STORE *store;
    struct oc_rev_cache *cache;
    struct oc_chain_cache *chains;
    const struct oc_settings *settings; /* transport settings */
    struct si_policy_holder *policy;      /* <certificate-validation>: what to check */
    struct oc_chain_completer *completer;    /* NULL: chains are not completed */
    bool no_squid_anchor; /* never trust the anchor at the end of Squid's chain */
};

/* Fills reply and returns "OK" (reply empty) or "ERR". Never fails: errors become ERR bodies. */
const char *oc_validator_run(struct oc_validator *v, const char *body, size_t len,
                          struct si_crtvd_reply *reply);

/* Loads the trust anchors: ca_file and/or ca_dir, or OpenSSL's default paths when both NULL. */
X509_STORE *oc_validator_store_new(const char *ca_file, const char *ca_dir, char *err,
                                size_t errsize);

#endif
