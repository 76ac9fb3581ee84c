/*
 * certgen_fixture.h: test material for the certificate-generator tests, made at test time with
 * OpenSSL (no key is ever committed): CAs, origin certificates with chosen extensions, and
 * new_certificate request bodies as Squid writes them.
 *
 * Ownership: every returned pointer is the caller's (X509_free, EVP_PKEY_free, free).
 * Thread-safety: none needed (single-threaded tests).
 */
#ifndef CERTGEN_FIXTURE_H
#define CERTGEN_FIXTURE_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum fx_key { FX_RSA = 0, FX_EC = 1 };

struct fx_ca {
    X509 *cert;
    EVP_PKEY *key;
};

struct fx_origin {
    const char *cn;        /* NULL: no CN in the subject */
    const char *org;       /* NULL: no O */
    const char *san;       /* OpenSSL config value, e.g. "DNS:a.test,IP:10.0.0.1"; NULL: none */
    enum fx_key key;
    long not_before;       /* seconds relative to now */
    long not_after;
    const char *exts[8][2]; /* extra extensions: {name or OID, config value}, NULL-terminated */
};

EVP_PKEY *fx_key(enum fx_key type);
/* A self-signed CA (SKI, basicConstraints CA:TRUE) valid from now-10d for `days`. */
int fx_ca_make(struct fx_ca *ca, const char *cn, enum fx_key type, long days);
void fx_ca_free(struct fx_ca *ca);
/* An origin certificate issued by ca (or self-signed when ca is NULL). */
X509 *fx_origin_make(const struct fx_origin *spec, const struct fx_ca *ca);

char *fx_cert_pem(X509 *x);
char *fx_key_pem(EVP_PKEY *k); /* PKCS#8, unencrypted, as Squid sends it */
/* "<params><CA cert PEM><CA key PEM>[ <origin PEM>]"; params end with LF. *len gets the size. */
char *fx_body(const char *params, const struct fx_ca *ca, X509 *origin, size_t *len);

#endif
