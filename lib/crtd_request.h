/*
 * crtd_request.h: parses the body of a Squid `new_certificate` request (sslcrtd_program).
 *
 *   key=value LF ... (host, setCommonName, setValidAfter, setValidBefore, Sign, SignHash)
 *   -----BEGIN CERTIFICATE----- ... signing CA certificate
 *   -----BEGIN PRIVATE KEY----- ... its unencrypted private key (PKCS#8, or RSA/EC PRIVATE KEY)
 *   [SP -----BEGIN CERTIFICATE----- ... the origin certificate to mimic]
 *
 * The framing around the body (ID, code, length, 0x01) is lib/helper_io's job; this module only
 * sees the body, so a fuzzer can call si_crtd_parse() directly.
 *
 * Two steps: si_crtd_split() checks the parameter lines and cuts the PEM blocks (no decoding);
 * si_crtd_decode() decodes the blocks whose object is still NULL, so a caller that already holds
 * the decoded CA for identical PEM text (ca_pem) can set ca_cert/ca_key first and skip that cost.
 * si_crtd_parse() does both.
 *
 * Ownership: the struct owns its X509/EVP_PKEY objects, released by si_crtd_request_clear() (also
 * after a failed parse). The *_pem spans point into the caller's body: valid while it lives.
 * Error messages never quote key material.
 *
 * Thread-safety: no shared state; distinct structs may be used from distinct threads.
 */
#ifndef SI_CRTD_REQUEST_H
#define SI_CRTD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define SI_CRTD_HOST_MAX 255     /* a DNS name, an IPv4 or a bracketed IPv6 literal */
#define SI_CRTD_CN_MAX 64        /* RFC 5280 ub-common-name */
#define SI_CRTD_HASH_MAX 31
#define SI_CRTD_BODY_MAX (256 * 1024)

enum si_crtd_sign {
    SI_CRTD_SIGN_TRUSTED = 0, /* signTrusted: signed by the CA in the request */
    SI_CRTD_SIGN_UNTRUSTED,   /* signUntrusted: signed by the "Not trusted by" CA in the request */
    SI_CRTD_SIGN_SELF,        /* signSelf: self-signed by the leaf key, the CA is ignored */
};

struct si_crtd_request {
    char host[SI_CRTD_HOST_MAX + 1];          /* brackets of an IPv6 literal removed */
    bool has_common_name;
    char common_name[SI_CRTD_CN_MAX + 1];     /* setCommonName value when has_common_name */
    bool set_valid_after;                      /* notAfter from the CA certificate */
    bool set_valid_before;                     /* notBefore from the CA certificate */
    enum si_crtd_sign sign;                    /* signTrusted when the key is absent */
    char sign_hash[SI_CRTD_HASH_MAX + 1];      /* lower case; "sha256" when absent */
    const char *ca_pem;                        /* CA certificate and key blocks, contiguous */
    size_t ca_pem_len;
    size_t ca_cert_pem_len;                    /* the certificate block at the start of ca_pem */
    const char *origin_pem;                    /* NULL when there is nothing to mimic */
    size_t origin_pem_len;
    X509 *ca_cert;
    EVP_PKEY *ca_key;
    X509 *origin;                              /* NULL when there is nothing to mimic; its
                                                  public key is not decoded (never used) */
};

/*
 * Parses body[0..len) (it need not be NUL-terminated). Returns 0, or -1 with a sentence in err.
 * The CA certificate must match the CA key. Unknown keys, repeated keys, an encrypted key and
 * anything after the last PEM block other than whitespace are errors.
 */
int si_crtd_parse(const char *body, size_t len, struct si_crtd_request *req, char *err,
                  size_t errsize);
int si_crtd_split(const char *body, size_t len, struct si_crtd_request *req, char *err,
                  size_t errsize);
/* Decodes the PEM blocks si_crtd_split() found; a CA pair decoded here must match. */
int si_crtd_decode(struct si_crtd_request *req, char *err, size_t errsize);
/* The two halves of si_crtd_decode(): the CA pair only, the origin certificate only. */
int si_crtd_decode_ca(struct si_crtd_request *req, char *err, size_t errsize);
int si_crtd_decode_origin(struct si_crtd_request *req, char *err, size_t errsize);
void si_crtd_request_clear(struct si_crtd_request *req);

/* "signTrusted", ... for an enum value (log lines, cache keys). */
const char *si_crtd_sign_name(enum si_crtd_sign sign);

#endif
