/*
 * fuzz_pki.h: the certificates a revocation fuzzer judges responses for.
 *
 * With FUZZ_PKI_DIR set (a directory made by tests/unit/ocsp_fixtures.sh at run time, whose
 * responses and CRLs are the seeds), the leaf is int/good.crt under int/ca.crt and root/ca.crt:
 * seeds then verify and mutations go deep. Without it, a throw-away CA and leaf are made in
 * memory (no key is ever written or committed): nothing the fuzzer makes can verify, which the
 * targets assert.
 * Ownership: the objects live until the process exits. Thread-safety: init once, then read-only.
 */
#ifndef FUZZ_PKI_H
#define FUZZ_PKI_H

#include <openssl/x509.h>

struct fuzz_pki {
    EVP_PKEY *ca_key;
    X509 *ca, *leaf;
    X509_STORE *store;      /* trusts ca */
    STACK_OF(X509) *chain;  /* the leaf's issuers: ca */
    int signable;           /* 1: responses/CRLs from the seeds verify (FUZZ_PKI_DIR) */
};

/* Fills pki or aborts. */
void fuzz_pki_init(struct fuzz_pki *pki);

#endif
