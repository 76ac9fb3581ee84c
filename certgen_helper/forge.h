/*
 * forge.h: builds the forged leaf certificate for one parsed new_certificate request.
 *
 * Rules (tests/unit/test_forge.c checks each one):
 * - copied from the origin: subject (CN replaced by setCommonName), subjectAltName (not with
 *   setCommonName), extendedKeyUsage (serverAuth when absent);
 * - derived: basicConstraints critical CA:FALSE, keyUsage from the leaf key type, SKI from the
 *   leaf key, AKI from the signing CA; a synthesised SAN is IP: for an IP literal, else DNS:;
 * - never copied: anything else (AIA, CRL DP, SCTs, TLS feature, policies, name constraints,
 *   unknown extensions);
 * - validity: notBefore >= now - 1 day, lifetime <= max_days, never past the origin's (or, with
 *   setValidAfter/Before, the CA's) dates nor past the signing CA's notAfter;
 * - serial: 16 random bytes, positive, constant length; signature digest from SignHash;
 * - signSelf: issuer = subject, signed by the leaf key; otherwise signed by the request's CA.
 * The leaf key must not be the CA key: cg_forge() refuses it.
 *
 * Ownership: cg_forge() returns a new X509 owned by the caller. Thread-safety: reentrant.
 */
#ifndef CG_FORGE_H
#define CG_FORGE_H

#include <stdbool.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crtd_request.h"

#define CG_MAX_DAYS 90
#define CG_BACKDATE_SECS (24 * 3600)

enum cg_key_type { CG_KEY_RSA = 0, CG_KEY_EC = 1 };

struct cg_forge_opts {
    int max_days; /* 1..CG_MAX_DAYS */
};

struct cg_forge_result {
    time_t not_before;
    time_t not_after;
    bool bounded; /* notAfter was cut by the origin's or CA's dates: regenerating gives no more */
};

/*
 * A leaf public key ready to be copied into certificates. Encoding an EVP_PKEY into a
 * certificate (X509_set_pubkey) costs about as much as an RSA signature in OpenSSL 3.0; this
 * keeps the encoded SubjectPublicKeyInfo parts so a forge only copies bytes.
 */
struct cg_leaf_pub {
    int alg_nid;   /* NID_rsaEncryption or NID_X9_62_id_ecPublicKey */
    int curve_nid; /* for EC keys */
    unsigned char *bits;
    int bits_len;
};

int cg_leaf_pub_init(struct cg_leaf_pub *pub, EVP_PKEY *key);
void cg_leaf_pub_clear(struct cg_leaf_pub *pub);

/*
 * The leaf key type for a request: the type of the signing CA's key (RSA -> RSA-2048, anything
 * else -> P-256), whatever the origin's. Squid 5.7 installs the forged certificate with
 * SSL_use_certificate() on a connection whose context already holds the port's CA certificate
 * and key (tls-cert=): OpenSSL keeps one certificate per key type, so a leaf of another type
 * than the CA's sits beside the CA certificate, and a client whose signature algorithms prefer
 * the CA's type is served the CA certificate itself (seen in the lab: an EC CA and an RSA
 * leaf). A leaf of the CA's type replaces it.
 */
enum cg_key_type cg_forge_key_type(const struct si_crtd_request *req);

/* pub: leaf's precomputed public key, or NULL (then it is encoded from leaf, slowly). */
X509 *cg_forge(const struct si_crtd_request *req, EVP_PKEY *leaf, const struct cg_leaf_pub *pub,
               const struct cg_forge_opts *opts, time_t now, struct cg_forge_result *res,
               char *err, size_t errsize);

/* True when name is an IPv4 or IPv6 literal (no brackets); fills ip/iplen (16 bytes) if asked. */
bool cg_forge_ip_literal(const char *name, unsigned char *ip, int *iplen);

#endif
