/*
 * ocsp_verify.h: judging OCSP responses and CRLs for one certificate, without any network.
 *
 * Everything takes the time to judge at ("now") as a parameter so that staleness can be tested.
 * Trust comes from the caller's X509_STORE plus the verified chain; nothing from the response or
 * CRL is trusted on its own.
 *
 * Ownership: arguments are borrowed; results are plain values. Thread-safety: reentrant
 * (X509_STORE may be shared between threads, as OpenSSL allows for verification).
 */
#ifndef OCSP_VERIFY_H
#define OCSP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

enum oc_rev_status {
    REV_GOOD = 0,
    REV_REVOKED,
    REV_UNKNOWN, /* the responder does not know the certificate */
    REV_STALE,   /* signed and matching, but outside its validity window (or CRL expired) */
    REV_INVALID, /* unusable: bad signature, wrong signer, not covering our cert, garbage */
    REV_FAILED,  /* could not get an answer (responder error status, network, no URL) */
};

struct oc_rev_answer {
    enum oc_rev_status status;
    int reason;        /* OCSP/CRL revocation reason code, -1 when none */
    time_t revoked_at; /* when status is REV_REVOKED, else 0 */
    time_t this_update;
    time_t next_update; /* 0 when absent */
    time_t cache_until; /* how long the answer may be reused (0: do not cache) */
    char why[200];      /* one line for logs and error_reason */
};

struct oc_rev_limits {
    unsigned skew_s;            /* tolerance on thisUpdate/nextUpdate */
    unsigned no_next_max_age_s; /* max thisUpdate age when nextUpdate is absent */
    unsigned no_next_ttl_s;     /* cache time when nextUpdate is absent */
    unsigned cache_max_s;       /* cap on any cache time */
};

const char *oc_rev_status_name(enum oc_rev_status st);

/* Converts an ASN1_TIME to time_t (UTC); 0 when t is NULL or invalid. */
time_t oc_rev_asn1_time(const ASN1_TIME *t);

/*
 * Judges resp for the certificate identified by id. chain: the verified chain without the leaf
 * (issuer first), used to find and verify the signer; store: trust anchors. req: the request
 * sent, when it carried a nonce (NULL otherwise). Always fills ans.
 */
void oc_rev_eval_ocsp(OCSP_RESPONSE *resp, OCSP_CERTID *id, OCSP_REQUEST *req,
                   STACK_OF(X509) *chain, X509_STORE *store, time_t now,
                   const struct oc_rev_limits *lim, struct oc_rev_answer *ans);

/*
 * Judges cert against crl: crl must be signed by cert's issuer (from chain, issuer first) and
 * current at now. Always fills ans.
 */
void oc_rev_eval_crl(X509_CRL *crl, X509 *cert, STACK_OF(X509) *chain, X509_STORE *store, time_t now,
                  const struct oc_rev_limits *lim, struct oc_rev_answer *ans);

/* First http:// OCSP responder URL of cert's AIA (malloc'd), or NULL. */
char *oc_rev_ocsp_url(X509 *cert);
/* First http:// full-name CRL distribution point of cert (malloc'd), or NULL. */
char *oc_rev_crl_url(X509 *cert);
/* True when cert carries the TLS feature status_request (must-staple). */
bool oc_rev_must_staple(X509 *cert);

#endif
